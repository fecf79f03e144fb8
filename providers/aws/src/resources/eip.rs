//! `aws_eip`: an Elastic IP address (AllocateAddress / AssociateAddress / DisassociateAddress /
//! ReleaseAddress) with Terraform's attributes. The association (`instance`,
//! `network_interface`, `associate_with_private_ip`) changes in place; the address itself
//! (`domain`, pools, `address`) replaces. Refresh is batched: one DescribeAddresses filtered by
//! allocation id for all addresses.
//!
//! Owns this resource only.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Address, DomainType, ResourceType};
use cairn_provider::{Attribute, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call, is_not_found, retry_on};
use crate::resource::AwsResource;
use crate::resources::{FILTER_CHUNK, align, filter, ids_of};
use crate::tags;
use crate::values::{attr, get_bool, get_str, obj, s, s_or_empty};

pub(crate) struct Eip;

fn schema() -> Schema {
    let oc = |t: Type| Attribute::optional_computed(t);
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("allocation_id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("association_id", Attribute::computed(Type::String))
        .attr("carrier_ip", Attribute::computed(Type::String))
        .attr("customer_owned_ip", Attribute::computed(Type::String))
        .attr(
            "customer_owned_ipv4_pool",
            Attribute::optional(Type::String).force_new(),
        )
        .attr("domain", oc(Type::String).force_new())
        .attr("vpc", oc(Type::Bool).force_new())
        .attr("instance", oc(Type::String))
        .attr("network_interface", oc(Type::String))
        .attr(
            "associate_with_private_ip",
            Attribute::optional(Type::String),
        )
        .attr("address", Attribute::optional(Type::String).force_new())
        .attr("ipam_pool_id", oc(Type::String).force_new())
        .attr("network_border_group", oc(Type::String).force_new())
        .attr("public_ipv4_pool", oc(Type::String).force_new())
        .attr("private_ip", Attribute::computed(Type::String))
        .attr("private_dns", Attribute::computed(Type::String))
        .attr("public_ip", Attribute::computed(Type::String))
        .attr("public_dns", Attribute::computed(Type::String))
        .attr("ptr_record", Attribute::computed(Type::String))
}

/// EC2's DNS names for an address, as Terraform's provider derives them.
fn dns_names(region: &str, public: Option<&str>, private: Option<&str>) -> (Value, Value) {
    let public = public.map(|ip| {
        let dashed = ip.replace('.', "-");
        if region == "us-east-1" {
            format!("ec2-{dashed}.compute-1.amazonaws.com")
        } else {
            format!("ec2-{dashed}.{region}.compute.amazonaws.com")
        }
    });
    let private = private.map(|ip| {
        let dashed = ip.replace('.', "-");
        if region == "us-east-1" {
            format!("ip-{dashed}.ec2.internal")
        } else {
            format!("ip-{dashed}.{region}.compute.internal")
        }
    });
    (s(public.as_deref()), s(private.as_deref()))
}

fn to_value(ctx: &Ctx, prior: Option<&Value>, a: &Address, arn: Value) -> Value {
    let id = a.allocation_id().unwrap_or_default();
    let (tags, tags_all) = tags::read(ctx, prior, &tags::from_sdk(a.tags()));
    let (public_dns, private_dns) = dns_names(&ctx.region, a.public_ip(), a.private_ip_address());
    let domain = a.domain().map(|d| d.as_str().to_string());
    obj(vec![
        ("id", Value::string(id)),
        ("allocation_id", Value::string(id)),
        ("arn", arn),
        ("association_id", s_or_empty(a.association_id())),
        ("carrier_ip", s_or_empty(a.carrier_ip())),
        ("customer_owned_ip", s_or_empty(a.customer_owned_ip())),
        ("customer_owned_ipv4_pool", s(a.customer_owned_ipv4_pool())),
        ("domain", s(domain.as_deref())),
        ("vpc", Value::Bool(domain.as_deref() == Some("vpc"))),
        ("instance", s_or_empty(a.instance_id())),
        ("network_interface", s_or_empty(a.network_interface_id())),
        (
            "associate_with_private_ip",
            prior
                .map(|p| super::instance::known_or_null(&attr(p, "associate_with_private_ip")))
                .unwrap_or(Value::Null),
        ),
        (
            "address",
            prior
                .map(|p| super::instance::known_or_null(&attr(p, "address")))
                .unwrap_or(Value::Null),
        ),
        (
            "ipam_pool_id",
            prior
                .map(|p| super::instance::known_or_null(&attr(p, "ipam_pool_id")))
                .unwrap_or(Value::Null),
        ),
        ("network_border_group", s_or_empty(a.network_border_group())),
        ("public_ipv4_pool", s_or_empty(a.public_ipv4_pool())),
        ("private_ip", s_or_empty(a.private_ip_address())),
        ("private_dns", private_dns),
        ("public_ip", s_or_empty(a.public_ip())),
        ("public_dns", public_dns),
        ("ptr_record", Value::string("")),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

/// Every address with one of these allocation ids (ids that are gone are simply absent).
async fn describe(ctx: &Ctx, ids: &[String]) -> Result<HashMap<String, Address>, AwsError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(FILTER_CHUNK) {
        let f = filter("allocation-id", chunk);
        let resp = call(ctx, "DescribeAddresses", || {
            ctx.ec2.describe_addresses().filters(f.clone()).send()
        })
        .await?;
        for a in resp.addresses() {
            if let Some(id) = a.allocation_id() {
                out.insert(id.to_string(), a.clone());
            }
        }
    }
    Ok(out)
}

async fn describe_one(ctx: &Ctx, id: &str) -> Result<Option<Address>, AwsError> {
    super::describe_one(id, |ids| async move { describe(ctx, &ids).await }).await
}

async fn associate(ctx: &Ctx, id: &str, planned: &Value) -> Result<(), AwsError> {
    let instance = get_str(planned, "instance");
    let eni = get_str(planned, "network_interface");
    if instance.is_none() && eni.is_none() {
        return Ok(());
    }
    let req = ctx
        .ec2
        .associate_address()
        .allocation_id(id)
        .set_instance_id(instance.map(str::to_string))
        .set_network_interface_id(eni.map(str::to_string))
        .set_private_ip_address(get_str(planned, "associate_with_private_ip").map(str::to_string))
        .allow_reassociation(true);
    // A just-created instance may not be visible to AssociateAddress for a moment.
    retry_on(
        &[
            "InvalidInstanceID",
            "InvalidInstanceID.NotFound",
            "IncorrectInstanceState",
        ],
        Duration::from_secs(120),
        || async { call(ctx, "AssociateAddress", || req.clone().send()).await },
    )
    .await?;
    Ok(())
}

async fn disassociate(ctx: &Ctx, association: Option<&str>) -> Result<(), AwsError> {
    let Some(assoc) = association else {
        return Ok(());
    };
    match call(ctx, "DisassociateAddress", || {
        ctx.ec2.disassociate_address().association_id(assoc).send()
    })
    .await
    {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other.map(|_| ()),
    }
}

#[async_trait]
impl AwsResource for Eip {
    fn type_name(&self) -> &'static str {
        "aws_eip"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(schema(), true)
    }

    /// `address` (the public IP to allocate) is not read back, so an imported or migrated
    /// object has none: a configured address equal to the object's public IP is satisfied and
    /// plans as the prior value instead of a replacement.
    fn normalize_config(&self, prior: Option<&Value>, config: Value) -> Value {
        let Some(p) = prior else {
            return config;
        };
        match (get_str(&config, "address"), get_str(p, "public_ip")) {
            (Some(want), Some(have)) if want == have && attr(p, "address").is_null() => {
                crate::values::with_attr(&config, "address", Value::Null)
            }
            _ => config,
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let domain = match (get_str(planned, "domain"), get_bool(planned, "vpc")) {
            (Some(d), _) => DomainType::from(d),
            (None, Some(false)) => DomainType::Standard,
            _ => DomainType::Vpc,
        };
        let req = ctx
            .ec2
            .allocate_address()
            .domain(domain)
            .set_address(get_str(planned, "address").map(str::to_string))
            .set_public_ipv4_pool(get_str(planned, "public_ipv4_pool").map(str::to_string))
            .set_customer_owned_ipv4_pool(
                get_str(planned, "customer_owned_ipv4_pool").map(str::to_string),
            )
            .set_network_border_group(get_str(planned, "network_border_group").map(str::to_string))
            .set_ipam_pool_id(get_str(planned, "ipam_pool_id").map(str::to_string))
            .set_tag_specifications(tags::tag_specifications(planned, ResourceType::ElasticIp));
        let out = call(ctx, "AllocateAddress", || req.clone().send()).await?;
        let id = out
            .allocation_id()
            .ok_or_else(|| {
                AwsError::new("AllocateAddress", "", "no allocation id in the response")
            })?
            .to_string();
        associate(ctx, &id, planned).await?;
        let a = describe_one(ctx, &id).await?.ok_or_else(|| {
            AwsError::new(
                "DescribeAddresses",
                "InvalidAllocationID.NotFound",
                id.clone(),
            )
        })?;
        let account = super::instance::account_id(ctx).await?;
        let arn = Value::string(ctx.arn(&account, "elastic-ip", &id));
        Ok(to_value(ctx, Some(planned), &a, arn))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default().to_string();
        let changed = |k: &str| prior.get_attr(k) != planned.get_attr(k);
        if changed("instance")
            || changed("network_interface")
            || changed("associate_with_private_ip")
        {
            disassociate(ctx, get_str(prior, "association_id")).await?;
            associate(ctx, &id, planned).await?;
        }
        let a = describe_one(ctx, &id).await?.ok_or_else(|| {
            AwsError::new(
                "DescribeAddresses",
                "InvalidAllocationID.NotFound",
                id.clone(),
            )
        })?;
        Ok(to_value(ctx, Some(planned), &a, attr(prior, "arn")))
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        // The association may have changed since the state was written: ask.
        if let Some(a) = describe_one(ctx, id).await? {
            disassociate(ctx, a.association_id()).await?;
        }
        retry_on(
            &["AuthFailure", "InvalidIPAddress.InUse"],
            Duration::from_secs(120),
            || async {
                call(ctx, "ReleaseAddress", || {
                    ctx.ec2.release_address().allocation_id(id).send()
                })
                .await
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
        Ok(align(current, &found, |c, a| {
            to_value(ctx, Some(c), a, attr(c, "arn"))
        }))
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let Some(a) = describe_one(ctx, id).await? else {
            return Ok(None);
        };
        let account = super::instance::account_id(ctx).await?;
        let arn = Value::string(ctx.arn(&account, "elastic-ip", id));
        Ok(Some(to_value(ctx, None, &a, arn)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_follow_the_region() {
        let (p, q) = dns_names("us-east-1", Some("1.2.3.4"), Some("10.0.0.5"));
        assert_eq!(p, Value::string("ec2-1-2-3-4.compute-1.amazonaws.com"));
        assert_eq!(q, Value::string("ip-10-0-0-5.ec2.internal"));
        let (p, q) = dns_names("eu-west-1", Some("1.2.3.4"), Some("10.0.0.5"));
        assert_eq!(
            p,
            Value::string("ec2-1-2-3-4.eu-west-1.compute.amazonaws.com")
        );
        assert_eq!(q, Value::string("ip-10-0-0-5.eu-west-1.compute.internal"));
        assert_eq!(
            dns_names("us-east-1", None, None),
            (Value::Null, Value::Null)
        );
    }
}
