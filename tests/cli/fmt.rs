//! `cairn fmt` end to end: exit codes (0 / 3 / 2), in-place rewriting with the list of changed
//! files, `-check`, `-diff`, `-recursive`, standard input, and — when `terraform` is installed —
//! byte-for-byte parity with `terraform fmt` on edge cases.

use crate::support::Work;

const UGLY: &str =
    "resource aws_instance web {\nami=\"${var.ami}\"\n    instance_type = \"t3.micro\" # size\n}\n";
const PRETTY: &str = "resource \"aws_instance\" \"web\" {\n  ami           = var.ami\n  instance_type = \"t3.micro\" # size\n}\n";

#[test]
fn check_exit_codes() {
    let w = Work::new();
    w.write("main.tf", PRETTY);
    let r = w.cairn(&["fmt", "-check"]);
    r.code(0);
    assert_eq!(r.stdout, "");

    w.write("other.tf", UGLY);
    let r = w.cairn(&["fmt", "-check"]);
    r.code(3);
    assert_eq!(r.stdout, "other.tf\n");
    // -check never writes
    assert_eq!(w.read("other.tf").as_deref(), Some(UGLY));
    // -list=false keeps the verdict but not the list
    let r = w.cairn(&["fmt", "-check", "-list=false"]);
    r.code(3);
    assert_eq!(r.stdout, "");

    w.write("bad.tf", "a = 1\na = 2\n");
    w.cairn(&["fmt", "-check", "bad.tf"])
        .code(2)
        .contains("bad.tf:2:1")
        .contains("Attribute redefined");
}

#[test]
fn rewrites_in_place_and_lists_changed_files() {
    let w = Work::new();
    w.write("main.tf", UGLY)
        .write("ok.tf", PRETTY)
        .write("vars.tfvars", "a=1\n");
    let r = w.cairn(&["fmt"]);
    r.ok();
    assert_eq!(r.stdout, "main.tf\nvars.tfvars\n");
    assert_eq!(w.read("main.tf").as_deref(), Some(PRETTY));
    assert_eq!(w.read("vars.tfvars").as_deref(), Some("a = 1\n"));
    // a second run has nothing to do
    let r = w.cairn(&["fmt"]);
    r.ok();
    assert_eq!(r.stdout, "");
    // -write=false only lists
    w.write("main.tf", UGLY);
    let r = w.cairn(&["fmt", "-write=false"]);
    r.ok();
    assert_eq!(r.stdout, "main.tf\n");
    assert_eq!(w.read("main.tf").as_deref(), Some(UGLY));
}

#[test]
fn diff_shows_the_changes() {
    let w = Work::new();
    w.write("main.tf", "a=1\nbb = 2\n");
    let r = w.cairn(&["fmt", "-diff", "-check"]);
    r.code(3)
        .contains("main.tf\n")
        .contains("--- old/main.tf")
        .contains("+++ new/main.tf")
        .contains("-a=1")
        .contains("+a  = 1");
}

#[test]
fn recursive_and_explicit_targets() {
    let w = Work::new();
    w.write("main.tf", "a=1\n")
        .write("sub/inner.tf", "b=2\n")
        .write(".hidden/x.tf", "c=3\n")
        .write("notes.txt", "d=4\n");
    let r = w.cairn(&["fmt", "-check"]);
    r.code(3);
    assert_eq!(r.stdout, "main.tf\n");
    let r = w.cairn(&["fmt", "-check", "-recursive"]);
    r.code(3);
    assert_eq!(r.stdout, "main.tf\nsub/inner.tf\n");
    let r = w.cairn(&["fmt", "-check", "sub"]);
    r.code(3);
    assert_eq!(r.stdout, "sub/inner.tf\n");
    let r = w.cairn(&["fmt", "sub/inner.tf"]);
    r.ok();
    assert_eq!(w.read("sub/inner.tf").as_deref(), Some("b = 2\n"));
    assert_eq!(w.read(".hidden/x.tf").as_deref(), Some("c=3\n"));
    w.cairn(&["fmt", "notes.txt"]).code(2).contains("Only .tf");
    w.cairn(&["fmt", "missing.tf"])
        .code(2)
        .contains("No file or directory at missing.tf");
}

#[test]
fn standard_input() {
    let w = Work::new();
    let r = w.cairn_input(&["fmt", "-"], UGLY);
    r.ok();
    assert_eq!(r.stdout, PRETTY);
    let r = w.cairn_input(&["fmt", "-check", "-"], UGLY);
    r.code(3);
    assert_eq!(r.stdout, "");
    w.cairn_input(&["fmt", "-check", "-"], PRETTY).code(0);
    // like Terraform, standard output always ends in a newline
    assert_eq!(w.cairn_input(&["fmt", "-"], "a = 1").stdout, "a = 1\n");
    w.cairn_input(&["fmt", "-"], "x {\n  y = \"a\nb\"\n}\n")
        .code(2)
        .contains("<stdin>:2:")
        .contains("Invalid multi-line string");
}

