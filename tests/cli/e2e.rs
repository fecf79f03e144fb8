//! The lifecycle end to end: plan, apply, re-plan with no changes, update, replace, delete,
//! destroy; count and for_each growth and shrink; bad input; an output JSON cannot hold.

use crate::support::{Work, have_terraform};

const DATA_V1: &str = r#"
resource "terraform_data" "a" {
  input = "one"
}

resource "terraform_data" "b" {
  input            = terraform_data.a.output
  triggers_replace = ["x"]
}

output "b" {
  value = terraform_data.b.output
}
"#;

#[test]
fn lifecycle_of_terraform_data() {
    let w = Work::new();
    w.write("main.tf", DATA_V1);
    w.cairn(&["init"]).ok().contains("successfully initialized");
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(2)
        .contains("# terraform_data.a will be created")
        .contains("Plan: 2 to add, 0 to change, 0 to destroy.");
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.")
        .contains("b = \"one\"");
    let st = w.state();
    assert_eq!(st["version"], 4);
    assert_eq!(st["serial"].as_u64().map(|s| s >= 1), Some(true));
    let objects = w.state_objects();
    assert_eq!(objects["terraform_data.b"]["output"]["value"], "one");
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(0)
        .contains("No changes.");

    // Update in place.
    w.write("main.tf", &DATA_V1.replace("\"one\"", "\"two\""));
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(2)
        .contains("will be updated in-place");
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("0 added, 2 changed, 0 destroyed");
    assert_eq!(
        w.state_objects()["terraform_data.b"]["output"]["value"],
        "two"
    );

    // Replace through a force-new attribute.
    let v3 = DATA_V1
        .replace("\"one\"", "\"two\"")
        .replace("[\"x\"]", "[\"y\"]");
    w.write("main.tf", &v3);
    let old_id = w.state_objects()["terraform_data.b"]["id"].clone();
    w.cairn(&["plan"])
        .ok()
        .contains("must be replaced")
        .contains("-/+ resource \"terraform_data\" \"b\"");
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("1 added, 0 changed, 1 destroyed");
    assert_ne!(w.state_objects()["terraform_data.b"]["id"], old_id);

    // -replace.
    let id_a = w.state_objects()["terraform_data.a"]["id"].clone();
    w.cairn(&["apply", "-auto-approve", "-replace=terraform_data.a"])
        .ok();
    assert_ne!(w.state_objects()["terraform_data.a"]["id"], id_a);

    // Delete by removing the block.
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = \"two\"\n}\n",
    );
    w.cairn(&["plan"])
        .ok()
        .contains("terraform_data.b will be destroyed")
        .contains("is not in configuration");
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("1 destroyed");
    assert_eq!(w.state_objects().len(), 1);
    assert_eq!(
        w.state()["outputs"],
        serde_json::json!({}),
        "the output went with its resource"
    );

    // Destroy.
    w.cairn(&["destroy", "-auto-approve"])
        .ok()
        .contains("Destroy complete! Resources: 1 destroyed.");
    assert!(w.state_objects().is_empty());
    w.cairn(&["plan", "-detailed-exitcode"]).code(2);
}

#[test]
fn count_and_for_each_grow_and_shrink() {
    let w = Work::new();
    let cfg = |n: usize, keys: &str| {
        format!(
            "variable \"n\" {{\n  default = {n}\n}}\nresource \"terraform_data\" \"c\" {{\n  count = var.n\n  input = count.index\n}}\nresource \"terraform_data\" \"e\" {{\n  for_each = toset([{keys}])\n  input    = each.key\n}}\n"
        )
    };
    w.write("main.tf", &cfg(3, "\"a\", \"b\""));
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("5 added");
    let objs = w.state_objects();
    assert!(
        objs.contains_key("terraform_data.c[2]") && objs.contains_key("terraform_data.e[\"b\"]")
    );
    w.write("main.tf", &cfg(5, "\"a\", \"b\", \"c\""));
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("3 added, 0 changed, 0 destroyed");
    w.write("main.tf", &cfg(1, "\"c\""));
    w.cairn(&["plan"])
        .ok()
        .contains("terraform_data.c[4] will be destroyed")
        .contains("index");
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("0 added, 0 changed, 6 destroyed");
    let objs = w.state_objects();
    assert_eq!(
        objs.keys().cloned().collect::<Vec<_>>(),
        vec!["terraform_data.c[0]", "terraform_data.e[\"c\"]"]
    );
    w.cairn(&["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn variables_from_every_source() {
    let w = Work::new();
    w.write(
        "main.tf",
        "variable \"a\" {}\nvariable \"b\" {\n  type = list(number)\n}\nvariable \"c\" {\n  default = \"dc\"\n}\nresource \"terraform_data\" \"x\" {\n  input = \"${var.a}-${join(\",\", var.b)}-${var.c}\"\n}\noutput \"x\" {\n  value = terraform_data.x.output\n}\n",
    );
    w.write("terraform.tfvars", "a = \"fa\"\nb = [1]\n");
    w.write("z.auto.tfvars", "c = \"auto\"\n");
    w.write("extra.tfvars", "c = \"file\"\n");
    w.cairn(&[
        "apply",
        "-auto-approve",
        "-var",
        "b=[1,2]",
        "-var-file=extra.tfvars",
    ])
    .ok()
    .contains("x = \"fa-1,2-file\"");
    // Environment variables lose to files.
    let out = w
        .command(&["plan", "-detailed-exitcode"])
        .env("TF_VAR_a", "env")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "tfvars file c=auto differs from the applied c=file"
    );
}

#[test]
fn missing_variable_without_input_is_an_error() {
    let w = Work::new();
    w.write("main.tf", "variable \"need\" {\n  type = string\n}\n");
    w.cairn(&["plan", "-input=false"])
        .code(1)
        .contains("No value for required variable")
        .contains("main.tf:1:1");
}

#[test]
fn dependency_cycle_names_every_resource() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = terraform_data.b.output\n}\nresource \"terraform_data\" \"b\" {\n  input = local.x\n}\nlocals {\n  x = terraform_data.a.id\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Cycle")
        .contains("terraform_data.a")
        .contains("terraform_data.b")
        .contains("local.x")
        .contains("main.tf:2:");
}

