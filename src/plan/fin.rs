//! Evaluation against the state as an apply leaves it: the final planned value of an instance
//! whose planned value still had unknowns once the objects it depends on exist
//! ([`final_value`]), the postconditions of an object just applied ([`check_postconditions`]),
//! the `check` blocks after an apply ([`evaluate_checks`]), and the root module's outputs
//! ([`evaluate_outputs`]). Module calls are evaluated against the state from the root down, each
//! instance in its own scope.

use std::collections::{BTreeMap, HashMap};

use cairn_provider::{PlanRequest, Schema, Type, Value};

use super::ResourceChange;
use super::module;
use super::providers::ProviderSet;
use super::scope::{Expansion, InstanceScope, ModuleScope, ResourceValues};
use super::walk::instance_value;
use crate::addr::{InstanceKey, ModulePath, ResourceAddr};
use crate::config::{Config, Module, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{self, Node};
use crate::lang;
use crate::state::{OutputState, State};

/// What evaluation against a state needs besides the configuration.
struct StateEval<'a> {
    config: &'a Config,
    state: &'a State,
    providers: &'a ProviderSet,
    cwd: &'a str,
}

/// A scope for the module instance at `path` (whose configuration is `m`) whose resources are
/// the objects recorded in `state` — all of them, or with `only`, just those (what one instance
/// depends on: converting every object for every operation would make an apply quadratic).
/// Module calls are not evaluated here (see [`fill_calls`]).
fn state_scope<'a>(
    ctx: &StateEval<'a>,
    m: &'a Module,
    path: &ModulePath,
    vars: HashMap<String, Value>,
    only: Option<&[ResourceAddr]>,
) -> ModuleScope<'a> {
    let state = ctx.state;
    let mut scope = ModuleScope::new(m, vars, ctx.cwd.to_string());
    scope.planning = false;
    let selected: Box<dyn Iterator<Item = (&ResourceAddr, &crate::state::ResourceState)>> =
        match only {
            Some(list) => Box::new(
                list.iter()
                    .filter(|a| a.module == *path)
                    .filter_map(|a| state.resources.get_key_value(a)),
            ),
            None => Box::new(state.resources.iter().filter(|(a, _)| a.module == *path)),
        };
    let local = |a: &ResourceAddr| ResourceAddr {
        module: ModulePath::root(),
        ..a.clone()
    };
    for (addr, rs) in selected {
        let Some(p) = ctx.providers.by_addr(&rs.provider) else {
            continue;
        };
        let Some(schema) = p.resource_schema(addr.mode, &addr.ty) else {
            continue;
        };
        let addr = local(addr);
        let expansion = match m.resources.get(&addr) {
            Some(r) if r.count.is_some() => Expansion::Count,
            Some(r) if r.for_each.is_some() => Expansion::ForEach,
            _ => Expansion::Single,
        };
        let instances = rs
            .instances
            .iter()
            .map(|(k, i)| (k.clone(), instance_value(i, schema)))
            .collect();
        scope.resources.insert(
            addr,
            ResourceValues {
                expansion,
                instances,
            },
        );
    }
    // Configured resources with no objects yet: empty, not undeclared.
    let configured: Vec<(ResourceAddr, &Resource)> = match only {
        Some(list) => list
            .iter()
            .filter(|a| a.module == *path)
            .filter_map(|a| m.resources.get(&local(a)).map(|r| (local(a), r)))
            .collect(),
        None => m.resources.iter().map(|(a, r)| (a.clone(), r)).collect(),
    };
    for (addr, r) in configured {
        let expansion = if r.count.is_some() {
            Expansion::Count
        } else if r.for_each.is_some() {
            Expansion::ForEach
        } else {
            Expansion::Single
        };
        scope
            .resources
            .entry(addr)
            .or_insert_with(|| ResourceValues {
                expansion,
                instances: BTreeMap::new(),
            });
    }
    scope
}

/// Evaluates every module call of the scope's module (in dependency order), each instance
/// against the state, so that `module.NAME` references resolve. A call that cannot be evaluated
/// (its arguments use objects not created yet, as after a targeted apply) stays unknown.
fn fill_calls<'a>(ctx: &StateEval<'a>, scope: &mut ModuleScope<'a>, path: &ModulePath) {
    let m: &'a Module = scope.module;
    if m.calls.is_empty() {
        return;
    }
    let Ok(g) = graph::build_module(m, false) else {
        return;
    };
    // Calls that use each other's outputs are evaluated again until their values settle: each
    // pass makes known at least the outputs that depend on nothing still unknown.
    let passes = if g.has_call_cycle() {
        m.calls.len() + 1
    } else {
        1
    };
    for _ in 0..passes {
        let before = scope.modules.clone();
        fill_calls_once(ctx, scope, path, &g);
        let settled = scope.modules.len() == before.len()
            && scope.modules.iter().all(|(k, v)| {
                before
                    .get(k)
                    .is_some_and(|b| b.instances == v.instances && b.expansion == v.expansion)
            });
        if settled {
            break;
        }
    }
}

