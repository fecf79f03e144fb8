//! The human-readable plan, in Terraform 1.11's exact layout (with "cairn" where Terraform names
//! itself in prose), and the short texts around an apply: the summary line and the outputs list.
//!
//! It draws only from the [`Plan`] it is given and the [`Options`] the caller chose; it decides
//! nothing and never prints a sensitive value.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use cairn_provider::{ProviderSchema, Schema, Type, Value};

use super::diff::{
    Act, BOLD, Builder, CYAN, GREEN, Opts, RED, RESET, Ty, YELLOW, paint, push_symbol,
};
use super::value::{attribute_name, format_value};
use super::{Style, word_wrap};
use crate::addr::{InstanceAddr, InstanceKey, Mode as AddrMode};
use crate::plan::{Action, Mode, OutputChange, Plan, Reason, ResourceChange};
use crate::state::{InstanceState, State};

/// Resource schemas, used to render each attribute as Terraform does for its declared type
/// (attributes declared `any` are compared like JSON, for example). Without a schema the type
/// of each attribute is read off its value.
#[derive(Clone, Debug, Default)]
pub struct Schemas {
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
}

impl Schemas {
    /// Collects the resource and data source schemas of providers.
    pub fn from_providers<'p>(providers: impl IntoIterator<Item = &'p ProviderSchema>) -> Schemas {
        let mut out = Schemas::default();
        for p in providers {
            for (ty, r) in &p.resources {
                out.resources.insert(ty.clone(), r.schema.clone());
            }
            for (ty, d) in &p.data_sources {
                out.data_sources.insert(ty.clone(), d.clone());
            }
        }
        out
    }
}

/// How to render. The caller decides all of it.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// ANSI colour (only on a terminal, and only when `NO_COLOR` is unset).
    pub color: bool,
    /// Columns to wrap prose at: the terminal's width, or 78 (Terraform's default) otherwise.
    pub width: usize,
    pub schemas: Option<&'a Schemas>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            color: false,
            width: 78,
            schemas: None,
        }
    }
}

impl Options<'_> {
    fn style(&self) -> Style {
        Style::new(self.color)
    }
    fn schema(&self, change: &ResourceChange) -> Option<&Schema> {
        let s = self.schemas?;
        let ty = &change.addr.resource.ty;
        match change.addr.resource.mode {
            AddrMode::Managed => s.resources.get(ty.as_str()),
            AddrMode::Data => s.data_sources.get(ty.as_str()),
        }
    }
}

/// Whether a change is being planned or was detected by refresh.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cause {
    Proposed,
    Drift,
}

/// Resource changes rendered together at most, on every core when there are half as many.
const PARALLEL_BATCH: usize = 512;

