//! The token scanner behind `cairn fmt`: HCL native syntax split into the same tokens as
//! HashiCorp's scanner (templates, heredocs, comments that keep their newline), each with the
//! number of spaces that preceded it. Knows nothing of blocks or attributes.

use std::borrow::Cow;

use super::SyntaxError;

/// The kind of a token; names follow HCL's scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    OQuote,
    CQuote,
    OHeredoc,
    CHeredoc,
    Star,
    Slash,
    Plus,
    Minus,
    Percent,
    Equal,
    EqualOp,
    NotEqual,
    LessThan,
    LessThanEq,
    GreaterThan,
    GreaterThanEq,
    And,
    Or,
    Bang,
    Dot,
    Comma,
    DoubleColon,
    Ellipsis,
    FatArrow,
    Question,
    Colon,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    QuotedLit,
    StringLit,
    NumberLit,
    Ident,
    Comment,
    Newline,
    /// A character the scanner knows but the grammar never accepts (`&`, `|`, `;`, ...).
    Stray,
    Eof,
}

/// One token: its text and how many spaces precede it.
#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    pub text: Cow<'a, str>,
    pub spaces: usize,
    /// Byte offset in the source (for diagnostics; synthetic tokens carry their anchor's).
    pub offset: usize,
}

impl<'a> Token<'a> {
    pub(crate) fn synthetic(kind: Kind, text: impl Into<Cow<'a, str>>, offset: usize) -> Self {
        Token {
            kind,
            text: text.into(),
            spaces: 0,
            offset,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Main,
    Quoted,
    Heredoc,
}

struct Heredoc<'a> {
    marker: &'a str,
    start_of_line: bool,
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    last_end: usize,
    out: Vec<Token<'a>>,
    modes: Vec<Mode>,
    braces: i64,
    ret_braces: Vec<i64>,
    heredocs: Vec<Heredoc<'a>>,
}

/// Splits `src` into tokens, ending with [`Kind::Eof`].
pub(crate) fn lex(src: &str) -> Result<Vec<Token<'_>>, SyntaxError> {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        last_end: 0,
        out: Vec::new(),
        modes: vec![Mode::Main],
        braces: 0,
        ret_braces: Vec::new(),
        heredocs: Vec::new(),
    };
    lx.run()?;
    Ok(lx.out)
}

