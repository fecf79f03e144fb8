//! `aws_instance`: one EC2 instance, with Terraform's attribute names and replacement rules.
//! Updatable in place: `instance_type`, `user_data` (stop, modify, start, as Terraform does),
//! `vpc_security_group_ids`, `source_dest_check`, `disable_api_termination`, `disable_api_stop`,
//! `instance_initiated_shutdown_behavior`, `monitoring`, `iam_instance_profile`,
//! `metadata_options`, `credit_specification` and the root volume's size/type/iops/throughput;
//! everything else that the API fixes at launch replaces the instance.
//! Refresh is batched: one DescribeInstances (filtered by instance id, 200 per call, paginated)
//! for all instances, plus one DescribeVolumes for the root volumes that are configured.
//!
//! Owns this resource only; tags are planned and synced by `lib.rs`/`tags.rs`.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, BlockDeviceMapping, CreditSpecificationRequest,
    EbsBlockDevice, HibernationOptionsRequest, HttpTokensState, IamInstanceProfileSpecification,
    Instance as Ec2Instance, InstanceCreditSpecificationRequest, InstanceMetadataEndpointState,
    InstanceMetadataOptionsRequest, InstanceMetadataTagsState,
    InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType,
    LaunchTemplateSpecification, Placement, ResourceType, RunInstancesMonitoringEnabled,
    SecureBlobAttributeValue, ShutdownBehavior, Tenancy, Volume, VolumeType,
};
use cairn_provider::{
    Attribute, BlockNesting, NestedBlock, PlanResponse, ResourceSchema, Schema, Type, Value,
};

use crate::ctx::{AwsError, Ctx, call};
use crate::resource::AwsResource;
use crate::resources::{filter, ids_of, wait_gone, wait_ready};
use crate::tags;
use crate::values::{
    attr, b, get_bool, get_i64, get_list, get_str, get_strings, n, obj, s, s_or_empty, string_set,
    with_attr,
};

pub(crate) struct Instance;

const WAIT: Duration = Duration::from_secs(600);

fn s_opt(name: &str) -> (String, Attribute) {
    (name.to_string(), Attribute::optional_computed(Type::String))
}

/// A nested block, never force-new as a whole: the blocks whose changes replace the instance
/// are compared by hand (`FORCE_NEW_BLOCKS`).
fn block(nesting: BlockNesting, schema: Schema, max: Option<usize>) -> NestedBlock {
    NestedBlock {
        nesting,
        block: schema,
        min_items: 0,
        max_items: max,
        force_new: false,
    }
}

/// `ebs_block_device`: every attribute is fixed at launch (the block forces replacement).
fn ebs_block_schema() -> Schema {
    Schema::new()
        .attr("delete_on_termination", Attribute::optional(Type::Bool))
        .attr("device_name", Attribute::required(Type::String))
        .attr("encrypted", Attribute::optional_computed(Type::Bool))
        .attr("iops", Attribute::optional_computed(Type::Number))
        .attr("kms_key_id", Attribute::optional_computed(Type::String))
        .attr("snapshot_id", Attribute::optional_computed(Type::String))
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .attr("throughput", Attribute::optional_computed(Type::Number))
        .attr("volume_id", Attribute::computed(Type::String))
        .attr("volume_size", Attribute::optional_computed(Type::Number))
        .attr("volume_type", Attribute::optional_computed(Type::String))
}

/// The computed attributes of an `ebs_block_device` block.
const EBS_COMPUTED: &[&str] = &[
    "encrypted",
    "iops",
    "kms_key_id",
    "snapshot_id",
    "tags_all",
    "throughput",
    "volume_id",
    "volume_size",
    "volume_type",
];

