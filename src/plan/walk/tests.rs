//! The planning walk on several threads makes the plan, and reports the errors, that it makes
//! on one.

use super::*;
use crate::cli::registry::Builtin;

/// Independent resources (planned together), a chain through them, a local, and resources
/// with many instances (planned together) by `count` and `for_each`;
/// with errors, also a resource whose precondition fails, one depending on it (not planned)
/// and one using an undeclared local.
fn config_text(errors: bool) -> String {
    let mut t = String::from(
        "locals {\n  prefix = \"p-${upper(\"x\")}\"\n}\n\
         resource \"terraform_data\" \"counted\" {\n  count = 40\n  input = \"${local.prefix}-${count.index}\"\n}\n\
         resource \"terraform_data\" \"each\" {\n  for_each = toset([for i in range(30) : \"k${i}\"])\n  input    = [each.key, terraform_data.counted[length(each.key)].input]\n}\n",
    );
    if errors {
        t.push_str(
            "resource \"terraform_data\" \"bad\" {\n  input = 1\n  lifecycle {\n    precondition {\n      condition     = local.prefix == \"nope\"\n      error_message = \"The prefix is wrong.\"\n    }\n  }\n}\n\
             resource \"terraform_data\" \"after_bad\" {\n  input = terraform_data.bad.output\n}\n\
             resource \"terraform_data\" \"typo\" {\n  input = local.nothing\n}\n",
        );
    }
    for i in 0..60 {
        t.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = {{ name = format(\"%s-%03d\", local.prefix, {i}), n = {i} }}\n}}\n"
        ));
    }
    for i in 0..20 {
        let from = if i == 0 {
            "terraform_data.r59.output.name".to_string()
        } else {
            format!("terraform_data.c{}.output", i - 1)
        };
        t.push_str(&format!(
            "resource \"terraform_data\" \"c{i}\" {{\n  input = {from}\n}}\n"
        ));
    }
    t
}

/// The planned changes (as JSON) and the errors, in order.
async fn plan_of(dir: &std::path::Path) -> (String, Vec<String>) {
    let (config, diags) = crate::config::load_dir(dir);
    assert!(!diags.has_errors(), "{diags:?}");
    let opts = Options {
        refresh: true,
        ..Options::default()
    };
    match plan(&config, State::default(), &Builtin::new(), &opts).await {
        Ok(p) => (
            serde_json::to_string(&p.plan.changes).unwrap_or_default(),
            p.warnings.iter().map(|d| d.summary.clone()).collect(),
        ),
        Err(ds) => (
            String::new(),
            ds.iter()
                .map(|d| format!("{}: {}", d.summary, d.detail))
                .collect(),
        ),
    }
}

/// Plans `config_text(errors)` on a runtime with one thread and on one with two.
fn on_one_and_several_threads(errors: bool) -> [(String, Vec<String>); 2] {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), config_text(errors)).unwrap();
    let one = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(plan_of(dir.path()));
    let several = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(plan_of(dir.path()));
    [one, several]
}

#[test]
fn several_threads_plan_as_one_does() {
    let [one, several] = on_one_and_several_threads(false);
    assert!(one.0.contains("\"p-X-059\""));
    assert!(one.0.contains("\"k29\""));
    assert!(one.1.is_empty(), "{:?}", one.1);
    assert!(one == several, "the plans differ");
}

#[test]
fn several_threads_report_the_errors_one_does_in_its_order() {
    let [one, several] = on_one_and_several_threads(true);
    assert!(
        one.1.iter().any(|e| e.contains("The prefix is wrong.")),
        "{:?}",
        one.1
    );
    assert!(
        one.1.iter().any(|e| e.contains("\"nothing\"")),
        "{:?}",
        one.1
    );
    assert_eq!(one.1, several.1);
}

/// Plans `text` on one thread: the planned changes (as JSON) and the errors.
fn plan_text(text: &str) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(plan_of(dir.path()))
}

