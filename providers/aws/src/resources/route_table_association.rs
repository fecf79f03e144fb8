//! `aws_route_table_association`: AssociateRouteTable (a subnet or gateway with a table); a new
//! `route_table_id` is ReplaceRouteTableAssociation in place, a new subnet or gateway replaces
//! it; DisassociateRouteTable. Import id `subnet-…/rtb-…` or `igw-…/rtb-…`. Refresh is one
//! DescribeRouteTables filtered by association ids.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::RouteTableAssociation;
use cairn_provider::{Attribute, PlanResponse, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call, retry_on};
use crate::resource::AwsResource;
use crate::resources::{align, describe_by, ids_of, keyed};
use crate::values::{get_str, obj, with_attr};

pub(crate) struct Rta;

fn to_value(a: &RouteTableAssociation) -> Value {
    obj(vec![
        (
            "id",
            Value::string(a.route_table_association_id().unwrap_or_default()),
        ),
        (
            "route_table_id",
            Value::string(a.route_table_id().unwrap_or_default()),
        ),
        (
            "subnet_id",
            Value::string(a.subnet_id().unwrap_or_default()),
        ),
        (
            "gateway_id",
            Value::string(a.gateway_id().unwrap_or_default()),
        ),
    ])
}

async fn associations(
    ctx: &Ctx,
    filter: &str,
    values: &[String],
) -> Result<Vec<RouteTableAssociation>, AwsError> {
    let tables = describe_by(
        ctx,
        "DescribeRouteTables",
        filter,
        values,
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
    Ok(tables
        .iter()
        .flat_map(|t| t.associations().iter().cloned())
        .filter(|a| {
            !a.main().unwrap_or(false)
                && !matches!(
                    a.association_state().and_then(|s| s.state()),
                    Some(aws_sdk_ec2::types::RouteTableAssociationStateCode::Disassociated)
                )
        })
        .collect())
}

#[async_trait]
impl AwsResource for Rta {
    fn type_name(&self) -> &'static str {
        "aws_route_table_association"
    }

    fn taggable(&self) -> bool {
        false
    }

    fn schema(&self) -> ResourceSchema {
        let schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("route_table_id", Attribute::required(Type::String))
            .attr("subnet_id", Attribute::optional(Type::String).force_new())
            .attr("gateway_id", Attribute::optional(Type::String).force_new());
        ResourceSchema::new(schema, true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("subnet_id", Value::string("")),
            ("gateway_id", Value::string("")),
        ]
    }

    /// Moving to another table gives the association a new id.
    fn adjust_plan(&self, prior: Option<&Value>, _config: &Value, resp: &mut PlanResponse) {
        if let Some(prior) = prior
            && resp.requires_replace.is_empty()
            && prior.get_attr("route_table_id") != resp.planned.get_attr("route_table_id")
        {
            resp.planned = with_attr(&resp.planned, "id", Value::Unknown);
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let rtb = get_str(planned, "route_table_id").unwrap_or_default();
        let resp = retry_on(
            &["InvalidRouteTableID.NotFound"],
            Duration::from_secs(60),
            || async move {
                call(ctx, "AssociateRouteTable", || {
                    ctx.ec2
                        .associate_route_table()
                        .route_table_id(rtb)
                        .set_subnet_id(get_str(planned, "subnet_id").map(str::to_string))
                        .set_gateway_id(get_str(planned, "gateway_id").map(str::to_string))
                        .send()
                })
                .await
            },
        )
        .await?;
        let id = resp.association_id().unwrap_or_default().to_string();
        Ok(with_attr(planned, "id", Value::string(id)))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default();
        let rtb = get_str(planned, "route_table_id").unwrap_or_default();
        let resp = call(ctx, "ReplaceRouteTableAssociation", || {
            ctx.ec2
                .replace_route_table_association()
                .association_id(id)
                .route_table_id(rtb)
                .send()
        })
        .await?;
        // The association gets a new id.
        let new_id = resp.new_association_id().unwrap_or(id).to_string();
        Ok(with_attr(planned, "id", Value::string(new_id)))
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        call(ctx, "DisassociateRouteTable", || {
            ctx.ec2.disassociate_route_table().association_id(id).send()
        })
        .await?;
        Ok(())
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let ids = ids_of(current);
        let found = associations(ctx, "association.route-table-association-id", &ids).await?;
        let found = keyed(found, |a| a.route_table_association_id());
        Ok(align(current, &found, |_, a| to_value(a)))
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let Some((target, rtb)) = id.split_once('/') else {
            return Err(AwsError::new(
                "ImportRouteTableAssociation",
                "InvalidImportId",
                format!(
                    "unexpected import id {id:?}: expected SUBNETID/ROUTETABLEID or GATEWAYID/ROUTETABLEID"
                ),
            ));
        };
        let all = associations(ctx, "route-table-id", &[rtb.to_string()]).await?;
        Ok(all
            .iter()
            .find(|a| a.subnet_id() == Some(target) || a.gateway_id() == Some(target))
            .map(to_value))
    }
}