/// Writes the plan as `cairn plan` shows it: drift, the legend, every resource change, the
/// summary line and the output changes — or the "No changes." message.
pub fn plan(w: &mut impl Write, plan: &Plan, opts: &Options) -> io::Result<()> {
    let st = opts.style();
    let extra = |c: &ResourceChange| Extra {
        moved_from: plan.refactor.previous_address(&c.addr),
        import_id: plan.refactor.import_id(&c.addr),
        forget: false,
    };
    let shown = |c: &ResourceChange| {
        let e = extra(c);
        c.action != Action::NoOp || e.moved_from.is_some() || e.import_id.is_some()
    };
    let mut changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| shown(c))
        // Deleting a data source is not worth a word.
        .filter(|c| !(c.action == Action::Delete && c.addr.resource.mode == AddrMode::Data))
        .collect();
    changes.sort_by(|a, b| order(a).cmp(&order(b)));
    // Every entry listed, forgotten objects among them, in Terraform's order.
    let mut listed: Vec<(&ResourceChange, Extra)> =
        changes.iter().map(|c| (*c, extra(c))).collect();
    listed.extend(plan.refactor.forgotten.iter().map(|c| {
        (
            c,
            Extra {
                forget: true,
                ..Extra::default()
            },
        )
    }));
    listed.sort_by(|a, b| order(a.0).cmp(&order(b.0)));
    let acting =
        changes.iter().any(|c| c.action != Action::NoOp) || !plan.refactor.forgotten.is_empty();
    changes.retain(|c| c.action != Action::NoOp);

    let output_lines = output_changes(&plan.outputs, &st);
    let empty = listed.is_empty() && output_lines.is_empty();

    let have_drift = drift(w, plan, empty, opts)?;

    if empty {
        return no_changes(w, plan.mode, have_drift, opts);
    }
    if have_drift {
        horizontal_rule(w, opts)?;
        writeln!(w)?;
    }

    if !listed.is_empty() {
        if acting {
            writeln!(
                w,
                "{}",
                word_wrap(
                    "\ncairn used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:",
                    opts.width
                )
            )?;
        }
        let has = |a: Action| changes.iter().any(|c| c.action == a);
        let legend = [
            (Action::Create, format!("  {} create", st.green("+"))),
            (
                Action::Update,
                format!("  {} update in-place", st.yellow("~")),
            ),
            (Action::Delete, format!("  {} destroy", st.red("-"))),
            (
                Action::DeleteThenCreate,
                format!(
                    "{}/{} destroy and then create replacement",
                    st.red("-"),
                    st.green("+")
                ),
            ),
            (
                Action::CreateThenDelete,
                format!(
                    "{}/{} create replacement and then destroy",
                    st.green("+"),
                    st.red("-")
                ),
            ),
            (
                Action::Read,
                format!(" {} read (data resources)", st.cyan("<=")),
            ),
        ];
        for (action, line) in legend {
            if has(action) {
                writeln!(w, "{line}")?;
            }
        }

        write!(w, "\ncairn will perform the following actions:\n")?;
        // Rendering is most of the time of a large plan: batches are rendered on every core and
        // written in order, so no more than a batch of text is held at once. The batches are of
        // equal size: a remainder would be rendered on one core (464 of 2,000 changes).
        let batches = listed.len().div_ceil(PARALLEL_BATCH);
        let size = listed.len().div_ceil(batches.max(1)).max(1);
        for batch in listed.chunks(size) {
            let texts: Vec<String> = if batch.len() < PARALLEL_BATCH / 2 {
                batch
                    .iter()
                    .map(|(c, e)| resource_change(c, Cause::Proposed, e, opts))
                    .collect()
            } else {
                crate::par::map(batch, |(c, e)| resource_change(c, Cause::Proposed, e, opts))
            };
            // One write per batch: a line-buffered writer would otherwise write every line.
            let mut buf = String::with_capacity(texts.iter().map(|t| t.len() + 2).sum());
            for text in &texts {
                buf.push('\n');
                buf.push_str(text);
                buf.push('\n');
            }
            w.write_all(buf.as_bytes())?;
        }
        let (add, change, destroy) = counts(&changes);
        let imports = plan.refactor.imported.len();
        let imports = if imports > 0 {
            format!(" {imports} to import,")
        } else {
            String::new()
        };
        write!(
            w,
            "\n{}{imports} {add} to add, {change} to change, {destroy} to destroy.\n",
            st.bold("Plan:")
        )?;
    }

    if !output_lines.is_empty() {
        write!(w, "\nChanges to Outputs:\n{}\n", output_lines.join("\n"))?;
        if listed.is_empty() {
            writeln!(
                w,
                "{}",
                word_wrap(
                    "\nYou can apply this plan to save these new output values to the cairn state, without changing any real infrastructure.",
                    opts.width
                )
            )?;
        }
    }
    Ok(())
}

/// Terraform's order of resource instances: shallower modules first, then by module, data
/// sources before managed resources, then type, name, and key (numbers numerically).
fn order(c: &ResourceChange) -> impl Ord + '_ {
    instance_order(&c.addr)
}