#[test]
fn bad_input_gets_located_errors() {
    let cases: &[(&str, &[&str])] = &[
        (
            "resource \"terraform_data\" \"a\" {\n  input = \n}\n",
            &["main.tf:2:", "Error"],
        ),
        (
            "resource \"terraform_data\" \"a\" {\n  bogus = 1\n}\n",
            &["Unsupported argument", "main.tf:2:3"],
        ),
        (
            "resource \"nope_thing\" \"a\" {}\n",
            &["nope", "main.tf:1:1"],
        ),
        (
            "resource \"terraform_data\" \"a\" {\n  input = var.missing\n}\n",
            &["undeclared input variable", "main.tf:2:11"],
        ),
        (
            "resource \"terraform_data\" \"a\" {\n  count    = 2\n  for_each = {}\n}\n",
            &["main.tf:"],
        ),
        (
            "resource \"terraform_data\" \"a\" {\n  count = -1\n}\n",
            &["Invalid count argument", "main.tf:2:"],
        ),
        // Zero by zero has no value (one by zero is infinite, as in Terraform).
        ("output \"o\" {\n  value = 0 / 0\n}\n", &["main.tf:2:"]),
    ];
    for (text, expect) in cases {
        let w = Work::new();
        w.write("main.tf", text);
        let r = w.cairn(&["plan", "-input=false"]);
        r.code(1);
        for e in *expect {
            r.contains(e);
        }
        r.lacks("panicked");
        assert!(
            !w.exists("terraform.tfstate"),
            "a failed plan writes no state"
        );
    }
}

#[test]
fn every_error_in_a_file_is_reported_together() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {\n  x = 1\n}\nresource \"terraform_data\" \"b\" {\n  y = 2\n}\n");
    let r = w.cairn(&["validate"]);
    r.code(1).contains("main.tf:2:3").contains("main.tf:5:3");
}

#[test]
fn corrupt_state_is_refused_and_kept() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {}\n");
    w.write("terraform.tfstate", "{ not json");
    w.cairn(&["apply", "-auto-approve"])
        .code(1)
        .contains("terraform.tfstate");
    assert_eq!(w.read("terraform.tfstate").as_deref(), Some("{ not json"));
}

#[test]
fn quickstart_example_runs_end_to_end() {
    let w = Work::fixture("../examples/local-quickstart");
    w.cairn(&["init"]).ok();
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("Apply complete!")
        .contains("greeting_file");
    let text = w.read("out/greeting.txt").expect("greeting written");
    assert!(text.starts_with("Hello, "), "{text}");
    w.cairn(&["plan", "-detailed-exitcode"]).code(0);
    w.cairn(&["output", "-json", "pets"]).ok().contains("cat-");
    w.cairn(&["destroy", "-auto-approve"]).ok();
    assert!(!w.exists("out/greeting.txt"));
}

#[test]
fn apply_asks_for_confirmation() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {}\n");
    w.cairn_input(&["apply"], "no\n")
        .code(1)
        .contains("Apply cancelled");
    assert!(w.state_objects().is_empty());
    w.cairn_input(&["apply"], "yes\n").ok().contains("1 added");
}

#[test]
fn saved_plans_apply_exactly_and_go_stale() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
    );
    w.cairn(&["plan", "-out=p.plan"]).ok();
    w.cairn(&["show", "p.plan"])
        .ok()
        .contains("terraform_data.a will be created");
    w.cairn(&["apply", "p.plan"]).ok().contains("1 added");
    // The plan was made against an empty state: applying it again is refused.
    w.cairn(&["apply", "p.plan"]).code(1).contains("stale");
}

