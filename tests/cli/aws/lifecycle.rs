//! The lifecycle every resource type of the `aws` provider goes through against moto, driven by
//! one table per configuration: create (checked through the aws CLI), a re-plan with no changes,
//! an in-place update seen by the API, a replacement (new id in the API, old object gone),
//! `cairn import` by Terraform's import id followed by a plan with no changes, and destroy (gone
//! from the API). Resources that need shared parents are grouped into one configuration per test,
//! so one moto and one series of cairn runs covers many types.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::compute::amis;
use super::{Moto, describe, tag};
use crate::support::Work;

/// The three configurations of a lifecycle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stage {
    /// What is created.
    Base,
    /// Base with an updatable attribute of each subject changed.
    Update,
    /// Update with a force-new attribute of each subject changed.
    Replace,
}

/// The state's objects by address.
pub type Objs = BTreeMap<String, Json>;

/// Checks an object through the aws CLI (see [`Subject::check`]).
pub type Check<'a> = Box<dyn Fn(&Moto, &Objs, Stage) + 'a>;
/// Tells whether an object is gone (see [`Subject::gone`]).
pub type Gone<'a> = Box<dyn Fn(&Moto, &Json) -> bool + 'a>;

/// A resource whose lifecycle the table checks.
pub struct Subject<'a> {
    pub addr: &'static str,
    /// Whether the Replace stage replaces it (false only for a type without force-new attributes).
    pub replaced: bool,
    /// Whether an in-place update gives the object a new id (as a route table association's
    /// ReplaceRouteTableAssociation does, and Terraform's provider records).
    pub new_id_on_update: bool,
    /// The attribute that identifies the API object (`id`, or `key_pair_id` for a key pair,
    /// whose `id` is its name).
    pub identity: &'static str,
    /// Terraform's import id of the object, from the state.
    pub import_id: Box<dyn Fn(&Objs) -> String + 'a>,
    /// Asserts through the aws CLI that the object in state exists as `Stage` plans it.
    pub check: Check<'a>,
    /// Whether the object, as it was in state, is gone from the API.
    pub gone: Gone<'a>,
}

/// The `id` of `addr` in the state objects.
#[track_caller]
pub fn id(st: &Objs, addr: &str) -> String {
    st.get(addr)
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("{addr} has an id in state: {:?}", st.keys()))
        .to_string()
}

/// The identity attribute of subject `s` in the state objects.
#[track_caller]
fn ident(st: &Objs, s: &Subject) -> String {
    st.get(s.addr)
        .and_then(|o| o[s.identity].as_str())
        .unwrap_or_else(|| panic!("{} has {} in state", s.addr, s.identity))
        .to_string()
}

/// `plan -detailed-exitcode` exits 0.
#[track_caller]
fn no_changes(moto: &Moto, w: &Work, after: &str) {
    let r = moto.cairn(w, &["plan", "-detailed-exitcode"]);
    assert_eq!(
        r.code, 0,
        "no changes expected after {after}\nstdout:\n{}\nstderr:\n{}",
        r.stdout, r.stderr
    );
}

/// Runs the seven steps over `subjects`, writing `config(stage)` as `main.tf`.
pub fn run(moto: &Moto, w: &Work, config: &dyn Fn(Stage) -> String, subjects: &[Subject]) {
    // 1. Create, and every subject exists as planned.
    w.write("main.tf", &config(Stage::Base));
    moto.cairn(w, &["apply", "-auto-approve"]).ok();
    let created = w.state_objects();
    for s in subjects {
        (s.check)(moto, &created, Stage::Base);
    }
    // 2. Nothing left to change.
    no_changes(moto, w, "create");

    // 3. In place: each subject is updated, none replaced, ids kept, the API sees the change.
    w.write("main.tf", &config(Stage::Update));
    let plan = moto.cairn(w, &["plan", "-detailed-exitcode"]);
    plan.code(2)
        .lacks("must be replaced")
        .lacks("will be destroyed");
    for s in subjects {
        plan.contains(&format!("{} will be updated in-place", s.addr));
    }
    moto.cairn(w, &["apply", "-auto-approve"]).ok();
    let updated = w.state_objects();
    for s in subjects {
        if !s.new_id_on_update {
            assert_eq!(ident(&updated, s), ident(&created, s), "{} kept", s.addr);
        }
        (s.check)(moto, &updated, Stage::Update);
    }
    no_changes(moto, w, "update");

    // 4. Replace: each subject gets a new object and the old one is gone.
    w.write("main.tf", &config(Stage::Replace));
    let plan = moto.cairn(w, &["plan", "-detailed-exitcode"]);
    plan.code(2);
    for s in subjects {
        let line = format!("{} must be replaced", s.addr);
        if s.replaced {
            plan.contains(&line);
        } else {
            plan.lacks(&line);
        }
    }
    moto.cairn(w, &["apply", "-auto-approve"]).ok();
    let replaced = w.state_objects();
    for s in subjects {
        let (old, new) = (ident(&updated, s), ident(&replaced, s));
        if s.replaced {
            assert_ne!(old, new, "{} replaced", s.addr);
            assert!(
                (s.gone)(moto, &updated[s.addr]),
                "{}: the old object {old} is gone",
                s.addr
            );
        } else {
            assert_eq!(old, new, "{} has no force-new attribute", s.addr);
        }
        (s.check)(moto, &replaced, Stage::Replace);
    }
    no_changes(moto, w, "replace");

    // 5. Import: forget every subject, import each by its import id, nothing left to change.
    let mut rm = vec!["state", "rm"];
    rm.extend(subjects.iter().map(|s| s.addr));
    moto.cairn(w, &rm).ok();
    for s in subjects {
        let import_id = (s.import_id)(&replaced);
        moto.cairn(w, &["import", s.addr, &import_id])
            .ok()
            .contains("Import successful");
        let st = w.state_objects();
        assert_eq!(
            id(&st, s.addr),
            id(&replaced, s.addr),
            "{} imported by {import_id}",
            s.addr
        );
    }
    no_changes(moto, w, "import");

    // 6. Destroy: every subject is gone from the API. Imported objects record no dependencies
    // (as in Terraform); the destroy is ordered by the configuration as well, so a volume is
    // detached before its instance is terminated.
    moto.cairn(w, &["destroy", "-auto-approve"]).ok();
    for s in subjects {
        assert!(
            (s.gone)(moto, &replaced[s.addr]),
            "{} destroyed: {}",
            s.addr,
            replaced[s.addr]
        );
    }
    assert!(
        w.state_objects().keys().all(|k| k.starts_with("data.")),
        "only data sources are left in state"
    );
}

