//! Every `locals` entry of the corpus of public modules that depends only on input variables
//! with defaults and on other such locals evaluates in `cairn console` to the JSON that
//! `terraform console` prints for it.
//!
//! The corpus lives beside the repository (`../shared/corpus`, or `$CAIRN_CORPUS`); without it
//! the test says "skipped: corpus not found". For each module directory the test takes those
//! locals and the variables they use, writes them alone into a scratch directory (so nothing
//! needs `init`, providers or other files) and asks `cairn console` for
//! `jsonencode({NAME = local.NAME, ...})` in one process, falling back to one process per local
//! when the whole object fails. Terraform's answers are kept in `testdata/corpus/locals.txt`
//! (results only, keyed by directory and local), regenerated with `CAIRN_REGEN_CORPUS=1` when
//! terraform is installed. Known differences are listed, each with its reason, in
//! `testdata/corpus/locals-exclusions.txt`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cairn::config::Expr;
use cairn::lang::{Subject, references};
use hcl_edit::Span as _;
use hcl_edit::structure::{Body, Structure};

use crate::support::cairn_bin;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> PathBuf {
    std::env::var_os("CAIRN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../shared/corpus"))
}

fn expected_path() -> PathBuf {
    manifest().join("testdata/corpus/locals.txt")
}

/// Functions whose result depends on files beside the module, the clock or chance: a local
/// calling one is not a function of its variables alone.
const IMPURE: &[&str] = &[
    "file",
    "fileexists",
    "fileset",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "filemd5",
    "filesha1",
    "filesha256",
    "filesha512",
    "templatefile",
    "timestamp",
    "plantimestamp",
    "uuid",
    "bcrypt",
    "abspath",
    "pathexpand",
];

/// The variables and the locals one local references.
type Needs = (BTreeSet<String>, BTreeSet<String>);

/// The locals of one module directory that depend only on variables with defaults, as a
/// configuration of their own.
struct Module {
    /// Path relative to the corpus, with `/`.
    rel: String,
    /// The configuration: the variables used and the selected locals.
    tf: String,
    /// The selected locals, in name order.
    locals: Vec<String>,
    /// Source text of the variables with defaults and of the selected locals.
    var_src: BTreeMap<String, String>,
    local_src: BTreeMap<String, String>,
    /// The variables and locals each selected local references.
    needs: BTreeMap<String, Needs>,
}

impl Module {
    /// A configuration of `names` with the locals and variables they need, transitively.
    fn config_for(&self, names: &[String]) -> String {
        let mut locals = BTreeSet::new();
        let mut stack: Vec<&String> = names.iter().collect();
        while let Some(l) = stack.pop() {
            if locals.insert(l.clone())
                && let Some((_, ls)) = self.needs.get(l)
            {
                stack.extend(ls.iter());
            }
        }
        let vars: BTreeSet<&String> = locals
            .iter()
            .filter_map(|l| self.needs.get(l))
            .flat_map(|(vs, _)| vs.iter())
            .collect();
        let mut tf = String::new();
        for v in vars {
            tf.push_str(&self.var_src[v]);
            tf.push('\n');
        }
        tf.push_str("locals {\n");
        for l in &locals {
            tf.push_str("  ");
            tf.push_str(self.local_src[l].trim());
            tf.push('\n');
        }
        tf.push_str("}\n");
        tf
    }
}

fn calls_impure(text: &str) -> bool {
    let bytes = text.as_bytes();
    IMPURE.iter().any(|f| {
        text.match_indices(f).any(|(i, _)| {
            let before_ok =
                i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
            let rest = text[i + f.len()..].trim_start();
            before_ok && rest.starts_with('(')
        })
    }) || text.contains("provider::")
}

