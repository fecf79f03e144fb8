//! `data "aws_vpc"`: the one VPC matching `id`, `cidr_block`, `default`, `dhcp_options_id`,
//! `state`, `filter` blocks and `tags` (DescribeVpcs), with its DNS attributes
//! (DescribeVpcAttribute) and main route table (DescribeRouteTables).

use async_trait::async_trait;
use aws_sdk_ec2::types::VpcAttributeName;
use cairn_provider::{Attribute, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call};
use crate::data::{filter_block, filters, single};
use crate::resource::AwsDataSource;
use crate::resources::filter;
use crate::tags;
use crate::values::{obj, s_or_empty, string_map};

pub(crate) struct Vpc;

fn schema() -> Schema {
    let oc = Attribute::optional_computed;
    let c = Attribute::computed;
    Schema::new()
        .attr("id", oc(Type::String))
        .attr("cidr_block", oc(Type::String))
        .attr("default", oc(Type::Bool))
        .attr("dhcp_options_id", oc(Type::String))
        .attr("state", oc(Type::String))
        .attr("tags", oc(Type::map(Type::String)))
        .block("filter", filter_block())
        .attr("arn", c(Type::String))
        .attr(
            "cidr_block_associations",
            c(Type::list(Type::object([
                ("association_id", Type::String),
                ("cidr_block", Type::String),
                ("state", Type::String),
            ]))),
        )
        .attr("enable_dns_hostnames", c(Type::Bool))
        .attr("enable_dns_support", c(Type::Bool))
        .attr("enable_network_address_usage_metrics", c(Type::Bool))
        .attr("instance_tenancy", c(Type::String))
        .attr("ipv6_association_id", c(Type::String))
        .attr("ipv6_cidr_block", c(Type::String))
        .attr("main_route_table_id", c(Type::String))
        .attr("owner_id", c(Type::String))
}

async fn vpc_attribute(ctx: &Ctx, id: &str, name: VpcAttributeName) -> Result<bool, AwsError> {
    let resp = call(ctx, "DescribeVpcAttribute", || {
        ctx.ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(name.clone())
            .send()
    })
    .await?;
    let v = match name {
        VpcAttributeName::EnableDnsSupport => resp.enable_dns_support(),
        VpcAttributeName::EnableDnsHostnames => resp.enable_dns_hostnames(),
        _ => resp.enable_network_address_usage_metrics(),
    };
    Ok(v.and_then(|x| x.value()).unwrap_or(false))
}

#[async_trait]
impl AwsDataSource for Vpc {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, AwsError> {
        let f = filters(
            config,
            &[
                ("id", "vpc-id"),
                ("cidr_block", "cidr"),
                ("default", "is-default"),
                ("dhcp_options_id", "dhcp-options-id"),
                ("state", "state"),
            ],
        );
        let resp = call(ctx, "DescribeVpcs", || {
            ctx.ec2
                .describe_vpcs()
                .set_filters((!f.is_empty()).then(|| f.clone()))
                .send()
        })
        .await?;
        let v = single("EC2 VPC", resp.vpcs().to_vec())?;
        let id = v.vpc_id().unwrap_or_default().to_string();
        let owner = v.owner_id().unwrap_or_default();
        let dns_support = vpc_attribute(ctx, &id, VpcAttributeName::EnableDnsSupport).await?;
        let dns_hostnames = vpc_attribute(ctx, &id, VpcAttributeName::EnableDnsHostnames).await?;
        let metrics = vpc_attribute(ctx, &id, VpcAttributeName::EnableNetworkAddressUsageMetrics)
            .await
            .unwrap_or(false);
        let rts = call(ctx, "DescribeRouteTables", || {
            ctx.ec2
                .describe_route_tables()
                .filters(filter("vpc-id", std::slice::from_ref(&id)))
                .filters(filter("association.main", &["true".to_string()]))
                .send()
        })
        .await?;
        let main_rt = rts
            .route_tables()
            .first()
            .and_then(|r| r.route_table_id())
            .map(str::to_string);
        let assocs: Vec<Value> = v
            .cidr_block_association_set()
            .iter()
            .map(|a| {
                obj(vec![
                    ("association_id", s_or_empty(a.association_id())),
                    ("cidr_block", s_or_empty(a.cidr_block())),
                    (
                        "state",
                        s_or_empty(
                            a.cidr_block_state()
                                .and_then(|s| s.state())
                                .map(|s| s.as_str()),
                        ),
                    ),
                ])
            })
            .collect();
        let ipv6 = v.ipv6_cidr_block_association_set().first();
        let mut m = config.as_map().cloned().unwrap_or_default();
        for (k, x) in [
            ("id", Value::string(&id)),
            ("cidr_block", s_or_empty(v.cidr_block())),
            ("default", Value::Bool(v.is_default().unwrap_or(false))),
            ("dhcp_options_id", s_or_empty(v.dhcp_options_id())),
            ("state", s_or_empty(v.state().map(|s| s.as_str()))),
            ("tags", string_map(&tags::from_sdk(v.tags()))),
            ("arn", Value::string(ctx.arn(owner, "vpc", &id))),
            ("cidr_block_associations", Value::List(assocs)),
            ("enable_dns_hostnames", Value::Bool(dns_hostnames)),
            ("enable_dns_support", Value::Bool(dns_support)),
            ("enable_network_address_usage_metrics", Value::Bool(metrics)),
            (
                "instance_tenancy",
                s_or_empty(v.instance_tenancy().map(|t| t.as_str())),
            ),
            (
                "ipv6_association_id",
                s_or_empty(ipv6.and_then(|a| a.association_id())),
            ),
            (
                "ipv6_cidr_block",
                s_or_empty(ipv6.and_then(|a| a.ipv6_cidr_block())),
            ),
            ("main_route_table_id", s_or_empty(main_rt.as_deref())),
            ("owner_id", Value::string(owner)),
        ] {
            m.insert(k.to_string(), x);
        }
        Ok(Value::Object(m))
    }
}
