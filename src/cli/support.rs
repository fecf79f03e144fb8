//! What the commands share: loading and reporting configuration, variables (with prompts),
//! choosing the backend, durations, and holding the state lock.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use cairn_provider::Value;

use super::args::PlanFlags;
use super::{Reported, Ui};
use crate::config::vars::{RawValue, VarArg};
use crate::config::{self, Config};
use crate::diag::{self, Diagnostics, SourceMap};
use crate::state::backend::{Backend, LocalBackend};
use crate::state::{LockInfo, StateError};

static ARGV: OnceLock<Vec<String>> = OnceLock::new();

/// Remembers the normalised command line (for `-var`/`-var-file` order).
pub(crate) fn set_argv(argv: &[String]) {
    let _ = ARGV.set(argv.to_vec());
}

/// `-var` and `-var-file` arguments in command-line order.
pub(crate) fn var_args() -> Vec<VarArg> {
    let argv = ARGV.get().cloned().unwrap_or_default();
    let mut out = Vec::new();
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if let Some(v) = a.strip_prefix("--var=") {
            out.push(VarArg::Var(v.to_string()));
        } else if a == "--var" {
            if let Some(v) = it.next() {
                out.push(VarArg::Var(v.clone()));
            }
        } else if let Some(v) = a.strip_prefix("--var-file=") {
            out.push(VarArg::File(PathBuf::from(v)));
        } else if a == "--var-file"
            && let Some(v) = it.next()
        {
            out.push(VarArg::File(PathBuf::from(v)));
        }
    }
    out
}

pub(crate) fn cwd() -> anyhow::Result<PathBuf> {
    std::env::current_dir().context("cannot read the working directory")
}

static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Switches to Terraform's machine-readable UI (`-json`): diagnostics become JSON lines on
/// standard output.
pub(crate) fn set_json(on: bool) {
    JSON.store(on, std::sync::atomic::Ordering::SeqCst);
}

pub(crate) fn json_mode() -> bool {
    JSON.load(std::sync::atomic::Ordering::SeqCst)
}

/// Prints diagnostics: to standard error, or as JSON lines in `-json` mode.
pub(crate) fn report(diags: &Diagnostics, sources: &SourceMap, ui: Ui) {
    if diags.is_empty() {
        return;
    }
    if json_mode() {
        let mut log = crate::render::jsonlog::Log::new(std::io::stdout().lock());
        for d in diags.iter() {
            let _ = log.diagnostic(d, sources);
        }
        return;
    }
    eprint!("{}", diag::render(diags, sources, ui.color));
}

/// Loads the configuration in the working directory, reporting every problem.
pub(crate) fn load_config(ui: Ui, require_files: bool) -> anyhow::Result<Config> {
    let dir = cwd()?;
    let (config, diags) = config::load_dir(&dir);
    report(&diags, &config.sources, ui);
    if diags.has_errors() {
        return Err(Reported.into());
    }
    if require_files
        && config.root.resources.is_empty()
        && config.root.outputs.is_empty()
        && config.root.variables.is_empty()
        && config.root.locals.is_empty()
        && !has_tf_files(&dir)
    {
        bail!(
            "No configuration files\n\nPlan requires configuration to be present. Planning without a configuration would mark everything for destruction, which is normally not what is desired. If you would like to destroy everything, run plan with the -destroy option. Otherwise, create a cairn configuration file (.tf file) and try again."
        );
    }
    Ok(config)
}

fn has_tf_files(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
        })
        .unwrap_or(false)
}

