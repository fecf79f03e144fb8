//! The local backend: state in a file (`terraform.tfstate` by default), as Terraform keeps it.
//!
//! Writing: the new state goes to a temporary file in the same directory as it is serialised
//! (never held whole in memory), is flushed to disk and
//! renamed over the old one, then the directory is flushed; a reader sees the old state or the
//! new one, never a mix. The first write of a backend's life keeps the previous file as
//! `<path>.backup`, as Terraform does.
//!
//! Locking is Terraform's: an OS write lock on the state file itself (so cairn and Terraform
//! exclude each other), and the holder's [`LockInfo`] in `.<name>.lock.info` beside it. On Linux
//! the lock is an open-file-description lock (`F_OFD_SETLK`), which conflicts with Terraform's
//! `fcntl` lock, belongs to one open file (two backends in one process exclude each other) and is
//! released by the kernel when its holder dies, so a process killed with -9 blocks no one. Since
//! writes replace the file, a lock holder also locks each file it writes before renaming it into
//! place, and a locker checks that the file it locked is still the one at the path.
//! Elsewhere the lock is `flock`-style (`File::try_lock`): cairn processes exclude each other.
//!
//! One hazard is Terraform's own: a Terraform that waits for the lock (`-lock-timeout`) keeps the
//! file it opened when it started waiting and reads and writes through it. If cairn replaced the
//! file meanwhile, that Terraform, once it gets the lock, works on the replaced (stale) file.
//! Terraform writes in place and so never meets this with itself; we keep atomic replacement.
//!
//! Reading takes no lock: plan reads a snapshot while an apply holds the lock. A snapshot of a
//! large file is read a piece at a time (`format::read_pieces`), never held whole.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use super::{Backend, LockInfo};
use crate::state::{InstanceState, State, StateError, TERRAFORM_VERSION, format};

/// How many files (each a state file this lock holder replaced) stay locked at most: enough to
/// keep out a Terraform that opened an older one while it waits, without holding a descriptor
/// per write of a long apply.
const MAX_LOCKED_FILES: usize = 32;

/// State in a local file.
#[derive(Clone)]
pub struct LocalBackend {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// The lock this backend holds, if any.
    held: Mutex<Option<Held>>,
    /// Serialises writes; remembers whether the backup was made.
    write: Mutex<WriteState>,
}

#[derive(Default)]
struct WriteState {
    backed_up: bool,
    /// What this backend wrote last, to skip reading it back while the file is unchanged.
    last: Option<Written>,
}

struct Written {
    stamp: Option<Stamp>,
    lineage: String,
    serial: u64,
    digest: [u8; 32],
}

struct Held {
    info: LockInfo,
    /// Every file locked under this lock: the state file when locked, then each one written.
    /// Closing them releases the lock.
    files: Vec<File>,
    /// The state file did not exist and locking created it (empty).
    created: bool,
}

impl Default for LocalBackend {
    fn default() -> LocalBackend {
        LocalBackend::new("terraform.tfstate")
    }
}

