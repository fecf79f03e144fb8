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
