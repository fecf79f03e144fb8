//! `show -json PLANFILE` against Terraform's: both binaries plan the same change against the same
//! state, and their JSON plans must agree on every resource and output change, and on the
//! `configuration` object describing the configuration.

use serde_json::{Value as J, json};

use crate::support::{Work, have_terraform};

const BEFORE: &str = r#"
resource "terraform_data" "keep" {
  input = "same"
}
resource "terraform_data" "update" {
  input = { a = 1, b = ["x", "y"] }
}
resource "terraform_data" "replace" {
  input            = "r"
  triggers_replace = 1
}
resource "terraform_data" "gone" {
  count = 2
  input = count.index
}
resource "terraform_data" "secret" {
  input = sensitive("s1")
}
output "o" {
  value = terraform_data.update.output
}
output "removed" {
  value = 1
}
"#;

const AFTER: &str = r#"
resource "terraform_data" "keep" {
  input = "same"
}
resource "terraform_data" "update" {
  input = { a = 2, b = ["x"] }
}
resource "terraform_data" "replace" {
  input            = "r"
  triggers_replace = 2
}
resource "terraform_data" "gone" {
  count = 1
  input = count.index
}
resource "terraform_data" "secret" {
  input = sensitive("s2")
}
resource "terraform_data" "new" {
  for_each = toset(["p"])
  input    = terraform_data.keep.id
  lifecycle {
    create_before_destroy = true
  }
}
output "o" {
  value = terraform_data.update.output
}
output "added" {
  value     = "x"
  sensitive = true
}
"#;

fn by_address(plan: &J) -> std::collections::BTreeMap<String, J> {
    plan["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c["address"].as_str().unwrap().to_string(), c))
        .collect()
}

#[test]
fn json_plans_agree_with_terraform() {
    if !have_terraform("json_plans_agree_with_terraform") {
        return;
    }
    let w = Work::new();
    w.write("main.tf", BEFORE);
    w.terraform(&["init", "-backend=false"]).ok();
    w.terraform(&["apply", "-auto-approve", "-no-color"]).ok();
    w.write("main.tf", AFTER);
    w.terraform(&["plan", "-out=tf.plan", "-no-color"]).ok();
    let theirs: J =
        serde_json::from_str(&w.terraform(&["show", "-json", "tf.plan"]).stdout).unwrap();
    // Terraform's plan files hold sensitive values in clear; cairn's do when asked to.
    w.cairn(&["plan", "-unsafe-keep-sensitive", "-out=cairn.plan"])
        .ok();
    let ours: J = serde_json::from_str(&w.cairn(&["show", "-json", "cairn.plan"]).stdout).unwrap();

    assert_eq!(ours["format_version"], theirs["format_version"]);
    let (t, o) = (by_address(&theirs), by_address(&ours));
    assert_eq!(
        o.keys().collect::<Vec<_>>(),
        t.keys().collect::<Vec<_>>(),
        "the same instances change"
    );
    for (addr, tc) in &t {
        let oc = &o[addr];
        for key in [
            "mode",
            "type",
            "name",
            "index",
            "provider_name",
            "action_reason",
        ] {
            assert_eq!(oc.get(key), tc.get(key), "{addr}: {key}");
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
                oc["change"].get(key),
                tc["change"].get(key),
                "{addr}: change.{key}"
            );
        }
        // Unknown values carry no type in cairn: an unknown object's `{}` mask is left out.
        let mut ts = tc["change"]["after_sensitive"].clone();
        if let (Some(m), Some(unknown)) = (
            ts.as_object_mut(),
            tc["change"]["after_unknown"].as_object(),
        ) {
            m.retain(|k, v| {
                !(unknown.get(k) == Some(&J::Bool(true)) && (*v == json!({}) || *v == json!([])))
            });
        }
        assert_eq!(
            oc["change"]["after_sensitive"], ts,
            "{addr}: change.after_sensitive"
        );
    }
    assert_eq!(
        ours["output_changes"], theirs["output_changes"],
        "output changes"
    );
    for key in ["applyable", "complete", "errored"] {
        assert_eq!(ours[key], theirs[key], "{key}");
    }
    same_configuration(&ours["configuration"], &theirs["configuration"]);

    // By default the plan file leaves sensitive values out: the same changes and masks, the
    // sensitive values null, and the configuration without its sensitive constants.
    w.cairn(&["plan", "-out=redacted.plan"]).ok();
    let redacted: J =
        serde_json::from_str(&w.cairn(&["show", "-json", "redacted.plan"]).stdout).unwrap();
    let r = by_address(&redacted);
    assert_eq!(r.keys().collect::<Vec<_>>(), o.keys().collect::<Vec<_>>());
    for (addr, oc) in &o {
        for key in ["actions", "after_unknown"] {
            assert_eq!(
                r[addr]["change"][key], oc["change"][key],
                "{addr}: change.{key}"
            );
        }
        // Attributes echoing a secret (terraform_data's output) are sensitive too.
        for key in ["before_sensitive", "after_sensitive"] {
            assert!(
                covers(&r[addr]["change"][key], &oc["change"][key]),
                "{addr}: change.{key}: {} does not cover {}",
                r[addr]["change"][key],
                oc["change"][key]
            );
        }
    }
    let secret = &r["terraform_data.secret"]["change"];
    assert_eq!(secret["after"]["input"], J::Null);
    assert_eq!(secret["before"]["output"], J::Null);
    assert_eq!(secret["before_sensitive"]["output"], J::Bool(true));
    same_configuration(
        &redacted["configuration"],
        &without_sensitive_constants(theirs["configuration"].clone()),
    );
    // The detailed exit code agrees too.
    assert_eq!(
        w.cairn(&["plan", "-detailed-exitcode"]).code,
        w.terraform(&["plan", "-detailed-exitcode"]).code
    );
}

