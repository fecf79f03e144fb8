//! The dynamic value model shared by the engine and providers: what an expression evaluates to,
//! what a provider receives and returns, and what the state stores (minus unknowns).
//!
//! Two marks travel inside values: [`Value::Unknown`] ("known after apply") and
//! [`Value::Sensitive`] (a wrapper that must never be printed). Providers always receive values
//! with the sensitive marks removed; the engine re-applies them. This module must not know about
//! configuration syntax or state files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::map::ValueMap;
use crate::types::Type;

pub use crate::number::Number;

/// One step of a path into a value: an attribute/map key, or a list index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PathStep {
    Attr(String),
    Key(String),
    Index(u64),
}

/// A path from the root of a value to one of its parts.
pub type ValuePath = Vec<PathStep>;

/// A dynamic value.
///
/// `List`/`Tuple` and `Map`/`Object` keep Terraform's distinction between collections of one
/// element type and structural types. A `Set` keeps its elements deduplicated in a stable order.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    /// A value that will only be known after apply.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Set(Vec<Value>),
    Map(ValueMap),
    Object(ValueMap),
    /// A sensitive value: its contents must never appear in output or logs.
    Sensitive(Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn number(i: i64) -> Value {
        Value::Number(Number::from_i64(i))
    }
    pub fn object<K: Into<String>>(items: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    /// Builds a set, deduplicating and ordering its elements canonically.
    pub fn set(items: Vec<Value>) -> Value {
        let mut out: Vec<Value> = Vec::with_capacity(items.len());
        for v in items {
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out.sort_by(|a, b| match (a.strip_marks_ref(), b.strip_marks_ref()) {
            // Numbers in numeric order (their keys share the prefix `n`).
            (Value::Number(x), Value::Number(y)) => x.cmp(y),
            _ => a.sort_key().cmp(&b.sort_key()),
        });
        Value::Set(out)
    }
    fn sort_key(&self) -> String {
        match self.strip_marks_ref() {
            Value::String(s) => format!("s{s}"),
            Value::Number(n) => format!("n{:020.6}", n.as_f64() + 1e15),
            other => format!("j{}", other.to_json()),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.strip_marks_ref(), Value::Null)
    }
    /// True if this value itself is unknown (not whether it contains unknowns).
    pub fn is_unknown(&self) -> bool {
        matches!(self.strip_marks_ref(), Value::Unknown)
    }
    /// True if neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                xs.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }
    /// True if this value is marked sensitive at its top level.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }
    /// True if this value or any part of it is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                xs.iter().any(Value::contains_sensitive)
            }
            Value::Map(m) | Value::Object(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }
    /// Marks this value sensitive (idempotent).
    pub fn mark_sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            v => Value::Sensitive(Box::new(v)),
        }
    }
    /// Removes the top-level sensitive mark, returning the inner value and whether it was marked.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(v) => (v.unmark().0, true),
            v => (v, false),
        }
    }
    /// A reference to the value beneath any top-level sensitive mark.
    pub fn strip_marks_ref(&self) -> &Value {
        match self {
            Value::Sensitive(v) => v.strip_marks_ref(),
            v => v,
        }
    }
    /// Removes every sensitive mark, returning the paths where marks were.
    pub fn unmark_deep(self) -> (Value, Vec<ValuePath>) {
        if !self.contains_sensitive() {
            // The common case: nothing to rebuild.
            return (self, Vec::new());
        }
        let mut paths = Vec::new();
        let v = self.unmark_deep_at(&mut Vec::new(), &mut paths);
        (v, paths)
    }
    fn unmark_deep_at(self, at: &mut ValuePath, paths: &mut Vec<ValuePath>) -> Value {
        match self {
            Value::Sensitive(v) => {
                paths.push(at.clone());
                // Nested marks under a marked value are redundant.
                v.unmark_deep().0
            }
            Value::List(xs) => Value::List(Self::unmark_seq(xs, at, paths)),
            Value::Tuple(xs) => Value::Tuple(Self::unmark_seq(xs, at, paths)),
            Value::Set(xs) => {
                // Set elements have no stable path: a mark inside marks the whole set.
                let before = paths.len();
                let inner: Vec<Value> = xs
                    .into_iter()
                    .map(|x| x.unmark_deep_at(&mut Vec::new(), paths))
                    .collect();
                if paths.len() > before {
                    paths.truncate(before);
                    paths.push(at.clone());
                }
                Value::Set(inner)
            }
            Value::Map(m) => Value::Map(Self::unmark_map(m, at, paths, false)),
            Value::Object(m) => Value::Object(Self::unmark_map(m, at, paths, true)),
            v => v,
        }
    }
    fn unmark_seq(xs: Vec<Value>, at: &mut ValuePath, paths: &mut Vec<ValuePath>) -> Vec<Value> {
        xs.into_iter()
            .enumerate()
            .map(|(i, x)| {
                at.push(PathStep::Index(i as u64));
                let v = x.unmark_deep_at(at, paths);
                at.pop();
                v
            })
            .collect()
    }
    fn unmark_map(
        m: ValueMap,
        at: &mut ValuePath,
        paths: &mut Vec<ValuePath>,
        attrs: bool,
    ) -> ValueMap {
        m.into_iter()
            .map(|(k, x)| {
                at.push(if attrs {
                    PathStep::Attr(k.clone())
                } else {
                    PathStep::Key(k.clone())
                });
                let v = x.unmark_deep_at(at, paths);
                at.pop();
                (k, v)
            })
            .collect()
    }
    /// Marks the parts of this value at `paths` sensitive (paths that do not exist are ignored).
    pub fn mark_paths(mut self, paths: &[ValuePath]) -> Value {
        for p in paths {
            self = self.mark_path(p);
        }
        self
    }
    fn mark_path(self, path: &[PathStep]) -> Value {
        let Some((first, rest)) = path.split_first() else {
            return self.mark_sensitive();
        };
        match (self, first) {
            (Value::Sensitive(v), _) => Value::Sensitive(v),
            (Value::List(mut xs), PathStep::Index(i)) if (*i as usize) < xs.len() => {
                let i = *i as usize;
                xs[i] = std::mem::take(&mut xs[i]).mark_path(rest);
                Value::List(xs)
            }
            (Value::Tuple(mut xs), PathStep::Index(i)) if (*i as usize) < xs.len() => {
                let i = *i as usize;
                xs[i] = std::mem::take(&mut xs[i]).mark_path(rest);
                Value::Tuple(xs)
            }
            (Value::Map(mut m), PathStep::Attr(k) | PathStep::Key(k)) => {
                if let Some(x) = m.get_mut(k) {
                    *x = std::mem::take(x).mark_path(rest);
                }
                Value::Map(m)
            }
            (Value::Object(mut m), PathStep::Attr(k) | PathStep::Key(k)) => {
                if let Some(x) = m.get_mut(k) {
                    *x = std::mem::take(x).mark_path(rest);
                }
                Value::Object(m)
            }
            (Value::Set(xs), _) => Value::Set(xs).mark_sensitive(),
            (v, _) => v,
        }
    }

    /// Marks sensitive every top-level attribute of an object that holds exactly a value which is
    /// sensitive elsewhere in the same object — a provider echoing a secret back (as
    /// `terraform_data`'s `output` echoes its `input`) must not reveal it. Terraform does not do
    /// this; cairn promises that sensitive values never appear in output.
    pub fn mark_echoes(self) -> Value {
        fn secrets(v: &Value, out: &mut Vec<Value>) {
            match v {
                Value::Sensitive(x) => {
                    let plain = x.clone().unmark_deep().0;
                    if !plain.is_null() && plain != Value::String(String::new()) {
                        out.push(plain);
                    }
                }
                Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                    xs.iter().for_each(|x| secrets(x, out))
                }
                Value::Map(m) | Value::Object(m) => m.values().for_each(|x| secrets(x, out)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        secrets(&self, &mut found);
        if found.is_empty() {
            return self;
        }
        match self {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, x)| {
                        let echoes = !x.contains_sensitive()
                            && !x.is_null()
                            && x.is_wholly_known()
                            && found.contains(&x);
                        (k, if echoes { x.mark_sensitive() } else { x })
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// The attribute `name` of an object or map value (marks of the container carry over).
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self.strip_marks_ref() {
            Value::Object(m) | Value::Map(m) => m.get(name),
            _ => None,
        }
    }
    /// The attributes of an object or map value.
    pub fn as_map(&self) -> Option<&ValueMap> {
        match self.strip_marks_ref() {
            Value::Object(m) | Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The elements of a list, tuple or set value.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self.strip_marks_ref() {
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => Some(xs),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self.strip_marks_ref() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self.strip_marks_ref() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<Number> {
        match self.strip_marks_ref() {
            Value::Number(n) => Some(n.clone()),
            _ => None,
        }
    }
    /// The value at `path`, if it exists.
    pub fn at_path(&self, path: &[PathStep]) -> Option<&Value> {
        let mut v = self;
        for step in path {
            v = match (v.strip_marks_ref(), step) {
                (Value::Object(m) | Value::Map(m), PathStep::Attr(k) | PathStep::Key(k)) => {
                    m.get(k)?
                }
                (Value::List(xs) | Value::Tuple(xs), PathStep::Index(i)) => xs.get(*i as usize)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// Converts to JSON. Unknowns become `null` and sensitive marks are dropped: callers that must
    /// not reveal them check [`Value::contains_sensitive`] first.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => n.to_json(),
            Value::String(s) => J::String(s.clone()),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                J::Array(xs.iter().map(Value::to_json).collect())
            }
            Value::Map(m) | Value::Object(m) => {
                J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Value::Sensitive(v) => v.to_json(),
        }
    }
    /// Converts to JSON as Terraform stores a value of type `ty` in state: like [`Value::to_json`],
    /// except that a value whose declared type is dynamic (`Type::Any`) is stored with its type,
    /// as `{"value": ..., "type": ...}`.
    pub fn to_json_typed(&self, ty: &Type) -> serde_json::Value {
        use serde_json::Value as J;
        let v = self.strip_marks_ref();
        match (ty, v) {
            (_, Value::Null | Value::Unknown) => J::Null,
            (Type::Any, v) => {
                serde_json::json!({"value": v.to_json(), "type": Type::of(v).to_json()})
            }
            (Type::List(t) | Type::Set(t), Value::List(xs) | Value::Tuple(xs) | Value::Set(xs)) => {
                J::Array(xs.iter().map(|x| x.to_json_typed(t)).collect())
            }
            (Type::Tuple(ts), Value::List(xs) | Value::Tuple(xs) | Value::Set(xs)) => J::Array(
                xs.iter()
                    .enumerate()
                    .map(|(i, x)| match ts.get(i) {
                        Some(t) => x.to_json_typed(t),
                        None => x.to_json(),
                    })
                    .collect(),
            ),
            (Type::Map(t), Value::Map(m) | Value::Object(m)) => J::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), x.to_json_typed(t)))
                    .collect(),
            ),
            (Type::Object(o), Value::Map(m) | Value::Object(m)) => J::Object(
                m.iter()
                    .map(|(k, x)| {
                        let j = match o.attrs.get(k) {
                            Some(t) => x.to_json_typed(t),
                            None => x.to_json(),
                        };
                        (k.clone(), j)
                    })
                    .collect(),
            ),
            (_, v) => v.to_json(),
        }
    }

    /// Converts JSON into a value without a type: arrays become tuples, objects become objects.
    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Number::from_json(n)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            J::String(s) => Value::String(s.clone()),
            J::Array(xs) => Value::Tuple(xs.iter().map(Value::from_json).collect()),
            J::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
    /// Converts JSON into a value of type `ty`, as stored attributes are read back with their
    /// schema. Parts that do not fit the type are kept untyped.
    pub fn from_json_typed(j: &serde_json::Value, ty: &Type) -> Value {
        use serde_json::Value as J;
        match (j, ty) {
            (J::Null, _) => Value::Null,
            // A dynamically-typed value is stored with its type (see `to_json_typed`).
            (J::Object(m), Type::Any) if m.len() == 2 && m.contains_key("value") => {
                match m.get("type").and_then(Type::from_json) {
                    Some(t) => Value::from_json_typed(&m["value"], &t),
                    None => Value::from_json(j),
                }
            }
            (J::Array(xs), Type::List(el)) => {
                Value::List(xs.iter().map(|x| Value::from_json_typed(x, el)).collect())
            }
            (J::Array(xs), Type::Set(el)) => {
                Value::set(xs.iter().map(|x| Value::from_json_typed(x, el)).collect())
            }
            (J::Array(xs), Type::Tuple(els)) => Value::Tuple(
                xs.iter()
                    .zip(els.iter().chain(std::iter::repeat(&Type::Any)))
                    .map(|(x, t)| Value::from_json_typed(x, t))
                    .collect(),
            ),
            (J::Object(m), Type::Map(el)) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json_typed(v, el)))
                    .collect(),
            ),
            (J::Object(m), Type::Object(o)) => Value::Object(
                m.iter()
                    .map(|(k, v)| {
                        let t = o.attrs.get(k).unwrap_or(&Type::Any);
                        (k.clone(), Value::from_json_typed(v, t))
                    })
                    .collect(),
            ),
            (J::Number(_), Type::String) | (J::Bool(_), Type::String) => {
                Value::String(j.to_string())
            }
            (J::String(s), Type::Number) => Number::parse(s)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(s.clone())),
            _ => Value::from_json(j),
        }
    }

    /// [`Value::from_json`] of the JSON text `text`, read in one pass without building a JSON
    /// tree. An error only when `text` is not JSON.
    pub fn from_json_str(text: &str) -> Result<Value, serde_json::Error> {
        stream::from_str(text, stream::Mode::Untyped)
    }
    /// [`Value::from_json_typed`] of the JSON text `text`, read in one pass driven by `ty`
    /// without building a JSON tree (a dynamic value's `{"value", "type"}` wrapper, whose type
    /// comes after its value, has the value read untyped and then given its type, or, where
    /// that needs its text, read again). An error only when `text` is not JSON.
    pub fn from_json_str_typed(text: &str, ty: &Type) -> Result<Value, serde_json::Error> {
        stream::from_str(text, stream::Mode::Typed(ty))
    }

    /// A short name of this value's kind, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown value",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Sensitive(v) => v.kind_name(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::number(i)
    }
}

