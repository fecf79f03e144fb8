//! The data sources against moto, checked with the aws CLI, and the `examples/aws-vpc`
//! configuration applied and destroyed cleanly.

use std::path::Path;

use super::{Moto, pick};
use crate::support::Work;

const PROVIDER: &str = r#"
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "us-east-1"
}
"#;

#[test]
fn data_sources_match_the_api() {
    let Some(moto) = Moto::start("data_sources") else {
        return;
    };
    let w = Work::new();
    w.write(
        "main.tf",
        &format!(
            r#"{PROVIDER}
data "aws_ami" "al2" {{
  most_recent = true
  owners      = ["amazon"]
  name_regex  = "^amzn2-ami-hvm-"
  filter {{
    name   = "name"
    values = ["amzn2-ami-hvm-*-x86_64-gp2"]
  }}
}}

data "aws_availability_zones" "available" {{
  state            = "available"
  exclude_names    = ["us-east-1b"]
}}

data "aws_vpc" "default" {{
  default = true
}}

data "aws_subnets" "default" {{
  filter {{
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }}
}}

data "aws_subnet" "a" {{
  vpc_id            = data.aws_vpc.default.id
  availability_zone = "us-east-1a"
}}

data "aws_security_group" "default" {{
  vpc_id = data.aws_vpc.default.id
  name   = "default"
}}

output "ami" {{
  value = data.aws_ami.al2.id
}}
output "ami_name" {{
  value = data.aws_ami.al2.name
}}
output "zones" {{
  value = data.aws_availability_zones.available.names
}}
output "vpc" {{
  value = data.aws_vpc.default.id
}}
output "vpc_cidr" {{
  value = data.aws_vpc.default.cidr_block
}}
output "subnets" {{
  value = sort(data.aws_subnets.default.ids)
}}
output "subnet_a" {{
  value = data.aws_subnet.a.id
}}
output "subnet_a_cidr" {{
  value = data.aws_subnet.a.cidr_block
}}
output "sg" {{
  value = data.aws_security_group.default.id
}}
"#
        ),
    );
    moto.cairn(&w, &["init"]).ok();
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let out = moto.cairn(&w, &["output", "-json"]);
    out.ok();
    let o: serde_json::Value = serde_json::from_str(&out.stdout).expect("output -json");
    let val = |k: &str| o[k]["value"].clone();

    let images = moto.aws(&[
        "ec2",
        "describe-images",
        "--owners",
        "amazon",
        "--filters",
        "Name=name,Values=amzn2-ami-hvm-*-x86_64-gp2",
    ]);
    let ids = pick(&images, "Images", "ImageId");
    assert!(ids.iter().any(|i| val("ami") == i.as_str()), "{ids:?}");
    assert!(
        val("ami_name")
            .as_str()
            .is_some_and(|n| n.starts_with("amzn2-ami-hvm-"))
    );

    let zones = moto.aws(&["ec2", "describe-availability-zones"]);
    let mut expect = pick(&zones, "AvailabilityZones", "ZoneName");
    expect.retain(|z| z != "us-east-1b");
    expect.sort();
    assert_eq!(val("zones"), serde_json::json!(expect));

    let vpcs = moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=is-default,Values=true",
    ]);
    assert_eq!(val("vpc"), vpcs["Vpcs"][0]["VpcId"]);
    assert_eq!(val("vpc_cidr"), vpcs["Vpcs"][0]["CidrBlock"]);

    let vpc = val("vpc").as_str().unwrap_or_default().to_string();
    let subnets = moto.aws(&[
        "ec2",
        "describe-subnets",
        "--filters",
        &format!("Name=vpc-id,Values={vpc}"),
    ]);
    let mut expect = pick(&subnets, "Subnets", "SubnetId");
    expect.sort();
    assert_eq!(val("subnets"), serde_json::json!(expect));
    let a = subnets["Subnets"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["AvailabilityZone"] == "us-east-1a"))
        .expect("a default subnet in us-east-1a");
    assert_eq!(val("subnet_a"), a["SubnetId"]);
    assert_eq!(val("subnet_a_cidr"), a["CidrBlock"]);

    let sgs = moto.aws(&[
        "ec2",
        "describe-security-groups",
        "--filters",
        &format!("Name=vpc-id,Values={vpc}"),
        "Name=group-name,Values=default",
    ]);
    assert_eq!(val("sg"), sgs["SecurityGroups"][0]["GroupId"]);

    // Data sources alone plan no changes.
    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn data_source_errors_follow_terraform() {
    let Some(moto) = Moto::start("data_errors") else {
        return;
    };
    let w = Work::new();
    w.write(
        "main.tf",
        &format!(
            r#"{PROVIDER}
data "aws_ami" "many" {{
  owners = ["amazon"]
  filter {{
    name   = "name"
    values = ["amzn2-ami-hvm-*"]
  }}
}}
"#
        ),
    );
    moto.cairn(&w, &["init"]).ok();
    moto.cairn(&w, &["plan"])
        .code(1)
        .contains("more than one result");
    w.write(
        "main.tf",
        &format!(
            r#"{PROVIDER}
data "aws_vpc" "none" {{
  tags = {{
    Name = "no-such-vpc"
  }}
}}
"#
        ),
    );
    moto.cairn(&w, &["plan"])
        .code(1)
        .contains("no matching EC2 VPC found");
}