fn root_block_schema() -> Schema {
    Schema::new()
        .attr(
            "delete_on_termination",
            Attribute::optional_computed(Type::Bool),
        )
        .attr("device_name", Attribute::computed(Type::String))
        .attr(
            "encrypted",
            Attribute::optional_computed(Type::Bool).force_new(),
        )
        .attr("iops", Attribute::optional_computed(Type::Number))
        .attr(
            "kms_key_id",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("throughput", Attribute::optional_computed(Type::Number))
        .attr("volume_id", Attribute::computed(Type::String))
        .attr("volume_size", Attribute::optional_computed(Type::Number))
        .attr("volume_type", Attribute::optional_computed(Type::String))
}

fn metadata_schema() -> Schema {
    Schema::new()
        .attr("http_endpoint", Attribute::optional_computed(Type::String))
        .attr(
            "http_put_response_hop_limit",
            Attribute::optional_computed(Type::Number),
        )
        .attr(
            "http_protocol_ipv6",
            Attribute::optional_computed(Type::String),
        )
        .attr("http_tokens", Attribute::optional_computed(Type::String))
        .attr(
            "instance_metadata_tags",
            Attribute::optional_computed(Type::String),
        )
}

/// Nested attributes that are computed inside the blocks we plan ourselves.
const ROOT_COMPUTED: &[&str] = &[
    "delete_on_termination",
    "device_name",
    "encrypted",
    "iops",
    "kms_key_id",
    "throughput",
    "volume_id",
    "volume_size",
    "volume_type",
];
const METADATA_COMPUTED: &[&str] = &[
    "http_endpoint",
    "http_put_response_hop_limit",
    "http_protocol_ipv6",
    "http_tokens",
    "instance_metadata_tags",
];

pub(crate) fn schema() -> Schema {
    let mut sc = Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "ami",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("instance_type", Attribute::optional_computed(Type::String))
        .attr(
            "availability_zone",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "subnet_id",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "vpc_security_group_ids",
            Attribute::optional_computed(Type::set(Type::String)),
        )
        .attr(
            "security_groups",
            Attribute::optional_computed(Type::set(Type::String)).force_new(),
        )
        .attr(
            "key_name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "associate_public_ip_address",
            Attribute::optional_computed(Type::Bool).force_new(),
        )
        .attr(
            "private_ip",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("public_ip", Attribute::computed(Type::String))
        .attr("public_dns", Attribute::computed(Type::String))
        .attr("private_dns", Attribute::computed(Type::String))
        .attr("instance_state", Attribute::computed(Type::String))
        .attr(
            "primary_network_interface_id",
            Attribute::computed(Type::String),
        )
        .attr("outpost_arn", Attribute::computed(Type::String))
        .attr("user_data", Attribute::optional_computed(Type::String))
        .attr(
            "user_data_base64",
            Attribute::optional_computed(Type::String),
        )
        .attr(
            "user_data_replace_on_change",
            Attribute::optional(Type::Bool),
        )
        .attr(
            "iam_instance_profile",
            Attribute::optional_computed(Type::String),
        )
        .attr("monitoring", Attribute::optional_computed(Type::Bool))
        .attr(
            "disable_api_termination",
            Attribute::optional_computed(Type::Bool),
        )
        .attr("disable_api_stop", Attribute::optional_computed(Type::Bool))
        .attr(
            "ebs_optimized",
            Attribute::optional_computed(Type::Bool).force_new(),
        )
        .attr("source_dest_check", Attribute::optional(Type::Bool))
        .attr(
            "tenancy",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "placement_group",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("hibernation", Attribute::optional(Type::Bool).force_new())
        .attr("volume_tags", Attribute::optional(Type::map(Type::String)))
        .attr("get_password_data", Attribute::optional(Type::Bool))
        .attr("password_data", Attribute::computed(Type::String))
        .block(
            "root_block_device",
            block(BlockNesting::List, root_block_schema(), Some(1)),
        )
        .block(
            "metadata_options",
            block(BlockNesting::List, metadata_schema(), Some(1)),
        )
        .block(
            "credit_specification",
            block(
                BlockNesting::List,
                Schema::new().attr("cpu_credits", Attribute::optional(Type::String)),
                Some(1),
            ),
        )
        .attr(
            "cpu_core_count",
            Attribute::optional_computed(Type::Number).force_new(),
        )
        .attr(
            "cpu_threads_per_core",
            Attribute::optional_computed(Type::Number).force_new(),
        )
        .block(
            "cpu_options",
            block(
                BlockNesting::List,
                Schema::new()
                    .attr("amd_sev_snp", Attribute::optional_computed(Type::String))
                    .attr("core_count", Attribute::optional_computed(Type::Number))
                    .attr(
                        "threads_per_core",
                        Attribute::optional_computed(Type::Number),
                    ),
                Some(1),
            ),
        )
        .block(
            "ebs_block_device",
            block(BlockNesting::Set, ebs_block_schema(), None),
        )
        .block(
            "network_interface",
            block(
                BlockNesting::Set,
                Schema::new()
                    .attr("delete_on_termination", Attribute::optional(Type::Bool))
                    .attr("device_index", Attribute::required(Type::Number))
                    .attr(
                        "network_card_index",
                        Attribute::optional_computed(Type::Number),
                    )
                    .attr("network_interface_id", Attribute::required(Type::String)),
                None,
            ),
        )
        .block(
            "launch_template",
            NestedBlock {
                force_new: true,
                ..block(
                    BlockNesting::List,
                    Schema::new()
                        .attr("id", Attribute::optional_computed(Type::String))
                        .attr("name", Attribute::optional_computed(Type::String))
                        .attr("version", Attribute::optional(Type::String)),
                    Some(1),
                )
            },
        );
    let (k, a) = s_opt("instance_initiated_shutdown_behavior");
    sc = sc.attr(&k, a);
    sc
}

/// Blocks fixed at launch: a change replaces the instance (`adjust_plan` decides, as their
/// computed attributes must be filled in from the object before comparing).
const FORCE_NEW_BLOCKS: &[&str] = &["cpu_options", "ebs_block_device", "network_interface"];

/// The planned nested blocks with their computed attributes filled from `base`.
fn fill_blocks(planned: &Value, base: Option<&Value>) -> Value {
    let planned = plan_nested(planned, base, "root_block_device", ROOT_COMPUTED);
    let planned = plan_keyed(
        &planned,
        base,
        "ebs_block_device",
        "device_name",
        EBS_COMPUTED,
        &[("delete_on_termination", true)],
    );
    let planned = plan_keyed(
        &planned,
        base,
        "network_interface",
        "network_interface_id",
        &["network_card_index"],
        &[("delete_on_termination", false)],
    );
    let planned = plan_nested(
        &planned,
        base,
        "cpu_options",
        &["amd_sev_snp", "core_count", "threads_per_core"],
    );
    plan_nested(&planned, base, "metadata_options", METADATA_COMPUTED)
}

/// Two block values with the same items, in any order (a set read back as a list is the same).
fn same_items(a: Option<&Value>, b: Option<&Value>) -> bool {
    let items =
        |v: Option<&Value>| Value::set(v.and_then(Value::as_seq).unwrap_or_default().to_vec());
    items(a) == items(b)
}

/// [`plan_nested`] for a set block whose items are matched with the prior's by `key`.
fn plan_keyed(
    planned: &Value,
    prior: Option<&Value>,
    name: &str,
    key: &str,
    computed: &[&str],
    defaults: &[(&str, bool)],
) -> Value {
    let prior_items = prior
        .and_then(|p| p.get_attr(name))
        .and_then(Value::as_seq)
        .unwrap_or_default();
    let items = planned
        .get_attr(name)
        .and_then(Value::as_seq)
        .unwrap_or_default();
    let mut out = planned.as_map().cloned().unwrap_or_default();
    if items.is_empty() {
        if prior_items.is_empty() {
            return planned.clone();
        }
        out.insert(name.to_string(), Value::set(prior_items.to_vec()));
        return Value::Object(out);
    }
    let new: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut m = item.as_map().cloned().unwrap_or_default();
            for (k, d) in defaults {
                if m.get(*k).is_none_or(Value::is_null) {
                    m.insert(k.to_string(), Value::Bool(*d));
                }
            }
            let before = prior_items
                .iter()
                .find(|p| p.get_attr(key).is_some() && p.get_attr(key) == item.get_attr(key));
            for c in computed {
                if m.get(*c).is_none_or(Value::is_null) {
                    let from_prior = match before {
                        Some(p) => p.get_attr(c).cloned().unwrap_or(Value::Null),
                        None => Value::Unknown,
                    };
                    m.insert(c.to_string(), from_prior);
                }
            }
            Value::Object(m)
        })
        .collect();
    out.insert(name.to_string(), Value::set(new));
    Value::Object(out)
}

/// Fills the computed attributes of a planned nested block from the prior block (or unknown).
pub(crate) fn plan_nested(
    planned: &Value,
    prior: Option<&Value>,
    name: &str,
    computed: &[&str],
) -> Value {
    let prior_items = prior
        .and_then(|p| p.get_attr(name))
        .and_then(Value::as_seq)
        .unwrap_or_default();
    let items = planned
        .get_attr(name)
        .and_then(Value::as_seq)
        .unwrap_or_default();
    if items.is_empty() {
        // An optional and computed block the configuration leaves out keeps what the object
        // has (Terraform's Optional+Computed blocks), e.g. after an import.
        if prior_items.is_empty() {
            return planned.clone();
        }
        let mut out = planned.as_map().cloned().unwrap_or_default();
        out.insert(name.to_string(), Value::List(prior_items.to_vec()));
        return Value::Object(out);
    }
    let new: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut m = item.as_map().cloned().unwrap_or_default();
            for c in computed {
                if m.get(*c).is_none_or(Value::is_null) {
                    let from_prior = match prior_items.get(i) {
                        Some(p) => p.get_attr(c).cloned().unwrap_or(Value::Null),
                        None => Value::Unknown,
                    };
                    m.insert(c.to_string(), from_prior);
                }
            }
            Value::Object(m)
        })
        .collect();
    let mut out = planned.as_map().cloned().unwrap_or_default();
    out.insert(name.to_string(), Value::List(new));
    Value::Object(out)
}

