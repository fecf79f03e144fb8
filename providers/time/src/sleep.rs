//! `time_sleep`: waits `create_duration` when created and `destroy_duration` when destroyed;
//! replaced (sleeping again) when its `triggers` change; a change of a duration alone is an
//! in-place update that does not sleep. Its `id` is the RFC 3339 UTC time at which creation
//! finished, kept across updates.

use std::time::Duration;

use cairn_provider::{Attribute, ProviderError, Schema, Type, Value};

use crate::{
    Clock, err, is_set, is_unknown, object, parse_duration, parse_sleep_duration, str_attr,
};

pub const TYPE: &str = "time_sleep";

pub fn schema() -> Schema {
    Schema::new()
        .attr(
            "create_duration",
            Attribute::optional(Type::String)
                .describe("Time duration to delay resource creation, e.g. `30s`."),
        )
        .attr(
            "destroy_duration",
            Attribute::optional(Type::String)
                .describe("Time duration to delay resource destroy, e.g. `30s`."),
        )
        .attr(
            "triggers",
            Attribute::optional(Type::map(Type::String))
                .force_new()
                .describe("Arbitrary map of values that, when changed, run the delays again."),
        )
        .attr(
            "id",
            Attribute::computed(Type::String).describe("RFC 3339 time of creation."),
        )
}

/// The duration in attribute `name`: zero when null or unknown.
fn duration_attr(v: &Value, name: &str) -> Result<Duration, ProviderError> {
    match str_attr(TYPE, v, name)? {
        Some(s) => parse_sleep_duration(s).map_err(|e| err(TYPE, format!("{name}: {e}"))),
        None => Ok(Duration::ZERO),
    }
}

pub fn validate(config: &Value) -> Result<(), ProviderError> {
    duration_attr(config, "create_duration")?;
    duration_attr(config, "destroy_duration")?;
    let present = |name| is_set(config, name) || is_unknown(config, name);
    if !present("create_duration") && !present("destroy_duration") {
        return Err(err(
            TYPE,
            "at least one of create_duration or destroy_duration must be set",
        ));
    }
    Ok(())
}

pub async fn apply(
    prior: Option<&Value>,
    planned: Option<&Value>,
    clock: &Clock,
) -> Result<Option<Value>, ProviderError> {
    match (prior, planned) {
        (prior, None) => {
            if let Some(prior) = prior {
                tokio::time::sleep(duration_attr(prior, "destroy_duration")?).await;
            }
            Ok(None)
        }
        (None, Some(planned)) => {
            let wait = duration_attr(planned, "create_duration")?;
            let mut obj = object(TYPE, planned)?;
            tokio::time::sleep(wait).await;
            let now = crate::timestamp::format(&crate::timestamp::utc(clock.now()));
            obj.insert("id".into(), Value::string(now));
            Ok(Some(Value::Object(obj)))
        }
        (Some(prior), Some(planned)) => {
            duration_attr(planned, "create_duration")?;
            duration_attr(planned, "destroy_duration")?;
            let mut obj = object(TYPE, planned)?;
            if obj.get("id").is_none_or(Value::is_unknown) {
                obj.insert(
                    "id".into(),
                    prior.get_attr("id").cloned().unwrap_or(Value::Null),
                );
            }
            Ok(Some(Value::Object(obj)))
        }
    }
}

/// Imports `CREATE_DURATION,DESTROY_DURATION[,KEY=VALUE...]`, at least one duration non-empty;
/// the durations take Go's full syntax here, as in the real provider.
pub fn import(id: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Value, ProviderError> {
    let parts: Vec<&str> = id.split(',').collect();
    if parts.len() < 2 || (parts[0].is_empty() && parts[1].is_empty()) {
        return Err(err(
            TYPE,
            format!(
                "unexpected import id {id:?}, expected CREATE_DURATION,DESTROY_DURATION[,KEY=VALUE...] \
                 where at least one duration is non-empty"
            ),
        ));
    }
    let duration = |name: &str, s: &str| -> Result<Value, ProviderError> {
        if s.is_empty() {
            return Ok(Value::Null);
        }
        parse_duration(s).map_err(|e| err(TYPE, format!("{name}: {e}")))?;
        Ok(Value::string(s))
    };
    let mut triggers = cairn_provider::ValueMap::new();
    for t in &parts[2..] {
        match t.split_once('=') {
            Some((k, v)) if !v.contains('=') => {
                triggers.insert(k.to_string(), Value::string(v));
            }
            _ => {
                return Err(err(
                    TYPE,
                    format!("trigger import entries must be KEY=VALUE, got {t}"),
                ));
            }
        }
    }
    Ok(Value::object([
        (
            "id",
            Value::string(crate::timestamp::format(&crate::timestamp::utc(now))),
        ),
        ("create_duration", duration("create_duration", parts[0])?),
        ("destroy_duration", duration("destroy_duration", parts[1])?),
        (
            "triggers",
            if triggers.is_empty() {
                Value::Null
            } else {
                Value::Map(triggers)
            },
        ),
    ]))
}
