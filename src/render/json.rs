//! Terraform's machine-readable formats: the JSON plan of `show -json PLANFILE` and the JSON
//! state of `show -json`, field for field as Terraform 1.11 writes them, so that tools written for
//! Terraform's output (policy checkers, summarisers, cost estimators) read cairn's unchanged.
//! Like the rest of `render`, it decides nothing: it lays out a `Plan` or a `State`.

use std::collections::BTreeMap;

use cairn_provider::{PathStep, Type, Value};
use serde_json::{Map, Value as J, json};

use super::human::Schemas;
use crate::addr::{InstanceAddr, InstanceKey, ModulePath};
use crate::plan::providers::source_of_addr;
use crate::plan::{OutputChange, Plan, ResourceChange};
use crate::state::{State, TERRAFORM_VERSION};

mod configuration;
pub use configuration::{configuration, with_configuration};

/// The JSON plan format version Terraform 1.11 writes.
pub const PLAN_FORMAT_VERSION: &str = "1.2";

/// A value as JSON: unknown object attributes are left out and unknown elements are null, as in
/// Terraform's `before`/`after`; sensitive values are included (their masks say which).
pub fn value(v: &Value) -> J {
    match v.strip_marks_ref() {
        Value::Null | Value::Unknown => J::Null,
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
            J::Array(xs.iter().map(value).collect())
        }
        Value::Map(m) | Value::Object(m) => J::Object(
            m.iter()
                .filter(|(_, x)| !x.is_unknown())
                .map(|(k, x)| (k.clone(), value(x)))
                .collect(),
        ),
        other => other.to_json(),
    }
}

/// Terraform's mask of a value: `true` where `hit` holds; collections mirror their elements
/// (lists keep every element, objects only the entries that are not `false`).
fn mask(v: &Value, hit: &dyn Fn(&Value) -> bool) -> J {
    if hit(v) {
        return J::Bool(true);
    }
    match v.strip_marks_ref() {
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
            J::Array(xs.iter().map(|x| mask(x, hit)).collect())
        }
        Value::Map(m) | Value::Object(m) => J::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), mask(x, hit)))
                .filter(|(_, j)| *j != J::Bool(false))
                .collect(),
        ),
        _ => J::Bool(false),
    }
}

fn unknown_mask(v: &Value) -> J {
    mask(v, &|x| x.is_unknown())
}

fn sensitive_mask(v: &Value) -> J {
    mask(v, &|x| x.is_sensitive())
}

/// An output's mask: a plain `true`/`false` unless only part of the value is hit.
fn output_mask(v: Option<&Value>, hit: &dyn Fn(&Value) -> bool) -> J {
    match v {
        None => J::Bool(false),
        Some(v) if hit(v) => J::Bool(true),
        Some(v) => {
            let m = mask(v, hit);
            if contains_true(&m) { m } else { J::Bool(false) }
        }
    }
}

fn contains_true(j: &J) -> bool {
    match j {
        J::Bool(b) => *b,
        J::Array(xs) => xs.iter().any(contains_true),
        J::Object(m) => m.values().any(contains_true),
        _ => false,
    }
}

/// The identifying fields of a resource instance.
fn identity(addr: &InstanceAddr, provider: &str) -> Map<String, J> {
    let mut m = Map::new();
    m.insert("address".into(), json!(addr.to_string()));
    if !addr.resource.module.is_root() {
        m.insert(
            "module_address".into(),
            json!(addr.resource.module.to_string()),
        );
    }
    m.insert("mode".into(), json!(addr.resource.mode.as_str()));
    m.insert("type".into(), json!(addr.resource.ty));
    m.insert("name".into(), json!(addr.resource.name));
    match &addr.key {
        InstanceKey::Int(i) => {
            m.insert("index".into(), json!(i));
        }
        InstanceKey::Str(s) => {
            m.insert("index".into(), json!(s));
        }
        InstanceKey::None => {}
    }
    m.insert(
        "provider_name".into(),
        json!(source_of_addr(provider).unwrap_or(provider)),
    );
    m
}

