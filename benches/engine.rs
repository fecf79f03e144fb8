//! Micro-benchmarks of the engine's stages on generated configurations: loading (parsing) a
//! directory, evaluating expressions, building the dependency graph, and planning against an
//! empty state with the built-in providers. `cargo bench --bench engine`; the whole-process
//! comparison with terraform is `benches/run.py`.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;

use cairn::cli::registry::Builtin;
use cairn::config::{Config, Expr};
use cairn::diag::{Diagnostic, Span};
use cairn::lang::{Scope, Subject};
use cairn::plan;
use cairn::state::State;
use cairn_provider::Value;
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};

/// A flat configuration of `n` resources whose inputs use a variable, a local and functions,
/// one `count` block of `n` instances feeding another, and a `for_each` over `n` keys.
fn write_config(dir: &Path, n: usize) {
    let mut s = r#"variable "env" {
  default = "bench"
}

locals {
  prefix = "${var.env}-${upper(substr(var.env, 0, 3))}"
  tags   = { team = "infra", env = var.env }
  keys   = toset([for i in range(N) : format("k%05d", i)])
}

resource "terraform_data" "a" {
  count = N
  input = format("%s-a-%d", local.prefix, count.index)
}

resource "terraform_data" "b" {
  count = N
  input = { from = terraform_data.a[count.index].id, tags = local.tags }
}

resource "terraform_data" "e" {
  for_each = local.keys
  input    = "${local.prefix}-${each.key}"
}
"#
    .replace("N", &n.to_string());
    for i in 0..n {
        s.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = {{\n    name = format(\"%s-%05d\", local.prefix, {i})\n    tags = merge(local.tags, {{ idx = \"{i}\" }})\n  }}\n}}\n"
        ));
    }
    std::fs::write(dir.join("main.tf"), s).expect("write main.tf");
}

fn load(dir: &Path) -> Config {
    let (config, diags) = cairn::config::load_dir(dir);
    assert!(!diags.has_errors(), "{diags:?}");
    config
}

const SIZES: [usize; 2] = [100, 1000];

fn config_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("config_load");
    for n in SIZES {
        let dir = tempfile::tempdir().expect("temp dir");
        write_config(dir.path(), n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(load(dir.path())))
        });
    }
    g.finish();
}

fn graph_build(c: &mut Criterion) {
    let mut g = c.benchmark_group("graph_build");
    for n in SIZES {
        let dir = tempfile::tempdir().expect("temp dir");
        write_config(dir.path(), n);
        let config = load(dir.path());
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(cairn::graph::build(&config).expect("graph")))
        });
    }
    g.finish();
}

/// Variables and locals from fixed values; everything else is not in scope.
struct Fixed(HashMap<Subject, Value>);

impl Scope for Fixed {
    fn resolve(&self, subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        self.0.get(subject).cloned().ok_or_else(|| {
            let d = Diagnostic::error("Not in scope", format!("{subject:?}"));
            match span {
                Some(s) => d.at(s.clone(), ""),
                None => d,
            }
        })
    }
}

fn eval(c: &mut Criterion) {
    let scope = Fixed(HashMap::from([
        (Subject::Var("env".into()), Value::string("bench")),
        (
            Subject::Local("tags".into()),
            Value::object([("team", Value::string("infra"))]),
        ),
        (
            Subject::Local("names".into()),
            Value::List((0..100).map(|i| Value::string(format!("n{i}"))).collect()),
        ),
    ]));
    let cases = [
        (
            "template",
            r#""${var.env}-${upper(substr(var.env, 0, 3))}-x""#,
        ),
        (
            "object_merge",
            r#"{ name = format("%s-%05d", var.env, 42), tags = merge(local.tags, { idx = "42" }) }"#,
        ),
        (
            "for_expression",
            r#"{ for i, n in local.names : n => "${n}-${i}" if i % 2 == 0 }"#,
        ),
        (
            "range_set",
            r#"toset([for i in range(100) : format("k%05d", i)])"#,
        ),
    ];
    let mut g = c.benchmark_group("eval");
    for (name, text) in cases {
        let expr = Expr::from_hcl(0, &text.parse().expect("expression parses"));
        assert!(cairn::lang::eval(&expr, &scope).is_ok(), "{name}");
        g.bench_function(name, |b| {
            b.iter(|| black_box(cairn::lang::eval(&expr, &scope)))
        });
    }
    g.finish();
}

fn planner(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("plan_empty_state");
    g.sample_size(10);
    for n in SIZES {
        let dir = tempfile::tempdir().expect("temp dir");
        write_config(dir.path(), n);
        let config = load(dir.path());
        let state = State::new();
        let registry = Builtin::new();
        let opts = plan::Options {
            cwd: dir.path().display().to_string(),
            refresh: true,
            vars: HashMap::from([("env".to_string(), Value::string("bench"))]),
            ..plan::Options::default()
        };
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            // The plan takes the state it is made from; copying it is not part of planning.
            b.iter_batched(
                || state.clone(),
                |state| {
                    let planned = rt
                        .block_on(plan::plan(&config, state, &registry, &opts))
                        .expect("plan");
                    black_box(planned.plan.changes.len())
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// `n` small resources (and every tenth, a variable and a template local), as text.
fn parse_text(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i % 10 == 0 {
            s.push_str(&format!(
                "variable \"v{i}\" {{\n  default = \"bench\"\n}}\n\nlocals {{\n  p{i} = \"${{var.env}}-${{upper(substr(var.env, 0, 3))}}\"\n}}\n\n"
            ));
        }
        s.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = {{\n    name = format(\"%s-%05d\", local.prefix, {i})\n    tags = local.tags\n    hash = substr(md5(\"{i}\"), 0, 8)\n  }}\n}}\n\n"
        ));
    }
    s
}

/// Parsing a file into the compact tree: the fast parser against hcl-edit and the conversion.
fn parse(c: &mut Criterion) {
    use cairn::lang::ast::{from_hcl::Conv, parse::parse_body};
    let text = parse_text(2000);
    let mut g = c.benchmark_group("parse");
    g.sample_size(20);
    g.bench_function("fast_2000", |b| {
        b.iter(|| parse_body(black_box(&text), 0).map(|body| body.len()))
    });
    g.bench_function("hcl_edit_and_convert_2000", |b| {
        b.iter(|| {
            hcl_edit::parser::parse_body(black_box(&text))
                .ok()
                .map(|body| Conv { off: 0 }.body(&body).len())
        })
    });
    g.finish();
}

criterion_group!(benches, config_load, eval, graph_build, planner, parse);
criterion_main!(benches);
