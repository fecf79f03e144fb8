//! Conversion of values to type constraints, with Terraform's automatic conversions, and the
//! unification of several types into one (for conditionals and `tolist`/`tomap`).
//!
//! Owns only the value↔type rules; it must not evaluate expressions.

use std::collections::BTreeMap;

use cairn_provider::{Number, Type, Value, ValueMap};

/// Converts `v` to type `ty` (string↔number↔bool, tuple→list/set, object→map/object with
/// optional attributes and defaults). Marks and unknowns are preserved. The error says why the
/// value does not fit, in Terraform's words.
pub fn convert(v: Value, ty: &Type) -> Result<Value, String> {
    convert_depth(v, ty, 0).map_err(CErr::message)
}

const MAX_DEPTH: usize = 200;

/// A conversion failure, phrased the way Terraform phrases each kind: a value that has the
/// wrong kind altogether ("list of string required", prefixed with `element 0: ` or
/// `attribute "a": ` on the way out), or a value of the right kind that does not parse
/// ("a number is required", prefixed with its path: `[1].a: `).
enum CErr {
    Kind(String),
    Value(String, String),
}

impl CErr {
    fn message(self) -> String {
        match self {
            CErr::Kind(m) => m,
            CErr::Value(path, m) if path.is_empty() => m,
            CErr::Value(path, m) => format!("{path}: {m}"),
        }
    }
    fn kind(m: impl Into<String>) -> CErr {
        CErr::Kind(m.into())
    }
    fn value(m: impl Into<String>) -> CErr {
        CErr::Value(String::new(), m.into())
    }
    /// Adds the step to an element or attribute: `kind_prefix` for kind errors, `step` for
    /// value errors.
    fn within(self, kind_prefix: &str, step: &str) -> CErr {
        match self {
            CErr::Kind(m) => CErr::Kind(format!("{kind_prefix}: {m}")),
            CErr::Value(p, m) => CErr::Value(format!("{step}{p}"), m),
        }
    }
}

fn convert_depth(v: Value, ty: &Type, depth: usize) -> Result<Value, CErr> {
    if depth > MAX_DEPTH {
        return Err(CErr::kind("value is nested too deeply"));
    }
    let (v, sensitive) = v.unmark();
    let out = convert_plain(v, ty, depth)?;
    Ok(if sensitive { out.mark_sensitive() } else { out })
}

/// The name of a value's type as Terraform's messages say it (`string`, `list of number`).
pub fn type_phrase(ty: &Type) -> String {
    match ty {
        Type::Any => "any".into(),
        Type::Bool => "bool".into(),
        Type::Number => "number".into(),
        Type::String => "string".into(),
        Type::List(t) => format!("list of {}", type_phrase(t)),
        Type::Set(t) => format!("set of {}", type_phrase(t)),
        Type::Map(t) => format!("map of {}", type_phrase(t)),
        Type::Tuple(_) => "tuple".into(),
        Type::Object(_) => "object".into(),
    }
}

/// A short name for the kind of a value (`string`, `tuple`, `object`, `null`).
pub fn kind_name(v: &Value) -> &'static str {
    match v.strip_marks_ref() {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Tuple(_) => "tuple",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Sensitive(_) => "sensitive",
    }
}

