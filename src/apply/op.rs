//! One operation of a run, as a task on the executor's `JoinSet`: the journal records around each
//! provider call, the call itself with retries, the conversion of the provider's answer into an
//! [`InstanceState`], and the undo of a completed operation during rollback.
//!
//! It changes no shared state: it returns what the scheduler ([`super::exec`]) must record.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cairn_provider::{Provider, ProviderError, Value, ValuePath};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::journal::{Journal, OpKind, Record};
use super::{Event, ProviderMap};
use crate::addr::{InstanceAddr, Mode, ResourceAddr};
use crate::plan::Action;
use crate::state::InstanceState;

/// Attempts of a call failing with retryable errors, the first included.
pub(crate) const MAX_ATTEMPTS: u32 = 5;
const BASE_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// How often a long operation reports that it is still running.
pub(crate) const STILL_RUNNING_EVERY: Duration = Duration::from_secs(10);

/// What every task shares.
pub(crate) struct Ctx {
    pub providers: ProviderMap,
    pub journal: Option<Arc<Journal>>,
    pub events: UnboundedSender<Event>,
    pub seq: AtomicU64,
    /// Problems not tied to an operation's outcome (a journal record that could not be written
    /// after the operation happened).
    pub problems: std::sync::Mutex<Vec<String>>,
}

impl Ctx {
    pub fn problem(&self, p: String) {
        self.problems
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(p);
    }

    pub fn emit(&self, e: Event) {
        // The receiver may be gone (nobody watching): the run goes on.
        let _ = self.events.send(e);
    }

    /// Whether operations on this resource type touch the world outside this process. Unknown
    /// types are assumed to.
    fn external(&self, provider: &str, ty: &str) -> bool {
        self.providers
            .resource_schema(provider, ty)
            .is_none_or(|s| s.external)
    }

    async fn journal(&self, rec: Record, durable: bool) -> Result<(), String> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        // A durable record (of an operation with effects outside this process) reaches the
        // file at once, and only the fsync waits, off the async workers; others may wait in
        // memory for the next group commit.
        let ticket = j
            .write_maybe_later(&rec, durable)
            .map_err(|e| format!("journal: {e}"))?;
        let r = if durable {
            let j = Arc::clone(j);
            tokio::task::spawn_blocking(move || j.sync_to(ticket))
                .await
                .map_err(|e| format!("journal: {e}"))?
        } else {
            Ok(())
        };
        r.map_err(|e| format!("journal: {e}"))
    }
}

/// Which part of its change a task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Whole,
    /// The delete of a delete-then-create replacement (scheduled with the deletes).
    DeleteHalf,
    /// The create of a delete-then-create replacement, once its delete half is done.
    CreateHalf,
}

/// Everything one task needs about its change (cloned out of the plan and state).
pub(crate) struct OpInput {
    /// The scheduler's node.
    pub idx: usize,
    pub part: Part,
    pub addr: InstanceAddr,
    pub provider: String,
    pub action: Action,
    /// The planned object (marked), replanned if it was waiting for other resources.
    pub after: Option<Value>,
    /// The prior object as the provider sees it (unmarked).
    pub before: Option<Value>,
    /// The prior object as state records it.
    pub prior: Option<InstanceState>,
    pub dependencies: Vec<ResourceAddr>,
    pub create_before_destroy: bool,
}

/// How to undo a completed operation.
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    /// Update back to `prior`.
    Update {
        prior: InstanceState,
        current: InstanceState,
    },
    /// Delete what was created, recreate what was deleted.
    Replace {
        deleted: Option<InstanceState>,
        created: Option<InstanceState>,
    },
}

/// A completed (or partly completed) operation, for rollback.
#[derive(Clone, Debug)]
pub(crate) struct Completed {
    pub addr: InstanceAddr,
    pub provider: String,
    pub dependencies: Vec<ResourceAddr>,
    pub undo: Undo,
}

