//! The state: what cairn knows exists. The in-memory [`State`] model, Terraform's v4 file
//! format ([`format`]), and the [`Backend`] trait with its implementations and locking
//! ([`backend`]).
//!
//! The state never holds unknown values, and this module knows nothing of configuration or
//! plans. Attribute values are kept as compact JSON text ([`Attrs`]), in the canonical form the
//! file stores them in; the planner converts them with the resource's schema, straight from the
//! text.

pub mod backend;
pub mod format;

use std::collections::BTreeMap;
use std::sync::Arc;

use cairn_provider::{SortedMap, Type, Value, ValuePath};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::addr::{InstanceAddr, InstanceKey, ResourceAddr};

pub use backend::{Backend, LocalBackend, LockInfo};

/// The version of cairn written to `terraform_version`. State files are read by Terraform too,
/// which refuses files from a newer Terraform than itself: we write the Terraform version whose
/// format we implement.
pub const TERRAFORM_VERSION: &str = "1.11.4";

/// Serialises as Terraform's v4 state document (so a saved plan carries its prior state in the
/// same form as a state file).
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub terraform_version: String,
    /// Increases on every write of a changed state.
    pub serial: u64,
    /// Identifies this state's history; kept for its whole life.
    pub lineage: String,
    pub outputs: BTreeMap<String, OutputState>,
    pub resources: BTreeMap<ResourceAddr, ResourceState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    pub value: serde_json::Value,
    /// The type in Terraform's JSON type notation.
    pub ty: serde_json::Value,
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// The provider configuration address, as Terraform writes it:
    /// `provider["registry.terraform.io/hashicorp/random"]`.
    pub provider: String,
    /// Sorted by key; most resources have one instance.
    pub instances: SortedMap<InstanceKey, InstanceState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct InstanceState {
    /// The object's attributes (no unknowns).
    pub attributes: Attrs,
    /// Paths of the attributes that are sensitive.
    pub sensitive_paths: Vec<ValuePath>,
    pub schema_version: u64,
    /// Resources this instance depended on when it was last applied (direct, not transitive):
    /// with module instance keys as an apply records them, without once read from a file, which
    /// holds them as [`InstanceState::recorded_dependencies`] gives them.
    pub dependencies: Vec<ResourceAddr>,
    pub create_before_destroy: bool,
    /// The object may be incomplete (a failed or interrupted create): the next plan replaces it.
    pub tainted: bool,
    /// Provider-private data, opaque to the engine.
    pub private: Option<String>,
}

impl InstanceState {
    /// The dependencies as Terraform records them (in the state file and in `show -json`): the
    /// configuration addresses of the resources, without module instance keys, sorted, once each.
    pub fn recorded_dependencies(&self) -> Vec<String> {
        let mut deps: Vec<String> = self
            .dependencies
            .iter()
            .map(|d| d.config().to_string())
            .collect();
        deps.sort();
        deps.dedup();
        deps
    }
}

/// An object's attributes as compact canonical JSON text: keys in the order Terraform writes
/// them (sorted; a dynamic value's `{"value", "type"}` wrapper value first), strings escaped and
/// numbers printed as the state file has them, no whitespace. A state file is made of this text
/// re-indented, so reading and writing one builds no JSON tree; the planner reads values
/// straight from it with [`Attrs::to_value_typed`]. Two `Attrs` are equal when their text is:
/// when the JSON values are, up to key order and the spelling of numbers and escapes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Attrs(Arc<str>);

impl Attrs {
    /// The canonical text of a JSON value.
    pub fn from_json(v: &serde_json::Value) -> Attrs {
        Attrs(format::canonical_text(v).into())
    }
    /// The attributes in JSON `text` (any layout, key order or number spelling); an error if it
    /// is not JSON.
    pub fn parse(text: &str) -> Result<Attrs, serde_json::Error> {
        let raw: &serde_json::value::RawValue = serde_json::from_str(text)?;
        Attrs::from_raw(raw)
    }
    /// As [`Attrs::parse`], of text already known to be JSON: kept as it is, minus whitespace,
    /// when it is canonical already (as Terraform and cairn write it); else parsed and
    /// canonicalised.
    pub(crate) fn from_raw(raw: &serde_json::value::RawValue) -> Result<Attrs, serde_json::Error> {
        match format::minify_canonical(raw.get()) {
            Some(text) => Ok(Attrs(text.into())),
            None => Ok(Attrs::from_json(&serde_json::from_str(raw.get())?)),
        }
    }
    /// The compact canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The top-level attribute `key` when it is a string (as `id` is), read without a tree.
    pub fn get_str(&self, key: &str) -> Option<String> {
        let top: BTreeMap<String, &serde_json::value::RawValue> =
            serde_json::from_str(&self.0).ok()?;
        serde_json::from_str(top.get(key)?.get()).ok()
    }
    /// The attributes as a JSON tree, for the rare paths that edit or inspect them.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
    /// Edits the attributes as a JSON tree; the result is canonicalised again.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut serde_json::Value) -> R) -> R {
        let mut j = self.to_json();
        let r = f(&mut j);
        *self = Attrs::from_json(&j);
        r
    }
    /// The attributes as a value of the resource's type `ty` ([`Value::from_json_typed`]),
    /// read from the text without a JSON tree.
    pub fn to_value_typed(&self, ty: &Type) -> Value {
        Value::from_json_str_typed(&self.0, ty).unwrap_or(Value::Null)
    }
    /// The attributes as an untyped value ([`Value::from_json`]).
    pub fn to_value(&self) -> Value {
        Value::from_json_str(&self.0).unwrap_or(Value::Null)
    }
}