fn counts(changes: &[&ResourceChange]) -> (usize, usize, usize) {
    let (mut add, mut change, mut destroy) = (0, 0, 0);
    for c in changes {
        match c.action {
            Action::Create => add += 1,
            Action::Update => change += 1,
            Action::Delete => destroy += 1,
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                add += 1;
                destroy += 1;
            }
            Action::NoOp | Action::Read => {}
        }
    }
    (add, change, destroy)
}

fn no_changes(w: &mut impl Write, mode: Mode, have_drift: bool, opts: &Options) -> io::Result<()> {
    let st = opts.style();
    let headline = |rest: &str| {
        format!(
            "\n{}{}\n\n",
            st.bold(&st.green("No changes.")),
            st.bold(rest)
        )
    };
    match mode {
        Mode::RefreshOnly => {
            if have_drift {
                return Ok(());
            }
            write!(
                w,
                "{}",
                headline(" Your infrastructure still matches the configuration.")
            )?;
            writeln!(
                w,
                "{}",
                word_wrap(
                    "cairn has checked that the real remote objects still match the result of your most recent changes, and found no differences.",
                    opts.width
                )
            )
        }
        Mode::Destroy => {
            if have_drift {
                horizontal_rule(w, opts)?;
                writeln!(w)?;
            }
            write!(w, "{}", headline(" No objects need to be destroyed."))?;
            writeln!(
                w,
                "{}",
                word_wrap(
                    "Either you have not created any objects yet or the existing objects were already deleted outside of cairn.",
                    opts.width
                )
            )
        }
        Mode::Normal => {
            if have_drift {
                horizontal_rule(w, opts)?;
                writeln!(w)?;
            }
            write!(
                w,
                "{}",
                headline(" Your infrastructure matches the configuration.")
            )?;
            let text = if have_drift {
                "Your configuration already matches the changes detected above, so applying this plan will only update the state to include the changes detected above and won't change any real infrastructure."
            } else {
                "cairn has compared your real infrastructure against your configuration and found no differences, so no changes are needed."
            };
            writeln!(w, "{}", word_wrap(text, opts.width))
        }
    }
}

/// The "Objects have changed outside of cairn" section; returns whether it was written.
fn drift(w: &mut impl Write, plan: &Plan, empty: bool, opts: &Options) -> io::Result<bool> {
    let st = opts.style();
    let mut drifted: Vec<&ResourceChange> = plan
        .drift
        .iter()
        .filter(|d| plan.mode == Mode::RefreshOnly || d.action != Action::NoOp)
        .collect();
    if drifted.is_empty() || (empty && plan.mode != Mode::RefreshOnly) {
        return Ok(false);
    }
    drifted.sort_by(|a, b| order(a).cmp(&order(b)));
    write!(
        w,
        "\n{}{}\n",
        st.bold(&st.cyan("Note:")),
        st.bold(" Objects have changed outside of cairn")
    )?;
    writeln!(w)?;
    write!(
        w,
        "{}",
        word_wrap(
            "cairn detected the following changes made outside of cairn since the last \"cairn apply\" which may have affected this plan:\n",
            opts.width
        )
    )?;
    for d in drifted {
        if d.action == Action::NoOp {
            continue;
        }
        writeln!(w)?;
        writeln!(
            w,
            "{}",
            resource_change(d, Cause::Drift, &Extra::default(), opts)
        )?;
    }
    let closing = if plan.mode == Mode::RefreshOnly {
        "\n\nThis is a refresh-only plan, so cairn will not take any actions to undo these. If you were expecting these changes then you can apply this plan to record the updated values in the cairn state without changing any remote objects."
    } else {
        "\n\nUnless you have made equivalent changes to your configuration, or ignored the relevant attributes using ignore_changes, the following plan may include actions to undo or respond to these changes."
    };
    writeln!(w, "{}", word_wrap(closing, opts.width))?;
    Ok(true)
}

