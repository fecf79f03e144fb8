//! Moves: rewrites the addresses of objects in the prior state as `moved` blocks (and
//! Terraform's implicit moves between `a` and `a[0]` when `count` is added or removed) say,
//! before anything is refreshed or planned. Also checks the statements themselves: a move from
//! something still declared, and chains that form a cycle, are errors; a move onto an address
//! that already holds an object is skipped with a warning, as Terraform does.
//!
//! It works on a `State` and the static configuration only: it must not call providers or
//! evaluate expressions.

use std::collections::{BTreeSet, HashSet};

use crate::addr::{InstanceAddr, InstanceKey, ModulePath, ModuleStep, ResourceAddr, Target};
use crate::config::{Config, Module};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::state::State;

use super::Move;

/// One move statement with absolute addresses.
struct Statement {
    from: Target,
    to: Target,
    /// The `moved` block; `None` for an implicit move.
    span: Option<Span>,
}

/// Applies the configuration's moves to `state` and returns what moved. Errors (a cycle, a move
/// from an address still declared) are returned; warnings are added to `diags`.
pub fn apply_moves(
    config: &Config,
    state: &mut State,
    diags: &mut Diagnostics,
) -> Result<Vec<Move>, Diagnostics> {
    let mut errors = Diagnostics::new();
    let module_paths: BTreeSet<ModulePath> =
        state.resources.keys().map(|a| a.module.clone()).collect();
    let mut statements = Vec::new();
    collect(
        config,
        &config.root,
        &mut Vec::new(),
        &module_paths,
        &mut statements,
        &mut Diagnostics::new(),
    );
    // A module's own statements also apply where its instances are moving to.
    let mut module_paths = module_paths;
    for p in module_paths.clone() {
        let mut cur = p;
        let mut used = HashSet::new();
        while let Some((i, next)) =
            statements
                .iter()
                .enumerate()
                .find_map(|(i, s)| match (&s.from, &s.to) {
                    (Target::Module(f), Target::Module(t)) if !used.contains(&i) => {
                        rewrite_module(&cur, f, t).map(|n| (i, n))
                    }
                    _ => None,
                })
        {
            used.insert(i);
            module_paths.insert(next.clone());
            cur = next;
        }
    }
    statements.clear();
    collect(
        config,
        &config.root,
        &mut Vec::new(),
        &module_paths,
        &mut statements,
        &mut errors,
    );
    check_cycles(config, &statements, &mut errors);
    if errors.has_errors() {
        return Err(errors);
    }
    // Implicit moves apply only where no explicit statement moves the object.
    let explicit = statements.len();
    implicit(&config.root, &mut Vec::new(), state, &mut statements);

    if statements.is_empty() {
        return Ok(Vec::new());
    }
    // Each object follows the chain of statements that match it, each statement once.
    let mut planned: Vec<(InstanceAddr, InstanceAddr, Option<Span>)> = Vec::new();
    for (addr, _, _) in state.instances() {
        if addr.resource.mode != crate::addr::Mode::Managed {
            continue;
        }
        let mut cur = addr.clone();
        let mut used = HashSet::new();
        let mut last = None;
        loop {
            let next = statements.iter().enumerate().find_map(|(i, s)| {
                if used.contains(&i) || (i >= explicit && !used.is_empty()) {
                    return None;
                }
                rewrite(s, &cur).map(|to| (i, to))
            });
            match next {
                Some((i, to)) => {
                    used.insert(i);
                    last = statements[i].span.clone();
                    cur = to;
                }
                None => break,
            }
        }
        if cur != addr {
            planned.push((addr, cur, last));
        }
    }
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    let leaving: HashSet<&InstanceAddr> = planned.iter().map(|(f, _, _)| f).collect();
    let mut taken: HashSet<InstanceAddr> = state
        .instances()
        .map(|(a, _, _)| a)
        .filter(|a| !leaving.contains(a))
        .collect();
    let mut moves = Vec::new();
    let mut blocked = Vec::new();
    let mut blocked_at = None;
    for (from, to, span) in &planned {
        if taken.contains(to) {
            blocked.push(format!("  - {from} could not move to {to}"));
            if blocked_at.is_none() {
                blocked_at = span.clone();
            }
            continue;
        }
        taken.insert(to.clone());
        moves.push(Move {
            from: from.clone(),
            to: to.clone(),
        });
    }
    // Take every moving object out first, so that swaps and chains cannot collide.
    let mut objects = Vec::new();
    for m in &moves {
        let provider = state
            .resources
            .get(&m.from.resource)
            .map(|r| r.provider.clone());
        let inst = state.instance(&m.from).cloned();
        if let (Some(p), Some(i)) = (provider, inst) {
            state.set_instance(&m.from, &p, None);
            objects.push((m.to.clone(), p, i));
        }
    }
    for (to, p, i) in objects {
        state.set_instance(&to, &p, Some(i));
    }
    if !blocked.is_empty() {
        diags.push(Diagnostic::warning(
            "Unresolved resource instance address changes",
            format!(
                "cairn tried to adjust resource instance addresses in the prior state based on change information recorded in the configuration, but some adjustments did not succeed due to existing objects already at the intended addresses:\n{}\n\ncairn has planned to destroy these objects. If cairn's proposed changes aren't appropriate, you must first resolve the conflicts using the \"cairn state\" subcommands and then create a new plan.",
                blocked.join("\n")
            ),
        ).at_opt(blocked_at));
    }
    moves.sort_by(|a, b| a.to.cmp(&b.to));
    Ok(moves)
}

