//! JSON and base64 encodings.

use super::*;

pub(super) fn json_string(v: &Value) -> String {
    let s = serde_json::to_string(&v.to_json()).unwrap_or_else(|_| "null".into());
    // Go's encoder escapes HTML-significant characters; Terraform's output does too.
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub(super) fn fn_jsonencode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    Ok(Value::String(json_string(&a[0])))
}

pub(super) fn fn_jsondecode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let j: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| FnError::Call(e.to_string()))?;
    Ok(Value::from_json(&j))
}

pub(super) fn fn_base64decode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|_| FnError::Call(format!("failed to decode base64 data {s:?}")))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        arg_err(
            0,
            "the result of decoding the provided string is not valid UTF-8",
        )
    })
}
