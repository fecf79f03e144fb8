//! The `provider "aws"` block: its schema (what terraform-aws-modules examples write is accepted)
//! and building the [`Ctx`] — an `aws_sdk_ec2::Client` from the block plus the standard chain
//! and environment (`AWS_REGION`, `AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_EC2`, shared config files, the metadata service).
//!
//! Only EC2 is called, so settings of other services are accepted and ignored. No resource logic.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ec2::config::{Credentials, Region};
use cairn_provider::{Attribute, BlockNesting, NestedBlock, ProviderError, Schema, Type, Value};

use crate::ctx::Ctx;
use crate::values::{get_i64, get_map, get_str, get_strings};

/// Services whose endpoint the `endpoints` block may name (only `ec2` is used).
const ENDPOINT_SERVICES: &[&str] = &[
    "ec2",
    "sts",
    "iam",
    "s3",
    "kms",
    "elb",
    "elbv2",
    "autoscaling",
    "rds",
    "route53",
    "cloudwatch",
    "cloudwatchlogs",
    "logs",
    "ssm",
    "dynamodb",
    "lambda",
    "sns",
    "sqs",
    "ecr",
    "ecs",
    "eks",
    "secretsmanager",
    "acm",
];

/// Terraform's default for `max_retries`.
const DEFAULT_MAX_RETRIES: i64 = 25;

fn opt_str() -> Attribute {
    Attribute::optional(Type::String)
}
fn opt_bool() -> Attribute {
    Attribute::optional(Type::Bool)
}

