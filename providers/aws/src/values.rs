//! Small helpers to read typed attributes out of a `cairn_provider::Value` object and to build
//! one. Null and unknown read as absent. No API calls and no resource knowledge here.

use std::collections::BTreeMap;

use cairn_provider::Value;

fn known<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let a = v.get_attr(name)?.strip_marks_ref();
    if a.is_null() || a.is_unknown() {
        None
    } else {
        Some(a)
    }
}

/// A string attribute; `None` when null, unknown or absent. Empty strings count as absent too
/// (Terraform's SDK treats `""` as unset for optional strings).
pub(crate) fn get_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    known(v, name)?.as_str().filter(|s| !s.is_empty())
}

pub(crate) fn get_bool(v: &Value, name: &str) -> Option<bool> {
    known(v, name)?.as_bool()
}

pub(crate) fn get_i64(v: &Value, name: &str) -> Option<i64> {
    known(v, name)?.as_number()?.as_i64()
}

/// A list or set attribute's elements (empty when absent).
pub(crate) fn get_list<'a>(v: &'a Value, name: &str) -> &'a [Value] {
    known(v, name).and_then(|x| x.as_seq()).unwrap_or_default()
}

/// A list or set of strings (non-string elements skipped).
pub(crate) fn get_strings(v: &Value, name: &str) -> Vec<String> {
    get_list(v, name)
        .iter()
        .filter_map(|x| x.strip_marks_ref().as_str().map(str::to_string))
        .collect()
}

/// A map-of-strings attribute (empty when absent).
pub(crate) fn get_map(v: &Value, name: &str) -> BTreeMap<String, String> {
    known(v, name)
        .and_then(|x| x.as_map())
        .map(|m| {
            m.iter()
                .filter_map(|(k, x)| Some((k.clone(), x.strip_marks_ref().as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds an object value.
pub(crate) fn obj(items: Vec<(&str, Value)>) -> Value {
    Value::object(items)
}

/// A string value, or null when `s` is `None` or empty.
pub(crate) fn s(x: Option<&str>) -> Value {
    match x {
        Some(v) if !v.is_empty() => Value::string(v),
        _ => Value::Null,
    }
}

/// A string value that is `""` rather than null when absent (Terraform stores computed strings
/// it could not find as `""`).
pub(crate) fn s_or_empty(x: Option<&str>) -> Value {
    Value::string(x.unwrap_or_default())
}

pub(crate) fn b(x: Option<bool>) -> Value {
    x.map(Value::Bool).unwrap_or(Value::Null)
}

pub(crate) fn n(x: Option<i64>) -> Value {
    x.map(Value::number).unwrap_or(Value::Null)
}

/// A set of strings.
pub(crate) fn string_set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
    Value::set(items.into_iter().map(|x| Value::string(x.into())).collect())
}

/// A list of strings.
pub(crate) fn string_list<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
    Value::List(items.into_iter().map(|x| Value::string(x.into())).collect())
}

/// A map of strings.
pub(crate) fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::string(v.clone())))
            .collect(),
    )
}

/// Returns `v` with attribute `name` set.
pub(crate) fn with_attr(v: &Value, name: &str, x: Value) -> Value {
    let mut m = v.as_map().cloned().unwrap_or_default();
    m.insert(name.to_string(), x);
    Value::Object(m)
}

/// The attribute's value, or null.
pub(crate) fn attr(v: &Value, name: &str) -> Value {
    v.get_attr(name).cloned().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_reads_skip_null_and_unknown() {
        let v = obj(vec![
            ("a", Value::string("x")),
            ("e", Value::string("")),
            ("n", Value::number(3)),
            ("b", Value::Bool(true)),
            ("u", Value::Unknown),
            ("z", Value::Null),
            ("l", string_list(["p", "q"])),
            ("m", string_map(&BTreeMap::from([("k".into(), "v".into())]))),
        ]);
        assert_eq!(get_str(&v, "a"), Some("x"));
        assert_eq!(get_str(&v, "e"), None);
        assert_eq!(get_str(&v, "u"), None);
        assert_eq!(get_i64(&v, "n"), Some(3));
        assert_eq!(get_bool(&v, "b"), Some(true));
        assert_eq!(get_bool(&v, "z"), None);
        assert_eq!(get_strings(&v, "l"), vec!["p", "q"]);
        assert_eq!(get_map(&v, "m").get("k").map(String::as_str), Some("v"));
        assert!(get_map(&v, "missing").is_empty());
    }
}
