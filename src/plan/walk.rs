//! The planning walk: configures providers, refreshes the stored objects (converting each to a
//! value once, kept for planning; objects of types that live only in the state are not read),
//! then visits the configuration in dependency order, expanding
//! `count`/`for_each`, evaluating each instance and asking its provider for the planned value.
//! With modules it follows the graph of the whole tree ([`graph::Tree`]): a call expands into
//! module instances, each with its own scope and its module path prefixing every address, and
//! each node of a module (variable, local, resource, output) is visited in every instance of it
//! by the same code, so calls may use each other's outputs;
//! finally adds deletions for objects no longer configured (or whose module instance is gone)
//! and the output changes. Before the walk the prior state's objects are moved
//! ([`super::refactor`]); during it, `import` blocks bring objects into the prior state; objects a
//! `removed` block forgets are set apart; after it the `check` blocks run ([`super::check`]).
//! Resources of the root module that follow each other in the graph's order and do not depend
//! on each other are planned on every core; what each adds to the walk is then recorded in
//! graph order, so the plan and its errors are those of visiting them one by one.

use std::collections::{BTreeMap, BTreeSet};

// The walk hashes addresses for every instance; see `crate::graph` on foldhash.
use foldhash::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use cairn_provider::{PlanRequest, Schema, Type, Value};

use super::module;
use super::providers::{Configured, ProviderSet, Registry};
use super::scope::{Expansion, InstanceScope, ModuleScope, ResourceValues};
use super::vars;
use super::{Action, Mode, OutputChange, Plan, Reason, ResourceChange};
use crate::addr::{
    InstanceAddr, InstanceKey, Mode as ResourceMode, ModulePath, Name, ResourceAddr, Target,
};
use crate::config::{Config, IgnoreChanges, Module, ModuleCall, ProviderRef, Resource};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::graph::{self, Graph, Node, Step, Tree};
use crate::lang::{self, Subject};
use crate::state::{InstanceState, OutputState, State};

/// How to plan.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub mode: Mode,
    /// `-target` addresses; empty means everything.
    pub targets: Vec<Target>,
    /// `-replace` addresses.
    pub replace: Vec<Target>,
    /// Refresh objects through their providers before diffing (`-refresh=true`, the default).
    pub refresh: bool,
    /// Evaluated input variables.
    pub vars: std::collections::HashMap<String, Value>,
    /// The working directory, for `path.cwd`.
    pub cwd: String,
    /// Leave out the prior and planned values of objects that do not change (nor move, nor are
    /// imported): a plan that is only shown never reads them, and at 100,000 unchanged objects
    /// they were a quarter of its memory.
    pub omit_unchanged: bool,
}

/// A plan together with the providers configured to make it (which apply reuses).
pub struct Planned {
    pub plan: Plan,
    pub providers: ProviderSet,
    pub warnings: Diagnostics,
}

/// Converts a stored instance to a value of its resource type, with its sensitive parts marked.
pub fn instance_value(inst: &InstanceState, schema: &Schema) -> Value {
    let v = inst.attributes.to_value_typed(&schema.object_type());
    let mut paths = inst.sensitive_paths.clone();
    paths.extend(schema.sensitive_paths(&v));
    v.mark_paths(&paths)
}

/// Makes a plan.
pub async fn plan(
    config: &Config,
    state: State,
    registry: &dyn Registry,
    opts: &Options,
) -> Result<Planned, Diagnostics> {
    plan_with_graph(config, graph::build(config), state, registry, opts).await
}

/// [`plan`] with the configuration's graph already built ([`graph::build`] of `config`): a
/// caller that waits for the state can build it meanwhile.
pub async fn plan_with_graph(
    config: &Config,
    graph: Result<Graph, Diagnostics>,
    state: State,
    registry: &dyn Registry,
    opts: &Options,
) -> Result<Planned, Diagnostics> {
    let graph = graph?;
    let m = &config.root;
    // Moves rewrite the prior state before anything is refreshed or planned, as in Terraform.
    let mut diags = Diagnostics::new();
    let prior_serial = state.serial;
    let mut prior = state;
    let moved = super::refactor::apply_moves(config, &mut prior, &mut diags)?;
    let moved_to = moved.iter().map(|m| m.to.clone()).collect();
    for module in m.modules() {
        removed_still_declared(module, &mut diags);
    }
    for check in m.checks.values() {
        for a in &check.asserts {
            if lang::references(&a.condition).is_empty() {
                diags.push(
                    Diagnostic::error(
                        "Invalid assert expression",
                        "The condition expression must refer to at least one object from elsewhere in the configuration, or else its result would not be checking anything.",
                    )
                    .at_opt(a.condition.span()),
                );
            }
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let mut w = Walk {
        m,
        graph: &graph,
        opts,
        scope: ModuleScope::new(m, opts.vars.clone(), opts.cwd.clone()),
        providers: ProviderSet::default(),
        prior,
        refreshed: HashMap::default(),
        moved_to,
        changes: Vec::new(),
        drift: Vec::new(),
        diags,
        imported: Vec::new(),
        forgotten: Vec::new(),
        checks: Vec::new(),
        imports: &m.imports,
        pending: HashSet::default(),
        included: None,
        path: ModulePath::root(),
        chain: Vec::new(),
        module: 0,
        each_value: None,
        tree: graph.tree(),
        frames: HashMap::default(),
        instances: Vec::new(),
        dep_cache: None,
        configured: HashSet::default(),
        module_instances: HashSet::default(),
    };
    w.configure_providers(registry).await?;
    if opts.refresh {
        w.refresh(registry).await?;
    }
    match opts.mode {
        Mode::Destroy => w.plan_destroy(registry).await,
        Mode::RefreshOnly => {}
        Mode::Normal => {
            w.included = w.targeted();
            w.walk().await;
            w.plan_orphans(registry).await;
            w.unmatched_imports();
        }
    }
    if !w.forgotten.is_empty() {
        let mut addrs: Vec<String> = w
            .forgotten
            .iter()
            .map(|c| format!(" - {}", c.addr))
            .collect();
        addrs.sort();
        w.diags.push(Diagnostic::warning(
            "Some objects will no longer be managed by cairn",
            format!("If you apply this plan, cairn will discard its tracking information for the following objects, but it will not delete them:\n{}\n\nAfter applying this plan, cairn will no longer manage these objects. You will need to import them into cairn to manage them again.", addrs.join("\n")),
        ));
    }
    let mut checks = std::mem::take(&mut w.checks);
    if opts.mode == Mode::Normal && !w.diags.has_errors() {
        let (results, ds) = super::check::evaluate(m, &mut w.scope, &w.providers, true).await;
        checks.extend(results);
        w.diags.extend(ds);
    }
    // Moves and refresh leave the prior state's outputs as they were stored.
    let stored_outputs = w.prior.outputs.clone();
    let outputs = if opts.mode == Mode::Normal && opts.targets.is_empty() {
        w.plan_outputs(&stored_outputs)
    } else if opts.mode == Mode::Destroy {
        stored_outputs
            .iter()
            .map(|(name, o)| OutputChange {
                name: name.clone(),
                action: Action::Delete,
                before: Some(stored_output(o)),
                after: None,
                sensitive: o.sensitive,
            })
            .collect()
    } else {
        Vec::new()
    };
    if w.diags.has_errors() {
        return Err(w.diags);
    }
    // Data sources no longer configured (or all, when destroying) leave the state.
    let data: Vec<ResourceAddr> = w
        .prior
        .resources
        .keys()
        .filter(|a| {
            a.mode == ResourceMode::Data
                && match opts.mode {
                    Mode::Destroy => true,
                    Mode::Normal => !w.configured.contains(*a),
                    Mode::RefreshOnly => declared(m, a).is_none(),
                }
        })
        .cloned()
        .collect();
    for a in data {
        w.prior.resources.remove(&a);
    }
    // The values the walk kept for references copy what the plan holds; freeing them is left
    // to another thread rather than delaying the plan.
    let mut values = vec![std::mem::take(&mut w.scope.resources)];
    values.extend(
        w.frames
            .values_mut()
            .map(|f| std::mem::take(&mut f.scope.resources)),
    );
    std::thread::spawn(move || drop(values));
    let plan = Plan {
        mode: opts.mode,
        changes: w.changes,
        outputs,
        drift: w.drift,
        prior_state: w.prior,
        prior_serial,
        variables: opts
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        targets: opts.targets.iter().map(|t| t.to_string()).collect(),
        refactor: super::Refactor {
            moved,
            imported: w.imported,
            forgotten: w.forgotten,
            checks,
        },
    };
    Ok(Planned {
        plan,
        providers: w.providers,
        warnings: w.diags,
    })
}

fn stored_output(o: &crate::state::OutputState) -> Value {
    let ty = Type::from_json(&o.ty).unwrap_or(Type::Any);
    let v = Value::from_json_typed(&o.value, &ty);
    if o.sensitive { v.mark_sensitive() } else { v }
}

use module::Instance;

/// A resource by configuration address: the module call names from the root (no instance
/// keys) and its address within the module.
type ConfigAddr = (Vec<String>, ResourceAddr);

fn names(p: &ModulePath) -> Vec<String> {
    p.0.iter().map(|s| s.name.to_string()).collect()
}

fn local(a: &ResourceAddr) -> ResourceAddr {
    ResourceAddr {
        module: ModulePath::root(),
        ..a.clone()
    }
}

fn module_by_names<'a>(root: &'a Module, names: &[String]) -> Option<&'a Module> {
    let mut m = root;
    for n in names {
        m = m.child(n)?;
    }
    Some(m)
}

fn graph_by_names<'a>(root: &'a Graph, names: &[String]) -> Option<&'a Graph> {
    let mut g = root;
    for n in names {
        g = g.child(n)?;
    }
    Some(g)
}

