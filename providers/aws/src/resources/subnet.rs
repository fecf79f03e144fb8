//! `aws_subnet`: CreateSubnet / ModifySubnetAttribute / Associate- and
//! DisassociateSubnetCidrBlock / DeleteSubnet with Terraform's attributes. Refresh is one
//! DescribeSubnets (filtered by id, paginated) for any number of subnets.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, HostnameType, ResourceType, Subnet as SdkSubnet,
    SubnetCidrBlockStateCode, SubnetState,
};
use cairn_provider::{Attribute, PlanResponse, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call, call_retrying_dependency};
use crate::resource::AwsResource;
use crate::resources::{
    Missing, align, created_id, describe_by, finish_create, ids_of, keyed, read_back, wait_ready,
};
use crate::tags;
use crate::values::{attr, b, get_bool, get_i64, get_str, n, obj, s, s_or_empty, with_attr};

pub(crate) struct Subnet;

const TIMEOUT: Duration = Duration::from_secs(600);

/// DescribeSubnets for these ids (gone ones are absent), paginated.
pub(crate) async fn describe(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, SdkSubnet>, AwsError> {
    let items = describe_by(
        ctx,
        "DescribeSubnets",
        "subnet-id",
        ids,
        |f, t| {
            ctx.ec2
                .describe_subnets()
                .filters(f)
                .set_next_token(t)
                .send()
        },
        |r| r.subnets().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(items, |x| x.subnet_id()))
}

fn to_value(ctx: &Ctx, prior: &Value, x: &SdkSubnet) -> Value {
    let id = x.subnet_id().unwrap_or_default();
    let owner = x.owner_id().unwrap_or_default();
    let ipv6 = x.ipv6_cidr_block_association_set().iter().find(|a| {
        matches!(
            a.ipv6_cidr_block_state().and_then(|s| s.state()),
            Some(SubnetCidrBlockStateCode::Associated | SubnetCidrBlockStateCode::Associating)
        )
    });
    let dns = x.private_dns_name_options_on_launch();
    let (tags, tags_all) = tags::read(ctx, Some(prior), &tags::from_sdk(x.tags()));
    let arn = x
        .subnet_arn()
        .map(str::to_string)
        .unwrap_or_else(|| ctx.arn(owner, "subnet", id));
    obj(vec![
        ("id", Value::string(id)),
        ("arn", Value::string(arn)),
        ("owner_id", Value::string(owner)),
        ("vpc_id", s(x.vpc_id())),
        ("cidr_block", s(x.cidr_block())),
        ("availability_zone", s(x.availability_zone())),
        ("availability_zone_id", s(x.availability_zone_id())),
        (
            "map_public_ip_on_launch",
            b(x.map_public_ip_on_launch().or(Some(false))),
        ),
        (
            "assign_ipv6_address_on_creation",
            b(x.assign_ipv6_address_on_creation().or(Some(false))),
        ),
        ("enable_dns64", b(x.enable_dns64().or(Some(false)))),
        ("ipv6_native", b(x.ipv6_native().or(Some(false)))),
        (
            "ipv6_cidr_block",
            s_or_empty(ipv6.and_then(|a| a.ipv6_cidr_block())),
        ),
        (
            "ipv6_cidr_block_association_id",
            s_or_empty(ipv6.and_then(|a| a.association_id())),
        ),
        (
            "enable_lni_at_device_index",
            n(Some(x.enable_lni_at_device_index().unwrap_or(0) as i64)),
        ),
        (
            "enable_resource_name_dns_a_record_on_launch",
            b(Some(
                dns.and_then(|d| d.enable_resource_name_dns_a_record())
                    .unwrap_or(false),
            )),
        ),
        (
            "enable_resource_name_dns_aaaa_record_on_launch",
            b(Some(
                dns.and_then(|d| d.enable_resource_name_dns_aaaa_record())
                    .unwrap_or(false),
            )),
        ),
        (
            "private_dns_hostname_type_on_launch",
            Value::string(
                dns.and_then(|d| d.hostname_type())
                    .map(|h| h.as_str().to_string())
                    .unwrap_or_else(|| "ip-name".to_string()),
            ),
        ),
        ("outpost_arn", s_or_empty(x.outpost_arn())),
        (
            "customer_owned_ipv4_pool",
            s_or_empty(x.customer_owned_ipv4_pool()),
        ),
        (
            "map_customer_owned_ip_on_launch",
            match x.map_customer_owned_ip_on_launch() {
                Some(true) => Value::Bool(true),
                _ => match prior.get_attr("map_customer_owned_ip_on_launch") {
                    Some(Value::Bool(false)) => Value::Bool(false),
                    _ => Value::Null,
                },
            },
        ),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

/// The boolean attributes ModifySubnetAttribute sets one at a time, with their defaults.
const BOOL_ATTRS: [(&str, bool); 5] = [
    ("map_public_ip_on_launch", false),
    ("assign_ipv6_address_on_creation", false),
    ("enable_dns64", false),
    ("enable_resource_name_dns_a_record_on_launch", false),
    ("enable_resource_name_dns_aaaa_record_on_launch", false),
];

async fn set_bool(ctx: &Ctx, id: &str, name: &str, value: bool) -> Result<(), AwsError> {
    let v = AttributeBooleanValue::builder().value(value).build();
    call(ctx, "ModifySubnetAttribute", || {
        let req = ctx.ec2.modify_subnet_attribute().subnet_id(id);
        let req = match name {
            "map_public_ip_on_launch" => req.map_public_ip_on_launch(v.clone()),
            "assign_ipv6_address_on_creation" => req.assign_ipv6_address_on_creation(v.clone()),
            "enable_dns64" => req.enable_dns64(v.clone()),
            "enable_resource_name_dns_a_record_on_launch" => {
                req.enable_resource_name_dns_a_record_on_launch(v.clone())
            }
            _ => req.enable_resource_name_dns_aaaa_record_on_launch(v.clone()),
        };
        req.send()
    })
    .await?;
    Ok(())
}

/// Applies the modifiable attributes that differ between `from` (null on create: the API's
/// defaults) and `to`.
async fn modify(ctx: &Ctx, id: &str, from: Option<&Value>, to: &Value) -> Result<(), AwsError> {
    for (name, default) in BOOL_ATTRS {
        let want = get_bool(to, name).unwrap_or(default);
        let have = from.and_then(|f| get_bool(f, name)).unwrap_or(default);
        if want != have {
            set_bool(ctx, id, name, want).await?;
        }
    }
    if let Some(h) = get_str(to, "private_dns_hostname_type_on_launch") {
        let have = from
            .and_then(|f| get_str(f, "private_dns_hostname_type_on_launch"))
            .unwrap_or("ip-name");
        if h != have {
            call(ctx, "ModifySubnetAttribute", || {
                ctx.ec2
                    .modify_subnet_attribute()
                    .subnet_id(id)
                    .private_dns_hostname_type_on_launch(HostnameType::from(h))
                    .send()
            })
            .await?;
        }
    }
    if let Some(want) = get_bool(to, "map_customer_owned_ip_on_launch") {
        let have = from
            .and_then(|f| get_bool(f, "map_customer_owned_ip_on_launch"))
            .unwrap_or(false);
        if want != have {
            let v = AttributeBooleanValue::builder().value(want).build();
            call(ctx, "ModifySubnetAttribute", || {
                ctx.ec2
                    .modify_subnet_attribute()
                    .subnet_id(id)
                    .map_customer_owned_ip_on_launch(v.clone())
                    .set_customer_owned_ipv4_pool(
                        get_str(to, "customer_owned_ipv4_pool").map(str::to_string),
                    )
                    .send()
            })
            .await?;
        }
    }
    if let Some(want) = get_i64(to, "enable_lni_at_device_index")
        && want > 0
        && from.and_then(|f| get_i64(f, "enable_lni_at_device_index")) != Some(want)
    {
        call(ctx, "ModifySubnetAttribute", || {
            ctx.ec2
                .modify_subnet_attribute()
                .subnet_id(id)
                .enable_lni_at_device_index(want as i32)
                .send()
        })
        .await?;
    }
    Ok(())
}

async fn describe_one(ctx: &Ctx, id: &str) -> Result<Option<SdkSubnet>, AwsError> {
    super::describe_one(id, |ids| async move { describe(ctx, &ids).await }).await
}

const MISSING: Missing = Missing {
    what: "DescribeSubnets",
    code: "InvalidSubnetID.NotFound",
    noun: "the subnet",
};

#[async_trait]
impl AwsResource for Subnet {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }

    fn schema(&self) -> ResourceSchema {
        let computed = || Attribute::computed(Type::String);
        let opt_bool = || Attribute::optional(Type::Bool);
        let schema = Schema::new()
            .attr("id", computed())
            .attr("arn", computed())
            .attr("owner_id", computed())
            .attr("vpc_id", Attribute::required(Type::String).force_new())
            .attr("cidr_block", Attribute::optional(Type::String).force_new())
            .attr(
                "availability_zone",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr(
                "availability_zone_id",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr("map_public_ip_on_launch", opt_bool())
            .attr("assign_ipv6_address_on_creation", opt_bool())
            .attr("enable_dns64", opt_bool())
            .attr("ipv6_native", opt_bool().force_new())
            .attr("ipv6_cidr_block", Attribute::optional(Type::String))
            .attr("ipv6_cidr_block_association_id", computed())
            .attr(
                "enable_lni_at_device_index",
                Attribute::optional_computed(Type::Number),
            )
            .attr("enable_resource_name_dns_a_record_on_launch", opt_bool())
            .attr("enable_resource_name_dns_aaaa_record_on_launch", opt_bool())
            .attr(
                "private_dns_hostname_type_on_launch",
                Attribute::optional_computed(Type::String),
            )
            .attr("outpost_arn", Attribute::optional(Type::String).force_new())
            .attr(
                "customer_owned_ipv4_pool",
                Attribute::optional(Type::String),
            )
            .attr("map_customer_owned_ip_on_launch", opt_bool())
            .with_version(1);
        ResourceSchema::new(schema, true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        let mut d: Vec<(&'static str, Value)> = BOOL_ATTRS
            .iter()
            .map(|(n, v)| (*n, Value::Bool(*v)))
            .collect();
        d.push(("ipv6_native", Value::Bool(false)));
        d.push(("ipv6_cidr_block", Value::string("")));
        d.push(("outpost_arn", Value::string("")));
        d.push(("customer_owned_ipv4_pool", Value::string("")));
        d
    }

    fn adjust_plan(&self, prior: Option<&Value>, _config: &Value, resp: &mut PlanResponse) {
        if let Some(prior) = prior
            && resp.requires_replace.is_empty()
            && prior.get_attr("ipv6_cidr_block") != resp.planned.get_attr("ipv6_cidr_block")
        {
            resp.planned = with_attr(
                &resp.planned,
                "ipv6_cidr_block_association_id",
                Value::Unknown,
            );
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let tag_specs = tags::tag_specifications(planned, ResourceType::Subnet);
        let resp = call(ctx, "CreateSubnet", || {
            ctx.ec2
                .create_subnet()
                .set_vpc_id(get_str(planned, "vpc_id").map(str::to_string))
                .set_cidr_block(get_str(planned, "cidr_block").map(str::to_string))
                .set_availability_zone(get_str(planned, "availability_zone").map(str::to_string))
                .set_availability_zone_id(
                    get_str(planned, "availability_zone_id").map(str::to_string),
                )
                .set_ipv6_cidr_block(get_str(planned, "ipv6_cidr_block").map(str::to_string))
                .set_ipv6_native(get_bool(planned, "ipv6_native").filter(|b| *b))
                .set_outpost_arn(get_str(planned, "outpost_arn").map(str::to_string))
                .set_tag_specifications(tag_specs.clone())
                .send()
        })
        .await?;
        let id = &created_id(
            "CreateSubnet",
            resp.subnet().and_then(|x| x.subnet_id()),
            "subnet",
        )?;
        finish_create(self, ctx, planned, id, |made| async move {
            wait_ready(
                "subnet available",
                TIMEOUT,
                || describe_one(ctx, id),
                |x| Ok(x.state() != Some(&SubnetState::Pending)),
            )
            .await?;
            modify(ctx, id, None, planned).await?;
            read_back(self, ctx, &made, &MISSING).await
        })
        .await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default().to_string();
        let old_v6 = get_str(prior, "ipv6_cidr_block");
        let new_v6 = get_str(planned, "ipv6_cidr_block");
        if old_v6 != new_v6 {
            // Turn off what depends on an IPv6 block before removing it.
            if get_bool(prior, "assign_ipv6_address_on_creation") == Some(true) {
                set_bool(ctx, &id, "assign_ipv6_address_on_creation", false).await?;
            }
            if let Some(assoc) = get_str(prior, "ipv6_cidr_block_association_id") {
                call(ctx, "DisassociateSubnetCidrBlock", || {
                    ctx.ec2
                        .disassociate_subnet_cidr_block()
                        .association_id(assoc)
                        .send()
                })
                .await?;
            }
            if let Some(block) = new_v6 {
                call(ctx, "AssociateSubnetCidrBlock", || {
                    ctx.ec2
                        .associate_subnet_cidr_block()
                        .subnet_id(&id)
                        .ipv6_cidr_block(block)
                        .send()
                })
                .await?;
            }
            let mut from = prior.clone();
            if get_bool(prior, "assign_ipv6_address_on_creation") == Some(true) {
                from = with_attr(&from, "assign_ipv6_address_on_creation", Value::Bool(false));
            }
            modify(ctx, &id, Some(&from), planned).await?;
        } else {
            modify(ctx, &id, Some(prior), planned).await?;
        }
        read_back(self, ctx, planned, &MISSING).await
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        call_retrying_dependency(ctx, "DeleteSubnet", Duration::from_secs(120), || {
            ctx.ec2.delete_subnet().subnet_id(id).send()
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
        Ok(align(current, &found, |c, x| to_value(ctx, c, x)))
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let cur = obj(vec![("id", Value::string(id))]);
        let v = self.read_many(ctx, &[cur]).await?.pop().flatten();
        Ok(v.map(|v| {
            // Imported objects get the configuration's view of unset optional strings.
            let mut v = v;
            for a in ["ipv6_cidr_block", "outpost_arn", "customer_owned_ipv4_pool"] {
                if attr(&v, a).is_null() {
                    v = with_attr(&v, a, Value::string(""));
                }
            }
            v
        }))
    }
}
