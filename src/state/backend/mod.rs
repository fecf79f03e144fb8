//! Where state lives, behind one [`Backend`] trait: read a snapshot, write atomically, lock.
//!
//! Owns the trait, the lock owner record ([`LockInfo`], in Terraform's JSON shape) and the
//! implementations (`local`: a file, as Terraform's default backend keeps it). Backends know
//! the state file format only through [`super::format`], and nothing of configuration or plans.

mod local;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{State, StateError};

pub use local::LocalBackend;

/// Who holds a lock, as Terraform records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    pub info: String,
    pub who: String,
    pub version: String,
    pub created: String,
    pub path: String,
}

impl LockInfo {
    /// A lock record for `operation` (Terraform names them `OperationTypeApply`,
    /// `OperationTypePlan`, ...): a fresh id, `user@host`, this program's version and the time now.
    /// `path` is left empty: the backend fills it in with where the state lives.
    pub fn new(operation: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            info: String::new(),
            who: format!("{}@{}", user_name(), host_name()),
            version: format!("cairn {}", env!("CARGO_PKG_VERSION")),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            path: String::new(),
        }
    }
}

fn user_name() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its whole length; gethostname NUL-terminates within it
        // on success (and we never read past the buffer either way).
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            let name = String::from_utf8_lossy(&buf[..end]).into_owned();
            if !name.is_empty() {
                return name;
            }
        }
    }
    ["HOSTNAME", "COMPUTERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// A place state lives.
///
/// Contract: `read` returns a consistent snapshot and never waits for a lock (a plan may read
/// while an apply holds it). `write` is atomic: a reader or a crash sees the old state or the
/// new one, never a mix; it writes nothing when the content (ignoring `serial`) is what is
/// stored, and otherwise writes a serial past the stored one, which it returns. A write over a
/// state of another lineage is refused.
#[async_trait]
pub trait Backend: Send + Sync {
    /// A short description for messages: `local state terraform.tfstate`.
    fn name(&self) -> String;
    /// The stored state, or `None` when there is none yet.
    async fn read(&self) -> Result<Option<State>, StateError>;
    /// Persists `state`; returns the serial now stored.
    async fn write(&self, state: &State) -> Result<u64, StateError>;
    /// Takes the lock for `info.id`. With a zero timeout fails at once with
    /// [`StateError::Locked`] naming the holder; otherwise retries until the timeout.
    async fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<(), StateError>;
    /// Releases a lock this backend took with `id`.
    async fn unlock(&self, id: &str) -> Result<(), StateError>;
    /// Removes the lock recorded with `id`, whoever took it, if it can be removed.
    async fn force_unlock(&self, id: &str) -> Result<(), StateError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_info_is_filled_in_and_serialises_as_terraform_does() {
        let info = LockInfo::new("OperationTypeApply");
        assert_eq!(info.id.len(), 36);
        assert!(info.who.contains('@'), "{}", info.who);
        assert!(
            info.created.ends_with('Z') && info.created.contains('T'),
            "{}",
            info.created
        );
        assert_ne!(LockInfo::new("x").id, info.id);
        let json = serde_json::to_string(&info).unwrap();
        let keys: Vec<&str> = [
            "\"ID\"",
            "\"Operation\"",
            "\"Info\"",
            "\"Who\"",
            "\"Version\"",
            "\"Created\"",
            "\"Path\"",
        ]
        .into_iter()
        .collect();
        let positions: Vec<usize> = keys.iter().map(|k| json.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{json}");
        // What Terraform wrote reads back.
        let tf = r#"{"ID":"1c8ba4b4-a00f-efdd-9446-f83229ba8f55","Operation":"OperationTypeInvalid","Info":"","Who":"root@vm","Version":"1.11.4","Created":"2026-11-23T23:41:24.185069313Z","Path":"terraform.tfstate"}"#;
        let read: LockInfo = serde_json::from_str(tf).unwrap();
        assert_eq!(read.id, "1c8ba4b4-a00f-efdd-9446-f83229ba8f55");
        assert_eq!(read.who, "root@vm");
        assert_eq!(read.path, "terraform.tfstate");
    }
}