/// Every resource of `m` and the modules it calls, by configuration address.
fn subtree(m: &Module, path: &[String], out: &mut Vec<ConfigAddr>) {
    for a in m.resources.keys() {
        out.push((path.to_vec(), a.clone()));
    }
    for (name, call) in &m.calls {
        let mut p = path.to_vec();
        p.push(name.clone());
        subtree(&call.module, &p, out);
    }
}

/// The resource block declared for `addr` (module instance keys ignored), if any.
fn declared<'a>(root: &'a Module, addr: &ResourceAddr) -> Option<&'a Resource> {
    let (m, _) = module::find(root, &addr.module)?;
    m.resources.get(&ResourceAddr {
        module: ModulePath::root(),
        ..addr.clone()
    })
}

/// Collects the root provider configurations the resources of `m` and its children use.
fn needed_providers<'a>(
    m: &'a Module,
    chain: &mut Vec<&'a ModuleCall>,
    out: &mut BTreeMap<ProviderRef, Option<Span>>,
    diags: &mut Diagnostics,
) {
    let scoped = m.checks.values().flat_map(|c| c.data.iter());
    for r in m.resources.values().chain(scoped) {
        match module::resolve_provider(chain, r.provider_ref()) {
            Ok(p) => {
                out.entry(p).or_insert_with(|| Some(r.span.clone()));
            }
            Err(msg) => {
                // An alias the module declares in configuration_aliases is reported at the call.
                let pref = r.provider_ref();
                let declared = m
                    .terraform
                    .required_providers
                    .get(pref.name.as_str())
                    .is_some_and(|rp| rp.configuration_aliases.contains(&pref));
                if !declared {
                    diags.push(
                        Diagnostic::error("Provider configuration not present", msg)
                            .at(r.span.clone(), ""),
                    );
                }
            }
        }
    }
    for call in m.calls.values() {
        for rp in call.module.terraform.required_providers.values() {
            for alias in &rp.configuration_aliases {
                if !call.providers.iter().any(|(child, _)| child == alias) {
                    let a = alias.alias.as_deref().unwrap_or_default();
                    diags.push(
                        Diagnostic::error(
                            "Missing required provider configuration",
                            format!(
                                "Module \"{}\" declares configuration_aliases = [{}.{a}], so its caller must pass that configuration: add {}.{a} = <a provider configuration> to the providers argument of module \"{}\".",
                                call.name, alias.name, alias.name, call.name
                            ),
                        )
                        .at(call.span.clone(), ""),
                    );
                }
            }
        }
    }
    if !chain.is_empty() {
        for p in &m.providers {
            diags.push(
                Diagnostic::error(
                    "Provider configuration in a child module",
                    format!(
                        "cairn configures providers only in the root module. Move this provider \"{}\" block to the root module and pass it to the module with its providers argument, like providers = {{ {} = {} }}.",
                        p.name,
                        p.name,
                        match &p.alias {
                            Some(a) => format!("{}.{a}", p.name),
                            None => p.name.clone(),
                        }
                    ),
                )
                .at(p.span.clone(), ""),
            );
        }
    }
    for call in m.calls.values() {
        chain.push(call);
        needed_providers(&call.module, chain, out, diags);
        chain.pop();
    }
}

/// What the walk knows of one module instance: its configuration, graph, scope and place in
/// the tree. The instance being visited lives in the [`Walk`]'s own fields; the others wait
/// in [`Walk::frames`].
struct Frame<'a> {
    m: &'a Module,
    graph: &'a Graph,
    scope: ModuleScope<'a>,
    path: ModulePath,
    chain: Vec<&'a ModuleCall>,
    module: usize,
    each_value: Option<Value>,
}

struct Walk<'a> {
    m: &'a Module,
    graph: &'a Graph,
    opts: &'a Options,
    scope: ModuleScope<'a>,
    providers: ProviderSet,
    /// The state being refreshed and then used as the plan's prior state.
    prior: State,
    /// The refreshed objects' plain values (no sensitive marks), which planning would
    /// otherwise convert from the state's JSON a second time; each is taken when planned, under
    /// its own lock, so the threads planning resources never wait for each other.
    refreshed: HashMap<InstanceAddr, Mutex<Option<Value>>>,
    /// Where moves took objects: shown in the plan even when they do not change.
    moved_to: HashSet<InstanceAddr>,
    changes: Vec<ResourceChange>,
    drift: Vec<ResourceChange>,
    diags: Diagnostics,
    /// Resources with at least one pending (non-no-op) change.
    pending: HashSet<ResourceAddr>,
    /// With `-target`: the resources the targets depend on, by configuration address (module
    /// names without instance keys): all their instances are in scope.
    included: Option<Arc<HashSet<ConfigAddr>>>,
    /// The module instance this walk plans (root for the top-level walk).
    path: ModulePath,
    /// The calls from the root down to this module (for provider resolution).
    chain: Vec<&'a ModuleCall>,
    /// The module of the graph of the whole tree that this module instance instantiates.
    module: usize,
    /// This module instance's `each.value` in its call (for its call arguments).
    each_value: Option<Value>,
    /// The graph of the whole module tree (`None` when the root calls no module).
    tree: Option<&'a Tree>,
    /// The module instances not being visited right now, by path (see [`Walk::enter`]).
    frames: HashMap<ModulePath, Frame<'a>>,
    /// The instances of each module of the tree, in the order they were expanded.
    instances: Vec<Vec<ModulePath>>,
    /// The resources (module of the tree, local address) the node last asked about depends on.
    dep_cache: Option<(usize, Vec<(usize, ResourceAddr)>)>,
    /// Every resource (full address) planned or kept in this run: what is configured.
    configured: HashSet<ResourceAddr>,
    /// Every module instance walked in this run.
    module_instances: HashSet<ModulePath>,
    /// Objects imported while planning, with their import ids.
    imported: Vec<(InstanceAddr, String)>,
    /// Objects a `removed` block forgets.
    forgotten: Vec<ResourceChange>,
    /// Results of the `check` blocks of module instances walked so far.
    checks: Vec<super::CheckResult>,
    /// The root module's `import` blocks (their targets are full addresses).
    imports: &'a [crate::config::Import],
}