/// Writes the top-level symbol of a resource change (three columns).
fn push_action_symbol(out: &mut String, action: Action, st: &Style) {
    match action {
        Action::NoOp => out.push_str("   "),
        Action::Create => {
            out.push_str("  ");
            paint(out, st, GREEN, "+");
        }
        Action::Read => {
            out.push(' ');
            paint(out, st, CYAN, "<=");
        }
        Action::Update => {
            out.push_str("  ");
            paint(out, st, YELLOW, "~");
        }
        Action::DeleteThenCreate => {
            paint(out, st, RED, "-");
            out.push('/');
            paint(out, st, GREEN, "+");
        }
        Action::CreateThenDelete => {
            paint(out, st, GREEN, "+");
            out.push('/');
            paint(out, st, RED, "-");
        }
        Action::Delete => {
            out.push_str("  ");
            paint(out, st, RED, "-");
        }
    }
}

/// What the plan says about a change beyond its action: where it moved from, its import id,
/// whether a `removed` block forgets it.
#[derive(Clone, Copy, Default)]
struct Extra<'p> {
    moved_from: Option<&'p InstanceAddr>,
    import_id: Option<&'p str>,
    forget: bool,
}

/// `  # ADDR` in bold, with room for the rest of its line.
fn bold_comment(c: &ResourceChange, st: &Style) -> String {
    let mut out = String::with_capacity(128);
    if st.color {
        out.push_str(BOLD);
    }
    // Writing to a String cannot fail.
    let _ = write!(out, "  # {}", c.addr);
    if st.color {
        out.push_str(RESET);
    }
    out
}

/// The comment lines above a resource change (`# ADDR will be created`, reasons).
fn comment(c: &ResourceChange, cause: Cause, extra: &Extra, st: &Style) -> String {
    if extra.forget {
        return format!(
            "{} will no longer be managed by cairn, but will not be destroyed\n{}\n",
            st.bold(&format!(" # {}", c.addr)),
            st.bold(" # (destroy = false is set in the configuration)")
        );
    }
    let addr = bold_comment(c, st);
    if c.action == Action::NoOp {
        let mut out = match (extra.moved_from, extra.import_id) {
            (Some(from), _) => format!(
                "{} has moved to {}",
                st.bold(&format!("  # {from}")),
                c.addr
            ),
            (None, Some(_)) => format!("{addr} will be imported"),
            (None, None) => format!("{addr} has no changes"),
        };
        out.push('\n');
        return out;
    }
    let mut out = match c.action {
        Action::Create => addr + " will be created",
        Action::Read => {
            let mut s = format!("{addr} will be read during apply");
            match c.reason {
                Some(Reason::ConfigUnknown) => {
                    s.push_str("\n  # (config refers to values not yet known)")
                }
                Some(Reason::DependencyPending) => {
                    s.push_str("\n  # (depends on a resource or a module with changes pending)")
                }
                _ => {}
            }
            s
        }
        Action::Update => match cause {
            Cause::Proposed => addr + " will be updated in-place",
            Cause::Drift => format!("{addr} has changed"),
        },
        Action::DeleteThenCreate | Action::CreateThenDelete => {
            let replaced = st.bold(&st.red("replaced"));
            match c.reason {
                Some(Reason::Tainted) => format!("{addr} is tainted, so must be {replaced}"),
                Some(Reason::ByRequest) => format!("{addr} will be {replaced}, as requested"),
                Some(Reason::ByTriggers) => {
                    format!("{addr} will be {replaced} due to changes in replace_triggered_by")
                }
                _ => format!("{addr} must be {replaced}"),
            }
        }
        Action::Delete => {
            let mut s = match cause {
                Cause::Proposed => format!("{addr} will be {}", st.bold(&st.red("destroyed"))),
                Cause::Drift => format!("{addr} has been deleted"),
            };
            let r = &c.addr.resource;
            match (c.reason, &c.addr.key) {
                (Some(Reason::NoResourceConfig), _) => {
                    s.push_str(&format!(
                        "\n  # (because {}.{} is not in configuration)",
                        r.ty, r.name
                    ));
                }
                (Some(Reason::NoModule), _) => {
                    s.push_str(&format!(
                        "\n  # (because {} is not in configuration)",
                        r.module
                    ));
                }
                (Some(Reason::CountIndex), InstanceKey::Int(i)) => {
                    s.push_str(&format!(
                        "\n  # (because index [{i}] is out of range for count)"
                    ));
                }
                (Some(Reason::EachKey), InstanceKey::Str(k)) => {
                    let key = serde_json::to_string(k).unwrap_or_default();
                    s.push_str(&format!(
                        "\n  # (because key [{key}] is not in for_each map)"
                    ));
                }
                _ => {}
            }
            s
        }
        Action::NoOp => format!("{addr} has no changes"),
    };
    if let Some(from) = extra.moved_from {
        out.push_str(&format!("\n  # (moved from {from})"));
    }
    if let Some(id) = extra.import_id {
        out.push_str(&format!(
            "\n  # (imported from {})",
            serde_json::to_string(id).unwrap_or_default()
        ));
    }
    out.push('\n');
    out
}

