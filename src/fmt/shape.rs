//! The structural pass of `cairn fmt`: walks the token stream as bodies of attributes and
//! blocks, checks what HCL's parser checks at that level (one definition per line, no
//! duplicate attribute, literal block labels, closed blocks), and applies Terraform's
//! rewrites: `"${x}"` becomes `x`, labels are re-quoted, and a `variable` block's legacy
//! `type` (`"string"`, `list`) is modernised. Never changes whitespace: that is `layout`'s.

use std::borrow::Cow;
use std::collections::HashMap;

use super::SyntaxError;
use super::lex::{Kind, Token};

/// Returns the rewritten token stream, or the first structural syntax error.
pub(crate) fn rewrite<'a>(
    src: &'a str,
    toks: Vec<Token<'a>>,
) -> Result<Vec<Token<'a>>, SyntaxError> {
    // `a.0.1` scans as `a`, `.`, `0.1`: HCL refuses to chain legacy indexes that way
    for pair in toks.windows(2) {
        if pair[0].kind == Kind::Dot
            && pair[1].kind == Kind::NumberLit
            && pair[1].text.contains('.')
        {
            return Err(SyntaxError::at(
                src,
                pair[1].offset,
                "Invalid legacy index syntax",
                "When using the legacy index syntax, chaining two indexes together is deprecated. Use the modern index syntax instead.",
            ));
        }
    }
    // `[for k, v in ...` / `{for k in ...`: the names must be followed by the keyword `in`
    for (i, t) in toks.iter().enumerate() {
        if !matches!(t.kind, Kind::OBrack | Kind::OBrace) {
            continue;
        }
        let sig: Vec<&Token<'a>> = toks[i + 1..]
            .iter()
            .filter(|t| !matches!(t.kind, Kind::Newline | Kind::Comment))
            .take(5)
            .collect();
        let is_for = sig
            .first()
            .is_some_and(|t| t.kind == Kind::Ident && t.text == "for")
            && sig.get(1).is_some_and(|t| t.kind == Kind::Ident);
        if !is_for {
            continue;
        }
        let after = if sig.get(2).is_some_and(|t| t.kind == Kind::Comma) {
            sig.get(4)
        } else {
            sig.get(2)
        };
        if let Some(kw) = after
            && kw.kind == Kind::Ident
            && kw.text != "in"
        {
            return Err(SyntaxError::at(
                src,
                kw.offset,
                "Invalid 'for' expression",
                "For expression requires the 'in' keyword after its name declarations.",
            ));
        }
    }
    let mut s = Shaper {
        src,
        out: Vec::with_capacity(toks.len()),
        toks,
        pos: 0,
    };
    let mut blocks = Vec::new();
    s.body(&mut blocks, None)?;
    // the end-of-file token
    s.copy();
    Ok(s.out)
}

struct Shaper<'a> {
    src: &'a str,
    toks: Vec<Token<'a>>,
    out: Vec<Token<'a>>,
    pos: usize,
}

fn bracket_change(k: Kind) -> i64 {
    match k {
        Kind::OBrace
        | Kind::OBrack
        | Kind::OParen
        | Kind::TemplateControl
        | Kind::TemplateInterp => 1,
        Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
        _ => 0,
    }
}

fn is_line_comment(t: &Token<'_>) -> bool {
    t.kind == Kind::Comment && t.text.ends_with('\n')
}

impl<'a> Shaper<'a> {
    fn kind(&self) -> Kind {
        self.toks.get(self.pos).map_or(Kind::Eof, |t| t.kind)
    }

