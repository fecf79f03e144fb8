//! The compute resources against moto: each is created, checked with the aws CLI, re-planned
//! with no changes, changed in place, replaced, imported (through the provider's `import`, as
//! the CLI has no import command), checked for drift and destroyed. Plus the batched refresh: a
//! plan over 200 instances makes a handful of DescribeInstances calls.

use std::collections::BTreeMap;

use cairn_provider::{Provider, Value};

use super::{Moto, tag};
use crate::support::Work;

const PROVIDER: &str = r#"
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Env = "test" }
  }
}
"#;

/// Two Amazon Linux AMI ids that moto knows.
fn amis(moto: &Moto) -> (String, String) {
    let v = moto.aws(&[
        "ec2",
        "describe-images",
        "--owners",
        "amazon",
        "--filters",
        "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2",
    ]);
    let ids: Vec<String> = v["Images"]
        .as_array()
        .expect("images")
        .iter()
        .filter_map(|i| i["ImageId"].as_str().map(str::to_string))
        .collect();
    assert!(ids.len() >= 2, "moto has Amazon Linux 2 images: {ids:?}");
    (ids[0].clone(), ids[1].clone())
}

fn instance(moto: &Moto, id: &str) -> serde_json::Value {
    let v = moto.aws(&["ec2", "describe-instances", "--instance-ids", id]);
    v["Reservations"][0]["Instances"][0].clone()
}

fn attr(w: &Work, addr: &str, name: &str) -> String {
    w.state_objects()
        .get(addr)
        .unwrap_or_else(|| panic!("{addr} in state"))[name]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn instance_config(ami: &str, instance_type: &str, name: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_instance" "web" {{
  ami           = "{ami}"
  instance_type = "{instance_type}"
  tags = {{
    Name = "{name}"
  }}
}}
"#
    )
}

