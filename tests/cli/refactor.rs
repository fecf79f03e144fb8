//! `moved`, `import`, `removed` and `check` blocks, end to end, with the installed `terraform`
//! as the oracle. Each case under `testdata/refactor/CASE/` has a `before/` configuration
//! (applied first, when present) and an `after/` one; cairn and terraform each apply `before`,
//! switch to `after`, plan to a file and apply it. The saved plans must agree on every
//! change's `(address, previous_address, actions, importing)`, the plan texts on every comment
//! line and the summary, the `checks` on their statuses, and the final states on every
//! object's address and configured attributes.

use std::collections::BTreeSet;

use serde_json::Value as J;

use crate::support::{Work, copy_dir, have_terraform, testdata};

/// What one tool did with a case.
struct Outcome {
    /// `(address, previous_address, actions, importing id)` of every planned change.
    changes: BTreeSet<(String, String, String, String)>,
    /// The plan's comment lines (`# ADDR has moved to ...`) and its `Plan:` line.
    lines: Vec<String>,
    /// `(check, status)` from the saved plan.
    checks: BTreeSet<(String, String)>,
    /// `(address, previous address, action, importing id)` of every `planned_change` of
    /// `plan -json`, and its `change_summary` counts.
    log: BTreeSet<(String, String, String, String)>,
    summary: J,
    /// Addresses of the root module's objects in the saved plan's `prior_state` (imported
    /// objects included, moved ones at their new addresses).
    prior: BTreeSet<String>,
    /// `(address, input, output)` of every object in the final state.
    state: BTreeSet<(String, String, String)>,
}

