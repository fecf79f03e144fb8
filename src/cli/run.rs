//! `plan`, `apply` and `destroy`: load, lock, recover an interrupted run, plan, show, confirm,
//! execute with progress, record outputs, report.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::mem::ManuallyDrop;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use cairn_provider::Value;
use sha2::{Digest, Sha256};

use super::args::{ApplyArgs, PlanArgs, PlanFlags};
use super::planfile::{self, Origin, SavedPlan};
use super::registry::Builtin;
use super::support::{self, LockGuard, report};
use super::{Reported, Ui};
use crate::addr::Target;
use crate::apply;
use crate::config::Config;
use crate::plan::{self, Mode, Plan, ProviderSet};
use crate::render;
use crate::state::backend::{Backend, LocalBackend};
use crate::state::{State, StateError};

fn parse_targets(list: &[String], flag: &str) -> anyhow::Result<Vec<Target>> {
    list.iter()
        .map(|s| {
            s.parse::<Target>()
                .with_context(|| format!("invalid {flag} address"))
        })
        .collect()
}

fn mode(flags: &PlanFlags, destroy: bool) -> anyhow::Result<Mode> {
    if flags.refresh_only && (flags.destroy || destroy) {
        bail!(
            "Incompatible plan mode options: the -refresh-only and -destroy options are mutually exclusive."
        );
    }
    Ok(if destroy || flags.destroy {
        Mode::Destroy
    } else if flags.refresh_only {
        Mode::RefreshOnly
    } else {
        Mode::Normal
    })
}

/// A checksum of the configuration files, to refuse a saved plan after the files changed.
fn config_checksum(dir: &Path) -> anyhow::Result<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        h.update([0]);
        h.update(std::fs::read(&f)?);
        h.update([0]);
    }
    Ok(hex::encode(h.finalize()))
}

async fn read_state(backend: &LocalBackend) -> anyhow::Result<State> {
    Ok(backend.read().await?.unwrap_or_default())
}

/// Replays the journal of an interrupted run into the state, persisting the result. Returns the
/// objects the interrupted run may have left without a place in state (the old object of a
/// create-before-destroy replacement), which the caller deletes once providers are configured.
async fn recover(
    backend: &LocalBackend,
    journal: &Path,
    state: &mut State,
    no_state: bool,
) -> anyhow::Result<Vec<apply::journal::Orphan>> {
    let Some(recovered) = apply::journal::recover(journal)? else {
        return Ok(Vec::new());
    };
    if no_state && state.serial == 0 && state.resources.is_empty() {
        // The interrupted run was the first: its state was never written, so it takes the
        // journal's lineage.
        state.lineage = recovered.lineage.clone();
    }
    let orphans = recovered.replay(state)?;
    state.serial = backend.write(state).await?;
    apply::journal::discard(journal)?;
    eprintln!(
        "\nWarning: Recovered an interrupted apply\n\nThe previous run stopped before it finished. What its journal recorded is now in the state; objects whose operation did not complete are marked tainted and will be replaced.\n"
    );
    Ok(orphans)
}

/// Deletes objects an interrupted run left behind without a place in state.
async fn delete_orphans(
    orphans: Vec<apply::journal::Orphan>,
    providers: &ProviderSet,
) -> anyhow::Result<()> {
    for o in orphans {
        let Some(p) = providers.by_addr(&o.provider) else {
            bail!(
                "{}: an object left by an interrupted run needs provider {}, which is not configured; delete it by hand: {}",
                o.addr,
                o.provider,
                o.object.attributes
            );
        };
        let Some(schema) = p.resource_schema(o.addr.resource.mode, &o.addr.resource.ty) else {
            continue;
        };
        let (value, _) = plan::instance_value(&o.object, schema).unmark_deep();
        p.provider
            .apply(&o.addr.resource.ty, Some(&value), None)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}: cannot delete an object left by an interrupted run: {}",
                    o.addr,
                    e.message
                )
            })?;
        eprintln!("{}: deleted an object left by an interrupted run", o.addr);
    }
    Ok(())
}

struct Made {
    config: Config,
    vars: HashMap<String, Value>,
    planned: plan::Planned,
}

