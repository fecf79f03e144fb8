//! `cairn fmt`: Terraform's `fmt` command over the formatter in [`crate::fmt`] — which files
//! it visits (`.tf`, `.tfvars`, `.tftest.hcl`, `.tfmock.hcl`; hidden and backup files skipped;
//! subdirectories only with `-recursive`), what it prints (changed file names, `-diff`, the
//! result for standard input) and its exit codes (0, 3 when `-check` finds a file to change,
//! 2 on a syntax error or a bad target). Owns no formatting rule.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::Ui;
use super::args::FmtArgs;
use crate::fmt::SyntaxError;

const EXTENSIONS: [&str; 4] = [".tf", ".tfvars", ".tftest.hcl", ".tfmock.hcl"];

struct Run {
    list: bool,
    write: bool,
    diff: bool,
    /// Something would change.
    changed: bool,
    /// Errors were reported.
    failed: bool,
    out: Vec<u8>,
}

/// Runs the command; returns the exit code.
pub(crate) fn fmt(args: FmtArgs, _ui: Ui) -> anyhow::Result<i32> {
    let stdin = args.targets.first().is_some_and(|t| t.as_os_str() == "-");
    let mut run = Run {
        list: args.list && !stdin,
        write: args.write && !stdin,
        diff: args.diff,
        changed: false,
        failed: false,
        out: Vec::new(),
    };
    // what `-check` may print: the list as `-list` (never for standard input) asks
    let show_list = run.list;
    if args.check {
        run.list = true;
        run.write = false;
    }
    if stdin {
        let mut src = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut src) {
            report_plain(&format!("Failed to read <stdin>: {e}"));
            return Ok(2);
        }
        run.file("<stdin>", &src, None);
    } else {
        let targets = if args.targets.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.targets.clone()
        };
        for target in &targets {
            let shown = display(target);
            match std::fs::metadata(target) {
                Err(_) => {
                    report_plain(&format!("No file or directory at {shown}"));
                    run.failed = true;
                    break;
                }
                Ok(m) if m.is_dir() => run.dir(target, args.recursive),
                Ok(_) => {
                    if EXTENSIONS.iter().any(|e| shown.ends_with(e)) {
                        run.path(target);
                    } else {
                        report_plain(
                            "Only .tf, .tfvars, and .tftest.hcl files can be processed with terraform fmt",
                        );
                        run.failed = true;
                    }
                }
            }
        }
    }
    // `-check` prints the list only when `-list` was left on.
    if !args.check || show_list {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(&run.out);
        let _ = stdout.flush();
    }
    if run.failed {
        return Ok(2);
    }
    if args.check && run.changed {
        return Ok(3);
    }
    Ok(0)
}

/// A path as Terraform shows it: joined components, without a leading `./`.
fn display(p: &Path) -> String {
    let s = p.to_string_lossy().to_string();
    let s = s.strip_prefix("./").map(str::to_string).unwrap_or(s);
    if s.is_empty() { ".".to_string() } else { s }
}

/// Terraform's ignored files: hidden, editor backups (`~`) and Emacs autosaves (`#...#`).
fn ignored(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'))
}

impl Run {
    /// Writes through Terraform's UI writer: every write ends in exactly one newline.
    fn emit(&mut self, bytes: &[u8]) {
        let b = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        self.out.extend_from_slice(b);
        self.out.push(b'\n');
    }

    fn dir(&mut self, dir: &Path, recursive: bool) {
        let mut entries: Vec<(String, PathBuf, bool)> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .flatten()
                .map(|e| {
                    let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
                    (
                        e.file_name().to_string_lossy().to_string(),
                        e.path(),
                        is_dir,
                    )
                })
                .collect(),
            Err(_) => {
                report_plain(&format!("Cannot read directory {}", display(dir)));
                self.failed = true;
                return;
            }
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, path, is_dir) in entries {
            if ignored(&name) {
                continue;
            }
            let path = if dir.as_os_str() == "." {
                PathBuf::from(&name)
            } else {
                path
            };
            if is_dir {
                if recursive {
                    self.dir(&path, recursive);
                }
                continue;
            }
            if EXTENSIONS.iter().any(|e| name.ends_with(e)) {
                self.path(&path);
            }
        }
    }

    fn path(&mut self, path: &Path) {
        let shown = display(path);
        match std::fs::read(path) {
            Ok(src) => self.file(&shown, &src, Some(path)),
            Err(_) => {
                report_plain(&format!("Failed to read file {shown}"));
                self.failed = true;
            }
        }
    }

    fn file(&mut self, shown: &str, src: &[u8], path: Option<&Path>) {
        let result = match crate::fmt::format(src) {
            Ok(r) => r,
            Err(e) => {
                report_syntax(shown, src, &e);
                self.failed = true;
                return;
            }
        };
        if result != src {
            self.changed = true;
            if self.list {
                self.emit(format!("{shown}\n").as_bytes());
            }
            if self.write
                && let Some(p) = path
                && std::fs::write(p, &result).is_err()
            {
                report_plain(&format!("Failed to write {shown}"));
                self.failed = true;
                return;
            }
            if self.diff {
                let old = String::from_utf8_lossy(src);
                let new = String::from_utf8_lossy(&result);
                let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
                    .unified_diff()
                    .header(&format!("old/{shown}"), &format!("new/{shown}"))
                    .to_string();
                self.emit(diff.as_bytes());
            }
        }
        if !self.list && !self.write && !self.diff {
            self.emit(&result);
        }
    }
}

fn report_plain(msg: &str) {
    eprintln!("\nError: {msg}\n");
}

/// A syntax error in Terraform's layout, with the position as `file:line:col`.
fn report_syntax(file: &str, src: &[u8], e: &SyntaxError) {
    let text = String::from_utf8_lossy(src);
    let line = text.lines().nth(e.line.saturating_sub(1)).unwrap_or("");
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "\nError: {}\n\n  on {file}:{}:{}:\n  {:>3}: {line}\n\n{}\n",
        e.summary, e.line, e.column, e.line, e.detail
    );
}
