//! Tests of the v4 state format: byte-for-byte round trips of state files Terraform wrote,
//! refusal of malformed and unsupported files, and interoperability with the terraform binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use super::*;
use crate::addr::InstanceAddr;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/state")
}

/// Every case under `testdata/state/`: a case with `error.txt` must fail to read with that
/// message; any other must read and write back byte for byte (or as its `expected.tfstate`).
#[test]
fn fixtures() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("terraform.tfstate").exists())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "fixtures missing: {cases:?}");
    for case in cases {
        check(&case);
    }
}

fn check(case: &Path) {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let input = std::fs::read(case.join("terraform.tfstate")).unwrap();
    let result = read(&input, "terraform.tfstate");
    if let Ok(expected_err) = std::fs::read_to_string(case.join("error.txt")) {
        let err = match result {
            Ok(_) => panic!("{name}: read succeeded, expected an error"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(expected_err.trim()),
            "{name}: error\n  {err}\ndoes not contain\n  {}",
            expected_err.trim()
        );
        assert!(
            err.starts_with("state terraform.tfstate is not valid: "),
            "{name}: {err}"
        );
        return;
    }
    let state = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected = std::fs::read(case.join("expected.tfstate")).unwrap_or(input);
    let written = write(&state);
    if written != expected {
        let (w, e) = (
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&expected),
        );
        let line = w.lines().zip(e.lines()).position(|(a, b)| a != b);
        panic!(
            "{name}: written state differs from the fixture at line {line:?}\n--- written\n{w}\n--- fixture\n{e}"
        );
    }
    // What we write reads back to the same state.
    assert_eq!(read(&written, "x").unwrap(), state, "{name}");
}

#[test]
fn basic_fixture_has_the_expected_model() {
    let bytes = std::fs::read(testdata().join("basic/terraform.tfstate")).unwrap();
    let s = read(&bytes, "basic").unwrap();
    assert_eq!(s.terraform_version, "1.11.4");
    assert!(s.outputs["secret"].sensitive);
    assert_eq!(s.outputs["secret"].value, json!("hunter2"));
    assert!(!s.outputs["plain"].sensitive);
    assert_eq!(s.outputs["num"].value, json!(1.5));

    let b1: InstanceAddr =
        ResourceAddr::managed("terraform_data", "b").instance(InstanceKey::Int(1));
    let b1 = s.instance(&b1).unwrap();
    assert_eq!(
        b1.dependencies,
        vec![ResourceAddr::managed("terraform_data", "a")]
    );
    assert_eq!(b1.attributes.to_json()["input"]["value"]["s"], json!("x1"));
    let mut paths = b1.sensitive_paths.clone();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            vec![
                PathStep::Attr("input".into()),
                PathStep::Attr("l".into()),
                PathStep::Index(1)
            ],
            vec![PathStep::Attr("input".into()), PathStep::Attr("s".into())],
        ]
    );
    let c = ResourceAddr::managed("terraform_data", "c").instance(InstanceKey::Str("k 2".into()));
    assert!(s.instance(&c).unwrap().create_before_destroy);
    let z = ResourceAddr::managed("terraform_data", "z").instance(InstanceKey::None);
    assert_eq!(
        s.instance(&z).unwrap().sensitive_paths,
        vec![vec![
            PathStep::Attr("input".into()),
            PathStep::Attr("m".into()),
            PathStep::Key("a".into())
        ]]
    );
    let inner = "module.m.terraform_data.inner".parse::<Target>().unwrap();
    let Target::Resource(inner) = inner else {
        panic!()
    };
    assert_eq!(
        s.resources[&inner].instances[&InstanceKey::None]
            .attributes
            .to_json()["input"]["value"],
        json!(42)
    );
    assert!(
        s.resources
            .contains_key(&ResourceAddr::data("terraform_remote_state", "x"))
    );
}

#[test]
fn tainted_and_private_are_read() {
    let bytes = std::fs::read(testdata().join("tainted_private/terraform.tfstate")).unwrap();
    let s = read(&bytes, "x").unwrap();
    let a = s
        .instance(&ResourceAddr::managed("terraform_data", "a").instance(InstanceKey::None))
        .unwrap();
    assert!(a.tainted);
    assert_eq!(a.private, None);
    let c = s
        .instance(&ResourceAddr::managed("terraform_data", "c").instance(InstanceKey::None))
        .unwrap();
    assert!(!c.tainted);
    assert_eq!(
        c.private.as_deref(),
        Some("eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ==")
    );
}

