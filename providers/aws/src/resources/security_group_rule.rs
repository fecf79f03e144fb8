//! `aws_security_group_rule`: one rule of a group (Authorize/RevokeSecurityGroupIngress or
//! -Egress). Everything but `description` forces replacement, as in Terraform; a description
//! change is UpdateSecurityGroupRuleDescriptions*. The rule exists while all its atoms exist on
//! the group. Refresh reads every group involved with one DescribeSecurityGroups.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::SecurityGroup;
use cairn_provider::{Attribute, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call};
use crate::resource::AwsResource;
use crate::resources::attrs_of;
use crate::resources::security_group::{
    Atom, atom_permission, change_atoms, describe, permission_atoms, proto_key, proto_name,
    rule_atoms,
};
use crate::values::{get_bool, get_i64, get_str, get_strings, obj, string_list, with_attr};

pub(crate) struct SgRule;

fn is_egress(v: &Value) -> bool {
    get_str(v, "type") == Some("egress")
}

/// Terraform's id for the rule (`ipPermissionIDHash` in its provider): `sgrule-` and the CRC-32
/// of `GROUP-[FROM-][TO-]PROTOCOL-TYPE-` followed by the sorted IPv4 ranges, IPv6 ranges and
/// prefix lists and the source group pairs, each ending in `-`.
fn rule_id(v: &Value) -> String {
    let mut s = format!("{}-", get_str(v, "security_group_id").unwrap_or_default());
    for port in ["from_port", "to_port"] {
        if let Some(p) = get_i64(v, port).filter(|p| *p > 0) {
            s.push_str(&format!("{p}-"));
        }
    }
    let proto = proto_name(&proto_key(get_str(v, "protocol").unwrap_or_default()));
    s.push_str(&format!(
        "{proto}-{}-",
        get_str(v, "type").unwrap_or_default()
    ));
    for list in ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"] {
        let mut items = get_strings(v, list);
        items.sort();
        for i in items {
            s.push_str(&format!("{i}-"));
        }
    }
    let mut groups: Vec<String> = Vec::new();
    if get_bool(v, "self") == Some(true)
        && let Some(sg) = get_str(v, "security_group_id")
    {
        groups.push(sg.to_string());
    }
    if let Some(src) = get_str(v, "source_security_group_id") {
        // `OWNER/sg-...` names a group of another account: the pair's GroupId is the group.
        groups.push(src.rsplit('/').next().unwrap_or(src).to_string());
    }
    groups.sort();
    for g in groups {
        // GroupId, then an absent GroupName.
        s.push_str(&format!("{g}--"));
    }
    format!("sgrule-{}", crc32(s.as_bytes()))
}

/// CRC-32 (IEEE 802.3, as Go's `hash/crc32.ChecksumIEEE`).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The atoms of the rule ignoring descriptions (which can change in place).
fn keys(atoms: &[Atom]) -> Vec<Atom> {
    atoms
        .iter()
        .map(|a| Atom {
            description: String::new(),
            ..a.clone()
        })
        .collect()
}

fn find(current: &Value, groups: &HashMap<String, SecurityGroup>) -> Option<Value> {
    let sg = get_str(current, "security_group_id")?;
    let g = groups.get(sg)?;
    let perms = if is_egress(current) {
        g.ip_permissions_egress()
    } else {
        g.ip_permissions()
    };
    let have = permission_atoms(sg, perms);
    let want = rule_atoms(current);
    if want.is_empty() {
        return None;
    }
    let have_keys = keys(&have);
    let mut description = None;
    for w in keys(&want) {
        let i = have_keys.iter().position(|h| *h == w)?;
        description.get_or_insert_with(|| have[i].description.clone());
    }
    let d = description.unwrap_or_default();
    let d = if d.is_empty() && current.get_attr("description").is_none_or(Value::is_null) {
        Value::Null
    } else {
        Value::string(d)
    };
    let mut v = with_attr(current, "description", d);
    if v.get_attr("id").is_none_or(Value::is_null) {
        v = with_attr(&v, "id", Value::string(rule_id(current)));
    }
    Some(v)
}

