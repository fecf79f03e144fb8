//! Import of existing values into `random_*` resources, with the id formats of the real
//! provider: `random_id` takes `[PREFIX,]B64_URL`, `random_string` and `random_password` the
//! string itself, `random_integer` `RESULT,MIN,MAX[,SEED]`, `random_uuid` the UUID.

use base64::Engine;
use cairn_provider::{ProviderError, Value, ValueMap};

use crate::{BCRYPT_COST, err, generate, unknown_type};

pub fn import(type_name: &str, id: &str) -> Result<Value, ProviderError> {
    let mut m = ValueMap::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    match type_name {
        "random_id" => {
            let (prefix, b64) = match id.rfind(',') {
                Some(i) => (&id[..i], &id[i + 1..]),
                None => ("", id),
            };
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(b64)
                .map_err(|e| err(type_name, format!("cannot import {id:?}: {e}")))?;
            let enc = generate::encode_id(&bytes);
            put("id", Value::string(b64));
            put("byte_length", Value::number(bytes.len() as i64));
            put("keepers", Value::Map(ValueMap::new()));
            put("b64_url", Value::string(format!("{prefix}{}", enc.b64_url)));
            put("b64_std", Value::string(format!("{prefix}{}", enc.b64_std)));
            put("hex", Value::string(format!("{prefix}{}", enc.hex)));
            put("dec", Value::string(format!("{prefix}{}", enc.dec)));
            put(
                "prefix",
                if prefix.is_empty() {
                    Value::Null
                } else {
                    Value::string(prefix)
                },
            );
        }
        "random_string" | "random_password" => {
            put("result", Value::string(id));
            put("length", Value::number(id.len() as i64));
            for f in ["special", "upper", "lower", "number", "numeric"] {
                put(f, Value::Bool(true));
            }
            for f in ["min_special", "min_upper", "min_lower", "min_numeric"] {
                put(f, Value::number(0));
            }
            put("keepers", Value::Null);
            put("override_special", Value::Null);
            if type_name == "random_password" {
                put("id", Value::string("none"));
                let hash = bcrypt::hash_with_result(id, BCRYPT_COST)
                    .map_err(|e| err(type_name, format!("bcrypt: {e}")))?
                    .format_for_version(bcrypt::Version::TwoA);
                put("bcrypt_hash", Value::string(hash));
            } else {
                put("id", Value::string(id));
            }
        }
        "random_integer" => {
            let parts: Vec<&str> = id.split(',').collect();
            if parts.len() != 3 && parts.len() != 4 {
                return Err(err(
                    type_name,
                    format!(
                        "invalid import id {id:?}: expected RESULT,MIN,MAX or RESULT,MIN,MAX,SEED"
                    ),
                ));
            }
            let int = |name: &str, s: &str| {
                s.parse::<i64>()
                    .map_err(|e| err(type_name, format!("invalid {name} {s:?} in import id: {e}")))
            };
            let result = int("result", parts[0])?;
            put("result", Value::number(result));
            put("id", Value::string(parts[0]));
            put("min", Value::number(int("min", parts[1])?));
            put("max", Value::number(int("max", parts[2])?));
            put(
                "seed",
                parts
                    .get(3)
                    .map(|s| Value::string(*s))
                    .unwrap_or(Value::Null),
            );
            put("keepers", Value::Null);
        }
        "random_uuid" => {
            uuid::Uuid::try_parse(id)
                .map_err(|e| err(type_name, format!("invalid UUID {id:?}: {e}")))?;
            put("result", Value::string(id));
            put("id", Value::string(id));
            put("keepers", Value::Null);
        }
        "random_pet" | "random_shuffle" => {
            return Err(ProviderError::unsupported(format!(
                "{type_name} does not support import"
            )));
        }
        other => return Err(unknown_type(other)),
    }
    Ok(Value::Object(m))
}
