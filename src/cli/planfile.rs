//! Saved plan files (`plan -out=FILE`, `apply FILE`, `show FILE`): their format, and the
//! redaction that keeps sensitive values out of them.
//!
//! By default a plan file holds no sensitive value in clear text: every sensitive part of the
//! planned changes (after marking attributes that echo a secret), of the prior state, of the
//! outputs, and every sensitive input variable is left out. A redacted value is replaced by the
//! marker [`REDACTED`] (or [`REDACTED_CHANGED`] where the value changes) under its sensitive mark,
//! so the masks still say which paths were sensitive. Such a plan is never executed: `apply FILE`
//! plans again with the sensitive variables supplied again, redacts the fresh plan the same way,
//! and executes the fresh plan only if both are equal. `plan -unsafe-keep-sensitive` keeps the
//! values in clear instead.
//!
//! This module decides nothing about planning and prints nothing.

use std::collections::{BTreeMap, HashMap};

use cairn_provider::{PathStep, Value, ValueMap, ValuePath};
use serde::{Deserialize, Serialize};

use crate::addr::Mode as AddrMode;
use crate::config::Config;
use crate::plan::{OutputChange, Plan, ResourceChange};
use crate::render::human::Schemas;
use crate::state::State;

/// The format of plan files this version writes.
pub(crate) const FORMAT: &str = "cairn-plan-2";
/// The format of earlier plan files (never redacted), still read.
pub(crate) const FORMAT_1: &str = "cairn-plan-1";

/// What stands for a redacted sensitive value (under its sensitive mark). It is not a value the
/// configuration produced, and a plan holding it is never executed.
pub(crate) const REDACTED: &str = "(sensitive value redacted from the plan file)";
/// What stands for a redacted sensitive value that differs from the value before the change (so
/// that a summary of the saved plan still shows which sensitive attributes change).
pub(crate) const REDACTED_CHANGED: &str = "(changed sensitive value redacted from the plan file)";

/// A saved plan file: the plan and what it was made against.
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedPlan {
    pub format: String,
    pub config_checksum: String,
    pub lineage: String,
    pub serial: u64,
    /// True if sensitive values were left out: the plan must be made again to be applied.
    #[serde(default)]
    pub redacted: bool,
    /// Sensitive input variables left out of `plan.variables`, and where their values came from.
    #[serde(default)]
    pub sensitive_variables: BTreeMap<String, Origin>,
    /// Whether the plan refreshed, and its `-replace` addresses: to make it again the same way.
    #[serde(default = "yes")]
    pub refresh: bool,
    #[serde(default)]
    pub replace: Vec<String>,
    pub plan: Plan,
    /// Terraform's `configuration` object of the JSON plan, as it was when the plan was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<serde_json::Value>,
}

fn yes() -> bool {
    true
}

/// Where a sensitive variable's value came from when the plan was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Origin {
    /// Its declared default: an apply needs no value again.
    Default,
    /// The command line, a file or the environment: an apply must be given it again.
    Given,
}

/// Why a file cannot be read as a plan.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("{0} is not a cairn plan file")]
    NotAPlan(String),
    #[error("{0} is not a valid plan file: {1}")]
    Invalid(String, serde_json::Error),
}

impl SavedPlan {
    /// Reads a plan file's bytes (`name` is for messages).
    pub(crate) fn read(bytes: &[u8], name: &str) -> Result<SavedPlan, ReadError> {
        let doc: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| ReadError::NotAPlan(name.to_string()))?;
        match doc.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT | FORMAT_1) => {}
            _ => return Err(ReadError::NotAPlan(name.to_string())),
        }
        serde_json::from_value(doc).map_err(|e| ReadError::Invalid(name.to_string(), e))
    }
}

/// A plan with its sensitive values redacted, and the sensitive variables it left out.
pub(crate) struct Redacted {
    pub plan: Plan,
    pub sensitive_variables: BTreeMap<String, Origin>,
    /// True if anything was left out.
    pub any: bool,
}

/// Redacts every sensitive value of `plan`. `config` says where each sensitive variable's value
/// came from; `schemas` which prior-state attributes are sensitive.
pub(crate) fn redact(plan: &Plan, config: Option<&Config>, schemas: &Schemas) -> Redacted {
    let mut r = Redactor { count: 0 };
    let mut plan = plan.clone();
    let mut sensitive_variables = BTreeMap::new();
    plan.variables.retain(|name, v| {
        if !v.contains_sensitive() {
            return true;
        }
        sensitive_variables.insert(name.clone(), origin(config, name, v));
        false
    });
    for c in plan.changes.iter_mut().chain(plan.drift.iter_mut()) {
        r.change(c);
    }
    for o in &mut plan.outputs {
        r.output(o);
    }
    r.state(&mut plan.prior_state, schemas);
    let any = r.count > 0 || !sensitive_variables.is_empty();
    Redacted {
        plan,
        sensitive_variables,
        any,
    }
}

