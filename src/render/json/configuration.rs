//! The `configuration` object of Terraform's JSON plan: the configuration as written — provider
//! configurations, and per module its resources, outputs, variables and module calls, with each
//! argument either as the constant it is (`constant_value`) or as the references it makes
//! (`references`, listed as Terraform lists them: `["terraform_data.a.output",
//! "terraform_data.a"]`). Laid out field for field as `terraform show -json` 1.11 does.
//!
//! It evaluates nothing but constant expressions without function calls (what Terraform can
//! evaluate without a scope) and decides nothing.

use std::collections::BTreeMap;

use cairn_provider::{Schema, Value};
use serde_json::{Map, Value as J, json};

use crate::addr::quote;
use crate::config::{Config, Expr, Module, ModuleCall, ProviderRef};
use crate::lang::ast::{
    Body, Decorated, Expression, Ident, Structure, Traversal, TraversalOperator,
};
use crate::lang::reference::{Collector, ExprWalk};
use crate::lang::{Scope, Subject};
use crate::plan::ProviderSet;
use crate::plan::providers::source_for;

/// Terraform's `configuration` object for `config`. `providers` supplies the schemas (which
/// arguments are attributes and which are blocks, schema versions); with `redact`, constants
/// that are sensitive (defaults of sensitive variables, values of sensitive outputs and
/// attributes) are left out.
pub fn configuration(config: &Config, providers: &ProviderSet, redact: bool) -> J {
    let r = Renderer { providers, redact };
    let mut out = Map::new();
    let pc = r.provider_configs(&config.root);
    if !pc.is_empty() {
        out.insert("provider_config".into(), J::Object(pc));
    }
    out.insert("root_module".into(), r.module(&config.root, &[]));
    J::Object(out)
}

/// Places `configuration` in a JSON plan where Terraform writes it (after `prior_state`).
pub fn with_configuration(plan: J, configuration: J) -> J {
    let J::Object(m) = plan else { return plan };
    let mut out = Map::new();
    let mut placed = false;
    for (k, v) in m {
        let after_prior = k == "prior_state";
        if !placed
            && matches!(
                k.as_str(),
                "relevant_attributes" | "timestamp" | "applyable"
            )
        {
            out.insert("configuration".into(), configuration.clone());
            placed = true;
        }
        out.insert(k, v);
        if after_prior && !placed {
            out.insert("configuration".into(), configuration.clone());
            placed = true;
        }
    }
    if !placed {
        out.insert("configuration".into(), configuration);
    }
    J::Object(out)
}

struct Renderer<'a> {
    providers: &'a ProviderSet,
    redact: bool,
}

/// Terraform's key of a root provider configuration: `NAME` or `NAME.ALIAS`.
fn provider_key(r: &ProviderRef) -> String {
    match &r.alias {
        Some(a) => format!("{}.{a}", r.name),
        None => r.name.to_string(),
    }
}

