//! Tests of the `lang` module: the data-driven table in `testdata/eval/cases.txt` (expected
//! results produced by `terraform console`), and direct tests of what the table cannot show:
//! unknown and sensitive propagation, references, body evaluation against schemas.

use std::collections::HashMap;
use std::path::PathBuf;

use cairn_provider::{Attribute, BlockNesting, NestedBlock, Schema, Type, Value};

use super::{Reference, Scope, Subject, body_references, eval, eval_body, references};
use crate::addr::ResourceAddr;
use crate::config::{Body, Expr};
use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};

/// A scope backed by a table of subjects.
#[derive(Default)]
pub(super) struct TestScope {
    pub(super) values: HashMap<Subject, Value>,
    /// Static types of subjects (declared variable types, inferred local types).
    pub(super) types: HashMap<Subject, Type>,
    pub(super) planning: bool,
}

impl TestScope {
    pub(super) fn with(mut self, s: Subject, v: Value) -> TestScope {
        self.values.insert(s, v);
        self
    }
}

impl Scope for TestScope {
    fn impure_unknown(&self) -> bool {
        self.planning
    }

    fn static_type(&self, subject: &Subject) -> Type {
        self.types.get(subject).cloned().unwrap_or(Type::Any)
    }

    fn resolve(&self, subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        if let Some(v) = self.values.get(subject) {
            return Ok(v.clone());
        }
        let (summary, detail) = match subject {
            Subject::Var(n) => ("Reference to undeclared input variable", format!("An input variable with the name {n:?} has not been declared.")),
            Subject::Local(n) => ("Reference to undeclared local value", format!("A local value with the name {n:?} has not been declared.")),
            Subject::Resource(r) => ("Reference to undeclared resource", format!("A managed resource {r} has not been declared in the root module.")),
            Subject::Module(n) => ("Reference to undeclared module", format!("No module call named {n:?} is declared.")),
            Subject::CountIndex => ("Reference to \"count\" in non-counted context", "The \"count\" object can only be used in \"module\", \"resource\", and \"data\" blocks, and only when the \"count\" argument is set.".to_string()),
            Subject::EachKey | Subject::EachValue => ("Reference to \"each\" in context without for_each", "The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only when the \"for_each\" argument is set.".to_string()),
            _ => ("Invalid reference", format!("{subject:?} is not available here.")),
        };
        Err(Diagnostic::error(summary, detail).at_opt(span.cloned()))
    }
}

fn parse(src: &str) -> Expr {
    let mut sm = SourceMap::new();
    let file = sm.add("test.tf", src);
    let expr = hcl_edit::parser::parse_expr(src).unwrap_or_else(|e| panic!("parse {src:?}: {e}"));
    Expr::from_hcl(file, &expr)
}

fn parse_body(src: &str) -> Body {
    let mut sm = SourceMap::new();
    let file = sm.add("test.tf", src);
    let body = hcl_edit::parser::parse_body(src).unwrap_or_else(|e| panic!("parse {src:?}: {e}"));
    Body {
        file,
        body: crate::lang::ast::from_hcl::body(&body),
    }
}

fn ev(src: &str, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    eval(&parse(src), scope)
}

