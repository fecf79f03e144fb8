//! Tests of the executor and the journal against the SDK's mock provider, whose world records
//! every operation and can be made to fail.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cairn_provider::testing::{MockProvider, Op, WorldHandle};
use cairn_provider::{
    PathStep, PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta, ProviderSchema,
    Value,
};
use tokio::sync::mpsc;

use super::journal::{self, Journal, OpKind, Record};
use super::*;
use crate::addr::{InstanceKey, ResourceAddr};
use crate::plan::{Mode, Plan};
use crate::state::InstanceState;

const P: &str = "provider[\"cairn/mock\"]";

/// The mock provider, counting how many applies run at once and failing chosen creates with
/// retryable errors a given number of times.
struct Wrapped {
    inner: MockProvider,
    current: AtomicUsize,
    max: AtomicUsize,
    flaky: Mutex<HashMap<String, usize>>,
    calls: AtomicUsize,
    /// The planned values of every create received.
    creates: Mutex<Vec<Value>>,
    /// Extra time some objects' operations take.
    slow: Mutex<HashMap<String, Duration>>,
    /// Declares `mock_thing` as having no external side effects.
    internal: std::sync::atomic::AtomicBool,
}

impl Wrapped {
    fn new(world: &WorldHandle) -> Arc<Wrapped> {
        Arc::new(Wrapped {
            inner: MockProvider::new(world.clone()),
            current: AtomicUsize::new(0),
            max: AtomicUsize::new(0),
            flaky: Mutex::new(HashMap::new()),
            calls: AtomicUsize::new(0),
            creates: Mutex::new(Vec::new()),
            slow: Mutex::new(HashMap::new()),
            internal: std::sync::atomic::AtomicBool::new(false),
        })
    }
    fn flaky(&self, name: &str, times: usize) {
        self.flaky.lock().unwrap().insert(name.to_string(), times);
    }
}

#[async_trait]
impl Provider for Wrapped {
    fn meta(&self) -> ProviderMeta {
        self.inner.meta()
    }
    fn schema(&self) -> ProviderSchema {
        let mut s = self.inner.schema();
        if self.internal.load(Ordering::SeqCst) {
            for r in s.resources.values_mut() {
                r.external = false;
            }
        }
        s
    }
    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        self.inner.plan(req).await
    }
    async fn apply(
        &self,
        ty: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let (None, Some(p)) = (prior, planned) {
            self.creates.lock().unwrap().push(p.clone());
        }
        if let Some(name) = planned
            .and_then(|p| p.get_attr("name"))
            .and_then(Value::as_str)
        {
            let mut f = self.flaky.lock().unwrap();
            if let Some(n) = f.get_mut(name).filter(|n| **n > 0) {
                *n -= 1;
                return Err(ProviderError::retryable("throttled"));
            }
        }
        let name = planned
            .or(prior)
            .and_then(|p| p.get_attr("name"))
            .and_then(Value::as_str);
        let slow = name.and_then(|n| self.slow.lock().unwrap().get(n).copied());
        if let Some(d) = slow {
            tokio::time::sleep(d).await;
        }
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        let r = self.inner.apply(ty, prior, planned).await;
        self.current.fetch_sub(1, Ordering::SeqCst);
        r
    }
    async fn read(&self, ty: &str, current: &Value) -> Result<Option<Value>, ProviderError> {
        self.inner.read(ty, current).await
    }
}

#[derive(Default)]
struct Sink {
    calls: AtomicUsize,
    last: Mutex<Option<State>>,
    /// How long each persist takes.
    takes: Mutex<Duration>,
}

#[async_trait]
impl StateSink for Sink {
    async fn persist(&self, state: &State) -> Result<(), StateError> {
        let takes = *self.takes.lock().unwrap();
        tokio::time::sleep(takes).await;
        self.calls.fetch_add(1, Ordering::SeqCst);
        *self.last.lock().unwrap() = Some(state.clone());
        Ok(())
    }
}

type ReplanFn = dyn Fn(&ResourceChange, &State) -> Result<Value, String> + Send + Sync;
struct FnReplanner(Box<ReplanFn>);

#[async_trait]
impl Replanner for FnReplanner {
    async fn replan(&self, change: &ResourceChange, state: &State) -> Result<Value, String> {
        (self.0)(change, state)
    }
}

fn res(name: &str) -> ResourceAddr {
    ResourceAddr::managed("mock_thing", name)
}
fn addr(name: &str) -> InstanceAddr {
    res(name).instance(InstanceKey::None)
}

fn thing(name: &str, value: &str) -> Value {
    Value::object([
        ("id", Value::Unknown),
        ("name", Value::string(name)),
        ("value", Value::string(value)),
        ("secret", Value::Null),
    ])
}

fn change(
    name: &str,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
    deps: &[&str],
) -> ResourceChange {
    ResourceChange {
        addr: addr(name),
        provider: P.to_string(),
        action,
        before,
        after,
        replace_paths: vec![],
        reason: None,
        dependencies: deps.iter().map(|d| res(d)).collect(),
        instance_dependencies: Vec::new(),
        create_before_destroy: action == Action::CreateThenDelete,
        schema_version: 0,
    }
}

fn create(name: &str, value: &str, deps: &[&str]) -> ResourceChange {
    change(name, Action::Create, None, Some(thing(name, value)), deps)
}

fn current(state: &State, name: &str) -> Value {
    state
        .instance(&addr(name))
        .expect("in state")
        .attributes
        .to_value()
}

fn update(state: &State, name: &str, value: &str, deps: &[&str]) -> ResourceChange {
    let before = current(state, name);
    let mut after = before.as_map().cloned().unwrap_or_default();
    after.insert("value".into(), Value::string(value));
    change(
        name,
        Action::Update,
        Some(before),
        Some(Value::Object(after)),
        deps,
    )
}

fn delete(state: &State, name: &str) -> ResourceChange {
    let deps: Vec<String> = state
        .instance(&addr(name))
        .map(|i| i.dependencies.iter().map(|d| d.name.to_string()).collect())
        .unwrap_or_default();
    let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
    change(
        name,
        Action::Delete,
        Some(current(state, name)),
        None,
        &deps,
    )
}

fn replace(state: &State, name: &str, value: &str, action: Action) -> ResourceChange {
    change(
        name,
        action,
        Some(current(state, name)),
        Some(thing(name, value)),
        &[],
    )
}

fn plan(changes: Vec<ResourceChange>) -> Plan {
    Plan {
        mode: Mode::Normal,
        changes,
        outputs: vec![],
        drift: vec![],
        prior_state: State::new(),
        prior_serial: 0,
        variables: BTreeMap::new(),
        targets: vec![],
        refactor: Default::default(),
    }
}

struct Harness {
    world: WorldHandle,
    provider: Arc<Wrapped>,
    providers: ProviderMap,
    sink: Sink,
    opts: Options,
}