#[test]
fn numbers_are_written_positionally() {
    let cases = [
        (json!(1e30), "1000000000000000000000000000000"),
        (json!(1e-30), "0.000000000000000000000000000001"),
        (json!(-2.5e-7), "-0.00000025"),
        (json!(2.0), "2"),
        (json!(-0.0), "0"),
        (json!(0.1), "0.1"),
        (json!(u64::MAX), "18446744073709551615"),
        (json!(i64::MIN), "-9223372036854775808"),
    ];
    for (v, want) in cases {
        let mut out = String::new();
        emit(&mut out, &v, 0);
        assert_eq!(out, want, "{v:?}");
    }
}

#[test]
fn strings_are_escaped_as_go_does() {
    let mut out = String::new();
    quote(
        &mut out,
        "<a>&\"\\\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f} é \u{2028}\u{2029}😀",
    );
    assert_eq!(
        out,
        "\"\\u003ca\\u003e\\u0026\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f} é \\u2028\\u2029😀\""
    );
}

#[test]
fn resources_are_sorted_as_terraform_sorts_them() {
    let mut s = State::new();
    let inst = InstanceState {
        attributes: json!({"id": "x"}).into(),
        ..Default::default()
    };
    for addr in [
        "module.m[1].terraform_data.a",
        "module.m[10].terraform_data.a",
        "module.m[0].module.g.terraform_data.a",
        "terraform_data.b",
        "data.terraform_remote_state.a",
        "terraform_data.a",
    ] {
        let Ok(Target::Resource(r)) = addr.parse::<Target>() else {
            panic!("{addr}")
        };
        s.set_instance(&r.instance(InstanceKey::None), "p", Some(inst.clone()));
    }
    let doc: Value = serde_json::from_slice(&write(&s)).unwrap();
    let order: Vec<String> = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}|{}.{}",
                r["module"].as_str().unwrap_or(""),
                r["mode"],
                r["name"]
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            "|\"data\".\"a\"",
            "|\"managed\".\"a\"",
            "|\"managed\".\"b\"",
            "module.m[0].module.g|\"managed\".\"a\"",
            "module.m[10]|\"managed\".\"a\"",
            "module.m[1]|\"managed\".\"a\"",
        ]
    );
}

