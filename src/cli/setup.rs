//! `init` and `validate`: check that the working directory can be planned, without touching
//! state. `init` writes nothing Terraform would trip over (and ignores what `terraform init`
//! leaves behind), so both tools can share a directory.

use std::collections::{BTreeSet, HashMap, HashSet};

use cairn_provider::{Schema, Type, Value};

use super::args::{InitArgs, ValidateArgs};
use super::registry::Builtin;
use super::support::{self, report};
use super::{Reported, Ui};
use crate::addr::ResourceAddr;
use crate::config::{Config, Module, Resource};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::graph::{Graph, Node};
use crate::lang::{self, Scope, Subject};
use crate::plan::Registry;
use crate::plan::providers::source_for;
use crate::plan::scope::ModuleScope;

/// The sources of every provider the configuration needs, in the root module and every module
/// it calls, with the local names using them.
fn needed_sources(config: &Config) -> BTreeSet<(String, String)> {
    fn walk(m: &Module, out: &mut BTreeSet<(String, String)>) {
        let mut names: BTreeSet<String> = m
            .resources
            .values()
            .map(|r| r.provider_ref().name.to_string())
            .collect();
        names.extend(m.providers.iter().map(|p| p.name.clone()));
        names.extend(m.terraform.required_providers.keys().cloned());
        out.extend(names.into_iter().map(|n| (source_for(m, &n), n)));
        for call in m.calls.values() {
            walk(&call.module, out);
        }
    }
    let mut out = BTreeSet::new();
    walk(&config.root, &mut out);
    out
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

/// The scope of validation: every declared object resolves to an unknown value (validation
/// checks shapes, not values) and every undeclared one to the error evaluation gives for it. A
/// single resource is an object of unknowns with its schema's attributes, so a misspelt
/// attribute is caught; `count.index` and `each.*` are known to exist only in resources that set
/// `count` or `for_each`.
struct ValidateScope<'a> {
    base: ModuleScope<'a>,
    schemas: &'a HashMap<ResourceAddr, Schema>,
    /// In a resource: whether it sets `count`, `for_each`.
    in_resource: bool,
    counted: bool,
    each: bool,
}

impl Scope for ValidateScope<'_> {
    fn impure_unknown(&self) -> bool {
        true
    }

    fn resolve(&self, subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        let m = self.base.module;
        match subject {
            Subject::Local(name) if m.locals.contains_key(name.as_str()) => Ok(Value::Unknown),
            Subject::Local(name) => Err(Diagnostic::error(
                "Reference to undeclared local value",
                format!(
                    "A local value with the name \"{name}\" has not been declared.{}",
                    lang::did_you_mean(name, m.locals.keys().map(String::as_str))
                ),
            )
            .at_opt(span.cloned())),
            Subject::Resource(addr) => match (m.resources.get(addr), self.schemas.get(addr)) {
                (Some(r), Some(schema)) if r.count.is_none() && r.for_each.is_none() => {
                    let Type::Object(o) = schema.object_type() else {
                        return Ok(Value::Unknown);
                    };
                    Ok(Value::Object(
                        o.attrs.into_keys().map(|k| (k, Value::Unknown)).collect(),
                    ))
                }
                _ => self.base.resolve(subject, span),
            },
            Subject::CountIndex if self.counted => Ok(Value::Unknown),
            Subject::EachKey | Subject::EachValue if self.each => Ok(Value::Unknown),
            Subject::EachValue if self.in_resource => Err(Diagnostic::error(
                "each.value cannot be used in this context",
                "A reference to \"each.value\" has been used in a context in which it is unavailable, such as when the configuration no longer contains the value in its \"for_each\" expression. Remove this reference to each.value in your configuration to work around this error.",
            )
            .at_opt(span.cloned())),
            _ => self.base.resolve(subject, span),
        }
    }
}