#[test]
fn instance_lifecycle_update_replace_drift_destroy() {
    let Some(moto) = Moto::start("instance_lifecycle") else {
        return;
    };
    let (ami1, ami2) = amis(&moto);
    let w = Work::new();
    w.write("main.tf", &instance_config(&ami1, "t3.micro", "a"));
    moto.cairn(&w, &["init"]).ok();
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id = attr(&w, "aws_instance.web", "id");
    let i = instance(&moto, &id);
    assert_eq!(i["InstanceType"], "t3.micro");
    assert_eq!(i["ImageId"], ami1.as_str());
    assert_eq!(i["State"]["Name"], "running");
    assert_eq!(tag(&i, "Name"), Some("a"));
    assert_eq!(
        tag(&i, "Env"),
        Some("test"),
        "default_tags reach the instance"
    );
    let tags_all = &w.state_objects()["aws_instance.web"]["tags_all"];
    assert_eq!(tags_all["Env"], "test");
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    // instance_type and tags change in place (stop, modify, start).
    w.write("main.tf", &instance_config(&ami1, "t3.small", "b"));
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_instance.web will be updated in-place");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        attr(&w, "aws_instance.web", "id"),
        id,
        "updated, not replaced"
    );
    let i = instance(&moto, &id);
    assert_eq!(i["InstanceType"], "t3.small");
    assert_eq!(i["State"]["Name"], "running");
    assert_eq!(tag(&i, "Name"), Some("b"));
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    // A new AMI replaces the instance.
    w.write("main.tf", &instance_config(&ami2, "t3.small", "b"));
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_instance.web must be replaced");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id2 = attr(&w, "aws_instance.web", "id");
    assert_ne!(id2, id);
    assert_eq!(instance(&moto, &id)["State"]["Name"], "terminated");
    assert_eq!(instance(&moto, &id2)["ImageId"], ami2.as_str());

    // Drift: a tag changed behind cairn's back shows in the plan and is put back.
    moto.aws(&[
        "ec2",
        "create-tags",
        "--resources",
        &id2,
        "--tags",
        "Key=Name,Value=drifted",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("drifted");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    assert_eq!(tag(&instance(&moto, &id2), "Name"), Some("b"));

    // Drift: an instance terminated behind cairn's back is planned anew.
    moto.aws(&["ec2", "terminate-instances", "--instance-ids", &id2]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_instance.web will be created");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id3 = attr(&w, "aws_instance.web", "id");
    assert_ne!(id3, id2);
    assert_eq!(instance(&moto, &id3)["State"]["Name"], "running");

    moto.cairn(&w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(instance(&moto, &id3)["State"]["Name"], "terminated");
    assert!(w.state_objects().is_empty());
}

/// A configured provider talking to this moto (no environment needed).
fn provider(moto: &Moto) -> Box<dyn Provider> {
    let mut p = cairn_provider_aws::factory();
    let config = Value::object([
        ("region", Value::string("us-east-1")),
        ("access_key", Value::string("test")),
        ("secret_key", Value::string("test")),
        ("skip_credentials_validation", Value::Bool(true)),
        ("skip_metadata_api_check", Value::string("true")),
        ("skip_requesting_account_id", Value::Bool(true)),
        (
            "endpoints",
            Value::List(vec![Value::object([(
                "ec2",
                Value::string(moto.endpoint()),
            )])]),
        ),
    ]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(p.configure(&config)).expect("configure");
    p
}

/// Imports `id` as `type_name` and checks the imported object against what apply stored.
fn check_import(moto: &Moto, w: &Work, addr: &str, id: &str, attrs: &[&str]) {
    let p = provider(moto);
    let ty = addr.split('.').next().unwrap_or_default();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let got = rt
        .block_on(p.import(ty, id))
        .unwrap_or_else(|e| panic!("import {ty} {id}: {e}"))
        .to_json();
    let stored = &w.state_objects()[addr];
    for a in attrs {
        assert_eq!(got[*a], stored[*a], "{addr}: imported {a}");
    }
    let missing = rt.block_on(p.import(ty, "does-not-exist-0000"));
    assert!(missing.is_err(), "importing a missing {ty} fails");
}

#[test]
fn instance_import_reads_the_object() {
    let Some(moto) = Moto::start("instance_import") else {
        return;
    };
    let (ami, _) = amis(&moto);
    let w = Work::new();
    w.write("main.tf", &instance_config(&ami, "t3.micro", "imp"));
    moto.cairn(&w, &["init"]).ok();
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id = attr(&w, "aws_instance.web", "id");
    check_import(
        &moto,
        &w,
        "aws_instance.web",
        &id,
        &[
            "id",
            "ami",
            "instance_type",
            "subnet_id",
            "private_ip",
            "tags_all",
            "arn",
        ],
    );
}

const NETWORK: &str = r#"
data "aws_vpc" "default" {
  default = true
}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_subnet" "first" {
  vpc_id            = data.aws_vpc.default.id
  availability_zone = data.aws_availability_zones.available.names[0]
  default_for_az    = true
}
"#;

fn companions(
    ami: &str,
    public_key: &str,
    size: u32,
    nat_name: &str,
    with_eip_instance: bool,
) -> String {
    let eip_instance = if with_eip_instance {
        "instance = aws_instance.app.id"
    } else {
        ""
    };
    format!(
        r#"{PROVIDER}
{NETWORK}
resource "aws_key_pair" "deploy" {{
  key_name   = "deploy"
  public_key = "{public_key}"
  tags = {{
    Name = "deploy"
  }}
}}

resource "aws_instance" "app" {{
  ami               = "{ami}"
  instance_type     = "t3.micro"
  subnet_id         = data.aws_subnet.first.id
  key_name          = aws_key_pair.deploy.key_name
  tags = {{
    Name = "app"
  }}
}}

resource "aws_eip" "app" {{
  domain = "vpc"
  {eip_instance}
}}

resource "aws_eip" "nat" {{
  domain = "vpc"
}}

resource "aws_nat_gateway" "nat" {{
  allocation_id = aws_eip.nat.id
  subnet_id     = data.aws_subnet.first.id
  tags = {{
    Name = "{nat_name}"
  }}
}}

resource "aws_ebs_volume" "data" {{
  availability_zone = data.aws_subnet.first.availability_zone
  size              = {size}
  type              = "gp3"
}}

resource "aws_volume_attachment" "data" {{
  device_name = "/dev/sdh"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.app.id
}}

resource "aws_launch_template" "app" {{
  name          = "app"
  image_id      = "{ami}"
  instance_type = "t3.micro"
  key_name      = aws_key_pair.deploy.key_name
  update_default_version = true
}}
"#
    )
}

fn ssh_public_key(w: &Work, name: &str) -> String {
    let path = w.path().join(name);
    let out = std::process::Command::new("ssh-keygen")
        .args([
            "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "test", "-f",
        ])
        .arg(&path)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "ssh-keygen failed");
    std::fs::read_to_string(path.with_extension("pub"))
        .expect("public key")
        .trim()
        .to_string()
}

#[test]
fn eip_nat_gateway_key_pair_volume_attachment_launch_template() {
    let Some(moto) = Moto::start("compute_companions") else {
        return;
    };
    if std::process::Command::new("ssh-keygen")
        .arg("-?")
        .output()
        .is_err()
    {
        eprintln!("skipped: ssh-keygen not found");
        return;
    }
    let (ami, _) = amis(&moto);
    let w = Work::new();
    let key1 = ssh_public_key(&w, "k1");
    let key2 = ssh_public_key(&w, "k2");
    let write = |key: &str, size: u32, nat: &str, assoc: bool| {
        w.write("main.tf", &companions(&ami, key, size, nat, assoc));
    };
    write(&key1, 10, "nat-a", false);
    moto.cairn(&w, &["init"]).ok();
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let st = w.state_objects();
    let instance_id = st["aws_instance.app"]["id"].as_str().unwrap().to_string();

    // Key pair.
    let k = moto.aws(&["ec2", "describe-key-pairs", "--key-names", "deploy"]);
    assert_eq!(k["KeyPairs"][0]["KeyName"], "deploy");
    assert_eq!(st["aws_key_pair.deploy"]["id"], "deploy");
    assert_eq!(
        st["aws_key_pair.deploy"]["fingerprint"],
        k["KeyPairs"][0]["KeyFingerprint"]
    );
    assert_eq!(instance(&moto, &instance_id)["KeyName"], "deploy");

    // Elastic IPs and the NAT gateway.
    let eip_id = st["aws_eip.app"]["id"].as_str().unwrap().to_string();
    let a = moto.aws(&["ec2", "describe-addresses", "--allocation-ids", &eip_id]);
    assert_eq!(
        a["Addresses"][0]["PublicIp"],
        st["aws_eip.app"]["public_ip"]
    );
    assert!(
        a["Addresses"][0]["InstanceId"]
            .as_str()
            .is_none_or(str::is_empty),
        "not associated yet"
    );
    let nat_id = st["aws_nat_gateway.nat"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let n = moto.aws(&["ec2", "describe-nat-gateways", "--nat-gateway-ids", &nat_id]);
    let nat = &n["NatGateways"][0];
    assert_eq!(nat["State"], "available");
    assert_eq!(nat["SubnetId"], st["data.aws_subnet.first"]["id"]);
    assert_eq!(
        nat["NatGatewayAddresses"][0]["AllocationId"],
        st["aws_eip.nat"]["id"]
    );
    assert_eq!(tag(nat, "Name"), Some("nat-a"));

    // The volume and its attachment.
    let vol_id = st["aws_ebs_volume.data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = moto.aws(&["ec2", "describe-volumes", "--volume-ids", &vol_id]);
    let vol = &v["Volumes"][0];
    assert_eq!(vol["Size"], 10);
    assert_eq!(vol["VolumeType"], "gp3");
    assert_eq!(vol["Attachments"][0]["InstanceId"], instance_id.as_str());
    assert_eq!(vol["Attachments"][0]["Device"], "/dev/sdh");
    assert!(
        st["aws_volume_attachment.data"]["id"]
            .as_str()
            .is_some_and(|s| s.starts_with("vai-"))
    );

    // The launch template.
    let lt_id = st["aws_launch_template.app"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let lt = moto.aws(&[
        "ec2",
        "describe-launch-templates",
        "--launch-template-ids",
        &lt_id,
    ]);
    assert_eq!(lt["LaunchTemplates"][0]["LaunchTemplateName"], "app");
    assert_eq!(st["aws_launch_template.app"]["latest_version"], 1);

    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    // In place: the address is associated, the volume grows, the NAT gateway is retagged.
    write(&key1, 20, "nat-b", true);
    let plan = moto.cairn(&w, &["plan", "-detailed-exitcode"]);
    plan.code(2)
        .contains("aws_eip.app will be updated in-place")
        .contains("aws_ebs_volume.data will be updated in-place")
        .contains("aws_nat_gateway.nat will be updated in-place")
        .lacks("must be replaced");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let st = w.state_objects();
    assert_eq!(st["aws_eip.app"]["id"], eip_id.as_str());
    let a = moto.aws(&["ec2", "describe-addresses", "--allocation-ids", &eip_id]);
    assert_eq!(a["Addresses"][0]["InstanceId"], instance_id.as_str());
    assert_eq!(st["aws_eip.app"]["instance"], instance_id.as_str());
    let v = moto.aws(&["ec2", "describe-volumes", "--volume-ids", &vol_id]);
    assert_eq!(v["Volumes"][0]["Size"], 20);
    let n = moto.aws(&["ec2", "describe-nat-gateways", "--nat-gateway-ids", &nat_id]);
    assert_eq!(tag(&n["NatGateways"][0], "Name"), Some("nat-b"));
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    // Replace: a new public key replaces the key pair (its name, and so the instance, stay).
    write(&key2, 20, "nat-b", true);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_key_pair.deploy must be replaced");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let st = w.state_objects();
    let k = moto.aws(&["ec2", "describe-key-pairs", "--key-names", "deploy"]);
    assert_eq!(
        st["aws_key_pair.deploy"]["fingerprint"],
        k["KeyPairs"][0]["KeyFingerprint"]
    );
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    // Import each by its Terraform import id.
    check_import(
        &moto,
        &w,
        "aws_eip.app",
        &eip_id,
        &["id", "public_ip", "domain", "instance"],
    );
    check_import(
        &moto,
        &w,
        "aws_nat_gateway.nat",
        &nat_id,
        &["id", "subnet_id", "allocation_id", "tags_all"],
    );
    check_import(
        &moto,
        &w,
        "aws_key_pair.deploy",
        "deploy",
        &["id", "key_name", "fingerprint"],
    );
    check_import(
        &moto,
        &w,
        "aws_ebs_volume.data",
        &vol_id,
        &["id", "size", "type", "availability_zone"],
    );
    check_import(
        &moto,
        &w,
        "aws_launch_template.app",
        &lt_id,
        &["id", "name", "image_id", "instance_type", "latest_version"],
    );
    let st = w.state_objects();
    let new_instance = st["aws_instance.app"]["id"].as_str().unwrap().to_string();
    check_import(
        &moto,
        &w,
        "aws_volume_attachment.data",
        &format!("/dev/sdh:{vol_id}:{new_instance}"),
        &["id", "device_name", "volume_id", "instance_id"],
    );

    // Drift: a volume detached behind cairn's back is attached again.
    moto.aws(&[
        "ec2",
        "detach-volume",
        "--volume-id",
        &vol_id,
        "--instance-id",
        &new_instance,
        "--device",
        "/dev/sdh",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_volume_attachment.data will be created");

    moto.cairn(&w, &["destroy", "-auto-approve"]).ok();
    assert!(
        w.state_objects().keys().all(|k| k.starts_with("data.")),
        "only data sources are left: {:?}",
        w.state_objects().keys().collect::<Vec<_>>()
    );
    let gone = moto.aws_run(&["ec2", "describe-volumes", "--volume-ids", &vol_id]);
    assert!(gone.code != 0 || gone.stdout.contains("\"Volumes\": []"));
    let gone = moto.aws_run(&["ec2", "describe-addresses", "--allocation-ids", &eip_id]);
    assert!(gone.code != 0 || gone.stdout.contains("\"Addresses\": []"));
    let n = moto.aws(&["ec2", "describe-nat-gateways", "--nat-gateway-ids", &nat_id]);
    assert!(
        n["NatGateways"]
            .as_array()
            .is_none_or(|a| a.iter().all(|g| g["State"] == "deleted")),
        "NAT gateway deleted: {n}"
    );
    let k = moto.aws(&["ec2", "describe-key-pairs"]);
    assert!(
        k["KeyPairs"]
            .as_array()
            .is_none_or(|a| a.iter().all(|x| x["KeyName"] != "deploy"))
    );
    let lt = moto.aws(&["ec2", "describe-launch-templates"]);
    assert!(
        lt["LaunchTemplates"]
            .as_array()
            .is_none_or(|a| a.iter().all(|x| x["LaunchTemplateId"] != lt_id.as_str()))
    );
}

#[test]
fn refresh_of_200_instances_is_batched() {
    let Some(moto) = Moto::start("refresh_batched") else {
        return;
    };
    let (ami, _) = amis(&moto);
    let w = Work::new();
    w.write(
        "main.tf",
        &format!(
            r#"{PROVIDER}
resource "aws_instance" "fleet" {{
  count         = 200
  ami           = "{ami}"
  instance_type = "t3.micro"
}}
"#
        ),
    );
    moto.cairn(&w, &["init"]).ok();
    moto.cairn(&w, &["apply", "-auto-approve", "-parallelism=20"])
        .ok();
    assert_eq!(w.state_objects().len(), 200);
    let v = moto.aws(&[
        "ec2",
        "describe-instances",
        "--filters",
        "Name=instance-state-name,Values=running",
    ]);
    let running: usize = v["Reservations"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| x["Instances"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(running, 200);

    let log = w.path().join("calls.log");
    let log_s = log.to_string_lossy().to_string();
    moto.cairn_env(
        &w,
        &["plan", "-detailed-exitcode"],
        &[("CAIRN_AWS_CALL_LOG", &log_s)],
    )
    .code(0);
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in calls.lines() {
        *counts.entry(l.trim()).or_default() += 1;
    }
    let describes = counts.get("DescribeInstances").copied().unwrap_or(0);
    assert!(
        (1..=3).contains(&describes),
        "refresh of 200 instances: {describes} DescribeInstances calls ({counts:?})"
    );
    assert!(calls.lines().count() <= 6, "few calls in all: {counts:?}");
}
