//! Commands that read (and for `state rm|mv`, edit) the state without planning: `show`,
//! `output`, `state list|show|rm|mv`, `force-unlock`, `graph`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use cairn_provider::{Type, Value};

use super::Ui;
use super::args::{ForceUnlockArgs, GraphArgs, OutputArgs, ShowArgs, StateCommand};
use super::support::{self, LockGuard};
use crate::addr::{InstanceAddr, Target};
use crate::graph;
use crate::render;
use crate::state::backend::{Backend, LocalBackend};
use crate::state::{State, format};

/// The state path for commands that may run without configuration.
fn path_for(flag: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    let dir = support::cwd()?;
    let (config, diags) = crate::config::load_dir(&dir);
    let config = (!diags.has_errors()).then_some(config);
    support::state_path(config.as_ref(), flag)
}

async fn read(flag: Option<&PathBuf>) -> anyhow::Result<(LocalBackend, State)> {
    let path = path_for(flag)?;
    let backend = support::backend(&path);
    let state = backend.read().await?.unwrap_or_default();
    Ok((backend, state))
}

fn output_value(o: &crate::state::OutputState) -> Value {
    let ty = Type::from_json(&o.ty).unwrap_or(Type::Any);
    Value::from_json_typed(&o.value, &ty)
}

/// Schemas of the providers a state refers to (for rendering values by their declared types).
fn schemas_for(state: &State) -> render::human::Schemas {
    use crate::plan::Registry;
    let registry = super::registry::Builtin::new();
    let schemas: Vec<cairn_provider::ProviderSchema> = state
        .resources
        .values()
        .filter_map(|r| crate::plan::providers::source_of_addr(&r.provider))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|s| registry.instantiate(s))
        .map(|p| p.schema())
        .collect();
    render::human::Schemas::from_providers(schemas.iter())
}

fn show_state(w: &mut impl Write, state: &State, ui: Ui) -> anyhow::Result<()> {
    let schemas = schemas_for(state);
    render::human::state(w, state, &super::run::render_options(ui, &schemas))?;
    Ok(())
}

pub(crate) async fn show(args: ShowArgs, ui: Ui) -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    let state = match &args.path {
        None => read(None).await?.1,
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            let is_plan = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|d| {
                    d.get("format")?
                        .as_str()
                        .map(|f| f.starts_with("cairn-plan-"))
                })
                .unwrap_or(false);
            if is_plan {
                let saved = super::planfile::SavedPlan::read(&bytes, &p.display().to_string())?;
                let plan = &saved.plan;
                let schemas = schemas_for(&plan.prior_state);
                if args.format == super::args::ShowFormat::Markdown {
                    let opts = super::run::render_options(ui, &schemas);
                    render::markdown::plan(
                        &mut out,
                        plan,
                        &opts,
                        render::markdown::Limits::default(),
                    )?;
                    return Ok(0);
                }
                if args.json {
                    let shown = if saved.redacted {
                        super::planfile::for_json(plan)
                    } else {
                        plan.clone()
                    };
                    let mut doc = render::json::plan(&shown, &schemas);
                    if let Some(c) = saved.configuration {
                        doc = render::json::with_configuration(doc, c);
                    }
                    writeln!(out, "{}", serde_json::to_string(&doc)?)?;
                    return Ok(0);
                }
                render::human::plan(&mut out, plan, &super::run::render_options(ui, &schemas))?;
                return Ok(0);
            }
            format::read(&bytes, &p.display().to_string())?
        }
    };
    if args.format == super::args::ShowFormat::Markdown {
        bail!(
            "-format=markdown summarises a saved plan: run `cairn plan -out=FILE`, then `cairn show -format=markdown FILE`."
        );
    }
    if args.json {
        let schemas = schemas_for(&state);
        writeln!(
            out,
            "{}",
            serde_json::to_string(&render::json::state(&state, &schemas))?
        )?;
    } else {
        show_state(&mut out, &state, ui)?;
    }
    Ok(0)
}