/// Checks the configuration without variables or state, as Terraform's validate walk does:
/// cycles first; then each variable, local, resource, module call and output in dependency
/// order, skipping whatever depends on an object that failed (its errors would only repeat).
/// Resources are checked against their provider's schema, with `count` and `for_each` checked
/// when known; each module call's arguments against the child's variables, and the child
/// module itself the same way, with unknown inputs.
pub(crate) fn check(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let graph = match crate::graph::build(config) {
        Ok(g) => g,
        Err(ds) => {
            diags.extend(ds);
            return diags;
        }
    };
    let registry = Builtin::new();
    diags.extend(check_providers(config, &registry));
    // Like Terraform, arguments that don't match a module's variables stop validation before
    // anything is evaluated.
    let calls = call_arguments(config, &config.root);
    if calls.has_errors() {
        diags.extend(calls);
        return diags;
    }
    check_module(config, &config.root, &graph, &registry, &mut diags);
    diags
}

/// Every module call in the tree whose arguments name no variable of the child, or that leaves
/// out a variable without a default.
fn call_arguments(config: &Config, m: &Module) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for call in m.calls.values() {
        let child = &call.module;
        for (name, e) in &call.args {
            if !child.variables.contains_key(name) {
                let span = e.span().map(|sp| argument_name(config, &sp, name));
                diags.push(
                    Diagnostic::error(
                        "Unsupported argument",
                        format!("An argument named \"{name}\" is not expected here: module \"{}\" declares no variable \"{name}\".", call.name),
                    )
                    .at_opt(span),
                );
            }
        }
        for v in child.variables.values() {
            if v.default.is_none() && !call.args.contains_key(&v.name) {
                diags.push(
                    Diagnostic::error(
                        "Missing required argument",
                        format!(
                            "The argument \"{}\" is required by module \"{}\", but no definition was found.",
                            v.name, call.name
                        ),
                    )
                    .at(call.span.clone(), ""),
                );
            }
        }
        diags.extend(call_arguments(config, child));
    }
    diags
}

/// The span of an argument's name, found just before its value (`name = value`); the value's
/// span when the text is not laid out that way.
fn argument_name(config: &Config, value: &Span, name: &str) -> Span {
    let text = config.sources.text(value.file);
    let before = text.get(..value.range.start).unwrap_or("").trim_end();
    let Some(before) = before.strip_suffix('=') else {
        return value.clone();
    };
    let before = before.trim_end();
    match before.strip_suffix(name) {
        Some(rest) => Span::new(value.file, rest.len()..rest.len() + name.len()),
        None => value.clone(),
    }
}

