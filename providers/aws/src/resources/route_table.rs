//! `aws_route_table` with inline `route` blocks, and the route plumbing `aws_route` shares:
//! destinations and targets, CreateRoute / ReplaceRoute / DeleteRoute. As in Terraform,
//! `route` is "optional and computed": with no `route` blocks in the configuration the table's
//! routes are not managed here (so `aws_route` resources can add them). The `local` route and
//! propagated routes are never listed. Refresh is one DescribeRouteTables for many tables.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, Route, RouteOrigin, RouteTable};
use cairn_provider::{
    Attribute, BlockNesting, NestedBlock, PlanResponse, ResourceSchema, Schema, Type, Value,
};

use crate::ctx::{AwsError, Ctx, call, call_retrying_dependency, retry_on};
use crate::resource::AwsResource;
use crate::resources::{
    Missing, align, created_id, describe_by, finish_create, ids_of, keyed, read_back,
};
use crate::tags;
use crate::values::{get_str, get_strings, obj, string_set, with_attr};

pub(crate) struct RouteTableRes;

/// Destination attributes of an inline route.
pub(crate) const DESTINATIONS: [&str; 3] = [
    "cidr_block",
    "ipv6_cidr_block",
    "destination_prefix_list_id",
];

/// Target attributes of an inline route (and of `aws_route`).
pub(crate) const TARGETS: [&str; 10] = [
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

fn route_schema() -> Schema {
    let mut s = Schema::new();
    for a in DESTINATIONS.iter().chain(TARGETS.iter()) {
        s = s.attr(a, Attribute::optional(Type::String));
    }
    s
}

/// One route as an object of [`route_schema`], from the API; `None` for the `local` route and
/// propagated routes.
pub(crate) fn route_value(r: &Route) -> Option<Value> {
    if r.gateway_id() == Some("local")
        || r.origin() == Some(&RouteOrigin::EnableVgwRoutePropagation)
    {
        return None;
    }
    let sv = |x: Option<&str>| Value::string(x.unwrap_or_default());
    // An instance target reads back as its network interface, as in Terraform.
    let v = obj(vec![
        ("cidr_block", sv(r.destination_cidr_block())),
        ("ipv6_cidr_block", sv(r.destination_ipv6_cidr_block())),
        (
            "destination_prefix_list_id",
            sv(r.destination_prefix_list_id()),
        ),
        ("carrier_gateway_id", sv(r.carrier_gateway_id())),
        ("core_network_arn", sv(r.core_network_arn())),
        (
            "egress_only_gateway_id",
            sv(r.egress_only_internet_gateway_id()),
        ),
        ("gateway_id", sv(r.gateway_id())),
        ("local_gateway_id", sv(r.local_gateway_id())),
        ("nat_gateway_id", sv(r.nat_gateway_id())),
        ("network_interface_id", sv(r.network_interface_id())),
        ("transit_gateway_id", sv(r.transit_gateway_id())),
        (
            "vpc_endpoint_id",
            sv(r.gateway_id().filter(|g| g.starts_with("vpce-"))),
        ),
        (
            "vpc_peering_connection_id",
            sv(r.vpc_peering_connection_id()),
        ),
    ]);
    // A VPC endpoint target is reported as a gateway id; it belongs to vpc_endpoint_id.
    if get_str(&v, "gateway_id").is_some_and(|g| g.starts_with("vpce-")) {
        Some(with_attr(&v, "gateway_id", Value::string("")))
    } else {
        Some(v)
    }
}

/// A configured route with unset attributes as `""` (how they read back).
fn normalise_route(v: &Value) -> Value {
    let mut m = cairn_provider::ValueMap::new();
    for a in DESTINATIONS.iter().chain(TARGETS.iter()) {
        let x = v.get_attr(a).cloned().unwrap_or(Value::Null);
        m.insert(
            a.to_string(),
            if x.is_null() { Value::string("") } else { x },
        );
    }
    Value::Object(m)
}

/// The destination of a route (its `cidr_block`-like key), for matching old and new routes.
pub(crate) fn destination(v: &Value, names: [&str; 3]) -> Option<(usize, String)> {
    names
        .iter()
        .enumerate()
        .find_map(|(i, n)| get_str(v, n).map(|d| (i, d.to_string())))
}

/// CreateRoute or ReplaceRoute in table `rtb` for destination `dest` (index into
/// `cidr/ipv6/prefix-list`) with the targets of `route`.
pub(crate) async fn put_route(
    ctx: &Ctx,
    rtb: &str,
    dest: &(usize, String),
    route: &Value,
    replace: bool,
) -> Result<(), AwsError> {
    let t = |n: &str| get_str(route, n).map(str::to_string);
    let (what, codes): (&str, &[&str]) = if replace {
        ("ReplaceRoute", &[])
    } else {
        (
            "CreateRoute",
            &[
                "InvalidRouteTableID.NotFound",
                "InvalidTransitGatewayID.NotFound",
            ],
        )
    };
    retry_on(codes, Duration::from_secs(120), || async move {
        if replace {
            call(ctx, what, || {
                let mut r = ctx.ec2.replace_route().route_table_id(rtb);
                r = match dest.0 {
                    0 => r.destination_cidr_block(&dest.1),
                    1 => r.destination_ipv6_cidr_block(&dest.1),
                    _ => r.destination_prefix_list_id(&dest.1),
                };
                r.set_carrier_gateway_id(t("carrier_gateway_id"))
                    .set_core_network_arn(t("core_network_arn"))
                    .set_egress_only_internet_gateway_id(t("egress_only_gateway_id"))
                    .set_gateway_id(t("gateway_id").or(t("vpc_endpoint_id")))
                    .set_local_gateway_id(t("local_gateway_id"))
                    .set_nat_gateway_id(t("nat_gateway_id"))
                    .set_network_interface_id(t("network_interface_id"))
                    .set_transit_gateway_id(t("transit_gateway_id"))
                    .set_vpc_peering_connection_id(t("vpc_peering_connection_id"))
                    .set_instance_id(t("instance_id"))
                    .send()
            })
            .await
            .map(|_| ())
        } else {
            call(ctx, what, || {
                let mut r = ctx.ec2.create_route().route_table_id(rtb);
                r = match dest.0 {
                    0 => r.destination_cidr_block(&dest.1),
                    1 => r.destination_ipv6_cidr_block(&dest.1),
                    _ => r.destination_prefix_list_id(&dest.1),
                };
                r.set_carrier_gateway_id(t("carrier_gateway_id"))
                    .set_core_network_arn(t("core_network_arn"))
                    .set_egress_only_internet_gateway_id(t("egress_only_gateway_id"))
                    .set_gateway_id(t("gateway_id"))
                    .set_vpc_endpoint_id(t("vpc_endpoint_id"))
                    .set_local_gateway_id(t("local_gateway_id"))
                    .set_nat_gateway_id(t("nat_gateway_id"))
                    .set_network_interface_id(t("network_interface_id"))
                    .set_transit_gateway_id(t("transit_gateway_id"))
                    .set_vpc_peering_connection_id(t("vpc_peering_connection_id"))
                    .set_instance_id(t("instance_id"))
                    .send()
            })
            .await
            .map(|_| ())
        }
    })
    .await
}

pub(crate) async fn delete_route(
    ctx: &Ctx,
    rtb: &str,
    dest: &(usize, String),
) -> Result<(), AwsError> {
    let r = call(ctx, "DeleteRoute", || {
        let r = ctx.ec2.delete_route().route_table_id(rtb);
        match dest.0 {
            0 => r.destination_cidr_block(&dest.1),
            1 => r.destination_ipv6_cidr_block(&dest.1),
            _ => r.destination_prefix_list_id(&dest.1),
        }
        .send()
    })
    .await;
    match r {
        Err(e) if e.code == "InvalidRoute.NotFound" || e.code == "InvalidRouteTableID.NotFound" => {
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

pub(crate) async fn describe(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, RouteTable>, AwsError> {
    let items = describe_by(
        ctx,
        "DescribeRouteTables",
        "route-table-id",
        ids,
        |f, t| {
            ctx.ec2
                .describe_route_tables()
                .filters(f)
                .set_next_token(t)
                .send()
        },
        |r| r.route_tables().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(items, |t| t.route_table_id()))
}

fn to_value(ctx: &Ctx, prior: &Value, t: &RouteTable) -> Value {
    let id = t.route_table_id().unwrap_or_default();
    let owner = t.owner_id().unwrap_or_default();
    let routes: Vec<Value> = t.routes().iter().filter_map(route_value).collect();
    let vgws: Vec<String> = t
        .propagating_vgws()
        .iter()
        .filter_map(|v| v.gateway_id().map(str::to_string))
        .collect();
    let (tags, tags_all) = tags::read(ctx, Some(prior), &tags::from_sdk(t.tags()));
    obj(vec![
        ("id", Value::string(id)),
        ("arn", Value::string(ctx.arn(owner, "route-table", id))),
        ("owner_id", Value::string(owner)),
        ("vpc_id", Value::string(t.vpc_id().unwrap_or_default())),
        ("route", Value::set(routes)),
        ("propagating_vgws", string_set(vgws)),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

fn routes(v: &Value) -> Vec<Value> {
    v.get_attr("route")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(normalise_route)
        .collect()
}

/// Brings the table's routes from `old` to `new`: deletes routes whose destination left,
/// replaces changed ones, creates new ones.
async fn sync_routes(ctx: &Ctx, rtb: &str, old: &[Value], new: &[Value]) -> Result<(), AwsError> {
    let key = |v: &Value| destination(v, DESTINATIONS);
    let old_by: HashMap<(usize, String), &Value> =
        old.iter().filter_map(|v| Some((key(v)?, v))).collect();
    let new_by: HashMap<(usize, String), &Value> =
        new.iter().filter_map(|v| Some((key(v)?, v))).collect();
    for (d, _) in old_by.iter().filter(|(d, _)| !new_by.contains_key(*d)) {
        delete_route(ctx, rtb, d).await?;
    }
    for (d, v) in &new_by {
        match old_by.get(d) {
            Some(o) if o == v => {}
            Some(_) => put_route(ctx, rtb, d, v, true).await?,
            None => put_route(ctx, rtb, d, v, false).await?,
        }
    }
    Ok(())
}

async fn sync_vgws(ctx: &Ctx, rtb: &str, old: &[String], new: &[String]) -> Result<(), AwsError> {
    for g in old.iter().filter(|g| !new.contains(g)) {
        call(ctx, "DisableVgwRoutePropagation", || {
            ctx.ec2
                .disable_vgw_route_propagation()
                .route_table_id(rtb)
                .gateway_id(g)
                .send()
        })
        .await?;
    }
    for g in new.iter().filter(|g| !old.contains(g)) {
        call(ctx, "EnableVgwRoutePropagation", || {
            ctx.ec2
                .enable_vgw_route_propagation()
                .route_table_id(rtb)
                .gateway_id(g)
                .send()
        })
        .await?;
    }
    Ok(())
}

const MISSING: Missing = Missing {
    what: "DescribeRouteTables",
    code: "InvalidRouteTableID.NotFound",
    noun: "the route table",
};

#[async_trait]
impl AwsResource for RouteTableRes {
    fn type_name(&self) -> &'static str {
        "aws_route_table"
    }

    fn schema(&self) -> ResourceSchema {
        let schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("owner_id", Attribute::computed(Type::String))
            .attr("vpc_id", Attribute::required(Type::String).force_new())
            .attr(
                "propagating_vgws",
                Attribute::optional_computed(Type::set(Type::String)),
            )
            .block(
                "route",
                NestedBlock {
                    nesting: BlockNesting::Set,
                    block: route_schema(),
                    ..NestedBlock::default()
                },
            );
        ResourceSchema::new(schema, true)
    }

    fn adjust_plan(&self, prior: Option<&Value>, config: &Value, resp: &mut PlanResponse) {
        let configured = config.get_attr("route").cloned().unwrap_or(Value::Null);
        let planned = match &configured {
            // No route blocks: the routes are computed (kept as they are, or read after create).
            Value::Null => match prior {
                Some(p) => p.get_attr("route").cloned().unwrap_or(Value::Unknown),
                None => Value::Unknown,
            },
            Value::Set(items) | Value::List(items) if items.is_empty() => match prior {
                Some(p) => p.get_attr("route").cloned().unwrap_or(Value::Unknown),
                None => Value::Unknown,
            },
            Value::Set(items) | Value::List(items) if items.iter().all(Value::is_wholly_known) => {
                Value::set(items.iter().map(normalise_route).collect())
            }
            other => other.clone(),
        };
        resp.planned = with_attr(&resp.planned, "route", planned);
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let specs = tags::tag_specifications(planned, ResourceType::RouteTable);
        let resp = call(ctx, "CreateRouteTable", || {
            ctx.ec2
                .create_route_table()
                .set_vpc_id(get_str(planned, "vpc_id").map(str::to_string))
                .set_tag_specifications(specs.clone())
                .send()
        })
        .await?;
        let id = &created_id(
            "CreateRouteTable",
            resp.route_table().and_then(|t| t.route_table_id()),
            "route table",
        )?;
        finish_create(self, ctx, planned, id, |made| async move {
            sync_routes(ctx, id, &[], &routes(planned)).await?;
            sync_vgws(ctx, id, &[], &get_strings(planned, "propagating_vgws")).await?;
            read_back(self, ctx, &made, &MISSING).await
        })
        .await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default();
        if planned.get_attr("route").is_some_and(|r| !r.is_unknown())
            && prior.get_attr("route") != planned.get_attr("route")
        {
            sync_routes(ctx, id, &routes(prior), &routes(planned)).await?;
        }
        if planned
            .get_attr("propagating_vgws")
            .is_some_and(|r| !r.is_unknown())
        {
            sync_vgws(
                ctx,
                id,
                &get_strings(prior, "propagating_vgws"),
                &get_strings(planned, "propagating_vgws"),
            )
            .await?;
        }
        read_back(self, ctx, planned, &MISSING).await
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        call_retrying_dependency(ctx, "DeleteRouteTable", Duration::from_secs(120), || {
            ctx.ec2.delete_route_table().route_table_id(id).send()
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
        Ok(align(current, &found, |c, t| to_value(ctx, c, t)))
    }
}
