//! The append-only operation journal that makes applies crash-safe.
//!
//! The executor writes one record before every operation starts and one when it ends, to a file
//! beside the state (the caller picks the path, e.g. `terraform.tfstate.journal`). A run that
//! crashes leaves the journal behind; [`recover`] reads it and [`Recovered::replay`] folds it into
//! the last persisted state so that nothing the run created is forgotten: finished operations set
//! their result, unfinished ones are recorded conservatively (tainted), so the next plan replaces
//! or deletes whatever may exist.
//!
//! Format: one record per line, `<fnv1a-64 of the JSON, 16 hex digits> <JSON>\n`. A last line that
//! is torn (no newline, bad checksum, unparsable) ends the journal and is ignored.
//!
//! Durability: [`Journal::append`] with `durable = true` returns only once the record (and every
//! record before it) is on disk; concurrent durable appends share one `fsync` (group commit).
//! Non-durable records reach the disk with the next durable record, a [`Journal::flush`], or the
//! end of the run. Those written with [`Journal::write_maybe_later`] (operations on objects that
//! live only in the state) may not even reach the file until then: a crash can lose them, and
//! with them nothing that exists outside the state. This module knows nothing of providers or plans; it only reads and writes
//! [`State`] through `set_instance`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::addr::InstanceAddr;
use crate::state::{InstanceState, State};

/// What an operation does to the real world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Create,
    Update,
    Delete,
}

/// One journal record.
// Records live only while they are written or replayed: boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A run begins against the state of this lineage and serial.
    Begin {
        run_id: String,
        lineage: String,
        serial: u64,
    },
    /// An operation is about to start.
    Start {
        seq: u64,
        addr: InstanceAddr,
        provider: String,
        kind: OpKind,
        /// For a delete: the object deleted is not the one in the address's slot but a deposed
        /// one (the old object of a create-before-destroy replacement).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        deposed: bool,
        /// The object before the operation: the one updated or deleted, or for a create the one
        /// it deposes (create-before-destroy). Replay relies on it alone, not on the state it is
        /// replayed onto.
        prior: Option<InstanceState>,
        /// The planned object (attributes as JSON, unknowns as null), for creates and updates.
        planned: Option<InstanceState>,
    },
    /// An operation finished; `result` is the new object, `None` after a delete.
    Done {
        seq: u64,
        result: Option<InstanceState>,
    },
    /// An operation failed without changing anything.
    Failed { seq: u64, message: String },
    /// The run ended and its final state was persisted.
    End { ok: bool },
}

