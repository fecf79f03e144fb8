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
        let mut token: Option<String> = None;
        loop {
            let resp = call(ctx, what, || send(f.clone(), token.clone())).await?;
            out.extend(items(&resp));
            token = next(&resp).filter(|t| !t.is_empty()).map(str::to_string);
            if token.is_none() {
                break;
            }
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
