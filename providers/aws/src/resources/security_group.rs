//! `aws_security_group` with inline `ingress`/`egress` blocks, and the permission model shared
//! with `aws_security_group_rule`: a rule is broken into atoms (protocol, ports, one source,
//! description), which is how EC2 stores them; reading regroups the atoms the way the prior
//! value grouped them, so an unchanged group reads back exactly as configured and anything
//! added behind cairn's back shows as drift. As in Terraform, creating a group in a VPC revokes
//! EC2's default allow-all egress rule, and `ingress`/`egress` are "optional and computed": with
//! no blocks the group's rules are left alone. Refresh is one DescribeSecurityGroups for many
//! groups.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup, UserIdGroupPair,
};
use cairn_provider::{
    Attribute, BlockNesting, NestedBlock, PlanResponse, ResourceSchema, Schema, Type, Value,
};

use crate::ctx::{AwsError, Ctx, call, call_retrying_dependency};
use crate::resource::AwsResource;
use crate::resources::{
    Missing, align, created_id, describe_by, finish_create, ids_of, keyed, read_back, wait_ready,
};
use crate::tags;
use crate::values::{
    get_bool, get_i64, get_str, get_strings, obj, string_list, string_set, with_attr,
};

pub(crate) struct SecurityGroupRes;

/// Where traffic of an atom comes from (ingress) or goes to (egress).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
    SelfRef,
}

/// One permission as EC2 stores it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Atom {
    pub proto: String,
    pub from: i64,
    pub to: i64,
    pub source: Source,
    pub description: String,
}

/// The canonical form of a protocol (`tcp` and `6` are the same; `all` is `-1`).
pub(crate) fn proto_key(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "tcp" | "6" => "6".into(),
        "udp" | "17" => "17".into(),
        "icmp" | "1" => "1".into(),
        "icmpv6" | "58" => "58".into(),
        "all" | "-1" => "-1".into(),
        other => other.to_string(),
    }
}

/// The protocol as EC2 reports it (`tcp`, not `6`).
pub(crate) fn proto_name(key: &str) -> String {
    match key {
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        other => other.to_string(),
    }
}

/// The protocol as EC2 wants it in a request.
pub(crate) fn proto_api(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" => "-1".into(),
        other => other.to_string(),
    }
}

fn ports(proto: &str, from: i64, to: i64) -> (i64, i64) {
    if proto_key(proto) == "-1" {
        (0, 0)
    } else {
        (from, to)
    }
}

/// The atoms of an inline rule object (or of an `aws_security_group_rule`, whose sources are
/// named `source_security_group_id` instead of `security_groups`).
pub(crate) fn rule_atoms(rule: &Value) -> Vec<Atom> {
    let proto = proto_key(get_str(rule, "protocol").unwrap_or("-1"));
    let (from, to) = ports(
        &proto,
        get_i64(rule, "from_port").unwrap_or(0),
        get_i64(rule, "to_port").unwrap_or(0),
    );
    let description = get_str(rule, "description").unwrap_or_default().to_string();
    let mut sources: Vec<Source> = Vec::new();
    sources.extend(
        get_strings(rule, "cidr_blocks")
            .into_iter()
            .map(Source::Cidr),
    );
    sources.extend(
        get_strings(rule, "ipv6_cidr_blocks")
            .into_iter()
            .map(Source::Ipv6),
    );
    sources.extend(
        get_strings(rule, "prefix_list_ids")
            .into_iter()
            .map(Source::PrefixList),
    );
    sources.extend(
        get_strings(rule, "security_groups")
            .into_iter()
            .map(Source::Group),
    );
    if let Some(g) = get_str(rule, "source_security_group_id") {
        sources.push(Source::Group(g.to_string()));
    }
    if get_bool(rule, "self") == Some(true) {
        sources.push(Source::SelfRef);
    }
    sources
        .into_iter()
        .map(|source| Atom {
            proto: proto.clone(),
            from,
            to,
            source,
            description: description.clone(),
        })
        .collect()
}

