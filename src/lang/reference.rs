//! Finding the references an expression or body makes, for the dependency graph, and the rules
//! that turn the first steps of a traversal into a [`Subject`] (shared with the evaluator). The
//! walk itself ([`ExprWalk`]) serves other collectors too: the JSON plan's `references`.
//!
//! Pure syntax: it must not evaluate anything.

use std::ops::Range;

use super::ast::{
    Decorated, Expression, Ident, ObjectKey, Part, Span as _, Structure, Traversal,
    TraversalOperator,
};

use super::{Reference, Subject};
use crate::addr::{Name, ResourceAddr};
use crate::config::{Body, Expr};
use crate::diag::{FileId, Span};

/// The references in an expression (names bound by `for` expressions are not references).
pub fn references(expr: &Expr) -> Vec<Reference> {
    let mut w = ExprWalk::new(Refs {
        file: expr.file,
        out: Vec::new(),
    });
    w.expr(&expr.expr);
    w.collector.out
}

/// The references in a body, including those in nested and `dynamic` blocks.
pub fn body_references(body: &Body) -> Vec<Reference> {
    let mut w = ExprWalk::new(Refs {
        file: body.file,
        out: Vec::new(),
    });
    w.body(&body.body);
    w.collector.out
}

fn attr(op: Option<&Decorated<TraversalOperator>>) -> Option<&str> {
    match op.map(|o| o.value()) {
        Some(TraversalOperator::GetAttr(id)) => Some(id.as_str()),
        _ => None,
    }
}

/// The subject a traversal rooted at `name` names, and how many of `ops` that consumed; or the
/// summary and detail of why the reference is invalid.
pub(crate) fn subject_of(
    name: &str,
    ops: &[Decorated<TraversalOperator>],
) -> Result<(Subject, usize), (&'static str, String)> {
    let first = attr(ops.first());
    let direct = |root: &str| {
        (
            "Invalid reference",
            format!(
                "The {root:?} object cannot be accessed directly. Instead, access one of its attributes."
            ),
        )
    };
    match name {
        "var" => first.map(|a| (Subject::Var(Name::new(a)), 1)).ok_or_else(|| direct("var")),
        "local" => first.map(|a| (Subject::Local(Name::new(a)), 1)).ok_or_else(|| direct("local")),
        "module" => first.map(|a| (Subject::Module(Name::new(a)), 1)).ok_or_else(|| direct("module")),
        "path" => match first {
            Some(a @ ("module" | "root" | "cwd")) => Ok((Subject::Path(a.to_string()), 1)),
            Some(a) => Err((
                "Invalid \"path\" attribute",
                format!("The \"path\" object does not have an attribute named {a:?}. The supported attributes are path.cwd, the current working directory, path.module, the path to the current module's directory, and path.root, the path to the root module's directory."),
            )),
            None => Err(direct("path")),
        },
        "terraform" => match first {
            Some("workspace") => Ok((Subject::TerraformWorkspace, 1)),
            Some(a) => Err((
                "Invalid \"terraform\" attribute",
                format!("The \"terraform\" object does not have an attribute named {a:?}. The only supported attribute is terraform.workspace, the name of the currently-selected workspace."),
            )),
            None => Err(direct("terraform")),
        },
        "count" => match first {
            Some("index") => Ok((Subject::CountIndex, 1)),
            Some(a) => Err((
                "Invalid \"count\" attribute",
                format!("The \"count\" object does not have an attribute named {a:?}. The only supported attribute is count.index, which is the index of each instance of a resource block that has the \"count\" argument set."),
            )),
            None => Err(direct("count")),
        },
        "each" => match first {
            Some("key") => Ok((Subject::EachKey, 1)),
            Some("value") => Ok((Subject::EachValue, 1)),
            Some(a) => Err((
                "Invalid \"each\" attribute",
                format!("The \"each\" object does not have an attribute named {a:?}. The supported attributes are each.key and each.value, the current instance's key and value."),
            )),
            None => Err(direct("each")),
        },
        "self" => Ok((Subject::SelfObject, 0)),
        "data" => match (first, attr(ops.get(1))) {
            (Some(t), Some(n)) => Ok((Subject::Resource(ResourceAddr::data(t, n)), 2)),
            _ => Err((
                "Invalid reference",
                "The \"data\" object must be followed by two attribute names: the data source type and the resource name.".to_string(),
            )),
        },
        ty => match first {
            Some(n) => Ok((Subject::Resource(ResourceAddr::managed(ty, n)), 1)),
            None => Err((
                "Invalid reference",
                "A reference to a resource type must be followed by at least one attribute access, specifying the resource name.".to_string(),
            )),
        },
    }
}

