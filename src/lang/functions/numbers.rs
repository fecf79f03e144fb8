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
    Ok(Value::Number(best))
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
    let err = || arg_err(0, format!("cannot parse {s:?} as a base {base} integer"));
    // Go's big.Int digits (0-9, a-z, then A-Z above base 36), exact however large.
    Number::parse_int(&s, base as u32)
        .map(Value::Number)
        .ok_or_else(err)
}

pub(super) fn fn_log(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (x, base) = (float(&a, 0)?, float(&a, 1)?);
    let r = x.ln() / base.ln();
    if r.is_nan() {
        return Err(FnError::Call("the result is not a number".into()));
    }
    num_value(r)
}