fn copy_example(to: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/aws-vpc");
    for e in std::fs::read_dir(&src).expect("examples/aws-vpc") {
        let e = e.expect("entry");
        if e.path().extension().is_some_and(|x| x == "tf") {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

#[test]
fn example_aws_vpc_applies_and_destroys() {
    let Some(moto) = Moto::start("example_aws_vpc") else {
        return;
    };
    let w = Work::new();
    copy_example(w.path());
    moto.cairn(&w, &["init"]).ok();
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let out = moto.cairn(&w, &["output", "-json"]);
    out.ok();
    let o: serde_json::Value = serde_json::from_str(&out.stdout).expect("output -json");
    let vpc = o["vpc_id"]["value"].as_str().expect("vpc id").to_string();
    let instance = o["instance_id"]["value"]
        .as_str()
        .expect("instance id")
        .to_string();

    let subnets = moto.aws(&[
        "ec2",
        "describe-subnets",
        "--filters",
        &format!("Name=vpc-id,Values={vpc}"),
    ]);
    assert_eq!(
        pick(&subnets, "Subnets", "SubnetId").len(),
        4,
        "2 public + 2 private"
    );
    let i = moto.aws(&["ec2", "describe-instances", "--instance-ids", &instance]);
    let i = &i["Reservations"][0]["Instances"][0];
    assert_eq!(i["State"]["Name"], "running");
    assert_eq!(i["VpcId"], vpc.as_str());
    assert_eq!(i["ImageId"], o["ami_id"]["value"]);
    assert_eq!(super::tag(i, "ManagedBy"), Some("cairn"), "default_tags");
    let nats = moto.aws(&[
        "ec2",
        "describe-nat-gateways",
        "--filter",
        &format!("Name=vpc-id,Values={vpc}"),
    ]);
    assert_eq!(nats["NatGateways"][0]["State"], "available");

    moto.cairn(&w, &["plan", "-detailed-exitcode"]).code(0);
    moto.cairn(&w, &["destroy", "-auto-approve"]).ok();

    let vpcs = moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        &format!("Name=vpc-id,Values={vpc}"),
    ]);
    assert!(pick(&vpcs, "Vpcs", "VpcId").is_empty(), "the VPC is gone");
    let i = moto.aws(&["ec2", "describe-instances", "--instance-ids", &instance]);
    assert_eq!(
        i["Reservations"][0]["Instances"][0]["State"]["Name"],
        "terminated"
    );
    assert!(
        w.state_objects().keys().all(|k| k.starts_with("data.")),
        "{:?}",
        w.state_objects().keys().collect::<Vec<_>>()
    );
}
