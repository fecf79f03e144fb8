//! The expression evaluator: walks the compact expression tree ([`super::ast`]) against a [`Scope`] with
//! Terraform's semantics, propagating unknown and sensitive values through every operation, and
//! evaluates block bodies against a provider [`Schema`] (including `dynamic` blocks).
//!
//! It must not know where values come from (the scope supplies them) and does no I/O itself.

use std::collections::BTreeMap;
use std::ops::Range;

use super::ast::Span as _;
use super::ast::{
    BinaryOperator, Block, Decorated, Expression, ForExpr, FuncCall, Ident, ObjectKey, Part,
    Structure, Template, TraversalOperator, UnaryOperator,
};
use cairn_provider::{BlockNesting, Number, Schema, Type, Value, ValueMap};

use super::Scope;
use super::convert::{convert, kind_name, type_phrase, unify};
use super::functions::{self, FnError};
use super::infer;
use super::reference::subject_of;
use crate::config::{Body, Expr};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

/// How deeply expressions may nest before evaluation gives up (guards the stack).
const MAX_DEPTH: usize = 256;

/// Evaluates an expression.
pub fn eval(expr: &Expr, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    Evaluator::new(scope, expr.file).expr(&expr.expr)
}

/// Evaluates a block body into an object conforming to `schema`: every attribute of the schema is
/// present (null when not set), nested blocks (including `dynamic` blocks) become objects, lists
/// or sets per their nesting, and arguments the schema does not declare are errors.
pub fn eval_body(body: &Body, schema: &Schema, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    let span = body.body.span();
    Evaluator::new(scope, body.file).body(&body.body, schema, span)
}

type R = Result<Value, Diagnostics>;

fn mark(v: Value, sensitive: bool) -> Value {
    if sensitive { v.mark_sensitive() } else { v }
}

pub(crate) struct Evaluator<'s> {
    pub(crate) scope: &'s dyn Scope,
    file: FileId,
    /// Names bound by `for` expressions, template `for` directives and dynamic-block iterators.
    bound: Vec<(String, Value)>,
    depth: usize,
    /// Evaluating a `templatefile` template: only its variables may be referenced.
    in_template: bool,
    /// A referenced local failed to evaluate. Terraform fails such a local on its own, so
    /// `try` and `can` around a reference to it must not turn its error into a fallback.
    failed_local: bool,
}

