//! Tests of the local backend: atomic writes, backups, serial and lineage rules, and locking
//! between backends, processes and a running Terraform.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;

use super::*;
use crate::addr::{InstanceKey, ResourceAddr};
use crate::state::InstanceState;

fn state_with(ids: &[&str]) -> State {
    let mut s = State::new();
    for id in ids {
        let inst = InstanceState {
            attributes: json!({ "id": id }).into(),
            ..Default::default()
        };
        let addr = ResourceAddr::managed("terraform_data", id).instance(InstanceKey::None);
        s.set_instance(
            &addr,
            r#"provider["terraform.io/builtin/terraform"]"#,
            Some(inst),
        );
    }
    s
}

fn stored_serial(path: &Path) -> u64 {
    format::read(&fs::read(path).unwrap(), "x").unwrap().serial
}

#[tokio::test]
async fn write_read_serial_lineage_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terraform.tfstate");
    let b = LocalBackend::new(&path);
    assert!(b.read().await.unwrap().is_none());

    let mut s = state_with(&["a"]);
    assert_eq!(b.write(&s).await.unwrap(), 1);
    let back = b.read().await.unwrap().unwrap();
    assert_eq!((back.serial, &back.lineage), (1, &s.lineage));
    assert_eq!(back.resources, s.resources);
    assert!(
        !b.backup_path().exists(),
        "no backup without a previous state"
    );

    // Same content (even with a stale serial): nothing written, the stored serial returned.
    let before = fs::read(&path).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(b.write(&s).await.unwrap(), 1);
    s.serial = 1;
    assert_eq!(b.write(&s).await.unwrap(), 1);
    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);

    // A change: serial past the stored one; the previous file becomes the backup.
    s = state_with(&["a", "b"]);
    s.lineage = back.lineage.clone();
    assert_eq!(b.write(&s).await.unwrap(), 2);
    assert_eq!(stored_serial(&path), 2);
    assert_eq!(fs::read(b.backup_path()).unwrap(), before);
    assert_eq!(b.read().await.unwrap().unwrap().lineage, back.lineage);

    // A caller with a serial ahead of the store keeps going from there.
    s = state_with(&["c"]);
    s.lineage = back.lineage.clone();
    s.serial = 10;
    assert_eq!(b.write(&s).await.unwrap(), 11);
    // The backup is the state from before this backend's first write, as Terraform keeps it.
    assert_eq!(fs::read(b.backup_path()).unwrap(), before);
    // A fresh backend (a new command) backs up what it found.
    let b2 = LocalBackend::new(&path);
    let at_11 = fs::read(&path).unwrap();
    s = state_with(&["d"]);
    s.lineage = back.lineage.clone();
    assert_eq!(b2.write(&s).await.unwrap(), 12);
    assert_eq!(fs::read(b2.backup_path()).unwrap(), at_11);

    // Another lineage is refused and nothing changes.
    let other = state_with(&["zzz"]);
    let err = b.write(&other).await.unwrap_err();
    assert!(matches!(err, StateError::LineageMismatch { .. }), "{err}");
    assert_eq!(stored_serial(&path), 12);

    // No temporary files are left behind.
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[tokio::test]
async fn the_written_file_is_terraforms_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/state.tfstate");
    let b = LocalBackend::new(&path);
    let s = state_with(&["a"]);
    b.write(&s).await.unwrap();
    let mut expected = s.clone();
    expected.serial = 1;
    assert_eq!(fs::read(&path).unwrap(), format::write(&expected));
    assert_eq!(b.name(), format!("local state {}", path.display()));
}

#[tokio::test]
async fn sensitive_path_order_is_not_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.tfstate"));
    let mut s = state_with(&["a"]);
    let p1 = vec![cairn_provider::PathStep::Attr("x".into())];
    let p2 = vec![cairn_provider::PathStep::Attr("y".into())];
    let addr = ResourceAddr::managed("terraform_data", "a").instance(InstanceKey::None);
    let mut inst = s.instance(&addr).unwrap().clone();
    inst.sensitive_paths = vec![p1.clone(), p2.clone()];
    s.set_instance(&addr, "p", Some(inst.clone()));
    assert_eq!(b.write(&s).await.unwrap(), 1);
    inst.sensitive_paths = vec![p2, p1];
    s.set_instance(&addr, "p", Some(inst));
    assert_eq!(b.write(&s).await.unwrap(), 1);
}