/// Evaluates the input variables: files, environment, `-var`, and prompts for missing ones
/// when allowed.
pub(crate) fn variables(
    config: &mut Config,
    flags: &PlanFlags,
    ui: Ui,
) -> anyhow::Result<HashMap<String, Value>> {
    let dir = cwd()?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut args = var_args();
    if args.is_empty() {
        // Not started through the command line (tests): fall back to the parsed flags.
        args.extend(flags.var_files.iter().cloned().map(VarArg::File));
        args.extend(flags.vars.iter().cloned().map(VarArg::Var));
    }
    let mut raw = match config::vars::collect(&dir, &args, &env, &mut config.sources) {
        Ok(r) => r,
        Err(ds) => {
            report(&ds, &config.sources, ui);
            return Err(Reported.into());
        }
    };
    if ui.interactive && flags.input {
        for name in crate::plan::vars::missing(config, &raw) {
            let v = &config.root.variables[&name];
            let mut err = std::io::stderr();
            let _ = writeln!(err, "var.{name}");
            if let Some(d) = &v.description {
                let _ = writeln!(err, "  {d}");
            }
            let _ = write!(err, "\n  Enter a value: ");
            let _ = err.flush();
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read input")?;
            let _ = writeln!(err);
            raw.insert(
                name.clone(),
                RawValue::Str {
                    value: line.trim_end_matches(['\n', '\r']).to_string(),
                    origin: "the interactive prompt".to_string(),
                },
            );
        }
    }
    match crate::plan::vars::evaluate(config, &raw) {
        Ok((vars, warnings)) => {
            report(&warnings, &config.sources, ui);
            Ok(vars)
        }
        Err(ds) => {
            report(&ds, &config.sources, ui);
            Err(Reported.into())
        }
    }
}

/// The state file path: `-state`, the `local` backend's `path`, or `terraform.tfstate`.
pub(crate) fn state_path(
    config: Option<&Config>,
    flag: Option<&PathBuf>,
) -> anyhow::Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.clone());
    }
    if let Some(b) = config.and_then(|c| c.root.terraform.backend.as_ref()) {
        if b.kind != "local" {
            bail!(
                "backend \"{}\" is not supported yet: cairn reads and writes state with the local backend. Remove the backend block (or use backend \"local\") to continue.",
                b.kind
            );
        }
        for attr in b.body.body.attributes() {
            if attr.key.as_str() == "path" {
                if let crate::lang::ast::Expression::String(s) = &attr.value {
                    return Ok(PathBuf::from(s.value().as_str()));
                }
                bail!("the local backend's path must be a literal string");
            }
        }
    }
    Ok(PathBuf::from("terraform.tfstate"))
}

/// The journal of in-flight operations kept beside a state file.
pub(crate) fn journal_path(state: &Path) -> PathBuf {
    let mut s = state.as_os_str().to_owned();
    s.push(".journal");
    PathBuf::from(s)
}

pub(crate) fn backend(path: &Path) -> LocalBackend {
    LocalBackend::new(path.to_path_buf())
}

/// Parses a duration as Terraform writes them (`0s`, `30s`, `1m30s`, `500ms`, `2h`).
pub(crate) fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        bail!("invalid duration {s:?}: expected a number with a unit, like 30s or 2m");
    }
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| anyhow!("invalid duration {s:?}: missing unit (use s, m or h)"))?;
        let n: f64 = rest[..n_end].parse().map_err(|_| {
            anyhow!("invalid duration {s:?}: expected a number with a unit, like 30s")
        })?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            u => bail!("invalid duration {s:?}: unknown unit {u:?} (use ms, s, m or h)"),
        };
        total += n * unit;
        rest = &rest[u_end..];
    }
    Ok(Duration::from_secs_f64(total))
}

/// Holds the state lock until released (released on drop too, best effort).
pub(crate) struct LockGuard<'a> {
    backend: &'a LocalBackend,
    id: Option<String>,
}

impl<'a> LockGuard<'a> {
    pub(crate) async fn acquire(
        backend: &'a LocalBackend,
        enabled: bool,
        operation: &str,
        timeout: &str,
    ) -> anyhow::Result<LockGuard<'a>> {
        if !enabled {
            return Ok(LockGuard { backend, id: None });
        }
        let timeout = parse_duration(timeout)?;
        let info = LockInfo::new(operation);
        match backend.lock(&info, timeout).await {
            Ok(()) => Ok(LockGuard {
                backend,
                id: Some(info.id.clone()),
            }),
            Err(e @ StateError::Locked(_)) => {
                eprintln!("\nError: Error acquiring the state lock\n\n{e}\n");
                Err(Reported.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn release(mut self) -> anyhow::Result<()> {
        if let Some(id) = self.id.take() {
            self.backend.unlock(&id).await?;
        }
        Ok(())
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let b = self.backend.clone();
            // Best effort on error paths: unlocking a local file is synchronous underneath.
            let _ = futures_lite_block_on(async move { b.unlock(&id).await });
        }
    }
}

/// Runs a short future to completion from a synchronous context inside the runtime.
fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("5y").is_err());
    }
}
