//! The whitespace pass of `cairn fmt`: recomputes the spaces before every token the way
//! HCL's `hclwrite` does. Each line is split into cells — lead, assignment (from `=`), and a
//! trailing comment — then indentation follows the net brackets opened per line, tokens get
//! one space or none by the rules in [`space_after`], and the `=` and comment cells of
//! consecutive lines are aligned. Changes nothing but the spaces.

use super::lex::{Kind, Token};

type Cell = Option<(usize, usize)>;

#[derive(Clone, Copy, Debug, Default)]
struct Line {
    lead: (usize, usize),
    assign: Cell,
    comment: Cell,
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

fn is_newline(t: &Token<'_>) -> bool {
    t.kind == Kind::Newline || (t.kind == Kind::Comment && t.text.ends_with('\n'))
}

/// Rewrites `spaces` of every token in place.
pub(crate) fn layout(toks: &mut [Token<'_>]) {
    let lines = split_lines(toks);
    indent(toks, &lines);
    spaces(toks, &lines);
    align(toks, &lines);
}

fn split_lines(toks: &[Token<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.kind == Kind::Eof {
            lines.push(Line {
                lead: (start, i),
                ..Line::default()
            });
            start = usize::MAX;
            break;
        }
        if is_newline(t) {
            lines.push(Line {
                lead: (start, i + 1),
                ..Line::default()
            });
            start = i + 1;
        }
    }
    if start < toks.len() {
        lines.push(Line {
            lead: (start, toks.len()),
            ..Line::default()
        });
    }
    for line in &mut lines {
        let (s, mut e) = line.lead;
        if e == s {
            continue;
        }
        if e - s > 1 && toks[e - 1].kind == Kind::Comment {
            line.comment = Some((e - 1, e));
            e -= 1;
            line.lead = (s, e);
        }
        for i in s + 1..e {
            if toks[i].kind == Kind::Equal {
                let net: i64 = toks[i..e].iter().map(|t| bracket_change(t.kind)).sum();
                if net == 0 {
                    line.assign = Some((i, e));
                    line.lead = (s, i);
                }
                break;
            }
        }
    }
    lines
}

fn indent(toks: &mut [Token<'_>], lines: &[Line]) {
    let mut indents: Vec<i64> = Vec::new();
    for line in lines {
        let (s, e) = line.lead;
        if s == e {
            continue;
        }
        if toks[s].kind == Kind::Newline {
            toks[s].spaces = 0;
            continue;
        }
        let mut net = 0;
        for t in &toks[s..e] {
            net += bracket_change(t.kind);
            if t.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some((a, b)) = line.assign {
            net += toks[a..b]
                .iter()
                .map(|t| bracket_change(t.kind))
                .sum::<i64>();
        }
        if net > 0 {
            toks[s].spaces = 2 * indents.len();
            indents.push(net);
        } else {
            if net < 0 {
                let mut closed = -net;
                while closed > 0 {
                    let Some(top) = indents.last_mut() else { break };
                    if closed > *top {
                        closed -= *top;
                        indents.pop();
                    } else if closed < *top {
                        *top -= closed;
                        closed = 0;
                    } else {
                        indents.pop();
                        closed = 0;
                    }
                }
            }
            toks[s].spaces = 2 * indents.len();
        }
    }
}

fn spaces(toks: &mut [Token<'_>], lines: &[Line]) {
    for line in lines {
        cell_spaces(toks, line.lead);
        if let Some((a, b)) = line.assign {
            toks[a].spaces = 1;
            cell_spaces(toks, (a, b));
        }
    }
}

fn cell_spaces(toks: &mut [Token<'_>], (s, e): (usize, usize)) {
    for i in s..e {
        if i + 1 >= e {
            continue;
        }
        let before = if i > s { Some(toks[i - 1].kind) } else { None };
        let space = space_after(&toks[i], before, &toks[i + 1]);
        toks[i + 1].spaces = usize::from(space);
    }
}

/// Whether `subject` is followed by a space, given its neighbours (`before` is None at the
/// start of a cell).
fn space_after(subject: &Token<'_>, before: Option<Kind>, after: &Token<'_>) -> bool {
    use Kind::*;
    let s = subject.kind;
    let a = after.kind;
    if a == Newline {
        return false;
    }
    if s == Ident && a == OParen {
        return false;
    }
    if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) {
        return false;
    }
    if s == Dot || a == Dot {
        return false;
    }
    if a == Comma || a == Ellipsis {
        return false;
    }
    if s == Comma {
        return true;
    }
    if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
        || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc)
    {
        return false;
    }
    if s == Ident && subject.text == "in" && before == Some(Ident) {
        return true;
    }
    if a == OBrack && (s == Ident || s == NumberLit || bracket_change(s) < 0) {
        return false;
    }
    if s == Bang {
        return false;
    }
    if s == Minus {
        return !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | GreaterThan
                    | GreaterThanEq
                    | LessThan
                    | LessThanEq
                    | And
                    | Or
                    | Bang
            )
        );
    }
    if s == OBrace || a == CBrace {
        return !(s == OBrace && a == CBrace);
    }
    if matches!(s, TemplateInterp | TemplateControl) && a == OBrace {
        return true;
    }
    if s == CBrace && a == TemplateSeqEnd {
        return true;
    }
    if s == TemplateSeqEnd && matches!(a, TemplateInterp | TemplateControl) {
        return false;
    }
    if bracket_change(s) > 0 {
        return false;
    }
    if bracket_change(a) < 0 {
        return false;
    }
    true
}

/// Width of a cell in user-perceived characters (hclwrite counts grapheme clusters).
fn columns(toks: &[Token<'_>], cell: (usize, usize)) -> usize {
    toks[cell.0..cell.1]
        .iter()
        .map(|t| t.spaces + graphemes(&t.text))
        .sum()
}

/// Grapheme clusters, approximated: a character starts a new cluster unless it extends the
/// previous one (combining marks, variation selectors, emoji modifiers and tags, a zero-width
/// joiner and the character it joins, the second of a regional-indicator pair, CR before LF).
fn graphemes(s: &str) -> usize {
    if s.is_ascii() {
        return s.len() - s.matches("\r\n").count();
    }
    let mut n = 0;
    let mut prev: Option<char> = None;
    let mut regional_open = false;
    for c in s.chars() {
        let u = c as u32;
        let extends = matches!(u,
            0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
            | 0x0670 | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x0900..=0x0903 | 0x093A..=0x094F
            | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
            | 0x200C | 0x200D | 0x20D0..=0x20FF | 0x302A..=0x302F | 0x3099 | 0x309A
            | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F
            | 0xE0100..=0xE01EF)
            || prev == Some('\u{200D}')
            || (c == '\n' && prev == Some('\r'));
        let regional = (0x1F1E6..=0x1F1FF).contains(&u);
        let joins_pair = regional && regional_open;
        regional_open = regional && !joins_pair;
        if !(extends || joins_pair) || prev.is_none() {
            n += 1;
        }
        prev = Some(c);
    }
    n
}

fn align(toks: &mut [Token<'_>], lines: &[Line]) {
    // `=` of consecutive assignment lines
    let mut chain: Option<usize> = None;
    let mut max = 0;
    let close_assign = |toks: &mut [Token<'_>], from: usize, to: usize, max: usize| {
        for line in &lines[from..to] {
            let cols = columns(toks, line.lead);
            if let Some((a, _)) = line.assign {
                toks[a].spaces = max - cols + 1;
            }
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if line.assign.is_none() {
            if let Some(from) = chain.take() {
                close_assign(toks, from, i, max);
                max = 0;
            }
        } else {
            chain.get_or_insert(i);
            max = max.max(columns(toks, line.lead));
        }
    }
    if let Some(from) = chain.take() {
        close_assign(toks, from, lines.len(), max);
    }

    // trailing comments of consecutive lines
    let width = |toks: &[Token<'_>], line: &Line| {
        columns(toks, line.lead) + line.assign.map_or(0, |c| columns(toks, c))
    };
    let mut max = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.comment.is_none() {
            if let Some(from) = chain.take() {
                for l in &lines[from..i] {
                    let w = width(toks, l);
                    if let Some((c, _)) = l.comment {
                        toks[c].spaces = max - w + 1;
                    }
                }
                max = 0;
            }
        } else {
            chain.get_or_insert(i);
            max = max.max(width(toks, line));
        }
    }
    if let Some(from) = chain.take() {
        for l in &lines[from..] {
            let w = width(toks, l);
            if let Some((c, _)) = l.comment {
                toks[c].spaces = max - w + 1;
            }
        }
    }
}