fn module(dir: &Path, rel: String) -> Option<Module> {
    let mut vars: BTreeMap<String, (String, bool)> = BTreeMap::new();
    let mut locals: BTreeMap<String, (String, hcl_edit::expr::Expression)> = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).ok()?;
        let body: Body = hcl_edit::parser::parse_body(&text).ok()?;
        for s in body.iter() {
            let Structure::Block(b) = s else { continue };
            match b.ident.as_str() {
                "variable" => {
                    let Some(name) = b.labels.first().map(|l| l.as_str().to_string()) else {
                        continue;
                    };
                    let has_default = b.body.get_attribute("default").is_some();
                    let Some(src) = b.span().and_then(|r| text.get(r)) else {
                        continue;
                    };
                    vars.insert(name, (src.to_string(), has_default));
                }
                "locals" => {
                    for a in b.body.attributes() {
                        let Some(src) = a.span().and_then(|r| text.get(r)) else {
                            continue;
                        };
                        locals.insert(
                            a.key.as_str().to_string(),
                            (src.to_string(), a.value.clone()),
                        );
                    }
                }
                _ => {}
            }
        }
    }
    // What each local needs; `None` when it references anything but variables with defaults
    // and locals.
    let mut needs: BTreeMap<String, Option<Needs>> = BTreeMap::new();
    for (name, (text, expr)) in &locals {
        let mut vs = BTreeSet::new();
        let mut ls = BTreeSet::new();
        let mut ok = !calls_impure(text);
        for r in references(&Expr::from_hcl(0, expr)) {
            match r.subject {
                Subject::Var(v) if vars.get(v.as_str()).is_some_and(|(_, d)| *d) => {
                    vs.insert(v.to_string());
                }
                Subject::Local(l) if locals.contains_key(l.as_str()) => {
                    ls.insert(l.to_string());
                }
                _ => ok = false,
            }
        }
        needs.insert(name.clone(), ok.then_some((vs, ls)));
    }
    // Keep the locals whose locals are kept, to a fixed point.
    loop {
        let drop: Vec<String> = needs
            .iter()
            .filter(|(_, n)| {
                n.as_ref().is_some_and(|(_, ls)| {
                    ls.iter().any(|l| needs.get(l).is_none_or(Option::is_none))
                })
            })
            .map(|(k, _)| k.clone())
            .collect();
        if drop.is_empty() {
            break;
        }
        for k in drop {
            needs.insert(k, None);
        }
    }
    let selected: Vec<String> = needs
        .iter()
        .filter(|(_, n)| n.is_some())
        .map(|(k, _)| k.clone())
        .collect();
    if selected.is_empty() {
        return None;
    }
    let needs: BTreeMap<String, Needs> = needs
        .into_iter()
        .filter_map(|(k, n)| n.map(|n| (k, n)))
        .collect();
    let mut m = Module {
        rel,
        tf: String::new(),
        locals: selected,
        var_src: vars
            .into_iter()
            .filter(|(_, (_, d))| *d)
            .map(|(k, (t, _))| (k, t))
            .collect(),
        local_src: locals
            .into_iter()
            .filter(|(k, _)| needs.contains_key(k))
            .map(|(k, (t, _))| (k, t))
            .collect(),
        needs,
    };
    m.tf = m.config_for(&m.locals);
    Some(m)
}

/// Every module directory of the corpus with selectable locals, in path order.
fn modules(root: &Path) -> Vec<Module> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() && !e.file_name().to_string_lossy().starts_with('.') {
                stack.push(p);
            }
        }
        let rel = d
            .strip_prefix(root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if let Some(m) = module(&d, rel) {
            out.push(m);
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// Runs a console (`program` with `args`) in `dir` on one expression and returns what it
/// printed: a JSON text for a string result, or `error` / another line as printed.
fn console(program: &Path, dir: &Path, expr: &str) -> String {
    let terraform = program.file_name().is_some_and(|n| n == "terraform");
    let mut cmd = Command::new(program);
    cmd.arg("console");
    if terraform {
        cmd.arg("-no-color");
    }
    let child = cmd
        .current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("NO_COLOR", "1")
        .env_remove("TF_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return "error: could not start".into();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{expr}");
    }
    let Ok(out) = child.wait_with_output() else {
        return "error: no output".into();
    };
    if !out.status.success() {
        return "error".into();
    }
    // Warnings come before the result on standard output; the result is one line. When the
    // configuration failed to evaluate, terraform still prints a result (with placeholders for
    // what failed) after a warning that it may be wrong: that is an error.
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout.contains("Due to the problems above") {
        return "error".into();
    }
    let text = stdout.trim().lines().last().unwrap_or("").to_string();
    match serde_json::from_str::<String>(&text) {
        Ok(json) => json,
        Err(_) => text,
    }
}

/// The result of each selected local of `m` in JSON (or `error`, `(sensitive value)`, ...),
/// by asking `program`'s console in a scratch directory holding only `m`'s configuration.
fn evaluate(program: &Path, m: &Module) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), &m.tf).expect("write main.tf");
    let all = m
        .locals
        .iter()
        .map(|l| format!("{l:?} = local.{l}"))
        .collect::<Vec<_>>()
        .join(", ");
    let whole = console(program, dir.path(), &format!("jsonencode({{{all}}})"));
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(&whole)
        && o.len() == m.locals.len()
    {
        return o.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    }
    // One local at a time, each with only what it needs: an error elsewhere in the module
    // fails every expression in terraform's console.
    m.locals
        .iter()
        .map(|l| {
            let one = tempfile::tempdir().expect("tempdir");
            std::fs::write(
                one.path().join("main.tf"),
                m.config_for(std::slice::from_ref(l)),
            )
            .expect("write main.tf");
            let r = console(program, one.path(), &format!("jsonencode(local.{l})"));
            let r = match serde_json::from_str::<serde_json::Value>(&r) {
                Ok(v) => v.to_string(),
                Err(_) => r,
            };
            (l.clone(), r)
        })
        .collect()
}

