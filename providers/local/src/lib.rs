//! The `local` provider (`hashicorp/local`): the `local_file` and `local_sensitive_file`
//! resources, which write a file on the machine running cairn, and the data sources of the same
//! names, which read one. Schemas, defaults and drift rules follow the real provider: a file that
//! is gone, or whose content no longer hashes to the recorded id, reads as gone, so the next plan
//! recreates it.
//!
//! This crate owns only this provider; it must not know about configuration, state files or
//! plans beyond the `cairn-provider` contract.

mod file;
mod hash;

use async_trait::async_trait;
use cairn_provider::{
    PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta, ProviderSchema,
    ResourceSchema, Value, provider::plan_by_schema,
};

pub use hash::Checksums;

/// The `local` provider.
pub fn factory() -> Box<dyn Provider> {
    Box::new(LocalProvider)
}

/// The `local` provider. It has no configuration.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalProvider;

/// The two flavours of file, which differ in sensitivity and default permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    SensitiveFile,
}

impl Kind {
    fn of(type_name: &str) -> Result<Kind, ProviderError> {
        match type_name {
            "local_file" => Ok(Kind::File),
            "local_sensitive_file" => Ok(Kind::SensitiveFile),
            other => Err(ProviderError::unsupported(format!(
                "the local provider has no type {other}"
            ))),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::File => "local_file",
            Kind::SensitiveFile => "local_sensitive_file",
        }
    }
}

#[async_trait]
impl Provider for LocalProvider {
    fn meta(&self) -> ProviderMeta {
        ProviderMeta {
            name: "local",
            source: "hashicorp/local",
            version: "2.5.3",
        }
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        for kind in [Kind::File, Kind::SensitiveFile] {
            s.resources.insert(
                kind.name().into(),
                ResourceSchema::new(file::resource_schema(kind), true),
            );
            s.data_sources
                .insert(kind.name().into(), file::data_schema(kind));
        }
        s
    }

    fn validate(&self, type_name: &str, config: &Value) -> Result<(), ProviderError> {
        file::prepare_config(Kind::of(type_name)?, config).map(|_| ())
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let kind = Kind::of(req.type_name)?;
        let Some(config) = req.config else {
            return Ok(PlanResponse {
                planned: Value::Null,
                requires_replace: vec![],
            });
        };
        let config = file::prepare_config(kind, config)?;
        Ok(plan_by_schema(
            &file::resource_schema(kind),
            req.prior,
            &config,
        ))
    }

    async fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        let kind = Kind::of(type_name)?;
        match (prior, planned) {
            (Some(prior), None) => file::delete(kind, prior).await.map(|()| None),
            (None, None) => Ok(None),
            (None, Some(planned)) => file::create(kind, planned).await.map(Some),
            // Every configurable attribute forces replacement, so an update changes nothing on
            // disk: it only records the planned object.
            (Some(prior), Some(planned)) => {
                let mut obj = planned.as_map().cloned().unwrap_or_default();
                for (k, v) in obj.iter_mut() {
                    if v.is_unknown() {
                        *v = prior.get_attr(k).cloned().unwrap_or(Value::Null);
                    }
                }
                Ok(Some(Value::Object(obj)))
            }
        }
    }

    async fn read(&self, type_name: &str, current: &Value) -> Result<Option<Value>, ProviderError> {
        file::read(Kind::of(type_name)?, current).await
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        file::read_data(Kind::of(type_name)?, config).await
    }
}

#[cfg(test)]
mod tests;
