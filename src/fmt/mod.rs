//! `cairn fmt`: rewrites HCL native syntax into the canonical layout `terraform fmt` produces,
//! byte for byte, and rejects what Terraform's parser rejects.
//!
//! The formatter works on tokens, never on a re-printed syntax tree, so everything but
//! whitespace survives as written: [`lex`] splits the source into HCL's tokens, [`shape`]
//! finds attributes and block headers (checking the structure on the way) and applies
//! Terraform's few rewrites (`"${x}"` becomes `x`, block labels are quoted, legacy variable
//! types are modernised), and [`layout`] recomputes the spaces before every token: indentation
//! by bracket nesting, one space between most tokens, `=` and trailing comments aligned across
//! consecutive lines. Expression syntax is checked by `hcl-edit`'s parser.
//!
//! Owns only formatting: must not read configuration semantics, evaluate, or touch files
//! (the command in `cli::format` does the I/O).

mod layout;
pub(crate) mod lex;
mod shape;

/// A syntax error with its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {summary}: {detail}")]
pub struct SyntaxError {
    pub summary: String,
    pub detail: String,
    pub line: usize,
    pub column: usize,
}

impl SyntaxError {
    pub(crate) fn at(src: &str, offset: usize, summary: &str, detail: &str) -> Self {
        let offset = offset.min(src.len());
        let before = src.get(..offset).unwrap_or(src);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        SyntaxError {
            summary: summary.to_string(),
            detail: detail.to_string(),
            line,
            column,
        }
    }
}

/// Stand-ins for bytes that are not UTF-8: `U+10FF00 + byte`. HCL allows such bytes in
/// comments only; they are carried through the formatter as these characters and restored.
const RAW_BYTE_BASE: u32 = 0x10FF00;

fn is_raw_byte(c: char) -> bool {
    (RAW_BYTE_BASE..=RAW_BYTE_BASE + 0xFF).contains(&(c as u32))
}