fn path(p: &[PathStep]) -> J {
    J::Array(
        p.iter()
            .map(|s| match s {
                PathStep::Attr(a) | PathStep::Key(a) => json!(a),
                PathStep::Index(i) => json!(i),
            })
            .collect(),
    )
}

/// One entry of `resource_changes` (or `resource_drift`).
pub fn resource_change(c: &ResourceChange) -> J {
    let mut m = identity(&c.addr, &c.provider);
    let before = c.before.as_ref();
    let after = c.after.as_ref();
    let mut change = Map::new();
    change.insert("actions".into(), json!(c.action.json_actions()));
    change.insert("before".into(), before.map(value).unwrap_or(J::Null));
    change.insert("after".into(), after.map(value).unwrap_or(J::Null));
    // A wholly known value has the empty mask; structure appears only around unknowns.
    let after_unknown = match after {
        Some(a) if !a.is_wholly_known() => unknown_mask(a),
        _ => json!({}),
    };
    change.insert("after_unknown".into(), after_unknown);
    change.insert(
        "before_sensitive".into(),
        before.map(sensitive_mask).unwrap_or(J::Bool(false)),
    );
    change.insert(
        "after_sensitive".into(),
        after.map(sensitive_mask).unwrap_or(J::Bool(false)),
    );
    if !c.replace_paths.is_empty() {
        change.insert(
            "replace_paths".into(),
            J::Array(c.replace_paths.iter().map(|p| path(p)).collect()),
        );
    }
    m.insert("change".into(), J::Object(change));
    if let Some(r) = c.reason {
        m.insert("action_reason".into(), json!(r.json_name()));
    }
    J::Object(m)
}

/// A `resource_changes` entry with what moves, imports and `removed` blocks add:
/// `previous_address`, `change.importing`, and the `forget` action (whose `after` is null).
fn refactored_change(plan: &Plan, c: &ResourceChange, forget: bool) -> J {
    let mut j = resource_change(c);
    let Some(m) = j.as_object_mut() else {
        return j;
    };
    if let Some(from) = plan.refactor.previous_address(&c.addr) {
        m.insert("previous_address".into(), json!(from.to_string()));
    }
    if let Some(change) = m.get_mut("change").and_then(J::as_object_mut) {
        if let Some(id) = plan.refactor.import_id(&c.addr) {
            change.insert("importing".into(), json!({ "id": id }));
        }
        if forget {
            change.insert("actions".into(), json!(["forget"]));
        }
    }
    j
}

/// Terraform's `checks` of a plan: one entry per `check` block, its status and problems.
fn checks(results: &[crate::plan::CheckResult]) -> J {
    J::Array(
        results
            .iter()
            .map(|r| {
                let mut instance = Map::new();
                let mut address = Map::new();
                let display = if r.module.is_empty() {
                    format!("check.{}", r.name)
                } else {
                    address.insert("module".into(), json!(r.module));
                    format!("{}.check.{}", r.module, r.name)
                };
                address.insert("to_display".into(), json!(display));
                instance.insert("address".into(), J::Object(address));
                instance.insert("status".into(), json!(r.status.json_name()));
                if !r.problems.is_empty() {
                    let problems: Vec<J> =
                        r.problems.iter().map(|p| json!({ "message": p })).collect();
                    instance.insert("problems".into(), J::Array(problems));
                }
                json!({
                    "address": {
                        "kind": "check",
                        "name": r.name,
                        "to_display": display,
                    },
                    "status": r.status.json_name(),
                    "instances": [J::Object(instance)],
                })
            })
            .collect(),
    )
}

