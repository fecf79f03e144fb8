//! Conversion of hcl-edit's syntax tree into the compact one ([`super`]): spans kept, decor
//! (whitespace and comments) dropped, templates lowered. Must not evaluate anything.

use hcl_edit::Span as _;
use hcl_edit::expr as h;
use hcl_edit::structure as hs;

use super::*;
use crate::lang::template;

/// Converts an expression.
pub fn expr(e: &h::Expression) -> Expression {
    Conv { off: 0 }.expr(e)
}

/// Converts a block body.
pub fn body(b: &hs::Body) -> Body {
    Conv { off: 0 }.body(b)
}

/// A conversion of a tree parsed from a piece of a file that starts at byte `off` of the file:
/// every span is moved by `off`.
#[derive(Clone, Copy)]
pub struct Conv {
    pub off: usize,
}

impl Conv {
    fn sp(self, r: Option<std::ops::Range<usize>>) -> Sp {
        Sp::of(r.map(|r| r.start + self.off..r.end + self.off))
    }

    fn ident(self, i: &hcl_edit::Decorated<hcl_edit::Ident>) -> Decorated<Ident> {
        Decorated::new(Ident::new(i.as_str()), self.sp(i.span()))
    }

    /// Converts an expression.
    pub fn expr(self, e: &h::Expression) -> Expression {
        let sp = self.sp(e.span());
        match e {
            h::Expression::Null(_) => Expression::Null(Decorated::new((), sp)),
            h::Expression::Bool(b) => Expression::Bool(Decorated::new(*b.value(), sp)),
            h::Expression::Number(n) => {
                Expression::Number(Box::new(Decorated::new(number_text(n).into(), sp)))
            }
            h::Expression::String(s) => {
                Expression::String(Box::new(Decorated::new(s.value().clone(), sp)))
            }
            h::Expression::Array(a) => Expression::Array(Box::new(Array {
                items: a.iter().map(|e| self.expr(e)).collect(),
                span: sp,
            })),
            h::Expression::Object(o) => Expression::Object(Box::new(Object {
                items: o
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            h::ObjectKey::Ident(i) => ObjectKey::Ident(self.ident(i)),
                            h::ObjectKey::Expression(e) => ObjectKey::Expression(self.expr(e)),
                        };
                        (key, ObjectValue(self.expr(v.expr())))
                    })
                    .collect(),
                span: sp,
            })),
            h::Expression::StringTemplate(t) => {
                Expression::StringTemplate(Box::new(template::lower(t, sp, self)))
            }
            h::Expression::HeredocTemplate(t) => Expression::HeredocTemplate(Box::new(
                template::lower_heredoc(&t.template, t.indent(), sp, self),
            )),
            h::Expression::Parenthesis(p) => {
                Expression::Parenthesis(Box::new(Decorated::new(self.expr(p.inner()), sp)))
            }
            h::Expression::Variable(v) => {
                Expression::Variable(Box::new(Decorated::new(Ident::new(v.as_str()), sp)))
            }
            h::Expression::Conditional(c) => Expression::Conditional(Box::new(Conditional {
                cond_expr: self.expr(&c.cond_expr),
                true_expr: self.expr(&c.true_expr),
                false_expr: self.expr(&c.false_expr),
                span: sp,
            })),
            h::Expression::FuncCall(f) => Expression::FuncCall(Box::new(FuncCall {
                name: FuncName {
                    namespace: f.name.namespace.iter().map(|i| self.ident(i)).collect(),
                    name: self.ident(&f.name.name),
                },
                args: FuncArgs {
                    args: f.args.iter().map(|e| self.expr(e)).collect(),
                    expand_final: f.args.expand_final(),
                },
                span: sp,
            })),
            h::Expression::Traversal(t) => Expression::Traversal(Box::new(Traversal {
                expr: self.expr(&t.expr),
                operators: t
                    .operators
                    .iter()
                    .map(|o| {
                        let op = match o.value() {
                            h::TraversalOperator::AttrSplat(_) => TraversalOperator::AttrSplat,
                            h::TraversalOperator::FullSplat(_) => TraversalOperator::FullSplat,
                            h::TraversalOperator::GetAttr(i) => {
                                TraversalOperator::GetAttr(Ident::new(i.as_str()))
                            }
                            h::TraversalOperator::Index(e) => {
                                TraversalOperator::Index(self.expr(e))
                            }
                            h::TraversalOperator::LegacyIndex(n) => {
                                TraversalOperator::LegacyIndex(*n.value())
                            }
                        };
                        Decorated::new(op, self.sp(o.span()))
                    })
                    .collect(),
                span: sp,
            })),
            h::Expression::UnaryOp(u) => Expression::UnaryOp(Box::new(UnaryOp {
                operator: Decorated::new(*u.operator.value(), self.sp(u.operator.span())),
                expr: self.expr(&u.expr),
                span: sp,
            })),
            h::Expression::BinaryOp(b) => Expression::BinaryOp(Box::new(BinaryOp {
                lhs_expr: self.expr(&b.lhs_expr),
                operator: Decorated::new(*b.operator.value(), self.sp(b.operator.span())),
                rhs_expr: self.expr(&b.rhs_expr),
                span: sp,
            })),
            h::Expression::ForExpr(f) => Expression::ForExpr(Box::new(ForExpr {
                intro: ForIntro {
                    key_var: f.intro.key_var.as_ref().map(|i| self.ident(i)),
                    value_var: self.ident(&f.intro.value_var),
                    collection_expr: self.expr(&f.intro.collection_expr),
                },
                key_expr: f.key_expr.as_ref().map(|e| self.expr(e)),
                value_expr: self.expr(&f.value_expr),
                grouping: f.grouping,
                cond: f.cond.as_ref().map(|c| ForCond {
                    expr: self.expr(&c.expr),
                }),
                span: sp,
            })),
        }
    }

    /// Converts a block body.
    pub fn body(self, b: &hs::Body) -> Body {
        Body {
            structures: b.iter().map(|s| self.structure(s)).collect(),
            span: self.sp(b.span()),
        }
    }

    fn structure(self, s: &hs::Structure) -> Structure {
        match s {
            hs::Structure::Attribute(a) => Structure::Attribute(Attribute {
                key: self.ident(&a.key),
                value: self.expr(&a.value),
                span: self.sp(a.span()),
            }),
            hs::Structure::Block(b) => Structure::Block(self.block(b)),
        }
    }

    /// Converts a block.
    pub fn block(self, b: &hs::Block) -> Block {
        Block {
            ident: self.ident(&b.ident),
            labels: b
                .labels
                .iter()
                .map(|l| match l {
                    hs::BlockLabel::String(s) => {
                        BlockLabel::String(Decorated::new(s.value().clone(), self.sp(s.span())))
                    }
                    hs::BlockLabel::Ident(i) => BlockLabel::Ident(self.ident(i)),
                })
                .collect(),
            body: self.body(&b.body),
            span: self.sp(b.span()),
        }
    }
}

/// Converts a template read from a file (`templatefile`) or a string (`templatestring`): its
/// spans point into that text, not into a configuration file.
pub fn template(t: &hcl_edit::template::Template) -> Template {
    template::lower(t, Sp::NONE, Conv { off: 0 })
}

/// A number literal's text as written (Terraform parses it at 512 bits), or hcl-edit's parsed
/// value when the text does not parse as a number.
pub fn number_text(n: &hcl_edit::Formatted<hcl_edit::Number>) -> String {
    let written = n
        .as_repr()
        .map(|r| r.chars().filter(|c| !c.is_whitespace()).collect::<String>())
        .filter(|t| {
            // Plain digits always parse; anything else is checked.
            (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                || cairn_provider::Number::parse(t).is_some()
        });
    written.unwrap_or_else(|| {
        let v = n.value();
        match v.as_i64() {
            Some(i) => i.to_string(),
            None => v.as_f64().map(|f| f.to_string()).unwrap_or_default(),
        }
    })
}