    fn copy(&mut self) {
        if let Some(t) = self.toks.get(self.pos) {
            self.out.push(t.clone());
            self.pos += 1;
        }
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.src.len(), |t| t.offset)
    }

    fn err(&self, offset: usize, summary: &str, detail: &str) -> SyntaxError {
        SyntaxError::at(self.src, offset, summary, detail)
    }

    /// A body up to its closing brace (not consumed) or the end of the file.
    /// `open` is the offset of the block's opening brace (None at top level).
    fn body(&mut self, blocks: &mut Vec<String>, open: Option<usize>) -> Result<(), SyntaxError> {
        let mut names: HashMap<String, usize> = HashMap::new();
        loop {
            match self.kind() {
                Kind::Newline | Kind::Comment => self.copy(),
                Kind::Eof => {
                    if let Some(o) = open {
                        return Err(self.err(
                            o,
                            "Unclosed configuration block",
                            "There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.",
                        ));
                    }
                    return Ok(());
                }
                Kind::CBrace if open.is_some() => return Ok(()),
                Kind::Ident => self.statement(blocks, &mut names)?,
                _ => {
                    return Err(self.err(
                        self.offset(),
                        "Argument or block definition required",
                        "An argument or block definition is required here.",
                    ));
                }
            }
        }
    }

    fn statement(
        &mut self,
        blocks: &mut Vec<String>,
        names: &mut HashMap<String, usize>,
    ) -> Result<(), SyntaxError> {
        let name = self.toks[self.pos].text.to_string();
        let name_offset = self.offset();
        self.copy();
        // inline comments between a name and its `=` stay where they are
        let mut next = self.pos;
        while self
            .toks
            .get(next)
            .is_some_and(|t| t.kind == Kind::Comment && !is_line_comment(t))
        {
            next += 1;
        }
        if self.toks.get(next).is_some_and(|t| t.kind == Kind::Equal) {
            while self.pos < next {
                self.copy();
            }
        }
        match self.kind() {
            Kind::Equal => {
                if let Some(&first) = names.get(&name) {
                    let p = SyntaxError::at(self.src, first, "", "");
                    return Err(self.err(
                        name_offset,
                        "Attribute redefined",
                        &format!(
                            "The argument \"{name}\" was already set at {}:{}. Each argument may be set only once.",
                            p.line, p.column
                        ),
                    ));
                }
                names.insert(name.clone(), name_offset);
                self.attribute(blocks, &name, false)
            }
            Kind::Ident | Kind::OQuote | Kind::OBrace | Kind::Comment => self.block(blocks, name),
            _ => Err(self.err(
                self.offset(),
                "Argument or block definition required",
                "An argument or block definition is required here. To set an argument, use the equals sign \"=\" to introduce the argument value.",
            )),
        }
    }

    /// From the `=` through the end of the expression (and trailing comments).
    fn attribute(
        &mut self,
        blocks: &[String],
        name: &str,
        single_line: bool,
    ) -> Result<(), SyntaxError> {
        self.copy(); // =
        // inline comments before the value are not part of it
        while self.kind() == Kind::Comment && !is_line_comment(&self.toks[self.pos]) {
            self.copy();
        }
        let start = self.pos;
        let (end, by_comment) = self.scan_expr(start);
        let mut expr_end = end;
        while expr_end > start && self.toks[expr_end - 1].kind == Kind::Comment {
            expr_end -= 1;
        }
        if expr_end == start {
            return Err(self.err(
                self.offset(),
                "Invalid expression",
                "Expected the start of an expression, but found an invalid expression token.",
            ));
        }
        let expr: Vec<Token<'a>> = self.toks[start..expr_end].to_vec();
        let expr = if blocks.len() == 1 && blocks[0] == "variable" && name == "type" {
            format_type_expr(expr)
        } else {
            format_value_expr(expr)
        };
        self.out.extend(expr);
        self.pos = expr_end;
        while self.pos < end {
            self.copy();
        }
        if by_comment {
            return Ok(());
        }
        match self.kind() {
            Kind::Newline | Kind::Eof => Ok(()),
            Kind::CBrace if single_line => Ok(()),
            _ => Err(self.err(
                self.offset(),
                "Missing newline after argument",
                "An argument definition must end with a newline.",
            )),
        }
    }

    /// The end (exclusive) of the expression starting at `start`, and whether a line comment ended it.
    fn scan_expr(&self, start: usize) -> (usize, bool) {
        let mut depth: i64 = 0;
        let mut i = start;
        while let Some(t) = self.toks.get(i) {
            match t.kind {
                Kind::Eof => break,
                Kind::Newline if depth == 0 => break,
                Kind::Comment if depth == 0 && is_line_comment(t) => return (i + 1, true),
                Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd if depth <= 0 => {
                    break;
                }
                Kind::OQuote | Kind::OHeredoc => depth += 1,
                Kind::CQuote | Kind::CHeredoc => depth -= 1,
                k => depth += bracket_change(k),
            }
            i += 1;
        }
        (i, false)
    }

    fn block(&mut self, blocks: &mut Vec<String>, name: String) -> Result<(), SyntaxError> {
        // labels
        let mut labels: Vec<String> = Vec::new();
        let mut anchor = self.offset();
        // inline comments after the last label stay; those between labels go, as in hclwrite
        let mut pending: Vec<Token<'a>> = Vec::new();
        loop {
            match self.kind() {
                Kind::Ident | Kind::OQuote => pending.clear(),
                _ => {}
            }
            match self.kind() {
                Kind::Ident => {
                    labels.push(self.toks[self.pos].text.to_string());
                    self.pos += 1;
                }
                Kind::OQuote => {
                    let start = self.pos;
                    let mut end = start + 1;
                    while let Some(t) = self.toks.get(end) {
                        match t.kind {
                            Kind::CQuote => break,
                            Kind::TemplateInterp | Kind::TemplateControl => {
                                return Err(self.err(
                                    t.offset,
                                    "Invalid string literal",
                                    "Template sequences are not allowed in this string. To include a literal \"$\", double it (as \"$$\") to escape it.",
                                ));
                            }
                            _ => end += 1,
                        }
                    }
                    let parts = &self.toks[start + 1..end.min(self.toks.len())];
                    match parts {
                        [] => labels.push(String::new()),
                        [lit] if lit.kind == Kind::QuotedLit => {
                            if let Some(s) = unescape(&lit.text) {
                                labels.push(s);
                            }
                        }
                        _ => {}
                    }
                    self.pos = end + 1;
                }
                Kind::Comment if !is_line_comment(&self.toks[self.pos]) => {
                    pending.push(self.toks[self.pos].clone());
                    self.pos += 1;
                }
                _ => break,
            }
            anchor = self.offset();
        }
        if self.kind() != Kind::OBrace {
            return Err(self.err(
                anchor,
                "Invalid block definition",
                "Either a quoted string block label or an opening brace (\"{\") is expected here.",
            ));
        }
        for l in labels {
            self.out.push(Token::synthetic(Kind::OQuote, "\"", anchor));
            let esc = escape(&l);
            if !esc.is_empty() {
                self.out
                    .push(Token::synthetic(Kind::QuotedLit, esc, anchor));
            }
            self.out.push(Token::synthetic(Kind::CQuote, "\"", anchor));
        }
        self.out.extend(pending);
        let open = self.offset();
        self.copy(); // {
        blocks.push(name);
        let r = self.block_body(blocks, open);
        blocks.pop();
        r?;
        // inline comments may follow the closing brace
        while self.kind() == Kind::Comment && !is_line_comment(&self.toks[self.pos]) {
            self.copy();
        }
        match self.kind() {
            Kind::Newline | Kind::Eof => Ok(()),
            Kind::Comment if is_line_comment(&self.toks[self.pos]) => Ok(()),
            Kind::CBrace => Err(self.err(
                self.offset(),
                "Argument or block definition required",
                "An argument or block definition is required here.",
            )),
            _ => Err(self.err(
                self.offset(),
                "Missing newline after block definition",
                "A block definition must end with a newline.",
            )),
        }
    }

    /// After the opening brace, through the closing brace.
    fn block_body(&mut self, blocks: &mut Vec<String>, open: usize) -> Result<(), SyntaxError> {
        // inline comments may sit after the brace
        let mut i = self.pos;
        while self
            .toks
            .get(i)
            .is_some_and(|t| t.kind == Kind::Comment && !is_line_comment(t))
        {
            i += 1;
        }
        let next = self.toks.get(i).map_or(Kind::Eof, |t| t.kind);
        let multi = next == Kind::Newline
            || self.toks.get(i).is_some_and(is_line_comment)
            || next == Kind::Eof;
        if multi {
            self.body(blocks, Some(open))?;
        } else if next == Kind::CBrace {
            while self.pos < i {
                self.copy();
            }
        } else {
            // a single-line block holds exactly one argument
            while self.pos < i {
                self.copy();
            }
            let ok = self.kind() == Kind::Ident
                && self
                    .toks
                    .get(self.pos + 1)
                    .is_some_and(|t| t.kind == Kind::Equal);
            if !ok {
                return Err(self.err(
                    self.offset(),
                    "Invalid single-argument block definition",
                    "A single-line block definition can contain only a single argument.",
                ));
            }
            let name = self.toks[self.pos].text.to_string();
            self.copy();
            self.attribute(blocks, &name, true)?;
            if self.kind() != Kind::CBrace {
                return Err(self.err(
                    self.offset(),
                    "Invalid single-argument block definition",
                    "A single-line block definition must end with a closing brace immediately after its single argument definition.",
                ));
            }
        }
        if self.kind() != Kind::CBrace {
            return Err(self.err(
                open,
                "Unclosed configuration block",
                "There is no closing brace for this block before the end of the file.",
            ));
        }
        self.copy();
        Ok(())
    }
}

