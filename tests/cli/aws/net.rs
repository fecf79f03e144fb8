//! The network resources of the `aws` provider against moto, beyond the per-type lifecycle of
//! `lifecycle.rs`: drift planned back, import of a missing object, rollback of a failed apply,
//! recreation of a deleted object and batched refresh.

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

/// Changes made behind cairn's back: a tag changed, a rule revoked and a route deleted are all
/// planned back, and default tags reach the objects and `tags_all`.
#[test]
fn drift_is_planned_back() {
    let Some(moto) = Moto::start("drift_is_planned_back") else {
        return;
    };
    let w = Work::new();
    w.write(
        "main.tf",
        &format!(
            "{}{}",
            vpc_config("10.10.0.0/16", false, "main"),
            r#"
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route" "extra" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "172.16.0.0/12"
  gateway_id             = aws_internet_gateway.gw.id
}

resource "aws_security_group" "db" {
  name   = "db"
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.db.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "10.0.0.0/8"
}
"#
        ),
    );
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let vpc = state_id(&w, "aws_vpc.main");
    let rt = state_id(&w, "aws_route_table.private");
    let db = state_id(&w, "aws_security_group.db");
    let ssh = state_id(&w, "aws_vpc_security_group_ingress_rule.ssh");
    let d = moto.aws(&["ec2", "describe-vpcs", "--vpc-ids", &vpc]);
    assert_eq!(
        tag(&d["Vpcs"][0], "Team"),
        Some("net"),
        "default_tags reach the object"
    );
    let st = &w.state_objects()["aws_vpc.main"];
    assert_eq!(st["tags_all"]["Team"], "net");
    assert_eq!(st["tags"]["Team"], serde_json::Value::Null);
    no_changes(&moto, &w);

    moto.aws(&[
        "ec2",
        "create-tags",
        "--resources",
        &vpc,
        "--tags",
        "Key=Name,Value=other",
    ]);
    moto.aws(&[
        "ec2",
        "revoke-security-group-ingress",
        "--group-id",
        &db,
        "--security-group-rule-ids",
        &ssh,
    ]);
    moto.aws(&[
        "ec2",
        "delete-route",
        "--route-table-id",
        &rt,
        "--destination-cidr-block",
        "172.16.0.0/12",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_vpc.main will be updated in-place")
        .contains("aws_vpc_security_group_ingress_rule.ssh will be created")
        .contains("aws_route.extra will be created")
        .contains("2 to add, 1 to change, 0 to destroy");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let d = moto.aws(&["ec2", "describe-vpcs", "--vpc-ids", &vpc]);
    assert_eq!(tag(&d["Vpcs"][0], "Name"), Some("main"));
    let routes = moto.aws(&["ec2", "describe-route-tables", "--route-table-ids", &rt]);
    assert!(
        routes["RouteTables"][0]["Routes"]
            .as_array()
            .is_some_and(|a| a
                .iter()
                .any(|r| r["DestinationCidrBlock"] == "172.16.0.0/12")),
        "route put back"
    );
    no_changes(&moto, &w);
}

/// IDs of VPCs other than moto's default one.
fn own_vpcs(moto: &Moto) -> Vec<String> {
    let all = moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        "Name=is-default,Values=false",
    ]);
    pick(&all, "Vpcs", "VpcId")
}

#[test]
fn failed_apply_rolls_back_what_it_created() {
    let Some(moto) = Moto::start("failed_apply_rolls_back_what_it_created") else {
        return;
    };
    let w = Work::new();
    let base = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "keep" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_subnet" "keep" {
  vpc_id     = aws_vpc.keep.id
  cidr_block = "10.1.1.0/24"
}
"#;
    w.write("main.tf", base);
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let keep_vpc = state_id(&w, "aws_vpc.keep");
    let keep_subnet = state_id(&w, "aws_subnet.keep");

    // The second run adds a VPC stack whose last subnet lies outside its VPC: EC2 refuses it.
    let extra = r#"
resource "aws_vpc" "new" {
  cidr_block = "10.2.0.0/16"
}

resource "aws_internet_gateway" "new" {
  vpc_id = aws_vpc.new.id
}

resource "aws_security_group" "new" {
  name   = "new"
  vpc_id = aws_vpc.new.id
}

resource "aws_subnet" "ok" {
  vpc_id     = aws_vpc.new.id
  cidr_block = "10.2.1.0/24"
}

