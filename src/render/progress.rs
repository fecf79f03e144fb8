//! Apply progress: turns the executor's [`Event`]s into Terraform's progress lines
//! (`terraform_data.a: Creating...`, `... Creation complete after 0s [id=...]`), plus lines for
//! failures and rollback. In line mode (not a terminal, CI) it writes one line per event (the
//! caller decides when its writer is flushed: [`Progress::flush`]); in
//! terminal mode an indicatif spinner with done/total counts runs beneath the same lines and is
//! cleared at the end.
//!
//! It only formats what the events say; ids come from the events or, for operations that start
//! on an existing object, from the plan's prior values. Sensitive ids are never shown.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Style;
use crate::addr::InstanceAddr;
use crate::apply::Event;
use crate::plan::{Action, Plan};

/// Longest id shown in full; longer ones are shortened in the middle, as Terraform does.
const MAX_ID_LEN: usize = 80;

/// Consumes executor events and writes progress.
pub struct Progress<W: Write> {
    out: W,
    style: Style,
    bar: Option<ProgressBar>,
    /// Ids of existing objects, for the "Modifying... [id=...]" lines.
    ids: HashMap<InstanceAddr, String>,
}

impl<W: Write> Progress<W> {
    /// One line per event: for pipes, files and CI logs.
    pub fn lines(out: W, color: bool) -> Progress<W> {
        Progress {
            out,
            style: Style::new(color),
            bar: None,
            ids: HashMap::new(),
        }
    }