impl LocalBackend {
    /// A backend for the state file at `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend {
            inner: Arc::new(Inner {
                path: path.into(),
                held: Mutex::new(None),
                write: Mutex::new(WriteState::default()),
            }),
        }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Where the previous state is kept: `<path>.backup`.
    pub fn backup_path(&self) -> PathBuf {
        self.inner.backup_path()
    }

    /// Where the lock holder is recorded: `.<name>.lock.info` beside the state file.
    pub fn lock_info_path(&self) -> PathBuf {
        self.inner.lock_info_path()
    }

    /// Writes `state` as [`Backend::write`] does, on a blocking thread: the caller's thread goes
    /// on with other work meanwhile.
    pub async fn write_owned(&self, state: State) -> Result<u64, StateError> {
        self.blocking(move |i| i.write_state(&state)).await
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StateError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| StateError::Backend(format!("state file task failed: {e}")))?
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn name(&self) -> String {
        format!("local state {}", self.inner.path.display())
    }

    async fn read(&self) -> Result<Option<State>, StateError> {
        self.blocking(Inner::read_snapshot).await
    }

    async fn write(&self, state: &State) -> Result<u64, StateError> {
        // On the CLI's multi-threaded runtime the write borrows the state where it is, so a large
        // state is not copied to be written; elsewhere a copy goes to a blocking thread.
        if tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
        {
            return tokio::task::block_in_place(|| self.inner.write_state(state));
        }
        let state = state.clone();
        self.blocking(move |i| i.write_state(&state)).await
    }

    async fn lock(&self, info: &LockInfo, timeout: Duration) -> Result<(), StateError> {
        // Held by this very backend: waiting would not help.
        if let Some(h) = guard(&self.inner.held).as_ref() {
            return Err(StateError::Locked(Box::new(h.info.clone())));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut delay = Duration::from_millis(20);
        loop {
            let attempt = info.clone();
            match self.blocking(move |i| i.try_lock(&attempt)).await {
                Err(StateError::Locked(holder)) => {
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        return Err(StateError::Locked(holder));
                    }
                    tokio::time::sleep(delay.min(deadline - now)).await;
                    delay = (delay * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let id = id.to_string();
        self.blocking(move |i| i.unlock(&id)).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let id = id.to_string();
        self.blocking(move |i| i.force_unlock(&id)).await
    }
}

fn guard<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the guard leaves plain data behind; carry on with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    fn display(&self) -> String {
        self.path.display().to_string()
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "terraform.tfstate".to_string())
    }

    fn backup_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".backup");
        PathBuf::from(p)
    }

    fn lock_info_path(&self) -> PathBuf {
        self.dir().join(format!(".{}.lock.info", self.file_name()))
    }

    fn read_err(&self, source: io::Error) -> StateError {
        StateError::Read {
            path: self.display(),
            source,
        }
    }

    fn write_err(&self, source: io::Error) -> StateError {
        StateError::Write {
            path: self.display(),
            source,
        }
    }

    /// The stored state, as [`Inner::read_stored`] gives it; a large file is read a piece at
    /// a time and never held whole ([`format::read_pieces`]).
    fn read_snapshot(&self) -> Result<Option<State>, StateError> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.read_err(e)),
        };
        let len = file.metadata().map_err(|e| self.read_err(e))?.len();
        if len >= 1 << 20
            && let Some(state) =
                format::read_pieces(&mut file, &self.display()).map_err(|e| self.read_err(e))?
        {
            return state.map(Some);
        }
        Ok(self.read_stored()?.map(|(_, s)| s))
    }

    /// The stored bytes and state; `None` when there is no file or it is empty (as Terraform
    /// leaves it after locking a state that does not exist yet).
    fn read_stored(&self) -> Result<Option<(Vec<u8>, State)>, StateError> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.read_err(e)),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let state = format::read(&bytes, &self.display())?;
        Ok(Some((bytes, state)))
    }

    fn write_state(&self, state: &State) -> Result<u64, StateError> {
        let mut ws = guard(&self.write);
        let current = stamp(&self.path);
        let last = ws
            .last
            .take()
            .filter(|w| current.is_some() && current == w.stamp);
        let serial = match last {
            // The file is still the one this backend wrote last: no need to read it back.
            Some(w) => {
                self.check_lineage(&w.lineage, state)?;
                if content_digest(state, w.serial) == w.digest {
                    let serial = w.serial;
                    ws.last = Some(w);
                    return Ok(serial);
                }
                if !ws.backed_up {
                    // The first change of this backend's life keeps the file it replaces.
                    let old = fs::read(&self.path).map_err(|e| self.read_err(e))?;
                    replace_file(&self.backup_path(), &old, None).map_err(|source| {
                        StateError::Write {
                            path: self.backup_path().display().to_string(),
                            source,
                        }
                    })?;
                    ws.backed_up = true;
                }
                state.serial.max(w.serial) + 1
            }
            None => {
                // A stored state we cannot read is an error: never overwrite what we do not
                // understand.
                let stored = self.read_stored()?;
                let serial = match &stored {
                    Some((_, old)) => {
                        self.check_lineage(&old.lineage, state)?;
                        if same_content(old, state) {
                            return Ok(old.serial);
                        }
                        state.serial.max(old.serial) + 1
                    }
                    None => state.serial + 1,
                };
                if !ws.backed_up
                    && let Some((old_bytes, _)) = &stored
                {
                    replace_file(&self.backup_path(), old_bytes, None).map_err(|source| {
                        StateError::Write {
                            path: self.backup_path().display().to_string(),
                            source,
                        }
                    })?;
                    ws.backed_up = true;
                }
                serial
            }
        };
        // The text goes to the file as it is produced (a large state is never held whole),
        // hashed on the way for the next write's comparison.
        let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
        let mut write = |file: &mut File| {
            format::write_as_to(state, TERRAFORM_VERSION, serial, &mut |chunk| {
                sha2::Digest::update(&mut hasher, chunk);
                file.write_all(chunk)
            })
        };
        let mut held = guard(&self.held);
        match held.as_mut() {
            Some(h) => {
                let f = replace_file_with(&self.path, Some(os::try_lock), &mut write)
                    .map_err(|e| self.write_err(e))?;
                h.files.extend(f);
                if h.files.len() > MAX_LOCKED_FILES {
                    // Keep the file locked first and the newest; let the oldest replaced go.
                    h.files.remove(1);
                }
            }
            None => {
                replace_file_with(&self.path, None, &mut write).map_err(|e| self.write_err(e))?;
            }
        }
        let digest = if sensitive_paths_sorted(state) {
            sha2::Digest::finalize(hasher).into()
        } else {
            content_digest(state, serial)
        };
        ws.last = stamp(&self.path).map(|st| Written {
            stamp: Some(st),
            lineage: state.lineage.clone(),
            serial,
            digest,
        });
        Ok(serial)
    }

    fn check_lineage(&self, stored: &str, state: &State) -> Result<(), StateError> {
        if !stored.is_empty() && stored != state.lineage {
            return Err(StateError::LineageMismatch {
                path: self.display(),
                stored: stored.to_string(),
                given: state.lineage.clone(),
            });
        }
        Ok(())
    }

    fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let mut held = guard(&self.held);
        if let Some(h) = held.as_ref() {
            return Err(StateError::Locked(Box::new(h.info.clone())));
        }
        fs::create_dir_all(self.dir()).map_err(|e| self.write_err(e))?;
        // The file may be replaced (by a holder's write) or removed (by a holder's unlock)
        // between our open and our lock: then we locked a file no longer at the path. Retry.
        for _ in 0..100 {
            let (file, created) = open_or_create(&self.path).map_err(|e| self.write_err(e))?;
            if !os::try_lock(&file).map_err(|e| self.write_err(e))? {
                return Err(StateError::Locked(Box::new(self.holder())));
            }
            if !is_at(&file, &self.path) {
                continue;
            }
            let mut info = info.clone();
            info.path = self.display();
            let json = serde_json::to_vec(&info)
                .map_err(|e| StateError::Backend(format!("cannot encode lock info: {e}")))?;
            replace_file(&self.lock_info_path(), &json, None).map_err(|source| {
                StateError::Write {
                    path: self.lock_info_path().display().to_string(),
                    source,
                }
            })?;
            *held = Some(Held {
                info,
                files: vec![file],
                created,
            });
            return Ok(());
        }
        Err(StateError::Backend(format!(
            "cannot lock {}: the file keeps being replaced",
            self.display()
        )))
    }

    /// The lock holder as recorded beside the state; a placeholder when the record is missing
    /// or unreadable (the OS lock is what counts).
    fn holder(&self) -> LockInfo {
        match self.recorded_holder() {
            Ok(Some(info)) => info,
            Ok(None) => unknown_holder(&self.display(), "no lock info recorded"),
            Err(e) => unknown_holder(&self.display(), &e),
        }
    }

    fn recorded_holder(&self) -> Result<Option<LockInfo>, String> {
        let p = self.lock_info_path();
        match fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| format!("lock info {} is unreadable: {e}", p.display())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read lock info {}: {e}", p.display())),
        }
    }

    fn unlock(&self, id: &str) -> Result<(), StateError> {
        let mut held = guard(&self.held);
        match held.take() {
            None => Err(StateError::NotLocked(id.to_string())),
            Some(h) if h.info.id != id => {
                let holder = h.info.id.clone();
                *held = Some(h);
                Err(StateError::LockMismatch {
                    given: id.to_string(),
                    holder,
                })
            }
            Some(h) => self.release(h),
        }
    }

    fn release(&self, h: Held) -> Result<(), StateError> {
        let mut result = Ok(());
        if matches!(self.recorded_holder(), Ok(Some(i)) if i.id == h.info.id) {
            result = remove_if_present(&self.lock_info_path()).map_err(|e| self.write_err(e));
        }
        // A state file we created by locking and never wrote is removed again, as Terraform does.
        if h.created
            && let Some(first) = h.files.first()
            && is_at(first, &self.path)
            && fs::metadata(&self.path).is_ok_and(|m| m.len() == 0)
        {
            let _ = remove_if_present(&self.path);
        }
        drop(h.files);
        result
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        if guard(&self.held).as_ref().is_some_and(|h| h.info.id == id) {
            return self.unlock(id);
        }
        let info = match self.recorded_holder() {
            Ok(Some(info)) => info,
            Ok(None) => return Err(StateError::NotLocked(id.to_string())),
            Err(e) => return Err(StateError::Backend(e)),
        };
        if info.id != id {
            return Err(StateError::LockMismatch {
                given: id.to_string(),
                holder: info.id,
            });
        }
        let file = match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.write_err(e)),
        };
        if let Some(f) = &file
            && !os::try_lock(f).map_err(|e| self.write_err(e))?
        {
            return Err(StateError::Backend(format!(
                "lock {id} on {} is held by a running process ({}, {} since {}); the operating \
                 system releases it when that process ends",
                self.display(),
                info.who,
                info.operation,
                info.created
            )));
        }
        // The holder is gone: only its record is left.
        remove_if_present(&self.lock_info_path()).map_err(|e| self.write_err(e))?;
        drop(file);
        Ok(())
    }
}