/// Terraform's `userDataHashSum`: the hex SHA-1 of the user data, base64-decoded first when it
/// is valid base64 (so `user_data` given encoded or plain hashes alike). State stores it in place
/// of the script.
pub(crate) fn user_data_hash(v: &str) -> String {
    use sha1::{Digest, Sha1};
    let bytes = aws_smithy_types::base64::decode(v).unwrap_or_else(|_| v.as_bytes().to_vec());
    Sha1::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn base64(v: &str) -> String {
    aws_smithy_types::base64::encode(v.as_bytes())
}

#[async_trait]
impl AwsResource for Instance {
    fn type_name(&self) -> &'static str {
        "aws_instance"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(schema(), true)
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("source_dest_check", Value::Bool(true)),
            ("user_data_replace_on_change", Value::Bool(false)),
            ("get_password_data", Value::Bool(false)),
        ]
    }

    /// `user_data` compares by hash: a configured script whose hash is the one in state (or
    /// which state still holds as written) is unchanged.
    fn normalize_config(&self, prior: Option<&Value>, config: Value) -> Value {
        let (Some(p), Some(u)) = (prior, get_str(&config, "user_data")) else {
            return config;
        };
        match get_str(p, "user_data") {
            Some(had) if had == u || had == user_data_hash(u) => {
                let had = had.to_string();
                with_attr(&config, "user_data", Value::string(had))
            }
            _ => config,
        }
    }

    /// State keeps the hash of `user_data` (as Terraform's provider does), not the script.
    fn state_value(&self, prior: Option<&Value>, v: Value) -> Value {
        let Some(u) = get_str(&v, "user_data") else {
            return v;
        };
        if prior.and_then(|p| get_str(p, "user_data")) == Some(u) {
            return v;
        }
        let h = user_data_hash(u);
        with_attr(&v, "user_data", Value::string(h))
    }

    fn adjust_plan(&self, prior: Option<&Value>, config: &Value, resp: &mut PlanResponse) {
        // user_data changes replace only when asked to (Terraform's user_data_replace_on_change).
        if let Some(p) = prior
            && resp.requires_replace.is_empty()
            && get_bool(&resp.planned, "user_data_replace_on_change") == Some(true)
        {
            for k in ["user_data", "user_data_base64"] {
                if p.get_attr(k) != resp.planned.get_attr(k) {
                    resp.requires_replace
                        .push(vec![cairn_provider::PathStep::Attr(k.into())]);
                }
            }
            if !resp.requires_replace.is_empty() {
                // A new object: every computed attribute the configuration leaves unset is unknown.
                let mut m = resp.planned.as_map().cloned().unwrap_or_default();
                for (name, a) in &schema().attributes {
                    if a.computed && config.get_attr(name).is_none_or(Value::is_null) {
                        m.insert(name.clone(), Value::Unknown);
                    }
                }
                resp.planned = Value::Object(m);
            }
        }
        let base = if resp.requires_replace.is_empty() {
            prior
        } else {
            None
        };
        let mut planned = fill_blocks(&resp.planned, base);
        // The launch-time blocks force replacement when they differ from the object's, once
        // their computed attributes are filled in (an unset block keeps the object's).
        if let Some(p) = base {
            let changed: Vec<&str> = FORCE_NEW_BLOCKS
                .iter()
                .copied()
                .filter(|b| !same_items(p.get_attr(b), planned.get_attr(b)))
                .collect();
            if !changed.is_empty() {
                for b in changed {
                    resp.requires_replace
                        .push(vec![cairn_provider::PathStep::Attr(b.into())]);
                }
                let mut m = resp.planned.as_map().cloned().unwrap_or_default();
                for (name, a) in &schema().attributes {
                    if a.computed && config.get_attr(name).is_none_or(Value::is_null) {
                        m.insert(name.clone(), Value::Unknown);
                    }
                }
                planned = fill_blocks(&Value::Object(m), None);
            }
        }
        resp.planned = planned;
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let mut req = ctx.ec2.run_instances().min_count(1).max_count(1);
        if let Some(ami) = get_str(planned, "ami") {
            req = req.image_id(ami);
        }
        if let Some(t) = get_str(planned, "instance_type") {
            req = req.instance_type(InstanceType::from(t));
        }
        let sgs = get_strings(planned, "vpc_security_group_ids");
        if let Some(public) = get_bool(planned, "associate_public_ip_address") {
            // A public-address choice is only expressible on the primary network interface.
            let mut ni = InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .associate_public_ip_address(public)
                .set_subnet_id(get_str(planned, "subnet_id").map(str::to_string))
                .set_private_ip_address(get_str(planned, "private_ip").map(str::to_string));
            if !sgs.is_empty() {
                ni = ni.set_groups(Some(sgs.clone()));
            }
            req = req.network_interfaces(ni.build());
        } else {
            req = req
                .set_subnet_id(get_str(planned, "subnet_id").map(str::to_string))
                .set_private_ip_address(get_str(planned, "private_ip").map(str::to_string));
            if !sgs.is_empty() {
                req = req.set_security_group_ids(Some(sgs));
            }
        }
        let names = get_strings(planned, "security_groups");
        if !names.is_empty() {
            req = req.set_security_groups(Some(names));
        }
        req = req.set_key_name(get_str(planned, "key_name").map(str::to_string));
        if let Some(u) = get_str(planned, "user_data") {
            req = req.user_data(base64(u));
        } else if let Some(u) = get_str(planned, "user_data_base64") {
            req = req.user_data(u);
        }
        if let Some(p) = get_str(planned, "iam_instance_profile") {
            let spec = if p.starts_with("arn:") {
                IamInstanceProfileSpecification::builder().arn(p).build()
            } else {
                IamInstanceProfileSpecification::builder().name(p).build()
            };
            req = req.iam_instance_profile(spec);
        }
        if let Some(m) = get_bool(planned, "monitoring") {
            req = req.monitoring(RunInstancesMonitoringEnabled::builder().enabled(m).build());
        }
        if let Some(v) = get_bool(planned, "disable_api_termination") {
            req = req.disable_api_termination(v);
        }
        if let Some(v) = get_bool(planned, "disable_api_stop") {
            req = req.disable_api_stop(v);
        }
        if let Some(v) = get_bool(planned, "ebs_optimized") {
            req = req.ebs_optimized(v);
        }
        if let Some(v) = get_str(planned, "instance_initiated_shutdown_behavior") {
            req = req.instance_initiated_shutdown_behavior(ShutdownBehavior::from(v));
        }
        if let Some(v) = get_bool(planned, "hibernation") {
            req =
                req.hibernation_options(HibernationOptionsRequest::builder().configured(v).build());
        }
        let az = get_str(planned, "availability_zone");
        let tenancy = get_str(planned, "tenancy");
        let group = get_str(planned, "placement_group");
        if az.is_some() || tenancy.is_some() || group.is_some() {
            req = req.placement(
                Placement::builder()
                    .set_availability_zone(az.map(str::to_string))
                    .set_tenancy(tenancy.map(Tenancy::from))
                    .set_group_name(group.map(str::to_string))
                    .build(),
            );
        }
        if let Some(lt) = get_list(planned, "launch_template").first() {
            req = req.launch_template(
                LaunchTemplateSpecification::builder()
                    .set_launch_template_id(get_str(lt, "id").map(str::to_string))
                    .set_launch_template_name(get_str(lt, "name").map(str::to_string))
                    .set_version(get_str(lt, "version").map(str::to_string))
                    .build(),
            );
        }
        if let Some(m) = get_list(planned, "metadata_options").first() {
            req = req.metadata_options(metadata_request(m));
        }
        if let Some(c) = get_list(planned, "credit_specification").first()
            && let Some(cpu) = get_str(c, "cpu_credits")
        {
            req = req.credit_specification(
                CreditSpecificationRequest::builder()
                    .cpu_credits(cpu)
                    .build(),
            );
        }
        if let Some(root) = get_list(planned, "root_block_device").first() {
            let device = root_device_name(ctx, get_str(planned, "ami")).await?;
            let mut ebs = EbsBlockDevice::builder()
                .set_delete_on_termination(get_bool(root, "delete_on_termination"))
                .set_encrypted(get_bool(root, "encrypted"))
                .set_kms_key_id(get_str(root, "kms_key_id").map(str::to_string))
                .set_volume_size(get_i64(root, "volume_size").map(|x| x as i32))
                .set_iops(get_i64(root, "iops").map(|x| x as i32))
                .set_throughput(get_i64(root, "throughput").map(|x| x as i32));
            if let Some(t) = get_str(root, "volume_type") {
                ebs = ebs.volume_type(VolumeType::from(t));
            }
            req = req.block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name(device)
                    .ebs(ebs.build())
                    .build(),
            );
        }
        for d in get_list(planned, "ebs_block_device") {
            let mut ebs = EbsBlockDevice::builder()
                .delete_on_termination(get_bool(d, "delete_on_termination").unwrap_or(true))
                .set_encrypted(get_bool(d, "encrypted"))
                .set_kms_key_id(get_str(d, "kms_key_id").map(str::to_string))
                .set_snapshot_id(get_str(d, "snapshot_id").map(str::to_string))
                .set_volume_size(get_i64(d, "volume_size").map(|x| x as i32))
                .set_iops(get_i64(d, "iops").map(|x| x as i32))
                .set_throughput(get_i64(d, "throughput").map(|x| x as i32));
            if let Some(t) = get_str(d, "volume_type") {
                ebs = ebs.volume_type(VolumeType::from(t));
            }
            req = req.block_device_mappings(
                BlockDeviceMapping::builder()
                    .set_device_name(get_str(d, "device_name").map(str::to_string))
                    .ebs(ebs.build())
                    .build(),
            );
        }
        for ni in get_list(planned, "network_interface") {
            req = req.network_interfaces(
                InstanceNetworkInterfaceSpecification::builder()
                    .set_device_index(get_i64(ni, "device_index").map(|x| x as i32))
                    .set_network_interface_id(
                        get_str(ni, "network_interface_id").map(str::to_string),
                    )
                    .delete_on_termination(get_bool(ni, "delete_on_termination").unwrap_or(false))
                    .set_network_card_index(get_i64(ni, "network_card_index").map(|x| x as i32))
                    .build(),
            );
        }
        let cpu = get_list(planned, "cpu_options");
        let cpu = cpu.first();
        let cores = cpu
            .and_then(|c| get_i64(c, "core_count"))
            .or_else(|| get_i64(planned, "cpu_core_count"));
        let threads = cpu
            .and_then(|c| get_i64(c, "threads_per_core"))
            .or_else(|| get_i64(planned, "cpu_threads_per_core"));
        let sev = cpu.and_then(|c| get_str(c, "amd_sev_snp"));
        if cores.is_some() || threads.is_some() || sev.is_some() {
            req = req.cpu_options(
                aws_sdk_ec2::types::CpuOptionsRequest::builder()
                    .set_core_count(cores.map(|x| x as i32))
                    .set_threads_per_core(threads.map(|x| x as i32))
                    .set_amd_sev_snp(sev.map(aws_sdk_ec2::types::AmdSevSnpSpecification::from))
                    .build(),
            );
        }
        let mut specs =
            tags::tag_specifications(planned, ResourceType::Instance).unwrap_or_default();
        let vt = crate::values::get_map(planned, "volume_tags");
        if !vt.is_empty() {
            specs.push(
                aws_sdk_ec2::types::TagSpecification::builder()
                    .resource_type(ResourceType::Volume)
                    .set_tags(Some(tags::to_sdk(&vt)))
                    .build(),
            );
        }
        if !specs.is_empty() {
            req = req.set_tag_specifications(Some(specs));
        }
        let out = call(ctx, "RunInstances", || req.clone().send()).await?;
        let id = out
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .ok_or_else(|| AwsError::new("RunInstances", "", "no instance in the response"))?
            .to_string();
        let (inst, owner) = wait_state(ctx, &id, &[InstanceStateName::Running]).await?;
        let vols = root_volumes(ctx, std::slice::from_ref(&inst), true).await?;
        Ok(to_value(ctx, Some(planned), &inst, &owner, &vols, true))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default().to_string();
        let changed = |k: &str| prior.get_attr(k) != planned.get_attr(k);
        let modify = || ctx.ec2.modify_instance_attribute().instance_id(&id);

        if changed("iam_instance_profile") {
            set_instance_profile(ctx, &id, get_str(planned, "iam_instance_profile")).await?;
        }
        if changed("source_dest_check")
            && let Some(v) = get_bool(planned, "source_dest_check")
        {
            let r = modify().source_dest_check(AttributeBooleanValue::builder().value(v).build());
            call(ctx, "ModifyInstanceAttribute", || r.clone().send()).await?;
        }
        if changed("vpc_security_group_ids") {
            let groups = get_strings(planned, "vpc_security_group_ids");
            if !groups.is_empty() {
                let r = modify().set_groups(Some(groups));
                call(ctx, "ModifyInstanceAttribute", || r.clone().send()).await?;
            }
        }
        let type_changed = changed("instance_type") && get_str(planned, "instance_type").is_some();
        let user_data_changed = changed("user_data") || changed("user_data_base64");
        if type_changed || user_data_changed {
            // Terraform's provider stops the instance, modifies it and starts it again.
            call(ctx, "StopInstances", || {
                ctx.ec2.stop_instances().instance_ids(&id).send()
            })
            .await?;
            wait_state(ctx, &id, &[InstanceStateName::Stopped]).await?;
            if type_changed && let Some(t) = get_str(planned, "instance_type") {
                let r = modify().instance_type(AttributeValue::builder().value(t).build());
                call(ctx, "ModifyInstanceAttribute", || r.clone().send()).await?;
            }
            if user_data_changed {
                let bytes = if let Some(u) = get_str(planned, "user_data") {
                    u.as_bytes().to_vec()
                } else if let Some(u) = get_str(planned, "user_data_base64") {
                    aws_smithy_types::base64::decode(u).map_err(|e| {
                        AwsError::new("ModifyInstanceAttribute", "InvalidUserData", e.to_string())
                    })?
                } else {
                    Vec::new()
                };
                let r = modify().user_data(
                    SecureBlobAttributeValue::builder()
                        .value(Blob::new(bytes))
                        .build(),
                );
                call(ctx, "ModifyInstanceAttribute", || r.clone().send()).await?;
            }
            call(ctx, "StartInstances", || {
                ctx.ec2.start_instances().instance_ids(&id).send()
            })
            .await?;
            wait_state(ctx, &id, &[InstanceStateName::Running]).await?;
        }
        for (k, f) in [("disable_api_termination", 0), ("disable_api_stop", 1)] {
            if changed(k)
                && let Some(v) = get_bool(planned, k)
            {
                let val = AttributeBooleanValue::builder().value(v).build();
                let r = if f == 0 {
                    modify().disable_api_termination(val)
                } else {
                    modify().disable_api_stop(val)
                };
                call(ctx, "ModifyInstanceAttribute", || r.clone().send()).await?;
            }
        }
        if changed("instance_initiated_shutdown_behavior")
            && let Some(v) = get_str(planned, "instance_initiated_shutdown_behavior")
        {
            let r = modify()
                .instance_initiated_shutdown_behavior(AttributeValue::builder().value(v).build());
            call(ctx, "ModifyInstanceAttribute", || r.clone().send()).await?;
        }
        if changed("monitoring")
            && let Some(m) = get_bool(planned, "monitoring")
        {
            if m {
                call(ctx, "MonitorInstances", || {
                    ctx.ec2.monitor_instances().instance_ids(&id).send()
                })
                .await?;
            } else {
                call(ctx, "UnmonitorInstances", || {
                    ctx.ec2.unmonitor_instances().instance_ids(&id).send()
                })
                .await?;
            }
        }
        if changed("metadata_options")
            && let Some(m) = get_list(planned, "metadata_options").first()
        {
            let o = metadata_request(m);
            let r = ctx
                .ec2
                .modify_instance_metadata_options()
                .instance_id(&id)
                .set_http_endpoint(o.http_endpoint().cloned())
                .set_http_tokens(o.http_tokens().cloned())
                .set_http_put_response_hop_limit(o.http_put_response_hop_limit())
                .set_instance_metadata_tags(o.instance_metadata_tags().cloned());
            call(ctx, "ModifyInstanceMetadataOptions", || r.clone().send()).await?;
        }
        if changed("credit_specification")
            && let Some(c) = get_list(planned, "credit_specification").first()
            && let Some(cpu) = get_str(c, "cpu_credits")
        {
            let spec = InstanceCreditSpecificationRequest::builder()
                .instance_id(&id)
                .cpu_credits(cpu)
                .build();
            call(ctx, "ModifyInstanceCreditSpecification", || {
                ctx.ec2
                    .modify_instance_credit_specification()
                    .instance_credit_specifications(spec.clone())
                    .send()
            })
            .await?;
        }
        if changed("root_block_device") {
            update_root_volume(ctx, prior, planned).await?;
        }
        let (inst, owner) = describe_one(ctx, &id).await?.ok_or_else(|| {
            AwsError::new(
                "DescribeInstances",
                "InvalidInstanceID.NotFound",
                id.clone(),
            )
        })?;
        let vols = root_volumes(ctx, std::slice::from_ref(&inst), true).await?;
        Ok(to_value(ctx, Some(planned), &inst, &owner, &vols, true))
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        if get_bool(prior, "disable_api_termination") == Some(true) {
            let r = ctx
                .ec2
                .modify_instance_attribute()
                .instance_id(id)
                .disable_api_termination(AttributeBooleanValue::builder().value(false).build());
            call(ctx, "ModifyInstanceAttribute", || r.clone().send()).await?;
        }
        call(ctx, "TerminateInstances", || {
            ctx.ec2.terminate_instances().instance_ids(id).send()
        })
        .await?;
        wait_gone(
            "instance terminated",
            WAIT,
            || describe_one(ctx, id),
            |(i, _)| state_of(i) == Some(InstanceStateName::Terminated),
        )
        .await
    }

    async fn read_many(
        &self,
        ctx: &Ctx,
        current: &[Value],
    ) -> Result<Vec<Option<Value>>, AwsError> {
        let ids = ids_of(current);
        let found = describe(ctx, &ids).await?;
        let with_root: Vec<Ec2Instance> = current
            .iter()
            .filter(|c| {
                !get_list(c, "root_block_device").is_empty()
                    || !get_list(c, "ebs_block_device").is_empty()
            })
            .filter_map(|c| found.get(get_str(c, "id")?).map(|(i, _)| i.clone()))
            .collect();
        let vols = root_volumes(ctx, &with_root, false).await?;
        let mut out: Vec<Option<Value>> = current
            .iter()
            .map(|c| {
                let (inst, owner) = found.get(get_str(c, "id")?)?;
                if is_gone(inst) {
                    return None;
                }
                let keep_root = !get_list(c, "root_block_device").is_empty();
                Some(to_value(ctx, Some(c), inst, owner, &vols, keep_root))
            })
            .collect();
        // user_data and the API-protection flags are only in DescribeInstanceAttribute, one call
        // per instance and attribute: they are re-read for the instances that set them.
        for (c, v) in current.iter().zip(out.iter_mut()) {
            let Some(value) = v.as_mut() else { continue };
            let sets = |k: &str| get_str(c, k).is_some() || get_bool(c, k) == Some(true);
            if [
                "user_data",
                "user_data_base64",
                "disable_api_termination",
                "disable_api_stop",
            ]
            .iter()
            .any(|k| sets(k))
                && let Some(id) = get_str(c, "id")
            {
                *value = read_attributes(ctx, id, c, value.clone()).await?;
            }
        }
        Ok(out)
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let Some((inst, owner)) = describe_one(ctx, id).await? else {
            return Ok(None);
        };
        if is_gone(&inst) {
            return Ok(None);
        }
        let vols = root_volumes(ctx, std::slice::from_ref(&inst), true).await?;
        let mut v = to_value(ctx, None, &inst, &owner, &vols, true);
        // Attributes only DescribeInstanceAttribute knows.
        v = read_attributes(ctx, id, &Value::Null, v).await?;
        let mut m = v.as_map().cloned().unwrap_or_default();
        m.insert("user_data_replace_on_change".into(), Value::Bool(false));
        m.insert("get_password_data".into(), Value::Bool(false));
        v = Value::Object(m);
        Ok(Some(v))
    }
}

