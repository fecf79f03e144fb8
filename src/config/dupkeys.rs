//! Object constructors that repeat a key (`{ a = 1, a = 2 }`): HCL accepts them and Terraform
//! keeps the last value, but hcl-edit's parser rejects them. [`drop_earlier_entry`] blanks the
//! earlier entry with spaces (newlines kept), so every byte offset and line stays where it was
//! and the parse gives what Terraform evaluates. Works on tokens only; it must not parse or
//! evaluate anything else.

use crate::fmt::lex::{self, Kind};

fn opens(k: Kind) -> bool {
    matches!(
        k,
        Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::OQuote
            | Kind::OHeredoc
            | Kind::TemplateInterp
            | Kind::TemplateControl
    )
}

fn closes(k: Kind) -> bool {
    matches!(
        k,
        Kind::CBrace
            | Kind::CBrack
            | Kind::CParen
            | Kind::CQuote
            | Kind::CHeredoc
            | Kind::TemplateSeqEnd
    )
}

/// `text` with the earlier entry of the object key that hcl-edit reported as repeated at byte
/// `offset` blanked out; None when no such entry is found.
pub(crate) fn drop_earlier_entry(text: &str, offset: usize) -> Option<String> {
    let toks = lex::lex(text).ok()?;
    let at = toks.iter().position(|t| t.offset >= offset)?;
    let key_of = |i: usize| -> Option<(String, usize)> {
        // A key: an identifier, or a quoted string without interpolation. Returns the key and
        // the index of its last token.
        match toks.get(i)?.kind {
            Kind::Ident => Some((toks[i].text.to_string(), i)),
            Kind::OQuote => match (toks.get(i + 1)?.kind, toks.get(i + 2)?.kind) {
                (Kind::QuotedLit, Kind::CQuote) => Some((toks[i + 1].text.to_string(), i + 2)),
                (Kind::CQuote, _) => Some((String::new(), i + 1)),
                _ => None,
            },
            _ => None,
        }
    };
    let (key, _) = key_of(at)?;
    // The enclosing `{`.
    let mut depth = 0usize;
    let mut open = None;
    for i in (0..at).rev() {
        let k = toks[i].kind;
        if closes(k) {
            depth += 1;
        } else if opens(k) {
            if depth == 0 {
                if k == Kind::OBrace {
                    open = Some(i);
                }
                break;
            }
            depth -= 1;
        }
    }
    let open = open?;
    // Walk the entries at the object's own level; blank the first one with the same key.
    let mut i = open + 1;
    while i < at {
        match toks[i].kind {
            Kind::Newline | Kind::Comment | Kind::Comma => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let start = i;
        let this = key_of(i);
        // The entry runs to a newline or comma at this level, or the closing brace.
        let mut depth = 0usize;
        let mut end = i;
        while end < toks.len() {
            let k = toks[end].kind;
            if depth == 0 && (k == Kind::Newline || k == Kind::Comma || k == Kind::CBrace) {
                break;
            }
            if opens(k) {
                depth += 1;
            } else if closes(k) {
                depth = depth.saturating_sub(1);
            }
            end += 1;
        }
        let sep = toks.get(this.as_ref().map_or(start, |(_, last)| last + 1));
        let is_entry = sep.is_some_and(|t| matches!(t.kind, Kind::Equal | Kind::Colon));
        if is_entry && this.as_ref().is_some_and(|(k, _)| *k == key) && start < at {
            let from = toks[start].offset;
            let to = match toks.get(end) {
                Some(t) if t.kind == Kind::Comma => t.offset + 1,
                Some(t) => t.offset,
                None => text.len(),
            };
            let blanked: String = text[from..to]
                .chars()
                .map(|c| {
                    if c == '\n' {
                        "\n".to_string()
                    } else {
                        " ".repeat(c.len_utf8())
                    }
                })
                .collect();
            return Some(format!("{}{blanked}{}", &text[..from], &text[to..]));
        }
        i = end.max(i + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::drop_earlier_entry;

    #[test]
    fn the_earlier_entry_is_blanked_and_offsets_stay() {
        let src = "x = {\n  a = 1\n  b = { c = 2 }\n  a = \"${var.x}\"\n}\n";
        let at = src.rfind("a =").unwrap();
        let out = drop_earlier_entry(src, at).unwrap();
        assert_eq!(out.len(), src.len());
        assert_eq!(
            out,
            "x = {\n       \n  b = { c = 2 }\n  a = \"${var.x}\"\n}\n"
        );
        assert!(hcl_edit::parser::parse_body(&out).is_ok());
    }

    #[test]
    fn quoted_keys_and_commas_on_one_line() {
        let src = "x = { \"k\" = [1, 2], y = 1, \"k\" = 3 }\n";
        let at = src.rfind("\"k\"").unwrap();
        let out = drop_earlier_entry(src, at).unwrap();
        assert_eq!(out, src.replacen("\"k\" = [1, 2],", &" ".repeat(13), 1));
    }

    #[test]
    fn nothing_to_drop_is_none() {
        assert_eq!(drop_earlier_entry("x = { a = 1 }\n", 6), None);
    }
}