/// The text of `src`, with every byte that is not UTF-8 replaced by its stand-in.
fn decode(src: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(t) = std::str::from_utf8(src) {
        return std::borrow::Cow::Borrowed(t);
    }
    let mut out = String::with_capacity(src.len() + 16);
    let mut rest = src;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(t) => {
                out.push_str(t);
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or(""));
                let bad = e.error_len().unwrap_or(after.len()).max(1);
                for &b in &after[..bad] {
                    out.push(char::from_u32(RAW_BYTE_BASE + u32::from(b)).unwrap_or('\u{fffd}'));
                }
                rest = &after[bad..];
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Formats a whole file. Returns the canonical text, or the first syntax error.
pub fn format(src: &[u8]) -> Result<Vec<u8>, SyntaxError> {
    // a byte-order mark is dropped, as Terraform does
    let src = src.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(src);
    let decoded = decode(src);
    let raw = matches!(decoded, std::borrow::Cow::Owned(_));
    let text: &str = &decoded;
    let tokens = lex::lex(text)?;
    if raw {
        for t in &tokens {
            if t.kind != lex::Kind::Comment
                && let Some(i) = t.text.find(is_raw_byte)
            {
                return Err(SyntaxError::at(
                    text,
                    t.offset + i,
                    "Invalid character encoding",
                    "All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in your editor.",
                ));
            }
        }
    }
    // HCL accepts `a.1e5` (a legacy index that scans as a number); hcl-edit does not, so it
    // is shown the same text with such an index spelled in digits only.
    let mut for_parser: Option<Vec<u8>> = None;
    // hcl-edit also refuses a carriage return or a stand-in byte inside a comment: it sees spaces
    for t in tokens.iter().filter(|t| t.kind == lex::Kind::Comment) {
        let body = t.text.strip_suffix('\n').unwrap_or(&t.text);
        let body = body
            .strip_suffix('\r')
            .filter(|_| t.text.ends_with('\n'))
            .unwrap_or(body);
        if body.contains('\r') || (raw && body.contains(is_raw_byte)) {
            let buf = for_parser.get_or_insert_with(|| text.as_bytes().to_vec());
            let mut at = t.offset;
            for c in body.chars() {
                if c == '\r' || is_raw_byte(c) {
                    for b in &mut buf[at..at + c.len_utf8()] {
                        *b = b' ';
                    }
                }
                at += c.len_utf8();
            }
        }
    }
    // hcl-edit ends a heredoc at a line that merely starts with its marker (`EOTx`); HCL
    // needs the whole line to be the marker, so such a line is shown to it altered
    let mut markers: Vec<&str> = Vec::new();
    for t in &tokens {
        match t.kind {
            lex::Kind::OHeredoc => {
                let m = t
                    .text
                    .trim_start_matches('<')
                    .trim_start_matches('-')
                    .trim_end();
                markers.push(m);
            }
            lex::Kind::CHeredoc => {
                markers.pop();
            }
            lex::Kind::StringLit => {
                let Some(m) = markers.last() else { continue };
                let at_line_start =
                    t.offset == 0 || text.as_bytes().get(t.offset - 1) == Some(&b'\n');
                let body = t.text.trim_start();
                if at_line_start && body.starts_with(m) && body.trim_end() != *m {
                    let lead = t.text.len() - body.len();
                    let buf = for_parser.get_or_insert_with(|| text.as_bytes().to_vec());
                    let i = t.offset + lead;
                    if buf[i].is_ascii() {
                        buf[i] = if buf[i] == b'_' { b'x' } else { b'_' };
                    }
                }
            }
            _ => {}
        }
    }
    // HCL lets a unary `-` or `!` stand at the end of a line inside brackets; hcl-edit does not,
    // so it sees a space there instead (the operand alone has the same validity)
    let mut open: Vec<lex::Kind> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            lex::Kind::OParen
            | lex::Kind::OBrack
            | lex::Kind::OBrace
            | lex::Kind::TemplateInterp
            | lex::Kind::TemplateControl => open.push(t.kind),
            lex::Kind::CParen
            | lex::Kind::CBrack
            | lex::Kind::CBrace
            | lex::Kind::TemplateSeqEnd => {
                open.pop();
            }
            _ => {}
        }
        // only where newlines are insignificant: directly inside parentheses or brackets
        if !matches!(t.kind, lex::Kind::Minus | lex::Kind::Bang)
            || !matches!(open.last(), Some(lex::Kind::OParen | lex::Kind::OBrack))
            || tokens
                .get(i + 1)
                .is_none_or(|n| n.kind != lex::Kind::Newline)
        {
            continue;
        }
        let prev = tokens[..i]
            .iter()
            .rev()
            .find(|p| p.kind != lex::Kind::Comment)
            .map(|p| p.kind);
        use lex::Kind as K;
        let unary = t.kind == K::Bang
            || matches!(
                prev,
                None | Some(
                    K::OParen
                        | K::OBrace
                        | K::OBrack
                        | K::Equal
                        | K::Colon
                        | K::Comma
                        | K::Question
                        | K::Plus
                        | K::Star
                        | K::Slash
                        | K::Percent
                        | K::Minus
                        | K::EqualOp
                        | K::NotEqual
                        | K::GreaterThan
                        | K::GreaterThanEq
                        | K::LessThan
                        | K::LessThanEq
                        | K::And
                        | K::Or
                        | K::Bang
                        | K::Newline
                        | K::FatArrow
                        | K::TemplateInterp
                )
            );
        if unary {
            let buf = for_parser.get_or_insert_with(|| text.as_bytes().to_vec());
            buf[t.offset] = b' ';
        }
    }
    for pair in tokens.windows(2) {
        if pair[0].kind == lex::Kind::Dot
            && pair[1].kind == lex::Kind::NumberLit
            && !pair[1].text.bytes().all(|b| b.is_ascii_digit())
        {
            let buf = for_parser.get_or_insert_with(|| text.as_bytes().to_vec());
            let span = pair[1].offset..pair[1].offset + pair[1].text.len();
            for b in &mut buf[span] {
                if !b.is_ascii_digit() {
                    *b = b'0';
                }
            }
        }
    }
    let mut tokens = shape::rewrite(text, tokens)?;
    match &for_parser {
        Some(b) => check_expressions(std::str::from_utf8(b).unwrap_or(text))?,
        None => check_expressions(text)?,
    }
    layout::layout(&mut tokens);
    let mut out = String::with_capacity(text.len() + 64);
    for t in &tokens {
        for _ in 0..t.spaces {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    if !raw {
        return Ok(out.into_bytes());
    }
    let mut bytes = Vec::with_capacity(out.len());
    for c in out.chars() {
        if is_raw_byte(c) {
            bytes.push((c as u32 - RAW_BYTE_BASE) as u8);
        } else {
            let mut b = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    }
    Ok(bytes)
}

/// Whether `src` is already canonical (`Ok(true)`), needs formatting (`Ok(false)`), or is invalid.
pub fn is_canonical(src: &[u8]) -> Result<bool, SyntaxError> {
    Ok(format(src)? == src)
}

/// Expression-level syntax, checked by hcl-edit's parser.
///
/// hcl-edit rejects an object constructor that repeats a key; HCL's parser accepts it (the
/// duplicate is an evaluation error), so such a key is renamed to a fresh one and the text
/// parsed again.
fn check_expressions(text: &str) -> Result<(), SyntaxError> {
    let mut text = std::borrow::Cow::Borrowed(text);
    let mut renamed = 0usize;
    loop {
        let e = match hcl_edit::parser::parse_body(&text) {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let loc = e.location();
        if e.message().contains("redefined object key")
            && renamed < 10_000
            && let Some(fresh) = rename_key(&text, loc.offset(), renamed)
        {
            text = std::borrow::Cow::Owned(fresh);
            renamed += 1;
            continue;
        }
        return Err(SyntaxError {
            summary: "Invalid syntax".to_string(),
            detail: e.message().to_string(),
            line: loc.line(),
            column: loc.column(),
        });
    }
}

/// `text` with the object key at `offset` (an identifier or a quoted string) replaced by a
/// name no configuration uses; None when there is no such key there.
fn rename_key(text: &str, offset: usize, n: usize) -> Option<String> {
    let rest = text.get(offset..)?;
    let (start, len) = if let Some(q) = rest.strip_prefix('"') {
        (offset + 1, q.find(['"', '\\', '$', '%', '\n'])?)
    } else {
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        (offset, len)
    };
    if len == 0 && !rest.starts_with('"') {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 24);
    out.push_str(&text[..start]);
    out.push_str(&format!("cairn_fmt_dup_key_{n}"));
    out.push_str(&text[start + len..]);
    Some(out)
}

#[cfg(test)]
mod tests;