pub(crate) async fn output(args: OutputArgs, _ui: Ui) -> anyhow::Result<i32> {
    let (_, state) = read(args.state.as_ref()).await?;
    let mut out = std::io::stdout().lock();
    match &args.name {
        Some(name) => {
            let Some(o) = state.outputs.get(name) else {
                bail!(
                    "Output \"{name}\" not found\n\nThe output variable requested could not be found in the state file. If you recently added this to your configuration, be sure to run `cairn apply`, since the state won't be updated with new output variables until that command is run."
                );
            };
            if args.json {
                writeln!(out, "{}", serde_json::to_string(&o.value)?)?;
            } else if args.raw {
                match &o.value {
                    serde_json::Value::String(s) => write!(out, "{s}")?,
                    serde_json::Value::Number(n) => write!(out, "{n}")?,
                    serde_json::Value::Bool(b) => write!(out, "{b}")?,
                    _ => bail!(
                        "Unsupported value for raw output\n\nThe -raw option only supports strings, numbers, and boolean values, but output value \"{name}\" is not. Use the -json option for machine-readable output."
                    ),
                }
            } else {
                let v = output_value(o);
                writeln!(out, "{}", render::value::format_value(&v, 0))?;
            }
        }
        None => {
            if args.json {
                let all: serde_json::Map<String, serde_json::Value> = state
                    .outputs
                    .iter()
                    .map(|(k, o)| (k.clone(), serde_json::json!({"sensitive": o.sensitive, "type": o.ty, "value": o.value})))
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
            } else if state.outputs.is_empty() {
                eprintln!(
                    "\nWarning: No outputs found\n\nThe state file either has no outputs defined, or all the defined outputs are empty. Please define an output in your configuration with the `output` keyword and run `cairn apply` for it to become available.\n"
                );
            } else {
                for (k, o) in &state.outputs {
                    let v = if o.sensitive {
                        "<sensitive>".to_string()
                    } else {
                        render::value::format_value(&output_value(o), 0)
                    };
                    writeln!(out, "{k} = {v}")?;
                }
            }
        }
    }
    Ok(0)
}

fn parse_addr(s: &str) -> anyhow::Result<Target> {
    s.parse::<Target>()
        .map_err(|e| anyhow::anyhow!("Invalid address\n\n{e}"))
}

fn matching(state: &State, t: &Target) -> Vec<InstanceAddr> {
    state
        .instances()
        .map(|(a, _, _)| a)
        .filter(|a| t.contains(a))
        .collect()
}

pub(crate) async fn state(cmd: StateCommand, ui: Ui) -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    match cmd {
        StateCommand::List {
            state: flag,
            addresses,
        } => {
            let (_, st) = read(flag.as_ref()).await?;
            let filters: Vec<Target> = addresses
                .iter()
                .map(|a| parse_addr(a))
                .collect::<anyhow::Result<_>>()?;
            for (a, _, _) in st.instances() {
                if filters.is_empty() || filters.iter().any(|t| t.contains(&a)) {
                    writeln!(out, "{a}")?;
                }
            }
        }
        StateCommand::Show {
            state: flag,
            address,
        } => {
            let (_, st) = read(flag.as_ref()).await?;
            let t = parse_addr(&address)?;
            let found = matching(&st, &t);
            let Some(addr) = found.first() else {
                bail!(
                    "No instance found for the given address!\n\nThis command requires that the address references one specific instance. To view the available instances, use \"cairn state list\"."
                );
            };
            if found.len() > 1 {
                bail!(
                    "Multiple instances found for the given address!\n\nThis command requires that the address references one specific instance. To view the available instances, use \"cairn state list\"."
                );
            }
            let mut one = State {
                outputs: Default::default(),
                resources: Default::default(),
                ..st.clone()
            };
            if let (Some(rs), Some(inst)) = (st.resources.get(&addr.resource), st.instance(addr)) {
                one.set_instance(addr, &rs.provider, Some(inst.clone()));
            }
            show_state(&mut out, &one, ui)?;
        }
        StateCommand::Rm {
            lock,
            dry_run,
            state: flag,
            addresses,
        } => {
            let path = path_for(flag.as_ref())?;
            let backend = support::backend(&path);
            let guard = LockGuard::acquire(
                &backend,
                lock.lock && !dry_run,
                "OperationTypeInvalid",
                &lock.lock_timeout,
            )
            .await?;
            let mut st = backend.read().await?.unwrap_or_default();
            let mut removed = Vec::new();
            for a in &addresses {
                let t = parse_addr(a)?;
                let found = matching(&st, &t);
                if found.is_empty() {
                    bail!(
                        "Invalid target address\n\nNo matching objects found for {a}. To view the available instances, use \"cairn state list\"."
                    );
                }
                for addr in found {
                    let provider = st
                        .resources
                        .get(&addr.resource)
                        .map(|r| r.provider.clone())
                        .unwrap_or_default();
                    st.set_instance(&addr, &provider, None);
                    removed.push(addr);
                }
            }
            for a in &removed {
                if dry_run {
                    writeln!(out, "Would remove {a}")?;
                } else {
                    writeln!(out, "Removed {a}")?;
                }
            }
            if !dry_run {
                backend.write(&st).await?;
                writeln!(
                    out,
                    "Successfully removed {} resource instance(s).",
                    removed.len()
                )?;
            }
            guard.release().await?;
        }
        StateCommand::Mv {
            lock,
            dry_run,
            state: flag,
            source,
            destination,
        } => {
            let path = path_for(flag.as_ref())?;
            let backend = support::backend(&path);
            let guard = LockGuard::acquire(
                &backend,
                lock.lock && !dry_run,
                "OperationTypeInvalid",
                &lock.lock_timeout,
            )
            .await?;
            let mut st = backend.read().await?.unwrap_or_default();
            let (src, dst) = (parse_addr(&source)?, parse_addr(&destination)?);
            let moves: Vec<(InstanceAddr, InstanceAddr)> = match (&src, &dst) {
                (Target::Instance(s), Target::Instance(d)) => vec![(s.clone(), d.clone())],
                (Target::Resource(s), Target::Resource(d)) => matching(&st, &src)
                    .into_iter()
                    .map(|a| (a.clone(), d.instance(a.key.clone())))
                    .filter(|(a, _)| &a.resource == s)
                    .collect(),
                (Target::Instance(s), Target::Resource(d)) => {
                    vec![(s.clone(), d.instance(crate::addr::InstanceKey::None))]
                }
                _ => bail!(
                    "Invalid move\n\nCannot move {source} to {destination}: both must be resources or resource instances."
                ),
            };
            if moves.is_empty() || moves.iter().any(|(s, _)| st.instance(s).is_none()) {
                bail!(
                    "Invalid source address\n\nCannot move {source}: it does not exist in the current state."
                );
            }
            for (s, d) in &moves {
                if st.instance(d).is_some() {
                    bail!(
                        "Invalid target address\n\nCannot move to {d}: there is already a resource instance at that address in the current state."
                    );
                }
                if s.resource.ty != d.resource.ty || s.resource.mode != d.resource.mode {
                    bail!(
                        "Invalid state move request\n\nCannot move {s} to {d}: resource types do not match."
                    );
                }
            }
            for (s, d) in &moves {
                let provider = st
                    .resources
                    .get(&s.resource)
                    .map(|r| r.provider.clone())
                    .unwrap_or_default();
                let inst = st.instance(s).cloned();
                st.set_instance(s, &provider, None);
                st.set_instance(d, &provider, inst);
                writeln!(
                    out,
                    "{}Move \"{s}\" to \"{d}\"",
                    if dry_run { "Would " } else { "" }
                )?;
            }
            if !dry_run {
                backend.write(&st).await?;
                writeln!(out, "Successfully moved {} object(s).", moves.len())?;
            }
            guard.release().await?;
        }
    }
    Ok(0)
}