/// Runs one tool (`cairn` or `terraform`) through a case.
fn run(case: &str, terraform: bool) -> Outcome {
    let w = Work::new();
    let tool = |args: &[&str]| {
        if terraform {
            w.terraform(args)
        } else {
            w.cairn(args)
        }
    };
    let before = testdata(&format!("refactor/{case}/before"));
    if before.exists() {
        copy_dir(&before, w.path());
        if terraform {
            w.terraform(&["init", "-backend=false"]).ok();
        }
        tool(&["apply", "-auto-approve", "-no-color"]).ok();
        for e in std::fs::read_dir(w.path()).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "tf") {
                std::fs::remove_file(p).unwrap();
            }
        }
        let _ = std::fs::remove_dir_all(w.path().join("modules"));
    }
    copy_dir(&testdata(&format!("refactor/{case}/after")), w.path());
    if terraform {
        w.terraform(&["init", "-backend=false"]).ok();
    }
    let planned = tool(&["plan", "-no-color", "-out=saved.plan"]);
    planned.ok();
    let lines = planned
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("# ") || l.starts_with("Plan: "))
        .map(|l| l.replace("Terraform", "cairn"))
        .collect();
    let show = tool(&["show", "-json", "saved.plan"]);
    show.ok();
    let plan: J = serde_json::from_str(&show.stdout).expect("show -json prints JSON");
    let changes = plan["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                text(&c["address"]),
                text(&c["previous_address"]),
                c["change"]["actions"].to_string(),
                text(&c["change"]["importing"]["id"]),
            )
        })
        .collect();
    let prior = plan["prior_state"]["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| text(&r["address"]))
        .filter(|a| !a.starts_with("module."))
        .collect();
    let checks = plan["checks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| (text(&c["address"]["to_display"]), text(&c["status"])))
        .collect();
    let logged = tool(&["plan", "-json"]);
    logged.ok();
    let mut log = BTreeSet::new();
    let mut summary = J::Null;
    for line in logged.stdout.lines() {
        let Ok(j) = serde_json::from_str::<J>(line) else {
            continue;
        };
        match j["type"].as_str() {
            Some("planned_change") => {
                let c = &j["change"];
                log.insert((
                    text(&c["resource"]["addr"]),
                    text(&c["previous_resource"]["addr"]),
                    text(&c["action"]),
                    text(&c["importing"]["id"]),
                ));
            }
            Some("change_summary") => summary = j["changes"].clone(),
            _ => {}
        }
    }
    tool(&["apply", "-no-color", "saved.plan"]).ok();
    let state = w
        .state_objects()
        .into_iter()
        .map(|(addr, attrs)| {
            (
                addr,
                attrs["input"].to_string(),
                attrs["output"].to_string(),
            )
        })
        .collect();
    Outcome {
        changes,
        lines,
        checks,
        prior,
        log,
        summary,
        state,
    }
}

fn text(j: &J) -> String {
    j.as_str().map(str::to_string).unwrap_or_default()
}

/// Runs a case through both tools and compares everything they did.
fn check(case: &str) -> Outcome {
    let ours = run(case, false);
    if !have_terraform(case) {
        return ours;
    }
    let theirs = run(case, true);
    assert_eq!(ours.changes, theirs.changes, "{case}: planned changes");
    assert_eq!(
        ours.lines, theirs.lines,
        "{case}: plan comments and summary"
    );
    assert_eq!(ours.checks, theirs.checks, "{case}: check results");
    assert_eq!(
        ours.prior, theirs.prior,
        "{case}: prior state of the saved plan"
    );
    assert_eq!(
        ours.log, theirs.log,
        "{case}: planned_change lines of plan -json"
    );
    assert_eq!(
        ours.summary, theirs.summary,
        "{case}: change_summary of plan -json"
    );
    assert_eq!(ours.state, theirs.state, "{case}: state after apply");
    ours
}

#[test]
fn moved_resources_instances_counts_and_modules() {
    let o = check("moved");
    assert!(o.changes.contains(&(
        "terraform_data.b".into(),
        "terraform_data.a".into(),
        "[\"no-op\"]".into(),
        String::new()
    )));
    assert!(o.log.contains(&(
        "terraform_data.b".into(),
        "terraform_data.a".into(),
        "move".into(),
        String::new()
    )));
    assert!(o.state.iter().any(|(a, _, _)| a == "terraform_data.n[0]"));
    assert!(o.state.iter().any(|(a, _, _)| a == "terraform_data.k"));
}

#[test]
fn moved_chain_ends_at_its_last_address() {
    let o = check("chain");
    assert!(o.changes.contains(&(
        "terraform_data.third".into(),
        "terraform_data.first".into(),
        "[\"update\"]".into(),
        String::new()
    )));
}

#[test]
fn import_single_and_for_each() {
    let o = check("import");
    assert!(o.lines.iter().any(|l| l.starts_with("Plan: 5 to import")));
    assert_eq!(o.summary["import"], 5);
    assert!(o.changes.contains(&(
        "terraform_data.each[\"y\"]".into(),
        String::new(),
        "[\"no-op\"]".into(),
        "id-y".into()
    )));
}

#[test]
fn removed_forgets_or_destroys() {
    let o = check("removed");
    let addrs: Vec<&str> = o.state.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(addrs, ["terraform_data.keep"]);
    assert!(o.changes.iter().any(|c| c.2 == "[\"forget\"]"));
    assert!(o.changes.iter().any(|c| c.2 == "[\"delete\"]"));
}

#[test]
fn check_blocks_warn_and_report() {
    let o = check("check");
    let want: BTreeSet<(String, String)> = [
        ("check.fails", "fail"),
        ("check.later", "unknown"),
        ("check.passes", "pass"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(o.checks, want);
}

#[test]
fn a_plan_after_import_is_clean() {
    let w = Work::new();
    copy_dir(&testdata("refactor/import/after"), w.path());
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("terraform_data.each[\"x\"]: Importing... [id=id-x]")
        .contains("terraform_data.each[\"x\"]: Import complete [id=id-x]")
        .contains("Apply complete! Resources: 5 imported, 0 added, 1 changed, 0 destroyed.");
    w.cairn(&["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn markdown_summary_lists_moves_imports_and_forgets() {
    let w = Work::new();
    copy_dir(&testdata("refactor/removed/before"), w.path());
    w.cairn(&["apply", "-auto-approve"]).ok();
    copy_dir(&testdata("refactor/removed/after"), w.path());
    w.write(
        "more.tf",
        "resource \"terraform_data\" \"imported\" {\n}\n\nimport {\n  to = terraform_data.imported\n  id = \"i-1\"\n}\n",
    );
    w.cairn(&["plan", "-out=saved.plan"]).ok();
    w.cairn(&["show", "-format=markdown", "saved.plan"])
        .ok()
        .contains("**Plan: 1 to import, 0 to add, 0 to change, 1 to destroy.**")
        .contains("| `terraform_data.imported` | imported (id `i-1`) |")
        .contains(
            "| `terraform_data.forget[\"p\"]` | forgotten: no longer managed, not destroyed |",
        );
}

#[test]
fn check_failures_after_apply_are_warnings() {
    let w = Work::new();
    copy_dir(&testdata("refactor/check/after"), w.path());
    let run = w.cairn(&["apply", "-auto-approve"]);
    run.ok().contains("Check block assertion failed");
    // After apply the output is known: the third check fails too, still as a warning.
    assert!(run.stderr.contains("output is not z"), "{}", run.stderr);
}

#[test]
fn check_scoped_data_source_is_read() {
    let w = Work::new();
    w.write("greeting.txt", "hello");
    w.write(
        "main.tf",
        r#"
check "greeting" {
  data "local_file" "g" {
    filename = "${path.module}/greeting.txt"
  }
  assert {
    condition     = data.local_file.g.content == "goodbye"
    error_message = "the greeting is ${data.local_file.g.content}"
  }
}
"#,
    );
    w.cairn(&["plan"]).ok().contains("the greeting is hello");
    w.write("greeting.txt", "goodbye");
    w.cairn(&["plan"])
        .ok()
        .lacks("Check block assertion failed");
}

#[test]
fn move_errors_point_at_the_statement() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {\n}\n");
    w.cairn(&["apply", "-auto-approve"]).ok();
    // A cycle.
    w.write(
        "main.tf",
        "moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n\nmoved {\n  from = terraform_data.b\n  to   = terraform_data.a\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Cyclic dependency in move statements")
        .contains("main.tf:1,1: terraform_data.a[*] → terraform_data.b[*]");
    // A move from an address still declared.
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n}\n\nresource \"terraform_data\" \"b\" {\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Moved object still exists")
        .contains("main.tf:1,1");
    // A move across resource types.
    w.write(
        "main.tf",
        "resource \"null_resource\" \"b\" {\n}\n\nmoved {\n  from = terraform_data.a\n  to   = null_resource.b\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Resource type mismatch")
        .contains("main.tf:6");
}

#[test]
fn move_onto_an_existing_object_is_skipped_with_a_warning() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n}\n\nresource \"terraform_data\" \"b\" {\n}\n",
    );
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"b\" {\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n",
    );
    w.cairn(&["plan", "-no-color"])
        .ok()
        .contains("Unresolved resource instance address changes")
        .contains("terraform_data.a could not move to terraform_data.b")
        .contains("main.tf:4")
        .contains("# terraform_data.a will be destroyed");
}

