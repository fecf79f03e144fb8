//! Evaluation against the state as an apply leaves it: the final planned value of an instance
//! whose planned value still had unknowns once the objects it depends on exist
//! ([`final_value`]), and the root module's outputs after an apply ([`evaluate_outputs`]).

use std::collections::{BTreeMap, HashMap};

use cairn_provider::{PlanRequest, Schema, Type, Value};

use super::ResourceChange;
use super::providers::ProviderSet;
use super::scope::{Expansion, InstanceScope, ModuleScope, ResourceValues};
use super::walk::instance_value;
use crate::addr::InstanceKey;
use crate::config::{Config, Resource};
use crate::diag::Diagnostics;
use crate::lang;
use crate::state::{OutputState, State};

/// A scope whose resources are the objects recorded in `state` — all of them, or with `only`,
/// just those (what one instance depends on: converting every object for every operation would
/// make an apply quadratic).
fn state_scope<'a>(
    config: &'a Config,
    vars: &HashMap<String, Value>,
    state: &State,
    providers: &ProviderSet,
    cwd: &str,
    only: Option<&[crate::addr::ResourceAddr]>,
) -> ModuleScope<'a> {
    let mut scope = ModuleScope::new(&config.root, vars.clone(), cwd.to_string());
    scope.planning = false;
    let selected: Box<
        dyn Iterator<Item = (&crate::addr::ResourceAddr, &crate::state::ResourceState)>,
    > = match only {
        Some(list) => Box::new(list.iter().filter_map(|a| state.resources.get_key_value(a))),
        None => Box::new(state.resources.iter()),
    };
    for (addr, rs) in selected {
        let Some(p) = providers.by_addr(&rs.provider) else {
            continue;
        };
        let Some(schema) = p.resource_schema(addr.mode, &addr.ty) else {
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
            .map(|(k, i)| (k.clone(), instance_value(i, schema)))
            .collect();
        scope.resources.insert(
            addr.clone(),
            ResourceValues {
                expansion,
                instances,
            },
        );
    }
    // Configured resources with no objects yet: empty, not undeclared.
    let configured: Box<dyn Iterator<Item = (&crate::addr::ResourceAddr, &Resource)>> = match only {
        Some(list) => Box::new(
            list.iter()
                .filter_map(|a| config.root.resources.get_key_value(a)),
        ),
        None => Box::new(config.root.resources.iter()),
    };
    for (addr, r) in configured {
        if !scope.resources.contains_key(addr) {
            let expansion = if r.count.is_some() {
                Expansion::Count
            } else if r.for_each.is_some() {
                Expansion::ForEach
            } else {
                Expansion::Single
            };
            scope.resources.insert(
                addr.clone(),
                ResourceValues {
                    expansion,
                    instances: BTreeMap::new(),
                },
            );
        }
    }
    scope
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
    let r: &Resource = config
        .root
        .resources
        .get(&addr.resource)
        .ok_or_else(|| format!("{} is no longer in the configuration", addr.resource))?;
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
        let scope = state_scope(
            config,
            vars,
            state,
            providers,
            cwd,
            Some(&change.dependencies),
        );
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

/// Evaluates the root module's outputs against `state`.
pub fn evaluate_outputs(
    config: &Config,
    vars: &HashMap<String, Value>,
    state: &State,
    providers: &ProviderSet,
    cwd: &str,
) -> Result<BTreeMap<String, OutputState>, Diagnostics> {
    let scope = state_scope(config, vars, state, providers, cwd, None);
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
