//! Input variables: turns the raw values given on the command line, in files and in the
//! environment into typed values, applying defaults, `nullable`, `sensitive` and `validation`
//! rules. Values that are strings on the command line (`-var`, `TF_VAR_*`) are parsed as HCL
//! unless the variable's type is a primitive, as Terraform does.

use std::collections::HashMap;

use cairn_provider::{Type, Value};
use indexmap::IndexMap;

use crate::config::vars::RawValue;
use crate::config::{Config, Expr, Validation, Variable};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::{self, Scope, Subject};

/// A scope with nothing in it: for constant expressions (defaults, tfvars values).
struct EmptyScope;

impl Scope for EmptyScope {
    fn resolve(&self, _subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error(
            "Variables not allowed",
            "Variables may not be used here: the value must be a constant.",
        )
        .at_opt(span.cloned()))
    }
}

/// A scope holding only `var.NAME` (for validation conditions).
struct VarScope<'a> {
    name: &'a str,
    value: &'a Value,
}

impl Scope for VarScope<'_> {
    fn resolve(&self, subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        match subject {
            Subject::Var(n) if n == self.name => Ok(self.value.clone()),
            _ => Err(Diagnostic::error(
                "Invalid reference in variable validation",
                format!("The condition for variable \"{}\" can only refer to the variable itself, using var.{}.", self.name, self.name),
            )
            .at_opt(span.cloned())),
        }
    }
}

/// Names of declared variables that have neither a value nor a default.
pub fn missing(config: &Config, raw: &IndexMap<String, RawValue>) -> Vec<String> {
    config
        .root
        .variables
        .values()
        .filter(|v| v.default.is_none() && !raw.contains_key(&v.name))
        .map(|v| v.name.clone())
        .collect()
}

/// Evaluates every declared variable. Strings given on the command line are added to the
/// configuration's source map so diagnostics can point into them.
pub fn evaluate(
    config: &mut Config,
    raw: &IndexMap<String, RawValue>,
) -> Result<(HashMap<String, Value>, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut out = HashMap::new();
    for (name, r) in raw {
        if config.root.variables.contains_key(name) {
            continue;
        }
        match r {
            RawValue::Expr(e) => diags.push(
                Diagnostic::warning(
                    "Value for undeclared variable",
                    format!("The root module does not declare a variable named \"{name}\" but a value was found in a file. To use this value, add a variable \"{name}\" block; otherwise remove it."),
                )
                .at_opt(e.span()),
            ),
            RawValue::Str { origin, .. } => diags.push(Diagnostic::error(
                "Value for undeclared variable",
                format!("A variable named \"{name}\" was assigned by {origin}, but the root module does not declare a variable of that name. To use this value, add a variable \"{name}\" block."),
            )),
        }
    }
    let vars: Vec<&Variable> = config.root.variables.values().collect();
    let mut parsed: Vec<(String, Option<Expr>, Option<String>)> = Vec::new();
    // Parse command-line strings first (needs the source map mutably).
    for v in &vars {
        let primitive = v.ty.as_ref().is_none_or(Type::is_primitive);
        match raw.get(&v.name) {
            Some(RawValue::Str { value, origin }) if !primitive => {
                parsed.push((v.name.clone(), None, Some(format!("{origin}\u{0}{value}"))));
            }
            _ => parsed.push((v.name.clone(), None, None)),
        }
    }
    for (name, expr, pending) in parsed.iter_mut() {
        if let Some(p) = pending.take() {
            let (origin, text) = p.split_once('\u{0}').unwrap_or(("", &p));
            let file = config
                .sources
                .add(format!("<value for var.{name}>"), text.to_string());
            match hcl_edit::parser::parse_expr(text) {
                Ok(e) => *expr = Some(Expr::from_hcl(file, &e)),
                Err(e) => diags.push(
                    Diagnostic::error(
                        "Invalid value for variable",
                        format!(
                            "The value given by {origin} for var.{name} is not valid HCL: {}",
                            e.message()
                        ),
                    )
                    .at(Span::new(file, 0..text.len()), ""),
                ),
            }
        }
    }
    for (name, cli_expr, _) in parsed {
        let v = &config.root.variables[&name];
        let value = match (raw.get(&name), cli_expr) {
            (_, Some(e)) => lang::eval(&e, &EmptyScope).map(Some),
            (Some(RawValue::Expr(e)), None) => lang::eval(e, &EmptyScope).map(Some),
            (Some(RawValue::Str { value, .. }), None) => Ok(Some(Value::string(value))),
            (None, None) => match &v.default {
                Some(d) => lang::eval(d, &EmptyScope).map(Some),
                None => Ok(None),
            },
        };
        let value = match value {
            Ok(Some(x)) => x,
            Ok(None) => {
                diags.push(
                    Diagnostic::error(
                        "No value for required variable",
                        format!("The root module input variable \"{name}\" is not set, and has no default value. Use a -var or -var-file command line argument to provide a value for this variable."),
                    )
                    .at(v.span.clone(), ""),
                );
                continue;
            }
            Err(ds) => {
                diags.extend(ds);
                continue;
            }
        };
        match finish(v, value) {
            Ok(x) => {
                out.insert(name, x);
            }
            Err(d) => diags.push(d),
        }
    }
    // Validation rules, once every value is known.
    for v in config.root.variables.values() {
        let Some(value) = out.get(&v.name) else {
            continue;
        };
        diags.extend(validate(v, value));
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok((out, diags))
    }
}

