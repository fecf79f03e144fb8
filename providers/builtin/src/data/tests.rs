//! Tests of `terraform_data`: its lifecycle, and its plans compared with Terraform's own.

use super::*;
use std::path::Path;
use std::process::Command;

fn cfg(input: Value, triggers: Value) -> Value {
    Value::object([("input", input), ("triggers_replace", triggers)])
}

async fn plan(prior: Option<&Value>, config: &Value) -> PlanResponse {
    TerraformProvider
        .plan(PlanRequest {
            type_name: TYPE,
            prior,
            config: Some(config),
        })
        .await
        .unwrap()
}

async fn apply(prior: Option<&Value>, planned: &Value) -> Value {
    TerraformProvider
        .apply(TYPE, prior, Some(planned))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn create_update_replace() {
    let create = plan(None, &cfg(Value::string("a"), Value::Null)).await;
    assert_eq!(create.planned.get_attr("id"), Some(&Value::Unknown));
    assert_eq!(create.planned.get_attr("output"), Some(&Value::Unknown));
    let obj = apply(None, &create.planned).await;
    assert!(obj.is_wholly_known());
    assert_eq!(obj.get_attr("output"), Some(&Value::string("a")));
    let id = obj.get_attr("id").and_then(Value::as_str).unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    // No change: the plan is the prior object.
    let same = plan(Some(&obj), &cfg(Value::string("a"), Value::Null)).await;
    assert_eq!(same.planned, obj);
    assert!(same.requires_replace.is_empty());

    // Input change: in place, output recomputed, id kept.
    let upd = plan(Some(&obj), &cfg(Value::string("b"), Value::Null)).await;
    assert!(upd.requires_replace.is_empty());
    assert_eq!(upd.planned.get_attr("id"), obj.get_attr("id"));
    assert_eq!(upd.planned.get_attr("output"), Some(&Value::Unknown));
    let obj2 = apply(Some(&obj), &upd.planned).await;
    assert_eq!(obj2.get_attr("output"), Some(&Value::string("b")));
    assert_eq!(obj2.get_attr("id"), obj.get_attr("id"));

    // Trigger change: replace, new id.
    let rep = plan(Some(&obj2), &cfg(Value::string("b"), Value::number(1))).await;
    assert_eq!(
        rep.requires_replace,
        vec![vec![PathStep::Attr("triggers_replace".into())]]
    );
    assert_eq!(rep.planned.get_attr("id"), Some(&Value::Unknown));
    let obj3 = apply(None, &rep.planned).await;
    assert_ne!(obj3.get_attr("id"), obj2.get_attr("id"));
    assert_eq!(obj3.get_attr("triggers_replace"), Some(&Value::number(1)));

    // Read keeps the object; delete is idempotent.
    assert_eq!(
        TerraformProvider.read(TYPE, &obj3).await.unwrap(),
        Some(obj3.clone())
    );
    assert_eq!(
        TerraformProvider
            .apply(TYPE, Some(&obj3), None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        TerraformProvider
            .apply(TYPE, Some(&obj3), None)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn null_input_gives_known_null_output() {
    let r = plan(None, &cfg(Value::Null, Value::Null)).await;
    assert_eq!(r.planned.get_attr("output"), Some(&Value::Null));
    let obj = apply(None, &r.planned).await;
    assert_eq!(obj.get_attr("output"), Some(&Value::Null));
}

#[tokio::test]
async fn unknown_input_keeps_output_unknown_and_apply_refuses_it() {
    let prior = Value::object([
        ("id", Value::string("x")),
        ("input", Value::string("a")),
        ("output", Value::string("a")),
        ("triggers_replace", Value::Null),
    ]);
    let r = plan(Some(&prior), &cfg(Value::Unknown, Value::Null)).await;
    assert_eq!(r.planned.get_attr("output"), Some(&Value::Unknown));
    assert!(
        TerraformProvider
            .apply(TYPE, Some(&prior), Some(&r.planned))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn collections_compare_by_content_not_kind() {
    // A tuple from configuration equals the same list read back from state.
    let prior = Value::object([
        ("id", Value::string("x")),
        ("input", Value::List(vec![Value::string("a")])),
        ("output", Value::List(vec![Value::string("a")])),
        ("triggers_replace", Value::Null),
    ]);
    let r = plan(
        Some(&prior),
        &cfg(Value::Tuple(vec![Value::string("a")]), Value::Null),
    )
    .await;
    assert_eq!(r.planned.get_attr("output"), prior.get_attr("output"));
}

#[tokio::test]
async fn import_sets_only_the_id() {
    let v = TerraformProvider.import(TYPE, "abc").await.unwrap();
    assert_eq!(v.get_attr("id"), Some(&Value::string("abc")));
    assert_eq!(v.get_attr("input"), Some(&Value::Null));
    assert!(
        TerraformProvider
            .import("terraform_other", "abc")
            .await
            .is_err()
    );
}

// --- comparison with Terraform ------------------------------------------------------------

fn terraform(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "terraform {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn write_config(dir: &Path, attrs: &serde_json::Value) {
    let doc = serde_json::json!({ "resource": { "terraform_data": { "x": attrs } } });
    std::fs::write(dir.join("main.tf.json"), doc.to_string()).unwrap();
}

/// Terraform's planned change of `terraform_data.x` after applying `before` and planning `after`
/// (`before` null: a create).
fn terraform_change(
    before: Option<&serde_json::Value>,
    after: &serde_json::Value,
) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if let Some(before) = before {
        write_config(d, before);
        terraform(d, &["init", "-backend=false", "-input=false"]).unwrap();
        terraform(d, &["apply", "-auto-approve", "-input=false"]).unwrap();
    }
    write_config(d, after);
    terraform(d, &["init", "-backend=false", "-input=false"]).unwrap();
    terraform(d, &["plan", "-input=false", "-out=tfplan"]).unwrap();
    let show = terraform(d, &["show", "-json", "tfplan"]).unwrap();
    let plan: serde_json::Value = serde_json::from_str(&show).unwrap();
    plan["resource_changes"][0].clone()
}

fn json_to_config(j: &serde_json::Value) -> Value {
    cfg(
        Value::from_json(&j["input"]),
        Value::from_json(&j["triggers_replace"]),
    )
}

#[tokio::test]
async fn plans_match_terraform() {
    if Command::new("terraform").arg("version").output().is_err() {
        eprintln!("skipped: terraform not found");
        return;
    }
    use serde_json::json;
    let cases: Vec<(&str, Option<serde_json::Value>, serde_json::Value)> = vec![
        ("create", None, json!({"input": "a"})),
        ("create null input", None, json!({"triggers_replace": 1})),
        (
            "create object input",
            None,
            json!({"input": {"k": ["x", 1]}}),
        ),
        (
            "no change",
            Some(json!({"input": "a"})),
            json!({"input": "a"}),
        ),
        (
            "input change",
            Some(json!({"input": "a"})),
            json!({"input": "b"}),
        ),
        ("input removed", Some(json!({"input": "a"})), json!({})),
        (
            "trigger change",
            Some(json!({"input": "a", "triggers_replace": 1})),
            json!({"input": "a", "triggers_replace": 2}),
        ),
        (
            "trigger added",
            Some(json!({"input": "a"})),
            json!({"input": "a", "triggers_replace": ["t"]}),
        ),
    ];
    for (name, before, after) in cases {
        let tf = terraform_change(before.as_ref(), &after);
        let prior = tf["change"]["before"].clone();
        let prior = (!prior.is_null()).then(|| Value::from_json(&prior));
        let ours = plan(prior.as_ref(), &json_to_config(&after)).await;

        let actions: Vec<String> = serde_json::from_value(tf["change"]["actions"].clone()).unwrap();
        let our_actions = match (&prior, ours.requires_replace.is_empty()) {
            (None, _) => vec!["create"],
            (Some(_), false) => vec!["delete", "create"],
            (Some(p), true) if *p == ours.planned => vec!["no-op"],
            (Some(_), true) => vec!["update"],
        };
        assert_eq!(actions, our_actions, "{name}: actions");

        let tf_after = &tf["change"]["after"];
        let tf_unknown = &tf["change"]["after_unknown"];
        for attr in ["id", "input", "output", "triggers_replace"] {
            let ours_v = ours.planned.get_attr(attr).unwrap();
            let unknown = tf_unknown[attr] == json!(true);
            assert_eq!(ours_v.is_unknown(), unknown, "{name}: {attr} unknown");
            if !unknown {
                assert_eq!(ours_v.to_json(), tf_after[attr], "{name}: {attr}");
            }
        }
        let tf_replace = tf["change"]["replace_paths"].clone();
        let our_replace: Vec<serde_json::Value> = ours
            .requires_replace
            .iter()
            .map(|p| {
                json!(
                    p.iter()
                        .map(|s| match s {
                            PathStep::Attr(a) | PathStep::Key(a) => json!(a),
                            PathStep::Index(i) => json!(i),
                        })
                        .collect::<Vec<_>>()
                )
            })
            .collect();
        if tf_replace.is_null() {
            assert!(our_replace.is_empty(), "{name}: replace paths");
        } else {
            assert_eq!(json!(our_replace), tf_replace, "{name}: replace paths");
        }
    }
}

#[test]
fn terraform_data_lives_only_in_the_state() {
    assert!(TerraformProvider.state_only("terraform_data"));
    assert!(!TerraformProvider.state_only("terraform_remote_state"));
}
