//! `format` and `formatlist`: Go-style verbs (`%s %d %f %v %q %t %e %g %x %b %o %%`) with
//! flags, width, precision and argument indexes, as Terraform implements them.

use super::*;

pub(super) struct Verb {
    minus: bool,
    plus: bool,
    zero: bool,
    sharp: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
    verb: char,
}

pub(super) fn fn_format(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a[0].is_null() {
        return Err(arg_err(0, "argument must not be null"));
    }
    // An untyped null argument makes the result unknown; the evaluator decides that (it knows
    // the arguments' types). A typed null reaching here cannot be formatted.
    let fmt = string(&a, 0)?;
    format_with(&fmt, &a[1..]).map(Value::String)
}

pub(super) fn format_with(fmt: &str, args: &[Value]) -> Result<String, FnError> {
    // Scanned by byte: everything a verb is made of is ASCII but the verb letter, and text
    // between verbs is copied as it is. Offsets in messages count bytes, as Terraform's do.
    let b = fmt.as_bytes();
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut i = 0;
    let mut next_arg = 0usize;
    let mut max_used = 0usize;
    while i < b.len() {
        let next = memchr::memchr(b'%', &b[i..]).map_or(b.len(), |p| i + p);
        out.push_str(&fmt[i..next]);
        i = next;
        if i == b.len() {
            break;
        }
        let start = i;
        i += 1;
        if b.get(i) == Some(&b'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut v = Verb {
            minus: false,
            plus: false,
            zero: false,
            sharp: false,
            space: false,
            width: None,
            prec: None,
            verb: ' ',
        };
        while let Some(&ch) = b.get(i) {
            match ch {
                b'-' => v.minus = true,
                b'+' => v.plus = true,
                b'0' => v.zero = true,
                b'#' => v.sharp = true,
                b' ' => v.space = true,
                _ => break,
            }
            i += 1;
        }
        if b.get(i) == Some(&b'[') {
            let close = b[i..].iter().position(|&c| c == b']').map(|p| p + i);
            let Some(close) = close else {
                return Err(FnError::Call(format!("unclosed argument index at {start}")));
            };
            let idx = &fmt[i + 1..close];
            match idx.parse::<usize>() {
                Ok(n) if n >= 1 => next_arg = n - 1,
                _ => {
                    return Err(FnError::Call(format!(
                        "invalid argument index {idx:?} at {start}"
                    )));
                }
            }
            i = close + 1;
        }
        let digits = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i > digits {
            v.width = fmt[digits..i].parse().ok().map(|w: usize| w.min(1024));
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let digits = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            v.prec = Some(fmt[digits..i].parse::<usize>().unwrap_or(0).min(1024));
        }
        let Some(verb) = fmt[i..].chars().next() else {
            return Err(FnError::Call(format!(
                "invalid format string starting at offset {start}"
            )));
        };
        i += verb.len_utf8();
        v.verb = verb;
        let spec = &fmt[start..i];
        let Some(arg) = args.get(next_arg) else {
            return Err(FnError::Call(format!(
                "not enough arguments for {spec:?} at {start}: need index {} but have {} total",
                next_arg + 1,
                args.len()
            )));
        };
        next_arg += 1;
        max_used = max_used.max(next_arg);
        let body = format_one(&v, arg, spec, start)?;
        pad_into(&mut out, &v, &body);
    }
    if max_used < args.len() {
        return Err(FnError::Arg(
            1,
            format!("too many arguments; only {max_used} used by format string"),
        ));
    }
    Ok(out)
}

/// `body` padded to the verb's width, written to `out`.
fn pad_into(out: &mut String, v: &Verb, body: &str) {
    let fill = v
        .width
        .map_or(0, |w| w.saturating_sub(body.chars().count()));
    let repeat = |out: &mut String, c: char| out.extend(std::iter::repeat_n(c, fill));
    if fill == 0 {
        out.push_str(body);
    } else if v.minus {
        out.push_str(body);
        repeat(out, ' ');
    } else if v.zero
        && matches!(
            v.verb,
            'd' | 'f' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'b'
        )
    {
        let digits = body.strip_prefix(['-', '+']).unwrap_or(body);
        out.push_str(&body[..body.len() - digits.len()]);
        repeat(out, '0');
        out.push_str(digits);
    } else {
        repeat(out, ' ');
        out.push_str(body);
    }
}