#[test]
fn removed_and_import_errors() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n}\n\nremoved {\n  from = terraform_data.a\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Removed object still exists");
    w.write(
        "main.tf",
        "import {\n  to = terraform_data.nowhere\n  id = \"x\"\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Configuration for import target does not exist");
    // Without configuration generation, an import block takes its provider from the resource.
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n}\n\nimport {\n  provider = terraform\n  to       = terraform_data.a\n  id       = \"x\"\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Invalid import provider argument");
    // An import into a module evaluates nothing of the root module but `each`.
    w.write(
        "modules/m/main.tf",
        "resource \"terraform_data\" \"inner\" {\n}\n",
    );
    w.write(
        "main.tf",
        "locals {\n  id = \"x\"\n}\n\nmodule \"m\" {\n  source = \"./modules/m\"\n}\n\nimport {\n  to = module.m.terraform_data.inner\n  id = local.id\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Unsupported import expression");
}

#[test]
fn moved_module_instances_and_moves_inside_them() {
    let o = check("moved_module");
    assert!(o.changes.contains(&(
        "module.b[1].terraform_data.y".into(),
        "module.a[1].terraform_data.x".into(),
        "[\"no-op\"]".into(),
        String::new()
    )));
}

#[test]
fn an_assertion_must_check_something() {
    let w = Work::new();
    w.write(
        "main.tf",
        "check \"c\" {\n  assert {\n    condition     = 1 == 1\n    error_message = \"x\"\n  }\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Invalid assert expression")
        .contains("main.tf:3");
}

#[test]
fn removed_and_check_blocks_inside_a_module() {
    let o = check("module_blocks");
    assert!(o.changes.contains(&(
        "module.m.terraform_data.gone".into(),
        String::new(),
        "[\"forget\"]".into(),
        String::new()
    )));
    assert!(
        o.checks
            .contains(&("module.m.check.kept_input".into(), "fail".into()))
    );
}

#[test]
fn checks_inside_modules_run_after_apply_too() {
    let w = Work::new();
    copy_dir(&testdata("refactor/module_blocks/after"), w.path());
    let run = w.cairn(&["apply", "-auto-approve"]);
    run.ok();
    // Once against the plan, once against the applied state.
    assert_eq!(
        run.all().matches("input is not other").count() / 2,
        2,
        "{}",
        run.all()
    );
}