fn check_module(
    config: &Config,
    m: &Module,
    graph: &Graph,
    registry: &Builtin,
    diags: &mut Diagnostics,
) {
    let mut schemas: HashMap<ResourceAddr, Schema> = HashMap::new();
    let mut failed: HashSet<Node> = HashSet::new();
    for r in m.resources.values() {
        let source = source_for(m, &r.provider_ref().name);
        let Some(p) = registry.instantiate(&source) else {
            failed.insert(Node::Resource(r.addr.clone()));
            continue;
        };
        let schema = p.schema();
        let s: Option<&Schema> = match r.addr.mode {
            crate::addr::Mode::Managed => {
                schema.resources.get(r.addr.ty.as_str()).map(|x| &x.schema)
            }
            crate::addr::Mode::Data => schema.data_sources.get(r.addr.ty.as_str()),
        };
        match s {
            Some(s) => {
                schemas.insert(r.addr.clone(), s.clone());
            }
            None => {
                failed.insert(Node::Resource(r.addr.clone()));
                diags.push(
                    Diagnostic::error(
                        "Invalid resource type",
                        format!(
                            "The provider {source} does not support resource type \"{}\".",
                            r.addr.ty
                        ),
                    )
                    .at(type_label(config, r), ""),
                );
            }
        }
    }
    let vars = m
        .variables
        .keys()
        .map(|k| (k.clone(), Value::Unknown))
        .collect();
    let mut scope = ValidateScope {
        base: ModuleScope::new(m, vars, ".".to_string()),
        schemas: &schemas,
        in_resource: false,
        counted: false,
        each: false,
    };
    for node in graph.order() {
        if failed.contains(node) {
            continue;
        }
        if graph.dependencies(node).iter().any(|d| failed.contains(*d)) {
            failed.insert(node.clone());
            continue;
        }
        let found = match node {
            Node::Local(name) => m.locals.get(name.as_str()).map(|l| {
                checked(config, &scope, lang::references(&l.expr), |s| {
                    errors(lang::eval(&l.expr, s))
                })
            }),
            Node::Output(name) => m.outputs.get(name.as_str()).map(|o| {
                let mut refs = lang::references(&o.value);
                for e in &o.depends_on {
                    refs.extend(lang::references(e));
                }
                checked(config, &scope, refs, |s| errors(lang::eval(&o.value, s)))
            }),
            Node::Resource(addr) => match (m.resources.get(addr), schemas.get(addr)) {
                (Some(r), Some(schema)) => {
                    let mut refs = lang::body_references(&r.body);
                    for e in r.count.iter().chain(&r.for_each).chain(&r.depends_on) {
                        refs.extend(lang::references(e));
                    }
                    scope.in_resource = true;
                    scope.counted = r.count.is_some();
                    scope.each = r.for_each.is_some();
                    let ds = checked(config, &scope, refs, |s| check_resource(r, schema, s));
                    scope.in_resource = false;
                    scope.counted = false;
                    scope.each = false;
                    Some(ds)
                }
                _ => None,
            },
            Node::ModuleCall(name) => m.calls.get(name.as_str()).map(|call| {
                let mut refs = Vec::new();
                for e in call.args.values() {
                    refs.extend(lang::references(e));
                }
                for e in call
                    .count
                    .iter()
                    .chain(&call.for_each)
                    .chain(&call.depends_on)
                {
                    refs.extend(lang::references(e));
                }
                scope.in_resource = true;
                scope.counted = call.count.is_some();
                scope.each = call.for_each.is_some();
                let ds = checked(config, &scope, refs, |s| {
                    errors(crate::plan::module::call_vars(call, s).map(|_| Value::Null))
                });
                scope.in_resource = false;
                scope.counted = false;
                scope.each = false;
                ds
            }),
            Node::Var(_) | Node::Provider(_) => None,
        };
        if let Some(ds) = found
            && ds.has_errors()
        {
            failed.insert(node.clone());
            diags.extend(ds);
        }
    }
    // Each call's module is checked even when its arguments failed, with unknown inputs.
    for call in m.calls.values() {
        if let Some(child) = graph.child(&call.name) {
            check_module(config, &call.module, child, registry, diags);
        }
    }
}