fn output_change(o: &OutputChange) -> J {
    let before = o.before.as_ref();
    let after = o.after.as_ref();
    let sensitive = |v: &Value| v.is_sensitive();
    let mut m = Map::new();
    m.insert("actions".into(), json!(o.action.json_actions()));
    m.insert("before".into(), before.map(value).unwrap_or(J::Null));
    if !after.is_some_and(Value::is_unknown) {
        m.insert("after".into(), after.map(value).unwrap_or(J::Null));
    }
    m.insert(
        "after_unknown".into(),
        output_mask(after, &|v| v.is_unknown()),
    );
    // A sensitive output is sensitive as a whole, on both sides (even a side that is null).
    let side = |v: Option<&Value>| {
        if o.sensitive {
            J::Bool(true)
        } else {
            output_mask(v, &sensitive)
        }
    };
    m.insert("before_sensitive".into(), side(before));
    m.insert("after_sensitive".into(), side(after));
    J::Object(m)
}

/// The module tree of `planned_values` and state `values`: the root module's resources, then
/// `child_modules`, each with its `address` and its own resources and children, sorted by
/// address as Terraform lists them. `resources` comes sorted by address; each entry's
/// `module_address` (which these sections don't carry) is dropped.
fn module_values(resources: Vec<(ModulePath, J)>) -> J {
    #[derive(Default)]
    struct Tree {
        resources: Vec<J>,
        children: BTreeMap<String, Tree>,
    }
    fn render(t: Tree, address: Option<String>) -> J {
        let mut m = Map::new();
        if !t.resources.is_empty() {
            m.insert("resources".into(), J::Array(t.resources));
        }
        if let Some(a) = address {
            m.insert("address".into(), json!(a));
        }
        if !t.children.is_empty() {
            let children = t
                .children
                .into_iter()
                .map(|(a, c)| render(c, Some(a)))
                .collect();
            m.insert("child_modules".into(), J::Array(children));
        }
        J::Object(m)
    }
    let mut root = Tree::default();
    for (path, mut j) in resources {
        if let J::Object(m) = &mut j {
            m.shift_remove("module_address");
        }
        let mut node = &mut root;
        for i in 0..path.0.len() {
            let addr = ModulePath(path.0[..=i].to_vec()).to_string();
            node = node.children.entry(addr).or_default();
        }
        node.resources.push(j);
    }
    render(root, None)
}

fn planned_values(plan: &Plan) -> J {
    let mut outputs = Map::new();
    for o in &plan.outputs {
        let Some(after) = &o.after else { continue };
        let mut e = Map::new();
        e.insert(
            "sensitive".into(),
            json!(o.sensitive || after.is_sensitive()),
        );
        if after.is_wholly_known() {
            let (plain, _) = after.clone().unmark_deep();
            e.insert("type".into(), Type::of(&plain).to_json());
            e.insert("value".into(), value(&plain));
        }
        outputs.insert(o.name.clone(), J::Object(e));
    }
    let mut changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.after.is_some() && c.addr.resource.mode == crate::addr::Mode::Managed)
        .collect();
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    let resources = changes
        .iter()
        .map(|c| {
            let mut m = identity(&c.addr, &c.provider);
            let after = c.after.as_ref().unwrap_or(&Value::Null);
            m.insert("schema_version".into(), json!(c.schema_version));
            m.insert("values".into(), value(after));
            m.insert("sensitive_values".into(), sensitive_mask(after));
            (c.addr.resource.module.clone(), J::Object(m))
        })
        .collect();
    let mut out = Map::new();
    if !outputs.is_empty() {
        out.insert("outputs".into(), J::Object(outputs));
    }
    out.insert("root_module".into(), module_values(resources));
    J::Object(out)
}

