//! The scheduler of a run: which change may start when, the state it owns while tasks run,
//! periodic persistence, and rollback after a failure.
//!
//! Ordering is kept at resource (block) granularity with counters, so that `count = 1000` feeding
//! 1000 consumers costs 2000 entries, not a million edges — and at instance granularity where the
//! plan knows which instances a change uses (`a[count.index]` uses one instance of `a`):
//! - a create, update, read or create-before-destroy replacement waits until the changes of the
//!   instances named in its `instance_dependencies`, and every non-delete change of each other
//!   resource in its `dependencies`, are done;
//! - a delete of an instance of `R` waits until every delete of an instance whose prior object
//!   depended on `R` is done, and every update that stops using `R`;
//! - a delete-then-create replacement is split: its delete half goes with the deletes, its create
//!   half with the creates, after its delete half. Replacing a subnet and the instance in it thus
//!   deletes the instance, deletes the subnet, creates the subnet, creates the instance.
//!
//! Concurrency: at most `parallelism` operations run at once, and at most a provider
//! configuration's own limit ([`super::ProviderMap::limit`]) of its operations; an operation takes
//! its provider's slot before one of the run's.
//!
//! A dependency cycle (which the planner should have refused) is reported, never waited on.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cairn_provider::Type;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;

use super::journal::{self, Journal, Record};
use super::op::{self, Completed, Ctx, OpInput, OpOutput, Part, Permits};
use super::{Event, Options, Outcome, ProviderMap, Replanner, StateSink};
use crate::addr::{InstanceAddr, ResourceAddr};
use crate::plan::{Action, Plan, ResourceChange};
use crate::state::{OutputState, State};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Apply,
    Delete,
}

/// One schedulable unit: a whole change, or one half of a delete-then-create replacement (its
/// delete goes with the deletes, its create with the creates).
#[derive(Clone, Copy)]
struct Node {
    change: usize,
    part: Part,
    phase: Phase,
}

/// The ready-set of a run, driven by per-resource counters.
struct Graph {
    nodes: Vec<Node>,
    /// Unmet dependency counters per node.
    waiting: Vec<usize>,
    /// The node that waits for this one directly (the create half of a replacement).
    then: Vec<Option<usize>>,
    /// Unfinished non-delete nodes per resource.
    apply_pending: HashMap<ResourceAddr, usize>,
    apply_waiters: HashMap<ResourceAddr, Vec<usize>>,
    /// Unfinished nodes that must precede deletes of the resource (as configured: see
    /// [`config_deps`]).
    delete_blockers: HashMap<ResourceAddr, usize>,
    delete_waiters: HashMap<ResourceAddr, Vec<usize>>,
    /// The resources (as configured) whose `delete_blockers` each node holds.
    blocks: Vec<Vec<ResourceAddr>>,
    /// Nodes waiting for one particular node (instance-precise dependencies).
    node_waiters: HashMap<usize, Vec<usize>>,
    ready: VecDeque<usize>,
    remaining: usize,
}

fn dedup_deps<'a>(
    own: &ResourceAddr,
    deps: impl IntoIterator<Item = &'a ResourceAddr>,
) -> Vec<ResourceAddr> {
    let mut seen = HashSet::new();
    deps.into_iter()
        .filter(|d| *d != own && seen.insert(*d))
        .cloned()
        .collect()
}

/// The resources, as configured, that must wait for deletes: `deps` at the configuration level
/// of [`ResourceAddr::config`], without `own`. Deletes are ordered at that level, as Terraform
/// records dependencies in state (`module.b.x`, not `module.b[0].x`).
fn config_deps<'a>(
    own: &ResourceAddr,
    deps: impl IntoIterator<Item = &'a ResourceAddr>,
) -> Vec<ResourceAddr> {
    let own = own.config();
    let mut seen = HashSet::new();
    deps.into_iter()
        .map(ResourceAddr::config)
        .filter(|d| *d != own && seen.insert(d.clone()))
        .collect()
}