fn s<'a>(
    addr: &'static str,
    import_id: impl Fn(&Objs) -> String + 'a,
    check: impl Fn(&Moto, &Objs, Stage) + 'a,
    gone: impl Fn(&Moto, &Json) -> bool + 'a,
) -> Subject<'a> {
    Subject {
        addr,
        replaced: true,
        new_id_on_update: false,
        identity: "id",
        import_id: Box::new(import_id),
        check: Box::new(check),
        gone: Box::new(gone),
    }
}

/// The import id is the `id` attribute.
fn by_id(addr: &'static str) -> impl Fn(&Objs) -> String {
    move |st| id(st, addr)
}

/// `gone` for a type described by `args ID` into `list`.
fn gone_by(args: &'static [&'static str], list: &'static str) -> impl Fn(&Moto, &Json) -> bool {
    move |m, o| {
        let id = o["id"].as_str().unwrap_or_default();
        let mut a = args.to_vec();
        a.push(id);
        describe(m, &a, list).is_none()
    }
}

/// The described object of `addr` (which must exist).
#[track_caller]
fn obj(moto: &Moto, st: &Objs, addr: &str, args: &[&str], list: &str) -> Json {
    let id = id(st, addr);
    let mut a = args.to_vec();
    a.push(&id);
    describe(moto, &a, list).unwrap_or_else(|| panic!("{addr} ({id}) exists in the API"))
}

const RULES: &[&str] = &["describe-security-group-rules", "--security-group-rule-ids"];

/// The row of an `aws_vpc_security_group_{ingress,egress}_rule` (`egress`) on port `port`: on
/// `db`, moved to `db2` by the replace stage, from 10.0.0.0/8 and then 10.1.0.0/16; `more` checks
/// what else the rule's configuration sets.
fn vpc_sg_rule<'a>(
    addr: &'static str,
    egress: bool,
    port: i64,
    more: impl Fn(&Json, Stage) + 'a,
) -> Subject<'a> {
    s(
        addr,
        by_id(addr),
        move |m, st, stage| {
            let r = obj(m, st, addr, RULES, "SecurityGroupRules");
            let sg = pick3(
                stage,
                "aws_security_group.db",
                "aws_security_group.db",
                "aws_security_group.db2",
            );
            assert_eq!(r["GroupId"], id(st, sg).as_str());
            assert_eq!(r["IsEgress"], egress);
            assert_eq!(r["FromPort"], port);
            assert_eq!(
                r["CidrIpv4"],
                pick3(stage, "10.0.0.0/8", "10.1.0.0/16", "10.1.0.0/16")
            );
            more(&r, stage);
        },
        gone_by(RULES, "SecurityGroupRules"),
    )
}

fn pick3<T>(stage: Stage, base: T, update: T, replace: T) -> T {
    match stage {
        Stage::Base => base,
        Stage::Update => update,
        Stage::Replace => replace,
    }
}