/// Terraform's JSON representation of a state (`show -json`, and `prior_state` in a plan). The
/// schemas say which attributes are dynamically typed (stored with their type in the file).
pub fn state(state: &State, schemas: &Schemas) -> J {
    if state.resources.is_empty() && state.outputs.is_empty() {
        return json!({"format_version": "1.0"});
    }
    let outputs: Map<String, J> = state
        .outputs
        .iter()
        .map(|(k, o)| {
            (
                k.clone(),
                json!({"sensitive": o.sensitive, "value": o.value, "type": o.ty}),
            )
        })
        .collect();
    let resources = state
        .instances()
        .map(|(addr, rs, inst)| {
            let mut m = identity(&addr, &rs.provider);
            let schema = match addr.resource.mode {
                crate::addr::Mode::Managed => schemas.resources.get(addr.resource.ty.as_str()),
                crate::addr::Mode::Data => schemas.data_sources.get(addr.resource.ty.as_str()),
            };
            let v = match schema {
                Some(s) => inst.attributes.to_value_typed(&s.object_type()),
                None => inst.attributes.to_value(),
            }
            .mark_paths(&inst.sensitive_paths);
            m.insert("schema_version".into(), json!(inst.schema_version));
            m.insert("values".into(), value(&v));
            m.insert("sensitive_values".into(), sensitive_mask(&v));
            if !inst.dependencies.is_empty() {
                m.insert("depends_on".into(), json!(inst.recorded_dependencies()));
            }
            if inst.tainted {
                m.insert("tainted".into(), json!(true));
            }
            (addr.resource.module.clone(), J::Object(m))
        })
        .collect();
    let mut values = Map::new();
    if !outputs.is_empty() {
        values.insert("outputs".into(), J::Object(outputs));
    }
    values.insert("root_module".into(), module_values(resources));
    json!({"format_version": "1.0", "terraform_version": state.terraform_version, "values": values})
}