fn unknown_holder(path: &str, why: &str) -> LockInfo {
    LockInfo {
        id: String::new(),
        operation: String::new(),
        info: format!("the lock is held, but its holder is unknown: {why}"),
        who: "unknown".to_string(),
        version: String::new(),
        created: String::new(),
        path: path.to_string(),
    }
}

/// Whether two states hold the same content, ignoring serial and the writer's version (and
/// the order of sensitive paths, which Terraform writes in no fixed order).
/// Whether two states would be stored alike, serial and Terraform version aside. Compared
/// structurally first; states that differ only in how numbers or the order of sensitive paths
/// are held compare by their serialised form.
fn same_content(a: &State, b: &State) -> bool {
    fn live(s: &State) -> Vec<(&crate::addr::ResourceAddr, &crate::state::ResourceState)> {
        s.resources
            .iter()
            .filter(|(_, r)| !r.instances.is_empty())
            .collect()
    }
    let (ra, rb) = (live(a), live(b));
    if a.lineage != b.lineage || ra.len() != rb.len() {
        return false;
    }
    let same_resources = ra.iter().zip(&rb).all(|((ka, a), (kb, b))| {
        ka == kb
            && a.provider == b.provider
            && a.instances.len() == b.instances.len()
            && a.instances
                .iter()
                .zip(&b.instances)
                .all(|((ka, a), (kb, b))| ka == kb && same_instance(a, b))
    });
    if same_resources && a.outputs == b.outputs {
        return true;
    }
    let norm = |s: &State| format::write_as(s, "", 0);
    norm(a) == norm(b)
}

