//! `time_static`: a timestamp saved once, at creation — the configured `rfc3339`, else the
//! current UTC time — with its calendar attributes. Changing `rfc3339` or `triggers` replaces
//! it. When `rfc3339` is configured and known the plan already shows every attribute; otherwise
//! they are known after apply. Reading and deleting touch nothing.

use cairn_provider::{Attribute, PlanResponse, ProviderError, Schema, Type, Value};

use crate::timestamp::{self, FIELDS};
use crate::{Clock, err, object, stamp_attr, str_attr};

pub const TYPE: &str = "time_static";

pub fn schema() -> Schema {
    let mut s = Schema::new()
        .attr(
            "rfc3339",
            Attribute::optional_computed(Type::String)
                .force_new()
                .describe("Base timestamp in RFC 3339 format; defaults to the current time."),
        )
        .attr(
            "triggers",
            Attribute::optional(Type::map(Type::String))
                .force_new()
                .describe("Arbitrary map of values that, when changed, save a new timestamp."),
        )
        .attr(
            "id",
            Attribute::computed(Type::String).describe("RFC 3339 format of the timestamp."),
        );
    for f in FIELDS {
        s = s.attr(f, Attribute::computed(Type::Number));
    }
    s
}

pub fn validate(config: &Value) -> Result<(), ProviderError> {
    stamp_attr(TYPE, config, "rfc3339")?;
    Ok(())
}

/// A new object (create or replace) with a known `rfc3339` gets its attributes at plan time.
pub fn plan(mut r: PlanResponse, prior: Option<&Value>) -> Result<PlanResponse, ProviderError> {
    let creating = prior.is_none() || !r.requires_replace.is_empty();
    if !creating {
        return Ok(r);
    }
    if let (Some(t), Some(s)) = (
        stamp_attr(TYPE, &r.planned, "rfc3339")?,
        str_attr(TYPE, &r.planned, "rfc3339")?.map(str::to_string),
    ) {
        let mut obj = object(TYPE, &r.planned)?;
        obj.extend(timestamp::fields(&t).map(|(k, v)| (k.to_string(), v)));
        obj.insert("id".into(), Value::string(s));
        r.planned = Value::Object(obj);
    }
    Ok(r)
}

pub fn apply(
    prior: Option<&Value>,
    planned: Option<&Value>,
    clock: &Clock,
) -> Result<Option<Value>, ProviderError> {
    let Some(planned) = planned else {
        return Ok(None);
    };
    if prior.is_some() {
        // Every attribute but `triggers` and `rfc3339` is computed, and those two replace: an
        // update only records the planned object.
        return Ok(Some(planned.clone()));
    }
    let mut obj = object(TYPE, planned)?;
    let (t, text) = match (
        stamp_attr(TYPE, planned, "rfc3339")?,
        str_attr(TYPE, planned, "rfc3339")?,
    ) {
        (Some(t), Some(s)) => (t, s.to_string()),
        _ => {
            let t = timestamp::utc(clock.now());
            (t, timestamp::format(&t))
        }
    };
    obj.extend(timestamp::fields(&t).map(|(k, v)| (k.to_string(), v)));
    obj.insert("rfc3339".into(), Value::string(text.clone()));
    obj.insert("id".into(), Value::string(text));
    Ok(Some(Value::Object(obj)))
}

/// Imports an RFC 3339 timestamp.
pub fn import(id: &str) -> Result<Value, ProviderError> {
    let t = timestamp::parse(id).map_err(|e| err(TYPE, format!("import id: {e}")))?;
    let text = Value::string(timestamp::format(&t));
    let mut obj: cairn_provider::ValueMap = timestamp::fields(&t)
        .map(|(k, v)| (k.to_string(), v))
        .into_iter()
        .collect();
    obj.insert("rfc3339".into(), text.clone());
    obj.insert("id".into(), text);
    obj.insert("triggers".into(), Value::Null);
    Ok(Value::Object(obj))
}