fn convert_plain(v: Value, ty: &Type, depth: usize) -> Result<Value, CErr> {
    if matches!(v, Value::Null | Value::Unknown) {
        return Ok(v);
    }
    match ty {
        Type::Any => Ok(v),
        Type::String => match v {
            Value::String(_) => Ok(v),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(CErr::kind("string required")),
        },
        Type::Number => match v {
            Value::Number(_) => Ok(v),
            Value::String(s) => parse_number(&s)
                .map(Value::Number)
                .ok_or_else(|| CErr::value("a number is required")),
            _ => Err(CErr::kind("number required")),
        },
        Type::Bool => match v {
            Value::Bool(_) => Ok(v),
            Value::String(s) => match s.as_str() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err(CErr::value("a bool is required")),
            },
            _ => Err(CErr::kind("bool required")),
        },
        Type::List(el) | Type::Set(el) => {
            let is_set = matches!(ty, Type::Set(_));
            let xs = match v {
                Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs,
                _ => return Err(CErr::kind(format!("{} required", type_phrase(ty)))),
            };
            let what = if is_set { "set" } else { "list" };
            let el = concrete_element(el, xs.iter(), what)?;
            let mut out = Vec::with_capacity(xs.len());
            for (i, x) in xs.into_iter().enumerate() {
                let x = convert_depth(x, &el, depth + 1)
                    .map_err(|e| e.within(&format!("element {i}"), &format!("[{i}]")))?;
                out.push(x);
            }
            Ok(if is_set {
                Value::set(out)
            } else {
                Value::List(out)
            })
        }
        Type::Map(el) => {
            let m = match v {
                Value::Map(m) | Value::Object(m) => m,
                _ => return Err(CErr::kind(format!("{} required", type_phrase(ty)))),
            };
            let el = concrete_element(el, m.values(), "map")?;
            let mut out = ValueMap::with_capacity(m.len());
            for (k, x) in m {
                let x = convert_depth(x, &el, depth + 1)
                    .map_err(|e| e.within(&format!("element {k:?}"), &format!("[{k:?}]")))?;
                out.insert(k, x);
            }
            Ok(Value::Map(out))
        }
        Type::Tuple(ts) => {
            let xs = match v {
                Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs,
                _ => return Err(CErr::kind("tuple required")),
            };
            if xs.len() != ts.len() {
                return Err(CErr::kind("tuple required"));
            }
            let mut out = Vec::with_capacity(xs.len());
            for (i, (x, t)) in xs.into_iter().zip(ts).enumerate() {
                out.push(convert_depth(x, t, depth + 1).map_err(|e| match e {
                    CErr::Kind(_) => CErr::kind("tuple required"),
                    e => e.within("", &format!("[{i}]")),
                })?);
            }
            Ok(Value::Tuple(out))
        }
        Type::Object(o) => {
            let mut m = match v {
                Value::Map(m) | Value::Object(m) => m,
                _ => return Err(CErr::kind("object required")),
            };
            let mut out = ValueMap::with_capacity(o.attrs.len());
            for (k, t) in &o.attrs {
                let given = m.remove(k);
                let optional = o.optional.get(k);
                let x = match (given, optional) {
                    (Some(x), Some(Some(default))) if x.is_null() => default.clone(),
                    (Some(x), _) => x,
                    (None, Some(Some(default))) => default.clone(),
                    (None, Some(None)) => Value::Null,
                    (None, None) => return Err(CErr::kind(format!("attribute {k:?} is required"))),
                };
                let x = convert_depth(x, t, depth + 1)
                    .map_err(|e| e.within(&format!("attribute {k:?}"), &format!(".{k}")))?;
                out.insert(k.clone(), x);
            }
            Ok(Value::Object(out))
        }
    }
}

/// Terraform's number syntax for conversions from strings.
pub fn parse_number(s: &str) -> Option<Number> {
    let t = s;
    if t.is_empty() || t != t.trim() {
        return None;
    }
    // Go's `ParseFloat` reads these infinities (and no other spelling).
    if matches!(t, "Inf" | "inf" | "+Inf" | "+inf" | "-Inf" | "-inf") {
        return Number::parse(t);
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") || lower.starts_with('+') {
        return None;
    }
    // Hex, octal and the like are not numbers in Terraform.
    if lower.starts_with("0x") {
        return None;
    }
    Number::parse(t)
}

