//! `init` and `validate`: check that the working directory can be planned, without touching
//! state. `init` writes nothing Terraform would trip over (and ignores what `terraform init`
//! leaves behind), so both tools can share a directory.

use std::collections::BTreeSet;

use cairn_provider::{Schema, Value};

use super::args::{InitArgs, ValidateArgs};
use super::registry::Builtin;
use super::support::{self, report};
use super::{Reported, Ui};
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::{self, Scope, Subject};
use crate::plan::Registry;
use crate::plan::providers::source_for;

/// The sources of every provider the configuration needs, with the local names using them.
fn needed_sources(config: &Config) -> BTreeSet<(String, String)> {
    let m = &config.root;
    let mut names: BTreeSet<String> = m
        .resources
        .values()
        .map(|r| r.provider_ref().name)
        .collect();
    names.extend(m.providers.iter().map(|p| p.name.clone()));
    names.extend(m.terraform.required_providers.keys().cloned());
    names.into_iter().map(|n| (source_for(m, &n), n)).collect()
}

fn check_providers(config: &Config, registry: &Builtin) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let have = registry.sources();
    for (source, name) in needed_sources(config) {
        if !have.contains(&source) {
            diags.push(Diagnostic::error(
                "Provider not available",
                format!(
                    "The configuration needs provider \"{name}\" ({source}), which is not built into cairn. Built-in providers: {}.",
                    have.join(", ")
                ),
            ));
        }
    }
    diags
}

pub(crate) async fn init(_args: InitArgs, ui: Ui) -> anyhow::Result<i32> {
    let config = support::load_config(ui, false)?;
    println!("\nInitializing the backend...");
    let path = support::state_path(Some(&config), None)?;
    println!("Using the local backend: state in {}", path.display());
    println!("\nInitializing provider plugins...");
    let registry = Builtin::new();
    let diags = check_providers(&config, &registry);
    if diags.has_errors() {
        report(&diags, &config.sources, ui);
        return Err(Reported.into());
    }
    for (source, _) in needed_sources(&config) {
        println!("- Using built-in {source}");
    }
    println!("\ncairn has been successfully initialized!\n");
    println!(
        "You may now begin working with cairn. Try running \"cairn plan\" to see\nany changes that are required for your infrastructure."
    );
    Ok(0)
}

/// Resolves every reference to an unknown value: validation checks shapes, not values.
struct UnknownScope;

impl Scope for UnknownScope {
    fn resolve(&self, _subject: &Subject, _span: Option<&Span>) -> Result<Value, Diagnostic> {
        Ok(Value::Unknown)
    }
}

/// Checks the configuration without variables or state: syntax, references, cycles, resource
/// types and arguments.
pub(crate) fn check(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Err(ds) = crate::graph::build(config) {
        diags.extend(ds);
    }
    let registry = Builtin::new();
    diags.extend(check_providers(config, &registry));
    let m = &config.root;
    for r in m.resources.values() {
        let source = source_for(m, &r.provider_ref().name);
        let Some(p) = registry.instantiate(&source) else {
            continue;
        };
        let schema = p.schema();
        let s: Option<&Schema> = match r.addr.mode {
            crate::addr::Mode::Managed => schema.resources.get(&r.addr.ty).map(|x| &x.schema),
            crate::addr::Mode::Data => schema.data_sources.get(&r.addr.ty),
        };
        let Some(s) = s else {
            diags.push(
                Diagnostic::error(
                    "Invalid resource type",
                    format!(
                        "The provider {source} does not support resource type \"{}\".",
                        r.addr.ty
                    ),
                )
                .at(r.span.clone(), ""),
            );
            continue;
        };
        if let Err(ds) = lang::eval_body(&r.body, s, &UnknownScope) {
            diags.extend(ds);
        }
    }
    diags
}

pub(crate) async fn validate(args: ValidateArgs, ui: Ui) -> anyhow::Result<i32> {
    let dir = support::cwd()?;
    let (config, mut diags) = crate::config::load_dir(&dir);
    if !diags.has_errors() {
        diags.extend(check(&config));
    }
    if args.json {
        let list: Vec<serde_json::Value> = diags
            .iter()
            .map(|d| {
                let range = d.span().map(|s| {
                    let (l, c) = config.sources.line_col(s.file, s.range.start);
                    let (el, ec) = config.sources.line_col(s.file, s.range.end);
                    serde_json::json!({
                        "filename": config.sources.name(s.file),
                        "start": {"line": l, "column": c, "byte": s.range.start},
                        "end": {"line": el, "column": ec, "byte": s.range.end},
                    })
                });
                serde_json::json!({
                    "severity": if d.is_error() { "error" } else { "warning" },
                    "summary": d.summary,
                    "detail": d.detail,
                    "range": range,
                })
            })
            .collect();
        let errors = diags.iter().filter(|d| d.is_error()).count();
        let doc = serde_json::json!({
            "format_version": "1.0",
            "valid": errors == 0,
            "error_count": errors,
            "warning_count": diags.0.len() - errors,
            "diagnostics": list,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(if errors == 0 { 0 } else { 1 });
    }
    report(&diags, &config.sources, ui);
    if diags.has_errors() {
        return Err(Reported.into());
    }
    println!("Success! The configuration is valid.\n");
    Ok(0)
}
