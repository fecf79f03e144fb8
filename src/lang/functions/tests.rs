//! Tests of the function library: the per-function oracle table in
//! `testdata/eval/functions.txt` (expected results produced by `terraform console`, files under
//! `testdata/eval/files/`), a check that every function Terraform lists in
//! `testdata/eval/functions.json` is implemented and has cases, and property tests of the
//! impure functions, whose results no table can fix.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use cairn_provider::Value;

use crate::config::Expr;
use crate::lang::tests::{TestScope, prelude_scope, prelude_tf, show, terraform_console_in};
use crate::lang::{Subject, eval};

fn eval_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/eval")
}

fn table_path() -> PathBuf {
    eval_dir().join("functions.txt")
}

/// One case of the table: the function its section is about, the expression, Terraform's
/// result, and why it is not checked, if it is not.
struct Case {
    function: String,
    expr: String,
    expected: String,
    skip: Option<String>,
    line: usize,
}

/// Reads the table: `# == NAME` opens the section of a function; `# skip: REASON` just before
/// a case keeps Terraform's result on record without checking it; otherwise the format of
/// `cases.txt`.
fn read_table(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut function = String::new();
    let mut skip = None;
    let mut cur: Vec<&str> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("=> ") {
            cases.push(Case {
                function: function.clone(),
                expr: cur.join("\n"),
                expected: rest.to_string(),
                skip: skip.take(),
                line: i + 1,
            });
            cur.clear();
        } else if cur.is_empty()
            && let Some(name) = line.strip_prefix("# == ")
        {
            function = name.trim().to_string();
        } else if cur.is_empty()
            && let Some(reason) = line.strip_prefix("# skip: ")
        {
            skip = Some(reason.trim().to_string());
        } else if cur.is_empty() && (line.trim().is_empty() || line.starts_with('#')) {
            continue;
        } else {
            cur.push(line);
        }
    }
    cases
}

/// The prelude scope, with the module directory at `testdata/eval` so `files/...` resolves.
fn table_scope() -> TestScope {
    prelude_scope().with(
        Subject::Path("module".into()),
        Value::string(eval_dir().to_string_lossy()),
    )
}

fn evaluate(expr: &str, scope: &TestScope) -> String {
    match hcl_edit::parser::parse_expr(expr) {
        Ok(expr) => show(&eval(&Expr::from_hcl(0, &expr), scope)),
        Err(e) => format!("parse error: {e}"),
    }
}

