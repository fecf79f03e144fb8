//! Data-driven tests: each folder under `testdata/config/` holds `*.tf` files (and optionally
//! tfvars files, an `args` file of `-var`/`-var-file` options and an `env` file of `NAME=value`
//! lines); its `expect` file is the diagnostics and a summary of the loaded model. Run with
//! `UPDATE_EXPECT=1` to rewrite the expectations, then review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::vars::{self, RawValue, VarArg};
use super::{Expr, IgnoreChanges, Validation, load_dir};
use crate::diag::{Diagnostics, Severity, SourceMap};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/config")
}

/// The source text of an expression, on one line.
fn text(sources: &SourceMap, e: &Expr) -> String {
    let src = sources.text(e.file);
    match e.span() {
        Some(s) => src.get(s.range).unwrap_or("?").replace('\n', "\\n"),
        // Expressions the loader makes up (an output without a value) have no source.
        None => match &e.expr {
            crate::lang::ast::Expression::Null(_) => "null".to_string(),
            _ => "?".to_string(),
        },
    }
}

fn texts(sources: &SourceMap, es: &[Expr]) -> String {
    es.iter()
        .map(|e| text(sources, e))
        .collect::<Vec<_>>()
        .join(", ")
}

fn conditions(sources: &SourceMap, name: &str, vs: &[Validation], out: &mut String) {
    for v in vs {
        let _ = writeln!(
            out,
            "    {name}: {} / {}",
            text(sources, &v.condition),
            text(sources, &v.error_message)
        );
    }
}

fn diagnostics(sources: &SourceMap, diags: &Diagnostics, out: &mut String) {
    for d in diags.iter() {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let loc = d
            .span()
            .map(|s| sources.location(s))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(out, "{loc}: {sev}: {}", d.summary);
        if !d.detail.is_empty() {
            let _ = writeln!(out, "    {}", d.detail);
        }
        for (span, label) in d.labels.iter().skip(1) {
            let _ = writeln!(out, "    also {}: {label}", sources.location(span));
        }
    }
}

/// Module calls, and the blocks of each loaded child module, indented by nesting.
fn describe_calls(sources: &SourceMap, m: &super::Module, indent: &str, out: &mut String) {
    for (name, c) in &m.calls {
        let _ = write!(
            out,
            "{indent}module {name} source={} path={}",
            c.source, c.module.path
        );
        if let Some(e) = &c.count {
            let _ = write!(out, " count={}", text(sources, e));
        }
        if let Some(e) = &c.for_each {
            let _ = write!(out, " for_each={}", text(sources, e));
        }
        if !c.depends_on.is_empty() {
            let _ = write!(out, " depends_on=[{}]", texts(sources, &c.depends_on));
        }
        let show = |p: &super::ProviderRef| match &p.alias {
            Some(a) => format!("{}.{a}", p.name),
            None => p.name.to_string(),
        };
        for (child, parent) in &c.providers {
            let _ = write!(out, " provider {}={}", show(child), show(parent));
        }
        out.push('\n');
        for (arg, e) in &c.args {
            let _ = writeln!(out, "{indent}    arg {arg} = {}", text(sources, e));
        }
        let child = &c.module;
        for (pname, req) in &child.terraform.required_providers {
            if !req.configuration_aliases.is_empty() {
                let aliases: Vec<String> = req.configuration_aliases.iter().map(show).collect();
                let _ = writeln!(
                    out,
                    "{indent}    {pname} configuration_aliases [{}]",
                    aliases.join(", ")
                );
            }
        }
        let vars: Vec<&String> = child.variables.keys().collect();
        let outputs: Vec<&String> = child.outputs.keys().collect();
        let resources: Vec<String> = child.resources.keys().map(|a| a.to_string()).collect();
        let _ = writeln!(
            out,
            "{indent}    variables {vars:?} outputs {outputs:?} resources {resources:?}"
        );
        describe_calls(sources, child, &format!("{indent}    "), out);
    }
}