impl Harness {
    fn new() -> Harness {
        let world = WorldHandle::default();
        let provider = Wrapped::new(&world);
        let mut providers = ProviderMap::new();
        providers.insert(P, provider.clone() as Arc<dyn Provider>);
        Harness {
            world,
            provider,
            providers,
            sink: Sink::default(),
            opts: Options::default(),
        }
    }
    fn delay(&self, d: Duration) {
        self.world.0.lock().unwrap().delay = Some(d);
    }
    async fn run(&self, plan: &Plan, state: State) -> (Outcome, Vec<Event>) {
        self.run_with(plan, state, &NoReplan).await
    }
    async fn run_with(
        &self,
        plan: &Plan,
        state: State,
        r: &dyn Replanner,
    ) -> (Outcome, Vec<Event>) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let out = apply(plan, state, &self.providers, &self.opts, &self.sink, r, tx).await;
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        (out, events)
    }
    /// Creates objects (each depending on the previous one when `chain`) and forgets the log.
    async fn seed(&self, names: &[&str], chain: bool) -> State {
        let changes = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let deps: Vec<&str> = if chain && i > 0 {
                    vec![names[i - 1]]
                } else {
                    vec![]
                };
                create(n, "v1", &deps)
            })
            .collect();
        let (out, _) = self.run(&plan(changes), State::new()).await;
        assert!(out.is_success(), "{:?}", out.errors);
        self.world.0.lock().unwrap().log.clear();
        out.state
    }
    fn objects(&self) -> BTreeMap<String, Value> {
        self.world.0.lock().unwrap().objects.clone()
    }
    /// The live objects without their ids (a recreated object gets a new id).
    fn contents(&self) -> Vec<Value> {
        let mut v: Vec<Value> = self.objects().into_values().map(without_id).collect();
        v.sort_by_key(|o| o.to_json().to_string());
        v
    }
    fn log(&self) -> Vec<String> {
        self.world
            .log()
            .into_iter()
            .map(|(op, n)| format!("{op:?} {n}"))
            .collect()
    }
    /// Every object state records exists with exactly these attributes, and nothing else exists.
    fn assert_state_matches_world(&self, state: &State) {
        let world: BTreeMap<String, serde_json::Value> = self
            .objects()
            .into_iter()
            .map(|(id, v)| (id, v.to_json()))
            .collect();
        let recorded: BTreeMap<String, serde_json::Value> = state
            .instances()
            .map(|(_, _, i)| {
                let id = i.attributes.get_str("id").unwrap_or_else(|| "?".into());
                (id, i.attributes.to_json())
            })
            .collect();
        assert_eq!(recorded, world, "state and world differ");
    }
}

fn without_id(v: Value) -> Value {
    let mut m = v.as_map().cloned().unwrap_or_default();
    m.remove("id");
    Value::Object(m)
}

fn position(log: &[String], entry: &str) -> usize {
    log.iter()
        .position(|l| l == entry)
        .unwrap_or_else(|| panic!("{entry} not in {log:?}"))
}

#[tokio::test]
async fn creates_follow_dependencies_and_record_state() {
    let h = Harness::new();
    // Listed out of order: c needs b, b needs a.
    let p = plan(vec![
        create("c", "x", &["b"]),
        create("b", "x", &["a"]),
        create("a", "x", &[]),
    ]);
    let (out, events) = h.run(&p, State::new()).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(h.log(), ["Create a", "Create b", "Create c"]);
    h.assert_state_matches_world(&out.state);
    let b = out.state.instance(&addr("b")).unwrap();
    assert_eq!(b.dependencies, vec![res("a")]);
    assert!(!b.tainted);
    let completed = events
        .iter()
        .filter(|e| matches!(e, Event::Completed { id: Some(_), .. }))
        .count();
    assert_eq!(completed, 3);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Started { .. }))
            .count(),
        3
    );
}

#[tokio::test]
async fn deletes_go_in_reverse_dependency_order() {
    let h = Harness::new();
    let state = h.seed(&["a", "b", "c"], true).await;
    let p = plan(vec![
        delete(&state, "a"),
        delete(&state, "b"),
        delete(&state, "c"),
    ]);
    let (out, _) = h.run(&p, state).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(h.log(), ["Delete c", "Delete b", "Delete a"]);
    assert!(out.state.resources.is_empty());
    assert!(h.objects().is_empty());
}

#[tokio::test]
async fn delete_waits_for_update_of_a_former_dependent() {
    let h = Harness::new();
    let state = h.seed(&["a", "b"], true).await;
    // b stops depending on a, then a goes.
    let p = plan(vec![delete(&state, "a"), update(&state, "b", "v2", &[])]);
    let (out, _) = h.run(&p, state).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(h.log(), ["Update b", "Delete a"]);
    h.assert_state_matches_world(&out.state);
}

#[tokio::test]
async fn updates_and_replacements() {
    let h = Harness::new();
    let state = h.seed(&["u", "d", "c"], false).await;
    let old_d = current(&state, "d");
    let old_c = current(&state, "c");
    let p = plan(vec![
        update(&state, "u", "v2", &[]),
        replace(&state, "d", "v2", Action::DeleteThenCreate),
        replace(&state, "c", "v2", Action::CreateThenDelete),
    ]);
    let (out, _) = h.run(&p, state).await;
    assert!(out.is_success(), "{:?}", out.errors);
    let log = h.log();
    assert!(
        position(&log, "Delete d") < position(&log, "Create d"),
        "{log:?}"
    );
    assert!(
        position(&log, "Create c") < position(&log, "Delete c"),
        "{log:?}"
    );
    h.assert_state_matches_world(&out.state);
    assert_eq!(
        h.world.get_by_name("u").unwrap().get_attr("value"),
        Some(&Value::string("v2"))
    );
    assert_ne!(
        current(&out.state, "d").get_attr("id"),
        old_d.get_attr("id")
    );
    assert_ne!(
        current(&out.state, "c").get_attr("id"),
        old_c.get_attr("id")
    );
    assert!(
        out.state
            .instance(&addr("c"))
            .unwrap()
            .create_before_destroy
    );
}

#[tokio::test]
async fn replacements_delete_dependents_first_and_create_dependencies_first() {
    // b uses a; both are replaced (delete then create), as a subnet and its instance would be.
    let h = Harness::new();
    let state = h.seed(&["a", "b"], true).await;
    let mut rb = replace(&state, "b", "v2", Action::DeleteThenCreate);
    rb.dependencies = vec![res("a")];
    let p = plan(vec![
        replace(&state, "a", "v2", Action::DeleteThenCreate),
        rb,
    ]);
    let (out, events) = h.run(&p, state).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(h.log(), ["Delete b", "Delete a", "Create a", "Create b"]);
    h.assert_state_matches_world(&out.state);
    // Each replacement reports one start and one completion.
    let started = events
        .iter()
        .filter(|e| matches!(e, Event::Started { .. }))
        .count();
    let completed = events
        .iter()
        .filter(|e| matches!(e, Event::Completed { .. }))
        .count();
    assert_eq!((started, completed), (2, 2));
}

#[tokio::test]
async fn update_of_a_dependent_waits_for_the_replacement() {
    // a is replaced; b still uses it and is updated with its new id: no deadlock.
    let h = Harness::new();
    let state = h.seed(&["a", "b"], true).await;
    let p = plan(vec![
        replace(&state, "a", "v2", Action::DeleteThenCreate),
        update(&state, "b", "v2", &["a"]),
    ]);
    let (out, _) = h.run(&p, state).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(h.log(), ["Delete a", "Create a", "Update b"]);
    h.assert_state_matches_world(&out.state);
}

#[tokio::test]
async fn a_dependency_cycle_is_reported_not_hung() {
    let h = Harness::new();
    let p = plan(vec![
        create("a", "x", &["b"]),
        create("b", "x", &["a"]),
        create("c", "x", &[]),
    ]);
    let (out, _) = h.run(&p, State::new()).await;
    let failed: Vec<String> = out.errors.iter().map(|(a, _)| a.to_string()).collect();
    assert_eq!(failed, ["mock_thing.a", "mock_thing.b"]);
    assert!(out.errors[0].1.contains("cycle"));
    // What ran is rolled back like any other failure.
    assert_eq!(out.rolled_back, vec![addr("c")]);
    assert!(h.objects().is_empty());
}