/// cairn hides attributes that echo a secret of the same object (which Terraform prints), on both
/// sides of a diff: an attribute hidden on one side only because it echoes a secret is hidden on
/// the other side too, so no spurious "no longer sensitive" warning appears. Values without any
/// sensitive part are borrowed as they are: there is nothing to hide.
fn hide_echoes<'v>(
    before: Option<&'v Value>,
    after: Option<&'v Value>,
) -> (Option<Cow<'v, Value>>, Option<Cow<'v, Value>>) {
    let plain = |v: Option<&Value>| v.is_none_or(|v| !v.contains_sensitive());
    if plain(before) && plain(after) {
        return (before.map(Cow::Borrowed), after.map(Cow::Borrowed));
    }
    let b = before.map(|v| v.clone().mark_echoes());
    let a = after.map(|v| v.clone().mark_echoes());
    let (mut bm, mut am) = match (b, a) {
        (Some(Value::Object(bm)), Some(Value::Object(am))) => (bm, am),
        (b, a) => return (b.map(Cow::Owned), a.map(Cow::Owned)),
    };
    let orig = |v: Option<&Value>, k: &str| {
        v.and_then(|v| v.get_attr(k))
            .is_some_and(Value::is_sensitive)
    };
    let keys: Vec<String> = bm.keys().chain(am.keys()).cloned().collect();
    for k in keys {
        let originally_equal = orig(before, &k) == orig(after, &k);
        let (bs, as_) = (
            bm.get(&k).is_some_and(Value::is_sensitive),
            am.get(&k).is_some_and(Value::is_sensitive),
        );
        if originally_equal && bs != as_ {
            for m in [&mut bm, &mut am] {
                if let Some(x) = m.remove(&k) {
                    m.insert(k.clone(), x.mark_sensitive());
                }
            }
        }
    }
    (
        Some(Cow::Owned(Value::Object(bm))),
        Some(Cow::Owned(Value::Object(am))),
    )
}

/// One resource change: its comment, header and attribute diff.
fn resource_change(c: &ResourceChange, cause: Cause, extra: &Extra, opts: &Options) -> String {
    let st = opts.style();
    let builder = Builder {
        replace_paths: &c.replace_paths,
    };
    let (before, after) = match c.action {
        _ if extra.forget => (c.before.as_ref(), c.before.as_ref()),
        Action::Create | Action::Read => (None, c.after.as_ref()),
        Action::Delete => (c.before.as_ref(), None),
        _ => (c.before.as_ref(), c.after.as_ref()),
    };
    let (before, after) = hide_echoes(
        before.filter(|v| !v.is_null()),
        after.filter(|v| !v.is_null()),
    );
    let diff = builder.block(before.as_deref(), after.as_deref(), opts.schema(c));
    let r = &c.addr.resource;
    let mode = match r.mode {
        AddrMode::Managed => "resource",
        AddrMode::Data => "data",
    };
    let mut out = comment(c, cause, extra, &st);
    out.reserve(1024);
    if extra.forget {
        out.push_str(" .");
    } else {
        push_action_symbol(&mut out, c.action, &st);
    }
    out.push(' ');
    out.push_str(mode);
    out.push_str(" \"");
    out.push_str(&r.ty);
    out.push_str("\" \"");
    out.push_str(&r.name);
    out.push_str("\" ");
    diff.render_into(&mut out, 0, &Opts::default(), &st);
    out
}