pub(crate) async fn force_unlock(args: ForceUnlockArgs, _ui: Ui) -> anyhow::Result<i32> {
    let path = path_for(None)?;
    let backend = support::backend(&path);
    backend.force_unlock(&args.lock_id).await?;
    println!(
        "cairn state has been successfully unlocked!\n\nThe state has been unlocked, and cairn commands should now be able to obtain a new lock on the remote state."
    );
    Ok(0)
}

pub(crate) async fn graph(_args: GraphArgs, ui: Ui) -> anyhow::Result<i32> {
    let config = support::load_config(ui, false)?;
    // A cycle is an error here as in every other command.
    if let Err(ds) = graph::build(&config) {
        support::report(&ds, &config.sources, ui);
        return Err(super::Reported.into());
    }
    let mut tree = graph::tree::resource_tree(&config);
    graph::tree::transitive_reduction(&mut tree);
    let mut out = std::io::stdout().lock();
    writeln!(out, "digraph G {{")?;
    writeln!(out, "  rankdir = \"RL\";")?;
    writeln!(out, "  node [shape = rect, fontname = \"sans-serif\"];")?;
    // Terraform's layout: the root's resources, then a cluster per module (in pre-order) with
    // resources labelled by their local address, then every edge.
    for m in &tree {
        if m.path.is_empty() {
            for (local, _, _) in &m.resources {
                writeln!(out, "  \"{local}\" [label=\"{local}\"];")?;
            }
            continue;
        }
        if m.resources.is_empty() {
            continue;
        }
        writeln!(out, "  subgraph \"cluster_{}\" {{", m.path)?;
        writeln!(out, "    label = \"{}\"", m.path)?;
        writeln!(out, "    fontname = \"sans-serif\"")?;
        for (local, full, _) in &m.resources {
            writeln!(out, "    \"{full}\" [label=\"{local}\"];")?;
        }
        writeln!(out, "  }}")?;
    }
    for m in &tree {
        for (_, full, deps) in &m.resources {
            for d in deps {
                writeln!(out, "  \"{full}\" -> \"{d}\";")?;
            }
        }
    }
    writeln!(out, "}}")?;
    Ok(0)
}
