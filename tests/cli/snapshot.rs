//! CLI output pinned with insta: exit code, standard output and standard error of commands run
//! on fixtures under `testdata/cli/`, with generated identifiers filtered out.

use crate::support::Work;

fn transcript(case: &str, args: &[&str]) -> String {
    let w = Work::fixture(&format!("cli/{case}"));
    let r = w.cairn(args);
    format!(
        "exit: {}\n--- stdout\n{}\n--- stderr\n{}",
        r.code, r.stdout, r.stderr
    )
}

macro_rules! check {
    ($name:ident, $case:expr, $args:expr) => {
        #[test]
        fn $name() {
            let out = transcript($case, $args);
            insta::with_settings!({
                filters => vec![
                    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
                ],
                prepend_module_to_snapshot => false,
            }, {
                insta::assert_snapshot!(stringify!($name), out);
            });
        }
    };
}

check!(plan_create, "plan-create", &["plan", "-input=false"]);
check!(
    plan_create_detailed_exitcode,
    "plan-create",
    &["plan", "-detailed-exitcode", "-no-color"]
);
check!(config_errors_are_all_reported, "config-errors", &["plan"]);
check!(
    validate_reports_errors_as_json,
    "config-errors",
    &["validate", "-json"]
);
check!(cycle_names_every_resource, "cycle", &["plan"]);
check!(count_unknown_until_apply, "invalid-count", &["plan"]);