#[tokio::test]
async fn failure_in_the_create_half_of_a_replacement_restores_the_old_object() {
    let h = Harness::new();
    let state = h.seed(&["a"], false).await;
    h.world.fail_on(Op::Create, "a");
    let p = plan(vec![replace(&state, "a", "v2", Action::DeleteThenCreate)]);
    let (out, _) = h.run(&p, state.clone()).await;
    assert_eq!(out.errors.len(), 1);
    // Recreating the old object is a create of "a" too, which still fails: reported, and the
    // state says the object is gone, as it is.
    assert!(out.rolled_back.is_empty());
    assert_eq!(out.rollback_failures.len(), 1);
    assert!(h.objects().is_empty());
    h.assert_state_matches_world(&out.state);

    // When the re-creation works, the old object is back (with a new id).
    let h = Harness::new();
    let state = h.seed(&["a"], false).await;
    let before = h.contents();
    let mut p = plan(vec![replace(&state, "a", "v2", Action::DeleteThenCreate)]);
    p.changes[0].after = Some(thing("a2", "v2"));
    h.world.fail_on(Op::Create, "a2");
    let (out, _) = h.run(&p, state).await;
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.rolled_back, vec![addr("a")]);
    assert_eq!(h.contents(), before);
    h.assert_state_matches_world(&out.state);
}

#[tokio::test(start_paused = true)]
async fn parallelism_is_bounded() {
    for limit in [1, 3, 8] {
        let mut h = Harness::new();
        h.opts.parallelism = limit;
        h.delay(Duration::from_millis(100));
        let changes = (0..20)
            .map(|i| create(&format!("t{i}"), "x", &[]))
            .collect();
        let (out, _) = h.run(&plan(changes), State::new()).await;
        assert!(out.is_success());
        assert_eq!(
            h.provider.max.load(Ordering::SeqCst),
            limit,
            "limit {limit}"
        );
        assert_eq!(h.objects().len(), 20);
    }
}

#[tokio::test]
async fn large_count_feeding_large_count() {
    // 1000 instances of one resource feeding 1000 of another: ordered by two counters.
    let h = Harness::new();
    let mut changes = Vec::new();
    for i in 0..1000 {
        let mut c = create(&format!("dst{i}"), "x", &["src"]);
        c.addr = res("dst").instance(InstanceKey::Int(i));
        changes.push(c);
        let mut c = create(&format!("src{i}"), "x", &[]);
        c.addr = res("src").instance(InstanceKey::Int(i));
        changes.push(c);
    }
    let (out, _) = h.run(&plan(changes), State::new()).await;
    assert!(out.is_success());
    let log = h.log();
    let last_src = log
        .iter()
        .rposition(|l| l.starts_with("Create src"))
        .unwrap();
    let first_dst = log
        .iter()
        .position(|l| l.starts_with("Create dst"))
        .unwrap();
    assert!(last_src < first_dst);
    assert_eq!(out.state.instances().count(), 2000);
}

/// A plan of creates and updates, with a failure injected at `fail_at`.
async fn fail_and_roll_back(fail_at: usize) {
    let mut h = Harness::new();
    h.opts.parallelism = 1;
    let state = h.seed(&["u1", "u2"], false).await;
    let world_before = h.objects();
    let state_before = state.clone();
    let p = plan(vec![
        update(&state, "u1", "v2", &[]),
        create("a", "x", &["u1"]),
        update(&state, "u2", "v2", &["a"]),
        create("b", "x", &["u2"]),
        create("c", "x", &["b"]),
    ]);
    let names = ["u1", "a", "u2", "b", "c"];
    let op = if names[fail_at].starts_with('u') {
        Op::Update
    } else {
        Op::Create
    };
    h.world.fail_on(op, names[fail_at]);
    let (out, events) = h.run(&p, state).await;
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.errors[0].0, addr(names[fail_at]));
    assert_eq!(out.rolled_back.len(), fail_at, "{:?}", out.rolled_back);
    assert!(out.rollback_failures.is_empty());
    assert_eq!(h.objects(), world_before, "world restored");
    assert_eq!(
        out.state.resources, state_before.resources,
        "state restored"
    );
    assert!(events.contains(&Event::RollbackStarted { count: fail_at }));
    // Nothing after the failure was attempted.
    let log = h.log();
    assert!(!log.iter().any(|l| {
        names[fail_at + 1..]
            .iter()
            .any(|n| l.ends_with(&format!(" {n}")))
    }));
}

#[tokio::test]
async fn failure_first_rolls_back() {
    fail_and_roll_back(0).await;
}
#[tokio::test]
async fn failure_middle_rolls_back() {
    fail_and_roll_back(2).await;
}
#[tokio::test]
async fn failure_last_rolls_back() {
    fail_and_roll_back(4).await;
}

fn mixed_plan(state: &State) -> Plan {
    plan(vec![
        update(state, "u", "v2", &[]),
        create("a", "x", &["u"]),
        delete(state, "z"),
        replace(state, "r", "v2", Action::DeleteThenCreate),
        create("b", "x", &["a", "z", "r"]),
    ])
}

#[tokio::test]
async fn rollback_recreates_deleted_and_replaced_objects() {
    let mut h = Harness::new();
    h.opts.parallelism = 1;
    let state = h.seed(&["u", "z", "r"], false).await;
    let contents_before = h.contents();
    h.world.fail_on(Op::Create, "b");
    let (out, _) = h.run(&mixed_plan(&state), state.clone()).await;
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.rolled_back.len(), 4, "{:?}", out.rolled_back);
    assert_eq!(h.contents(), contents_before);
    h.assert_state_matches_world(&out.state);
    let names: Vec<String> = out
        .state
        .instances()
        .map(|(a, _, _)| a.to_string())
        .collect();
    assert_eq!(names, ["mock_thing.r", "mock_thing.u", "mock_thing.z"]);
    // Recreating z asks the provider for a new object: its id is unknown, not the old one.
    let creates = h.provider.creates.lock().unwrap().clone();
    let z = creates
        .iter()
        .rfind(|v| v.get_attr("name") == Some(&Value::string("z")))
        .unwrap();
    assert_eq!(z.get_attr("id"), Some(&Value::Unknown));
    assert_eq!(z.get_attr("value"), Some(&Value::string("v1")));
}

#[tokio::test]
async fn without_rollback_what_succeeded_is_kept() {
    let mut h = Harness::new();
    h.opts.parallelism = 1;
    h.opts.rollback = false;
    let state = h.seed(&["u", "z", "r"], false).await;
    h.world.fail_on(Op::Create, "b");
    let (out, events) = h.run(&mixed_plan(&state), state.clone()).await;
    assert_eq!(
        out.errors,
        vec![(addr("b"), "injected failure: Create of b".to_string())]
    );
    assert!(out.rolled_back.is_empty());
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::RollbackStarted { .. }))
    );
    assert_eq!(h.world.names(), ["a", "r", "u"]);
    assert_eq!(
        h.world.get_by_name("u").unwrap().get_attr("value"),
        Some(&Value::string("v2"))
    );
    assert_eq!(
        h.world.get_by_name("r").unwrap().get_attr("value"),
        Some(&Value::string("v2"))
    );
    h.assert_state_matches_world(&out.state);
}

