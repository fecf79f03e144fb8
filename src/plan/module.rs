//! Module calls, shared by the planning walk and apply-time evaluation: expanding `count` and
//! `for_each` (of resources and module calls alike) into instance keys, turning a call's
//! arguments into the child's input variables, collecting a module instance's outputs into the
//! object that `module.NAME` evaluates to, and resolving which root provider configuration a
//! resource in a child module uses (the `providers` map, or inheritance of default
//! configurations by name).
//!
//! It must not read state, call providers or print.

use std::collections::HashMap;

use cairn_provider::{Type, Value};

use super::scope::Expansion;
use super::vars;
use crate::addr::{InstanceKey, ModulePath};
use crate::config::{Expr, Module, ModuleCall, Output, ProviderRef, Variable};
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::{self, Scope};

/// An instance key with its `each.value` (for `for_each`).
pub type Instance = (InstanceKey, Option<Value>);

/// Evaluates `count`/`for_each`: the instance keys with their `each.value`.
pub fn expand(
    count: Option<&Expr>,
    for_each: Option<&Expr>,
    scope: &dyn Scope,
) -> Result<(Expansion, Vec<Instance>), Diagnostics> {
    if let Some(e) = count {
        let v = lang::eval(e, scope)?;
        let fail = |detail: &str| -> Diagnostics {
            Diagnostic::error("Invalid count argument", detail.to_string())
                .at_opt(e.span())
                .into()
        };
        if v.is_unknown() {
            return Err(fail(
                "The \"count\" value depends on resource attributes that cannot be determined until apply, so cairn cannot predict how many instances will be created. To work around this, use -target to first apply only the resources that the count depends on.",
            ));
        }
        if v.is_sensitive() {
            return Err(fail(
                "Sensitive values, or values derived from sensitive values, cannot be used as count arguments.",
            ));
        }
        let Some(n) = lang::convert(v, &Type::Number)
            .ok()
            .and_then(|v| v.as_number())
        else {
            return Err(fail(
                "The given \"count\" argument value is unsuitable: a number is required.",
            ));
        };
        let Some(n) = n.as_i64().filter(|n| *n >= 0) else {
            return Err(fail(
                "The given \"count\" argument value is unsuitable: must be a whole number, greater than or equal to zero.",
            ));
        };
        return Ok((
            Expansion::Count,
            (0..n).map(|i| (InstanceKey::Int(i), None)).collect(),
        ));
    }
    if let Some(e) = for_each {
        let v = lang::eval(e, scope)?;
        let fail = |detail: &str| -> Diagnostics {
            Diagnostic::error("Invalid for_each argument", detail.to_string())
                .at_opt(e.span())
                .into()
        };
        if !v.is_wholly_known() && !matches!(v.strip_marks_ref(), Value::Map(_) | Value::Object(_))
            || v.is_unknown()
        {
            return Err(fail(
                "The \"for_each\" value depends on resource attributes that cannot be determined until apply, so cairn cannot predict how many instances will be created. To work around this, use -target to first apply only the resources that the for_each value depends on.",
            ));
        }
        if v.is_sensitive() {
            return Err(fail(
                "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments.",
            ));
        }
        let keys = match v.strip_marks_ref() {
            Value::Map(m) | Value::Object(m) => m
                .iter()
                .map(|(k, v)| (InstanceKey::Str(k.clone()), Some(v.clone())))
                .collect(),
            Value::Set(xs) => {
                let mut out = Vec::new();
                for x in xs {
                    match x.strip_marks_ref() {
                        Value::String(s) => {
                            out.push((InstanceKey::Str(s.clone()), Some(x.clone())))
                        }
                        Value::Unknown => {
                            return Err(fail(
                                "The \"for_each\" set includes values derived from resource attributes that cannot be determined until apply.",
                            ));
                        }
                        _ => {
                            return Err(fail(
                                "The given \"for_each\" argument value is unsuitable: \"for_each\" supports maps and sets of strings, but you have provided a set containing other types.",
                            ));
                        }
                    }
                }
                out
            }
            Value::Null => {
                return Err(fail(
                    "The given \"for_each\" argument value is unsuitable: the given \"for_each\" argument value is null. A map, or set of strings is allowed.",
                ));
            }
            other => {
                return Err(fail(&format!(
                    "The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}.",
                    other.kind_name()
                )));
            }
        };
        return Ok((Expansion::ForEach, keys));
    }
    Ok((Expansion::Single, vec![(InstanceKey::None, None)]))
}