/// `null`, as an instance with no attributes was before.
impl Default for Attrs {
    fn default() -> Attrs {
        Attrs("null".into())
    }
}

impl From<serde_json::Value> for Attrs {
    fn from(v: serde_json::Value) -> Attrs {
        Attrs::from_json(&v)
    }
}

impl std::fmt::Debug for Attrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Attrs({})", self.0)
    }
}

/// The compact text.
impl std::fmt::Display for Attrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Serialises as the JSON value itself (as the `serde_json::Value` it replaces did), copied
/// as text into a JSON serialiser.
impl Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// Read through a JSON tree: the journal's records are internally tagged enums, whose
/// contents serde buffers, and text cannot be taken from a buffer. Only recovery reads them.
impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Attrs, D::Error> {
        serde_json::Value::deserialize(d).map(|v| Attrs::from_json(&v))
    }
}

#[derive(Debug, Error)]
pub enum StateError {
    #[error("cannot read state {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write state {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("state {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
    #[error(
        "state is locked\n\n  ID:        {}\n  Path:      {}\n  Operation: {}\n  Who:       {}\n  Created:   {}\n\nAnother cairn or terraform process holds the lock. Wait for it, pass -lock-timeout, or run `cairn force-unlock {}` if it is no longer running.",
        .0.id, .0.path, .0.operation, .0.who, .0.created, .0.id
    )]
    Locked(Box<LockInfo>),
    #[error("lock {0} is not held")]
    NotLocked(String),
    #[error("backend error: {0}")]
    Backend(String),
    #[error("lock ID {given:?} does not match the lock held: {holder:?}")]
    LockMismatch { given: String, holder: String },
    #[error(
        "state {path} belongs to another history (lineage {stored}), not to this one ({given}); refusing to overwrite it"
    )]
    LineageMismatch {
        path: String,
        stored: String,
        given: String,
    },
}

impl State {
    /// A new, empty state with a fresh lineage.
    pub fn new() -> State {
        State {
            terraform_version: TERRAFORM_VERSION.to_string(),
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            outputs: BTreeMap::new(),
            resources: BTreeMap::new(),
        }
    }
    pub fn instance(&self, addr: &InstanceAddr) -> Option<&InstanceState> {
        self.resources.get(&addr.resource)?.instances.get(&addr.key)
    }
    /// Sets (or with `None` removes) one instance; a resource left with no instances is removed.
    pub fn set_instance(
        &mut self,
        addr: &InstanceAddr,
        provider: &str,
        inst: Option<InstanceState>,
    ) {
        match inst {
            Some(inst) => {
                let r = self
                    .resources
                    .entry(addr.resource.clone())
                    .or_insert_with(|| ResourceState {
                        provider: provider.to_string(),
                        instances: SortedMap::with_capacity(1), // most resources have one instance
                    });
                r.provider = provider.to_string();
                r.instances.insert(addr.key.clone(), inst);
            }
            None => {
                if let Some(r) = self.resources.get_mut(&addr.resource) {
                    r.instances.remove(&addr.key);
                    if r.instances.is_empty() {
                        self.resources.remove(&addr.resource);
                    }
                }
            }
        }
    }
    /// Every instance, in address order.
    pub fn instances(
        &self,
    ) -> impl Iterator<Item = (InstanceAddr, &ResourceState, &InstanceState)> {
        self.resources.iter().flat_map(|(ra, r)| {
            r.instances
                .iter()
                .map(move |(k, i)| (ra.instance(k.clone()), r, i))
        })
    }
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.outputs.is_empty()
    }
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

impl Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let doc: serde_json::Value =
            serde_json::from_slice(&format::write(self)).map_err(serde::ser::Error::custom)?;
        doc.serialize(s)
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<State, D::Error> {
        let doc = serde_json::Value::deserialize(d)?;
        let bytes = serde_json::to_vec(&doc).map_err(serde::de::Error::custom)?;
        format::read(&bytes, "plan").map_err(serde::de::Error::custom)
    }
}