impl Renderer<'_> {
    fn provider_configs(&self, root: &Module) -> Map<String, J> {
        let mut refs: BTreeMap<String, ProviderRef> = BTreeMap::new();
        for p in &root.providers {
            let r = p.reference();
            refs.insert(provider_key(&r), r);
        }
        for name in root.terraform.required_providers.keys() {
            let r = ProviderRef {
                name: name.into(),
                alias: None,
            };
            refs.entry(provider_key(&r)).or_insert(r);
        }
        let mut used = Vec::new();
        collect_resource_providers(root, &[], &mut used);
        for r in used {
            refs.entry(provider_key(&r)).or_insert(r);
        }
        let mut out = Map::new();
        for (key, r) in refs {
            let mut m = Map::new();
            m.insert("name".into(), json!(r.name));
            m.insert("full_name".into(), json!(source_for(root, &r.name)));
            if let Some(a) = &r.alias {
                m.insert("alias".into(), json!(a));
            }
            if let Some(v) = root
                .terraform
                .required_providers
                .get(r.name.as_str())
                .and_then(|p| p.version.as_ref())
            {
                m.insert("version_constraint".into(), json!(v));
            }
            if let Some(block) = root.providers.iter().find(|p| p.is(&r)) {
                let schema = self.providers.get(&r).map(|c| &c.schema.provider);
                let e = self.expressions(&block.body.body, schema);
                if !e.is_empty() {
                    m.insert("expressions".into(), J::Object(e));
                }
            }
            out.insert(key, J::Object(m));
        }
        out
    }

    /// One module; `calls` is the chain of calls from the root that loads it.
    fn module(&self, m: &Module, calls: &[&ModuleCall]) -> J {
        let mut out = Map::new();
        let mut outputs = BTreeMap::new();
        for o in m.outputs.values() {
            let mut e = Map::new();
            if o.sensitive {
                e.insert("sensitive".into(), json!(true));
            }
            let mut ex = expression(&o.value);
            if o.sensitive && self.redact {
                ex.remove("constant_value");
            }
            e.insert("expression".into(), J::Object(ex));
            let deps = depends_on(&o.depends_on);
            if !deps.is_empty() {
                e.insert("depends_on".into(), json!(deps));
            }
            if let Some(d) = o.description.as_ref().filter(|d| !d.is_empty()) {
                e.insert("description".into(), json!(d));
            }
            outputs.insert(o.name.clone(), J::Object(e));
        }
        if !outputs.is_empty() {
            out.insert("outputs".into(), J::Object(outputs.into_iter().collect()));
        }
        let mut resources: Vec<(String, J)> = m
            .resources
            .values()
            .map(|r| {
                let local = r.addr.local();
                (local, self.resource(r, calls))
            })
            .collect();
        resources.sort_by(|a, b| a.0.cmp(&b.0));
        if !resources.is_empty() {
            out.insert(
                "resources".into(),
                J::Array(resources.into_iter().map(|(_, j)| j).collect()),
            );
        }
        let mut module_calls = BTreeMap::new();
        for c in m.calls.values() {
            let mut chain = calls.to_vec();
            chain.push(c);
            module_calls.insert(c.name.clone(), self.call(c, &chain));
        }
        if !module_calls.is_empty() {
            out.insert(
                "module_calls".into(),
                J::Object(module_calls.into_iter().collect()),
            );
        }
        let mut variables = BTreeMap::new();
        for v in m.variables.values() {
            let mut e = Map::new();
            if let Some(d) = &v.default
                && !(v.sensitive && self.redact)
                && let Ok(value) = crate::plan::vars::constant(d)
            {
                let value = match &v.ty {
                    Some(t) => crate::lang::convert(value.clone(), t).unwrap_or(value),
                    None => value,
                };
                e.insert("default".into(), value.to_json());
            }
            if let Some(d) = v.description.as_ref().filter(|d| !d.is_empty()) {
                e.insert("description".into(), json!(d));
            }
            if v.sensitive {
                e.insert("sensitive".into(), json!(true));
            }
            variables.insert(v.name.clone(), J::Object(e));
        }
        if !variables.is_empty() {
            out.insert(
                "variables".into(),
                J::Object(variables.into_iter().collect()),
            );
        }
        J::Object(out)
    }

    fn call(&self, c: &ModuleCall, chain: &[&ModuleCall]) -> J {
        let mut out = Map::new();
        out.insert("source".into(), json!(c.source));
        let mut args = BTreeMap::new();
        for (name, e) in &c.args {
            args.insert(name.clone(), J::Object(expression(e)));
        }
        if !args.is_empty() {
            out.insert("expressions".into(), J::Object(args.into_iter().collect()));
        }
        if let Some(e) = meta(c.count.as_ref()) {
            out.insert("count_expression".into(), e);
        }
        if let Some(e) = meta(c.for_each.as_ref()) {
            out.insert("for_each_expression".into(), e);
        }
        out.insert("module".into(), self.module(&c.module, chain));
        let deps = depends_on(&c.depends_on);
        if !deps.is_empty() {
            out.insert("depends_on".into(), json!(deps));
        }
        J::Object(out)
    }

    fn resource(&self, r: &crate::config::Resource, calls: &[&ModuleCall]) -> J {
        let provider = resolve_provider(calls, r.provider_ref());
        let configured = self.providers.get(&provider);
        let schema = configured.and_then(|c| c.resource_schema(r.mode(), &r.addr.ty));
        let mut m = Map::new();
        m.insert("address".into(), json!(r.addr.local()));
        m.insert("mode".into(), json!(r.addr.mode.as_str()));
        m.insert("type".into(), json!(r.addr.ty));
        m.insert("name".into(), json!(r.addr.name));
        m.insert("provider_config_key".into(), json!(provider_key(&provider)));
        let e = self.expressions(&r.body.body, schema);
        if !e.is_empty() {
            m.insert("expressions".into(), J::Object(e));
        }
        m.insert(
            "schema_version".into(),
            json!(schema.map_or(0, |s| s.version)),
        );
        if let Some(e) = meta(r.count.as_ref()) {
            m.insert("count_expression".into(), e);
        }
        if let Some(e) = meta(r.for_each.as_ref()) {
            m.insert("for_each_expression".into(), e);
        }
        let deps = depends_on(&r.depends_on);
        if !deps.is_empty() {
            m.insert("depends_on".into(), json!(deps));
        }
        J::Object(m)
    }

    /// The arguments of a body: attributes as expressions, nested blocks as objects (single) or
    /// lists of objects; `dynamic` blocks are left out, as Terraform does.
    fn expressions(&self, body: &Body, schema: Option<&Schema>) -> Map<String, J> {
        let mut out: BTreeMap<String, J> = BTreeMap::new();
        for st in body.iter() {
            match st {
                Structure::Attribute(a) => {
                    let name = a.key.as_str();
                    let attr = schema.map(|s| s.attributes.get(name));
                    if attr.is_some_and(|a| a.is_none()) {
                        continue;
                    }
                    let mut e = expression_of(&a.value);
                    if self.redact && attr.flatten().is_some_and(|a| a.sensitive) {
                        e.remove("constant_value");
                    }
                    out.insert(name.to_string(), J::Object(e));
                }
                Structure::Block(b) => {
                    let name = b.ident.as_str();
                    if name == "dynamic" {
                        continue;
                    }
                    let nested = match schema {
                        Some(s) => match s.blocks.get(name) {
                            Some(n) => Some(n),
                            None => continue,
                        },
                        None => None,
                    };
                    let inner = J::Object(self.expressions(&b.body, nested.map(|n| &n.block)));
                    match nested.map(|n| n.nesting) {
                        Some(cairn_provider::BlockNesting::Single) => {
                            out.insert(name.to_string(), inner);
                        }
                        _ => {
                            let list = out
                                .entry(name.to_string())
                                .or_insert_with(|| J::Array(Vec::new()));
                            if let J::Array(xs) = list {
                                xs.push(inner);
                            }
                        }
                    }
                }
            }
        }
        out.into_iter().collect()
    }
}

