//! The managed resource types, one module each, and small helpers they share (filters,
//! chunking ids for batched Describe* calls, aligning batched results with the request).

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::Filter;
use cairn_provider::Value;

use crate::ctx::{AwsError, Ctx, call};
use crate::values::get_str;

pub(crate) mod ebs_volume;
pub(crate) mod eip;
pub(crate) mod instance;
pub(crate) mod internet_gateway;
pub(crate) mod key_pair;
pub(crate) mod launch_template;
pub(crate) mod nat_gateway;
pub(crate) mod network_acl;
pub(crate) mod route;
pub(crate) mod route_table;
pub(crate) mod route_table_association;
pub(crate) mod security_group;
pub(crate) mod security_group_rule;
pub(crate) mod subnet;
pub(crate) mod volume_attachment;
pub(crate) mod vpc;
pub(crate) mod vpc_security_group_rule;

/// How many values one Describe* filter may carry.
pub(crate) const FILTER_CHUNK: usize = 200;

/// An EC2 filter.
pub(crate) fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

/// The known `id`s of the current values, deduplicated, in order.
pub(crate) fn ids_of(current: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in current {
        if let Some(id) = get_str(c, "id")
            && !out.iter().any(|x| x == id)
        {
            out.push(id.to_string());
        }
    }
    out
}

/// Aligns objects found by id with the current values: each current value's object, or `None`
/// when it is gone (or has no id).
pub(crate) fn align<T>(
    current: &[Value],
    found: &HashMap<String, T>,
    mut to_value: impl FnMut(&Value, &T) -> Value,
) -> Vec<Option<Value>> {
    current
        .iter()
        .map(|c| {
            let id = get_str(c, "id")?;
            found.get(id).map(|o| to_value(c, o))
        })
        .collect()
}

/// One batched Describe* call: the objects whose `filter_name` is one of `values`, in chunks of
/// [`FILTER_CHUNK`] values, following pagination. `send` builds and sends one page request.
pub(crate) async fn describe_by<T, R, E, F, Fut>(
    ctx: &Ctx,
    what: &str,
    filter_name: &str,
    values: &[String],
    send: F,
    items: impl Fn(&R) -> Vec<T>,
    next: impl Fn(&R) -> Option<&str>,
) -> Result<Vec<T>, AwsError>
where
    F: Fn(Filter, Option<String>) -> Fut,
    Fut: Future<Output = Result<R, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut out = Vec::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let f = filter(filter_name, chunk);
        out.extend(paginate(ctx, what, |token| send(f.clone(), token), &items, &next).await?);
    }
    Ok(out)
}

/// Every page of one Describe* request: `send` sends the page after `token` (`None` first).
/// The one pagination loop of the provider; [`describe_by`] chunks filter values over it.
pub(crate) async fn paginate<T, R, E, F, Fut>(
    ctx: &Ctx,
    what: &str,
    send: F,
    items: impl Fn(&R) -> Vec<T>,
    next: impl Fn(&R) -> Option<&str>,
) -> Result<Vec<T>, AwsError>
where
    F: Fn(Option<String>) -> Fut,
    Fut: Future<Output = Result<R, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let resp = call(ctx, what, || send(token.clone())).await?;
        out.extend(items(&resp));
        token = next(&resp).filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The tags of each of `ids` through DescribeTags (batched by `resource-id`): the authoritative
/// view where a type's own Describe* may lag behind CreateTags/DeleteTags.
pub(crate) async fn tags_by_id(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, std::collections::BTreeMap<String, String>>, AwsError> {
    let found = describe_by(
        ctx,
        "DescribeTags",
        "resource-id",
        ids,
        |f, token| {
            ctx.ec2
                .describe_tags()
                .filters(f)
                .set_next_token(token)
                .send()
        },
        |r| r.tags().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    let mut out: HashMap<String, std::collections::BTreeMap<String, String>> = ids
        .iter()
        .map(|i| (i.clone(), Default::default()))
        .collect();
    for t in found {
        if let (Some(id), Some(k)) = (t.resource_id(), t.key()) {
            out.entry(id.to_string())
                .or_default()
                .insert(k.to_string(), t.value().unwrap_or_default().to_string());
        }
    }
    Ok(out)
}

/// The current values' attribute `name` (known, deduplicated), for batching by a parent id.
pub(crate) fn attrs_of(current: &[Value], name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in current {
        if let Some(v) = get_str(c, name)
            && !out.iter().any(|x| x == v)
        {
            out.push(v.to_string());
        }
    }
    out
}
