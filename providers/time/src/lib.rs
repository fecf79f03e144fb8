//! The `time` provider (`hashicorp/time`): `time_sleep`, `time_static`, `time_offset` and
//! `time_rotating`, with the real provider's schemas and lifecycle so that state files
//! interoperate (see each module for the resource's rules).
//!
//! Sleeping is asynchronous (`tokio::time::sleep`): a sleeping `time_sleep` holds no thread, so
//! any number of them run side by side, bounded only by the executor's parallelism. The SDK has
//! no cancellation token; an operation is cancelled by dropping its future, which ends the sleep
//! at once. Wall-clock readings go through a [`Clock`], so tests can fix "now".
//!
//! This crate owns only this provider; it must not know about configuration, state files or
//! plans beyond the `cairn-provider` contract.

mod duration;
mod fixed;
mod offset;
mod rotating;
mod sleep;
pub mod timestamp;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use cairn_provider::provider::plan_by_schema_with;
use cairn_provider::{
    PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta, ProviderSchema,
    ResourceSchema, Schema, Value,
};

pub use duration::{DurationError, parse_duration, parse_sleep_duration};

/// The `time` provider with the system clock.
pub fn factory() -> Box<dyn Provider> {
    Box::new(TimeProvider::new())
}

/// Where "now" comes from.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }
    /// A clock that reads `now()`.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// The `time` provider. It has no configuration.
#[derive(Clone, Debug)]
pub struct TimeProvider {
    clock: Clock,
}

impl Default for TimeProvider {
    fn default() -> TimeProvider {
        TimeProvider::new()
    }
}

impl TimeProvider {
    pub fn new() -> TimeProvider {
        TimeProvider {
            clock: Clock::system(),
        }
    }
    /// A provider whose creation times and rotation checks read `clock`.
    pub fn with_clock(clock: Clock) -> TimeProvider {
        TimeProvider { clock }
    }
}

/// The resource types, in the order the provider declares them.
const TYPES: [&str; 4] = [sleep::TYPE, fixed::TYPE, offset::TYPE, rotating::TYPE];

fn schema_of(type_name: &str) -> Option<Schema> {
    match type_name {
        sleep::TYPE => Some(sleep::schema()),
        fixed::TYPE => Some(fixed::schema()),
        offset::TYPE => Some(offset::schema()),
        rotating::TYPE => Some(rotating::schema()),
        _ => None,
    }
}

fn unknown_type(type_name: &str) -> ProviderError {
    ProviderError::unsupported(format!(
        "the time provider has no resource type {type_name}"
    ))
}

fn err(type_name: &str, msg: impl std::fmt::Display) -> ProviderError {
    ProviderError::permanent(format!("{type_name}: {msg}"))
}

/// A string attribute: `Ok(None)` when null or unknown.
fn str_attr<'a>(
    type_name: &str,
    v: &'a Value,
    name: &str,
) -> Result<Option<&'a str>, ProviderError> {
    match v.get_attr(name) {
        None | Some(Value::Null | Value::Unknown) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(err(
            type_name,
            format!("{name} must be a string, got {}", other.kind_name()),
        )),
    }
}

/// A whole-number attribute: `Ok(None)` when null or unknown.
fn int_attr(type_name: &str, v: &Value, name: &str) -> Result<Option<i64>, ProviderError> {
    match v.get_attr(name) {
        None | Some(Value::Null | Value::Unknown) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| err(type_name, format!("{name} must be a whole number, got {n}"))),
        Some(other) => Err(err(
            type_name,
            format!("{name} must be a number, got {}", other.kind_name()),
        )),
    }
}

/// Whether the attribute is set (known or not) in the configuration.
fn is_set(v: &Value, name: &str) -> bool {
    v.get_attr(name).is_some_and(|x| !x.is_null())
}

fn is_unknown(v: &Value, name: &str) -> bool {
    v.get_attr(name).is_some_and(Value::is_unknown)
}

/// An RFC 3339 attribute, parsed: `Ok(None)` when null or unknown.
fn stamp_attr(
    type_name: &str,
    v: &Value,
    name: &str,
) -> Result<Option<timestamp::Stamp>, ProviderError> {
    str_attr(type_name, v, name)?
        .map(|s| timestamp::parse(s).map_err(|e| err(type_name, format!("{name}: {e}"))))
        .transpose()
}

