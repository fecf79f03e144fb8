//! Failure: rollback at the first, a middle and the last position of a plan; `-no-rollback`;
//! `kill -9` in the middle of an apply; two applies racing for the lock.

use std::time::{Duration, Instant};

use crate::support::Work;

/// A base file that the second apply replaces, then a chain f1 → f2 → f3 of new files; the file
/// named `fail` gets a path under a regular file, so creating it fails for real.
fn config(base: &str, fail: Option<&str>) -> String {
    let mut s = format!(
        "resource \"local_file\" \"base\" {{\n  filename = \"${{path.module}}/out/base.txt\"\n  content  = \"{base}\"\n}}\n"
    );
    let mut prev = "local_file.base".to_string();
    for f in ["f1", "f2", "f3"] {
        let path = if fail == Some(f) {
            format!("blocker/{f}.txt")
        } else {
            format!("out/{f}.txt")
        };
        s.push_str(&format!(
            "resource \"local_file\" \"{f}\" {{\n  filename   = \"${{path.module}}/{path}\"\n  content    = \"{f}\"\n  depends_on = [{prev}]\n}}\n"
        ));
        prev = format!("local_file.{f}");
    }
    s
}

fn setup() -> Work {
    let w = Work::new();
    w.write(
        "blocker",
        "a regular file: nothing can be created below it\n",
    );
    w.write(
        "main.tf",
        "resource \"local_file\" \"base\" {\n  filename = \"${path.module}/out/base.txt\"\n  content  = \"v1\"\n}\nresource \"terraform_data\" \"keep\" {\n  input = \"k\"\n}\n",
    );
    w.cairn(&["apply", "-auto-approve"]).ok();
    w
}

#[test]
fn rollback_restores_state_and_files_at_every_position() {
    for fail in ["f1", "f2", "f3"] {
        let w = setup();
        let files_before = w.files("out");
        let objects_before = w.state_objects();
        let mut cfg = config("v2", Some(fail));
        cfg.push_str("resource \"terraform_data\" \"keep\" {\n  input = \"k\"\n}\n");
        w.write("main.tf", &cfg);
        let r = w.cairn(&["apply", "-auto-approve"]);
        r.code(1)
            .contains(&format!("local_file.{fail}"))
            .contains("Rolled back");
        assert_eq!(
            w.files("out"),
            files_before,
            "files after a failure at {fail}"
        );
        assert_eq!(
            w.state_objects(),
            objects_before,
            "state after a failure at {fail}"
        );
        assert!(!w.exists("terraform.tfstate.journal"));
        // Nothing half-applied: the next plan is the same full plan again.
        w.write("main.tf", &cfg.replace("blocker/", "out/"));
        w.cairn(&["apply", "-auto-approve"]).ok();
        assert_eq!(w.read("out/base.txt").as_deref(), Some("v2"));
    }
}

#[test]
fn no_rollback_keeps_what_succeeded() {
    let w = setup();
    let mut cfg = config("v2", Some("f3"));
    cfg.push_str("resource \"terraform_data\" \"keep\" {\n  input = \"k\"\n}\n");
    w.write("main.tf", &cfg);
    w.cairn(&["apply", "-auto-approve", "-no-rollback"])
        .code(1)
        .contains("local_file.f3")
        .lacks("Rolled back");
    let files = w.files("out");
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        vec!["base.txt", "f1.txt", "f2.txt"]
    );
    assert_eq!(files["base.txt"], "v2");
    let objects = w.state_objects();
    assert!(objects.contains_key("local_file.f2") && !objects.contains_key("local_file.f3"));
    assert_eq!(objects["local_file.base"]["content"], "v2");
}

/// Files present on disk must all be known to the state.
fn assert_no_orphans(w: &Work) {
    let known: Vec<String> = w
        .state_objects()
        .values()
        .filter_map(|a| {
            a["filename"]
                .as_str()
                .map(|f| f.rsplit('/').next().unwrap().to_string())
        })
        .collect();
    for f in w.files("out").keys() {
        assert!(
            known.contains(f),
            "out/{f} exists but the state does not know it (known: {known:?})"
        );
    }
}