impl<'s> Evaluator<'s> {
    pub(crate) fn new(scope: &'s dyn Scope, file: FileId) -> Evaluator<'s> {
        Evaluator {
            scope,
            file,
            bound: Vec::new(),
            depth: 0,
            in_template: false,
            failed_local: false,
        }
    }

    fn span(&self, r: Option<Range<usize>>) -> Option<Span> {
        r.map(|r| Span::new(self.file, r))
    }

    fn err(
        &self,
        summary: &str,
        detail: impl Into<String>,
        r: Option<Range<usize>>,
    ) -> Diagnostics {
        Diagnostic::error(summary, detail)
            .at_opt(self.span(r))
            .into()
    }

    fn lookup_bound(&self, name: &str) -> Option<&Value> {
        self.bound
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    pub(crate) fn expr(&mut self, e: &Expression) -> R {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(
                "Expression too complex",
                "This expression is nested too deeply to evaluate.",
                e.span(),
            ));
        }
        self.depth += 1;
        let r = self.expr_inner(e);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, e: &Expression) -> R {
        match e {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => match literal_number(n) {
                Some(n) => Ok(Value::Number(n)),
                None => Err(self.err(
                    "Invalid number literal",
                    "This number is out of range.",
                    e.span(),
                )),
            },
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for x in a.iter() {
                    out.push(self.expr(x)?);
                }
                Ok(Value::Tuple(out))
            }
            Expression::Object(o) => {
                let mut out = ValueMap::new();
                let mut unknown = false;
                let mut sensitive = false;
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => Value::String(id.as_str().to_string()),
                        ObjectKey::Expression(ke) => self.expr(ke)?,
                    };
                    let (key, ks) = key.unmark();
                    sensitive |= ks;
                    let value = self.expr(v.expr())?;
                    let krange = match k {
                        ObjectKey::Ident(id) => id.span(),
                        ObjectKey::Expression(ke) => ke.span(),
                    };
                    match key {
                        Value::Unknown => unknown = true,
                        Value::Null => {
                            return Err(self.err(
                                "Null value as key",
                                "Can't use a null value as a key.",
                                krange,
                            ));
                        }
                        other => match convert(other, &Type::String) {
                            Ok(Value::String(s)) => {
                                out.insert(s, value);
                            }
                            _ => {
                                return Err(self.err(
                                    "Incorrect key type",
                                    "Can't use this value as a key: string required.",
                                    krange,
                                ));
                            }
                        },
                    }
                }
                Ok(mark(
                    if unknown {
                        Value::Unknown
                    } else {
                        Value::Object(out)
                    },
                    sensitive,
                ))
            }
            Expression::StringTemplate(t) => {
                if let Some(i) = t.as_single_interpolation() {
                    return self.expr(i);
                }
                self.template(t)
            }
            Expression::HeredocTemplate(h) => self.template(h),
            Expression::Parenthesis(p) => self.expr(p.value()),
            Expression::Variable(v) => self.traversal(v, &[], e.span()),
            Expression::Conditional(c) => {
                self.conditional(&c.cond_expr, &c.true_expr, &c.false_expr, e.span())
            }
            Expression::FuncCall(f) => self.call(f, e.span()),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => self.traversal(v, &t.operators, e.span()),
                other => {
                    let base = self.expr(other)?;
                    self.apply_ops(base, &t.operators)
                }
            },
            Expression::UnaryOp(u) => {
                let v = self.expr(&u.expr)?;
                self.unary(*u.operator.value(), v, e.span())
            }
            Expression::BinaryOp(b) => {
                let l = self.expr(&b.lhs_expr)?;
                let r = self.expr(&b.rhs_expr)?;
                self.binary(*b.operator.value(), l, r, e.span())
            }
            Expression::ForExpr(f) => self.for_expr(f, e.span()),
        }
    }

    // ---- references and traversals ----

    fn traversal(
        &mut self,
        root: &Decorated<Ident>,
        ops: &[Decorated<TraversalOperator>],
        whole: Option<Range<usize>>,
    ) -> R {
        let name = root.as_str();
        if let Some(v) = self.lookup_bound(name) {
            let v = v.clone();
            return self.apply_ops(v, ops);
        }
        if self.in_template {
            return Err(self.err(
                "Invalid function argument",
                format!(
                    "Invalid value for \"vars\" parameter: vars map does not contain key {name:?}."
                ),
                whole,
            ));
        }
        let (subject, used) = match subject_of(name, ops) {
            Ok(x) => x,
            Err((summary, detail)) => return Err(self.err(summary, detail, whole)),
        };
        let start = root.span().map(|r| r.start);
        let end = if used == 0 {
            root.span().map(|r| r.end)
        } else {
            ops[used - 1].span().map(|r| r.end)
        };
        let range = match (start, end) {
            (Some(s), Some(e)) if s <= e => Some(s..e),
            _ => whole,
        };
        // One instance of a resource is looked up alone (see `Scope::resolve_instance`); when
        // its index cannot be evaluated or the instance is not there, the whole resource is
        // resolved and indexed as usual, which gives the value or the error in its order.
        if matches!(subject, super::Subject::Resource(_))
            && let Some(TraversalOperator::Index(e)) = ops.get(used).map(|o| o.value())
            && let Ok(k) = self.expr(e)
            && let Some(key) = crate::addr::InstanceKey::of_value(&k)
            && let Some(v) = self.scope.resolve_instance(&subject, &key)
        {
            return self.apply_ops(v, &ops[used + 1..]);
        }
        let span = self.span(range);
        let v = match self.scope.resolve(&subject, span.as_ref()) {
            Ok(v) => v,
            Err(d) => {
                if matches!(subject, super::Subject::Local(_)) {
                    self.failed_local = true;
                }
                return Err(d.into());
            }
        };
        self.apply_ops(v, &ops[used..])
    }

    fn apply_ops(&mut self, mut v: Value, ops: &[Decorated<TraversalOperator>]) -> R {
        let mut i = 0;
        while i < ops.len() {
            let op = &ops[i];
            let r = op.span();
            match op.value() {
                TraversalOperator::FullSplat => return self.splat(v, &ops[i + 1..]),
                TraversalOperator::AttrSplat => {
                    let n = ops[i + 1..]
                        .iter()
                        .take_while(|o| {
                            matches!(
                                o.value(),
                                TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)
                            )
                        })
                        .count();
                    v = self.splat(v, &ops[i + 1..i + 1 + n])?;
                    i += 1 + n;
                    continue;
                }
                TraversalOperator::GetAttr(id) => v = self.get_attr(v, id.as_str(), r)?,
                TraversalOperator::Index(e) => {
                    let k = self.expr(e)?;
                    v = self.index(v, k, r)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    let k = Value::Number(
                        i64::try_from(*n).map_or(Number::from_i64(0), Number::from_i64),
                    );
                    v = self.index(v, k, r)?;
                }
            }
            i += 1;
        }
        Ok(v)
    }

    fn splat(&mut self, v: Value, rest: &[Decorated<TraversalOperator>]) -> R {
        let (v, s) = v.unmark();
        let out = match v {
            Value::Unknown => Value::Unknown,
            Value::Null => Value::Tuple(Vec::new()),
            Value::List(xs) => {
                let mut out = Vec::with_capacity(xs.len());
                for x in xs {
                    out.push(self.apply_ops(x, rest)?);
                }
                Value::List(out)
            }
            Value::Tuple(xs) | Value::Set(xs) => {
                let mut out = Vec::with_capacity(xs.len());
                for x in xs {
                    out.push(self.apply_ops(x, rest)?);
                }
                Value::Tuple(out)
            }
            other => Value::Tuple(vec![self.apply_ops(other, rest)?]),
        };
        Ok(mark(out, s))
    }

    fn get_attr(&self, v: Value, name: &str, r: Option<Range<usize>>) -> R {
        let (v, s) = v.unmark();
        let out = match v {
            Value::Unknown => Value::Unknown,
            Value::Null => {
                return Err(self.err(
                    "Attempt to get attribute from null value",
                    "This value is null, so it does not have any attributes.",
                    r,
                ));
            }
            Value::Object(mut m) => match m.remove(name) {
                Some(x) => x,
                None => {
                    let hint = super::did_you_mean(name, m.keys().map(String::as_str));
                    return Err(self.err(
                        "Unsupported attribute",
                        format!("This object does not have an attribute named {name:?}.{hint}"),
                        r,
                    ));
                }
            },
            Value::Map(mut m) => match m.remove(name) {
                Some(x) => x,
                None => {
                    return Err(self.err(
                        "Missing map element",
                        format!("This map does not have an element with the key {name:?}."),
                        r,
                    ));
                }
            },
            Value::List(_) => {
                return Err(self.err(
                    "Unsupported attribute",
                    "Can't access attributes on a list of objects. Did you mean to access an attribute for a specific element of the list, or across all elements of the list?",
                    r,
                ));
            }
            Value::Set(_) => {
                return Err(self.err(
                    "Unsupported attribute",
                    "Can't access attributes on a set of objects. Did you mean to access an attribute across all elements of the set?",
                    r,
                ));
            }
            Value::Tuple(_) => {
                return Err(self.err(
                    "Unsupported attribute",
                    "This value does not have any attributes.",
                    r,
                ));
            }
            other => {
                return Err(self.err(
                    "Unsupported attribute",
                    format!(
                        "Can't access attributes on a primitive-typed value ({}).",
                        kind_name(&other)
                    ),
                    r,
                ));
            }
        };
        Ok(mark(out, s))
    }

    fn index(&self, v: Value, key: Value, r: Option<Range<usize>>) -> R {
        let (v, s1) = v.unmark();
        let (key, s2) = key.unmark();
        let s = s1 || s2;
        if key.is_null() {
            return Err(self.err(
                "Invalid index",
                "Can't use a null value as an indexing key.",
                r,
            ));
        }
        let bad = |d: &str| self.err("Invalid index", d, r.clone());
        const MISSING: &str =
            "The given key does not identify an element in this collection value.";
        let out = match v {
            Value::Unknown => Value::Unknown,
            Value::Null => {
                return Err(self.err(
                    "Attempt to index null value",
                    "This value is null, so it does not have any indices.",
                    r,
                ));
            }
            _ if key.is_unknown() => Value::Unknown,
            Value::List(mut xs) | Value::Tuple(mut xs) => {
                let n = match convert(key, &Type::Number) {
                    Ok(Value::Number(n)) => n,
                    _ => {
                        return Err(bad(
                            "The given key does not identify an element in this collection value: number required.",
                        ));
                    }
                };
                if n.is_sign_negative() && !n.is_zero() {
                    return Err(bad(
                        "The given key does not identify an element in this collection value: a negative number is not a valid index for a sequence.",
                    ));
                }
                let Some(i) = n.as_i64() else {
                    return Err(bad(
                        "The given key does not identify an element in this collection value: the given index is not an integer.",
                    ));
                };
                let i = i as usize;
                if i >= xs.len() {
                    return Err(bad(MISSING));
                }
                xs.swap_remove(i)
            }
            Value::Map(mut m) | Value::Object(mut m) => {
                let k = match convert(key, &Type::String) {
                    Ok(Value::String(k)) => k,
                    _ => {
                        return Err(bad(
                            "The given key does not identify an element in this collection value: string required.",
                        ));
                    }
                };
                match m.remove(&k) {
                    Some(x) => x,
                    None => return Err(bad(MISSING)),
                }
            }
            Value::Set(_) => {
                return Err(bad(
                    "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.",
                ));
            }
            _ => return Err(bad("This value does not have any indices.")),
        };
        Ok(mark(out, s))
    }

    // ---- operators ----

    fn unary(&self, op: UnaryOperator, v: Value, r: Option<Range<usize>>) -> R {
        let (v, s) = v.unmark();
        let out = match op {
            UnaryOperator::Neg => match self.operand(v, &Type::Number, "operand", r)? {
                Value::Number(n) => Value::Number(n.neg()),
                other => other,
            },
            UnaryOperator::Not => match self.operand(v, &Type::Bool, "operand", r)? {
                Value::Bool(b) => Value::Bool(!b),
                other => other,
            },
        };
        Ok(mark(out, s))
    }

    /// Converts an operand, returning `Unknown` for an unknown one.
    fn operand(&self, v: Value, ty: &Type, side: &str, r: Option<Range<usize>>) -> R {
        if v.is_unknown() {
            return Ok(Value::Unknown);
        }
        if v.is_null() {
            return Err(self.err(
                "Operation failed",
                "Error during operation: argument must not be null.",
                r,
            ));
        }
        convert(v, ty).map_err(|e| {
            let e = if e.starts_with("a ") {
                e
            } else {
                format!("a {} is required", type_phrase(ty))
            };
            self.err(
                "Invalid operand",
                format!("Unsuitable value for {side}: {e}."),
                r,
            )
        })
    }

    fn binary(&self, op: BinaryOperator, l: Value, r: Value, range: Option<Range<usize>>) -> R {
        use BinaryOperator as B;
        match op {
            B::Eq | B::NotEq => {
                let s = l.contains_sensitive() || r.contains_sensitive();
                if !l.is_wholly_known() || !r.is_wholly_known() {
                    return Ok(mark(Value::Unknown, s));
                }
                let (l, _) = l.unmark_deep();
                let (r, _) = r.unmark_deep();
                let eq = values_equal(&l, &r);
                Ok(mark(Value::Bool(if op == B::Eq { eq } else { !eq }), s))
            }
            B::And | B::Or => {
                let (l, s1) = l.unmark();
                let (r, s2) = r.unmark();
                let l = self.operand(l, &Type::Bool, "left operand", range.clone())?;
                let r = self.operand(r, &Type::Bool, "right operand", range)?;
                let out = match (l.as_bool(), r.as_bool()) {
                    (Some(a), Some(b)) => Value::Bool(if op == B::And { a && b } else { a || b }),
                    _ => Value::Unknown,
                };
                Ok(mark(out, s1 || s2))
            }
            _ => {
                let (l, s1) = l.unmark();
                let (r, s2) = r.unmark();
                let l = self.operand(l, &Type::Number, "left operand", range.clone())?;
                let r = self.operand(r, &Type::Number, "right operand", range.clone())?;
                let (Some(a), Some(b)) = (l.as_number(), r.as_number()) else {
                    return Ok(mark(Value::Unknown, s1 || s2));
                };
                // `None` from an operation: out of range, or no number (with infinities).
                let fail = || {
                    let inf = a.is_infinite() || b.is_infinite();
                    let detail = match op {
                        B::Plus if inf => "can't compute sum of opposing infinities",
                        B::Minus if inf => "can't subtract infinity from itself",
                        B::Mul if inf => "can't multiply zero by infinity",
                        B::Div if inf || b.is_zero() => {
                            "can't divide zero by zero or infinity by infinity"
                        }
                        B::Mod if inf => "can't use modulo with zero and infinity",
                        _ => {
                            return self.err(
                                "Operation failed",
                                "The result of this operation is out of range.",
                                range.clone(),
                            );
                        }
                    };
                    self.err(
                        "Operation failed",
                        format!("Error during operation: {detail}."),
                        range.clone(),
                    )
                };
                let num = |n: Option<Number>| n.map(Value::Number).ok_or_else(fail);
                let out = match op {
                    B::Plus => num(a.add(&b))?,
                    B::Minus => num(a.sub(&b))?,
                    B::Mul => num(a.mul(&b))?,
                    // A division by zero is infinite, as in Terraform.
                    B::Div => num(a.div(&b))?,
                    // cty: `x % 0` is `x`.
                    B::Mod => num(a.rem(&b))?,
                    B::Less => Value::Bool(a < b),
                    B::LessEq => Value::Bool(a <= b),
                    B::Greater => Value::Bool(a > b),
                    B::GreaterEq => Value::Bool(a >= b),
                    B::Eq | B::NotEq | B::And | B::Or => Value::Unknown,
                };
                Ok(mark(out, s1 || s2))
            }
        }
    }

    fn conditional(
        &mut self,
        cond: &Expression,
        t: &Expression,
        f: &Expression,
        range: Option<Range<usize>>,
    ) -> R {
        let c = self.expr(cond)?;
        let (c, cs) = c.unmark();
        let choice = match c {
            Value::Null => {
                return Err(self.err(
                    "Null condition",
                    "The condition value is null. Conditions must either be true or false.",
                    cond.span(),
                ));
            }
            Value::Unknown => None,
            other => match convert(other, &Type::Bool) {
                Ok(Value::Bool(b)) => Some(b),
                _ => {
                    return Err(self.err(
                        "Incorrect condition type",
                        "The condition expression must be of type bool.",
                        cond.span(),
                    ));
                }
            },
        };
        let tv = self.expr(t);
        let fv = self.expr(f);
        let ty_of = |r: &R| {
            r.as_ref()
                .map(|v| Type::of(&v.clone().unmark_deep().0))
                .unwrap_or(Type::Any)
        };
        let (tt, ft) = (ty_of(&tv), ty_of(&fv));
        let Some(ty) = unify(&[tt.clone(), ft.clone()]) else {
            return Err(self.err(
                "Inconsistent conditional result types",
                format!(
                    "The true and false result expressions must have consistent types. The 'true' value is {}, but the 'false' value is {}.",
                    type_phrase(&tt),
                    type_phrase(&ft)
                ),
                range,
            ));
        };
        let Some(b) = choice else {
            return Ok(mark(Value::Unknown, cs));
        };
        let v = if b { tv? } else { fv? };
        let v = if matches!(ty, Type::Any) {
            v
        } else {
            convert(v.clone(), &ty).unwrap_or(v)
        };
        Ok(mark(v, cs))
    }

    // ---- for expressions ----

    /// The (key, value) pairs a `for` iterates over, or `None` when the collection is unknown.
    fn iterate(
        &self,
        coll: Value,
        r: Option<Range<usize>>,
        what: &str,
    ) -> Result<Option<Iteration>, Diagnostics> {
        let (coll, s) = coll.unmark();
        let items = match coll {
            Value::Unknown => return Ok(None),
            Value::Null => {
                return Err(self.err(
                    "Iteration over null value",
                    format!("A null value cannot be used as the collection in {what}."),
                    r,
                ));
            }
            Value::List(xs) | Value::Tuple(xs) => xs
                .into_iter()
                .enumerate()
                .map(|(i, x)| (Value::number(i as i64), x))
                .collect(),
            Value::Set(xs) => xs.into_iter().map(|x| (x.clone(), x)).collect(),
            Value::Map(m) | Value::Object(m) => {
                m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()
            }
            other => {
                return Err(self.err(
                    "Iteration over non-iterable value",
                    format!(
                        "A value of type {} cannot be used as the collection in {what}.",
                        kind_name(&other)
                    ),
                    r,
                ));
            }
        };
        Ok(Some((items, s)))
    }

    fn for_expr(&mut self, f: &ForExpr, range: Option<Range<usize>>) -> R {
        let coll_expr = &f.intro.collection_expr;
        let coll = self.expr(coll_expr)?;
        let Some((items, cs)) = self.iterate(coll, coll_expr.span(), "a 'for' expression")? else {
            return Ok(Value::Unknown);
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let mut unknown = false;
        let mut sensitive = cs;
        let mut list = Vec::new();
        let mut obj: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, v) in items {
            let mark_len = self.bound.len();
            if let Some(kv) = &key_var {
                self.bound.push((kv.clone(), mark(k, cs)));
            }
            self.bound.push((value_var.clone(), mark(v, cs)));
            let r = self.for_item(f, range.clone());
            self.bound.truncate(mark_len);
            match r? {
                ForItem::Skip => {}
                ForItem::Unknown => unknown = true,
                ForItem::Elem(v) => list.push(v),
                ForItem::Pair(k, ks, v) => {
                    sensitive |= ks;
                    if f.grouping {
                        groups.entry(k).or_default().push(v);
                    } else {
                        match obj.entry(k) {
                            std::collections::btree_map::Entry::Occupied(e) => {
                                return Err(self.err(
                                    "Duplicate object key",
                                    format!("Two different items produced the key {:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.", e.key()),
                                    f.key_expr.as_ref().and_then(|e| e.span()).or(range),
                                ));
                            }
                            std::collections::btree_map::Entry::Vacant(e) => {
                                e.insert(v);
                            }
                        }
                    }
                }
            }
        }
        if unknown {
            return Ok(mark(Value::Unknown, sensitive));
        }
        let out = if f.key_expr.is_none() {
            Value::Tuple(list)
        } else if f.grouping {
            Value::Object(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::Tuple(v)))
                    .collect(),
            )
        } else {
            Value::Object(obj.into())
        };
        Ok(mark(out, sensitive))
    }

    fn for_item(
        &mut self,
        f: &ForExpr,
        range: Option<Range<usize>>,
    ) -> Result<ForItem, Diagnostics> {
        if let Some(c) = &f.cond {
            let cv = self.expr(&c.expr)?;
            let (cv, _) = cv.unmark();
            match cv {
                Value::Unknown => return Ok(ForItem::Unknown),
                Value::Null => {
                    return Err(self.err(
                        "Invalid 'for' condition",
                        "The value of the 'if' clause must not be null.",
                        c.expr.span(),
                    ));
                }
                other => match convert(other, &Type::Bool) {
                    Ok(Value::Bool(true)) => {}
                    Ok(_) => return Ok(ForItem::Skip),
                    Err(e) => {
                        return Err(self.err(
                            "Invalid 'for' condition",
                            format!("The 'if' clause value is invalid: {e}."),
                            c.expr.span(),
                        ));
                    }
                },
            }
        }
        let Some(ke) = &f.key_expr else {
            return Ok(ForItem::Elem(self.expr(&f.value_expr)?));
        };
        let k = self.expr(ke)?;
        let (k, ks) = k.unmark();
        let k = match k {
            Value::Unknown => return Ok(ForItem::Unknown),
            Value::Null => {
                return Err(self.err(
                    "Invalid object key",
                    "Key expression in 'for' expression must not produce a null value.",
                    ke.span().or(range),
                ));
            }
            other => match convert(other, &Type::String) {
                Ok(Value::String(s)) => s,
                _ => {
                    return Err(self.err(
                        "Invalid object key",
                        "The key expression produced an invalid result: string required.",
                        ke.span().or(range),
                    ));
                }
            },
        };
        let v = self.expr(&f.value_expr)?;
        Ok(ForItem::Pair(k, ks, v))
    }

    // ---- templates ----

    fn template(&mut self, t: &Template) -> R {
        let mut out = String::new();
        let mut st = TemplateState::default();
        self.template_parts(&t.parts, &t.lits, &mut out, &mut st)?;
        if st.unknown {
            return Ok(mark(Value::Unknown, st.sensitive));
        }
        Ok(mark(Value::String(out), st.sensitive))
    }

    fn template_parts(
        &mut self,
        parts: &[Part],
        lits: &[String],
        out: &mut String,
        st: &mut TemplateState,
    ) -> Result<(), Diagnostics> {
        for p in parts {
            match p {
                Part::Lit(i) => out.push_str(lits.get(*i).map(String::as_str).unwrap_or("")),
                Part::Interp(e) => {
                    let v = self.expr(e)?;
                    let (v, s) = v.unmark();
                    st.sensitive |= s || v.contains_sensitive();
                    match v {
                        Value::Unknown => st.unknown = true,
                        Value::Null => {
                            return Err(self.err(
                                "Invalid template interpolation value",
                                "The expression result is null. Cannot include a null value in a string template.",
                                e.span(),
                            ));
                        }
                        other => match convert(other, &Type::String) {
                            Ok(Value::String(s)) => out.push_str(&s),
                            _ => {
                                return Err(self.err(
                                    "Invalid template interpolation value",
                                    "Cannot include the given value in a string template: string required.",
                                    e.span(),
                                ));
                            }
                        },
                    }
                }
                Part::If { cond, then, els } => {
                    let c = self.expr(cond)?;
                    let (c, s) = c.unmark();
                    st.sensitive |= s;
                    match c {
                        Value::Unknown => st.unknown = true,
                        Value::Null => {
                            return Err(self.err(
                                "Null condition",
                                "The condition value is null. Conditions must either be true or false.",
                                cond.span(),
                            ));
                        }
                        other => match convert(other, &Type::Bool) {
                            Ok(Value::Bool(b)) => {
                                self.template_parts(if b { then } else { els }, lits, out, st)?;
                            }
                            _ => {
                                return Err(self.err(
                                    "Incorrect condition type",
                                    "The condition expression must be of type bool.",
                                    cond.span(),
                                ));
                            }
                        },
                    }
                }
                Part::For {
                    key,
                    value,
                    coll,
                    body,
                } => {
                    let c = self.expr(coll)?;
                    let Some((items, s)) =
                        self.iterate(c, coll.span(), "a template 'for' directive")?
                    else {
                        st.unknown = true;
                        continue;
                    };
                    st.sensitive |= s;
                    for (k, v) in items {
                        let len = self.bound.len();
                        if let Some(kn) = key {
                            self.bound.push((kn.to_string(), k));
                        }
                        self.bound.push((value.to_string(), v));
                        let r = self.template_parts(body, lits, out, st);
                        self.bound.truncate(len);
                        r?;
                    }
                }
            }
        }
        Ok(())
    }

    // ---- function calls ----

    fn call(&mut self, c: &FuncCall, range: Option<Range<usize>>) -> R {
        let name = c.name.name.as_str();
        let ns: Vec<&str> = c.name.namespace.iter().map(|n| n.as_str()).collect();
        if !ns.is_empty() && ns != ["core"] {
            let full = format!("{}::{name}", ns.join("::"));
            if ns.first() == Some(&"provider") {
                return Err(self.err(
                    "Unknown provider function",
                    format!("Cannot call {full}: provider functions are not supported."),
                    range,
                ));
            }
            return Err(self.err(
                "Call to unknown function",
                format!("There is no function named {full:?}."),
                range,
            ));
        }
        match name {
            "try" => return self.call_try(c, range),
            "can" => return self.call_can(c, range),
            "templatefile" => return self.call_templatefile(c, range),
            "templatestring" => return self.call_templatestring(c, range),
            _ => {}
        }
        let Some(f) = functions::lookup(name) else {
            return Err(self.err(
                "Call to unknown function",
                format!("There is no function named {name:?}."),
                c.name.name.span(),
            ));
        };
        let mut args = Vec::with_capacity(c.args.len());
        let mut ranges = Vec::with_capacity(c.args.len());
        for a in c.args.iter() {
            args.push(self.expr(a)?);
            ranges.push(a.span());
        }
        if c.args.expand_final()
            && let Some(last) = args.pop()
        {
            let lr = ranges.pop().flatten();
            let (last, s) = last.unmark();
            match last {
                Value::Unknown => return Ok(mark(Value::Unknown, s)),
                Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                    for x in xs {
                        args.push(mark(x, s));
                        ranges.push(lr.clone());
                    }
                }
                _ => {
                    return Err(self.err(
                        "Invalid expanding argument value",
                        "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
                        lr,
                    ));
                }
            }
        }
        if args.len() < f.params.len() {
            let missing = f.params[args.len()];
            return Err(self.err(
                "Not enough function arguments",
                format!(
                    "Function {name:?} expects {} argument(s). Missing value for {missing:?}.",
                    f.params.len()
                ),
                range,
            ));
        }
        if f.variadic.is_none() && args.len() > f.params.len() {
            return Err(self.err(
                "Too many function arguments",
                format!(
                    "Function {name:?} expects only {} argument(s).",
                    f.params.len()
                ),
                ranges.get(f.params.len()).cloned().flatten().or(range),
            ));
        }
        let exprs: Vec<&Expression> = c.args.iter().collect();
        let fixed = exprs.len() - usize::from(c.args.expand_final());
        if let Some(v) = self.typed_args(name, &args, &exprs[..fixed], &ranges)? {
            return Ok(v);
        }
        let ctx = functions::Ctx { scope: self.scope };
        functions::call(f, args, &ctx).map_err(|e| match e {
            FnError::Arg(i, msg) => {
                let param = f.param_name(i);
                self.err(
                    "Invalid function argument",
                    format!("Invalid value for {param:?} parameter: {msg}."),
                    ranges.get(i).cloned().flatten().or(range.clone()),
                )
            }
            FnError::Call(msg) => self.err(
                "Error in function call",
                format!("Call to function {name:?} failed: {msg}."),
                range.clone(),
            ),
        })
    }

    /// What Terraform decides from the types of null and unknown arguments before calling a
    /// function (cairn's values carry no type when null or unknown, so the types come from
    /// the argument expressions, see [`infer`]): an argument whose type cannot convert to its
    /// parameter's is an error even when it is null or unknown, and `format` or `formatlist`
    /// given an untyped `null` to format yields an unknown result (a typed null is the
    /// function's business: it cannot be formatted). `Some` is the call's result.
    fn typed_args(
        &self,
        name: &str,
        args: &[Value],
        exprs: &[&Expression],
        ranges: &[Option<Range<usize>>],
    ) -> Result<Option<Value>, Diagnostics> {
        let formats = matches!(name, "format" | "formatlist");
        let mut untyped_null = false;
        for (i, v) in args.iter().enumerate() {
            let plain = v.strip_marks_ref();
            if !matches!(plain, Value::Null | Value::Unknown) {
                continue;
            }
            let ty = match exprs.get(i) {
                Some(e) => {
                    infer::static_type_bound(e, self.scope, &|n| self.lookup_bound(n).is_some())
                }
                None => Type::Any,
            };
            if ty == Type::Any {
                untyped_null |= formats && i > 0 && plain.is_null();
                continue;
            }
            let param = functions::lookup(name).map_or("args", |f| f.param_name(i));
            let problem = match name {
                "tostring" | "tonumber" | "tobool" | "tolist" | "toset" | "tomap" => {
                    let target = match name {
                        "tostring" => Type::String,
                        "tonumber" => Type::Number,
                        "tobool" => Type::Bool,
                        "tolist" => Type::list(Type::Any),
                        "toset" => Type::set(Type::Any),
                        _ => Type::map(Type::Any),
                    };
                    (!infer::convertible(&ty, &target)).then(|| {
                        format!(
                            "cannot convert {} to {}",
                            type_phrase(&ty),
                            type_phrase(&target)
                        )
                    })
                }
                _ if plain.is_unknown()
                    && ty.is_primitive()
                    && collection_param(name, i).is_some() =>
                {
                    let (call, msg) = collection_param(name, i).unwrap_or_default();
                    let msg = msg.replace("{}", &type_phrase(&ty));
                    if call {
                        return Err(self.err(
                            "Error in function call",
                            format!("Call to function {name:?} failed: {msg}."),
                            ranges.get(i).cloned().flatten(),
                        ));
                    }
                    Some(msg)
                }
                "length" if plain.is_unknown() => {
                    matches!(ty, Type::Bool | Type::Number).then(|| {
                        "argument must be a string, a collection type, or a structural type"
                            .to_string()
                    })
                }
                _ => infer::signature(name)
                    .as_ref()
                    .and_then(|s| s.param(i))
                    .filter(|p| !infer::convertible(&ty, p))
                    .map(|p| format!("{} required", type_phrase(&p))),
            };
            if let Some(msg) = problem {
                return Err(self.err(
                    "Invalid function argument",
                    format!("Invalid value for {param:?} parameter: {msg}."),
                    ranges.get(i).cloned().flatten(),
                ));
            }
        }
        // Values expanded from a final `...` argument have no expression: untyped.
        untyped_null |= formats
            && args
                .iter()
                .enumerate()
                .skip(exprs.len().max(1))
                .any(|(_, v)| v.is_null());
        if untyped_null && args.first().is_some_and(|f| !f.is_null()) {
            let sensitive = args.iter().any(Value::contains_sensitive);
            return Ok(Some(mark(Value::Unknown, sensitive)));
        }
        Ok(None)
    }

    /// `templatefile(path, vars)`: renders a template file with only `vars` in scope. It lives
    /// here rather than in the function table because it evaluates a template.
    fn call_templatefile(&mut self, c: &FuncCall, range: Option<Range<usize>>) -> R {
        if c.args.len() != 2 {
            return Err(self.err(
                if c.args.len() < 2 {
                    "Not enough function arguments"
                } else {
                    "Too many function arguments"
                },
                "Function \"templatefile\" expects 2 argument(s).",
                range,
            ));
        }
        if self.in_template {
            return Err(self.err(
                "Error in function call",
                "Call to function \"templatefile\" failed: cannot recursively call templatefile from inside another template function.",
                range,
            ));
        }
        let mut args = Vec::with_capacity(2);
        let mut ranges = Vec::with_capacity(2);
        for a in c.args.iter() {
            args.push(self.expr(a)?);
            ranges.push(a.span());
        }
        let sensitive = args.iter().any(Value::contains_sensitive);
        let args: Vec<Value> = args.into_iter().map(|a| a.unmark_deep().0).collect();
        if args[0].is_unknown() || args[1].is_unknown() {
            return Ok(mark(Value::Unknown, sensitive));
        }
        let ctx = functions::Ctx { scope: self.scope };
        let text = functions::read_text(&args[..1], &ctx).map_err(|e| {
            let msg = match e {
                FnError::Arg(_, m) | FnError::Call(m) => m,
            };
            self.err(
                "Invalid function argument",
                format!("Invalid value for \"path\" parameter: {msg}."),
                ranges[0].clone().or(range.clone()),
            )
        })?;
        let Some(vars) = args[1].as_map() else {
            return Err(self.err(
                "Invalid function argument",
                "Invalid value for \"vars\" parameter: a map or object is required.",
                ranges[1].clone().or(range),
            ));
        };
        self.render_template_text("templatefile", &text, vars, sensitive, range)
    }

    /// `templatestring(ref, vars)`: renders a template held in a value the first argument
    /// refers to directly (a literal template is rejected: a template expression does that).
    fn call_templatestring(&mut self, c: &FuncCall, range: Option<Range<usize>>) -> R {
        if c.args.len() != 2 {
            return Err(self.err(
                if c.args.len() < 2 {
                    "Not enough function arguments"
                } else {
                    "Too many function arguments"
                },
                "Function \"templatestring\" expects 2 argument(s).",
                range,
            ));
        }
        let first = c.args.iter().next().map(|a| (a.span(), a));
        if let Some((r0, a0)) = first {
            let msg = match a0 {
                Expression::String(_)
                | Expression::StringTemplate(_)
                | Expression::HeredocTemplate(_) => Some(
                    "templatestring is only for rendering templates retrieved dynamically from elsewhere, and so does not support providing a literal template; consider using a template string expression instead",
                ),
                Expression::Variable(_) | Expression::Traversal(_) => None,
                _ => Some(
                    "must be a direct reference to a single string from elsewhere, containing valid Terraform template syntax",
                ),
            };
            if let Some(msg) = msg {
                return Err(self.err(
                    "Invalid function argument",
                    format!("Invalid value for \"template\" parameter: invalid template expression: {msg}."),
                    r0.or(range),
                ));
            }
        }
        let mut args = Vec::with_capacity(2);
        let mut ranges = Vec::with_capacity(2);
        for a in c.args.iter() {
            args.push(self.expr(a)?);
            ranges.push(a.span());
        }
        let sensitive = args.iter().any(Value::contains_sensitive);
        let args: Vec<Value> = args.into_iter().map(|a| a.unmark_deep().0).collect();
        if !args[0].is_wholly_known() || !args[1].is_wholly_known() {
            return Ok(mark(Value::Unknown, sensitive));
        }
        let Some(text) = args[0].as_str().map(str::to_string) else {
            return Err(self.err(
                "Invalid function argument",
                "Invalid value for \"template\" parameter: string required.",
                ranges[0].clone().or(range),
            ));
        };
        let Some(vars) = args[1].as_map() else {
            return Err(self.err(
                "Invalid function argument",
                "Invalid value for \"vars\" parameter: a map or object is required.",
                ranges[1].clone().or(range),
            ));
        };
        self.render_template_text("templatestring", &text, vars, sensitive, range)
    }

    /// Renders template `text` with `vars` bound, for `templatefile` and `templatestring`.
    fn render_template_text(
        &mut self,
        function: &str,
        text: &str,
        vars: &ValueMap,
        sensitive: bool,
        range: Option<Range<usize>>,
    ) -> R {
        let tpl = hcl_edit::parser::parse_template(text)
            .map(|t| super::ast::from_hcl::template(&t))
            .map_err(|e| {
                self.err(
                "Error in function call",
                format!(
                    "Call to function \"{function}\" failed: the template has a syntax error: {e}."
                ),
                range.clone(),
            )
            })?;
        let mut inner = Evaluator {
            scope: self.scope,
            file: self.file,
            bound: vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            depth: self.depth,
            in_template: true,
            failed_local: false,
        };
        let r = match tpl.as_single_interpolation() {
            Some(i) => inner.expr(i),
            None => inner.template(&tpl),
        };
        // Spans inside the template point into another text: report at the call instead.
        let r = r.map_err(|d| {
            Diagnostics(
                d.0.into_iter()
                    .map(|mut x| {
                        x.labels.clear();
                        x.at_opt(self.span(range.clone()))
                    })
                    .collect(),
            )
        })?;
        Ok(mark(r, sensitive))
    }

    fn call_try(&mut self, c: &FuncCall, range: Option<Range<usize>>) -> R {
        if c.args.is_empty() {
            return Err(self.err(
                "Not enough function arguments",
                "Function \"try\" expects at least one argument.",
                range,
            ));
        }
        let mut problems = Vec::new();
        for a in c.args.iter() {
            let len = self.bound.len();
            let (r, failed_local) = self.catching(a);
            self.bound.truncate(len);
            match r {
                Ok(v) if !v.is_wholly_known() => return Ok(Value::Unknown),
                Ok(v) => return Ok(v),
                Err(d) if failed_local || is_static_reference_error(&d) => return Err(d),
                Err(d) => problems.extend(d.0),
            }
        }
        let list: Vec<String> = problems
            .iter()
            .map(|d| format!("- {}: {}", d.summary, d.detail))
            .collect();
        Err(self.err(
            "Error in function call",
            format!(
                "Call to function \"try\" failed: no expression succeeded:\n{}\n\nAt least one expression must produce a successful result.",
                list.join("\n")
            ),
            range,
        ))
    }

    /// Evaluates an argument of `try` or `can`, and whether a local it references failed.
    fn catching(&mut self, a: &Expression) -> (R, bool) {
        let outer = std::mem::replace(&mut self.failed_local, false);
        let r = self.expr(a);
        let failed = self.failed_local;
        self.failed_local = outer || failed;
        (r, failed)
    }

    fn call_can(&mut self, c: &FuncCall, range: Option<Range<usize>>) -> R {
        if c.args.len() != 1 {
            return Err(self.err(
                if c.args.is_empty() {
                    "Not enough function arguments"
                } else {
                    "Too many function arguments"
                },
                "Function \"can\" expects 1 argument(s).",
                range,
            ));
        }
        let Some(a) = c.args.iter().next() else {
            return Ok(Value::Bool(false));
        };
        let len = self.bound.len();
        let (r, failed_local) = self.catching(a);
        self.bound.truncate(len);
        Ok(match r {
            Ok(v) if !v.is_wholly_known() => Value::Unknown,
            Ok(_) => Value::Bool(true),
            Err(d) if failed_local || is_static_reference_error(&d) => return Err(d),
            Err(_) => Value::Bool(false),
        })
    }

    // ---- bodies ----

    pub(crate) fn body(
        &mut self,
        body: &super::ast::Body,
        schema: &Schema,
        at: Option<Range<usize>>,
    ) -> R {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(
                "Block too deeply nested",
                "This block is nested too deeply to evaluate.",
                at,
            ));
        }
        self.depth += 1;
        let r = self.body_inner(body, schema, at);
        self.depth -= 1;
        r
    }

    fn body_inner(
        &mut self,
        body: &super::ast::Body,
        schema: &Schema,
        at: Option<Range<usize>>,
    ) -> R {
        let mut diags = Diagnostics::new();
        let mut out = ValueMap::new();
        let mut blocks: BTreeMap<String, BlockItems> = BTreeMap::new();
        let mut given: Vec<&str> = Vec::new();
        for st in body.iter() {
            match st {
                Structure::Attribute(a) => {
                    let name = a.key.as_str();
                    let Some(attr) = schema.attributes.get(name) else {
                        let detail = if schema.blocks.contains_key(name) {
                            format!(
                                "An argument named {name:?} is not expected here. Did you mean to define a block of type {name:?}?"
                            )
                        } else {
                            let hint = super::did_you_mean(
                                name,
                                schema
                                    .attributes
                                    .iter()
                                    .filter(|(_, a)| a.required || a.optional)
                                    .map(|(k, _)| k.as_str()),
                            );
                            format!("An argument named {name:?} is not expected here.{hint}")
                        };
                        diags.push(
                            Diagnostic::error("Unsupported argument", detail)
                                .at_opt(self.span(a.key.span())),
                        );
                        continue;
                    };
                    given.push(name);
                    if attr.computed && !attr.optional && !attr.required {
                        diags.push(
                            Diagnostic::error(
                                "Value for unconfigurable attribute",
                                format!("Can't configure a value for {name:?}: its value will be decided automatically based on the result of applying this configuration."),
                            )
                            .at_opt(self.span(a.key.span())),
                        );
                        continue;
                    }
                    match self.expr(&a.value) {
                        Ok(v) => match convert(v, &attr.ty) {
                            Ok(v) => {
                                out.insert(name.to_string(), v);
                            }
                            Err(e) => diags.push(
                                Diagnostic::error(
                                    "Incorrect attribute value type",
                                    format!("Inappropriate value for attribute {name:?}: {e}."),
                                )
                                .at_opt(self.span(a.value.span())),
                            ),
                        },
                        Err(d) => diags.extend(d),
                    }
                }
                Structure::Block(b) => {
                    let ty = b.ident.as_str();
                    if ty == "dynamic" {
                        if let Err(d) = self.dynamic(b, schema, &mut blocks) {
                            diags.extend(d);
                        }
                        continue;
                    }
                    let Some(nb) = schema.blocks.get(ty) else {
                        let detail = if schema.attributes.contains_key(ty) {
                            format!(
                                "Blocks of type {ty:?} are not expected here. Did you mean to define argument {ty:?}? If so, use the equals sign to assign it a value."
                            )
                        } else {
                            format!("Blocks of type {ty:?} are not expected here.")
                        };
                        diags.push(
                            Diagnostic::error("Unsupported block type", detail)
                                .at_opt(self.span(b.ident.span())),
                        );
                        continue;
                    };
                    if let Some(l) = b.labels.first() {
                        diags.push(
                            Diagnostic::error(
                                format!("Extraneous label for {ty}"),
                                format!("No labels are expected for {ty} blocks."),
                            )
                            .at_opt(self.span(l.span())),
                        );
                        continue;
                    }
                    let entry = blocks.entry(ty.to_string()).or_default();
                    entry.spans.push(b.ident.span());
                    match self.body(&b.body, &nb.block, b.span()) {
                        Ok(v) => entry.items.push(v),
                        Err(d) => diags.extend(d),
                    }
                }
            }
        }
        for (name, attr) in &schema.attributes {
            if !out.contains_key(name) {
                if attr.required && !given.contains(&name.as_str()) {
                    diags.push(
                        Diagnostic::error(
                            "Missing required argument",
                            format!(
                                "The argument {name:?} is required, but no definition was found."
                            ),
                        )
                        .at_opt(self.span(at.clone())),
                    );
                }
                out.insert(name.clone(), Value::Null);
            }
        }
        for (name, nb) in &schema.blocks {
            let items = blocks.remove(name).unwrap_or_default();
            let v = if items.unknown {
                Value::Unknown
            } else {
                let n = items.items.len();
                let max = match nb.nesting {
                    BlockNesting::Single => Some(1),
                    _ => nb.max_items,
                };
                if let Some(max) = max
                    && n > max
                {
                    let where_ = items.spans.get(max).cloned().flatten().or(at.clone());
                    diags.push(
                        Diagnostic::error(
                            format!("Too many {name} blocks"),
                            format!("No more than {max} {name:?} block(s) are allowed."),
                        )
                        .at_opt(self.span(where_)),
                    );
                }
                if n < nb.min_items {
                    diags.push(
                        Diagnostic::error(
                            format!("Insufficient {name} blocks"),
                            format!("At least {} {name:?} block(s) are required.", nb.min_items),
                        )
                        .at_opt(self.span(at.clone())),
                    );
                }
                let mut xs = items.items;
                match nb.nesting {
                    BlockNesting::Single => xs.pop().unwrap_or(Value::Null),
                    BlockNesting::List => Value::List(xs),
                    // Blocks with unknown parts may turn out distinct: keep them all.
                    BlockNesting::Set if xs.iter().all(Value::is_wholly_known) => Value::set(xs),
                    BlockNesting::Set => Value::Set(xs),
                }
            };
            out.insert(name.clone(), v);
        }
        diags.into_result(Value::Object(out))
    }

    fn dynamic(
        &mut self,
        b: &Block,
        schema: &Schema,
        blocks: &mut BTreeMap<String, BlockItems>,
    ) -> Result<(), Diagnostics> {
        let Some(label) = b.labels.first() else {
            return Err(self.err(
                "Missing dynamic block type",
                "A dynamic block needs one label: the type of the blocks to generate.",
                b.ident.span(),
            ));
        };
        let name = label.as_str();
        let Some(nb) = schema.blocks.get(name) else {
            return Err(self.err(
                "Unsupported block type",
                format!("Blocks of type {name:?} are not expected here."),
                label.span(),
            ));
        };
        let mut for_each = None;
        let mut iterator = name.to_string();
        let mut content = None;
        for st in b.body.iter() {
            match st {
                Structure::Attribute(a) => match a.key.as_str() {
                    "for_each" => for_each = Some(&a.value),
                    "iterator" => match &a.value {
                        Expression::Variable(v) => iterator = v.as_str().to_string(),
                        other => {
                            return Err(self.err(
                                "Invalid dynamic iterator name",
                                "The iterator must be a single identifier.",
                                other.span(),
                            ));
                        }
                    },
                    // Labels of generated blocks: accepted, but nested blocks here take none.
                    "labels" => {}
                    other => {
                        return Err(self.err(
                            "Unsupported argument",
                            format!("An argument named {other:?} is not expected here."),
                            a.key.span(),
                        ));
                    }
                },
                Structure::Block(c) if c.ident.as_str() == "content" => content = Some(c),
                Structure::Block(c) => {
                    return Err(self.err(
                        "Unsupported block type",
                        format!(
                            "Blocks of type {:?} are not expected here.",
                            c.ident.as_str()
                        ),
                        c.ident.span(),
                    ));
                }
            }
        }
        let Some(fe) = for_each else {
            return Err(self.err(
                "Missing required argument",
                "The argument \"for_each\" is required, but no definition was found.",
                b.span(),
            ));
        };
        let Some(content) = content else {
            return Err(self.err(
                "Missing content block",
                "A dynamic block must have a nested block of type \"content\" to describe the body of each generated block.",
                b.span(),
            ));
        };
        let coll = self.expr(fe)?;
        let entry = blocks.entry(name.to_string()).or_default();
        entry.spans.push(b.span());
        if coll.is_null() {
            return Err(self.err(
                "Invalid dynamic for_each value",
                "Cannot use a null value in for_each.",
                fe.span(),
            ));
        }
        let Some((items, s)) = self.iterate(coll, fe.span(), "a dynamic block's for_each")? else {
            if let Some(e) = blocks.get_mut(name) {
                e.unknown = true;
            }
            return Ok(());
        };
        let mut diags = Diagnostics::new();
        let mut produced = Vec::new();
        for (k, v) in items {
            let len = self.bound.len();
            self.bound
                .push((iterator.clone(), Value::object([("key", k), ("value", v)])));
            let r = self.body(&content.body, &nb.block, content.span());
            self.bound.truncate(len);
            match r {
                Ok(v) => produced.push(mark(v, s)),
                Err(d) => diags.extend(d),
            }
        }
        if let Some(e) = blocks.get_mut(name) {
            for _ in 1..produced.len() {
                e.spans.push(b.span());
            }
            e.items.extend(produced);
        }
        diags.into_result(())
    }
}