/// Checks one object as Terraform does: first its references to resources and modules, all of
/// them (and nothing more when one is wrong); then its references to variables and locals, all
/// of them, with whatever else evaluating it finds (an error already reported at the same place
/// is not repeated).
fn checked(
    config: &Config,
    scope: &ValidateScope<'_>,
    refs: Vec<lang::Reference>,
    eval: impl FnOnce(&ValidateScope<'_>) -> Diagnostics,
) -> Diagnostics {
    let undeclared = |keep: fn(&Subject) -> bool| {
        let mut ds = Diagnostics::new();
        for r in refs.iter().filter(|r| keep(&r.subject)) {
            if let Err(d) = scope.resolve(&r.subject, r.span.as_ref()) {
                ds.push(d);
            }
        }
        ds
    };
    let mut diags = undeclared(|s| matches!(s, Subject::Resource(_) | Subject::Module(_)));
    diags.extend(missing_keys(config, scope.base.module, refs.clone()));
    if diags.has_errors() {
        return diags;
    }
    diags.extend(undeclared(|s| {
        matches!(s, Subject::Var(_) | Subject::Local(_))
    }));
    if diags.has_errors() {
        // Terraform evaluates nothing whose references are wrong.
        return diags;
    }
    for d in eval(scope).0 {
        let repeated = diags
            .iter()
            .any(|e| e.summary == d.summary && e.span() == d.span());
        if !repeated {
            diags.push(d);
        }
    }
    diags
}

/// References that read an attribute straight off a resource with `count` or `for_each`
/// (`aws_instance.web.id`), which must pick an instance first.
fn missing_keys(config: &Config, m: &Module, refs: Vec<lang::Reference>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for r in refs {
        let (Subject::Resource(addr), None, Some(span)) = (&r.subject, &r.index, &r.span) else {
            continue;
        };
        let Some(res) = m.resources.get(addr) else {
            continue;
        };
        let (set, example) = match (&res.count, &res.for_each) {
            (Some(_), _) => ("count", "[count.index]"),
            (_, Some(_)) => ("for_each", "[each.key]"),
            _ => continue,
        };
        let after = config
            .sources
            .text(span.file)
            .get(span.range.end..)
            .unwrap_or("");
        let attribute = after
            .strip_prefix('.')
            .is_some_and(|a| a.starts_with(|c: char| c.is_alphabetic() || c == '_'));
        if !attribute {
            continue;
        }
        diags.push(
            Diagnostic::error(
                "Missing resource instance key",
                format!(
                    "Because {addr} has \"{set}\" set, its attributes must be accessed on specific instances.\n\nFor example, to correlate with indices of a referring resource, use:\n    {addr}{example}"
                ),
            )
            .at(span.clone(), ""),
        );
    }
    diags
}

fn errors(r: Result<Value, Diagnostics>) -> Diagnostics {
    r.err().unwrap_or_default()
}

/// The span of a resource block's type label (`"aws_instance"`), where Terraform reports an
/// unsupported type; the whole header when it cannot be found.
fn type_label(config: &Config, r: &Resource) -> Span {
    let text = config.sources.text(r.span.file);
    let quoted = format!("\"{}\"", r.addr.ty);
    text.get(r.span.range.clone())
        .and_then(|h| h.find(&quoted))
        .map(|i| {
            let start = r.span.range.start + i;
            Span::new(r.span.file, start..start + quoted.len())
        })
        .unwrap_or_else(|| r.span.clone())
}

/// Checks one resource: `count` and `for_each` when their values are known, then its body
/// against the schema.
fn check_resource(r: &Resource, schema: &Schema, scope: &ValidateScope<'_>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut meta = ValidateScope {
        base: ModuleScope::new(scope.base.module, scope.base.vars.clone(), ".".to_string()),
        schemas: scope.schemas,
        in_resource: false,
        counted: false,
        each: false,
    };
    meta.base.planning = true;
    if let Some(e) = &r.count {
        match lang::eval(e, &meta) {
            Err(ds) => diags.extend(ds),
            Ok(v) => {
                if let Some(d) = count_problem(&v) {
                    diags.push(d.at_opt(e.span()));
                }
            }
        }
    }
    if let Some(e) = &r.for_each {
        match lang::eval(e, &meta) {
            Err(ds) => diags.extend(ds),
            Ok(v) => {
                if let Some(detail) = for_each_problem(&v) {
                    diags.push(
                        Diagnostic::error(
                            "Invalid for_each argument",
                            format!(
                                "The given \"for_each\" argument value is unsuitable: {detail}"
                            ),
                        )
                        .at_opt(e.span()),
                    );
                }
            }
        }
    }
    if let Err(ds) = lang::eval_body(&r.body, schema, scope) {
        diags.extend(ds);
    }
    diags
}