/// Terraform's unwrapping of `"${expr}"` into `expr` (only when that is all the string holds).
fn format_value_expr(tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let n = tokens.len();
    if n < 5 {
        return tokens;
    }
    if tokens[0].kind != Kind::OQuote
        || tokens[1].kind != Kind::TemplateInterp
        || tokens[n - 2].kind != Kind::TemplateSeqEnd
        || tokens[n - 1].kind != Kind::CQuote
    {
        return tokens;
    }
    let inside = &tokens[2..n - 2];
    let mut quotes = 0i64;
    for t in inside {
        match t.kind {
            Kind::OQuote => {
                quotes += 1;
                continue;
            }
            Kind::CQuote => {
                quotes -= 1;
                continue;
            }
            _ => {}
        }
        if quotes > 0 {
            continue;
        }
        if matches!(
            t.kind,
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit
        ) {
            return tokens;
        }
    }
    let mut start = 0;
    let mut end = inside.len();
    while start < end && inside[start].kind == Kind::Newline {
        start += 1;
    }
    while end > start && inside[end - 1].kind == Kind::Newline {
        end -= 1;
    }
    let trimmed = &inside[start..end];
    let mut multi = false;
    let mut lead_paren = false;
    let mut trail_paren = false;
    for (i, t) in trimmed.iter().enumerate() {
        if i == 0 && t.kind == Kind::OParen {
            lead_paren = true;
        } else if t.kind == Kind::Newline {
            multi = true;
        } else if i + 1 == trimmed.len() && t.kind == Kind::CParen {
            trail_paren = true;
        }
    }
    let anchor = tokens[0].offset;
    let mut out = Vec::with_capacity(trimmed.len() + 2);
    let wrap = multi && !(lead_paren && trail_paren);
    if wrap {
        out.push(Token::synthetic(Kind::OParen, "(", anchor));
    }
    out.extend(trimmed.iter().cloned());
    if wrap {
        out.push(Token::synthetic(Kind::CParen, ")", anchor));
    }
    out
}