/// Readers racing a writer always see one whole state or the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terraform.tfstate");
    let b = LocalBackend::new(&path);
    let small = state_with(&["a"]);
    let names: Vec<String> = (0..200).map(|i| format!("r{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut big = state_with(&names);
    big.lineage = small.lineage.clone();
    b.write(&small).await.unwrap();
    let reader_path = path.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let reader = std::thread::spawn(move || {
        let mut reads = 0;
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let bytes = fs::read(&reader_path).unwrap();
            let s = format::read(&bytes, "x").unwrap_or_else(|e| panic!("torn read: {e}"));
            assert!(
                s.resources.len() == 1 || s.resources.len() == 200,
                "a whole state"
            );
            reads += 1;
        }
        reads
    });
    for n in 0..30 {
        b.write(if n % 2 == 0 { &big } else { &small })
            .await
            .unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads = reader.join().unwrap();
    assert!(reads > 0, "the reader ran");
}

#[tokio::test]
async fn malformed_state_is_an_error_and_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terraform.tfstate");
    let garbage = b"{\"version\": 4, \"resources\": [tru";
    fs::write(&path, garbage).unwrap();
    let b = LocalBackend::new(&path);
    let err = b.read().await.unwrap_err();
    assert!(matches!(err, StateError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("not valid JSON"), "{err}");
    let err = b.write(&state_with(&["a"])).await.unwrap_err();
    assert!(matches!(err, StateError::Invalid { .. }), "{err}");
    assert_eq!(fs::read(&path).unwrap(), garbage);
    assert!(!b.backup_path().exists());

    fs::write(&path, br#"{"version": 3, "modules": []}"#).unwrap();
    let err = b.read().await.unwrap_err().to_string();
    assert!(
        err.contains("format version 3") && err.contains("terraform apply"),
        "{err}"
    );
}

#[tokio::test]
async fn lock_excludes_a_second_backend_but_not_readers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terraform.tfstate");
    let a = LocalBackend::new(&path);
    let b = LocalBackend::new(&path);
    a.write(&state_with(&["x"])).await.unwrap();
    let info = LockInfo::new("OperationTypeApply");
    a.lock(&info, Duration::ZERO).await.unwrap();

    let recorded: LockInfo =
        serde_json::from_slice(&fs::read(a.lock_info_path()).unwrap()).unwrap();
    assert_eq!(recorded.id, info.id);
    assert_eq!(recorded.path, path.display().to_string());
    assert_eq!(
        a.lock_info_path(),
        dir.path().join(".terraform.tfstate.lock.info")
    );

    let start = Instant::now();
    let err = b
        .lock(&LockInfo::new("OperationTypePlan"), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(500));
    let StateError::Locked(holder) = &err else {
        panic!("{err}")
    };
    assert_eq!(holder.id, info.id);
    assert_eq!(holder.operation, "OperationTypeApply");
    assert_eq!(holder.who, info.who);
    assert!(err.to_string().contains(&info.id));
    // The same backend cannot take it twice either, and says so without waiting.
    let start = Instant::now();
    let again = a.lock(&LockInfo::new("x"), Duration::from_secs(30)).await;
    assert!(matches!(again, Err(StateError::Locked(ref h)) if h.id == info.id));
    assert!(start.elapsed() < Duration::from_secs(5));

    // Reading is not blocked.
    assert_eq!(b.read().await.unwrap().unwrap().resources.len(), 1);

    // The holder writes (replacing the file): still locked for others.
    let mut s = a.read().await.unwrap().unwrap();
    s.set_instance(
        &ResourceAddr::managed("terraform_data", "y").instance(InstanceKey::None),
        "p",
        Some(InstanceState {
            attributes: json!({"id": "y"}).into(),
            ..Default::default()
        }),
    );
    a.write(&s).await.unwrap();
    let err = b
        .lock(&LockInfo::new("OperationTypePlan"), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StateError::Locked(ref h) if h.id == info.id),
        "{err}"
    );

    // Many writes under one lock neither leak descriptors nor let the lock go.
    for n in 0..(MAX_LOCKED_FILES + 8) {
        let mut s2 = s.clone();
        s2.outputs.insert(
            "n".into(),
            crate::state::OutputState {
                value: json!(n),
                ty: json!("number"),
                sensitive: false,
            },
        );
        a.write(&s2).await.unwrap();
    }
    a.write(&s).await.unwrap();
    let locked = guard(&a.inner.held).as_ref().map(|h| h.files.len());
    assert_eq!(locked, Some(MAX_LOCKED_FILES));
    let err = b
        .lock(&LockInfo::new("OperationTypePlan"), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StateError::Locked(ref h) if h.id == info.id),
        "{err}"
    );

    // Unlock: wrong id refused, right id releases and removes the record.
    let err = a.unlock("nope").await.unwrap_err();
    assert!(matches!(err, StateError::LockMismatch { .. }), "{err}");
    a.unlock(&info.id).await.unwrap();
    assert!(!a.lock_info_path().exists());
    assert!(matches!(
        a.unlock(&info.id).await,
        Err(StateError::NotLocked(_))
    ));
    let info_b = LockInfo::new("OperationTypePlan");
    // Other tests in this process spawn children; a fork can briefly share the released file
    // description until the child execs, so allow a moment rather than demanding it at once.
    b.lock(&info_b, Duration::from_secs(5)).await.unwrap();
    b.unlock(&info_b.id).await.unwrap();
    // The state survived all of it.
    assert_eq!(a.read().await.unwrap().unwrap().resources.len(), 2);
}

