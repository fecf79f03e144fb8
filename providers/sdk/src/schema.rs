//! How a provider describes itself: the attributes and nested blocks of its configuration, of
//! each resource type and of each data source, with the flags that drive planning (required,
//! optional, computed, sensitive, force-new), and the object type of each schema made once
//! ([`ObjectTypes`]). Plain data: no behaviour beyond small lookups.

use std::collections::BTreeMap;

use crate::types::Type;
use crate::value::{PathStep, Value, ValuePath};

/// One attribute of a block.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Attribute {
    pub ty: Type,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Changing this attribute replaces the object.
    pub force_new: bool,
    pub description: String,
}

impl Attribute {
    fn new(ty: Type) -> Attribute {
        Attribute {
            ty,
            ..Attribute::default()
        }
    }
    pub fn required(ty: Type) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(ty)
        }
    }
    pub fn optional(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(ty)
        }
    }
    /// Set by the provider only.
    pub fn computed(ty: Type) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(ty)
        }
    }
    /// Set by the user, or by the provider when the user leaves it out.
    pub fn optional_computed(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(ty)
        }
    }
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn describe(mut self, d: &str) -> Attribute {
        self.description = d.to_string();
        self
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BlockNesting {
    /// At most one block; its value is an object or null.
    #[default]
    Single,
    /// Any number of blocks; a list of objects.
    List,
    /// Any number of blocks; a set of objects.
    Set,
}

/// A nested block type.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NestedBlock {
    pub nesting: BlockNesting,
    pub block: Schema,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub force_new: bool,
}

/// The schema of a block: of a resource type, a data source, or a provider's configuration.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Schema {
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, NestedBlock>,
    /// The schema version written to state as `schema_version`.
    pub version: u64,
    pub description: String,
}

impl Schema {
    pub fn new() -> Schema {
        Schema::default()
    }
    pub fn attr(mut self, name: &str, a: Attribute) -> Schema {
        self.attributes.insert(name.to_string(), a);
        self
    }
    pub fn block(mut self, name: &str, b: NestedBlock) -> Schema {
        self.blocks.insert(name.to_string(), b);
        self
    }
    pub fn with_version(mut self, v: u64) -> Schema {
        self.version = v;
        self
    }

    /// The type of an object conforming to this schema.
    pub fn object_type(&self) -> Type {
        let mut attrs: Vec<(String, Type)> = self
            .attributes
            .iter()
            .map(|(k, a)| (k.clone(), a.ty.clone()))
            .collect();
        for (k, b) in &self.blocks {
            let t = b.block.object_type();
            attrs.push((
                k.clone(),
                match b.nesting {
                    BlockNesting::Single => t,
                    BlockNesting::List => Type::list(t),
                    BlockNesting::Set => Type::set(t),
                },
            ));
        }
        Type::object(attrs)
    }

    /// Paths of the attributes declared sensitive (top level and in single/list blocks).
    pub fn sensitive_paths(&self, value: &Value) -> Vec<ValuePath> {
        let mut out = Vec::new();
        self.collect_sensitive(value, &mut Vec::new(), &mut out);
        out
    }
    fn collect_sensitive(&self, value: &Value, at: &mut ValuePath, out: &mut Vec<ValuePath>) {
        for (k, a) in &self.attributes {
            if a.sensitive && value.get_attr(k).is_some_and(|v| !v.is_null()) {
                let mut p = at.clone();
                p.push(PathStep::Attr(k.clone()));
                out.push(p);
            }
        }
        for (k, b) in &self.blocks {
            let Some(v) = value.get_attr(k) else { continue };
            at.push(PathStep::Attr(k.clone()));
            match b.nesting {
                BlockNesting::Single => b.block.collect_sensitive(v, at, out),
                BlockNesting::List => {
                    for (i, x) in v.as_seq().unwrap_or_default().iter().enumerate() {
                        at.push(PathStep::Index(i as u64));
                        b.block.collect_sensitive(x, at, out);
                        at.pop();
                    }
                }
                BlockNesting::Set => {
                    let mut inner = Vec::new();
                    for x in v.as_seq().unwrap_or_default() {
                        b.block.collect_sensitive(x, &mut Vec::new(), &mut inner);
                    }
                    if !inner.is_empty() {
                        out.push(at.clone());
                    }
                }
            }
            at.pop();
        }
    }
}

/// Everything a provider declares.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ProviderSchema {
    /// The schema of the `provider "NAME" { ... }` block.
    pub provider: Schema,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, Schema>,
}

/// The object type ([`Schema::object_type`]) of each resource type and data source of a
/// provider, made once: an engine reads every stored object with one, and building a type for
/// each of 100,000 objects was a measurable part of planning and applying them.
#[derive(Clone, Debug, Default)]
pub struct ObjectTypes {
    resources: BTreeMap<String, Type>,
    data_sources: BTreeMap<String, Type>,
}

impl ObjectTypes {
    pub fn new(schema: &ProviderSchema) -> ObjectTypes {
        ObjectTypes {
            resources: (schema.resources.iter())
                .map(|(k, r)| (k.clone(), r.schema.object_type()))
                .collect(),
            data_sources: (schema.data_sources.iter())
                .map(|(k, s)| (k.clone(), s.object_type()))
                .collect(),
        }
    }
    /// The object type of a managed resource type.
    pub fn resource(&self, type_name: &str) -> Option<&Type> {
        self.resources.get(type_name)
    }
    /// The object type of a data source.
    pub fn data_source(&self, type_name: &str) -> Option<&Type> {
        self.data_sources.get(type_name)
    }
}

/// A managed resource type's schema and capabilities.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ResourceSchema {
    pub schema: Schema,
    /// Creating, updating or deleting it changes something outside this process (a file, a cloud
    /// object). The executor makes its journal record durable before such an operation starts;
    /// purely logical resources (`terraform_data`, `random_*`) need no barrier.
    pub external: bool,
}

impl ResourceSchema {
    pub fn new(schema: Schema, external: bool) -> ResourceSchema {
        ResourceSchema { schema, external }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_types_are_those_of_the_schemas_kept_apart_by_kind() {
        let thing = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("size", Attribute::optional(Type::Number));
        let lookup = Schema::new().attr("name", Attribute::required(Type::String));
        let schema = ProviderSchema {
            provider: Schema::new(),
            resources: [(
                "x_thing".to_string(),
                ResourceSchema::new(thing.clone(), false),
            )]
            .into(),
            // A data source may share a resource type's name and differ from it.
            data_sources: [("x_thing".to_string(), lookup.clone())].into(),
        };
        let types = ObjectTypes::new(&schema);
        assert_eq!(types.resource("x_thing"), Some(&thing.object_type()));
        assert_eq!(types.data_source("x_thing"), Some(&lookup.object_type()));
        assert_ne!(types.resource("x_thing"), types.data_source("x_thing"));
        assert_eq!(types.resource("x_other"), None);
    }
}
