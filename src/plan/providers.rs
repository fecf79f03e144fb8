//! The provider configurations a run uses: resolves each resource's provider (its `provider`
//! argument or its type's prefix) through `required_providers` to a source, instantiates it
//! from the [`Registry`], configures it with its evaluated `provider` block, and names it by
//! Terraform's provider address (`provider["registry.terraform.io/hashicorp/random"]`).

use std::collections::BTreeMap;
use std::sync::Arc;

use cairn_provider::schema::ObjectTypes;
use cairn_provider::{Provider, ProviderSchema, Schema, Type, Value};

use crate::config::{Expr, Module, ProviderRef};
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::Scope;

/// Where providers come from: the CLI's table of linked providers.
pub trait Registry: Send + Sync {
    /// A fresh, unconfigured instance of the provider with this fully qualified source
    /// (`registry.terraform.io/hashicorp/random`, `terraform.io/builtin/terraform`).
    fn instantiate(&self, source: &str) -> Option<Box<dyn Provider>>;
    /// The fully qualified sources this registry can instantiate.
    fn sources(&self) -> Vec<String>;
}

/// Expands a source as written (`hashicorp/random`, `random`) to its fully qualified form.
pub fn qualify_source(source: &str) -> String {
    match source.matches('/').count() {
        0 => format!("registry.terraform.io/hashicorp/{source}"),
        1 => format!("registry.terraform.io/{source}"),
        _ => source.to_string(),
    }
}

/// The source a local provider name resolves to in module `m`.
pub fn source_for(m: &Module, name: &str) -> String {
    if let Some(rp) = m.terraform.required_providers.get(name) {
        return qualify_source(&rp.source);
    }
    if name == "terraform" {
        return "terraform.io/builtin/terraform".to_string();
    }
    qualify_source(name)
}

/// Terraform's provider configuration address for state and plans.
pub fn provider_addr(source: &str, alias: Option<&str>) -> String {
    match alias {
        Some(a) => format!("provider[\"{source}\"].{a}"),
        None => format!("provider[\"{source}\"]"),
    }
}

/// The source inside a provider address (`provider["X"].alias` → `X`).
pub fn source_of_addr(addr: &str) -> Option<&str> {
    let rest = addr.strip_prefix("provider[\"")?;
    Some(&rest[..rest.find("\"]")?])
}

/// Evaluates cairn's `parallelism = N` of a provider block: a whole number of at least 1.
pub fn parallelism(e: &Expr, scope: &dyn Scope) -> Result<usize, Diagnostics> {
    let (v, _) = crate::lang::eval(e, scope)?.unmark_deep();
    let n = match &v {
        Value::Number(_) => v.to_json().as_u64().filter(|n| *n >= 1),
        _ => None,
    };
    n.and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
        Diagnostics::from(
            Diagnostic::error(
                "Invalid provider parallelism",
                "The parallelism of a provider configuration must be a whole number of at least 1: how many of its operations may run at once.",
            )
            .at_opt(e.span()),
        )
    })
}

/// One configured provider.
pub struct Configured {
    pub addr: String,
    pub source: String,
    pub provider: Arc<dyn Provider>,
    pub schema: ProviderSchema,
    /// The object type of each schema, made once: planning reads every stored object with one.
    types: ObjectTypes,
}

impl Configured {
    pub fn new(
        addr: String,
        source: String,
        provider: Arc<dyn Provider>,
        schema: ProviderSchema,
    ) -> Configured {
        let types = ObjectTypes::new(&schema);
        Configured {
            addr,
            source,
            provider,
            schema,
            types,
        }
    }
    /// The object type of [`Configured::resource_schema`].
    pub fn object_type(&self, mode: crate::addr::Mode, ty: &str) -> Option<&Type> {
        match mode {
            crate::addr::Mode::Managed => self.types.resource(ty),
            crate::addr::Mode::Data => self.types.data_source(ty),
        }
    }
    pub fn resource_schema(&self, mode: crate::addr::Mode, ty: &str) -> Option<&Schema> {
        match mode {
            crate::addr::Mode::Managed => self.schema.resources.get(ty).map(|r| &r.schema),
            crate::addr::Mode::Data => self.schema.data_sources.get(ty),
        }
    }
}

/// The providers of a run, configured on demand.
#[derive(Default)]
pub struct ProviderSet {
    by_ref: BTreeMap<ProviderRef, Arc<Configured>>,
    by_addr: BTreeMap<String, Arc<Configured>>,
    /// cairn's per-configuration `parallelism`, by provider address.
    limits: BTreeMap<String, usize>,
}

