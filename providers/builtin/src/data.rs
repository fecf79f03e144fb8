//! `terraform_data`, Terraform's built-in resource that stores a value and follows the lifecycle
//! of other resources. Mirrors `internal/builtin/providers/terraform/resource_data.go`: a change
//! of `triggers_replace` replaces the object; a change of `input` updates it in place with
//! `output` recomputed (unknown until apply). The provider's one data source,
//! `terraform_remote_state`, lives in `remote_state.rs`.

use async_trait::async_trait;
use cairn_provider::{
    Attribute, PathStep, PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta,
    ProviderSchema, ResourceSchema, Schema, Type, Value,
};

use crate::{remote_state, same_by_json, unknown_type};

const TYPE: &str = "terraform_data";

/// The `terraform` provider: `terraform_data`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TerraformProvider;

fn data_schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("input", Attribute::optional(Type::Any))
        .attr("output", Attribute::computed(Type::Any))
        .attr(
            "triggers_replace",
            Attribute::optional(Type::Any).force_new(),
        )
}

/// An attribute of an object, null when absent.
fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.get_attr(name).unwrap_or(&NULL)
}

/// The planned `output` of a new object: null when the input is null, else known after apply.
fn new_output(input: &Value) -> Value {
    if input.is_null() {
        Value::Null
    } else {
        Value::Unknown
    }
}

#[async_trait]
impl Provider for TerraformProvider {
    fn meta(&self) -> ProviderMeta {
        ProviderMeta {
            name: "terraform",
            source: "terraform.io/builtin/terraform",
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources
            .insert(TYPE.into(), ResourceSchema::new(data_schema(), false));
        s.data_sources
            .insert(remote_state::TYPE.into(), remote_state::schema());
        s
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        if type_name != remote_state::TYPE {
            return Err(ProviderError::unsupported(format!(
                "the terraform provider has no data source {type_name}"
            )));
        }
        remote_state::read(config)
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        if req.type_name != TYPE {
            return Err(unknown_type(req.type_name, "terraform"));
        }
        let Some(config) = req.config else {
            return Ok(PlanResponse {
                planned: Value::Null,
                requires_replace: vec![],
            });
        };
        let input = attr(config, "input");
        let triggers = attr(config, "triggers_replace");
        let mut requires_replace = Vec::new();
        let (id, output) = match req.prior {
            None => (Value::Unknown, new_output(input)),
            Some(prior) if !same_by_json(attr(prior, "triggers_replace"), triggers) => {
                requires_replace.push(vec![PathStep::Attr("triggers_replace".into())]);
                (Value::Unknown, new_output(input))
            }
            Some(prior) if !same_by_json(attr(prior, "input"), input) => {
                (attr(prior, "id").clone(), Value::Unknown)
            }
            Some(prior) => (attr(prior, "id").clone(), attr(prior, "output").clone()),
        };
        let (input, triggers) = (input.clone(), triggers.clone());
        let planned = Value::object([
            ("id", id),
            ("input", input),
            ("output", output),
            ("triggers_replace", triggers),
        ]);
        Ok(PlanResponse {
            planned,
            requires_replace,
        })
    }

    async fn apply(
        &self,
        type_name: &str,
        _prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "terraform"));
        }
        let Some(planned) = planned else {
            return Ok(None);
        };
        let mut obj = planned.as_map().cloned().ok_or_else(|| {
            ProviderError::permanent("terraform_data: planned value is not an object")
        })?;
        let input = obj.get("input").cloned().unwrap_or(Value::Null);
        if !input.is_wholly_known() {
            return Err(ProviderError::permanent(
                "terraform_data: input is still unknown at apply",
            ));
        }
        if obj.get("output").is_none_or(Value::is_unknown) {
            obj.insert("output".into(), input);
        }
        if obj.get("id").is_none_or(Value::is_unknown) {
            obj.insert("id".into(), Value::string(uuid::Uuid::new_v4().to_string()));
        }
        Ok(Some(Value::Object(obj)))
    }

    async fn read(&self, type_name: &str, current: &Value) -> Result<Option<Value>, ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "terraform"));
        }
        Ok(Some(current.clone()))
    }

    fn state_only(&self, type_name: &str) -> bool {
        type_name == TYPE
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        if type_name != TYPE {
            return Err(unknown_type(type_name, "terraform"));
        }
        Ok(Value::object([
            ("id", Value::string(id)),
            ("input", Value::Null),
            ("output", Value::Null),
            ("triggers_replace", Value::Null),
        ]))
    }
}

#[cfg(test)]
mod tests;
