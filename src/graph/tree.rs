//! Resource-to-resource dependencies across the whole module tree, as `terraform graph` draws
//! them: a reference to `module.NAME.OUTPUT` leads to the resources that output refers to in the
//! child, and a child's `var.NAME` leads back to what the call's argument refers to in the
//! caller. Locals and outputs are looked through; resources end a path. This module reads
//! configuration only: it must not evaluate expressions or read state.

use std::collections::{BTreeSet, HashSet};

use crate::config::{Config, Module, ModuleCall};
use crate::lang::{self, Reference, Subject};

/// One module of the tree: its address prefix (`module.a.module.b.`, empty for the root) and
/// its resources, each with the full addresses of the resources it depends on.
#[derive(Debug, PartialEq)]
pub struct ModuleResources {
    /// `module.a.module.b`, or empty for the root.
    pub path: String,
    /// (local address, full address, dependencies as full addresses), sorted by address.
    pub resources: Vec<(String, String, BTreeSet<String>)>,
}

/// The module tree in pre-order (the root first, calls by name), with resource dependencies.
pub fn resource_tree(config: &Config) -> Vec<ModuleResources> {
    let mut ctxs = Vec::new();
    collect(&config.root, String::new(), None, &mut ctxs);
    let walker = Walker { ctxs: &ctxs };
    ctxs.iter()
        .enumerate()
        .map(|(i, c)| {
            let mut resources: Vec<(String, String, BTreeSet<String>)> =
                c.m.resources
                    .values()
                    .map(|r| {
                        let mut refs = lang::body_references(&r.body);
                        for e in r.count.iter().chain(&r.for_each).chain(&r.depends_on) {
                            refs.extend(lang::references(e));
                        }
                        let mut out = BTreeSet::new();
                        let mut seen = HashSet::new();
                        walker.deps(i, refs, &mut out, &mut seen);
                        // What each enclosing call's count, for_each and depends_on refer to holds
                        // for every resource inside it.
                        let mut at = i;
                        while let Some((parent, call)) = ctxs[at].parent {
                            let mut refs = Vec::new();
                            for e in call
                                .count
                                .iter()
                                .chain(&call.for_each)
                                .chain(&call.depends_on)
                            {
                                refs.extend(lang::references(e));
                            }
                            walker.deps(parent, refs, &mut out, &mut seen);
                            at = parent;
                        }
                        let local = r.addr.to_string();
                        (local.clone(), format!("{}{local}", c.prefix), out)
                    })
                    .collect();
            resources.sort_by(|a, b| a.0.cmp(&b.0));
            ModuleResources {
                path: c.prefix.trim_end_matches('.').to_string(),
                resources,
            }
        })
        .collect()
}

struct Ctx<'a> {
    m: &'a Module,
    /// `module.a.` (with the trailing dot), empty for the root.
    prefix: String,
    /// The caller's context and the call that made this one.
    parent: Option<(usize, &'a ModuleCall)>,
}

fn collect<'a>(
    m: &'a Module,
    prefix: String,
    parent: Option<(usize, &'a ModuleCall)>,
    out: &mut Vec<Ctx<'a>>,
) {
    let me = out.len();
    out.push(Ctx {
        m,
        prefix: prefix.clone(),
        parent,
    });
    let mut calls: Vec<&ModuleCall> = m.calls.values().collect();
    calls.sort_by(|a, b| a.name.cmp(&b.name));
    for call in calls {
        collect(
            &call.module,
            format!("{prefix}module.{}.", call.name),
            Some((me, call)),
            out,
        );
    }
}

struct Walker<'a> {
    ctxs: &'a [Ctx<'a>],
}

