//! `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule`: one rule
//! with its own id (`sgr-…`) and tags. Created with Authorize*, changed in place with
//! ModifySecurityGroupRules (only `security_group_id` forces replacement), deleted with
//! Revoke* by rule id. Refresh is one DescribeSecurityGroupRules for many rules.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRule,
    SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair,
};
use cairn_provider::{Attribute, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call};
use crate::resource::AwsResource;
use crate::resources::security_group::{proto_api, proto_key};
use crate::resources::{Missing, align, created_id, describe_by, ids_of, keyed, read_back};
use crate::tags;
use crate::values::{get_i64, get_str, obj, s, with_attr};

pub(crate) struct VpcSgRule {
    pub egress: bool,
}

fn ports_apply(proto: &str) -> bool {
    proto_key(proto) != "-1"
}

fn permission(v: &Value) -> IpPermission {
    let proto = get_str(v, "ip_protocol").unwrap_or("-1");
    let d = get_str(v, "description").map(str::to_string);
    let mut p = IpPermission::builder().ip_protocol(proto_api(proto));
    if ports_apply(proto) {
        p = p
            .set_from_port(get_i64(v, "from_port").map(|n| n as i32))
            .set_to_port(get_i64(v, "to_port").map(|n| n as i32));
    }
    if let Some(c) = get_str(v, "cidr_ipv4") {
        p = p.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(c) = get_str(v, "cidr_ipv6") {
        p = p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(c) = get_str(v, "prefix_list_id") {
        p = p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(c)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(c) = get_str(v, "referenced_security_group_id") {
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(c)
                .set_description(d)
                .build(),
        );
    }
    p.build()
}

fn to_value(ctx: &Ctx, prior: &Value, r: &SecurityGroupRule) -> Value {
    let id = r.security_group_rule_id().unwrap_or_default();
    let owner = r.group_owner_id().unwrap_or_default();
    let proto = r.ip_protocol().unwrap_or("-1");
    // Keep the configured spelling of an equivalent protocol (`tcp` vs `6`).
    let proto_v = match get_str(prior, "ip_protocol") {
        Some(p) if proto_key(p) == proto_key(proto) => Value::string(p),
        _ => Value::string(proto),
    };
    let port = |x: Option<i32>| match x {
        Some(n) if ports_apply(proto) => Value::number(n as i64),
        _ => Value::Null,
    };
    let (tags, tags_all) = tags::read(ctx, Some(prior), &tags::from_sdk(r.tags()));
    obj(vec![
        ("id", Value::string(id)),
        ("security_group_rule_id", Value::string(id)),
        (
            "arn",
            Value::string(ctx.arn(owner, "security-group-rule", id)),
        ),
        ("security_group_id", s(r.group_id())),
        ("ip_protocol", proto_v),
        ("from_port", port(r.from_port())),
        ("to_port", port(r.to_port())),
        ("cidr_ipv4", s(r.cidr_ipv4())),
        ("cidr_ipv6", s(r.cidr_ipv6())),
        ("prefix_list_id", s(r.prefix_list_id())),
        (
            "referenced_security_group_id",
            s(r.referenced_group_info().and_then(|g| g.group_id())),
        ),
        ("description", s(r.description())),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

async fn describe(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, SecurityGroupRule>, AwsError> {
    let items = describe_by(
        ctx,
        "DescribeSecurityGroupRules",
        "security-group-rule-id",
        ids,
        |f, t| {
            ctx.ec2
                .describe_security_group_rules()
                .filters(f)
                .set_next_token(t)
                .send()
        },
        |r| r.security_group_rules().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(items, |r| r.security_group_rule_id()))
}

const MISSING: Missing = Missing {
    what: "DescribeSecurityGroupRules",
    code: "InvalidSecurityGroupRuleId.NotFound",
    noun: "the rule",
};

#[async_trait]
impl AwsResource for VpcSgRule {
    fn type_name(&self) -> &'static str {
        if self.egress {
            "aws_vpc_security_group_egress_rule"
        } else {
            "aws_vpc_security_group_ingress_rule"
        }
    }

    fn schema(&self) -> ResourceSchema {
        let opt = |t: Type| Attribute::optional(t);
        let schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("security_group_rule_id", Attribute::computed(Type::String))
            .attr(
                "security_group_id",
                Attribute::required(Type::String).force_new(),
            )
            .attr("ip_protocol", Attribute::required(Type::String))
            .attr("from_port", opt(Type::Number))
            .attr("to_port", opt(Type::Number))
            .attr("cidr_ipv4", opt(Type::String))
            .attr("cidr_ipv6", opt(Type::String))
            .attr("prefix_list_id", opt(Type::String))
            .attr("referenced_security_group_id", opt(Type::String))
            .attr("description", opt(Type::String));
        ResourceSchema::new(schema, true)
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let sg = get_str(planned, "security_group_id").unwrap_or_default();
        let perm = permission(planned);
        let specs = tags::tag_specifications(planned, ResourceType::SecurityGroupRule);
        let rules = if self.egress {
            call(ctx, "AuthorizeSecurityGroupEgress", || {
                ctx.ec2
                    .authorize_security_group_egress()
                    .group_id(sg)
                    .ip_permissions(perm.clone())
                    .set_tag_specifications(specs.clone())
                    .send()
            })
            .await?
            .security_group_rules()
            .to_vec()
        } else {
            call(ctx, "AuthorizeSecurityGroupIngress", || {
                ctx.ec2
                    .authorize_security_group_ingress()
                    .group_id(sg)
                    .ip_permissions(perm.clone())
                    .set_tag_specifications(specs.clone())
                    .send()
            })
            .await?
            .security_group_rules()
            .to_vec()
        };
        let rule = rules.first().and_then(|r| r.security_group_rule_id());
        let id = created_id("AuthorizeSecurityGroupRule", rule, "rule")?;
        let made = with_attr(planned, "id", Value::string(&id));
        read_back(self, ctx, &made, &MISSING).await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let sg = get_str(prior, "security_group_id").unwrap_or_default();
        let id = get_str(prior, "id").unwrap_or_default();
        let rule_keys = [
            "ip_protocol",
            "from_port",
            "to_port",
            "cidr_ipv4",
            "cidr_ipv6",
            "prefix_list_id",
            "referenced_security_group_id",
            "description",
        ];
        if rule_keys
            .iter()
            .any(|k| prior.get_attr(k) != planned.get_attr(k))
        {
            let proto = get_str(planned, "ip_protocol").unwrap_or("-1");
            let (from, to) = if ports_apply(proto) {
                (get_i64(planned, "from_port"), get_i64(planned, "to_port"))
            } else {
                (Some(-1), Some(-1))
            };
            let req = SecurityGroupRuleRequest::builder()
                .ip_protocol(proto_api(proto))
                .set_from_port(from.map(|n| n as i32))
                .set_to_port(to.map(|n| n as i32))
                .set_cidr_ipv4(get_str(planned, "cidr_ipv4").map(str::to_string))
                .set_cidr_ipv6(get_str(planned, "cidr_ipv6").map(str::to_string))
                .set_prefix_list_id(get_str(planned, "prefix_list_id").map(str::to_string))
                .set_referenced_group_id(
                    get_str(planned, "referenced_security_group_id").map(str::to_string),
                )
                .set_description(get_str(planned, "description").map(str::to_string))
                .build();
            let upd = SecurityGroupRuleUpdate::builder()
                .security_group_rule_id(id)
                .security_group_rule(req)
                .build();
            call(ctx, "ModifySecurityGroupRules", || {
                ctx.ec2
                    .modify_security_group_rules()
                    .group_id(sg)
                    .security_group_rules(upd.clone())
                    .send()
            })
            .await?;
        }
        read_back(self, ctx, planned, &MISSING).await
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let sg = get_str(prior, "security_group_id").unwrap_or_default();
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        let r = if self.egress {
            call(ctx, "RevokeSecurityGroupEgress", || {
                ctx.ec2
                    .revoke_security_group_egress()
                    .group_id(sg)
                    .security_group_rule_ids(id)
                    .send()
            })
            .await
            .map(|_| ())
        } else {
            call(ctx, "RevokeSecurityGroupIngress", || {
                ctx.ec2
                    .revoke_security_group_ingress()
                    .group_id(sg)
                    .security_group_rule_ids(id)
                    .send()
            })
            .await
            .map(|_| ())
        };
        match r {
            Err(e)
                if e.code == "InvalidPermission.NotFound" || e.code == "InvalidGroup.NotFound" =>
            {
                Ok(())
            }
            other => other,
        }
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let found = describe(ctx, &ids_of(current)).await?;
        let egress = self.egress;
        let found: HashMap<String, SecurityGroupRule> = found
            .into_iter()
            .filter(|(_, r)| r.is_egress() == Some(egress))
            .collect();
        Ok(align(current, &found, |c, r| to_value(ctx, c, r)))
    }
}