/// Loads a case directory and describes the result.
fn describe(dir: &Path) -> String {
    let (mut config, diags) = load_dir(dir);
    let mut out = String::new();
    let sources = &config.sources;
    out.push_str("# diagnostics\n");
    diagnostics(sources, &diags, &mut out);

    out.push_str("# model\n");
    let m = &config.root;
    let tf = &m.terraform;
    if let Some(v) = &tf.required_version {
        let _ = writeln!(out, "required_version {v:?}");
    }
    for (name, req) in &tf.required_providers {
        let _ = writeln!(
            out,
            "required_provider {name} = {} {}",
            req.source,
            req.version.as_deref().unwrap_or("(any version)")
        );
    }
    if let Some(b) = &tf.backend {
        let attrs: Vec<&str> = b.body.body.attributes().map(|a| a.key.as_str()).collect();
        let _ = writeln!(out, "backend {} [{}]", b.kind, attrs.join(", "));
    }
    for p in &m.providers {
        let attrs: Vec<&str> = p.body.body.attributes().map(|a| a.key.as_str()).collect();
        let alias = p
            .alias
            .as_deref()
            .map(|a| format!(".{a}"))
            .unwrap_or_default();
        let _ = writeln!(out, "provider {}{alias} [{}]", p.name, attrs.join(", "));
    }
    for (name, v) in &m.variables {
        let ty =
            v.ty.as_ref()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "(none)".into());
        let _ = write!(out, "variable {name}: {ty}");
        if let Some(cairn_provider::Type::Object(o)) = &v.ty {
            for (k, d) in &o.optional {
                if let Some(d) = d {
                    let _ = write!(out, " {k}={}", d.to_json());
                }
            }
        }
        if let Some(d) = &v.default {
            let _ = write!(out, " default={}", text(sources, d));
        }
        if let Some(d) = &v.description {
            let _ = write!(out, " description={d:?}");
        }
        if v.sensitive {
            out.push_str(" sensitive");
        }
        if !v.nullable {
            out.push_str(" not-nullable");
        }
        out.push('\n');
        conditions(sources, "validation", &v.validations, &mut out);
    }
    for (name, l) in &m.locals {
        let _ = writeln!(out, "local {name} = {}", text(sources, &l.expr));
    }
    for (name, o) in &m.outputs {
        let _ = write!(out, "output {name} = {}", text(sources, &o.value));
        if let Some(d) = &o.description {
            let _ = write!(out, " description={d:?}");
        }
        if o.sensitive {
            out.push_str(" sensitive");
        }
        if !o.depends_on.is_empty() {
            let _ = write!(out, " depends_on=[{}]", texts(sources, &o.depends_on));
        }
        out.push('\n');
        conditions(sources, "precondition", &o.preconditions, &mut out);
    }
    for (addr, r) in &m.resources {
        let _ = write!(out, "{addr}");
        let p = r.provider_ref();
        let _ = write!(
            out,
            " provider={}{}",
            p.name,
            p.alias.map(|a| format!(".{a}")).unwrap_or_default()
        );
        if let Some(c) = &r.count {
            let _ = write!(out, " count={}", text(sources, c));
        }
        if let Some(f) = &r.for_each {
            let _ = write!(out, " for_each={}", text(sources, f));
        }
        if !r.depends_on.is_empty() {
            let _ = write!(out, " depends_on=[{}]", texts(sources, &r.depends_on));
        }
        out.push('\n');
        let body: Vec<String> = r
            .body
            .body
            .iter()
            .map(|s| match s {
                crate::lang::ast::Structure::Attribute(a) => a.key.as_str().to_string(),
                crate::lang::ast::Structure::Block(b) => format!("{} {{}}", b.ident.as_str()),
            })
            .collect();
        let _ = writeln!(out, "    body: {}", body.join(", "));
        let lc = &r.lifecycle;
        if lc.create_before_destroy {
            out.push_str("    create_before_destroy\n");
        }
        if lc.prevent_destroy {
            out.push_str("    prevent_destroy\n");
        }
        match &lc.ignore_changes {
            IgnoreChanges::None => {}
            IgnoreChanges::All => out.push_str("    ignore_changes: all\n"),
            IgnoreChanges::Paths(ps) => {
                let _ = writeln!(out, "    ignore_changes: {ps:?}");
            }
        }
        if !lc.replace_triggered_by.is_empty() {
            let _ = writeln!(
                out,
                "    replace_triggered_by: {}",
                texts(sources, &lc.replace_triggered_by)
            );
        }
        conditions(sources, "precondition", &lc.preconditions, &mut out);
        conditions(sources, "postcondition", &lc.postconditions, &mut out);
    }

    describe_calls(sources, m, "", &mut out);
    for mv in &m.moved {
        let _ = writeln!(out, "moved {} -> {}", mv.from, mv.to);
    }
    for i in &m.imports {
        let key = i
            .key
            .as_ref()
            .map(|k| format!("[{}]", text(sources, k)))
            .unwrap_or_default();
        let _ = write!(out, "import {}{key} id={}", i.to, text(sources, &i.id));
        if let Some(e) = &i.for_each {
            let _ = write!(out, " for_each={}", text(sources, e));
        }
        out.push('\n');
    }
    for r in &m.removed {
        let _ = writeln!(out, "removed {} destroy={}", r.from, r.destroy);
    }
    for c in m.checks.values() {
        let data: Vec<String> = c.data.iter().map(|d| d.addr.to_string()).collect();
        let _ = writeln!(out, "check {} data={data:?}", c.name);
        conditions(sources, "assert", &c.asserts, &mut out);
    }

    // Variable values, when the case has any.
    let args_file = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    let env_file = std::fs::read_to_string(dir.join("env")).unwrap_or_default();
    let has_tfvars = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.file_name().to_string_lossy().contains(".tfvars"))
        })
        .unwrap_or(false);
    if args_file.is_empty() && env_file.is_empty() && !has_tfvars {
        return out;
    }
    let args: Vec<VarArg> = args_file
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.strip_prefix("-var-file=") {
            Some(p) => VarArg::File(dir.join(p)),
            None => VarArg::Var(l.strip_prefix("-var=").unwrap_or(l).to_string()),
        })
        .collect();
    let env: Vec<(String, String)> = env_file
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    out.push_str("# vars\n");
    let sources = &mut config.sources;
    match vars::collect(dir, &args, &env, sources) {
        Ok(values) => {
            for (name, v) in values {
                match v {
                    RawValue::Expr(e) => {
                        let file = sources.name(e.file).to_string();
                        let file = file.rsplit('/').next().unwrap_or(&file).to_string();
                        let _ = writeln!(out, "{name} = {} (from {file})", text(sources, &e));
                    }
                    RawValue::Str { value, origin } => {
                        let _ = writeln!(out, "{name} = {value:?} (from {origin})");
                    }
                }
            }
        }
        Err(diags) => {
            let mut d = String::new();
            diagnostics(sources, &diags, &mut d);
            // -var-file paths are shown as given: keep only the case-relative part.
            let base = format!("{}/", dir.display());
            out.push_str(&d.replace(&base, ""));
        }
    }
    out
}

