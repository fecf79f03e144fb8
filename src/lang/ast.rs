//! The compact syntax tree that configurations keep after loading: expressions and block bodies
//! as the evaluator, the reference finder and type inference read them. hcl-edit's tree (which
//! keeps every byte of whitespace and comments for editing, and is about 47 times the size of
//! its source) is parsed, converted here ([`from_hcl`]) and dropped; this tree keeps only what
//! evaluation needs: values, names, structure and byte spans (as `u32` pairs).
//!
//! Templates are stored lowered (strip markers and heredoc indentation applied, see
//! `lang::template`). The names of the types follow hcl-edit's so the code reading them reads
//! the same. This module must not evaluate anything.

pub mod from_hcl;
pub mod parse;

use std::ops::{Deref, Range};

pub use hcl_edit::expr::{BinaryOperator, UnaryOperator};

/// A byte span in a source file, compactly; `NONE` when a node has no source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sp {
    start: u32,
    end: u32,
}

impl Default for Sp {
    fn default() -> Sp {
        Sp::NONE
    }
}

impl Sp {
    pub const NONE: Sp = Sp {
        start: u32::MAX,
        end: u32::MAX,
    };

    pub fn of(r: Option<Range<usize>>) -> Sp {
        match r {
            Some(r) => match (u32::try_from(r.start), u32::try_from(r.end)) {
                (Ok(start), Ok(end)) if start != u32::MAX => Sp { start, end },
                _ => Sp::NONE,
            },
            None => Sp::NONE,
        }
    }

    pub fn range(self) -> Option<Range<usize>> {
        (self.start != u32::MAX).then_some(self.start as usize..self.end as usize)
    }
}

/// Nodes that know where they were written.
pub trait Span {
    fn span(&self) -> Option<Range<usize>>;
}

/// A value and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Decorated<T> {
    value: T,
    span: Sp,
}

impl<T> Decorated<T> {
    pub fn new(value: T, span: Sp) -> Decorated<T> {
        Decorated { value, span }
    }
    pub fn value(&self) -> &T {
        &self.value
    }
    pub fn into_value(self) -> T {
        self.value
    }
}

impl Decorated<Expression> {
    /// The expression inside a parenthesis.
    pub fn inner(&self) -> &Expression {
        &self.value
    }
}

impl<T> Deref for Decorated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Span for Decorated<T> {
    fn span(&self) -> Option<Range<usize>> {
        self.span.range()
    }
}

/// An identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident(Box<str>);

