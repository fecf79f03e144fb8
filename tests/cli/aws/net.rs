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

/// The knobs of the network fixture: each changes one resource in place or replaces it.
struct Net {
    port: u16,
    public_ip: bool,
    rta_table: &'static str,
    route_dest: &'static str,
    sg_name: &'static str,
    rule_desc: &'static str,
    ssh_cidr: &'static str,
}

const NET: Net = Net {
    port: 443,
    public_ip: true,
    rta_table: "public",
    route_dest: "192.168.0.0/16",
    sg_name: "web",
    rule_desc: "postgres from web",
    ssh_cidr: "10.0.0.0/8",
};

fn net_config(n: &Net) -> String {
    let Net {
        port,
        public_ip,
        rta_table,
        route_dest,
        sg_name,
        rule_desc,
        ssh_cidr,
    } = n;
    format!(
        r#"
provider "aws" {{
  region = "us-east-1"
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.0.0.0/16"
}}

resource "aws_internet_gateway" "gw" {{
  vpc_id = aws_vpc.main.id
  tags   = {{ Name = "gw" }}
}}

resource "aws_subnet" "public" {{
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.1.0/24"
  availability_zone       = "us-east-1a"
  map_public_ip_on_launch = {public_ip}
}}

resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id
  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }}
}}

resource "aws_route_table" "private" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route" "extra" {{
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "{route_dest}"
  gateway_id             = aws_internet_gateway.gw.id
}}

resource "aws_route_table_association" "public" {{
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.{rta_table}.id
}}

resource "aws_security_group" "web" {{
  name   = "{sg_name}"
  vpc_id = aws_vpc.main.id
  ingress {{
    protocol    = "tcp"
    from_port   = {port}
    to_port     = {port}
    cidr_blocks = ["10.0.0.0/8"]
  }}
  egress {{
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_security_group" "db" {{
  name        = "db"
  description = "database"
  vpc_id      = aws_vpc.main.id
}}

resource "aws_security_group_rule" "db_from_web" {{
  type                     = "ingress"
  security_group_id        = aws_security_group.db.id
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
  source_security_group_id = aws_security_group.web.id
  description              = "{rule_desc}"
}}

resource "aws_vpc_security_group_ingress_rule" "ssh" {{
  security_group_id = aws_security_group.db.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "{ssh_cidr}"
  tags              = {{ Name = "ssh" }}
}}

resource "aws_vpc_security_group_egress_rule" "all" {{
  security_group_id = aws_security_group.db.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}}

resource "aws_network_acl" "main" {{
  vpc_id     = aws_vpc.main.id
  subnet_ids = [aws_subnet.public.id]
  ingress {{
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    from_port  = {port}
    to_port    = {port}
    cidr_block = "0.0.0.0/0"
  }}
  egress {{
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    from_port  = 0
    to_port    = 0
    cidr_block = "0.0.0.0/0"
  }}
}}
"#
    )
}

fn ingress_ports(moto: &Moto, sg: &str) -> Vec<i64> {
    let d = moto.aws(&["ec2", "describe-security-groups", "--group-ids", sg]);
    d["SecurityGroups"][0]["IpPermissions"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["FromPort"].as_i64()).collect())
        .unwrap_or_default()
}

