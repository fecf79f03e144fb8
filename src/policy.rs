//! Policies: rules a plan must satisfy before it may be applied, checked in CI with
//! `cairn plan -policy=FILE`. The rule language is deliberately small (docs/ci.md describes it):
//!
//! ```hcl
//! rule "keep-databases" {
//!   types   = ["aws_db_instance"]          # resource types (globs with *), optional
//!   addresses = ["module.prod.*"]          # resource addresses (globs), optional
//!   deny    = ["destroy", "replace"]       # actions that violate: create, update, destroy, replace
//!   message = "Databases are never destroyed by CI."
//! }
//! rule "owner-tag" {
//!   types    = ["aws_*"]
//!   require  = ["tags.Owner"]              # attribute paths that must be set on created/updated objects
//! }
//! rule "small-instances" {
//!   types     = ["aws_instance"]
//!   attribute = "instance_type"
//!   allow     = ["t3.micro", "t3.small"]   # permitted values of that attribute
//! }
//! ```
//!
//! This module reads policy files and judges a [`Plan`]; it prints nothing and decides nothing
//! else. Values known only after apply cannot be judged and are reported as such.

use std::path::Path;

use cairn_provider::Value;
use hcl_edit::structure::{Body, Structure};

use crate::config::Expr;
use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use crate::lang::{self, Scope, Subject};
use crate::plan::{Action, Plan, ResourceChange};

/// One rule of a policy file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rule {
    pub name: String,
    pub types: Vec<String>,
    pub addresses: Vec<String>,
    pub deny: Vec<String>,
    pub require: Vec<String>,
    pub attribute: Option<String>,
    pub allow: Vec<Value>,
    pub message: Option<String>,
}

/// A rule broken by one resource change.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub rule: String,
    pub address: String,
    pub what: String,
}

struct NoRefs;

impl Scope for NoRefs {
    fn resolve(&self, _s: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error(
            "References not allowed",
            "Policy rules hold constant values only.",
        )
        .at_opt(span.cloned()))
    }
}

const ACTIONS: [&str; 4] = ["create", "update", "destroy", "replace"];

/// Reads a policy file; every problem is reported with its location.
pub fn load(path: &Path, sources: &mut SourceMap) -> Result<Vec<Rule>, Diagnostics> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Cannot read policy file",
            format!("{name}: {e}"),
        ))
    })?;
    let file = sources.add(name.clone(), text.clone());
    let body: Body = hcl_edit::parser::parse_body(&text).map_err(|e| {
        let (line, col) = (e.location().line(), e.location().column());
        Diagnostics::from(Diagnostic::error(
            "Invalid policy file",
            format!("{name}:{line}:{col}: {}", e.message()),
        ))
    })?;
    let mut rules = Vec::new();
    let mut diags = Diagnostics::new();
    for s in body.iter() {
        let Structure::Block(b) = s else {
            let span = hcl_edit::Span::span(s).map(|r| Span::new(file, r));
            diags.push(
                Diagnostic::error(
                    "Unexpected attribute",
                    "A policy file holds only `rule \"NAME\" { ... }` blocks.",
                )
                .at_opt(span),
            );
            continue;
        };
        let span = hcl_edit::Span::span(&b.ident).map(|r| Span::new(file, r));
        if b.ident.as_str() != "rule" || b.labels.len() != 1 {
            diags.push(
                Diagnostic::error(
                    "Unsupported block",
                    "A policy file holds only `rule \"NAME\" { ... }` blocks.",
                )
                .at_opt(span),
            );
            continue;
        }
        let mut rule = Rule {
            name: b.labels[0].as_str().to_string(),
            ..Rule::default()
        };
        for a in b.body.attributes() {
            let expr = Expr::from_hcl(file, &a.value);
            let value = match lang::eval(&expr, &NoRefs) {
                Ok(v) => v,
                Err(ds) => {
                    diags.extend(ds);
                    continue;
                }
            };
            let strings = |v: &Value| -> Option<Vec<String>> {
                v.as_seq()?
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect()
            };
            let bad = |what: &str| {
                Diagnostic::error("Invalid rule argument", what.to_string()).at_opt(expr.span())
            };
            match a.key.as_str() {
                "types" | "addresses" | "deny" | "require" => match strings(&value) {
                    Some(list) => match a.key.as_str() {
                        "types" => rule.types = list,
                        "addresses" => rule.addresses = list,
                        "require" => rule.require = list,
                        _ => {
                            if let Some(x) = list.iter().find(|x| !ACTIONS.contains(&x.as_str())) {
                                diags.push(bad(&format!("Unknown action {x:?}: use create, update, destroy or replace.")));
                            }
                            rule.deny = list;
                        }
                    },
                    None => diags.push(bad(&format!("`{}` is a list of strings.", a.key.as_str()))),
                },
                "attribute" => match value.as_str() {
                    Some(s) => rule.attribute = Some(s.to_string()),
                    None => diags.push(bad("`attribute` is a string.")),
                },
                "message" => match value.as_str() {
                    Some(s) => rule.message = Some(s.to_string()),
                    None => diags.push(bad("`message` is a string.")),
                },
                "allow" => match value.as_seq() {
                    Some(xs) => rule.allow = xs.to_vec(),
                    None => diags.push(bad("`allow` is a list of values.")),
                },
                other => diags.push(
                    Diagnostic::error(
                        "Unsupported argument",
                        format!("A rule has no argument {other:?}; it takes types, addresses, deny, require, attribute, allow and message."),
                    )
                    .at_opt(expr.span()),
                ),
            }
        }
        if rule.deny.is_empty() && rule.require.is_empty() && rule.attribute.is_none() {
            diags.push(
                Diagnostic::error(
                    "Empty rule",
                    format!(
                        "Rule {:?} checks nothing: give it deny, require, or attribute with allow.",
                        rule.name
                    ),
                )
                .at_opt(span.clone()),
            );
        }
        if rule.attribute.is_some() == rule.allow.is_empty() {
            diags.push(
                Diagnostic::error(
                    "Incomplete rule",
                    format!("Rule {:?}: `attribute` and `allow` go together.", rule.name),
                )
                .at_opt(span),
            );
        }
        rules.push(rule);
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(rules)
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn applies(rule: &Rule, c: &ResourceChange) -> bool {
    let ty = &c.addr.resource.ty;
    let addr = c.addr.to_string();
    (rule.types.is_empty() || rule.types.iter().any(|p| glob(p, ty)))
        && (rule.addresses.is_empty()
            || rule
                .addresses
                .iter()
                .any(|p| glob(p, &addr) || glob(p, &c.addr.resource.to_string())))
}

fn action_names(a: Action) -> &'static [&'static str] {
    match a {
        Action::Create => &["create"],
        Action::Update => &["update"],
        Action::Delete => &["destroy"],
        Action::DeleteThenCreate | Action::CreateThenDelete => &["replace", "destroy"],
        Action::NoOp | Action::Read => &[],
    }
}