fn arr(v: &Json) -> Vec<Json> {
    v.as_array().cloned().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The network types.

fn net_config(stage: Stage) -> String {
    let p = |b, u, r| pick3(stage, b, u, r);
    let tv = p("a", "b", "b");
    let flag = p("false", "true", "true");
    let solo_cidr = p("10.9.0.0/16", "10.9.0.0/16", "10.8.0.0/16");
    let subnet_cidr = p("10.0.1.0/24", "10.0.1.0/24", "10.0.2.0/24");
    let rt = p(
        "vpc_id = aws_vpc.main.id\n  route {\n    cidr_block = \"0.0.0.0/0\"\n    gateway_id = aws_internet_gateway.main.id\n  }",
        "vpc_id = aws_vpc.main.id\n  route {\n    cidr_block = \"192.168.0.0/16\"\n    gateway_id = aws_internet_gateway.main.id\n  }",
        "vpc_id = aws_vpc.other.id\n  route {\n    cidr_block = \"0.0.0.0/0\"\n    gateway_id = aws_internet_gateway.gw.id\n  }",
    );
    let route_dest = p("172.16.0.0/12", "172.16.0.0/12", "172.17.0.0/16");
    let route_target = p(
        "gateway_id = aws_internet_gateway.main.id",
        "nat_gateway_id = aws_nat_gateway.net.id",
        "nat_gateway_id = aws_nat_gateway.net.id",
    );
    let rta_table = p("spare", "rt", "spare");
    let port = p("443", "8443", "8443");
    let sg_name = p("web", "web", "web2");
    let rule_port = p("5432", "5432", "5433");
    let rule_sg = p("db", "db", "db2");
    let cidr = p("10.0.0.0/8", "10.1.0.0/16", "10.1.0.0/16");
    let acl = p(
        "vpc_id     = aws_vpc.main.id\n  subnet_ids = [aws_subnet.a.id]",
        "vpc_id     = aws_vpc.main.id\n  subnet_ids = [aws_subnet.a.id]",
        "vpc_id     = aws_vpc.other.id",
    );
    format!(
        r#"
provider "aws" {{
  region = "us-east-1"
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.0.0.0/16"
}}

resource "aws_vpc" "other" {{
  cidr_block = "10.1.0.0/16"
}}

resource "aws_internet_gateway" "main" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_subnet" "stable" {{
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.100.0/24"
}}

resource "aws_eip" "net" {{
  domain = "vpc"
}}

resource "aws_nat_gateway" "net" {{
  allocation_id = aws_eip.net.id
  subnet_id     = aws_subnet.stable.id
}}

resource "aws_route_table" "spare" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_security_group" "db" {{
  name   = "db"
  vpc_id = aws_vpc.main.id
}}

resource "aws_security_group" "db2" {{
  name   = "db2"
  vpc_id = aws_vpc.main.id
}}

resource "aws_vpc" "solo" {{
  cidr_block           = "{solo_cidr}"
  enable_dns_hostnames = {flag}
  tags = {{
    Name = "solo-{tv}"
  }}
}}

resource "aws_internet_gateway" "gw" {{
  vpc_id = aws_vpc.other.id
  tags = {{
    Name = "gw-{tv}"
  }}
}}

resource "aws_subnet" "a" {{
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "{subnet_cidr}"
  availability_zone       = "us-east-1a"
  map_public_ip_on_launch = {flag}
}}

resource "aws_route_table" "rt" {{
  {rt}
  tags = {{
    Name = "rt-{tv}"
  }}
}}

resource "aws_route" "r" {{
  route_table_id         = aws_route_table.spare.id
  destination_cidr_block = "{route_dest}"
  {route_target}
}}

resource "aws_route_table_association" "a" {{
  subnet_id      = aws_subnet.a.id
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
  tags = {{
    Name = "web-{tv}"
  }}
}}

resource "aws_security_group_rule" "pg" {{
  type              = "ingress"
  security_group_id = aws_security_group.db.id
  protocol          = "tcp"
  from_port         = {rule_port}
  to_port           = {rule_port}
  cidr_blocks       = ["10.0.0.0/8"]
  description       = "pg-{tv}"
}}

resource "aws_vpc_security_group_ingress_rule" "ssh" {{
  security_group_id = aws_security_group.{rule_sg}.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "{cidr}"
  tags = {{
    Name = "ssh-{tv}"
  }}
}}

resource "aws_vpc_security_group_egress_rule" "out" {{
  security_group_id = aws_security_group.{rule_sg}.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "{cidr}"
  description       = "out-{tv}"
}}

resource "aws_network_acl" "acl" {{
  {acl}
  ingress {{
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    from_port  = {port}
    to_port    = {port}
    cidr_block = "0.0.0.0/0"
  }}
  tags = {{
    Name = "acl-{tv}"
  }}
}}
"#
    )
}

