//! `aws_volume_attachment`: AttachVolume (waiting until `attached`) / DetachVolume (waiting
//! until detached), with Terraform's attributes and id (`vai-<crc32 of "device-instance-volume-">`).
//! Every argument replaces the attachment. Import id: `DEVICE_NAME:VOLUME_ID:INSTANCE_ID`.
//! Refresh is batched: one DescribeVolumes for the volumes of all attachments.
//!
//! Owns this resource only; it has no tags.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Volume, VolumeAttachmentState};
use cairn_provider::{Attribute, ResourceSchema, Schema, Type, Value};

use crate::ctx::{AwsError, Ctx, call, is_not_found, retry_on, wait_until};
use crate::resource::AwsResource;
use crate::values::{attr, get_bool, get_str, obj};

pub(crate) struct VolumeAttachment;

const TIMEOUT: Duration = Duration::from_secs(300);

fn schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("device_name", Attribute::required(Type::String).force_new())
        .attr("instance_id", Attribute::required(Type::String).force_new())
        .attr("volume_id", Attribute::required(Type::String).force_new())
        .attr("force_detach", Attribute::optional(Type::Bool))
        .attr("skip_destroy", Attribute::optional(Type::Bool))
        .attr(
            "stop_instance_before_detaching",
            Attribute::optional(Type::Bool),
        )
}

/// CRC-32 (IEEE), as Go's `hash/crc32.ChecksumIEEE`.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Terraform's id for an attachment.
pub(crate) fn attachment_id(device: &str, instance: &str, volume: &str) -> String {
    format!(
        "vai-{}",
        crc32(format!("{device}-{instance}-{volume}-").as_bytes())
    )
}

fn attachment_state(v: &Volume, instance: &str, device: &str) -> Option<VolumeAttachmentState> {
    v.attachments()
        .iter()
        .find(|a| a.instance_id() == Some(instance) && a.device() == Some(device))
        .and_then(|a| a.state().cloned())
}

fn to_value(prior: Option<&Value>, device: &str, instance: &str, volume: &str) -> Value {
    let keep = |k: &str| {
        prior
            .map(|p| super::instance::known_or_null(&attr(p, k)))
            .unwrap_or(Value::Null)
    };
    obj(vec![
        ("id", Value::string(attachment_id(device, instance, volume))),
        ("device_name", Value::string(device)),
        ("instance_id", Value::string(instance)),
        ("volume_id", Value::string(volume)),
        ("force_detach", keep("force_detach")),
        ("skip_destroy", keep("skip_destroy")),
        (
            "stop_instance_before_detaching",
            keep("stop_instance_before_detaching"),
        ),
    ])
}

fn parts(v: &Value) -> (String, String, String) {
    (
        get_str(v, "device_name").unwrap_or_default().to_string(),
        get_str(v, "instance_id").unwrap_or_default().to_string(),
        get_str(v, "volume_id").unwrap_or_default().to_string(),
    )
}

async fn wait_for(
    ctx: &Ctx,
    volume: &str,
    instance: &str,
    device: &str,
    attached: bool,
) -> Result<(), AwsError> {
    let what = if attached {
        "volume attached"
    } else {
        "volume detached"
    };
    wait_until(what, TIMEOUT, || async {
        let v = super::ebs_volume::describe_one(ctx, volume).await?;
        let state = v
            .as_ref()
            .and_then(|v| attachment_state(v, instance, device));
        Ok(match (attached, state) {
            (true, Some(VolumeAttachmentState::Attached)) => Some(()),
            (true, None) if v.is_none() => {
                return Err(AwsError::new(
                    "AttachVolume",
                    "InvalidVolume.NotFound",
                    volume,
                ));
            }
            (false, None | Some(VolumeAttachmentState::Detached)) => Some(()),
            _ => None,
        })
    })
    .await
}