impl ProviderSet {
    pub fn get(&self, r: &ProviderRef) -> Option<&Arc<Configured>> {
        self.by_ref.get(r)
    }
    pub fn by_addr(&self, addr: &str) -> Option<&Arc<Configured>> {
        self.by_addr.get(addr)
    }
    /// The `parallelism` a provider configuration's block sets, by its address.
    pub fn parallelism(&self, addr: &str) -> Option<usize> {
        self.limits.get(addr).copied()
    }
    /// Records the `parallelism` of the provider configuration at `addr`.
    pub fn set_parallelism(&mut self, addr: &str, limit: usize) {
        self.limits.insert(addr.to_string(), limit);
    }
    /// Every configured provider by address.
    pub fn all(&self) -> impl Iterator<Item = (&String, &Arc<Configured>)> {
        self.by_addr.iter()
    }

    /// Instantiates and configures the provider `r`; `eval` turns the provider's configuration
    /// schema into the evaluated `provider` block (null when the configuration has none).
    pub async fn configure(
        &mut self,
        registry: &dyn Registry,
        module: &Module,
        r: &ProviderRef,
        eval: impl FnOnce(&Schema) -> Result<Value, Diagnostics>,
    ) -> Result<Arc<Configured>, Diagnostics> {
        if let Some(c) = self.by_ref.get(r) {
            return Ok(c.clone());
        }
        let source = source_for(module, &r.name);
        let Some(mut provider) = registry.instantiate(&source) else {
            let known = registry.sources().join(", ");
            return Err(Diagnostic::error(
                "Provider not available",
                format!(
                    "cairn has no provider {source} (needed for provider \"{}\"). Providers built into cairn: {known}.",
                    r.name
                ),
            )
            .into());
        };
        let schema = provider.schema();
        let config = eval(&schema.provider)?;
        let (config, _) = config.unmark_deep();
        provider.configure(&config).await.map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Invalid provider configuration",
                format!("provider \"{}\": {}", r.name, e.message),
            ))
        })?;
        let addr = provider_addr(&source, r.alias.as_deref());
        let c = Arc::new(Configured::new(
            addr.clone(),
            source,
            provider.into(),
            schema,
        ));
        self.by_ref.insert(r.clone(), c.clone());
        self.by_addr.insert(addr, c.clone());
        Ok(c)
    }

    /// Instantiates the provider named by a state provider address (for objects no longer in the
    /// configuration), configured with an empty configuration unless already configured.
    pub async fn for_addr(
        &mut self,
        registry: &dyn Registry,
        module: &Module,
        addr: &str,
    ) -> Result<Arc<Configured>, Diagnostics> {
        if let Some(c) = self.by_addr.get(addr) {
            return Ok(c.clone());
        }
        let source = source_of_addr(addr).unwrap_or(addr).to_string();
        let alias = addr.rsplit_once("\"].").map(|(_, a)| a.to_string());
        // Find the local name for this source, if the configuration declares one.
        let name = module
            .terraform
            .required_providers
            .iter()
            .find(|(_, rp)| qualify_source(&rp.source) == source)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| source.rsplit('/').next().unwrap_or(&source).to_string());
        let r = ProviderRef {
            name: name.into(),
            alias: alias.map(crate::addr::Name::from),
        };
        if let Some(c) = self.by_ref.get(&r).filter(|c| c.addr == addr) {
            return Ok(c.clone());
        }
        let Some(mut provider) = registry.instantiate(&source) else {
            return Err(Diagnostic::error(
                "Provider not available",
                format!("The state refers to provider {source}, which cairn does not have."),
            )
            .into());
        };
        provider.configure(&Value::Null).await.map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Invalid provider configuration",
                e.message,
            ))
        })?;
        let schema = provider.schema();
        let c = Arc::new(Configured::new(
            addr.to_string(),
            source,
            provider.into(),
            schema,
        ));
        self.by_addr.insert(addr.to_string(), c.clone());
        self.by_ref.entry(r).or_insert_with(|| c.clone());
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_addresses() {
        assert_eq!(
            qualify_source("hashicorp/random"),
            "registry.terraform.io/hashicorp/random"
        );
        assert_eq!(
            qualify_source("random"),
            "registry.terraform.io/hashicorp/random"
        );
        assert_eq!(
            qualify_source("terraform.io/builtin/terraform"),
            "terraform.io/builtin/terraform"
        );
        let a = provider_addr("registry.terraform.io/hashicorp/aws", Some("west"));
        assert_eq!(a, "provider[\"registry.terraform.io/hashicorp/aws\"].west");
        assert_eq!(
            source_of_addr(&a),
            Some("registry.terraform.io/hashicorp/aws")
        );
    }
}