#[test]
fn state_commands() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  count = 2\n  input = \"v${count.index}\"\n}\n",
    );
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.cairn(&["state", "list"])
        .ok()
        .contains("terraform_data.a[0]\nterraform_data.a[1]");
    w.cairn(&["state", "show", "terraform_data.a[1]"])
        .ok()
        .contains("\"v1\"");
    w.cairn(&["state", "mv", "terraform_data.a[1]", "terraform_data.a[5]"])
        .ok();
    w.cairn(&["state", "rm", "terraform_data.a[5]"])
        .ok()
        .contains("Removed terraform_data.a[5]");
    w.cairn(&["state", "list"]).ok().lacks("a[5]");
    w.cairn(&["plan"]).ok().contains("1 to add");
    w.cairn(&["show", "-json"])
        .ok()
        .contains("\"address\":\"terraform_data.a[0]\"");
    w.cairn(&["graph"]).ok().contains("\"terraform_data.a\"");
}

#[test]
fn targeting_limits_the_plan() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {\n  input = terraform_data.a.id\n}\nresource \"terraform_data\" \"c\" {}\n");
    w.cairn(&["apply", "-auto-approve", "-target=terraform_data.b"])
        .ok()
        .contains("2 added");
    let objs = w.state_objects();
    assert!(
        objs.contains_key("terraform_data.a")
            && objs.contains_key("terraform_data.b")
            && !objs.contains_key("terraform_data.c")
    );
    w.cairn(&["plan", "-destroy", "-target=terraform_data.c"])
        .ok()
        .contains("No changes");
}

#[test]
fn drift_is_refreshed_into_the_plan() {
    let w = Work::new();
    w.write("main.tf", "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/f.txt\"\n  content  = \"hi\"\n}\n");
    w.cairn(&["apply", "-auto-approve"]).ok();
    std::fs::remove_file(w.path().join("f.txt")).unwrap();
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(2)
        .contains("will be created");
    w.cairn(&["plan", "-refresh=false", "-detailed-exitcode"])
        .code(0);
    w.cairn(&["apply", "-auto-approve"]).ok();
    assert_eq!(w.read("f.txt").as_deref(), Some("hi"));
}

#[test]
fn sensitive_values_stay_hidden() {
    let w = Work::new();
    w.write(
        "main.tf",
        "variable \"pw\" {\n  sensitive = true\n  default   = \"hunter2\"\n}\nresource \"terraform_data\" \"a\" {\n  input = var.pw\n}\nresource \"random_password\" \"p\" {\n  length = 12\n}\noutput \"o\" {\n  value     = terraform_data.a.output\n  sensitive = true\n}\n",
    );
    let plan = w.cairn(&["plan"]);
    plan.ok().contains("(sensitive value)").lacks("hunter2");
    let apply = w.cairn(&["apply", "-auto-approve"]);
    apply.ok().lacks("hunter2").contains("o = <sensitive>");
    let pw = w.state_objects()["random_password.p"]["result"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!apply.all().contains(&pw));
    w.cairn(&["output", "-raw", "o"]).ok().contains("hunter2");
}

#[test]
fn impure_functions_are_known_after_apply() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {\n  input = uuid()\n}\noutput \"u\" {\n  value = terraform_data.a.output\n}\n");
    w.cairn(&["plan"])
        .ok()
        .contains("input  = (known after apply)");
    w.cairn(&["apply", "-auto-approve"]).ok();
    let u = w.state_objects()["terraform_data.a"]["input"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(u.len(), 36, "a uuid: {u}");
}