impl<'a> Walk<'a> {
    /// Configures every provider the configuration uses, and every provider state refers to.
    async fn configure_providers(&mut self, registry: &dyn Registry) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        let mut used_by = BTreeMap::new();
        needed_providers(self.m, &mut Vec::new(), &mut used_by, &mut diags);
        for p in &self.m.providers {
            used_by.entry(p.reference()).or_insert(None);
        }
        for (r, used_by) in used_by {
            let block = self.m.providers.iter().find(|p| p.is(&r));
            if r.alias.is_some() && block.is_none() {
                diags.push(
                    Diagnostic::error(
                        "Provider configuration not present",
                        format!(
                            "There is no provider \"{}\" block with alias = \"{}\". Add one, or remove the provider argument.",
                            r.name,
                            r.alias.as_deref().unwrap_or_default()
                        ),
                    )
                    .at_opt(used_by.clone()),
                );
                continue;
            }
            let scope = &self.scope;
            let res = self
                .providers
                .configure(registry, self.m, &r, |schema| match block {
                    Some(b) => lang::eval_body(&b.body, schema, scope),
                    None => Ok(Value::Null),
                })
                .await;
            if let (Ok(c), Some(e)) = (&res, block.and_then(|b| b.parallelism.as_ref())) {
                match super::providers::parallelism(e, scope) {
                    Ok(n) => self.providers.set_parallelism(&c.addr, n),
                    Err(d) => diags.extend(d),
                }
            }
            if let Err(mut ds) = res {
                // Point at the provider block, or else at the first resource that needs it.
                let span = block.map(|b| b.span.clone()).or(used_by);
                if let Some(span) = span {
                    for d in &mut ds.0 {
                        if d.labels.is_empty() {
                            d.labels.push((span.clone(), String::new()));
                        }
                    }
                }
                diags.extend(ds);
            }
        }
        let addrs: BTreeSet<String> = self
            .prior
            .resources
            .values()
            .map(|r| r.provider.clone())
            .collect();
        for a in addrs {
            if let Err(ds) = self.providers.for_addr(registry, self.m, &a).await {
                diags.extend(ds);
            }
        }
        diags.into_result(())
    }

    fn schema_for<'p>(
        &self,
        provider: &'p Configured,
        addr: &ResourceAddr,
    ) -> Result<&'p Schema, Diagnostic> {
        provider
            .resource_schema(addr.mode, &addr.ty)
            .ok_or_else(|| {
                let kind = match addr.mode {
                    ResourceMode::Managed => "resource type",
                    ResourceMode::Data => "data source",
                };
                Diagnostic::error(
                    "Invalid resource type",
                    format!(
                        "The provider {} does not support {kind} \"{}\".",
                        provider.source, addr.ty
                    ),
                )
            })
    }

    /// Reads every managed object in state through its provider (but those of types that live
    /// only in the state, [`cairn_provider::Provider::state_only`]) and records what changed
    /// outside cairn. Objects of one type and provider configuration are read together through
    /// the provider's `read_many` (one API call for many objects where the provider can batch);
    /// the groups run concurrently.
    async fn refresh(&mut self, _registry: &dyn Registry) -> Result<(), Diagnostics> {
        // A group's schema is shared by its members, and its object type computed once.
        type Group = (
            Arc<Configured>,
            Arc<Schema>,
            Type,
            Vec<InstanceAddr>,
            Vec<Value>,
        );
        let mut groups: BTreeMap<(String, Name), Group> = BTreeMap::new();
        let mut diags = Diagnostics::new();
        // Each stored object is converted to a value (on every core), then joins its group.
        let mut stored: Vec<(InstanceAddr, (String, Name), &crate::state::Attrs)> = Vec::new();
        let mut state_only: HashMap<(&str, &str), bool> = HashMap::default();
        for (ra, rs) in &self.prior.resources {
            if ra.mode != ResourceMode::Managed || rs.instances.is_empty() {
                continue;
            }
            // A type already known to live only in the state is skipped before any lookup.
            if state_only.get(&(rs.provider.as_str(), ra.ty.as_str())) == Some(&true) {
                continue;
            }
            let Some(p) = self.providers.by_addr(&rs.provider).cloned() else {
                continue;
            };
            let schema = match self.schema_for(&p, ra) {
                Ok(s) => s,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            // Objects that live only in the state read back unchanged: they are not read.
            if *state_only
                .entry((rs.provider.as_str(), ra.ty.as_str()))
                .or_insert_with(|| p.provider.state_only(&ra.ty))
            {
                continue;
            }
            let key = (p.addr.clone(), ra.ty);
            groups.entry(key.clone()).or_insert_with(|| {
                let ty = schema.object_type();
                (
                    p.clone(),
                    Arc::new(schema.clone()),
                    ty,
                    Vec::new(),
                    Vec::new(),
                )
            });
            for (k, inst) in &rs.instances {
                stored.push((ra.instance(k.clone()), key.clone(), &inst.attributes));
            }
        }
        // Plain values go to the provider; the marked value is only made for drift.
        let typed: Vec<(&crate::state::Attrs, &Type)> = stored
            .iter()
            .map(|(_, key, attrs)| (*attrs, &groups[key].2))
            .collect();
        let convert = |(attrs, ty): &(&crate::state::Attrs, &Type)| attrs.to_value_typed(ty);
        let plains = if typed.len() >= PARALLEL_BATCH {
            crate::par::map(&typed, convert)
        } else {
            typed.iter().map(convert).collect()
        };
        drop(typed);
        for ((addr, key, _), plain) in stored.into_iter().zip(plains) {
            if let Some(g) = groups.get_mut(&key) {
                g.3.push(addr);
                g.4.push(plain);
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        let limit = Arc::new(tokio::sync::Semaphore::new(10));
        for ((_, ty), (p, schema, _, members, plains)) in groups {
            let limit = limit.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let results = p.provider.read_many(&ty, &plains).await;
                (p, schema, members, plains, results)
            });
        }
        let mut read = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((p, schema, members, plains, results)) = joined else {
                continue;
            };
            let mut results = results.into_iter();
            for (addr, before) in members.into_iter().zip(plains) {
                let r = results.next().unwrap_or_else(|| {
                    Err(cairn_provider::ProviderError::permanent(
                        "the provider returned fewer objects than it was asked to read",
                    ))
                });
                read.push((addr, p.clone(), Arc::clone(&schema), before, r));
            }
        }
        for (addr, p, schema, old_plain, r) in read {
            let before = |prior: &State| {
                prior
                    .instance(&addr)
                    .map(|i| instance_value(i, &schema))
                    .unwrap_or_else(|| old_plain.clone())
            };
            match r {
                Err(e) => diags.push(Diagnostic::error(
                    "Error refreshing state",
                    format!("{addr}: {}", e.message),
                )),
                Ok(None) => {
                    let before = before(&self.prior);
                    self.drift
                        .push(change(&addr, &p.addr, Action::Delete, Some(before), None));
                    self.prior.set_instance(&addr, &p.addr, None);
                }
                Ok(Some(new)) => {
                    if new == old_plain {
                        self.refreshed.insert(addr, Mutex::new(Some(old_plain)));
                    } else {
                        let before = before(&self.prior);
                        let mut paths = before.clone().unmark_deep().1;
                        paths.extend(schema.sensitive_paths(&new));
                        let after = new.clone().mark_paths(&paths);
                        self.drift.push(change(
                            &addr,
                            &p.addr,
                            Action::Update,
                            Some(before),
                            Some(after),
                        ));
                        let provider = self.prior.resources[&addr.resource].provider.clone();
                        if let Some(inst) = self.prior.instance(&addr).cloned() {
                            let attributes = new.to_json_typed(&schema.object_type()).into();
                            let inst = InstanceState { attributes, ..inst };
                            self.prior.set_instance(&addr, &provider, Some(inst));
                        }
                    }
                }
            }
        }
        self.drift.sort_by(|a, b| a.addr.cmp(&b.addr));
        diags.into_result(())
    }

    /// With `-target`, the resources the targets depend on, across module boundaries: what
    /// they reference in their module, every resource of a module call they reference, and
    /// whatever their module's call depends on in its caller.
    fn targeted(&self) -> Option<Arc<HashSet<ConfigAddr>>> {
        if self.opts.targets.is_empty() {
            return None;
        }
        if let Some(tree) = self.tree {
            return Some(Arc::new(self.targeted_in(tree)));
        }
        let mut stack: Vec<(Vec<String>, Node)> = Vec::new();
        for t in &self.opts.targets {
            match t {
                Target::Resource(a) => stack.push((names(&a.module), Node::Resource(local(a)))),
                Target::Instance(i) => stack.push((
                    names(&i.resource.module),
                    Node::Resource(local(&i.resource)),
                )),
                Target::Module(m) => {
                    let p = names(m);
                    if let Some(module) = module_by_names(self.m, &p) {
                        let mut all = Vec::new();
                        subtree(module, &p, &mut all);
                        stack.extend(all.into_iter().map(|(p, a)| (p, Node::Resource(a))));
                    }
                }
            }
        }
        let mut out = HashSet::default();
        let mut seen = HashSet::default();
        while let Some((p, n)) = stack.pop() {
            if !seen.insert((p.clone(), n.clone())) {
                continue;
            }
            if let Some((last, parent)) = p.split_last() {
                stack.push((parent.to_vec(), Node::ModuleCall(Name::new(last))));
            }
            let Some(g) = graph_by_names(self.graph, &p) else {
                continue;
            };
            for d in g.dependencies(&n) {
                match d {
                    Node::Resource(r) => {
                        out.insert((p.clone(), r.clone()));
                    }
                    Node::ModuleCall(c) => {
                        let mut cp = p.clone();
                        cp.push(c.to_string());
                        if let Some(module) = module_by_names(self.m, &cp) {
                            let mut all = Vec::new();
                            subtree(module, &cp, &mut all);
                            for (q, a) in all {
                                out.insert((q.clone(), a.clone()));
                                stack.push((q, Node::Resource(a)));
                            }
                        }
                    }
                    _ => {}
                }
                stack.push((p.clone(), d.clone()));
            }
        }
        Some(Arc::new(out))
    }

    /// [`Walk::targeted`] in the graph of the whole tree: every resource a target reaches,
    /// through exactly the variables, outputs and calls its values come from.
    fn targeted_in(&self, tree: &Tree) -> HashSet<ConfigAddr> {
        let mut stack: Vec<usize> = Vec::new();
        let node = |names: &[String], a: &ResourceAddr, stack: &mut Vec<usize>| {
            if let Some(i) = tree
                .module_at(names)
                .and_then(|m| tree.node(m, Step::Node(Node::Resource(local(a)))))
            {
                stack.push(i);
            }
        };
        for t in &self.opts.targets {
            match t {
                Target::Resource(a) => node(&names(&a.module), a, &mut stack),
                Target::Instance(i) => node(&names(&i.resource.module), &i.resource, &mut stack),
                Target::Module(m) => {
                    let p = names(m);
                    if let Some(module) = module_by_names(self.m, &p) {
                        let mut all = Vec::new();
                        subtree(module, &p, &mut all);
                        for (q, a) in all {
                            node(&q, &a, &mut stack);
                        }
                    }
                }
            }
        }
        let mut out = HashSet::default();
        let mut seen: HashSet<usize> = stack.iter().copied().collect();
        while let Some(i) = stack.pop() {
            for d in tree.dependencies(i) {
                if !seen.insert(d) {
                    continue;
                }
                if let (m, Step::Node(Node::Resource(r))) = tree.step(d) {
                    out.insert((tree.module_path(m).to_vec(), r.clone()));
                }
                stack.push(d);
            }
        }
        out
    }

    /// Whether a resource (full address) is in scope of `-target`: named by a target (or inside
    /// a targeted module), or something a target depends on.
    fn in_scope(&self, full: &ResourceAddr) -> bool {
        let Some(deps) = &self.included else {
            return true;
        };
        deps.contains(&(names(&full.module), local(full)))
            || self.opts.targets.iter().any(|t| match t {
                Target::Resource(r) => r == full,
                Target::Instance(i) => &i.resource == full,
                Target::Module(m) => full.module.0.starts_with(&m.0),
            })
    }

    /// Whether an instance is selected by `-target` (all are without targets).
    fn instance_targeted(&self, addr: &InstanceAddr) -> bool {
        let Some(deps) = &self.included else {
            return true;
        };
        if !self.in_scope(&addr.resource) {
            return false;
        }
        if deps.contains(&(names(&addr.resource.module), local(&addr.resource))) {
            // A dependency of a target: all its instances.
            return true;
        }
        // A resource targeted only by instance keys plans only those instances.
        let by_instance: Vec<&Target> = self
            .opts
            .targets
            .iter()
            .filter(|t| matches!(t, Target::Instance(i) if i.resource == addr.resource))
            .collect();
        let whole = self.opts.targets.iter().any(|t| match t {
            Target::Resource(r) => r == &addr.resource,
            Target::Module(_) => t.contains(addr),
            Target::Instance(_) => false,
        });
        by_instance.is_empty() || whole || by_instance.iter().any(|t| t.contains(addr))
    }

    async fn walk(&mut self) {
        if let Some(tree) = self.tree {
            self.walk_tree(tree).await;
            return;
        }
        // Nodes whose evaluation failed: like Terraform, what depends on them is not visited, so
        // one mistake gives one error rather than a cascade.
        let mut failed: HashSet<Node> = HashSet::default();
        let graph: &'a Graph = self.graph;
        let order = graph.order();
        let positions = graph.order_positions();
        let mut i = 0;
        while i < order.len() {
            let batch = self.independent_resources(&order[i..], &positions[i..], &failed);
            if batch >= PARALLEL_BATCH {
                self.plan_resources(&order[i..i + batch], &positions[i..i + batch])
                    .await;
                i += batch;
                continue;
            }
            let node = &order[i];
            i += 1;
            if self
                .graph
                .dependencies(node)
                .into_iter()
                .any(|d| failed.contains(d))
            {
                failed.insert(node.clone());
                continue;
            }
            if !self.visit(node).await {
                failed.insert(node.clone());
            }
        }
    }

    /// How many of the first `nodes` are resources in scope that can be planned together: none
    /// depends on another, nor on a node that failed. Zero when planning would not run on
    /// several threads (one core, or a runtime with a single thread, as in unit tests).
    fn independent_resources(
        &self,
        nodes: &[Node],
        positions: &[usize],
        failed: &HashSet<Node>,
    ) -> usize {
        if !parallel_runtime() {
            return 0;
        }
        // Positions in the graph: 100,000 resources hash a number each, not an address.
        let mut batch: HashSet<usize> = HashSet::default();
        let mut len = 0;
        for (node, &at) in nodes.iter().zip(positions) {
            let Node::Resource(addr) = node else {
                break;
            };
            let independent = self
                .graph
                .dependencies_at(at)
                .all(|(j, d)| !batch.contains(&j) && (failed.is_empty() || !failed.contains(d)));
            if !independent || (self.included.is_some() && !self.in_scope(&self.full(addr))) {
                break;
            }
            batch.insert(at);
            len += 1;
        }
        len
    }

    /// Plans resources independent of each other on every core, then records what each added
    /// to the walk in their order, so the plan is the one visiting them one by one would make.
    /// Only the walk of a root that calls no modules plans in batches.
    async fn plan_resources(&mut self, nodes: &[Node], positions: &[usize]) {
        let m: &'a Module = self.m;
        let mut items: Vec<(&'a Resource, usize)> = Vec::with_capacity(nodes.len());
        self.configured.reserve(nodes.len());
        for (node, &at) in nodes.iter().zip(positions) {
            let Node::Resource(addr) = node else {
                continue;
            };
            self.configured.insert(self.full(addr));
            items.push((&m.resources[addr], at));
        }
        let handle = tokio::runtime::Handle::current();
        let this: &Self = self;
        let outcomes = tokio::task::block_in_place(|| {
            crate::par::map(&items, |&(r, at)| {
                // The root's graph: its addresses are full ones (see `root_dependencies`).
                let deps = this.graph.resource_dependencies_at(at);
                handle.block_on(this.plan_resource_in(r, &deps, true, Some(at)))
            })
        });
        // Grown once, not by doubling: each doubling of a batch of thousands touches fresh pages.
        self.changes
            .reserve(outcomes.iter().map(|o| o.changes.len()).sum());
        self.scope
            .resources
            .reserve(outcomes.iter().filter(|o| o.values.is_some()).count());
        self.pending
            .reserve(outcomes.iter().map(|o| o.pending.len()).sum());
        for ((r, _), out) in items.iter().zip(outcomes) {
            self.commit(r, out);
        }
    }

    /// Walks the graph of the whole module tree: each node is visited in every instance of its
    /// module, so a module's variables, resources and outputs are planned as soon as what they
    /// use is known, not when a whole call is (two calls may use each other's outputs).
    async fn walk_tree(&mut self, tree: &'a Tree) {
        self.instances = vec![Vec::new(); tree.module_count()];
        self.instances[0].push(ModulePath::root());
        let mut failed: HashSet<usize> = HashSet::default();
        for i in tree.order() {
            if tree.dependencies(i).any(|d| failed.contains(&d)) {
                failed.insert(i);
                continue;
            }
            let (module, step) = tree.step(i);
            let mut ok = true;
            for k in 0..self.instances[module].len() {
                let path = self.instances[module][k].clone();
                self.enter(&path);
                ok &= match step {
                    Step::Node(node) => self.visit(node).await,
                    Step::Close => {
                        self.close_module().await;
                        true
                    }
                };
            }
            if !ok {
                failed.insert(i);
            }
        }
        self.enter(&ModulePath::root());
    }

    /// Makes the module instance at `path` the one the walk's fields describe.
    fn enter(&mut self, path: &ModulePath) {
        if self.path == *path {
            return;
        }
        let Some(mut f) = self.frames.remove(path) else {
            return;
        };
        std::mem::swap(&mut self.m, &mut f.m);
        std::mem::swap(&mut self.graph, &mut f.graph);
        std::mem::swap(&mut self.scope, &mut f.scope);
        std::mem::swap(&mut self.path, &mut f.path);
        std::mem::swap(&mut self.chain, &mut f.chain);
        std::mem::swap(&mut self.module, &mut f.module);
        std::mem::swap(&mut self.each_value, &mut f.each_value);
        self.frames.insert(f.path.clone(), f);
    }

    /// Visits one node in the current module instance; false when it failed (what depends on
    /// it is then not visited).
    async fn visit(&mut self, node: &Node) -> bool {
        match node {
            Node::Local(name) => {
                if let Err(ds) = self.scope.local(name) {
                    self.diags.extend(ds);
                }
            }
            Node::Resource(addr) => {
                let m: &'a Module = self.m;
                let r = &m.resources[addr];
                let full = self.full(addr);
                self.configured.insert(full.clone());
                if !self.in_scope(&full) {
                    self.values_from_state(r);
                    return true;
                }
                self.plan_resource(r).await;
            }
            Node::ModuleCall(name) => return self.expand_call(name),
            Node::Var(name) => {
                if !self.path.is_root() && !self.call_argument(name) {
                    return false;
                }
                let m: &'a Module = self.m;
                if let Some(v) = m.variables.get(name.as_str()) {
                    let ds = vars::validate_in(v, &self.scope);
                    let failed = ds.has_errors();
                    self.diags.extend(ds);
                    return !failed;
                }
            }
            Node::Output(name) => {
                if !self.path.is_root() {
                    return self.module_output(name);
                }
            }
            Node::Provider(_) => {}
        }
        true
    }

    /// Expands a module call of the current module instance: one module instance per key,
    /// whose variables, resources and outputs the walk visits later, each in its own scope.
    /// Until its outputs are visited, `module.NAME` has each of them unknown.
    fn expand_call(&mut self, name: &str) -> bool {
        let m: &'a Module = self.m;
        let graph: &'a Graph = self.graph;
        let (Some(call), Some(child_graph), Some(child_module)) = (
            m.calls.get(name),
            graph.child(name),
            self.tree.and_then(|t| t.child_module(self.module, name)),
        ) else {
            return false;
        };
        let ds = module::check_arguments(call);
        if ds.has_errors() {
            self.diags.extend(ds);
            return false;
        }
        let (expansion, keys) =
            match module::expand(call.count.as_ref(), call.for_each.as_ref(), &self.scope) {
                Ok(x) => x,
                Err(ds) => {
                    self.diags.extend(ds);
                    return false;
                }
            };
        let pending = Value::Object(
            call.module
                .outputs
                .keys()
                .map(|o| (o.clone(), Value::Unknown))
                .collect(),
        );
        let mut instances = BTreeMap::new();
        for (key, each_value) in keys {
            let path = module::child_path(&self.path, name, &key);
            let mut chain = self.chain.clone();
            chain.push(call);
            self.frames.insert(
                path.clone(),
                Frame {
                    m: &call.module,
                    graph: child_graph,
                    scope: ModuleScope::new(
                        &call.module,
                        Default::default(),
                        self.opts.cwd.clone(),
                    ),
                    path: path.clone(),
                    chain,
                    module: child_module,
                    each_value,
                },
            );
            self.instances[child_module].push(path.clone());
            self.module_instances.insert(path);
            instances.insert(key, pending.clone());
        }
        self.scope.modules.insert(
            name.to_string(),
            ResourceValues {
                expansion,
                instances,
            },
        );
        true
    }

    /// The caller's module instance and this instance's key and call name.
    fn caller(&self) -> Option<(ModulePath, InstanceKey, String)> {
        let (last, parent) = self.path.0.split_last()?;
        Some((
            ModulePath(parent.to_vec()),
            last.key.clone(),
            last.name.to_string(),
        ))
    }

    /// Evaluates the argument for variable `name` of the current (child) module instance in
    /// its caller's scope.
    fn call_argument(&mut self, name: &str) -> bool {
        let m: &'a Module = self.m;
        let (Some(call), Some(v), Some((parent, key, _))) = (
            self.chain.last().copied(),
            m.variables.get(name),
            self.caller(),
        ) else {
            return false;
        };
        let Some(caller) = self.frames.get(&parent) else {
            return false;
        };
        let value = {
            let iscope = InstanceScope {
                base: &caller.scope,
                key: &key,
                each_value: self.each_value.as_ref(),
                self_value: None,
            };
            module::call_var(call, v, &iscope)
        };
        match value {
            Ok(x) => {
                self.scope.vars.insert(name.to_string(), x);
                true
            }
            Err(ds) => {
                self.diags.extend(ds);
                false
            }
        }
    }

    /// Evaluates output `name` of the current (child) module instance into the value its
    /// caller sees as `module.NAME`.
    fn module_output(&mut self, name: &str) -> bool {
        let m: &'a Module = self.m;
        let Some(o) = m.outputs.get(name) else {
            return false;
        };
        let failed = conditions(
            &o.preconditions,
            &self.scope,
            "Module output value precondition failed",
        );
        let ok = failed.is_empty();
        self.diags.extend(failed);
        let errors = self.diags.0.len();
        let value = module::output_value(o, &self.scope, &mut self.diags);
        let ok = ok && self.diags.0.len() == errors;
        if let Some((parent, key, call)) = self.caller()
            && let Some(caller) = self.frames.get_mut(&parent)
            && let Some(values) = caller.scope.modules.get_mut(&call)
            && let Some(Value::Object(outputs)) = values.instances.get_mut(&key)
        {
            outputs.insert(name.to_string(), value);
        }
        ok
    }

    /// Once everything in the current (child) module instance is planned: its `check` blocks.
    async fn close_module(&mut self) {
        let m: &'a Module = self.m;
        if m.checks.is_empty() || self.diags.has_errors() {
            return;
        }
        let (mut results, ds) =
            super::check::evaluate(m, &mut self.scope, &self.providers, true).await;
        for r in &mut results {
            r.module = self.path.to_string();
        }
        self.checks.extend(results);
        self.diags.extend(ds);
    }

    /// Makes a resource's stored values visible to references (for resources outside -target).
    fn values_from_state(&mut self, r: &Resource) {
        let Some(rs) = self.prior.resources.get(&self.full(&r.addr)) else {
            return;
        };
        let Some(p) = self.providers.by_addr(&rs.provider).cloned() else {
            return;
        };
        let Ok(schema) = self.schema_for(&p, &r.addr) else {
            return;
        };
        let expansion = if r.count.is_some() {
            Expansion::Count
        } else if r.for_each.is_some() {
            Expansion::ForEach
        } else {
            Expansion::Single
        };
        let instances = rs
            .instances
            .iter()
            .map(|(k, i)| (k.clone(), instance_value(i, schema)))
            .collect();
        self.scope.resources.insert(
            r.addr.clone(),
            ResourceValues {
                expansion,
                instances,
            },
        );
    }

    /// Evaluates `count`/`for_each`: the instance keys with their `each.value`.
    fn expand(&self, r: &Resource, out: &mut Outcome) -> Option<(Expansion, Vec<Instance>)> {
        match module::expand(r.count.as_ref(), r.for_each.as_ref(), &self.scope) {
            Ok(x) => Some(x),
            Err(ds) => {
                out.diags.extend(ds);
                None
            }
        }
    }

    /// The full address of a resource of this module instance.
    fn full(&self, a: &ResourceAddr) -> ResourceAddr {
        ResourceAddr {
            module: self.path.clone(),
            ..a.clone()
        }
    }

    /// [`Walk::full_dependencies`] when the root calls no modules: the walk is in the root,
    /// where full addresses are the graph's own.
    fn root_dependencies(&self, node: &Node) -> Vec<ResourceAddr> {
        self.graph.resource_dependencies(node)
    }

    /// The resources a node of this module depends on, as full addresses: with modules, those
    /// its values come from across the tree (through variables, locals, outputs and call
    /// arguments) and whatever the calls containing this module instance depend on; a resource
    /// of another module counts in every instance of that module under the closest module
    /// instance they share.
    fn full_dependencies(&mut self, node: &Node) -> Vec<ResourceAddr> {
        let Some(tree) = self.tree else {
            return self.root_dependencies(node);
        };
        let Some(i) = tree.node(self.module, Step::Node(node.clone())) else {
            return Vec::new();
        };
        if self.dep_cache.as_ref().is_none_or(|(at, _)| *at != i) {
            self.dep_cache = Some((i, tree.resource_dependencies(i)));
        }
        let mut deps = Vec::new();
        let here = tree.module_path(self.module);
        for (module, addr) in self.dep_cache.iter().flat_map(|(_, d)| d) {
            if *module == self.module {
                deps.push(self.full(addr));
                continue;
            }
            let there = tree.module_path(*module);
            let shared = here.iter().zip(there).take_while(|(a, b)| a == b).count();
            let prefix = &self.path.0[..shared.min(self.path.0.len())];
            if shared == there.len() {
                // A module instance containing this one.
                deps.push(ResourceAddr {
                    module: ModulePath(prefix.to_vec()),
                    ..addr.clone()
                });
                continue;
            }
            for p in &self.instances[*module] {
                if p.0.starts_with(prefix) {
                    deps.push(ResourceAddr {
                        module: p.clone(),
                        ..addr.clone()
                    });
                }
            }
        }
        deps.sort();
        deps.dedup();
        deps
    }

    /// Plans a resource of the current module instance.
    async fn plan_resource(&mut self, r: &'a Resource) {
        let deps = self.full_dependencies(&Node::Resource(r.addr.clone()));
        let out = self.plan_resource_in(r, &deps, false, None).await;
        self.commit(r, out);
    }

    /// Records what planning a resource added to the walk.
    fn commit(&mut self, r: &Resource, out: Outcome) {
        self.diags.extend(out.diags);
        for (addr, provider, inst) in out.prior {
            self.prior.set_instance(&addr, &provider, inst);
        }
        self.imported.extend(out.imported);
        self.pending.extend(out.pending);
        self.changes.extend(out.changes);
        if out.unknown {
            self.scope.unknown_resources.insert(r.addr.clone());
        }
        if let Some(values) = out.values {
            self.scope.resources.insert(r.addr.clone(), values);
        }
    }

    /// The stored object at `addr` (of the resource `at` resolves, whose stored resource is
    /// looked up once for all its instances), as planning this resource so far has left it.
    fn prior_of<'s>(
        &'s self,
        out: &'s Outcome,
        at: &Resolved<'s>,
        addr: &InstanceAddr,
    ) -> Option<&'s InstanceState> {
        match out.prior.iter().rev().find(|(a, _, _)| a == addr) {
            Some((_, _, inst)) => inst.as_ref(),
            None => at.prior?.instances.get(&addr.key),
        }
    }

    /// Plans a resource without changing the walk, so that resources independent of each
    /// other can be planned on several threads: what it adds to the walk is in the [`Outcome`],
    /// which [`Walk::commit`] records in graph order. `at` is the resource's position in the
    /// module's graph, when the caller knows it.
    async fn plan_resource_in(
        &self,
        r: &'a Resource,
        deps: &[ResourceAddr],
        nested: bool,
        at: Option<usize>,
    ) -> Outcome {
        let mut out = Outcome::default();
        let Ok(pref) = module::resolve_provider(&self.chain, r.provider_ref()) else {
            return out;
        };
        let Some(provider) = self.providers.get(&pref).cloned() else {
            return out;
        };
        let full = self.full(&r.addr);
        let schema = match self.schema_for(&provider, &r.addr) {
            Ok(s) => s,
            Err(d) => {
                out.diags.push(d.at(r.span.clone(), ""));
                return out;
            }
        };
        let Some((expansion, keys)) = self.expand(r, &mut out) else {
            out.unknown = true;
            return out;
        };
        let node = Node::Resource(r.addr.clone());
        // Without module calls, the walk stays in the root, where `deps` are the local ones.
        let local_deps: std::borrow::Cow<[ResourceAddr]> = if self.tree.is_none() {
            deps.into()
        } else {
            self.graph.resource_dependencies(&node).into()
        };
        let precise = if local_deps.is_empty() {
            PreciseRefs { by_dep: Vec::new() }
        } else {
            PreciseRefs::new(
                r,
                &local_deps,
                self.graph.indirect_resource_dependencies(&node),
            )
        };
        let mut imports = self.import_ids(r, &mut out);
        let mut seen = HashSet::default();
        let instances: Vec<(InstanceKey, Option<Value>, Option<String>)> = keys
            .into_iter()
            .map(|(key, each_value)| {
                seen.insert(key.clone());
                let import = imports.remove(&key).map(|(id, _)| id);
                (key, each_value, import)
            })
            .collect();
        let keep = self.values_needed(r, at.or_else(|| self.graph.position(&node)));
        let Some(object_type) = provider.object_type(r.addr.mode, &r.addr.ty) else {
            return out;
        };
        let at = Resolved {
            object_type,
            prior: self.prior.resources.get(&full),
            full: &full,
            provider: &provider,
            schema,
            precise: &precise,
            deps,
            keep,
        };
        let mut values = BTreeMap::new();
        if !nested && instances.len() >= PARALLEL_BATCH && parallel_runtime() {
            // The instances of one resource do not depend on each other.
            let handle = tokio::runtime::Handle::current();
            let planned = tokio::task::block_in_place(|| {
                crate::par::map(&instances, |(key, each_value, import)| {
                    let mut o = Outcome::default();
                    let v = handle.block_on(self.plan_instance(
                        r,
                        &at,
                        key,
                        each_value.as_ref(),
                        import.as_deref(),
                        &mut o,
                    ));
                    (o, v)
                })
            });
            for ((key, _, _), (o, v)) in instances.iter().zip(planned) {
                out.merge(o);
                if let Some(v) = v {
                    values.insert(key.clone(), v);
                }
            }
        } else {
            for (key, each_value, import) in &instances {
                let v = self
                    .plan_instance(
                        r,
                        &at,
                        key,
                        each_value.as_ref(),
                        import.as_deref(),
                        &mut out,
                    )
                    .await;
                if let Some(v) = v {
                    values.insert(key.clone(), v);
                }
            }
        }
        for (key, (_, span)) in imports {
            out.diags.push(
                Diagnostic::error(
                    "Configuration for import target does not exist",
                    format!("The configuration for the given import target {} does not exist. All target instances must have an associated configuration to be imported.", full.instance(key)),
                )
                .at_opt(span),
            );
        }
        // Instances in state whose key is no longer configured.
        if r.addr.mode == ResourceMode::Managed {
            let orphans: Vec<(InstanceKey, InstanceState, String)> = at
                .prior
                .map(|rs| {
                    rs.instances
                        .iter()
                        .filter(|(k, _)| !seen.contains(*k))
                        .map(|(k, i)| (k.clone(), i.clone(), rs.provider.clone()))
                        .collect()
                })
                .unwrap_or_default();
            for (key, inst, paddr) in orphans {
                let addr = full.instance(key.clone());
                if !self.instance_targeted(&addr) {
                    continue;
                }
                let reason = match (&key, &expansion) {
                    (InstanceKey::Int(_), Expansion::Count) => Reason::CountIndex,
                    (InstanceKey::Str(_), Expansion::ForEach) => Reason::EachKey,
                    (_, Expansion::Count) => Reason::CountIndex,
                    (_, Expansion::ForEach) => Reason::EachKey,
                    (_, Expansion::Single) => Reason::CountIndex,
                };
                if r.lifecycle.prevent_destroy {
                    out.diags.push(prevent_destroy(r, &addr));
                }
                let mut c = change(
                    &addr,
                    &paddr,
                    Action::Delete,
                    Some(instance_value(&inst, schema)),
                    None,
                );
                c.reason = Some(reason);
                c.dependencies = inst.dependencies.clone();
                out.pending.push(full.clone());
                out.change(c);
            }
        }
        out.values = keep.then_some(ResourceValues {
            expansion,
            instances: values,
        });
        out
    }

    /// Whether the values of a resource's instances are needed once it is planned: something
    /// refers to it, its postconditions use `self`, or a `check` or `import` block may refer to
    /// it. When not, the planned values are only in the plan's changes (no copy for the scope).
    fn values_needed(&self, r: &Resource, at: Option<usize>) -> bool {
        !self.m.checks.is_empty()
            || !self.imports.is_empty()
            || !r.lifecycle.postconditions.is_empty()
            || at.is_some_and(|i| self.graph.has_dependents_at(i))
    }

    /// Plans one instance of a resource; its value (planned, or stored when it is not targeted)
    /// unless planning it failed.
    async fn plan_instance(
        &self,
        r: &Resource,
        at: &Resolved<'_>,
        key: &InstanceKey,
        each_value: Option<&Value>,
        import: Option<&str>,
        out: &mut Outcome,
    ) -> Option<Value> {
        let Resolved {
            full,
            provider,
            schema,
            precise,
            deps,
            ..
        } = *at;
        let addr = full.instance(key.clone());
        if !self.instance_targeted(&addr) {
            return self
                .prior_of(out, at, &addr)
                .map(|inst| instance_value(inst, schema));
        }
        let iscope = InstanceScope {
            base: &self.scope,
            key,
            each_value,
            self_value: None,
        };
        let config = match lang::eval_body(&r.body, schema, &iscope) {
            Ok(v) => v,
            Err(ds) => {
                out.diags.extend(ds);
                return None;
            }
        };
        let failed = conditions(
            &r.lifecycle.preconditions,
            &iscope,
            "Resource precondition failed",
        );
        if !failed.is_empty() {
            out.diags.extend(failed);
            return None;
        }
        let instance_deps: Vec<(ResourceAddr, Vec<InstanceKey>)> = precise
            .keys(&iscope)
            .into_iter()
            .map(|(a, ks)| (self.full(&a), ks))
            .collect();
        if let Some(id) = import
            && self.prior_of(out, at, &addr).is_none()
            && !self.import(r, &addr, provider, schema, id, out).await
        {
            return None;
        }
        let value = match r.addr.mode {
            ResourceMode::Data => {
                self.plan_data(r, &addr, provider, schema, config, deps, out)
                    .await
            }
            ResourceMode::Managed => self.plan_managed(r, &addr, at, config, out).await,
        };
        if value.is_some()
            && let Some(c) = out.changes.last_mut().filter(|c| c.addr == addr)
        {
            c.instance_dependencies = instance_deps;
            if c.action == Action::NoOp
                && self.opts.omit_unchanged
                && import.is_none()
                && !self.moved_to.contains(&addr)
            {
                c.before = None;
                c.after = None;
            }
        }
        if let Some(v) = value {
            let iscope = InstanceScope {
                base: &self.scope,
                key,
                each_value,
                self_value: Some(&v),
            };
            let failed = conditions(
                &r.lifecycle.postconditions,
                &iscope,
                "Resource postcondition failed",
            );
            out.diags.extend(failed);
            return Some(v);
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_data(
        &self,
        r: &Resource,
        addr: &InstanceAddr,
        provider: &Arc<Configured>,
        schema: &Schema,
        config: Value,
        deps: &[ResourceAddr],
        out: &mut Outcome,
    ) -> Option<Value> {
        let (plain, marks) = config.unmark_deep();
        let dep_pending = deps.iter().any(|d| self.pending.contains(d));
        if plain.is_wholly_known() && !dep_pending {
            match provider.provider.read_data(&addr.resource.ty, &plain).await {
                Ok(v) => {
                    let mut paths = marks;
                    paths.extend(schema.sensitive_paths(&v));
                    let inst = InstanceState {
                        attributes: v.to_json_typed(&schema.object_type()).into(),
                        sensitive_paths: paths.clone(),
                        schema_version: schema.version,
                        ..InstanceState::default()
                    };
                    out.prior
                        .push((addr.clone(), provider.addr.clone(), Some(inst)));
                    Some(v.mark_paths(&paths))
                }
                Err(e) => {
                    out.diags.push(
                        Diagnostic::error(
                            "Error reading data source",
                            format!("{addr}: {}", e.message),
                        )
                        .at(r.span.clone(), ""),
                    );
                    None
                }
            }
        } else {
            let planned = cairn_provider::provider::plan_by_schema(schema, None, &plain).planned;
            let after = planned.mark_paths(&marks);
            let mut c = change(
                addr,
                &provider.addr,
                Action::Read,
                None,
                Some(after.clone()),
            );
            c.reason = Some(if dep_pending {
                Reason::DependencyPending
            } else {
                Reason::ConfigUnknown
            });
            c.dependencies = deps.to_vec();
            c.schema_version = schema.version;
            out.pending.push(addr.resource.clone());
            out.change(c);
            Some(after)
        }
    }

    /// Plans a managed instance; its planned value (with marks) unless planning failed, or
    /// just null when `keep` says nothing will look at it (the change holds it).
    async fn plan_managed(
        &self,
        r: &Resource,
        addr: &InstanceAddr,
        at: &Resolved<'_>,
        config: Value,
        out: &mut Outcome,
    ) -> Option<Value> {
        let Resolved {
            provider,
            schema,
            object_type,
            deps,
            keep,
            ..
        } = *at;
        // The prior object without marks (from refresh when it ran), and with them.
        // The marked value is made from the plain one once planning no longer needs it.
        let (prior_plain, prior_paths, tainted) = match self.prior_of(out, at, addr) {
            None => (None, Vec::new(), false),
            Some(i) => {
                let plain = self
                    .refreshed
                    .get(addr)
                    .and_then(|v| lock(v).take())
                    .unwrap_or_else(|| i.attributes.to_value_typed(object_type));
                let mut paths = i.sensitive_paths.clone();
                paths.extend(schema.sensitive_paths(&plain));
                (Some(plain), paths, i.tainted)
            }
        };
        let (plain, mut marks) = config.unmark_deep();
        let plain = ignore_changes(plain, prior_plain.as_ref(), &r.lifecycle.ignore_changes);
        let fail = |e: cairn_provider::ProviderError| {
            Diagnostic::error(
                "Invalid resource configuration",
                format!("{addr}: {}", e.message),
            )
            .at(r.span.clone(), "")
        };
        if let Err(e) = provider.provider.validate(&addr.resource.ty, &plain) {
            out.diags.push(fail(e));
            return None;
        }
        let ty = &addr.resource.ty;
        let resp = match provider
            .provider
            .plan(PlanRequest {
                type_name: ty,
                prior: prior_plain.as_ref(),
                config: Some(&plain),
            })
            .await
        {
            Ok(r) => r,
            Err(e) => {
                out.diags.push(fail(e));
                return None;
            }
        };
        let requested = self.opts.replace.iter().any(|t| t.contains(addr));
        let triggered = prior_plain.is_some() && self.replace_triggered(r);
        let reason = if prior_plain.is_none() {
            None
        } else if tainted {
            Some(Reason::Tainted)
        } else if requested {
            Some(Reason::ByRequest)
        } else if triggered {
            Some(Reason::ByTriggers)
        } else if !resp.requires_replace.is_empty() {
            Some(Reason::CannotUpdate)
        } else {
            None
        };
        let (action, planned, replace_paths) = match (&prior_plain, reason) {
            (None, _) => (Action::Create, resp.planned, Vec::new()),
            (Some(_), Some(reason)) => {
                // A replacement plans the new object as a create.
                let fresh = if resp.requires_replace.is_empty() {
                    match provider
                        .provider
                        .plan(PlanRequest {
                            type_name: ty,
                            prior: None,
                            config: Some(&plain),
                        })
                        .await
                    {
                        Ok(r) => r.planned,
                        Err(e) => {
                            out.diags.push(fail(e));
                            return None;
                        }
                    }
                } else {
                    resp.planned
                };
                let _ = reason;
                let action = if r.lifecycle.create_before_destroy {
                    Action::CreateThenDelete
                } else {
                    Action::DeleteThenCreate
                };
                (action, fresh, resp.requires_replace)
            }
            (Some(p), None) if *p == resp.planned => (Action::NoOp, resp.planned, Vec::new()),
            (Some(_), None) => (Action::Update, resp.planned, Vec::new()),
        };
        if action.is_replace() && r.lifecycle.prevent_destroy {
            out.diags.push(prevent_destroy(r, addr));
        }
        marks.extend(schema.sensitive_paths(&planned));
        let after = planned.mark_paths(&marks);
        let prior = prior_plain.map(|p| {
            if prior_paths.is_empty() {
                p
            } else {
                p.mark_paths(&prior_paths)
            }
        });
        let value = if keep { after.clone() } else { Value::Null };
        let mut c = change(addr, &provider.addr, action, prior, Some(after));
        c.reason = reason;
        c.replace_paths = replace_paths;
        c.dependencies = deps.to_vec();
        c.create_before_destroy = r.lifecycle.create_before_destroy;
        c.schema_version = schema.version;
        if action != Action::NoOp {
            out.pending.push(addr.resource.clone());
        }
        out.change(c);
        Some(value)
    }

    /// Whether any resource named in `replace_triggered_by` has a pending update or replacement.
    fn replace_triggered(&self, r: &Resource) -> bool {
        r.lifecycle.replace_triggered_by.iter().any(|e| {
            lang::references(e)
                .iter()
                .any(|reference| match &reference.subject {
                    Subject::Resource(a) => self.changes.iter().any(|c| {
                        c.addr.resource == self.full(a)
                            && (c.action == Action::Update || c.action.is_replace())
                    }),
                    _ => false,
                })
        })
    }

    /// Deletes objects whose resource block is gone from the configuration.
    async fn plan_orphans(&mut self, _registry: &dyn Registry) {
        // Resources are filtered before any instance address is made (one copy of the address
        // each: most of this pass when nothing is orphaned).
        let orphans: Vec<(InstanceAddr, String, InstanceState)> = self
            .prior
            .resources
            .iter()
            .filter(|(a, _)| a.mode == ResourceMode::Managed && !self.configured.contains(*a))
            .flat_map(|(a, rs)| {
                rs.instances
                    .iter()
                    .map(move |(k, i)| (a.instance(k.clone()), rs.provider.clone(), i.clone()))
            })
            .collect();
        for (addr, paddr, inst) in orphans {
            if !self.opts.targets.is_empty() && !self.opts.targets.iter().any(|t| t.contains(&addr))
            {
                continue;
            }
            let Some(p) = self.providers.by_addr(&paddr).cloned() else {
                continue;
            };
            let before = match self.schema_for(&p, &addr.resource) {
                Ok(s) => instance_value(&inst, s),
                Err(d) => {
                    self.diags.push(d);
                    continue;
                }
            };
            let mut c = change(&addr, &paddr, Action::Delete, Some(before), None);
            let forget = self.forgets(&addr);
            if forget {
                c.reason = Some(Reason::NoResourceConfig);
                self.forgotten.push(c);
                continue;
            }
            // The object's module instance is gone, or just its resource block.
            c.reason = Some(
                if addr.resource.module.is_root()
                    || self.module_instances.contains(&addr.resource.module)
                {
                    Reason::NoResourceConfig
                } else {
                    Reason::NoModule
                },
            );
            c.dependencies = inst.dependencies.clone();
            self.changes.push(c);
        }
    }

    /// Whether a `removed` block with `destroy = false` names `addr`: one of the root module, or
    /// one of the module holding it (relative to each of its instances).
    fn forgets(&self, addr: &InstanceAddr) -> bool {
        let root = self
            .m
            .removed
            .iter()
            .any(|rm| !rm.destroy && rm.from.contains(addr));
        let inner = module::find(self.m, &addr.resource.module).is_some_and(|(m, _)| {
            !addr.resource.module.is_root()
                && m.removed.iter().any(|rm| {
                    !rm.destroy
                        && super::refactor::absolute(&addr.resource.module, &rm.from).contains(addr)
                })
        });
        root || inner
    }

    /// The import ids of `r`'s instances, by key, from the root module's `import` blocks.
    fn import_ids(
        &self,
        r: &Resource,
        outcome: &mut Outcome,
    ) -> BTreeMap<InstanceKey, (String, Option<Span>)> {
        let mut out = BTreeMap::new();
        if r.addr.mode != ResourceMode::Managed {
            return out;
        }
        let full = self.full(&r.addr);
        for imp in self.imports.iter().filter(|i| i.to == full) {
            // The walk of a child module evaluates in the child's scope: an import into it may
            // use literals and `each` only.
            let exprs = [imp.for_each.as_ref(), imp.key.as_ref(), Some(&imp.id)];
            let root_refs = exprs.iter().flatten().any(|e| {
                lang::references(e)
                    .iter()
                    .any(|r| !matches!(r.subject, Subject::EachKey | Subject::EachValue))
            });
            if !self.path.is_root() && root_refs {
                outcome.diags.push(
                    Diagnostic::error(
                        "Unsupported import expression",
                        "An import into a module instance may use only literal values and each.key / each.value in for_each, to and id.",
                    )
                    .at(imp.span.clone(), ""),
                );
                continue;
            }
            let each = match &imp.for_each {
                None => vec![(InstanceKey::None, None)],
                Some(e) => match module::expand(None, Some(e), &self.scope) {
                    Ok((_, xs)) => xs,
                    Err(ds) => {
                        outcome.diags.extend(ds);
                        continue;
                    }
                },
            };
            for (each_key, each_value) in each {
                let iscope = InstanceScope {
                    base: &self.scope,
                    key: &each_key,
                    each_value: each_value.as_ref(),
                    self_value: None,
                };
                let key = match &imp.key {
                    None => Ok(Some(InstanceKey::None)),
                    Some(k) => {
                        lang::eval(k, &iscope).map(|v| InstanceKey::of_value(&v.unmark_deep().0))
                    }
                };
                let id = lang::eval(&imp.id, &iscope).map(|v| v.unmark_deep().0);
                match (key, id) {
                    (Ok(Some(key)), Ok(Value::String(id))) => {
                        out.insert(key, (id, Some(imp.to_span.clone())));
                    }
                    (Ok(None), _) => outcome.diags.push(
                        Diagnostic::error(
                            "Invalid import address",
                            "The instance key of an import target must be a known string or number.",
                        )
                        .at(imp.to_span.clone(), ""),
                    ),
                    (_, Ok(_)) => outcome.diags.push(
                        Diagnostic::error(
                            "Invalid import id argument",
                            "The import ID must be a known, non-null string.",
                        )
                        .at_opt(imp.id.span()),
                    ),
                    (Err(ds), _) | (_, Err(ds)) => outcome.diags.extend(ds),
                }
            }
        }
        out
    }

    /// Imports the object `id` into `addr` of the prior state (import, then read, as Terraform
    /// does while planning); false when it failed.
    async fn import(
        &self,
        r: &Resource,
        addr: &InstanceAddr,
        provider: &Arc<Configured>,
        schema: &Schema,
        id: &str,
        outcome: &mut Outcome,
    ) -> bool {
        let ty = &addr.resource.ty;
        let fail = |summary: &str, detail: String| {
            Diagnostic::error(summary, detail).at(r.span.clone(), "")
        };
        let imported = match provider.provider.import(ty, id).await {
            Ok(v) => v,
            Err(e) => {
                outcome
                    .diags
                    .push(fail("Import failed", format!("{addr}: {}", e.message)));
                return false;
            }
        };
        let value = match provider.provider.read(ty, &imported).await {
            Ok(Some(v)) => v,
            Ok(None) => {
                outcome.diags.push(fail(
                    "Cannot import non-existent remote object",
                    format!("While attempting to import an existing object to \"{addr}\", the provider detected that no object exists with the given id. Only pre-existing objects can be imported; check that the id is correct and that it is associated with the provider's configured region or endpoint, or use \"cairn apply\" to create a new remote object for this resource."),
                ));
                return false;
            }
            Err(e) => {
                outcome
                    .diags
                    .push(fail("Import failed", format!("{addr}: {}", e.message)));
                return false;
            }
        };
        let inst = InstanceState {
            attributes: value.to_json_typed(&schema.object_type()).into(),
            sensitive_paths: schema.sensitive_paths(&value),
            schema_version: schema.version,
            ..InstanceState::default()
        };
        outcome
            .prior
            .push((addr.clone(), provider.addr.clone(), Some(inst)));
        outcome.imported.push((addr.clone(), id.to_string()));
        true
    }

    /// Import blocks whose target resource is not configured.
    fn unmatched_imports(&mut self) {
        for imp in &self.m.imports {
            let configured = declared(self.m, &imp.to).is_some();
            if imp.provider.is_some() && configured {
                self.diags.push(
                    Diagnostic::error(
                        "Invalid import provider argument",
                        "The provider argument can only be specified in import blocks that will generate configuration.\n\nUse the provider argument in the target resource block to configure the provider for a resource with explicit provider configuration.",
                    )
                    .at(imp.span.clone(), ""),
                );
            }
            if !configured {
                self.diags.push(
                    Diagnostic::error(
                        "Configuration for import target does not exist",
                        format!("The configuration for the given import target {} does not exist. All target instances must have an associated configuration to be imported.", imp.to),
                    )
                    .at(imp.to_span.clone(), ""),
                );
            }
        }
    }

    async fn plan_destroy(&mut self, _registry: &dyn Registry) {
        let all: Vec<(InstanceAddr, String, InstanceState)> = self
            .prior
            .instances()
            .filter(|(a, _, _)| a.resource.mode == ResourceMode::Managed)
            .filter(|(a, _, _)| {
                self.opts.targets.is_empty() || self.opts.targets.iter().any(|t| t.contains(a))
            })
            .map(|(a, rs, i)| (a, rs.provider.clone(), i.clone()))
            .collect();
        for (addr, paddr, inst) in all {
            let Some(p) = self.providers.by_addr(&paddr).cloned() else {
                continue;
            };
            let before = match self.schema_for(&p, &addr.resource) {
                Ok(s) => instance_value(&inst, s),
                Err(d) => {
                    self.diags.push(d);
                    continue;
                }
            };
            if let Some(r) = declared(self.m, &addr.resource)
                && r.lifecycle.prevent_destroy
            {
                self.diags.push(prevent_destroy(r, &addr));
            }
            let mut c = change(&addr, &paddr, Action::Delete, Some(before), None);
            // As in Terraform, a destroy is ordered by what the state records and by what the
            // configuration says: an imported object has no recorded dependencies, yet must
            // not be deleted before the objects that refer to it.
            let mut deps = inst.dependencies.clone();
            if declared(self.m, &addr.resource).is_some()
                && let Some(g) = graph_by_names(self.graph, &names(&addr.resource.module))
            {
                deps.extend(
                    g.resource_dependencies(&Node::Resource(local(&addr.resource)))
                        .into_iter()
                        .map(|d| ResourceAddr {
                            module: addr.resource.module.clone(),
                            ..d
                        }),
                );
                deps.sort();
                deps.dedup();
            }
            c.dependencies = deps;
            self.changes.push(c);
        }
    }

    fn plan_outputs(&mut self, stored: &BTreeMap<String, OutputState>) -> Vec<OutputChange> {
        let mut out = Vec::new();
        for o in self.m.outputs.values() {
            let failed = conditions(
                &o.preconditions,
                &self.scope,
                "Module output value precondition failed",
            );
            if !failed.is_empty() {
                self.diags.extend(failed);
                continue;
            }
            let v = match lang::eval(&o.value, &self.scope) {
                Ok(v) => v,
                Err(ds) => {
                    self.diags.extend(ds);
                    continue;
                }
            };
            if v.contains_sensitive() && !o.sensitive {
                self.diags.push(
                    Diagnostic::error(
                        "Output refers to sensitive values",
                        "To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, cairn requires that any root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent. If you do intend to export this data, annotate the output value as sensitive by adding the following argument:\n    sensitive = true",
                    )
                    .at(o.span.clone(), ""),
                );
                continue;
            }
            let after = if o.sensitive { v.mark_sensitive() } else { v };
            let before = stored.get(&o.name).map(stored_output);
            let action = match &before {
                None => Action::Create,
                Some(b)
                    if b.clone().unmark_deep().0 == after.clone().unmark_deep().0
                        && after.is_wholly_known() =>
                {
                    Action::NoOp
                }
                Some(_) => Action::Update,
            };
            out.push(OutputChange {
                name: o.name.clone(),
                action,
                before,
                after: Some(after),
                sensitive: o.sensitive,
            });
        }
        for (name, o) in stored {
            if !self.m.outputs.contains_key(name) {
                out.push(OutputChange {
                    name: name.clone(),
                    action: Action::Delete,
                    before: Some(stored_output(o)),
                    after: None,
                    sensitive: o.sensitive,
                });
            }
        }
        out
    }
}

/// The references a resource makes to each of its dependencies, for finding which instances of
/// them each of its instances uses.
struct PreciseRefs {
    /// Dependencies referenced only directly and only with an index, with those indexes.
    by_dep: Vec<(ResourceAddr, Vec<lang::Index>)>,
}

impl PreciseRefs {
    fn new(r: &Resource, deps: &[ResourceAddr], indirect: HashSet<ResourceAddr>) -> PreciseRefs {
        let (mut refs, depends_on) = graph::resource_references(r);
        refs.extend(depends_on);
        let by_dep = deps
            .iter()
            .filter(|d| !indirect.contains(*d))
            .filter_map(|d| {
                let mut indexes = Vec::new();
                for reference in refs
                    .iter()
                    .filter(|x| matches!(&x.subject, Subject::Resource(a) if a == d))
                {
                    indexes.push(reference.index.clone()?);
                }
                (!indexes.is_empty()).then(|| (d.clone(), indexes))
            })
            .collect();
        PreciseRefs { by_dep }
    }

    /// The instance keys an instance uses, for each dependency where all are known.
    fn keys(&self, scope: &dyn lang::Scope) -> Vec<(ResourceAddr, Vec<InstanceKey>)> {
        self.by_dep
            .iter()
            .filter_map(|(d, indexes)| {
                let mut keys = Vec::new();
                for i in indexes {
                    let key = match i {
                        lang::Index::Number(n) => InstanceKey::Int(*n as i64),
                        lang::Index::Expr(e) => {
                            match lang::eval(e, scope).ok()?.strip_marks_ref() {
                                Value::Number(n) => InstanceKey::Int(n.as_i64()?),
                                Value::String(s) => InstanceKey::Str(s.clone()),
                                _ => return None,
                            }
                        }
                    };
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                Some((d.clone(), keys))
            })
            .collect()
    }
}

/// Evaluates `precondition`/`postcondition` blocks: a false condition is an error carrying the
/// block's `error_message`; a condition not yet known is checked no further here.
fn prevent_destroy(r: &Resource, addr: &InstanceAddr) -> Diagnostic {
    Diagnostic::error(
        "Instance cannot be destroyed",
        format!("Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using the -target flag."),
    )
    .at(r.span.clone(), "")
}

/// The fewest independent resources worth planning on several threads (starting threads
/// costs about as much as planning a few resources).
const PARALLEL_BATCH: usize = 16;

/// Whether planning can run on several threads: more than one core, and a runtime with more
/// than one thread (unit tests run on one).
fn parallel_runtime() -> bool {
    crate::par::cores() > 1
        && tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// What planning a resource's instances shares: its full address, provider, schema, and what
/// it depends on.
#[derive(Clone, Copy)]
struct Resolved<'r> {
    /// The object type of `schema`.
    object_type: &'r Type,
    /// The resource as stored in the prior state.
    prior: Option<&'r crate::state::ResourceState>,
    full: &'r ResourceAddr,
    provider: &'r Arc<Configured>,
    schema: &'r Schema,
    precise: &'r PreciseRefs,
    deps: &'r [ResourceAddr],
    /// Whether the instances' values are needed after planning (see [`Walk::values_needed`]).
    keep: bool,
}

/// What planning one resource adds to the walk (see [`Walk::plan_resource_in`]).
#[derive(Default)]
struct Outcome {
    diags: Diagnostics,
    changes: Vec<ResourceChange>,
    /// Resources given a pending change.
    pending: Vec<ResourceAddr>,
    /// Objects to set in the prior state (imported objects, data sources read).
    prior: Vec<(InstanceAddr, String, Option<InstanceState>)>,
    imported: Vec<(InstanceAddr, String)>,
    /// The resource's instances cannot be known yet.
    unknown: bool,
    values: Option<ResourceValues>,
}

impl Outcome {
    /// Records a planned change. Most outcomes hold one change, and the outcomes of a batch of
    /// resources all exist at once: the first change gets room for itself alone (a vector's
    /// first growth makes room for four, 1.2 KB of which 300 bytes are used).
    fn change(&mut self, c: ResourceChange) {
        if self.changes.capacity() == 0 {
            self.changes.reserve_exact(1);
        }
        self.changes.push(c);
    }

    /// Adds what planning another instance of the same resource added.
    fn merge(&mut self, o: Outcome) {
        self.diags.extend(o.diags);
        self.changes.extend(o.changes);
        self.pending.extend(o.pending);
        self.prior.extend(o.prior);
        self.imported.extend(o.imported);
        self.unknown |= o.unknown;
    }
}

/// Locks a mutex of the walk; a panic elsewhere cannot leave one half-written.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn conditions(
    rules: &[crate::config::Validation],
    scope: &dyn lang::Scope,
    summary: &str,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for rule in rules {
        match lang::eval(&rule.condition, scope) {
            Ok(c) if !c.is_wholly_known() => {}
            Ok(c) => match lang::convert(c, &Type::Bool).ok().and_then(|c| c.as_bool()) {
                Some(true) => {}
                Some(false) => {
                    let msg = lang::eval(&rule.error_message, scope)
                        .ok()
                        .and_then(|m| m.as_str().map(str::to_string))
                        .unwrap_or_else(|| "The condition is false.".to_string());
                    diags.push(Diagnostic::error(summary, msg).at_opt(rule.condition.span()));
                }
                None => diags.push(
                    Diagnostic::error(
                        "Invalid condition result",
                        "A condition must be true or false.",
                    )
                    .at_opt(rule.condition.span()),
                ),
            },
            Err(ds) => diags.extend(ds),
        }
    }
    diags
}

/// A `removed` block naming something still declared is an error, as in Terraform.
fn removed_still_declared(m: &Module, diags: &mut Diagnostics) {
    for rm in &m.removed {
        let declared = match &rm.from {
            Target::Resource(a) => module::find(m, &ModulePath(a.module.0.clone()))
                .is_some_and(|(child, _)| child.resources.contains_key(&local(a))),
            Target::Module(p) => module::find(m, p).is_some(),
            Target::Instance(_) => false,
        };
        if declared {
            diags.push(
                Diagnostic::error(
                    "Removed object still exists",
                    format!(
                        "This statement declares that {} was removed, but it is still declared in configuration.",
                        rm.from
                    ),
                )
                .at(rm.span.clone(), ""),
            );
        }
    }
}

fn change(
    addr: &InstanceAddr,
    provider: &str,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
) -> ResourceChange {
    ResourceChange {
        addr: addr.clone(),
        provider: provider.to_string(),
        action,
        before,
        after,
        replace_paths: Vec::new(),
        reason: None,
        dependencies: Vec::new(),
        instance_dependencies: Vec::new(),
        create_before_destroy: false,
        schema_version: 0,
    }
}

/// Replaces configured values at ignored paths with the prior values, as `ignore_changes` asks.
fn ignore_changes(config: Value, prior: Option<&Value>, ignore: &IgnoreChanges) -> Value {
    let Some(prior) = prior else { return config };
    match ignore {
        IgnoreChanges::None => config,
        IgnoreChanges::All => match (config, prior.as_map()) {
            (Value::Object(mut c), Some(p)) => {
                for (k, v) in c.iter_mut() {
                    if let Some(pv) = p.get(k) {
                        *v = pv.clone();
                    }
                }
                Value::Object(c)
            }
            (c, _) => c,
        },
        IgnoreChanges::Paths(paths) => {
            let mut config = config;
            for path in paths {
                config = replace_at(config, path, prior.at_path(path));
            }
            config
        }
    }
}

fn replace_at(v: Value, path: &[cairn_provider::PathStep], with: Option<&Value>) -> Value {
    use cairn_provider::PathStep;
    let Some((first, rest)) = path.split_first() else {
        return with.cloned().unwrap_or(Value::Null);
    };
    match (v, first) {
        (Value::Object(mut m), PathStep::Attr(k) | PathStep::Key(k)) => {
            let cur = m.remove(k).unwrap_or(Value::Null);
            m.insert(k.clone(), replace_at(cur, rest, with));
            Value::Object(m)
        }
        (Value::Map(mut m), PathStep::Attr(k) | PathStep::Key(k)) => {
            match (rest.is_empty(), with) {
                (true, None) => {
                    m.remove(k);
                }
                _ => {
                    let cur = m.remove(k).unwrap_or(Value::Null);
                    m.insert(k.clone(), replace_at(cur, rest, with));
                }
            }
            Value::Map(m)
        }
        (Value::List(mut xs), PathStep::Index(i)) if (*i as usize) < xs.len() => {
            let i = *i as usize;
            xs[i] = replace_at(std::mem::take(&mut xs[i]), rest, with);
            Value::List(xs)
        }
        (v, _) => v,
    }
}

#[cfg(test)]
mod tests;