fn metadata_request(m: &Value) -> InstanceMetadataOptionsRequest {
    InstanceMetadataOptionsRequest::builder()
        .set_http_endpoint(get_str(m, "http_endpoint").map(InstanceMetadataEndpointState::from))
        .set_http_tokens(get_str(m, "http_tokens").map(HttpTokensState::from))
        .set_http_put_response_hop_limit(
            get_i64(m, "http_put_response_hop_limit").map(|x| x as i32),
        )
        .set_instance_metadata_tags(
            get_str(m, "instance_metadata_tags").map(InstanceMetadataTagsState::from),
        )
        .build()
}

/// The root device name of an AMI (`/dev/xvda` when it cannot be looked up).
async fn root_device_name(ctx: &Ctx, ami: Option<&str>) -> Result<String, AwsError> {
    let Some(ami) = ami else {
        return Ok("/dev/xvda".into());
    };
    let out = call(ctx, "DescribeImages", || {
        ctx.ec2.describe_images().image_ids(ami).send()
    })
    .await?;
    Ok(out
        .images()
        .first()
        .and_then(|i| i.root_device_name())
        .unwrap_or("/dev/xvda")
        .to_string())
}

async fn set_instance_profile(ctx: &Ctx, id: &str, profile: Option<&str>) -> Result<(), AwsError> {
    let out = call(ctx, "DescribeIamInstanceProfileAssociations", || {
        ctx.ec2
            .describe_iam_instance_profile_associations()
            .filters(filter("instance-id", &[id.to_string()]))
            .send()
    })
    .await?;
    let existing = out
        .iam_instance_profile_associations()
        .iter()
        .find(|a| {
            a.state()
                .is_some_and(|s| matches!(s.as_str(), "associated" | "associating"))
        })
        .and_then(|a| a.association_id())
        .map(str::to_string);
    let spec = profile.map(|p| {
        if p.starts_with("arn:") {
            IamInstanceProfileSpecification::builder().arn(p).build()
        } else {
            IamInstanceProfileSpecification::builder().name(p).build()
        }
    });
    match (existing, spec) {
        (Some(assoc), Some(spec)) => {
            call(ctx, "ReplaceIamInstanceProfileAssociation", || {
                ctx.ec2
                    .replace_iam_instance_profile_association()
                    .association_id(&assoc)
                    .iam_instance_profile(spec.clone())
                    .send()
            })
            .await?;
        }
        (Some(assoc), None) => {
            call(ctx, "DisassociateIamInstanceProfile", || {
                ctx.ec2
                    .disassociate_iam_instance_profile()
                    .association_id(&assoc)
                    .send()
            })
            .await?;
        }
        (None, Some(spec)) => {
            call(ctx, "AssociateIamInstanceProfile", || {
                ctx.ec2
                    .associate_iam_instance_profile()
                    .instance_id(id)
                    .iam_instance_profile(spec.clone())
                    .send()
            })
            .await?;
        }
        (None, None) => {}
    }
    Ok(())
}

