//! The compute resources against moto, beyond the per-type lifecycle of `lifecycle.rs`: drift
//! planned back, and the batched refresh (a plan over 200 instances makes a handful of
//! DescribeInstances calls).

use std::collections::BTreeMap;

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
pub(super) fn amis(moto: &Moto) -> (String, String) {
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

fn instance_config(ami: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_instance" "web" {{
  ami               = "{ami}"
  instance_type     = "t3.micro"
  availability_zone = "us-east-1a"
  tags = {{
    Name = "web"
  }}
}}

resource "aws_ebs_volume" "data" {{
  availability_zone = "us-east-1a"
  size              = 10
}}

resource "aws_volume_attachment" "data" {{
  device_name = "/dev/sdh"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.web.id
}}
"#
    )
}

/// Changes made behind cairn's back are planned back: a tag changed, a volume detached, an
/// instance terminated.
#[test]
fn instance_drift_is_planned_back() {
    let Some(moto) = Moto::start("instance_drift") else {
        return;
    };
    let (ami, _) = amis(&moto);
    let w = Work::new();
    w.write("main.tf", &instance_config(&ami));
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id = attr(&w, "aws_instance.web", "id");
    let vol = attr(&w, "aws_ebs_volume.data", "id");
    let tags_all = &w.state_objects()["aws_instance.web"]["tags_all"];
    assert_eq!(tags_all["Env"], "test");
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    // A tag changed behind cairn's back shows in the plan and is put back.
    moto.aws(&[
        "ec2",
        "create-tags",
        "--resources",
        &id,
        "--tags",
        "Key=Name,Value=drifted",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("drifted");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    assert_eq!(tag(&instance(&moto, &id), "Name"), Some("web"));

    // A volume detached behind cairn's back is attached again.
    moto.aws(&[
        "ec2",
        "detach-volume",
        "--volume-id",
        &vol,
        "--instance-id",
        &id,
        "--device",
        "/dev/sdh",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_volume_attachment.data will be created")
        .contains("1 to add, 0 to change, 0 to destroy");

    // An instance terminated behind cairn's back is planned anew (and so is its attachment).
    moto.aws(&["ec2", "terminate-instances", "--instance-ids", &id]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_instance.web will be created");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id2 = attr(&w, "aws_instance.web", "id");
    assert_ne!(id2, id);
    assert_eq!(instance(&moto, &id2)["State"]["Name"], "running");
    let v = moto.aws(&["ec2", "describe-volumes", "--volume-ids", &vol]);
    assert_eq!(
        v["Volumes"][0]["Attachments"][0]["InstanceId"],
        id2.as_str()
    );
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    moto.cairn(&w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(instance(&moto, &id2)["State"]["Name"], "terminated");
    assert!(w.state_objects().is_empty());
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

/// The hex SHA-1 of `s`, from `sha1sum` (an independent implementation).
fn sha1_hex(s: &str) -> String {
    use std::io::Write;
    let mut c = std::process::Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha1sum");
    c.stdin
        .take()
        .expect("stdin")
        .write_all(s.as_bytes())
        .expect("write");
    let out = c.wait_with_output().expect("sha1sum output");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn launch_config(ami: &str, eni: &str, script: &str, ebs_size: u32) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_instance" "blocks" {{
  ami           = "{ami}"
  instance_type = "t3.micro"
  user_data     = "{script}"

  disable_api_termination = false

  network_interface {{
    device_index         = 0
    network_interface_id = "{eni}"
  }}

  ebs_block_device {{
    device_name = "/dev/sdf"
    volume_size = {ebs_size}
    volume_type = "gp3"
  }}

  cpu_options {{
    core_count       = 1
    threads_per_core = 2
  }}
}}
"#
    )
}

/// `user_data` is stored as Terraform's provider stores it (the hex SHA-1) and changes in place;
/// `network_interface`, `ebs_block_device` and `cpu_options` are launch-time blocks that replace.
#[test]
fn instance_user_data_and_launch_blocks() {
    let Some(moto) = Moto::start("instance_user_data_and_launch_blocks") else {
        return;
    };
    let (ami, _) = amis(&moto);
    let subnets = moto.aws(&[
        "ec2",
        "describe-subnets",
        "--filters",
        "Name=default-for-az,Values=true",
        "Name=availability-zone,Values=us-east-1a",
    ]);
    let subnet = subnets["Subnets"][0]["SubnetId"]
        .as_str()
        .expect("default subnet")
        .to_string();
    let eni = |desc: &str| {
        let v = moto.aws(&[
            "ec2",
            "create-network-interface",
            "--subnet-id",
            &subnet,
            "--description",
            desc,
        ]);
        v["NetworkInterface"]["NetworkInterfaceId"]
            .as_str()
            .expect("eni")
            .to_string()
    };
    let (eni1, eni2) = (eni("one"), eni("two"));
    let user_data = |id: &str| {
        let v = moto.aws(&[
            "ec2",
            "describe-instance-attribute",
            "--instance-id",
            id,
            "--attribute",
            "userData",
        ]);
        v["UserData"]["Value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let w = Work::new();
    w.write("main.tf", &launch_config(&ami, &eni1, "echo one", 5));
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id = attr(&w, "aws_instance.blocks", "id");
    let st = &w.state_objects()["aws_instance.blocks"];
    let hash = st["user_data"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        hash,
        sha1_hex("echo one"),
        "user_data is stored as its SHA-1"
    );
    // "echo one" base64-encoded.
    assert_eq!(user_data(&id), "ZWNobyBvbmU=");
    let i = instance(&moto, &id);
    assert_eq!(
        i["NetworkInterfaces"][0]["NetworkInterfaceId"],
        eni1.as_str()
    );
    let vol = i["BlockDeviceMappings"]
        .as_array()
        .and_then(|a| a.iter().find(|m| m["DeviceName"] == "/dev/sdf"))
        .map(|m| {
            m["Ebs"]["VolumeId"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .expect("/dev/sdf is mapped");
    let v = moto.aws(&["ec2", "describe-volumes", "--volume-ids", &vol]);
    assert_eq!(v["Volumes"][0]["Size"], 5);
    assert_eq!(
        st["ebs_block_device"][0]["volume_id"],
        vol.as_str(),
        "the block's volume id is read back"
    );
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    // A new script is an in-place change (the plan compares hashes). moto's
    // ModifyInstanceAttribute wants the user data base64-encoded twice, unlike EC2, so the
    // change is planned here, not applied.
    w.write("main.tf", &launch_config(&ami, &eni1, "echo two", 5));
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_instance.blocks will be updated in-place")
        .contains(&hash);
    w.write("main.tf", &launch_config(&ami, &eni1, "echo one", 5));

    // Refresh re-reads the protection flags (DescribeInstanceAttribute): a change made behind
    // cairn's back is planned back and applied.
    moto.aws(&[
        "ec2",
        "modify-instance-attribute",
        "--instance-id",
        &id,
        "--disable-api-termination",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("disable_api_termination");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let t = moto.aws(&[
        "ec2",
        "describe-instance-attribute",
        "--instance-id",
        &id,
        "--attribute",
        "disableApiTermination",
    ]);
    assert_eq!(t["DisableApiTermination"]["Value"], false);
    assert_eq!(attr(&w, "aws_instance.blocks", "user_data"), hash);
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);

    // Each launch-time block replaces the instance.
    for (eni, size, what) in [
        (&eni1, 6, "ebs_block_device"),
        (&eni2, 6, "network_interface"),
    ] {
        let before = attr(&w, "aws_instance.blocks", "id");
        w.write("main.tf", &launch_config(&ami, eni, "echo one", size));
        moto.cairn(&w, &["plan", "-detailed-exitcode"])
            .code(2)
            .contains("aws_instance.blocks must be replaced");
        moto.cairn(&w, &["apply", "-auto-approve"]).ok();
        let after = attr(&w, "aws_instance.blocks", "id");
        assert_ne!(after, before, "{what} replaces");
        assert_eq!(instance(&moto, &before)["State"]["Name"], "terminated");
        moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);
    }
    let last = attr(&w, "aws_instance.blocks", "id");
    assert_eq!(
        instance(&moto, &last)["NetworkInterfaces"][0]["NetworkInterfaceId"],
        eni2.as_str()
    );
    moto.cairn(&w, &["destroy", "-auto-approve"]).ok();
    assert_eq!(instance(&moto, &last)["State"]["Name"], "terminated");
}

/// Refresh leaves out the tags `ignore_tags` names (keys and key prefixes), and re-reads a key
/// pair's public key: a different key imported under the name behind cairn's back is drift.
#[test]
fn refresh_ignores_tags_and_reads_public_keys() {
    let Some(moto) = Moto::start("refresh_ignores_tags_and_reads_public_keys") else {
        return;
    };
    let w = Work::new();
    let key = |name: &str| {
        let path = w.path().join(name);
        let out = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .output();
        match out {
            Ok(o) if o.status.success() => std::fs::read_to_string(path.with_extension("pub"))
                .ok()
                .map(|k| k.trim().to_string()),
            _ => None,
        }
    };
    let (Some(k1), Some(_)) = (key("k1"), key("k2")) else {
        eprintln!("skipped: ssh-keygen not found");
        return;
    };
    w.write(
        "main.tf",
        &format!(
            r#"
provider "aws" {{
  region = "us-east-1"
  ignore_tags {{
    keys         = ["Owner"]
    key_prefixes = ["kubernetes.io/"]
  }}
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.3.0.0/16"
  tags = {{
    Name = "main"
  }}
}}

resource "aws_key_pair" "k" {{
  key_name   = "k"
  public_key = "{k1}"
}}
"#
        ),
    );
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let vpc = attr(&w, "aws_vpc.main", "id");
    moto.aws(&[
        "ec2",
        "create-tags",
        "--resources",
        &vpc,
        "--tags",
        "Key=Owner,Value=someone",
        "Key=kubernetes.io/cluster/c,Value=shared",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let st = &w.state_objects()["aws_vpc.main"];
    assert_eq!(st["tags_all"], serde_json::json!({"Name": "main"}));
    let d = moto.aws(&["ec2", "describe-vpcs", "--vpc-ids", &vpc]);
    assert_eq!(
        tag(&d["Vpcs"][0], "Owner"),
        Some("someone"),
        "ignored tags are left alone"
    );

    moto.aws(&["ec2", "delete-key-pair", "--key-name", "k"]);
    let k2_path = w.path().join("k2.pub");
    moto.aws(&[
        "ec2",
        "import-key-pair",
        "--key-name",
        "k",
        "--public-key-material",
        &format!("fileb://{}", k2_path.display()),
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_key_pair.k must be replaced");
}

/// A launch template's data changed behind cairn's back (a new version made with the aws CLI)
/// is seen by refresh, and the next apply puts the configured data back in a new version.
#[test]
fn launch_template_data_drift_is_planned_back() {
    let Some(moto) = Moto::start("launch_template_drift") else {
        return;
    };
    let (ami, _) = amis(&moto);
    let w = Work::new();
    w.write(
        "main.tf",
        &format!(
            r#"
resource "aws_launch_template" "app" {{
  name                   = "drifting"
  image_id               = "{ami}"
  instance_type          = "t3.micro"
  update_default_version = true
}}
"#
        ),
    );
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);
    let id = attr(&w, "aws_launch_template.app", "id");
    moto.aws(&[
        "ec2",
        "create-launch-template-version",
        "--launch-template-id",
        &id,
        "--launch-template-data",
        &format!(r#"{{"ImageId":"{ami}","InstanceType":"t3.large"}}"#),
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("\"t3.large\" -> \"t3.micro\"");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let latest = moto.aws(&[
        "ec2",
        "describe-launch-template-versions",
        "--launch-template-id",
        &id,
        "--versions",
        "$Latest",
    ]);
    assert_eq!(
        latest["LaunchTemplateVersions"][0]["LaunchTemplateData"]["InstanceType"],
        "t3.micro"
    );
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);
}
