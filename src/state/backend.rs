//! Where state lives, behind one [`Backend`] trait: read a snapshot, write atomically, lock.

use serde::{Deserialize, Serialize};

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

/// A place state lives.
pub trait Backend: Send + Sync {}
