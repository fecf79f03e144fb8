//! The plan as a Markdown summary sized for a pull-request comment or a CI step summary:
//! counts per action, destructive changes first and flagged, each resource with its action and
//! the attributes that change, output changes, drift, and the full plan collapsed in a
//! `<details>` block. Long plans are cut to stay within a comment's size, with a note saying so.
//! Sensitive values are never shown (only the names of attributes that change).

use std::fmt::Write as _;
use std::io::{self, Write};

use cairn_provider::Value;

use super::human;
use crate::plan::{Action, Plan, Reason, ResourceChange};

/// Limits that keep a summary within what a pull-request comment can hold.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Rows per table before the rest is counted in a note.
    pub rows: usize,
    /// Characters of the full plan in the collapsed details.
    pub details: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        // GitHub comments hold 65,536 characters.
        Limits {
            rows: 50,
            details: 40_000,
        }
    }
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::NoOp => "no change",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update in place",
        Action::DeleteThenCreate => "replace (destroy, then create)",
        Action::CreateThenDelete => "replace (create, then destroy)",
        Action::Delete => "destroy",
    }
}

fn reason_words(c: &ResourceChange) -> String {
    match c.reason {
        Some(Reason::Tainted) => "tainted".into(),
        Some(Reason::ByRequest) => "requested with -replace".into(),
        Some(Reason::ByTriggers) => "replace_triggered_by".into(),
        Some(Reason::NoResourceConfig) => "removed from the configuration".into(),
        Some(Reason::CountIndex) => "count index out of range".into(),
        Some(Reason::EachKey) => "for_each key removed".into(),
        Some(Reason::CannotUpdate) if !c.replace_paths.is_empty() => {
            let names: Vec<String> = c
                .replace_paths
                .iter()
                .map(|p| format!("`{}`", path_name(p)))
                .collect();
            format!("{} forces replacement", names.join(", "))
        }
        Some(Reason::ConfigUnknown) => "configuration known only after apply".into(),
        Some(Reason::DependencyPending) => "depends on pending changes".into(),
        _ => String::new(),
    }
}

fn path_name(p: &[cairn_provider::PathStep]) -> String {
    use cairn_provider::PathStep;
    let mut out = String::new();
    for (i, s) in p.iter().enumerate() {
        match s {
            PathStep::Attr(a) if i == 0 => out.push_str(a),
            PathStep::Attr(a) => {
                let _ = write!(out, ".{a}");
            }
            PathStep::Key(k) => {
                let _ = write!(out, "[\"{k}\"]");
            }
            PathStep::Index(n) => {
                let _ = write!(out, "[{n}]");
            }
        }
    }
    out
}

/// The top-level attributes whose values change (unknown after counts as a change).
fn changed_attributes(c: &ResourceChange) -> Vec<String> {
    let empty = Default::default();
    let before = c.before.as_ref().and_then(Value::as_map).unwrap_or(&empty);
    let after = c.after.as_ref().and_then(Value::as_map).unwrap_or(&empty);
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| {
            let (b, a) = (before.get(*k), after.get(*k));
            let plain = |v: Option<&Value>| v.map(|v| v.clone().unmark_deep().0);
            match (plain(b), plain(a)) {
                (Some(b), Some(a)) => b != a || !a.is_wholly_known(),
                (None, Some(a)) | (Some(a), None) => !a.is_null(),
                (None, None) => false,
            }
        })
        .map(|k| {
            let sensitive = before.get(k).is_some_and(Value::contains_sensitive)
                || after.get(k).is_some_and(Value::contains_sensitive);
            if sensitive {
                format!("`{k}` (sensitive)")
            } else {
                format!("`{k}`")
            }
        })
        .collect()
}

fn table(out: &mut String, header: &str, rows: &[String], limits: Limits) {
    let _ = writeln!(out, "{header}");
    for r in rows.iter().take(limits.rows) {
        let _ = writeln!(out, "{r}");
    }
    if rows.len() > limits.rows {
        let _ = writeln!(
            out,
            "\n_…and {} more not listed here; see the full plan._",
            rows.len() - limits.rows
        );
    }
    out.push('\n');
}

