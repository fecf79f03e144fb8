//! Modules end to end: nested local modules with `count` and `for_each`, outputs passed from
//! one module to another, `depends_on` on a module call, provider aliases passed through a
//! `providers` map, removal of module instances, a registry source's offline error, and module
//! calls that use each other's outputs (no cycle unless an output depends on itself). The
//! interop tests compare with the installed `terraform` (plan addresses and actions, and state
//! written by one planned by the other).

use std::collections::BTreeSet;

use crate::support::{Work, have_terraform};

/// Instances in the state file by full address (`module.a["k"].terraform_data.x[0]`), with
/// each instance's JSON object (attributes, dependencies) and its resource's provider.
fn instances(w: &Work) -> std::collections::BTreeMap<String, (serde_json::Value, String)> {
    let mut out = std::collections::BTreeMap::new();
    let st = w.state();
    for r in st["resources"].as_array().cloned().unwrap_or_default() {
        let mut base = String::new();
        if let Some(m) = r["module"].as_str() {
            base.push_str(m);
            base.push('.');
        }
        if r["mode"] == "data" {
            base.push_str("data.");
        }
        base.push_str(&format!(
            "{}.{}",
            r["type"].as_str().unwrap_or_default(),
            r["name"].as_str().unwrap_or_default()
        ));
        let provider = r["provider"].as_str().unwrap_or_default().to_string();
        for i in r["instances"].as_array().cloned().unwrap_or_default() {
            let addr = match &i["index_key"] {
                serde_json::Value::Null => base.clone(),
                serde_json::Value::String(s) => format!("{base}[\"{s}\"]"),
                k => format!("{base}[{k}]"),
            };
            out.insert(addr, (i, provider.clone()));
        }
    }
    out
}

/// `(address, action)` of every change in cairn's human plan.
fn cairn_changes(plan: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for line in plan.lines() {
        let Some(rest) = line.trim().strip_prefix("# ") else {
            continue;
        };
        for (phrase, action) in [
            (" will be created", "create"),
            (" will be destroyed", "delete"),
            (" will be updated in-place", "update"),
            (" must be replaced", "replace"),
        ] {
            if let Some(addr) = rest.strip_suffix(phrase) {
                out.insert((addr.to_string(), action.to_string()));
            }
        }
    }
    out
}

/// `(address, action)` of every change in terraform's JSON plan (no-ops left out).
fn terraform_changes(w: &Work, args: &[&str]) -> BTreeSet<(String, String)> {
    let mut plan = vec!["plan", "-no-color", "-out=tfplan"];
    plan.extend_from_slice(args);
    w.terraform(&plan).ok();
    let shown = w.terraform(&["show", "-json", "tfplan"]);
    shown.ok();
    let json: serde_json::Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    let mut out = BTreeSet::new();
    for rc in json["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let actions: Vec<String> = rc["change"]["actions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|a| a.as_str().unwrap_or_default().to_string())
            .collect();
        let action = match actions.join(",").as_str() {
            "no-op" | "read" => continue,
            "create" => "create",
            "delete" => "delete",
            "update" => "update",
            _ => "replace",
        };
        out.insert((
            rc["address"].as_str().unwrap_or_default().to_string(),
            action.to_string(),
        ));
    }
    out
}

const TREE_ADDRS: [&str; 7] = [
    "module.app[\"a\"].terraform_data.server",
    "module.app[\"b\"].terraform_data.server",
    "module.counted[0].terraform_data.this",
    "module.counted[1].terraform_data.this",
    "module.net.terraform_data.vpc",
    "module.net.module.subnet[0].terraform_data.this",
    "module.net.module.subnet[1].terraform_data.this",
];

