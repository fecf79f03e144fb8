//! Numeric functions beyond the simple ones in the table.

use super::*;

pub(super) fn minmax(a: Vec<Value>, min: bool) -> Result<Value, FnError> {
    if a.is_empty() {
        return Err(FnError::Call("must pass at least one number".into()));
    }
    let mut best = number(&a, 0)?;
    for i in 1..a.len() {
        let x = number(&a, i)?;
        if (min && x < best) || (!min && x > best) {
            best = x;
        }
    }
    num_value(best)
}

pub(super) fn fn_parseint(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let base = integer(&a, 1)?;
    if !(2..=62).contains(&base) {
        return Err(arg_err(
            1,
            "base must be a whole number between 2 and 62 inclusive",
        ));
    }
    // Go's big.Int digits: 0-9, then a-z, then (above base 36) A-Z; below 37 letters are
    // case-insensitive.
    let err = || arg_err(0, format!("cannot parse {s:?} as a base {base} integer"));
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return Err(err()),
        };
        if d as i64 >= base {
            return Err(err());
        }
        total = total * base as f64 + d as f64;
    }
    num_value(if neg { -total } else { total })
}

pub(super) fn fn_log(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (x, base) = (number(&a, 0)?, number(&a, 1)?);
    let r = x.ln() / base.ln();
    if r.is_nan() {
        return Err(FnError::Call("the result is not a number".into()));
    }
    num_value(r)
}
