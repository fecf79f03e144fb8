//! `data "aws_availability_zones"`: DescribeAvailabilityZones with `all_availability_zones`,
//! `state` and `filter` blocks, then `exclude_names` / `exclude_zone_ids`; names and zone ids
//! sorted by name like Terraform's provider.

use async_trait::async_trait;
use cairn_provider::{Attribute, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call};
use crate::data::{filter_block, filters};
use crate::resource::AwsDataSource;
use crate::values::{get_bool, get_strings, obj, string_list, string_set};

pub(crate) struct AvailabilityZones;

fn schema() -> Schema {
    Schema::new()
        .attr("all_availability_zones", Attribute::optional(Type::Bool))
        .attr(
            "exclude_names",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr(
            "exclude_zone_ids",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr("state", Attribute::optional(Type::String))
        .block("filter", filter_block())
        .attr("id", Attribute::computed(Type::String))
        .attr("group_names", Attribute::computed(Type::set(Type::String)))
        .attr("names", Attribute::computed(Type::list(Type::String)))
        .attr("zone_ids", Attribute::computed(Type::list(Type::String)))
}

#[async_trait]
impl AwsDataSource for AvailabilityZones {
    fn type_name(&self) -> &'static str {
        "aws_availability_zones"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, AwsError> {
        let f = filters(config, &[("state", "state")]);
        let resp = call(ctx, "DescribeAvailabilityZones", || {
            ctx.ec2
                .describe_availability_zones()
                .set_all_availability_zones(get_bool(config, "all_availability_zones"))
                .set_filters((!f.is_empty()).then(|| f.clone()))
                .send()
        })
        .await?;
        let ex_names = get_strings(config, "exclude_names");
        let ex_ids = get_strings(config, "exclude_zone_ids");
        let mut zones: Vec<(String, String, String)> = resp
            .availability_zones()
            .iter()
            .filter_map(|z| {
                let name = z.zone_name()?.to_string();
                let id = z.zone_id().unwrap_or_default().to_string();
                let group = z.group_name().unwrap_or_default().to_string();
                (!ex_names.contains(&name) && !ex_ids.contains(&id)).then_some((name, id, group))
            })
            .collect();
        zones.sort();
        let mut m = config.as_map().cloned().unwrap_or_default();
        let out = obj(vec![
            ("id", Value::string(&ctx.region)),
            (
                "group_names",
                string_set(zones.iter().map(|z| z.2.clone()).filter(|g| !g.is_empty())),
            ),
            ("names", string_list(zones.iter().map(|z| z.0.clone()))),
            ("zone_ids", string_list(zones.iter().map(|z| z.1.clone()))),
        ]);
        if let Some(o) = out.as_map() {
            m.extend(o.clone());
        }
        Ok(Value::Object(m))
    }
}
