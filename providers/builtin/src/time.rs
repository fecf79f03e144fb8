//! `time_sleep` of `hashicorp/time`: waits `create_duration` when created and
//! `destroy_duration` when destroyed, replaced when its `triggers` change. Its id is the RFC 3339
//! UTC time of creation. Sleeping uses tokio's clock, so paused-clock tests run instantly.

use std::time::Duration;

use async_trait::async_trait;
use cairn_provider::provider::plan_by_schema_with;
use cairn_provider::{
    Attribute, PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta, ProviderSchema,
    ResourceSchema, Schema, Type, Value,
};

use crate::{parse_duration, same_by_json, unknown_type};

const TYPE: &str = "time_sleep";

/// The `time` provider: `time_sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TimeProvider;

fn sleep_schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("create_duration", Attribute::optional(Type::String))
        .attr("destroy_duration", Attribute::optional(Type::String))
        .attr(
            "triggers",
            Attribute::optional(Type::map(Type::String)).force_new(),
        )
}

/// The duration in attribute `name`: zero when null or unknown, an error when malformed.
fn duration_attr(v: &Value, name: &str) -> Result<Duration, ProviderError> {
    match v.get_attr(name) {
        Some(Value::String(s)) => parse_duration(s)
            .map_err(|e| ProviderError::permanent(format!("time_sleep: {name}: {e}"))),
        None | Some(Value::Null | Value::Unknown) => Ok(Duration::ZERO),
        Some(other) => Err(ProviderError::permanent(format!(
            "time_sleep: {name} must be a string, got {}",
            other.kind_name()
        ))),
    }
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
        s.resources
            .insert(TYPE.into(), ResourceSchema::new(sleep_schema(), false));
        s
    }

    fn validate(&self, type_name: &str, config: &Value) -> Result<(), ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "time"));
        }
        duration_attr(config, "create_duration")?;
        duration_attr(config, "destroy_duration")?;
        let set = |name| config.get_attr(name).is_some_and(|v| !v.is_null());
        if !set("create_duration") && !set("destroy_duration") {
            return Err(ProviderError::permanent(
                "time_sleep: at least one of create_duration or destroy_duration must be set",
            ));
        }
        Ok(())
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let Some(config) = req.config else {
            return Ok(PlanResponse {
                planned: Value::Null,
                requires_replace: vec![],
            });
        };
        self.validate(req.type_name, config)?;
        Ok(plan_by_schema_with(
            &sleep_schema(),
            req.prior,
            config,
            &|_, a, b| same_by_json(a, b),
        ))
    }

    async fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "time"));
        }
        match (prior, planned) {
            (_, None) => {
                if let Some(prior) = prior {
                    tokio::time::sleep(duration_attr(prior, "destroy_duration")?).await;
                }
                Ok(None)
            }
            (None, Some(planned)) => {
                let wait = duration_attr(planned, "create_duration")?;
                let mut obj = planned.as_map().cloned().ok_or_else(|| {
                    ProviderError::permanent("time_sleep: planned value is not an object")
                })?;
                tokio::time::sleep(wait).await;
                if obj.get("id").is_none_or(Value::is_unknown) {
                    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    obj.insert("id".into(), Value::string(now));
                }
                Ok(Some(Value::Object(obj)))
            }
            // An update only records the new durations; it does not sleep.
            (Some(prior), Some(planned)) => {
                duration_attr(planned, "create_duration")?;
                duration_attr(planned, "destroy_duration")?;
                let mut obj = planned.as_map().cloned().ok_or_else(|| {
                    ProviderError::permanent("time_sleep: planned value is not an object")
                })?;
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

    async fn read(&self, type_name: &str, current: &Value) -> Result<Option<Value>, ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "time"));
        }
        Ok(Some(current.clone()))
    }

    /// Imports `CREATE_DURATION,DESTROY_DURATION[,KEY=VALUE...]`, as the real provider does.
    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "time"));
        }
        let parts: Vec<&str> = id.split(',').collect();
        if parts.len() < 2 || (parts[0].is_empty() && parts[1].is_empty()) {
            return Err(ProviderError::permanent(format!(
                "time_sleep: unexpected import id {id:?}, expected \
                 CREATE_DURATION,DESTROY_DURATION[,KEY=VALUE...] with at least one duration"
            )));
        }
        let duration = |name: &str, s: &str| -> Result<Value, ProviderError> {
            if s.is_empty() {
                return Ok(Value::Null);
            }
            parse_duration(s)
                .map_err(|e| ProviderError::permanent(format!("time_sleep: {name}: {e}")))?;
            Ok(Value::string(s))
        };
        let mut triggers = std::collections::BTreeMap::new();
        for t in &parts[2..] {
            match t.split_once('=') {
                Some((k, v)) if !v.contains('=') => {
                    triggers.insert(k.to_string(), Value::string(v));
                }
                _ => {
                    return Err(ProviderError::permanent(format!(
                        "time_sleep: trigger import entries must be KEY=VALUE, got {t}"
                    )));
                }
            }
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Ok(Value::object([
            ("id", Value::string(now)),
            ("create_duration", duration("create_duration", parts[0])?),
            ("destroy_duration", duration("destroy_duration", parts[1])?),
            ("triggers", Value::Map(triggers)),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_provider::PathStep;
    use tokio::time::Instant;

    fn cfg(create: Option<&str>, destroy: Option<&str>, triggers: Value) -> Value {
        let s = |x: Option<&str>| x.map(Value::string).unwrap_or(Value::Null);
        Value::object([
            ("create_duration", s(create)),
            ("destroy_duration", s(destroy)),
            ("triggers", triggers),
        ])
    }
    async fn plan(prior: Option<&Value>, config: &Value) -> Result<PlanResponse, ProviderError> {
        TimeProvider
            .plan(PlanRequest {
                type_name: TYPE,
                prior,
                config: Some(config),
            })
            .await
    }

    #[tokio::test(start_paused = true)]
    async fn create_and_destroy_sleep_their_durations() {
        let p = TimeProvider;
        let c = cfg(Some("1m30s"), Some("10s"), Value::Null);
        let r = plan(None, &c).await.unwrap();
        assert_eq!(r.planned.get_attr("id"), Some(&Value::Unknown));
        assert_eq!(
            r.planned.get_attr("create_duration"),
            Some(&Value::string("1m30s"))
        );

        let start = Instant::now();
        let obj = p
            .apply(TYPE, None, Some(&r.planned))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(90));
        let id = obj.get_attr("id").and_then(Value::as_str).unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(id).is_ok(), "{id}");
        assert!(id.ends_with('Z'), "{id} is UTC");

        let same = plan(Some(&obj), &c).await.unwrap();
        assert_eq!(same.planned, obj);
        assert!(same.requires_replace.is_empty());

        let start = Instant::now();
        assert_eq!(p.apply(TYPE, Some(&obj), None).await.unwrap(), None);
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn duration_change_updates_in_place_without_sleeping() {
        let p = TimeProvider;
        let obj = Value::object([
            ("id", Value::string("2024-01-01T00:00:00Z")),
            ("create_duration", Value::string("5s")),
            ("destroy_duration", Value::Null),
            ("triggers", Value::Null),
        ]);
        let r = plan(Some(&obj), &cfg(Some("60s"), None, Value::Null))
            .await
            .unwrap();
        assert!(r.requires_replace.is_empty());
        assert_eq!(r.planned.get_attr("id"), obj.get_attr("id"));
        let start = Instant::now();
        let new = p
            .apply(TYPE, Some(&obj), Some(&r.planned))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(new, r.planned);
    }

    #[tokio::test(start_paused = true)]
    async fn trigger_change_replaces() {
        let t = |v: &str| Value::Map([("k".to_string(), Value::string(v))].into_iter().collect());
        let obj = Value::object([
            ("id", Value::string("2024-01-01T00:00:00Z")),
            ("create_duration", Value::string("0s")),
            ("destroy_duration", Value::Null),
            ("triggers", t("a")),
        ]);
        let r = plan(Some(&obj), &cfg(Some("0s"), None, t("b")))
            .await
            .unwrap();
        assert_eq!(
            r.requires_replace,
            vec![vec![PathStep::Attr("triggers".into())]]
        );
        assert_eq!(r.planned.get_attr("id"), Some(&Value::Unknown));
        let start = Instant::now();
        let new = TimeProvider
            .apply(TYPE, None, Some(&r.planned))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(new.get_attr("triggers"), Some(&t("b")));
    }

    #[tokio::test]
    async fn invalid_durations_are_plan_errors() {
        for (c, d) in [
            (Some("10"), None),
            (None, Some("five seconds")),
            (Some("1x"), None),
        ] {
            let e = plan(None, &cfg(c, d, Value::Null)).await.unwrap_err();
            assert!(e.message.contains("duration"), "{}", e.message);
            assert!(!e.is_retryable());
        }
        let e = TimeProvider
            .validate(
                TYPE,
                &Value::object([("create_duration", Value::number(3))]),
            )
            .unwrap_err();
        assert!(e.message.contains("must be a string"));
    }

    #[tokio::test]
    async fn at_least_one_duration_is_required() {
        let e = plan(None, &cfg(None, None, Value::Null)).await.unwrap_err();
        assert!(e.message.contains("at least one of"), "{}", e.message);
        assert!(
            plan(None, &cfg(None, Some("1s"), Value::Null))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn import_parses_durations_and_triggers() {
        let v = TimeProvider.import(TYPE, "30s,,a=1,b=2").await.unwrap();
        assert_eq!(v.get_attr("create_duration"), Some(&Value::string("30s")));
        assert_eq!(v.get_attr("destroy_duration"), Some(&Value::Null));
        let triggers = v.get_attr("triggers").and_then(Value::as_map).unwrap();
        assert_eq!(triggers.get("b"), Some(&Value::string("2")));
        assert!(
            v.get_attr("id")
                .and_then(Value::as_str)
                .is_some_and(|s| s.ends_with('Z'))
        );
        for bad in ["", "30s", ",", "x,", "1s,,a", "1s,,a=b=c"] {
            assert!(TimeProvider.import(TYPE, bad).await.is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn unknown_duration_plans() {
        let c = Value::object([("create_duration", Value::Unknown)]);
        let r = plan(None, &c).await.unwrap();
        assert_eq!(r.planned.get_attr("create_duration"), Some(&Value::Unknown));
    }
}