/// Terraform's JSON plan (`show -json PLANFILE`).
pub fn plan(plan: &Plan, schemas: &Schemas) -> J {
    let mut m = Map::new();
    m.insert("format_version".into(), json!(PLAN_FORMAT_VERSION));
    m.insert("terraform_version".into(), json!(TERRAFORM_VERSION));
    if !plan.variables.is_empty() {
        let vars: Map<String, J> = plan
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), json!({"value": value(v)})))
            .collect();
        m.insert("variables".into(), J::Object(vars));
    }
    m.insert("planned_values".into(), planned_values(plan));
    if !plan.drift.is_empty() {
        m.insert(
            "resource_drift".into(),
            J::Array(plan.drift.iter().map(resource_change).collect()),
        );
    }
    let mut changes: Vec<(&ResourceChange, bool)> = plan
        .changes
        .iter()
        .map(|c| (c, false))
        .chain(plan.refactor.forgotten.iter().map(|c| (c, true)))
        .collect();
    changes.sort_by(|a, b| a.0.addr.cmp(&b.0.addr));
    if !changes.is_empty() {
        let entries = changes
            .into_iter()
            .map(|(c, forget)| refactored_change(plan, c, forget))
            .collect();
        m.insert("resource_changes".into(), J::Array(entries));
    }
    if !plan.refactor.checks.is_empty() {
        m.insert("checks".into(), checks(&plan.refactor.checks));
    }
    if !plan.outputs.is_empty() {
        let outs: Map<String, J> = plan
            .outputs
            .iter()
            .map(|o| (o.name.clone(), output_change(o)))
            .collect();
        m.insert("output_changes".into(), J::Object(outs));
    }
    m.insert("prior_state".into(), state(&plan.prior_state, schemas));
    m.insert(
        "timestamp".into(),
        json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    m.insert(
        "applyable".into(),
        json!(plan.has_changes() || plan.mode == crate::plan::Mode::RefreshOnly),
    );
    m.insert("complete".into(), json!(plan.targets.is_empty()));
    m.insert("errored".into(), json!(false));
    J::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Action;

    #[test]
    fn masks_follow_terraform() {
        let v = Value::object([
            ("id", Value::Unknown),
            ("n", Value::number(1)),
            (
                "input",
                Value::object([
                    ("x", Value::number(1)),
                    ("z", Value::Tuple(vec![Value::number(1)])),
                ]),
            ),
        ]);
        assert_eq!(
            unknown_mask(&v),
            json!({"id": true, "input": {"z": [false]}})
        );
        assert_eq!(value(&v), json!({"n": 1, "input": {"x": 1, "z": [1]}}));
        let s = Value::object([
            ("a", Value::string("x").mark_sensitive()),
            ("b", Value::Null),
        ]);
        assert_eq!(sensitive_mask(&s), json!({"a": true}));
    }

    /// Terraform's JSON plans recorded under `testdata/render/` go through cairn's plan model and
    /// back out: every resource and output change must come out as Terraform wrote it.
    /// `j` with every number in one notation, so `1e+21` and `1000000000000000000000` compare
    /// equal (serde_json keeps the digits it read).
    fn same_numbers(j: &J) -> J {
        match j {
            J::Number(n) => cairn_provider::Number::from_json(n)
                .map(|n| n.to_json())
                .unwrap_or(J::Null),
            J::Array(xs) => J::Array(xs.iter().map(same_numbers).collect()),
            J::Object(m) => J::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), same_numbers(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    #[test]
    fn round_trips_terraform_json_plans() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/render");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let file = entry.path().join("plan.json");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let tf: J = serde_json::from_str(&text).unwrap();
            let mode = if tf["resource_changes"].as_array().is_some_and(|a| {
                !a.is_empty()
                    && a.iter()
                        .all(|c| c["change"]["actions"] == json!(["delete"]))
            }) {
                crate::plan::Mode::Destroy
            } else {
                crate::plan::Mode::Normal
            };
            let ours = super::plan(
                &crate::render::tests::plan_from_terraform_json(&tf, mode),
                &Schemas::default(),
            );
            let name = entry.file_name().to_string_lossy().into_owned();
            let theirs = tf["resource_changes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mine = ours["resource_changes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert_eq!(
                mine.len(),
                theirs.len(),
                "{name}: number of resource changes"
            );
            for (m, t) in mine.iter().zip(&theirs) {
                for key in [
                    "address",
                    "mode",
                    "type",
                    "name",
                    "index",
                    "provider_name",
                    "action_reason",
                ] {
                    assert_eq!(m.get(key), t.get(key), "{name}: {key} of {}", t["address"]);
                }
                for key in [
                    "actions",
                    "before",
                    "after",
                    "after_unknown",
                    "before_sensitive",
                    "replace_paths",
                ] {
                    assert_eq!(
                        m["change"].get(key).map(same_numbers),
                        t["change"].get(key).map(same_numbers),
                        "{name}: change.{key} of {}",
                        t["address"]
                    );
                }
                // Unknown values carry no type in cairn, so an unknown object's empty mask (`{}`)
                // cannot be told from an unknown string's `false`: those entries are left out.
                let mut t_sens = t["change"]["after_sensitive"].clone();
                if let (Some(ts), Some(unknown)) = (
                    t_sens.as_object_mut(),
                    t["change"]["after_unknown"].as_object(),
                ) {
                    ts.retain(|k, v| {
                        !(unknown.get(k) == Some(&J::Bool(true))
                            && (*v == json!({}) || *v == json!([])))
                    });
                }
                assert_eq!(
                    m["change"]["after_sensitive"], t_sens,
                    "{name}: change.after_sensitive of {}",
                    t["address"]
                );
            }
            if let Some(outs) = tf["output_changes"].as_object() {
                for (k, t) in outs {
                    assert_eq!(&ours["output_changes"][k], t, "{name}: output {k}");
                }
            }
            checked += 1;
        }
        assert!(checked >= 10, "the recorded plans were found ({checked})");
    }

    #[test]
    fn actions_and_reasons() {
        assert_eq!(
            Action::CreateThenDelete.json_actions(),
            ["create", "delete"]
        );
    }
}
