//! A fast parser of the common subset of HCL straight into the compact tree ([`super`]). It gives
//! exactly what hcl-edit's parser followed by [`super::from_hcl::Conv`] gives, spans included,
//! and `None` for anything it leaves to hcl-edit (template directives, empty heredocs, namespaced
//! functions, numbers with exponents, non-ASCII identifiers, carriage returns, repeated object
//! keys, ...) or that is not valid; the caller then parses with hcl-edit.
//!
//! It follows hcl-edit's grammar (version 0.10) choice for choice: where newlines are allowed
//! inside an expression (hcl-edit's `allow_newlines` state, which an array or a function call
//! turns on for the rest of the expression it appears in), where it backtracks, which spans each
//! node gets. Owns only parsing; must not evaluate anything nor know about the loader.

use super::*;
use crate::lang::template::{HeredocElement, lower_heredoc_elements};

/// hcl-edit refuses more than 64 nested levels; we leave deep nesting to it well before that.
const MAX_DEPTH: u32 = 48;
/// hcl-edit refuses more than 128 chained binary operators on a path; we count every operator
/// of an attribute's expression and leave long chains to it.
const MAX_OPS: u32 = 100;

/// The compact tree of `text` (a piece of a file starting at byte `off`), exactly as
/// `Conv { off }.body(&hcl_edit::parser::parse_body(text)?)` gives it; `None` when the text uses
/// something this parser leaves to hcl-edit, or is not valid (the caller then parses with hcl-edit,
/// which also gives the error message).
pub fn parse_body(text: &str, off: usize) -> Option<Body> {
    let end = off.checked_add(text.len())?;
    if u32::try_from(end).is_err() || end == u32::MAX as usize || text.as_bytes().contains(&b'\r') {
        return None;
    }
    let mut p = P {
        s: text.as_bytes(),
        t: text,
        pos: 0,
        off,
        depth: 0,
        ops: 0,
    };
    let body = p.body()?;
    p.ws()?;
    (p.pos == p.s.len()).then_some(body)
}

fn is_start(b: u8) -> bool {
    CLASS[b as usize] == START
}

fn is_cont(b: u8) -> bool {
    CLASS[b as usize] >= CONT
}