#[test]
fn function_cases_match_terraform() {
    let text = std::fs::read_to_string(table_path()).expect("read functions.txt");
    let cases = read_table(&text);
    assert!(cases.len() > 400, "only {} cases", cases.len());
    let scope = table_scope();
    let mut failures = Vec::new();
    for c in cases.iter().filter(|c| c.skip.is_none()) {
        let got = evaluate(&c.expr, &scope);
        if got != c.expected {
            failures.push(format!(
                "line {} ({}): {}\n   expected: {}\n        got: {}",
                c.line, c.function, c.expr, c.expected, got
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

/// The names in Terraform's own function list (`terraform metadata functions -json`).
fn terraform_function_names() -> BTreeSet<String> {
    let text = std::fs::read_to_string(eval_dir().join("functions.json")).expect("functions.json");
    let j: serde_json::Value = serde_json::from_str(&text).expect("functions.json is JSON");
    j["function_signatures"]
        .as_object()
        .expect("function_signatures")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_terraform_function_is_implemented_and_tested() {
    let names = terraform_function_names();
    assert!(names.len() > 100, "only {} names", names.len());
    let ours: BTreeSet<&str> = super::names().collect();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !ours.contains(n.strip_prefix("core::").unwrap_or(n)))
        .collect();
    assert!(missing.is_empty(), "not implemented: {missing:?}");

    let text = std::fs::read_to_string(table_path()).expect("read functions.txt");
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for c in read_table(&text).iter().filter(|c| c.skip.is_none()) {
        *checked.entry(c.function.clone()).or_default() += 1;
    }
    let untested: Vec<&String> = names
        .iter()
        .filter(|n| !n.starts_with("core::") && !checked.contains_key(n.as_str()))
        .collect();
    assert!(untested.is_empty(), "no checked cases for: {untested:?}");
    for f in checked.keys() {
        assert!(names.contains(f), "section for unknown function {f:?}");
    }
}

#[test]
fn function_metadata_matches_terraform_arity() {
    let text = std::fs::read_to_string(eval_dir().join("functions.json")).expect("functions.json");
    let j: serde_json::Value = serde_json::from_str(&text).expect("functions.json is JSON");
    for (name, sig) in j["function_signatures"].as_object().expect("signatures") {
        let Some(f) = super::lookup(name) else {
            continue;
        };
        let params: Vec<&str> = sig["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(f.params, params.as_slice(), "parameters of {name}");
        let variadic = sig["variadic_parameter"]["name"].as_str();
        assert_eq!(f.variadic, variadic, "variadic parameter of {name}");
    }
}

/// Regenerates the expected results of `testdata/eval/functions.txt` with `terraform console`.
/// Runs only when `CAIRN_REGEN_EVAL=1` (see scripts/regen-eval-cases.sh).
#[test]
fn regen_function_cases() {
    crate::lang::tests::regen_table(&table_path(), &|case| terraform_result(&case.join("\n")));
}

fn terraform_result(expr: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&eval_dir().join("files"), &dir.path().join("files"));
    let tf = format!("{}locals {{\n  v = {expr}\n}}\n", prelude_tf());
    // The console now and then prints a progress line instead of the value: ask again.
    for _ in 0..3 {
        let r = terraform_console_in(dir.path(), &tf, "jsonencode(local.v)", false);
        if !r.starts_with("unparsed:") {
            return r;
        }
    }
    terraform_console_in(dir.path(), &tf, "jsonencode(local.v)", false)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

// ---- full error messages ----

fn errors_path() -> PathBuf {
    eval_dir().join("function_errors.txt")
}

/// The detail of the first error evaluating `expr`, or what it gave instead.
fn error_detail(expr: &str, scope: &TestScope) -> String {
    let parsed = match hcl_edit::parser::parse_expr(expr) {
        Ok(e) => e,
        Err(e) => return format!("parse error: {e}"),
    };
    match eval(&Expr::from_hcl(0, &parsed), scope) {
        Err(d) => d.0.first().map(|d| d.detail.clone()).unwrap_or_default(),
        Ok(v) => format!("no error: {v:?}"),
    }
}

#[test]
fn function_error_messages_match_terraform() {
    let text = std::fs::read_to_string(errors_path()).expect("read function_errors.txt");
    let cases = read_table(&text);
    assert!(cases.len() > 30, "only {} cases", cases.len());
    let scope = table_scope();
    let mut failures = Vec::new();
    for c in cases.iter().filter(|c| c.skip.is_none()) {
        let got = error_detail(&c.expr, &scope);
        if got != c.expected {
            failures.push(format!(
                "line {}: {}\n   expected: {}\n        got: {}",
                c.line, c.expr, c.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} messages differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Regenerates `testdata/eval/function_errors.txt` with `terraform console`.
#[test]
fn regen_function_errors() {
    crate::lang::tests::regen_table(&errors_path(), &|case| {
        terraform_error_detail(&case.join("\n"))
    });
}

/// The detail of the error Terraform reports for `expr`: the lines after the source excerpt,
/// joined by spaces.
fn terraform_error_detail(expr: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&eval_dir().join("files"), &dir.path().join("files"));
    std::fs::write(dir.path().join("main.tf"), prelude_tf()).expect("write main.tf");
    let mut child = std::process::Command::new("terraform")
        .args(["console", "-plan", "-no-color"])
        .current_dir(dir.path())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run terraform");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        let _ = stdin.write_all(format!("{}\n", expr.replace('\n', " ")).as_bytes());
    }
    let output = child.wait_with_output().expect("terraform output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵', ' ']).trim_end())
        .collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("Error: ")) else {
        return format!(
            "no error: {}",
            String::from_utf8_lossy(&output.stdout).trim()
        );
    };
    // Skip the location and the source excerpt; the detail is the next paragraph.
    let text: Vec<&str> = lines[start + 1..]
        .iter()
        .skip_while(|l| l.is_empty())
        .skip_while(|l| !l.is_empty())
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .copied()
        .collect();
    text.join(" ")
}

// ---- impure functions: properties instead of values ----

fn applying_scope() -> TestScope {
    let mut s = table_scope();
    s.planning = false;
    s
}

fn eval_str(src: &str, scope: &TestScope) -> String {
    let expr = hcl_edit::parser::parse_expr(src).expect("parse");
    match eval(&Expr::from_hcl(0, &expr), scope) {
        Ok(Value::String(s)) => s,
        other => panic!("{src}: expected a string, got {other:?}"),
    }
}

#[test]
fn uuid_is_a_fresh_version_4_uuid() {
    let scope = applying_scope();
    let a = eval_str("uuid()", &scope);
    let b = eval_str("uuid()", &scope);
    let u = uuid::Uuid::parse_str(&a).expect("a UUID");
    assert_eq!(u.get_version_num(), 4);
    assert_eq!(a, a.to_lowercase());
    assert_ne!(a, b, "two calls gave the same UUID");
}

#[test]
fn bcrypt_hashes_verify_and_use_the_requested_cost() {
    let scope = applying_scope();
    let h = eval_str("bcrypt(\"hunter2\")", &scope);
    assert!(h.starts_with("$2a$10$"), "{h}");
    assert_eq!(h.len(), 60);
    assert!(bcrypt::verify("hunter2", &h).expect("verify"));
    assert!(!bcrypt::verify("hunter3", &h).expect("verify"));
    let h5 = eval_str("bcrypt(\"x\", 5)", &scope);
    assert!(h5.starts_with("$2a$05$"), "{h5}");
    assert_ne!(eval_str("bcrypt(\"x\", 5)", &scope), h5, "salt not random");
    // Below the minimum cost Go's bcrypt uses its default.
    assert!(eval_str("bcrypt(\"x\", 1)", &scope).starts_with("$2a$10$"));
    // Sensitive in, sensitive out.
    let expr = hcl_edit::parser::parse_expr("bcrypt(var.secret, 4)").expect("parse");
    let v = eval(&Expr::from_hcl(0, &expr), &scope).expect("bcrypt");
    assert!(v.is_sensitive());
}

#[test]
fn timestamp_is_now_in_rfc3339() {
    let scope = applying_scope();
    let before = chrono::Utc::now().timestamp();
    let t = eval_str("timestamp()", &scope);
    let after = chrono::Utc::now().timestamp();
    assert!(t.ends_with('Z') && t.len() == 20, "{t}");
    let parsed = chrono::DateTime::parse_from_rfc3339(&t)
        .expect("RFC 3339")
        .timestamp();
    assert!(before <= parsed && parsed <= after, "{t}");
}

#[test]
fn plantimestamp_is_known_while_planning_and_stable() {
    let scope = table_scope();
    assert!(scope.planning);
    let a = eval_str("plantimestamp()", &scope);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = eval_str("plantimestamp()", &scope);
    assert_eq!(a, b);
    let t = chrono::DateTime::parse_from_rfc3339(&a).expect("RFC 3339");
    assert!((chrono::Utc::now().timestamp() - t.timestamp()).abs() < 3600);
    // formatdate accepts it.
    let y = eval_str("formatdate(\"YYYY\", plantimestamp())", &scope);
    assert_eq!(y, a[..4]);
}

#[test]
fn impure_functions_are_unknown_while_planning() {
    let scope = table_scope();
    for src in ["uuid()", "timestamp()", "bcrypt(\"x\")"] {
        let expr = hcl_edit::parser::parse_expr(src).expect("parse");
        let v = eval(&Expr::from_hcl(0, &expr), &scope).expect(src);
        assert!(v.is_unknown(), "{src}: {v:?}");
    }
}

#[test]
fn abspath_and_pathexpand_use_the_process_environment() {
    let scope = table_scope();
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(
        eval_str("abspath(\"a/../b/./c\")", &scope),
        format!("{}/b/c", cwd.display())
    );
    if let Ok(home) = std::env::var("HOME")
        && !home.is_empty()
    {
        assert_eq!(eval_str("pathexpand(\"~\")", &scope), home);
        assert_eq!(
            eval_str("pathexpand(\"~/x/y\")", &scope),
            format!("{}/x/y", home.trim_end_matches('/'))
        );
    }
}

#[test]
fn base64gzip_decompresses_to_its_input() {
    use std::io::Read as _;
    let scope = table_scope();
    for text in ["", "test", "hello hello hello hello hello hello", "é☃\n\tx"] {
        let src = format!("base64gzip({})", serde_json::to_string(text).expect("json"));
        let b64 = eval_str(&src, &scope);
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64)
            .expect("base64");
        let mut out = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut out)
            .expect("gunzip");
        assert_eq!(out, text);
    }
}
