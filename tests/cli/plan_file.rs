//! Saved plan files keep sensitive values out: the secrets of variables, `sensitive()` values,
//! generated passwords and the prior state never appear in the file; `apply FILE` plans again
//! with the sensitive variables given again and refuses a plan that no longer matches;
//! `-unsafe-keep-sensitive` keeps the old behaviour.

use serde_json::Value as J;

use crate::support::Work;

const SECRET_VAR: &str = "hunter2-from-the-environment";
const SECRET_LOCAL: &str = "local-token-8842";

const CONFIG: &str = r#"
variable "pw" {
  type      = string
  sensitive = true
}
variable "plain" {
  default = "visible-value"
}
locals {
  tok = sensitive("local-token-8842")
}
resource "random_password" "p" {
  length = 24
}
resource "terraform_data" "a" {
  input = var.pw
}
resource "terraform_data" "b" {
  input = local.tok
}
resource "terraform_data" "c" {
  input = var.plain
}
output "pw" {
  value     = var.pw
  sensitive = true
}
"#;

fn work() -> Work {
    let w = Work::new();
    w.write("main.tf", CONFIG);
    w
}

fn plan_bytes(w: &Work, name: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(w.path().join(name)).expect("plan file")).into_owned()
}

/// An attribute in state (a dynamically typed one, like `terraform_data`'s `input`, without
/// its type).
fn attr(w: &Work, addr: &str, name: &str) -> J {
    let v = w
        .state_objects()
        .get(addr)
        .unwrap_or_else(|| panic!("{addr} in state"))[name]
        .clone();
    match v.get("value") {
        Some(inner) if v.get("type").is_some() => inner.clone(),
        _ => v,
    }
}

#[test]
fn plan_files_hold_no_secrets_and_apply_with_the_variables_given_again() {
    let w = work();
    let mut plan = w.command(&["plan", "-input=false", "-out=p.plan"]);
    let out = plan.env("TF_VAR_pw", SECRET_VAR).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("var.pw"),
        "the plan says what to give again: {stderr}"
    );
    let bytes = plan_bytes(&w, "p.plan");
    assert!(
        !bytes.contains(SECRET_VAR),
        "the variable's secret is not in the file"
    );
    assert!(
        !bytes.contains(SECRET_LOCAL),
        "the sensitive local is not in the file"
    );
    assert!(bytes.contains("visible-value"), "non-sensitive values stay");

    // The saved plan still shows which paths are sensitive.
    let shown: J =
        serde_json::from_str(&w.cairn(&["show", "-json", "p.plan"]).ok().stdout).unwrap();
    let changes = shown["resource_changes"].as_array().unwrap();
    let a = changes
        .iter()
        .find(|c| c["address"] == "terraform_data.a")
        .unwrap();
    assert_eq!(a["change"]["after_sensitive"]["input"], J::Bool(true));
    assert_eq!(a["change"]["after"]["input"], J::Null);
    let p = changes
        .iter()
        .find(|c| c["address"] == "random_password.p")
        .unwrap();
    assert_eq!(p["change"]["after_sensitive"]["result"], J::Bool(true));
    assert_eq!(
        shown["output_changes"]["pw"]["after_sensitive"],
        J::Bool(true)
    );
    w.cairn(&["show", "-format=markdown", "p.plan"])
        .ok()
        .contains("`terraform_data.a`")
        .lacks(SECRET_VAR)
        .lacks(SECRET_LOCAL);

    // Without the sensitive variable, the apply stops and names it; nothing is applied.
    w.cairn(&["apply", "-input=false", "p.plan"])
        .code(1)
        .contains("Sensitive variables not given")
        .contains("var.pw")
        .contains("TF_VAR_pw");
    assert!(w.state_objects().is_empty(), "nothing was applied");

    // Given again, the apply runs without asking and the state holds the real values.
    let mut apply = w.command(&["apply", "-input=false", "p.plan"]);
    let out = apply.env("TF_VAR_pw", SECRET_VAR).output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(attr(&w, "terraform_data.a", "input"), J::from(SECRET_VAR));
    assert_eq!(attr(&w, "terraform_data.b", "input"), J::from(SECRET_LOCAL));
    let password = attr(&w, "random_password.p", "result");
    let password = password.as_str().expect("a generated password");
    assert_eq!(password.len(), 24);
    assert_eq!(w.state()["outputs"]["pw"]["value"], J::from(SECRET_VAR));

    // A later plan against that state leaves the prior state's secrets out too.
    let mut again = w.command(&[
        "plan",
        "-input=false",
        "-var",
        "plain=changed",
        "-out=q.plan",
    ]);
    let out = again.env("TF_VAR_pw", SECRET_VAR).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = plan_bytes(&w, "q.plan");
    assert!(!bytes.contains(SECRET_VAR));
    assert!(!bytes.contains(SECRET_LOCAL));
    assert!(
        !bytes.contains(password),
        "the generated password is not in the file"
    );
    let mut apply = w.command(&["apply", "-input=false", "q.plan"]);
    let out = apply.env("TF_VAR_pw", SECRET_VAR).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(attr(&w, "terraform_data.c", "input"), J::from("changed"));
    assert_eq!(attr(&w, "random_password.p", "result"), J::from(password));
}

