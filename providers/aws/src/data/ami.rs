//! `data "aws_ami"`: DescribeImages with `owners`, `executable_users`, `filter` blocks and
//! `include_deprecated`, then `name_regex` and `most_recent` (latest `creation_date`) as
//! Terraform's provider applies them; more than one match without `most_recent` is an error.

use async_trait::async_trait;
use aws_sdk_ec2::types::Image;
use cairn_provider::{Attribute, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx};
use crate::data::{filter_block, filters};
use crate::resource::AwsDataSource;
use crate::tags;
use crate::values::{b, get_bool, get_str, get_strings, obj, s_or_empty, string_map};

pub(crate) struct Ami;

fn schema() -> Schema {
    let c = Attribute::computed;
    let bdm = Type::object([
        ("device_name", Type::String),
        ("ebs", Type::map(Type::String)),
        ("no_device", Type::String),
        ("virtual_name", Type::String),
    ]);
    let pc = Type::object([
        ("product_code_id", Type::String),
        ("product_code_type", Type::String),
    ]);
    Schema::new()
        .attr("owners", Attribute::optional(Type::list(Type::String)))
        .attr(
            "executable_users",
            Attribute::optional(Type::list(Type::String)),
        )
        .attr("most_recent", Attribute::optional(Type::Bool))
        .attr("name_regex", Attribute::optional(Type::String))
        .attr("include_deprecated", Attribute::optional(Type::Bool))
        .attr(
            "tags",
            Attribute::optional_computed(Type::map(Type::String)),
        )
        .block("filter", filter_block())
        .attr("id", c(Type::String))
        .attr("arn", c(Type::String))
        .attr("architecture", c(Type::String))
        .attr("block_device_mappings", c(Type::set(bdm)))
        .attr("boot_mode", c(Type::String))
        .attr("creation_date", c(Type::String))
        .attr("deprecation_time", c(Type::String))
        .attr("description", c(Type::String))
        .attr("ena_support", c(Type::Bool))
        .attr("hypervisor", c(Type::String))
        .attr("image_id", c(Type::String))
        .attr("image_location", c(Type::String))
        .attr("image_owner_alias", c(Type::String))
        .attr("image_type", c(Type::String))
        .attr("imds_support", c(Type::String))
        .attr("kernel_id", c(Type::String))
        .attr("name", c(Type::String))
        .attr("owner_id", c(Type::String))
        .attr("platform", c(Type::String))
        .attr("platform_details", c(Type::String))
        .attr("product_codes", c(Type::set(pc)))
        .attr("public", c(Type::Bool))
        .attr("ramdisk_id", c(Type::String))
        .attr("root_device_name", c(Type::String))
        .attr("root_device_type", c(Type::String))
        .attr("root_snapshot_id", c(Type::String))
        .attr("sriov_net_support", c(Type::String))
        .attr("state", c(Type::String))
        .attr("state_reason", c(Type::map(Type::String)))
        .attr("tpm_support", c(Type::String))
        .attr("usage_operation", c(Type::String))
        .attr("virtualization_type", c(Type::String))
}

/// Picks the image Terraform's provider would: `name_regex` first, then exactly one, or the
/// latest `creation_date` when `most_recent`.
pub(crate) fn choose(
    mut images: Vec<Image>,
    name_regex: Option<&str>,
    most_recent: bool,
) -> Result<Image, AwsError> {
    if let Some(re) = name_regex {
        let re = regex::Regex::new(re)
            .map_err(|e| AwsError::new("aws_ami", "InvalidNameRegex", e.to_string()))?;
        images.retain(|i| i.name().is_some_and(|n| re.is_match(n)));
    }
    match images.len() {
        0 => Err(AwsError::new(
            "aws_ami",
            "NoMatch",
            "Your query returned no results. Please change your search criteria and try again.",
        )),
        1 => Ok(images.remove(0)),
        _ if most_recent => {
            images.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
            images
                .pop()
                .ok_or_else(|| AwsError::new("aws_ami", "NoMatch", "no images"))
        }
        _ => Err(AwsError::new(
            "aws_ami",
            "MultipleMatches",
            "Your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true.",
        )),
    }
}