type Table = BTreeMap<(String, String), String>;

fn read_table(path: &Path) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let (dir, local, result) = (parts.next()?, parts.next()?, parts.next()?);
            Some(((dir.to_string(), local.to_string()), result.to_string()))
        })
        .collect()
}

/// `DIR LOCAL  # reason` lines.
fn read_exclusions() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(manifest().join("testdata/corpus/locals-exclusions.txt"))
        .unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect()
}

#[test]
fn corpus_locals_evaluate_like_terraform() {
    let root = corpus();
    if !root.is_dir() {
        println!("skipped: corpus not found");
        return;
    }
    let mods = modules(&root);
    if std::env::var("CAIRN_REGEN_CORPUS").as_deref() == Ok("1") {
        if !crate::support::have_terraform("corpus_locals_evaluate_like_terraform") {
            return;
        }
        let tf = PathBuf::from("terraform");
        let mut out = String::from(
            "# What `terraform console` prints for `jsonencode(local.NAME)` of each local of the corpus\n\
             # that depends only on variables with defaults and such locals: DIR<TAB>LOCAL<TAB>RESULT.\n\
             # Regenerate with CAIRN_REGEN_CORPUS=1 cargo test --test cli corpus_locals.\n",
        );
        for m in &mods {
            for (l, r) in evaluate(&tf, m) {
                out.push_str(&format!("{}\t{l}\t{r}\n", m.rel));
            }
        }
        std::fs::create_dir_all(manifest().join("testdata/corpus")).expect("mkdir");
        std::fs::write(expected_path(), out).expect("write expected");
    }
    let expected = read_table(&expected_path());
    let excluded = read_exclusions();
    // For investigating a difference: CAIRN_CORPUS_DUMP=DIR writes each module's configuration
    // to DIR/<path with / as __>.tf.
    if let Some(dump) = std::env::var_os("CAIRN_CORPUS_DUMP") {
        let dump = PathBuf::from(dump);
        std::fs::create_dir_all(&dump).expect("mkdir dump");
        for m in &mods {
            let name = format!("{}.tf", m.rel.replace('/', "__"));
            std::fs::write(dump.join(name), &m.tf).expect("write dump");
        }
    }
    let cairn = cairn_bin();
    let (mut agree, mut total, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for m in &mods {
        let got = evaluate(&cairn, m);
        for l in &m.locals {
            let key = (m.rel.clone(), l.clone());
            let Some(want) = expected.get(&key) else {
                skipped += 1;
                continue;
            };
            total += 1;
            let mine = got.get(l).map(String::as_str).unwrap_or("(missing)");
            if mine == want {
                agree += 1;
            } else if !excluded.contains(&key) {
                failures.push(format!(
                    "{}: local.{l}\n   terraform: {want}\n       cairn: {mine}",
                    m.rel
                ));
            }
        }
    }
    println!(
        "corpus locals: {agree} of {total} agree ({} excluded, {skipped} without an expected result)",
        total - agree - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} corpus locals differ from terraform:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
