//! The `hashicorp/time` provider end to end: apply, no-change plan, replace through `triggers`
//! and destroy of `time_sleep`, `time_static`, `time_offset` and `time_rotating`, checking the
//! shape of what lands in the state file (Terraform's attribute names and JSON types).

use std::time::{Duration, Instant};

use crate::support::Work;

const CONFIG: &str = r#"
resource "time_static" "fixed" {
  rfc3339 = "2020-02-12T06:36:13+01:00"
}

resource "time_static" "now" {}

resource "time_sleep" "wait" {
  create_duration  = "300ms"
  destroy_duration = "0.2s"
  triggers = {
    at = time_static.fixed.id
  }
}

resource "time_offset" "later" {
  base_rfc3339 = time_static.fixed.rfc3339
  offset_days  = 7
}

resource "time_rotating" "key" {
  rotation_days = 30
}

output "created" {
  value = time_sleep.wait.id
}

output "fixed_unix" {
  value = time_static.fixed.unix
}
"#;

fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && [0..4, 5..7, 8..10, 11..13, 14..16, 17..19]
            .iter()
            .all(|r| b[r.clone()].iter().all(u8::is_ascii_digit))
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn time_resources_apply_plan_clean_and_destroy() {
    let w = Work::new();
    w.write("main.tf", CONFIG);
    w.cairn(&["init"]).ok();
    // A configured time_static is known at plan time; the others after apply.
    w.cairn(&["plan"])
        .ok()
        .contains("# time_sleep.wait will be created")
        .contains("+ unix    = 1581485773")
        .contains("Plan: 5 to add, 0 to change, 0 to destroy.");

    let start = Instant::now();
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed.")
        .contains("fixed_unix = 1581485773");
    // The sleep happened (a lower bound, not a speed check).
    assert!(start.elapsed() >= Duration::from_millis(300));

    let st = w.state();
    let sleep = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "time_sleep")
        .expect("time_sleep in state");
    assert_eq!(sleep["mode"], "managed");
    assert_eq!(
        sleep["provider"],
        "provider[\"registry.terraform.io/hashicorp/time\"]"
    );
    assert_eq!(sleep["instances"][0]["schema_version"], 0);

    let objects = w.state_objects();
    let wait = &objects["time_sleep.wait"];
    assert_eq!(
        keys(wait),
        ["create_duration", "destroy_duration", "id", "triggers"]
    );
    assert_eq!(wait["create_duration"], "300ms");
    assert_eq!(wait["destroy_duration"], "0.2s");
    assert_eq!(wait["triggers"]["at"], "2020-02-12T06:36:13+01:00");
    let id = wait["id"].as_str().unwrap();
    assert!(is_rfc3339_utc(id), "{id}");

    let fixed = &objects["time_static.fixed"];
    assert_eq!(
        keys(fixed),
        [
            "day", "hour", "id", "minute", "month", "rfc3339", "second", "triggers", "unix", "year"
        ]
    );
    assert_eq!(fixed["hour"], 6);
    assert_eq!(fixed["unix"], 1_581_485_773);
    assert!(fixed["year"].is_u64(), "numbers are JSON numbers");
    assert_eq!(fixed["triggers"], serde_json::Value::Null);
    let now = &objects["time_static.now"];
    assert!(is_rfc3339_utc(now["rfc3339"].as_str().unwrap()));
    assert_eq!(now["id"], now["rfc3339"]);

    let later = &objects["time_offset.later"];
    assert_eq!(later["rfc3339"], "2020-02-19T06:36:13+01:00");
    assert_eq!(later["id"], "2020-02-12T06:36:13+01:00");
    assert_eq!(later["offset_days"], 7);
    assert_eq!(later["offset_years"], serde_json::Value::Null);

    let key = &objects["time_rotating.key"];
    assert!(is_rfc3339_utc(key["rotation_rfc3339"].as_str().unwrap()));
    assert!(key["rotation_rfc3339"].as_str() > key["rfc3339"].as_str());

    w.cairn(&["plan", "-detailed-exitcode"])
        .code(0)
        .contains("No changes.");

    // New triggers replace the sleep (and it sleeps again); an offset change is in place.
    let v2 = CONFIG
        .replace("at = time_static.fixed.id", "at = \"v2\"")
        .replace("offset_days  = 7", "offset_days  = 8");
    w.write("main.tf", &v2);
    w.cairn(&["plan"])
        .ok()
        .contains("must be replaced")
        .contains("# time_offset.later will be updated in-place")
        .contains("\"2020-02-20T06:36:13+01:00\"");
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("1 added, 1 changed, 1 destroyed");
    let objects = w.state_objects();
    assert_eq!(objects["time_sleep.wait"]["triggers"]["at"], "v2");
    assert_eq!(
        objects["time_offset.later"]["rfc3339"],
        "2020-02-20T06:36:13+01:00"
    );

    let start = Instant::now();
    w.cairn(&["destroy", "-auto-approve"])
        .ok()
        .contains("Destroy complete! Resources: 5 destroyed.");
    assert!(start.elapsed() >= Duration::from_millis(200));
    assert!(w.state_objects().is_empty());
}

#[test]
fn time_sleep_durations_are_checked_at_plan() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"time_sleep\" \"s\" {\n  create_duration = \"1m30s\"\n}\n",
    );
    w.cairn(&["plan"])
        .code(1)
        .contains("immediately followed by ms");
    w.write("main.tf", "resource \"time_offset\" \"o\" {}\n");
    w.cairn(&["plan"]).code(1).contains("at least one of");
}

#[test]
fn time_rotating_past_its_rotation_is_created_again() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"time_rotating\" \"r\" {\n  rotation_rfc3339 = \"2000-01-01T00:00:00Z\"\n}\n",
    );
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("1 added");
    assert_eq!(w.state_objects()["time_rotating.r"]["year"], 2000);
    w.cairn(&["plan", "-detailed-exitcode"])
        .code(2)
        .contains("# time_rotating.r has been deleted")
        .contains("# time_rotating.r will be created");
    // With refresh off, the expired object stays as it is.
    w.cairn(&["plan", "-refresh=false", "-detailed-exitcode"])
        .code(0);
}
