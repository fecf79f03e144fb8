//! `aws_launch_template`: CreateLaunchTemplate / CreateLaunchTemplateVersion (a change of the
//! launch data makes a new version, as in Terraform's provider) / ModifyLaunchTemplate (default
//! version) / DeleteLaunchTemplate, with Terraform's attributes. `name` and `name_prefix`
//! replace. Refresh is batched: one DescribeLaunchTemplates filtered by id for all templates; the
//! launch data is read from the API on import only (a refresh keeps it as applied).
//!
//! Owns this resource only.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_ec2::types::InstanceType;
use aws_sdk_ec2::types::{
    CreditSpecificationRequest, LaunchTemplate as SdkTemplate,
    LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceMetadataTagsState,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest, LaunchTemplatePlacementRequest,
    LaunchTemplateTagSpecificationRequest, LaunchTemplatesMonitoringRequest,
    RequestLaunchTemplateData, ResourceType, ResponseLaunchTemplateData, ShutdownBehavior, Tenancy,
    VolumeType,
};
use cairn_provider::{
    Attribute, BlockNesting, NestedBlock, PlanResponse, ResourceSchema, Schema, Type, Value,
};

use crate::ctx::{AwsError, Ctx, call, is_not_found};
use crate::resource::AwsResource;
use crate::resources::{FILTER_CHUNK, align, ids_of, keyed};
use crate::tags;
use crate::values::{
    attr, b, get_bool, get_i64, get_list, get_map, get_str, get_strings, n, obj, s, string_map,
    string_set, with_attr,
};

pub(crate) struct LaunchTemplate;

fn list_block(schema: Schema, max: Option<usize>) -> NestedBlock {
    NestedBlock {
        nesting: BlockNesting::List,
        block: schema,
        min_items: 0,
        max_items: max,
        force_new: false,
    }
}

/// Launch data attributes: changing any of them makes a new version.
const DATA_ATTRS: &[&str] = &[
    "description",
    "image_id",
    "instance_type",
    "key_name",
    "user_data",
    "ebs_optimized",
    "disable_api_termination",
    "disable_api_stop",
    "instance_initiated_shutdown_behavior",
    "kernel_id",
    "ram_disk_id",
    "vpc_security_group_ids",
    "security_group_names",
    "iam_instance_profile",
    "monitoring",
    "metadata_options",
    "placement",
    "credit_specification",
    "tag_specifications",
    "block_device_mappings",
    "network_interfaces",
];