fn same_instance(a: &InstanceState, b: &InstanceState) -> bool {
    let sorted = |v: &[cairn_provider::ValuePath]| {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    a.attributes == b.attributes
        && a.schema_version == b.schema_version
        && a.tainted == b.tainted
        && a.create_before_destroy == b.create_before_destroy
        && a.private == b.private
        && (a.sensitive_paths == b.sensitive_paths
            || sorted(&a.sensitive_paths) == sorted(&b.sensitive_paths))
        && (a.dependencies == b.dependencies
            || a.recorded_dependencies() == b.recorded_dependencies())
}

/// What identifies one version of the state file: a replaced file is a new inode.
#[derive(Clone, Debug, PartialEq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = fs::metadata(path).ok()?;
    Some(Stamp {
        len: m.len(),
        modified: m.modified().ok(),
        #[cfg(unix)]
        inode: {
            use std::os::unix::fs::MetadataExt as _;
            (m.dev(), m.ino())
        },
    })
}

/// A digest of what `state` stores (its serialisation with `serial`, hashed as it is produced)
/// that the order of sensitive paths does not change.
fn content_digest(state: &State, serial: u64) -> [u8; 32] {
    use sha2::Digest as _;
    let hash = |s: &State| {
        let mut h = sha2::Sha256::new();
        let _ = format::write_as_to(s, TERRAFORM_VERSION, serial, &mut |chunk| {
            h.update(chunk);
            Ok(())
        });
        h.finalize().into()
    };
    if sensitive_paths_sorted(state) {
        return hash(state);
    }
    let mut s = state.clone();
    for r in s.resources.values_mut() {
        for i in r.instances.values_mut() {
            i.sensitive_paths.sort();
            i.sensitive_paths.dedup();
        }
    }
    hash(&s)
}

