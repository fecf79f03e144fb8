//! `aws_nat_gateway`: CreateNatGateway (waiting until `available`) / DeleteNatGateway (waiting
//! until `deleted`) with Terraform's attributes. Everything but tags replaces the gateway.
//! Refresh is batched: one DescribeNatGateways filtered by id for all gateways; a gateway in
//! state `deleted` or `failed` is gone.
//!
//! Owns this resource only.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, NatGateway as SdkNat, NatGatewayState, ResourceType};
use cairn_provider::{Attribute, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call};
use crate::resource::AwsResource;
use crate::resources::{align, created_id, ids_of, keyed, wait_gone, wait_ready};
use crate::tags;
use crate::values::{get_str, obj, s, s_or_empty};

pub(crate) struct NatGateway;

const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(1800);

fn schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr(
            "allocation_id",
            Attribute::optional(Type::String).force_new(),
        )
        .attr("association_id", Attribute::computed(Type::String))
        .attr(
            "connectivity_type",
            Attribute::optional(Type::String).force_new(),
        )
        .attr("network_interface_id", Attribute::computed(Type::String))
        .attr(
            "private_ip",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("public_ip", Attribute::computed(Type::String))
        .attr("subnet_id", Attribute::required(Type::String).force_new())
}

fn is_gone(n: &SdkNat) -> bool {
    matches!(
        n.state(),
        Some(NatGatewayState::Deleted | NatGatewayState::Failed)
    )
}

fn to_value(ctx: &Ctx, prior: Option<&Value>, n: &SdkNat) -> Value {
    let (tags, tags_all) = tags::read(ctx, prior, &tags::from_sdk(n.tags()));
    let addr = n
        .nat_gateway_addresses()
        .iter()
        .find(|a| a.is_primary() != Some(false));
    obj(vec![
        ("id", s(n.nat_gateway_id())),
        ("allocation_id", s(addr.and_then(|a| a.allocation_id()))),
        (
            "association_id",
            s_or_empty(addr.and_then(|a| a.association_id())),
        ),
        (
            "connectivity_type",
            s(Some(
                n.connectivity_type()
                    .map(|c| c.as_str())
                    .unwrap_or("public"),
            )),
        ),
        (
            "network_interface_id",
            s_or_empty(addr.and_then(|a| a.network_interface_id())),
        ),
        ("private_ip", s_or_empty(addr.and_then(|a| a.private_ip()))),
        ("public_ip", s_or_empty(addr.and_then(|a| a.public_ip()))),
        ("subnet_id", s(n.subnet_id())),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

async fn describe(ctx: &Ctx, ids: &[String]) -> Result<HashMap<String, SdkNat>, AwsError> {
    let found = super::describe_by(
        ctx,
        "DescribeNatGateways",
        "nat-gateway-id",
        ids,
        |f, token| {
            ctx.ec2
                .describe_nat_gateways()
                .filter(f)
                .set_next_token(token)
                .send()
        },
        |r| r.nat_gateways().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(found, |n| n.nat_gateway_id()))
}

async fn describe_one(ctx: &Ctx, id: &str) -> Result<Option<SdkNat>, AwsError> {
    super::describe_one(id, |ids| async move { describe(ctx, &ids).await }).await
}

#[async_trait]
impl AwsResource for NatGateway {
    fn type_name(&self) -> &'static str {
        "aws_nat_gateway"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(schema(), true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("connectivity_type", Value::string("public"))]
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let req = ctx
            .ec2
            .create_nat_gateway()
            .set_subnet_id(get_str(planned, "subnet_id").map(str::to_string))
            .set_allocation_id(get_str(planned, "allocation_id").map(str::to_string))
            .set_private_ip_address(get_str(planned, "private_ip").map(str::to_string))
            .set_connectivity_type(
                get_str(planned, "connectivity_type").map(ConnectivityType::from),
            )
            .set_tag_specifications(tags::tag_specifications(planned, ResourceType::Natgateway));
        let out = call(ctx, "CreateNatGateway", || req.clone().send()).await?;
        let nat = out.nat_gateway().and_then(|n| n.nat_gateway_id());
        let id = created_id("CreateNatGateway", nat, "gateway")?;
        let n = wait_ready(
            "NAT gateway available",
            CREATE_TIMEOUT,
            || describe_one(ctx, &id),
            |n| {
                if is_gone(n) {
                    return Err(AwsError::new(
                        "CreateNatGateway",
                        n.failure_code().unwrap_or("Failed"),
                        n.failure_message().unwrap_or("the NAT gateway failed"),
                    ));
                }
                Ok(n.state() == Some(&NatGatewayState::Available))
            },
        )
        .await?;
        Ok(to_value(ctx, Some(planned), &n))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        // Only tags change in place, and lib.rs has synced them.
        let id = get_str(prior, "id").unwrap_or_default();
        let n = describe_one(ctx, id)
            .await?
            .ok_or_else(|| AwsError::new("DescribeNatGateways", "NatGatewayNotFound", id))?;
        Ok(to_value(ctx, Some(planned), &n))
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        call(ctx, "DeleteNatGateway", || {
            ctx.ec2.delete_nat_gateway().nat_gateway_id(id).send()
        })
        .await?;
        wait_gone(
            "NAT gateway deleted",
            DELETE_TIMEOUT,
            || describe_one(ctx, id),
            is_gone,
        )
        .await
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let mut found = describe(ctx, &ids_of(current)).await?;
        found.retain(|_, n| !is_gone(n));
        Ok(align(current, &found, |c, n| to_value(ctx, Some(c), n)))
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        Ok(describe_one(ctx, id)
            .await?
            .filter(|n| !is_gone(n))
            .map(|n| to_value(ctx, None, &n)))
    }
}