#[test]
fn data_sources_read_at_plan_or_after_their_dependencies() {
    let w = Work::new();
    w.write("in.txt", "from disk");
    w.write(
        "main.tf",
        "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/f.txt\"\n  content  = \"hi\"\n}\ndata \"local_file\" \"later\" {\n  filename = local_file.f.filename\n}\ndata \"local_file\" \"now\" {\n  filename = \"${path.module}/in.txt\"\n}\noutput \"later\" {\n  value = data.local_file.later.content\n}\noutput \"now\" {\n  value = data.local_file.now.content\n}\n",
    );
    w.cairn(&["plan"])
        .ok()
        .contains("data.local_file.later will be read during apply")
        .contains("now   = \"from disk\"");
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("later = \"hi\"");
    assert!(w.state_objects().contains_key("data.local_file.now"));
    w.cairn(&["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn refresh_only_records_drift_without_changing_anything() {
    let w = Work::new();
    w.write("main.tf", "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/f.txt\"\n  content  = \"hi\"\n}\n");
    w.cairn(&["apply", "-auto-approve"]).ok();
    std::fs::remove_file(w.path().join("f.txt")).unwrap();
    w.cairn(&["plan", "-refresh-only"])
        .ok()
        .contains("local_file.f has been deleted");
    w.cairn(&["apply", "-refresh-only", "-auto-approve"]).ok();
    assert!(
        w.state_objects().is_empty(),
        "the deleted file left the state"
    );
    assert!(
        !w.exists("f.txt"),
        "refresh-only changes nothing in the world"
    );
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(2)
        .contains("will be created");
}

#[test]
fn bad_command_line_input_is_refused_clearly() {
    let w = Work::new();
    w.write("main.tf", "variable \"n\" {\n  type    = number\n  default = 1\n}\nresource \"terraform_data\" \"a\" {\n  input = var.n\n}\n");
    let cases: &[(&[&str], &str)] = &[
        (
            &["plan", "-target=not an address"],
            "invalid -target address",
        ),
        (&["plan", "-var", "novalue"], "novalue"),
        (&["plan", "-var-file=missing.tfvars"], "missing.tfvars"),
        (&["plan", "-var", "undeclared=1"], "undeclared"),
        (&["plan", "-var", "n=notanumber"], "var.n"),
        (
            &["apply", "-auto-approve", "-lock-timeout=soon"],
            "invalid duration",
        ),
        (
            &["apply", "-refresh-only", "-destroy"],
            "mutually exclusive",
        ),
        (&["apply", "-input=false"], "-auto-approve"),
        (&["frobnicate"], "frobnicate"),
    ];
    for (args, expect) in cases {
        let r = w.cairn(args);
        assert_ne!(r.code, 0, "{args:?} should fail");
        r.contains(expect).lacks("panicked");
    }
    assert!(w.state_objects().is_empty(), "nothing was applied");
}

#[test]
fn lifecycle_arguments() {
    let w = Work::new();
    let cfg = |trigger: &str, tag: &str, keep: &str| {
        format!(
            "resource \"terraform_data\" \"cbd\" {{\n  triggers_replace = \"{trigger}\"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\nresource \"terraform_data\" \"ign\" {{\n  input = {{ tag = \"{tag}\", keep = \"{keep}\" }}\n  lifecycle {{\n    ignore_changes = [input]\n  }}\n}}\nresource \"null_resource\" \"follower\" {{\n  lifecycle {{\n    replace_triggered_by = [terraform_data.cbd]\n  }}\n}}\nresource \"terraform_data\" \"guarded\" {{\n  lifecycle {{\n    prevent_destroy = true\n  }}\n}}\n"
        )
    };
    w.write("main.tf", &cfg("1", "a", "k"));
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("4 added");
    // An ignored change plans nothing.
    w.write("main.tf", &cfg("1", "b", "k"));
    w.cairn(&["plan", "-detailed-exitcode"]).code(0);
    // A trigger change: create-before-destroy replacement, and the follower is replaced too.
    w.write("main.tf", &cfg("2", "b", "k"));
    w.cairn(&["plan"])
        .ok()
        .contains("+/- create replacement and then destroy")
        .contains(
            "# null_resource.follower will be replaced due to changes in replace_triggered_by",
        );
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("2 added, 0 changed, 2 destroyed");
    // prevent_destroy blocks destroy, and nothing is destroyed.
    let before = w.state_objects();
    w.cairn(&["destroy", "-auto-approve"])
        .code(1)
        .contains("Instance cannot be destroyed")
        .contains("main.tf:");
    assert_eq!(w.state_objects(), before);
}

#[test]
fn variable_rules_and_types() {
    let w = Work::new();
    w.write(
        "main.tf",
        r#"variable "size" {
  type = number
  validation {
    condition     = var.size > 0 && var.size < 10
    error_message = "size must be between 1 and 9."
  }
}

variable "opts" {
  type = object({
    name = string
    port = optional(number, 8080)
  })
  default = { name = "web" }
}

variable "strict" {
  type     = string
  nullable = false
  default  = "d"
}

resource "terraform_data" "x" {
  input = "${var.opts.name}:${var.opts.port}:${var.size}:${var.strict}"
}

output "x" {
  value = terraform_data.x.output
}
"#,
    );
    w.cairn(&["plan", "-var", "size=12"])
        .code(1)
        .contains("size must be between 1 and 9.")
        .contains("main.tf:4:");
    // A null from a file falls back to the default of a non-nullable variable; on the command line
    // "null" is just a string for a string variable, as in Terraform.
    w.write("n.tfvars", "strict = null\n");
    w.cairn(&[
        "apply",
        "-auto-approve",
        "-var",
        "size=3",
        "-var-file=n.tfvars",
    ])
    .ok()
    .contains("x = \"web:8080:3:d\"");
    w.cairn(&["plan", "-var", "size=3", "-var", "strict=null"])
        .ok()
        .contains("web:8080:3:null");
    w.cairn(&["plan", "-var", "size=three"])
        .code(1)
        .contains("var.size");
}

#[test]
fn variable_validation_may_refer_to_other_objects() {
    // Since Terraform 1.9 a validation rule may refer to other variables, locals and resources;
    // it is checked once they are known, in the variable's own module.
    let w = Work::new();
    w.write(
        "main.tf",
        r#"variable "min" {
  default = 5
}

locals {
  limit = 10
}

variable "n" {
  type = number
  validation {
    condition     = var.n >= var.min && var.n <= local.limit
    error_message = "n must be between ${var.min} and ${local.limit}, got ${var.n}."
  }
}

module "child" {
  source = "./child"
  size   = var.n
}
"#,
    );
    w.write(
        "child/main.tf",
        r#"variable "size" {
  type = number
  validation {
    condition     = var.size < local.cap
    error_message = "size must stay under ${local.cap}."
  }
}

locals {
  cap = 8
}

resource "terraform_data" "x" {
  input = var.size
}
"#,
    );
    w.cairn(&["plan", "-var", "n=12"])
        .code(1)
        .contains("n must be between 5 and 10, got 12.")
        .lacks("size must stay under");
    w.cairn(&["plan", "-var", "n=9"])
        .code(1)
        .contains("size must stay under 8.")
        .lacks("n must be between");
    w.cairn(&["plan", "-var", "n=7"]).ok().contains("1 to add");
}