fn routes_of(rt: &Json) -> Vec<(String, String)> {
    arr(&rt["Routes"])
        .iter()
        .filter(|r| r["GatewayId"] != "local")
        .map(|r| {
            let target = ["GatewayId", "NatGatewayId"]
                .iter()
                .find_map(|k| r[*k].as_str())
                .unwrap_or_default();
            (
                r["DestinationCidrBlock"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                target.to_string(),
            )
        })
        .collect()
}

fn net_subjects<'a>() -> Vec<Subject<'a>> {
    const VPCS: &[&str] = &["describe-vpcs", "--vpc-ids"];
    const IGWS: &[&str] = &["describe-internet-gateways", "--internet-gateway-ids"];
    const SUBNETS: &[&str] = &["describe-subnets", "--subnet-ids"];
    const RTS: &[&str] = &["describe-route-tables", "--route-table-ids"];
    const SGS: &[&str] = &["describe-security-groups", "--group-ids"];
    const ACLS: &[&str] = &["describe-network-acls", "--network-acl-ids"];
    let tv = |stage| pick3(stage, "a", "b", "b");
    let route_table = |m: &Moto, id: &str| {
        describe(
            m,
            &["describe-route-tables", "--route-table-ids", id],
            "RouteTables",
        )
    };
    let route_dest = |stage| pick3(stage, "172.16.0.0/12", "172.16.0.0/12", "172.17.0.0/16");
    let sg_rules = |m: &Moto, sg: &str| -> Vec<Json> {
        let v = m.aws(&[
            "ec2",
            "describe-security-group-rules",
            "--filters",
            &format!("Name=group-id,Values={sg}"),
        ]);
        arr(&v["SecurityGroupRules"])
    };
    vec![
        s(
            "aws_vpc.solo",
            by_id("aws_vpc.solo"),
            move |m, st, stage| {
                let v = obj(m, st, "aws_vpc.solo", VPCS, "Vpcs");
                let cidr = pick3(stage, "10.9.0.0/16", "10.9.0.0/16", "10.8.0.0/16");
                assert_eq!(v["CidrBlock"], cidr);
                assert_eq!(
                    tag(&v, "Name"),
                    Some(format!("solo-{}", tv(stage)).as_str())
                );
                let a = m.aws(&[
                    "ec2",
                    "describe-vpc-attribute",
                    "--vpc-id",
                    &id(st, "aws_vpc.solo"),
                    "--attribute",
                    "enableDnsHostnames",
                ]);
                assert_eq!(a["EnableDnsHostnames"]["Value"], stage != Stage::Base);
            },
            gone_by(VPCS, "Vpcs"),
        ),
        Subject {
            // aws_internet_gateway has no force-new attribute: vpc_id attaches and detaches.
            replaced: false,
            ..s(
                "aws_internet_gateway.gw",
                by_id("aws_internet_gateway.gw"),
                move |m, st, stage| {
                    let g = obj(m, st, "aws_internet_gateway.gw", IGWS, "InternetGateways");
                    assert_eq!(
                        g["Attachments"][0]["VpcId"],
                        id(st, "aws_vpc.other").as_str()
                    );
                    assert_eq!(tag(&g, "Name"), Some(format!("gw-{}", tv(stage)).as_str()));
                },
                gone_by(IGWS, "InternetGateways"),
            )
        },
        s(
            "aws_subnet.a",
            by_id("aws_subnet.a"),
            move |m, st, stage| {
                let v = obj(m, st, "aws_subnet.a", SUBNETS, "Subnets");
                let cidr = pick3(stage, "10.0.1.0/24", "10.0.1.0/24", "10.0.2.0/24");
                assert_eq!(v["CidrBlock"], cidr);
                assert_eq!(v["AvailabilityZone"], "us-east-1a");
                assert_eq!(v["VpcId"], id(st, "aws_vpc.main").as_str());
                assert_eq!(v["MapPublicIpOnLaunch"], stage != Stage::Base);
            },
            gone_by(SUBNETS, "Subnets"),
        ),
        s(
            "aws_route_table.rt",
            by_id("aws_route_table.rt"),
            move |m, st, stage| {
                let v = obj(m, st, "aws_route_table.rt", RTS, "RouteTables");
                let (vpc, dest, gw) = match stage {
                    Stage::Base => ("aws_vpc.main", "0.0.0.0/0", "aws_internet_gateway.main"),
                    Stage::Update => (
                        "aws_vpc.main",
                        "192.168.0.0/16",
                        "aws_internet_gateway.main",
                    ),
                    Stage::Replace => ("aws_vpc.other", "0.0.0.0/0", "aws_internet_gateway.gw"),
                };
                assert_eq!(v["VpcId"], id(st, vpc).as_str());
                assert_eq!(routes_of(&v), vec![(dest.to_string(), id(st, gw))]);
                assert_eq!(tag(&v, "Name"), Some(format!("rt-{}", tv(stage)).as_str()));
            },
            gone_by(RTS, "RouteTables"),
        ),
        s(
            "aws_route.r",
            move |st| {
                format!(
                    "{}_{}",
                    id(st, "aws_route_table.spare"),
                    st["aws_route.r"]["destination_cidr_block"]
                        .as_str()
                        .unwrap_or_default()
                )
            },
            move |m, st, stage| {
                let rt = route_table(m, &id(st, "aws_route_table.spare")).expect("spare table");
                let target = match stage {
                    Stage::Base => id(st, "aws_internet_gateway.main"),
                    _ => id(st, "aws_nat_gateway.net"),
                };
                assert_eq!(
                    routes_of(&rt),
                    vec![(route_dest(stage).to_string(), target)]
                );
            },
            move |m, o| {
                let rt = o["route_table_id"].as_str().unwrap_or_default();
                let dest = o["destination_cidr_block"].as_str().unwrap_or_default();
                route_table(m, rt).is_none_or(|t| routes_of(&t).iter().all(|(d, _)| d != dest))
            },
        ),
        Subject {
            new_id_on_update: true,
            ..s(
                "aws_route_table_association.a",
                move |st| {
                    format!(
                        "{}/{}",
                        id(st, "aws_subnet.a"),
                        st["aws_route_table_association.a"]["route_table_id"]
                            .as_str()
                            .unwrap_or_default()
                    )
                },
                move |m, st, stage| {
                    let table = pick3(
                        stage,
                        "aws_route_table.spare",
                        "aws_route_table.rt",
                        "aws_route_table.spare",
                    );
                    let rt = route_table(m, &id(st, table)).expect("associated table");
                    let assoc = arr(&rt["Associations"]);
                    let a = assoc
                        .iter()
                        .find(|a| {
                            a["RouteTableAssociationId"]
                                == id(st, "aws_route_table_association.a").as_str()
                        })
                        .unwrap_or_else(|| panic!("association on {table}: {assoc:?}"));
                    assert_eq!(a["SubnetId"], id(st, "aws_subnet.a").as_str());
                },
                move |m, o| {
                    let assoc = o["id"].as_str().unwrap_or_default();
                    let v = m.aws(&[
                        "ec2",
                        "describe-route-tables",
                        "--filters",
                        &format!("Name=association.route-table-association-id,Values={assoc}"),
                    ]);
                    arr(&v["RouteTables"]).is_empty()
                },
            )
        },
        s(
            "aws_security_group.web",
            by_id("aws_security_group.web"),
            move |m, st, stage| {
                let g = obj(m, st, "aws_security_group.web", SGS, "SecurityGroups");
                assert_eq!(g["GroupName"], pick3(stage, "web", "web", "web2"));
                assert_eq!(g["VpcId"], id(st, "aws_vpc.main").as_str());
                let port = pick3(stage, 443, 8443, 8443);
                let ingress = arr(&g["IpPermissions"]);
                assert_eq!(ingress.len(), 1, "{ingress:?}");
                assert_eq!(ingress[0]["FromPort"], port);
                assert_eq!(ingress[0]["IpRanges"][0]["CidrIp"], "10.0.0.0/8");
                let egress = arr(&g["IpPermissionsEgress"]);
                assert_eq!(egress.len(), 1, "{egress:?}");
                assert_eq!(egress[0]["IpProtocol"], "-1");
                assert_eq!(tag(&g, "Name"), Some(format!("web-{}", tv(stage)).as_str()));
            },
            gone_by(SGS, "SecurityGroups"),
        ),
        s(
            "aws_security_group_rule.pg",
            move |st| {
                let port = st["aws_security_group_rule.pg"]["from_port"]
                    .as_i64()
                    .unwrap_or_default();
                format!(
                    "{}_ingress_tcp_{port}_{port}_10.0.0.0/8",
                    id(st, "aws_security_group.db")
                )
            },
            move |m, st, stage| {
                let port = pick3(stage, 5432, 5432, 5433);
                let rules = sg_rules(m, &id(st, "aws_security_group.db"));
                let r = rules
                    .iter()
                    .find(|r| {
                        r["IsEgress"] == false && (r["FromPort"] == 5432 || r["FromPort"] == 5433)
                    })
                    .unwrap_or_else(|| panic!("the rule on db: {rules:?}"));
                assert_eq!(r["FromPort"], port);
                assert_eq!(r["ToPort"], port);
                assert_eq!(r["CidrIpv4"], "10.0.0.0/8");
                assert_eq!(r["Description"], format!("pg-{}", tv(stage)).as_str());
            },
            move |m, o| {
                let sg = o["security_group_id"].as_str().unwrap_or_default();
                let port = o["from_port"].as_i64().unwrap_or_default();
                describe(
                    m,
                    &["describe-security-groups", "--group-ids", sg],
                    "SecurityGroups",
                )
                .is_none_or(|g| {
                    arr(&g["IpPermissions"])
                        .iter()
                        .all(|p| p["FromPort"] != port)
                })
            },
        ),
        vpc_sg_rule(
            "aws_vpc_security_group_ingress_rule.ssh",
            false,
            22,
            move |r, stage| assert_eq!(tag(r, "Name"), Some(format!("ssh-{}", tv(stage)).as_str())),
        ),
        vpc_sg_rule(
            "aws_vpc_security_group_egress_rule.out",
            true,
            443,
            move |r, stage| assert_eq!(r["Description"], format!("out-{}", tv(stage)).as_str()),
        ),
        s(
            "aws_network_acl.acl",
            by_id("aws_network_acl.acl"),
            move |m, st, stage| {
                let a = obj(m, st, "aws_network_acl.acl", ACLS, "NetworkAcls");
                let vpc = pick3(stage, "aws_vpc.main", "aws_vpc.main", "aws_vpc.other");
                assert_eq!(a["VpcId"], id(st, vpc).as_str());
                let port = pick3(stage, 443, 8443, 8443);
                let entries = arr(&a["Entries"]);
                assert!(
                    entries.iter().any(|e| e["RuleNumber"] == 100
                        && e["Egress"] == false
                        && e["PortRange"]["From"] == port),
                    "ingress rule 100 on port {port}: {entries:?}"
                );
                let subnets: Vec<Json> = arr(&a["Associations"])
                    .iter()
                    .map(|x| x["SubnetId"].clone())
                    .collect();
                if stage == Stage::Replace {
                    assert!(subnets.is_empty(), "{subnets:?}");
                } else {
                    assert_eq!(subnets, vec![Json::from(id(st, "aws_subnet.a"))]);
                }
                assert_eq!(tag(&a, "Name"), Some(format!("acl-{}", tv(stage)).as_str()));
            },
            gone_by(ACLS, "NetworkAcls"),
        ),
    ]
}

#[test]
fn network_types_lifecycle() {
    let Some(moto) = Moto::start("network_types_lifecycle") else {
        return;
    };
    let w = Work::new();
    run(&moto, &w, &net_config, &net_subjects());
}

// ---------------------------------------------------------------------------------------------
// The compute types.

fn ssh_public_key(w: &Work, name: &str) -> Option<String> {
    let path = w.path().join(name);
    let out = std::process::Command::new("ssh-keygen")
        .args([
            "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "test", "-f",
        ])
        .arg(&path)
        .output()
        .ok()?;
    assert!(out.status.success(), "ssh-keygen failed");
    Some(
        std::fs::read_to_string(path.with_extension("pub"))
            .expect("public key")
            .trim()
            .to_string(),
    )
}

struct Compute {
    ami: (String, String),
    key: (String, String),
}

fn compute_config(c: &Compute, stage: Stage) -> String {
    let p = |b, u, r| pick3(stage, b, u, r);
    let tv = p("a", "b", "b");
    let key = p(&c.key.0, &c.key.0, &c.key.1);
    let ami = p(&c.ami.0, &c.ami.0, &c.ami.1);
    let itype = p("t3.micro", "t3.small", "t3.small");
    let eip = p(
        "",
        "instance = aws_instance.app.id",
        "instance = aws_instance.app.id\n  address  = \"198.51.100.7\"",
    );
    let nat_eip = p("nat", "nat", "nat2");
    let size = p("10", "20", "20");
    let encrypted = p("false", "false", "true");
    // Left out at last: an import cannot know this state-only flag.
    let force_detach = p("force_detach = false", "force_detach = true", "");
    let device = p("/dev/sdh", "/dev/sdh", "/dev/sdi");
    let lt_name = p("app", "app", "app2");
    // A new template starts at version 1 anyway; left out at last, as an import cannot know
    // this state-only flag.
    let lt_default = p(
        "update_default_version = true",
        "update_default_version = true",
        "",
    );
    format!(
        r#"
provider "aws" {{
  region = "us-east-1"
  default_tags {{
    tags = {{ Env = "test" }}
  }}
}}

data "aws_vpc" "default" {{
  default = true
}}

data "aws_subnet" "first" {{
  vpc_id            = data.aws_vpc.default.id
  availability_zone = "us-east-1a"
  default_for_az    = true
}}

resource "aws_eip" "nat" {{
  domain = "vpc"
}}

resource "aws_eip" "nat2" {{
  domain = "vpc"
}}

resource "aws_key_pair" "deploy" {{
  key_name   = "deploy"
  public_key = "{key}"
  tags = {{
    Name = "deploy-{tv}"
  }}
}}

resource "aws_instance" "app" {{
  ami           = "{ami}"
  instance_type = "{itype}"
  subnet_id     = data.aws_subnet.first.id
  key_name      = aws_key_pair.deploy.key_name
  tags = {{
    Name = "app-{tv}"
  }}
}}

resource "aws_eip" "app" {{
  domain = "vpc"
  {eip}
  tags = {{
    Name = "eip-{tv}"
  }}
}}

resource "aws_nat_gateway" "nat" {{
  allocation_id = aws_eip.{nat_eip}.id
  subnet_id     = data.aws_subnet.first.id
  tags = {{
    Name = "nat-{tv}"
  }}
}}

resource "aws_ebs_volume" "data" {{
  availability_zone = data.aws_subnet.first.availability_zone
  size              = {size}
  type              = "gp3"
  encrypted         = {encrypted}
  tags = {{
    Name = "data-{tv}"
  }}
}}

resource "aws_volume_attachment" "data" {{
  device_name  = "{device}"
  volume_id    = aws_ebs_volume.data.id
  instance_id  = aws_instance.app.id
  {force_detach}
}}

resource "aws_launch_template" "app" {{
  name                   = "{lt_name}"
  image_id               = "{ami}"
  instance_type          = "{itype}"
  key_name               = aws_key_pair.deploy.key_name
  {lt_default}
  tags = {{
    Name = "lt-{tv}"
  }}
}}
"#
    )
}

fn compute_subjects<'a>(c: &'a Compute) -> Vec<Subject<'a>> {
    const INSTANCES: &[&str] = &["describe-instances", "--instance-ids"];
    const ADDRESSES: &[&str] = &["describe-addresses", "--allocation-ids"];
    const NATS: &[&str] = &["describe-nat-gateways", "--nat-gateway-ids"];
    const VOLUMES: &[&str] = &["describe-volumes", "--volume-ids"];
    const LTS: &[&str] = &["describe-launch-templates", "--launch-template-ids"];
    let tv = |stage| pick3(stage, "a", "b", "b");
    let instance = |m: &Moto, id: &str| -> Option<Json> {
        let r = describe(
            m,
            &["describe-instances", "--instance-ids", id],
            "Reservations",
        )?;
        r["Instances"].as_array()?.first().cloned()
    };
    vec![
        Subject {
            identity: "key_pair_id",
            ..s(
                "aws_key_pair.deploy",
                |_| "deploy".to_string(),
                move |m, st, stage| {
                    let k = describe(
                        m,
                        &["describe-key-pairs", "--key-names", "deploy"],
                        "KeyPairs",
                    )
                    .expect("key pair");
                    let o = &st["aws_key_pair.deploy"];
                    assert_eq!(k["KeyPairId"], o["key_pair_id"]);
                    assert_eq!(k["KeyFingerprint"], o["fingerprint"]);
                    let key = pick3(stage, &c.key.0, &c.key.0, &c.key.1);
                    assert_eq!(o["public_key"], key.as_str());
                    assert_eq!(
                        tag(&k, "Name"),
                        Some(format!("deploy-{}", tv(stage)).as_str())
                    );
                },
                |m, o| {
                    let v = m.aws(&["ec2", "describe-key-pairs"]);
                    arr(&v["KeyPairs"])
                        .iter()
                        .all(|k| k["KeyPairId"] != o["key_pair_id"])
                },
            )
        },
        s(
            "aws_instance.app",
            by_id("aws_instance.app"),
            move |m, st, stage| {
                let i = instance(m, &id(st, "aws_instance.app")).expect("instance");
                assert_eq!(i["State"]["Name"], "running");
                assert_eq!(
                    i["ImageId"],
                    pick3(stage, &c.ami.0, &c.ami.0, &c.ami.1).as_str()
                );
                assert_eq!(
                    i["InstanceType"],
                    pick3(stage, "t3.micro", "t3.small", "t3.small")
                );
                assert_eq!(i["KeyName"], "deploy");
                assert_eq!(tag(&i, "Name"), Some(format!("app-{}", tv(stage)).as_str()));
                assert_eq!(tag(&i, "Env"), Some("test"));
            },
            move |m, o| {
                instance(m, o["id"].as_str().unwrap_or_default())
                    .is_none_or(|i| i["State"]["Name"] == "terminated")
            },
        ),
        s(
            "aws_eip.app",
            by_id("aws_eip.app"),
            move |m, st, stage| {
                let a = obj(m, st, "aws_eip.app", ADDRESSES, "Addresses");
                assert_eq!(a["PublicIp"], st["aws_eip.app"]["public_ip"]);
                if stage == Stage::Base {
                    assert!(a["InstanceId"].as_str().is_none_or(str::is_empty), "{a}");
                } else {
                    assert_eq!(a["InstanceId"], id(st, "aws_instance.app").as_str());
                }
                if stage == Stage::Replace {
                    assert_eq!(a["PublicIp"], "198.51.100.7");
                }
                assert_eq!(tag(&a, "Name"), Some(format!("eip-{}", tv(stage)).as_str()));
            },
            gone_by(ADDRESSES, "Addresses"),
        ),
        s(
            "aws_nat_gateway.nat",
            by_id("aws_nat_gateway.nat"),
            move |m, st, stage| {
                let n = obj(m, st, "aws_nat_gateway.nat", NATS, "NatGateways");
                assert_eq!(n["State"], "available");
                assert_eq!(n["SubnetId"], st["data.aws_subnet.first"]["id"]);
                let eip = pick3(stage, "aws_eip.nat", "aws_eip.nat", "aws_eip.nat2");
                assert_eq!(
                    n["NatGatewayAddresses"][0]["AllocationId"],
                    id(st, eip).as_str()
                );
                assert_eq!(tag(&n, "Name"), Some(format!("nat-{}", tv(stage)).as_str()));
            },
            move |m, o| {
                let id = o["id"].as_str().unwrap_or_default();
                describe(
                    m,
                    &["describe-nat-gateways", "--nat-gateway-ids", id],
                    "NatGateways",
                )
                .is_none_or(|n| n["State"] == "deleted")
            },
        ),
        s(
            "aws_ebs_volume.data",
            by_id("aws_ebs_volume.data"),
            move |m, st, stage| {
                let v = obj(m, st, "aws_ebs_volume.data", VOLUMES, "Volumes");
                assert_eq!(v["Size"], pick3(stage, 10, 20, 20));
                assert_eq!(v["VolumeType"], "gp3");
                assert_eq!(v["Encrypted"], stage == Stage::Replace);
                assert_eq!(v["AvailabilityZone"], "us-east-1a");
                assert_eq!(
                    tag(&v, "Name"),
                    Some(format!("data-{}", tv(stage)).as_str())
                );
            },
            gone_by(VOLUMES, "Volumes"),
        ),
        // aws_volume_attachment has neither tags nor an attribute the API can change: the
        // update step changes `force_detach`, which only state records (as in Terraform's
        // provider), and checks the attachment is untouched.
        s(
            "aws_volume_attachment.data",
            |st| {
                let o = &st["aws_volume_attachment.data"];
                format!(
                    "{}:{}:{}",
                    o["device_name"].as_str().unwrap_or_default(),
                    o["volume_id"].as_str().unwrap_or_default(),
                    o["instance_id"].as_str().unwrap_or_default()
                )
            },
            move |m, st, stage| {
                let v = obj(m, st, "aws_ebs_volume.data", VOLUMES, "Volumes");
                let a = arr(&v["Attachments"]);
                assert_eq!(a.len(), 1, "{a:?}");
                assert_eq!(a[0]["InstanceId"], id(st, "aws_instance.app").as_str());
                assert_eq!(
                    a[0]["Device"],
                    pick3(stage, "/dev/sdh", "/dev/sdh", "/dev/sdi")
                );
                let detach = pick3(stage, Json::from(false), Json::from(true), Json::Null);
                assert_eq!(st["aws_volume_attachment.data"]["force_detach"], detach);
            },
            |m, o| {
                let vol = o["volume_id"].as_str().unwrap_or_default();
                let inst = o["instance_id"].as_str().unwrap_or_default();
                describe(m, &["describe-volumes", "--volume-ids", vol], "Volumes").is_none_or(|v| {
                    arr(&v["Attachments"])
                        .iter()
                        .all(|a| a["InstanceId"] != inst)
                })
            },
        ),
        s(
            "aws_launch_template.app",
            by_id("aws_launch_template.app"),
            move |m, st, stage| {
                let lt = obj(m, st, "aws_launch_template.app", LTS, "LaunchTemplates");
                assert_eq!(lt["LaunchTemplateName"], pick3(stage, "app", "app", "app2"));
                let latest = pick3(stage, 1, 2, 1);
                assert_eq!(lt["LatestVersionNumber"], latest);
                assert_eq!(lt["DefaultVersionNumber"], latest);
                assert_eq!(st["aws_launch_template.app"]["latest_version"], latest);
                let v = m.aws(&[
                    "ec2",
                    "describe-launch-template-versions",
                    "--launch-template-id",
                    &id(st, "aws_launch_template.app"),
                    "--versions",
                    "$Latest",
                ]);
                let data = &v["LaunchTemplateVersions"][0]["LaunchTemplateData"];
                assert_eq!(
                    data["InstanceType"],
                    pick3(stage, "t3.micro", "t3.small", "t3.small")
                );
                assert_eq!(
                    data["ImageId"],
                    pick3(stage, &c.ami.0, &c.ami.0, &c.ami.1).as_str()
                );
                // moto's DescribeLaunchTemplates keeps the tags given at creation.
                let t = m.aws(&[
                    "ec2",
                    "describe-tags",
                    "--filters",
                    &format!(
                        "Name=resource-id,Values={}",
                        id(st, "aws_launch_template.app")
                    ),
                ]);
                assert_eq!(tag(&t, "Name"), Some(format!("lt-{}", tv(stage)).as_str()));
            },
            gone_by(LTS, "LaunchTemplates"),
        ),
    ]
}

#[test]
fn compute_types_lifecycle() {
    let Some(moto) = Moto::start("compute_types_lifecycle") else {
        return;
    };
    let w = Work::new();
    let (Some(k1), Some(k2)) = (ssh_public_key(&w, "k1"), ssh_public_key(&w, "k2")) else {
        eprintln!("skipped: compute_types_lifecycle: ssh-keygen not found");
        return;
    };
    let c = Compute {
        ami: amis(&moto),
        key: (k1, k2),
    };
    run(
        &moto,
        &w,
        &|stage| compute_config(&c, stage),
        &compute_subjects(&c),
    );
}
