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
    if base > 36 {
        return Err(arg_err(1, "bases above 36 are not supported yet"));
    }
    i64::from_str_radix(&s, base as u32)
        .map(Value::number)
        .map_err(|_| arg_err(0, format!("cannot parse {s:?} as a base {base} integer")))
}