#[test]
fn dependencies_are_sorted_and_keys_canonical() {
    let mut s = State::new();
    let mut attrs = Map::new();
    attrs.insert("z".into(), json!(1));
    attrs.insert("a".into(), json!({"y": 1, "b": 2}));
    let mut wrapper = Map::new();
    wrapper.insert("type".into(), json!(["map", "string"]));
    wrapper.insert("value".into(), json!({"k": "v", "a": "b"}));
    attrs.insert("w".into(), Value::Object(wrapper));
    let inst = InstanceState {
        attributes: Value::Object(attrs).into(),
        dependencies: vec![
            ResourceAddr::managed("terraform_data", "z"),
            ResourceAddr::managed("terraform_data", "a"),
            ResourceAddr::managed("terraform_data", "a"),
        ],
        ..Default::default()
    };
    s.set_instance(
        &ResourceAddr::managed("t_x", "n").instance(InstanceKey::None),
        "p",
        Some(inst),
    );
    let text = String::from_utf8(write(&s)).unwrap();
    let compact: String = text.split_whitespace().collect();
    assert!(compact.contains(r#""attributes":{"a":{"b":2,"y":1},"w":{"value":{"a":"b","k":"v"},"type":["map","string"]},"z":1}"#), "{text}");
    assert!(
        compact.contains(r#""dependencies":["terraform_data.a","terraform_data.z"]"#),
        "{text}"
    );
    assert!(!compact.contains("create_before_destroy"), "{text}");
    assert!(!compact.contains("status"), "{text}");
}

/// Malformed input of every kind is an error, never a panic: every prefix of a real state file,
/// and each of its bytes replaced by a character that breaks JSON or types.
#[test]
fn malformed_input_never_panics() {
    let bytes = std::fs::read(testdata().join("tainted_private/terraform.tfstate")).unwrap();
    for n in 0..bytes.len() - 2 {
        assert!(read(&bytes[..n], "x").is_err(), "prefix {n} read");
    }
    for i in 0..bytes.len() {
        for b in [b'"', b'1', b'[', b'{', b'-', 0xff] {
            let mut m = bytes.clone();
            m[i] = b;
            let _ = read(&m, "x");
        }
    }
    for doc in [
        "null",
        "[]",
        "4",
        r#"{"version": "4"}"#,
        r#"{"version": 4, "resources": {}}"#,
        r#"{"version": 4, "resources": [1]}"#,
        r#"{"version": 4, "resources": [{"mode": "managed", "type": "a", "name": "b", "provider": "p", "instances": [{}]}]}"#,
        r#"{"version": 4, "outputs": {"o": {"value": 1}}}"#,
        r#"{"version": 4, "resources": [{"module": "terraform_data.a", "mode": "managed", "type": "a", "name": "b", "provider": "p"}]}"#,
        r#"{"version": 4, "resources": [{"mode": "managed", "type": "a", "name": "b", "provider": "p", "instances": [{"attributes": {}, "index_key": 1.5}]}]}"#,
        r#"{"version": 4, "resources": [{"mode": "managed", "type": "a", "name": "b", "provider": "p", "instances": [{"attributes": {}, "private": "!!"}]}]}"#,
        r#"{"version": 4, "resources": [{"mode": "managed", "type": "a", "name": "b", "provider": "p", "instances": [{"attributes": {}, "sensitive_attributes": [[{"type": "index", "value": {"value": -1, "type": "number"}}]]}]}]}"#,
        r#"{"version": 4, "resources": [{"mode": "managed", "type": "a", "name": "b", "provider": "p", "instances": [{"attributes_flat": {"id": "x"}}]}]}"#,
    ] {
        assert!(read(doc.as_bytes(), "x").is_err(), "{doc}");
    }
}

#[test]
fn minimal_documents_read() {
    let s = read(br#"{"version": 4, "serial": 3, "lineage": "l"}"#, "x").unwrap();
    assert_eq!((s.serial, s.lineage.as_str()), (3, "l"));
    assert!(s.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Interoperability with Terraform itself.

fn terraform() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file())
}

fn tf(bin: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .unwrap()
}

const DATA_CONFIG: &str = r#"
resource "terraform_data" "a" {
  input = "hello"
}

resource "terraform_data" "b" {
  count            = 2
  input            = { n = count.index, s = sensitive("x") }
  triggers_replace = [terraform_data.a.output]
}

resource "terraform_data" "c" {
  for_each = toset(["k"])
  input    = [1, 2.5]
  lifecycle {
    create_before_destroy = true
  }
}

output "o" {
  value     = terraform_data.a.output
  sensitive = true
}
"#;

/// A state of `resources` `terraform_data` resources of two instances each (`r0[0]` …), the
/// `i`th instance's input value and type from `input(i)`.
fn data_state(resources: usize, input: impl Fn(usize) -> (Value, Value)) -> State {
    let mut s = State::new();
    for i in 0..2 * resources {
        let addr: InstanceAddr =
            crate::addr::ResourceAddr::managed("terraform_data", &format!("r{}", i % resources))
                .instance(crate::addr::InstanceKey::Int((i / resources) as i64));
        let (value, ty) = input(i);
        s.set_instance(
            &addr,
            "provider[\"terraform.io/builtin/terraform\"]",
            Some(data_instance(&format!("id-{i}"), value, ty, Value::Null)),
        );
    }
    s
}

fn data_instance(id: &str, input: Value, ty: Value, triggers: Value) -> InstanceState {
    InstanceState {
        attributes: json!({
            "id": id,
            "input": {"value": input, "type": ty},
            "output": {"value": input, "type": ty},
            "triggers_replace": triggers,
        })
        .into(),
        ..Default::default()
    }
}

/// A state built in code, written next to its configuration, is what Terraform would have:
/// `terraform plan` finds no changes.
#[test]
fn terraform_plans_no_changes_on_a_state_we_wrote() {
    let Some(bin) = terraform() else {
        eprintln!("skipped: terraform not found");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), DATA_CONFIG).unwrap();
    let provider = r#"provider["terraform.io/builtin/terraform"]"#;
    let mut s = State::new();
    s.serial = 1;
    let a = ResourceAddr::managed("terraform_data", "a");
    s.set_instance(
        &a.instance(InstanceKey::None),
        provider,
        Some(data_instance(
            "a-id",
            json!("hello"),
            json!("string"),
            Value::Null,
        )),
    );
    for n in 0..2 {
        let mut inst = data_instance(
            &format!("b-{n}"),
            json!({"n": n, "s": "x"}),
            json!(["object", {"n": "number", "s": "string"}]),
            json!({"value": ["hello"], "type": ["tuple", ["string"]]}),
        );
        inst.sensitive_paths = vec![vec![
            PathStep::Attr("input".into()),
            PathStep::Attr("s".into()),
        ]];
        inst.dependencies = vec![a.clone()];
        let addr = ResourceAddr::managed("terraform_data", "b").instance(InstanceKey::Int(n));
        s.set_instance(&addr, provider, Some(inst));
    }
    let mut c = data_instance(
        "c-k",
        json!([1, 2.5]),
        json!(["tuple", ["number", "number"]]),
        Value::Null,
    );
    c.create_before_destroy = true;
    let addr = ResourceAddr::managed("terraform_data", "c").instance(InstanceKey::Str("k".into()));
    s.set_instance(&addr, provider, Some(c));
    s.outputs.insert(
        "o".into(),
        OutputState {
            value: json!("hello"),
            ty: json!("string"),
            sensitive: true,
        },
    );
    std::fs::write(dir.path().join("terraform.tfstate"), write(&s)).unwrap();

    let init = tf(
        &bin,
        dir.path(),
        &["init", "-backend=false", "-input=false", "-no-color"],
    );
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let plan = tf(
        &bin,
        dir.path(),
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    let out = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{out}\n{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(out.contains("No changes"), "{out}");
}

/// Terraform applies; we read what it wrote and find every field where it belongs, and write
/// back the same bytes.
#[test]
fn we_read_what_terraform_applied() {
    let Some(bin) = terraform() else {
        eprintln!("skipped: terraform not found");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), DATA_CONFIG).unwrap();
    let init = tf(
        &bin,
        dir.path(),
        &["init", "-backend=false", "-input=false", "-no-color"],
    );
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let apply = tf(
        &bin,
        dir.path(),
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert!(
        apply.status.success(),
        "{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    let bytes = std::fs::read(dir.path().join("terraform.tfstate")).unwrap();
    let s = read(&bytes, "terraform.tfstate").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&write(&s)),
        String::from_utf8_lossy(&bytes)
    );

    assert_eq!(s.terraform_version, "1.11.4");
    assert_eq!(s.resources.len(), 3);
    assert!(s.outputs["o"].sensitive);
    assert_eq!(s.outputs["o"].value, json!("hello"));
    let a = ResourceAddr::managed("terraform_data", "a");
    let ai = s.instance(&a.instance(InstanceKey::None)).unwrap();
    assert_eq!(
        ai.attributes.to_json()["output"],
        json!({"value": "hello", "type": "string"})
    );
    assert!(
        ai.attributes.to_json()["id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    for n in 0..2 {
        let b = s
            .instance(&ResourceAddr::managed("terraform_data", "b").instance(InstanceKey::Int(n)))
            .unwrap();
        assert_eq!(
            b.attributes.to_json()["input"]["value"],
            json!({"n": n, "s": "x"})
        );
        assert_eq!(
            b.attributes.to_json()["triggers_replace"]["value"],
            json!(["hello"])
        );
        assert_eq!(
            b.sensitive_paths,
            vec![vec![
                PathStep::Attr("input".into()),
                PathStep::Attr("s".into())
            ]]
        );
        assert_eq!(b.dependencies, vec![a.clone()]);
        assert!(!b.create_before_destroy && !b.tainted);
    }
    let c = s
        .instance(
            &ResourceAddr::managed("terraform_data", "c").instance(InstanceKey::Str("k".into())),
        )
        .unwrap();
    assert!(c.create_before_destroy);
    assert_eq!(c.attributes.to_json()["input"]["value"], json!([1, 2.5]));
    let (_, r, _) = s.instances().next().unwrap();
    assert_eq!(r.provider, r#"provider["terraform.io/builtin/terraform"]"#);
}

/// A state of several megabytes is read in parallel pieces: it must read back exactly what was
/// written, and a broken resource in it must give the same error as the one-piece parse.
#[test]
fn large_states_read_in_pieces_like_whole() {
    let s = data_state(3000, |i| {
        (
            json!({"name": format!("n-{i}"), "list": [1, 2, i]}),
            json!(["object", {"name": "string", "list": ["tuple", ["number", "number", "number"]]}]),
        )
    });
    let bytes = write(&s);
    assert!(
        bytes.len() > 2 << 20,
        "large enough to be split: {}",
        bytes.len()
    );
    assert!(split_resources(&bytes).is_some_and(|(_, r)| r.len() == 3000));

    // Streamed, the same text arrives in pieces of bounded size; a sink's error stops it.
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    write_as_to(&s, &s.terraform_version, s.serial, &mut |chunk| {
        pieces.push(chunk.to_vec());
        Ok(())
    })
    .expect("streams");
    assert!(pieces.len() > 4, "written in pieces: {}", pieces.len());
    assert!(pieces.iter().all(|p| p.len() < 2 * CHUNK));
    assert_eq!(pieces.concat(), bytes);
    let mut calls = 0;
    let err = write_as_to(&s, &s.terraform_version, s.serial, &mut |_| {
        calls += 1;
        Err(std::io::Error::other("disk full"))
    })
    .unwrap_err();
    assert_eq!((calls, err.to_string().as_str()), (1, "disk full"));

    let back = read(&bytes, "big.tfstate").expect("reads");
    assert_eq!(back.resources, s.resources);
    assert_eq!(write(&back), bytes);

    // Taken a piece at a time, whatever the size of the pieces and of the reads that fill them
    // (lines between resources then straddle pieces), the file reads the same.
    /// A source that hands over at most `most` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(self.1);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    for (piece, most) in [(PIECE, usize::MAX), (65_536, 1000), (997, 13)] {
        let got = read_pieces_of(&mut Trickle(&bytes, most), "big.tfstate", piece)
            .expect("no read error")
            .unwrap_or_else(|| panic!("taken in pieces of {piece}"))
            .expect("reads");
        assert_eq!(got.resources, s.resources, "pieces of {piece}");
        assert_eq!(write(&got), bytes, "pieces of {piece}");
    }
    // Another layout, or a resource that is not JSON, is left to the one-piece parse.
    let compact = serde_json::to_vec(&serde_json::from_slice::<Value>(&bytes).unwrap()).unwrap();
    assert!(
        read_pieces(&mut &compact[..], "big.tfstate")
            .unwrap()
            .is_none()
    );
    let mut not_json = bytes.clone();
    let at = memmem::find(&not_json, b"\"id-2999\"").unwrap();
    not_json[at] = b'{';
    assert!(
        read_pieces(&mut &not_json[..], "big.tfstate")
            .unwrap()
            .is_none()
    );
    assert!(read(&not_json, "big.tfstate").is_err());

    let text = String::from_utf8(bytes).unwrap();
    let broken = text.replacen("\"mode\": \"managed\"", "\"mode\": \"manage\"", 2000);
    let err = read(broken.as_bytes(), "big.tfstate")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("resources[0]") && err.contains("\"mode\""),
        "the first broken resource is named: {err}"
    );
    // Read in pieces, it is named the same way.
    let piecewise = read_pieces_of(&mut broken.as_bytes(), "big.tfstate", 65_536)
        .unwrap()
        .expect("JSON throughout")
        .unwrap_err()
        .to_string();
    assert_eq!(piecewise, err);
}

// ---------------------------------------------------------------------------------------------
// Attributes kept as canonical text.

/// The attributes of every instance in the fixtures, as the JSON text each file holds.
fn fixture_attributes() -> Vec<String> {
    let mut out = Vec::new();
    for case in std::fs::read_dir(testdata()).unwrap() {
        let Ok(bytes) = std::fs::read(case.unwrap().path().join("terraform.tfstate")) else {
            continue;
        };
        let Ok(doc) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        for r in doc["resources"].as_array().into_iter().flatten() {
            for i in r["instances"].as_array().into_iter().flatten() {
                if i["attributes"].is_object() {
                    out.push(serde_json::to_string_pretty(&i["attributes"]).unwrap());
                }
            }
        }
    }
    assert!(out.len() >= 10, "{out:?}");
    out
}

/// Documents that are canonical only in part: keys out of order (a dynamic wrapper type
/// first, too), numbers and escapes spelled otherwise than Terraform writes them, duplicate
/// keys, unusual whitespace.
const UNCANONICAL: &[&str] = &[
    r#"{"b": 1, "a": 2}"#,
    r#"{"type": "string", "value": "x"}"#,
    r#"{"value": "x", "type": "string", "z": 1}"#,
    r#"{"a": {"type": ["list", "number"], "value": [1, 2]}}"#,
    r#"{"n": 1e3, "m": 1.50, "o": -0, "p": 0.0, "q": 1E-2, "r": 0.5e1}"#,
    r#"{"n": [1.0, -0.0, 2.5e+1, 100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001]}"#,
    r#"{"s": "\/ \u0041 \u00e9 \u003C \ud83d\ude00"}"#,
    "{\"s\": \"<a> & \u{2028} \\u2029\"}",
    r#"{"a\u0062": 1, "ab": 2}"#,
    r#"{"a": 1, "a": 2}"#,
    r#"{"k": "é😀 \n\t\b\f\r \" \\ \u0001 \u001f \u007f"}"#,
];

/// Documents canonical but for their whitespace: read as they stand.
const CANONICAL: &[&str] = &[
    "{\"a\"\t:\r\n[ 1 ,2 ] , \"b\" : { } ,\"c\":[ ]}",
    r#"{"value": 1, "type": "number"}"#,
    r#"{"type": 1, "value": 2, "x": 3}"#,
    r#"{"a": [-0.5, 0, 12, 1000000000000000000000000000000, 0.000001], "b": "\u003c\n\u0001"}"#,
];

/// [`Attrs`] holds, for any JSON, exactly the text [`write`] writes for that JSON without its
/// whitespace, whether it took the fast path (text already canonical) or the parse; and
/// re-indenting that text gives what the tree-based writer gives.
#[test]
fn attributes_text_is_canonical_whatever_the_input() {
    let mut texts: Vec<String> = fixture_attributes();
    texts.extend(UNCANONICAL.iter().map(|s| s.to_string()));
    texts.extend(CANONICAL.iter().map(|s| s.to_string()));
    // Every fixture also reordered (a tree without preserved order writes keys sorted, the
    // dynamic wrappers' too) and compacted.
    for t in fixture_attributes() {
        let v: Value = serde_json::from_str(&t).unwrap();
        texts.push(serde_json::to_string(&v).unwrap());
        let reversed = |m: &Map<String, Value>| {
            let mut m2 = Map::new();
            for (k, v) in m.iter().rev() {
                m2.insert(k.clone(), v.clone());
            }
            m2
        };
        if let Value::Object(m) = &v {
            texts.push(serde_json::to_string(&Value::Object(reversed(m))).unwrap());
        }
    }
    let mut fast = 0;
    for text in &texts {
        let v: Value = serde_json::from_str(text).unwrap();
        let want = canonical_text(&v);
        let attrs = Attrs::parse(text).unwrap();
        assert_eq!(attrs.as_str(), want, "{text}");
        if minify_canonical(text).is_some() {
            fast += 1;
        }
        for depth in [0, 3] {
            let (mut a, mut b) = (String::new(), String::new());
            reindent(&mut a, attrs.as_str(), depth);
            emit(&mut b, &canonical(&v), depth);
            assert_eq!(a, b, "{text}");
        }
        assert_eq!(Attrs::from_json(&attrs.to_json()), attrs, "{text}");
    }
    assert!(
        fast >= fixture_attributes().len(),
        "files Terraform wrote take the fast path"
    );
    for text in UNCANONICAL {
        assert_eq!(minify_canonical(text), None, "{text} is not canonical");
    }
    for text in CANONICAL {
        assert!(minify_canonical(text).is_some(), "{text} is canonical");
    }
    assert!(Attrs::parse("{").is_err());
}

/// Reading values straight from the attributes' text gives what reading them from a tree
/// gave, for every fixture instance and the uncanonical documents, with the types the
/// planner uses (a `terraform_data`-like schema, dynamic, and the values' own types).
#[test]
fn typed_values_from_text_match_values_from_trees() {
    use cairn_provider::{Type, Value as V};
    let data = Type::object([
        ("id", Type::String),
        ("input", Type::Any),
        ("output", Type::Any),
        ("triggers_replace", Type::Any),
    ]);
    let mut texts = fixture_attributes();
    texts.extend(UNCANONICAL.iter().map(|s| s.to_string()));
    texts.extend(CANONICAL.iter().map(|s| s.to_string()));
    for text in &texts {
        let attrs = Attrs::parse(text).unwrap();
        let tree = attrs.to_json();
        let own = Type::of(&V::from_json(&tree));
        for ty in [&data, &Type::Any, &own] {
            assert_eq!(
                attrs.to_value_typed(ty),
                V::from_json_typed(&tree, ty),
                "{text} as {ty:?}"
            );
        }
        assert_eq!(attrs.to_value(), V::from_json(&tree), "{text}");
    }
}

/// Attributes that are not an object, or not JSON, are refused with the file's error, and a
/// state whose attributes are written in another order or spelling reads to the canonical
/// text and writes back as Terraform would.
#[test]
fn attributes_in_other_spellings_are_canonicalised() {
    let doc = |attrs: &str| {
        format!(
            r#"{{"version": 4, "resources": [{{"mode": "managed", "type": "a", "name": "b", "provider": "p", "instances": [{{"attributes": {attrs}}}]}}]}}"#
        )
    };
    for (attrs, reason) in [
        ("[]", "\"attributes\" must be an object"),
        ("\"x\"", "\"attributes\" must be an object"),
        ("null", "\"attributes\" is missing"),
        ("{\"a\": }", "not valid JSON"),
    ] {
        let err = read(doc(attrs).as_bytes(), "x").unwrap_err().to_string();
        assert!(err.contains(reason), "{attrs}: {err}");
    }
    let s = read(
        doc(r#"{"z": 1.50, "a": {"type": "string", "value": "<"}}"#).as_bytes(),
        "x",
    )
    .unwrap();
    let (_, _, i) = s.instances().next().unwrap();
    assert_eq!(
        i.attributes.as_str(),
        r#"{"a":{"value":"\u003c","type":"string"},"z":1.5}"#
    );
}

/// [`minify_object_strict`] accepts only what serde_json accepts, and then gives the text the
/// tree-based writer gives for the value serde reads ([`canonical_text`]), and where the object
/// ends: checked on the fixtures' attributes and the documents above, whole, with text after
/// them, and with some tens of thousands of random edits (bytes dropped, doubled or replaced by
/// JSON's own characters).
#[test]
fn strict_minify_accepts_only_json_and_agrees_with_the_tree_writer() {
    let mut texts: Vec<String> = fixture_attributes();
    texts.extend(UNCANONICAL.iter().map(|s| s.to_string()));
    texts.extend(CANONICAL.iter().map(|s| s.to_string()));
    texts.push(r#"{"a": {"b": [[], {}, [{"c": null}]], "d": true, "e": false}}"#.to_string());
    texts.push(r#"{"s": "\u001f\u003c\u003e\u0026\u2028\u2029 \"q\" \\ é"}"#.to_string());
    let check = |text: &str| -> bool {
        let Some((out, len)) = minify_object_strict(text) else {
            return false;
        };
        let object = &text[..len];
        let value: Result<Value, _> = serde_json::from_str(object);
        let Ok(value) = value else {
            panic!("accepted what serde rejects: {object:?}");
        };
        assert!(
            object.starts_with('{') && object.ends_with('}'),
            "{object:?}"
        );
        assert_eq!(canonical_text(&value), out, "{object:?}");
        true
    };
    // Canonical documents are taken whole, with anything after them left alone; the others
    // are refused.
    for text in &texts {
        let accepted = check(text);
        if UNCANONICAL.contains(&text.as_str()) {
            assert!(!accepted, "{text} is not canonical");
        }
        if CANONICAL.contains(&text.as_str()) {
            assert!(accepted, "{text} is canonical");
        }
        if accepted {
            let longer = format!("{text},\n          \"x\": 1");
            assert_eq!(
                minify_object_strict(&longer).map(|(_, n)| n),
                Some(text.len())
            );
        }
    }
    let alphabet: &[u8] = b"{}[]:,\" \\ntfu0123456789.-+eE<>&abz\t\n";
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let (mut accepted, mut tried) = (0, 0);
    for text in &texts {
        for _ in 0..1500 {
            let mut b = text.as_bytes().to_vec();
            for _ in 0..1 + rand(3) {
                if b.is_empty() {
                    break;
                }
                let at = rand(b.len());
                match rand(3) {
                    0 => {
                        b.remove(at);
                    }
                    1 => b.insert(at, b[at]),
                    _ => b[at] = alphabet[rand(alphabet.len())],
                }
            }
            let Ok(mutated) = String::from_utf8(b) else {
                continue;
            };
            tried += 1;
            if check(&mutated) {
                accepted += 1;
            }
        }
    }
    // Both sides of the property were exercised.
    assert!(
        tried > 20_000 && accepted > 1_000 && accepted < tried,
        "{accepted} of {tried}"
    );
}

/// A state document read only the general way: the whole document parsed by serde, every
/// instance's attributes scanned by serde and then by [`minify_canonical`].
fn read_general(bytes: &[u8]) -> Result<State, StateError> {
    let r = Reader {
        path: "t.tfstate",
        lifted: None,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = NodeSeed(Level::Top)
        .deserialize(&mut de)
        .map_err(|e| r.bad("", format!("not valid JSON: {e}")))?
        .ok_or_else(|| r.bad("", "the top level must be a JSON object"))?;
    assemble(&r, top, None)
}

/// Each resource of a document in Terraform's layout, of any size, read by
/// [`read_resources`] (lifting its attributes where it can) and the general way.
fn same_resources(bytes: &[u8], what: &str) {
    let Some((_, texts)) = split_layout(bytes) else {
        return;
    };
    let r = Reader {
        path: "t.tfstate",
        lifted: None,
    };
    let lifted = read_resources(&r, &texts, 0);
    for (k, text) in texts.iter().enumerate() {
        let general = parse_resource(text).map(|node| r.resource(node, &format!("resources[{k}]")));
        let got = lifted.as_ref().map(|l| &l[k]);
        match (got, &general) {
            (Some(Ok(a)), Some(Ok(b))) => assert_eq!(a, b, "{what}: resources[{k}]"),
            (Some(Err(a)), Some(Err(b))) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
            (None, None) => {}
            // One resource not JSON makes the whole batch `None`.
            (None, Some(_)) => assert!(lifted.is_none()),
            _ => panic!("{what}: resources[{k}] read differently"),
        }
    }
}

fn same_reading(bytes: &[u8], what: &str) {
    same_resources(bytes, what);
    let fast = read(bytes, "t.tfstate");
    let general = read_general(bytes);
    match (&fast, &general) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.resources, b.resources, "{what}");
            assert_eq!(write(a), write(b), "{what}");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
        _ => panic!("{what}: {:?} against {:?}", fast.is_ok(), general.is_ok()),
    }
}

/// Attributes lifted out of a resource's text ahead of serde ([`lift_attributes`]) give the
/// state the general reading gives: for every fixture, a state as cairn writes it, and states
/// where lifting must not be trusted (an instance's attributes not canonical, a placeholder's
/// text inside a value, a key `attributes` elsewhere at the instances' indentation, an
/// instance with two `attributes`, attributes that are not an object).
#[test]
fn lifted_attributes_read_as_the_general_path_does() {
    for case in std::fs::read_dir(testdata()).unwrap() {
        let path = case.unwrap().path().join("terraform.tfstate");
        if let Ok(bytes) = std::fs::read(&path) {
            same_reading(&bytes, &path.display().to_string());
        }
    }
    let s = data_state(2000, |i| {
        (
            json!({"name": format!("n-{i}"), "attributes": {"nested": i}}),
            json!(["object", {"name": "string", "attributes": ["object", {"nested": "number"}]}]),
        )
    });
    let text = String::from_utf8(write(&s)).unwrap();
    assert!(text.len() > 1 << 20, "read in parallel, attributes lifted");
    assert!(
        split_resources(text.as_bytes()).is_some_and(|(_, rs)| rs.iter().all(|r| lift_attributes(
            r,
            &mut String::new()
        )
        .is_some_and(|a| a.len() == 2))),
        "every resource of cairn's layout is lifted"
    );
    same_reading(text.as_bytes(), "as written");
    // Lifted, each resource reads without falling back, to what the general way reads.
    let (_, texts) = split_resources(text.as_bytes()).unwrap();
    let general = Reader {
        path: "t.tfstate",
        lifted: None,
    };
    for (k, t) in texts.iter().enumerate().take(50) {
        let mut skeleton = String::new();
        let attrs = lift_attributes(t, &mut skeleton).unwrap();
        assert!(skeleton.len() < t.len() / 2, "{skeleton}");
        let lifted = Mutex::new(attrs);
        let fast = Reader {
            path: "t.tfstate",
            lifted: Some(&lifted),
        };
        let at = format!("resources[{k}]");
        let got = fast
            .resource(parse_resource(&skeleton).unwrap(), &at)
            .unwrap();
        let want = general.resource(parse_resource(t).unwrap(), &at).unwrap();
        assert_eq!(got, want);
        assert!(lifted.into_inner().unwrap().iter().all(Option::is_none));
    }
    let at = "\n          \"attributes\": {\n";
    let edits: Vec<(&str, String)> = vec![
        (
            "keys out of order",
            text.replacen(
                "\"id\": \"id-3\",",
                "\"zz\": 1,\n            \"id\": \"id-3\",",
                1,
            ),
        ),
        (
            "a placeholder's text in a value",
            text.replacen("\"n-5\"", "\"\\u0000cairn:0\"", 1),
        ),
        (
            "a placeholder as the attributes",
            text.replacen(
                at,
                "\n          \"attributes\": \"\\u0000cairn:0\",\n          \"x\": {\n",
                1,
            ),
        ),
        (
            "a key attributes elsewhere",
            text.replacen(
                "\"mode\": \"managed\",",
                "\"mode\": \"managed\",\n          \"attributes\": {\"a\": 1},",
                3,
            ),
        ),
        (
            "two attributes in one instance",
            text.replacen(
                at,
                "\n          \"attributes\": {\"id\": \"first\"},\n          \"attributes\": {\n",
                2,
            ),
        ),
        (
            "attributes that are not an object",
            text.replacen(
                at,
                "\n          \"attributes\": [],\n          \"x\": {\n",
                1,
            ),
        ),
        (
            "attributes not JSON",
            text.replacen("\"id\": \"id-7\",", "\"id\": \"id-7\",,", 1),
        ),
    ];
    for (what, edited) in &edits {
        assert_ne!(edited, &text, "{what}: the edit applies");
        same_reading(edited.as_bytes(), what);
    }
}