/// Terraform's modernisation of a `variable` block's `type`.
fn format_type_expr(tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let anchor = tokens.first().map_or(0, |t| t.offset);
    let call = |name: &'static str, arg: &'static str| {
        vec![
            Token::synthetic(Kind::Ident, name, anchor),
            Token::synthetic(Kind::OParen, "(", anchor),
            Token::synthetic(Kind::Ident, arg, anchor),
            Token::synthetic(Kind::CParen, ")", anchor),
        ]
    };
    match tokens.as_slice() {
        [kw] if kw.kind == Kind::Ident => match kw.text.as_ref() {
            "list" => call("list", "any"),
            "map" => call("map", "any"),
            "set" => call("set", "any"),
            _ => tokens,
        },
        [o, s, c]
            if o.kind == Kind::OQuote && s.kind == Kind::QuotedLit && c.kind == Kind::CQuote =>
        {
            match s.text.as_ref() {
                "string" => vec![Token::synthetic(Kind::Ident, "string", anchor)],
                "list" => call("list", "string"),
                "map" => call("map", "string"),
                _ => tokens,
            }
        }
        _ => tokens,
    }
}

/// The value of a quoted literal's text (escapes resolved), or None when an escape is invalid.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                u @ ('u' | 'U') => {
                    let n = if u == 'u' { 4 } else { 8 };
                    let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                    if hex.len() != n {
                        return None;
                    }
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            },
            '$' | '%' if chars.peek() == Some(&c) => {
                // `$${` is a literal `${`
                let mut ahead = chars.clone();
                ahead.next();
                if ahead.peek() == Some(&'{') {
                    chars.next();
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

/// A string as the text of a quoted literal, the way hclwrite escapes it.
fn escape(s: &str) -> Cow<'static, str> {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => {
                out.push(c);
                if s[i + 1..].starts_with('{') {
                    out.push(c);
                }
            }
            c if c.is_control() => {
                let n = c as u32;
                if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}
