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
    // Terraform's format yields an unknown string when any argument is null.
    if a[1..].iter().any(Value::is_null) {
        return Ok(Value::Unknown);
    }
    let fmt = string(&a, 0)?;
    format_with(&fmt, &a[1..]).map(Value::String)
}

pub(super) fn format_with(fmt: &str, args: &[Value]) -> Result<String, FnError> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut next_arg = 0usize;
    let mut max_used = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if chars.get(i) == Some(&'%') {
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
        while let Some(&ch) = chars.get(i) {
            match ch {
                '-' => v.minus = true,
                '+' => v.plus = true,
                '0' => v.zero = true,
                '#' => v.sharp = true,
                ' ' => v.space = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..].iter().position(|&c| c == ']').map(|p| p + i);
            let Some(close) = close else {
                return Err(FnError::Call(format!("unclosed argument index at {start}")));
            };
            let idx: String = chars[i + 1..close].iter().collect();
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
        let mut digits = String::new();
        while let Some(ch) = chars.get(i).filter(|c| c.is_ascii_digit()) {
            digits.push(*ch);
            i += 1;
        }
        if !digits.is_empty() {
            v.width = digits.parse().ok().map(|w: usize| w.min(1024));
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut digits = String::new();
            while let Some(ch) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                digits.push(*ch);
                i += 1;
            }
            v.prec = Some(digits.parse::<usize>().unwrap_or(0).min(1024));
        }
        let Some(&verb) = chars.get(i) else {
            return Err(FnError::Call(format!(
                "invalid format string starting at offset {start}"
            )));
        };
        i += 1;
        v.verb = verb;
        let spec: String = chars[start..i].iter().collect();
        let Some(arg) = args.get(next_arg) else {
            return Err(FnError::Call(format!(
                "not enough arguments for {spec:?} at {start}: need index {} but have {} total",
                next_arg + 1,
                args.len()
            )));
        };
        next_arg += 1;
        max_used = max_used.max(next_arg);
        let body = format_one(&v, arg, &spec, start)?;
        out.push_str(&pad(&v, body));
    }
    if max_used < args.len() {
        return Err(FnError::Arg(
            1,
            format!("too many arguments; only {max_used} used by format string"),
        ));
    }
    Ok(out)
}

pub(super) fn pad(v: &Verb, body: String) -> String {
    let Some(w) = v.width else { return body };
    let len = body.chars().count();
    if len >= w {
        return body;
    }
    let fill = w - len;
    if v.minus {
        format!("{body}{}", " ".repeat(fill))
    } else if v.zero
        && matches!(
            v.verb,
            'd' | 'f' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'b'
        )
    {
        let (sign, digits) = match body.strip_prefix(['-', '+']) {
            Some(rest) => (&body[..1], rest.to_string()),
            None => ("", body.clone()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

pub(super) fn format_one(v: &Verb, arg: &Value, spec: &str, at: usize) -> Result<String, FnError> {
    let unsupported =
        |what: &str| FnError::Call(format!("unsupported value for {spec:?} at {at}: {what}"));
    if arg.is_null() && v.verb != 'v' {
        return Err(unsupported("null value cannot be formatted"));
    }
    let as_num = || match convert(arg.clone(), &Type::Number) {
        Ok(Value::Number(n)) => Ok(n.as_f64()),
        _ => Err(unsupported("number required")),
    };
    let sign = |x: f64, s: String| {
        if v.plus && x >= 0.0 {
            format!("+{s}")
        } else if v.space && x >= 0.0 {
            format!(" {s}")
        } else {
            s
        }
    };
    Ok(match v.verb {
        'v' => {
            if v.sharp {
                json_string(arg)
            } else {
                match arg.strip_marks_ref() {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
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
                let h = hex::encode(s.as_bytes());
                return Ok(if v.verb == 'X' { h.to_uppercase() } else { h });
            }
            let x = as_num()?;
            if x.fract() != 0.0 || x.abs() > 9.0e15 {
                return Err(unsupported("an integer is required"));
            }
            let n = x as i64;
            let mag = n.unsigned_abs();
            let digits = match v.verb {
                'd' => mag.to_string(),
                'b' => format!("{mag:b}"),
                'o' => format!("{mag:o}"),
                'x' => format!("{mag:x}"),
                _ => format!("{mag:X}"),
            };
            sign(x, if n < 0 { format!("-{digits}") } else { digits })
        }
        'f' | 'F' => {
            let x = as_num()?;
            sign(x, format!("{:.*}", v.prec.unwrap_or(6), x))
        }
        'e' | 'E' => {
            let x = as_num()?;
            let s = go_exp(x, v.prec.unwrap_or(6));
            sign(x, if v.verb == 'E' { s.to_uppercase() } else { s })
        }
        'g' | 'G' => {
            let x = as_num()?;
            let s = go_g(x, v.prec);
            sign(x, if v.verb == 'G' { s.to_uppercase() } else { s })
        }
        other => {
            return Err(FnError::Call(format!(
                "unsupported format verb {other:?} in {spec:?} at {at}"
            )));
        }
    })
}

/// `%e` as Go prints it: a two-digit exponent at least (`1.234500e+03`).
pub(super) fn go_exp(x: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, x);
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// `%g`: the shortest representation, switching to exponent form for large or small exponents.
pub(super) fn go_g(x: f64, prec: Option<usize>) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    let p = prec.map(|p| p.max(1) as i32);
    let limit = p.unwrap_or(21);
    if exp < -4 || exp >= limit {
        let s = match p {
            Some(p) => go_exp(x, (p - 1) as usize),
            None => {
                let s = format!("{x:e}");
                let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', e),
                };
                return format!("{m}e{sign}{digits:0>2}");
            }
        };
        // Trim trailing zeros of the mantissa.
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    } else {
        match p {
            Some(p) => {
                let decimals = (p - 1 - exp).max(0) as usize;
                let s = format!("{:.*}", decimals, x);
                if s.contains('.') {
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    s
                }
            }
            None => format!("{x}"),
        }
    }
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
        out.push(Value::String(format_with(&fmt, &row)?));
    }
    Ok(Value::List(out))
}