async fn update_root_volume(ctx: &Ctx, prior: &Value, planned: &Value) -> Result<(), AwsError> {
    let (Some(old), Some(new)) = (
        get_list(prior, "root_block_device").first(),
        get_list(planned, "root_block_device").first(),
    ) else {
        return Ok(());
    };
    let Some(vol) = get_str(old, "volume_id") else {
        return Ok(());
    };
    let ch = |k: &str| old.get_attr(k) != new.get_attr(k) && !attr(new, k).is_null();
    if ch("volume_size") || ch("volume_type") || ch("iops") || ch("throughput") {
        let mut r = ctx.ec2.modify_volume().volume_id(vol);
        if ch("volume_size") {
            r = r.set_size(get_i64(new, "volume_size").map(|x| x as i32));
        }
        if ch("volume_type") {
            r = r.set_volume_type(get_str(new, "volume_type").map(VolumeType::from));
        }
        if ch("iops") {
            r = r.set_iops(get_i64(new, "iops").map(|x| x as i32));
        }
        if ch("throughput") {
            r = r.set_throughput(get_i64(new, "throughput").map(|x| x as i32));
        }
        call(ctx, "ModifyVolume", || r.clone().send()).await?;
    }
    if old.get_attr("delete_on_termination") != new.get_attr("delete_on_termination")
        && let Some(d) = get_bool(new, "delete_on_termination")
    {
        let id = get_str(prior, "id").unwrap_or_default();
        let device = get_str(old, "device_name").unwrap_or("/dev/xvda");
        let spec = aws_sdk_ec2::types::InstanceBlockDeviceMappingSpecification::builder()
            .device_name(device)
            .ebs(
                aws_sdk_ec2::types::EbsInstanceBlockDeviceSpecification::builder()
                    .delete_on_termination(d)
                    .build(),
            )
            .build();
        call(ctx, "ModifyInstanceAttribute", || {
            ctx.ec2
                .modify_instance_attribute()
                .instance_id(id)
                .block_device_mappings(spec.clone())
                .send()
        })
        .await?;
    }
    Ok(())
}