#[test]
fn chdir_runs_elsewhere() {
    let w = Work::new();
    w.write("sub/main.tf", "resource \"terraform_data\" \"a\" {}\n");
    w.cairn(&["-chdir=sub", "apply", "-auto-approve"]).ok();
    assert!(w.exists("sub/terraform.tfstate") && !w.exists("terraform.tfstate"));
    w.cairn(&["-chdir=nowhere", "plan"])
        .code(1)
        .contains("nowhere");
}

#[test]
fn lifecycle_conditions_check_self() {
    let w = Work::new();
    let cfg = |n: i64| {
        format!(
            "variable \"n\" {{\n  default = {n}\n}}\nresource \"terraform_data\" \"a\" {{\n  input = var.n\n  lifecycle {{\n    precondition {{\n      condition     = var.n >= 0\n      error_message = \"n must not be negative.\"\n    }}\n    postcondition {{\n      condition     = self.input < 100\n      error_message = \"input must stay below 100.\"\n    }}\n  }}\n}}\n"
        )
    };
    w.write("main.tf", &cfg(-1));
    w.cairn(&["plan"])
        .code(1)
        .contains("Resource precondition failed")
        .contains("n must not be negative.");
    w.write("main.tf", &cfg(5));
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.write("main.tf", &cfg(500));
    w.cairn(&["apply", "-auto-approve"])
        .code(1)
        .contains("Resource postcondition failed")
        .contains("input must stay below 100.");
    assert_eq!(
        w.state_objects()["terraform_data.a"]["input"]["value"],
        5,
        "nothing was applied"
    );
}

#[test]
fn postconditions_on_values_known_only_after_apply_are_checked_then() {
    // At plan time `self.output` of b is unknown, so its postcondition passes; once b exists the
    // condition is false: the apply fails and rolls back what it created, keeping what was
    // there before.
    let w = Work::new();
    w.write(
        "main.tf",
        r#"resource "terraform_data" "keep" {
  input = "kept"
}
"#,
    );
    w.cairn(&["apply", "-auto-approve"]).ok();
    let before = w.state_objects();
    w.write(
        "main.tf",
        r#"resource "terraform_data" "keep" {
  input = "kept"
}

resource "terraform_data" "a" {
  input = "a"
}

resource "terraform_data" "b" {
  input = terraform_data.a.id
  lifecycle {
    postcondition {
      condition     = self.output == "not an id"
      error_message = "b's output is ${self.output}."
    }
  }
}
"#,
    );
    w.cairn(&["plan"]).ok().contains("2 to add");
    let run = w.cairn(&["apply", "-auto-approve"]);
    run.code(1)
        .contains("Resource postcondition failed")
        .contains("b's output is ");
    let id = w.state_objects().get("terraform_data.a").cloned();
    assert!(id.is_none(), "the run's objects are rolled back: {id:?}");
    assert_eq!(w.state_objects(), before);
}

/// The position of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

#[test]
fn instances_wait_only_for_the_instances_they_use() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"time_sleep\" \"a\" {\n  count           = 2\n  create_duration = count.index == 0 ? \"10ms\" : \"1500ms\"\n}\nresource \"terraform_data\" \"b\" {\n  count = 2\n  input = time_sleep.a[count.index].id\n}\nlocals {\n  ids = time_sleep.a[*].id\n}\nresource \"terraform_data\" \"c\" {\n  input = local.ids[0]\n}\n",
    );
    let r = w.cairn(&["apply", "-auto-approve"]);
    r.ok();
    let out = &r.stdout;
    // b[0] uses only a[0]: it does not wait for the slow a[1].
    assert!(
        line_of(out, "terraform_data.b[0]: Creation complete")
            < line_of(out, "time_sleep.a[1]: Creation complete"),
        "{out}"
    );
    // b[1] uses a[1]; c reaches a through a local, so it waits for all of a.
    assert!(
        line_of(out, "terraform_data.b[1]: Creating")
            > line_of(out, "time_sleep.a[1]: Creation complete"),
        "{out}"
    );
    assert!(
        line_of(out, "terraform_data.c: Creating")
            > line_of(out, "time_sleep.a[1]: Creation complete"),
        "{out}"
    );
}