/// What a walk over expressions reports: each traversal rooted at a name that no enclosing
/// `for` expression or `dynamic` block binds, each free `self`, each function call.
pub(crate) trait Collector {
    /// A traversal `t` whose root variable `root` is free.
    fn traversal(&mut self, root: &Decorated<Ident>, t: &Traversal);
    /// `self` on its own.
    fn bare_self(&mut self, v: &Decorated<Ident>);
    /// A function call, before its arguments are walked.
    fn call(&mut self) {}
}

/// Walks expressions, templates and bodies for a [`Collector`], keeping track of the names
/// bound by `for` expressions and `dynamic` blocks. Nesting deeper than 256 is not walked.
pub(crate) struct ExprWalk<C> {
    pub(crate) collector: C,
    bound: Vec<String>,
    depth: usize,
}

impl<C: Collector> ExprWalk<C> {
    pub(crate) fn new(collector: C) -> Self {
        ExprWalk {
            collector,
            bound: Vec::new(),
            depth: 0,
        }
    }

    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|b| b == name)
    }

    pub(crate) fn expr(&mut self, e: &Expression) {
        if self.depth > 256 {
            return;
        }
        self.depth += 1;
        self.expr_inner(e);
        self.depth -= 1;
    }

    fn expr_inner(&mut self, e: &Expression) {
        match e {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(a) => a.iter().for_each(|x| self.expr(x)),
            Expression::Object(o) => {
                for (k, v) in o.iter() {
                    if let ObjectKey::Expression(k) = k {
                        // A bare name as a key is a string, not a reference.
                        if !matches!(k, Expression::Variable(_)) {
                            self.expr(k);
                        }
                    }
                    self.expr(v.expr());
                }
            }
            Expression::StringTemplate(t) | Expression::HeredocTemplate(t) => {
                self.template(&t.parts)
            }
            Expression::Parenthesis(p) => self.expr(p.value()),
            Expression::Variable(v) => {
                if !self.is_bound(v.as_str()) && v.as_str() == "self" {
                    self.collector.bare_self(v);
                }
            }
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(f) => {
                self.collector.call();
                f.args.iter().for_each(|a| self.expr(a));
            }
            Expression::Traversal(t) => {
                match &t.expr {
                    Expression::Variable(v) if !self.is_bound(v.as_str()) => {
                        self.collector.traversal(v, t)
                    }
                    Expression::Variable(_) => {}
                    other => self.expr(other),
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(e) = op.value() {
                        self.expr(e);
                    }
                }
            }
            Expression::UnaryOp(u) => self.expr(&u.expr),
            Expression::BinaryOp(b) => {
                self.expr(&b.lhs_expr);
                self.expr(&b.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let len = self.bound.len();
                if let Some(k) = &f.intro.key_var {
                    self.bound.push(k.as_str().to_string());
                }
                self.bound.push(f.intro.value_var.as_str().to_string());
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(len);
            }
        }
    }

    fn template(&mut self, parts: &[Part]) {
        for p in parts {
            match p {
                Part::Lit(_) => {}
                Part::Interp(e) => self.expr(e),
                Part::If { cond, then, els } => {
                    self.expr(cond);
                    self.template(then);
                    self.template(els);
                }
                Part::For {
                    key,
                    value,
                    coll,
                    body,
                } => {
                    self.expr(coll);
                    let len = self.bound.len();
                    if let Some(k) = key {
                        self.bound.push(k.as_str().to_string());
                    }
                    self.bound.push(value.as_str().to_string());
                    self.template(body);
                    self.bound.truncate(len);
                }
            }
        }
    }

    fn body(&mut self, body: &super::ast::Body) {
        if self.depth > 256 {
            return;
        }
        self.depth += 1;
        for st in body.iter() {
            match st {
                Structure::Attribute(a) => self.expr(&a.value),
                Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                    // `for_each` is evaluated outside the iteration; `labels` and the content
                    // see the iterator.
                    let mut iterator = b.labels.first().map(|l| l.as_str().to_string());
                    for st in b.body.iter() {
                        if let Structure::Attribute(a) = st {
                            match a.key.as_str() {
                                "iterator" => {
                                    if let Expression::Variable(v) = &a.value {
                                        iterator = Some(v.as_str().to_string());
                                    }
                                }
                                "for_each" => self.expr(&a.value),
                                _ => {}
                            }
                        }
                    }
                    let len = self.bound.len();
                    if let Some(it) = iterator {
                        self.bound.push(it);
                    }
                    for st in b.body.iter() {
                        match st {
                            Structure::Attribute(a)
                                if !matches!(a.key.as_str(), "iterator" | "for_each") =>
                            {
                                self.expr(&a.value)
                            }
                            Structure::Attribute(_) => {}
                            Structure::Block(c) => self.body(&c.body),
                        }
                    }
                    self.bound.truncate(len);
                }
                Structure::Block(b) => self.body(&b.body),
            }
        }
        self.depth -= 1;
    }
}

