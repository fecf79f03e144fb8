//! `check` blocks: after planning (against planned values) and again after applying (against
//! the new state), each check's scoped data source is read and its assertions evaluated. A
//! failed assertion is a warning, never an error, as in Terraform; an assertion whose condition
//! is not yet known is reported as such while planning and decided after apply.
//!
//! It must not write state or print; the results go into the plan and the diagnostics.

use cairn_provider::{Type, Value};

use super::providers::ProviderSet;
use super::scope::{Expansion, ModuleScope, ResourceValues};
use super::{CheckResult, CheckStatus};
use crate::addr::{InstanceKey, Mode};
use crate::config::{Check, Module};
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::lang;

/// Evaluates every check of `module` in `scope`; `planning` says whether unknown conditions
/// are expected (plan) or mean a failure to decide (apply).
pub async fn evaluate(
    module: &Module,
    scope: &mut ModuleScope<'_>,
    providers: &ProviderSet,
    planning: bool,
) -> (Vec<CheckResult>, Diagnostics) {
    let mut results = Vec::new();
    let mut diags = Diagnostics::new();
    let mut checks: Vec<&Check> = module.checks.values().collect();
    checks.sort_by(|a, b| a.name.cmp(&b.name));
    for check in checks {
        let (r, ds) = one(check, scope, providers, planning).await;
        results.push(r);
        diags.extend(ds);
    }
    (results, diags)
}

async fn one(
    check: &Check,
    scope: &mut ModuleScope<'_>,
    providers: &ProviderSet,
    planning: bool,
) -> (CheckResult, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut failed_data = false;
    for d in &check.data {
        match read(d, scope, providers).await {
            Ok(v) => {
                scope.resources.insert(
                    d.addr.clone(),
                    ResourceValues {
                        expansion: Expansion::Single,
                        instances: [(InstanceKey::None, v)].into_iter().collect(),
                    },
                );
            }
            Err(ds) => {
                failed_data = true;
                diags.extend(warnings(ds));
            }
        }
    }
    let mut problems = Vec::new();
    let mut unknown = false;
    if !failed_data {
        for a in &check.asserts {
            match lang::eval(&a.condition, scope) {
                Ok(c) if !c.is_wholly_known() => {
                    unknown = true;
                    if planning {
                        diags.push(
                            Diagnostic::warning(
                                "Check block assertion known after apply",
                                "The condition could not be evaluated at this time, a result will be known when this plan is applied.",
                            )
                            .at_opt(a.condition.span()),
                        );
                    }
                }
                Ok(c) => match lang::convert(c, &Type::Bool).ok().and_then(|c| c.as_bool()) {
                    Some(true) => {}
                    Some(false) => {
                        let msg = lang::eval(&a.error_message, scope)
                            .ok()
                            .and_then(|m| m.unmark_deep().0.as_str().map(str::to_string))
                            .unwrap_or_else(|| "The condition is false.".to_string());
                        diags.push(
                            Diagnostic::warning("Check block assertion failed", msg.clone())
                                .at_opt(a.condition.span()),
                        );
                        problems.push(msg);
                    }
                    None => {
                        diags.push(
                            Diagnostic::warning(
                                "Invalid condition result",
                                "A condition must be true or false.",
                            )
                            .at_opt(a.condition.span()),
                        );
                        problems.push("A condition must be true or false.".to_string());
                    }
                },
                Err(ds) => {
                    problems.extend(ds.iter().map(|d| d.summary.clone()));
                    diags.extend(warnings(ds));
                }
            }
        }
    }
    for d in &check.data {
        scope.resources.remove(&d.addr);
    }
    let status = if failed_data || !problems.is_empty() {
        CheckStatus::Fail
    } else if unknown {
        CheckStatus::Unknown
    } else {
        CheckStatus::Pass
    };
    (
        CheckResult {
            module: String::new(),
            name: check.name.clone(),
            status,
            problems,
        },
        diags,
    )
}

/// Reads a check's scoped data source; its value is unknown while its configuration is.
async fn read(
    d: &crate::config::Resource,
    scope: &ModuleScope<'_>,
    providers: &ProviderSet,
) -> Result<Value, Diagnostics> {
    let pref = d.provider_ref();
    let Some(p) = providers.get(&pref) else {
        return Err(Diagnostic::warning(
            "Provider configuration not present",
            format!(
                "The provider \"{}\" needed by {} is not configured.",
                pref.name, d.addr
            ),
        )
        .at(d.span.clone(), "")
        .into());
    };
    let Some(schema) = p.resource_schema(Mode::Data, &d.addr.ty).cloned() else {
        return Err(Diagnostic::error(
            "Invalid data source",
            format!(
                "The provider {} does not support data source \"{}\".",
                p.source, d.addr.ty
            ),
        )
        .at(d.span.clone(), "")
        .into());
    };
    let config = lang::eval_body(&d.body, &schema, scope)?;
    let (plain, marks) = config.unmark_deep();
    if !plain.is_wholly_known() {
        let planned = cairn_provider::provider::plan_by_schema(&schema, None, &plain).planned;
        return Ok(planned.mark_paths(&marks));
    }
    match p.provider.read_data(&d.addr.ty, &plain).await {
        Ok(v) => {
            let mut paths = marks;
            paths.extend(schema.sensitive_paths(&v));
            Ok(v.mark_paths(&paths))
        }
        Err(e) => Err(Diagnostic::error(
            "Error reading data source",
            format!("{}: {}", d.addr, e.message),
        )
        .at(d.span.clone(), "")
        .into()),
    }
}

/// Problems inside a check block never stop a run: they are reported as warnings.
fn warnings(ds: Diagnostics) -> Diagnostics {
    Diagnostics(
        ds.0.into_iter()
            .map(|mut d| {
                d.severity = Severity::Warning;
                d
            })
            .collect(),
    )
}