/// One pass of [`fill_calls`] over the calls in the graph's order.
fn fill_calls_once<'a>(
    ctx: &StateEval<'a>,
    scope: &mut ModuleScope<'a>,
    path: &ModulePath,
    g: &graph::Graph,
) {
    let m: &'a Module = scope.module;
    for node in g.order() {
        let Node::ModuleCall(name) = node else {
            continue;
        };
        let Some(call) = m.calls.get(name.as_str()) else {
            continue;
        };
        let Ok((expansion, keys)) =
            module::expand(call.count.as_ref(), call.for_each.as_ref(), &*scope)
        else {
            continue;
        };
        let mut instances = BTreeMap::new();
        for (key, each_value) in keys {
            let vars = {
                let iscope = InstanceScope {
                    base: &*scope,
                    key: &key,
                    each_value: each_value.as_ref(),
                    self_value: None,
                };
                module::call_vars(call, &iscope)
            };
            let value = match vars {
                Ok(vars) => {
                    let child_path = module::child_path(path, name, &key);
                    let mut child = state_scope(ctx, &call.module, &child_path, vars, None);
                    fill_calls(ctx, &mut child, &child_path);
                    // Outputs of objects not created yet fail to evaluate: they stay unknown.
                    let mut ignored = Diagnostics::new();
                    module::outputs_value(&call.module, &child, &mut ignored)
                }
                Err(_) => Value::Unknown,
            };
            instances.insert(key, value);
        }
        scope.modules.insert(
            name.to_string(),
            ResourceValues {
                expansion,
                instances,
            },
        );
    }
}

/// The scope of the module instance at `path`, evaluated against the state from the root down.
fn scope_at<'a>(
    ctx: &StateEval<'a>,
    vars: &HashMap<String, Value>,
    path: &ModulePath,
) -> Result<ModuleScope<'a>, Diagnostics> {
    let root = ModulePath::root();
    let mut scope = state_scope(ctx, &ctx.config.root, &root, vars.clone(), None);
    fill_calls(ctx, &mut scope, &root);
    let mut cur = root;
    for step in &path.0 {
        let m: &'a Module = scope.module;
        let Some(call) = m.calls.get(step.name.as_str()) else {
            return Err(Diagnostic::error(
                "Module not in configuration",
                format!(
                    "{} is no longer in the configuration.",
                    module::child_path(&cur, &step.name, &step.key)
                ),
            )
            .into());
        };
        let each_value = match (&step.key, &call.for_each) {
            (InstanceKey::Str(k), Some(e)) => match lang::eval(e, &scope)?.strip_marks_ref() {
                Value::Map(m) | Value::Object(m) => m.get(k).cloned(),
                _ => Some(Value::string(k)),
            },
            _ => None,
        };
        let vars = {
            let iscope = InstanceScope {
                base: &scope,
                key: &step.key,
                each_value: each_value.as_ref(),
                self_value: None,
            };
            module::call_vars(call, &iscope)?
        };
        cur = module::child_path(&cur, &step.name, &step.key);
        let mut child = state_scope(ctx, &call.module, &cur, vars, None);
        fill_calls(ctx, &mut child, &cur);
        scope = child;
    }
    Ok(scope)
}

fn first_error(ds: Diagnostics, config: &Config) -> String {
    ds.0.first()
        .map(|d| match d.span() {
            Some(s) => format!(
                "{} ({}): {}",
                d.summary,
                config.sources.location(s),
                d.detail
            ),
            None => d.to_string(),
        })
        .unwrap_or_else(|| "evaluation failed".to_string())
}

