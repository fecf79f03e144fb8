//! String functions: case, trimming, searching, replacing (plain and regex), splitting and
//! joining.

use super::*;

/// Go's `strings.Title`: upper-cases the first letter of each word.
pub(super) fn title(s: &str) -> String {
    fn separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphanumeric() {
            return false;
        }
        c.is_whitespace()
    }
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = separator(c);
    }
    out
}

pub(super) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub(super) fn compile_regex(a: &[Value], i: usize) -> Result<regex::Regex, FnError> {
    let p = string(a, i)?;
    regex::Regex::new(&p).map_err(|e| arg_err(i, format!("invalid regular expression: {e}")))
}

/// The result of one regex match as Terraform's `regex` shapes it: the match, a list of
/// captures, or an object of named captures.
pub(super) fn regex_match(re: &regex::Regex, caps: &regex::Captures<'_>) -> Value {
    let get = |i: usize| {
        caps.get(i)
            .map(|m| Value::string(m.as_str()))
            .unwrap_or(Value::Null)
    };
    if re.captures_len() == 1 {
        return get(0);
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().all(Option::is_some) {
        return Value::Object(
            names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), get(i + 1))))
                .collect(),
        );
    }
    Value::Tuple((1..re.captures_len()).map(get).collect())
}

pub(super) fn fn_regex(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let re = compile_regex(&a, 0)?;
    let s = string(&a, 1)?;
    match re.captures(&s) {
        Some(c) => Ok(regex_match(&re, &c)),
        None => Err(FnError::Call(
            "pattern did not match any part of the given string".into(),
        )),
    }
}

pub(super) fn fn_regexall(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let re = compile_regex(&a, 0)?;
    let s = string(&a, 1)?;
    Ok(Value::List(
        re.captures_iter(&s).map(|c| regex_match(&re, &c)).collect(),
    ))
}

pub(super) fn fn_trim(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (s, cut) = (string(&a, 0)?, string(&a, 1)?);
    Ok(Value::String(
        s.trim_matches(|c| cut.contains(c)).to_string(),
    ))
}

pub(super) fn fn_replace(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (s, sub, rep) = (string(&a, 0)?, string(&a, 1)?, string(&a, 2)?);
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = regex::Regex::new(&sub[1..sub.len() - 1])
            .map_err(|e| FnError::Call(format!("error parsing regexp: {e}")))?;
        return Ok(Value::String(re.replace_all(&s, rep.as_str()).into_owned()));
    }
    if sub.is_empty() {
        // Go's strings.Replace with an empty pattern inserts between every character.
        let mut out = rep.clone();
        for c in s.chars() {
            out.push(c);
            out.push_str(&rep);
        }
        return Ok(Value::String(out));
    }
    Ok(Value::String(s.replace(&sub, &rep)))
}

pub(super) fn fn_substr(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let (off, len) = (integer(&a, 1)?, integer(&a, 2)?);
    // The grapheme range [start, end) of a string of `n` graphemes, if not empty.
    let range = |n: i64| {
        let start = if off < 0 { (n + off).max(0) } else { off };
        let end = if len < 0 { n } else { (start + len).min(n) };
        (start < n).then_some((start as usize, end.max(start) as usize))
    };
    // ASCII text without "\r\n" (one grapheme of two bytes) has one grapheme per byte.
    if s.is_ascii() && !s.contains("\r\n") {
        return Ok(Value::string(
            range(s.len() as i64).map_or("", |(start, end)| &s[start..end]),
        ));
    }
    use unicode_segmentation::UnicodeSegmentation as _;
    let chars: Vec<&str> = s.graphemes(true).collect();
    Ok(Value::String(
        range(chars.len() as i64)
            .map_or_else(String::new, |(start, end)| chars[start..end].concat()),
    ))
}

pub(super) fn fn_indent(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let n = integer(&a, 0)?.clamp(0, 1024) as usize;
    let s = string(&a, 1)?;
    let pad = " ".repeat(n);
    Ok(Value::String(s.replace('\n', &format!("\n{pad}"))))
}

pub(super) fn fn_join(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let sep = string(&a, 0)?;
    if a.len() < 2 {
        return Err(FnError::Call("at least one list is required".into()));
    }
    let mut parts = Vec::new();
    for i in 1..a.len() {
        for (j, x) in seq(&a, i)?.into_iter().enumerate() {
            if x.is_null() {
                return Err(arg_err(
                    i,
                    format!("element {j} is null; cannot concatenate null values"),
                ));
            }
            match convert(x, &Type::String) {
                Ok(Value::String(s)) => parts.push(s),
                _ => return Err(arg_err(i, format!("element {j}: string required"))),
            }
        }
    }
    Ok(Value::String(parts.join(&sep)))
}

pub(super) fn fn_split(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (sep, s) = (string(&a, 0)?, string(&a, 1)?);
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::string).collect()
    };
    Ok(Value::List(parts))
}