#[test]
fn kill_9_during_apply_loses_nothing() {
    let mut cfg = String::new();
    for i in 0..6 {
        cfg.push_str(&format!(
            "resource \"time_sleep\" \"s{i}\" {{\n  create_duration = \"{}ms\"\n}}\nresource \"local_file\" \"f{i}\" {{\n  filename = \"${{path.module}}/out/f{i}.txt\"\n  content  = time_sleep.s{i}.id\n}}\n",
            150 * (i + 1)
        ));
    }
    for kill_after in [250u64, 500, 800] {
        let w = Work::new();
        w.write("main.tf", &cfg);
        let mut child = w
            .command(&["apply", "-auto-approve"])
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(kill_after));
        child.kill().expect("kill -9");
        let _ = child.wait();
        // Right after the kill every file is known to the state or to the journal beside it.
        let journal = w.read("terraform.tfstate.journal").unwrap_or_default();
        let known: Vec<String> = w
            .state_objects()
            .values()
            .filter_map(|a| a["filename"].as_str().map(str::to_string))
            .collect();
        for f in w.files("out").keys() {
            assert!(
                journal.contains(&format!("out/{f}"))
                    || known.iter().any(|k| k.ends_with(&format!("out/{f}"))),
                "out/{f} exists but neither the state nor the journal records it"
            );
        }
        w.cairn(&["apply", "-auto-approve"]).ok();
        assert_no_orphans(&w);
        assert_eq!(w.files("out").len(), 6);
        w.cairn(&["plan", "-detailed-exitcode"]).code(0);
    }
}

/// Waits until an apply started in the background holds the lock.
fn wait_for_lock(w: &Work) {
    let start = Instant::now();
    while !w.exists(".terraform.tfstate.lock.info") && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        w.exists(".terraform.tfstate.lock.info"),
        "the apply takes the lock"
    );
}

#[test]
fn concurrent_applies_one_runs_the_other_names_the_holder() {
    let w = Work::new();
    w.write(
        "main.tf",
        "resource \"time_sleep\" \"s\" {\n  create_duration = \"3s\"\n}\n",
    );
    let mut first = w
        .command(&["apply", "-auto-approve"])
        .spawn()
        .expect("spawn");
    wait_for_lock(&w);
    let second = w.cairn(&["apply", "-auto-approve"]);
    second
        .code(1)
        .contains("Error acquiring the state lock")
        .contains("OperationTypeApply");
    assert!(first.wait().unwrap().success());
    // With a lock timeout the second waits for the first.
    w.write("main.tf", "resource \"time_sleep\" \"s\" {\n  create_duration = \"2s\"\n}\nresource \"time_sleep\" \"t\" {\n  create_duration = \"1s\"\n}\n");
    let mut a = w.command(&["apply", "-auto-approve"]).spawn().unwrap();
    wait_for_lock(&w);
    // A plan neither waits for nor takes the lock, and says an apply may be running.
    w.cairn(&["plan"])
        .ok()
        .contains("holds the state lock")
        .contains("OperationTypeApply");
    let b = w.cairn(&["apply", "-auto-approve", "-lock-timeout=30s"]);
    assert!(a.wait().unwrap().success());
    b.ok();
}

#[test]
fn force_unlock_clears_a_stale_lock() {
    let w = Work::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {}\n");
    w.write(
        ".terraform.tfstate.lock.info",
        r#"{"ID":"11111111-2222-3333-4444-555555555555","Operation":"OperationTypeApply","Info":"","Who":"someone@elsewhere","Version":"1.11.4","Created":"2026-01-01T00:00:00Z","Path":"terraform.tfstate"}"#,
    );
    w.cairn(&["force-unlock", "-force", "wrong-id"]).code(1);
    w.cairn(&[
        "force-unlock",
        "-force",
        "11111111-2222-3333-4444-555555555555",
    ])
    .ok();
    w.cairn(&["apply", "-auto-approve"]).ok();
}