/// Edge cases run through both `cairn fmt -` and `terraform fmt -`.
const EDGE_CASES: &[&str] = &[
    "a=1\nbbb=2\n\nc=3\n# own line\ndddd=4\n",
    "x {\n  a = 1 # one\n  bbbb = 2 // two\n  c = { d = 1 } /* three */\n}\n",
    "a = [ 1 , 2 , ]\nb = { x = 1, y = [ for v in var.l : v if v != -1 ] }\n",
    "a = !b\nc = -1\nd = a - -1\ne = f(x...)\ng = provider::aws::arn(1)\nh = a.b[0].c[*].d\n",
    "j = {for k,v in m: k=>v...}\nk = a ? -1 : 2\nl = \"${a}${b}\"\nn = \"${ {a=1} }\"\n",
    "a = <<EOT\n   x ${ foo }\n  EOT\nbb = 1\nc = <<-EOT\n    y\n    EOT\n",
    "a = <<EOT\n${\n  foo\n    }\nEOT\n",
    "resource \"a%b\" \"c$d\" {}\nresource \"a\\u0041\\t\" /* x */ e {}\n",
    "variable \"x\" {\n  type = \"string\"\n}\nvariable \"y\" {\n  type = list\n}\nvariable \"z\" {\n  type = \"map\"\n  default = \"${x}\"\n}\n",
    "a = \"${\nvar.a ? 1 : 2\n}\"\nb = \"${var.c ?\n1 : 2}\"\n",
    "locals {\n      list = [\n    1,\n        2,\n  ]\n  m = {\n  a = 1\n      bb = 2\n  }\n}\n",
    "a = 1   ",
    "\n\n\na = 1\n\n\n",
    "a = 1\r\nbbb = 2\r\n",
    "x \"y\" { a = 1 }\nz {}\n",
    "a = foo(\n  1,\n  2\n)\nbb = 2\n",
    "a = 1 /* x */ + 2\nb = \"%{ if x }y%{ endif }\"\n",
    "a /* 1 */ \"b\" /* 2 */ c /* 3 */ {\n}\nd /* 4 */ {}\n",
    "a = {\n  k = 1\n  k = 2\n}\nb = { \"q\" = 1, \"q\" = 2 }\n",
    // rejected by both
    "a = 1\na = 2\n",
    "x {\n  a = 1\n  a = 2\n}\n",
    "a = \"x\ny\"\n",
    "resource \"a${b}\" \"c\" {}\n",
    "x {\n  a = 1\n",
    "a = <<EOT\nx\nEOT",
    "a = 1 b = 2\n",
    "a = [1,\n",
    "a = 1 @\n",
    "x { y {} }\n",
    "x { a = 1\n}\n",
    "a = \"${\"\n",
    "= 1\n",
    "a = 1 }\n",
    "a = b.0.1\nc = \"${d[0].1.2}\"\n",
    "a = b.1e5\nc = d.0 .1\n",
    "x {\n}  /* c */\ny {\n} /* d */ /* e */ # f\n",
    "a /* d */ = 1\nbb    /* e */ = <<EOT\nx\nEOT\n",
    "m = { for k, v inr.m : k => v }\n",
    "a = <<EOT\nhi\nEOT\"r\"\nEOT\n",
    "variable \"v\" {\n  default =/* d */ \"${x}\"\n}\n",
    "a = [-\n  1,\n]\nb = f(1, !\n  true)\nc = (1 -\n  2)\nd = -\n1\n",
    "o = {!\n  a = 1\n}\n",
];

#[test]
fn matches_terraform_on_edge_cases() {
    let w = Work::new();
    let probe = std::process::Command::new("terraform")
        .arg("version")
        .output();
    if probe.is_err() {
        println!("skipped: terraform not found");
        return;
    }
    for (i, case) in EDGE_CASES.iter().enumerate() {
        let ours = w.cairn_input(&["fmt", "-"], case);
        let theirs = terraform_fmt_stdin(&w, case);
        assert_eq!(
            (ours.code, ours.stdout.as_str()),
            (theirs.0, theirs.1.as_str()),
            "case {i}: {case:?}\ncairn stderr: {}",
            ours.stderr
        );
    }
}

fn terraform_fmt_stdin(w: &Work, input: &str) -> (i32, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("terraform")
        .args(["fmt", "-no-color", "-"])
        .current_dir(w.path())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn terraform");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("terraform output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