#[tokio::test]
async fn lock_on_a_missing_state_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terraform.tfstate");
    let a = LocalBackend::new(&path);
    let info = LockInfo::new("OperationTypeApply");
    a.lock(&info, Duration::ZERO).await.unwrap();
    assert!(
        a.read().await.unwrap().is_none(),
        "an empty file is no state"
    );
    a.unlock(&info.id).await.unwrap();
    assert!(!path.exists());
    assert!(!a.lock_info_path().exists());
}

#[tokio::test]
async fn lock_timeout_waits_for_release() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terraform.tfstate");
    let a = LocalBackend::new(&path);
    let b = LocalBackend::new(&path);
    let info = LockInfo::new("OperationTypeApply");
    a.lock(&info, Duration::ZERO).await.unwrap();

    // A timeout that expires while held fails after waiting about that long.
    let start = Instant::now();
    let err = b
        .lock(&LockInfo::new("p"), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::Locked(_)));
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );

    // Released during the wait: taken.
    let release = {
        let a = a.clone();
        let id = info.id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            a.unlock(&id).await.unwrap();
        })
    };
    let start = Instant::now();
    let info_b = LockInfo::new("p");
    b.lock(&info_b, Duration::from_secs(10)).await.unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    release.await.unwrap();
    let recorded: LockInfo =
        serde_json::from_slice(&fs::read(b.lock_info_path()).unwrap()).unwrap();
    assert_eq!(recorded.id, info_b.id);
}

#[tokio::test]
async fn force_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terraform.tfstate");
    let a = LocalBackend::new(&path);
    let b = LocalBackend::new(&path);
    a.write(&state_with(&["x"])).await.unwrap();
    assert!(matches!(
        b.force_unlock("id").await,
        Err(StateError::NotLocked(_))
    ));

    let info = LockInfo::new("OperationTypeApply");
    a.lock(&info, Duration::ZERO).await.unwrap();
    let err = b.force_unlock("other").await.unwrap_err();
    assert!(
        matches!(err, StateError::LockMismatch { ref holder, .. } if *holder == info.id),
        "{err}"
    );
    // A live holder's OS lock cannot be taken away; say so rather than pretend.
    let err = b.force_unlock(&info.id).await.unwrap_err();
    assert!(
        err.to_string().contains("held by a running process"),
        "{err}"
    );
    // The holder itself can force it.
    a.force_unlock(&info.id).await.unwrap();
    b.lock(&LockInfo::new("p"), Duration::from_secs(5))
        .await
        .unwrap();

    // A record left by a holder that is gone: force-unlock removes it.
    let c = LocalBackend::new(dir.path().join("other.tfstate"));
    let stale = LockInfo::new("OperationTypeApply");
    fs::write(c.lock_info_path(), serde_json::to_vec(&stale).unwrap()).unwrap();
    c.force_unlock(&stale.id).await.unwrap();
    assert!(!c.lock_info_path().exists());
}