/// Values serialise as a tagged JSON form that keeps unknowns and sensitive marks, for saved plans.
/// (State files use [`Value::to_json`] instead: they hold neither.)
impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Tagged::from(self).serialize(s)
    }
}
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Tagged::deserialize(d).map(Value::from)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "lowercase")]
enum Tagged {
    Null,
    Unknown,
    Bool(bool),
    /// The decimal digits of [`Number`]'s `Display`, which read back to the same value.
    Number(String),
    String(String),
    List(Vec<Tagged>),
    Tuple(Vec<Tagged>),
    Set(Vec<Tagged>),
    Map(BTreeMap<String, Tagged>),
    Object(BTreeMap<String, Tagged>),
    Sensitive(Box<Tagged>),
}

impl From<&Value> for Tagged {
    fn from(v: &Value) -> Tagged {
        let seq = |xs: &Vec<Value>| xs.iter().map(Tagged::from).collect();
        let map = |m: &ValueMap| {
            m.iter()
                .map(|(k, v)| (k.clone(), Tagged::from(v)))
                .collect()
        };
        match v {
            Value::Null => Tagged::Null,
            Value::Unknown => Tagged::Unknown,
            Value::Bool(b) => Tagged::Bool(*b),
            Value::Number(n) => Tagged::Number(n.to_string()),
            Value::String(s) => Tagged::String(s.clone()),
            Value::List(xs) => Tagged::List(seq(xs)),
            Value::Tuple(xs) => Tagged::Tuple(seq(xs)),
            Value::Set(xs) => Tagged::Set(seq(xs)),
            Value::Map(m) => Tagged::Map(map(m)),
            Value::Object(m) => Tagged::Object(map(m)),
            Value::Sensitive(v) => Tagged::Sensitive(Box::new(Tagged::from(&**v))),
        }
    }
}

