//! Terraform's machine-readable UI (`plan -json`, `apply -json`): one JSON object per line, with
//! `@level`, `@message`, `@module`, `@timestamp` and `type` (`version`, `planned_change`,
//! `change_summary`, `outputs`, `diagnostic`, `apply_start`, `apply_progress`, `apply_complete`,
//! `apply_errored`, and `refresh_start`/`refresh_complete` for the objects an `import` block
//! reads), as Terraform 1.11 writes it. Sensitive values never appear: outputs are
//! listed with their values only when not sensitive, as Terraform does.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{Map, Value as J, json};

use crate::addr::{InstanceAddr, InstanceKey};
use crate::apply::Event;
use crate::diag::{Diagnostic, Severity, SourceMap};
use crate::plan::{Action, Plan};
use crate::state::{OutputState, TERRAFORM_VERSION};

/// Writes log lines to `w`.
pub struct Log<W: Write> {
    w: W,
    /// Ids of existing objects, for `apply_start` lines about them (`Modifying... [id=...]`).
    ids: HashMap<InstanceAddr, String>,
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn resource(addr: &InstanceAddr) -> J {
    let r = &addr.resource;
    let key = match &addr.key {
        InstanceKey::None => J::Null,
        InstanceKey::Int(i) => json!(i),
        InstanceKey::Str(s) => json!(s),
    };
    let module = if r.module.is_root() {
        String::new()
    } else {
        r.module.to_string()
    };
    let local = match r.mode {
        crate::addr::Mode::Managed => format!("{}.{}{}", r.ty, r.name, addr.key),
        crate::addr::Mode::Data => format!("data.{}.{}{}", r.ty, r.name, addr.key),
    };
    json!({
        "addr": addr.to_string(),
        "module": module,
        "resource": local,
        "implied_provider": r.implied_provider(),
        "resource_type": r.ty,
        "resource_name": r.name,
        "resource_key": key,
    })
}

/// The action word of `planned_change` and hooks.
fn action(a: Action) -> &'static str {
    match a {
        Action::NoOp => "noop",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
        Action::Delete => "delete",
    }
}

fn plan_verb(a: Action) -> &'static str {
    match a {
        Action::Create => "Plan to create",
        Action::Read => "Plan to read",
        Action::Update => "Plan to update",
        Action::DeleteThenCreate | Action::CreateThenDelete => "Plan to replace",
        Action::Delete => "Plan to delete",
        Action::NoOp => "No changes",
    }
}

impl<W: Write> Log<W> {
    pub fn new(w: W) -> Log<W> {
        Log {
            w,
            ids: HashMap::new(),
        }
    }

    /// Remembers the `id` of every existing object the plan changes (imported ones included),
    /// so that `apply_start` lines name it as Terraform's do.
    pub fn with_plan(mut self, plan: &Plan) -> Log<W> {
        for c in &plan.changes {
            let before = c.before.as_ref().filter(|b| !b.is_sensitive());
            let id = before
                .and_then(|b| b.get_attr("id"))
                .filter(|v| !v.is_sensitive())
                .and_then(|v| v.as_str())
                .filter(|id| !id.is_empty())
                .or_else(|| plan.refactor.import_id(&c.addr));
            if let Some(id) = id {
                self.ids.insert(c.addr.clone(), id.to_string());
            }
        }
        self
    }

    /// Terraform reads each object an `import` block names while planning, and says so:
    /// `refresh_start` then `refresh_complete`, with the import id.
    fn import_reads(&mut self, plan: &Plan) -> io::Result<()> {
        let mut imported: Vec<&(InstanceAddr, String)> = plan.refactor.imported.iter().collect();
        imported.sort();
        for (addr, id) in imported {
            for (ty, what) in [
                ("refresh_start", "Refreshing state..."),
                ("refresh_complete", "Refresh complete"),
            ] {
                let mut hook = Map::new();
                hook.insert("resource".into(), resource(addr));
                hook.insert("id_key".into(), json!("id"));
                hook.insert("id_value".into(), json!(id));
                let msg = format!("{addr}: {what} [id={id}]");
                self.line("info", &msg, ty, Self::obj(vec![("hook", J::Object(hook))]))?;
            }
        }
        Ok(())
    }

    fn line(
        &mut self,
        level: &str,
        message: &str,
        ty: &str,
        extra: Map<String, J>,
    ) -> io::Result<()> {
        let mut m = Map::new();
        m.insert("@level".into(), json!(level));
        m.insert("@message".into(), json!(message));
        m.insert("@module".into(), json!("terraform.ui"));
        m.insert("@timestamp".into(), json!(now()));
        m.extend(extra);
        m.insert("type".into(), json!(ty));
        writeln!(self.w, "{}", J::Object(m))
    }