/// The providers resources use, resolved to root configurations.
fn collect_resource_providers(m: &Module, calls: &[&ModuleCall], out: &mut Vec<ProviderRef>) {
    for r in m.resources.values() {
        out.push(resolve_provider(calls, r.provider_ref()));
    }
    for c in m.calls.values() {
        let mut chain = calls.to_vec();
        chain.push(c);
        collect_resource_providers(&c.module, &chain, out);
    }
}

/// The root configuration a provider reference in the module loaded by `calls` resolves to:
/// through each call's `providers` map, or else inherited by name.
fn resolve_provider(calls: &[&ModuleCall], mut r: ProviderRef) -> ProviderRef {
    for c in calls.iter().rev() {
        if let Some((_, parent)) = c.providers.iter().find(|(child, _)| *child == r) {
            r = parent.clone();
        }
    }
    r
}

/// `count_expression` / `for_each_expression`: left out when it says nothing.
fn meta(e: Option<&Expr>) -> Option<J> {
    let e = expression(e?);
    (!e.is_empty()).then_some(J::Object(e))
}

/// `depends_on` entries: the address each reference names.
fn depends_on(list: &[Expr]) -> Vec<String> {
    list.iter()
        .filter_map(|e| {
            let mut w = ExprWalk::new(Refs::default());
            w.expr(&e.expr);
            w.collector.subjects.into_iter().next()
        })
        .collect()
}