#[test]
fn a_tampered_plan_is_refused() {
    let w = work();
    let mut plan = w.command(&["plan", "-input=false", "-out=p.plan"]);
    assert!(
        plan.env("TF_VAR_pw", SECRET_VAR)
            .status()
            .unwrap()
            .success()
    );
    let mut doc: J = serde_json::from_str(&plan_bytes(&w, "p.plan")).unwrap();
    let changes = doc["plan"]["changes"].as_array_mut().unwrap();
    let c = changes
        .iter_mut()
        .find(|c| c["after"]["v"]["input"]["v"] == "visible-value")
        .expect("the change of terraform_data.c");
    c["after"]["v"]["input"]["v"] = J::from("smuggled-value");
    std::fs::write(w.path().join("p.plan"), serde_json::to_vec(&doc).unwrap()).unwrap();
    let mut apply = w.command(&["apply", "-input=false", "p.plan"]);
    let out = apply.env("TF_VAR_pw", SECRET_VAR).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no longer matches"), "{stderr}");
    assert!(stderr.contains("terraform_data.c"), "{stderr}");
    assert!(w.state_objects().is_empty(), "nothing was applied");
}

#[test]
fn a_plan_made_stale_by_the_world_is_refused() {
    // Planned against a file that is then removed: the refreshed plan differs.
    let w = Work::new();
    w.write(
        "main.tf",
        "variable \"pw\" {\n  sensitive = true\n}\nresource \"local_file\" \"f\" {\n  filename = \"${path.module}/out.txt\"\n  content  = \"hello\"\n}\nresource \"terraform_data\" \"s\" {\n  input = var.pw\n}\n",
    );
    w.cairn(&["apply", "-auto-approve", "-var", "pw=one"]).ok();
    w.cairn(&["plan", "-var", "pw=two", "-out=p.plan"]).ok();
    std::fs::remove_file(w.path().join("out.txt")).unwrap();
    w.cairn(&["apply", "-var", "pw=two", "p.plan"])
        .code(1)
        .contains("no longer matches")
        .contains("local_file.f");
}

#[test]
fn unsafe_keep_sensitive_keeps_secrets_in_the_file() {
    let w = work();
    let mut plan = w.command(&[
        "plan",
        "-input=false",
        "-unsafe-keep-sensitive",
        "-out=p.plan",
    ]);
    let out = plan.env("TF_VAR_pw", SECRET_VAR).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Keep it as private as the state file"));
    let bytes = plan_bytes(&w, "p.plan");
    assert!(bytes.contains(SECRET_VAR));
    assert!(bytes.contains(SECRET_LOCAL));
    // The file carries everything: no variable is needed again.
    w.cairn(&["apply", "-input=false", "p.plan"]).ok();
    assert_eq!(attr(&w, "terraform_data.a", "input"), J::from(SECRET_VAR));
}

#[test]
fn a_plan_without_secrets_applies_as_saved() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = \"x\"\n}\n",
    );
    w.cairn(&["plan", "-out=p.plan"])
        .ok()
        .lacks("Keep it as private");
    let doc: J = serde_json::from_str(&plan_bytes(&w, "p.plan")).unwrap();
    assert_eq!(doc["redacted"], J::Bool(false));
    w.cairn(&["apply", "p.plan"]).ok();
    assert_eq!(attr(&w, "terraform_data.a", "input"), J::from("x"));
}

#[test]
fn apply_plans_again_with_the_saved_targets_and_replacements() {
    let w = work();
    let run = |args: &[&str]| {
        let out = w
            .command(args)
            .env("TF_VAR_pw", SECRET_VAR)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["apply", "-auto-approve", "-input=false"]);
    let id = attr(&w, "terraform_data.c", "id");
    let a = attr(&w, "terraform_data.a", "id");
    run(&[
        "plan",
        "-input=false",
        "-replace=terraform_data.c",
        "-target=terraform_data.c",
        "-out=r.plan",
    ]);
    // The apply gives neither -replace nor -target: they come from the file.
    let out = run(&["apply", "-input=false", "r.plan"]);
    assert!(out.contains("1 added, 0 changed, 1 destroyed"), "{out}");
    assert_ne!(attr(&w, "terraform_data.c", "id"), id, "replaced");
    assert_eq!(attr(&w, "terraform_data.a", "id"), a, "not targeted");
}