impl Graph {
    fn new(changes: &[ResourceChange], state: &State) -> Graph {
        let mut nodes = Vec::with_capacity(changes.len());
        for (i, c) in changes.iter().enumerate() {
            let node = |part, phase| Node {
                change: i,
                part,
                phase,
            };
            match c.action {
                Action::NoOp => {}
                Action::Delete => nodes.push(node(Part::Whole, Phase::Delete)),
                Action::DeleteThenCreate => {
                    nodes.push(node(Part::DeleteHalf, Phase::Delete));
                    nodes.push(node(Part::CreateHalf, Phase::Apply));
                }
                _ => nodes.push(node(Part::Whole, Phase::Apply)),
            }
        }
        let n = nodes.len();
        let mut g = Graph {
            waiting: vec![0; n],
            then: vec![None; n],
            apply_pending: HashMap::new(),
            apply_waiters: HashMap::new(),
            delete_blockers: HashMap::new(),
            delete_waiters: HashMap::new(),
            blocks: vec![Vec::new(); n],
            node_waiters: HashMap::new(),
            ready: VecDeque::new(),
            remaining: n,
            nodes,
        };
        let mut apply_node_of: HashMap<&InstanceAddr, usize> = HashMap::new();
        for (i, node) in g.nodes.iter().enumerate() {
            if node.phase == Phase::Apply {
                let r = &changes[node.change].addr.resource;
                *g.apply_pending.entry(r.clone()).or_default() += 1;
                apply_node_of.insert(&changes[node.change].addr, i);
            }
        }
        for (i, node) in g.nodes.iter().enumerate() {
            let c = &changes[node.change];
            let own = &c.addr.resource;
            let prior_deps = state
                .instance(&c.addr)
                .map(|p| p.dependencies.as_slice())
                .unwrap_or(&[]);
            match (node.phase, node.part) {
                (Phase::Apply, part) => {
                    if part == Part::CreateHalf {
                        // After its own delete half, which is the node just before it.
                        g.waiting[i] += 1;
                        g.then[i - 1] = Some(i);
                    }
                    for d in dedup_deps(own, &c.dependencies) {
                        // Instance-precise: wait for just the instances it uses.
                        if let Some((_, keys)) =
                            c.instance_dependencies.iter().find(|(r, _)| *r == d)
                        {
                            for key in keys {
                                if let Some(&j) = apply_node_of.get(&d.instance(key.clone())) {
                                    g.waiting[i] += 1;
                                    g.node_waiters.entry(j).or_default().push(i);
                                }
                            }
                            continue;
                        }
                        if g.apply_pending.get(&d).is_some_and(|n| *n > 0) {
                            g.waiting[i] += 1;
                            g.apply_waiters.entry(d).or_default().push(i);
                        }
                    }
                    // An update (or a create-before-destroy replacement) that stops using a
                    // resource goes before that resource's deletion. One that still uses it
                    // waits for its re-creation instead.
                    if part == Part::Whole {
                        let used: HashSet<ResourceAddr> =
                            c.dependencies.iter().map(ResourceAddr::config).collect();
                        g.blocks[i] = config_deps(
                            own,
                            prior_deps.iter().filter(|d| !used.contains(&d.config())),
                        );
                    }
                }
                (Phase::Delete, _) => {
                    g.blocks[i] = config_deps(own, c.dependencies.iter().chain(prior_deps));
                    if node.part == Part::DeleteHalf {
                        // A replacement's new dependencies are not what its old object used.
                        g.blocks[i] = config_deps(own, prior_deps);
                    }
                }
            }
        }
        for i in 0..n {
            for r in &g.blocks[i] {
                *g.delete_blockers.entry(r.clone()).or_default() += 1;
            }
        }
        for i in 0..n {
            let node = g.nodes[i];
            if node.phase == Phase::Delete {
                let r = changes[node.change].addr.resource.config();
                if g.delete_blockers.get(&r).is_some_and(|n| *n > 0) {
                    g.waiting[i] += 1;
                    g.delete_waiters.entry(r).or_default().push(i);
                }
            }
            if g.waiting[i] == 0 {
                g.ready.push_back(i);
            }
        }
        g
    }

