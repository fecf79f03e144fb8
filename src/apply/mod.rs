//! The executor: runs a [`Plan`](crate::plan::Plan) through the providers. Creates and updates go
//! in dependency order, deletes in reverse, up to `parallelism` at a time on a tokio `JoinSet`.
//! Every operation is recorded in the [`journal`] before it starts and when it ends, so a crash
//! at any moment loses track of nothing; the state is persisted through a [`StateSink`] at the end
//! of the run and at most every few seconds during it. On failure, dispatch stops, in-flight
//! operations finish, and (unless rollback is off) every completed operation of the run is
//! undone in reverse order.
//!
//! The only module that calls a provider's `apply` or writes state. It never prints: progress
//! goes out as [`Event`]s on a channel.

pub mod journal;

use std::time::Duration;

use crate::addr::InstanceAddr;
use crate::plan::Action;
use crate::state::{State, StateError};

/// What the executor reports as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An operation started (`action` is the planned action; a replace reports once).
    Started { addr: InstanceAddr, action: Action },
    /// An operation finished. `id` is the object's `id` attribute when it has one.
    Completed { addr: InstanceAddr, action: Action, elapsed: Duration, id: Option<String> },
    /// An operation is still running (sent every 10 s of an operation).
    StillRunning { addr: InstanceAddr, action: Action, elapsed: Duration },
    /// An operation failed; `message` is the provider's error.
    Failed { addr: InstanceAddr, action: Action, message: String },
    /// Rollback begins: `count` operations will be undone.
    RollbackStarted { count: usize },
    /// One completed operation was undone (`action` is the undo: delete, update or create).
    RolledBack { addr: InstanceAddr, action: Action },
    /// An operation could not be undone; the object stays as it is and state records it.
    RollbackFailed { addr: InstanceAddr, message: String },
}

/// Where the executor persists state.
#[async_trait::async_trait]
pub trait StateSink: Send + Sync {
    async fn persist(&self, state: &State) -> Result<(), StateError>;
}