/// Gathers the explicit statements of `m` (at configuration path `names`) for every module
/// instance of that path in state, checking that no `from` is still declared.
fn collect(
    config: &Config,
    m: &Module,
    names: &mut Vec<String>,
    module_paths: &BTreeSet<ModulePath>,
    out: &mut Vec<Statement>,
    errors: &mut Diagnostics,
) {
    for mv in &m.moved {
        if let Some(decl) = still_declared(m, &mv.from) {
            let at = position(config, &decl);
            let to = relative(&mv.to);
            errors.push(
                Diagnostic::error(
                    "Moved object still exists",
                    format!(
                        "This statement declares a move from {}, but that {} is still declared at {at}.\n\nChange your configuration so that this {} will be declared as {to} instead.",
                        relative(&mv.from),
                        kind(&mv.from),
                        kind(&mv.from)
                    ),
                )
                .at(mv.span.clone(), ""),
            );
            continue;
        }
        let instances: Vec<ModulePath> = if names.is_empty() {
            vec![ModulePath::root()]
        } else {
            module_paths
                .iter()
                .filter(|p| p.0.iter().map(|s| &s.name).eq(names.iter()))
                .cloned()
                .collect()
        };
        for prefix in instances {
            out.push(Statement {
                from: absolute(&prefix, &mv.from),
                to: absolute(&prefix, &mv.to),
                span: Some(mv.span.clone()),
            });
        }
    }
    for (name, call) in &m.calls {
        names.push(name.clone());
        collect(config, &call.module, names, module_paths, out, errors);
        names.pop();
    }
}

/// Where `from` is still declared in `m`, if it is.
fn still_declared(m: &Module, from: &Target) -> Option<Span> {
    match from {
        Target::Resource(r) => {
            let child = module_at(m, &r.module)?;
            child.resources.get(&local(r)).map(|decl| decl.span.clone())
        }
        Target::Instance(i) => {
            let child = module_at(m, &i.resource.module)?;
            let decl = child.resources.get(&local(&i.resource))?;
            let repeated = decl.count.is_some() || decl.for_each.is_some();
            match (&i.key, repeated) {
                (InstanceKey::None, false) => Some(decl.span.clone()),
                _ => None,
            }
        }
        Target::Module(p) => {
            let (last, parent) = p.0.split_last()?;
            let parent = module_at(m, &ModulePath(parent.to_vec()))?;
            let call = parent.calls.get(last.name.as_str())?;
            let repeated = call.count.is_some() || call.for_each.is_some();
            (last.key == InstanceKey::None && !repeated).then(|| call.span.clone())
        }
    }
}