/// The resources a completed operation is ordered against in rollback: what it depends on now
/// and what its earlier objects depended on.
pub(crate) fn related(c: &Completed) -> Vec<ResourceAddr> {
    let mut out = c.dependencies.clone();
    match &c.undo {
        Undo::Update { prior, .. } => out.extend(prior.dependencies.iter().cloned()),
        Undo::Replace { deleted, created } => {
            for i in deleted.iter().chain(created) {
                out.extend(i.dependencies.iter().cloned());
            }
        }
    }
    out.sort();
    out.dedup();
    out.retain(|r| *r != c.addr.resource);
    out
}

/// What a task returns to the scheduler.
pub(crate) struct OpOutput {
    pub idx: usize,
    /// `Some(x)`: the address's slot now holds `x`.
    pub slot: Option<Option<InstanceState>>,
    pub completed: Option<Completed>,
    pub error: Option<String>,
    /// The task did not run (dispatch stopped while it waited for a slot).
    pub skipped: bool,
}

impl OpOutput {
    fn skipped(idx: usize) -> OpOutput {
        OpOutput {
            idx,
            slot: None,
            completed: None,
            error: None,
            skipped: true,
        }
    }
}

/// One provider call, journaled.
#[derive(Clone, Copy)]
struct Step<'a> {
    addr: &'a InstanceAddr,
    provider: &'a str,
    kind: OpKind,
    deposed: bool,
    /// The object changed or deleted, as state records it.
    prior: Option<&'a InstanceState>,
    /// The same object as the provider sees it.
    prior_value: Option<&'a Value>,
    /// The planned object, with sensitive marks.
    planned: Option<&'a Value>,
    /// Sensitive paths to keep beyond the planned value's marks.
    extra_sensitive: &'a [ValuePath],
    dependencies: &'a [ResourceAddr],
    create_before_destroy: bool,
}

fn jitter(max: Duration) -> Duration {
    let r = RandomState::new().build_hasher().finish();
    let ms = max.as_millis() as u64;
    if ms == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(r % (ms + 1))
    }
}

/// The pause before retry number `attempt` (1-based): exponential with jitter, capped.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = BASE_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    base + jitter(base / 2)
}

/// Calls `f` until it succeeds, fails permanently, or runs out of attempts.
pub(crate) async fn with_retry<T, F, Fut>(mut f: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 1;
    loop {
        match f().await {
            Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            r => return r,
        }
    }
}

fn union(mut a: Vec<ValuePath>, b: impl IntoIterator<Item = ValuePath>) -> Vec<ValuePath> {
    a.extend(b);
    a.sort();
    a.dedup();
    a
}

/// Reads a state object back as a value, typed by the resource's schema when known.
pub(crate) fn value_of(ctx: &Ctx, provider: &str, addr: &InstanceAddr, i: &InstanceState) -> Value {
    let ty = match addr.resource.mode {
        Mode::Managed => ctx.providers.resource_type(provider, &addr.resource.ty),
        Mode::Data => ctx.providers.data_type(provider, &addr.resource.ty),
    };
    match ty {
        Some(t) => i.attributes.to_value_typed(t),
        None => i.attributes.to_value(),
    }
}

/// The planned value that recreates a deleted object: its attributes, except that what only the
/// provider sets (the id, computed-only attributes) is unknown again, as on any create.
pub(crate) fn recreation_plan(
    ctx: &Ctx,
    provider: &str,
    addr: &InstanceAddr,
    i: &InstanceState,
) -> Value {
    let v = value_of(ctx, provider, addr, i);
    let Some(schema) = ctx.providers.resource_schema(provider, &addr.resource.ty) else {
        return v;
    };
    match v {
        Value::Object(mut m) => {
            for (name, a) in &schema.schema.attributes {
                if a.computed && !a.optional && !a.required {
                    m.insert(name.clone(), Value::Unknown);
                }
            }
            Value::Object(m)
        }
        other => other,
    }
}