#[derive(Debug, Error)]
pub enum JournalError {
    #[error("cannot write journal {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("journal {path} belongs to state lineage {journal}, not {state}")]
    Lineage {
        path: String,
        journal: String,
        state: String,
    },
    #[error("cannot encode journal record: {0}")]
    Encode(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// FNV-1a, 64 bits: enough to recognise a torn or garbled line.
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Encodes one record as a journal line (with its newline).
pub fn encode(rec: &Record) -> Result<String, JournalError> {
    let json = serde_json::to_string(rec).map_err(|e| JournalError::Encode(e.to_string()))?;
    Ok(format!("{:016x} {json}\n", checksum(json.as_bytes())))
}

/// Decodes one line (without its newline); `None` if it is torn or garbled.
fn decode(line: &str) -> Option<Record> {
    let (sum, json) = line.split_once(' ')?;
    let sum = u64::from_str_radix(sum, 16).ok()?;
    if sum != checksum(json.as_bytes()) {
        return None;
    }
    serde_json::from_str(json).ok()
}

struct Writer {
    file: File,
    /// Records waiting in memory: those of operations without side effects outside this
    /// process (on objects that live only in the state), which go to the file with the next
    /// record written through, the next sync, or once [`PENDING_MAX`] bytes wait. A crash
    /// that loses them loses no object that exists anywhere else.
    pending: Vec<u8>,
    /// Number of records written (not necessarily synced).
    written: u64,
}

/// The most bytes of records kept waiting in memory.
const PENDING_MAX: usize = 64 * 1024;

impl Writer {
    fn write_pending(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            self.file.write_all(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }
}

/// Records still waiting when the journal is closed reach the file (best effort: the run that
/// closes it without removing it reports its own errors).
impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.write_pending();
    }
}

/// An open journal, shared by the executor's tasks.
pub struct Journal {
    path: PathBuf,
    writer: Mutex<Writer>,
    /// A second handle on the file, so an `fsync` does not block writers.
    sync_file: File,
    /// Number of records known to be on disk.
    synced: Mutex<u64>,
    /// Number of `fsync`s made.
    syncs: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

impl Journal {
    /// Creates (or truncates) the journal at `path`. The file's existence is made durable.
    pub fn create(path: &Path) -> Result<Journal, JournalError> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)
            .map_err(io_err(path))?;
        let sync_file = file.try_clone().map_err(io_err(path))?;
        file.sync_all().map_err(io_err(path))?;
        sync_dir(path);
        Ok(Journal {
            path: path.to_path_buf(),
            writer: Mutex::new(Writer {
                file,
                pending: Vec::new(),
                written: 0,
            }),
            sync_file,
            synced: Mutex::new(0),
            syncs: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many `fsync`s this journal made (records share them through group commit).
    pub fn sync_count(&self) -> u64 {
        self.syncs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Appends a record. A durable record is on disk, with every record before it, when this
    /// returns; a non-durable one is group-committed later.
    pub fn append(&self, rec: &Record, durable: bool) -> Result<(), JournalError> {
        let ticket = self.write(rec)?;
        if durable {
            self.sync_to(ticket)
        } else {
            Ok(())
        }
    }

    /// Writes a record without waiting for the disk; returns the ticket to pass to
    /// [`Journal::sync_to`] to make it durable.
    pub fn write(&self, rec: &Record) -> Result<u64, JournalError> {
        self.write_maybe_later(rec, true)
    }

    /// [`Journal::write`]; unless `through`, the record may wait in memory (with others) until
    /// the next record written through or the next sync: for operations whose objects live
    /// only in the state, a system call per record was most of the journal's cost.
    pub fn write_maybe_later(&self, rec: &Record, through: bool) -> Result<u64, JournalError> {
        let line = encode(rec)?;
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.pending.extend_from_slice(line.as_bytes());
        if through || w.pending.len() >= PENDING_MAX {
            w.write_pending().map_err(io_err(&self.path))?;
        }
        w.written += 1;
        Ok(w.written)
    }

    /// Makes every record written so far durable.
    pub fn flush(&self) -> Result<(), JournalError> {
        let n = self
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .written;
        self.sync_to(n)
    }

    /// Makes the record of `ticket` (and every one before it) durable. Group commit: one
    /// `fsync` covers every record written before it started.
    pub fn sync_to(&self, n: u64) -> Result<(), JournalError> {
        let mut synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        if *synced >= n {
            return Ok(());
        }
        let target = {
            let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            w.write_pending().map_err(io_err(&self.path))?;
            w.written
        };
        self.sync_file.sync_data().map_err(io_err(&self.path))?;
        self.syncs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *synced = target;
        Ok(())
    }

    /// Deletes the journal file (after the run ended and its state was persisted).
    pub fn remove(self) -> Result<(), JournalError> {
        self.writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending
            .clear();
        discard(&self.path)
    }
}

/// Deletes a journal file; a missing file is fine.
pub fn discard(path: &Path) -> Result<(), JournalError> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            sync_dir(path);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Makes a file's creation or removal durable (best effort: not every platform can open a
/// directory).
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads every intact record of a journal, stopping at the first torn or garbled line.
/// Returns the records and whether something was ignored.
pub fn read(path: &Path) -> Result<Option<(Vec<Record>, bool)>, JournalError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut reader = BufReader::new(file);
    let mut records = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(io_err(path))?;
        if n == 0 {
            return Ok(Some((records, false)));
        }
        let complete = buf.last() == Some(&b'\n');
        let rec = if complete {
            std::str::from_utf8(&buf[..buf.len() - 1])
                .ok()
                .and_then(decode)
        } else {
            None
        };
        match rec {
            Some(r) => records.push(r),
            None => return Ok(Some((records, true))),
        }
    }
}

/// What a crashed run left behind.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovered {
    pub path: PathBuf,
    pub run_id: String,
    pub lineage: String,
    pub serial: u64,
    pub records: Vec<Record>,
    /// A torn or garbled last line was ignored.
    pub torn: bool,
}

/// An object that may exist in the real world but that no state slot can hold: the old object of
/// a create-before-destroy replacement whose new object took its address. Delete it (or report
/// it) after recovery.
#[derive(Clone, Debug, PartialEq)]
pub struct Orphan {
    pub addr: InstanceAddr,
    pub provider: String,
    pub object: InstanceState,
}

/// Reads the journal at `path` if it was left by a run that did not end. `None` when there is no
/// journal, it is empty, or its run ended.
pub fn recover(path: &Path) -> Result<Option<Recovered>, JournalError> {
    let Some((records, torn)) = read(path)? else {
        return Ok(None);
    };
    if records.iter().any(|r| matches!(r, Record::End { .. })) {
        return Ok(None);
    }
    let Some(Record::Begin {
        run_id,
        lineage,
        serial,
    }) = records.first().cloned()
    else {
        // Nothing was recorded (not even the beginning): nothing to recover.
        return Ok(None);
    };
    Ok(Some(Recovered {
        path: path.to_path_buf(),
        run_id,
        lineage,
        serial,
        records,
        torn,
    }))
}

struct Open {
    addr: InstanceAddr,
    kind: OpKind,
    deposed: bool,
    prior: Option<InstanceState>,
}

impl Recovered {
    /// Folds the journal into `state`: the last state persisted before the crash, or the state
    /// the run began with (replay only depends on the journal for the addresses it touches, so
    /// either gives the same result). Finished operations set their result; an operation that
    /// started and never finished is recorded so that nothing is lost: a create becomes a tainted
    /// object with the planned attributes, an update or a delete keeps the prior object, tainted.
    /// Returns the objects that may exist but have no slot.
    pub fn replay(&self, state: &mut State) -> Result<Vec<Orphan>, JournalError> {
        if state.lineage != self.lineage {
            return Err(JournalError::Lineage {
                path: self.path.display().to_string(),
                journal: self.lineage.clone(),
                state: state.lineage.clone(),
            });
        }
        let mut open: HashMap<u64, Open> = HashMap::new();
        let mut deposed: Vec<Orphan> = Vec::new();
        let mut providers: HashMap<InstanceAddr, String> = HashMap::new();
        let depose = |deposed: &mut Vec<Orphan>,
                      addr: &InstanceAddr,
                      provider: &str,
                      obj: &InstanceState| {
            if !deposed
                .iter()
                .any(|o| &o.addr == addr && same(&o.object, obj))
            {
                deposed.push(Orphan {
                    addr: addr.clone(),
                    provider: provider.to_string(),
                    object: obj.clone(),
                });
            }
        };
        let undepose = |deposed: &mut Vec<Orphan>, addr: &InstanceAddr, obj: &InstanceState| {
            deposed.retain(|d| !(&d.addr == addr && same(&d.object, obj)));
        };
        for rec in &self.records {
            match rec {
                Record::Begin { .. } | Record::End { .. } => {}
                Record::Start {
                    seq,
                    addr,
                    provider,
                    kind,
                    deposed: dep,
                    prior,
                    planned,
                } => {
                    providers.insert(addr.clone(), provider.clone());
                    match (kind, prior) {
                        // A create with a prior object: create-before-destroy, the old object is
                        // deposed and the new one takes the address.
                        (OpKind::Create, _) => {
                            if let Some(p) = prior {
                                depose(&mut deposed, addr, provider, p);
                            }
                            let planned = planned.clone().unwrap_or_default();
                            state.set_instance(addr, provider, Some(taint(planned)));
                        }
                        (OpKind::Delete, Some(p)) if *dep => {
                            depose(&mut deposed, addr, provider, p)
                        }
                        (OpKind::Update | OpKind::Delete, Some(p)) => {
                            state.set_instance(addr, provider, Some(taint(p.clone())));
                        }
                        (OpKind::Update | OpKind::Delete, None) => {}
                    }
                    open.insert(
                        *seq,
                        Open {
                            addr: addr.clone(),
                            kind: *kind,
                            deposed: *dep,
                            prior: prior.clone(),
                        },
                    );
                }
                Record::Done { seq, result } => {
                    let Some(o) = open.remove(seq) else { continue };
                    let provider = providers.get(&o.addr).cloned().unwrap_or_default();
                    if o.kind == OpKind::Delete && o.deposed {
                        if let Some(p) = &o.prior {
                            undepose(&mut deposed, &o.addr, p);
                        }
                    } else {
                        state.set_instance(&o.addr, &provider, result.clone());
                    }
                }
                Record::Failed { seq, .. } => {
                    let Some(o) = open.remove(seq) else { continue };
                    let provider = providers.get(&o.addr).cloned().unwrap_or_default();
                    match o.kind {
                        OpKind::Delete if o.deposed => {}
                        OpKind::Create => {
                            // Nothing was created; a deposed prior object takes its slot back.
                            if let Some(p) = &o.prior {
                                undepose(&mut deposed, &o.addr, p);
                            }
                            state.set_instance(&o.addr, &provider, o.prior);
                        }
                        OpKind::Update | OpKind::Delete => {
                            state.set_instance(&o.addr, &provider, o.prior);
                        }
                    }
                }
            }
        }
        // A deposed object whose address ended up empty takes its slot back.
        let mut orphans = Vec::new();
        for d in deposed {
            if state.instance(&d.addr).is_none() {
                state.set_instance(&d.addr, &d.provider, Some(d.object));
            } else {
                orphans.push(d);
            }
        }
        Ok(orphans)
    }
}
fn taint(mut i: InstanceState) -> InstanceState {
    i.tainted = true;
    i
}

/// The same object, ignoring the taint flag.
fn same(a: &InstanceState, b: &InstanceState) -> bool {
    a.attributes == b.attributes
}
