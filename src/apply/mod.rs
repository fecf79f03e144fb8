//! The executor: runs a [`Plan`](crate::plan::Plan) through the providers with [`apply`].
//!
//! - Order: creates and updates go in dependency order, deletes in reverse, up to `parallelism`
//!   at a time on a tokio `JoinSet` (and up to a provider configuration's own limit, set with
//!   [`ProviderMap::limit`], for its operations); a delete-then-create replacement deletes with the deletes and
//!   creates with the creates (see `exec`). Ordering is kept per resource with counters, never
//!   as instance-to-instance edges.
//! - Unknowns: a planned value still waiting for other resources' results is completed by a
//!   [`Replanner`] once they are applied; this module does not evaluate configuration.
//! - Crash safety: every operation is recorded in the [`journal`] before it starts and when it
//!   ends. The start record is on disk before an operation with external side effects begins;
//!   other records are group-committed (those of operations without such effects may wait in
//!   memory until then). A crashed run is recovered with [`journal::recover`] and
//!   [`journal::Recovered::replay`]; a run refuses to start while such a journal is present.
//! - Persistence: the state goes to a [`StateSink`] at the end of the run and at most every
//!   `persist_interval` during it (never once per operation, and not again within ten times the
//!   last write's duration, nor before ten times what the first is expected to take; a copy of
//!   the state, written while operations go on), its serial
//!   raised on each write of a changed state. The journal is
//!   committed every interval and removed once the final state is saved.
//! - Failure: dispatch stops, in-flight operations finish, and (unless rollback is off) every
//!   completed operation of the run is undone, most recent first. The final state records what
//!   exists, whatever happened.
//!
//! The only module that calls a provider's `apply` or writes state. It knows nothing of
//! configuration and never prints: progress goes out as [`Event`]s on a channel.

mod exec;
pub mod journal;
mod op;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cairn_provider::schema::ObjectTypes;
use cairn_provider::{Provider, ProviderSchema, ResourceSchema, Schema, Type, Value};

use crate::addr::InstanceAddr;
use crate::plan::{Action, ResourceChange};
use crate::state::{State, StateError};

pub use exec::apply;

/// What the executor reports as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An operation started (`action` is the planned action; a replace reports once).
    Started { addr: InstanceAddr, action: Action },
    /// An operation finished. `id` is the object's `id` attribute when it has one.
    Completed {
        addr: InstanceAddr,
        action: Action,
        elapsed: Duration,
        id: Option<String>,
    },
    /// An operation is still running (sent every 10 s of an operation).
    StillRunning {
        addr: InstanceAddr,
        action: Action,
        elapsed: Duration,
    },
    /// An operation failed; `message` is the provider's error.
    Failed {
        addr: InstanceAddr,
        action: Action,
        message: String,
    },
    /// Rollback begins: `count` operations will be undone.
    RollbackStarted { count: usize },
    /// One completed operation was undone (`action` is the undo: delete, update or create).
    RolledBack { addr: InstanceAddr, action: Action },
    /// An operation could not be undone; the object stays as it is and state records it.
    RollbackFailed { addr: InstanceAddr, message: String },
}

/// A state write going on.
pub type Persisting<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StateError>> + Send + 'a>>;

/// Where the executor persists state.
#[async_trait::async_trait]
pub trait StateSink: Send + Sync {
    async fn persist(&self, state: &State) -> Result<(), StateError>;

    /// Persists a copy of the state without holding up the thread that asks: the writes in the
    /// middle of a run go on while operations are dispatched. By default, [`Self::persist`].
    fn persist_snapshot(&self, state: State) -> Persisting<'_> {
        Box::pin(async move { self.persist(&state).await })
    }
}

/// Computes the final planned value of a change whose planned value still holds unknowns that
/// come from other resources (`input = random_id.a.hex`), once those resources are applied.
/// The engine implements it by re-evaluating the configuration against `state`.
#[async_trait::async_trait]
pub trait Replanner: Send + Sync {
    async fn replan(&self, change: &ResourceChange, state: &State) -> Result<Value, String>;
    /// Checks what must hold of an object once it is applied (its postconditions); an error
    /// fails the operation, and so the run.
    fn check_applied(&self, _change: &ResourceChange, _state: &State) -> Result<(), String> {
        Ok(())
    }
}

/// A [`Replanner`] that keeps the planned value as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoReplan;