fn expression(e: &Expr) -> Map<String, J> {
    expression_of(&e.expr)
}

/// One expression: its constant value when it has one Terraform can compute without a scope
/// (no references, no function calls), and the references it makes.
fn expression_of(e: &Expression) -> Map<String, J> {
    let mut out = Map::new();
    let mut w = ExprWalk::new(Refs::default());
    w.expr(e);
    let refs = w.collector;
    if refs.out.is_empty()
        && !refs.calls
        && let Some(v) = constant(e)
    {
        out.insert("constant_value".into(), v.to_json());
    }
    if !refs.out.is_empty() {
        out.insert("references".into(), json!(refs.out));
    }
    out
}

struct NoScope;

impl Scope for NoScope {
    fn resolve(
        &self,
        _subject: &Subject,
        span: Option<&crate::diag::Span>,
    ) -> Result<Value, crate::diag::Diagnostic> {
        Err(crate::diag::Diagnostic::error("Variables not allowed", "").at_opt(span.cloned()))
    }
}

fn constant(e: &Expression) -> Option<Value> {
    let expr = Expr {
        file: crate::diag::FileId::default(),
        expr: e.clone(),
    };
    let v = crate::lang::eval(&expr, &NoScope).ok()?;
    (v.is_wholly_known() && !v.contains_sensitive()).then_some(v)
}

/// Collects references as Terraform lists them (each reference with the remaining static
/// traversal, then shorter and shorter, then the containing resource or module call), and
/// whether the expression calls a function.
#[derive(Default)]
struct Refs {
    out: Vec<String>,
    /// The subject of each reference (for `depends_on`).
    subjects: Vec<String>,
    calls: bool,
}

/// A static index key: a literal number or string.
fn static_key(op: &TraversalOperator) -> Option<String> {
    match op {
        TraversalOperator::LegacyIndex(n) => Some(format!("[{n}]")),
        TraversalOperator::Index(e) => match e {
            Expression::Number(n) => Some(format!("[{}]", n.value())),
            Expression::String(s) => Some(format!("[{}]", quote(s.value()))),
            _ => None,
        },
        _ => None,
    }
}

impl Refs {
    fn reference(&mut self, root: &str, ops: &[Decorated<TraversalOperator>]) {
        let Ok((subject, used)) = crate::lang::reference::subject_of(root, ops) else {
            return;
        };
        let mut subject_str = match &subject {
            Subject::Var(n) => format!("var.{n}"),
            Subject::Local(n) => format!("local.{n}"),
            Subject::Module(n) => format!("module.{n}"),
            Subject::CountIndex => "count.index".to_string(),
            Subject::EachKey => "each.key".to_string(),
            Subject::EachValue => "each.value".to_string(),
            Subject::Path(p) => format!("path.{p}"),
            Subject::TerraformWorkspace => "terraform.workspace".to_string(),
            Subject::SelfObject => "self".to_string(),
            Subject::Resource(r) => r.local(),
        };
        let is_static = |o: &Decorated<TraversalOperator>| match o.value() {
            TraversalOperator::GetAttr(_) => true,
            other => static_key(other).is_some(),
        };
        let mut rest = &ops[used..];
        let mut extra = None;
        let key_at = |rest: &[Decorated<TraversalOperator>], i: usize| {
            rest.get(i).and_then(|o| static_key(o.value()))
        };
        match &subject {
            Subject::Resource(_) => {
                if let Some(k) = key_at(rest, 0) {
                    extra = Some(subject_str.clone());
                    subject_str.push_str(&k);
                    rest = &rest[1..];
                }
            }
            Subject::Module(_) => {
                let mut call = subject_str.clone();
                let mut taken = 0;
                if let Some(k) = key_at(rest, 0) {
                    call.push_str(&k);
                    taken = 1;
                }
                match rest.get(taken).map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(out)) => {
                        extra = Some(call.clone());
                        subject_str = format!("{call}.{}", out.as_str());
                        taken += 1;
                    }
                    _ if taken == 1 => {
                        extra = Some(subject_str.clone());
                        subject_str = call;
                    }
                    _ => {}
                }
                rest = &rest[taken..];
            }
            _ => {}
        }
        let static_len = rest
            .iter()
            .position(|o| !is_static(o))
            .unwrap_or(rest.len());
        let steps: Vec<String> = rest[..static_len]
            .iter()
            .filter_map(|o| match o.value() {
                TraversalOperator::GetAttr(a) => Some(format!(".{}", a.as_str())),
                other => static_key(other),
            })
            .collect();
        for n in (1..=steps.len()).rev() {
            self.out
                .push(format!("{subject_str}{}", steps[..n].concat()));
        }
        self.out.push(subject_str.clone());
        self.subjects.push(subject_str);
        if let Some(e) = extra {
            self.out.push(e);
        }
    }
}