/// The lines of "Changes to Outputs:", one per changed output, keys aligned over all outputs.
fn output_changes(outputs: &[OutputChange], st: &Style) -> Vec<String> {
    let mut sorted: Vec<&OutputChange> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let width = sorted
        .iter()
        .map(|o| attribute_name(&o.name).len())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for o in sorted {
        let side = |v: &Option<Value>| -> Option<Value> {
            let v = v.as_ref().filter(|v| !v.is_null())?.clone();
            Some(if o.sensitive { v.mark_sensitive() } else { v })
        };
        let (before, after) = (side(&o.before), side(&o.after));
        let builder = Builder { replace_paths: &[] };
        let d = builder.build(
            before.as_ref(),
            after.as_ref(),
            Ty::Dynamic,
            &mut Vec::new(),
        );
        if d.action == Act::NoOp {
            continue;
        }
        let name = attribute_name(&o.name);
        let pad = " ".repeat(width.saturating_sub(name.len()));
        let mut line = String::new();
        push_symbol(&mut line, d.action, st);
        line.push(' ');
        line.push_str(&name);
        line.push_str(&pad);
        line.push_str(" = ");
        d.render_into(&mut line, 0, &Opts::default(), st);
        lines.push(line);
    }
    lines
}

/// Terraform's horizontal rule: a blank line, then a line of `─` one column short of the width.
pub fn horizontal_rule(w: &mut impl Write, opts: &Options) -> io::Result<()> {
    let rule = "─".repeat(opts.width.saturating_sub(1));
    writeln!(w, "\n{}", opts.style().dark_gray(&rule))
}

/// The note `cairn plan` prints when the plan was not saved.
pub fn unsaved_plan_note(w: &mut impl Write, opts: &Options) -> io::Result<()> {
    writeln!(
        w,
        "\n{}",
        word_wrap(
            "Note: You didn't use the -out option to save this plan, so cairn can't guarantee to take exactly these actions if you run \"cairn apply\" now.",
            opts.width
        )
    )
}

/// The note `cairn plan -out=PATH` prints.
pub fn saved_plan_note(w: &mut impl Write, path: &str) -> io::Result<()> {
    write!(
        w,
        "\nSaved the plan to: {path}\n\nTo perform exactly these actions, run the following command to apply:\n    cairn apply {}\n",
        super::value::quote(path)
    )
}

/// `Apply complete! Resources: 1 added, 0 changed, 0 destroyed.` (with the blank line before it).
pub fn apply_summary(
    w: &mut impl Write,
    added: usize,
    changed: usize,
    destroyed: usize,
) -> io::Result<()> {
    apply_summary_with_imports(w, 0, added, changed, destroyed)
}

/// `Apply complete! Resources: 3 imported, 0 added, 0 changed, 0 destroyed.`: the imports are
/// counted only when there are some, as Terraform does.
pub fn apply_summary_with_imports(
    w: &mut impl Write,
    imported: usize,
    added: usize,
    changed: usize,
    destroyed: usize,
) -> io::Result<()> {
    let imported = if imported > 0 {
        format!("{imported} imported, ")
    } else {
        String::new()
    };
    writeln!(
        w,
        "\nApply complete! Resources: {imported}{added} added, {changed} changed, {destroyed} destroyed."
    )
}

/// `Destroy complete! Resources: N destroyed.` (with the blank line before it).
pub fn destroy_summary(w: &mut impl Write, destroyed: usize) -> io::Result<()> {
    writeln!(w, "\nDestroy complete! Resources: {destroyed} destroyed.")
}

