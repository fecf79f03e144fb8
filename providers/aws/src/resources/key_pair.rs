//! `aws_key_pair`: ImportKeyPair / DeleteKeyPair with Terraform's attributes. The id is the key
//! name; everything but tags replaces the key. Refresh is batched: one DescribeKeyPairs filtered
//! by key name for all keys.
//!
//! Owns this resource only.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{KeyPairInfo, ResourceType};
use cairn_provider::{Attribute, PlanResponse, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call, is_not_found};
use crate::resource::AwsResource;
use crate::resources::{FILTER_CHUNK, align, filter, ids_of};
use crate::tags;
use crate::values::{attr, get_str, obj, s, s_or_empty, with_attr};

pub(crate) struct KeyPair;

fn schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("fingerprint", Attribute::computed(Type::String))
        .attr(
            "key_name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "key_name_prefix",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("key_pair_id", Attribute::computed(Type::String))
        .attr("key_type", Attribute::computed(Type::String))
        .attr("public_key", Attribute::required(Type::String).force_new())
}

/// A name from a prefix, like Terraform's `id.PrefixedUniqueId`: the prefix, a timestamp and
/// a counter-like random suffix (26 digits after the prefix).
pub(crate) fn prefixed_name(prefix: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let stamp = now.as_secs() * 100 + u64::from(now.subsec_millis() / 10);
    let r: u32 = rand::random_range(0..100_000_000);
    format!("{prefix}{stamp:016}{r:08}")
}

/// The key type and base64 body of an OpenSSH public key, without its comment.
fn key_material(key: &str) -> Vec<&str> {
    key.split_whitespace().take(2).collect()
}

fn to_value(ctx: &Ctx, prior: Option<&Value>, k: &KeyPairInfo, arn: Value) -> Value {
    let (tags, tags_all) = tags::read(ctx, prior, &tags::from_sdk(k.tags()));
    let name = k.key_name().unwrap_or_default();
    // The API's copy of the key (IncludePublicKey) is re-read: a different key material is
    // drift; the same material with another comment or spacing keeps the configured text.
    let api_key = k.public_key().map(str::trim).filter(|x| !x.is_empty());
    let public_key = match (prior.map(|p| attr(p, "public_key")), api_key) {
        (Some(v), Some(api)) if !v.is_null() && !v.is_unknown() => {
            if key_material(v.as_str().unwrap_or_default()) == key_material(api) {
                v
            } else {
                Value::string(api)
            }
        }
        (Some(v), None) if !v.is_null() && !v.is_unknown() => v,
        (_, api) => s(api),
    };
    let prefix = prior
        .map(|p| super::instance::known_or_null(&attr(p, "key_name_prefix")))
        .unwrap_or(Value::Null);
    obj(vec![
        ("id", Value::string(name)),
        ("arn", arn),
        ("fingerprint", s_or_empty(k.key_fingerprint())),
        ("key_name", Value::string(name)),
        ("key_name_prefix", prefix),
        ("key_pair_id", s_or_empty(k.key_pair_id())),
        ("key_type", s_or_empty(k.key_type().map(|t| t.as_str()))),
        ("public_key", public_key),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

async fn describe(ctx: &Ctx, names: &[String]) -> Result<HashMap<String, KeyPairInfo>, AwsError> {
    let mut out = HashMap::new();
    for chunk in names.chunks(FILTER_CHUNK) {
        let f = filter("key-name", chunk);
        let resp = call(ctx, "DescribeKeyPairs", || {
            ctx.ec2
                .describe_key_pairs()
                .filters(f.clone())
                .include_public_key(true)
                .send()
        })
        .await?;
        for k in resp.key_pairs() {
            if let Some(n) = k.key_name() {
                out.insert(n.to_string(), k.clone());
            }
        }
    }
    Ok(out)
}

async fn describe_one(ctx: &Ctx, name: &str) -> Result<Option<KeyPairInfo>, AwsError> {
    super::describe_one(name, |ids| async move { describe(ctx, &ids).await }).await
}

#[async_trait]
impl AwsResource for KeyPair {
    fn type_name(&self) -> &'static str {
        "aws_key_pair"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(schema(), true)
    }

    fn adjust_plan(&self, _prior: Option<&Value>, config: &Value, resp: &mut PlanResponse) {
        // Neither name nor prefix: Terraform's provider names the key `terraform-<unique>`.
        if get_str(config, "key_name").is_none()
            && get_str(config, "key_name_prefix").is_none()
            && resp.planned.get_attr("key_name_prefix") == Some(&Value::Unknown)
        {
            resp.planned = with_attr(
                &resp.planned,
                "key_name_prefix",
                Value::string("terraform-"),
            );
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let name = match get_str(planned, "key_name") {
            Some(n) => n.to_string(),
            None => prefixed_name(get_str(planned, "key_name_prefix").unwrap_or("terraform-")),
        };
        let key = get_str(planned, "public_key").unwrap_or_default();
        let req = ctx
            .ec2
            .import_key_pair()
            .key_name(&name)
            .public_key_material(Blob::new(key.as_bytes()))
            .set_tag_specifications(tags::tag_specifications(planned, ResourceType::KeyPair));
        call(ctx, "ImportKeyPair", || req.clone().send()).await?;
        let k = describe_one(ctx, &name).await?.ok_or_else(|| {
            AwsError::new("DescribeKeyPairs", "InvalidKeyPair.NotFound", name.clone())
        })?;
        let account = super::instance::account_id(ctx).await?;
        let arn = Value::string(format!(
            "arn:{}:ec2:{}:{}:key-pair/{}",
            ctx.partition, ctx.region, account, name
        ));
        Ok(to_value(ctx, Some(planned), &k, arn))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let name = get_str(prior, "id").unwrap_or_default();
        let k = describe_one(ctx, name)
            .await?
            .ok_or_else(|| AwsError::new("DescribeKeyPairs", "InvalidKeyPair.NotFound", name))?;
        Ok(to_value(ctx, Some(planned), &k, attr(prior, "arn")))
    }

    /// Tags live on the key pair id (`key-...`), not on its name.
    fn tag_id(&self, prior: &Value) -> Option<String> {
        get_str(prior, "key_pair_id").map(str::to_string)
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(name) = get_str(prior, "id") else {
            return Ok(());
        };
        call(ctx, "DeleteKeyPair", || {
            ctx.ec2.delete_key_pair().key_name(name).send()
        })
        .await?;
        Ok(())
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let found = describe(ctx, &ids_of(current)).await?;
        Ok(align(current, &found, |c, k| {
            to_value(ctx, Some(c), k, attr(c, "arn"))
        }))
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let resp = match call(ctx, "DescribeKeyPairs", || {
            ctx.ec2
                .describe_key_pairs()
                .key_names(id)
                .include_public_key(true)
                .send()
        })
        .await
        {
            Ok(r) => r,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(k) = resp.key_pairs().first() else {
            return Ok(None);
        };
        let account = super::instance::account_id(ctx).await?;
        let arn = Value::string(format!(
            "arn:{}:ec2:{}:{}:key-pair/{}",
            ctx.partition, ctx.region, account, id
        ));
        Ok(Some(to_value(ctx, None, k, arn)))
    }
}