#[tokio::test(start_paused = true)]
async fn rollback_runs_unrelated_undos_side_by_side_and_related_ones_in_order() {
    let h = Harness::new();
    h.delay(Duration::from_millis(100));
    let mut changes: Vec<ResourceChange> =
        (0..8).map(|i| create(&format!("t{i}"), "x", &[])).collect();
    changes.push(create("a", "x", &[]));
    changes.push(create("b", "x", &["a"]));
    changes.push(create("c", "x", &["b"]));
    let all: Vec<String> = (0..8)
        .map(|i| format!("t{i}"))
        .chain(["c".to_string()])
        .collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    changes.push(create("x", "x", &all));
    h.world.fail_on(Op::Create, "x");
    let start = tokio::time::Instant::now();
    let (out, _) = h.run(&plan(changes), State::new()).await;
    let elapsed = start.elapsed();
    assert_eq!(out.rolled_back.len(), 11);
    assert!(h.objects().is_empty());
    // Creates: a, b, c in turn (the others alongside), then x: 4 × 100 ms. Rollback: c, b, a
    // in turn (the others alongside): 3 × 100 ms. One at a time it would take 1.1 s.
    assert_eq!(elapsed, Duration::from_millis(700), "{elapsed:?}");
    let log = h.log();
    assert!(position(&log, "Delete c") < position(&log, "Delete b"));
    assert!(position(&log, "Delete b") < position(&log, "Delete a"));
}

#[tokio::test]
async fn a_replacement_whose_new_object_cannot_be_deleted_keeps_it() {
    let h = Harness::new();
    let state = h.seed(&["a"], false).await;
    let mut r = replace(&state, "a", "v2", Action::DeleteThenCreate);
    r.after = Some(thing("a2", "v2"));
    let p = plan(vec![r, create("x", "x", &["a"])]);
    h.world.fail_on(Op::Create, "x");
    h.world.fail_on(Op::Delete, "a2");
    let (out, _) = h.run(&p, state).await;
    assert_eq!(out.errors.len(), 1);
    // The old object is not recreated over the new one, which stays recorded.
    assert_eq!(
        out.rollback_failures.len(),
        2,
        "{:?}",
        out.rollback_failures
    );
    assert_eq!(h.world.names(), ["a2"]);
    h.assert_state_matches_world(&out.state);
}

#[tokio::test]
async fn failed_rollback_step_is_reported_and_state_matches_world() {
    let mut h = Harness::new();
    h.opts.parallelism = 1;
    let p = plan(vec![
        create("a", "x", &[]),
        create("b", "x", &["a"]),
        create("c", "x", &["b"]),
    ]);
    h.world.fail_on(Op::Create, "c");
    h.world.fail_on(Op::Delete, "b");
    let (out, events) = h.run(&p, State::new()).await;
    assert_eq!(out.errors.len(), 1);
    let failed: Vec<&InstanceAddr> = out.rollback_failures.iter().map(|(a, _)| a).collect();
    // b could not be deleted, so a (which b uses) stays too.
    assert_eq!(failed, [&addr("b"), &addr("a")]);
    assert!(
        out.rollback_failures[0]
            .1
            .contains("injected failure: Delete of b")
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::RollbackFailed { addr, .. } if *addr == self::addr("b")))
    );
    assert_eq!(h.world.names(), ["a", "b"]);
    h.assert_state_matches_world(&out.state);
}

#[tokio::test]
async fn failing_delete_of_the_old_object_keeps_it() {
    let mut h = Harness::new();
    h.opts.rollback = false;
    let state = h.seed(&["c"], false).await;
    let before = h.objects();
    h.world.fail_on(Op::Delete, "c");
    let p = plan(vec![replace(&state, "c", "v2", Action::CreateThenDelete)]);
    // The new object can't be deleted either: both exist... so only fail the old one's delete
    // by name is impossible (same name); the new one's delete fails too and is reported.
    let (out, _) = h.run(&p, state).await;
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0].1.contains("not tracked"),
        "{}",
        out.errors[0].1
    );
    assert_eq!(h.objects().len(), 2);
    assert!(before.keys().all(|k| h.objects().contains_key(k)));
}

#[tokio::test(start_paused = true)]
async fn retryable_errors_are_retried() {
    let h = Harness::new();
    h.provider.flaky("a", 3);
    let (out, _) = h
        .run(&plan(vec![create("a", "x", &[])]), State::new())
        .await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(h.provider.calls.load(Ordering::SeqCst), 4);
    assert_eq!(h.world.names(), ["a"]);

    let h = Harness::new();
    h.provider.flaky("a", 100);
    let start = tokio::time::Instant::now();
    let (out, _) = h
        .run(&plan(vec![create("a", "x", &[])]), State::new())
        .await;
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].1, "throttled");
    assert_eq!(
        h.provider.calls.load(Ordering::SeqCst),
        op::MAX_ATTEMPTS as usize
    );
    // Backoff grows: 0.5 + 1 + 2 + 4 seconds at least, with jitter on top.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(7500) && waited < Duration::from_secs(12),
        "{waited:?}"
    );
}

#[test]
fn backoff_grows_with_jitter_and_is_capped() {
    for attempt in 1..8 {
        let d = op::backoff(attempt);
        let base = Duration::from_millis(500 * (1 << (attempt - 1))).min(Duration::from_secs(20));
        assert!(d >= base && d <= base + base / 2, "{attempt}: {d:?}");
    }
}

#[tokio::test]
async fn unknowns_from_dependencies_are_replanned() {
    let h = Harness::new();
    let mut b = create("b", "", &["a"]);
    b.after = Some(Value::object([
        ("id", Value::Unknown),
        ("name", Value::string("b")),
        ("value", Value::Unknown),
        ("secret", Value::Null),
    ]));
    let p = plan(vec![create("a", "x", &[]), b]);
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    let replanner = FnReplanner(Box::new(move |c, state| {
        seen2.fetch_add(1, Ordering::SeqCst);
        let a = state.instance(&addr("a")).ok_or("a not applied yet")?;
        let id = a.attributes.get_str("id").unwrap_or_default();
        let mut after = c
            .after
            .clone()
            .and_then(|v| v.as_map().cloned())
            .unwrap_or_default();
        after.insert("value".into(), Value::string(format!("from {id}")));
        Ok(Value::Object(after))
    }));
    let (out, _) = h.run_with(&p, State::new(), &replanner).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(seen.load(Ordering::SeqCst), 1, "only b waits for unknowns");
    let a_id = h
        .world
        .get_by_name("a")
        .unwrap()
        .get_attr("id")
        .cloned()
        .unwrap();
    let expected = format!("from {}", a_id.as_str().unwrap());
    assert_eq!(
        h.world.get_by_name("b").unwrap().get_attr("value"),
        Some(&Value::string(expected))
    );
    h.assert_state_matches_world(&out.state);
}

#[tokio::test]
async fn replan_failure_stops_the_run() {
    let h = Harness::new();
    let mut b = create("b", "", &["a"]);
    b.after = Some(
        thing("b", "x")
            .as_map()
            .cloned()
            .map(|mut m| {
                m.insert("value".into(), Value::Unknown);
                Value::Object(m)
            })
            .unwrap(),
    );
    let replanner = FnReplanner(Box::new(|_, _| Err("cannot evaluate".to_string())));
    let (out, _) = h
        .run_with(
            &plan(vec![create("a", "x", &[]), b]),
            State::new(),
            &replanner,
        )
        .await;
    assert_eq!(out.errors, vec![(addr("b"), "cannot evaluate".to_string())]);
    assert_eq!(out.rolled_back, vec![addr("a")]);
    assert!(h.objects().is_empty());
}