/// The value at a dotted attribute path (`tags.Owner`).
fn at_path<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, step| v.get_attr(step))
}

/// Judges a plan: every violation of every rule.
pub fn check(rules: &[Rule], plan: &Plan) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        for rule in rules.iter().filter(|r| applies(r, c)) {
            let mut report = |what: String| {
                let what = match &rule.message {
                    Some(m) => format!("{what}: {m}"),
                    None => what,
                };
                out.push(Violation {
                    rule: rule.name.clone(),
                    address: c.addr.to_string(),
                    what,
                });
            };
            if let Some(name) = action_names(c.action)
                .iter()
                .find(|a| rule.deny.iter().any(|d| d == *a))
            {
                report(format!("would {name} it"));
            }
            let Some(after) = c.after.as_ref().filter(|_| c.action != Action::Delete) else {
                continue;
            };
            for path in &rule.require {
                match at_path(after, path) {
                    Some(v) if v.is_unknown() => {}
                    Some(v) if !v.is_null() => {}
                    _ => report(format!("`{path}` must be set")),
                }
            }
            if let Some(attr) = &rule.attribute {
                match at_path(after, attr) {
                    Some(v) if v.is_unknown() => report(format!(
                        "`{attr}` is known only after apply, so it cannot be checked against the allowed values"
                    )),
                    Some(v) => {
                        let plain = v.clone().unmark_deep().0;
                        let allowed = rule.allow.iter().any(|a| {
                            *a == plain || a.as_str().is_some() && a.as_str() == plain.as_str()
                        });
                        if !allowed {
                            let shown = if v.contains_sensitive() {
                                "(sensitive value)".to_string()
                            } else {
                                plain.to_json().to_string()
                            };
                            report(format!(
                                "`{attr}` = {shown} is not one of the allowed values"
                            ));
                        }
                    }
                    None => report(format!(
                        "`{attr}` is not set, and only the allowed values are permitted"
                    )),
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::{InstanceKey, ResourceAddr};

    fn change(ty: &str, name: &str, action: Action, after: Option<Value>) -> ResourceChange {
        ResourceChange {
            addr: ResourceAddr::managed(ty, name).instance(InstanceKey::None),
            provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
            action,
            before: None,
            after,
            replace_paths: vec![],
            reason: None,
            dependencies: vec![],
            instance_dependencies: vec![],
            create_before_destroy: false,
            schema_version: 0,
        }
    }

    fn plan(changes: Vec<ResourceChange>) -> Plan {
        Plan {
            mode: crate::plan::Mode::Normal,
            changes,
            outputs: vec![],
            drift: vec![],
            prior_state: crate::state::State::new(),
            prior_serial: 0,
            variables: Default::default(),
            targets: vec![],
            refactor: Default::default(),
        }
    }

    fn rules(text: &str) -> Vec<Rule> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.hcl");
        std::fs::write(&p, text).unwrap();
        load(&p, &mut SourceMap::new()).unwrap()
    }

    #[test]
    fn deny_actions_by_type_and_address() {
        let r = rules(
            "rule \"keep-db\" {\n  types = [\"aws_db_*\"]\n  deny = [\"destroy\"]\n  message = \"never\"\n}\n",
        );
        let ok = plan(vec![change(
            "aws_db_instance",
            "a",
            Action::Update,
            Some(Value::object([("x", Value::number(1))])),
        )]);
        assert!(check(&r, &ok).is_empty());
        let bad = plan(vec![change(
            "aws_db_instance",
            "a",
            Action::DeleteThenCreate,
            None,
        )]);
        let v = check(&r, &bad);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].what, "would destroy it: never");
        let r = rules(
            "rule \"prod\" {\n  addresses = [\"aws_vpc.prod*\"]\n  deny = [\"replace\"]\n}\n",
        );
        assert!(
            check(
                &r,
                &plan(vec![change(
                    "aws_vpc",
                    "dev",
                    Action::DeleteThenCreate,
                    None
                )])
            )
            .is_empty()
        );
        assert_eq!(
            check(
                &r,
                &plan(vec![change(
                    "aws_vpc",
                    "prod",
                    Action::CreateThenDelete,
                    None
                )])
            )
            .len(),
            1
        );
    }

    #[test]
    fn required_attributes() {
        let r = rules("rule \"owner\" {\n  types = [\"aws_*\"]\n  require = [\"tags.Owner\"]\n}\n");
        let tagged = Value::object([(
            "tags",
            Value::Map([("Owner".to_string(), Value::string("me"))].into()),
        )]);
        assert!(
            check(
                &r,
                &plan(vec![change("aws_vpc", "a", Action::Create, Some(tagged))])
            )
            .is_empty()
        );
        let bare = Value::object([("tags", Value::Null)]);
        let v = check(
            &r,
            &plan(vec![change("aws_vpc", "a", Action::Create, Some(bare))]),
        );
        assert_eq!(v[0].what, "`tags.Owner` must be set");
        // Deletions are not asked for tags.
        assert!(
            check(
                &r,
                &plan(vec![change("aws_vpc", "a", Action::Delete, None)])
            )
            .is_empty()
        );
    }

    #[test]
    fn allowed_values() {
        let r = rules(
            "rule \"small\" {\n  types = [\"aws_instance\"]\n  attribute = \"instance_type\"\n  allow = [\"t3.micro\"]\n}\n",
        );
        let with = |t: Value| {
            plan(vec![change(
                "aws_instance",
                "a",
                Action::Create,
                Some(Value::object([("instance_type", t)])),
            )])
        };
        assert!(check(&r, &with(Value::string("t3.micro"))).is_empty());
        assert_eq!(
            check(&r, &with(Value::string("m5.24xlarge")))[0].what,
            "`instance_type` = \"m5.24xlarge\" is not one of the allowed values"
        );
        assert!(
            check(&r, &with(Value::Unknown))[0]
                .what
                .contains("known only after apply")
        );
        let secret = check(&r, &with(Value::string("x").mark_sensitive()));
        assert!(secret[0].what.contains("(sensitive value)"));
    }

    #[test]
    fn bad_policy_files_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.hcl");
        std::fs::write(
            &p,
            "rule \"x\" {\n  deny = [\"explode\"]\n  colour = 1\n}\n",
        )
        .unwrap();
        let mut sm = SourceMap::new();
        let ds = load(&p, &mut sm).unwrap_err();
        let text = crate::diag::render(&ds, &sm, false);
        assert!(text.contains("Unknown action \"explode\""), "{text}");
        assert!(text.contains("colour"), "{text}");
        assert!(text.contains("p.hcl:2:"), "{text}");
    }

    #[test]
    fn globs() {
        assert!(glob("aws_*", "aws_vpc"));
        assert!(glob("*_vpc", "aws_vpc"));
        assert!(glob("module.*.aws_*", "module.a.aws_vpc"));
        assert!(!glob("aws_*", "google_vpc"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }
}
