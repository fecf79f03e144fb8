//! `plan -json` and `apply -json` of a configuration with `import` blocks: the reads of the
//! imported objects (`refresh_start`, `refresh_complete`), the `importing` changes, the ids on
//! `apply_start`, and the import counts of both summaries, compared line for line with the
//! installed terraform's.

use std::collections::BTreeSet;

use serde_json::Value as J;

use crate::support::{Run, Work, have_terraform};

/// One import that only imports, one that also changes the object, and a plain creation.
const CONFIG: &str = "import {\n  to = terraform_data.kept\n  id = \"kept-1\"\n}\n\nresource \"terraform_data\" \"kept\" {\n}\n\nimport {\n  to = terraform_data.changed\n  id = \"changed-1\"\n}\n\nresource \"terraform_data\" \"changed\" {\n  input = \"z\"\n}\n\nresource \"terraform_data\" \"fresh\" {\n  input = \"b\"\n}\n";

fn lines(r: &Run) -> Vec<J> {
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The lines as sorted texts, without what legitimately differs between the two tools (time,
/// version banner, the random id of a created object). The ids of imported objects stay.
fn comparable(v: &[J]) -> Vec<String> {
    let mut out: Vec<String> = v
        .iter()
        .filter(|l| l["type"] != "version")
        .map(|l| {
            let mut l = l.clone();
            let m = l.as_object_mut().expect("object");
            m.remove("@timestamp");
            let created = m
                .get("hook")
                .is_some_and(|h| h["resource"]["addr"] == "terraform_data.fresh");
            if created {
                if let Some(h) = m.get_mut("hook").and_then(J::as_object_mut) {
                    h.remove("id_value");
                }
                if let Some(J::String(msg)) = m.get_mut("@message")
                    && let Some(i) = msg.find(" [id=")
                {
                    msg.truncate(i);
                }
            }
            l.to_string()
        })
        .collect();
    // The order of independent objects is not fixed.
    out.sort();
    out
}

#[test]
fn import_events_match_terraform() {
    let w = Work::new();
    w.write("main.tf", CONFIG);
    let plan = lines(w.cairn(&["plan", "-json"]).ok());
    let types: BTreeSet<&str> = plan.iter().filter_map(|l| l["type"].as_str()).collect();
    assert!(types.contains("refresh_start") && types.contains("refresh_complete"));
    let apply = lines(w.cairn(&["apply", "-json", "-auto-approve"]).ok());
    let summary = apply
        .iter()
        .rfind(|l| l["type"] == "change_summary")
        .expect("summary");
    assert_eq!(summary["changes"]["import"], 2);
    assert_eq!(
        summary["@message"],
        "Apply complete! Resources: 2 imported, 1 added, 1 changed, 0 destroyed."
    );
    let start = apply
        .iter()
        .find(|l| {
            l["type"] == "apply_start" && l["hook"]["resource"]["addr"] == "terraform_data.changed"
        })
        .expect("apply_start of the changed import");
    assert_eq!(start["hook"]["id_value"], "changed-1");

    if !have_terraform("import_events_match_terraform") {
        return;
    }
    let t = Work::new();
    t.write("main.tf", CONFIG);
    t.terraform(&["init", "-backend=false"]).ok();
    let their_plan = lines(t.terraform(&["plan", "-json"]).ok());
    assert_eq!(comparable(&plan), comparable(&their_plan));
    let their_apply = lines(t.terraform(&["apply", "-json", "-auto-approve"]).ok());
    assert_eq!(comparable(&apply), comparable(&their_apply));
}
