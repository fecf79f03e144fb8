//! Tests of the human plan against Terraform itself.
//!
//! Each case under `testdata/render/<case>/` holds a configuration to apply first (`before.tf`,
//! optional), the configuration to plan (`after.tf`), extra plan arguments (`args`, optional),
//! and what Terraform produced for it: its plan as `terraform show -json` (`plan.json`) and its
//! `terraform plan -no-color` output (`terraform.txt`). The plan JSON is converted to a cairn
//! [`Plan`] and rendered; the result must equal Terraform's text once "Terraform" reads "cairn"
//! and prose is unwrapped (the names differ in length, so lines wrap differently).
//!
//! `terraform_matches_live` re-runs Terraform for every case when it is installed (and rewrites
//! the recorded files when `UPDATE_RENDER_FIXTURES=1`); `terraform_matches_recorded` checks the
//! recorded files and needs no Terraform.

use std::path::{Path, PathBuf};
use std::process::Command;

use cairn_provider::{
    Attribute, PathStep, ProviderSchema, ResourceSchema, Schema, Type, Value, ValuePath,
};
use serde_json::Value as J;

use super::human::{self, Options, Schemas};
use crate::addr::{InstanceKey, Target};
use crate::plan::{Action, Mode, OutputChange, Plan, Reason, ResourceChange};
use crate::state::{InstanceState, OutputState, State};

// ---------------------------------------------------------------------------------------------
// Converting `terraform show -json PLANFILE` into a cairn plan.

fn action_from_json(actions: &J) -> Action {
    let names: Vec<&str> = actions
        .as_array()
        .map(|a| a.iter().filter_map(J::as_str).collect())
        .unwrap_or_default();
    match names.as_slice() {
        ["create"] => Action::Create,
        ["read"] => Action::Read,
        ["update"] => Action::Update,
        ["delete", "create"] => Action::DeleteThenCreate,
        ["create", "delete"] => Action::CreateThenDelete,
        ["delete"] => Action::Delete,
        _ => Action::NoOp,
    }
}

fn reason_from_json(reason: Option<&J>) -> Option<Reason> {
    Some(match reason?.as_str()? {
        "replace_because_tainted" => Reason::Tainted,
        "replace_because_cannot_update" => Reason::CannotUpdate,
        "replace_by_request" => Reason::ByRequest,
        "replace_by_triggers" => Reason::ByTriggers,
        "delete_because_no_resource_config" => Reason::NoResourceConfig,
        "delete_because_count_index" => Reason::CountIndex,
        "delete_because_each_key" => Reason::EachKey,
        "read_because_config_unknown" => Reason::ConfigUnknown,
        "read_because_dependency_pending" => Reason::DependencyPending,
        _ => return None,
    })
}

/// Marks the parts of `v` that `mask` (Terraform's `after_unknown` shape) says are unknown.
fn apply_unknown(v: Value, mask: &J) -> Value {
    match (v, mask) {
        (_, J::Bool(true)) => Value::Unknown,
        (Value::Object(mut m), J::Object(mask)) => {
            for (k, sub) in mask {
                let had = m.contains_key(k);
                let child = apply_unknown(m.remove(k).unwrap_or(Value::Null), sub);
                if had || !child.is_null() {
                    m.insert(k.clone(), child);
                }
            }
            Value::Object(m)
        }
        (Value::Tuple(xs), J::Array(mask)) => Value::Tuple(
            xs.into_iter()
                .enumerate()
                .map(|(i, x)| match mask.get(i) {
                    Some(sub) => apply_unknown(x, sub),
                    None => x,
                })
                .collect(),
        ),
        (v, _) => v,
    }
}

/// Marks the parts of `v` that `mask` (`before_sensitive` / `after_sensitive`) says are sensitive.
fn apply_sensitive(v: Value, mask: &J) -> Value {
    match (v, mask) {
        (v, J::Bool(true)) => v.mark_sensitive(),
        (Value::Object(mut m), J::Object(mask)) => {
            for (k, sub) in mask {
                if let Some(child) = m.remove(k) {
                    m.insert(k.clone(), apply_sensitive(child, sub));
                }
            }
            Value::Object(m)
        }
        (Value::Tuple(xs), J::Array(mask)) => Value::Tuple(
            xs.into_iter()
                .enumerate()
                .map(|(i, x)| match mask.get(i) {
                    Some(sub) => apply_sensitive(x, sub),
                    None => x,
                })
                .collect(),
        ),
        (v, _) => v,
    }
}