#[test]
fn one_instance_of_a_resource_is_the_element_of_the_whole() {
    let base = "resource \"terraform_data\" \"a\" {\n  count = 3\n  input = \"x${count.index}\"\n}\n\
                resource \"terraform_data\" \"e\" {\n  for_each = toset([\"p\", \"q\"])\n  input = \"y${each.key}\"\n}\n";
    // Each way of naming instance 1 of `a` and "q" of `e`: looked up alone, or (a string
    // index of a `count`, a fractional index) through the whole value.
    let (changes, errors) = plan_text(&format!(
        "{base}resource \"terraform_data\" \"b\" {{\n  input = [terraform_data.a[1].input, terraform_data.a[\"1\"].input, terraform_data.a[1.0].input, (terraform_data.a[*].input)[1], terraform_data.e[\"q\"].input, terraform_data.e.q.input]\n}}\n"
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        changes.contains(r#"{"t":"tuple","v":[{"t":"string","v":"x1"},{"t":"string","v":"x1"},{"t":"string","v":"x1"},{"t":"string","v":"x1"},{"t":"string","v":"yq"},{"t":"string","v":"yq"}]}"#),
        "{changes}"
    );
    for (index, error) in [
        ("terraform_data.a[7].input", "Invalid index"),
        ("terraform_data.a[-1].input", "Invalid index"),
        ("terraform_data.e[\"z\"].input", "Invalid index"),
        ("terraform_data.a[local.nope].input", "undeclared local"),
    ] {
        let (_, errors) = plan_text(&format!(
            "{base}resource \"terraform_data\" \"b\" {{\n  input = {index}\n}}\n"
        ));
        assert!(
            errors.len() == 1 && errors[0].contains(error),
            "{index}: {errors:?}"
        );
    }
}

/// A registry of the mock provider (`cairn/mock`) on one shared world, answering
/// `state_only` as told.
struct Mocks(cairn_provider::testing::WorldHandle, bool);

impl crate::plan::providers::Registry for Mocks {
    fn instantiate(&self, source: &str) -> Option<Box<dyn cairn_provider::Provider>> {
        (crate::plan::providers::qualify_source(source) == MOCK).then(|| {
            let mut p = cairn_provider::testing::MockProvider::new(self.0.clone());
            p.state_only = self.1;
            Box::new(p) as Box<dyn cairn_provider::Provider>
        })
    }
    fn sources(&self) -> Vec<String> {
        vec![MOCK.to_string()]
    }
}

const MOCK: &str = "registry.terraform.io/cairn/mock";

/// A state holding `mock_thing` objects, each `(name, id, value)`.
fn mock_state(things: &[(&str, &str, &str)]) -> State {
    let resources: Vec<String> = things
        .iter()
        .map(|(name, id, value)| {
            format!(
                r#"{{"mode":"managed","type":"mock_thing","name":"{name}","provider":"provider[\"{MOCK}\"]","instances":[{{"schema_version":0,"attributes":{{"id":"{id}","name":"{name}","secret":null,"value":"{value}"}},"sensitive_attributes":[]}}]}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"l","outputs":{{}},"resources":[{}],"check_results":null}}"#,
        resources.join(",")
    );
    crate::state::format::read(text.as_bytes(), "test.tfstate").unwrap()
}

/// Plans `text` (which uses the mock provider) against `state`.
fn plan_mock(text: &str, state: State, registry: &Mocks, opts: &Options) -> Plan {
    let dir = tempfile::tempdir().unwrap();
    let provider =
        "terraform {\n  required_providers {\n    mock = { source = \"cairn/mock\" }\n  }\n}\n";
    std::fs::write(dir.path().join("main.tf"), format!("{provider}{text}")).unwrap();
    let (config, diags) = crate::config::load_dir(dir.path());
    assert!(!diags.has_errors(), "{diags:?}");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(plan(&config, state, registry, opts))
        .map_err(|ds| format!("{ds:?}"))
        .unwrap()
        .plan
}

#[test]
fn refresh_reads_objects_unless_they_live_only_in_the_state() {
    // `a` is gone from the mock's world: a read finds it gone.
    let text = "resource \"mock_thing\" \"a\" {\n  name  = \"a\"\n  value = \"v\"\n}\n";
    let opts = Options {
        refresh: true,
        ..Options::default()
    };
    // Plans with the provider answering `state_only` as told; the plan and how many reads.
    let run = |state_only: bool| {
        let world = cairn_provider::testing::WorldHandle::default();
        let p = plan_mock(
            text,
            mock_state(&[("a", "thing-9", "v")]),
            &Mocks(world.clone(), state_only),
            &opts,
        );
        let reads = world
            .0
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|(op, _)| *op == cairn_provider::testing::Op::Read)
            .count();
        (p, reads)
    };
    let (p, reads) = run(false);
    assert_eq!(reads, 1);
    assert_eq!(p.drift.len(), 1, "{:?}", p.drift);
    assert_eq!(p.drift[0].action, Action::Delete);
    assert_eq!(p.changes[0].action, Action::Create);

    // A type that lives only in the state is not read: its stored object is the prior one.
    let (p, reads) = run(true);
    assert_eq!(reads, 0);
    assert!(p.drift.is_empty(), "{:?}", p.drift);
    assert_eq!(p.changes[0].action, Action::NoOp);
    assert!(p.changes[0].before.is_some() && p.changes[0].after.is_some());
}

#[test]
fn a_plan_only_shown_leaves_out_the_values_of_what_does_not_change() {
    let text = "resource \"mock_thing\" \"a\" {\n  name  = \"a\"\n  value = \"same\"\n}\n\
                resource \"mock_thing\" \"b\" {\n  name  = \"b\"\n  value = \"new\"\n}\n\
                resource \"mock_thing\" \"c\" {\n  name  = \"old\"\n  value = \"same\"\n}\n\
                moved {\n  from = mock_thing.old\n  to   = mock_thing.c\n}\n";
    let state = || {
        mock_state(&[
            ("a", "thing-1", "same"),
            ("b", "thing-2", "old"),
            ("old", "thing-3", "same"),
        ])
    };
    let registry = Mocks(cairn_provider::testing::WorldHandle::default(), true);
    let changes = |omit_unchanged: bool| {
        let opts = Options {
            omit_unchanged,
            ..Options::default()
        };
        let p = plan_mock(text, state(), &registry, &opts);
        let mut changes: Vec<_> = p
            .changes
            .iter()
            .map(|c| {
                (
                    c.addr.to_string(),
                    c.action,
                    c.before.is_some(),
                    c.after.is_some(),
                )
            })
            .collect();
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        changes
    };
    let all = |a, b, c| {
        vec![
            ("mock_thing.a".to_string(), Action::NoOp, a, a),
            ("mock_thing.b".to_string(), Action::Update, b, b),
            ("mock_thing.c".to_string(), Action::NoOp, c, c),
        ]
    };
    assert_eq!(changes(false), all(true, true, true));
    // Left out for `a` only: `b` changes, and `c` moved (the plan shows the move).
    assert_eq!(changes(true), all(false, true, true));
}