fn ev_ok(src: &str) -> Value {
    ev(src, &prelude_scope()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn ev_err(src: &str, scope: &dyn Scope) -> String {
    match ev(src, scope) {
        Ok(v) => panic!("{src}: expected an error, got {v:?}"),
        Err(d) => d.0[0].summary.clone(),
    }
}

// ---- the oracle table ----

/// Variables and locals every case can use; the same text is given to Terraform.
const PRELUDE: &[(&str, &str)] = &[
    ("s", "\"hello\""),
    ("n", "5"),
    ("l", "[\"a\", \"b\", \"c\"]"),
    ("m", "{ a = 1, b = 2 }"),
    ("objs", "[{ name = \"x\", v = 1 }, { name = \"y\", v = 2 }]"),
    ("secret", "\"hunter2\""),
    ("nul", "null"),
];

/// Variables with a declared type (name, type, default), also given to every case: `snul` is a
/// null string, `lnul` a null list of strings (typed nulls, unlike `nul`).
const TYPED_PRELUDE: &[(&str, &str, &str)] = &[
    ("snul", "string", "null"),
    ("lnul", "list(string)", "null"),
    ("ts", "string", "\"typed\""),
];

pub(super) fn prelude_tf() -> String {
    let mut out = String::new();
    for (name, default) in PRELUDE {
        let sensitive = if *name == "secret" {
            "\n  sensitive = true"
        } else {
            ""
        };
        out.push_str(&format!(
            "variable \"{name}\" {{\n  default = {default}{sensitive}\n}}\n"
        ));
    }
    for (name, ty, default) in TYPED_PRELUDE {
        out.push_str(&format!(
            "variable \"{name}\" {{\n  type    = {ty}\n  default = {default}\n}}\n"
        ));
    }
    // `local.u` is unknown until apply (the console runs with -plan).
    out.push_str("resource \"terraform_data\" \"u\" {\n  input = \"x\"\n}\n");
    out.push_str("locals {\n  greeting = \"hi\"\n  u = terraform_data.u.id\n}\n");
    out
}

pub(super) fn prelude_scope() -> TestScope {
    let mut scope = TestScope::default()
        .with(Subject::Local("greeting".into()), Value::string("hi"))
        .with(Subject::Local("u".into()), Value::Unknown)
        .with(Subject::Path("module".into()), Value::string("."))
        .with(Subject::Path("root".into()), Value::string("."))
        .with(Subject::TerraformWorkspace, Value::string("default"));
    scope.planning = true;
    for (name, default) in PRELUDE {
        let mut v = eval(&parse(default), &TestScope::default()).expect("prelude");
        if *name == "secret" {
            v = v.mark_sensitive();
        }
        scope.values.insert(Subject::Var((*name).into()), v);
    }
    for (name, ty, default) in TYPED_PRELUDE {
        let v = eval(&parse(default), &TestScope::default()).expect("prelude");
        let ty = parse_type(&hcl_edit::parser::parse_expr(ty).expect("type"));
        scope.values.insert(Subject::Var((*name).into()), v);
        scope.types.insert(Subject::Var((*name).into()), ty);
    }
    // `terraform_data.u.id` is a string.
    scope.types.insert(Subject::Local("u".into()), Type::String);
    scope
}

struct Case {
    expr: String,
    expected: String,
    /// Line of the `=>` in the file, for messages.
    line: usize,
}

fn cases_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/eval/cases.txt")
}

fn read_cases(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("=> ") {
            cases.push(Case {
                expr: cur.join("\n"),
                expected: rest.to_string(),
                line: i + 1,
            });
            cur.clear();
        } else if cur.is_empty() && (line.trim().is_empty() || line.starts_with('#')) {
            continue;
        } else {
            cur.push(line);
        }
    }
    cases
}

/// What Terraform's console shows for `jsonencode(v)`, in the table's notation.
pub(super) fn show(r: &Result<Value, Diagnostics>) -> String {
    match r {
        Err(d) => format!(
            "error: {}",
            d.0.first().map(|d| d.summary.as_str()).unwrap_or("?")
        ),
        Ok(v) if !v.is_wholly_known() => "(known after apply)".into(),
        Ok(v) if v.contains_sensitive() => "(sensitive value)".into(),
        Ok(v) => {
            let f = super::functions::lookup("jsonencode").expect("jsonencode");
            let ctx = super::functions::Ctx {
                scope: &TestScope::default(),
            };
            match super::functions::call(f, vec![v.clone()], &ctx) {
                Ok(Value::String(s)) => s,
                // Infinities cannot be written as JSON.
                Err(super::functions::FnError::Call(_)) => "error: Error in function call".into(),
                other => format!("jsonencode failed: {other:?}"),
            }
        }
    }
}

#[test]
fn eval_cases_match_terraform() {
    check_table(&cases_path(), 150);
}

fn numbers_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/eval/numbers.txt")
}

/// Arbitrary-precision arithmetic, conversions and number functions against Terraform.
#[test]
fn number_cases_match_terraform() {
    check_table(&numbers_path(), 80);
}

/// Regenerates the expected results of `testdata/eval/numbers.txt` with `terraform console`.
/// Runs only when `CAIRN_REGEN_EVAL=1` (see scripts/regen-eval-cases.sh).
#[test]
fn regen_number_cases() {
    regen_table(&numbers_path(), &|case| terraform_result(&case.join("\n")));
}