const CHILD_ENV: &str = "CAIRN_STATE_LOCK_CHILD";

/// Not a test on its own: run as a child process by `lock_excludes_other_processes`, it takes
/// the lock on the path in its environment, says so, and waits to be killed.
#[tokio::test]
async fn lock_holding_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let b = LocalBackend::new(path);
    b.lock(&LockInfo::new("OperationTypeChild"), Duration::ZERO)
        .await
        .unwrap();
    println!("LOCKED");
    let _ = std::io::stdout().flush();
    tokio::time::sleep(Duration::from_secs(60)).await;
}

#[tokio::test]
async fn lock_excludes_other_processes_and_dies_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("terraform.tfstate");
    let b = LocalBackend::new(&path);
    b.write(&state_with(&["x"])).await.unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "state::backend::local::tests::lock_holding_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let locked = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.trim_end().ends_with("LOCKED"));
    assert!(locked, "the child did not take the lock");

    let err = b
        .lock(&LockInfo::new("OperationTypePlan"), Duration::ZERO)
        .await
        .unwrap_err();
    let StateError::Locked(holder) = err else {
        panic!("{err}")
    };
    assert_eq!(holder.operation, "OperationTypeChild");
    assert_eq!(holder.path, path.display().to_string());

    // kill -9: the kernel drops the lock; only the stale record is left, which is overwritten.
    child.kill().unwrap();
    child.wait().unwrap();
    let info = LockInfo::new("OperationTypeApply");
    b.lock(&info, Duration::from_secs(5)).await.unwrap();
    let recorded: LockInfo =
        serde_json::from_slice(&fs::read(b.lock_info_path()).unwrap()).unwrap();
    assert_eq!(recorded.id, info.id);
    b.unlock(&info.id).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Locking against Terraform itself.

fn terraform() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file())
}

fn tf_command(bin: &Path, dir: &Path) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(dir)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1");
    c
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[tokio::test]
async fn cairn_and_terraform_exclude_each_other() {
    let Some(bin) = terraform() else {
        eprintln!("skipped: terraform not found");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("main.tf"),
        "resource \"terraform_data\" \"a\" {}\n",
    )
    .unwrap();
    let init = tf_command(&bin, dir.path())
        .args(["init", "-backend=false", "-no-color"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let path = dir.path().join("terraform.tfstate");
    let b = LocalBackend::new(&path);
    b.write(&state_with(&["x"])).await.unwrap();

    // We hold it: terraform cannot take it, and shows our record.
    let info = LockInfo::new("OperationTypeApply");
    b.lock(&info, Duration::ZERO).await.unwrap();
    let plan = tf_command(&bin, dir.path())
        .args(["plan", "-lock-timeout=0s", "-no-color", "-input=false"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&plan.stderr);
    assert!(!plan.status.success());
    assert!(
        err.contains("Error acquiring the state lock") && err.contains(&info.id),
        "{err}"
    );
    b.unlock(&info.id).await.unwrap();

    // Terraform holds it (a console keeps it while open): we cannot, and see its record.
    let mut console = tf_command(&bin, dir.path())
        .args(["console", "-no-color"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for its lock record (probing with our own lock could make it fail to lock and quit).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !b.lock_info_path().exists() {
        assert!(
            Instant::now() < deadline,
            "terraform console never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Terraform writes the record after taking the lock, but not atomically: read it whole.
    let holder = loop {
        let err = b
            .lock(&LockInfo::new("OperationTypePlan"), Duration::ZERO)
            .await
            .unwrap_err();
        let StateError::Locked(holder) = err else {
            panic!("{err}")
        };
        if !holder.id.is_empty() || Instant::now() > deadline {
            break holder;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(holder.version, TERRAFORM_VERSION);
    assert_eq!(holder.path, "terraform.tfstate");
    drop(console.stdin.take());
    console.wait().unwrap();
    let info = LockInfo::new("OperationTypeApply");
    b.lock(&info, Duration::from_secs(10)).await.unwrap();
    b.unlock(&info.id).await.unwrap();
}
