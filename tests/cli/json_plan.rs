//! `show -json PLANFILE` against Terraform's: both binaries plan the same change against the same
//! state, and their JSON plans must agree on every resource and output change.

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
    w.cairn(&["plan", "-out=cairn.plan"]).ok();
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