/// Re-evaluates one instance's configuration against `state` and asks its provider for the
/// final planned value. Used by the executor for changes whose planned value had unknowns.
pub async fn final_value(
    config: &Config,
    vars: &HashMap<String, Value>,
    providers: &ProviderSet,
    cwd: &str,
    change: &ResourceChange,
    state: &State,
) -> Result<Value, String> {
    let addr = &change.addr;
    let gone = || format!("{} is no longer in the configuration", addr.resource);
    let (m, _) = module::find(&config.root, &addr.resource.module).ok_or_else(gone)?;
    let local = ResourceAddr {
        module: ModulePath::root(),
        ..addr.resource.clone()
    };
    let r: &Resource = m.resources.get(&local).ok_or_else(gone)?;
    let ctx = StateEval {
        config,
        state,
        providers,
        cwd,
    };
    let p = providers
        .by_addr(&change.provider)
        .ok_or_else(|| format!("provider {} is not configured", change.provider))?
        .clone();
    let schema: Schema = p
        .resource_schema(addr.resource.mode, &addr.resource.ty)
        .cloned()
        .ok_or_else(|| format!("unknown resource type {}", addr.resource.ty))?;
    // Evaluate synchronously; the scope must not live across an await.
    let config_value = {
        let scope = if config.root.calls.is_empty() {
            state_scope(
                &ctx,
                &config.root,
                &ModulePath::root(),
                vars.clone(),
                Some(&change.dependencies),
            )
        } else {
            scope_at(&ctx, vars, &addr.resource.module).map_err(|ds| first_error(ds, config))?
        };
        let each_value = match (&addr.key, &r.for_each) {
            (InstanceKey::Str(k), Some(e)) => {
                let v = lang::eval(e, &scope).map_err(|ds| first_error(ds, config))?;
                match v.strip_marks_ref() {
                    Value::Map(m) | Value::Object(m) => m.get(k).cloned(),
                    _ => Some(Value::string(k)),
                }
            }
            _ => None,
        };
        let iscope = InstanceScope {
            base: &scope,
            key: &addr.key,
            each_value: each_value.as_ref(),
            self_value: None,
        };
        lang::eval_body(&r.body, &schema, &iscope).map_err(|ds| first_error(ds, config))?
    };
    if addr.resource.mode == crate::addr::Mode::Data {
        // A data source's final configuration is what the executor reads with.
        return Ok(config_value);
    }
    let (plain, mut marks) = config_value.unmark_deep();
    let prior = match change.action {
        super::Action::Update => change.before.clone().map(|b| b.unmark_deep().0),
        _ => None,
    };
    let resp = p
        .provider
        .plan(PlanRequest {
            type_name: &addr.resource.ty,
            prior: prior.as_ref(),
            config: Some(&plain),
        })
        .await
        .map_err(|e| e.message)?;
    marks.extend(schema.sensitive_paths(&resp.planned));
    Ok(resp.planned.mark_paths(&marks))
}

/// Checks a managed resource's postconditions against the object an apply just recorded in
/// `state` (`self` is that object). At plan time a condition on values not known yet passes;
/// Terraform checks them again once the object exists, and so does this.
pub fn check_postconditions(
    config: &Config,
    vars: &HashMap<String, Value>,
    providers: &ProviderSet,
    cwd: &str,
    change: &ResourceChange,
    state: &State,
) -> Result<(), String> {
    let addr = &change.addr;
    let Some((m, _)) = module::find(&config.root, &addr.resource.module) else {
        return Ok(());
    };
    let local = ResourceAddr {
        module: ModulePath::root(),
        ..addr.resource.clone()
    };
    let Some(r) = m.resources.get(&local) else {
        return Ok(());
    };
    if r.lifecycle.postconditions.is_empty() {
        return Ok(());
    }
    let (Some(p), Some(inst)) = (providers.by_addr(&change.provider), state.instance(addr)) else {
        return Ok(());
    };
    let Some(schema) = p.resource_schema(addr.resource.mode, &addr.resource.ty) else {
        return Ok(());
    };
    let ctx = StateEval {
        config,
        state,
        providers,
        cwd,
    };
    let scope = if config.root.calls.is_empty() {
        let mut only = change.dependencies.clone();
        only.push(addr.resource.clone());
        state_scope(
            &ctx,
            &config.root,
            &ModulePath::root(),
            vars.clone(),
            Some(&only),
        )
    } else {
        scope_at(&ctx, vars, &addr.resource.module).map_err(|ds| first_error(ds, config))?
    };
    let each_value = match (&addr.key, &r.for_each) {
        (InstanceKey::Str(k), Some(e)) => {
            let v = lang::eval(e, &scope).map_err(|ds| first_error(ds, config))?;
            match v.strip_marks_ref() {
                Value::Map(m) | Value::Object(m) => m.get(k).cloned(),
                _ => Some(Value::string(k)),
            }
        }
        _ => None,
    };
    let value = instance_value(inst, schema);
    let iscope = InstanceScope {
        base: &scope,
        key: &addr.key,
        each_value: each_value.as_ref(),
        self_value: Some(&value),
    };
    let failed = super::walk::conditions(
        &r.lifecycle.postconditions,
        &iscope,
        "Resource postcondition failed",
    );
    if failed.has_errors() {
        return Err(first_error(failed, config));
    }
    Ok(())
}