/// How a plan is made.
enum How<'a> {
    /// From the command line's flags and variables.
    Fresh,
    /// To execute a saved plan that holds every value: with its variables (an apply of a plan
    /// file needs no `-var` again) and without refreshing; the plan is made only to configure the
    /// providers and the evaluation context that the saved plan is executed with.
    Saved(&'a Plan),
    /// Again, as a redacted saved plan was made: with its variables, the sensitive ones supplied
    /// again, its targets, `-replace` addresses and refresh setting.
    Again(&'a SavedPlan),
}

/// Plans against `state`, with the configuration's graph when the caller built it already.
/// `omit_unchanged` when the plan is only shown (see [`plan::Options::omit_unchanged`]).
#[allow(clippy::too_many_arguments)]
async fn make_plan(
    mut config: Config,
    graph: Option<Result<crate::graph::Graph, crate::diag::Diagnostics>>,
    flags: &PlanFlags,
    ui: Ui,
    mode: Mode,
    state: State,
    how: How<'_>,
    omit_unchanged: bool,
) -> anyhow::Result<Made> {
    let saved_vars = |p: &Plan| -> HashMap<String, Value> {
        p.variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let cwd = support::cwd()?.display().to_string();
    let opts = match how {
        How::Fresh => plan::Options {
            mode,
            targets: parse_targets(&flags.targets, "-target")?,
            replace: parse_targets(&flags.replace, "-replace")?,
            refresh: flags.refresh,
            vars: support::variables(&mut config, flags, ui)?,
            cwd,
            omit_unchanged,
        },
        How::Saved(p) => plan::Options {
            mode: p.mode,
            targets: parse_targets(&flags.targets, "-target")?,
            replace: parse_targets(&flags.replace, "-replace")?,
            refresh: false,
            vars: saved_vars(p),
            cwd,
            omit_unchanged,
        },
        How::Again(s) => {
            let mut vars = saved_vars(&s.plan);
            vars.extend(sensitive_variables(&mut config, flags, s, ui)?);
            plan::Options {
                mode: s.plan.mode,
                targets: parse_targets(&s.plan.targets, "-target")?,
                replace: parse_targets(&s.replace, "-replace")?,
                refresh: s.refresh,
                vars,
                cwd,
                omit_unchanged,
            }
        }
    };
    let vars = opts.vars.clone();
    let registry = Builtin::new();
    let graph = graph.unwrap_or_else(|| crate::graph::build(&config));
    match plan::plan_with_graph(&config, graph, state, &registry, &opts).await {
        Ok(planned) => {
            report(&planned.warnings, &config.sources, ui);
            Ok(Made {
                config,
                vars,
                planned,
            })
        }
        Err(ds) => {
            report(&ds, &config.sources, ui);
            Err(Reported.into())
        }
    }
}

/// The sensitive variables a redacted plan file left out, given again through the environment,
/// `-var`, `-var-file` or the variable files (never prompted for).
fn sensitive_variables(
    config: &mut Config,
    flags: &PlanFlags,
    saved: &SavedPlan,
    ui: Ui,
) -> anyhow::Result<HashMap<String, Value>> {
    use crate::config::vars::VarArg;
    let dir = support::cwd()?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut args = support::var_args();
    if args.is_empty() {
        args.extend(flags.var_files.iter().cloned().map(VarArg::File));
        args.extend(flags.vars.iter().cloned().map(VarArg::Var));
    }
    let mut raw = match crate::config::vars::collect(&dir, &args, &env, &mut config.sources) {
        Ok(r) => r,
        Err(ds) => {
            report(&ds, &config.sources, ui);
            return Err(Reported.into());
        }
    };
    let missing: Vec<&String> = saved
        .sensitive_variables
        .iter()
        .filter(|(name, origin)| **origin == Origin::Given && !raw.contains_key(*name))
        .map(|(name, _)| name)
        .collect();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|n| format!("var.{n}")).collect();
        let env: Vec<String> = missing.iter().map(|n| format!("TF_VAR_{n}")).collect();
        bail!(
            "Sensitive variables not given\n\nThe plan file does not hold the values of sensitive input variables, so they must be given again to apply it: {}. Set them with -var, -var-file or the environment ({}), with the values used to make the plan.",
            list.join(", "),
            env.join(", ")
        );
    }
    raw.retain(|name, _| saved.sensitive_variables.contains_key(name));
    // Evaluate only the sensitive variables: the others come from the plan file.
    let all = std::mem::take(&mut config.root.variables);
    let (sensitive, others): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|(name, _)| saved.sensitive_variables.contains_key(name));
    config.root.variables = sensitive.into_iter().collect();
    let result = crate::plan::vars::evaluate(config, &raw);
    let sensitive = std::mem::take(&mut config.root.variables);
    let mut restored = others;
    restored.extend(sensitive);
    config.root.variables = restored.into_iter().collect();
    match result {
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

pub(crate) async fn plan(args: PlanArgs, ui: Ui) -> anyhow::Result<i32> {
    support::set_json(args.flags.json);
    if args.flags.json {
        render::jsonlog::Log::new(std::io::stdout().lock()).version()?;
    }
    let mode = mode(&args.flags, false)?;
    // The state is read while the configuration loads, from where it is unless the
    // configuration's backend block says otherwise (it is then read from there, after).
    let usual = support::state_path(None, args.flags.state.as_ref())?;
    let early = tokio::spawn({
        let backend = support::backend(&usual);
        async move { read_state(&backend).await }
    });
    // Loaded once: the backend block names the state, and the plan is made from the same load.
    let config = support::load_config(ui, mode != Mode::Destroy)?;
    let path = support::state_path(Some(&config), args.flags.state.as_ref())?;
    let backend = support::backend(&path);
    // The graph is built while the state is still being read.
    let graph = crate::graph::build(&config);
    // A plan reads a consistent snapshot and never takes or waits for the lock.
    let state = if path == usual {
        early.await??
    } else {
        early.abort();
        read_state(&backend).await?
    };
    if let Some(holder) = lock_holder(&backend) {
        // A plan never waits for the lock: it plans against the last complete state.
        eprintln!(
            "\nNote: {} holds the state lock ({} since {}, lock ID {}); an apply may be in progress. This plan uses the last complete state (serial {}).\n",
            holder.who, holder.operation, holder.created, holder.id, state.serial
        );
    }
    let (lineage, serial) = (state.lineage.clone(), state.serial);
    // Unchanged objects' values are read by a saved plan, JSON output and policies only.
    let omit_unchanged = args.out.is_none() && !args.flags.json && args.policies.is_empty();
    // The plan (which holds the state it was made from) is never dropped: the process ends
    // after it is shown, and freeing a large plan value by value took a tenth of a no-change
    // plan's time.
    let made = ManuallyDrop::new(
        make_plan(
            config,
            Some(graph),
            &args.flags,
            ui,
            mode,
            state,
            How::Fresh,
            omit_unchanged,
        )
        .await?,
    );
    let plan = &made.planned.plan;
    let schemas = schemas(&made.planned.providers);
    let opts = render_options(ui, &schemas);
    let mut out = std::io::stdout().lock();
    if args.flags.json {
        render::jsonlog::Log::new(&mut out).plan(plan, "plan")?;
    } else {
        render::human::plan(&mut out, plan, &opts)?;
    }
    if let Some(file) = &args.out {
        let redacted = (!args.unsafe_keep_sensitive)
            .then(|| planfile::redact(plan, Some(&made.config), &schemas))
            .filter(|r| r.any);
        let saved = SavedPlan {
            format: planfile::FORMAT.to_string(),
            config_checksum: config_checksum(&support::cwd()?)?,
            lineage,
            serial,
            redacted: redacted.is_some(),
            sensitive_variables: redacted
                .as_ref()
                .map(|r| r.sensitive_variables.clone())
                .unwrap_or_default(),
            refresh: args.flags.refresh,
            replace: args.flags.replace.clone(),
            plan: redacted.map_or_else(|| plan.clone(), |r| r.plan),
            configuration: Some(render::json::configuration(
                &made.config,
                &made.planned.providers,
                !args.unsafe_keep_sensitive,
            )),
        };
        let bytes = serde_json::to_vec(&saved)?;
        if args.unsafe_keep_sensitive && !args.flags.json {
            let secrets = plan.variables.values().any(Value::contains_sensitive)
                || plan.changes.iter().any(|c| {
                    c.before.as_ref().is_some_and(Value::contains_sensitive)
                        || c.after.as_ref().is_some_and(Value::contains_sensitive)
                })
                || !plan.prior_state.resources.is_empty();
            if secrets {
                eprintln!(
                    "\nWarning: The plan file holds the values it will apply, including sensitive ones and the prior state, in clear text (-unsafe-keep-sensitive). Keep it as private as the state file.\n"
                );
            }
        }
        let again: Vec<String> = saved
            .sensitive_variables
            .iter()
            .filter(|(_, o)| **o == Origin::Given)
            .map(|(n, _)| format!("var.{n}"))
            .collect();
        if !again.is_empty() && !args.flags.json {
            eprintln!(
                "\nNote: The plan file does not hold sensitive values. To apply it, give the sensitive variables {} again (-var, -var-file or TF_VAR_*).\n",
                again.join(", ")
            );
        }
        std::fs::write(file, bytes)
            .with_context(|| format!("cannot write plan file {}", file.display()))?;
        if !args.flags.json {
            render::human::horizontal_rule(&mut out, &opts)?;
            render::human::saved_plan_note(&mut out, &file.display().to_string())?;
        }
    } else if plan.has_changes() && !args.flags.json {
        render::human::horizontal_rule(&mut out, &opts)?;
        render::human::unsaved_plan_note(&mut out, &opts)?;
    }
    if !args.policies.is_empty() {
        let mut sources = crate::diag::SourceMap::new();
        let mut rules = Vec::new();
        for f in &args.policies {
            match crate::policy::load(f, &mut sources) {
                Ok(r) => rules.extend(r),
                Err(ds) => {
                    report(&ds, &sources, ui);
                    return Err(Reported.into());
                }
            }
        }
        let violations = crate::policy::check(&rules, plan);
        if !violations.is_empty() {
            let lines: Vec<String> = violations
                .iter()
                .map(|v| format!("  {}: {} {}", v.rule, v.address, v.what))
                .collect();
            let summary = format!("The plan breaks {} policy rule(s)", violations.len());
            let detail = format!(
                "{}\n\nChange the configuration, or the policy, and plan again.",
                lines.join("\n")
            );
            if args.flags.json {
                render::jsonlog::Log::new(std::io::stdout().lock()).error(&summary, &detail)?;
            } else {
                eprintln!("\nError: {summary}\n\n{detail}\n");
            }
            return Ok(5);
        }
        if !args.flags.json {
            eprintln!(
                "Policy check passed: {} rule(s) from {} file(s).",
                rules.len(),
                args.policies.len()
            );
        }
    }
    let dangerous = dangerous_changes(plan, &args.fail_on);
    if !dangerous.is_empty() {
        eprintln!(
            "\nError: The plan contains changes that -fail-on forbids\n\n{}\n\nReview them; run without -fail-on to allow them.\n",
            dangerous.join("\n")
        );
        return Ok(4);
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
}

/// The changes `-fail-on` forbids, one line each.
fn dangerous_changes(plan: &Plan, fail_on: &[super::args::FailOn]) -> Vec<String> {
    use super::args::FailOn;
    plan.changes
        .iter()
        .filter_map(|c| {
            let replace = c.action.is_replace();
            let destroy = replace || c.action == plan::Action::Delete;
            if replace && fail_on.contains(&FailOn::Replace) {
                Some(format!("  {} would be replaced", c.addr))
            } else if destroy && fail_on.contains(&FailOn::Destroy) {
                Some(format!("  {} would be destroyed", c.addr))
            } else {
                None
            }
        })
        .collect()
}

/// Who holds the state lock, as its record says (read only: a plan never takes the lock).
fn lock_holder(backend: &LocalBackend) -> Option<crate::state::LockInfo> {
    let bytes = std::fs::read(backend.lock_info_path()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Asks for "yes".
fn confirm(destroy: bool) -> anyhow::Result<bool> {
    let mut err = std::io::stderr();
    if destroy {
        write!(
            err,
            "\nDo you really want to destroy all resources?\n  cairn will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm.\n\n  Enter a value: "
        )?;
    } else {
        write!(
            err,
            "\nDo you want to perform these actions?\n  cairn will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
        )?;
    }
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    writeln!(err)?;
    Ok(line.trim() == "yes")
}

/// Persists state through the backend on the executor's behalf.
struct Sink<'a> {
    backend: &'a LocalBackend,
}

#[async_trait::async_trait]
impl apply::StateSink for Sink<'_> {
    async fn persist(&self, state: &State) -> Result<(), StateError> {
        self.backend.write(state).await.map(|_| ())
    }

    fn persist_snapshot(&self, state: State) -> apply::Persisting<'_> {
        Box::pin(async move { self.backend.write_owned(state).await.map(|_| ()) })
    }
}

/// Re-plans unknown values at apply time through the configuration.
struct Replan<'a> {
    config: &'a Config,
    vars: &'a HashMap<String, Value>,
    providers: &'a ProviderSet,
    cwd: String,
}