/// Compares the description of `dir` with its `expect` file (or rewrites it under
/// `UPDATE_EXPECT=1`); returns a message on mismatch.
fn check(dir: &Path, expect: &Path) -> Option<String> {
    let actual = describe(dir);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        if let Err(e) = std::fs::write(expect, &actual) {
            return Some(format!("cannot write {}: {e}", expect.display()));
        }
        return None;
    }
    let expected = std::fs::read_to_string(expect).unwrap_or_default();
    (expected != actual).then(|| {
        let diff = similar::TextDiff::from_lines(&expected, &actual);
        format!(
            "{} differs (- expected, + actual):\n{}",
            dir.display(),
            diff.unified_diff().context_radius(2)
        )
    })
}

#[test]
fn config_cases() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(testdata())
        .expect("testdata/config exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "expected the config cases, found {}",
        dirs.len()
    );
    let failures: Vec<String> = dirs
        .iter()
        .filter_map(|d| check(d, &d.join("expect")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn syntax_error_points_at_the_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.tf"), "locals {\n  x = é +\n}\n").expect("write");
    std::fs::write(dir.path().join("b.tf"), "resource \"x\" {}\n").expect("write");
    let (config, diags) = load_dir(dir.path());
    let locs: Vec<String> = diags
        .iter()
        .map(|d| {
            d.span()
                .map(|s| config.sources.location(s))
                .unwrap_or_default()
        })
        .collect();
    // The syntax error in a.tf does not stop b.tf from being checked.
    assert_eq!(diags.0.len(), 2, "{diags}");
    assert!(locs[0].starts_with("a.tf:2:"), "{locs:?}");
    assert_eq!(diags.0[1].summary, "Missing name for resource");
    // The span starts on a character boundary inside the file.
    let span = diags.0[0].span().expect("span");
    assert!(
        config
            .sources
            .text(span.file)
            .get(span.range.clone())
            .is_some()
    );
}

#[test]
fn meta_arguments_are_removed_from_the_body() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"null_resource\" \"a\" {\n  count = 2\n  depends_on = []\n  provider = null.x\n  triggers = {}\n  lifecycle {}\n  dynamic \"b\" {\n    for_each = []\n    content {}\n  }\n}\n",
    )
    .expect("write");
    let (config, diags) = load_dir(dir.path());
    assert!(diags.is_empty(), "{diags}");
    let r = config.root.resources.values().next().expect("a resource");
    let names: Vec<&str> = r
        .body
        .body
        .iter()
        .map(|s| match s {
            crate::lang::ast::Structure::Attribute(a) => a.key.as_str(),
            crate::lang::ast::Structure::Block(b) => b.ident.as_str(),
        })
        .collect();
    assert_eq!(names, ["triggers", "dynamic"]);
    assert_eq!(r.provider_ref().alias.as_deref(), Some("x"));
    let count = r
        .count
        .as_ref()
        .and_then(|c| c.span().map(|s| s.range))
        .expect("count span");
    assert_eq!(&config.sources.text(0)[count], "2");
}