/// Whether a validation rule refers to nothing but its own variable; such rules are checked as
/// soon as the value is known, the others (Terraform 1.9+) during the walk, after what they
/// refer to.
pub(crate) fn self_only(v: &Variable, rule: &Validation) -> bool {
    lang::references(&rule.condition)
        .into_iter()
        .chain(lang::references(&rule.error_message))
        .all(|r| matches!(&r.subject, Subject::Var(n) if *n == v.name))
}

/// Checks a variable's self-only `validation` rules against its value (a condition not yet
/// known passes).
pub(crate) fn validate(v: &Variable, value: &Value) -> Diagnostics {
    let scope = VarScope {
        name: &v.name,
        value,
    };
    let rules = v.validations.iter().filter(|r| self_only(v, r));
    check_rules(v, rules, &scope)
}

/// Checks the `validation` rules of a variable that refer to other objects, in the scope of its
/// module (the walk calls this once everything they refer to is evaluated).
pub(crate) fn validate_in(v: &Variable, scope: &dyn lang::Scope) -> Diagnostics {
    let rules = v.validations.iter().filter(|r| !self_only(v, r));
    check_rules(v, rules, scope)
}

fn check_rules<'r>(
    v: &Variable,
    rules: impl Iterator<Item = &'r Validation>,
    scope: &dyn lang::Scope,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for rule in rules {
        match lang::eval(&rule.condition, scope) {
            Ok(c) if !c.is_wholly_known() => {}
            Ok(c) => match c.as_bool() {
                Some(true) => {}
                Some(false) => {
                    let msg = lang::eval(&rule.error_message, scope)
                        .ok()
                        .and_then(|m| m.as_str().map(str::to_string))
                        .unwrap_or_else(|| "The value is not valid.".to_string());
                    diags.push(
                        Diagnostic::error(
                            "Invalid value for variable",
                            format!(
                                "{msg}\n\nThis was checked by the validation rule of var.{}.",
                                v.name
                            ),
                        )
                        .at_opt(rule.condition.span()),
                    );
                }
                None => diags.push(
                    Diagnostic::error(
                        "Invalid validation result",
                        "The condition of a validation rule must be true or false.",
                    )
                    .at_opt(rule.condition.span()),
                ),
            },
            Err(ds) => diags.extend(ds),
        }
    }
    diags
}

/// Evaluates a constant expression (a variable's default).
pub(crate) fn constant(e: &Expr) -> Result<Value, Diagnostics> {
    lang::eval(e, &EmptyScope)
}

/// Type conversion, nullability and sensitivity of one value.
pub(crate) fn finish(v: &Variable, value: Value) -> Result<Value, Diagnostic> {
    let value = if value.is_null() && !v.nullable {
        match &v.default {
            Some(d) => lang::eval(d, &EmptyScope).map_err(|ds| {
                ds.0.into_iter()
                    .next()
                    .unwrap_or_else(|| Diagnostic::error("Invalid default", ""))
            })?,
            None => {
                return Err(Diagnostic::error(
                    "Required variable not set",
                    format!("Unsuitable value for var.{}: the variable is not nullable, so it cannot be set to null.", v.name),
                )
                .at(v.span.clone(), ""));
            }
        }
    } else {
        value
    };
    let value = match &v.ty {
        Some(t) => lang::convert(value, t).map_err(|e| {
            Diagnostic::error(
                "Invalid value for input variable",
                format!(
                    "The given value is not suitable for var.{} declared at {}: {e}.",
                    v.name, "its declaration"
                ),
            )
            .at(v.span.clone(), "")
        })?,
        None => value,
    };
    Ok(if v.sensitive {
        value.mark_sensitive()
    } else {
        value
    })
}