/// The time an apply starts from: the stamp `name` of the planned value (configured, or kept by
/// the plan), else the prior object's, else now.
fn base_stamp(
    type_name: &str,
    planned: &Value,
    prior: Option<&Value>,
    name: &str,
    clock: &Clock,
) -> Result<timestamp::Stamp, ProviderError> {
    if let Some(b) = stamp_attr(type_name, planned, name)? {
        return Ok(b);
    }
    match prior.map(|p| stamp_attr(type_name, p, name)).transpose()? {
        Some(Some(b)) => Ok(b),
        _ => Ok(timestamp::utc(clock.now())),
    }
}

/// Equality that ignores the collection kind (`Map` vs `Object`), which a value loses when it
/// round-trips through a state file. Unknowns equal only themselves.
fn same_by_json(a: &Value, b: &Value) -> bool {
    if !a.is_wholly_known() || !b.is_wholly_known() {
        return a == b;
    }
    a.to_json() == b.to_json()
}

/// Whether a force-new attribute is unchanged: [`same_by_json`], except that a null and an empty
/// `triggers` map are alike. The real provider's imports write an empty map, which a
/// configuration without `triggers` must not see as a reason to replace; cairn's imports leave
/// `triggers` null.
fn same_force_new(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| v.is_null() || v.as_map().is_some_and(|m| m.is_empty());
    (empty(a) && empty(b)) || same_by_json(a, b)
}

/// The schema rule every resource here starts from (configured values, computed attributes kept
/// from the prior object, force-new attributes compared by [`same_force_new`]).
fn plan_by_schema(schema: &Schema, prior: Option<&Value>, config: &Value) -> PlanResponse {
    plan_by_schema_with(schema, prior, config, &|_, a, b| same_force_new(a, b))
}

/// The object map of a planned or prior value.
fn object(type_name: &str, v: &Value) -> Result<cairn_provider::ValueMap, ProviderError> {
    v.as_map()
        .cloned()
        .ok_or_else(|| err(type_name, "the value is not an object"))
}

#[async_trait]
impl Provider for TimeProvider {
    fn meta(&self) -> ProviderMeta {
        ProviderMeta {
            name: "time",
            source: "hashicorp/time",
            version: "0.13.1",
        }
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        for t in TYPES {
            if let Some(schema) = schema_of(t) {
                s.resources
                    .insert(t.to_string(), ResourceSchema::new(schema, false));
            }
        }
        s
    }

    fn validate(&self, type_name: &str, config: &Value) -> Result<(), ProviderError> {
        match type_name {
            sleep::TYPE => sleep::validate(config),
            fixed::TYPE => fixed::validate(config),
            offset::TYPE => offset::validate(config),
            rotating::TYPE => rotating::validate(config),
            _ => Err(unknown_type(type_name)),
        }
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let schema = schema_of(req.type_name).ok_or_else(|| unknown_type(req.type_name))?;
        let Some(config) = req.config else {
            return Ok(PlanResponse {
                planned: Value::Null,
                requires_replace: vec![],
            });
        };
        self.validate(req.type_name, config)?;
        let base = plan_by_schema(&schema, req.prior, config);
        match req.type_name {
            fixed::TYPE => fixed::plan(base, req.prior),
            offset::TYPE => offset::plan(base, req.prior),
            rotating::TYPE => rotating::plan(base, req.prior, config, self.clock.now()),
            _ => Ok(base),
        }
    }

    async fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        let clock = &self.clock;
        match type_name {
            sleep::TYPE => sleep::apply(prior, planned, clock).await,
            fixed::TYPE => fixed::apply(prior, planned, clock),
            offset::TYPE => offset::apply(prior, planned, clock),
            rotating::TYPE => rotating::apply(prior, planned, clock),
            _ => Err(unknown_type(type_name)),
        }
    }

    async fn read(&self, type_name: &str, current: &Value) -> Result<Option<Value>, ProviderError> {
        match type_name {
            rotating::TYPE => rotating::read(current, self.clock.now()),
            t if schema_of(t).is_some() => Ok(Some(current.clone())),
            _ => Err(unknown_type(type_name)),
        }
    }

    /// Every type but `time_rotating`, whose read finds it gone once its rotation time passed.
    fn state_only(&self, type_name: &str) -> bool {
        type_name != rotating::TYPE && TYPES.contains(&type_name)
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        match type_name {
            sleep::TYPE => sleep::import(id, self.clock.now()),
            fixed::TYPE => fixed::import(id),
            offset::TYPE => offset::import(id),
            rotating::TYPE => rotating::import(id),
            _ => Err(unknown_type(type_name)),
        }
    }
}

#[cfg(test)]
mod tests;