impl Ident {
    pub fn new(s: &str) -> Ident {
        Ident(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Ident {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Ident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An expression. Every payload but the smallest is boxed so the enum stays two words.
#[derive(Clone, Debug, PartialEq)]
pub enum Expression {
    Null(Decorated<()>),
    Bool(Decorated<bool>),
    /// A number literal as written (parsed exactly when evaluated).
    Number(Box<Decorated<Box<str>>>),
    String(Box<Decorated<String>>),
    Array(Box<Array>),
    Object(Box<Object>),
    /// A quoted template (`"a${b}"`).
    StringTemplate(Box<Template>),
    /// A heredoc template (`<<EOT`).
    HeredocTemplate(Box<Template>),
    Parenthesis(Box<Decorated<Expression>>),
    Variable(Box<Decorated<Ident>>),
    Conditional(Box<Conditional>),
    FuncCall(Box<FuncCall>),
    Traversal(Box<Traversal>),
    UnaryOp(Box<UnaryOp>),
    BinaryOp(Box<BinaryOp>),
    ForExpr(Box<ForExpr>),
}

impl Span for Expression {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Expression::Null(d) => d.span(),
            Expression::Bool(d) => d.span(),
            Expression::Number(d) => d.span(),
            Expression::String(d) => d.span(),
            Expression::Array(a) => a.span.range(),
            Expression::Object(o) => o.span.range(),
            Expression::StringTemplate(t) | Expression::HeredocTemplate(t) => t.span.range(),
            Expression::Parenthesis(p) => p.span(),
            Expression::Variable(v) => v.span(),
            Expression::Conditional(c) => c.span.range(),
            Expression::FuncCall(f) => f.span.range(),
            Expression::Traversal(t) => t.span.range(),
            Expression::UnaryOp(u) => u.span.range(),
            Expression::BinaryOp(b) => b.span.range(),
            Expression::ForExpr(f) => f.span.range(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    pub items: Vec<Expression>,
    pub span: Sp,
}

impl Array {
    pub fn iter(&self) -> std::slice::Iter<'_, Expression> {
        self.items.iter()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub items: Vec<(ObjectKey, ObjectValue)>,
    pub span: Sp,
}

impl Object {
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&ObjectKey, &ObjectValue)> {
        self.items.iter().map(|(k, v)| (k, v))
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ObjectKey {
    Ident(Decorated<Ident>),
    Expression(Expression),
}

impl Span for ObjectKey {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            ObjectKey::Ident(i) => i.span(),
            ObjectKey::Expression(e) => e.span(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectValue(pub Expression);

impl ObjectValue {
    pub fn expr(&self) -> &Expression {
        &self.0
    }
}

/// A lowered template: literals (indices into `lits`), interpolations and directives.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
    pub lits: Vec<String>,
    pub span: Sp,
}

impl Template {
    /// The expression of a template that is exactly one interpolation (`"${x}"`), whose value is
    /// the expression's own, not converted to a string.
    pub fn as_single_interpolation(&self) -> Option<&Expression> {
        match self.parts.as_slice() {
            [Part::Interp(e)] if self.lits.is_empty() => Some(e),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Lit(usize),
    Interp(Expression),
    If {
        cond: Expression,
        then: Vec<Part>,
        els: Vec<Part>,
    },
    For {
        key: Option<Ident>,
        value: Ident,
        coll: Expression,
        body: Vec<Part>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Conditional {
    pub cond_expr: Expression,
    pub true_expr: Expression,
    pub false_expr: Expression,
    pub span: Sp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FuncName {
    pub namespace: Vec<Decorated<Ident>>,
    pub name: Decorated<Ident>,
}

impl FuncName {
    pub fn is_namespaced(&self) -> bool {
        !self.namespace.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FuncArgs {
    pub args: Vec<Expression>,
    pub expand_final: bool,
}

impl FuncArgs {
    pub fn iter(&self) -> std::slice::Iter<'_, Expression> {
        self.args.iter()
    }
    pub fn len(&self) -> usize {
        self.args.len()
    }
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }
    pub fn expand_final(&self) -> bool {
        self.expand_final
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FuncCall {
    pub name: FuncName,
    pub args: FuncArgs,
    pub span: Sp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TraversalOperator {
    AttrSplat,
    FullSplat,
    GetAttr(Ident),
    Index(Expression),
    LegacyIndex(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Traversal {
    pub expr: Expression,
    pub operators: Vec<Decorated<TraversalOperator>>,
    pub span: Sp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UnaryOp {
    pub operator: Decorated<UnaryOperator>,
    pub expr: Expression,
    pub span: Sp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BinaryOp {
    pub lhs_expr: Expression,
    pub operator: Decorated<BinaryOperator>,
    pub rhs_expr: Expression,
    pub span: Sp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForIntro {
    pub key_var: Option<Decorated<Ident>>,
    pub value_var: Decorated<Ident>,
    pub collection_expr: Expression,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForCond {
    pub expr: Expression,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForExpr {
    pub intro: ForIntro,
    pub key_expr: Option<Expression>,
    pub value_expr: Expression,
    pub grouping: bool,
    pub cond: Option<ForCond>,
    pub span: Sp,
}

/// A block body: attributes and nested blocks in the order written.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Body {
    pub structures: Vec<Structure>,
    pub span: Sp,
}

impl Span for Body {
    fn span(&self) -> Option<Range<usize>> {
        self.span.range()
    }
}

impl Body {
    pub fn iter(&self) -> std::slice::Iter<'_, Structure> {
        self.structures.iter()
    }
    pub fn is_empty(&self) -> bool {
        self.structures.is_empty()
    }
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.structures.iter().filter_map(|s| match s {
            Structure::Attribute(a) => Some(a),
            Structure::Block(_) => None,
        })
    }
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.structures.iter().filter_map(|s| match s {
            Structure::Block(b) => Some(b),
            Structure::Attribute(_) => None,
        })
    }
    pub fn get_attribute(&self, key: &str) -> Option<&Attribute> {
        self.attributes().find(|a| a.key.as_str() == key)
    }
    /// Takes out the first attribute named `key`.
    pub fn remove_attribute(&mut self, key: &str) -> Option<Attribute> {
        let i = self
            .structures
            .iter()
            .position(|s| matches!(s, Structure::Attribute(a) if a.key.as_str() == key))?;
        match self.structures.remove(i) {
            Structure::Attribute(a) => Some(a),
            Structure::Block(_) => None,
        }
    }
    /// Takes out every block of type `ident`, in order.
    pub fn remove_blocks(&mut self, ident: &str) -> Vec<Block> {
        let mut out = Vec::new();
        let mut kept = Vec::with_capacity(self.structures.len());
        for s in std::mem::take(&mut self.structures) {
            match s {
                Structure::Block(b) if b.ident.as_str() == ident => out.push(b),
                other => kept.push(other),
            }
        }
        self.structures = kept;
        out
    }
    /// The attributes, by value (blocks are dropped).
    pub fn into_attributes(self) -> impl Iterator<Item = Attribute> {
        self.structures.into_iter().filter_map(|s| match s {
            Structure::Attribute(a) => Some(a),
            Structure::Block(_) => None,
        })
    }
    pub fn len(&self) -> usize {
        self.structures.len()
    }
}

impl IntoIterator for Body {
    type Item = Structure;
    type IntoIter = std::vec::IntoIter<Structure>;
    fn into_iter(self) -> Self::IntoIter {
        self.structures.into_iter()
    }
}

impl Structure {
    pub fn span(&self) -> Option<Range<usize>> {
        match self {
            Structure::Attribute(a) => a.span.range(),
            Structure::Block(b) => b.span.range(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Structure {
    Attribute(Attribute),
    Block(Block),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub key: Decorated<Ident>,
    pub value: Expression,
    pub span: Sp,
}

impl Span for Attribute {
    fn span(&self) -> Option<Range<usize>> {
        self.span.range()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum BlockLabel {
    String(Decorated<String>),
    Ident(Decorated<Ident>),
}

impl BlockLabel {
    pub fn as_str(&self) -> &str {
        match self {
            BlockLabel::String(s) => s.as_str(),
            BlockLabel::Ident(i) => i.as_str(),
        }
    }
}

impl Span for BlockLabel {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            BlockLabel::String(s) => s.span(),
            BlockLabel::Ident(i) => i.span(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub ident: Decorated<Ident>,
    pub labels: Vec<BlockLabel>,
    pub body: Body,
    pub span: Sp,
}

impl Span for Block {
    fn span(&self) -> Option<Range<usize>> {
        self.span.range()
    }
}

macro_rules! spanned {
    ($($t:ty),*) => {
        $(impl Span for $t {
            fn span(&self) -> Option<Range<usize>> {
                self.span.range()
            }
        })*
    };
}

spanned!(
    Array,
    Object,
    Template,
    Conditional,
    FuncCall,
    Traversal,
    UnaryOp,
    BinaryOp,
    ForExpr
);