/// What is wrong with a known `count` value, in Terraform's words.
fn count_problem(v: &Value) -> Option<Diagnostic> {
    let plain = v.strip_marks_ref();
    if !plain.is_wholly_known() || plain.is_null() {
        return None;
    }
    let invalid = |d: &str| {
        Some(Diagnostic::error(
            "Invalid count argument",
            format!("The given \"count\" argument value is unsuitable: {d}"),
        ))
    };
    let Some(n) = lang::convert(plain.clone(), &Type::Number)
        .ok()
        .and_then(|v| v.as_number())
    else {
        return Some(Diagnostic::error(
            "Incorrect value type",
            "Invalid expression value: a number is required.",
        ));
    };
    if !n.is_integer() {
        return invalid(
            "value must be a whole number, between -9223372036854775808 and 9223372036854775807.",
        );
    }
    if n.signum() < 0 {
        return invalid("must be greater than or equal to zero.");
    }
    None
}

/// What is wrong with a known `for_each` value, in Terraform's words.
fn for_each_problem(v: &Value) -> Option<String> {
    match v.strip_marks_ref() {
        Value::Unknown | Value::Map(_) | Value::Object(_) => None,
        Value::Set(xs) => xs
            .iter()
            .any(|x| !matches!(x.strip_marks_ref(), Value::String(_) | Value::Unknown))
            .then(|| "\"for_each\" supports maps and sets of strings, but you have provided a set containing type number.".to_string()),
        Value::Null => Some("the given \"for_each\" argument value is null. A map, or set of strings is allowed.".to_string()),
        other => Some(format!(
            "the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}.",
            other.kind_name()
        )),
    }
}

/// A scope for constant expressions: any reference is an error.
struct ConstScope;

impl Scope for ConstScope {
    fn resolve(&self, _subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        Err(
            Diagnostic::error("Variables not allowed", "Variables may not be used here.")
                .at_opt(span.cloned()),
        )
    }
}

/// Checks Terraform makes while decoding the configuration, before anything is evaluated:
/// a variable's default must suit its type constraint (in every module of the tree).
fn decode_checks(config: &Config) -> Diagnostics {
    let mut diags = default_checks(&config.root);
    let mut stack: Vec<&Module> = config.root.calls.values().map(|c| &c.module).collect();
    while let Some(m) = stack.pop() {
        diags.extend(default_checks(m));
        stack.extend(m.calls.values().map(|c| &c.module));
    }
    diags
}

fn default_checks(m: &Module) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for v in m.variables.values() {
        let (Some(ty), Some(d)) = (&v.ty, &v.default) else {
            continue;
        };
        match lang::eval(d, &ConstScope) {
            Err(ds) => diags.extend(ds),
            Ok(value) if value.is_null() => {}
            Ok(value) => {
                if let Err(e) = lang::convert(value, ty) {
                    diags.push(
                        Diagnostic::error(
                            "Invalid default value for variable",
                            format!(
                                "This default value is not compatible with the variable's type constraint: {e}."
                            ),
                        )
                        .at_opt(d.span()),
                    );
                }
            }
        }
    }
    diags
}

/// Gives diagnostics the shape Terraform's validate gives them: a cycle is summarised as
/// `Cycle: a, b` (and has no range in JSON); a string literal of the wrong type is pointed at inside its
/// quotes; a reference to an undeclared module covers the output name too (`module.x.out`).
fn terraform_shape(diags: Diagnostics, config: &Config) -> Diagnostics {
    let shaped = diags.0.into_iter().map(|mut d| {
        match d.summary.as_str() {
            "Cycle" => {
                if let Some(names) = cycle_members(&d.detail) {
                    d.summary = format!("Cycle: {names}");
                }
            }
            "Unsuitable value type" => {
                if let Some(l) = d.labels.first_mut() {
                    let text = config.sources.text(l.0.file);
                    let r = l.0.range.clone();
                    if let Some(t) = text.get(r.clone())
                        && t.len() >= 2
                        && t.starts_with('"')
                        && t.ends_with('"')
                        && !t.contains("${")
                    {
                        l.0.range = r.start + 1..r.end - 1;
                    }
                }
            }
            "Reference to undeclared module" => {
                if let Some(l) = d.labels.first_mut() {
                    let text = config.sources.text(l.0.file);
                    let rest = text.get(l.0.range.end..).unwrap_or("");
                    if let Some(after) = rest.strip_prefix('.') {
                        let n = after
                            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                            .unwrap_or(after.len());
                        if n > 0 {
                            l.0.range.end += 1 + n;
                        }
                    }
                }
            }
            _ => {}
        }
        d
    });
    Diagnostics(shaped.collect())
}

