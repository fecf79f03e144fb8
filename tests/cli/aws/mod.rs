//! End-to-end tests of the `aws` provider against `moto_server`, a local implementation of the
//! EC2 API, with the `aws` CLI as the independent client that checks what cairn created,
//! changed or deleted. Each test starts its own moto on a free port ([`Moto::start`]); when
//! moto is not installed the tests print "skipped: moto_server not found" (and fail under
//! `CI=true`, where it must be installed).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Run, Work};

mod compute;
mod data;
mod lifecycle;
mod net;

/// A running `moto_server`, killed on drop.
pub struct Moto {
    pub port: u16,
    child: Child,
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

impl Moto {
    /// Starts moto on a free port and waits until it answers; `None` (after printing why) when
    /// moto or the aws CLI is not installed, outside CI.
    pub fn start(test: &str) -> Option<Moto> {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        for bin in ["moto_server", "aws"] {
            if !on_path(bin) {
                assert!(!ci, "{bin} is required under CI=true");
                eprintln!("skipped: {test}: {bin} not found");
                return None;
            }
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server");
        let moto = Moto { port, child };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if http_get(port, "/moto-api/").is_some_and(|r| r.starts_with("HTTP/1.")) {
                return Some(moto);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not answer on port {port}");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn env(&self, c: &mut Command) {
        c.env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL_EC2")
            .env_remove("AWS_SESSION_TOKEN");
    }

    /// Runs cairn in `w` against this moto.
    pub fn cairn(&self, w: &Work, args: &[&str]) -> Run {
        self.cairn_env(w, args, &[])
    }

    /// Runs cairn in `w` against this moto with extra environment variables.
    pub fn cairn_env(&self, w: &Work, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = w.command(args);
        self.env(&mut c);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("run cairn");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs the aws CLI against this moto and returns its JSON output (null when it printed
    /// nothing); panics when it fails.
    #[track_caller]
    pub fn aws(&self, args: &[&str]) -> serde_json::Value {
        let r = self.aws_run(args);
        assert!(r.code == 0, "aws {args:?} failed: {}", r.stderr);
        if r.stdout.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&r.stdout).expect("aws prints JSON")
        }
    }

    /// Runs the aws CLI, returning the raw result (for calls that are expected to fail).
    pub fn aws_run(&self, args: &[&str]) -> Run {
        let mut c = Command::new("aws");
        c.args(args)
            .args(["--endpoint-url", &self.endpoint(), "--output", "json"])
            .stdin(Stdio::null());
        self.env(&mut c);
        let out = c.output().expect("run aws");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `[name]` string list of a describe-* answer: `pick(&v, "Vpcs", "VpcId")`.
pub fn pick(v: &serde_json::Value, list: &str, field: &str) -> Vec<String> {
    v[list]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x[field].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The value of tag `key` on a described object.
pub fn tag<'a>(obj: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    obj["Tags"].as_array()?.iter().find(|t| t["Key"] == key)?["Value"].as_str()
}

/// The first object of a describe-* answer (`list` names its array), or `None` when the API
/// says the id does not exist or lists nothing. `args` are the aws CLI arguments after `ec2`.
#[track_caller]
pub fn describe(moto: &Moto, args: &[&str], list: &str) -> Option<serde_json::Value> {
    let mut all = vec!["ec2"];
    all.extend_from_slice(args);
    let r = moto.aws_run(&all);
    if r.code != 0 {
        assert!(
            r.stderr.contains("NotFound") || r.stderr.contains("does not exist"),
            "aws {all:?} failed: {}",
            r.stderr
        );
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("aws prints JSON");
    v[list].as_array().and_then(|a| a.first().cloned())
}
