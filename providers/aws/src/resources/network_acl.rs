//! `aws_network_acl` with inline `ingress`/`egress` entries and `subnet_ids`:
//! CreateNetworkAcl, Create/Replace/DeleteNetworkAclEntry, ReplaceNetworkAclAssociation (a
//! subnet leaving the ACL goes back to its VPC's default ACL), DeleteNetworkAcl. Entries are
//! "optional and computed" like Terraform's: with no blocks they are left alone. The default
//! deny-all entries (rule 32767) are never listed. Refresh is one DescribeNetworkAcls.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IcmpTypeCode, NetworkAcl, NetworkAclEntry, PortRange, ResourceType, RuleAction,
};
use cairn_provider::{
    Attribute, BlockNesting, NestedBlock, PlanResponse, ResourceSchema, Schema, Type, Value,
};

use crate::ctx::{AwsError, Ctx, call, call_retrying_dependency, is_not_found};
use crate::resource::AwsResource;
use crate::resources::security_group::{proto_key, proto_name};
use crate::resources::{
    FILTER_CHUNK, Missing, align, created_id, describe_by, filter, finish_create, ids_of, keyed,
    read_back,
};
use crate::tags;
use crate::values::{get_i64, get_str, get_strings, obj, string_set, with_attr};

pub(crate) struct NetworkAclRes;

fn entry_schema() -> Schema {
    Schema::new()
        .attr("rule_no", Attribute::required(Type::Number))
        .attr("action", Attribute::required(Type::String))
        .attr("protocol", Attribute::required(Type::String))
        .attr("from_port", Attribute::required(Type::Number))
        .attr("to_port", Attribute::required(Type::Number))
        .attr("cidr_block", Attribute::optional(Type::String))
        .attr("ipv6_cidr_block", Attribute::optional(Type::String))
        .attr("icmp_type", Attribute::optional(Type::Number))
        .attr("icmp_code", Attribute::optional(Type::Number))
}

/// An entry in its read-back form.
fn normalise(e: &Value) -> Value {
    let num = |n: &str| Value::number(get_i64(e, n).unwrap_or(0));
    let proto = get_str(e, "protocol").unwrap_or("-1");
    obj(vec![
        ("rule_no", num("rule_no")),
        (
            "action",
            Value::string(
                get_str(e, "action")
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
            ),
        ),
        ("protocol", Value::string(proto_key(proto))),
        ("from_port", num("from_port")),
        ("to_port", num("to_port")),
        (
            "cidr_block",
            Value::string(get_str(e, "cidr_block").unwrap_or_default()),
        ),
        (
            "ipv6_cidr_block",
            Value::string(get_str(e, "ipv6_cidr_block").unwrap_or_default()),
        ),
        ("icmp_type", num("icmp_type")),
        ("icmp_code", num("icmp_code")),
    ])
}