#[test]
fn nested_modules_with_count_and_for_each() {
    let w = Work::fixture("modules/tree");
    w.cairn(&["init"]).ok();
    let plan = w.cairn(&["plan", "-detailed-exitcode"]);
    plan.code(2)
        .contains("Plan: 7 to add, 0 to change, 0 to destroy.");
    let planned: BTreeSet<String> = cairn_changes(&plan.stdout)
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    let want: BTreeSet<String> = TREE_ADDRS.iter().map(|s| s.to_string()).collect();
    assert_eq!(planned, want);

    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("Apply complete! Resources: 7 added, 0 changed, 0 destroyed.")
        .contains("\"a\" = \"east:east\"")
        .contains("where = \"modules/net\"");
    let objects = instances(&w);
    let got: BTreeSet<String> = objects.keys().cloned().collect();
    assert_eq!(got, want);
    // An output of one module feeds another: the app servers got subnet 0's id.
    let subnet0 = &objects["module.net.module.subnet[0].terraform_data.this"].0;
    let server = &objects["module.app[\"b\"].terraform_data.server"].0;
    assert_eq!(
        server["attributes"]["input"]["value"]["subnet"],
        subnet0["attributes"]["id"]
    );
    assert_eq!(server["attributes"]["input"]["value"]["dir"], "modules/app");
    assert_eq!(subnet0["attributes"]["input"]["value"], "core-0");
    // Dependencies cross module boundaries: through outputs, and through depends_on.
    let deps = |addr: &str| -> Vec<String> {
        objects[addr].0["dependencies"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|d| d.as_str().map(str::to_string))
            .collect()
    };
    assert!(
        deps("module.app[\"a\"].terraform_data.server")
            .iter()
            .any(|d| d.starts_with("module.net.module.subnet")),
        "{:?}",
        deps("module.app[\"a\"].terraform_data.server")
    );
    assert!(
        deps("module.counted[1].terraform_data.this")
            .contains(&"module.net.terraform_data.vpc".to_string())
    );
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(0)
        .contains("No changes.");

    // One instance of a counted module goes away.
    w.cairn(&["plan", "-var", "envs=[\"dev\"]"])
        .ok()
        .contains("# module.counted[1].terraform_data.this will be destroyed")
        .contains("(because module.counted[1] is not in configuration)");
    w.cairn(&["apply", "-auto-approve", "-var", "envs=[\"dev\"]"])
        .ok()
        .contains("0 added, 0 changed, 1 destroyed");
    assert!(!instances(&w).contains_key("module.counted[1].terraform_data.this"));

    // A whole module call goes away.
    let main = w.read("main.tf").unwrap_or_default();
    let start = main.find("module \"app\"").unwrap_or(0);
    let end = start + main[start..].find("\n}\n").unwrap_or(0) + 3;
    let without_app = format!("{}{}", &main[..start], &main[end..])
        .replace("{ for k, m in module.app : k => m.label }", "{}");
    w.write("main.tf", &without_app);
    w.cairn(&["apply", "-auto-approve", "-var", "envs=[\"dev\"]"])
        .ok()
        .contains("(because module.app[\"a\"] is not in configuration)")
        .contains("0 added, 0 changed, 2 destroyed");
    assert_eq!(instances(&w).len(), 4);
    w.cairn(&["plan", "-detailed-exitcode", "-var", "envs=[\"dev\"]"])
        .code(0);
    w.cairn(&["destroy", "-auto-approve", "-var", "envs=[\"dev\"]"])
        .ok()
        .contains("4 destroyed");
    assert!(instances(&w).is_empty());
}

#[test]
fn provider_aliases_pass_through_the_providers_map() {
    let w = Work::fixture("modules/aliases");
    w.cairn(&["apply", "-auto-approve"]).ok();
    let objects = instances(&w);
    assert_eq!(
        objects["module.pet.random_id.default"].1,
        "provider[\"registry.terraform.io/hashicorp/random\"]"
    );
    assert_eq!(
        objects["module.pet.random_id.other"].1,
        "provider[\"registry.terraform.io/hashicorp/random\"].second"
    );
    w.cairn(&["plan", "-detailed-exitcode"]).code(0);

    // Without the providers map, the module's aliased configuration is missing.
    let main = w.read("main.tf").unwrap_or_default();
    let start = main.find("  providers = {").unwrap_or(0);
    let end = start + main[start..].find("  }\n").unwrap_or(0) + 4;
    w.write("main.tf", &format!("{}{}", &main[..start], &main[end..]));
    w.cairn(&["plan"])
        .code(1)
        .contains("Missing required provider configuration")
        .contains("configuration_aliases = [random.other]");
}

#[test]
fn module_inputs_are_checked() {
    let w = Work::new();
    w.write(
        "main.tf",
        "module \"m\" {\n  source = \"./m\"\n  nope   = 1\n}\n",
    );
    w.write(
        "m/main.tf",
        "variable \"need\" {\n  type = number\n}\nvariable \"n\" {\n  type = number\n  default = 1\n  validation {\n    condition     = var.n > 0\n    error_message = \"n must be positive\"\n  }\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("An argument named \"nope\" is not expected here")
        .contains("The argument \"need\" is required");
    w.write(
        "main.tf",
        "module \"m\" {\n  source = \"./m\"\n  need   = 1\n  n      = -1\n}\n",
    );
    w.cairn(&["plan"]).code(1).contains("n must be positive");
}

