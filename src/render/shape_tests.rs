//! Snapshot tests of the human plan for plan shapes Terraform's `terraform_data` cannot produce
//! (typed schemas, data sources, drift, colour), built in code.

use std::collections::BTreeMap;

use cairn_provider::{Attribute, PathStep, Schema, Type, Value};

use super::human::{self, Options, Schemas};
use crate::addr::{InstanceAddr, InstanceKey, ModulePath, ModuleStep, ResourceAddr};
use crate::plan::{Action, Mode, OutputChange, Plan, Reason, ResourceChange};
use crate::state::State;

pub(crate) fn empty_plan() -> Plan {
    plan(Vec::new())
}

fn plan(changes: Vec<ResourceChange>) -> Plan {
    Plan {
        mode: Mode::Normal,
        changes,
        outputs: Vec::new(),
        drift: Vec::new(),
        prior_state: State::new(),
        prior_serial: 0,
        variables: BTreeMap::new(),
        targets: Vec::new(),
        refactor: Default::default(),
    }
}

fn change(
    addr: InstanceAddr,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
) -> ResourceChange {
    ResourceChange {
        addr,
        provider: "provider[\"registry.terraform.io/hashicorp/test\"]".to_string(),
        action,
        before,
        after,
        replace_paths: Vec::new(),
        reason: None,
        dependencies: Vec::new(),
        instance_dependencies: Vec::new(),
        create_before_destroy: action == Action::CreateThenDelete,
        schema_version: 0,
    }
}