/// The schema of `provider "aws" { ... }`.
pub(crate) fn schema() -> Schema {
    let mut endpoints = Schema::new();
    for s in ENDPOINT_SERVICES {
        endpoints = endpoints.attr(s, opt_str());
    }
    Schema::new()
        .attr("region", opt_str())
        .attr("profile", opt_str())
        .attr("access_key", opt_str())
        .attr("secret_key", opt_str().sensitive())
        .attr("token", opt_str().sensitive())
        .attr(
            "shared_config_files",
            Attribute::optional(Type::list(Type::String)),
        )
        .attr(
            "shared_credentials_files",
            Attribute::optional(Type::list(Type::String)),
        )
        .attr("max_retries", Attribute::optional(Type::Number))
        .attr("retry_mode", opt_str())
        .attr("skip_credentials_validation", opt_bool())
        .attr("skip_metadata_api_check", opt_str())
        .attr("skip_region_validation", opt_bool())
        .attr("skip_requesting_account_id", opt_bool())
        .attr("s3_use_path_style", opt_bool())
        .attr("insecure", opt_bool())
        .attr("use_fips_endpoint", opt_bool())
        .attr("use_dualstack_endpoint", opt_bool())
        .attr(
            "allowed_account_ids",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr(
            "forbidden_account_ids",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr("custom_ca_bundle", opt_str())
        .attr("ec2_metadata_service_endpoint", opt_str())
        .attr("ec2_metadata_service_endpoint_mode", opt_str())
        .attr("http_proxy", opt_str())
        .attr("https_proxy", opt_str())
        .attr("no_proxy", opt_str())
        .attr("sts_region", opt_str())
        .block(
            "default_tags",
            NestedBlock {
                nesting: BlockNesting::Single,
                block: Schema::new().attr("tags", Attribute::optional(Type::map(Type::String))),
                ..NestedBlock::default()
            },
        )
        .block(
            "ignore_tags",
            NestedBlock {
                nesting: BlockNesting::Single,
                block: Schema::new()
                    .attr("keys", Attribute::optional(Type::set(Type::String)))
                    .attr("key_prefixes", Attribute::optional(Type::set(Type::String))),
                ..NestedBlock::default()
            },
        )
        .block(
            "endpoints",
            NestedBlock {
                nesting: BlockNesting::List,
                block: endpoints,
                ..NestedBlock::default()
            },
        )
        .block(
            "assume_role",
            NestedBlock {
                nesting: BlockNesting::List,
                block: Schema::new()
                    .attr("role_arn", opt_str())
                    .attr("session_name", opt_str())
                    .attr("external_id", opt_str())
                    .attr("duration", opt_str())
                    .attr("policy", opt_str()),
                max_items: Some(1),
                ..NestedBlock::default()
            },
        )
}

/// The EC2 endpoint: `endpoints { ec2 }`, else `AWS_ENDPOINT_URL_EC2`, else `AWS_ENDPOINT_URL`.
fn endpoint(config: &Value) -> Option<String> {
    let from_block = config.get_attr("endpoints").and_then(|e| match e {
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => items
            .iter()
            .find_map(|i| get_str(i, "ec2").map(str::to_string)),
        Value::Object(_) => get_str(e, "ec2").map(str::to_string),
        _ => None,
    });
    from_block
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_EC2").ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .filter(|s| !s.is_empty())
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// Builds the context from the evaluated provider block (null when there is none).
pub(crate) async fn build(config: &Value) -> Result<Ctx, ProviderError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(r) = get_str(config, "region") {
        loader = loader.region(Region::new(r.to_string()));
    }
    if let Some(p) = get_str(config, "profile") {
        loader = loader.profile_name(p);
    }
    match (get_str(config, "access_key"), get_str(config, "secret_key")) {
        (Some(ak), Some(sk)) => {
            let token = get_str(config, "token").map(str::to_string);
            loader = loader.credentials_provider(Credentials::new(ak, sk, token, None, "provider"));
        }
        (None, None) => {}
        _ => {
            return Err(ProviderError::permanent(
                "provider \"aws\": access_key and secret_key must be set together",
            ));
        }
    }
    let sdk = loader.load().await;
    let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
        ProviderError::permanent(
            "provider \"aws\": no region: set `region` in the provider block, or AWS_REGION, or a region in the AWS profile",
        )
    })?;
    let mut b = aws_sdk_ec2::config::Builder::from(&sdk)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(120))
                .build(),
        );
    if let Some(ep) = endpoint(config) {
        b = b.endpoint_url(ep);
    }
    let max_retries = get_i64(config, "max_retries")
        .unwrap_or(DEFAULT_MAX_RETRIES)
        .clamp(0, 100) as u32;
    let default_tags = config
        .get_attr("default_tags")
        .map(|d| match d {
            Value::List(items) | Value::Tuple(items) => items
                .first()
                .map(|i| get_map(i, "tags"))
                .unwrap_or_default(),
            other => get_map(other, "tags"),
        })
        .unwrap_or_default();
    let ignore = config
        .get_attr("ignore_tags")
        .map(|d| match d {
            Value::List(items) | Value::Tuple(items) => {
                items.first().cloned().unwrap_or(Value::Null)
            }
            other => other.clone(),
        })
        .unwrap_or(Value::Null);
    let ignore_tags = crate::ctx::IgnoreTags {
        keys: get_strings(&ignore, "keys"),
        key_prefixes: get_strings(&ignore, "key_prefixes"),
    };
    Ok(Ctx {
        ec2: aws_sdk_ec2::Client::from_conf(b.build()),
        partition: partition(&region).to_string(),
        region,
        default_tags,
        ignore_tags,
        max_retries,
        base_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(20),
        call_log: std::env::var_os("CAIRN_AWS_CALL_LOG").map(Into::into),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::obj;

    #[test]
    fn endpoint_block_wins() {
        let cfg = obj(vec![(
            "endpoints",
            Value::List(vec![obj(vec![("ec2", Value::string("http://x:1"))])]),
        )]);
        assert_eq!(endpoint(&cfg).as_deref(), Some("http://x:1"));
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[tokio::test]
    async fn region_and_default_tags_from_block() {
        let cfg = obj(vec![
            ("region", Value::string("eu-west-3")),
            ("access_key", Value::string("a")),
            ("secret_key", Value::string("b")),
            (
                "default_tags",
                obj(vec![(
                    "tags",
                    crate::values::string_map(&std::collections::BTreeMap::from([(
                        "Team".into(),
                        "net".into(),
                    )])),
                )]),
            ),
        ]);
        let ctx = build(&cfg).await.unwrap();
        assert_eq!(ctx.region, "eu-west-3");
        assert_eq!(
            ctx.default_tags.get("Team").map(String::as_str),
            Some("net")
        );
        assert_eq!(
            ctx.arn("123", "vpc", "vpc-1"),
            "arn:aws:ec2:eu-west-3:123:vpc/vpc-1"
        );
    }
}