fn entry_value(e: &NetworkAclEntry) -> Value {
    let (from, to) = e
        .port_range()
        .map(|p| (p.from().unwrap_or(0) as i64, p.to().unwrap_or(0) as i64))
        .unwrap_or((0, 0));
    let icmp = e.icmp_type_code();
    obj(vec![
        (
            "rule_no",
            Value::number(e.rule_number().unwrap_or(0) as i64),
        ),
        (
            "action",
            Value::string(e.rule_action().map(|a| a.as_str()).unwrap_or_default()),
        ),
        (
            "protocol",
            Value::string(proto_key(e.protocol().unwrap_or("-1"))),
        ),
        ("from_port", Value::number(from)),
        ("to_port", Value::number(to)),
        (
            "cidr_block",
            Value::string(e.cidr_block().unwrap_or_default()),
        ),
        (
            "ipv6_cidr_block",
            Value::string(e.ipv6_cidr_block().unwrap_or_default()),
        ),
        (
            "icmp_type",
            Value::number(icmp.and_then(|i| i.r#type()).unwrap_or(0) as i64),
        ),
        (
            "icmp_code",
            Value::number(icmp.and_then(|i| i.code()).unwrap_or(0) as i64),
        ),
    ])
}

async fn describe(
    ctx: &Ctx,
    filter_name: &str,
    ids: &[String],
) -> Result<Vec<NetworkAcl>, AwsError> {
    describe_by(
        ctx,
        "DescribeNetworkAcls",
        filter_name,
        ids,
        |f, t| {
            ctx.ec2
                .describe_network_acls()
                .filters(f)
                .set_next_token(t)
                .send()
        },
        |r| r.network_acls().to_vec(),
        |r| r.next_token(),
    )
    .await
}

/// DescribeNetworkAcls by id (batched). Ids rather than a `network-acl-id` filter, which not
/// every EC2 implementation supports; when one id is gone EC2 fails the whole call, so then
/// each id is asked for on its own.
async fn describe_ids(ctx: &Ctx, ids: &[String]) -> Result<Vec<NetworkAcl>, AwsError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(FILTER_CHUNK) {
        let r = call(ctx, "DescribeNetworkAcls", || {
            ctx.ec2
                .describe_network_acls()
                .set_network_acl_ids(Some(chunk.to_vec()))
                .send()
        })
        .await;
        match r {
            Ok(resp) => out.extend(resp.network_acls().iter().cloned()),
            Err(e) if is_not_found(&e) => {
                for id in chunk {
                    let r = call(ctx, "DescribeNetworkAcls", || {
                        ctx.ec2.describe_network_acls().network_acl_ids(id).send()
                    })
                    .await;
                    match r {
                        Ok(resp) => out.extend(resp.network_acls().iter().cloned()),
                        Err(e) if is_not_found(&e) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Entries of one direction, keeping the prior's protocol spelling for equal entries.
fn entries(prior: &Value, acl: &NetworkAcl, egress: bool, name: &str) -> Value {
    let prior_entries: Vec<Value> = prior
        .get_attr(name)
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .to_vec();
    let out = acl
        .entries()
        .iter()
        .filter(|e| e.egress() == Some(egress) && e.rule_number() != Some(32767))
        .map(entry_value)
        .map(|v| {
            prior_entries
                .iter()
                .find(|p| normalise(p) == v)
                .cloned()
                .unwrap_or_else(|| {
                    with_attr(
                        &v,
                        "protocol",
                        Value::string(proto_name(get_str(&v, "protocol").unwrap_or("-1"))),
                    )
                })
        })
        .collect();
    Value::set(out)
}

fn to_value(ctx: &Ctx, prior: &Value, acl: &NetworkAcl) -> Value {
    let id = acl.network_acl_id().unwrap_or_default();
    let owner = acl.owner_id().unwrap_or_default();
    let subnets: Vec<String> = acl
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id().map(str::to_string))
        .collect();
    let (tags, tags_all) = tags::read(ctx, Some(prior), &tags::from_sdk(acl.tags()));
    obj(vec![
        ("id", Value::string(id)),
        ("arn", Value::string(ctx.arn(owner, "network-acl", id))),
        ("owner_id", Value::string(owner)),
        ("vpc_id", Value::string(acl.vpc_id().unwrap_or_default())),
        ("subnet_ids", string_set(subnets)),
        ("ingress", entries(prior, acl, false, "ingress")),
        ("egress", entries(prior, acl, true, "egress")),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

async fn put_entry(
    ctx: &Ctx,
    id: &str,
    egress: bool,
    e: &Value,
    replace: bool,
) -> Result<(), AwsError> {
    let n = normalise(e);
    let proto = get_str(&n, "protocol").unwrap_or("-1").to_string();
    let num = |k: &str| get_i64(&n, k).unwrap_or(0) as i32;
    let ports = PortRange::builder()
        .from(num("from_port"))
        .to(num("to_port"))
        .build();
    let icmp = IcmpTypeCode::builder()
        .r#type(num("icmp_type"))
        .code(num("icmp_code"))
        .build();
    let cidr = get_str(&n, "cidr_block").map(str::to_string);
    let v6 = get_str(&n, "ipv6_cidr_block").map(str::to_string);
    let action = RuleAction::from(get_str(&n, "action").unwrap_or("deny"));
    if replace {
        call(ctx, "ReplaceNetworkAclEntry", || {
            ctx.ec2
                .replace_network_acl_entry()
                .network_acl_id(id)
                .egress(egress)
                .rule_number(num("rule_no"))
                .rule_action(action.clone())
                .protocol(&proto)
                .port_range(ports.clone())
                .icmp_type_code(icmp.clone())
                .set_cidr_block(cidr.clone())
                .set_ipv6_cidr_block(v6.clone())
                .send()
        })
        .await?;
    } else {
        call(ctx, "CreateNetworkAclEntry", || {
            ctx.ec2
                .create_network_acl_entry()
                .network_acl_id(id)
                .egress(egress)
                .rule_number(num("rule_no"))
                .rule_action(action.clone())
                .protocol(&proto)
                .port_range(ports.clone())
                .icmp_type_code(icmp.clone())
                .set_cidr_block(cidr.clone())
                .set_ipv6_cidr_block(v6.clone())
                .send()
        })
        .await?;
    }
    Ok(())
}

async fn sync_entries(
    ctx: &Ctx,
    id: &str,
    egress: bool,
    old: &[Value],
    new: &[Value],
) -> Result<(), AwsError> {
    let by_rule = |xs: &[Value]| -> HashMap<i64, Value> {
        xs.iter()
            .map(|e| (get_i64(e, "rule_no").unwrap_or(0), normalise(e)))
            .collect()
    };
    let (o, n) = (by_rule(old), by_rule(new));
    for rule in o.keys().filter(|r| !n.contains_key(r)) {
        call(ctx, "DeleteNetworkAclEntry", || {
            ctx.ec2
                .delete_network_acl_entry()
                .network_acl_id(id)
                .egress(egress)
                .rule_number(*rule as i32)
                .send()
        })
        .await?;
    }
    for (rule, e) in &n {
        match o.get(rule) {
            Some(x) if x == e => {}
            Some(_) => put_entry(ctx, id, egress, e, true).await?,
            None => put_entry(ctx, id, egress, e, false).await?,
        }
    }
    Ok(())
}

/// Moves `subnet` into ACL `to` (ReplaceNetworkAclAssociation on its current association).
async fn move_subnet(ctx: &Ctx, subnet: &str, to: &str) -> Result<(), AwsError> {
    let acls = describe(ctx, "association.subnet-id", &[subnet.to_string()]).await?;
    let assoc = acls
        .iter()
        .flat_map(|a| a.associations())
        .find(|a| a.subnet_id() == Some(subnet))
        .and_then(|a| a.network_acl_association_id())
        .map(str::to_string);
    let Some(assoc) = assoc else {
        return Err(AwsError::new(
            "ReplaceNetworkAclAssociation",
            "InvalidSubnetID.NotFound",
            format!("subnet {subnet} has no network ACL association"),
        ));
    };
    call(ctx, "ReplaceNetworkAclAssociation", || {
        ctx.ec2
            .replace_network_acl_association()
            .association_id(&assoc)
            .network_acl_id(to)
            .send()
    })
    .await?;
    Ok(())
}

async fn default_acl(ctx: &Ctx, vpc: &str) -> Result<Option<String>, AwsError> {
    let f1 = filter("vpc-id", &[vpc.to_string()]);
    let f2 = filter("default", &["true".to_string()]);
    let resp = call(ctx, "DescribeNetworkAcls", || {
        ctx.ec2
            .describe_network_acls()
            .filters(f1.clone())
            .filters(f2.clone())
            .send()
    })
    .await?;
    Ok(resp
        .network_acls()
        .first()
        .and_then(|a| a.network_acl_id())
        .map(str::to_string))
}

async fn sync_subnets(
    ctx: &Ctx,
    id: &str,
    vpc: &str,
    old: &[String],
    new: &[String],
) -> Result<(), AwsError> {
    let gone: Vec<&String> = old.iter().filter(|s| !new.contains(s)).collect();
    if !gone.is_empty() {
        let default = default_acl(ctx, vpc).await?.unwrap_or_default();
        for s in gone {
            match move_subnet(ctx, s, &default).await {
                Err(e)
                    if e.code == "InvalidSubnetID.NotFound"
                        || e.code == "InvalidAssociationID.NotFound" => {}
                other => other?,
            }
        }
    }
    for s in new.iter().filter(|s| !old.contains(s)) {
        move_subnet(ctx, s, id).await?;
    }
    Ok(())
}

fn list(v: &Value, name: &str) -> Vec<Value> {
    v.get_attr(name)
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .to_vec()
}

const MISSING: Missing = Missing {
    what: "DescribeNetworkAcls",
    code: "InvalidNetworkAclID.NotFound",
    noun: "the network ACL",
};

#[async_trait]
impl AwsResource for NetworkAclRes {
    fn type_name(&self) -> &'static str {
        "aws_network_acl"
    }

    fn schema(&self) -> ResourceSchema {
        let entries = || NestedBlock {
            nesting: BlockNesting::Set,
            block: entry_schema(),
            ..NestedBlock::default()
        };
        let schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("owner_id", Attribute::computed(Type::String))
            .attr("vpc_id", Attribute::required(Type::String).force_new())
            .attr(
                "subnet_ids",
                Attribute::optional_computed(Type::set(Type::String)),
            )
            .block("ingress", entries())
            .block("egress", entries());
        ResourceSchema::new(schema, true)
    }

    fn adjust_plan(&self, prior: Option<&Value>, config: &Value, resp: &mut PlanResponse) {
        for name in ["ingress", "egress"] {
            let configured = config.get_attr(name).cloned().unwrap_or(Value::Null);
            let keep = || match prior {
                Some(p) => p.get_attr(name).cloned().unwrap_or(Value::Unknown),
                None => Value::Unknown,
            };
            let planned = match &configured {
                Value::Null => keep(),
                Value::Set(items) | Value::List(items) if items.is_empty() => keep(),
                Value::Set(items) | Value::List(items) => {
                    // Keep the configured spelling where it reads back the same.
                    let prior_items = prior.map(|p| list(p, name)).unwrap_or_default();
                    Value::set(
                        items
                            .iter()
                            .map(|e| {
                                if !e.is_wholly_known() {
                                    return e.clone();
                                }
                                prior_items
                                    .iter()
                                    .find(|p| normalise(p) == normalise(e))
                                    .cloned()
                                    .unwrap_or_else(|| {
                                        with_attr(
                                            &normalise(e),
                                            "protocol",
                                            e.get_attr("protocol").cloned().unwrap_or(Value::Null),
                                        )
                                    })
                            })
                            .collect(),
                    )
                }
                other => other.clone(),
            };
            resp.planned = with_attr(&resp.planned, name, planned);
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let specs = tags::tag_specifications(planned, ResourceType::NetworkAcl);
        let vpc = get_str(planned, "vpc_id").unwrap_or_default();
        let resp = call(ctx, "CreateNetworkAcl", || {
            ctx.ec2
                .create_network_acl()
                .vpc_id(vpc)
                .set_tag_specifications(specs.clone())
                .send()
        })
        .await?;
        let id = &created_id(
            "CreateNetworkAcl",
            resp.network_acl().and_then(|a| a.network_acl_id()),
            "ACL",
        )?;
        finish_create(self, ctx, planned, id, |made| async move {
            sync_entries(ctx, id, false, &[], &list(planned, "ingress")).await?;
            sync_entries(ctx, id, true, &[], &list(planned, "egress")).await?;
            sync_subnets(ctx, id, vpc, &[], &get_strings(planned, "subnet_ids")).await?;
            let mut cur = made.clone();
            for n in ["ingress", "egress"] {
                if cur.get_attr(n).is_some_and(Value::is_unknown) {
                    cur = with_attr(&cur, n, Value::Set(vec![]));
                }
            }
            read_back(self, ctx, &cur, &MISSING).await
        })
        .await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default();
        let vpc = get_str(prior, "vpc_id").unwrap_or_default();
        for (name, egress) in [("ingress", false), ("egress", true)] {
            if planned.get_attr(name).is_some_and(|r| !r.is_unknown())
                && prior.get_attr(name) != planned.get_attr(name)
            {
                sync_entries(ctx, id, egress, &list(prior, name), &list(planned, name)).await?;
            }
        }
        if planned
            .get_attr("subnet_ids")
            .is_some_and(|r| !r.is_unknown())
        {
            sync_subnets(
                ctx,
                id,
                vpc,
                &get_strings(prior, "subnet_ids"),
                &get_strings(planned, "subnet_ids"),
            )
            .await?;
        }
        read_back(self, ctx, planned, &MISSING).await
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        let vpc = get_str(prior, "vpc_id").unwrap_or_default();
        // Subnets still associated go back to the default ACL first.
        let now: Vec<String> = describe_ids(ctx, &[id.to_string()])
            .await?
            .iter()
            .flat_map(|a| a.associations())
            .filter_map(|a| a.subnet_id().map(str::to_string))
            .collect();
        sync_subnets(ctx, id, vpc, &now, &[]).await?;
        call_retrying_dependency(ctx, "DeleteNetworkAcl", Duration::from_secs(120), || {
            ctx.ec2.delete_network_acl().network_acl_id(id).send()
        })
        .await?;
        Ok(())
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let found = keyed(describe_ids(ctx, &ids_of(current)).await?, |a| {
            a.network_acl_id()
        });
        Ok(align(current, &found, |c, a| to_value(ctx, c, a)))
    }
}