fn schema() -> Schema {
    let o = Attribute::optional;
    let ebs = Schema::new()
        .attr("delete_on_termination", o(Type::String))
        .attr("encrypted", o(Type::String))
        .attr("iops", Attribute::optional_computed(Type::Number))
        .attr("kms_key_id", o(Type::String))
        .attr("snapshot_id", o(Type::String))
        .attr("throughput", Attribute::optional_computed(Type::Number))
        .attr("volume_size", Attribute::optional_computed(Type::Number))
        .attr("volume_type", Attribute::optional_computed(Type::String));
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "name_prefix",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("description", o(Type::String))
        .attr(
            "default_version",
            Attribute::optional_computed(Type::Number),
        )
        .attr("latest_version", Attribute::computed(Type::Number))
        .attr("update_default_version", o(Type::Bool))
        .attr("image_id", o(Type::String))
        .attr("instance_type", o(Type::String))
        .attr("key_name", o(Type::String))
        .attr("user_data", o(Type::String))
        .attr("ebs_optimized", o(Type::String))
        .attr("disable_api_termination", o(Type::Bool))
        .attr("disable_api_stop", o(Type::Bool))
        .attr("instance_initiated_shutdown_behavior", o(Type::String))
        .attr("kernel_id", o(Type::String))
        .attr("ram_disk_id", o(Type::String))
        .attr("vpc_security_group_ids", o(Type::set(Type::String)))
        .attr("security_group_names", o(Type::set(Type::String)))
        .block(
            "iam_instance_profile",
            list_block(
                Schema::new()
                    .attr("arn", o(Type::String))
                    .attr("name", o(Type::String)),
                Some(1),
            ),
        )
        .block(
            "monitoring",
            list_block(Schema::new().attr("enabled", o(Type::Bool)), Some(1)),
        )
        .block(
            "metadata_options",
            list_block(
                Schema::new()
                    .attr("http_endpoint", Attribute::optional_computed(Type::String))
                    .attr("http_protocol_ipv6", o(Type::String))
                    .attr(
                        "http_put_response_hop_limit",
                        Attribute::optional_computed(Type::Number),
                    )
                    .attr("http_tokens", Attribute::optional_computed(Type::String))
                    .attr("instance_metadata_tags", o(Type::String)),
                Some(1),
            ),
        )
        .block(
            "placement",
            list_block(
                Schema::new()
                    .attr("availability_zone", o(Type::String))
                    .attr("group_name", o(Type::String))
                    .attr("host_id", o(Type::String))
                    .attr("tenancy", o(Type::String)),
                Some(1),
            ),
        )
        .block(
            "credit_specification",
            list_block(Schema::new().attr("cpu_credits", o(Type::String)), Some(1)),
        )
        .block(
            "tag_specifications",
            list_block(
                Schema::new()
                    .attr("resource_type", o(Type::String))
                    .attr("tags", o(Type::map(Type::String))),
                None,
            ),
        )
        .block(
            "block_device_mappings",
            list_block(
                Schema::new()
                    .attr("device_name", o(Type::String))
                    .attr("no_device", o(Type::String))
                    .attr("virtual_name", o(Type::String))
                    .block("ebs", list_block(ebs, Some(1))),
                None,
            ),
        )
        .block(
            "network_interfaces",
            list_block(
                Schema::new()
                    .attr("associate_public_ip_address", o(Type::String))
                    .attr("delete_on_termination", o(Type::String))
                    .attr("description", o(Type::String))
                    .attr("device_index", o(Type::Number))
                    .attr("network_interface_id", o(Type::String))
                    .attr("private_ip_address", o(Type::String))
                    .attr("security_groups", o(Type::set(Type::String)))
                    .attr("subnet_id", o(Type::String)),
                None,
            ),
        )
}