/// Whether every instance's sensitive paths are sorted and distinct (then the written text is
/// the content's digest as it stands).
fn sensitive_paths_sorted(state: &State) -> bool {
    let sorted = |i: &InstanceState| i.sensitive_paths.windows(2).all(|w| w[0] < w[1]);
    state
        .resources
        .values()
        .flat_map(|r| r.instances.values())
        .all(sorted)
}

fn remove_if_present(p: &Path) -> io::Result<()> {
    match fs::remove_file(p) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn open_or_create(path: &Path) -> io::Result<(File, bool)> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => Ok((f, true)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Ok((OpenOptions::new().read(true).write(true).open(path)?, false))
        }
        Err(e) => Err(e),
    }
}

/// Whether `file` is (still) the file at `path`.
fn is_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// Atomically replaces `path` with `bytes`: a temporary file beside it, flushed, renamed over,
/// and the directory flushed. The file keeps the permissions of the one it replaces. With
/// `lock`, the new file is locked before it takes the path, and returned (closing it releases
/// the lock).
fn replace_file(
    path: &Path,
    bytes: &[u8],
    lock: Option<fn(&File) -> io::Result<bool>>,
) -> io::Result<Option<File>> {
    replace_file_with(path, lock, &mut |file: &mut File| file.write_all(bytes))
}

/// [`replace_file`] with the contents written by `write`.
fn replace_file_with(
    path: &Path,
    lock: Option<fn(&File) -> io::Result<bool>>,
    write: &mut dyn FnMut(&mut File) -> io::Result<()>,
) -> io::Result<Option<File>> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(".lock.info"))
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    let result = (|| {
        if let Ok(meta) = fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        if let Some(lock) = lock
            && !lock(&file)?
        {
            return Err(io::Error::other("cannot lock the new state file"));
        }
        write(&mut file)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(&dir)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(lock.map(|_| file))
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The OS lock on a whole file, exclusive, never waiting.
mod os {
    use std::fs::File;
    use std::io;

    /// Takes an open-file-description write lock; `false` when someone else holds one (or
    /// Terraform holds its `fcntl` lock).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn try_lock(f: &File) -> io::Result<bool> {
        use std::os::fd::AsRawFd as _;
        // SAFETY: `flock` is plain data, valid when zeroed (l_pid must be 0 for OFD locks).
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = libc::F_WRLCK as _;
        fl.l_whence = libc::SEEK_SET as _;
        fl.l_start = 0;
        fl.l_len = 0;
        // SAFETY: the descriptor is open for as long as `f` lives; `fl` is a valid flock.
        let rc = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_OFD_SETLK, &fl) };
        if rc == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EACCES) => Ok(false),
            _ => Err(e),
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub fn try_lock(f: &File) -> io::Result<bool> {
        match f.try_lock() {
            Ok(()) => Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => Ok(false),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