impl Walker<'_> {
    /// The context of the module called `name` from context `at`.
    fn child(&self, at: usize, name: &str) -> Option<usize> {
        self.ctxs
            .iter()
            .position(|c| matches!(c.parent, Some((p, call)) if p == at && call.name == name))
    }

    /// Every resource of the module at `at` and of the modules it calls.
    fn subtree(&self, at: usize, out: &mut BTreeSet<String>) {
        let c = &self.ctxs[at];
        out.extend(c.m.resources.keys().map(|a| format!("{}{a}", c.prefix)));
        for (i, d) in self.ctxs.iter().enumerate() {
            if matches!(d.parent, Some((p, _)) if p == at) {
                self.subtree(i, out);
            }
        }
    }

    fn deps(
        &self,
        at: usize,
        refs: Vec<Reference>,
        out: &mut BTreeSet<String>,
        seen: &mut HashSet<(usize, String)>,
    ) {
        let c = &self.ctxs[at];
        for r in refs {
            match &r.subject {
                Subject::Resource(a) if c.m.resources.contains_key(a) => {
                    out.insert(format!("{}{a}", c.prefix));
                }
                Subject::Local(n) => {
                    if let Some(l) = c.m.locals.get(n.as_str())
                        && seen.insert((at, format!("local.{n}")))
                    {
                        self.deps(at, lang::references(&l.expr), out, seen);
                    }
                }
                Subject::Var(n) => {
                    if let Some((parent, call)) = c.parent
                        && let Some(arg) = call.args.get(n.as_str())
                        && seen.insert((at, format!("var.{n}")))
                    {
                        self.deps(parent, lang::references(arg), out, seen);
                    }
                }
                Subject::Module(n) => {
                    let Some(child) = self.child(at, n) else {
                        continue;
                    };
                    let outputs = &self.ctxs[child].m.outputs;
                    let wanted: Vec<String> = match r.attr.clone() {
                        Some(o) if outputs.contains_key(&o) => vec![o],
                        Some(_) => outputs.keys().cloned().collect(),
                        None => {
                            // The whole module (`depends_on = [module.x]`): everything in it.
                            self.subtree(child, out);
                            continue;
                        }
                    };
                    for o in wanted {
                        let Some(output) = outputs.get(&o) else {
                            continue;
                        };
                        if !seen.insert((child, format!("output.{o}"))) {
                            continue;
                        }
                        let mut refs = lang::references(&output.value);
                        for e in &output.depends_on {
                            refs.extend(lang::references(e));
                        }
                        self.deps(child, refs, out, seen);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Drops every edge implied by a longer path (`a → c` when `a → b → c`), as `terraform graph`
/// draws only the transitive reduction.
pub fn transitive_reduction(tree: &mut [ModuleResources]) {
    use std::collections::HashMap;
    let edges: HashMap<String, BTreeSet<String>> = tree
        .iter()
        .flat_map(|m| m.resources.iter())
        .map(|(_, full, deps)| (full.clone(), deps.clone()))
        .collect();
    // Everything reachable from a node through at least one edge.
    fn reach<'a>(
        n: &'a str,
        edges: &'a HashMap<String, BTreeSet<String>>,
        memo: &mut HashMap<&'a str, BTreeSet<&'a str>>,
        visiting: &mut HashSet<&'a str>,
    ) -> BTreeSet<&'a str> {
        if let Some(r) = memo.get(n) {
            return r.clone();
        }
        let mut out = BTreeSet::new();
        if !visiting.insert(n) {
            return out;
        }
        for d in edges.get(n).into_iter().flatten() {
            out.insert(d.as_str());
            out.extend(reach(d, edges, memo, visiting));
        }
        visiting.remove(n);
        memo.insert(n, out.clone());
        out
    }
    let mut memo = HashMap::new();
    let mut implied: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (n, deps) in &edges {
        let mut drop = BTreeSet::new();
        for d in deps {
            let via_other = deps
                .iter()
                .filter(|o| *o != d)
                .any(|o| reach(o, &edges, &mut memo, &mut HashSet::new()).contains(d.as_str()));
            if via_other {
                drop.insert(d.clone());
            }
        }
        implied.insert(n.clone(), drop);
    }
    for m in tree {
        for (_, full, deps) in &mut m.resources {
            if let Some(drop) = implied.get(full) {
                deps.retain(|d| !drop.contains(d));
            }
        }
    }
}
