//! Cairn's built-in providers, which need nothing outside the process:
//! - `terraform` (`terraform.io/builtin/terraform`): the `terraform_data` resource and the
//!   `terraform_remote_state` data source ([`factory`]);
//! - `null` (`hashicorp/null`): `null_resource` ([`null_factory`]).
//!
//! Each follows the semantics and schema of its Terraform counterpart so that state files
//! interoperate. This crate owns only these providers; it must not know about configuration,
//! state files or plans beyond the `cairn-provider` contract.

mod data;
mod null;
mod remote_state;

pub use data::TerraformProvider;
pub use null::NullProvider;

use cairn_provider::{Provider, ProviderError, Value};

/// The `terraform` provider (`terraform_data`).
pub fn factory() -> Box<dyn Provider> {
    Box::new(TerraformProvider)
}

/// The `null` provider (`null_resource`).
pub fn null_factory() -> Box<dyn Provider> {
    Box::new(NullProvider)
}

fn unknown_type(type_name: &str, provider: &str) -> ProviderError {
    ProviderError::unsupported(format!(
        "the {provider} provider has no resource type {type_name}"
    ))
}

/// Whether two `map(string)` values are the same under the real providers'
/// `RequiresReplaceIfValuesNotNull` rule: null entries are ignored, so a null map, an empty map
/// and a map of nulls are all alike. Unknowns are never alike.
fn same_string_map(a: &Value, b: &Value) -> bool {
    if !a.is_wholly_known() || !b.is_wholly_known() {
        return a == b;
    }
    let entries = |v: &Value| -> Vec<(String, serde_json::Value)> {
        v.as_map()
            .map(|m| {
                m.iter()
                    .filter(|(_, x)| !x.is_null())
                    .map(|(k, x)| (k.clone(), x.to_json()))
                    .collect()
            })
            .unwrap_or_default()
    };
    entries(a) == entries(b)
}

/// Equality that ignores the collection kind (`List` vs `Tuple`, `Map` vs `Object`), which a
/// value loses when it round-trips through a state file. Unknowns are never equal to anything
/// but themselves.
fn same_by_json(a: &Value, b: &Value) -> bool {
    if a == b {
        // The common case, decided without converting both to JSON.
        return true;
    }
    if !a.is_wholly_known() || !b.is_wholly_known() {
        return false;
    }
    a.to_json() == b.to_json()
}
