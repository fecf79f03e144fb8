//! Growth with size, without timing anything: the state file and the memory of a run grow
//! linearly with the number of resources (no transitive dependency lists, no quadratic
//! structures), and cairn's provider `parallelism` limits operations in flight.

use std::process::Stdio;

use crate::support::Work;

/// `n` independent `terraform_data` resources, with inputs using a variable, a local and
/// functions, plus one chain of dependencies through all of them every tenth resource.
fn config(n: usize) -> String {
    let mut s = String::from(
        "variable \"env\" {\n  default = \"scale\"\n}\n\nlocals {\n  prefix = upper(var.env)\n}\n",
    );
    for i in 0..n {
        let input = if i % 10 == 0 && i >= 10 {
            format!("\"${{terraform_data.r{}.id}}-{i}\"", i - 10)
        } else {
            format!("format(\"%s-%05d\", local.prefix, {i})")
        };
        s.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = {input}\n}}\n"
        ));
    }
    s
}

/// Runs cairn in `w` and returns the peak resident memory of that process, in bytes.
#[cfg(target_os = "linux")]
// The child is reaped by `wait4`, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
fn peak_rss(w: &Work, args: &[&str]) -> u64 {
    let child = w
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cairn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; the child is ours and not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "cairn {args:?} failed with status {status}"
    );
    // ru_maxrss is in KiB on Linux.
    usage.ru_maxrss as u64 * 1024
}

struct Measured {
    state_bytes: u64,
    apply_rss: u64,
    plan_rss: u64,
}

/// Applies `n` resources in a new directory, then plans with no changes. The lower of two
/// such runs: on a busy machine the peak memory of one run varies.
#[cfg(target_os = "linux")]
fn measure(n: usize) -> Measured {
    let once = || {
        let w = Work::new();
        w.write("main.tf", &config(n));
        let apply_rss = peak_rss(&w, &["apply", "-auto-approve", "-input=false"]);
        let state_bytes = std::fs::metadata(w.path().join("terraform.tfstate"))
            .expect("state written")
            .len();
        let plan_rss = peak_rss(&w, &["plan", "-input=false", "-detailed-exitcode"]);
        Measured {
            state_bytes,
            apply_rss,
            plan_rss,
        }
    };
    let (a, b) = (once(), once());
    Measured {
        state_bytes: a.state_bytes.min(b.state_bytes),
        apply_rss: a.apply_rss.min(b.apply_rss),
        plan_rss: a.plan_rss.min(b.plan_rss),
    }
}

#[test]
#[cfg(target_os = "linux")]
fn state_and_memory_grow_linearly() {
    let base = measure(0);
    let small = measure(1_000);
    let large = measure(10_000);
    let ratio = |f: fn(&Measured) -> u64| {
        let grow = |m: &Measured| f(m).saturating_sub(f(&base)).max(1) as f64;
        grow(&large) / grow(&small)
    };
    let state = large.state_bytes as f64 / small.state_bytes as f64;
    let apply = ratio(|m| m.apply_rss);
    let plan = ratio(|m| m.plan_rss);
    let mib = |b: u64| b as f64 / 1048576.0;
    let report = format!(
        "state {} → {} bytes ({state:.1}×); peak RSS of an empty run: apply {:.1} MiB, plan {:.1} MiB; apply above it {:.1} → {:.1} MiB ({apply:.1}×); no-change plan {:.1} → {:.1} MiB ({plan:.1}×)",
        small.state_bytes,
        large.state_bytes,
        mib(base.apply_rss),
        mib(base.plan_rss),
        mib(small.apply_rss.saturating_sub(base.apply_rss)),
        mib(large.apply_rss.saturating_sub(base.apply_rss)),
        mib(small.plan_rss.saturating_sub(base.plan_rss)),
        mib(large.plan_rss.saturating_sub(base.plan_rss)),
    );
    eprintln!("{report}");
    assert!(
        (8.0..=12.5).contains(&state),
        "state grew {state:.1}×: {report}"
    );
    assert!(
        (4.0..=20.0).contains(&apply),
        "apply memory grew {apply:.1}×: {report}"
    );
    assert!(
        (4.0..=20.0).contains(&plan),
        "plan memory grew {plan:.1}×: {report}"
    );
}

#[test]
fn provider_parallelism_limits_operations_in_flight() {
    let w = Work::new();
    let sleeps: String = (0..4)
        .map(|i| {
            format!("resource \"time_sleep\" \"s{i}\" {{\n  create_duration = \"200ms\"\n}}\n")
        })
        .collect();
    w.write(
        "main.tf",
        &format!("provider \"time\" {{\n  parallelism = 1\n}}\n\n{sleeps}"),
    );
    let run = w.cairn(&["apply", "-auto-approve", "-parallelism=4"]);
    run.ok().contains("4 added");
    // One at a time: each creation completes before the next one starts.
    let mut in_flight = 0;
    for line in run.stdout.lines() {
        if line.contains(": Creating...") {
            in_flight += 1;
            assert_eq!(in_flight, 1, "two operations in flight:\n{}", run.stdout);
        } else if line.contains(": Creation complete") {
            in_flight -= 1;
        }
    }
    assert_eq!(in_flight, 0, "{}", run.stdout);
}

#[test]
fn provider_parallelism_must_be_a_positive_whole_number() {
    for bad in ["0", "1.5", "\"two\""] {
        let w = Work::new();
        w.write(
            "main.tf",
            &format!("provider \"time\" {{\n  parallelism = {bad}\n}}\n\nresource \"time_sleep\" \"s\" {{}}\n"),
        );
        w.cairn(&["plan"])
            .code(1)
            .contains("Invalid provider parallelism");
    }
    // A variable works too, and the provider's own schema never sees the argument.
    let w = Work::new();
    w.write(
        "main.tf",
        "variable \"n\" {\n  default = 2\n}\n\nprovider \"random\" {\n  parallelism = var.n\n}\n\nresource \"random_id\" \"a\" {\n  byte_length = 4\n}\n",
    );
    w.cairn(&["apply", "-auto-approve"])
        .ok()
        .contains("1 added");
}