/// Whether a sensitive variable took its default (then an apply needs no value again).
fn origin(config: Option<&Config>, name: &str, value: &Value) -> Origin {
    let default = config
        .and_then(|c| c.root.variables.get(name))
        .and_then(|v| {
            let d = v.default.as_ref()?;
            let d = crate::plan::vars::constant(d).ok()?;
            crate::plan::vars::finish(v, d).ok()
        });
    if default.as_ref() == Some(value) {
        Origin::Default
    } else {
        Origin::Given
    }
}

struct Redactor {
    count: usize,
}

impl Redactor {
    fn change(&mut self, c: &mut ResourceChange) {
        let before = c.before.take().map(Value::mark_echoes);
        let after = c.after.take().map(Value::mark_echoes);
        c.after = after.map(|a| self.value(a, Some(before.as_ref())));
        c.before = before.map(|b| self.value(b, None));
    }

    fn output(&mut self, o: &mut OutputChange) {
        let whole = o.sensitive;
        let mark = |v: Value| if whole { v.mark_sensitive() } else { v };
        let before = o.before.take().map(mark);
        let after = o.after.take().map(mark);
        o.after = after.map(|a| self.value(a, Some(before.as_ref())));
        o.before = before.map(|b| self.value(b, None));
    }

    /// Redacts the sensitive parts of `v`. `before` is, for a planned value, the value at the same
    /// place before the change (`Some(None)` when there is none there), to tell changed secrets
    /// from unchanged ones.
    fn value(&mut self, v: Value, before: Option<Option<&Value>>) -> Value {
        let seq_at = |i: usize| before.map(|b| b.and_then(|b| b.as_seq()?.get(i)));
        match v {
            Value::Sensitive(inner) => {
                // Nothing to hide in a value not known yet, or in null.
                if inner.is_unknown() || inner.is_null() {
                    return Value::Sensitive(inner);
                }
                self.count += 1;
                let changed = before.is_some_and(|b| {
                    b.is_none_or(|b| b.clone().unmark_deep().0 != inner.clone().unmark_deep().0)
                });
                marker(changed)
            }
            Value::List(xs) => Value::List(
                xs.into_iter()
                    .enumerate()
                    .map(|(i, x)| self.value(x, seq_at(i)))
                    .collect(),
            ),
            Value::Tuple(xs) => Value::Tuple(
                xs.into_iter()
                    .enumerate()
                    .map(|(i, x)| self.value(x, seq_at(i)))
                    .collect(),
            ),
            Value::Set(xs) => Value::Set(
                xs.into_iter()
                    .enumerate()
                    .map(|(i, x)| self.value(x, seq_at(i)))
                    .collect(),
            ),
            Value::Map(m) => Value::Map(self.entries(m, before)),
            Value::Object(m) => Value::Object(self.entries(m, before)),
            other => other,
        }
    }

    fn entries(&mut self, m: ValueMap, before: Option<Option<&Value>>) -> ValueMap {
        m.into_iter()
            .map(|(k, x)| {
                let b = before.map(|b| b.and_then(|b| b.get_attr(&k)));
                let x = self.value(x, b);
                (k, x)
            })
            .collect()
    }

    /// Redacts the sensitive attributes of every object in a state (those its `sensitive_paths`
    /// and its schema name, and those echoing a secret) and every sensitive output.
    fn state(&mut self, state: &mut State, schemas: &Schemas) {
        for (addr, rs) in state.resources.iter_mut() {
            let schema = match addr.mode {
                AddrMode::Managed => schemas.resources.get(addr.ty.as_str()),
                AddrMode::Data => schemas.data_sources.get(addr.ty.as_str()),
            };
            for inst in rs.instances.values_mut() {
                let v = match schema {
                    Some(s) => {
                        let v = inst.attributes.to_value_typed(&s.object_type());
                        let mut paths = inst.sensitive_paths.clone();
                        paths.extend(s.sensitive_paths(&v));
                        v.mark_paths(&paths)
                    }
                    None => inst.attributes.to_value().mark_paths(&inst.sensitive_paths),
                };
                let (_, paths) = v.mark_echoes().unmark_deep();
                if !paths.is_empty() {
                    self.count += inst
                        .attributes
                        .edit(|j| paths.iter().filter(|p| redact_json_at(j, p)).count());
                }
                for p in &paths {
                    if !inst.sensitive_paths.contains(p) {
                        inst.sensitive_paths.push(p.clone());
                    }
                }
            }
        }
        for o in state.outputs.values_mut() {
            if o.sensitive && !o.value.is_null() {
                o.value = serde_json::Value::String(REDACTED.to_string());
                self.count += 1;
            }
        }
    }
}