/// Collects [`Reference`]s with their spans, the index after a resource and the output after a
/// module call.
struct Refs {
    file: FileId,
    out: Vec<Reference>,
}

impl Refs {
    fn push(&mut self, subject: Subject, range: Option<Range<usize>>) {
        let span = range.map(|r| Span::new(self.file, r));
        self.out.push(Reference {
            subject,
            span,
            index: None,
            attr: None,
        });
    }
}

impl Collector for Refs {
    fn bare_self(&mut self, v: &Decorated<Ident>) {
        self.push(Subject::SelfObject, v.span());
    }

    fn traversal(&mut self, v: &Decorated<Ident>, t: &Traversal) {
        let Ok((subject, used)) = subject_of(v.as_str(), &t.operators) else {
            return;
        };
        let start = v.span().map(|r| r.start);
        let end = if used == 0 {
            v.span().map(|r| r.end)
        } else {
            t.operators[used - 1].span().map(|r| r.end)
        };
        let range = match (start, end) {
            (Some(s), Some(e)) if s <= e => Some(s..e),
            _ => t.span(),
        };
        let is_resource = matches!(subject, Subject::Resource(_));
        let is_module = matches!(subject, Subject::Module(_));
        self.push(subject, range);
        if is_module {
            // The output follows the call name, after at most one index or splat.
            let mut rest = t.operators[used..].iter().map(|o| o.value());
            let attr = match rest.next() {
                Some(TraversalOperator::GetAttr(id)) => Some(id.as_str().to_string()),
                Some(
                    TraversalOperator::Index(_)
                    | TraversalOperator::LegacyIndex(_)
                    | TraversalOperator::AttrSplat
                    | TraversalOperator::FullSplat,
                ) => match rest.next() {
                    Some(TraversalOperator::GetAttr(id)) => Some(id.as_str().to_string()),
                    _ => None,
                },
                None => None,
            };
            if let Some(last) = self.out.last_mut() {
                last.attr = attr;
            }
        }
        if is_resource {
            let index = match t.operators.get(used).map(|o| o.value()) {
                Some(TraversalOperator::Index(e)) => Some(super::Index::Expr(Expr {
                    file: self.file,
                    expr: e.clone(),
                })),
                Some(TraversalOperator::LegacyIndex(n)) => Some(super::Index::Number(*n)),
                _ => None,
            };
            if let Some(last) = self.out.last_mut() {
                last.index = index;
            }
        }
    }
}