/// Loads every directory of `.tf` files in the corpus of real-world modules: no panics, and no
/// syntax errors on files Terraform itself accepts.
#[test]
fn corpus_loads() {
    let corpus = std::env::var_os("CAIRN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // The corpus sits beside the repository.
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
        });
    if !corpus.is_dir() {
        println!("skipped: corpus not found");
        return;
    }
    let mut stack = vec![corpus];
    let mut files = 0;
    let mut dirs = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut has_tf = false;
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p);
            } else if name.to_string_lossy().ends_with(".tf") {
                has_tf = true;
                files += 1;
            }
        }
        if has_tf {
            dirs.push(d);
        }
    }
    let (mut resources, mut errors, mut syntax) = (0, 0, Vec::new());
    let mut summaries: std::collections::BTreeMap<String, usize> = Default::default();
    for d in &dirs {
        let (config, diags) = load_dir(d);
        resources += config.root.resources.len();
        errors += diags.iter().filter(|d| d.is_error()).count();
        for diag in diags.iter() {
            *summaries.entry(diag.summary.clone()).or_default() += 1;
            if std::env::var_os("CORPUS_VERBOSE").is_some() && !diag.summary.contains("\"module\"")
            {
                let loc = diag
                    .span()
                    .map(|s| config.sources.location(s))
                    .unwrap_or_default();
                println!("{}/{loc}: {diag}", d.display());
            }
        }
        for diag in diags
            .iter()
            .filter(|x| x.summary == super::load::SYNTAX_ERROR)
        {
            if let Some(s) = diag.span() {
                syntax.push((d.join(config.sources.name(s.file)), diag.to_string()));
            }
        }
    }
    println!(
        "corpus: {files} files in {} directories, {resources} resources, {errors} errors, {} syntax errors",
        dirs.len(),
        syntax.len()
    );
    for (summary, n) in &summaries {
        println!("  {n:5} {summary}");
    }
    // A syntax error is only acceptable where Terraform reports one too.
    let terraform = std::process::Command::new("terraform")
        .arg("version")
        .output()
        .is_ok();
    if !terraform {
        println!("skipped: terraform not found (syntax errors not cross-checked)");
        return;
    }
    let wrong: Vec<String> = syntax
        .iter()
        .filter(|(path, _)| {
            let status = std::process::Command::new("terraform")
                .args(["fmt", "-check", "-list=false"])
                .arg(path)
                .env("CHECKPOINT_DISABLE", "1")
                .env("TF_CLI_CONFIG_FILE", "/dev/null")
                .output()
                .map(|o| o.status.code());
            !matches!(status, Ok(Some(2)))
        })
        .map(|(path, msg)| format!("{}: {msg}", path.display()))
        .collect();
    assert!(
        wrong.is_empty(),
        "syntax errors on files terraform accepts:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn module_paths_are_cleaned_like_terraform() {
    use super::load::join_module_path;
    for (parent, source, want) in [
        (".", "./modules/a", "modules/a"),
        (".", "./modules/a/", "modules/a"),
        ("modules/a", "../b", "modules/b"),
        ("modules/a", "./c/../d", "modules/a/d"),
        (".", "../shared", "../shared"),
        ("..", "../x", "../../x"),
        ("modules/a", "../..", "."),
    ] {
        assert_eq!(
            join_module_path(parent, source),
            want,
            "{parent} + {source}"
        );
    }
}