fn marker(changed: bool) -> Value {
    Value::string(if changed { REDACTED_CHANGED } else { REDACTED }).mark_sensitive()
}

/// Replaces the JSON at `path` (if present and not null) with the marker.
fn redact_json_at(j: &mut serde_json::Value, path: &[PathStep]) -> bool {
    let mut at = j;
    for step in path {
        let next = match (at, step) {
            (serde_json::Value::Object(m), PathStep::Attr(k) | PathStep::Key(k)) => m.get_mut(k),
            (serde_json::Value::Array(xs), PathStep::Index(i)) => xs.get_mut(*i as usize),
            _ => None,
        };
        match next {
            Some(n) => at = n,
            None => return false,
        }
    }
    if at.is_null() {
        return false;
    }
    *at = serde_json::Value::String(REDACTED.to_string());
    true
}

/// True if `v` is (or holds) a redaction marker.
pub(crate) fn holds_marker(v: &Value) -> bool {
    match v {
        Value::Sensitive(x) => {
            matches!(&**x, Value::String(s) if s == REDACTED || s == REDACTED_CHANGED)
                || holds_marker(x)
        }
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs.iter().any(holds_marker),
        Value::Map(m) | Value::Object(m) => m.values().any(holds_marker),
        _ => false,
    }
}

/// True if a plan holds a redaction marker anywhere it would be executed with: such a plan
/// must never reach a provider.
pub(crate) fn plan_holds_marker(plan: &Plan) -> bool {
    plan.changes.iter().any(|c| {
        c.before.as_ref().is_some_and(holds_marker) || c.after.as_ref().is_some_and(holds_marker)
    }) || plan.variables.values().any(holds_marker)
}

/// The plan as `show -json` lays it out: redacted values become null (their sensitive masks
/// stay, so tools still see which paths are sensitive).
pub(crate) fn for_json(plan: &Plan) -> Plan {
    fn clear(v: Value) -> Value {
        match v {
            Value::Sensitive(x) if matches!(&*x, Value::String(s) if s == REDACTED || s == REDACTED_CHANGED) => {
                Value::Null.mark_sensitive()
            }
            Value::Sensitive(x) => clear(*x).mark_sensitive(),
            Value::List(xs) => Value::List(xs.into_iter().map(clear).collect()),
            Value::Tuple(xs) => Value::Tuple(xs.into_iter().map(clear).collect()),
            Value::Set(xs) => Value::Set(xs.into_iter().map(clear).collect()),
            Value::Map(m) => Value::Map(m.into_iter().map(|(k, x)| (k, clear(x))).collect()),
            Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, clear(x))).collect()),
            other => other,
        }
    }
    fn clear_json(j: &mut serde_json::Value) {
        match j {
            serde_json::Value::String(s) if s == REDACTED || s == REDACTED_CHANGED => {
                *j = serde_json::Value::Null
            }
            serde_json::Value::Array(xs) => xs.iter_mut().for_each(clear_json),
            serde_json::Value::Object(m) => m.values_mut().for_each(clear_json),
            _ => {}
        }
    }
    let mut plan = plan.clone();
    for c in plan.changes.iter_mut().chain(plan.drift.iter_mut()) {
        c.before = c.before.take().map(clear);
        c.after = c.after.take().map(clear);
    }
    for o in &mut plan.outputs {
        o.before = o.before.take().map(clear);
        o.after = o.after.take().map(clear);
    }
    for rs in plan.prior_state.resources.values_mut() {
        for inst in rs.instances.values_mut() {
            if inst.sensitive_paths.is_empty() {
                continue;
            }
            let paths = &inst.sensitive_paths;
            inst.attributes.edit(|attrs| {
                for p in paths {
                    if let Some(j) = json_at(attrs, p) {
                        clear_json(j);
                    }
                }
            });
        }
    }
    for o in plan.prior_state.outputs.values_mut() {
        if o.sensitive {
            clear_json(&mut o.value);
        }
    }
    plan
}

fn json_at<'a>(
    j: &'a mut serde_json::Value,
    path: &ValuePath,
) -> Option<&'a mut serde_json::Value> {
    let mut at = j;
    for step in path {
        at = match (at, step) {
            (serde_json::Value::Object(m), PathStep::Attr(k) | PathStep::Key(k)) => m.get_mut(k)?,
            (serde_json::Value::Array(xs), PathStep::Index(i)) => xs.get_mut(*i as usize)?,
            _ => return None,
        };
    }
    Some(at)
}