/// The atoms of EC2's permissions for group `own_id`.
pub(crate) fn permission_atoms(own_id: &str, perms: &[IpPermission]) -> Vec<Atom> {
    let mut out = Vec::new();
    for p in perms {
        let proto = proto_key(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = ports(
            &proto,
            p.from_port().unwrap_or(0) as i64,
            p.to_port().unwrap_or(0) as i64,
        );
        let mut push = |source: Source, d: Option<&str>| {
            out.push(Atom {
                proto: proto.clone(),
                from,
                to,
                source,
                description: d.unwrap_or_default().to_string(),
            })
        };
        for r in p.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                push(Source::Cidr(c.into()), r.description());
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                push(Source::Ipv6(c.into()), r.description());
            }
        }
        for r in p.prefix_list_ids() {
            if let Some(c) = r.prefix_list_id() {
                push(Source::PrefixList(c.into()), r.description());
            }
        }
        for g in p.user_id_group_pairs() {
            if let Some(id) = g.group_id() {
                let s = if id == own_id {
                    Source::SelfRef
                } else {
                    Source::Group(id.into())
                };
                push(s, g.description());
            }
        }
    }
    out
}

/// The EC2 permission for one atom of group `own_id`.
pub(crate) fn atom_permission(own_id: &str, a: &Atom) -> IpPermission {
    let d = (!a.description.is_empty()).then(|| a.description.clone());
    let mut p = IpPermission::builder().ip_protocol(proto_api(&a.proto));
    if a.proto != "-1" {
        p = p.from_port(a.from as i32).to_port(a.to as i32);
    }
    match &a.source {
        Source::Cidr(c) => {
            p = p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build())
        }
        Source::Ipv6(c) => {
            p = p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build())
        }
        Source::PrefixList(c) => {
            p = p.prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(c)
                    .set_description(d)
                    .build(),
            )
        }
        Source::Group(g) => {
            p = p.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(d)
                    .build(),
            )
        }
        Source::SelfRef => {
            p = p.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(own_id)
                    .set_description(d)
                    .build(),
            )
        }
    }
    p.build()
}

/// Atoms equal up to the protocol's spelling.
fn same_atom(a: &Atom, b: &Atom) -> bool {
    a == b
}

/// Regroups `atoms` into rule objects, reusing the grouping of `prior_rules` where all of a
/// prior rule's atoms are present; the rest are grouped by protocol, ports and description.
fn regroup(prior_rules: &[Value], atoms: Vec<Atom>) -> Value {
    let mut left = atoms;
    let mut out = Vec::new();
    for r in prior_rules {
        let want = rule_atoms(r);
        if want.is_empty() || !want.iter().all(|w| left.iter().any(|a| same_atom(a, w))) {
            continue;
        }
        for w in &want {
            if let Some(i) = left.iter().position(|a| same_atom(a, w)) {
                left.remove(i);
            }
        }
        out.push(normalise_rule(r));
    }
    // (protocol, from port, to port, description) → the sources sharing them.
    type RuleKey = (String, i64, i64, String);
    let mut groups: Vec<(RuleKey, Vec<Source>)> = Vec::new();
    for a in left {
        let key = (a.proto.clone(), a.from, a.to, a.description.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(a.source),
            None => groups.push((key, vec![a.source])),
        }
    }
    for ((proto, from, to, description), sources) in groups {
        let pick = |f: fn(&Source) -> Option<&String>| -> Vec<String> {
            sources.iter().filter_map(f).cloned().collect()
        };
        out.push(obj(vec![
            (
                "cidr_blocks",
                string_list(pick(|s| {
                    if let Source::Cidr(c) = s {
                        Some(c)
                    } else {
                        None
                    }
                })),
            ),
            (
                "ipv6_cidr_blocks",
                string_list(pick(|s| {
                    if let Source::Ipv6(c) = s {
                        Some(c)
                    } else {
                        None
                    }
                })),
            ),
            (
                "prefix_list_ids",
                string_list(pick(|s| {
                    if let Source::PrefixList(c) = s {
                        Some(c)
                    } else {
                        None
                    }
                })),
            ),
            (
                "security_groups",
                string_set(pick(|s| {
                    if let Source::Group(c) = s {
                        Some(c)
                    } else {
                        None
                    }
                })),
            ),
            ("self", Value::Bool(sources.contains(&Source::SelfRef))),
            ("protocol", Value::string(proto_name(&proto))),
            ("from_port", Value::number(from)),
            ("to_port", Value::number(to)),
            ("description", Value::string(description)),
        ]));
    }
    Value::set(out)
}