impl From<Tagged> for Value {
    fn from(t: Tagged) -> Value {
        let seq = |xs: Vec<Tagged>| xs.into_iter().map(Value::from).collect();
        let map = |m: BTreeMap<String, Tagged>| m.into_iter().map(|(k, v)| (k, v.into())).collect();
        match t {
            Tagged::Null => Value::Null,
            Tagged::Unknown => Value::Unknown,
            Tagged::Bool(b) => Value::Bool(b),
            Tagged::Number(n) => Number::parse(&n).map(Value::Number).unwrap_or(Value::Null),
            Tagged::String(s) => Value::String(s),
            Tagged::List(xs) => Value::List(seq(xs)),
            Tagged::Tuple(xs) => Value::Tuple(seq(xs)),
            Tagged::Set(xs) => Value::Set(seq(xs)),
            Tagged::Map(m) => Value::Map(map(m)),
            Tagged::Object(m) => Value::Object(map(m)),
            Tagged::Sensitive(v) => Value::Sensitive(Box::new(Value::from(*v))),
        }
    }
}

/// The streaming readers behind [`Value::from_json_str`] and [`Value::from_json_str_typed`]: a
/// serde `DeserializeSeed` that carries the type expected where the parser is, so each JSON
/// token becomes its part of the value directly, with exactly the rules of
/// [`Value::from_json_typed`] and [`Value::from_json`].
mod stream {
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;
    use std::fmt;
    use std::rc::Rc;

    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::value::RawValue;