fn state_of(i: &Ec2Instance) -> Option<InstanceStateName> {
    i.state().and_then(|s| s.name()).cloned()
}

fn is_gone(i: &Ec2Instance) -> bool {
    matches!(
        state_of(i),
        Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
    )
}

/// Every instance with one of `ids`, keyed by id, with its reservation's owner: one
/// DescribeInstances per 200 ids, following pagination.
pub(crate) async fn describe(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, (Ec2Instance, String)>, AwsError> {
    let reservations = super::describe_by(
        ctx,
        "DescribeInstances",
        "instance-id",
        ids,
        |f, token| {
            ctx.ec2
                .describe_instances()
                .filters(f)
                .set_next_token(token)
                .send()
        },
        |r| r.reservations().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    let mut found = HashMap::new();
    for r in reservations {
        let owner = r.owner_id().unwrap_or_default().to_string();
        for i in r.instances() {
            if let Some(id) = i.instance_id() {
                found.insert(id.to_string(), (i.clone(), owner.clone()));
            }
        }
    }
    Ok(found)
}

async fn describe_one(ctx: &Ctx, id: &str) -> Result<Option<(Ec2Instance, String)>, AwsError> {
    super::describe_one(id, |ids| async move { describe(ctx, &ids).await }).await
}

/// Polls until the instance is in one of `states`.
async fn wait_state(
    ctx: &Ctx,
    id: &str,
    states: &[InstanceStateName],
) -> Result<(Ec2Instance, String), AwsError> {
    let what = format!(
        "instance {id} {}",
        states
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("/")
    );
    // A new instance may not be visible yet (eventual consistency): keep polling.
    wait_ready(
        &what,
        WAIT,
        || describe_one(ctx, id),
        |(i, _)| {
            if state_of(i).is_some_and(|s| states.contains(&s)) {
                Ok(true)
            } else if is_gone(i) && !states.contains(&InstanceStateName::Terminated) {
                Err(AwsError::new(
                    "RunInstances",
                    "InstanceTerminated",
                    format!("instance {id} terminated unexpectedly"),
                ))
            } else {
                Ok(false)
            }
        },
    )
    .await
}

/// The root volumes of `instances`, keyed by volume id (one DescribeVolumes per 200).
/// `value` with `user_data` (hashed) or `user_data_base64`, `disable_api_termination` and
/// `disable_api_stop` as DescribeInstanceAttribute reports them.
async fn read_attributes(
    ctx: &Ctx,
    id: &str,
    prior: &Value,
    value: Value,
) -> Result<Value, AwsError> {
    use aws_sdk_ec2::types::InstanceAttributeName as A;
    let ask = |a: A| async move {
        call(ctx, "DescribeInstanceAttribute", || {
            ctx.ec2
                .describe_instance_attribute()
                .instance_id(id)
                .attribute(a.clone())
                .send()
        })
        .await
    };
    let mut v = value;
    let ud = ask(A::UserData).await?;
    if let Some(data) = ud
        .user_data()
        .and_then(|x| x.value())
        .filter(|d| !d.is_empty())
    {
        v = if get_str(prior, "user_data_base64").is_some() {
            with_attr(&v, "user_data_base64", Value::string(data))
        } else {
            with_attr(&v, "user_data", Value::string(user_data_hash(data)))
        };
    }
    let t = ask(A::DisableApiTermination).await?;
    if let Some(x) = t.disable_api_termination().and_then(|x| x.value()) {
        v = with_attr(&v, "disable_api_termination", Value::Bool(x));
    }
    let st = ask(A::DisableApiStop).await?;
    if let Some(x) = st.disable_api_stop().and_then(|x| x.value()) {
        v = with_attr(&v, "disable_api_stop", Value::Bool(x));
    }
    Ok(v)
}

/// The EBS volumes attached to `instances` (root and others), in one batched DescribeVolumes.
async fn root_volumes(
    ctx: &Ctx,
    instances: &[Ec2Instance],
    _single: bool,
) -> Result<HashMap<String, Volume>, AwsError> {
    let mut ids: Vec<String> = Vec::new();
    for i in instances {
        for m in i.block_device_mappings() {
            if let Some(v) = m.ebs().and_then(|e| e.volume_id())
                && !ids.iter().any(|x| x == v)
            {
                ids.push(v.to_string());
            }
        }
    }
    super::ebs_volume::describe(ctx, &ids).await
}

/// The `ebs_block_device` blocks of the instance: its non-root EBS mappings, with the volumes'
/// details where they were read; `prior` blocks keep their configured-only values (`tags`).
fn ebs_blocks(i: &Ec2Instance, vols: &HashMap<String, Volume>, prior: &[Value]) -> Value {
    let root = i.root_device_name();
    let mut out = Vec::new();
    for m in i.block_device_mappings() {
        let (Some(dev), Some(ebs)) = (m.device_name(), m.ebs()) else {
            continue;
        };
        if Some(dev) == root {
            continue;
        }
        let before = prior
            .iter()
            .find(|p| get_str(p, "device_name") == Some(dev));
        let vid = ebs.volume_id().unwrap_or_default();
        let keep = |k: &str| {
            before
                .map(|p| known_or_null(&attr(p, k)))
                .unwrap_or(Value::Null)
        };
        let (encrypted, iops, kms, snap, size, vtype, thr) = match vols.get(vid) {
            Some(v) => (
                Value::Bool(v.encrypted().unwrap_or(false)),
                n(v.iops().map(i64::from)),
                s_or_empty(v.kms_key_id()),
                s_or_empty(v.snapshot_id()),
                n(v.size().map(i64::from)),
                s_or_empty(v.volume_type().map(|t| t.as_str())),
                n(v.throughput().map(i64::from)),
            ),
            None => (
                keep("encrypted"),
                keep("iops"),
                keep("kms_key_id"),
                keep("snapshot_id"),
                keep("volume_size"),
                keep("volume_type"),
                keep("throughput"),
            ),
        };
        out.push(obj(vec![
            (
                "delete_on_termination",
                b(ebs.delete_on_termination()).or_else_null(|| Value::Bool(true)),
            ),
            ("device_name", Value::string(dev)),
            ("encrypted", encrypted),
            ("iops", iops),
            ("kms_key_id", kms),
            ("snapshot_id", snap),
            ("tags", keep("tags")),
            ("tags_all", keep("tags_all")),
            ("throughput", thr),
            ("volume_id", Value::string(vid)),
            ("volume_size", size),
            ("volume_type", vtype),
        ]));
    }
    Value::set(out)
}

/// The `network_interface` blocks: the attached interfaces the configuration named (or, on
/// import, every attached interface).
fn network_interface_blocks(i: &Ec2Instance, prior: Option<&[Value]>) -> Value {
    let mut out = Vec::new();
    for ni in i.network_interfaces() {
        let Some(id) = ni.network_interface_id() else {
            continue;
        };
        let named = prior.is_none_or(|p| {
            p.iter()
                .any(|x| get_str(x, "network_interface_id") == Some(id))
        });
        if !named {
            continue;
        }
        let att = ni.attachment();
        out.push(obj(vec![
            (
                "delete_on_termination",
                Value::Bool(att.and_then(|a| a.delete_on_termination()).unwrap_or(false)),
            ),
            (
                "device_index",
                n(att.and_then(|a| a.device_index()).map(i64::from)),
            ),
            (
                "network_card_index",
                n(Some(
                    att.and_then(|a| a.network_card_index())
                        .map(i64::from)
                        .unwrap_or(0),
                )),
            ),
            ("network_interface_id", Value::string(id)),
        ]));
    }
    Value::set(out)
}

fn root_volume_id(i: &Ec2Instance) -> Option<String> {
    let root = i.root_device_name()?;
    i.block_device_mappings()
        .iter()
        .find(|m| m.device_name() == Some(root))
        .and_then(|m| m.ebs())
        .and_then(|e| e.volume_id())
        .map(str::to_string)
}

/// The Terraform value of an instance. Attributes the API does not return in DescribeInstances
/// (`user_data`, `disable_api_termination`, ...) keep their prior values.
fn to_value(
    ctx: &Ctx,
    prior: Option<&Value>,
    i: &Ec2Instance,
    owner: &str,
    vols: &HashMap<String, Volume>,
    with_root: bool,
) -> Value {
    let id = i.instance_id().unwrap_or_default();
    let keep = |k: &str| {
        prior
            .map(|p| known_or_null(&attr(p, k)))
            .unwrap_or(Value::Null)
    };
    let (tags, tags_all) = tags::read(ctx, prior, &tags::from_sdk(i.tags()));
    let primary = i
        .network_interfaces()
        .iter()
        .find(|ni| ni.attachment().and_then(|a| a.device_index()) == Some(0));
    let sg_ids: Vec<&str> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    let sg_names: Vec<&str> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    let placement = i.placement();
    let cpu = i.cpu_options();
    let monitoring = i
        .monitoring()
        .and_then(|m| m.state())
        .map(|s| matches!(s.as_str(), "enabled" | "pending"));
    let profile = i
        .iam_instance_profile()
        .and_then(|p| p.arn())
        .and_then(|a| a.rsplit('/').next())
        .map(str::to_string);
    let public_ip_assoc = match keep("associate_public_ip_address") {
        Value::Null => Value::Bool(i.public_ip_address().is_some()),
        v => v,
    };
    let root_block = if with_root {
        match root_volume_id(i).and_then(|v| vols.get(&v).map(|x| (v.clone(), x))) {
            Some((vid, vol)) => {
                let prior_root = prior
                    .map(|p| get_list(p, "root_block_device"))
                    .and_then(|l| l.first().cloned());
                let delete_on_term = i
                    .block_device_mappings()
                    .iter()
                    .find(|m| m.ebs().and_then(|e| e.volume_id()) == Some(vid.as_str()))
                    .and_then(|m| m.ebs())
                    .and_then(|e| e.delete_on_termination());
                Value::List(vec![obj(vec![
                    ("delete_on_termination", b(delete_on_term)),
                    ("device_name", s(i.root_device_name())),
                    ("encrypted", Value::Bool(vol.encrypted().unwrap_or(false))),
                    ("iops", n(vol.iops().map(i64::from))),
                    ("kms_key_id", s_or_empty(vol.kms_key_id())),
                    (
                        "tags",
                        prior_root
                            .as_ref()
                            .map(|r| attr(r, "tags"))
                            .unwrap_or(Value::Null),
                    ),
                    ("throughput", n(vol.throughput().map(i64::from))),
                    ("volume_id", Value::string(vid)),
                    ("volume_size", n(vol.size().map(i64::from))),
                    (
                        "volume_type",
                        s_or_empty(vol.volume_type().map(|t| t.as_str())),
                    ),
                ])])
            }
            None => prior
                .map(|p| known_or_null(&attr(p, "root_block_device")))
                .unwrap_or(Value::List(vec![])),
        }
    } else {
        Value::List(vec![])
    };
    let metadata = match (
        i.metadata_options(),
        prior.map(|p| get_list(p, "metadata_options").is_empty()),
    ) {
        (Some(m), Some(false) | None) => Value::List(vec![obj(vec![
            (
                "http_endpoint",
                s_or_empty(m.http_endpoint().map(|x| x.as_str())),
            ),
            (
                "http_put_response_hop_limit",
                n(m.http_put_response_hop_limit().map(i64::from)),
            ),
            (
                "http_protocol_ipv6",
                s_or_empty(m.http_protocol_ipv6().map(|x| x.as_str())),
            ),
            (
                "http_tokens",
                s_or_empty(m.http_tokens().map(|x| x.as_str())),
            ),
            (
                "instance_metadata_tags",
                s_or_empty(m.instance_metadata_tags().map(|x| x.as_str())),
            ),
        ])]),
        _ => Value::List(vec![]),
    };
    let or_prior = |k: &str, v: Value| if v.is_null() { keep(k) } else { v };
    obj(vec![
        ("id", Value::string(id)),
        ("arn", Value::string(ctx.arn(owner, "instance", id))),
        ("ami", s(i.image_id())),
        ("instance_type", s(i.instance_type().map(|t| t.as_str()))),
        (
            "availability_zone",
            s(placement.and_then(|p| p.availability_zone())),
        ),
        ("subnet_id", s_or_empty(i.subnet_id())),
        (
            "vpc_security_group_ids",
            if i.vpc_id().is_some() {
                string_set(sg_ids)
            } else {
                string_set(Vec::<String>::new())
            },
        ),
        (
            "security_groups",
            match keep("security_groups") {
                Value::Null if i.vpc_id().is_none() => string_set(sg_names),
                Value::Null => string_set(Vec::<String>::new()),
                v => {
                    if i.vpc_id().is_none() {
                        string_set(sg_names)
                    } else {
                        v
                    }
                }
            },
        ),
        ("key_name", s_or_empty(i.key_name())),
        ("associate_public_ip_address", public_ip_assoc),
        ("private_ip", s_or_empty(i.private_ip_address())),
        ("public_ip", s_or_empty(i.public_ip_address())),
        ("public_dns", s_or_empty(i.public_dns_name())),
        ("private_dns", s_or_empty(i.private_dns_name())),
        (
            "instance_state",
            s(i.state().and_then(|s| s.name()).map(|n| n.as_str())),
        ),
        (
            "primary_network_interface_id",
            s_or_empty(primary.and_then(|p| p.network_interface_id())),
        ),
        ("outpost_arn", s_or_empty(i.outpost_arn())),
        ("user_data", keep("user_data")),
        ("user_data_base64", keep("user_data_base64")),
        (
            "user_data_replace_on_change",
            keep("user_data_replace_on_change"),
        ),
        ("iam_instance_profile", s_or_empty(profile.as_deref())),
        ("monitoring", Value::Bool(monitoring.unwrap_or(false))),
        (
            "disable_api_termination",
            or_prior("disable_api_termination", Value::Null).or_else_null(|| Value::Bool(false)),
        ),
        (
            "disable_api_stop",
            or_prior("disable_api_stop", Value::Null).or_else_null(|| Value::Bool(false)),
        ),
        (
            "ebs_optimized",
            Value::Bool(i.ebs_optimized().unwrap_or(false)),
        ),
        (
            "source_dest_check",
            b(i.source_dest_check()).or_else_null(|| keep("source_dest_check")),
        ),
        (
            "tenancy",
            s_or_empty(placement.and_then(|p| p.tenancy()).map(|t| t.as_str())),
        ),
        (
            "placement_group",
            s_or_empty(placement.and_then(|p| p.group_name())),
        ),
        (
            "hibernation",
            or_prior(
                "hibernation",
                b(i.hibernation_options()
                    .and_then(|h| h.configured())
                    .filter(|x| *x)),
            ),
        ),
        ("volume_tags", keep("volume_tags")),
        ("get_password_data", keep("get_password_data")),
        ("password_data", Value::string("")),
        (
            "instance_initiated_shutdown_behavior",
            or_prior("instance_initiated_shutdown_behavior", Value::Null)
                .or_else_null(|| Value::string("stop")),
        ),
        ("root_block_device", root_block),
        ("metadata_options", metadata),
        (
            "credit_specification",
            prior
                .map(|p| known_or_null(&attr(p, "credit_specification")))
                .filter(|v| !v.is_null())
                .unwrap_or(Value::List(vec![])),
        ),
        (
            "ebs_block_device",
            match prior.map(|p| get_list(p, "ebs_block_device")) {
                Some([]) => Value::Set(vec![]),
                Some(p) => ebs_blocks(i, vols, p),
                None => ebs_blocks(i, vols, &[]),
            },
        ),
        (
            "network_interface",
            match prior.map(|p| get_list(p, "network_interface")) {
                Some([]) => Value::Set(vec![]),
                Some(p) => network_interface_blocks(i, Some(p)),
                None => network_interface_blocks(i, None),
            },
        ),
        (
            "cpu_core_count",
            n(cpu.and_then(|c| c.core_count()).map(i64::from)),
        ),
        (
            "cpu_threads_per_core",
            n(cpu.and_then(|c| c.threads_per_core()).map(i64::from)),
        ),
        (
            "cpu_options",
            match (cpu, prior.map(|p| get_list(p, "cpu_options").is_empty())) {
                (Some(c), None | Some(false)) => Value::List(vec![obj(vec![
                    (
                        "amd_sev_snp",
                        s_or_empty(c.amd_sev_snp().map(|x| x.as_str())),
                    ),
                    ("core_count", n(c.core_count().map(i64::from))),
                    ("threads_per_core", n(c.threads_per_core().map(i64::from))),
                ])]),
                // Not reported (moto): what the object had.
                (None, Some(false)) => prior
                    .map(|p| known_or_null(&attr(p, "cpu_options")))
                    .unwrap_or(Value::List(vec![])),
                _ => Value::List(vec![]),
            },
        ),
        (
            "launch_template",
            prior
                .map(|p| known_or_null(&attr(p, "launch_template")))
                .filter(|v| !v.is_null())
                .unwrap_or(Value::List(vec![])),
        ),
        ("tags", tags),
        ("tags_all", tags_all),
    ])
}

trait OrElseNull {
    fn or_else_null(self, f: impl FnOnce() -> Value) -> Value;
}
impl OrElseNull for Value {
    fn or_else_null(self, f: impl FnOnce() -> Value) -> Value {
        if self.is_null() { f() } else { self }
    }
}

/// `v` with every unknown inside it replaced by null (a value read back never holds unknowns).
pub(crate) fn known_or_null(v: &Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(x) => Value::List(x.iter().map(known_or_null).collect()),
        Value::Tuple(x) => Value::Tuple(x.iter().map(known_or_null).collect()),
        Value::Set(x) => Value::Set(x.iter().map(known_or_null).collect()),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, x)| (k.clone(), known_or_null(x)))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), known_or_null(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The account that owns what this provider creates, for ARNs the API does not return: the
/// owner of a default security group (one DescribeSecurityGroups call; empty when there is none).
pub(crate) async fn account_id(ctx: &Ctx) -> Result<String, AwsError> {
    let out = call(ctx, "DescribeSecurityGroups", || {
        ctx.ec2
            .describe_security_groups()
            .filters(filter("group-name", &["default".to_string()]))
            .max_results(5)
            .send()
    })
    .await?;
    Ok(out
        .security_groups()
        .iter()
        .find_map(|g| g.owner_id())
        .unwrap_or_default()
        .to_string())
}
