//! `data "aws_security_group"`: the one security group matching `id`, `name`, `vpc_id`,
//! `filter` blocks and `tags` (DescribeSecurityGroups).

use async_trait::async_trait;
use cairn_provider::{Attribute, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call};
use crate::data::{filter_block, filters, single};
use crate::resource::AwsDataSource;
use crate::tags;
use crate::values::{s_or_empty, string_map};

pub(crate) struct SecurityGroup;

fn schema() -> Schema {
    let oc = Attribute::optional_computed;
    Schema::new()
        .attr("id", oc(Type::String))
        .attr("name", oc(Type::String))
        .attr("vpc_id", oc(Type::String))
        .attr("tags", oc(Type::map(Type::String)))
        .block("filter", filter_block())
        .attr("arn", Attribute::computed(Type::String))
        .attr("description", Attribute::computed(Type::String))
        .attr("owner_id", Attribute::computed(Type::String))
}

#[async_trait]
impl AwsDataSource for SecurityGroup {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, AwsError> {
        let f = filters(
            config,
            &[
                ("id", "group-id"),
                ("name", "group-name"),
                ("vpc_id", "vpc-id"),
            ],
        );
        let resp = call(ctx, "DescribeSecurityGroups", || {
            ctx.ec2
                .describe_security_groups()
                .set_filters((!f.is_empty()).then(|| f.clone()))
                .send()
        })
        .await?;
        let g = single("EC2 Security Group", resp.security_groups().to_vec())?;
        let id = g.group_id().unwrap_or_default();
        let owner = g.owner_id().unwrap_or_default();
        let mut m = config.as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::string(id));
        m.insert("name".into(), s_or_empty(g.group_name()));
        m.insert("vpc_id".into(), s_or_empty(g.vpc_id()));
        m.insert("tags".into(), string_map(&tags::from_sdk(g.tags())));
        m.insert(
            "arn".into(),
            Value::string(ctx.arn(owner, "security-group", id)),
        );
        m.insert("description".into(), s_or_empty(g.description()));
        m.insert("owner_id".into(), Value::string(owner));
        Ok(Value::Object(m))
    }
}