fn rule_schema() -> Schema {
    Schema::new()
        .attr("cidr_blocks", Attribute::optional(Type::list(Type::String)))
        .attr(
            "ipv6_cidr_blocks",
            Attribute::optional(Type::list(Type::String)),
        )
        .attr(
            "prefix_list_ids",
            Attribute::optional(Type::list(Type::String)),
        )
        .attr(
            "security_groups",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr("self", Attribute::optional(Type::Bool))
        .attr("protocol", Attribute::required(Type::String))
        .attr("from_port", Attribute::required(Type::Number))
        .attr("to_port", Attribute::required(Type::Number))
        .attr("description", Attribute::optional(Type::String))
}

/// A configured rule with unset attributes in their read-back form.
fn normalise_rule(r: &Value) -> Value {
    let list = |n: &str| match r.get_attr(n) {
        Some(Value::List(x)) | Some(Value::Tuple(x)) | Some(Value::Set(x)) => {
            Value::List(x.clone())
        }
        Some(v) if !v.is_null() => v.clone(),
        _ => Value::List(vec![]),
    };
    obj(vec![
        ("cidr_blocks", list("cidr_blocks")),
        ("ipv6_cidr_blocks", list("ipv6_cidr_blocks")),
        ("prefix_list_ids", list("prefix_list_ids")),
        (
            "security_groups",
            match r.get_attr("security_groups") {
                Some(Value::Set(x)) | Some(Value::List(x)) | Some(Value::Tuple(x)) => {
                    Value::set(x.clone())
                }
                Some(v) if !v.is_null() => v.clone(),
                _ => Value::Set(vec![]),
            },
        ),
        ("self", Value::Bool(get_bool(r, "self").unwrap_or(false))),
        (
            "protocol",
            r.get_attr("protocol").cloned().unwrap_or(Value::Null),
        ),
        (
            "from_port",
            r.get_attr("from_port").cloned().unwrap_or(Value::Null),
        ),
        (
            "to_port",
            r.get_attr("to_port").cloned().unwrap_or(Value::Null),
        ),
        (
            "description",
            Value::string(get_str(r, "description").unwrap_or_default()),
        ),
    ])
}

pub(crate) async fn describe(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, SecurityGroup>, AwsError> {
    let items = describe_by(
        ctx,
        "DescribeSecurityGroups",
        "group-id",
        ids,
        |f, t| {
            ctx.ec2
                .describe_security_groups()
                .filters(f)
                .set_next_token(t)
                .send()
        },
        |r| r.security_groups().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(items, |g| g.group_id()))
}

fn rules_of(v: &Value, name: &str) -> Vec<Value> {
    v.get_attr(name)
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .to_vec()
}

fn to_value(ctx: &Ctx, prior: &Value, g: &SecurityGroup) -> Value {
    let id = g.group_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    let (tags, tags_all) = tags::read(ctx, Some(prior), &tags::from_sdk(g.tags()));
    let ingress = regroup(
        &rules_of(prior, "ingress"),
        permission_atoms(id, g.ip_permissions()),
    );
    let egress = regroup(
        &rules_of(prior, "egress"),
        permission_atoms(id, g.ip_permissions_egress()),
    );
    obj(vec![
        ("id", Value::string(id)),
        ("arn", Value::string(ctx.arn(owner, "security-group", id))),
        ("owner_id", Value::string(owner)),
        ("name", Value::string(g.group_name().unwrap_or_default())),
        (
            "name_prefix",
            Value::string(get_str(prior, "name_prefix").unwrap_or_default()),
        ),
        (
            "description",
            Value::string(g.description().unwrap_or_default()),
        ),
        ("vpc_id", Value::string(g.vpc_id().unwrap_or_default())),
        (
            "revoke_rules_on_delete",
            Value::Bool(get_bool(prior, "revoke_rules_on_delete").unwrap_or(false)),
        ),
        ("ingress", ingress),
        ("egress", egress),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

/// Authorizes (`grant`) or revokes atoms on group `id`, ingress or egress.
pub(crate) async fn change_atoms(
    ctx: &Ctx,
    id: &str,
    egress: bool,
    grant: bool,
    atoms: &[Atom],
) -> Result<(), AwsError> {
    if atoms.is_empty() {
        return Ok(());
    }
    let perms: Vec<IpPermission> = atoms.iter().map(|a| atom_permission(id, a)).collect();
    match (egress, grant) {
        (false, true) => {
            call(ctx, "AuthorizeSecurityGroupIngress", || {
                ctx.ec2
                    .authorize_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms.clone()))
                    .send()
            })
            .await?;
        }
        (true, true) => {
            call(ctx, "AuthorizeSecurityGroupEgress", || {
                ctx.ec2
                    .authorize_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms.clone()))
                    .send()
            })
            .await?;
        }
        (false, false) => {
            call(ctx, "RevokeSecurityGroupIngress", || {
                ctx.ec2
                    .revoke_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms.clone()))
                    .send()
            })
            .await?;
        }
        (true, false) => {
            call(ctx, "RevokeSecurityGroupEgress", || {
                ctx.ec2
                    .revoke_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms.clone()))
                    .send()
            })
            .await?;
        }
    }
    Ok(())
}