fn managed(ty: &str, name: &str) -> InstanceAddr {
    ResourceAddr::managed(ty, name).instance(InstanceKey::None)
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn map(items: &[(&str, Value)]) -> Value {
    Value::Map(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn render(plan: &Plan, opts: &Options) -> String {
    let mut out = Vec::new();
    human::plan(&mut out, plan, opts).unwrap();
    String::from_utf8(out).unwrap()
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn server_schema() -> Schemas {
    let schema = Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("name", Attribute::required(Type::String))
        .attr("size", Attribute::required(Type::Number).force_new())
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("zones", Attribute::optional(Type::list(Type::String)))
        .attr("ports", Attribute::optional(Type::set(Type::Number)))
        .attr("enabled", Attribute::optional(Type::Bool))
        .attr("user_data", Attribute::optional(Type::String))
        .attr("policy", Attribute::optional(Type::String));
    let mut s = Schemas::default();
    s.resources.insert("test_server".to_string(), schema);
    s
}

fn server(
    size: i64,
    tags: Value,
    zones: &[&str],
    ports: &[i64],
    user_data: &str,
    policy: &str,
) -> Value {
    Value::object([
        ("id", s("srv-123")),
        ("name", s("web")),
        ("size", Value::number(size)),
        ("tags", tags),
        ("zones", Value::List(zones.iter().map(|z| s(z)).collect())),
        (
            "ports",
            Value::set(ports.iter().map(|p| Value::number(*p)).collect()),
        ),
        ("enabled", Value::Bool(true)),
        ("user_data", s(user_data)),
        ("policy", s(policy)),
    ])
}

#[test]
fn typed_update_and_replace() {
    let schemas = server_schema();
    let opts = Options {
        schemas: Some(&schemas),
        ..Options::default()
    };
    let before = server(
        1,
        map(&[("env", s("dev")), ("team", s("a")), ("old", s("x"))]),
        &["a", "b"],
        &[80, 443],
        "#!/bin/sh\necho one\necho two\n",
        r#"{"Version":"1","Statement":[{"Effect":"Allow"}]}"#,
    );
    let after = server(
        1,
        map(&[("env", s("prod")), ("team", s("a")), ("new", s("y"))]),
        &["a", "c", "b"],
        &[443, 8080],
        "#!/bin/sh\necho one\necho three\n",
        r#"{"Version":"1","Statement":[{"Effect":"Deny"}]}"#,
    );
    let update = change(
        managed("test_server", "web"),
        Action::Update,
        Some(before.clone()),
        Some(after),
    );

    // A force-new attribute changes: the whole server is replaced, the id becomes unknown.
    let mut replaced = match before.clone() {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    replaced.insert("size".into(), Value::number(2));
    replaced.insert("id".into(), Value::Unknown);
    let mut replace = change(
        managed("test_server", "big"),
        Action::DeleteThenCreate,
        Some(before),
        Some(Value::Object(replaced)),
    );
    replace.replace_paths = vec![vec![PathStep::Attr("size".into())]];
    replace.reason = Some(Reason::CannotUpdate);

    let out = render(&plan(vec![update, replace]), &opts);
    insta::assert_snapshot!(out);
}

#[test]
fn data_sources_reasons_and_modules() {
    let data = ResourceAddr::data("test_image", "latest").instance(InstanceKey::None);
    let mut read = change(
        data,
        Action::Read,
        None,
        Some(Value::object([
            ("id", Value::Unknown),
            ("filter", s("ubuntu-*")),
        ])),
    );
    read.reason = Some(Reason::ConfigUnknown);

    let module = ModulePath(vec![ModuleStep {
        name: "net".into(),
        key: InstanceKey::Str("eu".into()),
    }]);
    let mut in_module = ResourceAddr::managed("test_server", "web");
    in_module.module = module;
    let mut cbd = change(
        in_module.instance(InstanceKey::Int(0)),
        Action::CreateThenDelete,
        Some(Value::object([("id", s("a")), ("name", s("x"))])),
        Some(Value::object([("id", Value::Unknown), ("name", s("x"))])),
    );
    cbd.reason = Some(Reason::ByTriggers);

    let mut gone = change(
        ResourceAddr::managed("test_server", "each").instance(InstanceKey::Str("a\"b".into())),
        Action::Delete,
        Some(Value::object([("id", s("e1"))])),
        None,
    );
    gone.reason = Some(Reason::EachKey);
    // Deleting a data source is not shown.
    let data_delete = change(
        ResourceAddr::data("test_image", "old").instance(InstanceKey::None),
        Action::Delete,
        Some(Value::object([("id", s("i"))])),
        None,
    );
    let noop = change(
        managed("test_server", "same"),
        Action::NoOp,
        Some(Value::object([("id", s("same"))])),
        Some(Value::object([("id", s("same"))])),
    );
    let out = render(
        &plan(vec![cbd, gone, read, data_delete, noop]),
        &Options::default(),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn drift_then_changes() {
    let mut p = plan(vec![change(
        managed("test_server", "web"),
        Action::Update,
        Some(Value::object([("id", s("1")), ("size", Value::number(2))])),
        Some(Value::object([("id", s("1")), ("size", Value::number(1))])),
    )]);
    p.drift = vec![
        change(
            managed("test_server", "web"),
            Action::Update,
            Some(Value::object([("id", s("1")), ("size", Value::number(1))])),
            Some(Value::object([("id", s("1")), ("size", Value::number(2))])),
        ),
        change(
            managed("test_server", "lost"),
            Action::Delete,
            Some(Value::object([("id", s("2"))])),
            None,
        ),
    ];
    insta::assert_snapshot!(render(&p, &Options::default()));
}

#[test]
fn no_changes_variants() {
    let drifted = change(
        managed("test_server", "web"),
        Action::Update,
        Some(Value::object([("id", s("1")), ("size", Value::number(1))])),
        Some(Value::object([("id", s("1")), ("size", Value::number(2))])),
    );
    let mut out = String::new();
    for (mode, drift) in [
        (Mode::Normal, vec![]),
        // With nothing to do, drift is not worth showing in a normal plan.
        (Mode::Normal, vec![drifted.clone()]),
        (Mode::Destroy, vec![]),
        (Mode::RefreshOnly, vec![]),
        (Mode::RefreshOnly, vec![drifted]),
    ] {
        let mut p = plan(vec![]);
        p.mode = mode;
        p.drift = drift;
        out.push_str(&format!("=== {mode:?}, {} drifted\n", p.drift.len()));
        out.push_str(&render(&p, &Options::default()));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn outputs_only_and_narrow_width() {
    let mut p = plan(vec![]);
    p.outputs = vec![
        OutputChange {
            name: "password".into(),
            action: Action::Delete,
            before: Some(s("hunter2")),
            after: None,
            sensitive: true,
        },
        OutputChange {
            name: "endpoint".into(),
            action: Action::Update,
            before: Some(s("a.example")),
            after: Some(Value::Unknown),
            sensitive: false,
        },
        OutputChange {
            name: "ports".into(),
            action: Action::Create,
            before: None,
            after: Some(Value::List(vec![Value::number(80), Value::Unknown])),
            sensitive: false,
        },
        OutputChange {
            name: "unchanged-but-long".into(),
            action: Action::NoOp,
            before: Some(s("x")),
            after: Some(s("x")),
            sensitive: false,
        },
    ];
    let out = render(
        &p,
        &Options {
            width: 40,
            ..Options::default()
        },
    );
    assert!(!out.contains("hunter2"));
    insta::assert_snapshot!(out);
}

#[test]
fn sensitive_values_never_appear() {
    let secret = || s("hunter2").mark_sensitive();
    let before = Value::object([
        ("id", s("1")),
        ("password", secret()),
        ("list", Value::List(vec![s("a"), secret()])),
        ("map", map(&[("k", secret()), ("plain", s("p"))])),
        (
            "whole",
            Value::object([("inner", s("hunter2"))]).mark_sensitive(),
        ),
        ("multi", s("hunter2\nline").mark_sensitive()),
    ]);
    let after = Value::object([
        ("id", s("1")),
        ("password", s("hunter3").mark_sensitive()),
        ("list", Value::List(vec![s("a"), secret(), s("b")])),
        (
            "map",
            map(&[("k", Value::Unknown.mark_sensitive()), ("plain", s("q"))]),
        ),
        (
            "whole",
            Value::object([("inner", s("hunter3"))]).mark_sensitive(),
        ),
        ("multi", s("hunter2").mark_sensitive()),
    ]);
    let mut p = plan(vec![
        change(
            managed("test_server", "web"),
            Action::Update,
            Some(before.clone()),
            Some(after),
        ),
        change(
            managed("test_server", "gone"),
            Action::Delete,
            Some(before),
            None,
        ),
    ]);
    p.outputs = vec![OutputChange {
        name: "nested".into(),
        action: Action::Create,
        before: None,
        after: Some(Value::object([("pw", secret())])),
        sensitive: false,
    }];
    let out = render(&p, &Options::default());
    assert!(!out.contains("hunter"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn colour_repeats_the_text() {
    let mut c = change(
        managed("test_server", "web"),
        Action::DeleteThenCreate,
        Some(Value::object([
            ("id", s("1")),
            ("size", Value::number(1)),
            ("gone", s("x")),
        ])),
        Some(Value::object([
            ("id", Value::Unknown),
            ("size", Value::number(2)),
        ])),
    );
    c.replace_paths = vec![vec![PathStep::Attr("size".into())]];
    let p = plan(vec![
        c,
        change(
            managed("test_server", "new"),
            Action::Create,
            None,
            Some(Value::object([("size", Value::number(1))])),
        ),
    ]);
    let plain = render(&p, &Options::default());
    let coloured = render(
        &p,
        &Options {
            color: true,
            ..Options::default()
        },
    );
    assert_ne!(plain, coloured);
    assert_eq!(strip_ansi(&coloured), plain);
    insta::assert_snapshot!(coloured);
}

#[test]
fn unknowns_inside_collections() {
    let before = Value::object([
        ("id", s("1")),
        ("list", Value::List(vec![s("a"), s("b")])),
        (
            "obj",
            Value::object([("x", Value::number(1)), ("y", s("keep"))]),
        ),
        ("tags", map(&[("a", s("1"))])),
    ]);
    let after = Value::object([
        ("id", s("1")),
        ("list", Value::List(vec![s("a"), Value::Unknown])),
        ("obj", Value::Unknown),
        ("tags", map(&[("a", s("1")), ("b", Value::Unknown)])),
        ("fresh", Value::Unknown),
    ]);
    let p = plan(vec![change(
        managed("test_server", "web"),
        Action::Update,
        Some(before),
        Some(after),
    )]);
    insta::assert_snapshot!(render(&p, &Options::default()));
}

fn firewall_schema() -> Schemas {
    use cairn_provider::{BlockNesting, NestedBlock};
    let rule = Schema::new()
        .attr("port", Attribute::required(Type::Number))
        .attr("cidr", Attribute::required(Type::String));
    let schema = Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("description", Attribute::optional(Type::String))
        .block(
            "ingress",
            NestedBlock {
                nesting: BlockNesting::Set,
                block: rule.clone(),
                ..NestedBlock::default()
            },
        )
        .block(
            "egress",
            NestedBlock {
                nesting: BlockNesting::List,
                block: rule,
                ..NestedBlock::default()
            },
        )
        .block(
            "settings",
            NestedBlock {
                nesting: BlockNesting::Single,
                block: Schema::new().attr("mode", Attribute::optional(Type::String)),
                force_new: true,
                ..NestedBlock::default()
            },
        );
    let mut s = Schemas::default();
    s.resources.insert("test_firewall".to_string(), schema);
    s
}

fn rule(port: i64, cidr: &str) -> Value {
    Value::object([("port", Value::number(port)), ("cidr", s(cidr))])
}

fn firewall(ingress: Vec<Value>, egress: Vec<Value>, mode: &str) -> Value {
    Value::object([
        ("id", s("fw-1")),
        ("description", s("edge")),
        ("ingress", Value::set(ingress)),
        ("egress", Value::List(egress)),
        ("settings", Value::object([("mode", s(mode))])),
    ])
}

#[test]
fn nested_blocks() {
    let schemas = firewall_schema();
    let opts = Options {
        schemas: Some(&schemas),
        ..Options::default()
    };
    let before = firewall(
        vec![rule(22, "10.0.0.0/8"), rule(80, "0.0.0.0/0")],
        vec![rule(0, "0.0.0.0/0")],
        "strict",
    );
    let update = change(
        managed("test_firewall", "edge"),
        Action::Update,
        Some(before.clone()),
        Some(firewall(
            vec![rule(22, "10.0.0.0/8"), rule(443, "0.0.0.0/0")],
            vec![rule(0, "0.0.0.0/0")],
            "strict",
        )),
    );
    let mut replace = change(
        managed("test_firewall", "core"),
        Action::DeleteThenCreate,
        Some(before.clone()),
        Some(firewall(
            vec![],
            vec![rule(0, "0.0.0.0/0"), rule(53, "8.8.8.8/32")],
            "open",
        )),
    );
    replace.replace_paths = vec![vec![PathStep::Attr("settings".into())]];
    let create = change(
        managed("test_firewall", "new"),
        Action::Create,
        None,
        Some(before),
    );
    let out = render(&plan(vec![update, replace, create]), &opts);
    insta::assert_snapshot!(out);
}

#[test]
fn wholly_sensitive_objects_stay_hidden() {
    let secret = Value::object([("id", s("1")), ("token", s("hunter2"))]).mark_sensitive();
    let p = plan(vec![change(
        managed("test_server", "whole"),
        Action::Update,
        Some(secret.clone()),
        Some(secret),
    )]);
    let out = render(&p, &Options::default());
    assert!(!out.contains("hunter2"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn notes_after_the_plan() {
    let mut out = Vec::new();
    human::horizontal_rule(&mut out, &Options::default()).unwrap();
    human::unsaved_plan_note(&mut out, &Options::default()).unwrap();
    human::saved_plan_note(&mut out, "my plan").unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

/// A plan of more changes than one batch renders each change once, in order, whatever the
/// batches (rendered on several threads) it is cut into.
#[test]
fn large_plans_keep_every_change_in_order() {
    let schemas = server_schema();
    let opts = Options {
        schemas: Some(&schemas),
        ..Options::default()
    };
    for n in [255, 256, 1_100] {
        let changes: Vec<ResourceChange> = (0..n)
            .map(|i| {
                let after = server(i, map(&[]), &[], &[], "", "");
                change(
                    managed("test_server", &format!("s{i:04}")),
                    Action::Create,
                    None,
                    Some(after),
                )
            })
            .collect();
        let out = render(&plan(changes), &opts);
        let headers: Vec<&str> = out
            .lines()
            .filter(|l| l.trim_start().starts_with("# test_server."))
            .collect();
        assert_eq!(headers.len(), n as usize, "one header per change");
        for (i, h) in headers.iter().enumerate() {
            assert_eq!(h.trim(), format!("# test_server.s{i:04} will be created"));
        }
        assert!(out.contains(&format!("Plan: {n} to add, 0 to change, 0 to destroy.")));
    }
}