#[async_trait::async_trait]
impl apply::Replanner for Replan<'_> {
    async fn replan(&self, change: &plan::ResourceChange, state: &State) -> Result<Value, String> {
        plan::fin::final_value(
            self.config,
            self.vars,
            self.providers,
            &self.cwd,
            change,
            state,
        )
        .await
    }
    fn check_applied(&self, change: &plan::ResourceChange, state: &State) -> Result<(), String> {
        plan::fin::check_postconditions(
            self.config,
            self.vars,
            self.providers,
            &self.cwd,
            change,
            state,
        )
    }
}

pub(crate) async fn apply(args: ApplyArgs, ui: Ui, destroy: bool) -> anyhow::Result<i32> {
    support::set_json(args.flags.json);
    if args.flags.json {
        render::jsonlog::Log::new(std::io::stdout().lock()).version()?;
        if !args.auto_approve && args.plan_file.is_none() {
            bail!(
                "Plan file or auto-approve required\n\ncairn cannot ask for interactive approval when -json is set. Use -auto-approve, or apply a saved plan file."
            );
        }
    }
    let mode = mode(&args.flags, destroy)?;
    let config = support::load_config(ui, mode != Mode::Destroy)?;
    let path = support::state_path(Some(&config), args.flags.state.as_ref())?;
    let backend = support::backend(&path);
    let op = "OperationTypeApply";
    let lock = LockGuard::acquire(&backend, args.flags.lock, op, &args.flags.lock_timeout).await?;
    let result = apply_locked(config, &args, ui, mode, &backend, &path).await;
    lock.release().await?;
    result
}