fn module_at<'m>(m: &'m Module, path: &ModulePath) -> Option<&'m Module> {
    let mut cur = m;
    for s in &path.0 {
        cur = cur.child(&s.name)?;
    }
    Some(cur)
}

fn local(r: &ResourceAddr) -> ResourceAddr {
    ResourceAddr {
        module: ModulePath::root(),
        ..r.clone()
    }
}

fn kind(t: &Target) -> &'static str {
    match t {
        Target::Module(_) => "module call",
        Target::Resource(_) => "resource",
        Target::Instance(_) => "resource instance",
    }
}

/// A statement's address as written in its module.
fn relative(t: &Target) -> String {
    t.to_string()
}

pub(crate) fn absolute(prefix: &ModulePath, t: &Target) -> Target {
    let join = |m: &ModulePath| {
        let mut steps = prefix.0.clone();
        steps.extend(m.0.iter().cloned());
        ModulePath(steps)
    };
    match t {
        Target::Module(m) => Target::Module(join(m)),
        Target::Resource(r) => Target::Resource(ResourceAddr {
            module: join(&r.module),
            ..r.clone()
        }),
        Target::Instance(i) => Target::Instance(InstanceAddr {
            resource: ResourceAddr {
                module: join(&i.resource.module),
                ..i.resource.clone()
            },
            key: i.key.clone(),
        }),
    }
}

/// The implicit moves: a resource with `count` whose object in state has no key moves to `[0]`,
/// and a resource without `count`/`for_each` whose only object is `[0]` moves to no key.
fn implicit(m: &Module, names: &mut Vec<String>, state: &State, out: &mut Vec<Statement>) {
    for (addr, rs) in &state.resources {
        if addr.mode != crate::addr::Mode::Managed
            || !addr.module.0.iter().map(|s| &s.name).eq(names.iter())
        {
            continue;
        }
        // Configuration addresses are module-relative; a root address is one already (and
        // is not copied: this runs for every object in state).
        let decl = if addr.module.is_root() {
            m.resources.get(addr)
        } else {
            m.resources.get(&local(addr))
        };
        let Some(decl) = decl else {
            continue;
        };
        let has = |k: &InstanceKey| rs.instances.contains_key(k);
        let (from, to) = if decl.count.is_some() {
            if has(&InstanceKey::None) && !has(&InstanceKey::Int(0)) {
                (InstanceKey::None, InstanceKey::Int(0))
            } else {
                continue;
            }
        } else if decl.for_each.is_none() {
            if has(&InstanceKey::Int(0)) && !has(&InstanceKey::None) {
                (InstanceKey::Int(0), InstanceKey::None)
            } else {
                continue;
            }
        } else {
            continue;
        };
        out.push(Statement {
            from: Target::Instance(addr.instance(from)),
            to: Target::Instance(addr.instance(to)),
            span: None,
        });
    }
    for (name, call) in &m.calls {
        names.push(name.clone());
        implicit(&call.module, names, state, out);
        names.pop();
    }
}

/// Where a statement sends the object at `addr`, if the statement matches it.
fn rewrite(s: &Statement, addr: &InstanceAddr) -> Option<InstanceAddr> {
    match (&s.from, &s.to) {
        (Target::Instance(f), Target::Instance(t)) => (addr == f).then(|| t.clone()),
        (Target::Resource(f), Target::Resource(t)) => {
            (&addr.resource == f).then(|| t.instance(addr.key.clone()))
        }
        (Target::Module(f), Target::Module(t)) => {
            let module = rewrite_module(&addr.resource.module, f, t)?;
            Some(InstanceAddr {
                resource: ResourceAddr {
                    module,
                    ..addr.resource.clone()
                },
                key: addr.key.clone(),
            })
        }
        _ => None,
    }
}

