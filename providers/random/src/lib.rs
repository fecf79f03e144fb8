//! The `random` provider (`hashicorp/random`): `random_id`, `random_string`, `random_password`,
//! `random_integer`, `random_uuid`, `random_pet` and `random_shuffle`, with the schemas of the
//! real provider (names, types, defaults, force-new attributes, sensitivity) so that state files
//! interoperate. Values come from a CSPRNG, or from a generator seeded by `seed` where the
//! resource has one.
//!
//! This crate owns only this provider; it must not know about configuration, state files or
//! plans beyond the `cairn-provider` contract.

mod generate;
mod import;
mod pet;
mod schema;

use std::collections::BTreeMap;

use async_trait::async_trait;
use cairn_provider::provider::plan_by_schema_with;
use cairn_provider::{
    PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta, ProviderSchema, Value,
};

pub use generate::{StringSpec, generate_string};

/// The `random` provider.
pub fn factory() -> Box<dyn Provider> {
    Box::new(RandomProvider)
}

/// The `random` provider. It has no configuration.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomProvider;

fn err(type_name: &str, msg: impl std::fmt::Display) -> ProviderError {
    ProviderError::permanent(format!("{type_name}: {msg}"))
}

/// Go's `bcrypt.DefaultCost`, which the real provider uses (the Rust crate's default is 12).
const BCRYPT_COST: u32 = 10;

/// Upper bound on lengths and counts: the real provider has none, but an absurd length must
/// fail cleanly rather than exhaust memory.
const MAX_LEN: i64 = 1 << 20;

/// Upper bound on `random_id.byte_length`, which also bounds the cost of its decimal form.
const MAX_ID_BYTES: i64 = 4096;

/// Reads an integer attribute. `Ok(None)` when null or unknown.
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

fn bool_attr(v: &Value, name: &str) -> Option<bool> {
    v.get_attr(name).and_then(Value::as_bool)
}

fn str_attr<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get_attr(name).and_then(Value::as_str)
}

