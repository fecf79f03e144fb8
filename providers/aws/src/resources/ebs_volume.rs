//! `aws_ebs_volume`: CreateVolume (waiting until `available`) / ModifyVolume (size, type, iops,
//! throughput in place) / DeleteVolume (waiting until it is gone), with Terraform's attributes.
//! `final_snapshot` takes a snapshot before deleting. Refresh is batched: one DescribeVolumes
//! filtered by volume id for all volumes.
//!
//! Owns this resource only.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, Volume, VolumeState, VolumeType};
use cairn_provider::{Attribute, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call, wait_until};
use crate::resource::AwsResource;
use crate::resources::{align, created_id, ids_of, keyed, wait_gone, wait_ready};
use crate::tags;
use crate::values::{attr, get_bool, get_i64, get_str, n, obj, s, s_or_empty};

pub(crate) struct EbsVolume;

const TIMEOUT: Duration = Duration::from_secs(300);

fn schema() -> Schema {
    let oc = Attribute::optional_computed;
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "availability_zone",
            Attribute::required(Type::String).force_new(),
        )
        .attr("encrypted", oc(Type::Bool).force_new())
        .attr("final_snapshot", Attribute::optional(Type::Bool))
        .attr("iops", oc(Type::Number))
        .attr("kms_key_id", oc(Type::String).force_new())
        .attr(
            "multi_attach_enabled",
            Attribute::optional(Type::Bool).force_new(),
        )
        .attr("outpost_arn", Attribute::optional(Type::String).force_new())
        .attr("size", oc(Type::Number))
        .attr("snapshot_id", oc(Type::String).force_new())
        .attr("throughput", oc(Type::Number))
        .attr("type", oc(Type::String))
        .attr("create_time", Attribute::computed(Type::String))
}