/// The element type a collection conversion should use: `el` itself, or for `any` the type the
/// elements unify to.
fn concrete_element<'a>(
    el: &Type,
    xs: impl Iterator<Item = &'a Value>,
    what: &str,
) -> Result<Type, CErr> {
    if !matches!(el, Type::Any) {
        return Ok(el.clone());
    }
    let types: Vec<Type> = xs.map(Type::of).collect();
    unify(&types).ok_or_else(|| CErr::kind(format!("all {what} elements must have the same type")))
}

/// The single type that values of all `types` can convert to, if there is one (`Any` stands for
/// null and unknown values and fits anything).
pub fn unify(types: &[Type]) -> Option<Type> {
    let concrete: Vec<&Type> = types.iter().filter(|t| !matches!(t, Type::Any)).collect();
    let Some(first) = concrete.first() else {
        return Some(Type::Any);
    };
    if concrete.iter().all(|t| *t == *first) {
        return Some((*first).clone());
    }
    if concrete.iter().all(|t| t.is_primitive()) {
        if concrete.iter().any(|t| matches!(t, Type::String)) {
            return Some(Type::String);
        }
        return None;
    }
    let all = |f: fn(&Type) -> bool| concrete.iter().all(|t| f(t));
    if all(|t| matches!(t, Type::Object(_) | Type::Map(_))) {
        let objects: Vec<&BTreeMap<String, Type>> = concrete
            .iter()
            .filter_map(|t| match t {
                Type::Object(o) => Some(&o.attrs),
                _ => None,
            })
            .collect();
        if objects.len() == concrete.len() {
            let keys: Vec<&String> = objects[0].keys().collect();
            if objects.iter().all(|o| o.keys().collect::<Vec<_>>() == keys) {
                let mut attrs = BTreeMap::new();
                for k in keys {
                    let ts: Vec<Type> = objects.iter().filter_map(|o| o.get(k).cloned()).collect();
                    attrs.insert(k.clone(), unify(&ts)?);
                }
                return Some(Type::Object(cairn_provider::types::ObjectType {
                    attrs,
                    optional: BTreeMap::new(),
                }));
            }
        }
        let mut els = Vec::new();
        for t in &concrete {
            match t {
                Type::Object(o) => els.extend(o.attrs.values().cloned()),
                Type::Map(e) => els.push((**e).clone()),
                _ => {}
            }
        }
        return Some(Type::map(unify(&els)?));
    }
    if all(|t| matches!(t, Type::Tuple(_) | Type::List(_))) {
        let tuples: Vec<&Vec<Type>> = concrete
            .iter()
            .filter_map(|t| match t {
                Type::Tuple(ts) => Some(ts),
                _ => None,
            })
            .collect();
        if tuples.len() == concrete.len() && tuples.iter().all(|t| t.len() == tuples[0].len()) {
            let mut out = Vec::new();
            for i in 0..tuples[0].len() {
                let ts: Vec<Type> = tuples.iter().map(|t| t[i].clone()).collect();
                out.push(unify(&ts)?);
            }
            return Some(Type::Tuple(out));
        }
        let mut els = Vec::new();
        for t in &concrete {
            match t {
                Type::Tuple(ts) => els.extend(ts.iter().cloned()),
                Type::List(e) => els.push((**e).clone()),
                _ => {}
            }
        }
        return Some(Type::list(unify(&els)?));
    }
    if all(|t| matches!(t, Type::Set(_))) {
        let els: Vec<Type> = concrete
            .iter()
            .filter_map(|t| match t {
                Type::Set(e) => Some((**e).clone()),
                _ => None,
            })
            .collect();
        return Some(Type::set(unify(&els)?));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    #[test]
    fn primitives_convert_like_terraform() {
        assert_eq!(convert(Value::number(5), &Type::String), Ok(s("5")));
        assert_eq!(
            convert(s("12.5"), &Type::Number).unwrap().to_json(),
            serde_json::json!(12.5)
        );
        assert_eq!(convert(s("true"), &Type::Bool), Ok(Value::Bool(true)));
        assert_eq!(convert(Value::Bool(false), &Type::String), Ok(s("false")));
        assert_eq!(
            convert(s("abc"), &Type::Number),
            Err("a number is required".into())
        );
        assert_eq!(
            convert(s("yes"), &Type::Bool),
            Err("a bool is required".into())
        );
        assert_eq!(
            convert(Value::Bool(true), &Type::Number),
            Err("number required".into())
        );
        assert_eq!(
            convert(Value::Tuple(vec![]), &Type::String),
            Err("string required".into())
        );
    }

    #[test]
    fn collections_convert_elementwise() {
        let t = Value::Tuple(vec![Value::number(1), s("2")]);
        assert_eq!(
            convert(t.clone(), &Type::list(Type::String)),
            Ok(Value::List(vec![s("1"), s("2")]))
        );
        assert_eq!(
            convert(t.clone(), &Type::list(Type::Any)),
            Ok(Value::List(vec![s("1"), s("2")]))
        );
        assert_eq!(
            convert(
                Value::Tuple(vec![s("b"), s("a"), s("b")]),
                &Type::set(Type::String)
            ),
            Ok(Value::Set(vec![s("a"), s("b")]))
        );
        assert_eq!(
            convert(Value::Tuple(vec![s("x")]), &Type::list(Type::Number)),
            Err("[0]: a number is required".into())
        );
        assert_eq!(
            convert(
                Value::Tuple(vec![Value::number(1), Value::Bool(true)]),
                &Type::list(Type::Any)
            ),
            Err("all list elements must have the same type".into())
        );
        assert_eq!(
            convert(s("x"), &Type::list(Type::String)),
            Err("list of string required".into())
        );
        assert_eq!(
            convert(t, &Type::Any).map(|v| matches!(v, Value::Tuple(_))),
            Ok(true)
        );
    }

    #[test]
    fn objects_fill_optional_attributes_and_drop_extras() {
        let mut o = cairn_provider::types::ObjectType::default();
        o.attrs.insert("name".into(), Type::String);
        o.attrs.insert("size".into(), Type::Number);
        o.attrs.insert("tag".into(), Type::String);
        o.optional.insert("size".into(), Some(Value::number(3)));
        o.optional.insert("tag".into(), None);
        let ty = Type::Object(o);
        let v = Value::object([("name", s("a")), ("extra", Value::Bool(true))]);
        assert_eq!(
            convert(v, &ty),
            Ok(Value::object([
                ("name", s("a")),
                ("size", Value::number(3)),
                ("tag", Value::Null)
            ]))
        );
        let missing = Value::object([("size", Value::number(1))]);
        assert_eq!(
            convert(missing, &ty),
            Err("attribute \"name\" is required".into())
        );
    }

    #[test]
    fn marks_unknowns_and_nulls_survive() {
        let v = s("1").mark_sensitive();
        assert_eq!(
            convert(v, &Type::Number),
            Ok(Value::number(1).mark_sensitive())
        );
        assert_eq!(convert(Value::Unknown, &Type::Number), Ok(Value::Unknown));
        assert_eq!(
            convert(Value::Null, &Type::list(Type::String)),
            Ok(Value::Null)
        );
        let t = Value::Tuple(vec![Value::Unknown, s("a")]);
        assert_eq!(
            convert(t, &Type::list(Type::String)),
            Ok(Value::List(vec![Value::Unknown, s("a")]))
        );
    }

    #[test]
    fn unify_follows_terraform() {
        assert_eq!(unify(&[Type::Number, Type::String]), Some(Type::String));
        assert_eq!(unify(&[Type::Number, Type::Bool]), None);
        assert_eq!(unify(&[Type::Any, Type::Bool]), Some(Type::Bool));
        let a = Type::object([("a", Type::Number)]);
        let b = Type::object([("b", Type::Number)]);
        assert_eq!(unify(&[a, b]), Some(Type::map(Type::Number)));
    }
}