#[test]
fn detailed_exitcode_agrees_with_terraform() {
    if !have_terraform("detailed_exitcode_agrees_with_terraform") {
        return;
    }
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
    );
    w.terraform(&["init", "-backend=false"]).ok();
    let both = |w: &Work| {
        (
            w.cairn(&["plan", "-detailed-exitcode", "-input=false"])
                .code,
            w.terraform(&["plan", "-detailed-exitcode", "-input=false"])
                .code,
        )
    };
    assert_eq!(both(&w), (2, 2), "changes");
    w.terraform(&["apply", "-auto-approve"]).ok();
    assert_eq!(both(&w), (0, 0), "no changes");
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = var.missing\n}\n",
    );
    assert_eq!(both(&w), (1, 1), "an error");
}

/// True if every path `mask` marks is marked in `wider` too.
fn covers(wider: &J, mask: &J) -> bool {
    match (wider, mask) {
        (J::Bool(true), _) => true,
        (_, J::Bool(false)) => true,
        (J::Object(w), J::Object(m)) => m
            .iter()
            .all(|(k, v)| covers(w.get(k).unwrap_or(&J::Bool(false)), v)),
        (J::Array(w), J::Array(m)) => {
            w.len() == m.len() && w.iter().zip(m).all(|(a, b)| covers(a, b))
        }
        (J::Array(_), J::Object(m)) if m.is_empty() => true,
        (w, m) => w == m,
    }
}

/// Asserts two `configuration` objects are equal, keys in the same order.
#[track_caller]
fn same_configuration(ours: &J, theirs: &J) {
    assert!(theirs.is_object(), "terraform wrote a configuration");
    assert_eq!(ours, theirs, "configuration");
    assert_eq!(
        serde_json::to_string(ours).unwrap(),
        serde_json::to_string(theirs).unwrap(),
        "configuration, key order"
    );
}

/// A `configuration` object without the constants cairn leaves out of a plan file unless asked:
/// defaults of sensitive variables and values of sensitive outputs, in every module.
fn without_sensitive_constants(mut c: J) -> J {
    fn module(m: &mut J) {
        if let Some(vars) = m.get_mut("variables").and_then(J::as_object_mut) {
            for v in vars.values_mut() {
                if v["sensitive"] == J::Bool(true)
                    && let Some(o) = v.as_object_mut()
                {
                    o.remove("default");
                }
            }
        }
        if let Some(outs) = m.get_mut("outputs").and_then(J::as_object_mut) {
            for o in outs.values_mut() {
                if o["sensitive"] == J::Bool(true)
                    && let Some(e) = o.get_mut("expression").and_then(J::as_object_mut)
                {
                    e.remove("constant_value");
                }
            }
        }
        if let Some(calls) = m.get_mut("module_calls").and_then(J::as_object_mut) {
            for call in calls.values_mut() {
                if let Some(child) = call.get_mut("module") {
                    module(child);
                }
            }
        }
    }
    if let Some(root) = c.get_mut("root_module") {
        module(root);
    }
    c
}

/// Every kind of argument the `configuration` object describes (constants, each kind of
/// reference, function calls, `count`/`for_each`, `depends_on`, outputs, variables and module
/// calls), described as Terraform describes it.
#[test]
fn configuration_agrees_with_terraform() {
    if !have_terraform("configuration_agrees_with_terraform") {
        return;
    }
    let w = Work::fixture("cli/json-configuration");
    w.terraform(&["init", "-backend=false"]).ok();
    w.terraform(&["plan", "-out=tf.plan", "-no-color"]).ok();
    let theirs: J =
        serde_json::from_str(&w.terraform(&["show", "-json", "tf.plan"]).stdout).unwrap();
    let keys = |j: &J| j.as_object().unwrap().keys().cloned().collect::<Vec<_>>();

    // Asked to keep sensitive values, cairn's configuration is Terraform's exactly.
    w.cairn(&["plan", "-unsafe-keep-sensitive", "-out=kept.plan"])
        .ok();
    let kept: J =
        serde_json::from_str(&w.cairn(&["show", "-json", "kept.plan"]).ok().stdout).unwrap();
    same_configuration(&kept["configuration"], &theirs["configuration"]);
    let position = |j: &J| keys(j).iter().position(|k| k == "configuration");
    let after_prior = |j: &J| {
        let k = keys(j);
        k.iter().position(|k| k == "prior_state").map(|p| p + 1)
    };
    assert_eq!(
        position(&kept),
        after_prior(&kept),
        "configuration follows prior_state"
    );
    assert_eq!(position(&theirs), after_prior(&theirs));

    // By default the sensitive variable's default stays out of the plan file.
    w.cairn(&["plan", "-out=p.plan"]).ok();
    let bytes = std::fs::read_to_string(w.path().join("p.plan")).unwrap();
    assert!(
        !bytes.contains("\"shh\""),
        "the sensitive default is not in the file"
    );
    let ours: J = serde_json::from_str(&w.cairn(&["show", "-json", "p.plan"]).ok().stdout).unwrap();
    same_configuration(
        &ours["configuration"],
        &without_sensitive_constants(theirs["configuration"].clone()),
    );
}
