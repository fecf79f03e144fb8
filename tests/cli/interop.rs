//! State interoperability with the installed `terraform`: state written by one, planned by the
//! other, says no changes.

use crate::support::{Work, have_terraform};

const CONFIG: &str = r#"
variable "name" {
  default = "x"
}

resource "terraform_data" "a" {
  input = { name = var.name, n = 3 }
}

resource "terraform_data" "b" {
  count            = 2
  input            = "${terraform_data.a.output.name}-${count.index}"
  triggers_replace = [terraform_data.a.id]
}

resource "terraform_data" "c" {
  for_each   = toset(["p", "q"])
  input      = each.key
  depends_on = [terraform_data.b]
  lifecycle {
    create_before_destroy = true
  }
}

output "names" {
  value = terraform_data.b[*].output
}

output "secret" {
  value     = sensitive("s3cr3t")
  sensitive = true
}
"#;

#[test]
fn cairn_state_gives_terraform_no_changes() {
    if !have_terraform("cairn_state_gives_terraform_no_changes") {
        return;
    }
    let w = Work::new();
    w.write("main.tf", CONFIG);
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.terraform(&["init", "-backend=false"]).ok();
    w.terraform(&["plan", "-detailed-exitcode", "-no-color"])
        .code(0)
        .contains("No changes");
    // And after terraform touches it, cairn still agrees.
    w.terraform(&["apply", "-auto-approve", "-no-color"]).ok();
    w.cairn(&["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn terraform_state_gives_cairn_no_changes() {
    if !have_terraform("terraform_state_gives_cairn_no_changes") {
        return;
    }
    let w = Work::new();
    w.write("main.tf", CONFIG);
    w.terraform(&["init", "-backend=false"]).ok();
    w.terraform(&["apply", "-auto-approve", "-no-color"]).ok();
    let before = w.state();
    w.cairn(&["init"]).ok();
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(0)
        .contains("No changes");
    // A cairn apply of an update keeps the lineage and moves the serial on.
    w.cairn(&["apply", "-auto-approve", "-var", "name=y"]).ok();
    let after = w.state();
    assert_eq!(after["lineage"], before["lineage"]);
    assert!(after["serial"].as_u64() > before["serial"].as_u64());
    w.terraform(&["plan", "-detailed-exitcode", "-no-color", "-var", "name=y"])
        .code(0);
}

#[test]
fn init_shares_a_directory_with_terraform_init() {
    if !have_terraform("init_shares_a_directory_with_terraform_init") {
        return;
    }
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
    );
    // cairn first, then terraform, then cairn again over what terraform left behind.
    w.cairn(&["init"]).ok();
    w.terraform(&["init", "-backend=false"]).ok();
    w.cairn(&["init"]).ok();
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.terraform(&["plan", "-detailed-exitcode", "-no-color"])
        .code(0);
}

#[test]
fn echoed_secrets_are_hidden_without_changing_the_state_terraform_reads() {
    if !have_terraform("echoed_secrets_are_hidden_without_changing_the_state_terraform_reads") {
        return;
    }
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"b\" {\n  input = sensitive(\"topsecret\")\n}\n",
    );
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.terraform(&["init", "-backend=false"]).ok();
    w.terraform(&["plan", "-detailed-exitcode", "-no-color"])
        .code(0);
    w.cairn(&["show"]).ok().lacks("topsecret");
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"b\" {\n  input = sensitive(\"other\")\n}\n",
    );
    // Terraform would print the old output in clear here; cairn does not.
    w.cairn(&["plan"])
        .ok()
        .lacks("topsecret")
        .contains("output = (sensitive value)");
}