/// `"true"`/`"false"` strings (Terraform's tri-state booleans in launch templates).
fn tri(v: &Value, name: &str) -> Option<bool> {
    match get_str(v, name)? {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn tri_value(x: Option<bool>) -> Value {
    match x {
        Some(true) => Value::string("true"),
        Some(false) => Value::string("false"),
        None => Value::string(""),
    }
}

/// The launch data of a planned value.
fn request_data(v: &Value) -> RequestLaunchTemplateData {
    let mut d = RequestLaunchTemplateData::builder()
        .set_image_id(get_str(v, "image_id").map(str::to_string))
        .set_instance_type(get_str(v, "instance_type").map(InstanceType::from))
        .set_key_name(get_str(v, "key_name").map(str::to_string))
        .set_user_data(get_str(v, "user_data").map(str::to_string))
        .set_ebs_optimized(tri(v, "ebs_optimized"))
        .set_disable_api_termination(get_bool(v, "disable_api_termination"))
        .set_disable_api_stop(get_bool(v, "disable_api_stop"))
        .set_instance_initiated_shutdown_behavior(
            get_str(v, "instance_initiated_shutdown_behavior").map(ShutdownBehavior::from),
        )
        .set_kernel_id(get_str(v, "kernel_id").map(str::to_string))
        .set_ram_disk_id(get_str(v, "ram_disk_id").map(str::to_string));
    let sgs = get_strings(v, "vpc_security_group_ids");
    if !sgs.is_empty() {
        d = d.set_security_group_ids(Some(sgs));
    }
    let names = get_strings(v, "security_group_names");
    if !names.is_empty() {
        d = d.set_security_groups(Some(names));
    }
    if let Some(p) = get_list(v, "iam_instance_profile").first() {
        d = d.iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .set_arn(get_str(p, "arn").map(str::to_string))
                .set_name(get_str(p, "name").map(str::to_string))
                .build(),
        );
    }
    if let Some(m) = get_list(v, "monitoring").first() {
        d = d.monitoring(
            LaunchTemplatesMonitoringRequest::builder()
                .set_enabled(get_bool(m, "enabled"))
                .build(),
        );
    }
    if let Some(m) = get_list(v, "metadata_options").first() {
        d = d.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_endpoint(
                    get_str(m, "http_endpoint")
                        .map(LaunchTemplateInstanceMetadataEndpointState::from),
                )
                .set_http_tokens(get_str(m, "http_tokens").map(LaunchTemplateHttpTokensState::from))
                .set_http_put_response_hop_limit(
                    get_i64(m, "http_put_response_hop_limit").map(|x| x as i32),
                )
                .set_instance_metadata_tags(
                    get_str(m, "instance_metadata_tags")
                        .map(LaunchTemplateInstanceMetadataTagsState::from),
                )
                .build(),
        );
    }
    if let Some(p) = get_list(v, "placement").first() {
        d = d.placement(
            LaunchTemplatePlacementRequest::builder()
                .set_availability_zone(get_str(p, "availability_zone").map(str::to_string))
                .set_group_name(get_str(p, "group_name").map(str::to_string))
                .set_host_id(get_str(p, "host_id").map(str::to_string))
                .set_tenancy(get_str(p, "tenancy").map(Tenancy::from))
                .build(),
        );
    }
    if let Some(c) = get_list(v, "credit_specification").first()
        && let Some(cpu) = get_str(c, "cpu_credits")
    {
        d = d.credit_specification(
            CreditSpecificationRequest::builder()
                .cpu_credits(cpu)
                .build(),
        );
    }
    for t in get_list(v, "tag_specifications") {
        d = d.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .set_resource_type(get_str(t, "resource_type").map(ResourceType::from))
                .set_tags(Some(tags::to_sdk(&get_map(t, "tags"))))
                .build(),
        );
    }
    for m in get_list(v, "block_device_mappings") {
        let mut bd = LaunchTemplateBlockDeviceMappingRequest::builder()
            .set_device_name(get_str(m, "device_name").map(str::to_string))
            .set_no_device(get_str(m, "no_device").map(str::to_string))
            .set_virtual_name(get_str(m, "virtual_name").map(str::to_string));
        if let Some(e) = get_list(m, "ebs").first() {
            bd = bd.ebs(
                LaunchTemplateEbsBlockDeviceRequest::builder()
                    .set_delete_on_termination(tri(e, "delete_on_termination"))
                    .set_encrypted(tri(e, "encrypted"))
                    .set_iops(get_i64(e, "iops").map(|x| x as i32))
                    .set_kms_key_id(get_str(e, "kms_key_id").map(str::to_string))
                    .set_snapshot_id(get_str(e, "snapshot_id").map(str::to_string))
                    .set_throughput(get_i64(e, "throughput").map(|x| x as i32))
                    .set_volume_size(get_i64(e, "volume_size").map(|x| x as i32))
                    .set_volume_type(get_str(e, "volume_type").map(VolumeType::from))
                    .build(),
            );
        }
        d = d.block_device_mappings(bd.build());
    }
    for ni in get_list(v, "network_interfaces") {
        let groups = get_strings(ni, "security_groups");
        d = d.network_interfaces(
            LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .set_associate_public_ip_address(tri(ni, "associate_public_ip_address"))
                .set_delete_on_termination(tri(ni, "delete_on_termination"))
                .set_description(get_str(ni, "description").map(str::to_string))
                .set_device_index(get_i64(ni, "device_index").map(|x| x as i32))
                .set_network_interface_id(get_str(ni, "network_interface_id").map(str::to_string))
                .set_private_ip_address(get_str(ni, "private_ip_address").map(str::to_string))
                .set_groups((!groups.is_empty()).then_some(groups))
                .set_subnet_id(get_str(ni, "subnet_id").map(str::to_string))
                .build(),
        );
    }
    d.build()
}

