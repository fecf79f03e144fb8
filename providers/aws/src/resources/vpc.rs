//! `aws_vpc`: CreateVpc / ModifyVpcAttribute / ModifyVpcTenancy / Associate- and
//! DisassociateVpcCidrBlock / DeleteVpc, with Terraform's attributes. Refresh is batched: one
//! DescribeVpcs, one DescribeRouteTables (main tables), one DescribeNetworkAcls (default ACLs)
//! and one DescribeSecurityGroups (default groups) for all VPCs, plus the per-VPC attributes
//! that EC2 only reports one at a time (DescribeVpcAttribute).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, ResourceType, Tenancy, Vpc as SdkVpc, VpcAttributeName,
    VpcCidrBlockStateCode, VpcState,
};
use cairn_provider::{Attribute, PlanResponse, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call, call_retrying_dependency};
use crate::resource::AwsResource;
use crate::resources::{
    Missing, align, created_id, describe_by, filter, finish_create, ids_of, keyed, read_back,
    wait_gone, wait_ready,
};
use crate::tags;
use crate::values::{attr, b, get_bool, get_i64, get_str, obj, s, s_or_empty, with_attr};

pub(crate) struct Vpc;

const TIMEOUT: Duration = Duration::from_secs(300);

/// What EC2 reports about a VPC beyond DescribeVpcs.
#[derive(Default, Clone)]
struct Extras {
    main_route_table: Option<String>,
    default_network_acl: Option<String>,
    default_security_group: Option<String>,
    dns_support: Option<bool>,
    dns_hostnames: Option<bool>,
    address_usage_metrics: Option<bool>,
}

/// DescribeVpcs for these ids (a filter, so ids that are gone are simply absent), paginated.
pub(crate) async fn describe(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, SdkVpc>, AwsError> {
    let items = describe_by(
        ctx,
        "DescribeVpcs",
        "vpc-id",
        ids,
        |f, t| ctx.ec2.describe_vpcs().filters(f).set_next_token(t).send(),
        |r| r.vpcs().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(items, |x| x.vpc_id()))
}

async fn attribute(ctx: &Ctx, id: &str, name: VpcAttributeName) -> Result<Option<bool>, AwsError> {
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
        VpcAttributeName::EnableNetworkAddressUsageMetrics => {
            resp.enable_network_address_usage_metrics()
        }
        _ => None,
    };
    Ok(v.and_then(AttributeBooleanValue::value))
}

