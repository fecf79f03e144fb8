//! Input variable values from outside the configuration, in Terraform's precedence order (later
//! wins): `TF_VAR_name` environment variables, `terraform.tfvars`, `terraform.tfvars.json`,
//! `*.auto.tfvars` and `*.auto.tfvars.json` (sorted by name), then `-var` and `-var-file` in
//! command-line order.
//!
//! Values stay raw: expressions from files keep their spans, strings from the command line and
//! the environment are kept as given. Converting them to the variable's type is `lang`'s job.

use std::path::{Path, PathBuf};

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Structure;
use indexmap::IndexMap;

use super::Expr;
use super::constraint::object_key_name;
use super::load::{list_files, parse_expr_at, syntax_error};
use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span, display_path};

/// A `-var` or `-var-file` argument, in command-line order.
#[derive(Clone, Debug, PartialEq)]
pub enum VarArg {
    /// `-var 'name=value'`
    Var(String),
    /// `-var-file=path`
    File(PathBuf),
}

/// A variable value as given, before conversion to the variable's type.
#[derive(Clone, Debug)]
pub enum RawValue {
    /// From a `.tfvars` file: an expression (with its span).
    Expr(Expr),
    /// From `-var` or `TF_VAR_*`: a string that is parsed as an HCL expression unless the
    /// variable's type is a primitive, where it is used as is (Terraform's rule).
    Str { value: String, origin: String },
}

/// Collects raw values for variables from `dir`'s tfvars files, the environment and the command
/// line. Files read are added to `sources` so diagnostics can point into them. A relative
/// `-var-file` path is read as given (relative to the process's working directory).
pub fn collect(
    dir: &std::path::Path,
    args: &[VarArg],
    env: &[(String, String)],
    sources: &mut SourceMap,
) -> Result<IndexMap<String, RawValue>, Diagnostics> {
    let mut values = IndexMap::new();
    let mut diags = Diagnostics::new();

    for (key, value) in env {
        if let Some(name) = key.strip_prefix("TF_VAR_").filter(|n| !n.is_empty()) {
            values.insert(
                name.to_string(),
                RawValue::Str {
                    value: value.clone(),
                    origin: format!("environment variable {key}"),
                },
            );
        }
    }

    let mut files: Vec<PathBuf> = ["terraform.tfvars", "terraform.tfvars.json"]
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect();
    match list_files(dir, &[".auto.tfvars", ".auto.tfvars.json"]) {
        Ok(auto) => files.extend(auto),
        Err(e) => diags.push(Diagnostic::error(
            "Failed to read configuration directory",
            format!("Cannot read {}: {e}.", dir.display()),
        )),
    }
    for path in files {
        let name = display_path(&path, dir);
        read_file(&path, name, sources, &mut values, &mut diags);
    }

    for arg in args {
        match arg {
            VarArg::Var(text) => match text.split_once('=') {
                Some((name, value)) if !name.trim().is_empty() => {
                    values.insert(
                        name.trim().to_string(),
                        RawValue::Str { value: value.to_string(), origin: "-var option".into() },
                    );
                }
                _ => diags.push(Diagnostic::error(
                    "Invalid -var option",
                    format!("The given -var option {text:?} is not correctly specified. Must be a variable name and value separated by an equals sign, like -var=\"key=value\"."),
                )),
            },
            VarArg::File(path) => {
                if !path.is_file() {
                    diags.push(Diagnostic::error(
                        "Failed to read variables file",
                        format!("Given variables file {} does not exist.", path.display()),
                    ));
                    continue;
                }
                let name = path.display().to_string();
                read_file(path, name, sources, &mut values, &mut diags);
            }
        }
    }
    diags.into_result(values)
}

/// Reads one tfvars file (HCL, or JSON when its name ends with `.json`) into `values`.
fn read_file(
    path: &Path,
    name: String,
    sources: &mut SourceMap,
    values: &mut IndexMap<String, RawValue>,
    diags: &mut Diagnostics,
) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            diags.push(Diagnostic::error(
                "Failed to read variables file",
                format!("Cannot read {name}: {e}."),
            ));
            return;
        }
    };
    let json = name.ends_with(".json");
    let file = sources.add(name, text);
    let text = sources.text(file);
    let span = |r: Option<std::ops::Range<usize>>| r.map(|r| Span::new(file, r));
    let expr = |expr: Expression| RawValue::Expr(Expr::from_hcl(file, &expr));
    if json {
        let trimmed = text.trim_start();
        let root = match parse_expr_at(trimmed, text.len() - trimmed.len()) {
            Ok(root) => root,
            Err(e) => {
                diags.push(syntax_error(sources, file, &e));
                return;
            }
        };
        let Expression::Object(obj) = root else {
            diags.push(
                Diagnostic::error(
                    "Root value must be object",
                    "The root value in a JSON variables file must be an object, whose keys are variable names.",
                )
                .at_opt(span(root.span())),
            );
            return;
        };
        for (key, value) in obj {
            match key_name(&key) {
                Some(name) => {
                    values.insert(name, expr(value.into_expr()));
                }
                None => diags.push(
                    Diagnostic::error(
                        "Invalid variable name",
                        "The keys of a JSON variables file must be strings naming variables.",
                    )
                    .at_opt(span(key.span())),
                ),
            }
        }
        return;
    }
    let body = match super::load::parse_body(text) {
        Ok(body) => body,
        Err(e) => {
            diags.push(syntax_error(sources, file, &e));
            return;
        }
    };
    for s in body {
        match s {
            Structure::Attribute(a) => {
                values.insert(a.key.as_str().to_string(), expr(a.value));
            }
            Structure::Block(b) => diags.push(
                Diagnostic::error(
                    format!("Unexpected \"{}\" block", b.ident.as_str()),
                    "Blocks are not allowed here: a variables file contains only arguments, like name = \"value\".",
                )
                .at_opt(span(b.ident.span())),
            ),
        }
    }
}

fn key_name(key: &hcl_edit::expr::ObjectKey) -> Option<String> {
    match key {
        hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => Some(s.value().clone()),
        hcl_edit::expr::ObjectKey::Ident(i) => Some(i.as_str().to_string()),
        hcl_edit::expr::ObjectKey::Expression(e) => object_key_name(
            &crate::lang::ast::ObjectKey::Expression(crate::lang::ast::from_hcl::expr(e)),
        ),
    }
}
