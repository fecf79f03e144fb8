//! The data sources, one module each, and what they share: Terraform's `filter { name values }`
//! blocks and `tags` maps turned into EC2 filters, and the "exactly one match" rule of the
//! singular data sources.

use aws_sdk_ec2::types::Filter;
use cairn_provider::{Attribute, BlockNesting, NestedBlock, Schema, Type, Value};

use crate::ctx::AwsError;
use crate::values::{get_list, get_map, get_str, get_strings};

pub(crate) mod ami;
pub(crate) mod availability_zones;
pub(crate) mod security_group;
pub(crate) mod subnet;
pub(crate) mod subnets;
pub(crate) mod vpc;

/// The `filter { name = ..., values = [...] }` block of EC2 data sources.
pub(crate) fn filter_block() -> NestedBlock {
    NestedBlock {
        nesting: BlockNesting::Set,
        block: Schema::new()
            .attr("name", Attribute::required(Type::String))
            .attr("values", Attribute::required(Type::set(Type::String))),
        min_items: 0,
        max_items: None,
        force_new: false,
    }
}

/// EC2 filters from the configuration: each `filter` block, each `tags` entry (`tag:KEY`), and
/// the given attribute-to-filter pairs that the configuration sets (`("vpc_id", "vpc-id")`).
pub(crate) fn filters(config: &Value, attrs: &[(&str, &str)]) -> Vec<Filter> {
    let mut out = Vec::new();
    for f in get_list(config, "filter") {
        if let Some(name) = get_str(f, "name") {
            out.push(crate::resources::filter(name, &get_strings(f, "values")));
        }
    }
    for (k, v) in get_map(config, "tags") {
        out.push(crate::resources::filter(&format!("tag:{k}"), &[v]));
    }
    for (attr, name) in attrs {
        let v = match config.get_attr(attr).map(Value::strip_marks_ref) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Bool(b)) => b.to_string(),
            _ => continue,
        };
        out.push(crate::resources::filter(name, &[v]));
    }
    out
}

/// Exactly one match, with Terraform's messages otherwise.
pub(crate) fn single<T>(what: &str, mut found: Vec<T>) -> Result<T, AwsError> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(AwsError::new(
            what,
            "NoMatch",
            format!("no matching {what} found"),
        )),
        n => Err(AwsError::new(
            what,
            "MultipleMatches",
            format!(
                "multiple {what}s matched ({n}); use additional constraints to reduce matches to a single {what}"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{obj, string_map, string_set};
    use std::collections::BTreeMap;

    #[test]
    fn filters_come_from_blocks_tags_and_attributes() {
        let config = obj(vec![
            (
                "filter",
                Value::set(vec![obj(vec![
                    ("name", Value::string("state")),
                    ("values", string_set(["available"])),
                ])]),
            ),
            (
                "tags",
                string_map(&BTreeMap::from([("Name".to_string(), "web".to_string())])),
            ),
            ("vpc_id", Value::string("vpc-1")),
            ("default", Value::Bool(true)),
            ("cidr_block", Value::Null),
        ]);
        let f = filters(
            &config,
            &[
                ("vpc_id", "vpc-id"),
                ("default", "is-default"),
                ("cidr_block", "cidr"),
            ],
        );
        let got: Vec<(String, Vec<String>)> = f
            .iter()
            .map(|f| {
                (
                    f.name().unwrap_or_default().to_string(),
                    f.values().to_vec(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("state".to_string(), vec!["available".to_string()]),
                ("tag:Name".to_string(), vec!["web".to_string()]),
                ("vpc-id".to_string(), vec!["vpc-1".to_string()]),
                ("is-default".to_string(), vec!["true".to_string()]),
            ]
        );
    }

    #[test]
    fn single_wants_exactly_one() {
        assert_eq!(single("EC2 VPC", vec![1]), Ok(1));
        assert_eq!(single::<u8>("EC2 VPC", vec![]).unwrap_err().code, "NoMatch");
        assert_eq!(
            single("EC2 VPC", vec![1, 2]).unwrap_err().code,
            "MultipleMatches"
        );
    }
}