/// Writes the Markdown summary of `plan`.
pub fn plan(
    w: &mut impl Write,
    plan: &Plan,
    opts: &human::Options,
    limits: Limits,
) -> io::Result<()> {
    let mut out = String::new();
    let (add, change, destroy) = plan.counts();
    let _ = writeln!(out, "## cairn plan\n");
    if !plan.has_changes() && plan.drift.is_empty() {
        let _ = writeln!(
            out,
            "**No changes.** The infrastructure matches the configuration."
        );
        return w.write_all(out.as_bytes());
    }
    let imports = match plan.refactor.imported.len() {
        0 => String::new(),
        n => format!("{n} to import, "),
    };
    let _ = writeln!(
        out,
        "**Plan: {imports}{add} to add, {change} to change, {destroy} to destroy.**\n"
    );

    let count = |f: &dyn Fn(Action) -> bool| plan.changes.iter().filter(|c| f(c.action)).count();
    let counts = [
        ("destroy", count(&|a| a == Action::Delete)),
        ("replace", count(&|a: Action| a.is_replace())),
        ("update in place", count(&|a| a == Action::Update)),
        ("create", count(&|a| a == Action::Create)),
        ("read during apply", count(&|a| a == Action::Read)),
    ];
    let rows: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("| {name} | {n} |"))
        .collect();
    table(
        &mut out,
        "| action | resources |\n|---|---:|",
        &rows,
        limits,
    );

    let destructive: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete || c.action.is_replace())
        .collect();
    if !destructive.is_empty() {
        let _ = writeln!(out, "### ⚠️ Destructive changes ({})\n", destructive.len());
        let rows: Vec<String> = destructive
            .iter()
            .map(|c| {
                format!(
                    "| `{}` | **{}** | {} |",
                    c.addr,
                    action_word(c.action),
                    reason_words(c)
                )
            })
            .collect();
        table(
            &mut out,
            "| resource | action | why |\n|---|---|---|",
            &rows,
            limits,
        );
    }
    let other: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Read))
        .collect();
    if !other.is_empty() {
        let _ = writeln!(out, "### Other changes ({})\n", other.len());
        let rows: Vec<String> = other
            .iter()
            .map(|c| {
                let attrs = if c.action == Action::Update {
                    changed_attributes(c).join(", ")
                } else {
                    String::new()
                };
                format!("| `{}` | {} | {} |", c.addr, action_word(c.action), attrs)
            })
            .collect();
        table(
            &mut out,
            "| resource | action | changing attributes |\n|---|---|---|",
            &rows,
            limits,
        );
    }
    let refactor = &plan.refactor;
    let mut state_only: Vec<String> = refactor
        .moved
        .iter()
        .map(|m| format!("| `{}` | moved from `{}` |", m.to, m.from))
        .collect();
    state_only.extend(
        refactor
            .imported
            .iter()
            .map(|(a, id)| format!("| `{a}` | imported (id `{id}`) |")),
    );
    state_only.extend(refactor.forgotten.iter().map(|c| {
        format!(
            "| `{}` | forgotten: no longer managed, not destroyed |",
            c.addr
        )
    }));
    if !state_only.is_empty() {
        let _ = writeln!(
            out,
            "### Moved, imported and forgotten ({})\n",
            state_only.len()
        );
        table(
            &mut out,
            "| resource | what happens |\n|---|---|",
            &state_only,
            limits,
        );
    }
    let outputs: Vec<String> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .map(|o| {
            let note = if o.sensitive { " (sensitive)" } else { "" };
            format!("| `{}`{note} | {} |", o.name, action_word(o.action))
        })
        .collect();
    if !outputs.is_empty() {
        let _ = writeln!(out, "### Outputs\n");
        table(&mut out, "| output | change |\n|---|---|", &outputs, limits);
    }
    if !plan.drift.is_empty() {
        let _ = writeln!(
            out,
            "### Drift: changed outside cairn ({})\n",
            plan.drift.len()
        );
        let rows: Vec<String> = plan
            .drift
            .iter()
            .map(|c| {
                let what = if c.action == Action::Delete {
                    "deleted".to_string()
                } else {
                    changed_attributes(c).join(", ")
                };
                format!("| `{}` | {what} |", c.addr)
            })
            .collect();
        table(
            &mut out,
            "| resource | what changed |\n|---|---|",
            &rows,
            limits,
        );
    }

    let mut full = Vec::new();
    human::plan(
        &mut full,
        plan,
        &human::Options {
            color: false,
            ..*opts
        },
    )?;
    let mut full = String::from_utf8_lossy(&full).into_owned();
    let mut cut = false;
    if full.len() > limits.details {
        let mut end = limits.details;
        while !full.is_char_boundary(end) {
            end -= 1;
        }
        full.truncate(full[..end].rfind('\n').unwrap_or(end));
        cut = true;
    }
    // A fence longer than any run of backticks in the plan (a file's content may hold some).
    let longest = full.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(
        out,
        "<details><summary>Full plan</summary>\n\n{fence}\n{}\n{fence}\n",
        full.trim_matches('\n')
    );
    if cut {
        let _ = writeln!(
            out,
            "_The plan is too long for this summary and was cut; run `cairn show PLANFILE` for all of it._\n"
        );
    }
    let _ = writeln!(out, "</details>");
    w.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(case: &str) -> Plan {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/render")
            .join(case)
            .join("plan.json");
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        crate::render::tests::plan_from_terraform_json(&j, crate::plan::Mode::Normal)
    }

    fn render(plan: &Plan, limits: Limits) -> String {
        let mut out = Vec::new();
        super::plan(&mut out, plan, &human::Options::default(), limits).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn small_plan() {
        insta::assert_snapshot!(render(&recorded("create_all"), Limits::default()));
    }

    #[test]
    fn destructive_plan_flags_destruction_first() {
        let out = render(&recorded("mixed_changes"), Limits::default());
        let destructive = out.find("Destructive changes").unwrap();
        let other = out.find("Other changes").unwrap_or(usize::MAX);
        assert!(destructive < other);
        insta::assert_snapshot!(out);
    }

    #[test]
    fn large_plan_is_cut_with_a_note() {
        let out = render(
            &recorded("many_instances"),
            Limits {
                rows: 5,
                details: 2_000,
            },
        );
        assert!(out.contains("more not listed here"));
        assert!(out.contains("was cut"));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn sensitive_values_never_appear() {
        let out = render(&recorded("sensitivity"), Limits::default());
        for secret in ["plain", "s2"] {
            assert!(
                !out.contains(&format!("\"{secret}\"")),
                "{secret} leaked:\n{out}"
            );
        }
        insta::assert_snapshot!(out);
    }
}