#[async_trait]
impl AwsResource for SgRule {
    fn type_name(&self) -> &'static str {
        "aws_security_group_rule"
    }

    fn taggable(&self) -> bool {
        false
    }

    fn schema(&self) -> ResourceSchema {
        let fnew = |t: Type| Attribute::optional(t).force_new();
        let schema = Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("security_group_rule_id", Attribute::computed(Type::String))
            .attr("type", Attribute::required(Type::String).force_new())
            .attr(
                "security_group_id",
                Attribute::required(Type::String).force_new(),
            )
            .attr("protocol", Attribute::required(Type::String).force_new())
            .attr("from_port", Attribute::required(Type::Number).force_new())
            .attr("to_port", Attribute::required(Type::Number).force_new())
            .attr("cidr_blocks", fnew(Type::list(Type::String)))
            .attr("ipv6_cidr_blocks", fnew(Type::list(Type::String)))
            .attr("prefix_list_ids", fnew(Type::list(Type::String)))
            .attr(
                "source_security_group_id",
                Attribute::optional_computed(Type::String).force_new(),
            )
            .attr("self", fnew(Type::Bool))
            .attr("description", Attribute::optional(Type::String))
            .with_version(2);
        ResourceSchema::new(schema, true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("self", Value::Bool(false))]
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let sg = get_str(planned, "security_group_id").unwrap_or_default();
        let atoms = rule_atoms(planned);
        if atoms.is_empty() {
            return Err(AwsError::new(
                "AuthorizeSecurityGroupRule",
                "MissingParameter",
                "one of cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, self or source_security_group_id must be set",
            ));
        }
        change_atoms(ctx, sg, is_egress(planned), true, &atoms).await?;
        let mut v = with_attr(planned, "id", Value::string(rule_id(planned)));
        if v.get_attr("source_security_group_id")
            .is_none_or(|x| x.is_null() || x.is_unknown())
        {
            v = with_attr(&v, "source_security_group_id", Value::string(""));
        }
        if v.get_attr("security_group_rule_id")
            .is_none_or(Value::is_unknown)
        {
            v = with_attr(&v, "security_group_rule_id", Value::string(""));
        }
        Ok(v)
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let sg = get_str(prior, "security_group_id").unwrap_or_default();
        let perms: Vec<_> = rule_atoms(planned)
            .iter()
            .map(|a| atom_permission(sg, a))
            .collect();
        if is_egress(planned) {
            call(ctx, "UpdateSecurityGroupRuleDescriptionsEgress", || {
                ctx.ec2
                    .update_security_group_rule_descriptions_egress()
                    .group_id(sg)
                    .set_ip_permissions(Some(perms.clone()))
                    .send()
            })
            .await?;
        } else {
            call(ctx, "UpdateSecurityGroupRuleDescriptionsIngress", || {
                ctx.ec2
                    .update_security_group_rule_descriptions_ingress()
                    .group_id(sg)
                    .set_ip_permissions(Some(perms.clone()))
                    .send()
            })
            .await?;
        }
        // Where the description did not change in place (EC2 implementations that match rules
        // more strictly), grant the rule anew with the new description.
        let now = self
            .read_many(ctx, std::slice::from_ref(planned))
            .await?
            .pop()
            .flatten();
        let described = now
            .as_ref()
            .and_then(|v| v.get_attr("description").cloned());
        if described.unwrap_or(Value::Null)
            != planned
                .get_attr("description")
                .cloned()
                .unwrap_or(Value::Null)
        {
            change_atoms(ctx, sg, is_egress(prior), false, &rule_atoms(prior)).await?;
            change_atoms(ctx, sg, is_egress(planned), true, &rule_atoms(planned)).await?;
        }
        Ok(planned.clone())
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let sg = get_str(prior, "security_group_id").unwrap_or_default();
        match change_atoms(ctx, sg, is_egress(prior), false, &rule_atoms(prior)).await {
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
        let groups = describe(ctx, &attrs_of(current, "security_group_id")).await?;
        Ok(current.iter().map(|c| find(c, &groups)).collect())
    }

    /// `SGID_TYPE_PROTOCOL_FROM_TO_SOURCE[_SOURCE...]`, as Terraform's import id.
    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let parts: Vec<&str> = id.split('_').collect();
        if parts.len() < 6 {
            return Err(AwsError::new(
                "ImportSecurityGroupRule",
                "InvalidImportId",
                format!(
                    "unexpected import id {id:?}: expected SGID_TYPE_PROTOCOL_FROMPORT_TOPORT_SOURCE[_SOURCE]..."
                ),
            ));
        }
        let (mut cidrs, mut v6, mut pls) = (Vec::new(), Vec::new(), Vec::new());
        let (mut source, mut self_) = (String::new(), false);
        for s in &parts[5..] {
            if *s == "self" {
                self_ = true;
            } else if s.starts_with("sg-") {
                source = s.to_string();
            } else if s.starts_with("pl-") {
                pls.push(s.to_string());
            } else if s.contains(':') {
                v6.push(s.to_string());
            } else {
                cidrs.push(s.to_string());
            }
        }
        let num = |s: &str| s.parse::<i64>().map(Value::number).unwrap_or(Value::Null);
        let cur = obj(vec![
            ("security_group_id", Value::string(parts[0])),
            ("type", Value::string(parts[1])),
            ("protocol", Value::string(parts[2])),
            ("from_port", num(parts[3])),
            ("to_port", num(parts[4])),
            (
                "cidr_blocks",
                if cidrs.is_empty() {
                    Value::Null
                } else {
                    string_list(cidrs)
                },
            ),
            (
                "ipv6_cidr_blocks",
                if v6.is_empty() {
                    Value::Null
                } else {
                    string_list(v6)
                },
            ),
            (
                "prefix_list_ids",
                if pls.is_empty() {
                    Value::Null
                } else {
                    string_list(pls)
                },
            ),
            ("source_security_group_id", Value::string(source)),
            ("self", Value::Bool(self_)),
            ("security_group_rule_id", Value::string("")),
            ("description", Value::Null),
        ]);
        Ok(self.read_many(ctx, &[cur]).await?.pop().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pairs: Vec<(&str, Value)>) -> Value {
        obj(pairs)
    }

    /// The hashes Terraform's provider pins in its own tests (`TestIPPermissionIDHash`).
    #[test]
    fn ids_match_terraform() {
        let simple = rule(vec![
            ("security_group_id", Value::string("sg-12345")),
            ("type", Value::string("ingress")),
            ("protocol", Value::string("tcp")),
            ("from_port", Value::number(80)),
            ("to_port", Value::number(8000)),
            ("cidr_blocks", string_list(["10.0.0.0/8"])),
        ]);
        assert_eq!(rule_id(&simple), "sgrule-3403497314");
        let egress = with_attr(&simple, "type", Value::string("egress"));
        assert_eq!(rule_id(&egress), "sgrule-1173186295");
        // "6" is tcp: the same rule, the same id.
        let numeric = with_attr(&simple, "protocol", Value::string("6"));
        assert_eq!(rule_id(&numeric), "sgrule-3403497314");
    }

    #[test]
    fn crc32_is_ieee() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
