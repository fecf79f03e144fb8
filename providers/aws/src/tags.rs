//! `tags` and `tags_all` like Terraform's AWS provider: `tags` is what the configuration sets,
//! `tags_all` (computed) is the provider's `default_tags` merged with them (resource tags win),
//! and it is `tags_all` that lives on the object. Tags whose key starts with `aws:` belong to
//! AWS and are ignored. Owns the tag attributes and tag API calls; no resource logic.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use cairn_provider::{Attribute, Schema, Type, Value, ValueMap};

use crate::ctx::{AwsError, Ctx, call};
use crate::values::{get_map, string_map};

/// Adds `tags` (optional) and `tags_all` (computed) to a resource schema.
pub(crate) fn add_attributes(schema: Schema) -> Schema {
    schema
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr(
            "tags_all",
            Attribute::optional_computed(Type::map(Type::String)),
        )
}

/// `default_tags` ∪ `tags`, resource tags winning.
pub(crate) fn merge(
    defaults: &BTreeMap<String, String>,
    tags: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = defaults.clone();
    out.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// Plans `tags_all` from the planned `tags`: unknown while `tags` (or one of its values) is.
pub(crate) fn plan_tags_all(ctx_defaults: &BTreeMap<String, String>, planned: &Value) -> Value {
    let tags = planned.get_attr("tags").unwrap_or(&Value::Null);
    if !tags.is_wholly_known() {
        return Value::Unknown;
    }
    string_map(&merge(ctx_defaults, &get_map(planned, "tags")))
}

/// The object's tags to set on create: `tags_all` of the planned value.
pub(crate) fn planned_tags(planned: &Value) -> BTreeMap<String, String> {
    get_map(planned, "tags_all")
}

/// Tag specifications for a Create* call (none when there are no tags).
pub(crate) fn tag_specifications(
    planned: &Value,
    resource_type: ResourceType,
) -> Option<Vec<TagSpecification>> {
    let tags = planned_tags(planned);
    if tags.is_empty() {
        return None;
    }
    Some(vec![
        TagSpecification::builder()
            .resource_type(resource_type)
            .set_tags(Some(to_sdk(&tags)))
            .build(),
    ])
}

pub(crate) fn to_sdk(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of an API object, without AWS's own `aws:` tags.
pub(crate) fn from_sdk(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            let k = t.key()?;
            if k.starts_with("aws:") {
                return None;
            }
            Some((k.to_string(), t.value().unwrap_or_default().to_string()))
        })
        .collect()
}

/// `tags` and `tags_all` as read back from the API. `tags_all` is what the object has; `tags`
/// is that minus what `default_tags` contributes, keeping keys the prior `tags` named. When the
/// result is empty, the prior's null-or-empty form is kept so an untagged resource reads back
/// exactly as it was planned.
pub(crate) fn read_back(
    defaults: &BTreeMap<String, String>,
    prior: Option<&Value>,
    actual: &BTreeMap<String, String>,
) -> (Value, Value) {
    let prior_tags = prior.map(|p| get_map(p, "tags")).unwrap_or_default();
    let mine: BTreeMap<String, String> = actual
        .iter()
        .filter(|(k, v)| prior_tags.contains_key(*k) || defaults.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags = if mine.is_empty() {
        match prior.and_then(|p| p.get_attr("tags")) {
            Some(Value::Map(m)) if m.is_empty() => Value::Map(ValueMap::new()),
            _ => Value::Null,
        }
    } else {
        string_map(&mine)
    };
    (tags, string_map(actual))
}

/// [`read_back`] for the provider `ctx`: the object's tags minus those `ignore_tags` names (as
/// Terraform's provider, ignored tags appear in neither `tags` nor `tags_all`).
pub(crate) fn read(
    ctx: &crate::ctx::Ctx,
    prior: Option<&Value>,
    actual: &BTreeMap<String, String>,
) -> (Value, Value) {
    let kept: BTreeMap<String, String> = actual
        .iter()
        .filter(|(k, _)| !ctx.ignore_tags.ignores(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    read_back(&ctx.default_tags, prior, &kept)
}

/// Brings the object's tags from `prior`'s `tags_all` to `planned`'s (DeleteTags, CreateTags).
pub(crate) async fn sync(
    ctx: &Ctx,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), AwsError> {
    let old = get_map(prior, "tags_all");
    let new = get_map(planned, "tags_all");
    let removed: Vec<Tag> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    let changed: BTreeMap<String, String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !removed.is_empty() {
        call(ctx, "DeleteTags", || {
            ctx.ec2
                .delete_tags()
                .resources(id)
                .set_tags(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        let tags = to_sdk(&changed);
        call(ctx, "CreateTags", || {
            ctx.ec2
                .create_tags()
                .resources(id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::obj;

    fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn resource_tags_win_over_defaults() {
        let planned = obj(vec![(
            "tags",
            string_map(&m(&[("Name", "a"), ("Env", "prod")])),
        )]);
        let all = plan_tags_all(&m(&[("Env", "dev"), ("Team", "net")]), &planned);
        assert_eq!(
            all,
            string_map(&m(&[("Env", "prod"), ("Name", "a"), ("Team", "net")]))
        );
    }

    #[test]
    fn unknown_tags_make_tags_all_unknown() {
        let planned = obj(vec![(
            "tags",
            Value::Map(ValueMap::from([("k".into(), Value::Unknown)])),
        )]);
        assert_eq!(plan_tags_all(&BTreeMap::new(), &planned), Value::Unknown);
    }

    #[test]
    fn ignored_tags_are_not_read() {
        let mut ctx = crate::ctx::tests::test_ctx();
        ctx.ignore_tags = crate::ctx::IgnoreTags {
            keys: vec!["Owner".into()],
            key_prefixes: vec!["kubernetes.io/".into()],
        };
        let (tags, all) = read(
            &ctx,
            None,
            &m(&[
                ("Name", "a"),
                ("Owner", "x"),
                ("kubernetes.io/cluster/c", "owned"),
            ]),
        );
        assert_eq!(tags, string_map(&m(&[("Name", "a")])));
        assert_eq!(all, string_map(&m(&[("Name", "a")])));
    }

    #[test]
    fn read_back_separates_default_tags() {
        let defaults = m(&[("Team", "net")]);
        let prior = obj(vec![("tags", Value::Null)]);
        let (tags, all) = read_back(&defaults, Some(&prior), &m(&[("Team", "net")]));
        assert_eq!(tags, Value::Null);
        assert_eq!(all, string_map(&m(&[("Team", "net")])));
        // A tag added behind cairn's back shows up in `tags` (drift).
        let (tags, _) = read_back(&defaults, Some(&prior), &m(&[("Team", "net"), ("x", "y")]));
        assert_eq!(tags, string_map(&m(&[("x", "y")])));
        // A resource tag with the same key as a default tag stays the resource's.
        let prior = obj(vec![("tags", string_map(&m(&[("Team", "net")])))]);
        let (tags, _) = read_back(&defaults, Some(&prior), &m(&[("Team", "net")]));
        assert_eq!(tags, string_map(&m(&[("Team", "net")])));
    }
}
