//! `data "aws_subnet"`: the one subnet matching `id`, `availability_zone`,
//! `availability_zone_id`, `cidr_block`, `default_for_az`, `state`, `vpc_id`, `filter` blocks and
//! `tags` (DescribeSubnets).

use async_trait::async_trait;
use cairn_provider::{Attribute, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call};
use crate::data::{filter_block, filters, single};
use crate::resource::AwsDataSource;
use crate::tags;
use crate::values::{s_or_empty, string_map};

pub(crate) struct Subnet;

fn schema() -> Schema {
    let oc = Attribute::optional_computed;
    let c = Attribute::computed;
    Schema::new()
        .attr("id", oc(Type::String))
        .attr("availability_zone", oc(Type::String))
        .attr("availability_zone_id", oc(Type::String))
        .attr("cidr_block", oc(Type::String))
        .attr("default_for_az", oc(Type::Bool))
        .attr("ipv6_cidr_block", oc(Type::String))
        .attr("state", oc(Type::String))
        .attr("vpc_id", oc(Type::String))
        .attr("tags", oc(Type::map(Type::String)))
        .block("filter", filter_block())
        .attr("arn", c(Type::String))
        .attr("assign_ipv6_address_on_creation", c(Type::Bool))
        .attr("available_ip_address_count", c(Type::Number))
        .attr("customer_owned_ipv4_pool", c(Type::String))
        .attr("enable_dns64", c(Type::Bool))
        .attr("enable_lni_at_device_index", c(Type::Number))
        .attr("enable_resource_name_dns_a_record_on_launch", c(Type::Bool))
        .attr(
            "enable_resource_name_dns_aaaa_record_on_launch",
            c(Type::Bool),
        )
        .attr("ipv6_cidr_block_association_id", c(Type::String))
        .attr("ipv6_native", c(Type::Bool))
        .attr("map_customer_owned_ip_on_launch", c(Type::Bool))
        .attr("map_public_ip_on_launch", c(Type::Bool))
        .attr("outpost_arn", c(Type::String))
        .attr("owner_id", c(Type::String))
        .attr("private_dns_hostname_type_on_launch", c(Type::String))
}

#[async_trait]
impl AwsDataSource for Subnet {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, AwsError> {
        let f = filters(
            config,
            &[
                ("id", "subnet-id"),
                ("availability_zone", "availability-zone"),
                ("availability_zone_id", "availability-zone-id"),
                ("cidr_block", "cidr-block"),
                ("default_for_az", "default-for-az"),
                (
                    "ipv6_cidr_block",
                    "ipv6-cidr-block-association.ipv6-cidr-block",
                ),
                ("state", "state"),
                ("vpc_id", "vpc-id"),
            ],
        );
        let resp = call(ctx, "DescribeSubnets", || {
            ctx.ec2
                .describe_subnets()
                .set_filters((!f.is_empty()).then(|| f.clone()))
                .send()
        })
        .await?;
        let sn = single("EC2 Subnet", resp.subnets().to_vec())?;
        let id = sn.subnet_id().unwrap_or_default();
        let owner = sn.owner_id().unwrap_or_default();
        let ipv6 = sn.ipv6_cidr_block_association_set().first();
        let dns = sn.private_dns_name_options_on_launch();
        let mut m = config.as_map().cloned().unwrap_or_default();
        for (k, x) in [
            ("id", Value::string(id)),
            ("availability_zone", s_or_empty(sn.availability_zone())),
            (
                "availability_zone_id",
                s_or_empty(sn.availability_zone_id()),
            ),
            ("cidr_block", s_or_empty(sn.cidr_block())),
            (
                "default_for_az",
                Value::Bool(sn.default_for_az().unwrap_or(false)),
            ),
            (
                "ipv6_cidr_block",
                s_or_empty(ipv6.and_then(|a| a.ipv6_cidr_block())),
            ),
            ("state", s_or_empty(sn.state().map(|s| s.as_str()))),
            ("vpc_id", s_or_empty(sn.vpc_id())),
            ("tags", string_map(&tags::from_sdk(sn.tags()))),
            (
                "arn",
                match sn.subnet_arn() {
                    Some(a) => Value::string(a),
                    None => Value::string(ctx.arn(owner, "subnet", id)),
                },
            ),
            (
                "assign_ipv6_address_on_creation",
                Value::Bool(sn.assign_ipv6_address_on_creation().unwrap_or(false)),
            ),
            (
                "available_ip_address_count",
                Value::number(i64::from(sn.available_ip_address_count().unwrap_or(0))),
            ),
            (
                "customer_owned_ipv4_pool",
                s_or_empty(sn.customer_owned_ipv4_pool()),
            ),
            (
                "enable_dns64",
                Value::Bool(sn.enable_dns64().unwrap_or(false)),
            ),
            (
                "enable_lni_at_device_index",
                Value::number(i64::from(sn.enable_lni_at_device_index().unwrap_or(0))),
            ),
            (
                "enable_resource_name_dns_a_record_on_launch",
                Value::Bool(
                    dns.and_then(|d| d.enable_resource_name_dns_a_record())
                        .unwrap_or(false),
                ),
            ),
            (
                "enable_resource_name_dns_aaaa_record_on_launch",
                Value::Bool(
                    dns.and_then(|d| d.enable_resource_name_dns_aaaa_record())
                        .unwrap_or(false),
                ),
            ),
            (
                "ipv6_cidr_block_association_id",
                s_or_empty(ipv6.and_then(|a| a.association_id())),
            ),
            (
                "ipv6_native",
                Value::Bool(sn.ipv6_native().unwrap_or(false)),
            ),
            (
                "map_customer_owned_ip_on_launch",
                Value::Bool(sn.map_customer_owned_ip_on_launch().unwrap_or(false)),
            ),
            (
                "map_public_ip_on_launch",
                Value::Bool(sn.map_public_ip_on_launch().unwrap_or(false)),
            ),
            ("outpost_arn", s_or_empty(sn.outpost_arn())),
            ("owner_id", Value::string(owner)),
            (
                "private_dns_hostname_type_on_launch",
                s_or_empty(dns.and_then(|d| d.hostname_type()).map(|h| h.as_str())),
            ),
        ] {
            m.insert(k.to_string(), x);
        }
        Ok(Value::Object(m))
    }
}