resource "aws_subnet" "bad" {
  vpc_id     = aws_vpc.new.id
  cidr_block = "10.3.0.0/24"
  depends_on = [aws_subnet.ok, aws_internet_gateway.new, aws_security_group.new]
}
"#;
    w.write("main.tf", &format!("{base}{extra}"));
    let run = moto.cairn(&w, &["apply", "-auto-approve"]);
    run.code(1)
        .contains("aws_subnet.bad")
        .contains("InvalidSubnet.Range");
    // A permanent error is reported once (not once per retry).
    assert_eq!(
        run.all().matches("InvalidSubnet.Range").count(),
        1,
        "{}",
        run.all()
    );

    assert_eq!(
        own_vpcs(&moto),
        vec![keep_vpc.clone()],
        "only the first run's VPC is left"
    );
    let subnets = moto.aws(&[
        "ec2",
        "describe-subnets",
        "--filters",
        "Name=default-for-az,Values=false",
    ]);
    assert_eq!(
        pick(&subnets, "Subnets", "SubnetId"),
        vec![keep_subnet.clone()]
    );
    let igws = moto.aws(&["ec2", "describe-internet-gateways"]);
    assert!(pick(&igws, "InternetGateways", "InternetGatewayId").is_empty());
    let sgs = moto.aws(&[
        "ec2",
        "describe-security-groups",
        "--filters",
        "Name=group-name,Values=new",
    ]);
    assert!(pick(&sgs, "SecurityGroups", "GroupId").is_empty());
    let objs = w.state_objects();
    assert_eq!(
        objs.keys().cloned().collect::<Vec<_>>(),
        vec!["aws_subnet.keep", "aws_vpc.keep"]
    );
}

#[test]
fn deleted_behind_our_back_is_recreated() {
    let Some(moto) = Moto::start("deleted_behind_our_back_is_recreated") else {
        return;
    };
    let w = Work::new();
    w.write(
        "main.tf",
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.5.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.5.1.0/24"
}
"#,
    );
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let subnet = state_id(&w, "aws_subnet.a");
    moto.aws(&["ec2", "delete-subnet", "--subnet-id", &subnet]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_subnet.a")
        .contains("1 to add, 0 to change, 0 to destroy");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    assert_ne!(state_id(&w, "aws_subnet.a"), subnet);
    no_changes(&moto, &w);
}

#[test]
fn refresh_batches_describe_calls() {
    let Some(moto) = Moto::start("refresh_batches_describe_calls") else {
        return;
    };
    let w = Work::new();
    w.write(
        "main.tf",
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.8.0.0/16"
}

resource "aws_subnet" "many" {
  count      = 50
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet("10.8.0.0/16", 8, count.index)
}

resource "aws_security_group" "many" {
  count  = 50
  name   = "sg-${count.index}"
  vpc_id = aws_vpc.main.id
}
"#,
    );
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let log = w.path().join("calls.log");
    let log_s = log.display().to_string();
    moto.cairn_env(
        &w,
        &["plan", "-detailed-exitcode"],
        &[("CAIRN_AWS_CALL_LOG", &log_s)],
    )
    .code(0);
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let count = |op: &str| calls.lines().filter(|l| *l == op).count();
    assert_eq!(
        count("DescribeSubnets"),
        1,
        "one DescribeSubnets for 50 subnets:\n{calls}"
    );
    // One for the 50 groups, one for the VPC's default group.
    assert!(
        count("DescribeSecurityGroups") <= 2,
        "batched security groups:\n{calls}"
    );
    assert!(
        calls.lines().count() <= 12,
        "a handful of calls in all:\n{calls}"
    );
}