#[test]
fn the_module_tree_is_loaded() {
    let (config, diags) = load_dir(&testdata().join("modules_tree"));
    assert!(!diags.has_errors(), "{diags:?}");
    let paths: Vec<&str> = config
        .root
        .modules()
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [".", "modules/net", "modules/net/subnet", "modules/app"]
    );
}

/// A large file, cut into pieces and parsed on several threads, gives the same structures with
/// the same spans as one parse; a cut that falls inside a heredoc, and a syntax error late in
/// the file, fall back to the whole-file parse and its exact error.
#[test]
fn large_files_parse_in_pieces_like_whole() {
    use super::load::{block_cuts, parse_body, parse_pieces};
    fn generate(heredocs: bool) -> String {
        let mut text = String::new();
        for i in 0..12000 {
            // With `heredocs`, each block holds a line that is just `}` followed by one that
            // starts with a letter, where a cut must not go.
            let doc = if heredocs {
                "    doc  = <<EOT\n{\n}\nresource here\nEOT\n"
            } else {
                ""
            };
            write!(
                text,
                "resource \"terraform_data\" \"r{i}\" {{\n  input = {{\n{doc}    name = \"n-{i}\" # é\n    list = [1, 2, {i}]\n  }}\n}}\n\n"
            )
            .unwrap();
        }
        text
    }
    use crate::lang::ast::{Structure, from_hcl};
    /// The whole file's structures in the compact tree.
    fn whole_tree(text: &str) -> Vec<Structure> {
        from_hcl::body(&parse_body(text).expect("parses")).structures
    }
    /// The pieces' structures (spans are offsets into the file), or the error.
    fn parse_files(text: &str) -> Result<Vec<Structure>, hcl_edit::parser::Error> {
        let mut out = Vec::new();
        let mut err = None;
        parse_pieces(
            &[text],
            |_, body| body,
            |_, parsed| match parsed {
                Ok(body) => out.extend(body.structures),
                Err(e) => err = Some(e),
            },
        );
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
    const PIECE: usize = 16 * 1024;
    let clean = generate(false);
    assert!(
        block_cuts(&clean, PIECE).len() >= 3,
        "the text is cut into pieces"
    );
    let whole = whole_tree(&clean);
    let pieces = parse_files(&clean).expect("parses in pieces");
    assert_eq!(whole.len(), 12000);
    if let Some(i) = (0..whole.len()).find(|&i| whole.get(i) != pieces.get(i)) {
        panic!(
            "structure {i} differs:\n{:?}\n{:?}",
            whole.get(i),
            pieces.get(i)
        );
    }

    // A cut lands inside a heredoc: its pieces fail and the file is parsed whole.
    let tricky = generate(true);
    let cuts = block_cuts(&tricky, PIECE);
    assert!(
        cuts.iter().any(|&c| tricky[..c].ends_with("{\n}\n")),
        "a cut is inside a heredoc"
    );
    let whole = whole_tree(&tricky);
    let pieces = parse_files(&tricky).expect("parses");
    assert_eq!(whole.len(), 12000);
    assert!(whole == pieces, "the pieces give the whole file's tree");

    let broken = clean.replace("\"r9000\" {", "\"r9000\" {{");
    let e1 = parse_body(&broken).unwrap_err();
    let e2 = parse_files(&broken).unwrap_err();
    assert_eq!(e1.location().offset(), e2.location().offset());
}

/// Blocks decoded from a late piece of a large file report diagnostics, and keep expressions,
/// at offsets into the whole file: each kind of span the loader makes (an argument's, a block
/// header's, an address's, an expression's) points at the right text.
#[test]
fn late_pieces_keep_file_offsets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for i in 0..3000 {
        write!(
            text,
            "resource \"terraform_data\" \"r{i}\" {{\n  input = \"n-{i}\"\n}}\n\n"
        )
        .unwrap();
    }
    text.push_str(concat!(
        "resource \"terraform_data\" \"late\" {\n",
        "  count = 2\n",
        "  lifecycle {\n    bogus_setting = true\n  }\n",
        "  provisioner \"local-exec\" {\n    command = \"true\"\n  }\n",
        "}\n\n",
        "moved {\n  from = terraform_data.same\n  to   = terraform_data.same\n}\n",
    ));
    assert!(
        super::load::block_cuts(&text, 16 * 1024).len() > 4,
        "the file is cut into several pieces"
    );
    std::fs::write(dir.path().join("main.tf"), &text).expect("write");
    let (config, diags) = load_dir(dir.path());
    let src = config.sources.text(0);
    let at = |summary: &str| -> String {
        let d = diags
            .0
            .iter()
            .find(|d| d.summary == summary)
            .unwrap_or_else(|| panic!("no {summary:?} in {diags:?}"));
        src[d.labels[0].0.range.clone()].to_string()
    };
    assert_eq!(at("Unsupported argument"), "bogus_setting");
    assert_eq!(
        at("Provisioners are not supported"),
        "provisioner \"local-exec\""
    );
    assert!(
        at("Redundant move statement").starts_with("moved"),
        "{diags:?}"
    );
    let late = config
        .root
        .resources
        .values()
        .find(|r| r.addr.name == "late")
        .expect("late resource");
    let count = late
        .count
        .as_ref()
        .and_then(|c| c.span())
        .expect("count span");
    assert_eq!(&src[count.range], "2");
    let r2999 = config
        .root
        .resources
        .values()
        .find(|r| r.addr.name == "r2999")
        .expect("r2999");
    let input = r2999.body.body.get_attribute("input").expect("input");
    let r = crate::lang::ast::Span::span(&input.value).expect("span");
    assert_eq!(&src[r], "\"n-2999\"");
}