    fn release(waiting: &mut [usize], ready: &mut VecDeque<usize>, ws: Option<Vec<usize>>) {
        for w in ws.into_iter().flatten() {
            waiting[w] -= 1;
            if waiting[w] == 0 {
                ready.push_back(w);
            }
        }
    }

    /// Node `i` (of resource `r`) is done: wake what waited for it.
    fn complete(&mut self, i: usize, r: &ResourceAddr) {
        self.remaining -= 1;
        let direct = self.node_waiters.remove(&i);
        Self::release(&mut self.waiting, &mut self.ready, direct);
        if self.nodes[i].phase == Phase::Apply
            && let Some(n) = self.apply_pending.get_mut(r)
        {
            *n -= 1;
            if *n == 0 {
                Self::release(
                    &mut self.waiting,
                    &mut self.ready,
                    self.apply_waiters.remove(r),
                );
            }
        }
        Self::release(
            &mut self.waiting,
            &mut self.ready,
            self.then[i].map(|t| vec![t]),
        );
        for b in std::mem::take(&mut self.blocks[i]) {
            if let Some(n) = self.delete_blockers.get_mut(&b) {
                *n -= 1;
                if *n == 0 {
                    Self::release(
                        &mut self.waiting,
                        &mut self.ready,
                        self.delete_waiters.remove(&b),
                    );
                }
            }
        }
    }
}

struct Run<'a> {
    plan: &'a Plan,
    opts: &'a Options,
    sink: &'a dyn StateSink,
    replanner: &'a dyn Replanner,
    ctx: Arc<Ctx>,
    state: State,
    /// The state changed since it was last persisted.
    dirty: bool,
    /// The serial was raised for the changes not yet persisted.
    serial_raised: bool,
    /// No periodic persist before this instant: ten times the last persist's duration after
    /// it (at the start, ten times what writing a state of this size is expected to take), so
    /// that writing a large state takes at most about a tenth of a run.
    next_persist: tokio::time::Instant,
    /// Resources with non-delete changes in this run (their dependents may need replanning).
    changing: HashSet<&'a ResourceAddr>,
    completed: Vec<Completed>,
    errors: Vec<(InstanceAddr, String)>,
    fatal: Vec<String>,
    /// Something happened whose outcome is unknown: the journal must stay for recovery.
    uncertain: bool,
}