fn atoms_of(rules: &[Value]) -> BTreeSet<Atom> {
    rules.iter().flat_map(rule_atoms).collect()
}

async fn sync_rules(
    ctx: &Ctx,
    id: &str,
    egress: bool,
    old: &[Value],
    new: &[Value],
) -> Result<(), AwsError> {
    let (o, n) = (atoms_of(old), atoms_of(new));
    let revoke: Vec<Atom> = o.difference(&n).cloned().collect();
    let grant: Vec<Atom> = n.difference(&o).cloned().collect();
    change_atoms(ctx, id, egress, false, &revoke).await?;
    change_atoms(ctx, id, egress, true, &grant).await
}

async fn describe_one(ctx: &Ctx, id: &str) -> Result<Option<SecurityGroup>, AwsError> {
    super::describe_one(id, |ids| async move { describe(ctx, &ids).await }).await
}

const MISSING: Missing = Missing {
    what: "DescribeSecurityGroups",
    code: "InvalidGroup.NotFound",
    noun: "the security group",
};

/// A unique name like Terraform's `terraform-2024...` ids.
fn unique_name(prefix: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}{now:026}")
}

#[async_trait]
impl AwsResource for SecurityGroupRes {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> ResourceSchema {
        let rules = || NestedBlock {
            nesting: BlockNesting::Set,
            block: rule_schema(),
            ..NestedBlock::default()
        };
        let schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("arn", Attribute::computed(Type::String))
            .attr("owner_id", Attribute::computed(Type::String))
            .attr(
                "name",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr(
                "name_prefix",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr("description", Attribute::optional(Type::String).force_new())
            .attr(
                "vpc_id",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr("revoke_rules_on_delete", Attribute::optional(Type::Bool))
            .block("ingress", rules())
            .block("egress", rules())
            .with_version(1);
        ResourceSchema::new(schema, true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("description", Value::string("Managed by Terraform")),
            ("revoke_rules_on_delete", Value::Bool(false)),
        ]
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
                Value::Set(items) | Value::List(items)
                    if items.iter().all(Value::is_wholly_known) =>
                {
                    Value::set(items.iter().map(normalise_rule).collect())
                }
                other => other.clone(),
            };
            resp.planned = with_attr(&resp.planned, name, planned);
        }
        if prior.is_none()
            && get_str(config, "name").is_none()
            && get_str(config, "name_prefix").is_none()
        {
            resp.planned = with_attr(&resp.planned, "name_prefix", Value::string(""));
        }
        if prior.is_none()
            && get_str(config, "name").is_some()
            && get_str(config, "name_prefix").is_none()
        {
            resp.planned = with_attr(&resp.planned, "name_prefix", Value::string(""));
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let name = match (get_str(planned, "name"), get_str(planned, "name_prefix")) {
            (Some(n), _) => n.to_string(),
            (None, Some(p)) => unique_name(p),
            (None, None) => unique_name("terraform-"),
        };
        let specs = tags::tag_specifications(planned, ResourceType::SecurityGroup);
        let resp = call(ctx, "CreateSecurityGroup", || {
            ctx.ec2
                .create_security_group()
                .group_name(&name)
                .description(get_str(planned, "description").unwrap_or("Managed by Terraform"))
                .set_vpc_id(get_str(planned, "vpc_id").map(str::to_string))
                .set_tag_specifications(specs.clone())
                .send()
        })
        .await?;
        let id = &created_id("CreateSecurityGroup", resp.group_id(), "group")?;
        finish_create(self, ctx, planned, id, |made| async move {
            let g = wait_ready(
                "security group exists",
                Duration::from_secs(300),
                || describe_one(ctx, id),
                |_| Ok(true),
            )
            .await?;
            // EC2 gives a VPC group an allow-all egress rule; Terraform removes it.
            if g.vpc_id().is_some_and(|v| !v.is_empty()) {
                let defaults: Vec<Atom> = permission_atoms(id, g.ip_permissions_egress())
                    .into_iter()
                    .filter(|a| {
                        a.proto == "-1"
                            && (matches!(&a.source, Source::Cidr(c) if c == "0.0.0.0/0")
                                || matches!(&a.source, Source::Ipv6(c) if c == "::/0"))
                    })
                    .collect();
                change_atoms(ctx, id, true, false, &defaults).await?;
            }
            sync_rules(ctx, id, false, &[], &rules_of(planned, "ingress")).await?;
            sync_rules(ctx, id, true, &[], &rules_of(planned, "egress")).await?;
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
        for (name, egress) in [("ingress", false), ("egress", true)] {
            if planned.get_attr(name).is_some_and(|r| !r.is_unknown())
                && prior.get_attr(name) != planned.get_attr(name)
            {
                sync_rules(
                    ctx,
                    id,
                    egress,
                    &rules_of(prior, name),
                    &rules_of(planned, name),
                )
                .await?;
            }
        }
        read_back(self, ctx, planned, &MISSING).await
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        if get_bool(prior, "revoke_rules_on_delete") == Some(true)
            && let Some(g) = describe(ctx, &[id.to_string()]).await?.get(id)
        {
            change_atoms(
                ctx,
                id,
                false,
                false,
                &permission_atoms(id, g.ip_permissions()),
            )
            .await?;
            change_atoms(
                ctx,
                id,
                true,
                false,
                &permission_atoms(id, g.ip_permissions_egress()),
            )
            .await?;
        }
        call_retrying_dependency(ctx, "DeleteSecurityGroup", Duration::from_secs(120), || {
            ctx.ec2.delete_security_group().group_id(id).send()
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(proto: &str, from: i64, to: i64, cidrs: &[&str]) -> Value {
        obj(vec![
            ("protocol", Value::string(proto_name(proto))),
            ("from_port", Value::number(from)),
            ("to_port", Value::number(to)),
            ("cidr_blocks", string_list(cidrs.iter().copied())),
        ])
    }

    #[test]
    fn regroup_keeps_the_configured_grouping() {
        let r = rule("tcp", 443, 443, &["10.0.0.0/8", "192.168.0.0/16"]);
        let atoms = rule_atoms(&r);
        assert_eq!(atoms.len(), 2);
        let back = regroup(std::slice::from_ref(&r), atoms.clone());
        assert_eq!(back, Value::set(vec![normalise_rule(&r)]));
        // An extra atom (added outside cairn) shows up as its own rule.
        let mut more = atoms;
        more.push(Atom {
            proto: "6".into(),
            from: 22,
            to: 22,
            source: Source::Cidr("0.0.0.0/0".into()),
            description: String::new(),
        });
        let back = regroup(&[r], more);
        assert_eq!(back.as_seq().map(<[Value]>::len), Some(2));
    }

    #[test]
    fn protocols_compare_by_number() {
        assert_eq!(proto_key("TCP"), proto_key("6"));
        assert_eq!(proto_key("all"), "-1");
        assert_eq!(rule_atoms(&rule("-1", 0, 65535, &["0.0.0.0/0"]))[0].to, 0);
    }
}