/// `module.a` → `module.b` moves `module.a.x` to `module.b.x` and, when neither names a key,
/// every instance `module.a[K]` to `module.b[K]`.
fn rewrite_module(p: &ModulePath, from: &ModulePath, to: &ModulePath) -> Option<ModulePath> {
    if p.0.len() < from.0.len() {
        return None;
    }
    let n = from.0.len();
    let mut carried = None;
    for (i, (have, want)) in p.0.iter().zip(&from.0).enumerate() {
        if have.name != want.name {
            return None;
        }
        if i + 1 == n && want.key == InstanceKey::None {
            carried = Some(have.key.clone());
        } else if have.key != want.key {
            return None;
        }
    }
    let mut steps: Vec<ModuleStep> = to.0.clone();
    if let (Some(k), Some(last)) = (carried, steps.last_mut())
        && last.key == InstanceKey::None
    {
        last.key = k;
    }
    steps.extend(p.0[n..].iter().cloned());
    Some(ModulePath(steps))
}

/// Whether a statement's `to` leads into another statement's `from`.
fn leads_to(a: &Statement, b: &Statement) -> bool {
    match (&a.to, &b.from) {
        (Target::Instance(t), Target::Instance(f)) => t == f,
        (Target::Resource(t), Target::Resource(f)) => t == f,
        (Target::Instance(t), Target::Resource(f)) => &t.resource == f,
        (Target::Resource(t), Target::Instance(f)) => t == &f.resource,
        (Target::Module(t), Target::Module(f)) => t == f,
        _ => false,
    }
}

/// Chains of statements that come back to where they started have no final address.
fn check_cycles(config: &Config, statements: &[Statement], errors: &mut Diagnostics) {
    let n = statements.len();
    let mut reported: HashSet<usize> = HashSet::new();
    for start in 0..n {
        if reported.contains(&start) {
            continue;
        }
        // Follow the first successor each time; a cycle through `start` is found by walking.
        let mut path = vec![start];
        let mut cur = start;
        let mut found = false;
        for _ in 0..n {
            let Some(next) =
                (0..n).find(|&j| j != cur && leads_to(&statements[cur], &statements[j]))
            else {
                break;
            };
            if next == start {
                found = true;
                break;
            }
            if path.contains(&next) {
                break;
            }
            path.push(next);
            cur = next;
        }
        if !found {
            continue;
        }
        reported.extend(path.iter().copied());
        let mut lines = Vec::new();
        let mut first_span = None;
        let mut ordered = path.clone();
        ordered.sort();
        for i in ordered {
            let s = &statements[i];
            let Some(span) = &s.span else { continue };
            first_span.get_or_insert_with(|| span.clone());
            lines.push(format!(
                "  - {}: {} → {}",
                position(config, span),
                endpoint(&s.from),
                endpoint(&s.to)
            ));
        }
        errors.push(
            Diagnostic::error(
                "Cyclic dependency in move statements",
                format!(
                    "The following chained move statements form a cycle, and so there is no final location to move objects to:\n{}\n\nA chain of move statements must end with an address that doesn't appear in any other statements, and which typically also refers to an object still declared in the configuration.",
                    lines.join("\n")
                ),
            )
            .at_opt(first_span),
        );
    }
}

/// A statement endpoint as Terraform lists it in a cycle (`terraform_data.a[*]` for a whole
/// resource).
fn endpoint(t: &Target) -> String {
    match t {
        Target::Resource(r) => format!("{r}[*]"),
        Target::Module(m) => format!("{m}"),
        Target::Instance(i) => format!("{i}"),
    }
}

/// `main.tf:2,1`, as Terraform names a position in these messages.
fn position(config: &Config, span: &Span) -> String {
    let (l, c) = config.sources.line_col(span.file, span.range.start);
    format!("{}:{l},{c}", config.sources.name(span.file))
}