/// The child's input variables for one instance of `call`: its arguments evaluated in the
/// caller's `scope` (with that instance's `count.index`/`each`), defaults for the others,
/// converted to their types and checked by their validation rules.
pub fn call_vars(
    call: &ModuleCall,
    scope: &dyn Scope,
) -> Result<HashMap<String, Value>, Diagnostics> {
    let mut diags = unsupported_arguments(call);
    let mut out = HashMap::new();
    for v in call.module.variables.values() {
        match call_var(call, v, scope) {
            Ok(x) => {
                out.insert(v.name.clone(), x);
            }
            Err(ds) => diags.extend(ds),
        }
    }
    diags.into_result(out)
}

/// The arguments of `call` that name no variable of the child, and the variables without a
/// default that it leaves out.
pub fn check_arguments(call: &ModuleCall) -> Diagnostics {
    let mut diags = unsupported_arguments(call);
    for v in call.module.variables.values() {
        if !call.args.contains_key(&v.name) && v.default.is_none() {
            diags.push(missing_argument(call, v));
        }
    }
    diags
}

fn unsupported_arguments(call: &ModuleCall) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (name, e) in &call.args {
        if !call.module.variables.contains_key(name) {
            diags.push(
                Diagnostic::error(
                    "Unsupported argument",
                    format!(
                        "An argument named \"{name}\" is not expected here: module \"{}\" declares no variable \"{name}\".",
                        call.name
                    ),
                )
                .at_opt(e.span()),
            );
        }
    }
    diags
}

fn missing_argument(call: &ModuleCall, v: &Variable) -> Diagnostic {
    Diagnostic::error(
        "Missing required argument",
        format!(
            "The argument \"{}\" is required by module \"{}\", but no definition was found.",
            v.name, call.name
        ),
    )
    .at(call.span.clone(), "")
}

/// One input variable of the child for one instance of `call`: its argument evaluated in the
/// caller's `scope`, or its default, converted to its type and checked by its validation rules
/// that refer to the variable only.
pub fn call_var(call: &ModuleCall, v: &Variable, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    let value = match (call.args.get(&v.name), &v.default) {
        (Some(e), _) => lang::eval(e, scope)?,
        (None, Some(d)) => vars::constant(d)?,
        (None, None) => return Err(missing_argument(call, v).into()),
    };
    let value = vars::finish(v, value).map_err(Diagnostics::from)?;
    let diags = vars::validate(v, &value);
    diags.into_result(value)
}

/// The object `module.NAME` (one instance) evaluates to: every output of the module, marked
/// sensitive where the output is. An output that fails to evaluate is reported in `diags`.
pub fn outputs_value(m: &Module, scope: &dyn Scope, diags: &mut Diagnostics) -> Value {
    let mut out = cairn_provider::ValueMap::with_capacity(m.outputs.len());
    for o in m.outputs.values() {
        out.insert(o.name.clone(), output_value(o, scope, diags));
    }
    Value::Object(out)
}

/// One output of a module instance, marked sensitive where the output is; unknown (and
/// reported in `diags`) when it fails to evaluate.
pub fn output_value(o: &Output, scope: &dyn Scope, diags: &mut Diagnostics) -> Value {
    match lang::eval(&o.value, scope) {
        Ok(v) if o.sensitive => v.mark_sensitive(),
        Ok(v) => v,
        Err(ds) => {
            diags.extend(ds);
            Value::Unknown
        }
    }
}

/// The root provider configuration that a resource's provider reference `r`, written in the
/// innermost module of `chain`, resolves to: through each call's `providers` map, or by
/// inheriting the caller's default configuration of the same name.
pub fn resolve_provider(chain: &[&ModuleCall], r: ProviderRef) -> Result<ProviderRef, String> {
    let mut cur = r;
    for call in chain.iter().rev() {
        if let Some((_, parent)) = call.providers.iter().find(|(child, _)| *child == cur) {
            cur = parent.clone();
            continue;
        }
        if let Some(alias) = &cur.alias {
            return Err(format!(
                "Module \"{}\" uses the provider configuration {}.{alias}, which its caller does not pass. Add {}.{alias} = <a provider configuration> to the providers argument of module \"{}\".",
                call.name, cur.name, cur.name, call.name
            ));
        }
    }
    Ok(cur)
}

/// The module at `path` (instance keys ignored) and the chain of calls leading to it.
pub fn find<'a>(root: &'a Module, path: &ModulePath) -> Option<(&'a Module, Vec<&'a ModuleCall>)> {
    let mut m = root;
    let mut chain = Vec::new();
    for step in &path.0 {
        let call = m.calls.get(step.name.as_str())?;
        chain.push(call);
        m = &call.module;
    }
    Some((m, chain))
}

/// The path of one instance of a call made from the module instance at `parent`.
pub fn child_path(parent: &ModulePath, name: &str, key: &InstanceKey) -> ModulePath {
    let mut steps = parent.0.clone();
    steps.push(crate::addr::ModuleStep {
        name: crate::addr::Name::new(name),
        key: key.clone(),
    });
    ModulePath(steps)
}
