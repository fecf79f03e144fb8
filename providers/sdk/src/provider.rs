//! The lifecycle a provider implements, modelled on Terraform's resource-instance change
//! lifecycle (docs/providers.md is the written contract), the errors it reports, and
//! [`plan_by_schema`], the planning rule most resources need.
//!
//! Values crossing this boundary carry no sensitive marks: the engine removes them before a call
//! and re-applies them (and the schema's sensitive attributes) after.

use async_trait::async_trait;
use thiserror::Error;

use crate::schema::{ProviderSchema, Schema};
use crate::value::{PathStep, Value, ValuePath};

/// Whether retrying can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// Throttling or a transient failure: the engine may retry with backoff.
    Retryable,
    /// Invalid input or a refused operation: retrying will not help.
    Permanent,
    /// The provider does not support this operation for this type.
    Unsupported,
}

/// An error reported by a provider.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("{message}")]
pub struct ProviderError {
    pub kind: ProviderErrorKind,
    pub message: String,
}

impl ProviderError {
    pub fn permanent(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ProviderErrorKind::Permanent,
            message: message.into(),
        }
    }
    pub fn retryable(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ProviderErrorKind::Retryable,
            message: message.into(),
        }
    }
    pub fn unsupported(message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind: ProviderErrorKind::Unsupported,
            message: message.into(),
        }
    }
    pub fn is_retryable(&self) -> bool {
        self.kind == ProviderErrorKind::Retryable
    }
}

/// What the engine asks when planning one resource instance.
#[derive(Clone, Debug)]
pub struct PlanRequest<'a> {
    pub type_name: &'a str,
    /// The current object (after refresh), or `None` when it is to be created.
    pub prior: Option<&'a Value>,
    /// The configuration, an object of the schema's attributes and blocks; may contain unknowns.
    /// `None` when the object is to be deleted.
    pub config: Option<&'a Value>,
}

/// The provider's answer: the planned new object and which changed paths force replacement.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanResponse {
    /// The planned object; computed attributes not yet known are [`Value::Unknown`].
    /// `Value::Null` when deleting.
    pub planned: Value,
    /// Paths whose change cannot be made in place. Non-empty means replace.
    pub requires_replace: Vec<ValuePath>,
}

/// Names a provider: its local name (`random`), its registry source (`hashicorp/random`) and the
/// version reported in state.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderMeta {
    pub name: &'static str,
    pub source: &'static str,
    pub version: &'static str,
}

/// Creates a fresh, unconfigured instance of a provider (one per `provider` block or alias).
pub type ProviderFactory = fn() -> Box<dyn Provider>;

/// A provider: the plugin that manages objects of some resource types.
///
/// Contract (see docs/providers.md):
/// - [`Provider::plan`] returns the planned new value; computed attributes it cannot know yet
///   are `Unknown`; every attribute the configuration set keeps its configured value.
/// - [`Provider::apply`] returns the new value: every known planned value comes back unchanged and
///   nothing stays `Unknown`. With `planned == None` it deletes; deleting something already gone
///   succeeds and returns `Ok(None)`.
/// - [`Provider::read`] refreshes from the real world; an object that is gone returns `Ok(None)`.
#[async_trait]
pub trait Provider: Send + Sync {
    fn meta(&self) -> ProviderMeta;
    fn schema(&self) -> ProviderSchema;