#[test]
fn fail_on_destroy_or_replace_exits_4() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {\n  triggers_replace = 1\n}\nresource \"terraform_data\" \"b\" {}\n");
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.cairn(&["plan", "-fail-on=destroy,replace", "-detailed-exitcode"])
        .code(0);
    w.write("main.tf", "resource \"terraform_data\" \"a\" {\n  triggers_replace = 2\n}\nresource \"terraform_data\" \"b\" {}\n");
    w.cairn(&["plan", "-fail-on=replace"])
        .code(4)
        .contains("terraform_data.a would be replaced");
    w.cairn(&["plan", "-fail-on=destroy"])
        .code(4)
        .contains("terraform_data.a would be destroyed");
    w.cairn(&["plan", "-detailed-exitcode"]).code(2);
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  triggers_replace = 1\n}\n",
    );
    w.cairn(&["plan", "-fail-on=replace", "-detailed-exitcode"])
        .code(2);
    w.cairn(&["plan", "-fail-on=destroy"])
        .code(4)
        .contains("terraform_data.b would be destroyed");
    w.cairn(&["plan", "-fail-on=everything"]).code(1);
}

#[test]
fn markdown_summary_of_a_saved_plan() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {\n  triggers_replace = 1\n}\nresource \"terraform_data\" \"b\" {\n  input = sensitive(\"topsecret\")\n}\n");
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {\n  triggers_replace = 2\n}\nresource \"terraform_data\" \"b\" {\n  input = sensitive(\"othersecret\")\n}\n");
    w.cairn(&["plan", "-out=p.plan"]).ok();
    w.cairn(&["show", "-format=markdown", "p.plan"])
        .ok()
        .contains("### ⚠️ Destructive changes (1)")
        .contains("| `terraform_data.a` | **replace (destroy, then create)** |")
        .contains("`input` (sensitive)")
        .lacks("topsecret")
        .lacks("othersecret");
    w.cairn(&["show", "-format=markdown"])
        .code(1)
        .contains("saved plan");
}

#[test]
fn policies_gate_the_plan() {
    let w = Work::new();
    w.write("policy.hcl", "rule \"keep-a\" {\n  addresses = [\"terraform_data.a\"]\n  deny      = [\"destroy\", \"replace\"]\n  message   = \"a is precious\"\n}\nrule \"tagged\" {\n  types   = [\"terraform_data\"]\n  require = [\"input.owner\"]\n}\nrule \"sizes\" {\n  types     = [\"terraform_data\"]\n  attribute = \"input.size\"\n  allow     = [\"small\", \"medium\"]\n}\n");
    let cfg = |trigger: i64, owner: &str, size: &str| {
        format!(
            "resource \"terraform_data\" \"a\" {{\n  triggers_replace = {trigger}\n  input = {{ owner = {owner}, size = \"{size}\" }}\n}}\n"
        )
    };
    w.write("main.tf", &cfg(1, "\"me\"", "small"));
    w.cairn(&["plan", "-policy=policy.hcl"])
        .ok()
        .contains("Policy check passed: 3 rule(s)");
    w.cairn(&["apply", "-auto-approve"]).ok();
    // Each rule kind failing:
    w.write("main.tf", &cfg(2, "\"me\"", "small"));
    w.cairn(&["plan", "-policy=policy.hcl"])
        .code(5)
        .contains("keep-a: terraform_data.a would replace it: a is precious");
    w.write("main.tf", &cfg(1, "null", "small"));
    w.cairn(&["plan", "-policy=policy.hcl"])
        .code(5)
        .contains("tagged: terraform_data.a `input.owner` must be set");
    w.write("main.tf", &cfg(1, "\"me\"", "huge"));
    w.cairn(&["plan", "-policy=policy.hcl"]).code(5).contains(
        "sizes: terraform_data.a `input.size` = \"huge\" is not one of the allowed values",
    );
    // A broken policy file is an error with its location.
    w.write("bad.hcl", "rule \"x\" {\n  deny = [\"explode\"]\n}\n");
    w.cairn(&["plan", "-policy=bad.hcl"])
        .code(1)
        .contains("bad.hcl:2:");
}

#[test]
fn saved_plan_applies_with_its_own_variables() {
    let w = Work::new();
    w.write("main.tf", "variable \"who\" {}\nresource \"terraform_data\" \"a\" {\n  count = 2\n  input = \"hi ${var.who} ${count.index}\"\n}\noutput \"o\" {\n  value = terraform_data.a[*].output\n}\n");
    w.cairn(&["plan", "-var", "who=ci", "-out=p.plan"])
        .ok()
        .contains("Plan: 2 to add");
    // A later job applies the file without repeating -var, and gets exactly the planned changes.
    w.cairn(&["apply", "-input=false", "p.plan"])
        .ok()
        .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.")
        .contains("\"hi ci 1\"");
    w.cairn(&["plan", "-var", "who=ci", "-detailed-exitcode"])
        .code(0);
    // Editing the configuration after planning makes the plan unusable.
    w.cairn(&["plan", "-var", "who=other", "-out=q.plan"]).ok();
    w.write("main.tf", "variable \"who\" {}\nresource \"terraform_data\" \"a\" {\n  count = 3\n  input = var.who\n}\n");
    w.cairn(&["apply", "q.plan"])
        .code(1)
        .contains("does not match the configuration");
}