fn to_value(ctx: &Ctx, config: &Value, i: &Image) -> Value {
    let id = i.image_id().unwrap_or_default();
    let bdm: Vec<Value> = i
        .block_device_mappings()
        .iter()
        .map(|m| {
            let mut ebs = std::collections::BTreeMap::new();
            if let Some(e) = m.ebs() {
                let mut put = |k: &str, v: Option<String>| {
                    if let Some(v) = v {
                        ebs.insert(k.to_string(), v);
                    }
                };
                put(
                    "delete_on_termination",
                    e.delete_on_termination().map(|x| x.to_string()),
                );
                put("encrypted", e.encrypted().map(|x| x.to_string()));
                put("iops", e.iops().map(|x| x.to_string()));
                put("snapshot_id", e.snapshot_id().map(str::to_string));
                put("throughput", e.throughput().map(|x| x.to_string()));
                put("volume_size", e.volume_size().map(|x| x.to_string()));
                put(
                    "volume_type",
                    e.volume_type().map(|x| x.as_str().to_string()),
                );
            }
            obj(vec![
                ("device_name", s_or_empty(m.device_name())),
                ("ebs", string_map(&ebs)),
                ("no_device", s_or_empty(m.no_device())),
                ("virtual_name", s_or_empty(m.virtual_name())),
            ])
        })
        .collect();
    let root_snapshot = i
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == i.root_device_name())
        .and_then(|m| m.ebs())
        .and_then(|e| e.snapshot_id());
    let pcs: Vec<Value> = i
        .product_codes()
        .iter()
        .map(|p| {
            obj(vec![
                ("product_code_id", s_or_empty(p.product_code_id())),
                (
                    "product_code_type",
                    s_or_empty(p.product_code_type().map(|t| t.as_str())),
                ),
            ])
        })
        .collect();
    let mut reason = std::collections::BTreeMap::new();
    match i.state_reason() {
        Some(r) => {
            reason.insert("code".to_string(), r.code().unwrap_or("UNSET").to_string());
            reason.insert(
                "message".to_string(),
                r.message().unwrap_or("UNSET").to_string(),
            );
        }
        None => {
            reason.insert("code".to_string(), "UNSET".to_string());
            reason.insert("message".to_string(), "UNSET".to_string());
        }
    }
    let keep = |k: &str| config.get_attr(k).cloned().unwrap_or(Value::Null);
    obj(vec![
        ("owners", keep("owners")),
        ("executable_users", keep("executable_users")),
        ("most_recent", keep("most_recent")),
        ("name_regex", keep("name_regex")),
        ("include_deprecated", keep("include_deprecated")),
        ("filter", keep("filter")),
        ("tags", string_map(&tags::from_sdk(i.tags()))),
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(format!(
                "arn:{}:ec2:{}::image/{id}",
                ctx.partition, ctx.region
            )),
        ),
        (
            "architecture",
            s_or_empty(i.architecture().map(|x| x.as_str())),
        ),
        ("block_device_mappings", Value::set(bdm)),
        ("boot_mode", s_or_empty(i.boot_mode().map(|x| x.as_str()))),
        ("creation_date", s_or_empty(i.creation_date())),
        ("deprecation_time", s_or_empty(i.deprecation_time())),
        ("description", s_or_empty(i.description())),
        ("ena_support", Value::Bool(i.ena_support().unwrap_or(false))),
        ("hypervisor", s_or_empty(i.hypervisor().map(|x| x.as_str()))),
        ("image_id", Value::string(id)),
        ("image_location", s_or_empty(i.image_location())),
        ("image_owner_alias", s_or_empty(i.image_owner_alias())),
        ("image_type", s_or_empty(i.image_type().map(|x| x.as_str()))),
        (
            "imds_support",
            s_or_empty(i.imds_support().map(|x| x.as_str())),
        ),
        ("kernel_id", s_or_empty(i.kernel_id())),
        ("name", s_or_empty(i.name())),
        ("owner_id", s_or_empty(i.owner_id())),
        ("platform", s_or_empty(i.platform().map(|x| x.as_str()))),
        ("platform_details", s_or_empty(i.platform_details())),
        ("product_codes", Value::set(pcs)),
        ("public", b(i.public())),
        ("ramdisk_id", s_or_empty(i.ramdisk_id())),
        ("root_device_name", s_or_empty(i.root_device_name())),
        (
            "root_device_type",
            s_or_empty(i.root_device_type().map(|x| x.as_str())),
        ),
        ("root_snapshot_id", s_or_empty(root_snapshot)),
        ("sriov_net_support", s_or_empty(i.sriov_net_support())),
        ("state", s_or_empty(i.state().map(|x| x.as_str()))),
        ("state_reason", string_map(&reason)),
        (
            "tpm_support",
            s_or_empty(i.tpm_support().map(|x| x.as_str())),
        ),
        ("usage_operation", s_or_empty(i.usage_operation())),
        (
            "virtualization_type",
            s_or_empty(i.virtualization_type().map(|x| x.as_str())),
        ),
    ])
}

#[async_trait]
impl AwsDataSource for Ami {
    fn type_name(&self) -> &'static str {
        "aws_ami"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, AwsError> {
        let owners = get_strings(config, "owners");
        let users = get_strings(config, "executable_users");
        let f = filters(config, &[]);
        let images = crate::resources::paginate(
            ctx,
            "DescribeImages",
            |token| {
                ctx.ec2
                    .describe_images()
                    .set_owners((!owners.is_empty()).then(|| owners.clone()))
                    .set_executable_users((!users.is_empty()).then(|| users.clone()))
                    .set_filters((!f.is_empty()).then(|| f.clone()))
                    .set_include_deprecated(get_bool(config, "include_deprecated"))
                    .set_next_token(token)
                    .send()
            },
            |r| r.images().to_vec(),
            |r| r.next_token(),
        )
        .await?;
        let image = choose(
            images,
            get_str(config, "name_regex"),
            get_bool(config, "most_recent") == Some(true),
        )?;
        Ok(to_value(ctx, config, &image))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(id: &str, name: &str, created: &str) -> Image {
        Image::builder()
            .image_id(id)
            .name(name)
            .creation_date(created)
            .build()
    }

    #[test]
    fn most_recent_picks_the_latest_creation_date() {
        let images = vec![
            img("ami-1", "al2-a", "2024-01-01T00:00:00.000Z"),
            img("ami-2", "al2-b", "2024-03-01T00:00:00.000Z"),
            img("ami-3", "other", "2025-01-01T00:00:00.000Z"),
        ];
        let got = choose(images.clone(), Some("^al2-"), true).unwrap();
        assert_eq!(got.image_id(), Some("ami-2"));
        let got = choose(images.clone(), None, true).unwrap();
        assert_eq!(got.image_id(), Some("ami-3"));
        assert_eq!(
            choose(images.clone(), None, false).unwrap_err().code,
            "MultipleMatches"
        );
        assert_eq!(
            choose(images, Some("^none"), true).unwrap_err().code,
            "NoMatch"
        );
    }
}