#[tokio::test]
async fn sensitive_values_reach_providers_unmarked_and_state_marked() {
    let h = Harness::new();
    let mut c = create("a", "x", &[]);
    c.after = Some(Value::object([
        ("id", Value::Unknown),
        ("name", Value::string("a")),
        ("value", Value::string("v").mark_sensitive()),
        ("secret", Value::string("s")),
    ]));
    let (out, _) = h.run(&plan(vec![c]), State::new()).await;
    assert!(out.is_success());
    let obj = h.world.get_by_name("a").unwrap();
    assert!(!obj.contains_sensitive());
    assert_eq!(obj.get_attr("value"), Some(&Value::string("v")));
    let i = out.state.instance(&addr("a")).unwrap();
    assert_eq!(
        i.sensitive_paths,
        vec![
            vec![PathStep::Attr("secret".into())],
            vec![PathStep::Attr("value".into())]
        ]
    );
    assert_eq!(i.attributes.to_json()["value"], "v");
}

#[tokio::test(start_paused = true)]
async fn state_is_persisted_at_the_end_not_per_operation() {
    let h = Harness::new();
    let changes = (0..30)
        .map(|i| create(&format!("t{i}"), "x", &[]))
        .collect();
    let (out, _) = h.run(&plan(changes), State::new()).await;
    assert!(out.is_success());
    assert_eq!(h.sink.calls.load(Ordering::SeqCst), 1);
    assert_eq!(h.sink.last.lock().unwrap().as_ref(), Some(&out.state));

    // A long run persists every interval as well.
    let (h, out) = twelve_seconds_of_operations(Duration::ZERO).await;
    let calls = h.sink.calls.load(Ordering::SeqCst);
    assert!((2..=4).contains(&calls), "{calls} persists");
    assert_eq!(out.state.serial, calls as u64);
}

/// Twelve operations of 1 s one after the other, a persist every 5 s, each taking `persist`.
async fn twelve_seconds_of_operations(persist: Duration) -> (Harness, Outcome) {
    twelve_seconds_of_operations_on(persist, State::new()).await
}

/// [`twelve_seconds_of_operations`] from a prior state holding `prior`.
async fn twelve_seconds_of_operations_on(persist: Duration, prior: State) -> (Harness, Outcome) {
    let mut h = Harness::new();
    *h.sink.takes.lock().unwrap() = persist;
    let p = twelve_operations_of_a_second(&mut h);
    let (out, _) = h.run(&p, prior).await;
    assert!(out.is_success());
    (h, out)
}

/// Sets `h` up to run operations of 1 s one after the other, with a persist every 5 s, and
/// plans twelve of them.
fn twelve_operations_of_a_second(h: &mut Harness) -> Plan {
    h.opts.parallelism = 1;
    h.opts.persist_interval = Duration::from_secs(5);
    h.delay(Duration::from_secs(1));
    plan(
        (0..12)
            .map(|i| create(&format!("t{i}"), "x", &[]))
            .collect(),
    )
}

#[tokio::test(start_paused = true)]
async fn a_large_state_is_not_written_before_ten_times_what_writing_it_should_take() {
    // 70,000 stored objects: writing them is expected to take about 1.4 s, so no periodic
    // persist comes before 14 s, after the run; only the final one. (The journal keeps the
    // run safe meanwhile.)
    let mut prior = State::new();
    for i in 0..70_000 {
        let name = format!("old{i}");
        prior.set_instance(&addr(&name), P, Some(inst(&name, Some(&i.to_string()))));
    }
    let (h, out) = twelve_seconds_of_operations_on(Duration::ZERO, prior).await;
    assert_eq!(h.sink.calls.load(Ordering::SeqCst), 1);
    assert_eq!(h.sink.last.lock().unwrap().as_ref(), Some(&out.state));
    // With a small state the persist at 5 s happens (see the tests above).
    let (h, _) = twelve_seconds_of_operations(Duration::ZERO).await;
    assert!(h.sink.calls.load(Ordering::SeqCst) >= 2);
}

#[tokio::test(start_paused = true)]
async fn a_slow_persist_is_not_repeated_within_ten_times_its_duration() {
    // Persists taking 2 s: the first periodic persist (at 5 s) holds back the next one until
    // 25 s, after the run. One periodic persist and the final one.
    let (h, out) = twelve_seconds_of_operations(Duration::from_secs(2)).await;
    assert_eq!(h.sink.calls.load(Ordering::SeqCst), 2);
    assert_eq!(h.sink.last.lock().unwrap().as_ref(), Some(&out.state));
}

#[tokio::test(start_paused = true)]
async fn operations_go_on_while_the_state_is_written_in_the_middle() {
    // Twelve operations of 1 s and persists of 2 s: the periodic persist at 5 s overlaps the
    // operations (had dispatch waited for it, the run would take 12 + 2 + 2 s).
    let started = tokio::time::Instant::now();
    let (h, out) = twelve_seconds_of_operations(Duration::from_secs(2)).await;
    let took = started.elapsed();
    assert_eq!(h.sink.calls.load(Ordering::SeqCst), 2);
    assert!(
        took < Duration::from_millis(14_500),
        "the run took {took:?}: dispatch waited for the write"
    );
    assert_eq!(h.sink.last.lock().unwrap().as_ref(), Some(&out.state));
    assert_eq!(out.state.serial, 2);
}

#[tokio::test(start_paused = true)]
async fn long_operations_report_still_running() {
    let h = Harness::new();
    h.delay(Duration::from_secs(25));
    let (out, events) = h
        .run(&plan(vec![create("a", "x", &[])]), State::new())
        .await;
    assert!(out.is_success());
    let still: Vec<Duration> = events
        .iter()
        .filter_map(|e| match e {
            Event::StillRunning { elapsed, .. } => Some(*elapsed),
            _ => None,
        })
        .collect();
    assert_eq!(still, [Duration::from_secs(10), Duration::from_secs(20)]);
}