impl Collector for Refs {
    fn traversal(&mut self, root: &Decorated<Ident>, t: &Traversal) {
        self.reference(root.as_str(), &t.operators);
    }

    fn bare_self(&mut self, _: &Decorated<Ident>) {
        self.reference("self", &[]);
    }

    fn call(&mut self) {
        self.calls = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expressions and how `terraform show -json` 1.11.4 described them.
    #[track_caller]
    fn check(text: &str, expect: J) {
        let e =
            crate::lang::ast::from_hcl::expr(&hcl_edit::parser::parse_expr(text).expect("parses"));
        assert_eq!(J::Object(expression_of(&e)), expect, "{text}");
    }

    #[test]
    fn expressions_as_terraform_describes_them() {
        check("var.x", json!({"references": ["var.x"]}));
        check(r#"[1, "two"]"#, json!({"constant_value": [1, "two"]}));
        check(
            r#""${terraform_data.a.output}-${count.index}""#,
            json!({"references": ["terraform_data.a.output", "terraform_data.a", "count.index"]}),
        );
        check(
            "{ k = each.key, m = terraform_data.b[0].id }",
            json!({"references": ["each.key", "terraform_data.b[0].id", "terraform_data.b[0]", "terraform_data.b"]}),
        );
        check(r#"sensitive("lit")"#, json!({}));
        check("null", json!({"constant_value": null}));
        check("1 + 2", json!({"constant_value": 3}));
        check(r#""a${1}""#, json!({"constant_value": "a1"}));
        check(
            "[for v in [1, 2] : v * 2]",
            json!({"constant_value": [2, 4]}),
        );
        check(
            "terraform_data.b[*].id",
            json!({"references": ["terraform_data.b"]}),
        );
        check(
            r#"var.obj["a"]"#,
            json!({"references": ["var.obj[\"a\"]", "var.obj"]}),
        );
        check(
            "module.n[0].out",
            json!({"references": ["module.n[0].out", "module.n[0]"]}),
        );
        check(
            "module.m.out",
            json!({"references": ["module.m.out", "module.m"]}),
        );
        check("module.n", json!({"references": ["module.n"]}));
        check(
            "terraform_data.b[count.index].id",
            json!({"references": ["terraform_data.b", "count.index"]}),
        );
        check("[for v in var.l : v + 1]", json!({"references": ["var.l"]}));
    }

    #[test]
    fn depends_on_names_subjects() {
        let e = |t: &str| Expr {
            file: 0,
            expr: crate::lang::ast::from_hcl::expr(
                &hcl_edit::parser::parse_expr(t).expect("parses"),
            ),
        };
        assert_eq!(
            depends_on(&[e("terraform_data.a"), e("module.m"), e("data.x.y")]),
            ["terraform_data.a", "module.m", "data.x.y"]
        );
    }

    #[test]
    fn configuration_follows_prior_state() {
        let plan = json!({"prior_state": {}, "timestamp": "t", "applyable": true});
        let j = with_configuration(plan, json!({"root_module": {}}));
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["prior_state", "configuration", "timestamp", "applyable"]
        );
    }
}