/// The first difference between a saved (redacted) plan and a fresh plan redacted the same way,
/// in words; `None` if they plan the same.
pub(crate) fn difference(saved: &Plan, fresh: &Plan) -> Option<String> {
    if saved.mode != fresh.mode {
        return Some("the planning mode differs".to_string());
    }
    if saved.targets != fresh.targets {
        return Some("the -target addresses differ".to_string());
    }
    let by_addr = |p: &Plan| -> BTreeMap<String, ResourceChange> {
        p.changes
            .iter()
            .map(|c| (c.addr.to_string(), c.clone()))
            .collect()
    };
    let (old, new) = (by_addr(saved), by_addr(fresh));
    for (addr, c) in &old {
        let Some(n) = new.get(addr) else {
            return Some(format!("{addr} is no longer planned"));
        };
        if c.action != n.action {
            return Some(format!(
                "{addr}: planned to {}, now planned to {}",
                c.action.json_actions().join(" and "),
                n.action.json_actions().join(" and ")
            ));
        }
        if c.before != n.before {
            return Some(format!("{addr}: its current object differs"));
        }
        if c.after != n.after {
            return Some(format!("{addr}: its planned values differ"));
        }
        if c != n {
            return Some(format!("{addr}: its planned change differs"));
        }
    }
    if let Some(addr) = new.keys().find(|a| !old.contains_key(*a)) {
        return Some(format!("{addr} is newly planned"));
    }
    let outs = |p: &Plan| -> HashMap<String, OutputChange> {
        p.outputs
            .iter()
            .map(|o| (o.name.clone(), o.clone()))
            .collect()
    };
    let (old, new) = (outs(saved), outs(fresh));
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    for n in names {
        if old.get(n) != new.get(n) {
            return Some(format!("output {n} differs"));
        }
    }
    if saved.variables != fresh.variables {
        return Some("the input variables differ".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Value {
        Value::string(s).mark_sensitive()
    }

    #[test]
    fn marks_changed_and_unchanged_secrets() {
        let mut r = Redactor { count: 0 };
        let before = Value::object([("a", secret("one")), ("b", secret("two"))]);
        let after = Value::object([
            ("a", secret("one")),
            ("b", secret("three")),
            ("c", Value::Unknown.mark_sensitive()),
            ("d", Value::string("plain")),
        ]);
        let a = r.value(after, Some(Some(&before)));
        assert_eq!(a.get_attr("a"), Some(&marker(false)));
        assert_eq!(a.get_attr("b"), Some(&marker(true)));
        assert_eq!(a.get_attr("c"), Some(&Value::Unknown.mark_sensitive()));
        assert_eq!(a.get_attr("d"), Some(&Value::string("plain")));
        assert_eq!(r.count, 2);
        let j = serde_json::to_string(&a).unwrap();
        assert!(!j.contains("three") && !j.contains("one"), "{j}");
    }

    #[test]
    fn echoes_and_state_are_redacted() {
        let mut c = ResourceChange {
            addr: crate::addr::ResourceAddr::managed("terraform_data", "a")
                .instance(crate::addr::InstanceKey::None),
            provider: String::new(),
            action: crate::plan::Action::Create,
            before: None,
            after: Some(Value::object([
                ("input", secret("hunter2")),
                ("output", Value::string("hunter2")),
            ])),
            replace_paths: vec![],
            reason: None,
            dependencies: vec![],
            instance_dependencies: vec![],
            create_before_destroy: false,
            schema_version: 0,
        };
        let mut r = Redactor { count: 0 };
        r.change(&mut c);
        let j = serde_json::to_string(&c).unwrap();
        assert!(!j.contains("hunter2"), "{j}");
        assert!(
            c.after
                .as_ref()
                .unwrap()
                .get_attr("output")
                .unwrap()
                .is_sensitive()
        );
    }

    #[test]
    fn json_paths_are_replaced() {
        let mut j = serde_json::json!({"a": {"b": ["x", "y"]}, "c": null});
        assert!(redact_json_at(
            &mut j,
            &[
                PathStep::Attr("a".into()),
                PathStep::Attr("b".into()),
                PathStep::Index(1)
            ]
        ));
        assert!(!redact_json_at(&mut j, &[PathStep::Attr("c".into())]));
        assert_eq!(
            j,
            serde_json::json!({"a": {"b": ["x", REDACTED]}, "c": null})
        );
    }
}