/// The objects on a cycle, as Terraform names them (`local.a (expand)`), read from the cycle
/// diagnostic's detail.
fn cycle_members(detail: &str) -> Option<String> {
    let list = detail
        .strip_prefix("These objects depend on each other: ")?
        .split_once(". ")?
        .0;
    let names: Vec<String> = list
        .split(", ")
        .map(|n| {
            if n.starts_with("local.") || n.starts_with("var.") || n.starts_with("output.") {
                format!("{n} (expand)")
            } else {
                n.to_string()
            }
        })
        .collect();
    Some(names.join(", "))
}

/// Terraform's `snippet` of a diagnostic: the enclosing top-level block's header, the source
/// lines of the range, and where the range lies in them.
fn snippet(config: &Config, span: &Span) -> serde_json::Value {
    let text = config.sources.text(span.file);
    let start = span.range.start.min(text.len());
    let end = span.range.end.clamp(start, text.len());
    let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[end..]
        .find('\n')
        .map(|i| end + i)
        .unwrap_or(text.len());
    let (start_line, _) = config.sources.line_col(span.file, start);
    let context = text[..line_start]
        .lines()
        .chain(std::iter::once(&text[line_start..line_end]))
        .rev()
        .take_while(|l| *l != "}")
        .find(|l| l.starts_with(|c: char| c.is_alphabetic()) && l.trim_end().ends_with('{'))
        .map(|l| {
            l.trim_end()
                .trim_end_matches('{')
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        });
    serde_json::json!({
        "context": context,
        "code": &text[line_start..line_end],
        "start_line": start_line,
        "highlight_start_offset": start - line_start,
        "highlight_end_offset": end - line_start,
        "values": [],
    })
}

/// The document `validate -json` prints, in Terraform's format.
fn json_report(diags: &Diagnostics, config: &Config) -> serde_json::Value {
    let list: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let mut o = serde_json::json!({
                "severity": if d.is_error() { "error" } else { "warning" },
                "summary": d.summary,
                "detail": d.detail,
            });
            // Terraform gives a cycle no range; cairn's labels point at its references, for people.
            let span = d.span().filter(|_| !d.summary.starts_with("Cycle: "));
            if let Some(s) = span {
                let (l, c) = config.sources.line_col(s.file, s.range.start);
                let (el, ec) = config.sources.line_col(s.file, s.range.end);
                o["range"] = serde_json::json!({
                    "filename": config.sources.name(s.file),
                    "start": {"line": l, "column": c, "byte": s.range.start},
                    "end": {"line": el, "column": ec, "byte": s.range.end},
                });
                o["snippet"] = snippet(config, s);
            }
            o
        })
        .collect();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    serde_json::json!({
        "format_version": "1.0",
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": diags.0.len() - errors,
        "diagnostics": list,
    })
}

pub(crate) async fn validate(args: ValidateArgs, ui: Ui) -> anyhow::Result<i32> {
    let dir = support::cwd()?;
    let (config, mut diags) = crate::config::load_dir(&dir);
    diags.extend(decode_checks(&config));
    if !diags.has_errors() {
        diags.extend(check(&config));
    }
    let diags = terraform_shape(diags, &config);
    if args.json {
        let doc = json_report(&diags, &config);
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(if diags.has_errors() { 1 } else { 0 });
    }
    report(&diags, &config.sources, ui);
    if diags.has_errors() {
        return Err(Reported.into());
    }
    println!("Success! The configuration is valid.\n");
    Ok(0)
}