fn is_ident_start(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

fn is_ident_continue(c: char) -> bool {
    c == '-' || unicode_ident::is_xid_continue(c)
}

impl<'a> Lexer<'a> {
    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        self.out.push(Token {
            kind,
            text: Cow::Borrowed(&self.src[start..end]),
            spaces: start - self.last_end,
            offset: start,
        });
        self.last_end = end;
        self.pos = end;
    }

    fn peek(&self, at: usize) -> Option<u8> {
        self.b.get(at).copied()
    }

    fn starts(&self, s: &str) -> bool {
        self.b[self.pos..].starts_with(s.as_bytes())
    }

    fn run(&mut self) -> Result<(), SyntaxError> {
        while self.pos < self.b.len() {
            match self.modes.last().copied().unwrap_or(Mode::Main) {
                Mode::Main => self.main()?,
                Mode::Quoted => self.quoted()?,
                Mode::Heredoc => self.heredoc()?,
            }
        }
        match self.modes.last() {
            Some(Mode::Quoted) | Some(Mode::Heredoc) => {
                return Err(SyntaxError::at(
                    self.src,
                    self.src.len(),
                    "Unterminated template string",
                    "No closing marker was found for the string.",
                ));
            }
            _ => {}
        }
        if self.modes.len() > 1 {
            return Err(SyntaxError::at(
                self.src,
                self.src.len(),
                "Unterminated template string",
                "No closing marker was found for the string.",
            ));
        }
        let end = self.b.len();
        self.out.push(Token {
            kind: Kind::Eof,
            text: Cow::Borrowed(""),
            spaces: end - self.last_end,
            offset: end,
        });
        Ok(())
    }

    fn open_template_seq(&mut self, kind: Kind, len: usize) {
        let start = self.pos;
        self.push(kind, start, start + len);
        self.braces += 1;
        self.ret_braces.push(self.braces);
        if let Some(h) = self.heredocs.last_mut() {
            h.start_of_line = false;
        }
        self.modes.push(Mode::Main);
    }

    fn main(&mut self) -> Result<(), SyntaxError> {
        let p = self.pos;
        let c = self.b[p];
        match c {
            b' ' | b'\t' => {
                let mut q = p;
                while matches!(self.peek(q), Some(b' ' | b'\t')) {
                    q += 1;
                }
                self.pos = q;
            }
            b'0'..=b'9' => {
                // digit (digit | '.' | [eE][+-]?digit)*, never ending in '.'
                let mut q = p + 1;
                let mut end = q;
                loop {
                    match self.peek(q) {
                        Some(b'0'..=b'9') => {
                            q += 1;
                            end = q;
                        }
                        Some(b'.') => q += 1,
                        Some(b'e' | b'E') => {
                            let mut r = q + 1;
                            if matches!(self.peek(r), Some(b'+' | b'-')) {
                                r += 1;
                            }
                            if matches!(self.peek(r), Some(b'0'..=b'9')) {
                                q = r + 1;
                                end = q;
                            } else {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
                self.push(Kind::NumberLit, p, end);
            }
            b'#' => self.line_comment(p, p + 1),
            b'/' if self.peek(p + 1) == Some(b'/') => self.line_comment(p, p + 2),
            b'/' if self.peek(p + 1) == Some(b'*') => match self.src[p + 2..].find("*/") {
                Some(i) => self.push(Kind::Comment, p, p + 2 + i + 2),
                None => {
                    return Err(SyntaxError::at(
                        self.src,
                        p,
                        "Unterminated comment",
                        "There is no closing marker for this multi-line comment.",
                    ));
                }
            },
            b'\n' => self.push(Kind::Newline, p, p + 1),
            b'\r' if self.peek(p + 1) == Some(b'\n') => self.push(Kind::Newline, p, p + 2),
            b'{' => {
                self.push(Kind::OBrace, p, p + 1);
                self.braces += 1;
            }
            b'}' => self.close_brace(p, 1),
            b'~' if self.peek(p + 1) == Some(b'}') => self.close_brace(p, 2),
            b'"' => {
                self.push(Kind::OQuote, p, p + 1);
                self.modes.push(Mode::Quoted);
            }
            b'<' if self.starts("<<") && self.heredoc_intro(p)? => {}
            _ => {
                let two = |s: &str| self.starts(s);
                let (kind, len) = if self.starts("...") {
                    (Kind::Ellipsis, 3)
                } else if two("==") {
                    (Kind::EqualOp, 2)
                } else if two("!=") {
                    (Kind::NotEqual, 2)
                } else if two(">=") {
                    (Kind::GreaterThanEq, 2)
                } else if two("<=") {
                    (Kind::LessThanEq, 2)
                } else if two("&&") {
                    (Kind::And, 2)
                } else if two("||") {
                    (Kind::Or, 2)
                } else if two("::") {
                    (Kind::DoubleColon, 2)
                } else if two("=>") {
                    (Kind::FatArrow, 2)
                } else {
                    let k = match c {
                        b'[' => Kind::OBrack,
                        b']' => Kind::CBrack,
                        b'(' => Kind::OParen,
                        b')' => Kind::CParen,
                        b'.' => Kind::Dot,
                        b',' => Kind::Comma,
                        b'*' => Kind::Star,
                        b'/' => Kind::Slash,
                        b'%' => Kind::Percent,
                        b'+' => Kind::Plus,
                        b'-' => Kind::Minus,
                        b'=' => Kind::Equal,
                        b'<' => Kind::LessThan,
                        b'>' => Kind::GreaterThan,
                        b'!' => Kind::Bang,
                        b'?' => Kind::Question,
                        b':' => Kind::Colon,
                        b'&' | b'|' | b'~' | b'^' | b';' | b'`' | b'\'' => Kind::Stray,
                        _ => {
                            let ch = self.src[p..].chars().next().unwrap_or('\u{fffd}');
                            if is_ident_start(ch) {
                                let mut q = p + ch.len_utf8();
                                for d in self.src[q..].chars() {
                                    if !is_ident_continue(d) {
                                        break;
                                    }
                                    q += d.len_utf8();
                                }
                                self.push(Kind::Ident, p, q);
                                return Ok(());
                            }
                            let detail = if ch == '\r' {
                                "A carriage return must be followed by a newline.".to_string()
                            } else {
                                format!("This character is not used within the language: {ch:?}.")
                            };
                            return Err(SyntaxError::at(self.src, p, "Invalid character", &detail));
                        }
                    };
                    (k, 1)
                };
                self.push(kind, p, p + len);
            }
        }
        Ok(())
    }

    fn line_comment(&mut self, p: usize, body: usize) {
        let end = match self.src[body..].find('\n') {
            Some(i) => body + i + 1,
            None => self.b.len(),
        };
        self.push(Kind::Comment, p, end);
    }

    fn close_brace(&mut self, p: usize, len: usize) {
        if self.ret_braces.last() == Some(&self.braces) {
            self.push(Kind::TemplateSeqEnd, p, p + len);
            self.braces -= 1;
            self.ret_braces.pop();
            self.modes.pop();
        } else {
            self.push(
                if len == 2 {
                    Kind::TemplateSeqEnd
                } else {
                    Kind::CBrace
                },
                p,
                p + len,
            );
            self.braces -= 1;
        }
    }

    /// `<<` or `<<-`, an identifier and a newline open a heredoc; returns false otherwise.
    fn heredoc_intro(&mut self, p: usize) -> Result<bool, SyntaxError> {
        let mut q = p + 2;
        if self.peek(q) == Some(b'-') {
            q += 1;
        }
        let name_start = q;
        let mut chars = self.src[q..].chars();
        match chars.next() {
            Some(ch) if is_ident_start(ch) => q += ch.len_utf8(),
            _ => return Ok(false),
        }
        for d in chars {
            if !is_ident_continue(d) {
                break;
            }
            q += d.len_utf8();
        }
        let name_end = q;
        if self.peek(q) == Some(b'\r') {
            q += 1;
        }
        if self.peek(q) != Some(b'\n') {
            return Ok(false);
        }
        self.push(Kind::OHeredoc, p, q + 1);
        self.heredocs.push(Heredoc {
            marker: &self.src[name_start..name_end],
            start_of_line: true,
        });
        self.modes.push(Mode::Heredoc);
        Ok(true)
    }

    fn quoted(&mut self) -> Result<(), SyntaxError> {
        let p = self.pos;
        if self.starts("${") {
            let len = if self.peek(p + 2) == Some(b'~') { 3 } else { 2 };
            self.open_template_seq(Kind::TemplateInterp, len);
            return Ok(());
        }
        if self.starts("%{") {
            let len = if self.peek(p + 2) == Some(b'~') { 3 } else { 2 };
            self.open_template_seq(Kind::TemplateControl, len);
            return Ok(());
        }
        match self.b[p] {
            b'"' => {
                self.push(Kind::CQuote, p, p + 1);
                self.modes.pop();
            }
            b'$' | b'%' => {
                let c = self.b[p];
                let len = if self.peek(p + 1) == Some(c) && self.peek(p + 2) == Some(b'{') {
                    3
                } else {
                    1
                };
                self.push(Kind::QuotedLit, p, p + len);
            }
            b'\r' | b'\n' => {
                return Err(SyntaxError::at(
                    self.src,
                    p,
                    "Invalid multi-line string",
                    "Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the \"heredoc\" multi-line template syntax.",
                ));
            }
            _ => {
                let mut q = p;
                while q < self.b.len() {
                    match self.b[q] {
                        b'$' | b'%' | b'"' | b'\r' | b'\n' => break,
                        b'\\' => match self.src[q + 1..].chars().next() {
                            Some(ch) if ch != '\r' && ch != '\n' => q += 1 + ch.len_utf8(),
                            _ => break,
                        },
                        _ => q += 1,
                    }
                }
                if q == p {
                    // a lone backslash before a newline or the end
                    return Err(SyntaxError::at(
                        self.src,
                        p,
                        "Invalid multi-line string",
                        "Quoted strings may not be split over multiple lines.",
                    ));
                }
                self.push(Kind::QuotedLit, p, q);
            }
        }
        Ok(())
    }

    fn heredoc(&mut self) -> Result<(), SyntaxError> {
        let p = self.pos;
        if self.starts("${") {
            let len = if self.peek(p + 2) == Some(b'~') { 3 } else { 2 };
            self.open_template_seq(Kind::TemplateInterp, len);
            return Ok(());
        }
        if self.starts("%{") {
            let len = if self.peek(p + 2) == Some(b'~') { 3 } else { 2 };
            self.open_template_seq(Kind::TemplateControl, len);
            return Ok(());
        }
        // a literal run up to an interpolation or through the end of the line
        let mut q = p;
        let mut eol = false;
        while q < self.b.len() {
            match self.b[q] {
                b'\n' => {
                    q += 1;
                    eol = true;
                    break;
                }
                b'$' | b'%' if self.peek(q + 1) == Some(b'{') => break,
                c @ (b'$' | b'%')
                    if self.peek(q + 1) == Some(c) && self.peek(q + 2) == Some(b'{') =>
                {
                    q += 3
                }
                _ => q += 1,
            }
        }
        let Some(doc) = self.heredocs.last_mut() else {
            return Ok(());
        };
        if eol {
            if doc.start_of_line && self.src[p..q].trim() == doc.marker {
                let nl_start = if q >= 2 && self.b[q - 2] == b'\r' {
                    q - 2
                } else {
                    q - 1
                };
                self.heredocs.pop();
                self.modes.pop();
                self.push(Kind::CHeredoc, p, nl_start);
                self.push(Kind::Newline, nl_start, q);
                return Ok(());
            }
            doc.start_of_line = true;
        } else {
            doc.start_of_line = false;
        }
        self.push(Kind::StringLit, p, q);
        Ok(())
    }
}