/// Byte classes: other ASCII, identifier continuation (digits and `-`), identifier start.
const CONT: u8 = 1;
const START: u8 = 2;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() || c == b'_' {
            START
        } else if c.is_ascii_digit() || c == b'-' {
            CONT
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The attribute keys of one body, to refuse a repeated one as hcl-edit does (the first few
/// kept inline, without allocating).
#[derive(Default)]
struct Keys<'a> {
    small: [&'a str; 16],
    len: usize,
    large: Option<std::collections::HashSet<&'a str>>,
}

impl<'a> Keys<'a> {
    /// False when `k` was already there.
    fn insert(&mut self, k: &'a str) -> bool {
        if let Some(set) = &mut self.large {
            return set.insert(k);
        }
        if self.small[..self.len].contains(&k) {
            return false;
        }
        if self.len < self.small.len() {
            self.small[self.len] = k;
            self.len += 1;
        } else {
            let mut set: std::collections::HashSet<&str> = self.small.iter().copied().collect();
            set.insert(k);
            self.large = Some(set);
        }
        true
    }
}

/// A template element before lowering.
enum El {
    Lit(String),
    Interp {
        strip_start: bool,
        strip_end: bool,
        expr: Expression,
    },
}

/// A quoted string: plain, or a template with interpolations.
enum Quoted {
    Plain(String),
    Template(Vec<El>),
}

struct P<'a> {
    s: &'a [u8],
    t: &'a str,
    pos: usize,
    off: usize,
    depth: u32,
    /// Binary operators in the current attribute's expression.
    ops: u32,
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at(&self, k: usize) -> Option<u8> {
        self.s.get(self.pos + k).copied()
    }

    /// Whether the `$` or `%` at the position starts `${`/`%{` or its escape `$${`/`%%{`: where
    /// a run of literal template text ends.
    fn template_mark(&self, b: u8) -> bool {
        let next = self.at(1);
        next == Some(b'{') || (next == Some(b) && self.at(2) == Some(b'{'))
    }

    fn starts(&self, lit: &[u8]) -> bool {
        self.s[self.pos..].starts_with(lit)
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    fn span(&self, start: usize, end: usize) -> Sp {
        Sp::of(Some(start + self.off..end + self.off))
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // --- Trivia -------------------------------------------------------------------------------

    /// An inline comment at `pos` (which starts with `/*`); `None` when unterminated.
    fn inline_comment(&mut self) -> Option<()> {
        let rest = &self.s[self.pos + 2..];
        let i = rest.windows(2).position(|w| w == b"*/")?;
        self.pos += 2 + i + 2;
        Some(())
    }

    /// The rest of a line comment, up to (not including) the line end.
    fn line_rest(&mut self) {
        match self.s[self.pos..].iter().position(|&b| b == b'\n') {
            Some(i) => self.pos += i,
            None => self.pos = self.s.len(),
        }
    }

    fn at_line_comment(&self) -> bool {
        self.peek() == Some(b'#') || self.starts(b"//")
    }

    /// hcl-edit's `sp`: spaces, tabs and inline comments.
    fn sp(&mut self) -> Option<()> {
        loop {
            while matches!(self.peek(), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
            if self.starts(b"/*") {
                self.inline_comment()?;
            } else {
                return Some(());
            }
        }
    }

    /// hcl-edit's `ws`: whitespace, newlines and comments of every kind.
    fn ws(&mut self) -> Option<()> {
        loop {
            while let Some(b' ' | b'\t' | b'\n') = self.s.get(self.pos) {
                self.pos += 1;
            }
            match self.s.get(self.pos) {
                Some(b'#') => self.line_rest(),
                Some(b'/') if self.at(1) == Some(b'/') => self.line_rest(),
                Some(b'/') if self.at(1) == Some(b'*') => self.inline_comment()?,
                _ => return Some(()),
            }
        }
    }

    fn ws_or_sp(&mut self, nl: bool) -> Option<()> {
        if nl { self.ws() } else { self.sp() }
    }

    /// An identifier at `pos`, whose first byte is an ASCII identifier start.
    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let len = 1 + self.s[start + 1..]
            .iter()
            .position(|&b| !is_cont(b))
            .unwrap_or(self.s.len() - start - 1);
        self.pos = start + len;
        if self.peek().is_some_and(|b| b >= 0x80) {
            return None;
        }
        self.t.get(start..self.pos)
    }

    fn decorated_ident(&mut self) -> Option<Decorated<Ident>> {
        let start = self.pos;
        if !is_start(self.peek()?) {
            return None;
        }
        let name = self.ident()?;
        Some(Decorated::new(Ident::new(name), self.span(start, self.pos)))
    }

    // --- Structure ----------------------------------------------------------------------------

    /// A body of structures, one per line (hcl-edit's `body`).
    fn body(&mut self) -> Option<Body> {
        let start = self.pos;
        let mut end = start;
        let mut structures = Vec::new();
        let mut keys = Keys::default();
        loop {
            let cp = self.pos;
            self.ws()?;
            match self.peek() {
                Some(b) if is_start(b) => {}
                Some(b) if b >= 0x80 => return None,
                _ => {
                    self.pos = cp;
                    break;
                }
            }
            structures.push(self.structure(&mut keys)?);
            self.sp()?;
            if self.at_line_comment() {
                self.line_rest();
            }
            match self.peek() {
                Some(b'\n') => self.pos += 1,
                None => {}
                _ => return None,
            }
            end = self.pos;
        }
        Some(Body {
            structures,
            span: self.span(start, end),
        })
    }

    fn structure(&mut self, keys: &mut Keys<'a>) -> Option<Structure> {
        let start = self.pos;
        let name = self.ident()?;
        let ident = Decorated::new(Ident::new(name), self.span(start, self.pos));
        self.sp()?;
        let mut labels = Vec::new();
        match self.peek()? {
            b'=' => {
                if !keys.insert(name) {
                    return None;
                }
                let value = self.attr_expr()?;
                return Some(Structure::Attribute(Attribute {
                    key: ident,
                    value,
                    span: self.span(start, self.pos),
                }));
            }
            b'{' => {}
            b'"' => self.labels(&mut labels)?,
            b if is_start(b) => self.labels(&mut labels)?,
            _ => return None,
        }
        if self.peek() != Some(b'{') {
            return None;
        }
        let body = self.block_body()?;
        Some(Structure::Block(Block {
            ident,
            labels,
            body,
            span: self.span(start, self.pos),
        }))
    }

    fn labels(&mut self, labels: &mut Vec<BlockLabel>) -> Option<()> {
        loop {
            let start = self.pos;
            match self.peek() {
                Some(b'"') => match self.quoted()? {
                    Quoted::Plain(s) => labels.push(BlockLabel::String(Decorated::new(
                        s,
                        self.span(start, self.pos),
                    ))),
                    Quoted::Template(_) => return None,
                },
                Some(b) if is_start(b) => {
                    let name = self.ident()?;
                    labels.push(BlockLabel::Ident(Decorated::new(
                        Ident::new(name),
                        self.span(start, self.pos),
                    )));
                }
                Some(b) if b >= 0x80 => return None,
                _ => return Some(()),
            }
            self.sp()?;
        }
    }

    /// `= expr` of an attribute (at `=`).
    fn attr_expr(&mut self) -> Option<Expression> {
        self.pos += 1;
        self.sp()?;
        self.ops = 0;
        let mut nl = false;
        self.expr_inner(&mut nl)
    }

    /// A block body from its `{` to its `}`: several lines, or one line with at most one attribute.
    fn block_body(&mut self) -> Option<Body> {
        self.enter()?;
        self.pos += 1;
        let cp = self.pos;
        self.sp()?;
        if self.at_line_comment() {
            self.line_rest();
        }
        let body = if self.peek() == Some(b'\n') {
            // hcl-edit spans a multi-line body from the line end after `{` to the `}`.
            let start = self.pos;
            self.pos += 1;
            let mut body = self.body()?;
            self.ws()?;
            body.span = self.span(start, self.pos);
            body
        } else {
            self.pos = cp;
            self.sp()?;
            let mut structures = Vec::new();
            match self.peek() {
                Some(b) if is_start(b) => {
                    let start = self.pos;
                    let key = self.decorated_ident()?;
                    self.sp()?;
                    if self.peek() != Some(b'=') {
                        return None;
                    }
                    let value = self.attr_expr()?;
                    structures.push(Structure::Attribute(Attribute {
                        key,
                        value,
                        span: self.span(start, self.pos),
                    }));
                    self.sp()?;
                }
                Some(b) if b >= 0x80 => return None,
                _ => {}
            }
            Body {
                structures,
                span: Sp::NONE,
            }
        };
        self.expect(b'}')?;
        self.leave();
        Some(body)
    }

    // --- Expressions --------------------------------------------------------------------------

    /// A nested expression with its own newline state (hcl-edit's `expr`, `expr_with_state` and
    /// `multiline_expr`).
    fn sub_expr(&mut self, nl: bool) -> Option<Expression> {
        self.enter()?;
        let mut nl = nl;
        let e = self.expr_inner(&mut nl)?;
        self.leave();
        Some(e)
    }

    /// A term followed by binary operators and a conditional (hcl-edit's `expr_inner`).
    fn expr_inner(&mut self, nl: &mut bool) -> Option<Expression> {
        let start = self.pos;
        let mut e = self.term_inner(nl)?;
        loop {
            let cp = self.pos;
            self.ws_or_sp(*nl)?;
            let (Some(b0), Some(b1)) = (self.peek(), self.at(1)) else {
                self.pos = cp;
                return Some(e);
            };
            if b0 == b'?' {
                return self.conditional(e, start, *nl);
            }
            let comment = b0 == b'/' && (b1 == b'/' || b1 == b'*');
            let op = (b0 == b'=' && b1 == b'=')
                || matches!(
                    b0,
                    b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|'
                );
            self.pos = cp;
            if comment || !op {
                return Some(e);
            }
            e = self.binary_ops(e, nl)?;
        }
    }

    fn conditional(&mut self, cond_expr: Expression, start: usize, nl: bool) -> Option<Expression> {
        self.pos += 1;
        self.ws_or_sp(nl)?;
        let true_expr = self.sub_expr(nl)?;
        self.ws_or_sp(nl)?;
        self.expect(b':')?;
        self.ws_or_sp(nl)?;
        let false_expr = self.sub_expr(nl)?;
        Some(Expression::Conditional(Box::new(Conditional {
            cond_expr,
            true_expr,
            false_expr,
            span: self.span(start, self.pos),
        })))
    }

    fn binary_operator(&mut self) -> Option<BinaryOperator> {
        use BinaryOperator as B;
        let b = self.peek()?;
        let next = self.at(1);
        let (op, len) = match b {
            b'=' if next == Some(b'=') => (B::Eq, 2),
            b'!' if next == Some(b'=') => (B::NotEq, 2),
            b'<' if next == Some(b'=') => (B::LessEq, 2),
            b'<' => (B::Less, 1),
            b'>' if next == Some(b'=') => (B::GreaterEq, 2),
            b'>' => (B::Greater, 1),
            b'+' => (B::Plus, 1),
            b'-' => (B::Minus, 1),
            b'*' => (B::Mul, 1),
            b'/' if !matches!(next, Some(b'/' | b'*')) => (B::Div, 1),
            b'%' => (B::Mod, 1),
            b'&' if next == Some(b'&') => (B::And, 2),
            b'|' if next == Some(b'|') => (B::Or, 2),
            _ => return None,
        };
        self.pos += len;
        Some(op)
    }

    /// A chain of binary operators and terms after `first`, grouped by precedence (every
    /// operator associates to the left).
    fn binary_ops(&mut self, first: Expression, nl: &mut bool) -> Option<Expression> {
        let mut operands = vec![first];
        let mut operators: Vec<Decorated<BinaryOperator>> = Vec::new();
        loop {
            let cp = self.pos;
            self.ws_or_sp(*nl)?;
            let op_start = self.pos;
            let Some(op) = self.binary_operator() else {
                if operators.is_empty() {
                    return None;
                }
                self.pos = cp;
                break;
            };
            let op = Decorated::new(op, self.span(op_start, self.pos));
            self.ws_or_sp(*nl)?;
            let mut term_nl = *nl;
            let rhs = self.term_inner(&mut term_nl)?;
            self.ops += 1;
            if self.ops > MAX_OPS {
                return None;
            }
            operators.push(op);
            operands.push(rhs);
        }
        Some(group(operands, operators))
    }

    /// A term and the traversal after it (hcl-edit's `expr_term_inner`).
    fn term_inner(&mut self, nl: &mut bool) -> Option<Expression> {
        let start = self.pos;
        let e = match self.peek()? {
            b'"' => {
                let q = self.quoted()?;
                let span = self.span(start, self.pos);
                match q {
                    Quoted::Plain(s) => Expression::String(Box::new(Decorated::new(s, span))),
                    Quoted::Template(els) => Expression::StringTemplate(Box::new(lower(els, span))),
                }
            }
            b'[' => {
                *nl = true;
                self.array(start)?
            }
            b'{' => self.object(start, nl)?,
            b'0'..=b'9' => self.number(start)?,
            b'<' => self.heredoc(start)?,
            b'-' => {
                self.pos += 1;
                let after = self.pos;
                self.sp()?;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    if self.s[after..self.pos].contains(&b'/') {
                        return None;
                    }
                    self.number(start)?
                } else {
                    self.pos = start;
                    self.unary(start, UnaryOperator::Neg, *nl)?
                }
            }
            b'!' => self.unary(start, UnaryOperator::Not, *nl)?,
            b'(' => {
                self.pos += 1;
                self.ws()?;
                let inner = self.sub_expr(true)?;
                self.ws()?;
                self.expect(b')')?;
                Expression::Parenthesis(Box::new(Decorated::new(inner, self.span(start, self.pos))))
            }
            b if is_start(b) => self.identlike(start, nl)?,
            _ => return None,
        };
        let cp = self.pos;
        self.ws_or_sp(*nl)?;
        match (self.peek(), self.at(1)) {
            (Some(b0), Some(b1)) if (b0 == b'.' && b1 != b'.') || b0 == b'[' => {
                self.traversal(e, start, *nl)
            }
            _ => {
                self.pos = cp;
                Some(e)
            }
        }
    }

    fn unary(&mut self, start: usize, op: UnaryOperator, nl: bool) -> Option<Expression> {
        self.pos += 1;
        let operator = Decorated::new(op, self.span(start, start + 1));
        self.sp()?;
        self.enter()?;
        let mut term_nl = nl;
        let expr = self.term_inner(&mut term_nl)?;
        self.leave();
        Some(Expression::UnaryOp(Box::new(UnaryOp {
            operator,
            expr,
            span: self.span(start, self.pos),
        })))
    }

    /// A number from `start` (a digit, or `-` and spaces before the digit at `pos`).
    fn number(&mut self, start: usize) -> Option<Expression> {
        let digits = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        let mut plain = start == digits;
        if self.peek() == Some(b'.') && matches!(self.at(1), Some(b'0'..=b'9')) {
            self.pos += 1;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
            plain = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.pos - digits > 19 {
            return None;
        }
        let repr = &self.t[start..self.pos];
        let text: Box<str> = if plain {
            repr.into()
        } else {
            let t: String = repr.chars().filter(|c| !c.is_whitespace()).collect();
            cairn_provider::Number::parse(&t)?;
            t.into()
        };
        Some(Expression::Number(Box::new(Decorated::new(
            text,
            self.span(start, self.pos),
        ))))
    }

    /// A variable, keyword or function call.
    fn identlike(&mut self, start: usize, nl: &mut bool) -> Option<Expression> {
        let name = self.ident()?;
        let end = self.pos;
        self.ws_or_sp(*nl)?;
        match (self.peek(), self.at(1)) {
            (Some(b':'), Some(b':')) => None,
            (Some(b'('), Some(_)) => {
                *nl = true;
                let name = FuncName {
                    namespace: Vec::new(),
                    name: Decorated::new(Ident::new(name), self.span(start, end)),
                };
                let args = self.func_args()?;
                Some(Expression::FuncCall(Box::new(FuncCall {
                    name,
                    args,
                    span: self.span(start, self.pos),
                })))
            }
            _ => {
                self.pos = end;
                let sp = self.span(start, end);
                Some(match name {
                    "null" => Expression::Null(Decorated::new((), sp)),
                    "true" => Expression::Bool(Decorated::new(true, sp)),
                    "false" => Expression::Bool(Decorated::new(false, sp)),
                    _ => Expression::Variable(Box::new(Decorated::new(Ident::new(name), sp))),
                })
            }
        }
    }

    fn func_args(&mut self) -> Option<FuncArgs> {
        self.pos += 1;
        let mut args = Vec::new();
        let mut expand_final = false;
        let cp = self.pos;
        self.ws()?;
        if matches!(self.peek(), None | Some(b',' | b'.' | b')')) {
            self.pos = cp;
        } else {
            args.push(self.sub_expr(true)?);
            self.ws()?;
            while self.peek() == Some(b',') {
                let cp = self.pos;
                self.pos += 1;
                self.ws()?;
                if matches!(self.peek(), None | Some(b',' | b'.' | b')')) {
                    self.pos = cp;
                    break;
                }
                args.push(self.sub_expr(true)?);
                self.ws()?;
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'.') => {
                    if !self.starts(b"...") {
                        return None;
                    }
                    self.pos += 3;
                    expand_final = true;
                }
                _ => {}
            }
        }
        self.ws()?;
        self.expect(b')')?;
        Some(FuncArgs { args, expand_final })
    }

    fn traversal(&mut self, expr: Expression, start: usize, nl: bool) -> Option<Expression> {
        let mut operators = Vec::new();
        loop {
            let cp = self.pos;
            self.ws_or_sp(nl)?;
            if self.starts(b"..") {
                self.pos = cp;
                break;
            }
            let op_start = self.pos;
            let op = match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    self.ws()?;
                    match self.peek()? {
                        b'*' => {
                            self.pos += 1;
                            TraversalOperator::AttrSplat
                        }
                        b'0' => {
                            self.pos += 1;
                            TraversalOperator::LegacyIndex(0)
                        }
                        b'1'..=b'9' => {
                            let d = self.pos;
                            while matches!(self.peek(), Some(b'0'..=b'9')) {
                                self.pos += 1;
                            }
                            if self.pos - d > 18 {
                                return None;
                            }
                            TraversalOperator::LegacyIndex(self.t[d..self.pos].parse().ok()?)
                        }
                        b if is_start(b) => TraversalOperator::GetAttr(Ident::new(self.ident()?)),
                        _ => return None,
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.ws()?;
                    let op = if self.peek() == Some(b'*') {
                        self.pos += 1;
                        TraversalOperator::FullSplat
                    } else {
                        TraversalOperator::Index(self.sub_expr(true)?)
                    };
                    self.ws()?;
                    self.expect(b']')?;
                    op
                }
                _ => {
                    self.pos = cp;
                    break;
                }
            };
            operators.push(Decorated::new(op, self.span(op_start, self.pos)));
        }
        Some(Expression::Traversal(Box::new(Traversal {
            expr,
            operators,
            span: self.span(start, self.pos),
        })))
    }

    /// Whether a `for` expression follows (hcl-edit's look-ahead: `for` and a space or comment).
    fn for_ahead(&mut self) -> bool {
        let cp = self.pos;
        let found = self.ws().is_some()
            && self.starts(b"for")
            && matches!(self.at(3), Some(b' ' | b'\t' | b'#' | b'/' | b'\n'));
        self.pos = cp;
        found
    }

    fn array(&mut self, start: usize) -> Option<Expression> {
        self.pos += 1;
        if self.for_ahead() {
            let intro = self.for_intro()?;
            self.ws()?;
            let value_expr = self.sub_expr(true)?;
            self.ws()?;
            let cond = self.for_cond(true)?;
            self.expect(b']')?;
            return Some(Expression::ForExpr(Box::new(ForExpr {
                intro,
                key_expr: None,
                value_expr,
                grouping: false,
                cond,
                span: self.span(start, self.pos),
            })));
        }
        let mut items = Vec::new();
        let cp = self.pos;
        self.ws()?;
        if self.peek() == Some(b']') {
            self.pos = cp;
        } else {
            items.push(self.sub_expr(true)?);
            self.ws()?;
            while self.peek() == Some(b',') {
                let cp = self.pos;
                self.pos += 1;
                self.ws()?;
                if self.peek() == Some(b']') {
                    self.pos = cp;
                    break;
                }
                items.push(self.sub_expr(true)?);
                self.ws()?;
            }
        }
        if self.peek() == Some(b',') {
            self.pos += 1;
        }
        self.ws()?;
        self.expect(b']')?;
        Some(Expression::Array(Box::new(Array {
            items,
            span: self.span(start, self.pos),
        })))
    }

    /// `for k, v in coll :` (after the look-ahead found `for`).
    fn for_intro(&mut self) -> Option<ForIntro> {
        self.ws()?;
        self.pos += 3;
        self.ws()?;
        let first = self.decorated_ident()?;
        self.ws()?;
        let second = if self.peek() == Some(b',') {
            self.pos += 1;
            self.ws()?;
            let v = self.decorated_ident()?;
            self.ws()?;
            Some(v)
        } else {
            None
        };
        if !self.starts(b"in") {
            return None;
        }
        self.pos += 2;
        self.ws()?;
        let collection_expr = self.sub_expr(false)?;
        self.ws()?;
        self.expect(b':')?;
        Some(match second {
            Some(value_var) => ForIntro {
                key_var: Some(first),
                value_var,
                collection_expr,
            },
            None => ForIntro {
                key_var: None,
                value_var: first,
                collection_expr,
            },
        })
    }

    /// An optional `if cond` of a `for` expression.
    fn for_cond(&mut self, nl: bool) -> Option<Option<ForCond>> {
        let cp = self.pos;
        self.ws()?;
        if !self.starts(b"if") {
            self.pos = cp;
            return Some(None);
        }
        self.pos += 2;
        self.ws()?;
        let expr = self.sub_expr(nl)?;
        self.ws()?;
        Some(Some(ForCond { expr }))
    }

    fn object(&mut self, start: usize, nl: &mut bool) -> Option<Expression> {
        self.pos += 1;
        if self.for_ahead() {
            *nl = true;
            let intro = self.for_intro()?;
            self.ws()?;
            let key_expr = self.sub_expr(false)?;
            self.ws()?;
            if !self.starts(b"=>") {
                return None;
            }
            self.pos += 2;
            self.ws()?;
            let value_expr = self.sub_expr(false)?;
            self.ws()?;
            let grouping = self.starts(b"...");
            if grouping {
                self.pos += 3;
                self.ws()?;
            }
            let cond = self.for_cond(true)?;
            self.expect(b'}')?;
            return Some(Expression::ForExpr(Box::new(ForExpr {
                intro,
                key_expr: Some(key_expr),
                value_expr,
                grouping,
                cond,
                span: self.span(start, self.pos),
            })));
        }
        let mut items: Vec<(ObjectKey, ObjectValue)> = Vec::new();
        loop {
            self.ws()?;
            if self.peek()? == b'}' {
                break;
            }
            let key = match self.sub_expr(false)? {
                Expression::Variable(v) => ObjectKey::Ident(*v),
                e => ObjectKey::Expression(e),
            };
            self.sp()?;
            match self.peek()? {
                b'=' | b':' => self.pos += 1,
                _ => return None,
            }
            self.sp()?;
            let value = self.sub_expr(false)?;
            self.sp()?;
            items.push((key, ObjectValue(value)));
            match self.peek()? {
                b'}' => break,
                b'\n' | b',' => self.pos += 1,
                b'#' | b'/' if self.at_line_comment() => {
                    self.line_rest();
                    self.expect(b'\n')?;
                }
                _ => return None,
            }
        }
        self.pos += 1;
        if repeated_keys(&items) {
            return None;
        }
        Some(Expression::Object(Box::new(Object {
            items,
            span: self.span(start, self.pos),
        })))
    }

    // --- Strings and templates ----------------------------------------------------------------

    /// A quoted string or template at `"`, with its escapes.
    fn quoted(&mut self) -> Option<Quoted> {
        self.pos += 1;
        let mut els = Vec::new();
        let mut buf = String::new();
        loop {
            let run = self.pos;
            loop {
                match self.peek()? {
                    b'"' | b'\\' => break,
                    b @ (b'$' | b'%') => {
                        if self.template_mark(b) {
                            break;
                        }
                        self.pos += 1;
                    }
                    _ => self.pos += 1,
                }
            }
            buf.push_str(&self.t[run..self.pos]);
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => self.escape(&mut buf)?,
                b => {
                    if self.at(1) == Some(b) {
                        buf.push_str(if b == b'$' { "${" } else { "%{" });
                        self.pos += 3;
                    } else if b == b'%' {
                        return None;
                    } else {
                        if !buf.is_empty() {
                            els.push(El::Lit(std::mem::take(&mut buf)));
                        }
                        els.push(self.interpolation()?);
                    }
                }
            }
        }
        if els.is_empty() {
            return Some(Quoted::Plain(buf));
        }
        if !buf.is_empty() {
            els.push(El::Lit(buf));
        }
        Some(Quoted::Template(els))
    }

    /// An interpolation at `${`.
    fn interpolation(&mut self) -> Option<El> {
        self.pos += 2;
        let strip_start = self.expect(b'~').is_some();
        self.ws()?;
        let expr = self.sub_expr(true)?;
        self.ws()?;
        let strip_end = self.expect(b'~').is_some();
        self.expect(b'}')?;
        Some(El::Interp {
            strip_start,
            strip_end,
            expr,
        })
    }

    /// Whether the heredoc's closing line (spaces, the delimiter, no identifier character
    /// after it) starts at `i`; `None` on a non-ASCII character after the delimiter.
    fn heredoc_end_at(&self, mut i: usize, delim: &str) -> Option<bool> {
        while matches!(self.s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if !self.s[i..].starts_with(delim.as_bytes()) {
            return Some(false);
        }
        match self.s.get(i + delim.len()) {
            Some(&b) if b >= 0x80 => None,
            Some(&b) => Some(!is_cont(b)),
            None => Some(true),
        }
    }

    /// A heredoc at `<<` (interpolations only; directives are left to hcl-edit).
    fn heredoc(&mut self, start: usize) -> Option<Expression> {
        if self.at(1) != Some(b'<') {
            return None;
        }
        self.pos += 2;
        let indented = self.expect(b'-').is_some();
        if !is_start(self.peek()?) {
            return None;
        }
        let delim = self.ident()?;
        self.expect(b'\n')?;
        // hcl-edit reads an empty heredoc by backtracking from a literal that runs on to a later
        // closing line; leave it that.
        if self.heredoc_end_at(self.pos, delim)? {
            return None;
        }
        let mut els = Vec::new();
        let mut buf = String::new();
        loop {
            let run = self.pos;
            loop {
                match self.peek()? {
                    b'\n' => {
                        if self.heredoc_end_at(self.pos + 1, delim)? {
                            break;
                        }
                        self.pos += 1;
                    }
                    b @ (b'$' | b'%') => {
                        if self.template_mark(b) {
                            break;
                        }
                        self.pos += 1;
                    }
                    _ => self.pos += 1,
                }
            }
            buf.push_str(&self.t[run..self.pos]);
            match self.peek()? {
                b'\n' => break,
                b => {
                    if self.at(1) == Some(b) {
                        buf.push_str(if b == b'$' { "${" } else { "%{" });
                        self.pos += 3;
                    } else if b == b'%' {
                        return None;
                    } else {
                        if !buf.is_empty() {
                            els.push(El::Lit(std::mem::take(&mut buf)));
                        }
                        els.push(self.interpolation()?);
                    }
                }
            }
        }
        // The line end before the closing line belongs to the last literal.
        self.pos += 1;
        buf.push('\n');
        els.push(El::Lit(buf));
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos += delim.len();
        let indent = if indented { hcl_dedent(&mut els) } else { None };
        let els = els
            .into_iter()
            .map(|e| match e {
                El::Lit(s) => HeredocElement::Lit(s),
                El::Interp {
                    strip_start,
                    strip_end,
                    expr,
                } => HeredocElement::Interp {
                    strip_start,
                    strip_end,
                    expr,
                },
            })
            .collect();
        Some(Expression::HeredocTemplate(Box::new(
            lower_heredoc_elements(els, indent, self.span(start, self.pos)),
        )))
    }

    /// An escape sequence at `\`.
    fn escape(&mut self, buf: &mut String) -> Option<()> {
        let (c, len) = match self.at(1)? {
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'\\' => ('\\', 2),
            b'"' => ('"', 2),
            b'u' => (self.hex(4)?, 6),
            b'U' => (self.hex(8)?, 10),
            _ => return None,
        };
        buf.push(c);
        self.pos += len;
        Some(())
    }

    fn hex(&self, n: usize) -> Option<char> {
        let digits = self.s.get(self.pos + 2..self.pos + 2 + n)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let s = std::str::from_utf8(digits).ok()?;
        char::from_u32(u32::from_str_radix(s, 16).ok()?)
    }
}

/// Groups operands and operators by precedence, every operator associating to the left; each
/// operation spans from its left operand's start to its right operand's end.
fn group(operands: Vec<Expression>, operators: Vec<Decorated<BinaryOperator>>) -> Expression {
    fn reduce(out: &mut Vec<Expression>, op: Decorated<BinaryOperator>) {
        let (Some(rhs_expr), Some(lhs_expr)) = (out.pop(), out.pop()) else {
            return;
        };
        let span = match (lhs_expr.span(), rhs_expr.span()) {
            (Some(l), Some(r)) => Sp::of(Some(l.start..r.end)),
            _ => Sp::NONE,
        };
        out.push(Expression::BinaryOp(Box::new(BinaryOp {
            lhs_expr,
            operator: op,
            rhs_expr,
            span,
        })));
    }
    let mut operands = operands.into_iter();
    let mut out: Vec<Expression> = operands.next().into_iter().collect();
    let mut stack: Vec<Decorated<BinaryOperator>> = Vec::new();
    for (op, rhs) in operators.into_iter().zip(operands) {
        while stack
            .last()
            .is_some_and(|top| top.precedence() >= op.precedence())
        {
            if let Some(top) = stack.pop() {
                reduce(&mut out, top);
            }
        }
        stack.push(op);
        out.push(rhs);
    }
    while let Some(top) = stack.pop() {
        reduce(&mut out, top);
    }
    out.pop()
        .unwrap_or(Expression::Null(Decorated::new((), Sp::NONE)))
}

/// Whether two keys of an object might be equal for hcl-edit (which refuses that): two names or
/// strings alike, or two keys of other kinds (left to hcl-edit to compare).
fn repeated_keys(items: &[(ObjectKey, ObjectValue)]) -> bool {
    fn name(k: &ObjectKey) -> Option<&str> {
        match k {
            ObjectKey::Ident(i) => Some(i.as_str()),
            ObjectKey::Expression(Expression::String(s)) => Some(s.as_str()),
            ObjectKey::Expression(_) => None,
        }
    }
    if items.iter().filter(|(k, _)| name(k).is_none()).count() > 1 {
        return true;
    }
    if items.len() <= 16 {
        items.iter().enumerate().any(|(i, (a, _))| {
            name(a).is_some_and(|a| items[i + 1..].iter().any(|(b, _)| name(b) == Some(a)))
        })
    } else {
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        !items
            .iter()
            .filter_map(|(k, _)| name(k))
            .all(|n| seen.insert(n))
    }
}

/// hcl-edit's dedent of a `<<-` heredoc's literals (`Template::dedent`): the indent removed, if
/// any.
fn hcl_dedent(els: &mut [El]) -> Option<usize> {
    let mut indent: Option<usize> = None;
    let mut skip_first_line = false;
    for el in els.iter() {
        if let El::Lit(lit) = el {
            if let Some(ws) = min_leading_whitespace(lit, skip_first_line) {
                indent = Some(indent.map_or(ws, |i| i.min(ws)));
            }
            skip_first_line = !lit.ends_with('\n');
        } else if !skip_first_line {
            return None;
        }
    }
    let indent = indent?;
    skip_first_line = false;
    for el in els.iter_mut() {
        if let El::Lit(lit) = el {
            *lit = dedent_by(lit, indent, skip_first_line);
            skip_first_line = !lit.ends_with('\n');
        } else if !skip_first_line {
            skip_first_line = true;
        }
    }
    Some(indent)
}

/// hcl-edit's `dedent_by`: `n` characters off every non-empty line but the first (if skipped).
fn dedent_by(s: &str, n: usize, skip_first: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.lines().enumerate() {
        if i == 0 && skip_first {
            out.push_str(line);
        } else if !line.is_empty() {
            out.extend(line.chars().skip(n));
        }
        out.push('\n');
    }
    if out.ends_with('\n') && !s.ends_with('\n') {
        out.pop();
    }
    out
}

/// hcl-edit's `min_leading_whitespace`: the smallest indentation of the non-empty lines, `None`
/// as soon as one is not indented.
fn min_leading_whitespace(s: &str, skip_first: bool) -> Option<usize> {
    if s.is_empty() {
        return None;
    }
    let mut leading: Option<usize> = None;
    for (i, line) in s.lines().enumerate() {
        if (i == 0 && skip_first) || line.is_empty() {
            continue;
        }
        let n = line.chars().take_while(|c| c.is_whitespace()).count();
        if n == 0 {
            return None;
        }
        leading = Some(leading.map_or(n, |l| l.min(n)));
    }
    leading
}

/// Lowers a quoted template as [`crate::lang::template`] does: strip markers trim the
/// neighbouring literals.
fn lower(mut els: Vec<El>, span: Sp) -> Template {
    for k in 0..els.len() {
        let trim_start = k > 0
            && matches!(
                els[k - 1],
                El::Interp {
                    strip_end: true,
                    ..
                }
            );
        let trim_end = matches!(
            els.get(k + 1),
            Some(El::Interp {
                strip_start: true,
                ..
            })
        );
        if let El::Lit(s) = &mut els[k] {
            if trim_end {
                *s = s.trim_end().to_string();
            }
            if trim_start {
                *s = s.trim_start().to_string();
            }
        }
    }
    let mut parts = Vec::with_capacity(els.len());
    let mut lits = Vec::new();
    for el in els {
        match el {
            El::Lit(s) => {
                lits.push(s);
                parts.push(Part::Lit(lits.len() - 1));
            }
            El::Interp { expr, .. } => parts.push(Part::Interp(expr)),
        }
    }
    Template { parts, lits, span }
}

#[cfg(test)]
mod tests;