fn side(value: Option<&J>, unknown: Option<&J>, sensitive: Option<&J>) -> Option<Value> {
    let whole_unknown = unknown == Some(&J::Bool(true));
    let v = match value {
        Some(J::Null) | None if !whole_unknown => return None,
        Some(v) => Value::from_json(v),
        None => Value::Null,
    };
    let v = match unknown {
        Some(mask) => apply_unknown(v, mask),
        None => v,
    };
    Some(match sensitive {
        Some(mask) => apply_sensitive(v, mask),
        None => v,
    })
}

fn path_from_json(p: &J) -> ValuePath {
    p.as_array()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| match s {
                    J::String(k) => Some(PathStep::Attr(k.clone())),
                    J::Number(n) => n.as_u64().map(PathStep::Index),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn change_from_json(rc: &J) -> ResourceChange {
    let address = rc["address"].as_str().unwrap_or_default();
    let addr = match address.parse::<Target>() {
        Ok(Target::Instance(i)) => i,
        Ok(Target::Resource(r)) => r.instance(InstanceKey::None),
        other => panic!("unexpected address {address}: {other:?}"),
    };
    let ch = &rc["change"];
    let action = action_from_json(&ch["actions"]);
    ResourceChange {
        addr,
        provider: rc["provider_name"].as_str().unwrap_or_default().to_string(),
        action,
        before: side(ch.get("before"), None, ch.get("before_sensitive")),
        after: side(
            ch.get("after"),
            ch.get("after_unknown"),
            ch.get("after_sensitive"),
        ),
        replace_paths: ch["replace_paths"]
            .as_array()
            .map_or_else(Vec::new, |ps| ps.iter().map(path_from_json).collect()),
        reason: reason_from_json(rc.get("action_reason")),
        dependencies: Vec::new(),
        instance_dependencies: Vec::new(),
        create_before_destroy: action == Action::CreateThenDelete,
        schema_version: 0,
    }
}

/// Builds a cairn plan from Terraform's JSON plan.
pub(crate) fn plan_from_terraform_json(j: &J, mode: Mode) -> Plan {
    let changes = j["resource_changes"]
        .as_array()
        .map_or_else(Vec::new, |a| a.iter().map(change_from_json).collect());
    let drift = j["resource_drift"]
        .as_array()
        .map_or_else(Vec::new, |a| a.iter().map(change_from_json).collect());
    let mut outputs = Vec::new();
    if let Some(m) = j["output_changes"].as_object() {
        for (name, ch) in m {
            let unknown = ch["after_unknown"] == J::Bool(true);
            let after = if unknown {
                Some(Value::Unknown)
            } else {
                ch.get("after")
                    .filter(|v| !v.is_null())
                    .map(Value::from_json)
            };
            outputs.push(OutputChange {
                name: name.clone(),
                action: action_from_json(&ch["actions"]),
                before: ch
                    .get("before")
                    .filter(|v| !v.is_null())
                    .map(Value::from_json),
                after,
                sensitive: ch["before_sensitive"] == J::Bool(true)
                    || ch["after_sensitive"] == J::Bool(true),
            });
        }
    }
    Plan {
        mode,
        changes,
        outputs,
        drift,
        prior_state: State::new(),
        prior_serial: 0,
        variables: Default::default(),
        targets: Vec::new(),
        refactor: Default::default(),
    }
}

/// The schema of Terraform's built-in `terraform_data`.
fn terraform_data_schemas() -> Schemas {
    let schema = Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("input", Attribute::optional(Type::Any))
        .attr("output", Attribute::computed(Type::Any))
        .attr("triggers_replace", Attribute::optional(Type::Any));
    let mut provider = ProviderSchema::default();
    provider.resources.insert(
        "terraform_data".to_string(),
        ResourceSchema::new(schema, false),
    );
    Schemas::from_providers([&provider])
}

/// The paths a `sensitive_values` mask marks.
fn sensitive_paths(mask: &J, at: &mut ValuePath, out: &mut Vec<ValuePath>) {
    match mask {
        J::Bool(true) => out.push(at.clone()),
        J::Object(m) => {
            for (k, sub) in m {
                at.push(PathStep::Attr(k.clone()));
                sensitive_paths(sub, at, out);
                at.pop();
            }
        }
        J::Array(xs) => {
            for (i, sub) in xs.iter().enumerate() {
                at.push(PathStep::Index(i as u64));
                sensitive_paths(sub, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn add_module_resources(state: &mut State, module: &J) {
    for r in module["resources"].as_array().into_iter().flatten() {
        let address = r["address"].as_str().unwrap_or_default();
        let addr = match address.parse::<Target>() {
            Ok(Target::Instance(i)) => i,
            Ok(Target::Resource(r)) => r.instance(InstanceKey::None),
            other => panic!("unexpected address {address}: {other:?}"),
        };
        let mut paths = Vec::new();
        sensitive_paths(&r["sensitive_values"], &mut Vec::new(), &mut paths);
        let inst = InstanceState {
            attributes: r["values"].clone().into(),
            sensitive_paths: paths,
            ..InstanceState::default()
        };
        let provider = r["provider_name"].as_str().unwrap_or_default();
        state.set_instance(&addr, provider, Some(inst));
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        add_module_resources(state, child);
    }
}

/// Builds a cairn state from `terraform show -json` (of a state, not a plan).
pub(crate) fn state_from_terraform_json(j: &J) -> State {
    let mut state = State::new();
    add_module_resources(&mut state, &j["values"]["root_module"]);
    if let Some(outputs) = j["values"]["outputs"].as_object() {
        for (name, o) in outputs {
            state.outputs.insert(
                name.clone(),
                OutputState {
                    value: o["value"].clone(),
                    ty: o["type"].clone(),
                    sensitive: o["sensitive"] == J::Bool(true),
                },
            );
        }
    }
    state
}

/// cairn's one deliberate difference from Terraform's text: an attribute that echoes a sensitive
/// value of the same object (`terraform_data`'s `output` echoing a sensitive `input`) is shown as
/// `(sensitive value)`, where Terraform prints the secret. Applies that to Terraform's text, line
/// by line where cairn's line for the same attribute says `(sensitive value)`.
fn hide_echoed_secrets(terraform: &str, ours: &str) -> String {
    // Split on '\n' exactly: `lines()` would drop the '\r' of CRLF text.
    let theirs: Vec<&str> = terraform.split('\n').collect();
    let mine: Vec<&str> = ours.split('\n').collect();
    let (mut i, mut j) = (0, 0);
    let mut out: Vec<String> = Vec::with_capacity(theirs.len());
    while i < theirs.len() {
        let (t, m) = (theirs[i], mine.get(j).copied().unwrap_or(""));
        let attr = |l: &str| l.split_once(" = ").map(|(a, _)| a.to_string());
        if t != m
            && m.contains("= (sensitive value)")
            && !t.contains("= (sensitive value)")
            && attr(t).is_some()
            && attr(t) == attr(m)
        {
            out.push(m.to_string());
            // Skip the rest of Terraform's value when it spans lines: its closing line starts at
            // the attribute name's column (after a diff symbol, if any).
            let rest = t.trim_start();
            let symbol = ["- ", "+ ", "~ "].iter().any(|p| rest.starts_with(p));
            let col = t.len() - rest.len() + if symbol { 2 } else { 0 };
            let pad = " ".repeat(col);
            let closing = match t.trim_end().chars().last() {
                Some('{') => Some(format!("{pad}}}")),
                Some('[') => Some(format!("{pad}]")),
                _ if t.trim_end().ends_with("<<-EOT") => Some(format!("{pad}EOT")),
                _ => None,
            };
            if let Some(close) = closing {
                while i + 1 < theirs.len() && !theirs[i + 1].starts_with(&close) {
                    i += 1;
                }
                i += 1;
            }
        } else {
            out.push(t.to_string());
        }
        i += 1;
        j += 1;
    }
    out.join("\n")
}

/// Compares cairn's `show` of Terraform's state JSON with `terraform show`.
fn check_show(name: &str, state_json: &str, terraform_text: &str) {
    let j: J = serde_json::from_str(state_json).unwrap();
    let state = state_from_terraform_json(&j);
    let schemas = terraform_data_schemas();
    let opts = Options {
        schemas: Some(&schemas),
        ..Options::default()
    };
    let mut out = Vec::new();
    human::state(&mut out, &state, &opts).unwrap();
    let ours = String::from_utf8(out).unwrap();
    let terraform_text = &hide_echoed_secrets(terraform_text, &ours);
    if ours != *terraform_text {
        let diff = similar::TextDiff::from_lines(terraform_text, &ours);
        panic!(
            "case {name}: cairn's show differs from Terraform's (- terraform, + cairn):\n{}",
            diff.unified_diff().context_radius(4)
        );
    }
}

/// The end of `terraform apply` output: from the blank line before "Apply complete!" on (the
/// progress lines before it come in no fixed order).
fn apply_tail(text: &str) -> String {
    match text.find("\nApply complete!") {
        Some(i) => text[i..].to_string(),
        None => String::new(),
    }
}

/// Compares cairn's apply summary and outputs with Terraform's, for the state that apply left.
fn check_apply(name: &str, state_json: &str, terraform_tail: &str) {
    let counts: Vec<usize> = terraform_tail
        .lines()
        .find_map(|l| l.strip_prefix("Apply complete! Resources: "))
        .map(|rest| {
            rest.split(", ")
                .filter_map(|part| part.split(' ').next()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        counts.len(),
        3,
        "case {name}: no summary in {terraform_tail:?}"
    );
    let j: J = serde_json::from_str(state_json).unwrap();
    let state = state_from_terraform_json(&j);
    let outputs: Vec<(String, Value, bool)> = state
        .outputs
        .iter()
        .map(|(n, o)| {
            // Terraform's state JSON has no tuple/list distinction; its type does.
            let ty = Type::from_json(&o.ty).unwrap_or(Type::Any);
            (
                n.clone(),
                Value::from_json_typed(&o.value, &ty),
                o.sensitive,
            )
        })
        .collect();
    let mut out = Vec::new();
    human::apply_summary(&mut out, counts[0], counts[1], counts[2]).unwrap();
    human::outputs(&mut out, &outputs).unwrap();
    let ours = String::from_utf8(out).unwrap();
    assert_eq!(
        ours, terraform_tail,
        "case {name}: apply summary and outputs differ"
    );
}

// ---------------------------------------------------------------------------------------------
// Normalising text for comparison.

/// Joins wrapped prose: consecutive non-blank lines that both start in the first column.
fn unwrap_prose(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut joinable = false;
    for line in text.split('\n') {
        let prose = line.chars().next().is_some_and(|c| !c.is_whitespace());
        if prose
            && joinable
            && let Some(last) = out.last_mut()
        {
            last.push(' ');
            last.push_str(line);
            continue;
        }
        out.push(line.to_string());
        joinable = prose;
    }
    out.join("\n")
}

/// Terraform's `plan -out` output as cairn would say it: no refresh lines, "cairn" for
/// "Terraform" (and for the `terraform` command), prose unwrapped.
fn normalise_terraform(text: &str) -> String {
    let lines: Vec<&str> = text
        .split('\n')
        .filter(|l| !l.contains(": Refreshing state..."))
        .collect();
    let text = lines
        .join("\n")
        .replace("Terraform", "cairn")
        .replace("terraform apply", "cairn apply");
    unwrap_prose(&text)
}

/// What `cairn plan -out=tfplan` writes for the plan.
fn render_cairn(plan: &Plan) -> String {
    let schemas = terraform_data_schemas();
    let opts = Options {
        schemas: Some(&schemas),
        ..Options::default()
    };
    let mut out = Vec::new();
    human::plan(&mut out, plan, &opts).unwrap();
    if plan.has_changes() {
        human::horizontal_rule(&mut out, &opts).unwrap();
        human::saved_plan_note(&mut out, "tfplan").unwrap();
    }
    String::from_utf8(out).unwrap()
}

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/render")
        .join(name)
}

fn case_names() -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/render"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("after.tf").exists())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
    names.sort();
    names
}

fn case_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .map(|s| s.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

fn mode_for(args: &[String]) -> Mode {
    if args.iter().any(|a| a == "-destroy") {
        Mode::Destroy
    } else if args.iter().any(|a| a == "-refresh-only") {
        Mode::RefreshOnly
    } else {
        Mode::Normal
    }
}

/// Compares cairn's rendering of Terraform's plan JSON with Terraform's own text.
fn check_case(name: &str, plan_json: &str, terraform_text: &str, args: &[String]) {
    let j: J = serde_json::from_str(plan_json).unwrap();
    let plan = plan_from_terraform_json(&j, mode_for(args));
    let ours = unwrap_prose(&render_cairn(&plan));
    let theirs = hide_echoed_secrets(&normalise_terraform(terraform_text), &ours);
    if ours != theirs {
        let diff = similar::TextDiff::from_lines(&theirs, &ours);
        panic!(
            "case {name}: cairn's plan differs from Terraform's (- terraform, + cairn):\n{}",
            diff.unified_diff().context_radius(4)
        );
    }
}

#[test]
fn terraform_matches_recorded() {
    let mut checked = 0;
    for name in case_names() {
        let dir = case_dir(&name);
        let (Ok(plan_json), Ok(text)) = (
            std::fs::read_to_string(dir.join("plan.json")),
            std::fs::read_to_string(dir.join("terraform.txt")),
        ) else {
            continue;
        };
        check_case(&name, &plan_json, &text, &case_args(&dir));
        if let (Ok(json), Ok(text)) = (
            std::fs::read_to_string(dir.join("state.json")),
            std::fs::read_to_string(dir.join("show.txt")),
        ) {
            check_show(&name, &json, &text);
            if let Ok(apply) = std::fs::read_to_string(dir.join("apply.txt")) {
                check_apply(&name, &json, &apply);
            }
        }
        checked += 1;
    }
    assert!(checked > 0, "no recorded cases under testdata/render");
}

fn terraform(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "terraform {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn terraform_installed() -> bool {
    Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What Terraform said about one case.
struct Recorded {
    plan_json: String,
    plan_text: String,
    /// `terraform show -json` and `terraform show` after the first apply, if there was one.
    show: Option<(String, String)>,
    /// The output of that apply.
    apply_text: Option<String>,
}

/// Runs Terraform for one case.
fn run_terraform(name: &str) -> Recorded {
    let dir = case_dir(name);
    let work = tempfile::tempdir().unwrap();
    let main = work.path().join("main.tf");
    let mut show = None;
    let mut apply_text = None;
    // A local module the configurations may call.
    if let Ok(entries) = std::fs::read_dir(dir.join("mod")) {
        std::fs::create_dir(work.path().join("mod")).unwrap();
        for e in entries.filter_map(Result::ok) {
            std::fs::copy(e.path(), work.path().join("mod").join(e.file_name())).unwrap();
        }
    }
    if let Ok(before) = std::fs::read_to_string(dir.join("before.tf")) {
        std::fs::write(&main, before).unwrap();
        terraform(work.path(), &["init", "-backend=false", "-input=false"]);
        apply_text = Some(terraform(
            work.path(),
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ));
        show = Some((
            terraform(work.path(), &["show", "-json"]),
            terraform(work.path(), &["show", "-no-color"]),
        ));
    }
    // Addresses to taint between the two steps.
    if let Ok(taint) = std::fs::read_to_string(dir.join("taint")) {
        for addr in taint.split_whitespace() {
            terraform(work.path(), &["taint", "-no-color", addr]);
        }
    }
    std::fs::write(
        &main,
        std::fs::read_to_string(dir.join("after.tf")).unwrap(),
    )
    .unwrap();
    terraform(work.path(), &["init", "-backend=false", "-input=false"]);
    let args = case_args(&dir);
    let mut plan_args = vec!["plan", "-no-color", "-input=false", "-out=tfplan"];
    plan_args.extend(args.iter().map(String::as_str));
    let plan_text = terraform(work.path(), &plan_args);
    let plan_json = terraform(work.path(), &["show", "-json", "tfplan"]);
    Recorded {
        plan_json,
        plan_text,
        show,
        apply_text,
    }
}

fn pretty_json(text: &str) -> String {
    let j: J = serde_json::from_str(text).unwrap();
    serde_json::to_string_pretty(&j).unwrap() + "\n"
}

#[test]
fn terraform_matches_live() {
    if !terraform_installed() {
        eprintln!("skipped: terraform not found");
        return;
    }
    let update = std::env::var("UPDATE_RENDER_FIXTURES").is_ok_and(|v| v == "1");
    let names = case_names();
    let results: Vec<(String, Recorded)> = std::thread::scope(|s| {
        let handles: Vec<_> = names
            .iter()
            .map(|name| s.spawn(move || (name.clone(), run_terraform(name))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (name, rec) in results {
        let dir = case_dir(&name);
        if update || !dir.join("plan.json").exists() {
            std::fs::write(dir.join("plan.json"), pretty_json(&rec.plan_json)).unwrap();
            std::fs::write(dir.join("terraform.txt"), &rec.plan_text).unwrap();
            if let (Some((json, text)), Some(apply)) = (&rec.show, &rec.apply_text) {
                std::fs::write(dir.join("state.json"), pretty_json(json)).unwrap();
                std::fs::write(dir.join("show.txt"), text).unwrap();
                std::fs::write(dir.join("apply.txt"), apply_tail(apply)).unwrap();
            }
        }
        check_case(&name, &rec.plan_json, &rec.plan_text, &case_args(&dir));
        if let (Some((json, text)), Some(apply)) = (&rec.show, &rec.apply_text) {
            check_show(&name, json, text);
            check_apply(&name, json, &apply_tail(apply));
        }
    }
}

#[test]
fn normalising_unwraps_prose_only() {
    let t = "x: Refreshing state... [id=1]\n\nTerraform used the selected providers to generate the following execution\nplan. Resource\n  + create\n\n─────\n\n    terraform apply\n";
    assert_eq!(
        normalise_terraform(t),
        "\ncairn used the selected providers to generate the following execution plan. Resource\n  + create\n\n─────\n\n    cairn apply\n"
    );
}
