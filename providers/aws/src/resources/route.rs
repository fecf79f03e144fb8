//! `aws_route`: one route in a route table (CreateRoute; a changed target is ReplaceRoute, a
//! changed table or destination replaces it; DeleteRoute). Its id is Terraform's
//! `r-{table}{crc32(destination)}`; the import id is `{table}_{destination}`. Refresh reads
//! all the tables involved with one DescribeRouteTables.

use std::collections::HashMap;

use async_trait::async_trait;
use cairn_provider::{Attribute, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx};
use crate::resource::AwsResource;
use crate::resources::attrs_of;
use crate::resources::route_table::{
    TARGETS, delete_route, describe, destination, put_route, route_value,
};
use crate::values::{get_str, obj, with_attr};

pub(crate) struct RouteRes;

const DESTS: [&str; 3] = [
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "destination_prefix_list_id",
];

/// CRC-32 (IEEE), as Terraform's `create.StringHashcode` uses for route ids.
fn crc32(s: &str) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in s.bytes() {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn route_id(rtb: &str, dest: &str) -> String {
    format!("r-{rtb}{}", crc32(dest))
}

/// The route of `current` in the described table, as this resource's value.
fn find(
    current: &Value,
    tables: &HashMap<String, aws_sdk_ec2::types::RouteTable>,
) -> Option<Value> {
    let rtb = get_str(current, "route_table_id")?;
    let (idx, dest) = destination(current, DESTS)?;
    let t = tables.get(rtb)?;
    let r = t.routes().iter().find(|r| {
        let d = match idx {
            0 => r.destination_cidr_block(),
            1 => r.destination_ipv6_cidr_block(),
            _ => r.destination_prefix_list_id(),
        };
        d == Some(dest.as_str())
    })?;
    let rv = route_value(r)?;
    let sv = |x: Option<&str>| Value::string(x.unwrap_or_default());
    let mut out = obj(vec![
        ("id", Value::string(route_id(rtb, &dest))),
        ("route_table_id", Value::string(rtb)),
        ("destination_cidr_block", sv(r.destination_cidr_block())),
        (
            "destination_ipv6_cidr_block",
            sv(r.destination_ipv6_cidr_block()),
        ),
        (
            "destination_prefix_list_id",
            sv(r.destination_prefix_list_id()),
        ),
        ("instance_id", sv(r.instance_id())),
        ("instance_owner_id", sv(r.instance_owner_id())),
        ("origin", sv(r.origin().map(|o| o.as_str()))),
        ("state", sv(r.state().map(|o| o.as_str()))),
    ]);
    for t in TARGETS {
        out = with_attr(
            &out,
            t,
            rv.get_attr(t).cloned().unwrap_or(Value::string("")),
        );
    }
    // Unset destinations stay as configured (null) rather than "".
    for d in DESTS {
        if get_str(&out, d).is_none() && current.get_attr(d).is_none_or(Value::is_null) {
            out = with_attr(&out, d, Value::Null);
        }
    }
    Some(out)
}

#[async_trait]
impl AwsResource for RouteRes {
    fn type_name(&self) -> &'static str {
        "aws_route"
    }

    fn taggable(&self) -> bool {
        false
    }

    fn schema(&self) -> ResourceSchema {
        let mut schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr(
                "route_table_id",
                Attribute::required(Type::String).force_new(),
            )
            .attr("instance_id", Attribute::computed(Type::String))
            .attr("instance_owner_id", Attribute::computed(Type::String))
            .attr("origin", Attribute::computed(Type::String))
            .attr("state", Attribute::computed(Type::String));
        for d in DESTS {
            schema = schema.attr(d, Attribute::optional(Type::String).force_new());
        }
        for t in TARGETS {
            let a = if t == "network_interface_id" {
                Attribute::optional_computed(Type::String)
            } else {
                Attribute::optional(Type::String)
            };
            schema = schema.attr(t, a);
        }
        ResourceSchema::new(schema, true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        TARGETS
            .iter()
            .filter(|t| **t != "network_interface_id")
            .map(|t| (*t, Value::string("")))
            .collect()
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let rtb = get_str(planned, "route_table_id").unwrap_or_default();
        let dest = destination(planned, DESTS).ok_or_else(|| {
            AwsError::new(
                "CreateRoute",
                "InvalidParameterCombination",
                "one of destination_cidr_block, destination_ipv6_cidr_block or destination_prefix_list_id must be set",
            )
        })?;
        put_route(ctx, rtb, &dest, planned, false).await?;
        let made = with_attr(planned, "id", Value::string(route_id(rtb, &dest.1)));
        match self
            .read_many(ctx, std::slice::from_ref(&made))
            .await?
            .pop()
            .flatten()
        {
            Some(v) => Ok(v),
            None => Err(AwsError::new(
                "DescribeRouteTables",
                "InvalidRoute.NotFound",
                "the route vanished right after being created",
            )),
        }
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let rtb = get_str(prior, "route_table_id").unwrap_or_default();
        if let Some(dest) = destination(prior, DESTS) {
            put_route(ctx, rtb, &dest, planned, true).await?;
        }
        match self
            .read_many(ctx, std::slice::from_ref(planned))
            .await?
            .pop()
            .flatten()
        {
            Some(v) => Ok(v),
            None => Err(AwsError::new(
                "DescribeRouteTables",
                "InvalidRoute.NotFound",
                "the route vanished right after being changed",
            )),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let rtb = get_str(prior, "route_table_id").unwrap_or_default();
        match destination(prior, DESTS) {
            Some(dest) => delete_route(ctx, rtb, &dest).await,
            None => Ok(()),
        }
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let tables = describe(ctx, &attrs_of(current, "route_table_id")).await?;
        Ok(current.iter().map(|c| find(c, &tables)).collect())
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let Some((rtb, dest)) = id.split_once('_') else {
            return Err(AwsError::new(
                "ImportRoute",
                "InvalidImportId",
                format!("unexpected import id {id:?}: expected ROUTETABLEID_DESTINATION"),
            ));
        };
        let attr = if dest.contains(':') {
            "destination_ipv6_cidr_block"
        } else if dest.starts_with("pl-") {
            "destination_prefix_list_id"
        } else {
            "destination_cidr_block"
        };
        let cur = obj(vec![
            ("route_table_id", Value::string(rtb)),
            (attr, Value::string(dest)),
        ]);
        Ok(self.read_many(ctx, &[cur]).await?.pop().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_ids_match_terraform() {
        // crc32("0.0.0.0/0") as Terraform's StringHashcode computes it.
        assert_eq!(crc32("0.0.0.0/0"), 1080289494);
        assert_eq!(route_id("rtb-1", "0.0.0.0/0"), "r-rtb-11080289494");
    }
}