/// `instance_tenancy`: dedicated -> default is an in-place ModifyVpcTenancy, any other change
/// replaces the VPC (Terraform's ForceNewIfChange).
#[test]
fn vpc_tenancy_changes() {
    let Some(moto) = Moto::start("vpc_tenancy_changes") else {
        return;
    };
    let w = Work::new();
    let config = |t: &str| {
        format!(
            "resource \"aws_vpc\" \"t\" {{\n  cidr_block       = \"10.4.0.0/16\"\n  instance_tenancy = \"{t}\"\n}}\n"
        )
    };
    let tenancy = |id: &str| {
        let d = moto.aws(&["ec2", "describe-vpcs", "--vpc-ids", id]);
        d["Vpcs"][0]["InstanceTenancy"].as_str().map(str::to_string)
    };
    w.write("main.tf", &config("dedicated"));
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let id = state_id(&w, "aws_vpc.t");
    assert_eq!(tenancy(&id).as_deref(), Some("dedicated"));

    w.write("main.tf", &config("default"));
    moto.cairn(&w, &["apply", "-auto-approve"])
        .ok()
        .contains("0 added, 1 changed, 0 destroyed");
    assert_eq!(state_id(&w, "aws_vpc.t"), id);
    assert_eq!(tenancy(&id).as_deref(), Some("default"));
    no_changes(&moto, &w);

    w.write("main.tf", &config("dedicated"));
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_vpc.t must be replaced");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let new_id = state_id(&w, "aws_vpc.t");
    assert_ne!(new_id, id);
    assert_eq!(tenancy(&new_id).as_deref(), Some("dedicated"));
    let gone = moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        &format!("Name=vpc-id,Values={id}"),
    ]);
    assert!(pick(&gone, "Vpcs", "VpcId").is_empty(), "old VPC deleted");
}

/// Version 6's per-resource `region` argument, as terraform-aws-modules pass it
/// (`region = var.region`, null by default): unset or equal to the provider's region it is the
/// provider's region, recorded in state; another region is refused at plan with what to do.
#[test]
fn region_argument_is_the_providers_region() {
    let Some(moto) = Moto::start("region_argument_is_the_providers_region") else {
        return;
    };
    let w = Work::new();
    w.write(
        "main.tf",
        r#"
variable "region" {
  type    = string
  default = null
}

resource "aws_vpc" "main" {
  region     = var.region
  cidr_block = "10.6.0.0/16"
}

resource "aws_subnet" "a" {
  region     = "us-east-1"
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.6.1.0/24"
}

data "aws_availability_zones" "here" {
  region = var.region
}

output "zone" {
  value = data.aws_availability_zones.here.names[0]
}
"#,
    );
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let st = w.state_objects();
    assert_eq!(st["aws_vpc.main"]["region"], "us-east-1");
    assert_eq!(st["aws_subnet.a"]["region"], "us-east-1");
    no_changes(&moto, &w);
    moto.cairn(&w, &["plan", "-var", "region=eu-west-1"])
        .code(1)
        .contains("region \"eu-west-1\" differs from the provider")
        .contains("aws_vpc.main: region")
        .contains("data.aws_availability_zones.here: region");
}

/// Provider configuration as users write it: an aliased provider in another region selected with
/// `provider = aws.west`, and an `endpoints { ec2 }` block that wins over AWS_ENDPOINT_URL (here
/// pointing nowhere), with `skip_credentials_validation`.
#[test]
fn aliases_and_endpoints_block() {
    let Some(moto) = Moto::start("aliases_and_endpoints_block") else {
        return;
    };
    let w = Work::new();
    let endpoint = moto.endpoint();
    w.write(
        "main.tf",
        &format!(
            r#"
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  skip_credentials_validation = true
  endpoints {{
    ec2 = "{endpoint}"
  }}
}}

provider "aws" {{
  alias  = "west"
  region = "us-west-2"
  endpoints {{
    ec2 = "{endpoint}"
  }}
}}

resource "aws_vpc" "east" {{
  cidr_block = "10.20.0.0/16"
}}

resource "aws_vpc" "west" {{
  provider   = aws.west
  cidr_block = "10.21.0.0/16"
}}
"#
        ),
    );
    let nowhere = [("AWS_ENDPOINT_URL", "http://127.0.0.1:9")];
    moto.cairn_env(&w, &["apply", "-auto-approve"], &nowhere)
        .ok();
    let st = w.state_objects();
    assert_eq!(st["aws_vpc.east"]["region"], "us-east-1");
    assert_eq!(st["aws_vpc.west"]["region"], "us-west-2");
    let in_region = |region: &str| {
        let all = moto.aws(&[
            "ec2",
            "describe-vpcs",
            "--region",
            region,
            "--filters",
            "Name=is-default,Values=false",
        ]);
        pick(&all, "Vpcs", "CidrBlock")
    };
    assert_eq!(in_region("us-east-1"), vec!["10.20.0.0/16"]);
    assert_eq!(in_region("us-west-2"), vec!["10.21.0.0/16"]);
    moto.cairn_env(&w, &["plan", "-detailed-exitcode"], &nowhere)
        .code(0);
    moto.cairn_env(&w, &["destroy", "-auto-approve"], &nowhere)
        .ok();
    assert!(in_region("us-west-2").is_empty());
}
