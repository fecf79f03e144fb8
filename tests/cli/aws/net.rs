//! The network resources of the `aws` provider against moto: for each type, create (checked
//! through the aws CLI), a re-plan with no changes, an in-place update, a replacement, import,
//! drift and destroy; plus rollback of a failed apply and batched refresh.

use super::{Moto, pick, tag};
use crate::support::Work;

fn state_id(w: &Work, addr: &str) -> String {
    let objs = w.state_objects();
    objs.get(addr)
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("{addr} has an id in state: {objs:#?}"))
        .to_string()
}

/// `plan -detailed-exitcode` exits 0: nothing to change.
#[track_caller]
fn no_changes(moto: &Moto, w: &Work) {
    moto.cairn(w, &["plan", "-detailed-exitcode"]).code(0);
}

fn vpc_config(cidr: &str, hostnames: bool, name: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws" }}
  }}
}}

provider "aws" {{
  region = "us-east-1"
  default_tags {{
    tags = {{ Team = "net" }}
  }}
}}

resource "aws_vpc" "main" {{
  cidr_block           = "{cidr}"
  enable_dns_hostnames = {hostnames}
  tags = {{
    Name = "{name}"
  }}
}}

output "vpc_arn" {{
  value = aws_vpc.main.arn
}}
"#
    )
}

#[test]
fn vpc_lifecycle() {
    let Some(moto) = Moto::start("vpc_lifecycle") else {
        return;
    };
    let w = Work::new();
    w.write("main.tf", &vpc_config("10.10.0.0/16", false, "main"));
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id = state_id(&w, "aws_vpc.main");
    let d = moto.aws(&["ec2", "describe-vpcs", "--vpc-ids", &id]);
    let vpc = &d["Vpcs"][0];
    assert_eq!(vpc["CidrBlock"], "10.10.0.0/16");
    assert_eq!(tag(vpc, "Name"), Some("main"));
    assert_eq!(
        tag(vpc, "Team"),
        Some("net"),
        "default_tags reach the object"
    );
    let st = &w.state_objects()["aws_vpc.main"];
    assert_eq!(st["tags_all"]["Team"], "net");
    assert_eq!(st["tags"]["Team"], serde_json::Value::Null);
    assert!(
        st["default_route_table_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("rtb-"))
    );
    assert!(
        st["default_security_group_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("sg-"))
    );
    assert!(
        st["arn"]
            .as_str()
            .is_some_and(|s| s.ends_with(&format!(":vpc/{id}")))
    );
    no_changes(&moto, &w);

    // In place: a VPC attribute and a tag.
    w.write("main.tf", &vpc_config("10.10.0.0/16", true, "renamed"));
    moto.cairn(&w, &["apply", "-auto-approve"])
        .ok()
        .contains("1 changed")
        .lacks("1 destroyed");
    assert_eq!(state_id(&w, "aws_vpc.main"), id);
    let attr = moto.aws(&[
        "ec2",
        "describe-vpc-attribute",
        "--vpc-id",
        &id,
        "--attribute",
        "enableDnsHostnames",
    ]);
    assert_eq!(attr["EnableDnsHostnames"]["Value"], true);
    let d = moto.aws(&["ec2", "describe-vpcs", "--vpc-ids", &id]);
    assert_eq!(tag(&d["Vpcs"][0], "Name"), Some("renamed"));
    no_changes(&moto, &w);

    // Force-new: the CIDR block replaces the VPC.
    w.write("main.tf", &vpc_config("10.20.0.0/16", true, "renamed"));
    moto.cairn(&w, &["apply", "-auto-approve"])
        .ok()
        .contains("1 added")
        .contains("1 destroyed");
    let new_id = state_id(&w, "aws_vpc.main");
    assert_ne!(new_id, id);
    let gone = moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        &format!("Name=vpc-id,Values={id}"),
    ]);
    assert!(pick(&gone, "Vpcs", "VpcId").is_empty(), "old VPC deleted");
    no_changes(&moto, &w);

    // Import: forget it, import it by id, and nothing is left to change.
    moto.cairn(&w, &["state", "rm", "aws_vpc.main"]).ok();
    moto.cairn(&w, &["import", "aws_vpc.main", &new_id])
        .ok()
        .contains("Import successful");
    assert_eq!(state_id(&w, "aws_vpc.main"), new_id);
    no_changes(&moto, &w);

    // Drift: a tag changed behind cairn's back shows up in the next plan.
    moto.aws(&[
        "ec2",
        "create-tags",
        "--resources",
        &new_id,
        "--tags",
        "Key=Name,Value=other",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_vpc.main");

    moto.cairn(&w, &["destroy", "-auto-approve"]).ok();
    let gone = moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        &format!("Name=vpc-id,Values={new_id}"),
    ]);
    assert!(pick(&gone, "Vpcs", "VpcId").is_empty(), "VPC destroyed");
}

#[test]
fn import_of_missing_object_fails() {
    let Some(moto) = Moto::start("import_of_missing_object_fails") else {
        return;
    };
    let w = Work::new();
    w.write("main.tf", &vpc_config("10.10.0.0/16", false, "main"));
    moto.cairn(&w, &["import", "aws_vpc.main", "vpc-0123456789abcdef0"])
        .code(1)
        .contains("Cannot import non-existent remote object");
    assert!(w.state_objects().is_empty());
}