/// Evaluates every case of the table at `path` (at least `min` of them) against the prelude
/// and compares with what Terraform printed.
fn check_table(path: &std::path::Path, min: usize) {
    let text = std::fs::read_to_string(path).expect("read cases");
    let cases = read_cases(&text);
    assert!(cases.len() > min, "only {} cases", cases.len());
    let scope = prelude_scope();
    let mut failures = Vec::new();
    for c in &cases {
        let got = match hcl_edit::parser::parse_expr(&c.expr) {
            Ok(expr) => show(&eval(&Expr::from_hcl(0, &expr), &scope)),
            Err(e) => format!("parse error: {e}"),
        };
        if got != c.expected {
            failures.push(format!(
                "line {}: {}\n   expected: {}\n        got: {}",
                c.line, c.expr, c.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Regenerates the expected results of `testdata/eval/cases.txt` with `terraform console`.
/// Runs only when `CAIRN_REGEN_EVAL=1` (see scripts/regen-eval-cases.sh).
#[test]
fn regen_eval_cases() {
    regen_table(&cases_path(), &|case| terraform_result(&case.join("\n")));
}

/// Rewrites the expected results (`=> ...` lines) of a case table at `path`, each computed by
/// `result` from the case's lines. Runs only when `CAIRN_REGEN_EVAL=1` and terraform is installed.
pub(super) fn regen_table(path: &std::path::Path, result: &dyn Fn(&[&str]) -> String) {
    if std::env::var("CAIRN_REGEN_EVAL").as_deref() != Ok("1") {
        return;
    }
    if std::process::Command::new("terraform")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("skipped: terraform not found");
        return;
    }
    let text = std::fs::read_to_string(path).expect("read the case table");
    let mut out = String::new();
    let mut cur: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.starts_with("=> ") {
            out.push_str(&format!("=> {}\n", result(&cur)));
            cur.clear();
            continue;
        }
        if !(cur.is_empty() && (line.trim().is_empty() || line.starts_with('#'))) {
            cur.push(line);
        }
        out.push_str(line);
        out.push('\n');
    }
    std::fs::write(path, out).expect("write the case table");
}

fn terraform_result(expr: &str) -> String {
    let tf = format!("{}locals {{\n  v = {expr}\n}}\n", prelude_tf());
    terraform_console(&tf, "jsonencode(local.v)", false)
}

/// Runs `terraform console` on `input` in a fresh directory holding `main_tf`, and renders what
/// it printed in the tables' notation. With `detail`, an error is shown by the part of its
/// detail after "type constraint: " instead of its summary.
fn terraform_console(main_tf: &str, input: &str, detail: bool) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    terraform_console_in(dir.path(), main_tf, input, detail)
}

/// Like [`terraform_console`], in a directory the caller prepared.
pub(super) fn terraform_console_in(
    dir: &std::path::Path,
    main_tf: &str,
    input: &str,
    detail: bool,
) -> String {
    std::fs::write(dir.join("main.tf"), main_tf).expect("write main.tf");
    let mut child = std::process::Command::new("terraform")
        .args(["console", "-plan", "-no-color"])
        .current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run terraform");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        let _ = stdin.write_all(format!("{input}\n").as_bytes());
    }
    let output = child.wait_with_output().expect("terraform output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let all: Vec<&str> = stderr.lines().chain(stdout.lines()).collect();
    if detail && let Some(i) = all.iter().position(|l| l.contains("type constraint:")) {
        let mut parts = vec![all[i].split("type constraint:").nth(1).unwrap_or("").trim()];
        for l in &all[i + 1..] {
            if l.trim().is_empty() {
                break;
            }
            parts.push(l.trim());
        }
        let msg = parts.join(" ");
        return format!("error: {}", msg.trim().trim_end_matches('.'));
    }
    for line in &all {
        if let Some(summary) = line
            .trim_start_matches(['│', ' ', '╷'])
            .strip_prefix("Error: ")
        {
            return format!("error: {}", summary.trim());
        }
    }
    // The console sometimes reports waiting for the state lock before the value.
    let kept: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("Acquiring state lock"))
        .collect();
    let kept = kept.join("\n");
    let shown = kept.trim();
    if shown == "(sensitive value)" || shown == "(known after apply)" {
        return shown.to_string();
    }
    unquote_hcl(shown).unwrap_or_else(|| format!("unparsed: {shown}"))
}

/// Undoes the quoting of a string as `terraform console` prints it.
fn unquote_hcl(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'u' => {
                    let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            '$' | '%' if chars.peek() == Some(&c) => {
                chars.next();
                if chars.peek() == Some(&'{') {
                    out.push(c);
                } else {
                    out.push(c);
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

// ---- unknown values ----

fn unknown_scope() -> TestScope {
    prelude_scope()
        .with(Subject::Var("u".into()), Value::Unknown)
        .with(
            Subject::Var("ul".into()),
            Value::Tuple(vec![Value::string("a"), Value::Unknown]),
        )
        .with(
            Subject::Resource(ResourceAddr::managed("terraform_data", "d")),
            Value::object([("id", Value::Unknown), ("input", Value::string("in"))]),
        )
}

#[test]
fn unknowns_propagate_through_operations() {
    let scope = unknown_scope();
    for src in [
        "var.u",
        "var.u + 1",
        "var.u == 1",
        "var.ul == [\"a\", \"b\"]",
        "!var.u",
        "var.u ? 1 : 2",
        "\"x${var.u}\"",
        "[for x in var.u : x]",
        "{for k, v in var.u : k => v}",
        "upper(var.u)",
        "join(\",\", var.ul)",
        "var.u.attr",
        "var.u[0]",
        "var.l[var.u]",
        "var.u[*].id",
        "terraform_data.d.id",
        "\"%{if var.u}a%{endif}\"",
        "\"%{for x in var.u}${x}%{endfor}\"",
        "can(var.u)",
        "try(var.u, 1)",
        "coalesce(var.u, \"x\")",
        "[for x in var.l : x if var.u]",
        "var.u && true",
        "true || var.u",
    ] {
        let v = ev(src, &scope).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(v.is_unknown(), "{src}: expected unknown, got {v:?}");
    }
}

#[test]
fn known_parts_stay_known() {
    let scope = unknown_scope();
    let cases = [
        ("length(var.ul)", Value::number(2)),
        ("terraform_data.d.input", Value::string("in")),
        ("var.ul[0]", Value::string("a")),
        ("[var.u, 1][1]", Value::number(1)),
        ("true ? \"a\" : var.u", Value::string("a")),
        ("keys({a = var.u})", Value::Tuple(vec![Value::string("a")])),
    ];
    for (src, want) in cases {
        assert_eq!(
            ev(src, &scope).unwrap_or_else(|e| panic!("{src}: {e}")),
            want,
            "{src}"
        );
    }
    let v = ev("[for x in var.ul : x]", &scope).expect("for");
    assert_eq!(v, Value::Tuple(vec![Value::string("a"), Value::Unknown]));
    let v = ev("concat(var.ul, [\"z\"])", &scope).expect("concat");
    assert_eq!(v.as_seq().map(<[Value]>::len), Some(3));
}

#[test]
fn dynamic_block_with_unknown_for_each_is_unknown() {
    let schema = Schema::new().block(
        "rule",
        NestedBlock {
            nesting: BlockNesting::List,
            block: Schema::new().attr("port", Attribute::required(Type::Number)),
            ..NestedBlock::default()
        },
    );
    let body = parse_body(
        "dynamic \"rule\" {\n  for_each = var.u\n  content {\n    port = rule.value\n  }\n}\n",
    );
    let v = eval_body(&body, &schema, &unknown_scope()).expect("eval");
    assert_eq!(v.get_attr("rule"), Some(&Value::Unknown));
}

// ---- sensitive values ----

fn is_sensitive(v: &Value) -> bool {
    v.is_sensitive()
}

#[test]
fn sensitive_results_are_marked() {
    let scope = prelude_scope().with(
        Subject::Var("sm".into()),
        Value::object([("a", Value::number(1)), ("b", Value::number(2))]).mark_sensitive(),
    );
    for src in [
        "var.secret",
        "\"x${var.secret}\"",
        "upper(var.secret)",
        "length(var.secret)",
        "var.secret == \"x\"",
        "var.secret != null ? 1 : 2",
        "var.sm.a",
        "var.sm[\"b\"]",
        "[for k, v in var.sm : v][0]",
        "sensitive(\"plain\")",
        "var.secret ==  \"hunter2\" && true",
        "\"%{if var.secret == \"\"}a%{else}b%{endif}\"",
        "{for k, v in var.sm : k => v}",
        "jsonencode({a = var.secret})",
        "tostring(var.secret)",
    ] {
        let v = ev(src, &scope).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(is_sensitive(&v), "{src}: expected sensitive, got {v:?}");
    }
    // A collection with a sensitive element stays a collection with a marked element.
    let v = ev("[var.secret, \"b\"]", &scope).expect("tuple");
    assert!(!v.is_sensitive());
    assert_eq!(v.as_seq().map(|xs| xs[0].is_sensitive()), Some(true));
    assert_eq!(v.as_seq().map(|xs| xs[1].is_sensitive()), Some(false));
    let v = ev("{a = var.secret, b = 1}", &scope).expect("object");
    assert!(!v.is_sensitive() && v.contains_sensitive());
    // Splitting a tuple with a sensitive element does not mark unrelated elements.
    let v = ev("[var.secret, \"b\"][1]", &scope).expect("index");
    assert_eq!(v, Value::string("b"));
    let v = ev("nonsensitive(var.secret)", &scope).expect("nonsensitive");
    assert_eq!(v, Value::string("hunter2"));
}

// ---- references ----

fn refs(src: &str) -> Vec<Subject> {
    references(&parse(src))
        .into_iter()
        .map(|r| r.subject)
        .collect()
}

#[test]
fn references_are_found_everywhere() {
    let got = refs(
        "\"${var.a}-${local.b}\" == format(\"%s\", data.aws_ami.x.id) ? module.m.out : [for x in aws_instance.web[*].id : x if x != count.index]",
    );
    assert_eq!(
        got,
        vec![
            Subject::Var("a".into()),
            Subject::Local("b".into()),
            Subject::Resource(ResourceAddr::data("aws_ami", "x")),
            Subject::Module("m".into()),
            Subject::Resource(ResourceAddr::managed("aws_instance", "web")),
            Subject::CountIndex,
        ]
    );
    assert_eq!(
        refs("{for k, v in var.m : k => v if each.key != path.module}"),
        vec![
            Subject::Var("m".into()),
            Subject::EachKey,
            Subject::Path("module".into()),
        ]
    );
    assert_eq!(
        refs("var.l[local.i].x"),
        vec![Subject::Var("l".into()), Subject::Local("i".into())]
    );
    assert_eq!(
        refs("\"%{for v in var.l}${v}${each.value}%{endfor}\""),
        vec![Subject::Var("l".into()), Subject::EachValue]
    );
    assert_eq!(refs("self.id"), vec![Subject::SelfObject]);
    assert_eq!(
        refs("terraform.workspace"),
        vec![Subject::TerraformWorkspace]
    );
    assert_eq!(refs("[1, \"x\", null]"), Vec::<Subject>::new());
}

#[test]
fn reference_spans_cover_the_subject() {
    let src = "upper(var.name.first)";
    let r: Vec<Reference> = references(&parse(src));
    assert_eq!(r.len(), 1);
    let span = r[0].span.clone().expect("span");
    assert_eq!(&src[span.range], "var.name");
}

#[test]
fn body_references_include_nested_and_dynamic_blocks() {
    let body = parse_body(
        "name = var.name\nsettings {\n  size = local.size\n}\ndynamic \"rule\" {\n  for_each = var.rules\n  iterator = r\n  content {\n    port = r.value.port\n    cidr = data.x.y.cidr\n  }\n}\n",
    );
    let got: Vec<Subject> = body_references(&body)
        .into_iter()
        .map(|r| r.subject)
        .collect();
    assert_eq!(
        got,
        vec![
            Subject::Var("name".into()),
            Subject::Local("size".into()),
            Subject::Var("rules".into()),
            Subject::Resource(ResourceAddr::data("x", "y")),
        ]
    );
}

// ---- bodies ----

fn rule_schema() -> Schema {
    Schema::new()
        .attr("name", Attribute::required(Type::String))
        .attr("count_of", Attribute::optional(Type::Number))
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("anything", Attribute::optional(Type::Any))
        .attr("id", Attribute::computed(Type::String))
        .block(
            "rule",
            NestedBlock {
                nesting: BlockNesting::List,
                block: Schema::new()
                    .attr("port", Attribute::required(Type::Number))
                    .attr("proto", Attribute::optional(Type::String)),
                ..NestedBlock::default()
            },
        )
        .block(
            "settings",
            NestedBlock {
                nesting: BlockNesting::Single,
                block: Schema::new().attr("size", Attribute::optional(Type::Number)),
                ..NestedBlock::default()
            },
        )
        .block(
            "label",
            NestedBlock {
                nesting: BlockNesting::Set,
                block: Schema::new().attr("v", Attribute::required(Type::String)),
                ..NestedBlock::default()
            },
        )
}

#[test]
fn body_evaluates_to_schema_object() {
    let body = parse_body(
        "name = \"web\"\ncount_of = \"3\"\ntags = { a = 1 }\nanything = [1, \"x\"]\nrule {\n  port = 80\n}\nrule {\n  port = 443\n  proto = \"tcp\"\n}\ndynamic \"label\" {\n  for_each = [\"b\", \"a\", \"b\"]\n  content {\n    v = label.value\n  }\n}\n",
    );
    let v = eval_body(&body, &rule_schema(), &prelude_scope()).unwrap_or_else(|e| panic!("{e}"));
    let want = serde_json::json!({
        "name": "web",
        "count_of": 3,
        "tags": {"a": "1"},
        "anything": [1, "x"],
        "id": null,
        "rule": [{"port": 80, "proto": null}, {"port": 443, "proto": "tcp"}],
        "settings": null,
        "label": [{"v": "a"}, {"v": "b"}],
    });
    assert_eq!(v.to_json(), want);
    assert!(matches!(v.get_attr("tags"), Some(Value::Map(_))));
    assert!(matches!(v.get_attr("anything"), Some(Value::Tuple(_))));
    assert!(matches!(v.get_attr("label"), Some(Value::Set(_))));
}

#[test]
fn dynamic_blocks_expand_with_iterator_and_nesting() {
    let body = parse_body(
        "name = \"x\"\ndynamic \"rule\" {\n  for_each = { http = 80, https = 443 }\n  iterator = r\n  content {\n    port = r.value\n    proto = r.key\n  }\n}\nsettings {\n  size = 2\n}\n",
    );
    let v = eval_body(&body, &rule_schema(), &prelude_scope()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v.get_attr("rule").map(Value::to_json),
        Some(serde_json::json!([{"port": 80, "proto": "http"}, {"port": 443, "proto": "https"}]))
    );
    assert_eq!(
        v.get_attr("settings").map(Value::to_json),
        Some(serde_json::json!({"size": 2}))
    );
    let empty = parse_body(
        "name = \"x\"\ndynamic \"rule\" {\n  for_each = []\n  content {\n    port = 1\n  }\n}\n",
    );
    let v = eval_body(&empty, &rule_schema(), &prelude_scope()).expect("empty");
    assert_eq!(v.get_attr("rule"), Some(&Value::List(vec![])));
}

#[test]
fn nested_dynamic_blocks_see_outer_iterators() {
    let inner = Schema::new().attr("v", Attribute::required(Type::String));
    let schema = Schema::new().block(
        "outer",
        NestedBlock {
            nesting: BlockNesting::List,
            block: Schema::new()
                .attr("name", Attribute::required(Type::String))
                .block(
                    "inner",
                    NestedBlock {
                        nesting: BlockNesting::Set,
                        block: inner,
                        ..NestedBlock::default()
                    },
                ),
            ..NestedBlock::default()
        },
    );
    let src = r#"
dynamic "outer" {
  for_each = { a = ["x", "y"], b = [] }
  content {
    name = outer.key
    dynamic "inner" {
      for_each = outer.value
      iterator = i
      content {
        v = "${outer.key}-${i.value}"
      }
    }
  }
}
"#;
    let v =
        eval_body(&parse_body(src), &schema, &prelude_scope()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v.to_json(),
        serde_json::json!({"outer": [
            {"name": "a", "inner": [{"v": "a-x"}, {"v": "a-y"}]},
            {"name": "b", "inner": []},
        ]})
    );
    // Set blocks whose contents are not yet known are not merged.
    let scope = unknown_scope();
    let src = "outer {
  name = \"o\"
  inner {
    v = var.u
  }
  inner {
    v = var.u
  }
}
";
    let v = eval_body(&parse_body(src), &schema, &scope).unwrap_or_else(|e| panic!("{e}"));
    let inner = v
        .get_attr("outer")
        .and_then(|o| o.as_seq())
        .and_then(|o| o[0].get_attr("inner").cloned());
    assert_eq!(
        inner.as_ref().and_then(|i| i.as_seq()).map(<[Value]>::len),
        Some(2)
    );
}

fn body_errors(src: &str) -> Vec<String> {
    match eval_body(&parse_body(src), &rule_schema(), &prelude_scope()) {
        Ok(v) => panic!("expected errors, got {v:?}"),
        Err(d) => d.0.iter().map(|d| d.summary.clone()).collect(),
    }
}

#[test]
fn body_errors_are_collected_with_spans() {
    assert_eq!(
        body_errors("name = \"x\"\nbogus = 1\nnope {\n}\n"),
        vec!["Unsupported argument", "Unsupported block type"]
    );
    assert_eq!(
        body_errors("count_of = 1\n"),
        vec!["Missing required argument"]
    );
    assert_eq!(
        body_errors("name = \"x\"\nsettings {\n}\nsettings {\n}\n"),
        vec!["Too many settings blocks"]
    );
    assert_eq!(
        body_errors("name = \"x\"\nid = \"y\"\n"),
        vec!["Value for unconfigurable attribute"]
    );
    assert_eq!(
        body_errors("name = [1]\n"),
        vec!["Incorrect attribute value type"]
    );
    assert_eq!(
        body_errors("name = \"x\"\nrule {\n  port = \"http\"\n}\nrule {\n  bad = 1\n}\n"),
        vec![
            "Incorrect attribute value type",
            "Unsupported argument",
            "Missing required argument"
        ]
    );
    assert_eq!(
        body_errors(
            "name = \"x\"\ndynamic \"rule\" {\n  for_each = null\n  content {\n    port = 1\n  }\n}\n"
        ),
        vec!["Invalid dynamic for_each value"]
    );
    let src = "name = \"x\"\nbogus = 1\n";
    let d = eval_body(&parse_body(src), &rule_schema(), &prelude_scope()).expect_err("error");
    let span = d.0[0].span().expect("span").clone();
    assert_eq!(&src[span.range], "bogus");
}

// ---- other direct checks ----

#[test]
fn errors_carry_spans_and_summaries() {
    let scope = prelude_scope();
    let src = "upper(var.m.zz)";
    let d = ev(src, &scope).expect_err("error");
    assert_eq!(d.0[0].summary, "Unsupported attribute");
    let span = d.0[0].span().expect("span").clone();
    assert_eq!(&src[span.range], ".zz");
    assert_eq!(ev_err("0 / 0", &scope), "Operation failed");
    let d = ev("1/0 - 1/0", &scope).expect_err("error");
    assert_eq!(
        d.0[0].detail,
        "Error during operation: can't subtract infinity from itself."
    );
    // cty's remainder by zero is the dividend, not an error.
    assert_eq!(ev_ok("5 % 0"), Value::number(5));
    assert_eq!(
        ev_err("provider::aws::arn(\"x\")", &scope),
        "Unknown provider function"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}1{}", "[".repeat(60), "]".repeat(60));
    assert!(ev(&deep, &prelude_scope()).is_ok());
    // hcl-edit bounds bracket nesting (64) and operator chains (128) separately; combined they
    // nest far deeper, which evaluation must refuse rather than overflow the stack.
    let chain = vec!["1"; 120].join(" + ");
    let ok = format!("{}{chain}{}", "[".repeat(50), "]".repeat(50));
    assert!(
        ev(&ok, &prelude_scope()).is_ok(),
        "170 levels must evaluate"
    );
    // Deeper trees than the parser produces (built directly) are refused, not a stack overflow.
    use crate::lang::ast::{Decorated, Expression, Sp, UnaryOp, UnaryOperator};
    let mut deep = Expression::Bool(Decorated::new(true, Sp::NONE));
    for _ in 0..1000 {
        deep = Expression::UnaryOp(Box::new(UnaryOp {
            operator: Decorated::new(UnaryOperator::Not, Sp::NONE),
            expr: deep,
            span: Sp::NONE,
        }));
    }
    let r = eval(
        &Expr {
            file: 0,
            expr: deep,
        },
        &prelude_scope(),
    );
    assert_eq!(
        r.expect_err("too deep").0[0].summary,
        "Expression too complex"
    );
}

#[test]
fn file_functions_read_below_the_module_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hello.txt"), "hi there\n").expect("write");
    let scope = TestScope::default().with(
        Subject::Path("module".into()),
        Value::string(dir.path().to_string_lossy()),
    );
    assert_eq!(
        ev("file(\"hello.txt\")", &scope).expect("file"),
        Value::string("hi there\n")
    );
    assert_eq!(
        ev("fileexists(\"hello.txt\")", &scope).expect("exists"),
        Value::Bool(true)
    );
    assert_eq!(
        ev("fileexists(\"nope.txt\")", &scope).expect("exists"),
        Value::Bool(false)
    );
    assert_eq!(
        ev_err("file(\"nope.txt\")", &scope),
        "Invalid function argument"
    );
    assert_eq!(
        ev("filemd5(\"hello.txt\")", &scope)
            .expect("md5")
            .as_str()
            .map(str::len),
        Some(32)
    );
}

#[test]
fn templatefile_renders_with_only_its_variables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write =
        |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write(
        "list.tpl",
        "%{ for x in items ~}\n- ${x}\n%{ endfor ~}\nname=${upper(name)}\n",
    );
    write("value.tpl", "${items}");
    write("bad.tpl", "${var.x}");
    write("nested.tpl", "${templatefile(\"value.tpl\", {items = 1})}");
    let scope = TestScope::default()
        .with(
            Subject::Path("module".into()),
            Value::string(dir.path().to_string_lossy()),
        )
        .with(Subject::Var("x".into()), Value::string("outer"));
    let v = ev(
        "templatefile(\"list.tpl\", { items = [\"a\", \"b\"], name = \"n\" })",
        &scope,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v, Value::string("- a\n- b\nname=N\n"));
    // A template of a single interpolation returns the value itself, of any type.
    let v = ev("templatefile(\"value.tpl\", { items = [1, 2] })", &scope).expect("value");
    assert_eq!(v, Value::Tuple(vec![Value::number(1), Value::number(2)]));
    assert_eq!(
        ev_err("templatefile(\"bad.tpl\", {})", &scope),
        "Invalid function argument"
    );
    assert_eq!(
        ev_err("templatefile(\"nested.tpl\", {})", &scope),
        "Error in function call"
    );
    assert_eq!(
        ev_err("templatefile(\"missing.tpl\", {})", &scope),
        "Invalid function argument"
    );
    let v = ev("templatefile(\"value.tpl\", { items = var.x })", &scope).expect("outer");
    assert_eq!(v, Value::string("outer"));
}

#[test]
fn impure_functions_have_the_right_shape() {
    assert!(ev_ok("uuid()").is_unknown(), "unknown while planning");
    assert!(ev_ok("timestamp()").is_unknown(), "unknown while planning");
    let ev_ok = |src: &str| ev(src, &TestScope::default()).expect("eval");
    let u = ev_ok("uuid()");
    assert_eq!(u.as_str().map(str::len), Some(36));
    let t = ev_ok("timestamp()");
    let t = t.as_str().expect("string");
    assert!(t.ends_with('Z') && t.len() == 20, "{t}");
}

#[test]
fn every_listed_function_resolves() {
    for name in super::functions::names() {
        if matches!(name, "try" | "can" | "templatefile" | "templatestring") {
            continue;
        }
        assert!(super::functions::lookup(name).is_some(), "{name}");
    }
    assert!(super::functions::lookup("nope").is_none());
}

// ---- the conversion table ----

/// Reads a type constraint the way Terraform writes it (test support; the loader has its own).
fn parse_type(e: &hcl_edit::expr::Expression) -> Type {
    use hcl_edit::expr::{Expression as E, ObjectKey};
    match e {
        E::Variable(v) => match v.as_str() {
            "string" => Type::String,
            "number" => Type::Number,
            "bool" => Type::Bool,
            "any" => Type::Any,
            other => panic!("unknown type {other}"),
        },
        E::FuncCall(f) => {
            let arg = |i: usize| f.args.iter().nth(i).expect("type argument");
            match f.name.name.as_str() {
                "list" => Type::list(parse_type(arg(0))),
                "set" => Type::set(parse_type(arg(0))),
                "map" => Type::map(parse_type(arg(0))),
                "tuple" => match arg(0) {
                    E::Array(a) => Type::Tuple(a.iter().map(parse_type).collect()),
                    other => panic!("tuple of {other:?}"),
                },
                "object" => {
                    let E::Object(o) = arg(0) else {
                        panic!("object type needs an object")
                    };
                    let mut ot = cairn_provider::types::ObjectType::default();
                    for (k, v) in o.iter() {
                        let name = match k {
                            ObjectKey::Ident(id) => id.as_str().to_string(),
                            ObjectKey::Expression(e) => e.as_str().expect("key").to_string(),
                        };
                        match v.expr() {
                            E::FuncCall(opt) if opt.name.name.as_str() == "optional" => {
                                let mut args = opt.args.iter();
                                let t = parse_type(args.next().expect("optional type"));
                                let default = args.next().map(|d| {
                                    let v = eval(&Expr::from_hcl(0, d), &TestScope::default())
                                        .expect("default");
                                    super::convert(v, &t).expect("default fits")
                                });
                                ot.attrs.insert(name.clone(), t);
                                ot.optional.insert(name, default);
                            }
                            other => {
                                ot.attrs.insert(name, parse_type(other));
                            }
                        }
                    }
                    Type::Object(ot)
                }
                other => panic!("unknown type constructor {other}"),
            }
        }
        other => panic!("not a type: {other:?}"),
    }
}

fn convert_cases_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/eval/convert.txt")
}

#[test]
fn conversions_match_terraform() {
    let text = std::fs::read_to_string(convert_cases_path()).expect("read cases");
    let cases = read_cases(&text);
    assert!(cases.len() > 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let (ty, value) = c.expr.split_once('\n').expect("type line and value line");
        let ty = parse_type(&hcl_edit::parser::parse_expr(ty).expect("type"));
        let v = eval(&parse(value), &TestScope::default()).expect("value");
        let got = match super::convert(v, &ty) {
            Ok(v) => show(&Ok(v)),
            Err(e) => format!("error: {e}"),
        };
        if got != c.expected {
            failures.push(format!(
                "line {}: {}\n   expected: {}\n        got: {}",
                c.line, c.expr, c.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Regenerates the expected results of `testdata/eval/convert.txt` with Terraform (a variable
/// with the type constraint and the value as its default). Runs only when `CAIRN_REGEN_EVAL=1`.
#[test]
fn regen_convert_cases() {
    regen_table(&convert_cases_path(), &|case| {
        let tf = format!(
            "variable \"v\" {{\n  type = {}\n  default = {}\n}}\n",
            case[0], case[1]
        );
        terraform_console(&tf, "jsonencode(var.v)", true)
    });
}

/// Every expression of the table, evaluated with each prelude value replaced by an unknown, a
/// sensitive version, a null, and values of other kinds, must produce a value or diagnostics:
/// never a panic. Results must also keep their marks: a sensitive input never yields a plain
/// string equal to the secret (unless `nonsensitive` asks for it).
#[test]
fn no_panics_when_inputs_change_kind() {
    let text = std::fs::read_to_string(cases_path()).expect("read cases");
    let cases = read_cases(&text);
    let base = prelude_scope();
    type Variant = Box<dyn Fn(&Value) -> Value>;
    let variants: Vec<Variant> = vec![
        Box::new(|_| Value::Unknown),
        Box::new(|v| v.clone().mark_sensitive()),
        Box::new(|_| Value::Null),
        Box::new(|_| Value::string("1")),
        Box::new(|_| Value::Tuple(vec![Value::Unknown, Value::Null])),
        Box::new(|_| Value::object([("a", Value::Unknown)])),
        Box::new(|_| Value::Set(vec![Value::number(1)])),
    ];
    for variant in &variants {
        let mut scope = TestScope::default();
        for (s, v) in &base.values {
            scope.values.insert(s.clone(), variant(v));
        }
        for c in &cases {
            if let Ok(expr) = hcl_edit::parser::parse_expr(&c.expr) {
                let r = eval(&Expr::from_hcl(0, &expr), &scope);
                if let Ok(v) = r
                    && !v.contains_sensitive()
                    && !c.expr.contains("nonsensitive")
                {
                    assert_ne!(v.as_str(), Some("hunter2"), "{}: secret leaked", c.expr);
                }
            }
        }
    }
}

#[test]
fn suggestions_are_near_names_only() {
    use super::suggest;
    let names = ["name", "region", "instance_type"];
    assert_eq!(suggest("nmae", names), Some("name"));
    assert_eq!(suggest("regoin", names), Some("region"));
    assert_eq!(suggest("instance_typ", names), Some("instance_type"));
    assert_eq!(suggest("zone", names), None);
    assert_eq!(suggest("x", names), None);
}