/// The (key, value) pairs of a collection being iterated, and whether it was sensitive.
type Iteration = (Vec<(Value, Value)>, bool);

#[derive(Default)]
struct BlockItems {
    items: Vec<Value>,
    spans: Vec<Option<Range<usize>>>,
    unknown: bool,
}

#[derive(Default)]
struct TemplateState {
    unknown: bool,
    sensitive: bool,
}

enum ForItem {
    Skip,
    Unknown,
    Elem(Value),
    Pair(String, bool, Value),
}

/// A number literal exactly as written (Terraform parses the text at 512 bits).
pub(crate) fn literal_number(n: &Decorated<Box<str>>) -> Option<Number> {
    Number::parse(n.value())
}

/// Terraform's `==`: values of different types are unequal; collections compare element-wise.
/// For a function whose parameter at `i` takes any type but requires a collection or structural
/// value: whether Terraform reports a primitive there as a failed call (rather than an invalid
/// argument), and its message (`{}` stands for the type given).
fn collection_param(name: &str, i: usize) -> Option<(bool, &'static str)> {
    Some(match (name, i) {
        ("concat", _) => (false, "all arguments must be lists or tuples; got {}"),
        ("element", 0) => (true, "cannot read elements from {}"),
        ("keys", 0) => (false, "must have map or object type"),
        ("values", 0) => (true, "values() requires a map as the first argument"),
        ("lookup", 0) => (
            false,
            "the first argument must be a map or an object, not {}",
        ),
        ("merge", _) => (true, "arguments must be maps or objects, got {}"),
        ("one", 0) => (false, "must be a list, set, or tuple value"),
        ("reverse", 0) => (false, "can only reverse list or tuple values, not {}"),
        ("setproduct", _) => (false, "a set or a list is required"),
        ("slice", 0) => (false, "must be a list or tuple value"),
        _ => return None,
    })
}

pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().all(|a| y.iter().any(|b| values_equal(a, b)))
        }
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| values_equal(a, b)))
        }
        (Value::Sensitive(x), y) | (y, Value::Sensitive(x)) => values_equal(x, y),
        _ => false,
    }
}

/// Whether `d` reports a reference to something never declared: Terraform finds those while
/// validating, before `try` and `can` run, so they do not catch them.
fn is_static_reference_error(d: &Diagnostics) -> bool {
    d.0.iter()
        .any(|x| x.summary.starts_with("Reference to undeclared"))
}