/// Applies `plan` to the real world through `providers`, starting from `state` (the state the
/// plan was made against), and returns the resulting state. See the module documentation of
/// [`crate::apply`].
pub async fn apply(
    plan: &Plan,
    state: State,
    providers: &ProviderMap,
    opts: &Options,
    sink: &dyn StateSink,
    replanner: &dyn Replanner,
    events: UnboundedSender<Event>,
) -> Outcome {
    let mut fatal = Vec::new();
    let mut journal = None;
    if let Some(path) = &opts.journal {
        match journal::recover(path) {
            Ok(Some(_)) => fatal.push(format!(
                "{} holds the journal of an interrupted run: recover it before applying",
                path.display()
            )),
            Err(e) => fatal.push(e.to_string()),
            Ok(None) => match Journal::create(path) {
                Ok(j) => journal = Some(Arc::new(j)),
                Err(e) => fatal.push(e.to_string()),
            },
        }
    }
    if !fatal.is_empty() {
        return Outcome {
            state,
            errors: vec![],
            rolled_back: vec![],
            rollback_failures: vec![],
            fatal,
            journal_syncs: 0,
        };
    }
    let ctx = Arc::new(Ctx {
        providers: providers.clone(),
        journal,
        events,
        seq: AtomicU64::new(1),
        problems: std::sync::Mutex::new(Vec::new()),
    });
    let begin = Record::Begin {
        run_id: uuid::Uuid::new_v4().to_string(),
        lineage: state.lineage.clone(),
        serial: state.serial,
    };
    if let Some(j) = &ctx.journal
        && let Err(e) = append_blocking(j, begin, true).await
    {
        return Outcome {
            state,
            errors: vec![],
            rolled_back: vec![],
            rollback_failures: vec![],
            fatal: vec![e],
            journal_syncs: 0,
        };
    }
    let next_persist = tokio::time::Instant::now() + first_write_estimate(&state, plan) * 10;
    let mut run = Run {
        plan,
        opts,
        sink,
        replanner,
        ctx,
        state,
        dirty: false,
        serial_raised: false,
        next_persist,
        changing: plan
            .changes
            .iter()
            .filter(|c| !matches!(c.action, Action::NoOp | Action::Delete))
            .map(|c| &c.addr.resource)
            .collect(),
        completed: Vec::new(),
        errors: Vec::new(),
        fatal,
        uncertain: false,
    };
    // The state-only parts of the plan: moves and imports are already in the prior state the
    // run starts from; forgotten objects leave it without any provider call.
    for c in &plan.refactor.forgotten {
        run.state.set_instance(&c.addr, &c.provider, None);
    }
    if plan.refactor.changes_state() {
        // Persisted before any operation, so that the journal of a crashed run is replayed
        // onto the moved addresses, never onto the old ones.
        run.dirty = true;
        run.persist().await;
    }
    run.execute().await;
    let (rolled_back, rollback_failures) = if !run.errors.is_empty() && opts.rollback {
        run.rollback().await
    } else {
        (Vec::new(), Vec::new())
    };
    if run.errors.is_empty() {
        run.apply_outputs();
    }
    run.finish().await;
    let journal_syncs = run.ctx.journal.as_ref().map_or(0, |j| j.sync_count());
    Outcome {
        journal_syncs,
        state: run.state,
        errors: run.errors,
        rolled_back,
        rollback_failures,
        fatal: run.fatal,
    }
}

async fn append_blocking(j: &Arc<Journal>, rec: Record, durable: bool) -> Result<(), String> {
    let j = Arc::clone(j);
    tokio::task::spawn_blocking(move || j.append(&rec, durable))
        .await
        .map_err(|e| format!("journal: {e}"))?
        .map_err(|e| e.to_string())
}

async fn flush_blocking(j: &Arc<Journal>) -> Result<(), String> {
    let j = Arc::clone(j);
    tokio::task::spawn_blocking(move || j.flush())
        .await
        .map_err(|e| format!("journal: {e}"))?
        .map_err(|e| e.to_string())
}