    /// On a terminal: the same lines, with a spinner and `[done/total]` counts on stderr beneath
    /// them while operations run.
    pub fn terminal(out: W, color: bool, total: usize) -> Progress<W> {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            out,
            style: Style::new(color),
            bar: Some(bar),
            ids: HashMap::new(),
        }
    }

    /// Remembers the `id` of every object the plan changes, so that lines about operations on
    /// existing objects can name it as Terraform does.
    pub fn with_plan(mut self, plan: &Plan) -> Progress<W> {
        for c in &plan.changes {
            // Nothing inside a wholly sensitive object is shown, not even its id.
            let before = c.before.as_ref().filter(|b| !b.is_sensitive());
            let id = before.and_then(|b| b.get_attr("id"));
            if let Some(id) = id.filter(|v| !v.is_sensitive()).and_then(|v| v.as_str())
                && !id.is_empty()
            {
                self.ids.insert(c.addr.clone(), id.to_string());
            }
        }
        self
    }

    /// Terraform's lines for the objects a plan imports (`ADDR: Importing... [id=ID]`, then
    /// `ADDR: Import complete [id=ID]`): the import itself happened while planning, and the
    /// object is recorded as the apply starts.
    pub fn imports(&mut self, plan: &Plan) -> io::Result<()> {
        for (addr, id) in &plan.refactor.imported {
            for what in ["Importing...", "Import complete"] {
                let text = self.style.bold(&format!("{addr}: {what} [id={id}]"));
                match &self.bar {
                    Some(bar) => {
                        let out = &mut self.out;
                        bar.suspend(|| writeln!(out, "{text}"))?;
                    }
                    None => writeln!(self.out, "{text}")?,
                }
            }
        }
        Ok(())
    }

    /// Handles one event.
    pub fn event(&mut self, ev: &Event) -> io::Result<()> {
        if let Event::Completed {
            addr, id: Some(id), ..
        } = ev
        {
            self.ids.insert(addr.clone(), id.clone());
        }
        let line = line(ev, &self.ids);
        let finished = matches!(ev, Event::Completed { .. } | Event::Failed { .. });
        if let Some(bar) = &self.bar {
            if let Event::Started { addr, .. } = ev {
                bar.set_message(addr.to_string());
            }
            if finished {
                bar.inc(1);
            }
        }
        let Some((text, tone)) = line else {
            return Ok(());
        };
        let text = match tone {
            Tone::Normal => self.style.bold(&text),
            Tone::Bad => self.style.bold(&self.style.red(&text)),
            Tone::Warn => self.style.bold(&self.style.yellow(&text)),
        };
        match &self.bar {
            Some(bar) => {
                let out = &mut self.out;
                bar.suspend(|| writeln!(out, "{text}").and_then(|()| out.flush()))
            }
            None => writeln!(self.out, "{text}"),
        }
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Ends the display (clears the spinner) and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tone {
    Normal,
    Bad,
    Warn,
}

/// Go's `time.Duration` string for a whole number of seconds: `0s`, `10s`, `1m30s`, `1h0m5s`.
pub fn duration(d: Duration) -> String {
    let secs = (d.as_millis() + 500) / 1000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// Shortens a long id in the middle (`abc...xyz`), counting characters, as Terraform does.
fn truncate_id(id: &str, max: usize) -> String {
    let chars: Vec<char> = id.chars().collect();
    let total = chars.len();
    if total <= max {
        return id.to_string();
    }
    let max = max.max(5);
    let part = max / 2;
    let left: String = chars[..part - 1].iter().collect();
    let mut right_idx = total - part - 1;
    let overlap = max as isize - (part * 2 + 3) as isize;
    if overlap < 0 {
        right_idx = (right_idx as isize - overlap) as usize;
    }
    let right: String = chars[right_idx..].iter().collect();
    format!("{left}...{right}")
}

fn id_suffix(id: Option<&String>) -> String {
    match id {
        Some(id) if !id.is_empty() => format!(" [id={}]", truncate_id(id, MAX_ID_LEN)),
        _ => String::new(),
    }
}

/// The human text of one event (what the line-mode display prints), for other renderers.
pub(crate) fn message(ev: &Event) -> Option<String> {
    line(ev, &HashMap::new()).map(|(text, _)| text)
}

/// The line for one event, if it has one.
fn line(ev: &Event, ids: &HashMap<InstanceAddr, String>) -> Option<(String, Tone)> {
    let known = |addr: &InstanceAddr| ids.get(addr);
    Some(match ev {
        Event::Started { addr, action } => {
            let (verb, with_id) = match action {
                Action::Create => ("Creating...", false),
                Action::Update => ("Modifying...", true),
                Action::Delete => ("Destroying...", true),
                Action::Read => ("Reading...", false),
                Action::DeleteThenCreate | Action::CreateThenDelete => ("Replacing...", true),
                Action::NoOp => return None,
            };
            let id = if with_id {
                id_suffix(known(addr))
            } else {
                String::new()
            };
            (format!("{addr}: {verb}{id}"), Tone::Normal)
        }
        Event::Completed {
            addr,
            action,
            elapsed,
            id,
        } => {
            let after = duration(*elapsed);
            let id = id_suffix(id.as_ref());
            let text = match action {
                Action::Create => format!("Creation complete after {after}{id}"),
                Action::Update => format!("Modifications complete after {after}{id}"),
                Action::Delete => format!("Destruction complete after {after}"),
                Action::Read => format!("Read complete after {after}{id}"),
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    format!("Replacement complete after {after}{id}")
                }
                Action::NoOp => return None,
            };
            (format!("{addr}: {text}"), Tone::Normal)
        }
        Event::StillRunning {
            addr,
            action,
            elapsed,
        } => {
            let (verb, with_id) = match action {
                Action::Create => ("creating", false),
                Action::Update => ("modifying", true),
                Action::Delete => ("destroying", true),
                Action::Read => ("reading", false),
                Action::DeleteThenCreate | Action::CreateThenDelete => ("replacing", true),
                Action::NoOp => return None,
            };
            let id = match known(addr) {
                Some(id) if with_id && !id.is_empty() => {
                    format!("id={}, ", truncate_id(id, MAX_ID_LEN))
                }
                _ => String::new(),
            };
            (
                format!(
                    "{addr}: Still {verb}... [{id}{} elapsed]",
                    duration(*elapsed)
                ),
                Tone::Normal,
            )
        }
        // The error itself is reported once, with the others, when the run ends.
        Event::Failed {
            addr,
            action,
            message: _,
        } => {
            let what = match action {
                Action::Create => "Creation",
                Action::Update => "Modification",
                Action::Delete => "Destruction",
                Action::Read => "Read",
                Action::DeleteThenCreate | Action::CreateThenDelete => "Replacement",
                Action::NoOp => "Operation",
            };
            (format!("{addr}: {what} failed (error below)"), Tone::Bad)
        }
        Event::RollbackStarted { count } => {
            let noun = if *count == 1 {
                "operation"
            } else {
                "operations"
            };
            (
                format!("Rolling back {count} completed {noun}..."),
                Tone::Warn,
            )
        }
        Event::RolledBack { addr, action } => {
            let how = match action {
                Action::Delete => "destroyed",
                Action::Update => "restored",
                Action::Create => "recreated",
                _ => "undone",
            };
            (format!("{addr}: Rolled back ({how})"), Tone::Warn)
        }
        Event::RollbackFailed { addr, message } => {
            (format!("{addr}: ROLLBACK FAILED: {message}"), Tone::Bad)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::{InstanceKey, ResourceAddr};

    fn addr(name: &str) -> InstanceAddr {
        ResourceAddr::managed("terraform_data", name).instance(InstanceKey::None)
    }

    fn run(events: &[Event], ids: &[(&str, &str)]) -> String {
        let mut p = Progress::lines(Vec::new(), false);
        for (a, id) in ids {
            p.ids.insert(addr(a), id.to_string());
        }
        for e in events {
            p.event(e).unwrap();
        }
        String::from_utf8(p.finish().unwrap()).unwrap()
    }

    #[test]
    fn lines_match_terraform() {
        let a = addr("a");
        let out = run(
            &[
                Event::Started {
                    addr: a.clone(),
                    action: Action::Create,
                },
                Event::StillRunning {
                    addr: a.clone(),
                    action: Action::Create,
                    elapsed: Duration::from_secs(10),
                },
                Event::Completed {
                    addr: a.clone(),
                    action: Action::Create,
                    elapsed: Duration::from_millis(300),
                    id: Some("d840e881".into()),
                },
                Event::Started {
                    addr: addr("b"),
                    action: Action::Update,
                },
                Event::Completed {
                    addr: addr("b"),
                    action: Action::Update,
                    elapsed: Duration::from_secs(1),
                    id: Some("x1".into()),
                },
                Event::Started {
                    addr: addr("c"),
                    action: Action::Delete,
                },
                Event::StillRunning {
                    addr: addr("c"),
                    action: Action::Delete,
                    elapsed: Duration::from_secs(90),
                },
                Event::Completed {
                    addr: addr("c"),
                    action: Action::Delete,
                    elapsed: Duration::ZERO,
                    id: None,
                },
            ],
            &[("b", "x1"), ("c", "y2")],
        );
        assert_eq!(
            out,
            "terraform_data.a: Creating...\n\
             terraform_data.a: Still creating... [10s elapsed]\n\
             terraform_data.a: Creation complete after 0s [id=d840e881]\n\
             terraform_data.b: Modifying... [id=x1]\n\
             terraform_data.b: Modifications complete after 1s [id=x1]\n\
             terraform_data.c: Destroying... [id=y2]\n\
             terraform_data.c: Still destroying... [id=y2, 1m30s elapsed]\n\
             terraform_data.c: Destruction complete after 0s\n"
        );
    }

    #[test]
    fn failures_and_rollback() {
        let out = run(
            &[
                Event::Failed {
                    addr: addr("a"),
                    action: Action::Create,
                    message: "boom".into(),
                },
                Event::RollbackStarted { count: 2 },
                Event::RolledBack {
                    addr: addr("b"),
                    action: Action::Delete,
                },
                Event::RollbackFailed {
                    addr: addr("c"),
                    message: "still there".into(),
                },
                Event::RollbackStarted { count: 1 },
            ],
            &[],
        );
        assert_eq!(
            out,
            "terraform_data.a: Creation failed (error below)\n\
             Rolling back 2 completed operations...\n\
             terraform_data.b: Rolled back (destroyed)\n\
             terraform_data.c: ROLLBACK FAILED: still there\n\
             Rolling back 1 completed operation...\n"
        );
    }

    #[test]
    fn durations_and_ids() {
        assert_eq!(duration(Duration::from_secs(3605)), "1h0m5s");
        assert_eq!(duration(Duration::from_millis(1499)), "1s");
        let long: String = "x".repeat(100);
        let t = truncate_id(&long, MAX_ID_LEN);
        assert_eq!(t.chars().count(), 80);
        assert!(t.contains("..."));
        assert_eq!(truncate_id("short", MAX_ID_LEN), "short");
    }

    #[test]
    fn terminal_mode_ends_with_the_same_lines() {
        let events = [
            Event::Started {
                addr: addr("a"),
                action: Action::Create,
            },
            Event::Completed {
                addr: addr("a"),
                action: Action::Create,
                elapsed: Duration::ZERO,
                id: Some("i-1".into()),
            },
        ];
        let mut t = Progress::terminal(Vec::new(), false, events.len());
        for e in &events {
            t.event(e).unwrap();
        }
        let terminal = String::from_utf8(t.finish().unwrap()).unwrap();
        assert_eq!(terminal, run(&events, &[]));
    }

    #[test]
    fn ids_come_from_the_plan_unless_sensitive() {
        use cairn_provider::Value;
        let mut plan = crate::render::shape_tests::empty_plan();
        for (name, id) in [
            ("a", Value::string("old-1")),
            ("b", Value::string("s").mark_sensitive()),
        ] {
            plan.changes.push(crate::plan::ResourceChange {
                addr: addr(name),
                provider: String::new(),
                action: Action::Update,
                before: Some(Value::object([("id", id)])),
                after: None,
                replace_paths: Vec::new(),
                reason: None,
                dependencies: Vec::new(),
                instance_dependencies: Vec::new(),
                create_before_destroy: false,
                schema_version: 0,
            });
        }
        let mut p = Progress::lines(Vec::new(), false).with_plan(&plan);
        p.event(&Event::Started {
            addr: addr("a"),
            action: Action::Update,
        })
        .unwrap();
        p.event(&Event::Started {
            addr: addr("b"),
            action: Action::Delete,
        })
        .unwrap();
        let out = String::from_utf8(p.finish().unwrap()).unwrap();
        assert_eq!(
            out,
            "terraform_data.a: Modifying... [id=old-1]\nterraform_data.b: Destroying...\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let mut p = Progress::lines(Vec::new(), true);
        p.event(&Event::Started {
            addr: addr("a"),
            action: Action::Create,
        })
        .unwrap();
        let out = String::from_utf8(p.finish().unwrap()).unwrap();
        assert_eq!(out, "\x1b[1mterraform_data.a: Creating...\x1b[0m\n");
    }
}