async fn extras(ctx: &Ctx, ids: &[String]) -> Result<HashMap<String, Extras>, AwsError> {
    let mut out: HashMap<String, Extras> =
        ids.iter().map(|i| (i.clone(), Extras::default())).collect();
    let tables = super::describe_by(
        ctx,
        "DescribeRouteTables",
        "vpc-id",
        ids,
        |f, token| {
            ctx.ec2
                .describe_route_tables()
                .filters(f)
                .filters(filter("association.main", &["true".into()]))
                .set_next_token(token)
                .send()
        },
        |r| r.route_tables().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    for rt in &tables {
        if let (Some(v), Some(id)) = (rt.vpc_id(), rt.route_table_id())
            && rt.associations().iter().any(|a| a.main() == Some(true))
            && let Some(e) = out.get_mut(v)
        {
            e.main_route_table = Some(id.to_string());
        }
    }
    let acls = super::describe_by(
        ctx,
        "DescribeNetworkAcls",
        "vpc-id",
        ids,
        |f, token| {
            ctx.ec2
                .describe_network_acls()
                .filters(f)
                .filters(filter("default", &["true".into()]))
                .set_next_token(token)
                .send()
        },
        |r| r.network_acls().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    for acl in &acls {
        if let (Some(v), Some(id)) = (acl.vpc_id(), acl.network_acl_id())
            && acl.is_default() == Some(true)
            && let Some(e) = out.get_mut(v)
        {
            e.default_network_acl = Some(id.to_string());
        }
    }
    let groups = super::describe_by(
        ctx,
        "DescribeSecurityGroups",
        "vpc-id",
        ids,
        |f, token| {
            ctx.ec2
                .describe_security_groups()
                .filters(f)
                .filters(filter("group-name", &["default".into()]))
                .set_next_token(token)
                .send()
        },
        |r| r.security_groups().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    for sg in &groups {
        if let (Some(v), Some(id)) = (sg.vpc_id(), sg.group_id())
            && sg.group_name() == Some("default")
            && let Some(e) = out.get_mut(v)
        {
            e.default_security_group = Some(id.to_string());
        }
    }
    for (id, e) in out.iter_mut() {
        e.dns_support = attribute(ctx, id, VpcAttributeName::EnableDnsSupport).await?;
        e.dns_hostnames = attribute(ctx, id, VpcAttributeName::EnableDnsHostnames).await?;
        e.address_usage_metrics =
            attribute(ctx, id, VpcAttributeName::EnableNetworkAddressUsageMetrics)
                .await
                .unwrap_or(None);
    }
    Ok(out)
}

fn to_value(ctx: &Ctx, prior: &Value, v: &SdkVpc, e: &Extras) -> Value {
    let id = v.vpc_id().unwrap_or_default();
    let owner = v.owner_id().unwrap_or_default();
    let ipv6 = v.ipv6_cidr_block_association_set().iter().find(|a| {
        matches!(
            a.ipv6_cidr_block_state().and_then(|s| s.state()),
            Some(VpcCidrBlockStateCode::Associated | VpcCidrBlockStateCode::Associating)
        )
    });
    let (tags, tags_all) = tags::read(ctx, Some(prior), &tags::from_sdk(v.tags()));
    obj(vec![
        ("id", Value::string(id)),
        ("arn", Value::string(ctx.arn(owner, "vpc", id))),
        ("owner_id", Value::string(owner)),
        ("cidr_block", s(v.cidr_block())),
        (
            "instance_tenancy",
            s(v.instance_tenancy().map(|t| t.as_str())),
        ),
        ("dhcp_options_id", s_or_empty(v.dhcp_options_id())),
        (
            "main_route_table_id",
            s_or_empty(e.main_route_table.as_deref()),
        ),
        (
            "default_route_table_id",
            s_or_empty(e.main_route_table.as_deref()),
        ),
        (
            "default_network_acl_id",
            s_or_empty(e.default_network_acl.as_deref()),
        ),
        (
            "default_security_group_id",
            s_or_empty(e.default_security_group.as_deref()),
        ),
        ("enable_dns_support", b(e.dns_support.or(Some(true)))),
        ("enable_dns_hostnames", b(e.dns_hostnames.or(Some(false)))),
        (
            "enable_network_address_usage_metrics",
            b(e.address_usage_metrics.or(Some(false))),
        ),
        (
            "assign_generated_ipv6_cidr_block",
            Value::Bool(ipv6.is_some() && get_str(prior, "ipv6_ipam_pool_id").is_none()),
        ),
        (
            "ipv6_association_id",
            s_or_empty(ipv6.and_then(|a| a.association_id())),
        ),
        (
            "ipv6_cidr_block",
            s_or_empty(ipv6.and_then(|a| a.ipv6_cidr_block())),
        ),
        (
            "ipv6_cidr_block_network_border_group",
            s_or_empty(ipv6.and_then(|a| a.network_border_group())),
        ),
        // Not reported by DescribeVpcs: kept from the configuration.
        ("ipv4_ipam_pool_id", attr(prior, "ipv4_ipam_pool_id")),
        ("ipv4_netmask_length", attr(prior, "ipv4_netmask_length")),
        ("ipv6_ipam_pool_id", attr(prior, "ipv6_ipam_pool_id")),
        ("ipv6_netmask_length", attr(prior, "ipv6_netmask_length")),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

const MISSING: Missing = Missing {
    what: "DescribeVpcs",
    code: "InvalidVpcID.NotFound",
    noun: "the VPC",
};

async fn describe_one(ctx: &Ctx, id: &str) -> Result<Option<SdkVpc>, AwsError> {
    super::describe_one(id, |ids| async move { describe(ctx, &ids).await }).await
}

async fn set_bool_attr(
    ctx: &Ctx,
    id: &str,
    name: VpcAttributeName,
    value: bool,
) -> Result<(), AwsError> {
    let v = AttributeBooleanValue::builder().value(value).build();
    call(ctx, "ModifyVpcAttribute", || {
        let req = ctx.ec2.modify_vpc_attribute().vpc_id(id);
        let req = match name {
            VpcAttributeName::EnableDnsSupport => req.enable_dns_support(v.clone()),
            VpcAttributeName::EnableDnsHostnames => req.enable_dns_hostnames(v.clone()),
            _ => req.enable_network_address_usage_metrics(v.clone()),
        };
        req.send()
    })
    .await?;
    Ok(())
}

const BOOL_ATTRS: [(&str, VpcAttributeName); 3] = [
    ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
    ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
    (
        "enable_network_address_usage_metrics",
        VpcAttributeName::EnableNetworkAddressUsageMetrics,
    ),
];

async fn wait_available(ctx: &Ctx, id: &str) -> Result<(), AwsError> {
    wait_ready(
        "VPC available",
        TIMEOUT,
        || describe_one(ctx, id),
        |v| Ok(v.state() == Some(&VpcState::Available)),
    )
    .await?;
    Ok(())
}

#[async_trait]
impl AwsResource for Vpc {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> ResourceSchema {
        let computed = || Attribute::computed(Type::String);
        let schema = Schema::new()
            .attr("id", computed())
            .attr("arn", computed())
            .attr("owner_id", computed())
            .attr(
                "cidr_block",
                Attribute::optional_computed(Type::String).force_new(),
            )
            // Not force-new as such: see `adjust_plan` (dedicated -> default is in place).
            .attr("instance_tenancy", Attribute::optional(Type::String))
            .attr(
                "ipv4_ipam_pool_id",
                Attribute::optional(Type::String).force_new(),
            )
            .attr(
                "ipv4_netmask_length",
                Attribute::optional(Type::Number).force_new(),
            )
            .attr(
                "assign_generated_ipv6_cidr_block",
                Attribute::optional(Type::Bool),
            )
            .attr(
                "ipv6_cidr_block",
                Attribute::optional_computed(Type::String),
            )
            .attr("ipv6_ipam_pool_id", Attribute::optional(Type::String))
            .attr("ipv6_netmask_length", Attribute::optional(Type::Number))
            .attr(
                "ipv6_cidr_block_network_border_group",
                Attribute::optional_computed(Type::String),
            )
            .attr("ipv6_association_id", computed())
            .attr("enable_dns_support", Attribute::optional(Type::Bool))
            .attr(
                "enable_dns_hostnames",
                Attribute::optional_computed(Type::Bool),
            )
            .attr(
                "enable_network_address_usage_metrics",
                Attribute::optional_computed(Type::Bool),
            )
            .attr("dhcp_options_id", computed())
            .attr("main_route_table_id", computed())
            .attr("default_route_table_id", computed())
            .attr("default_network_acl_id", computed())
            .attr("default_security_group_id", computed())
            .with_version(1);
        ResourceSchema::new(schema, true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("instance_tenancy", Value::string("default")),
            ("enable_dns_support", Value::Bool(true)),
            ("assign_generated_ipv6_cidr_block", Value::Bool(false)),
        ]
    }

    fn adjust_plan(&self, prior: Option<&Value>, config: &Value, resp: &mut PlanResponse) {
        let Some(prior) = prior else { return };
        // Terraform's ForceNewIfChange on instance_tenancy: only dedicated -> default is done in
        // place (ModifyVpcTenancy); any other change replaces the VPC.
        let (old, new) = (
            get_str(prior, "instance_tenancy"),
            get_str(&resp.planned, "instance_tenancy"),
        );
        if old != new && new.is_some() && !(old == Some("dedicated") && new == Some("default")) {
            let first = resp.requires_replace.is_empty();
            resp.requires_replace
                .push(vec![cairn_provider::PathStep::Attr(
                    "instance_tenancy".into(),
                )]);
            if first {
                // A new object: every computed attribute the configuration leaves unset is unknown.
                let mut m = resp.planned.as_map().cloned().unwrap_or_default();
                for (name, a) in &self.schema().schema.attributes {
                    if a.computed && config.get_attr(name).is_none_or(Value::is_null) {
                        m.insert(name.clone(), Value::Unknown);
                    }
                }
                resp.planned = Value::Object(m);
            }
        }
        if !resp.requires_replace.is_empty() {
            return;
        }
        let ipv6_changed = prior.get_attr("assign_generated_ipv6_cidr_block")
            != resp.planned.get_attr("assign_generated_ipv6_cidr_block")
            || prior.get_attr("ipv6_ipam_pool_id") != resp.planned.get_attr("ipv6_ipam_pool_id");
        if ipv6_changed {
            for a in [
                "ipv6_association_id",
                "ipv6_cidr_block",
                "ipv6_cidr_block_network_border_group",
            ] {
                if config.get_attr(a).is_none_or(Value::is_null) {
                    resp.planned = with_attr(&resp.planned, a, Value::Unknown);
                }
            }
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let tag_specs = tags::tag_specifications(planned, ResourceType::Vpc);
        let resp = call(ctx, "CreateVpc", || {
            ctx.ec2
                .create_vpc()
                .set_cidr_block(get_str(planned, "cidr_block").map(str::to_string))
                .set_instance_tenancy(get_str(planned, "instance_tenancy").map(Tenancy::from))
                .set_ipv4_ipam_pool_id(get_str(planned, "ipv4_ipam_pool_id").map(str::to_string))
                .set_ipv4_netmask_length(get_i64(planned, "ipv4_netmask_length").map(|n| n as i32))
                .set_amazon_provided_ipv6_cidr_block(
                    get_bool(planned, "assign_generated_ipv6_cidr_block").filter(|b| *b),
                )
                .set_ipv6_ipam_pool_id(get_str(planned, "ipv6_ipam_pool_id").map(str::to_string))
                .set_ipv6_netmask_length(get_i64(planned, "ipv6_netmask_length").map(|n| n as i32))
                .set_ipv6_cidr_block_network_border_group(
                    get_str(planned, "ipv6_cidr_block_network_border_group").map(str::to_string),
                )
                .set_tag_specifications(tag_specs.clone())
                .send()
        })
        .await?;
        let id = &created_id("CreateVpc", resp.vpc().and_then(|v| v.vpc_id()), "VPC")?;
        finish_create(self, ctx, planned, id, |made| async move {
            wait_available(ctx, id).await?;
            for (name, api) in BOOL_ATTRS {
                let want = get_bool(planned, name);
                let default = name == "enable_dns_support";
                if let Some(w) = want
                    && w != default
                {
                    set_bool_attr(ctx, id, api, w).await?;
                }
            }
            read_back(self, ctx, &made, &MISSING).await
        })
        .await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default().to_string();
        if let Some(t) = get_str(planned, "instance_tenancy")
            && get_str(prior, "instance_tenancy") != Some(t)
        {
            call(ctx, "ModifyVpcTenancy", || {
                ctx.ec2
                    .modify_vpc_tenancy()
                    .vpc_id(&id)
                    .instance_tenancy(aws_sdk_ec2::types::VpcTenancy::from(t))
                    .send()
            })
            .await?;
        }
        for (name, api) in BOOL_ATTRS {
            if let Some(w) = get_bool(planned, name)
                && get_bool(prior, name) != Some(w)
            {
                set_bool_attr(ctx, &id, api, w).await?;
            }
        }
        let want_v6 = get_bool(planned, "assign_generated_ipv6_cidr_block").unwrap_or(false);
        let had_v6 = get_bool(prior, "assign_generated_ipv6_cidr_block").unwrap_or(false);
        if want_v6 && !had_v6 {
            call(ctx, "AssociateVpcCidrBlock", || {
                ctx.ec2
                    .associate_vpc_cidr_block()
                    .vpc_id(&id)
                    .amazon_provided_ipv6_cidr_block(true)
                    .send()
            })
            .await?;
        } else if had_v6
            && !want_v6
            && let Some(assoc) = get_str(prior, "ipv6_association_id")
        {
            call(ctx, "DisassociateVpcCidrBlock", || {
                ctx.ec2
                    .disassociate_vpc_cidr_block()
                    .association_id(assoc)
                    .send()
            })
            .await?;
        }
        read_back(self, ctx, planned, &MISSING).await
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        call_retrying_dependency(ctx, "DeleteVpc", Duration::from_secs(120), || {
            ctx.ec2.delete_vpc().vpc_id(id).send()
        })
        .await?;
        wait_gone("VPC deleted", TIMEOUT, || describe_one(ctx, id), |_| false).await
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let ids = ids_of(current);
        let found = describe(ctx, &ids).await?;
        let present: Vec<String> = ids.into_iter().filter(|i| found.contains_key(i)).collect();
        let extra = extras(ctx, &present).await?;
        Ok(align(current, &found, |c, v| {
            let e = v
                .vpc_id()
                .and_then(|i| extra.get(i))
                .cloned()
                .unwrap_or_default();
            to_value(ctx, c, v, &e)
        }))
    }
}