/// The launch data attributes from the API (for import).
fn data_values(d: &ResponseLaunchTemplateData) -> Vec<(&'static str, Value)> {
    let one = |v: Value| Value::List(vec![v]);
    let none = || Value::List(vec![]);
    vec![
        ("image_id", s(d.image_id())),
        ("instance_type", s(d.instance_type().map(|t| t.as_str()))),
        ("key_name", s(d.key_name())),
        ("user_data", s(d.user_data())),
        (
            "ebs_optimized",
            match d.ebs_optimized() {
                Some(x) => tri_value(Some(x)),
                None => Value::Null,
            },
        ),
        ("disable_api_termination", b(d.disable_api_termination())),
        ("disable_api_stop", b(d.disable_api_stop())),
        (
            "instance_initiated_shutdown_behavior",
            s(d.instance_initiated_shutdown_behavior().map(|x| x.as_str())),
        ),
        ("kernel_id", s(d.kernel_id())),
        ("ram_disk_id", s(d.ram_disk_id())),
        (
            "vpc_security_group_ids",
            if d.security_group_ids().is_empty() {
                Value::Null
            } else {
                string_set(d.security_group_ids().iter().cloned())
            },
        ),
        (
            "security_group_names",
            if d.security_groups().is_empty() {
                Value::Null
            } else {
                string_set(d.security_groups().iter().cloned())
            },
        ),
        (
            "iam_instance_profile",
            d.iam_instance_profile().map_or_else(none, |p| {
                one(obj(vec![("arn", s(p.arn())), ("name", s(p.name()))]))
            }),
        ),
        (
            "monitoring",
            d.monitoring()
                .map_or_else(none, |m| one(obj(vec![("enabled", b(m.enabled()))]))),
        ),
        (
            "metadata_options",
            d.metadata_options().map_or_else(none, |m| {
                one(obj(vec![
                    ("http_endpoint", s(m.http_endpoint().map(|x| x.as_str()))),
                    (
                        "http_protocol_ipv6",
                        s(m.http_protocol_ipv6().map(|x| x.as_str())),
                    ),
                    (
                        "http_put_response_hop_limit",
                        n(m.http_put_response_hop_limit().map(i64::from)),
                    ),
                    ("http_tokens", s(m.http_tokens().map(|x| x.as_str()))),
                    (
                        "instance_metadata_tags",
                        s(m.instance_metadata_tags().map(|x| x.as_str())),
                    ),
                ]))
            }),
        ),
        (
            "placement",
            d.placement().map_or_else(none, |p| {
                one(obj(vec![
                    ("availability_zone", s(p.availability_zone())),
                    ("group_name", s(p.group_name())),
                    ("host_id", s(p.host_id())),
                    ("tenancy", s(p.tenancy().map(|t| t.as_str()))),
                ]))
            }),
        ),
        (
            "credit_specification",
            d.credit_specification().map_or_else(none, |c| {
                one(obj(vec![("cpu_credits", s(c.cpu_credits()))]))
            }),
        ),
        (
            "tag_specifications",
            Value::List(
                d.tag_specifications()
                    .iter()
                    // The template's own tags are not launch data (moto echoes them there).
                    .filter(|t| t.resource_type().map(|r| r.as_str()) != Some("launch-template"))
                    .map(|t| {
                        obj(vec![
                            ("resource_type", s(t.resource_type().map(|r| r.as_str()))),
                            ("tags", string_map(&tags::from_sdk(t.tags()))),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "block_device_mappings",
            Value::List(
                d.block_device_mappings()
                    .iter()
                    .map(|m| {
                        obj(vec![
                            ("device_name", s(m.device_name())),
                            ("no_device", s(m.no_device())),
                            ("virtual_name", s(m.virtual_name())),
                            (
                                "ebs",
                                m.ebs().map_or_else(none, |e| {
                                    one(obj(vec![
                                        (
                                            "delete_on_termination",
                                            e.delete_on_termination()
                                                .map_or(Value::Null, |x| tri_value(Some(x))),
                                        ),
                                        (
                                            "encrypted",
                                            e.encrypted()
                                                .map_or(Value::Null, |x| tri_value(Some(x))),
                                        ),
                                        ("iops", n(e.iops().map(i64::from))),
                                        ("kms_key_id", s(e.kms_key_id())),
                                        ("snapshot_id", s(e.snapshot_id())),
                                        ("throughput", n(e.throughput().map(i64::from))),
                                        ("volume_size", n(e.volume_size().map(i64::from))),
                                        ("volume_type", s(e.volume_type().map(|t| t.as_str()))),
                                    ]))
                                }),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "network_interfaces",
            Value::List(
                d.network_interfaces()
                    .iter()
                    .map(|ni| {
                        obj(vec![
                            (
                                "associate_public_ip_address",
                                ni.associate_public_ip_address()
                                    .map_or(Value::Null, |x| tri_value(Some(x))),
                            ),
                            (
                                "delete_on_termination",
                                ni.delete_on_termination()
                                    .map_or(Value::Null, |x| tri_value(Some(x))),
                            ),
                            ("description", s(ni.description())),
                            ("device_index", n(ni.device_index().map(i64::from))),
                            ("network_interface_id", s(ni.network_interface_id())),
                            ("private_ip_address", s(ni.private_ip_address())),
                            (
                                "security_groups",
                                if ni.groups().is_empty() {
                                    Value::Null
                                } else {
                                    string_set(ni.groups().iter().cloned())
                                },
                            ),
                            ("subnet_id", s(ni.subnet_id())),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]
}

/// The template's value: identity and versions from the API, launch data from `data` (the
/// prior or planned value, or the API's on import).
fn to_value(
    ctx: &Ctx,
    data: &Value,
    t: &SdkTemplate,
    arn: Value,
    actual_tags: Option<&BTreeMap<String, String>>,
) -> Value {
    let actual = actual_tags
        .cloned()
        .unwrap_or_else(|| tags::from_sdk(t.tags()));
    let (tags, tags_all) = tags::read(ctx, Some(data), &actual);
    let mut m = super::instance::known_or_null(data)
        .as_map()
        .cloned()
        .unwrap_or_default();
    let id = t.launch_template_id().unwrap_or_default();
    m.insert("id".into(), Value::string(id));
    m.insert("arn".into(), arn);
    m.insert("name".into(), s(t.launch_template_name()));
    m.insert("default_version".into(), n(t.default_version_number()));
    m.insert("latest_version".into(), n(t.latest_version_number()));
    m.insert("tags".into(), tags);
    m.insert("tags_all".into(), tags_all);
    Value::Object(m)
}

/// DescribeLaunchTemplates by id (moto has no `launch-template-id` filter). One call for all
/// ids; when one of them is gone the API refuses the whole call, and each is then asked alone.
async fn describe(ctx: &Ctx, ids: &[String]) -> Result<HashMap<String, SdkTemplate>, AwsError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(FILTER_CHUNK) {
        match describe_ids(ctx, chunk).await {
            Ok(found) => out.extend(found),
            Err(e) if is_not_found(&e) || e.code.starts_with("InvalidLaunchTemplateId") => {
                for id in chunk {
                    match describe_ids(ctx, std::slice::from_ref(id)).await {
                        Ok(found) => out.extend(found),
                        Err(e)
                            if is_not_found(&e)
                                || e.code.starts_with("InvalidLaunchTemplateId") => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

async fn describe_ids(ctx: &Ctx, ids: &[String]) -> Result<HashMap<String, SdkTemplate>, AwsError> {
    let found = super::paginate(
        ctx,
        "DescribeLaunchTemplates",
        |token| {
            ctx.ec2
                .describe_launch_templates()
                .set_launch_template_ids(Some(ids.to_vec()))
                .set_next_token(token)
                .send()
        },
        |r| r.launch_templates().to_vec(),
        |r| r.next_token(),
    )
    .await?;
    Ok(keyed(found, |t| t.launch_template_id()))
}

/// The templates' tags, read through DescribeTags: moto's DescribeLaunchTemplates keeps the
/// tags given at creation and ignores CreateTags/DeleteTags afterwards.
async fn tags_of(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, BTreeMap<String, String>>, AwsError> {
    super::tags_by_id(ctx, ids).await
}

async fn describe_one(ctx: &Ctx, id: &str) -> Result<Option<SdkTemplate>, AwsError> {
    super::describe_one(id, |ids| async move { describe(ctx, &ids).await }).await
}

fn arn(ctx: &Ctx, account: &str, id: &str) -> Value {
    Value::string(ctx.arn(account, "launch-template", id))
}

/// The launch data and description of one version (`$Latest`, `$Default` or a number) of a
/// template, as attributes.
async fn version_data(
    ctx: &Ctx,
    id: &str,
    version: &str,
) -> Result<Vec<(&'static str, Value)>, AwsError> {
    let out = call(ctx, "DescribeLaunchTemplateVersions", || {
        ctx.ec2
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions(version)
            .send()
    })
    .await?;
    let v = out.launch_template_versions().first();
    let mut data: Vec<(&'static str, Value)> = v
        .and_then(|v| v.launch_template_data())
        .map(data_values)
        .unwrap_or_default();
    data.push(("description", s(v.and_then(|v| v.version_description()))));
    Ok(data)
}

async fn set_default(ctx: &Ctx, id: &str, version: i64) -> Result<(), AwsError> {
    call(ctx, "ModifyLaunchTemplate", || {
        ctx.ec2
            .modify_launch_template()
            .launch_template_id(id)
            .default_version(version.to_string())
            .send()
    })
    .await?;
    Ok(())
}

#[async_trait]
impl AwsResource for LaunchTemplate {
    fn type_name(&self) -> &'static str {
        "aws_launch_template"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(schema(), true)
    }

    fn adjust_plan(&self, prior: Option<&Value>, config: &Value, resp: &mut PlanResponse) {
        let Some(prior) = prior else {
            if get_str(config, "name").is_none() && get_str(config, "name_prefix").is_none() {
                resp.planned = with_attr(&resp.planned, "name_prefix", Value::string("terraform-"));
            }
            return;
        };
        if !resp.requires_replace.is_empty() {
            return;
        }
        let data_changed = DATA_ATTRS
            .iter()
            .any(|k| prior.get_attr(k) != resp.planned.get_attr(k));
        if data_changed {
            resp.planned = with_attr(&resp.planned, "latest_version", Value::Unknown);
            if get_bool(config, "update_default_version") == Some(true) {
                resp.planned = with_attr(&resp.planned, "default_version", Value::Unknown);
            }
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError> {
        let name = match get_str(planned, "name") {
            Some(n) => n.to_string(),
            None => super::key_pair::prefixed_name(
                get_str(planned, "name_prefix").unwrap_or("terraform-"),
            ),
        };
        let req = ctx
            .ec2
            .create_launch_template()
            .launch_template_name(&name)
            .set_version_description(get_str(planned, "description").map(str::to_string))
            .launch_template_data(request_data(planned))
            .set_tag_specifications(tags::tag_specifications(
                planned,
                ResourceType::LaunchTemplate,
            ));
        let out = call(ctx, "CreateLaunchTemplate", || req.clone().send()).await?;
        let id = out
            .launch_template()
            .and_then(|t| t.launch_template_id())
            .ok_or_else(|| {
                AwsError::new("CreateLaunchTemplate", "", "no template in the response")
            })?
            .to_string();
        let t = describe_one(ctx, &id).await?.ok_or_else(|| {
            AwsError::new(
                "DescribeLaunchTemplates",
                "InvalidLaunchTemplateId.NotFound",
                id.clone(),
            )
        })?;
        let account = super::instance::account_id(ctx).await?;
        let mut v = with_attr(planned, "name", Value::string(&name));
        if v.get_attr("name_prefix").is_some_and(Value::is_unknown) {
            v = with_attr(&v, "name_prefix", Value::Null);
        }
        Ok(to_value(ctx, &v, &t, arn(ctx, &account, &id), None))
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError> {
        let id = get_str(prior, "id").unwrap_or_default().to_string();
        let data_changed = DATA_ATTRS
            .iter()
            .any(|k| prior.get_attr(k) != planned.get_attr(k));
        if data_changed {
            let req = ctx
                .ec2
                .create_launch_template_version()
                .launch_template_id(&id)
                .set_version_description(get_str(planned, "description").map(str::to_string))
                .launch_template_data(request_data(planned));
            let out = call(ctx, "CreateLaunchTemplateVersion", || req.clone().send()).await?;
            let version = out
                .launch_template_version()
                .and_then(|v| v.version_number())
                .unwrap_or_default();
            if get_bool(planned, "update_default_version") == Some(true) {
                set_default(ctx, &id, version).await?;
            }
        }
        if get_bool(planned, "update_default_version") != Some(true)
            && let Some(d) = get_i64(planned, "default_version")
            && prior.get_attr("default_version") != planned.get_attr("default_version")
        {
            set_default(ctx, &id, d).await?;
        }
        let t = describe_one(ctx, &id).await?.ok_or_else(|| {
            AwsError::new(
                "DescribeLaunchTemplates",
                "InvalidLaunchTemplateId.NotFound",
                id.clone(),
            )
        })?;
        let tags = tags_of(ctx, std::slice::from_ref(&id)).await?;
        Ok(to_value(
            ctx,
            planned,
            &t,
            attr(prior, "arn"),
            tags.get(&id),
        ))
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError> {
        let Some(id) = get_str(prior, "id") else {
            return Ok(());
        };
        call(ctx, "DeleteLaunchTemplate", || {
            ctx.ec2
                .delete_launch_template()
                .launch_template_id(id)
                .send()
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
        let ids: Vec<String> = found.keys().cloned().collect();
        let tags = tags_of(ctx, &ids).await?;
        // The launch data of each template's latest version, as Terraform's provider reads it:
        // one call per template (the API describes the versions of one template at a time).
        let mut data = HashMap::new();
        for id in &ids {
            data.insert(id.clone(), version_data(ctx, id, "$Latest").await?);
        }
        Ok(align(current, &found, |c, t| {
            let id = t.launch_template_id().unwrap_or_default();
            let mut m = c.as_map().cloned().unwrap_or_default();
            for (k, v) in data.get(id).cloned().unwrap_or_default() {
                m.insert(k.to_string(), v);
            }
            to_value(ctx, &Value::Object(m), t, attr(c, "arn"), tags.get(id))
        }))
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let Some(t) = describe_one(ctx, id).await? else {
            return Ok(None);
        };
        let mut data = version_data(ctx, id, "$Default").await?;
        data.push(("name_prefix", Value::Null));
        data.push(("update_default_version", Value::Null));
        let account = super::instance::account_id(ctx).await?;
        let tags = tags_of(ctx, &[id.to_string()]).await?;
        Ok(Some(to_value(
            ctx,
            &obj(data),
            &t,
            arn(ctx, &account, id),
            tags.get(id),
        )))
    }
}