    /// Receives the evaluated `provider` block (an object of the provider schema; null when the
    /// configuration has no block). Called once, before any other operation.
    async fn configure(&mut self, _config: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Checks a resource configuration beyond what the schema says (cross-attribute rules).
    fn validate(&self, _type_name: &str, _config: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError>;

    async fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError>;

    async fn read(&self, type_name: &str, current: &Value) -> Result<Option<Value>, ProviderError>;

    /// Whether objects of `type_name` live only in the state (as `terraform_data` and
    /// `random_id` do): reading one always returns it unchanged, so a refresh need not read
    /// them at all. A resource type whose read can find its object changed or gone must
    /// answer false (the default).
    fn state_only(&self, _type_name: &str) -> bool {
        false
    }

    /// Reads a data source.
    async fn read_data(&self, type_name: &str, _config: &Value) -> Result<Value, ProviderError> {
        Err(ProviderError::unsupported(format!(
            "no data source {type_name}"
        )))
    }

    /// Refreshes many objects of one type at once; the result is aligned with `currents`
    /// (`Ok(None)` = gone). Providers whose API can describe many objects in one call override
    /// it; the default calls [`Provider::read`] for each, a few at a time.
    async fn read_many(
        &self,
        type_name: &str,
        currents: &[Value],
    ) -> Vec<Result<Option<Value>, ProviderError>> {
        let mut out = Vec::with_capacity(currents.len());
        for chunk in currents.chunks(READ_MANY_CONCURRENCY) {
            let reads = chunk.iter().map(|c| self.read(type_name, c)).collect();
            out.extend(join_all(reads).await);
        }
        out
    }

    /// Reads an existing object by its import id.
    async fn import(&self, type_name: &str, _id: &str) -> Result<Value, ProviderError> {
        Err(ProviderError::unsupported(format!(
            "{type_name} does not support import"
        )))
    }
}

/// How many reads the default [`Provider::read_many`] runs at once.
const READ_MANY_CONCURRENCY: usize = 8;

type BoxedRead<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Option<Value>, ProviderError>> + Send + 'a>,
>;

/// Runs the futures concurrently on the current task and returns their outputs in order.
async fn join_all(mut futs: Vec<BoxedRead<'_>>) -> Vec<Result<Option<Value>, ProviderError>> {
    let mut done: Vec<Option<Result<Option<Value>, ProviderError>>> =
        futs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futs.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => *slot = Some(r),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

/// The planning rule most resources follow, derived from the schema alone:
/// - an attribute set in the configuration takes the configured value;
/// - an unset computed attribute keeps its prior value, or is unknown on create;
/// - an unset non-computed attribute is null;
/// - a changed `force_new` attribute (or block) requires replacement, and then every unset
///   computed attribute becomes unknown again (a new object gets new computed values).
pub fn plan_by_schema(schema: &Schema, prior: Option<&Value>, config: &Value) -> PlanResponse {
    let mut planned = plan_block(schema, prior, config);
    let mut requires_replace = Vec::new();
    if let Some(prior) = prior {
        for (name, attr) in &schema.attributes {
            if attr.force_new && prior.get_attr(name) != planned.get_attr(name) {
                requires_replace.push(vec![PathStep::Attr(name.clone())]);
            }
        }
        for (name, block) in &schema.blocks {
            if block.force_new && prior.get_attr(name) != planned.get_attr(name) {
                requires_replace.push(vec![PathStep::Attr(name.clone())]);
            }
        }
        if !requires_replace.is_empty() {
            planned = plan_block(schema, None, config);
        }
    }
    PlanResponse {
        planned,
        requires_replace,
    }
}

fn plan_block(schema: &Schema, prior: Option<&Value>, config: &Value) -> Value {
    let mut out = crate::ValueMap::with_capacity(schema.attributes.len() + schema.blocks.len());
    for (name, attr) in &schema.attributes {
        let configured = config.get_attr(name).cloned().unwrap_or(Value::Null);
        let v = if !configured.is_null() {
            configured
        } else if attr.computed {
            match prior.and_then(|p| p.get_attr(name)) {
                Some(p) => p.clone(),
                None => Value::Unknown,
            }
        } else {
            Value::Null
        };
        out.insert(name.clone(), v);
    }
    for name in schema.blocks.keys() {
        let v = config.get_attr(name).cloned().unwrap_or(Value::Null);
        out.insert(name.clone(), v);
    }
    Value::Object(out)
}

/// [`plan_by_schema`] with a provider-specific notion of "unchanged" for force-new attributes:
/// `same(name, prior, planned)` decides whether the attribute `name` changed. Providers use it for
/// attributes whose replacement rule is looser than equality, such as `keepers` maps where null
/// and empty are the same. Everything else follows [`plan_by_schema`].
pub fn plan_by_schema_with(
    schema: &Schema,
    prior: Option<&Value>,
    config: &Value,
    same: &dyn Fn(&str, &Value, &Value) -> bool,
) -> PlanResponse {
    let mut planned = plan_block(schema, prior, config);
    let mut requires_replace = Vec::new();
    if let Some(prior) = prior {
        for (name, attr) in &schema.attributes {
            let before = prior.get_attr(name).unwrap_or(&Value::Null);
            let after = planned.get_attr(name).unwrap_or(&Value::Null);
            if attr.force_new && !same(name, before, after) {
                requires_replace.push(vec![PathStep::Attr(name.clone())]);
            }
        }
        for (name, block) in &schema.blocks {
            if block.force_new && prior.get_attr(name) != planned.get_attr(name) {
                requires_replace.push(vec![PathStep::Attr(name.clone())]);
            }
        }
        if !requires_replace.is_empty() {
            planned = plan_block(schema, None, config);
        }
    }
    PlanResponse {
        planned,
        requires_replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Attribute;
    use crate::types::Type;

    fn schema() -> Schema {
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("size", Attribute::optional(Type::Number))
    }

    #[test]
    fn create_leaves_computed_unknown() {
        let cfg = Value::object([("name", Value::string("a"))]);
        let r = plan_by_schema(&schema(), None, &cfg);
        assert_eq!(r.planned.get_attr("id"), Some(&Value::Unknown));
        assert_eq!(r.planned.get_attr("size"), Some(&Value::Null));
        assert!(r.requires_replace.is_empty());
    }

    #[test]
    fn force_new_change_requires_replace_and_resets_computed() {
        let prior = Value::object([
            ("id", Value::string("1")),
            ("name", Value::string("a")),
            ("size", Value::Null),
        ]);
        let same = plan_by_schema(
            &schema(),
            Some(&prior),
            &Value::object([("name", "a".into())]),
        );
        assert_eq!(same.planned, prior);
        let cfg = Value::object([("name", Value::string("b"))]);
        let r = plan_by_schema(&schema(), Some(&prior), &cfg);
        assert_eq!(
            r.requires_replace,
            vec![vec![PathStep::Attr("name".into())]]
        );
        assert_eq!(r.planned.get_attr("id"), Some(&Value::Unknown));
    }
}