fn to_value(ctx: &Ctx, prior: Option<&Value>, v: &Volume, arn: Value) -> Value {
    let (tags, tags_all) = tags::read(ctx, prior, &tags::from_sdk(v.tags()));
    let keep = |k: &str| {
        prior
            .map(|p| super::instance::known_or_null(&attr(p, k)))
            .unwrap_or(Value::Null)
    };
    obj(vec![
        ("id", s(v.volume_id())),
        ("arn", arn),
        ("availability_zone", s(v.availability_zone())),
        ("encrypted", Value::Bool(v.encrypted().unwrap_or(false))),
        ("final_snapshot", keep("final_snapshot")),
        ("iops", n(v.iops().map(i64::from))),
        ("kms_key_id", s_or_empty(v.kms_key_id())),
        (
            "multi_attach_enabled",
            match v.multi_attach_enabled() {
                Some(true) => Value::Bool(true),
                _ => keep("multi_attach_enabled"),
            },
        ),
        ("outpost_arn", s(v.outpost_arn())),
        ("size", n(v.size().map(i64::from))),
        ("snapshot_id", s_or_empty(v.snapshot_id())),
        ("throughput", n(v.throughput().map(i64::from))),
        ("type", s(v.volume_type().map(|t| t.as_str()))),
        (
            "create_time",
            s_or_empty(
                v.create_time()
                    .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                    .as_deref(),
            ),
        ),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

/// Every volume with one of these ids (paginated; ids that are gone are absent).
pub(crate) async fn describe(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, Volume>, AwsError> {
    let found = super::describe_by(
        ctx,
        "DescribeVolumes",
        "volume-id",
        ids,
        |f, token| {
            ctx.ec2
                .describe_volumes()
                .filters(f)
                .set_next_token(token)
                .send()
        },
        |r| r.volumes().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(found, |v| v.volume_id()))
}

pub(crate) async fn describe_one(ctx: &Ctx, id: &str) -> Result<Option<Volume>, AwsError> {
    super::describe_one(id, |ids| async move { describe(ctx, &ids).await }).await
}

fn arn(ctx: &Ctx, account: &str, id: &str) -> Value {
    Value::string(ctx.arn(account, "volume", id))
}

#[async_trait]
impl AwsResource for EbsVolume {
    fn type_name(&self) -> &'static str {
        "aws_ebs_volume"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(schema(), true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("final_snapshot", Value::Bool(false)),
            ("multi_attach_enabled", Value::Bool(false)),
        ]
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let req = ctx
            .ec2
            .create_volume()
            .set_availability_zone(get_str(planned, "availability_zone").map(str::to_string))
            .set_encrypted(get_bool(planned, "encrypted"))
            .set_iops(get_i64(planned, "iops").map(|x| x as i32))
            .set_kms_key_id(get_str(planned, "kms_key_id").map(str::to_string))
            .set_multi_attach_enabled(get_bool(planned, "multi_attach_enabled").filter(|x| *x))
            .set_outpost_arn(get_str(planned, "outpost_arn").map(str::to_string))
            .set_size(get_i64(planned, "size").map(|x| x as i32))
            .set_snapshot_id(get_str(planned, "snapshot_id").map(str::to_string))
            .set_throughput(get_i64(planned, "throughput").map(|x| x as i32))
            .set_volume_type(get_str(planned, "type").map(VolumeType::from))
            .set_tag_specifications(tags::tag_specifications(planned, ResourceType::Volume));
        let out = call(ctx, "CreateVolume", || req.clone().send()).await?;
        let id = created_id("CreateVolume", out.volume_id(), "volume id")?;
        let v = wait_ready(
            "volume available",
            TIMEOUT,
            || describe_one(ctx, &id),
            |v| Ok(v.state() == Some(&VolumeState::Available)),
        )
        .await?;
        let account = super::instance::account_id(ctx).await?;
        Ok(to_value(ctx, Some(planned), &v, arn(ctx, &account, &id)))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default().to_string();
        let ch = |k: &str| prior.get_attr(k) != planned.get_attr(k) && !attr(planned, k).is_null();
        if ch("size") || ch("type") || ch("iops") || ch("throughput") {
            let mut r = ctx.ec2.modify_volume().volume_id(&id);
            if ch("size") {
                r = r.set_size(get_i64(planned, "size").map(|x| x as i32));
            }
            if ch("type") {
                r = r.set_volume_type(get_str(planned, "type").map(VolumeType::from));
            }
            if ch("iops") {
                r = r.set_iops(get_i64(planned, "iops").map(|x| x as i32));
            }
            if ch("throughput") {
                r = r.set_throughput(get_i64(planned, "throughput").map(|x| x as i32));
            }
            call(ctx, "ModifyVolume", || r.clone().send()).await?;
        }
        let v = wait_until("volume modified", TIMEOUT, || async {
            let v = describe_one(ctx, &id).await?.ok_or_else(|| {
                AwsError::new("DescribeVolumes", "InvalidVolume.NotFound", id.clone())
            })?;
            let done = (!ch("size") || v.size().map(i64::from) == get_i64(planned, "size"))
                && (!ch("type") || v.volume_type().map(|t| t.as_str()) == get_str(planned, "type"));
            Ok(done.then_some(v))
        })
        .await?;
        Ok(to_value(ctx, Some(planned), &v, attr(prior, "arn")))
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        if get_bool(prior, "final_snapshot") == Some(true) {
            let specs = tags::tag_specifications(prior, ResourceType::Snapshot);
            call(ctx, "CreateSnapshot", || {
                ctx.ec2
                    .create_snapshot()
                    .volume_id(id)
                    .set_tag_specifications(specs.clone())
                    .send()
            })
            .await?;
        }
        call(ctx, "DeleteVolume", || {
            ctx.ec2.delete_volume().volume_id(id).send()
        })
        .await?;
        wait_gone(
            "volume deleted",
            TIMEOUT,
            || describe_one(ctx, id),
            |v| v.state() == Some(&VolumeState::Deleted),
        )
        .await
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let mut found = describe(ctx, &ids_of(current)).await?;
        found.retain(|_, v| v.state() != Some(&VolumeState::Deleted));
        Ok(align(current, &found, |c, v| {
            to_value(ctx, Some(c), v, attr(c, "arn"))
        }))
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let Some(v) = describe_one(ctx, id).await? else {
            return Ok(None);
        };
        let account = super::instance::account_id(ctx).await?;
        let mut val = to_value(ctx, None, &v, arn(ctx, &account, id));
        if let Value::Object(m) = &mut val {
            m.insert("final_snapshot".into(), Value::Bool(false));
            if let Some(x) = m.get_mut("multi_attach_enabled")
                && x.is_null()
            {
                *x = Value::Bool(false)
            }
        }
        Ok(Some(val))
    }
}