/// Evaluates the root module's outputs against `state`. An output that cannot be stored (an
/// infinite number: JSON has none) is an error, as it is when Terraform saves the state.
pub fn evaluate_outputs(
    config: &Config,
    vars: &HashMap<String, Value>,
    state: &State,
    providers: &ProviderSet,
    cwd: &str,
) -> Result<BTreeMap<String, OutputState>, Diagnostics> {
    let ctx = StateEval {
        config,
        state,
        providers,
        cwd,
    };
    if config.root.outputs.is_empty() {
        return Ok(BTreeMap::new());
    }
    // When the outputs refer to resources directly (and to nothing that may refer to others:
    // locals, module calls), only those resources are read from the state.
    let mut direct = Vec::new();
    let mut only_direct = true;
    for o in config.root.outputs.values() {
        for r in lang::references(&o.value) {
            match r.subject {
                lang::Subject::Resource(a) => direct.push(a),
                lang::Subject::Local(_) | lang::Subject::Module(_) => only_direct = false,
                _ => {}
            }
        }
    }
    let scope = if only_direct {
        state_scope(
            &ctx,
            &config.root,
            &ModulePath::root(),
            vars.clone(),
            Some(&direct),
        )
    } else {
        scope_at(&ctx, vars, &ModulePath::root())?
    };
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    for o in config.root.outputs.values() {
        match lang::eval(&o.value, &scope) {
            Ok(v) => {
                if !v.is_wholly_known() {
                    // Not yet known (e.g. a failed apply): left out, as Terraform does.
                    continue;
                }
                let sensitive = o.sensitive || v.contains_sensitive();
                let (plain, _) = v.unmark_deep();
                if has_infinity(&plain) {
                    // JSON has no infinity (`1/0`): Terraform fails to save such a state.
                    diags.push(
                        Diagnostic::error(
                            "Failed to serialize output value in state",
                            format!(
                                "An error occurred while serializing output value \"{}\": cannot serialize infinity as JSON.",
                                o.name
                            ),
                        )
                        .at_opt(o.value.span()),
                    );
                    continue;
                }
                out.insert(
                    o.name.clone(),
                    OutputState {
                        ty: Type::of(&plain).to_json(),
                        value: plain.to_json(),
                        sensitive,
                    },
                );
            }
            Err(ds) => diags.extend(ds),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(out)
}

/// Whether a value holds an infinite number anywhere (which JSON cannot hold).
pub(crate) fn has_infinity(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_infinite(),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs.iter().any(has_infinity),
        Value::Map(m) | Value::Object(m) => m.values().any(has_infinity),
        Value::Sensitive(x) => has_infinity(x),
        _ => false,
    }
}

/// Evaluates the root module's `check` blocks against `state` after an apply: their
/// problems are warnings.
pub async fn evaluate_checks(
    config: &Config,
    vars: &HashMap<String, Value>,
    state: &State,
    providers: &ProviderSet,
    cwd: &str,
) -> Diagnostics {
    let ctx = StateEval {
        config,
        state,
        providers,
        cwd,
    };
    // The root module, and every module instance that holds objects in state.
    let mut paths: Vec<ModulePath> = vec![ModulePath::root()];
    for a in state.resources.keys() {
        if !paths.contains(&a.module) {
            paths.push(a.module.clone());
        }
    }
    let mut diags = Diagnostics::new();
    for path in paths {
        let Some((m, _)) = module::find(&config.root, &path) else {
            continue;
        };
        if m.checks.is_empty() {
            continue;
        }
        let mut scope = match scope_at(&ctx, vars, &path) {
            Ok(s) => s,
            Err(ds) => {
                diags.extend(ds);
                continue;
            }
        };
        diags.extend(
            super::check::evaluate(m, &mut scope, providers, false)
                .await
                .1,
        );
    }
    diags
}

/// A scope for evaluating expressions against `state` outside a run (`cairn console`): each
/// resource in state resolves to its recorded objects, converted with the schema `schema_of`
/// returns for its provider address and address (resources with no schema, or no longer in the
/// configuration, are left out), and every configured resource without objects resolves to
/// unknown, as Terraform's console has it.
pub fn stored_scope<'a>(
    config: &'a Config,
    vars: HashMap<String, Value>,
    state: &State,
    schema_of: &dyn Fn(&str, &crate::addr::ResourceAddr) -> Option<Schema>,
    cwd: &str,
) -> ModuleScope<'a> {
    let mut scope = ModuleScope::new(&config.root, vars, cwd.to_string());
    scope.planning = false;
    for (addr, rs) in &state.resources {
        if !config.root.resources.contains_key(addr) {
            // Objects of resources gone from the configuration cannot be referenced.
            continue;
        }
        let Some(schema) = schema_of(&rs.provider, addr) else {
            continue;
        };
        let expansion = match config.root.resources.get(addr) {
            Some(r) if r.count.is_some() => Expansion::Count,
            Some(r) if r.for_each.is_some() => Expansion::ForEach,
            _ => Expansion::Single,
        };
        let instances = rs
            .instances
            .iter()
            .map(|(k, i)| (k.clone(), instance_value(i, &schema)))
            .collect();
        scope.resources.insert(
            addr.clone(),
            ResourceValues {
                expansion,
                instances,
            },
        );
    }
    scope
}
