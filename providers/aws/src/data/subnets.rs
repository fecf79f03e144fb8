//! `data "aws_subnets"`: the ids of every subnet matching `filter` blocks and `tags`
//! (DescribeSubnets, paginated).

use async_trait::async_trait;
use cairn_provider::{Attribute, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx};
use crate::data::{filter_block, filters};
use crate::resource::AwsDataSource;
use crate::values::string_list;

pub(crate) struct Subnets;

fn schema() -> Schema {
    Schema::new()
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .block("filter", filter_block())
        .attr("id", Attribute::computed(Type::String))
        .attr("ids", Attribute::computed(Type::list(Type::String)))
}

#[async_trait]
impl AwsDataSource for Subnets {
    fn type_name(&self) -> &'static str {
        "aws_subnets"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, AwsError> {
        let f = filters(config, &[]);
        let ids: Vec<String> = crate::resources::paginate(
            ctx,
            "DescribeSubnets",
            |token| {
                ctx.ec2
                    .describe_subnets()
                    .set_filters((!f.is_empty()).then(|| f.clone()))
                    .set_next_token(token)
                    .send()
            },
            |r| {
                r.subnets()
                    .iter()
                    .filter_map(|s| s.subnet_id().map(str::to_string))
                    .collect()
            },
            |r| r.next_token(),
        )
        .await?;
        let mut m = config.as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::string(&ctx.region));
        m.insert("ids".into(), string_list(ids));
        Ok(Value::Object(m))
    }
}