async fn apply_locked(
    config: Config,
    args: &ApplyArgs,
    ui: Ui,
    mode: Mode,
    backend: &LocalBackend,
    path: &Path,
) -> anyhow::Result<i32> {
    let journal = support::journal_path(path);
    let stored = backend.read().await?;
    let no_state = stored.is_none();
    let mut state = stored.unwrap_or_default();
    let orphans = recover(backend, &journal, &mut state, no_state).await?;

    let saved = match &args.plan_file {
        Some(f) => {
            let bytes = std::fs::read(f)
                .with_context(|| format!("cannot read plan file {}", f.display()))?;
            let saved = SavedPlan::read(&bytes, &f.display().to_string())?;
            if no_state && saved.serial == 0 {
                // Planned against no state: this run's new state takes the plan's lineage.
                state.lineage = saved.lineage.clone();
            }
            if saved.lineage != state.lineage || saved.serial != state.serial {
                bail!(
                    "Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by another operation after the plan was created (plan: serial {} of lineage {}; state now: serial {} of lineage {}). Create a new plan and apply that.",
                    saved.serial,
                    saved.lineage,
                    state.serial,
                    state.lineage
                );
            }
            if saved.config_checksum != config_checksum(&support::cwd()?)? {
                bail!(
                    "Saved plan does not match the configuration\n\nThe configuration files changed after the plan was created. Create a new plan and apply that."
                );
            }
            Some(saved)
        }
        None => None,
    };

    let how = match &saved {
        Some(s) if s.redacted => How::Again(s),
        Some(s) => How::Saved(&s.plan),
        None => How::Fresh,
    };
    // Not dropped, like the state and plan of `plan`: the process ends after the apply.
    let mut made =
        ManuallyDrop::new(make_plan(config, None, &args.flags, ui, mode, state, how, false).await?);
    delete_orphans(orphans, &made.planned.providers).await?;
    let schemas = schemas(&made.planned.providers);
    let mut plan = match saved {
        Some(s) if s.redacted => {
            // The file holds no secrets: execute the plan just made, if it is the same plan.
            let fresh = planfile::redact(&made.planned.plan, Some(&made.config), &schemas);
            if let Some(why) = planfile::difference(&s.plan, &fresh.plan) {
                bail!(
                    "Saved plan no longer matches\n\nThe plan file holds no sensitive values, so cairn planned again to apply it, and the plan no longer matches the saved one: {why}. Check the sensitive variables given, or run plan again and apply the new plan."
                );
            }
            std::mem::take(&mut made.planned.plan)
        }
        Some(s) => s.plan,
        None => std::mem::take(&mut made.planned.plan),
    };
    if planfile::plan_holds_marker(&plan) {
        bail!(
            "The plan holds redacted sensitive values and cannot be applied as it is: run plan again and apply the new plan."
        );
    }
    let mut out = std::io::stdout().lock();
    if args.flags.json {
        render::jsonlog::Log::new(&mut out).plan(&plan, "plan")?;
    } else if args.plan_file.is_none() {
        render::human::plan(&mut out, &plan, &render_options(ui, &schemas))?;
    }
    out.flush()?;
    let destroy = mode == Mode::Destroy;
    if (plan.has_changes() || mode == Mode::RefreshOnly)
        && args.plan_file.is_none()
        && !args.auto_approve
    {
        if !args.flags.input {
            bail!(
                "No approval\n\nApply requires approval, but input is disabled (-input=false). Pass -auto-approve to apply without asking."
            );
        }
        drop(out);
        if !confirm(destroy)? {
            eprintln!(
                "\nError: {} cancelled.\n",
                if destroy { "Destroy" } else { "Apply" }
            );
            return Err(Reported.into());
        }
        out = std::io::stdout().lock();
    }
    drop(out);

    let providers = &made.planned.providers;
    let cwd = support::cwd()?.display().to_string();
    let replan = Replan {
        config: &made.config,
        vars: &made.vars,
        providers,
        cwd: cwd.clone(),
    };
    let sink = Sink { backend };
    let opts = apply::Options {
        parallelism: args.flags.parallelism.max(1),
        rollback: !args.no_rollback,
        journal: Some(journal.clone()),
        ..apply::Options::default()
    };
    let map = provider_map(providers);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    // The executor starts from the plan's prior state; the progress display shares the plan.
    // Never freed, like the plan made above: the process ends after the apply.
    let prior = std::mem::take(&mut plan.prior_state);
    let plan = ManuallyDrop::new(Arc::new(plan));
    let progress = tokio::spawn(show_progress(rx, Arc::clone(&plan), ui, args.flags.json));
    let outcome = apply::apply(&plan, prior, &map, &opts, &sink, &replan, tx).await;
    let _ = progress.await;

    for f in &outcome.fatal {
        eprintln!("\nError: {f}\n");
    }
    let mut state = outcome.state;
    let succeeded = outcome.errors.is_empty() && outcome.fatal.is_empty();
    let mut outputs_failed = false;
    if mode == Mode::Destroy {
        if succeeded {
            state.outputs.clear();
        }
    } else if succeeded {
        match plan::fin::evaluate_outputs(&made.config, &made.vars, &state, providers, &cwd) {
            Ok(outputs) => state.outputs = outputs,
            Err(ds) => {
                // The state records this run's objects and keeps its previous outputs.
                report(&ds, &made.config.sources, ui);
                outputs_failed = true;
            }
        }
        let checks =
            plan::fin::evaluate_checks(&made.config, &made.vars, &state, providers, &cwd).await;
        report(&checks, &made.config.sources, ui);
    }
    backend.write(&state).await?;
    if outputs_failed {
        return Ok(1);
    }

    let mut out = std::io::stdout().lock();
    if !outcome.errors.is_empty() || !outcome.fatal.is_empty() {
        if args.flags.json {
            let mut log = render::jsonlog::Log::new(&mut out);
            for (addr, msg) in &outcome.errors {
                log.error(&format!("{addr}: {msg}"), "")?;
            }
            for (addr, msg) in &outcome.rollback_failures {
                log.error(
                    &format!("{addr} could not be rolled back: {msg}"),
                    "The object stays as it is; the state records it.",
                )?;
            }
            return Ok(1);
        }
        for (addr, msg) in &outcome.errors {
            eprintln!("\nError: {addr}: {msg}\n");
        }
        if !outcome.rolled_back.is_empty() || !outcome.rollback_failures.is_empty() {
            eprintln!(
                "Rolled back {} operation(s) of this run.",
                outcome.rolled_back.len()
            );
        }
        for (addr, msg) in &outcome.rollback_failures {
            eprintln!(
                "\nError: {addr} could not be rolled back: {msg}\nThe object stays as it is; the state records it.\n"
            );
        }
        return Ok(1);
    }
    let (add, change, destroyed) = plan.counts();
    if args.flags.json {
        let mut log = render::jsonlog::Log::new(&mut out);
        let imported = if destroy {
            0
        } else {
            plan.refactor.imported.len()
        };
        let msg = if destroy {
            format!("Destroy complete! Resources: {destroyed} destroyed.")
        } else if imported > 0 {
            format!(
                "Apply complete! Resources: {imported} imported, {add} added, {change} changed, {destroyed} destroyed."
            )
        } else {
            format!(
                "Apply complete! Resources: {add} added, {change} changed, {destroyed} destroyed."
            )
        };
        log.summary_with_import(
            &msg,
            imported,
            add,
            change,
            destroyed,
            if destroy { "destroy" } else { "apply" },
        )?;
        log.outputs(&state.outputs)?;
        return Ok(0);
    }
    if destroy {
        render::human::destroy_summary(&mut out, destroyed)?;
    } else {
        render::human::apply_summary_with_imports(
            &mut out,
            plan.refactor.imported.len(),
            add,
            change,
            destroyed,
        )?;
    }
    if !destroy {
        let outputs: Vec<(String, Value, bool)> = state
            .outputs
            .iter()
            .map(|(k, o)| (k.clone(), Value::from_json(&o.value), o.sensitive))
            .collect();
        render::human::outputs(&mut out, &outputs)?;
    }
    Ok(0)
}

