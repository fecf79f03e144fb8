//! `null_resource` of `hashicorp/null`: a resource that does nothing, replaced whenever its
//! `triggers` change. Its id is a random decimal integer, as the real provider makes it.

use async_trait::async_trait;
use cairn_provider::provider::plan_by_schema_with;
use cairn_provider::{
    Attribute, PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta, ProviderSchema,
    ResourceSchema, Schema, Type, Value,
};
use rand::Rng;

use crate::{same_string_map, unknown_type};

const TYPE: &str = "null_resource";

/// The `null` provider: `null_resource`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullProvider;

fn null_schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr(
            "triggers",
            Attribute::optional(Type::map(Type::String)).force_new(),
        )
}

#[async_trait]
impl Provider for NullProvider {
    fn meta(&self) -> ProviderMeta {
        ProviderMeta {
            name: "null",
            source: "hashicorp/null",
            version: "3.2.4",
        }
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources
            .insert(TYPE.into(), ResourceSchema::new(null_schema(), false));
        s
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        if req.type_name != TYPE {
            return Err(unknown_type(req.type_name, "null"));
        }
        let Some(config) = req.config else {
            return Ok(PlanResponse {
                planned: Value::Null,
                requires_replace: vec![],
            });
        };
        // As the real provider: a change of only null entries does not replace.
        Ok(plan_by_schema_with(
            &null_schema(),
            req.prior,
            config,
            &|_, a, b| same_string_map(a, b),
        ))
    }

    async fn apply(
        &self,
        type_name: &str,
        _prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "null"));
        }
        let Some(planned) = planned else {
            return Ok(None);
        };
        let mut obj = planned.as_map().cloned().ok_or_else(|| {
            ProviderError::permanent("null_resource: planned value is not an object")
        })?;
        if obj.get("id").is_none_or(Value::is_unknown) {
            // Go's rand.Int(): a non-negative int63.
            let id: i64 = rand::rng().random_range(0..=i64::MAX);
            obj.insert("id".into(), Value::string(id.to_string()));
        }
        Ok(Some(Value::Object(obj)))
    }

    async fn read(&self, type_name: &str, current: &Value) -> Result<Option<Value>, ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "null"));
        }
        Ok(Some(current.clone()))
    }

    fn state_only(&self, type_name: &str) -> bool {
        type_name == TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_provider::PathStep;
    use cairn_provider::ValueMap;

    fn cfg(triggers: Value) -> Value {
        Value::object([("triggers", triggers)])
    }
    fn map(items: &[(&str, &str)]) -> Value {
        Value::Map(
            items
                .iter()
                .map(|(k, v)| (k.to_string(), Value::string(*v)))
                .collect(),
        )
    }
    async fn plan(prior: Option<&Value>, config: &Value) -> PlanResponse {
        NullProvider
            .plan(PlanRequest {
                type_name: TYPE,
                prior,
                config: Some(config),
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn lifecycle() {
        let p = NullProvider;
        let c = cfg(map(&[("a", "1")]));
        let create = plan(None, &c).await;
        assert_eq!(create.planned.get_attr("id"), Some(&Value::Unknown));
        assert_eq!(
            create.planned.get_attr("triggers"),
            Some(&map(&[("a", "1")]))
        );
        let obj = p
            .apply(TYPE, None, Some(&create.planned))
            .await
            .unwrap()
            .unwrap();
        let id = obj
            .get_attr("id")
            .and_then(Value::as_str)
            .unwrap()
            .to_string();
        assert!(
            id.parse::<i64>().is_ok_and(|n| n >= 0),
            "id {id} is a decimal"
        );
        assert_eq!(
            obj.get_attr("triggers"),
            create.planned.get_attr("triggers")
        );

        let same = plan(Some(&obj), &c).await;
        assert_eq!(same.planned, obj);
        assert!(same.requires_replace.is_empty());

        let changed = plan(Some(&obj), &cfg(map(&[("a", "2")]))).await;
        assert_eq!(
            changed.requires_replace,
            vec![vec![PathStep::Attr("triggers".into())]]
        );
        assert_eq!(changed.planned.get_attr("id"), Some(&Value::Unknown));

        assert_eq!(p.read(TYPE, &obj).await.unwrap(), Some(obj.clone()));
        assert_eq!(p.apply(TYPE, Some(&obj), None).await.unwrap(), None);
        assert_eq!(p.apply(TYPE, Some(&obj), None).await.unwrap(), None);
    }

    #[tokio::test]
    async fn null_and_empty_triggers_are_the_same() {
        let prior = Value::object([("id", Value::string("7")), ("triggers", Value::Null)]);
        let r = plan(Some(&prior), &cfg(Value::Map(ValueMap::new()))).await;
        assert!(r.requires_replace.is_empty());
        assert_eq!(r.planned.get_attr("id"), Some(&Value::string("7")));
        let nulls = Value::Map([("a".to_string(), Value::Null)].into_iter().collect());
        let r = plan(Some(&prior), &cfg(nulls)).await;
        assert!(r.requires_replace.is_empty());
        // Removing a key replaces; so does an unknown value.
        let prior = Value::object([("id", Value::string("7")), ("triggers", map(&[("a", "1")]))]);
        assert!(
            !plan(Some(&prior), &cfg(Value::Null))
                .await
                .requires_replace
                .is_empty()
        );
        let unknown = Value::Map([("a".to_string(), Value::Unknown)].into_iter().collect());
        assert!(
            !plan(Some(&prior), &cfg(unknown))
                .await
                .requires_replace
                .is_empty()
        );
    }

    #[tokio::test]
    async fn ids_differ_between_objects() {
        let planned = Value::object([("id", Value::Unknown), ("triggers", Value::Null)]);
        let a = NullProvider
            .apply(TYPE, None, Some(&planned))
            .await
            .unwrap();
        let b = NullProvider
            .apply(TYPE, None, Some(&planned))
            .await
            .unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_type_is_rejected() {
        let r = NullProvider.read("null_thing", &Value::Null).await;
        assert!(r.is_err());
    }
}