/// The outputs after an apply, as Terraform lists them: `\nOutputs:\n\nname = value`, sorted by
/// name; a sensitive output shows `<sensitive>`. Writes nothing when there are no outputs.
pub fn outputs(w: &mut impl Write, outputs: &[(String, Value, bool)]) -> io::Result<()> {
    if outputs.is_empty() {
        return Ok(());
    }
    write!(w, "\nOutputs:\n\n")?;
    output_values(w, outputs)
}

/// The body of `cairn output`: one `name = value` per output, sorted by name.
pub fn output_values(w: &mut impl Write, outputs: &[(String, Value, bool)]) -> io::Result<()> {
    let mut sorted: Vec<&(String, Value, bool)> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value, sensitive) in sorted {
        if *sensitive {
            writeln!(w, "{name} = <sensitive>")?;
        } else {
            writeln!(w, "{name} = {}", format_value(value, 0))?;
        }
    }
    Ok(())
}

/// The state as `cairn show` prints it: every resource instance with all its attributes (no
/// diff symbols), then the outputs. Sensitive attributes and outputs show `(sensitive value)`.
pub fn state(w: &mut impl Write, state: &State, opts: &Options) -> io::Result<()> {
    if state.resources.is_empty() && state.outputs.is_empty() {
        return writeln!(w, "The state file is empty. No resources are represented.");
    }
    let st = opts.style();
    let show = Opts {
        show_unchanged: true,
        hide_symbols: true,
        ..Opts::default()
    };
    let mut instances: Vec<(InstanceAddr, &InstanceState)> = state
        .instances()
        .map(|(addr, _, inst)| (addr, inst))
        .collect();
    instances.sort_by(|(a, _), (b, _)| instance_order(a).cmp(&instance_order(b)));
    for (i, (addr, inst)) in instances.iter().enumerate() {
        let r = &addr.resource;
        let schema = opts.schemas.and_then(|s| match r.mode {
            AddrMode::Managed => s.resources.get(r.ty.as_str()),
            AddrMode::Data => s.data_sources.get(r.ty.as_str()),
        });
        let value = match schema {
            Some(s) => inst.attributes.to_value_typed(&s.object_type()),
            None => inst.attributes.to_value(),
        }
        .mark_paths(&inst.sensitive_paths)
        .mark_echoes();
        let builder = Builder { replace_paths: &[] };
        let body = builder
            .block(Some(&value), Some(&value), schema)
            .render(0, &show, &st);
        let mode = match r.mode {
            AddrMode::Managed => "resource",
            AddrMode::Data => "data",
        };
        // Terraform separates the resources of one module by a blank line, not the modules.
        if i > 0 && instances[i - 1].0.resource.module == r.module {
            writeln!(w)?;
        }
        writeln!(w, "# {addr}:\n{mode} \"{}\" \"{}\" {body}", r.ty, r.name)?;
    }
    if !state.outputs.is_empty() {
        write!(w, "\n\nOutputs:\n\n")?;
        for (name, o) in &state.outputs {
            // The output's recorded type decides how it is shown (a map's keys are quoted).
            let ty = Type::from_json(&o.ty).unwrap_or(Type::Any);
            let mut value = Value::from_json_typed(&o.value, &ty);
            if o.sensitive {
                value = value.mark_sensitive();
            }
            let builder = Builder { replace_paths: &[] };
            let d = builder.build(Some(&value), Some(&value), Ty::Typed(&ty), &mut Vec::new());
            writeln!(w, "{} = {}", attribute_name(name), d.render(0, &show, &st))?;
        }
    }
    Ok(())
}

fn instance_order(a: &InstanceAddr) -> impl Ord + '_ {
    let r = &a.resource;
    (
        r.module.0.len(),
        &r.module,
        r.mode != AddrMode::Data,
        &r.ty,
        &r.name,
        &a.key,
    )
}
