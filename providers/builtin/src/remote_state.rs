//! The `terraform_remote_state` data source of the built-in `terraform` provider: the root
//! outputs of another configuration's state, read from its backend. Mirrors
//! `internal/builtin/providers/terraform/data_source_state.go` for the `local` backend (a state
//! file, `terraform.tfstate.d/WORKSPACE/` for other workspaces); other backends are refused
//! with an error saying so. Values come back unmarked, as Terraform returns them: a sensitive
//! output of the other configuration is not sensitive here. This module reads state files only
//! as JSON documents; it must not know the engine's state model.

use std::path::PathBuf;

use cairn_provider::{Attribute, ProviderError, Schema, Type, Value};

pub(crate) const TYPE: &str = "terraform_remote_state";

pub(crate) fn schema() -> Schema {
    Schema::new()
        .attr("backend", Attribute::required(Type::String))
        .attr("config", Attribute::optional(Type::Any))
        .attr("defaults", Attribute::optional(Type::Any))
        .attr("outputs", Attribute::computed(Type::Any))
        .attr("workspace", Attribute::optional(Type::String))
}

/// Reads the outputs named by `config` (an object of the schema's attributes).
pub(crate) fn read(config: &Value) -> Result<Value, ProviderError> {
    let backend = config
        .get_attr("backend")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if backend != "local" {
        return Err(ProviderError::permanent(format!(
            "Invalid backend configuration: cairn reads remote state from the \"local\" backend only, not \"{backend}\". Point a local backend's path at a copy of that state, or read the value some other way."
        )));
    }
    let settings = config.get_attr("config").cloned().unwrap_or(Value::Null);
    let mut path = PathBuf::from("terraform.tfstate");
    let mut workspace_dir = PathBuf::from("terraform.tfstate.d");
    if let Some(map) = settings.as_map() {
        for (k, v) in map {
            match (k.as_str(), v.as_str()) {
                ("path", Some(p)) => path = PathBuf::from(p),
                ("workspace_dir", Some(d)) => workspace_dir = PathBuf::from(d),
                ("path" | "workspace_dir", None) if v.is_null() => {}
                _ => {
                    return Err(ProviderError::permanent(format!(
                        "Invalid backend configuration: the given configuration is not valid for backend \"local\": unexpected attribute \"{k}\" (it takes path and workspace_dir)."
                    )));
                }
            }
        }
    } else if !settings.is_null() {
        return Err(ProviderError::permanent(
            "Invalid backend configuration: config must be an object, like { path = \"../network/terraform.tfstate\" }.",
        ));
    }
    let workspace = config
        .get_attr("workspace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    if workspace != "default" {
        let name = path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "terraform.tfstate".into());
        path = workspace_dir.join(workspace).join(name);
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ProviderError::permanent(format!(
                "Unable to find remote state: no stored state was found for workspace \"{workspace}\" at {}.",
                path.display()
            )));
        }
        Err(e) => {
            return Err(ProviderError::permanent(format!(
                "Error loading state: cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        ProviderError::permanent(format!(
            "Error loading state: {} is not a state file: {e}",
            path.display()
        ))
    })?;
    let mut outputs: cairn_provider::ValueMap = config
        .get_attr("defaults")
        .and_then(Value::as_map)
        .cloned()
        .unwrap_or_default();
    if let Some(stored) = doc.get("outputs").and_then(|o| o.as_object()) {
        for (name, o) in stored {
            let value = o.get("value").cloned().unwrap_or(serde_json::Value::Null);
            let v = match o.get("type").and_then(Type::from_json) {
                Some(ty) => Value::from_json_typed(&value, &ty),
                None => Value::from_json(&value),
            };
            outputs.insert(name.clone(), v);
        }
    }
    let mut out = match config {
        Value::Object(m) => m.clone(),
        _ => Default::default(),
    };
    out.insert("outputs".into(), Value::Object(outputs));
    Ok(Value::Object(out))
}