/// Resources are decoded on the parsing workers, everything else on the main thread: the
/// diagnostics still come in file order, a duplicate still points at the first declaration,
/// and the module holds the resources in file order.
#[test]
fn resources_decoded_on_workers_keep_file_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for i in 0..3000 {
        let name = if i == 2000 { 5 } else { i };
        match i {
            10 => text.push_str("variable \"v\" {\n  bogus = 1\n}\n\n"),
            1500 => text.push_str(
                "resource \"terraform_data\" \"both\" {\n  count    = 1\n  for_each = {}\n}\n\n",
            ),
            _ => {}
        }
        write!(
            text,
            "resource \"terraform_data\" \"r{name}\" {{\n  input = \"n-{i}\"\n}}\n\n"
        )
        .unwrap();
    }
    assert!(super::load::block_cuts(&text, 16 * 1024).len() > 4);
    std::fs::write(dir.path().join("main.tf"), &text).expect("write");
    let (config, diags) = load_dir(dir.path());
    let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Unsupported argument",
            "Invalid combination of \"count\" and \"for_each\"",
            "Duplicate resource \"terraform_data\" configuration",
        ]
    );
    let starts: Vec<usize> = diags
        .iter()
        .map(|d| d.span().expect("span").range.start)
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    let src = config.sources.text(0);
    let first = &diags.0[2].labels[1].0;
    assert!(src[first.range.clone()].starts_with("resource \"terraform_data\" \"r5\""));
    assert_eq!(config.sources.location(first), "main.tf:21:1");
    let names: Vec<&str> = (config.root.resources.keys())
        .map(|a| a.name.as_str())
        .take(4)
        .collect();
    assert_eq!(names, ["r0", "r1", "r2", "r3"]);
    assert_eq!(config.root.resources.len(), 3000);
}