#[test]
fn saving_a_plan_with_secrets_warns() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = sensitive(\"pw\")\n}\n",
    );
    w.cairn(&["plan", "-out=p.plan"])
        .ok()
        .lacks("Keep it as private");
    w.cairn(&["plan", "-unsafe-keep-sensitive", "-out=p.plan"])
        .ok()
        .contains("Keep it as private as the state file");
    w.write("main.tf", "resource \"terraform_data\" \"a\" {}\n");
    w.cairn(&["plan", "-out=q.plan"])
        .ok()
        .lacks("Keep it as private");
}

#[test]
fn missing_variable_prompts_only_on_a_terminal() {
    let w = Work::new();
    w.write("main.tf", "variable \"need\" {\n  type = string\n}\n");
    // Standard input is not a terminal here: no prompt, no waiting, a located error.
    let start = std::time::Instant::now();
    w.cairn_input(&["plan"], "typed-but-ignored\n")
        .code(1)
        .contains("No value for required variable")
        .contains("main.tf:1:1")
        .lacks("Enter a value");
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn remote_state_reads_another_configurations_outputs() {
    let w = Work::new();
    w.write(
        "network/main.tf",
        r#"output "vpc" {
  value = "vpc-123"
}

output "zones" {
  value = ["a", "b"]
}
"#,
    );
    w.cairn(&["-chdir=network", "apply", "-auto-approve"]).ok();
    w.write(
        "app/main.tf",
        r#"data "terraform_remote_state" "net" {
  backend = "local"
  config = {
    path = "../network/terraform.tfstate"
  }
  defaults = {
    region = "eu"
  }
}

output "where" {
  value = "${data.terraform_remote_state.net.outputs.vpc}/${data.terraform_remote_state.net.outputs.region}/${length(data.terraform_remote_state.net.outputs.zones)}"
}
"#,
    );
    w.cairn(&["-chdir=app", "apply", "-auto-approve"])
        .ok()
        .contains("where = \"vpc-123/eu/2\"");
    // A state that is not there, and a backend cairn cannot read, are clear errors.
    let app = w.read("app/main.tf").unwrap();
    w.write("app/main.tf", &app.replace("../network/", "../nowhere/"));
    w.cairn(&["-chdir=app", "plan"])
        .code(1)
        .contains("Unable to find remote state");
    w.write("app/main.tf", &app.replace("\"local\"", "\"s3\""));
    w.cairn(&["-chdir=app", "plan"])
        .code(1)
        .contains("\"local\" backend only");
}

