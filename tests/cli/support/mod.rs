//! Test support: a scratch working directory and a way to run cairn (or terraform) in it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Work {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn contains(&self, s: &str) -> &Run {
        assert!(
            self.all().contains(s),
            "expected output to contain {s:?}\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
    #[track_caller]
    pub fn lacks(&self, s: &str) -> &Run {
        assert!(
            !self.all().contains(s),
            "expected output not to contain {s:?}\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

fn from(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn cairn_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cairn"))
}

/// The directory of fixtures for a stage.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

impl Work {
    pub fn new() -> Work {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    /// A scratch copy of a fixture directory.
    pub fn fixture(rel: &str) -> Work {
        let w = Work::new();
        copy_dir(&testdata(rel), w.path());
        w
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn write(&self, name: &str, text: &str) -> &Work {
        let p = self.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, text).unwrap();
        self
    }
    pub fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.path().join(name)).ok()
    }
    pub fn exists(&self, name: &str) -> bool {
        self.path().join(name).exists()
    }
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(cairn_bin());
        c.args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("TF_LOG")
            .stdin(Stdio::null());
        c
    }
    pub fn cairn(&self, args: &[&str]) -> Run {
        from(self.command(args).output().expect("run cairn"))
    }
    /// Runs cairn with `input` on standard input.
    pub fn cairn_input(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cairn");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        from(child.wait_with_output().unwrap())
    }
    pub fn terraform(&self, args: &[&str]) -> Run {
        let out = Command::new("terraform")
            .args(args)
            .current_dir(self.path())
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("TF_IN_AUTOMATION", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run terraform");
        from(out)
    }
    /// The state file as JSON.
    pub fn state(&self) -> serde_json::Value {
        let text = self.read("terraform.tfstate").expect("state file exists");
        serde_json::from_str(&text).expect("state is JSON")
    }
    /// Instance attributes by address, from the state file.
    pub fn state_objects(&self) -> BTreeMap<String, serde_json::Value> {
        let mut out = BTreeMap::new();
        // No state, or the empty file a lock holder leaves before its first write (as Terraform).
        if self
            .read("terraform.tfstate")
            .is_none_or(|t| t.trim().is_empty())
        {
            return out;
        }
        let st = self.state();
        for r in st["resources"].as_array().cloned().unwrap_or_default() {
            let base = if r["mode"] == "data" {
                format!(
                    "data.{}.{}",
                    r["type"].as_str().unwrap(),
                    r["name"].as_str().unwrap()
                )
            } else {
                format!(
                    "{}.{}",
                    r["type"].as_str().unwrap(),
                    r["name"].as_str().unwrap()
                )
            };
            for i in r["instances"].as_array().cloned().unwrap_or_default() {
                let addr = match &i["index_key"] {
                    serde_json::Value::Null => base.clone(),
                    serde_json::Value::String(s) => format!("{base}[\"{s}\"]"),
                    k => format!("{base}[{k}]"),
                };
                out.insert(addr, i["attributes"].clone());
            }
        }
        out
    }
    /// Every regular file below `sub`, with its contents.
    pub fn files(&self, sub: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let root = self.path().join(sub);
        collect(&root, &root, &mut out);
        out
    }
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from)
        .unwrap_or_else(|_| panic!("fixture {} exists", from.display()))
        .flatten()
    {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Whether the terraform oracle is installed; prints why a test skips when it is not.
pub fn have_terraform(test: &str) -> bool {
    let ok = Command::new("terraform")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: {test}: terraform not found on PATH");
    }
    ok
}