pub(super) fn format_one(v: &Verb, arg: &Value, spec: &str, at: usize) -> Result<String, FnError> {
    let unsupported =
        |what: &str| FnError::Call(format!("unsupported value for {spec:?} at {at}: {what}"));
    if arg.is_null() && v.verb != 'v' {
        return Err(unsupported("null value cannot be formatted"));
    }
    let as_num = || match convert(arg.clone(), &Type::Number) {
        Ok(Value::Number(n)) => Ok(n),
        _ => Err(unsupported("number required")),
    };
    let sign = |x: &Number, s: String| {
        if v.plus && !x.is_sign_negative() {
            format!("+{s}")
        } else if v.space && !x.is_sign_negative() {
            format!(" {s}")
        } else {
            s
        }
    };
    // Go's formatting of a `big.Float`: `%e %f` default to 6 digits, `%g` to the shortest.
    let float = |verb: char, prec: Option<usize>| -> Result<String, FnError> {
        let x = as_num()?;
        let s = x.format_go(verb, prec).unwrap_or_default();
        Ok(sign(&x, s))
    };
    Ok(match v.verb {
        'v' => {
            if v.sharp {
                json_string(arg)
            } else {
                match arg.strip_marks_ref() {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.format_go('g', None).unwrap_or_default(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => "null".into(),
                    _ => json_string(arg),
                }
            }
        }
        's' => match convert(arg.clone(), &Type::String) {
            Ok(Value::String(s)) => match v.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            },
            _ => return Err(unsupported("string required")),
        },
        'q' => match convert(arg.clone(), &Type::String) {
            Ok(Value::String(s)) => go_quote(&s),
            _ => return Err(unsupported("string required")),
        },
        't' => match convert(arg.clone(), &Type::Bool) {
            Ok(Value::Bool(b)) => b.to_string(),
            _ => return Err(unsupported("bool required")),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            if matches!(v.verb, 'x' | 'X')
                && let Value::String(s) = arg.strip_marks_ref()
                && parse_number(s).is_none()
            {
                let h = super::crypto::hex(s.as_bytes());
                return Ok(if v.verb == 'X' { h.to_uppercase() } else { h });
            }
            let x = as_num()?;
            let radix = match v.verb {
                'd' => 10,
                'b' => 2,
                'o' => 8,
                _ => 16,
            };
            let Some(text) = x.to_int_string(radix) else {
                return Err(unsupported("an integer is required"));
            };
            let text = if v.verb == 'X' {
                text.to_uppercase()
            } else {
                text
            };
            sign(&x, text)
        }
        'f' | 'F' => float('f', Some(v.prec.unwrap_or(6)))?,
        'e' | 'E' => float(v.verb, Some(v.prec.unwrap_or(6)))?,
        'g' | 'G' => float(v.verb, v.prec)?,
        other => {
            return Err(FnError::Call(format!(
                "unsupported format verb {other:?} in {spec:?} at offset {at}"
            )));
        }
    })
}

/// Go's `%q`: a double-quoted string with Go escapes.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn fn_formatlist(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a[0].is_null() {
        return Err(arg_err(0, "argument must not be null"));
    }
    let fmt = string(&a, 0)?;
    let args = &a[1..];
    let mut n: Option<(usize, usize)> = None;
    for (i, x) in args.iter().enumerate() {
        if let Some(xs) = x.as_seq() {
            match n {
                None => n = Some((xs.len(), i)),
                Some((len, j)) if len != xs.len() => {
                    return Err(arg_err(
                        i + 1,
                        format!(
                            "argument {} has length {}, which is inconsistent with argument {} of length {len}",
                            i + 1,
                            xs.len(),
                            j + 1
                        ),
                    ));
                }
                _ => {}
            }
        }
    }
    let count = n.map(|(len, _)| len).unwrap_or(1);
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let row: Vec<Value> = args
            .iter()
            .map(|x| match x.as_seq() {
                Some(xs) => xs.get(k).cloned().unwrap_or(Value::Null),
                None => x.clone(),
            })
            .collect();
        let text = format_with(&fmt, &row).map_err(|e| match e {
            FnError::Call(m) => FnError::Call(format!("error on format iteration {k}: {m}")),
            other => other,
        })?;
        out.push(Value::String(text));
    }
    Ok(Value::List(out))
}