#[test]
fn remote_module_sources_explain_vendoring() {
    let w = Work::new();
    w.write(
        "main.tf",
        "module \"vpc\" {\n  source  = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("Module source not available")
        .contains("Vendor the module")
        .contains("source = \"./modules/vpc\"");
}

#[test]
fn module_plans_match_terraform() {
    if !have_terraform("module_plans_match_terraform") {
        return;
    }
    let w = Work::fixture("modules/tree");
    w.terraform(&["init", "-backend=false", "-no-color"]).ok();
    let cairn = w.cairn(&["plan"]);
    cairn.ok();
    assert_eq!(cairn_changes(&cairn.stdout), terraform_changes(&w, &[]));
    // -target pulls in what a target depends on across module boundaries (an output of
    // another module, a module's depends_on), and only the targeted module instance.
    for target in [
        "-target=module.counted[0]",
        "-target=module.app[\"a\"].terraform_data.server",
        "-target=module.net.module.subnet[1]",
    ] {
        let cairn = w.cairn(&["plan", target]);
        cairn.ok();
        assert_eq!(
            cairn_changes(&cairn.stdout),
            terraform_changes(&w, &[target]),
            "{target}"
        );
    }
    // After cairn applies, terraform sees no changes; a shrink plans the same deletions.
    w.cairn(&["apply", "-auto-approve"]).ok();
    w.terraform(&["plan", "-detailed-exitcode", "-no-color"])
        .code(0)
        .contains("No changes");
    // A changed module argument flows through nested modules into updates.
    let main = w.read("main.tf").unwrap_or_default();
    w.write("main.tf", &main.replace("\"core\"", "\"edge\""));
    let cairn = w.cairn(&["plan"]);
    cairn.ok().contains("will be updated in-place");
    assert_eq!(cairn_changes(&cairn.stdout), terraform_changes(&w, &[]));
    w.write("main.tf", &main);
    let args = ["-var", "envs=[\"dev\"]", "-var", "regions={a=\"east\"}"];
    let mut cairn_args = vec!["plan"];
    cairn_args.extend_from_slice(&args);
    let cairn = w.cairn(&cairn_args);
    cairn.ok();
    assert_eq!(cairn_changes(&cairn.stdout), terraform_changes(&w, &args));
}

#[test]
fn terraform_module_state_gives_cairn_no_changes() {
    if !have_terraform("terraform_module_state_gives_cairn_no_changes") {
        return;
    }
    let w = Work::fixture("modules/tree");
    w.terraform(&["init", "-backend=false", "-no-color"]).ok();
    w.terraform(&["apply", "-auto-approve", "-no-color"]).ok();
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(0)
        .contains("No changes");
    // cairn removes a module instance from terraform's state; terraform agrees afterwards.
    w.cairn(&["apply", "-auto-approve", "-var", "envs=[\"dev\"]"])
        .ok()
        .contains("1 destroyed");
    w.terraform(&[
        "plan",
        "-detailed-exitcode",
        "-no-color",
        "-var",
        "envs=[\"dev\"]",
    ])
    .code(0);
}

#[test]
fn graph_draws_every_module_like_terraform() {
    // Edges cross module boundaries precisely: through the output a reference names, and from a
    // child's variable back to what the call passes in.
    let w = Work::fixture("modules/graph");
    let ours = w.cairn(&["graph"]);
    ours.ok()
        .contains("\"terraform_data.s\" -> \"module.child.module.grand.terraform_data.g\";")
        .contains("\"module.child.terraform_data.a\" -> \"terraform_data.x\";")
        .lacks("\"terraform_data.r\" -> \"module.child.terraform_data.a\";")
        .contains("\"terraform_data.t\" -> \"terraform_data.r\";")
        .lacks("\"terraform_data.t\" -> \"module.child.terraform_data.b\";");
    if !have_terraform("graph_draws_every_module_like_terraform") {
        return;
    }
    for case in ["modules/graph", "modules/tree"] {
        let w = Work::fixture(case);
        w.terraform(&["init", "-backend=false", "-no-color"]).ok();
        let theirs = w.terraform(&["graph"]);
        assert_eq!(
            w.cairn(&["graph"]).ok().stdout,
            theirs.ok().stdout,
            "{case}"
        );
    }
}

/// The module tree of a JSON values section: each module's address, its resources' addresses
/// and keys, and its children by address.
fn module_shape(m: &serde_json::Value) -> serde_json::Value {
    let resources: Vec<serde_json::Value> = m["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let keys: Vec<&String> = r
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            serde_json::json!([r["address"], keys])
        })
        .collect();
    // Terraform's order of nested modules in planned_values varies from run to run.
    let mut children: Vec<serde_json::Value> = m["child_modules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(module_shape)
        .collect();
    children.sort_by_key(|c| c["address"].to_string());
    serde_json::json!({"address": m["address"], "resources": resources, "children": children})
}

#[test]
fn json_values_nest_child_modules_like_terraform() {
    if !have_terraform("json_values_nest_child_modules_like_terraform") {
        return;
    }
    let shapes = |tool: &str| {
        let w = Work::fixture("modules/tree");
        let run = |args: &[&str]| match tool {
            "cairn" => w.cairn(args),
            _ => w.terraform(args),
        };
        if tool == "terraform" {
            run(&["init", "-backend=false", "-no-color"]).ok();
        }
        run(&["plan", "-out=tfplan", "-no-color"]).ok();
        let plan: serde_json::Value =
            serde_json::from_str(&run(&["show", "-json", "tfplan"]).ok().stdout).unwrap();
        run(&["apply", "-auto-approve", "-no-color", "tfplan"]).ok();
        let state: serde_json::Value =
            serde_json::from_str(&run(&["show", "-json"]).ok().stdout).unwrap();
        (
            module_shape(&plan["planned_values"]["root_module"]),
            module_shape(&state["values"]["root_module"]),
        )
    };
    let ours = shapes("cairn");
    let theirs = shapes("terraform");
    assert_eq!(ours.0, theirs.0, "planned_values");
    assert_eq!(ours.1, theirs.1, "state values");
    assert!(
        ours.1["children"].as_array().is_some_and(|c| c.len() == 5),
        "five module instances: {}",
        ours.1
    );
}

/// The root outputs' values in the state file.
fn outputs(w: &Work) -> serde_json::Value {
    let st = w.state();
    let mut out = serde_json::Map::new();
    for (k, v) in st["outputs"].as_object().cloned().unwrap_or_default() {
        out.insert(k, v["value"].clone());
    }
    serde_json::Value::Object(out)
}

/// Each instance's recorded dependencies, sorted.
fn dependencies(w: &Work) -> std::collections::BTreeMap<String, Vec<String>> {
    instances(w)
        .into_iter()
        .map(|(addr, (i, _))| {
            let mut deps: Vec<String> = i["dependencies"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect();
            deps.sort();
            (addr, deps)
        })
        .collect()
}

/// An address without instance keys (`module.b[0].x` → `module.b.x`): Terraform records
/// dependencies by configuration address.
fn without_keys(addr: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in addr.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The line number of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

#[test]
fn module_calls_using_each_others_outputs_plan_and_apply() {
    let w = Work::fixture("modules/mutual");
    w.cairn(&["validate"])
        .ok()
        .contains("The configuration is valid.");
    // A target brings in only what its values come from: b's tags, not its consumers.
    let target = "-target=module.a.terraform_data.second";
    let targeted = cairn_changes(&w.cairn(&["plan", target]).ok().stdout);
    let want: BTreeSet<(String, String)> = [
        "module.a.terraform_data.second",
        "module.b[0].terraform_data.tag",
        "module.b[1].terraform_data.tag",
    ]
    .iter()
    .map(|a| (a.to_string(), "create".to_string()))
    .collect();
    assert_eq!(targeted, want);
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(2)
        .contains("Plan: 6 to add, 0 to change, 0 to destroy.");
    let apply = w.cairn(&["apply", "-auto-approve", "-parallelism=1"]);
    apply
        .ok()
        .contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed.");
    // Values flow both ways: a's id into b, b's label into a.
    assert_eq!(
        outputs(&w),
        serde_json::json!({
            "a_id": "alpha",
            "a_peer": "alpha+bee",
            "b_seen": ["seen alpha-0", "seen alpha-1"],
        })
    );
    // Each object waits for exactly what its values come from. The state records it as
    // Terraform does, by configuration address (without module instance keys).
    let deps = dependencies(&w);
    let tags = vec!["module.b.terraform_data.tag".to_string()];
    assert_eq!(deps["module.a.terraform_data.second"], tags);
    assert!(deps["module.a.terraform_data.first"].is_empty());
    for b in ["module.b[0]", "module.b[1]"] {
        assert_eq!(
            deps[&format!("{b}.terraform_data.consumer")],
            vec!["module.a.terraform_data.first".to_string()]
        );
        assert!(deps[&format!("{b}.terraform_data.tag")].is_empty());
    }
    // The instances each object depends on: every instance of a recorded configuration address.
    let instance_deps: Vec<(&String, &String)> = deps
        .iter()
        .flat_map(|(addr, ds)| {
            deps.keys()
                .filter(|i| ds.contains(&without_keys(i)))
                .map(move |d| (addr, d))
        })
        .collect();
    assert_eq!(instance_deps.len(), 4, "{instance_deps:?}");
    let done = |a: &str| line_of(&apply.stdout, &format!("{a}: Creation complete"));
    let start = |a: &str| line_of(&apply.stdout, &format!("{a}: Creating..."));
    for &(addr, d) in &instance_deps {
        assert!(
            done(d) < start(addr),
            "{d} before {addr}:\n{}",
            apply.stdout
        );
    }
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(0)
        .contains("No changes.");
    w.cairn(&["graph"])
        .ok()
        .contains("\"module.a.terraform_data.second\" -> \"module.b.terraform_data.tag\";")
        .contains("\"module.b.terraform_data.consumer\" -> \"module.a.terraform_data.first\";")
        .lacks("\"module.a.terraform_data.second\" -> \"module.b.terraform_data.consumer\";");

    if have_terraform("module_calls_using_each_others_outputs_plan_and_apply") {
        // Terraform agrees on the values and on the dependencies (which it records without
        // instance keys), and sees no changes in the state cairn wrote.
        let t = Work::fixture("modules/mutual");
        t.terraform(&["init", "-backend=false", "-no-color"]).ok();
        assert_eq!(terraform_changes(&t, &[target]), targeted);
        t.terraform(&["apply", "-auto-approve", "-no-color"]).ok();
        assert_eq!(outputs(&t), outputs(&w));
        let theirs: BTreeSet<(String, String)> = dependencies(&t)
            .into_iter()
            .flat_map(|(a, ds)| ds.into_iter().map(move |d| (without_keys(&a), d)))
            .collect();
        let ours: BTreeSet<(String, String)> = deps
            .iter()
            .flat_map(|(a, ds)| ds.iter().map(|d| (without_keys(a), without_keys(d))))
            .collect();
        assert_eq!(ours, theirs);
        w.terraform(&["init", "-backend=false", "-no-color"]).ok();
        w.terraform(&["plan", "-detailed-exitcode", "-no-color"])
            .code(0);
    }

    // Destroying goes the other way round: a dependent first.
    let destroy = w.cairn(&["destroy", "-auto-approve", "-parallelism=1"]);
    destroy.ok().contains("6 destroyed");
    let gone = |a: &str| line_of(&destroy.stdout, &format!("{a}: Destruction complete"));
    let begin = |a: &str| line_of(&destroy.stdout, &format!("{a}: Destroying..."));
    for &(addr, d) in &instance_deps {
        assert!(
            gone(addr) < begin(d),
            "{addr} before {d}:\n{}",
            destroy.stdout
        );
    }
    assert!(instances(&w).is_empty());
}

#[test]
fn module_outputs_depending_on_each_other_are_a_cycle() {
    let w = Work::fixture("modules/mutual");
    // Now a's id uses its peer argument (b's label), and b's label its upstream (a's id).
    let a = w.read("modules/a/main.tf").unwrap_or_default();
    w.write(
        "modules/a/main.tf",
        &a.replace(
            "value = terraform_data.first.output",
            "value = \"${terraform_data.first.output}-${var.peer}\"",
        ),
    );
    let b = w.read("modules/b/main.tf").unwrap_or_default();
    w.write(
        "modules/b/main.tf",
        &b.replace(
            "value = terraform_data.tag.output",
            "value = \"${terraform_data.tag.output}-${var.upstream}\"",
        ),
    );
    for cmd in ["validate", "plan"] {
        w.cairn(&[cmd])
            .code(1)
            .contains("Cycle")
            .contains("module.a.output.id")
            .contains("module.a.var.peer")
            .contains("module.b.output.label")
            .contains("module.b.var.upstream refers to module.a.output.id");
    }
    assert!(!w.exists("terraform.tfstate"));
    if have_terraform("module_outputs_depending_on_each_other_are_a_cycle") {
        w.terraform(&["init", "-backend=false", "-no-color"]).ok();
        w.terraform(&["plan", "-no-color"])
            .code(1)
            .contains("Cycle: ")
            .contains("module.a.output.id")
            .contains("module.b.var.upstream");
    }
}