impl<'a> Run<'a> {
    /// Dispatches changes as their dependencies finish, until everything ran or a failure stopped
    /// dispatch and the operations in flight finished.
    async fn execute(&mut self) {
        let changes = &self.plan.changes;
        let mut graph = Graph::new(changes, &self.state);
        let permits = Arc::new(Semaphore::new(self.opts.parallelism.max(1)));
        let limits = self.provider_limits();
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks: JoinSet<OpOutput> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
        let interval = self
            .opts
            .persist_interval
            .max(std::time::Duration::from_millis(1));
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut stopping = false;
        // A state write in the middle of the run, going on while operations are dispatched, and
        // when it started.
        let mut persisting: Option<(super::Persisting<'a>, tokio::time::Instant)> = None;
        // Ready nodes whose provider configuration had no free slot, by provider.
        let mut blocked: HashMap<&str, VecDeque<usize>> = HashMap::new();
        loop {
            // A task is started only with its slots in hand (its provider's, when that has a
            // limit, then one of the run's), so no more tasks exist at once than can run: a
            // waiting task would hold its planned values and its future for nothing.
            while !stopping {
                let Ok(run) = Arc::clone(&permits).try_acquire_owned() else {
                    break;
                };
                let Some(i) = graph.ready.pop_front() else {
                    break;
                };
                let provider = changes[graph.nodes[i].change].provider.as_str();
                let own = match limits.get(provider) {
                    Some(limit) => match Arc::clone(limit).try_acquire_owned() {
                        Ok(p) => Some(p),
                        Err(_) => {
                            blocked.entry(provider).or_default().push_back(i);
                            continue;
                        }
                    },
                    None => None,
                };
                match self.prepare(i, graph.nodes[i]).await {
                    Ok(input) => {
                        let permits = (own, run);
                        let h = tasks.spawn(op::run(
                            Arc::clone(&self.ctx),
                            input,
                            permits,
                            Arc::clone(&stop),
                        ));
                        running.insert(h.id(), i);
                    }
                    Err(e) => {
                        let c = &changes[graph.nodes[i].change];
                        self.ctx.emit(Event::Failed {
                            addr: c.addr.clone(),
                            action: c.action,
                            message: e.clone(),
                        });
                        self.errors.push((c.addr.clone(), e));
                        stopping = true;
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            }
            if tasks.is_empty() {
                if !stopping && graph.remaining > 0 {
                    for (i, node) in graph.nodes.iter().enumerate() {
                        if graph.waiting[i] > 0 {
                            self.errors.push((
                                changes[node.change].addr.clone(),
                                "not applied: its dependencies form a cycle".to_string(),
                            ));
                        }
                    }
                }
                break;
            }
            tokio::select! {
                joined = tasks.join_next_with_id() => {
                    let out = match joined {
                        Some(Ok((id, out))) => {
                            running.remove(&id);
                            out
                        }
                        Some(Err(e)) => {
                            let Some(i) = running.remove(&e.id()) else { continue };
                            // What the operation did is unknown: the journal says what started.
                            self.uncertain = true;
                            OpOutput {
                                idx: i,
                                slot: None,
                                completed: None,
                                error: Some(format!("the operation did not finish: {e}")),
                                skipped: false,
                            }
                        }
                        None => continue,
                    };
                    // Its slots are free again: a node waiting for its provider's goes first.
                    let provider = changes[graph.nodes[out.idx].change].provider.as_str();
                    if let Some(i) = blocked.get_mut(provider).and_then(VecDeque::pop_front) {
                        graph.ready.push_front(i);
                    }
                    if out.skipped {
                        continue;
                    }
                    let c = &changes[graph.nodes[out.idx].change];
                    if let Some(slot) = out.slot {
                        self.state.set_instance(&c.addr, &c.provider, slot);
                        self.dirty = true;
                    }
                    if let Some(done) = out.completed {
                        self.completed.push(done);
                    }
                    let mut error = out.error;
                    if error.is_none()
                        && graph.nodes[out.idx].phase == Phase::Apply
                        && c.action != Action::Delete
                        && let Err(e) = self.replanner.check_applied(c, &self.state)
                    {
                        self.ctx.emit(Event::Failed {
                            addr: c.addr.clone(),
                            action: c.action,
                            message: e.clone(),
                        });
                        error = Some(e);
                    }
                    match error {
                        Some(e) => {
                            self.errors.push((c.addr.clone(), e));
                            stopping = true;
                            stop.store(true, Ordering::SeqCst);
                        }
                        None => graph.complete(out.idx, &c.addr.resource),
                    }
                }
                _ = tick.tick() => {
                    if persisting.is_none() && tokio::time::Instant::now() >= self.next_persist {
                        persisting = self.snapshot().await;
                    } else {
                        self.commit_journal().await;
                    }
                }
                written = async {
                    match persisting.as_mut() {
                        Some((w, _)) => w.as_mut().await,
                        None => std::future::pending().await,
                    }
                }, if persisting.is_some() => {
                    let started = persisting.take().map(|(_, at)| at);
                    self.persisted(written, started);
                }
            }
        }
        // A write in the middle of the run ends before anything else is written.
        if let Some((w, at)) = persisting.take() {
            let written = w.await;
            self.persisted(written, Some(at));
        }
    }

    /// One semaphore per provider configuration that has its own `parallelism`.
    fn provider_limits(&self) -> HashMap<String, Arc<Semaphore>> {
        let mut out = HashMap::new();
        for c in &self.plan.changes {
            if out.contains_key(&c.provider) {
                continue;
            }
            if let Some(n) = self.ctx.providers.parallelism(&c.provider) {
                out.insert(c.provider.clone(), Arc::new(Semaphore::new(n.max(1))));
            }
        }
        out
    }

    /// Whether a planned value has unknowns where the configuration sets values (not just in
    /// computed-only attributes, which the provider fills in): those must be evaluated again now,
    /// e.g. the result of an impure function such as `uuid()`.
    fn configurable_unknown(&self, c: &ResourceChange, after: &cairn_provider::Value) -> bool {
        let ty = &c.addr.resource.ty;
        let schema = match c.addr.resource.mode {
            crate::addr::Mode::Managed => self
                .ctx
                .providers
                .resource_schema(&c.provider, ty)
                .map(|r| &r.schema),
            crate::addr::Mode::Data => self.ctx.providers.data_schema(&c.provider, ty),
        };
        let Some(schema) = schema else { return true };
        let unknown = |k: &String| after.get_attr(k).is_some_and(|v| !v.is_wholly_known());
        schema
            .attributes
            .iter()
            .any(|(k, a)| (a.required || a.optional) && unknown(k))
            || schema.blocks.keys().any(unknown)
    }

    /// Gathers what a task needs for node `i`, replanning its planned value when it waited for
    /// unknowns from resources applied in this run.
    async fn prepare(&self, i: usize, node: Node) -> Result<OpInput, String> {
        let c = &self.plan.changes[node.change];
        let mut after = c.after.clone();
        if node.phase == Phase::Apply
            && let Some(a) = &after
            && !a.is_wholly_known()
            && (c.dependencies.iter().any(|d| self.changing.contains(d))
                || self.configurable_unknown(c, a))
        {
            after = Some(self.replanner.replan(c, &self.state).await?);
        }
        let prior = self.state.instance(&c.addr).cloned();
        let before = match (&c.before, &prior) {
            (Some(b), _) => Some(b.clone().unmark_deep().0),
            (None, Some(p)) => Some(op::value_of(&self.ctx, &c.provider, &c.addr, p)),
            (None, None) => None,
        };
        let needs_prior = match node.part {
            Part::CreateHalf => false,
            Part::DeleteHalf => true,
            Part::Whole => matches!(
                c.action,
                Action::Update | Action::Delete | Action::CreateThenDelete
            ),
        };
        if needs_prior && prior.is_none() {
            return Err("the object to change is not in the state".to_string());
        }
        Ok(OpInput {
            idx: i,
            part: node.part,
            addr: c.addr.clone(),
            provider: c.provider.clone(),
            action: c.action,
            after,
            before,
            prior,
            dependencies: c.dependencies.clone(),
            create_before_destroy: c.create_before_destroy,
        })
    }

    /// Undoes every completed operation in reverse: an undo waits for the undos of operations
    /// that completed after it and are related to it by a dependency (or by address); unrelated
    /// undos run side by side, up to `parallelism`. An object whose dependents could not be
    /// undone is left in place, as is everything else at an address whose undo failed.
    async fn rollback(&mut self) -> (Vec<InstanceAddr>, Vec<(InstanceAddr, String)>) {
        let mut rolled_back = Vec::new();
        let mut failures = Vec::new();
        let completed = std::mem::take(&mut self.completed);
        self.ctx.emit(Event::RollbackStarted {
            count: completed.len(),
        });
        // Waves: each undo goes one wave after the latest related undo before it.
        let mut waves: Vec<Vec<(Completed, Vec<ResourceAddr>)>> = Vec::new();
        let mut inst_wave: HashMap<InstanceAddr, usize> = HashMap::new();
        let mut res_wave: HashMap<ResourceAddr, usize> = HashMap::new();
        let mut dependents_wave: HashMap<ResourceAddr, usize> = HashMap::new();
        for c in completed.into_iter().rev() {
            let related = op::related(&c);
            let after = |w: Option<&usize>| w.map_or(0, |w| w + 1);
            let w = related
                .iter()
                .map(|d| after(res_wave.get(d)))
                .chain([
                    after(inst_wave.get(&c.addr)),
                    after(dependents_wave.get(&c.addr.resource)),
                ])
                .max()
                .unwrap_or(0);
            inst_wave.insert(c.addr.clone(), w);
            let r = res_wave.entry(c.addr.resource.clone()).or_insert(w);
            *r = (*r).max(w);
            for d in &related {
                let r = dependents_wave.entry(d.clone()).or_insert(w);
                *r = (*r).max(w);
            }
            if waves.len() <= w {
                waves.resize_with(w + 1, Vec::new);
            }
            waves[w].push((c, related));
        }
        let permits = Arc::new(Semaphore::new(self.opts.parallelism.max(1)));
        let limits = self.provider_limits();
        let mut pinned: HashSet<ResourceAddr> = HashSet::new();
        let mut pinned_at: HashSet<InstanceAddr> = HashSet::new();
        for wave in waves {
            let mut tasks = JoinSet::new();
            let mut running = HashMap::new();
            for (c, related) in wave {
                let deletes = matches!(
                    c.undo,
                    op::Undo::Replace {
                        created: Some(_),
                        ..
                    }
                );
                if (deletes && pinned.contains(&c.addr.resource)) || pinned_at.contains(&c.addr) {
                    let message =
                        "not rolled back: an object that depends on it could not be".to_string();
                    self.ctx.emit(Event::RollbackFailed {
                        addr: c.addr.clone(),
                        message: message.clone(),
                    });
                    failures.push((c.addr.clone(), message));
                    pinned.extend(related);
                    pinned_at.insert(c.addr.clone());
                    continue;
                }
                let ctx = Arc::clone(&self.ctx);
                let permits = Permits {
                    provider: limits.get(c.provider.as_str()).cloned(),
                    run: Arc::clone(&permits),
                };
                let addr = c.addr.clone();
                let h = tasks.spawn(async move {
                    let _permits = permits.acquire().await;
                    let undone = op::undo(&ctx, &c).await;
                    (c, related, undone)
                });
                running.insert(h.id(), addr);
            }
            while let Some(joined) = tasks.join_next_with_id().await {
                let (c, related, undone) = match joined {
                    Ok((_, r)) => r,
                    Err(e) => {
                        // What the undo did is unknown: the journal says what started.
                        self.uncertain = true;
                        if let Some(addr) = running.remove(&e.id()) {
                            failures.push((addr.clone(), format!("the undo did not finish: {e}")));
                            pinned_at.insert(addr);
                        }
                        continue;
                    }
                };
                if let Some(slot) = undone.slot {
                    self.state.set_instance(&c.addr, &c.provider, slot);
                    self.dirty = true;
                }
                match undone.error {
                    None => {
                        self.ctx.emit(Event::RolledBack {
                            addr: c.addr.clone(),
                            action: undone.action,
                        });
                        rolled_back.push(c.addr.clone());
                    }
                    Some(message) => {
                        self.ctx.emit(Event::RollbackFailed {
                            addr: c.addr.clone(),
                            message: message.clone(),
                        });
                        failures.push((c.addr.clone(), message));
                        pinned.extend(related);
                        pinned_at.insert(c.addr.clone());
                    }
                }
            }
        }
        // A replacement is undone in two steps: report each address once.
        let mut seen = HashSet::new();
        rolled_back.retain(|a| !failures.iter().any(|(f, _)| f == a) && seen.insert(a.clone()));
        (rolled_back, failures)
    }

    /// Records the root outputs whose planned values are known; the others are left to the
    /// caller, which evaluates them against the final state.
    fn apply_outputs(&mut self) {
        for o in &self.plan.outputs {
            match o.action {
                Action::NoOp => {}
                Action::Delete => {
                    if self.state.outputs.remove(&o.name).is_some() {
                        self.dirty = true;
                    }
                }
                _ => {
                    // An infinite number has no JSON form: the caller reports it.
                    let Some(v) = o
                        .after
                        .as_ref()
                        .filter(|v| v.is_wholly_known() && !crate::plan::fin::has_infinity(v))
                    else {
                        continue;
                    };
                    let out = OutputState {
                        value: v.to_json(),
                        ty: Type::of(&v.clone().unmark_deep().0).to_json(),
                        sensitive: o.sensitive || v.contains_sensitive(),
                    };
                    if self.state.outputs.get(&o.name) != Some(&out) {
                        self.state.outputs.insert(o.name.clone(), out);
                        self.dirty = true;
                    }
                }
            }
        }
    }

    /// Group-commits the journal, then persists the state if it changed: what the state says is
    /// never ahead of the journal. The serial rises once per write of a changed state.
    /// Starts writing a copy of the state (journal committed first), or nothing when the state
    /// has not changed since it was last written.
    async fn snapshot(&mut self) -> Option<(super::Persisting<'a>, tokio::time::Instant)> {
        self.commit_journal().await;
        if !self.dirty {
            return None;
        }
        if !self.serial_raised {
            self.state.serial += 1;
        }
        // Changes from now on make the state dirty again.
        self.dirty = false;
        self.serial_raised = false;
        let sink: &'a dyn StateSink = self.sink;
        Some((
            sink.persist_snapshot(self.state.clone()),
            tokio::time::Instant::now(),
        ))
    }

    /// Records how a write of a copy of the state ended.
    fn persisted(
        &mut self,
        written: Result<(), crate::state::StateError>,
        started: Option<tokio::time::Instant>,
    ) {
        match written {
            Ok(()) => {
                if let Some(at) = started {
                    self.next_persist = at + at.elapsed() * 10;
                }
            }
            Err(e) => {
                self.dirty = true;
                self.fatal.push(format!("cannot persist state: {e}"));
            }
        }
    }

    async fn persist(&mut self) {
        self.commit_journal().await;
        if !self.dirty {
            return;
        }
        if !self.serial_raised {
            self.state.serial += 1;
            self.serial_raised = true;
        }
        let started = tokio::time::Instant::now();
        match self.sink.persist(&self.state).await {
            Ok(()) => {
                self.dirty = false;
                self.serial_raised = false;
                self.next_persist = started + started.elapsed() * 10;
            }
            Err(e) => self.fatal.push(format!("cannot persist state: {e}")),
        }
    }

    /// Makes the journal's records so far durable, in one `fsync`.
    async fn commit_journal(&mut self) {
        if let Some(j) = &self.ctx.journal
            && let Err(e) = flush_blocking(j).await
        {
            self.fatal.push(e);
        }
    }

    /// Persists the final state, then ends and removes the journal.
    async fn finish(&mut self) {
        let problems =
            std::mem::take(&mut *self.ctx.problems.lock().unwrap_or_else(|e| e.into_inner()));
        self.fatal.extend(problems);
        self.persist().await;
        let Some(j) = self.ctx.journal.clone() else {
            return;
        };
        if self.dirty || self.uncertain {
            self.fatal.push(format!(
                "the journal {} is kept: recover it to reconcile the state",
                j.path().display()
            ));
            return;
        }
        let ok = self.errors.is_empty();
        if let Err(e) = append_blocking(&j, Record::End { ok }, true).await {
            self.fatal.push(e);
            return;
        }
        if let Err(e) = journal::discard(j.path()) {
            self.fatal.push(e.to_string());
        }
    }
}

/// What writing the state is expected to take before one was timed: about 20 µs per instance
/// (a state of 100,000 `terraform_data` instances is 188 MB and takes about 2 s).
fn first_write_estimate(state: &State, plan: &Plan) -> std::time::Duration {
    let instances: usize = state.resources.values().map(|r| r.instances.len()).sum();
    std::time::Duration::from_micros(20) * (instances + plan.changes.len()) as u32
}