#[test]
fn a_repeated_object_key_keeps_the_last_value() {
    // HCL (and so Terraform) accepts an object constructor that repeats a key and keeps the last
    // value; diagnostics after it still point at the right place.
    let w = Work::new();
    w.write(
        "main.tf",
        "locals {\n  tags = {\n    Name = \"first\"\n    Team = \"a\"\n    Name = \"last\"\n  }\n}\n\noutput \"tags\" {\n  value = local.tags\n}\n\noutput \"bad\" {\n  value = local.nope\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("main.tf:14:")
        .contains("undeclared local value");
    let text = w.read("main.tf").unwrap();
    w.write(
        "main.tf",
        &text.replace("  value = local.nope\n", "  value = 1\n"),
    );
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("\"Name\" = \"last\"")
        .lacks("first");
}

/// A destroy is ordered by the configuration as well as by the dependencies recorded in state:
/// objects whose state records none (as after `import`) are still deleted dependents first.
#[test]
fn destroy_follows_configuration_dependencies_missing_from_state() {
    let w = Work::new();
    w.write(
        "main.tf",
        r#"
resource "terraform_data" "a" {
  input = "a"
}

resource "terraform_data" "b" {
  input = terraform_data.a.output
}

resource "terraform_data" "c" {
  input = terraform_data.b.output
}
"#,
    );
    w.cairn(&["apply", "-auto-approve"]).ok();
    // Forget the recorded dependencies, as an import leaves them.
    let mut state = w.state();
    for r in state["resources"].as_array_mut().unwrap() {
        for i in r["instances"].as_array_mut().unwrap() {
            i.as_object_mut().unwrap().remove("dependencies");
        }
    }
    w.write(
        "terraform.tfstate",
        &serde_json::to_string_pretty(&state).unwrap(),
    );
    let run = w.cairn(&["destroy", "-auto-approve", "-json"]);
    run.ok();
    assert_deleted_first(
        &run.stdout,
        &[
            ("terraform_data.c", "terraform_data.b"),
            ("terraform_data.b", "terraform_data.a"),
        ],
    );
}

/// In the `-json` log of an apply, each `(dependent, dependency)` pair's dependent finished
/// before its dependency started.
#[track_caller]
fn assert_deleted_first(log: &str, pairs: &[(&str, &str)]) {
    let events: Vec<(String, String)> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "apply_start" || v["type"] == "apply_complete")
        .map(|v| {
            (
                v["type"].as_str().unwrap().to_string(),
                v["hook"]["resource"]["addr"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let at = |ty: &str, addr: &str| {
        events
            .iter()
            .position(|(t, a)| t == ty && a == addr)
            .unwrap_or_else(|| panic!("no {ty} for {addr} in {events:?}"))
    };
    for (dependent, dependency) in pairs {
        assert!(
            at("apply_complete", dependent) < at("apply_start", dependency),
            "{dependent} is deleted before {dependency}: {events:?}"
        );
    }
}

#[test]
fn state_records_module_dependencies_as_configured_and_orders_deletes_by_them() {
    let w = Work::new();
    w.write(
        "m/main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = \"v\"\n}\n\noutput \"o\" {\n  value = terraform_data.x.output\n}\n",
    );
    w.write(
        "main.tf",
        // The dependent takes a while to delete, so an unordered delete would overlap it.
        "module \"b\" {\n  source = \"./m\"\n  count  = 2\n}\n\nresource \"time_sleep\" \"r\" {\n  destroy_duration = \"300ms\"\n  triggers = {\n    o = module.b[0].o\n  }\n}\n",
    );
    w.cairn(&["apply", "-auto-approve"]).ok();
    // As Terraform records it: the resource as configured, not each module instance's.
    let state = w.state();
    let r = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "r")
        .expect("time_sleep.r in state");
    assert_eq!(
        r["instances"][0]["dependencies"],
        serde_json::json!(["module.b.terraform_data.x"])
    );
    // With the configuration gone, only what the state records orders the deletes.
    w.write("main.tf", "");
    let run = w.cairn(&["apply", "-auto-approve", "-json"]);
    run.ok();
    assert_deleted_first(
        &run.stdout,
        &[
            ("time_sleep.r", "module.b[0].terraform_data.x"),
            ("time_sleep.r", "module.b[1].terraform_data.x"),
        ],
    );
}

/// `1/0` is an infinity, which JSON cannot hold: Terraform plans it, creates the objects, then
/// fails to save the state. cairn fails the same way, with an error and without a crash: the
/// state records the objects and keeps the output's previous value.
#[test]
fn infinite_output_fails_to_save() {
    let w = Work::new();
    let config = |value: &str| {
        format!(
            "resource \"terraform_data\" \"a\" {{\n  input = \"{value}\"\n}}\n\noutput \"x\" {{\n  value = {value}\n}}\n"
        )
    };
    w.write("main.tf", &config("1"));
    w.cairn(&["apply", "-auto-approve"]).ok().contains("x = 1");
    w.write("main.tf", &config("1/0"));
    w.cairn(&["plan"]).ok().contains("~ x = 1 -> +Inf");
    w.cairn(&["apply", "-auto-approve"])
        .code(1)
        .contains("Failed to serialize output value in state")
        .contains("An error occurred while serializing output value \"x\": cannot serialize infinity as JSON.")
        .lacks("Apply complete!");
    let st = w.state();
    assert_eq!(st["outputs"]["x"]["value"], 1);
    let objects = w.state_objects();
    // The update that ran is recorded.
    assert_eq!(objects["terraform_data.a"]["input"]["value"], "1/0");
    // In a fresh directory there is no previous value: the output is left out.
    let fresh = Work::new();
    fresh.write("main.tf", &config("1/0"));
    fresh.cairn(&["apply", "-auto-approve"]).code(1);
    let st = fresh.state();
    assert!(st["outputs"].get("x").is_none(), "{st}");
    assert_eq!(st["resources"].as_array().map(Vec::len), Some(1));
    if have_terraform("infinite_output_fails_to_save") {
        let t = Work::new();
        t.write("main.tf", &config("1/0"));
        t.terraform(&["init", "-backend=false", "-no-color"]).ok();
        let run = t.terraform(&["apply", "-auto-approve", "-no-color"]);
        assert_ne!(run.code, 0);
        run.contains("cannot serialize infinity as JSON");
    }
}

#[test]
fn plan_reads_the_state_the_backend_block_names() {
    // The plan starts reading `terraform.tfstate` before the configuration is loaded; a
    // backend block naming another file must still be what the plan is made against.
    let w = Work::new();
    let one = "resource \"terraform_data\" \"a\" {\n  input = \"one\"\n}\n";
    w.write("main.tf", one);
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(0)
        .contains("No changes.");
    let elsewhere = "terraform {\n  backend \"local\" {\n    path = \"other.tfstate\"\n  }\n}\n";
    w.write("main.tf", &format!("{elsewhere}{one}"));
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(2)
        .contains("# terraform_data.a will be created");
    let stored = w.read("terraform.tfstate").unwrap();
    w.write("other.tfstate", &stored);
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(0)
        .contains("No changes.");
    // A bad state elsewhere is reported as such, though the usual file is fine.
    w.write("other.tfstate", "{ not json");
    w.cairn(&["plan"]).code(1).contains("other.tfstate");
}