    fn obj(pairs: Vec<(&str, J)>) -> Map<String, J> {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// The first line of every run.
    pub fn version(&mut self) -> io::Result<()> {
        let extra = Self::obj(vec![
            ("terraform", json!(TERRAFORM_VERSION)),
            ("ui", json!("1.2")),
        ]);
        self.line(
            "info",
            &format!("cairn {}", env!("CARGO_PKG_VERSION")),
            "version",
            extra,
        )
    }

    /// `planned_change` for every change, `change_summary`, and `outputs` of a plan.
    pub fn plan(&mut self, plan: &Plan, operation: &str) -> io::Result<()> {
        self.import_reads(plan)?;
        let refactor = &plan.refactor;
        let mut changes: Vec<(&crate::plan::ResourceChange, bool)> = plan
            .changes
            .iter()
            .filter(|c| {
                c.action != Action::NoOp
                    || refactor.previous_address(&c.addr).is_some()
                    || refactor.import_id(&c.addr).is_some()
            })
            .map(|c| (c, false))
            .chain(refactor.forgotten.iter().map(|c| (c, true)))
            .collect();
        changes.sort_by(|a, b| a.0.addr.cmp(&b.0.addr));
        for (c, forget) in changes {
            let moved_from = refactor.previous_address(&c.addr);
            let import_id = refactor.import_id(&c.addr);
            // Terraform names a change that only moves or imports by that.
            let (word, verb) = match (forget, c.action, moved_from, import_id) {
                (true, _, _, _) => ("remove", "Plan to remove"),
                (false, Action::NoOp, Some(_), _) => ("move", "Plan to move"),
                (false, Action::NoOp, None, Some(_)) => ("import", "Plan to import"),
                (false, a, _, _) => (action(a), plan_verb(a)),
            };
            let mut change = Map::new();
            change.insert("resource".into(), resource(&c.addr));
            if let Some(from) = moved_from {
                change.insert("previous_resource".into(), resource(from));
            }
            change.insert("action".into(), json!(word));
            if let Some(id) = import_id {
                change.insert("importing".into(), json!({ "id": id }));
            }
            if let Some(r) = c.reason {
                change.insert("reason".into(), json!(r.json_name()));
            }
            let msg = format!("{}: {verb}", c.addr);
            self.line(
                "info",
                &msg,
                "planned_change",
                Self::obj(vec![("change", J::Object(change))]),
            )?;
        }
        let (add, change, remove) = plan.counts();
        let import = refactor.imported.len();
        let msg = if !plan.has_changes() {
            "No changes.".to_string()
        } else if import > 0 {
            format!(
                "Plan: {import} to import, {add} to add, {change} to change, {remove} to destroy."
            )
        } else {
            format!("Plan: {add} to add, {change} to change, {remove} to destroy.")
        };
        self.summary_with_import(&msg, import, add, change, remove, operation)?;
        let outputs: Map<String, J> = plan
            .outputs
            .iter()
            .filter(|o| o.action != Action::NoOp)
            .map(|o| {
                (
                    o.name.clone(),
                    json!({"sensitive": o.sensitive, "action": action(o.action)}),
                )
            })
            .collect();
        if !outputs.is_empty() {
            let msg = format!("Outputs: {}", outputs.len());
            self.line(
                "info",
                &msg,
                "outputs",
                Self::obj(vec![("outputs", J::Object(outputs))]),
            )?;
        }
        Ok(())
    }

    /// A `change_summary` line.
    pub fn summary(
        &mut self,
        msg: &str,
        add: usize,
        change: usize,
        remove: usize,
        operation: &str,
    ) -> io::Result<()> {
        self.summary_with_import(msg, 0, add, change, remove, operation)
    }

    /// A `change_summary` line that counts imports too.
    pub fn summary_with_import(
        &mut self,
        msg: &str,
        import: usize,
        add: usize,
        change: usize,
        remove: usize,
        operation: &str,
    ) -> io::Result<()> {
        let changes = json!({"add": add, "change": change, "import": import, "remove": remove, "operation": operation});
        self.line(
            "info",
            msg,
            "change_summary",
            Self::obj(vec![("changes", changes)]),
        )
    }

    /// The outputs after an apply (values of sensitive outputs left out).
    pub fn outputs(
        &mut self,
        outputs: &std::collections::BTreeMap<String, OutputState>,
    ) -> io::Result<()> {
        let m: Map<String, J> = outputs
            .iter()
            .map(|(k, o)| {
                let v = if o.sensitive {
                    json!({"sensitive": true, "type": o.ty})
                } else {
                    json!({"sensitive": false, "type": o.ty, "value": o.value})
                };
                (k.clone(), v)
            })
            .collect();
        let msg = format!("Outputs: {}", m.len());
        self.line(
            "info",
            &msg,
            "outputs",
            Self::obj(vec![("outputs", J::Object(m))]),
        )
    }

    /// One executor event as a hook line.
    pub fn event(&mut self, ev: &Event) -> io::Result<()> {
        let mut msg = super::progress::message(ev).unwrap_or_default();
        let mut started_id = None;
        if let Event::Started { addr, action: a } = ev
            && !matches!(a, Action::Create | Action::Read)
            && let Some(id) = self.ids.get(addr)
        {
            msg.push_str(&format!(" [id={id}]"));
            started_id = Some(id.clone());
        }
        let hook = |addr: &InstanceAddr, a: Action| {
            let mut m = Map::new();
            m.insert("resource".into(), resource(addr));
            m.insert("action".into(), json!(action(a)));
            m
        };
        let (level, ty, hook) = match ev {
            Event::Started { addr, action: a } => {
                let mut h = hook(addr, *a);
                if let Some(id) = started_id {
                    h.insert("id_key".into(), json!("id"));
                    h.insert("id_value".into(), json!(id));
                }
                ("info", "apply_start", h)
            }
            Event::StillRunning {
                addr,
                action: a,
                elapsed,
            } => {
                let mut h = hook(addr, *a);
                h.insert("elapsed_seconds".into(), json!(elapsed.as_secs()));
                ("info", "apply_progress", h)
            }
            Event::Completed {
                addr,
                action: a,
                elapsed,
                id,
            } => {
                let mut h = hook(addr, *a);
                if let Some(id) = id {
                    h.insert("id_key".into(), json!("id"));
                    h.insert("id_value".into(), json!(id));
                }
                h.insert("elapsed_seconds".into(), json!(elapsed.as_secs()));
                ("info", "apply_complete", h)
            }
            Event::Failed {
                addr, action: a, ..
            } => ("error", "apply_errored", hook(addr, *a)),
            Event::RollbackStarted { count } => {
                let extra = Self::obj(vec![("count", json!(count))]);
                return self.line("info", &msg, "rollback_start", extra);
            }
            Event::RolledBack { addr, action: a } => ("info", "rollback_complete", hook(addr, *a)),
            Event::RollbackFailed { addr, .. } => {
                let mut h = Map::new();
                h.insert("resource".into(), resource(addr));
                ("error", "rollback_errored", h)
            }
        };
        self.line(level, &msg, ty, Self::obj(vec![("hook", J::Object(hook))]))
    }

    /// A diagnostic line, with its range and a snippet of the source.
    pub fn diagnostic(&mut self, d: &Diagnostic, sources: &SourceMap) -> io::Result<()> {
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut diag = Map::new();
        diag.insert("severity".into(), json!(severity));
        diag.insert("summary".into(), json!(d.summary));
        diag.insert("detail".into(), json!(d.detail));
        if let Some(s) = d.span() {
            let (l, c) = sources.line_col(s.file, s.range.start);
            let (el, ec) = sources.line_col(s.file, s.range.end);
            diag.insert(
                "range".into(),
                json!({
                    "filename": sources.name(s.file),
                    "start": {"line": l, "column": c, "byte": s.range.start},
                    "end": {"line": el, "column": ec, "byte": s.range.end},
                }),
            );
            let code = sources
                .text(s.file)
                .lines()
                .nth(l.saturating_sub(1))
                .unwrap_or_default();
            diag.insert(
                "snippet".into(),
                json!({
                    "context": J::Null,
                    "code": code,
                    "start_line": l,
                    "highlight_start_offset": c - 1,
                    "highlight_end_offset": if el == l { ec - 1 } else { code.chars().count() },
                    "values": [],
                }),
            );
        }
        let kind = if d.is_error() { "Error" } else { "Warning" };
        let msg = format!("{kind}: {}", d.summary);
        self.line(
            severity,
            &msg,
            "diagnostic",
            Self::obj(vec![("diagnostic", J::Object(diag))]),
        )
    }

    /// A diagnostic for an error that has no source location (a CLI or provider error).
    pub fn error(&mut self, summary: &str, detail: &str) -> io::Result<()> {
        self.diagnostic(&Diagnostic::error(summary, detail), &SourceMap::new())
    }

    pub fn into_inner(self) -> W {
        self.w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_terraforms_fields() {
        let mut log = Log::new(Vec::new());
        log.version().unwrap();
        let addr =
            crate::addr::ResourceAddr::managed("terraform_data", "b").instance(InstanceKey::Int(0));
        log.event(&Event::Started {
            addr: addr.clone(),
            action: Action::Create,
        })
        .unwrap();
        let text = String::from_utf8(log.into_inner()).unwrap();
        let lines: Vec<J> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["type"], "version");
        assert_eq!(lines[0]["terraform"], TERRAFORM_VERSION);
        assert_eq!(lines[1]["type"], "apply_start");
        assert_eq!(lines[1]["@message"], "terraform_data.b[0]: Creating...");
        assert_eq!(
            lines[1]["hook"]["resource"],
            json!({"addr": "terraform_data.b[0]", "module": "", "resource": "terraform_data.b[0]", "implied_provider": "terraform", "resource_type": "terraform_data", "resource_name": "b", "resource_key": 0})
        );
    }
}