    use super::{Number, Value, ValueMap};
    use crate::map::sort_keeping_last;
    use crate::types::Type;

    /// The key under which serde_json (with `arbitrary_precision`) hands a number's text to a
    /// visitor, as a one-entry map.
    const NUMBER_TOKEN: &str = "$serde_json::private::Number";

    #[derive(Clone, Copy)]
    pub(super) enum Mode<'t> {
        /// As [`Value::from_json`]: arrays are tuples, objects objects, all the way down.
        Untyped,
        /// As [`Value::from_json_typed`] with this type.
        Typed(&'t Type),
    }

    pub(super) fn from_str(text: &str, mode: Mode<'_>) -> Result<Value, serde_json::Error> {
        match read(text, mode) {
            // A dynamic value read in one pass could not be given its type without its text:
            // the document is read again, every such value from its text.
            Err(e) if !TWO_PASS.get() && e.to_string().starts_with(RETYPE) => {
                TWO_PASS.set(true);
                let again = read(text, mode);
                TWO_PASS.set(false);
                again
            }
            other => other,
        }
    }

    fn read(text: &str, mode: Mode<'_>) -> Result<Value, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let v = Seed(mode).deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }

    thread_local! {
        /// Set while a document is read again with every dynamic value read from its text.
        static TWO_PASS: Cell<bool> = const { Cell::new(false) };
    }

    /// The error that asks [`from_str`] to read a document again (see [`retype`]).
    const RETYPE: &str = "cairn: dynamic value needs its text";

    struct Seed<'t>(Mode<'t>);

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl Seed<'_> {
        fn number(&self, text: &str) -> Value {
            match self.0 {
                // `from_json_typed` writes the number as serde_json prints it: as it was written.
                Mode::Typed(Type::String) => Value::String(text.to_string()),
                _ => Number::parse(text)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
            }
        }
    }

    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = Value;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_none<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
            Ok(match self.0 {
                Mode::Typed(Type::String) => Value::String(b.to_string()),
                _ => Value::Bool(b),
            })
        }
        // Without `arbitrary_precision` numbers arrive as machine numbers.
        fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
            Ok(self.number(&n.to_string()))
        }
        fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
            Ok(self.number(&n.to_string()))
        }
        fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
            Ok(match serde_json::Number::from_f64(f) {
                Some(n) => self.number(&n.to_string()),
                None => Value::Null,
            })
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Value, E> {
            self.visit_string(s.to_string())
        }
        fn visit_string<E>(self, s: String) -> Result<Value, E> {
            Ok(match self.0 {
                Mode::Typed(Type::Number) => match Number::parse(&s) {
                    Some(n) => Value::Number(n),
                    None => Value::String(s),
                },
                _ => Value::String(s),
            })
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut xs = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            match self.0 {
                Mode::Typed(Type::List(el)) => {
                    while let Some(x) = seq.next_element_seed(Seed(Mode::Typed(el)))? {
                        xs.push(x);
                    }
                    Ok(Value::List(xs))
                }
                Mode::Typed(Type::Set(el)) => {
                    while let Some(x) = seq.next_element_seed(Seed(Mode::Typed(el)))? {
                        xs.push(x);
                    }
                    Ok(Value::set(xs))
                }
                Mode::Typed(Type::Tuple(els)) => {
                    loop {
                        let t = els.get(xs.len()).unwrap_or(&Type::Any);
                        match seq.next_element_seed(Seed(Mode::Typed(t)))? {
                            Some(x) => xs.push(x),
                            None => break,
                        }
                    }
                    Ok(Value::Tuple(xs))
                }
                _ => {
                    while let Some(x) = seq.next_element_seed(Seed(Mode::Untyped))? {
                        xs.push(x);
                    }
                    Ok(Value::Tuple(xs))
                }
            }
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let Some(first) = map.next_key::<String>()? else {
                return Ok(match self.0 {
                    Mode::Typed(Type::Map(_)) => Value::Map(ValueMap::new()),
                    _ => Value::Object(ValueMap::new()),
                });
            };
            if first == NUMBER_TOKEN {
                let text: String = map.next_value()?;
                return Ok(self.number(&text));
            }
            match self.0 {
                Mode::Typed(Type::Map(el)) => {
                    let m = entries(first, &mut map, |_| Mode::Typed(el))?;
                    Ok(Value::Map(m))
                }
                Mode::Typed(Type::Object(o)) => {
                    let m = entries(first, &mut map, |k| {
                        Mode::Typed(o.attrs.get(k).unwrap_or(&Type::Any))
                    })?;
                    Ok(Value::Object(m))
                }
                Mode::Typed(Type::Any) => dynamic(first, &mut map),
                _ => Ok(Value::Object(entries(first, &mut map, |_| Mode::Untyped)?)),
            }
        }
    }

    /// The members of an object whose first key has been read, each read in the mode `mode`
    /// gives for its key (a repeated key keeps its last value, as serde_json does).
    fn entries<'de, 't, A: MapAccess<'de>>(
        first: String,
        map: &mut A,
        mode: impl Fn(&str) -> Mode<'t>,
    ) -> Result<ValueMap, A::Error> {
        // Pushed in the order read and sorted once at the end: state files list keys sorted.
        let mut m = Vec::with_capacity(map.size_hint().unwrap_or(0));
        let v = map.next_value_seed(Seed(mode(&first)))?;
        m.push((first, v));
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(Seed(mode(&k)))?;
            m.push((k, v));
        }
        Ok(ValueMap::from_vec(m))
    }

    /// A type read from its JSON text, or `None` when the text is no type.
    type KnownType = Option<Rc<Type>>;

    /// The type written as JSON `text` (`Type::from_json`), remembered per thread: the
    /// instances of one resource store the same few types over and over.
    fn type_of_text(text: &str) -> Option<Rc<Type>> {
        thread_local! {
            static TYPES: RefCell<HashMap<Box<str>, KnownType>> =
                RefCell::new(HashMap::new());
        }
        // Bounds the memory a state of many distinct types can take.
        const MAX: usize = 1024;
        // The few types met last are compared first: hashing the text of a type (often a few
        // hundred bytes) for every instance was a twenty-fifth of reading stored objects.
        thread_local! {
            static RECENT: RefCell<Vec<(Box<str>, KnownType)>> = const { RefCell::new(Vec::new()) };
        }
        const RECENT_MAX: usize = 4;
        if let Some(t) = RECENT.with(|r| {
            r.borrow()
                .iter()
                .find(|(k, _)| **k == *text)
                .map(|(_, t)| t.clone())
        }) {
            return t;
        }
        let t = TYPES.with(|types| {
            if let Some(t) = types.borrow().get(text) {
                return t.clone();
            }
            let t = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|t| Type::from_json(&t))
                .map(Rc::new);
            let mut types = types.borrow_mut();
            if types.len() >= MAX {
                types.clear();
            }
            types.insert(text.into(), t.clone());
            t
        });
        RECENT.with(|r| {
            let mut r = r.borrow_mut();
            if r.len() == RECENT_MAX {
                r.remove(0);
            }
            r.push((text.into(), t.clone()));
        });
        t
    }

    /// An object where a value of dynamic type is expected: the `{"value": ..., "type": ...}`
    /// wrapper a dynamic value is stored in (its value then read with that type), or else an
    /// untyped object. Members are kept as text until the decision; but when `value` comes
    /// first, as state files write it, the value is read at once as an untyped value and then
    /// given its type ([`retype`]), which saves reading its text twice.
    fn dynamic<'de, A: MapAccess<'de>>(first: String, map: &mut A) -> Result<Value, A::Error> {
        use serde::de::Error as _;
        let first_member = if first == "value" && !TWO_PASS.get() {
            Member::Read(map.next_value_seed(Seed(Mode::Untyped))?)
        } else {
            Member::Text(map.next_value()?)
        };
        let mut members = vec![(first, first_member)];
        while let Some(k) = map.next_key::<String>()? {
            members.push((k, Member::Text(map.next_value()?)));
        }
        sort_keeping_last(&mut members);
        let ty = match members.as_slice() {
            [(t, Member::Text(ty)), (v, _)] if t == "type" && v == "value" => {
                type_of_text(ty.get())
            }
            _ => None,
        };
        if let Some(ty) = ty
            && let Some((_, value)) = members.pop()
        {
            return match value {
                Member::Text(text) => {
                    from_str(text.get(), Mode::Typed(&ty)).map_err(A::Error::custom)
                }
                Member::Read(v) => retype(v, &ty).ok_or_else(|| A::Error::custom(RETYPE)),
            };
        }
        let mut m = Vec::with_capacity(members.len());
        for (k, member) in members {
            let v = match member {
                Member::Read(v) => v,
                Member::Text(text) => {
                    from_str(text.get(), Mode::Untyped).map_err(A::Error::custom)?
                }
            };
            m.push((k, v));
        }
        // Sorted and unique already.
        Ok(Value::Object(ValueMap::from_vec(m)))
    }

    /// A member of a dynamic object: read already (untyped), or kept as text.
    enum Member<'de> {
        Read(Value),
        Text(&'de RawValue),
    }

    /// The value that reading some JSON with type `ty` gives, from the untyped value `v` of
    /// the same JSON; `None` where that needs the text itself: a number read as a string (its
    /// digits as written), a null read as a string (a number too large to read is null when
    /// untyped), and a dynamic value's wrapper inside the value (its type as text).
    fn retype(v: Value, ty: &Type) -> Option<Value> {
        Some(match (v, ty) {
            (Value::Null | Value::Number(_), Type::String) => return None,
            (Value::Null, _) => Value::Null,
            (Value::Bool(b), Type::String) => Value::String(b.to_string()),
            (Value::String(s), Type::Number) => match Number::parse(&s) {
                Some(n) => Value::Number(n),
                None => Value::String(s),
            },
            (v @ (Value::Bool(_) | Value::Number(_) | Value::String(_)), _) => v,
            (Value::Tuple(xs), Type::List(el)) => Value::List(retype_all(xs, |_| el)?),
            (Value::Tuple(xs), Type::Set(el)) => Value::set(retype_all(xs, |_| el)?),
            (Value::Tuple(xs), Type::Tuple(els)) => {
                Value::Tuple(retype_all(xs, |i| els.get(i).unwrap_or(&Type::Any))?)
            }
            (v @ Value::Tuple(_), _) => v,
            (Value::Object(m), Type::Map(el)) => Value::Map(retype_members(m, |_| el)?),
            (Value::Object(m), Type::Object(o)) => {
                Value::Object(retype_members(m, |k| o.attrs.get(k).unwrap_or(&Type::Any))?)
            }
            (Value::Object(m), Type::Any) => {
                if m.len() == 2 && m.contains_key("type") && m.contains_key("value") {
                    return None;
                }
                Value::Object(m)
            }
            (v @ Value::Object(_), _) => v,
            _ => return None,
        })
    }

    /// [`retype`] of each element, in place.
    fn retype_all<'t>(mut xs: Vec<Value>, ty: impl Fn(usize) -> &'t Type) -> Option<Vec<Value>> {
        for (i, x) in xs.iter_mut().enumerate() {
            *x = retype(std::mem::take(x), ty(i))?;
        }
        Some(xs)
    }

    /// [`retype`] of each member, in place (the keys stay as they are).
    fn retype_members<'t>(mut m: ValueMap, ty: impl Fn(&str) -> &'t Type) -> Option<ValueMap> {
        for (k, v) in m.iter_mut() {
            *v = retype(std::mem::take(v), ty(k))?;
        }
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmark_and_remark_round_trip() {
        let v = Value::object([
            ("a", Value::string("x").mark_sensitive()),
            (
                "b",
                Value::List(vec![Value::number(1), Value::number(2).mark_sensitive()]),
            ),
        ]);
        let (plain, paths) = v.clone().unmark_deep();
        assert!(!plain.contains_sensitive());
        assert_eq!(paths.len(), 2);
        let back = plain.mark_paths(&paths);
        assert_eq!(back, v);
    }

    #[test]
    fn numbers_print_like_terraform() {
        assert_eq!(Number::from_i64(3).to_string(), "3");
        assert_eq!(Number::from_f64(1.5).unwrap().to_string(), "1.5");
        assert_eq!(Number::parse("1e3").unwrap().to_string(), "1000");
        assert!(Number::parse("abc").is_none());
    }

    #[test]
    fn serde_keeps_unknown_and_sensitive() {
        let v = Value::object([
            ("a", Value::Unknown),
            ("b", Value::string("s").mark_sensitive()),
        ]);
        let j = serde_json::to_string(&v).unwrap();
        let back: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn dynamic_values_are_stored_with_their_type() {
        let ty = Type::object([("input", Type::Any), ("id", Type::String)]);
        let v = Value::object([
            ("id", Value::string("x")),
            (
                "input",
                Value::object([
                    ("n", Value::number(3)),
                    ("s", Value::Tuple(vec![Value::string("a")])),
                ]),
            ),
        ]);
        let j = v.to_json_typed(&ty);
        assert_eq!(
            j.to_string(),
            r#"{"id":"x","input":{"value":{"n":3,"s":["a"]},"type":["object",{"n":"number","s":["tuple",["string"]]}]}}"#
        );
        assert_eq!(Value::from_json_typed(&j, &ty), v);
    }

    /// Generated documents and types for the test below.
    impl crate::testing::Gen {
        fn text(&mut self, depth: u32) -> String {
            let keys = ["a", "n", "s", "value", "type", "k<"];
            match self.next(if depth > 3 { 6 } else { 9 }) {
                0 => "null".into(),
                1 => ["true", "false"][self.next(2) as usize].into(),
                2 => ["0", "7", "-1.25", "1e2", "0.1", "18446744073709551616"]
                    [self.next(6) as usize]
                    .into(),
                3 => ["\"x\"", "\"12\"", "\"\"", "\"number\"", "\"string\""][self.next(5) as usize]
                    .into(),
                4 => "[\"list\", \"number\"]".into(),
                5 => "\"dynamic\"".into(),
                6 => {
                    let n = self.next(4);
                    let xs: Vec<String> = (0..n).map(|_| self.text(depth + 1)).collect();
                    format!("[{}]", xs.join(", "))
                }
                _ => {
                    let n = self.next(4);
                    let xs: Vec<String> = (0..n)
                        .map(|_| {
                            let k = keys[self.next(keys.len() as u64) as usize];
                            format!("\"{k}\": {}", self.text(depth + 1))
                        })
                        .collect();
                    format!("{{{}}}", xs.join(", "))
                }
            }
        }
        fn ty(&mut self, depth: u32) -> Type {
            match self.next(if depth > 2 { 4 } else { 10 }) {
                0 => Type::Any,
                1 => Type::Bool,
                2 => Type::Number,
                3 => Type::String,
                4 => Type::list(self.ty(depth + 1)),
                5 => Type::set(self.ty(depth + 1)),
                6 => Type::map(self.ty(depth + 1)),
                7 => Type::Tuple((0..self.next(3)).map(|_| self.ty(depth + 1)).collect()),
                _ => {
                    let mut attrs = Vec::new();
                    for k in ["a", "n", "s", "value", "type"] {
                        if self.next(2) == 0 {
                            attrs.push((k, self.ty(depth + 1)));
                        }
                    }
                    Type::object(attrs)
                }
            }
        }
    }

    /// The streaming readers agree with the tree-based ones on every pairing of a document and
    /// a type: hand-picked edge cases (wrappers, numbers as strings and strings as numbers,
    /// duplicate keys, sets with duplicates), then many generated documents each read with
    /// several generated types.
    #[test]
    fn streaming_reads_agree_with_tree_reads() {
        fn check(text: &str, ty: &Type) {
            let tree: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                Value::from_json_str_typed(text, ty).unwrap(),
                Value::from_json_typed(&tree, ty),
                "{text} as {ty:?}"
            );
            assert_eq!(
                Value::from_json_str(text).unwrap(),
                Value::from_json(&tree),
                "{text}"
            );
        }
        let any_obj = Type::object([("a", Type::Any), ("n", Type::Number), ("s", Type::String)]);
        let types = [
            Type::Any,
            Type::Bool,
            Type::Number,
            Type::String,
            Type::list(Type::Any),
            Type::list(Type::Number),
            Type::set(Type::String),
            Type::set(Type::Any),
            Type::map(Type::String),
            Type::map(Type::Any),
            Type::Tuple(vec![Type::String, Type::Number]),
            Type::Tuple(vec![]),
            any_obj.clone(),
            Type::list(any_obj.clone()),
            Type::map(Type::list(Type::Number)),
        ];
        let texts = [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "1.50",
            "1e3",
            "-2.5E-7",
            "123456789012345678901234567890.123456789",
            r#""12""#,
            r#""1e2x""#,
            r#""a<b\u0026\n\u00e9""#,
            "[]",
            "{}",
            r#"[1, "2", true, null, [3], {"x": 1}]"#,
            r#"["b", "a", "b", 1, 1.0]"#,
            r#"{"value": "x", "type": "string"}"#,
            r#"{"type": "number", "value": "7"}"#,
            r#"{"value": [1, "a"], "type": ["tuple", ["number", "string"]]}"#,
            r#"{"value": {"k": [1]}, "type": ["map", ["list", "number"]]}"#,
            r#"{"value": {"a": {"value": 1, "type": "number"}}, "type": ["object", {"a": "dynamic"}]}"#,
            r#"{"value": 1, "type": "nonsense"}"#,
            r#"{"value": 12.50, "type": "string"}"#,
            r#"{"value": [null, 1.0, true, "2"], "type": ["list", "string"]}"#,
            r#"{"value": {"b": ["3", 4]}, "type": ["map", ["set", "number"]]}"#,
            r#"{"value": {"value": 1, "type": "number"}, "type": "dynamic"}"#,
            r#"{"value": 1, "type": ["list"]}"#,
            r#"{"value": 1, "other": 2}"#,
            r#"{"value": 1, "type": "number", "more": 3}"#,
            r#"{"value": 1, "value": 2, "type": "number"}"#,
            r#"{"a": {"value": true, "type": "bool"}, "n": "3", "s": 4, "z": {"value": 1, "type": "number"}}"#,
            r#"{"a": 1, "a": 2, "n": 1.5e1, "s": false}"#,
            r#"[{"a": null, "n": null, "s": null}, {"a": [1, {"value": 2, "type": "number"}]}]"#,
        ];
        for text in texts {
            for ty in &types {
                check(text, ty);
            }
        }

        // Generated documents: a small deterministic generator, each document read with types
        // generated from the same stream (so some fit it and most fit it only in part).
        let mut g = crate::testing::Gen(7);
        for _ in 0..3000 {
            let text = g.text(0);
            for _ in 0..4 {
                let ty = g.ty(0);
                check(&text, &ty);
            }
            check(&text, &Type::Any);
        }

        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "nul",
            "1 2",
            "{\"value\": 1, \"type\": }",
        ] {
            assert!(
                Value::from_json_str_typed(bad, &Type::Any).is_err(),
                "{bad}"
            );
            assert!(Value::from_json_str(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn echoed_secrets_are_marked() {
        let v = Value::object([
            ("input", Value::string("s3cr3t").mark_sensitive()),
            ("output", Value::string("s3cr3t")),
            ("id", Value::string("x")),
        ]);
        let v = v.mark_echoes();
        assert!(v.get_attr("output").unwrap().is_sensitive());
        assert!(!v.get_attr("id").unwrap().is_sensitive());
    }

    #[test]
    fn sets_are_deduplicated_and_ordered() {
        let s = Value::set(vec![
            Value::string("b"),
            Value::string("a"),
            Value::string("b"),
        ]);
        assert_eq!(s, Value::Set(vec![Value::string("a"), Value::string("b")]));
    }
}
