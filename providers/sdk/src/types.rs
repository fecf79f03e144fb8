//! Terraform's type system as the provider contract needs it: the types of schema attributes and
//! of variable type constraints, and their JSON form (as in state outputs and `show -json`).
//! Conversion of values between types lives in the engine's `lang` module, not here.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::value::Value;

/// A type. `Any` is Terraform's `any`/dynamic pseudo-type.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub enum Type {
    #[default]
    Any,
    Bool,
    Number,
    String,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(ObjectType),
}

/// An object type: its attributes, and which of them are `optional(type, default)`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct ObjectType {
    pub attrs: BTreeMap<String, Type>,
    /// Optional attributes, with their default (`None`: defaults to null).
    pub optional: BTreeMap<String, Option<Value>>,
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(ObjectType {
            attrs: attrs.into_iter().map(|(k, t)| (k.into(), t)).collect(),
            optional: BTreeMap::new(),
        })
    }
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }

    /// The type's JSON form, as Terraform writes it: `"string"`, `["list","string"]`,
    /// `["object",{"a":"number"}]`, `"dynamic"`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::Any => json!("dynamic"),
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Tuple(ts) => json!(["tuple", ts.iter().map(Type::to_json).collect::<Vec<_>>()]),
            Type::Object(o) => {
                let attrs: serde_json::Map<String, serde_json::Value> = o
                    .attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", attrs])
            }
        }
    }

    /// Reads the JSON form written by [`Type::to_json`].
    pub fn from_json(j: &serde_json::Value) -> Option<Type> {
        use serde_json::Value as J;
        match j {
            J::String(s) => match s.as_str() {
                "dynamic" => Some(Type::Any),
                "bool" => Some(Type::Bool),
                "number" => Some(Type::Number),
                "string" => Some(Type::String),
                _ => None,
            },
            J::Array(xs) if xs.len() == 2 => {
                let kind = xs[0].as_str()?;
                match kind {
                    "list" => Some(Type::list(Type::from_json(&xs[1])?)),
                    "set" => Some(Type::set(Type::from_json(&xs[1])?)),
                    "map" => Some(Type::map(Type::from_json(&xs[1])?)),
                    "tuple" => Some(Type::Tuple(
                        xs[1]
                            .as_array()?
                            .iter()
                            .map(Type::from_json)
                            .collect::<Option<_>>()?,
                    )),
                    "object" => Some(Type::Object(ObjectType {
                        attrs: xs[1]
                            .as_object()?
                            .iter()
                            .map(|(k, v)| Some((k.clone(), Type::from_json(v)?)))
                            .collect::<Option<_>>()?,
                        optional: BTreeMap::new(),
                    })),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The most specific type describing `v` (unknowns and nulls are `Any`).
    pub fn of(v: &Value) -> Type {
        match v.strip_marks_ref() {
            Value::Null | Value::Unknown | Value::Sensitive(_) => Type::Any,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(xs) => Type::list(xs.first().map(Type::of).unwrap_or(Type::Any)),
            Value::Set(xs) => Type::set(xs.first().map(Type::of).unwrap_or(Type::Any)),
            Value::Tuple(xs) => Type::Tuple(xs.iter().map(Type::of).collect()),
            Value::Map(m) => Type::map(m.values().next().map(Type::of).unwrap_or(Type::Any)),
            Value::Object(m) => Type::object(m.iter().map(|(k, v)| (k.clone(), Type::of(v)))),
        }
    }
}

impl fmt::Display for Type {
    /// Terraform's type-constraint syntax: `list(string)`, `object({a=number})`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => write!(f, "any"),
            Type::Bool => write!(f, "bool"),
            Type::Number => write!(f, "number"),
            Type::String => write!(f, "string"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                write!(f, "tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, "])")
            }
            Type::Object(o) => {
                write!(f, "object({{")?;
                for (i, (k, t)) in o.attrs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    if o.optional.contains_key(k) {
                        write!(f, "{k}=optional({t})")?;
                    } else {
                        write!(f, "{k}={t}")?;
                    }
                }
                write!(f, "}})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_round_trips() {
        let t = Type::object([("a", Type::list(Type::String)), ("b", Type::Number)]);
        assert_eq!(Type::from_json(&t.to_json()), Some(t.clone()));
        assert_eq!(
            t.to_json().to_string(),
            r#"["object",{"a":["list","string"],"b":"number"}]"#
        );
        assert_eq!(t.to_string(), "object({a=list(string), b=number})");
    }
}