async fn step(ctx: &Ctx, s: Step<'_>) -> Result<Option<InstanceState>, String> {
    let ty = &s.addr.resource.ty;
    let provider: Arc<dyn Provider> = match ctx.providers.get(s.provider) {
        Some(p) => Arc::clone(p),
        None => return Err(format!("provider {} is not configured", s.provider)),
    };
    let schema = ctx.providers.resource_schema(s.provider, ty);
    let durable = ctx.external(s.provider, ty);
    let (planned_plain, marks) = match s.planned {
        Some(p) => {
            let (v, m) = p.clone().unmark_deep();
            (Some(v), m)
        }
        None => (None, Vec::new()),
    };
    let marks = union(marks, s.extra_sensitive.iter().cloned());
    let object_type = ctx.providers.resource_type(s.provider, ty);
    let make_state = |v: &Value| InstanceState {
        attributes: match object_type {
            Some(t) => v.to_json_typed(t),
            None => v.to_json(),
        }
        .into(),
        sensitive_paths: union(
            marks.clone(),
            schema
                .map(|sc| sc.schema.sensitive_paths(v))
                .unwrap_or_default(),
        ),
        schema_version: schema.map_or(0, |sc| sc.schema.version),
        dependencies: s.dependencies.to_vec(),
        create_before_destroy: s.create_before_destroy,
        tainted: false,
        private: match s.kind {
            OpKind::Update => s.prior.and_then(|p| p.private.clone()),
            _ => None,
        },
    };
    let seq = ctx.seq.fetch_add(1, Ordering::Relaxed);
    ctx.journal(
        Record::Start {
            seq,
            addr: s.addr.clone(),
            provider: s.provider.to_string(),
            kind: s.kind,
            deposed: s.deposed,
            prior: s.prior.cloned(),
            planned: planned_plain.as_ref().map(make_state),
        },
        durable,
    )
    .await?;
    let prior_value = match s.kind {
        OpKind::Create => None,
        _ => s.prior_value,
    };
    let r = with_retry(|| provider.apply(ty, prior_value, planned_plain.as_ref())).await;
    let r = match (s.kind, r) {
        (OpKind::Delete, Ok(_)) => Ok(None),
        (_, Ok(Some(v))) => Ok(Some(make_state(&v))),
        (_, Ok(None)) => Err("the provider returned no object".to_string()),
        (_, Err(e)) => Err(e.message),
    };
    match &r {
        Ok(result) => {
            let done = Record::Done {
                seq,
                result: result.clone(),
            };
            if let Err(e) = ctx.journal(done, durable).await {
                // The operation happened: the state records it. Only a crash before the run
                // ends would now recover it conservatively (as unfinished).
                ctx.problem(format!("{}: {e}", s.addr));
            }
        }
        Err(message) => {
            // The operation changed nothing; a lost record only makes recovery conservative.
            let _ = ctx
                .journal(
                    Record::Failed {
                        seq,
                        message: message.clone(),
                    },
                    false,
                )
                .await;
        }
    }
    r
}

/// The slots an operation needs: one of its provider configuration's (when it has a limit),
/// then one of the run's.
#[derive(Clone)]
pub(crate) struct Permits {
    pub provider: Option<Arc<tokio::sync::Semaphore>>,
    pub run: Arc<tokio::sync::Semaphore>,
}

impl Permits {
    /// Waits for both slots; `None` when a semaphore was closed. The provider's slot comes
    /// first, so operations queued behind a busy provider never hold one of the run's slots
    /// that another provider's operation could use.
    pub async fn acquire(
        &self,
    ) -> Option<(
        Option<tokio::sync::OwnedSemaphorePermit>,
        tokio::sync::OwnedSemaphorePermit,
    )> {
        let provider = match &self.provider {
            Some(p) => Some(Arc::clone(p).acquire_owned().await.ok()?),
            None => None,
        };
        let run = Arc::clone(&self.run).acquire_owned().await.ok()?;
        Some((provider, run))
    }
}

/// The slots an operation holds while it runs (see [`Permits`]).
pub(crate) type Held = (
    Option<tokio::sync::OwnedSemaphorePermit>,
    tokio::sync::OwnedSemaphorePermit,
);

