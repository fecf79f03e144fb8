//! `plan -json` and `apply -json`: Terraform's machine-readable UI, one JSON object per line,
//! compared with the installed terraform's lines for the same run.

use serde_json::Value as J;

use crate::support::{Run, Work, have_terraform};

const CONFIG: &str = "resource \"terraform_data\" \"a\" {\n  input = 1\n}\nresource \"terraform_data\" \"b\" {\n  count = 1\n}\noutput \"o\" {\n  value = terraform_data.a.output\n}\n";

fn lines(r: &Run) -> Vec<J> {
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Each line without what legitimately differs between the two tools (time, version banner,
/// resource ids, the product name in prose).
fn comparable(v: &[J]) -> Vec<J> {
    v.iter()
        .filter(|l| l["type"] != "version")
        .map(|l| {
            let mut l = l.clone();
            let m = l.as_object_mut().unwrap();
            m.remove("@timestamp");
            if let Some(h) = m.get_mut("hook").and_then(J::as_object_mut) {
                h.remove("id_value");
            }
            if let Some(J::String(msg)) = m.get_mut("@message")
                && let Some(i) = msg.find(" [id=")
            {
                msg.truncate(i);
            }
            l
        })
        .collect()
}

#[test]
fn plan_and_apply_json_logs_match_terraform() {
    let w = Work::new();
    w.write("main.tf", CONFIG);
    let plan = w.cairn(&["plan", "-json"]);
    plan.ok();
    let ours = lines(&plan);
    assert_eq!(ours[0]["type"], "version");
    let types: Vec<&str> = ours.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "version",
            "planned_change",
            "planned_change",
            "change_summary",
            "outputs"
        ]
    );
    let apply = w.cairn(&["apply", "-json", "-auto-approve"]);
    apply.ok();
    let applied = lines(&apply);
    assert!(applied.iter().any(|l| l["type"] == "apply_complete"));
    assert_eq!(applied.last().unwrap()["type"], "outputs");
    w.cairn(&["apply", "-json"])
        .code(1)
        .contains("auto-approve required");

    if !have_terraform("plan_and_apply_json_logs_match_terraform") {
        return;
    }
    let t = Work::new();
    t.write("main.tf", CONFIG);
    t.terraform(&["init", "-backend=false"]).ok();
    // Terraform's order of independent resources is not fixed: compare the lines as sets.
    let sorted = |v: &[J]| {
        let mut x: Vec<String> = comparable(v).into_iter().map(|l| l.to_string()).collect();
        x.sort();
        x
    };
    assert_eq!(
        sorted(&ours),
        sorted(&lines(&t.terraform(&["plan", "-json"])))
    );
    let theirs = lines(&t.terraform(&["apply", "-json", "-auto-approve"]));
    assert_eq!(sorted(&applied), sorted(&theirs));
}

#[test]
fn json_diagnostics() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = var.nope\n}\n",
    );
    let r = w.cairn(&["plan", "-json"]);
    r.code(1);
    let l = lines(&r);
    let d = l
        .iter()
        .find(|l| l["type"] == "diagnostic")
        .expect("a diagnostic line");
    assert_eq!(d["@level"], "error");
    assert_eq!(
        d["diagnostic"]["summary"],
        "Reference to undeclared input variable"
    );
    assert_eq!(
        d["diagnostic"]["range"]["start"],
        serde_json::json!({"line": 2, "column": 11, "byte": 42})
    );
    assert_eq!(d["diagnostic"]["snippet"]["code"], "  input = var.nope");
}