#[async_trait::async_trait]
impl Replanner for NoReplan {
    async fn replan(&self, change: &ResourceChange, _state: &State) -> Result<Value, String> {
        Ok(change.after.clone().unwrap_or(Value::Null))
    }
}

#[derive(Clone)]
struct ProviderEntry {
    provider: Arc<dyn Provider>,
    schema: Arc<ProviderSchema>,
    /// The object type of each of its schemas, made once: every operation converts values
    /// with one.
    types: Arc<ObjectTypes>,
}

/// The configured providers of a run, by provider configuration address as it appears in
/// [`ResourceChange::provider`] (`provider["registry.terraform.io/hashicorp/random"]`), with
/// their schemas (read once, on insertion). Cheap to clone.
#[derive(Clone, Default)]
pub struct ProviderMap {
    entries: HashMap<String, ProviderEntry>,
    /// Per-configuration limits on operations at once (cairn's provider `parallelism`).
    limits: HashMap<String, usize>,
}

impl std::fmt::Debug for ProviderMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.entries.keys()).finish()
    }
}

impl ProviderMap {
    pub fn new() -> ProviderMap {
        ProviderMap::default()
    }
    /// Registers a configured provider under its configuration address.
    pub fn insert(&mut self, addr: impl Into<String>, provider: Arc<dyn Provider>) {
        let schema = provider.schema();
        let types = Arc::new(ObjectTypes::new(&schema));
        let entry = ProviderEntry {
            provider,
            schema: Arc::new(schema),
            types,
        };
        self.entries.insert(addr.into(), entry);
    }
    /// Lets at most `limit` operations (at least one) of the provider configuration at `addr`
    /// run at once, within the run's overall `parallelism`.
    pub fn limit(&mut self, addr: impl Into<String>, limit: usize) {
        self.limits.insert(addr.into(), limit.max(1));
    }
    /// The limit set with [`ProviderMap::limit`], if any.
    pub fn parallelism(&self, addr: &str) -> Option<usize> {
        self.limits.get(addr).copied()
    }
    pub fn get(&self, addr: &str) -> Option<&Arc<dyn Provider>> {
        self.entries.get(addr).map(|e| &e.provider)
    }
    /// The schema of a managed resource type of the provider at `addr`.
    pub fn resource_schema(&self, addr: &str, type_name: &str) -> Option<&ResourceSchema> {
        self.entries.get(addr)?.schema.resources.get(type_name)
    }
    /// The object type of a managed resource type's schema of the provider at `addr`.
    pub fn resource_type(&self, addr: &str, type_name: &str) -> Option<&Type> {
        self.entries.get(addr)?.types.resource(type_name)
    }
    /// The object type of a data source's schema of the provider at `addr`.
    pub fn data_type(&self, addr: &str, type_name: &str) -> Option<&Type> {
        self.entries.get(addr)?.types.data_source(type_name)
    }
    /// The schema of a data source of the provider at `addr`.
    pub fn data_schema(&self, addr: &str, type_name: &str) -> Option<&Schema> {
        self.entries.get(addr)?.schema.data_sources.get(type_name)
    }
}

/// How the executor runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// How many operations run at once (at least one).
    pub parallelism: usize,
    /// Undo every completed operation of the run when one fails.
    pub rollback: bool,
    /// Where to keep the operation journal; `None` runs without one (no crash safety).
    pub journal: Option<PathBuf>,
    /// The longest time between two persists of the state during a run.
    pub persist_interval: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            parallelism: 10,
            rollback: true,
            journal: None,
            persist_interval: Duration::from_secs(5),
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The final state; it records what exists in the real world.
    pub state: State,
    /// Operations that failed, with the provider's message.
    pub errors: Vec<(InstanceAddr, String)>,
    /// Completed operations that were undone by rollback.
    pub rolled_back: Vec<InstanceAddr>,
    /// Completed operations that could not be undone (their objects stay as state records them).
    pub rollback_failures: Vec<(InstanceAddr, String)>,
    /// Problems not tied to one instance: the journal could not be opened or written, the state
    /// could not be persisted. When the journal could not be opened nothing was applied.
    pub fatal: Vec<String>,
    /// How many `fsync`s of the journal the run made: durable records (before operations with
    /// external side effects) share them through group commit; the others wait for the next.
    pub journal_syncs: u64,
}

impl Outcome {
    /// True if every operation succeeded and the state was saved.
    pub fn is_success(&self) -> bool {
        self.errors.is_empty() && self.fatal.is_empty()
    }
}

#[cfg(test)]
mod tests;