#[test]
fn network_lifecycle() {
    let Some(moto) = Moto::start("network_lifecycle") else {
        return;
    };
    let w = Work::new();
    w.write("main.tf", &net_config(&NET));
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    let vpc = state_id(&w, "aws_vpc.main");
    let igw = state_id(&w, "aws_internet_gateway.gw");
    let subnet = state_id(&w, "aws_subnet.public");
    let public_rt = state_id(&w, "aws_route_table.public");
    let private_rt = state_id(&w, "aws_route_table.private");
    let web = state_id(&w, "aws_security_group.web");
    let db = state_id(&w, "aws_security_group.db");
    let acl = state_id(&w, "aws_network_acl.main");
    let ssh = state_id(&w, "aws_vpc_security_group_ingress_rule.ssh");

    // Everything exists as planned, seen through the aws CLI.
    let g = moto.aws(&[
        "ec2",
        "describe-internet-gateways",
        "--internet-gateway-ids",
        &igw,
    ]);
    assert_eq!(
        g["InternetGateways"][0]["Attachments"][0]["VpcId"],
        vpc.as_str()
    );
    let s = moto.aws(&["ec2", "describe-subnets", "--subnet-ids", &subnet]);
    assert_eq!(s["Subnets"][0]["MapPublicIpOnLaunch"], true);
    assert_eq!(s["Subnets"][0]["CidrBlock"], "10.0.1.0/24");
    let rt = moto.aws(&[
        "ec2",
        "describe-route-tables",
        "--route-table-ids",
        &public_rt,
    ]);
    let routes = rt["RouteTables"][0]["Routes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        routes
            .iter()
            .any(|r| r["DestinationCidrBlock"] == "0.0.0.0/0" && r["GatewayId"] == igw.as_str()),
        "inline route: {routes:?}"
    );
    assert!(
        rt["RouteTables"][0]["Associations"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["SubnetId"] == subnet.as_str())),
        "association"
    );
    let rt = moto.aws(&[
        "ec2",
        "describe-route-tables",
        "--route-table-ids",
        &private_rt,
    ]);
    assert!(
        rt["RouteTables"][0]["Routes"].as_array().is_some_and(|a| a
            .iter()
            .any(|r| r["DestinationCidrBlock"] == "192.168.0.0/16")),
        "aws_route"
    );
    assert_eq!(ingress_ports(&moto, &web), vec![443]);
    let d = moto.aws(&["ec2", "describe-security-groups", "--group-ids", &web]);
    let egress = d["SecurityGroups"][0]["IpPermissionsEgress"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(egress.len(), 1, "one egress rule: {egress:?}");
    let d = moto.aws(&["ec2", "describe-security-groups", "--group-ids", &db]);
    let perms = d["SecurityGroups"][0]["IpPermissions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        perms
            .iter()
            .any(|p| p["FromPort"] == 5432 && p["UserIdGroupPairs"][0]["GroupId"] == web.as_str()),
        "aws_security_group_rule: {perms:?}"
    );
    let r = moto.aws(&[
        "ec2",
        "describe-security-group-rules",
        "--security-group-rule-ids",
        &ssh,
    ]);
    assert_eq!(r["SecurityGroupRules"][0]["CidrIpv4"], "10.0.0.0/8");
    let a = moto.aws(&["ec2", "describe-network-acls", "--network-acl-ids", &acl]);
    let entries = a["NetworkAcls"][0]["Entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        entries
            .iter()
            .any(|e| e["RuleNumber"] == 100 && e["Egress"] == false)
    );
    assert!(
        a["NetworkAcls"][0]["Associations"]
            .as_array()
            .is_some_and(|x| x.iter().any(|s| s["SubnetId"] == subnet.as_str())),
        "ACL association"
    );
    no_changes(&moto, &w);

    // In place: subnet attribute, inline SG and ACL rules, association target, rule descriptions.
    let changed = Net {
        port: 8443,
        public_ip: false,
        rta_table: "private",
        rule_desc: "postgres",
        ssh_cidr: "10.1.0.0/16",
        ..NET
    };
    w.write("main.tf", &net_config(&changed));
    moto.cairn(&w, &["apply", "-auto-approve"])
        .ok()
        .contains("0 added")
        .contains("0 destroyed");
    assert_eq!(state_id(&w, "aws_security_group.web"), web);
    assert_eq!(state_id(&w, "aws_subnet.public"), subnet);
    assert_eq!(ingress_ports(&moto, &web), vec![8443]);
    let s = moto.aws(&["ec2", "describe-subnets", "--subnet-ids", &subnet]);
    assert_eq!(s["Subnets"][0]["MapPublicIpOnLaunch"], false);
    let rt = moto.aws(&[
        "ec2",
        "describe-route-tables",
        "--route-table-ids",
        &private_rt,
    ]);
    assert!(
        rt["RouteTables"][0]["Associations"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["SubnetId"] == subnet.as_str())),
        "association moved to the private table"
    );
    let r = moto.aws(&[
        "ec2",
        "describe-security-group-rules",
        "--security-group-rule-ids",
        &ssh,
    ]);
    assert_eq!(r["SecurityGroupRules"][0]["CidrIpv4"], "10.1.0.0/16");
    let a = moto.aws(&["ec2", "describe-network-acls", "--network-acl-ids", &acl]);
    let entries = a["NetworkAcls"][0]["Entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        entries
            .iter()
            .any(|e| e["RuleNumber"] == 100 && e["PortRange"]["From"] == 8443)
    );
    no_changes(&moto, &w);

    // Force-new: a security group's name and a route's destination replace them.
    let replaced = Net {
        sg_name: "web2",
        route_dest: "172.16.0.0/12",
        ..changed
    };
    w.write("main.tf", &net_config(&replaced));
    moto.cairn(&w, &["apply", "-auto-approve"])
        .ok()
        .lacks("0 destroyed");
    let web2 = state_id(&w, "aws_security_group.web");
    assert_ne!(web2, web);
    let gone = moto.aws(&[
        "ec2",
        "describe-security-groups",
        "--filters",
        &format!("Name=group-id,Values={web}"),
    ]);
    assert!(
        pick(&gone, "SecurityGroups", "GroupId").is_empty(),
        "old group deleted"
    );
    let rt = moto.aws(&[
        "ec2",
        "describe-route-tables",
        "--route-table-ids",
        &private_rt,
    ]);
    let dests: Vec<String> = rt["RouteTables"][0]["Routes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["DestinationCidrBlock"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        dests.contains(&"172.16.0.0/12".to_string())
            && !dests.contains(&"192.168.0.0/16".to_string()),
        "{dests:?}"
    );
    no_changes(&moto, &w);

    // Import every resource back after forgetting it: no changes afterwards.
    let before = w.state_objects();
    let imports: Vec<(&str, String)> = vec![
        ("aws_internet_gateway.gw", igw.clone()),
        ("aws_subnet.public", subnet.clone()),
        ("aws_route_table.public", public_rt.clone()),
        ("aws_route.extra", format!("{private_rt}_172.16.0.0/12")),
        (
            "aws_route_table_association.public",
            format!("{subnet}/{private_rt}"),
        ),
        ("aws_security_group.web", web2.clone()),
        (
            "aws_security_group_rule.db_from_web",
            format!("{db}_ingress_tcp_5432_5432_{web2}"),
        ),
        ("aws_vpc_security_group_ingress_rule.ssh", ssh.clone()),
        ("aws_network_acl.main", acl.clone()),
    ];
    for (addr, id) in &imports {
        moto.cairn(&w, &["state", "rm", addr]).ok();
        moto.cairn(&w, &["import", addr, id])
            .ok()
            .contains("Import successful");
        assert_eq!(
            w.state_objects()[*addr]["id"],
            before[*addr]["id"],
            "{addr} imported with the same id"
        );
    }
    no_changes(&moto, &w);

    // Drift: a rule revoked and a route deleted behind cairn's back are planned again.
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
        &private_rt,
        "--destination-cidr-block",
        "172.16.0.0/12",
    ]);
    moto.cairn(&w, &["plan", "-detailed-exitcode"])
        .code(2)
        .contains("aws_vpc_security_group_ingress_rule.ssh")
        .contains("aws_route.extra")
        .contains("2 to add");
    moto.cairn(&w, &["apply", "-auto-approve"]).ok();
    no_changes(&moto, &w);

    moto.cairn(&w, &["destroy", "-auto-approve"]).ok();
    let left = moto.aws(&[
        "ec2",
        "describe-vpcs",
        "--filters",
        &format!("Name=vpc-id,Values={vpc}"),
    ]);
    assert!(pick(&left, "Vpcs", "VpcId").is_empty(), "VPC destroyed");
    let left = moto.aws(&[
        "ec2",
        "describe-internet-gateways",
        "--filters",
        &format!("Name=internet-gateway-id,Values={igw}"),
    ]);
    assert!(
        pick(&left, "InternetGateways", "InternetGatewayId").is_empty(),
        "gateway destroyed"
    );
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
    moto.cairn(&w, &["apply", "-auto-approve"])
        .code(1)
        .contains("aws_subnet.bad")
        .contains("InvalidSubnet.Range");

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