/// Runs one change in the slots it was given: calls the provider, reports events.
pub(crate) async fn run(
    ctx: Arc<Ctx>,
    input: OpInput,
    permits: Held,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> OpOutput {
    let _permits = permits;
    if stop.load(Ordering::SeqCst) {
        return OpOutput::skipped(input.idx);
    }
    let start = Instant::now();
    // A replacement split in two halves reports its start once and its end once.
    if input.part != Part::CreateHalf {
        ctx.emit(Event::Started {
            addr: input.addr.clone(),
            action: input.action,
        });
    }
    let fut = perform(&ctx, &input);
    tokio::pin!(fut);
    let mut tick = tokio::time::interval_at(start + STILL_RUNNING_EVERY, STILL_RUNNING_EVERY);
    let out = loop {
        tokio::select! {
            out = &mut fut => break out,
            _ = tick.tick() => ctx.emit(Event::StillRunning {
                addr: input.addr.clone(),
                action: input.action,
                elapsed: start.elapsed(),
            }),
        }
    };
    if out.error.is_some() {
        // Before this task's slot is released: whatever waits for it must not start.
        stop.store(true, Ordering::SeqCst);
    }
    match &out.error {
        Some(message) => ctx.emit(Event::Failed {
            addr: input.addr.clone(),
            action: input.action,
            message: message.clone(),
        }),
        None if input.part == Part::DeleteHalf => {}
        None => {
            let id = match &out.slot {
                Some(Some(i)) => i.attributes.get_str("id"),
                _ => None,
            };
            ctx.emit(Event::Completed {
                addr: input.addr.clone(),
                action: input.action,
                elapsed: start.elapsed(),
                id,
            })
        }
    }
    out
}

async fn perform(ctx: &Ctx, c: &OpInput) -> OpOutput {
    let mut out = OpOutput {
        idx: c.idx,
        slot: None,
        completed: None,
        error: None,
        skipped: false,
    };
    let completed = |undo| Completed {
        addr: c.addr.clone(),
        provider: c.provider.clone(),
        dependencies: c.dependencies.clone(),
        undo,
    };
    let base = Step {
        addr: &c.addr,
        provider: &c.provider,
        kind: OpKind::Create,
        deposed: false,
        prior: None,
        prior_value: None,
        planned: None,
        extra_sensitive: &[],
        dependencies: &c.dependencies,
        create_before_destroy: c.create_before_destroy,
    };
    let create = Step {
        planned: c.after.as_ref(),
        ..base
    };
    // Create-before-destroy: the journal names the object the new one deposes.
    let create_deposing = Step {
        prior: c.prior.as_ref(),
        ..create
    };
    let delete = |deposed| Step {
        kind: OpKind::Delete,
        deposed,
        prior: c.prior.as_ref(),
        prior_value: c.before.as_ref(),
        ..base
    };
    if c.addr.resource.mode == Mode::Data {
        // Data sources have nothing to create or delete: they are read, or forgotten.
        match c.action {
            Action::NoOp => {}
            Action::Delete => out.slot = Some(None),
            _ => match read_data(ctx, c).await {
                Ok(i) => out.slot = Some(Some(i)),
                Err(e) => out.error = Some(e),
            },
        }
        return out;
    }
    match (c.action, c.part) {
        (Action::DeleteThenCreate, Part::DeleteHalf) => match step(ctx, delete(false)).await {
            Ok(_) => {
                out.completed = Some(completed(Undo::Replace {
                    deleted: c.prior.clone(),
                    created: None,
                }));
                out.slot = Some(None);
            }
            Err(e) => out.error = Some(e),
        },
        (Action::DeleteThenCreate, Part::CreateHalf) => match step(ctx, create).await {
            Ok(created) => {
                out.completed = Some(completed(Undo::Replace {
                    deleted: None,
                    created: created.clone(),
                }));
                out.slot = Some(created);
            }
            Err(e) => out.error = Some(e),
        },
        _ => perform_whole(ctx, c, &mut out, base, create, create_deposing).await,
    }
    out
}

async fn perform_whole(
    ctx: &Ctx,
    c: &OpInput,
    out: &mut OpOutput,
    base: Step<'_>,
    create: Step<'_>,
    create_deposing: Step<'_>,
) {
    let completed = |undo| Completed {
        addr: c.addr.clone(),
        provider: c.provider.clone(),
        dependencies: c.dependencies.clone(),
        undo,
    };
    let delete = |deposed| Step {
        kind: OpKind::Delete,
        deposed,
        prior: c.prior.as_ref(),
        prior_value: c.before.as_ref(),
        ..base
    };
    match c.action {
        Action::NoOp => {}
        Action::Read => match read_data(ctx, c).await {
            Ok(i) => out.slot = Some(Some(i)),
            Err(e) => out.error = Some(e),
        },
        Action::Create => match step(ctx, create).await {
            Ok(created) => {
                out.completed = Some(completed(Undo::Replace {
                    deleted: None,
                    created: created.clone(),
                }));
                out.slot = Some(created);
            }
            Err(e) => out.error = Some(e),
        },
        Action::Update => {
            let update = Step {
                kind: OpKind::Update,
                prior: c.prior.as_ref(),
                prior_value: c.before.as_ref(),
                planned: c.after.as_ref(),
                ..base
            };
            match step(ctx, update).await {
                Ok(Some(current)) => {
                    if let Some(prior) = c.prior.clone() {
                        out.completed = Some(completed(Undo::Update {
                            prior,
                            current: current.clone(),
                        }));
                    }
                    out.slot = Some(Some(current));
                }
                Ok(None) => out.error = Some("the provider returned no object".into()),
                Err(e) => out.error = Some(e),
            }
        }
        Action::Delete => match step(ctx, delete(false)).await {
            Ok(_) => {
                out.completed = Some(completed(Undo::Replace {
                    deleted: c.prior.clone(),
                    created: None,
                }));
                out.slot = Some(None);
            }
            Err(e) => out.error = Some(e),
        },
        Action::DeleteThenCreate => {
            if let Err(e) = step(ctx, delete(false)).await {
                out.error = Some(e);
                return;
            }
            out.slot = Some(None);
            let deleted = c.prior.clone();
            match step(ctx, create).await {
                Ok(created) => {
                    out.completed = Some(completed(Undo::Replace {
                        deleted,
                        created: created.clone(),
                    }));
                    out.slot = Some(created);
                }
                Err(e) => {
                    out.completed = Some(completed(Undo::Replace {
                        deleted,
                        created: None,
                    }));
                    out.error = Some(e);
                }
            }
        }
        Action::CreateThenDelete => {
            let created = match step(ctx, create_deposing).await {
                Ok(c) => c,
                Err(e) => {
                    out.error = Some(e);
                    return;
                }
            };
            match step(ctx, delete(true)).await {
                Ok(_) => {
                    out.completed = Some(completed(Undo::Replace {
                        deleted: c.prior.clone(),
                        created: created.clone(),
                    }));
                    out.slot = Some(created);
                }
                Err(e) => {
                    // The old object stays; state has room for one object per address, so the
                    // new one is deleted again and the address keeps the old one.
                    out.error = Some(e.clone());
                    if let Some(new) = &created {
                        let v = value_of(ctx, &c.provider, &c.addr, new);
                        let undo = Step {
                            kind: OpKind::Delete,
                            prior: Some(new),
                            prior_value: Some(&v),
                            ..base
                        };
                        if let Err(e2) = step(ctx, undo).await {
                            let id = new.attributes.get_str("id");
                            let id = id.as_deref().unwrap_or("?");
                            out.error = Some(format!(
                                "{e}; the new object {id} could not be deleted either ({e2}) and is not tracked"
                            ));
                        }
                    }
                }
            }
        }
    }
}

async fn read_data(ctx: &Ctx, c: &OpInput) -> Result<InstanceState, String> {
    let provider = ctx
        .providers
        .get(&c.provider)
        .cloned()
        .ok_or_else(|| format!("provider {} is not configured", c.provider))?;
    let ty = &c.addr.resource.ty;
    let (config, marks) = c.after.clone().unwrap_or(Value::Null).unmark_deep();
    let v = with_retry(|| provider.read_data(ty, &config))
        .await
        .map_err(|e| e.message)?;
    let schema = ctx.providers.data_schema(&c.provider, ty);
    Ok(InstanceState {
        attributes: match ctx.providers.data_type(&c.provider, ty) {
            Some(t) => v.to_json_typed(t),
            None => v.to_json(),
        }
        .into(),
        sensitive_paths: union(
            marks,
            schema.map(|s| s.sensitive_paths(&v)).unwrap_or_default(),
        ),
        schema_version: schema.map_or(0, |s| s.version),
        dependencies: c.dependencies.clone(),
        create_before_destroy: false,
        tainted: false,
        private: None,
    })
}

/// The outcome of undoing one completed operation.
pub(crate) struct Undone {
    /// `Some(x)`: the address's slot now holds `x`.
    pub slot: Option<Option<InstanceState>>,
    /// What the undo did, for the `RolledBack` event.
    pub action: Action,
    pub error: Option<String>,
}

/// Undoes a completed operation: created → deleted, updated → updated back, deleted → recreated
/// from its prior value (it may get a new id).
pub(crate) async fn undo(ctx: &Ctx, c: &Completed) -> Undone {
    let base = Step {
        addr: &c.addr,
        provider: &c.provider,
        kind: OpKind::Create,
        deposed: false,
        prior: None,
        prior_value: None,
        planned: None,
        extra_sensitive: &[],
        dependencies: &c.dependencies,
        create_before_destroy: false,
    };
    match &c.undo {
        Undo::Update { prior, current } => {
            let cur = value_of(ctx, &c.provider, &c.addr, current);
            let target = value_of(ctx, &c.provider, &c.addr, prior);
            let s = Step {
                kind: OpKind::Update,
                prior: Some(current),
                prior_value: Some(&cur),
                planned: Some(&target),
                extra_sensitive: &prior.sensitive_paths,
                dependencies: &prior.dependencies,
                create_before_destroy: prior.create_before_destroy,
                ..base
            };
            match step(ctx, s).await {
                Ok(Some(mut r)) => {
                    r.schema_version = prior.schema_version;
                    r.private = prior.private.clone();
                    Undone {
                        slot: Some(Some(r)),
                        action: Action::Update,
                        error: None,
                    }
                }
                Ok(None) => Undone {
                    slot: None,
                    action: Action::Update,
                    error: Some("the provider returned no object".into()),
                },
                Err(e) => Undone {
                    slot: None,
                    action: Action::Update,
                    error: Some(e),
                },
            }
        }
        Undo::Replace { deleted, created } => {
            let action = match (deleted, created) {
                (Some(_), Some(_)) => Action::DeleteThenCreate,
                (None, _) => Action::Delete,
                (Some(_), None) => Action::Create,
            };
            let mut slot = None;
            if let Some(new) = created {
                let v = value_of(ctx, &c.provider, &c.addr, new);
                let s = Step {
                    kind: OpKind::Delete,
                    prior: Some(new),
                    prior_value: Some(&v),
                    ..base
                };
                if let Err(e) = step(ctx, s).await {
                    return Undone {
                        slot: None,
                        action,
                        error: Some(e),
                    };
                }
                slot = Some(None);
            }
            if let Some(old) = deleted {
                let v = recreation_plan(ctx, &c.provider, &c.addr, old);
                let s = Step {
                    planned: Some(&v),
                    extra_sensitive: &old.sensitive_paths,
                    dependencies: &old.dependencies,
                    create_before_destroy: old.create_before_destroy,
                    ..base
                };
                match step(ctx, s).await {
                    Ok(r) => {
                        let r = r.map(|mut r| {
                            r.schema_version = old.schema_version;
                            r
                        });
                        slot = Some(r);
                    }
                    Err(e) => {
                        return Undone {
                            slot,
                            action,
                            error: Some(e),
                        };
                    }
                }
            }
            Undone {
                slot,
                action,
                error: None,
            }
        }
    }
}
