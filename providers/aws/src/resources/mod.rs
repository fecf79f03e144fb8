//! The managed resource types, one module each, and small helpers they share (filters,
//! chunking ids for batched Describe* calls, aligning batched results with the request, the
//! create -> wait -> read-back and delete -> wait-until-gone steps). A helper here knows no
//! resource type; each module keeps only what is specific to its type.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::Filter;
use cairn_provider::Value;

use crate::ctx::{AwsError, Ctx, call, is_not_found, wait_until};
use crate::resource::AwsResource;
use crate::values::{get_str, with_attr};

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

/// Objects keyed by their id (`id_of`); objects without one are dropped.
pub(crate) fn keyed<T>(items: Vec<T>, id_of: impl Fn(&T) -> Option<&str>) -> HashMap<String, T> {
    items
        .into_iter()
        .filter_map(|x| Some((id_of(&x)?.to_string(), x)))
        .collect()
}

/// The object `id` from a by-id `describe` (one request), or `None` when it is absent or EC2
/// answers that it does not exist.
pub(crate) async fn describe_one<T, Fut>(
    id: &str,
    describe: impl FnOnce(Vec<String>) -> Fut,
) -> Result<Option<T>, AwsError>
where
    Fut: Future<Output = Result<HashMap<String, T>, AwsError>>,
{
    match describe(vec![id.to_string()]).await {
        Ok(mut m) => Ok(m.remove(id)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The id of a newly created object from the Create* response `what`: an error when the
/// response names none (`noun` says what was expected).
pub(crate) fn created_id(what: &str, id: Option<&str>, noun: &str) -> Result<String, AwsError> {
    id.map(str::to_string)
        .ok_or_else(|| AwsError::new(what, "", format!("the response named no {noun}")))
}

/// The rest of a create once the object `id` exists: `finish` gets the planned value with the
/// new id; when it fails, the object is deleted again (it exists but is not what was planned,
/// so nothing is left behind) and the error returned.
pub(crate) async fn finish_create<R, F, Fut>(
    res: &R,
    ctx: &Ctx,
    planned: &Value,
    id: &str,
    finish: F,
) -> Result<Value, AwsError>
where
    R: AwsResource + ?Sized,
    F: FnOnce(Value) -> Fut,
    Fut: Future<Output = Result<Value, AwsError>>,
{
    let made = with_attr(planned, "id", Value::string(id));
    match finish(made.clone()).await {
        Ok(v) => Ok(v),
        Err(e) => {
            let _ = res.delete(ctx, &made).await;
            Err(e)
        }
    }
}

/// How a type names a missing object, for [`read_back`].
pub(crate) struct Missing {
    /// The Describe* operation.
    pub what: &'static str,
    /// EC2's NotFound code for the type.
    pub code: &'static str,
    /// What the object is called in messages ("the VPC").
    pub noun: &'static str,
}

/// Reads one object back right after a change (through the type's `read_many`): an error when
/// it is not there.
pub(crate) async fn read_back<R: AwsResource + ?Sized>(
    res: &R,
    ctx: &Ctx,
    current: &Value,
    missing: &Missing,
) -> Result<Value, AwsError> {
    res.read_many(ctx, std::slice::from_ref(current))
        .await?
        .pop()
        .flatten()
        .ok_or_else(|| {
            AwsError::new(
                missing.what,
                missing.code,
                format!("{} vanished right after being changed", missing.noun),
            )
        })
}

/// Polls `look` (the object, `None` while it is not visible) until `ready` accepts it, and
/// returns it; `ready` may fail the wait (a terminal failure state). For at most `timeout`;
/// `what` names the awaited state in the timeout error.
pub(crate) async fn wait_ready<T, F, Fut>(
    what: &str,
    timeout: std::time::Duration,
    look: F,
    ready: impl Fn(&T) -> Result<bool, AwsError>,
) -> Result<T, AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    wait_until(what, timeout, || async {
        match look().await? {
            Some(x) if ready(&x)? => Ok(Some(x)),
            _ => Ok(None),
        }
    })
    .await
}

/// Polls `look` until the object is gone: absent, or in a state `gone` accepts (a deleted
/// object EC2 still lists for a while).
pub(crate) async fn wait_gone<T, F, Fut>(
    what: &str,
    timeout: std::time::Duration,
    look: F,
    gone: impl Fn(&T) -> bool,
) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    wait_until(what, timeout, || async {
        Ok(look().await?.is_none_or(|x| gone(&x)).then_some(()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::Duration;

    use super::*;

    #[test]
    fn keyed_drops_objects_without_id() {
        let m = keyed(vec![("a", 1), ("", 2), ("b", 3)], |x| {
            (!x.0.is_empty()).then_some(x.0)
        });
        assert_eq!(m.len(), 2);
        assert_eq!(m["a"], ("a", 1));
        assert_eq!(m["b"], ("b", 3));
    }

    #[test]
    fn created_id_names_what_is_missing() {
        assert_eq!(
            created_id("CreateVpc", Some("vpc-1"), "VPC").unwrap(),
            "vpc-1"
        );
        let e = created_id("CreateVpc", None, "VPC").unwrap_err();
        assert_eq!(e.what, "CreateVpc");
        assert_eq!(e.message, "the response named no VPC");
    }

    #[tokio::test]
    async fn describe_one_treats_not_found_as_absent() {
        let found = describe_one("x", |ids| async move {
            Ok(ids.into_iter().map(|i| (i, 7)).collect())
        })
        .await
        .unwrap();
        assert_eq!(found, Some(7));
        let gone: Option<i32> = describe_one("x", |_| async {
            Err(AwsError::new("DescribeVpcs", "InvalidVpcID.NotFound", "x"))
        })
        .await
        .unwrap();
        assert_eq!(gone, None);
        let other: Result<Option<i32>, _> = describe_one("x", |_| async {
            Err(AwsError::new("DescribeVpcs", "UnauthorizedOperation", "x"))
        })
        .await;
        assert_eq!(other.unwrap_err().code, "UnauthorizedOperation");
    }

    #[tokio::test(start_paused = true)]
    async fn wait_ready_polls_until_ready_and_stops_on_failure() {
        let polls = Cell::new(0);
        let look = || {
            polls.set(polls.get() + 1);
            let n = polls.get();
            async move { Ok(if n < 2 { None } else { Some(n) }) }
        };
        let n = wait_ready("ready", Duration::from_secs(60), look, |n| Ok(*n >= 4))
            .await
            .unwrap();
        assert_eq!(n, 4);
        let failed = wait_ready("ready", Duration::from_secs(60), look, |_| {
            Err::<bool, _>(AwsError::new("CreateNatGateway", "Failed", "x"))
        })
        .await;
        assert_eq!(failed.unwrap_err().code, "Failed");
    }

    #[tokio::test(start_paused = true)]
    async fn wait_gone_accepts_absent_or_gone_state() {
        let polls = Cell::new(0);
        let look = || {
            polls.set(polls.get() + 1);
            let n = polls.get();
            async move { Ok(Some(n)) }
        };
        wait_gone("deleted", Duration::from_secs(60), look, |n| *n == 3)
            .await
            .unwrap();
        assert_eq!(polls.get(), 3);
        let absent = || async { Ok(None::<i32>) };
        wait_gone("deleted", Duration::from_secs(60), absent, |_| false)
            .await
            .unwrap();
        let never = || async { Ok(Some(1)) };
        let e = wait_gone("deleted", Duration::from_secs(5), never, |_| false)
            .await
            .unwrap_err();
        assert_eq!(e.code, "Timeout");
    }
}
