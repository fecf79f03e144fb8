//! `aws_internet_gateway`: CreateInternetGateway, Attach/DetachInternetGateway (moving it to
//! another VPC is an in-place update, as in Terraform), DeleteInternetGateway. Refresh is one
//! DescribeInternetGateways for any number of gateways.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{InternetGateway, ResourceType};
use cairn_provider::{Attribute, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call, call_retrying_dependency, is_not_found, retry_on};
use crate::resource::AwsResource;
use crate::resources::{
    Missing, align, created_id, describe_by, finish_create, ids_of, keyed, read_back,
};
use crate::tags;
use crate::values::{get_str, obj, s_or_empty};

pub(crate) struct Igw;

async fn describe(ctx: &Ctx, ids: &[String]) -> Result<HashMap<String, InternetGateway>, AwsError> {
    let items = describe_by(
        ctx,
        "DescribeInternetGateways",
        "internet-gateway-id",
        ids,
        |f, t| {
            ctx.ec2
                .describe_internet_gateways()
                .filters(f)
                .set_next_token(t)
                .send()
        },
        |r| r.internet_gateways().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(items, |g| g.internet_gateway_id()))
}

fn to_value(ctx: &Ctx, prior: &Value, g: &InternetGateway) -> Value {
    let id = g.internet_gateway_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    let vpc = g.attachments().first().and_then(|a| a.vpc_id());
    let (tags, tags_all) = tags::read(ctx, Some(prior), &tags::from_sdk(g.tags()));
    obj(vec![
        ("id", Value::string(id)),
        ("arn", Value::string(ctx.arn(owner, "internet-gateway", id))),
        ("owner_id", Value::string(owner)),
        ("vpc_id", s_or_empty(vpc)),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

async fn attach(ctx: &Ctx, id: &str, vpc: &str) -> Result<(), AwsError> {
    retry_on(
        &["InvalidInternetGatewayID.NotFound"],
        Duration::from_secs(60),
        || async move {
            call(ctx, "AttachInternetGateway", || {
                ctx.ec2
                    .attach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(vpc)
                    .send()
            })
            .await
        },
    )
    .await?;
    Ok(())
}

async fn detach(ctx: &Ctx, id: &str, vpc: &str) -> Result<(), AwsError> {
    let r = call_retrying_dependency(
        ctx,
        "DetachInternetGateway",
        Duration::from_secs(300),
        || {
            ctx.ec2
                .detach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
        },
    )
    .await;
    match r {
        Err(e) if is_not_found(&e) || e.code == "Gateway.NotAttached" => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

const MISSING: Missing = Missing {
    what: "DescribeInternetGateways",
    code: "InvalidInternetGatewayID.NotFound",
    noun: "the internet gateway",
};

#[async_trait]
impl AwsResource for Igw {
    fn type_name(&self) -> &'static str {
        "aws_internet_gateway"
    }

    fn schema(&self) -> ResourceSchema {
        let schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("owner_id", Attribute::computed(Type::String))
            .attr("vpc_id", Attribute::optional(Type::String));
        ResourceSchema::new(schema, true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("vpc_id", Value::string(""))]
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let specs = tags::tag_specifications(planned, ResourceType::InternetGateway);
        let resp = call(ctx, "CreateInternetGateway", || {
            ctx.ec2
                .create_internet_gateway()
                .set_tag_specifications(specs.clone())
                .send()
        })
        .await?;
        let id = &created_id(
            "CreateInternetGateway",
            resp.internet_gateway()
                .and_then(|g| g.internet_gateway_id()),
            "gateway",
        )?;
        finish_create(self, ctx, planned, id, |made| async move {
            if let Some(vpc) = get_str(planned, "vpc_id") {
                attach(ctx, id, vpc).await?;
            }
            read_back(self, ctx, &made, &MISSING).await
        })
        .await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default();
        let (old, new) = (get_str(prior, "vpc_id"), get_str(planned, "vpc_id"));
        if old != new {
            if let Some(o) = old {
                detach(ctx, id, o).await?;
            }
            if let Some(n) = new {
                attach(ctx, id, n).await?;
            }
        }
        read_back(self, ctx, planned, &MISSING).await
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        // Detach from whatever VPC it is attached to now (not only the recorded one).
        let now = describe(ctx, &[id.to_string()]).await?;
        let Some(g) = now.get(id) else { return Ok(()) };
        for a in g.attachments() {
            if let Some(vpc) = a.vpc_id() {
                detach(ctx, id, vpc).await?;
            }
        }
        call_retrying_dependency(
            ctx,
            "DeleteInternetGateway",
            Duration::from_secs(120),
            || {
                ctx.ec2
                    .delete_internet_gateway()
                    .internet_gateway_id(id)
                    .send()
            },
        )
        .await?;
        Ok(())
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let found = describe(ctx, &ids_of(current)).await?;
        Ok(align(current, &found, |c, g| to_value(ctx, c, g)))
    }
}