/// `keepers` replace the object only when their non-null entries change: a null map, an empty
/// map and a map of nulls are all the same (the real provider's `RequiresReplaceIfValuesNotNull`).
fn same_keepers(a: &Value, b: &Value) -> bool {
    if !a.is_wholly_known() || !b.is_wholly_known() {
        return a == b;
    }
    let entries = |v: &Value| -> BTreeMap<String, serde_json::Value> {
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

/// Fills unset optional attributes with the real provider's defaults and checks the
/// configuration. Unknown values are left for apply.
fn prepare_config(type_name: &str, config: &Value) -> Result<Value, ProviderError> {
    let mut m = config.as_map().cloned().unwrap_or_default();
    let mut default = |name: &str, v: Value| {
        if m.get(name).is_none_or(Value::is_null) {
            m.insert(name.to_string(), v);
        }
    };
    match type_name {
        "random_string" | "random_password" => {
            for name in ["special", "upper", "lower"] {
                default(name, Value::Bool(true));
            }
            for name in ["min_numeric", "min_upper", "min_lower", "min_special"] {
                default(name, Value::number(0));
            }
            // `number` is the deprecated spelling of `numeric`: each follows the other.
            let number = m.get("number").filter(|v| !v.is_null()).cloned();
            let numeric = m.get("numeric").filter(|v| !v.is_null()).cloned();
            let (number, numeric) = match (number, numeric) {
                (Some(a), Some(b)) => {
                    if a.is_wholly_known() && b.is_wholly_known() && a != b {
                        return Err(err(
                            type_name,
                            "number and numeric are both configured with different values",
                        ));
                    }
                    (a, b)
                }
                (Some(a), None) => (a.clone(), a),
                (None, Some(b)) => (b.clone(), b),
                (None, None) => (Value::Bool(true), Value::Bool(true)),
            };
            m.insert("number".into(), number);
            m.insert("numeric".into(), numeric);
        }
        "random_pet" => {
            default("length", Value::number(2));
            default("separator", Value::string("-"));
        }
        _ => {}
    }
    let config = Value::Object(m);
    validate_config(type_name, &config)?;
    Ok(config)
}

fn validate_config(type_name: &str, c: &Value) -> Result<(), ProviderError> {
    let at_least = |name: &str, min: i64| -> Result<(), ProviderError> {
        match int_attr(type_name, c, name)? {
            Some(n) if n < min => Err(err(
                type_name,
                format!("{name} must be at least {min}, got {n}"),
            )),
            Some(n) if n > MAX_LEN => Err(err(
                type_name,
                format!("{name} must be at most {MAX_LEN}, got {n}"),
            )),
            _ => Ok(()),
        }
    };
    match type_name {
        "random_id" => {
            at_least("byte_length", 0)?;
            if let Some(n) = int_attr(type_name, c, "byte_length")?
                && n > MAX_ID_BYTES
            {
                return Err(err(
                    type_name,
                    format!("byte_length must be at most {MAX_ID_BYTES}, got {n}"),
                ));
            }
        }
        "random_string" | "random_password" => {
            at_least("length", 1)?;
            let mins = ["min_upper", "min_lower", "min_numeric", "min_special"];
            let mut sum = 0i64;
            for name in mins {
                at_least(name, 0)?;
                sum += int_attr(type_name, c, name)?.unwrap_or(0);
            }
            if let Some(len) = int_attr(type_name, c, "length")?
                && len < sum
            {
                return Err(err(
                    type_name,
                    format!(
                        "length ({len}) must be at least the sum of min_upper, min_lower, \
                         min_numeric and min_special ({sum})"
                    ),
                ));
            }
            let flags = ["upper", "lower", "numeric", "special"];
            let all_known = flags
                .iter()
                .all(|f| c.get_attr(f).is_some_and(Value::is_wholly_known))
                && c.get_attr("override_special")
                    .is_none_or(Value::is_wholly_known);
            if all_known && generate::charset(&spec_of(c)).is_empty() {
                return Err(err(type_name, "the character set specified is empty"));
            }
        }
        "random_integer" => {
            if let (Some(min), Some(max)) = (
                int_attr(type_name, c, "min")?,
                int_attr(type_name, c, "max")?,
            ) && min > max
            {
                return Err(err(
                    type_name,
                    format!("min ({min}) must be less than or equal to max ({max})"),
                ));
            }
        }
        "random_pet" => at_least("length", 1)?,
        "random_shuffle" => at_least("result_count", 0)?,
        _ => {}
    }
    Ok(())
}

fn spec_of(c: &Value) -> StringSpec {
    let int = |n: &str| {
        c.get_attr(n)
            .and_then(Value::as_number)
            .and_then(|x| x.as_i64())
            .unwrap_or(0)
            .max(0) as usize
    };
    StringSpec {
        length: int("length"),
        upper: bool_attr(c, "upper").unwrap_or(true),
        lower: bool_attr(c, "lower").unwrap_or(true),
        numeric: bool_attr(c, "numeric").unwrap_or(true),
        special: bool_attr(c, "special").unwrap_or(true),
        min_upper: int("min_upper"),
        min_lower: int("min_lower"),
        min_numeric: int("min_numeric"),
        min_special: int("min_special"),
        override_special: str_attr(c, "override_special")
            .unwrap_or_default()
            .to_string(),
    }
}

/// The computed attributes of a new object of `type_name` configured as `planned`.
fn generate(type_name: &str, planned: &Value) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: Value| {
        out.insert(k.to_string(), v);
    };
    match type_name {
        "random_id" => {
            let n = int_attr(type_name, planned, "byte_length")?
                .ok_or_else(|| err(type_name, "byte_length is required"))?;
            let bytes = generate::random_bytes(n as usize);
            let prefix = str_attr(planned, "prefix").unwrap_or_default();
            let ids = generate::encode_id(&bytes);
            put("id", Value::string(&ids.b64_url));
            put("b64_url", Value::string(format!("{prefix}{}", ids.b64_url)));
            put("b64_std", Value::string(format!("{prefix}{}", ids.b64_std)));
            put("hex", Value::string(format!("{prefix}{}", ids.hex)));
            put("dec", Value::string(format!("{prefix}{}", ids.dec)));
        }
        "random_string" | "random_password" => {
            let s = generate_string(&spec_of(planned)).map_err(|e| err(type_name, e))?;
            if type_name == "random_password" {
                let hash = bcrypt::hash_with_result(&s, BCRYPT_COST)
                    .map_err(|e| err(type_name, format!("bcrypt: {e}")))?
                    .format_for_version(bcrypt::Version::TwoA);
                put("bcrypt_hash", Value::string(hash));
                put("id", Value::string("none"));
            } else {
                put("id", Value::string(&s));
            }
            put("result", Value::string(s));
        }
        "random_integer" => {
            let min = int_attr(type_name, planned, "min")?
                .ok_or_else(|| err(type_name, "min is required"))?;
            let max = int_attr(type_name, planned, "max")?
                .ok_or_else(|| err(type_name, "max is required"))?;
            if min > max {
                return Err(err(
                    type_name,
                    format!("min ({min}) must be less than or equal to max ({max})"),
                ));
            }
            let n = generate::integer(str_attr(planned, "seed"), min, max);
            put("result", Value::number(n));
            put("id", Value::string(n.to_string()));
        }
        "random_uuid" => {
            let u = uuid::Uuid::new_v4().to_string();
            put("result", Value::string(&u));
            put("id", Value::string(u));
        }
        "random_pet" => {
            let len = int_attr(type_name, planned, "length")?.unwrap_or(2).max(1) as usize;
            let sep = str_attr(planned, "separator").unwrap_or("-");
            let mut name = pet::generate(len, sep);
            if let Some(prefix) = str_attr(planned, "prefix") {
                name = format!("{prefix}{sep}{name}");
            }
            put("id", Value::string(name));
        }
        "random_shuffle" => {
            let input = planned
                .get_attr("input")
                .and_then(Value::as_seq)
                .ok_or_else(|| err(type_name, "input must be a list of strings"))?;
            let count = int_attr(type_name, planned, "result_count")?
                .unwrap_or(0)
                .max(0) as usize;
            let result = generate::shuffle(input, str_attr(planned, "seed"), count);
            put("result", Value::List(result));
            put("id", Value::string("-"));
        }
        other => return Err(unknown_type(other)),
    }
    Ok(out)
}

fn unknown_type(type_name: &str) -> ProviderError {
    ProviderError::unsupported(format!(
        "the random provider has no resource type {type_name}"
    ))
}

#[async_trait]
impl Provider for RandomProvider {
    fn meta(&self) -> ProviderMeta {
        ProviderMeta {
            name: "random",
            source: "hashicorp/random",
            version: "3.7.2",
        }
    }

    fn schema(&self) -> ProviderSchema {
        schema::provider_schema()
    }

    fn validate(&self, type_name: &str, config: &Value) -> Result<(), ProviderError> {
        schema::resource(type_name).ok_or_else(|| unknown_type(type_name))?;
        prepare_config(type_name, config).map(|_| ())
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let schema = schema::resource(req.type_name).ok_or_else(|| unknown_type(req.type_name))?;
        let Some(config) = req.config else {
            return Ok(PlanResponse {
                planned: Value::Null,
                requires_replace: vec![],
            });
        };
        let config = prepare_config(req.type_name, config)?;
        Ok(plan_by_schema_with(
            &schema,
            req.prior,
            &config,
            &|name, a, b| match name {
                "keepers" => same_keepers(a, b),
                // Going from "" to null is not a change (RequiresReplaceUnlessEmptyStringToNull).
                "override_special" => a == b || (a.as_str() == Some("") && b.is_null()),
                _ => a == b,
            },
        ))
    }

    async fn apply(
        &self,
        type_name: &str,
        _prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        schema::resource(type_name).ok_or_else(|| unknown_type(type_name))?;
        let Some(planned) = planned else {
            return Ok(None);
        };
        let mut obj = planned
            .as_map()
            .cloned()
            .ok_or_else(|| err(type_name, "planned value is not an object"))?;
        if obj.values().any(Value::is_unknown) {
            let fresh = generate(type_name, planned)?;
            for (k, v) in obj.iter_mut() {
                if v.is_unknown() {
                    *v = fresh
                        .get(k)
                        .cloned()
                        .ok_or_else(|| err(type_name, format!("{k} is still unknown at apply")))?;
                }
            }
        }
        if let Some((k, _)) = obj.iter().find(|(_, v)| !v.is_wholly_known()) {
            return Err(err(type_name, format!("{k} is still unknown at apply")));
        }
        Ok(Some(Value::Object(obj)))
    }

    async fn read(&self, type_name: &str, current: &Value) -> Result<Option<Value>, ProviderError> {
        schema::resource(type_name).ok_or_else(|| unknown_type(type_name))?;
        Ok(Some(current.clone()))
    }

    fn state_only(&self, type_name: &str) -> bool {
        schema::resource(type_name).is_some()
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        import::import(type_name, id)
    }
}

#[cfg(test)]
mod tests;