fn provider_map(providers: &ProviderSet) -> apply::ProviderMap {
    let mut map = apply::ProviderMap::new();
    for (addr, c) in providers.all() {
        map.insert(addr.clone(), Arc::clone(&c.provider));
        if let Some(n) = providers.parallelism(addr) {
            map.limit(addr.clone(), n);
        }
    }
    map
}

/// Resource schemas of the configured providers, for rendering values by their declared types.
fn schemas(providers: &ProviderSet) -> render::human::Schemas {
    render::human::Schemas::from_providers(providers.all().map(|(_, c)| &c.schema))
}

pub(crate) fn render_options(
    ui: Ui,
    schemas: &render::human::Schemas,
) -> render::human::Options<'_> {
    render::human::Options {
        color: ui.color,
        width: 78,
        schemas: Some(schemas),
    }
}

/// Shows the executor's events: a live display on a terminal, one line per event otherwise.
async fn show_progress(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<apply::Event>,
    plan: Arc<Plan>,
    ui: Ui,
    json: bool,
) {
    if json {
        let mut log = render::jsonlog::Log::new(std::io::stdout()).with_plan(&plan);
        while let Some(ev) = rx.recv().await {
            let _ = log.event(&ev);
        }
        return;
    }
    let total = plan
        .changes
        .iter()
        .filter(|c| c.action != plan::Action::NoOp)
        .count();
    // Lines are written in batches: what the executor reported by the time the display
    // catches up goes out in one write (two lines per operation, one write each, were a
    // fifth of the system time of an apply of 100,000).
    let out = std::io::BufWriter::new(std::io::stdout());
    let mut p = if ui.live {
        render::progress::Progress::terminal(out, ui.color, total)
    } else {
        render::progress::Progress::lines(out, ui.color)
    }
    .with_plan(&plan);
    let _ = p.imports(&plan);
    let _ = p.flush();
    while let Some(ev) = rx.recv().await {
        let _ = p.event(&ev);
        while let Ok(ev) = rx.try_recv() {
            let _ = p.event(&ev);
        }
        let _ = p.flush();
    }
    let _ = p.finish();
}