#[tokio::test(start_paused = true)]
async fn in_flight_operations_finish_after_a_failure() {
    let mut h = Harness::new();
    h.opts.parallelism = 4;
    h.opts.rollback = false;
    h.delay(Duration::from_millis(100));
    for n in ["b", "c", "d"] {
        h.provider
            .slow
            .lock()
            .unwrap()
            .insert(n.into(), Duration::from_millis(200));
    }
    h.world.fail_on(Op::Create, "a");
    let p = plan(vec![
        create("a", "x", &[]),
        create("b", "x", &[]),
        create("c", "x", &[]),
        create("d", "x", &[]),
        create("e", "x", &["b"]),
        create("f", "x", &[]),
    ]);
    let (out, events) = h.run(&p, State::new()).await;
    assert_eq!(out.errors.len(), 1);
    // b, c and d were running when a failed: they finish and are kept; nothing new starts.
    assert_eq!(h.world.names(), ["b", "c", "d"]);
    let started: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Started { addr, .. } => Some(addr.resource.name.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(started, ["a", "b", "c", "d"]);
    h.assert_state_matches_world(&out.state);
}

struct FailingSink;

#[async_trait]
impl StateSink for FailingSink {
    async fn persist(&self, _state: &State) -> Result<(), StateError> {
        Err(StateError::Backend("disk full".into()))
    }
}

#[tokio::test]
async fn a_state_that_cannot_be_saved_keeps_the_journal() {
    let dir = tmp();
    let path = dir.path().join("terraform.tfstate.journal");
    let mut h = Harness::new();
    h.opts.journal = Some(path.clone());
    let start = State::new();
    let p = plan(vec![create("a", "x", &[]), create("b", "x", &["a"])]);
    let (tx, _rx) = mpsc::unbounded_channel();
    let out = apply(
        &p,
        start.clone(),
        &h.providers,
        &h.opts,
        &FailingSink,
        &NoReplan,
        tx,
    )
    .await;
    assert!(out.errors.is_empty());
    assert!(
        out.fatal.iter().any(|f| f.contains("disk full")),
        "{:?}",
        out.fatal
    );
    assert!(
        out.fatal.iter().any(|f| f.contains("journal")),
        "{:?}",
        out.fatal
    );
    // Recovery from the state the run started with gets to the same place.
    let rec = journal::recover(&path).unwrap().expect("journal kept");
    let mut state = start;
    assert!(rec.replay(&mut state).unwrap().is_empty());
    assert_eq!(state.resources, out.state.resources);
    h.assert_state_matches_world(&state);
}

#[test]
fn the_run_can_be_spawned() {
    fn is_send<T: Send>(_: &T) {}
    let h = Harness::new();
    let p = plan(vec![]);
    let (tx, _rx) = mpsc::unbounded_channel();
    let fut = apply(
        &p,
        State::new(),
        &h.providers,
        &h.opts,
        &h.sink,
        &NoReplan,
        tx,
    );
    is_send(&fut);
}

#[tokio::test]
async fn known_outputs_are_recorded_after_a_successful_run() {
    use crate::plan::OutputChange;
    use crate::state::OutputState;
    let h = Harness::new();
    let mut state = State::new();
    let old = OutputState {
        value: "old".into(),
        ty: "string".into(),
        sensitive: false,
    };
    state.outputs.insert("gone".into(), old.clone());
    state.outputs.insert("kept".into(), old.clone());
    let output = |name: &str, action, after| OutputChange {
        name: name.into(),
        action,
        before: None,
        after,
        sensitive: false,
    };
    let mut p = plan(vec![create("a", "x", &[])]);
    p.outputs = vec![
        output("gone", Action::Delete, None),
        output("kept", Action::NoOp, Some(Value::string("old"))),
        output(
            "new",
            Action::Create,
            Some(Value::string("s").mark_sensitive()),
        ),
        output("later", Action::Create, Some(Value::Unknown)),
    ];
    let (out, _) = h.run(&p, state.clone()).await;
    assert!(out.is_success());
    let names: Vec<&String> = out.state.outputs.keys().collect();
    assert_eq!(names, ["kept", "new"]);
    assert_eq!(
        out.state.outputs["new"],
        OutputState {
            value: "s".into(),
            ty: "string".into(),
            sensitive: true
        }
    );
    // After a failure the outputs stay as they were.
    h.world.fail_on(Op::Create, "a");
    let (out, _) = h.run(&p, state.clone()).await;
    assert_eq!(out.state.outputs, state.outputs);
}

// ----- the journal -----

#[tokio::test]
async fn only_external_operations_wait_for_the_disk() {
    let chain: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
    let changes = |n: usize| {
        (0..n)
            .map(|i| {
                let deps: Vec<&str> = if i > 0 {
                    vec![chain[i - 1].as_str()]
                } else {
                    vec![]
                };
                create(&chain[i], "x", &deps)
            })
            .collect::<Vec<_>>()
    };
    for internal in [true, false] {
        let dir = tmp();
        let world = WorldHandle::default();
        let provider = Wrapped::new(&world);
        provider.internal.store(internal, Ordering::SeqCst);
        let mut providers = ProviderMap::new();
        providers.insert(P, provider.clone() as Arc<dyn Provider>);
        let opts = Options {
            journal: Some(dir.path().join("j")),
            ..Options::default()
        };
        let (tx, _rx) = mpsc::unbounded_channel();
        let p = plan(changes(40));
        let out = apply(
            &p,
            State::new(),
            &providers,
            &opts,
            &Sink::default(),
            &NoReplan,
            tx,
        )
        .await;
        assert!(out.is_success(), "{:?}", out.fatal);
        if internal {
            // The beginning, the flush before the state is saved, the end.
            assert!(out.journal_syncs <= 3, "{}", out.journal_syncs);
        } else {
            // Every operation's start and end, one after the other along the chain.
            assert!(out.journal_syncs >= 80, "{}", out.journal_syncs);
        }
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[tokio::test]
async fn journal_is_removed_after_a_run() {
    let dir = tmp();
    let path = dir.path().join("terraform.tfstate.journal");
    let mut h = Harness::new();
    h.opts.journal = Some(path.clone());
    let (out, _) = h
        .run(&plan(vec![create("a", "x", &[])]), State::new())
        .await;
    assert!(out.is_success(), "{:?} {:?}", out.errors, out.fatal);
    assert!(!path.exists());
    // Also after a failure and rollback.
    h.world.fail_on(Op::Create, "b");
    let (out, _) = h
        .run(&plan(vec![create("b", "x", &[])]), State::new())
        .await;
    assert_eq!(out.errors.len(), 1);
    assert!(out.fatal.is_empty(), "{:?}", out.fatal);
    assert!(!path.exists());
}

#[tokio::test]
async fn an_unrecovered_journal_blocks_the_run() {
    let dir = tmp();
    let path = dir.path().join("j");
    let j = Journal::create(&path).unwrap();
    j.append(
        &Record::Begin {
            run_id: "r".into(),
            lineage: "l".into(),
            serial: 1,
        },
        true,
    )
    .unwrap();
    let mut h = Harness::new();
    h.opts.journal = Some(path.clone());
    let (out, _) = h
        .run(&plan(vec![create("a", "x", &[])]), State::new())
        .await;
    assert_eq!(out.fatal.len(), 1);
    assert!(out.fatal[0].contains("interrupted run"));
    assert!(h.objects().is_empty());
}

fn inst(name: &str, id: Option<&str>) -> InstanceState {
    InstanceState {
        attributes: serde_json::json!({"id": id, "name": name, "value": "v", "secret": null})
            .into(),
        ..InstanceState::default()
    }
}

fn start(
    seq: u64,
    name: &str,
    kind: OpKind,
    prior: Option<InstanceState>,
    planned: Option<InstanceState>,
) -> Record {
    Record::Start {
        seq,
        addr: addr(name),
        provider: P.into(),
        kind,
        deposed: false,
        prior,
        planned,
    }
}

fn write_journal(path: &Path, lineage: &str, records: &[Record]) {
    let j = Journal::create(path).unwrap();
    j.append(
        &Record::Begin {
            run_id: "r".into(),
            lineage: lineage.into(),
            serial: 3,
        },
        false,
    )
    .unwrap();
    for r in records {
        j.append(r, false).unwrap();
    }
    j.flush().unwrap();
}

#[test]
fn torn_last_line_is_ignored() {
    let dir = tmp();
    let path = dir.path().join("j");
    let recs = [
        start(1, "a", OpKind::Create, None, Some(inst("a", None))),
        Record::Done {
            seq: 1,
            result: Some(inst("a", Some("1"))),
        },
    ];
    write_journal(&path, "l", &recs);
    let full = std::fs::read(&path).unwrap();
    let (read, torn) = journal::read(&path).unwrap().unwrap();
    assert_eq!(read.len(), 3);
    assert!(!torn);
    // Cut the last record anywhere: it is ignored, the others are kept.
    let last_start = full[..full.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    for cut in [last_start + 1, last_start + 20, full.len() - 1] {
        std::fs::write(&path, &full[..cut]).unwrap();
        let (read, torn) = journal::read(&path).unwrap().unwrap();
        assert_eq!(read.len(), 2, "cut at {cut}");
        assert!(torn);
    }
    // A garbled byte in a complete line is detected by the checksum.
    let mut bad = full.clone();
    let i = full.len() - 5;
    bad[i] = if bad[i] == b'x' { b'y' } else { b'x' };
    std::fs::write(&path, &bad).unwrap();
    let (read, torn) = journal::read(&path).unwrap().unwrap();
    assert_eq!((read.len(), torn), (2, true));
}

fn replayed(records: &[Record], state: &mut State) -> Vec<journal::Orphan> {
    let dir = tmp();
    let path = dir.path().join("j");
    write_journal(&path, &state.lineage.clone(), records);
    let rec = journal::recover(&path).unwrap().expect("an unfinished run");
    rec.replay(state).unwrap()
}

#[test]
fn replay_records_finished_and_unfinished_operations() {
    // Prior state: u and d exist.
    let mut state = State::new();
    state.set_instance(&addr("u"), P, Some(inst("u", Some("10"))));
    state.set_instance(&addr("d"), P, Some(inst("d", Some("11"))));
    state.set_instance(&addr("d2"), P, Some(inst("d2", Some("12"))));
    let base = state.clone();
    let records = [
        start(1, "a", OpKind::Create, None, Some(inst("a", None))),
        Record::Done {
            seq: 1,
            result: Some(inst("a", Some("1"))),
        },
        start(2, "b", OpKind::Create, None, Some(inst("b", None))),
        start(
            3,
            "u",
            OpKind::Update,
            Some(inst("u", Some("10"))),
            Some(inst("u", Some("10"))),
        ),
        start(4, "d", OpKind::Delete, Some(inst("d", Some("11"))), None),
        start(5, "d2", OpKind::Delete, Some(inst("d2", Some("12"))), None),
        Record::Done {
            seq: 5,
            result: None,
        },
        start(6, "f", OpKind::Create, None, Some(inst("f", None))),
        Record::Failed {
            seq: 6,
            message: "no".into(),
        },
    ];
    let orphans = replayed(&records, &mut state);
    assert!(orphans.is_empty());
    let a = state.instance(&addr("a")).unwrap();
    assert_eq!(
        (a.attributes.get_str("id").as_deref(), a.tainted),
        (Some("1"), false)
    );
    let b = state.instance(&addr("b")).unwrap();
    assert!(b.tainted, "an unfinished create is kept, tainted");
    assert_eq!(b.attributes.to_json()["name"], "b");
    assert!(state.instance(&addr("u")).unwrap().tainted);
    assert_eq!(
        state.instance(&addr("u")).unwrap().attributes,
        base.instance(&addr("u")).unwrap().attributes
    );
    assert!(state.instance(&addr("d")).unwrap().tainted);
    assert!(state.instance(&addr("d2")).is_none());
    assert!(state.instance(&addr("f")).is_none());
}

#[test]
fn replay_of_an_interrupted_create_before_destroy() {
    let mut state = State::new();
    let old = inst("c", Some("1"));
    state.set_instance(&addr("c"), P, Some(old.clone()));
    let new = inst("c", Some("2"));
    let created = [
        start(
            1,
            "c",
            OpKind::Create,
            Some(old.clone()),
            Some(inst("c", None)),
        ),
        Record::Done {
            seq: 1,
            result: Some(new.clone()),
        },
    ];
    // Crash before the old object's delete started, or while it ran: the old one is an orphan.
    for extra in [
        vec![],
        vec![Record::Start {
            seq: 2,
            addr: addr("c"),
            provider: P.into(),
            kind: OpKind::Delete,
            deposed: true,
            prior: Some(old.clone()),
            planned: None,
        }],
    ] {
        let mut s = state.clone();
        let records: Vec<Record> = created.iter().cloned().chain(extra).collect();
        let orphans = replayed(&records, &mut s);
        assert_eq!(s.instance(&addr("c")), Some(&new));
        assert_eq!(orphans.len(), 1);
        assert_eq!(orphans[0].object.attributes, old.attributes);
    }
    // The old one's delete finished: nothing is left over.
    let mut s = state.clone();
    let mut records = created.to_vec();
    records.push(Record::Start {
        seq: 2,
        addr: addr("c"),
        provider: P.into(),
        kind: OpKind::Delete,
        deposed: true,
        prior: Some(old.clone()),
        planned: None,
    });
    records.push(Record::Done {
        seq: 2,
        result: None,
    });
    assert!(replayed(&records, &mut s).is_empty());
    assert_eq!(s.instance(&addr("c")), Some(&new));
}

#[test]
fn replay_refuses_another_lineage_and_ended_runs_need_none() {
    let dir = tmp();
    let path = dir.path().join("j");
    write_journal(&path, "other", &[]);
    let rec = journal::recover(&path).unwrap().unwrap();
    assert!(rec.replay(&mut State::new()).is_err());
    let j = Journal::create(&path).unwrap();
    j.append(
        &Record::Begin {
            run_id: "r".into(),
            lineage: "l".into(),
            serial: 1,
        },
        false,
    )
    .unwrap();
    j.append(&Record::End { ok: true }, true).unwrap();
    assert!(journal::recover(&path).unwrap().is_none());
    assert!(
        journal::recover(&dir.path().join("missing"))
            .unwrap()
            .is_none()
    );
}

/// Crashes a run (drops its future) at many points; replaying the journal onto the last
/// persisted state never forgets an object that exists.
#[tokio::test(start_paused = true)]
async fn crash_at_any_point_loses_nothing() {
    let (mut recovered, mut tainted, mut finished_runs) = (0, 0, 0);
    for crash_ms in (0..=400).step_by(10) {
        let dir = tmp();
        let path = dir.path().join("terraform.tfstate.journal");
        let mut h = Harness::new();
        let seed = h.seed(&["u", "z"], false).await;
        h.opts.journal = Some(path.clone());
        h.opts.parallelism = 2;
        h.opts.persist_interval = Duration::from_millis(300);
        h.delay(Duration::from_millis(100));
        let p = plan(vec![
            create("a", "x", &[]),
            create("b", "x", &["a"]),
            update(&seed, "u", "v2", &["b"]),
            delete(&seed, "z"),
            create("d", "x", &["b"]),
        ]);
        let (tx, _rx) = mpsc::unbounded_channel();
        let run = apply(
            &p,
            seed.clone(),
            &h.providers,
            &h.opts,
            &h.sink,
            &NoReplan,
            tx,
        );
        let finished = tokio::time::timeout(Duration::from_millis(crash_ms), run)
            .await
            .is_ok();
        let mut state = h.sink.last.lock().unwrap().clone().unwrap_or(seed.clone());
        // What a crash leaves on disk: a blocking write the dropped run started can still land
        // after the drop, so both reads below look at one copy of the journal.
        let journal = dir.path().join("crashed.journal");
        if path.exists() {
            std::fs::copy(&path, &journal).unwrap();
        }
        match journal::recover(&journal).unwrap() {
            Some(rec) => {
                assert!(!finished);
                recovered += 1;
                let orphans = rec.replay(&mut state).unwrap();
                assert!(orphans.is_empty());
            }
            None => {
                // Either the run ended (it may have been stopped after recording its end, the
                // final state persisted, but before removing the journal), or it was stopped
                // before it recorded anything.
                let (ops, ended) = journal::read(&journal)
                    .unwrap()
                    .map_or((0, false), |(r, _)| {
                        let ended = r.iter().any(|x| matches!(x, Record::End { .. }));
                        (r.len(), ended)
                    });
                assert!(finished || ended || ops == 0, "crash at {crash_ms}");
            }
        }
        // Every live object is recorded under its name (by id when it is known).
        for obj in h.objects().values() {
            let name = obj.get_attr("name").and_then(Value::as_str).unwrap();
            let i = state
                .instance(&addr(name))
                .unwrap_or_else(|| panic!("{name} lost at {crash_ms} ms"));
            let id = i.attributes.get_str("id");
            let id = id.as_deref();
            assert!(
                id.is_none() || id == obj.get_attr("id").and_then(Value::as_str),
                "{name} at {crash_ms}"
            );
            assert!(id.is_some() || i.tainted);
        }
        tainted += usize::from(state.instances().any(|(_, _, i)| i.tainted));
        if finished {
            finished_runs += 1;
            h.assert_state_matches_world(&state);
        }
    }
    // The crash points cover the whole run: interrupted operations, and the end.
    assert!(recovered >= 10, "{recovered}");
    assert!(tainted >= 5, "{tainted}");
    assert!(finished_runs >= 1);
}

#[tokio::test]
async fn forgotten_objects_leave_the_state_untouched_in_the_world_and_moves_persist_first() {
    let h = Harness::new();
    let state = h.seed(&["a", "b"], false).await;
    // The plan's prior state already has `a` moved to `c`; `b` is forgotten; `c` is updated.
    let mut prior = state.clone();
    let moved = prior.instance(&addr("a")).cloned();
    prior.set_instance(&addr("a"), P, None);
    prior.set_instance(&addr("c"), P, moved);
    let mut up = update(&state, "a", "v2", &[]);
    up.addr = addr("c");
    let mut p = plan(vec![up]);
    p.refactor.moved.push(crate::plan::Move {
        from: addr("a"),
        to: addr("c"),
    });
    p.refactor.forgotten.push(delete(&state, "b"));
    p.prior_state = prior.clone();
    let before = h.sink.calls.load(Ordering::SeqCst);
    let (out, _) = h.run(&p, prior).await;
    assert!(out.is_success(), "{:?}", out.errors);
    // Nothing was deleted: `b` still exists, only the state forgot it.
    assert_eq!(h.log(), ["Update a"]);
    assert_eq!(h.objects().len(), 2);
    assert!(out.state.instance(&addr("b")).is_none());
    assert!(out.state.instance(&addr("a")).is_none());
    assert!(out.state.instance(&addr("c")).is_some());
    // Persisted once before the update (moves and forgets), and once at the end.
    assert!(h.sink.calls.load(Ordering::SeqCst) - before >= 2);
}

mod replay;

/// Two provider configurations sharing one world: `P`, limited to `limit` operations at once,
/// and `Q`, unlimited; 12 independent creates on each, every operation taking 100 ms.
async fn two_providers(parallelism: usize, limit: usize) -> (usize, usize, Outcome) {
    const Q: &str = "provider[\"cairn/mock\"].other";
    let mut h = Harness::new();
    let other = Wrapped::new(&h.world);
    h.providers.insert(Q, other.clone() as Arc<dyn Provider>);
    h.providers.limit(P, limit);
    h.opts.parallelism = parallelism;
    h.delay(Duration::from_millis(100));
    let mut changes = Vec::new();
    for i in 0..12 {
        changes.push(create(&format!("p{i}"), "x", &[]));
        let mut c = create(&format!("q{i}"), "x", &[]);
        c.provider = Q.to_string();
        changes.push(c);
    }
    let (out, _) = h.run(&plan(changes), State::new()).await;
    assert_eq!(h.objects().len(), 24);
    let p = h.provider.max.load(Ordering::SeqCst);
    let q = other.max.load(Ordering::SeqCst);
    (p, q, out)
}

#[tokio::test(start_paused = true)]
async fn provider_parallelism_is_honoured_within_the_global_limit() {
    // The provider's own limit binds below the run's.
    let (p, q, out) = two_providers(6, 2).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(p, 2);
    assert!(
        (6 - 2..=6).contains(&q),
        "the other provider uses the run's remaining slots: {q}"
    );
    // The run's limit binds below the provider's.
    let (p, q, out) = two_providers(1, 3).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!((p, q), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn operations_queued_behind_a_busy_provider_hold_no_run_slot() {
    // With 3 run slots and P limited to 1, P's queued operations must not take the run's slots:
    // Q runs at least 2 at a time.
    let (p, q, out) = two_providers(3, 1).await;
    assert!(out.is_success(), "{:?}", out.errors);
    assert_eq!(p, 1);
    assert!((2..=3).contains(&q), "{q}");
}

#[test]
fn provider_limits_are_at_least_one() {
    let mut m = ProviderMap::new();
    m.limit(P, 0);
    assert_eq!(m.parallelism(P), Some(1));
    assert_eq!(m.parallelism("provider[\"cairn/other\"]"), None);
}

#[test]
fn records_without_outside_effects_wait_in_memory_until_one_goes_through_or_a_sync() {
    let dir = tmp();
    let path = dir.path().join("j.journal");
    let j = Journal::create(&path).unwrap();
    let lines = || std::fs::read_to_string(&path).unwrap().lines().count();
    let done = |seq| Record::Done { seq, result: None };
    j.write_maybe_later(&done(1), false).unwrap();
    j.write_maybe_later(&done(2), false).unwrap();
    assert_eq!(lines(), 0);
    // A record written through takes those before it along, in order.
    j.write_maybe_later(&done(3), true).unwrap();
    assert_eq!(lines(), 3);
    j.write_maybe_later(&done(4), false).unwrap();
    assert_eq!(lines(), 3);
    // A sync writes what waits before it makes the file durable.
    j.flush().unwrap();
    assert_eq!(lines(), 4);
    // What waits is bounded.
    for seq in 5..5000 {
        j.write_maybe_later(&done(seq), false).unwrap();
    }
    let written = lines();
    assert!((4..4999).contains(&written) && written > 4, "{written}");
    // Closing the journal writes the rest.
    drop(j);
    let (records, _) = journal::read(&path).unwrap().unwrap();
    let seqs: Vec<u64> = records
        .iter()
        .filter_map(|r| match r {
            Record::Done { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, (1..5000).collect::<Vec<_>>());
}

/// Saves the final state but fails every write in the middle of a run.
#[derive(Default)]
struct SnapshotsFail {
    last: Mutex<Option<State>>,
    snapshots: AtomicUsize,
}

#[async_trait]
impl StateSink for SnapshotsFail {
    async fn persist(&self, state: &State) -> Result<(), StateError> {
        *self.last.lock().unwrap() = Some(state.clone());
        Ok(())
    }
    fn persist_snapshot(&self, _state: State) -> crate::apply::Persisting<'_> {
        self.snapshots.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(StateError::Backend("disk full".into())) })
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_write_in_the_middle_of_a_run_is_reported_and_the_final_one_saves_everything() {
    let dir = tmp();
    let path = dir.path().join("terraform.tfstate.journal");
    let mut h = Harness::new();
    h.opts.journal = Some(path.clone());
    let p = twelve_operations_of_a_second(&mut h);
    let sink = SnapshotsFail::default();
    let (tx, _rx) = mpsc::unbounded_channel();
    let out = apply(
        &p,
        State::new(),
        &h.providers,
        &h.opts,
        &sink,
        &NoReplan,
        tx,
    )
    .await;
    assert!(sink.snapshots.load(Ordering::SeqCst) >= 1);
    // Reported, but the run went on: every operation ran, and the final write saved them all.
    assert!(
        out.fatal.iter().any(|f| f.contains("disk full")),
        "{:?}",
        out.fatal
    );
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(h.world.names().len(), 12);
    h.assert_state_matches_world(&out.state);
    assert_eq!(sink.last.lock().unwrap().as_ref(), Some(&out.state));
    // What the journal says (if it is kept) leads to the same state.
    if let Some(rec) = journal::recover(&path).unwrap() {
        let mut state = State::new();
        rec.replay(&mut state).unwrap();
        h.assert_state_matches_world(&state);
    }
}