#[async_trait]
impl AwsResource for VolumeAttachment {
    fn type_name(&self) -> &'static str {
        "aws_volume_attachment"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(schema(), true)
    }

    fn taggable(&self) -> bool {
        false
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let (device, instance, volume) = parts(planned);
        let existing = super::ebs_volume::describe_one(ctx, &volume).await?;
        let already = existing
            .as_ref()
            .and_then(|v| attachment_state(v, &instance, &device))
            == Some(VolumeAttachmentState::Attached);
        if !already {
            retry_on(
                &[
                    "IncorrectState",
                    "InvalidVolume.ZoneMismatch",
                    "IncorrectInstanceState",
                ],
                Duration::from_secs(120),
                || async {
                    call(ctx, "AttachVolume", || {
                        ctx.ec2
                            .attach_volume()
                            .device(&device)
                            .instance_id(&instance)
                            .volume_id(&volume)
                            .send()
                    })
                    .await
                },
            )
            .await?;
        }
        wait_for(ctx, &volume, &instance, &device, true).await?;
        Ok(to_value(Some(planned), &device, &instance, &volume))
    }

    async fn update(&self, _ctx: &Ctx, _prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        // Only the local flags (force_detach, skip_destroy, ...) change in place.
        let (device, instance, volume) = parts(planned);
        Ok(to_value(Some(planned), &device, &instance, &volume))
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        if get_bool(prior, "skip_destroy") == Some(true) {
            return Ok(());
        }
        let (device, instance, volume) = parts(prior);
        if get_bool(prior, "stop_instance_before_detaching") == Some(true) {
            call(ctx, "StopInstances", || {
                ctx.ec2.stop_instances().instance_ids(&instance).send()
            })
            .await?;
        }
        let force = get_bool(prior, "force_detach");
        match call(ctx, "DetachVolume", || {
            ctx.ec2
                .detach_volume()
                .device(&device)
                .instance_id(&instance)
                .volume_id(&volume)
                .set_force(force)
                .send()
        })
        .await
        {
            Ok(_) => {}
            Err(e) if is_not_found(&e) || e.code == "IncorrectState" => return Ok(()),
            Err(e) => return Err(e),
        }
        wait_for(ctx, &volume, &instance, &device, false).await
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let vols = super::attrs_of(current, "volume_id");
        let found = super::ebs_volume::describe(ctx, &vols).await?;
        Ok(current
            .iter()
            .map(|c| {
                let (device, instance, volume) = parts(c);
                let v = found.get(&volume)?;
                match attachment_state(v, &instance, &device) {
                    Some(VolumeAttachmentState::Attached | VolumeAttachmentState::Attaching) => {
                        Some(to_value(Some(c), &device, &instance, &volume))
                    }
                    _ => None,
                }
            })
            .collect())
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let mut it = id.splitn(3, ':');
        let (Some(device), Some(volume), Some(instance)) = (it.next(), it.next(), it.next()) else {
            return Err(AwsError::new(
                "ImportVolumeAttachment",
                "InvalidImportId",
                format!(
                    "wrong format of import ID ({id}), use: 'DEVICE_NAME:VOLUME_ID:INSTANCE_ID'"
                ),
            ));
        };
        let Some(v) = super::ebs_volume::describe_one(ctx, volume).await? else {
            return Ok(None);
        };
        if attachment_state(&v, instance, device) != Some(VolumeAttachmentState::Attached) {
            return Ok(None);
        }
        Ok(Some(to_value(None, device, instance, volume)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_ieee_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn id_is_terraforms_hash_of_device_instance_volume() {
        // Python's zlib.crc32(b"/dev/sdh-i-1234-vol-5678-") == 3366800350.
        let id = attachment_id("/dev/sdh", "i-1234", "vol-5678");
        assert_eq!(id, "vai-3366800350");
        assert_ne!(id, attachment_id("/dev/sdi", "i-1234", "vol-5678"));
    }
}
