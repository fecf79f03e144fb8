//! The dependency graph of a configuration: which variables, locals, provider configurations,
//! resources, outputs and module calls each object references (one graph per module, with a
//! child graph per module call), built from the references in expressions and
//! `depends_on`. It orders the planning walk, finds cycles (a diagnostic naming every object on
//! the cycle and pointing at the references), and gives each resource its direct resource
//! dependencies as stored in state.
//!
//! When modules are called, [`Tree`] joins the module graphs into one at Terraform's
//! granularity (a call argument feeds one child variable, a reference to `module.NAME.OUTPUT`
//! comes from that output), so two calls may use each other's outputs; it finds the cycles that
//! pass through modules and orders the planning walk.
//!
//! Nodes are blocks, not instances: instance-level ordering for apply is derived from these
//! block-level edges by the executor with per-block counters, which keeps edges linear in the
//! configuration size however large `count` grows. petgraph stays private to this module.
//! It must not evaluate expressions or read state.

pub mod tree;

// foldhash: the graph hashes a node or an edge for every reference, and SipHash's
// flood resistance buys nothing for addresses read from the configuration.
use foldhash::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::addr::{Name, ResourceAddr};
use crate::config::{Config, Expr, Module, ProviderRef, Resource};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::{self, Reference, Subject};

/// An object of the configuration that takes part in ordering.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Var(Name),
    Local(Name),
    Provider(ProviderRef),
    Resource(ResourceAddr),
    Output(Name),
    /// A `module` block (all its instances).
    ModuleCall(Name),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Var(n) => write!(f, "var.{n}"),
            Node::Local(n) => write!(f, "local.{n}"),
            Node::Provider(p) => match &p.alias {
                Some(a) => write!(f, "provider.{}.{a}", p.name),
                None => write!(f, "provider.{}", p.name),
            },
            Node::Resource(r) => write!(f, "{r}"),
            Node::Output(n) => write!(f, "output.{n}"),
            Node::ModuleCall(n) => write!(f, "module.{n}"),
        }
    }
}

/// The dependency graph. An edge `a → b` means `b` depends on `a`.
pub struct Graph {
    g: DiGraph<Node, Option<Span>>,
    index: HashMap<Node, NodeIndex>,
    order: Vec<Node>,
    /// The position of each node of `order` in the graph (see [`Graph::position`]).
    positions: Vec<usize>,
    /// The graph of each module call's child module.
    children: HashMap<String, Graph>,
    /// The module's edges at the granularity of the whole tree (module outputs, child
    /// variables), kept when the module takes part in a tree of modules (see [`Tree`]).
    facts: Vec<Fact>,
    /// Whether the edges between whole module calls form a cycle here (module calls that use
    /// each other's outputs): `order` is then only an order of the strongly connected parts,
    /// and the graph of the whole tree orders the planning walk.
    call_cycle: bool,
    /// The graph of the whole module tree (only on the root's graph, when it calls modules).
    tree: Option<Tree>,
}

impl Graph {
    /// The graph of the module called by `module "name"`.
    pub fn child(&self, name: &str) -> Option<&Graph> {
        self.children.get(name)
    }

    /// The graph of the whole module tree, on the root's graph when it calls modules.
    pub fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    /// Whether module calls of this module refer to each other's outputs, so that no order of
    /// whole calls exists (each output still comes after what it refers to).
    pub fn has_call_cycle(&self) -> bool {
        self.call_cycle
    }

    /// The module calls a node depends on, looking through variables, locals, provider
    /// configurations and other module calls (but not through resources): a reference to
    /// `module.a.x` makes a node wait for every resource in `module.a`.
    pub fn module_dependencies(&self, node: &Node) -> Vec<String> {
        let Some(&start) = self.index.get(node) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            for j in self.g.neighbors_directed(i, petgraph::Direction::Incoming) {
                if !seen.insert(j) {
                    continue;
                }
                match &self.g[j] {
                    Node::Resource(_) => {}
                    Node::ModuleCall(n) => {
                        out.push(n.to_string());
                        stack.push(j);
                    }
                    _ => stack.push(j),
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Nodes in an order where every node comes after everything it depends on.
    pub fn order(&self) -> &[Node] {
        &self.order
    }

    /// The position of each node of [`Graph::order`], in the same order: a walk that keeps
    /// them looks nothing up (at 100,000 resources, each lookup of an address in the index
    /// was a cache miss).
    pub fn order_positions(&self) -> &[usize] {
        &self.positions
    }

    /// The direct dependencies of a node.
    pub fn dependencies(&self, node: &Node) -> Vec<&Node> {
        let Some(&i) = self.index.get(node) else {
            return Vec::new();
        };
        self.g
            .neighbors_directed(i, petgraph::Direction::Incoming)
            .map(|j| &self.g[j])
            .collect()
    }

    /// The position of a node in this graph, for [`Graph::dependencies_at`].
    pub fn position(&self, node: &Node) -> Option<usize> {
        self.index.get(node).map(|i| i.index())
    }

    /// [`Graph::dependencies`] of the node at a position, with their positions: a caller that
    /// keeps sets of nodes keeps positions, with nothing to hash but a number.
    pub fn dependencies_at(&self, i: usize) -> impl Iterator<Item = (usize, &Node)> + '_ {
        self.g
            .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Incoming)
            .map(|j| (j.index(), &self.g[j]))
    }

    /// Whether anything depends on a node: refers to it, or names it in `depends_on`.
    pub fn has_dependents(&self, node: &Node) -> bool {
        self.index
            .get(node)
            .is_some_and(|&i| self.has_dependents_at(i.index()))
    }

    /// [`Graph::has_dependents`] of the node at a position.
    pub fn has_dependents_at(&self, i: usize) -> bool {
        self.g
            .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Outgoing)
            .next()
            .is_some()
    }

    /// The resources a node depends on, looking through variables, locals and provider
    /// configurations (but not through other resources): what state records as `dependencies`.
    pub fn resource_dependencies(&self, node: &Node) -> Vec<ResourceAddr> {
        match self.index.get(node) {
            Some(&start) => self.resource_dependencies_at(start.index()),
            None => Vec::new(),
        }
    }

    /// [`Graph::resource_dependencies`] of the node at a position.
    pub fn resource_dependencies_at(&self, start: usize) -> Vec<ResourceAddr> {
        let start = NodeIndex::new(start);
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            for j in self.g.neighbors_directed(i, petgraph::Direction::Incoming) {
                if !seen.insert(j) {
                    continue;
                }
                match &self.g[j] {
                    Node::Resource(r) => out.push(r.clone()),
                    _ => stack.push(j),
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

impl Graph {
    /// The resources a node reaches through at least one variable, local or provider
    /// configuration: for those, which instance is used cannot be read off the node's own
    /// references.
    pub fn indirect_resource_dependencies(&self, node: &Node) -> HashSet<ResourceAddr> {
        let Some(&start) = self.index.get(node) else {
            return HashSet::default();
        };
        let mut out = HashSet::default();
        let mut seen = HashSet::default();
        let mut stack: Vec<NodeIndex> = self
            .g
            .neighbors_directed(start, petgraph::Direction::Incoming)
            .filter(|&j| !matches!(self.g[j], Node::Resource(_)))
            .collect();
        while let Some(i) = stack.pop() {
            if !seen.insert(i) {
                continue;
            }
            for j in self.g.neighbors_directed(i, petgraph::Direction::Incoming) {
                match &self.g[j] {
                    Node::Resource(r) => {
                        out.insert(r.clone());
                    }
                    _ => stack.push(j),
                }
            }
        }
        out
    }
}

/// Builds the graph of the root module and, nested, of every module it calls. References to
/// objects that are not declared are reported by evaluation (with a better message), not here;
/// they add no edge. When the root calls modules, the graph of the whole tree ([`Tree`]) is
/// built too: it finds the cycles that pass through module calls, and orders the walk.
pub fn build(config: &Config) -> Result<Graph, Diagnostics> {
    let mut g = build_nested(&config.root, !config.root.calls.is_empty())?;
    if !config.root.calls.is_empty() {
        let tree = Tree::build(&config.root, &g)?;
        project_orders(&mut g, &tree, 0);
        g.tree = Some(tree);
    }
    Ok(g)
}

/// Builds the graph of one module; with `nested`, of the modules it calls too. Module calls
/// that use each other's outputs are no cycle here (see [`Graph::has_call_cycle`]): only the
/// graph of the whole tree can tell whether one output really depends on itself.
pub fn build_module(m: &Module, nested: bool) -> Result<Graph, Diagnostics> {
    build_nested(m, nested && !m.calls.is_empty())
}

/// Gives each module graph whose calls use each other's outputs the order of its nodes in the
/// graph of the whole tree.
fn project_orders(g: &mut Graph, tree: &Tree, module: usize) {
    if g.call_cycle {
        g.order = tree
            .order
            .iter()
            .filter_map(|&i| match &tree.g[i] {
                (m, Step::Node(n)) if *m == module => Some(n.clone()),
                _ => None,
            })
            .collect();
        g.positions = g.order.iter().filter_map(|n| g.position(n)).collect();
    }
    for (name, child) in &mut g.children {
        if let Some(&c) = tree.children.get(&(module, name.clone())) {
            project_orders(child, tree, c);
        }
    }
}

/// With `facts`, the module's edges are also kept at the granularity of the whole tree.
/// The fewest resources whose references are worth finding on several threads.
const PARALLEL_REFERENCES: usize = 256;

/// What a resource's arguments, meta-arguments and conditions refer to, and what its
/// `depends_on` names.
pub(crate) fn resource_references(r: &Resource) -> (Vec<Reference>, Vec<Reference>) {
    let mut refs = lang::body_references(&r.body);
    for e in r.count.iter().chain(r.for_each.iter()) {
        refs.extend(lang::references(e));
    }
    for e in &r.lifecycle.replace_triggered_by {
        refs.extend(lang::references(e));
    }
    for c in r
        .lifecycle
        .preconditions
        .iter()
        .chain(&r.lifecycle.postconditions)
    {
        refs.extend(conditions_refs(&c.condition, &c.error_message));
    }
    let mut deps = Vec::new();
    for e in &r.depends_on {
        deps.extend(lang::references(e));
    }
    (refs, deps)
}

fn build_nested(m: &Module, facts: bool) -> Result<Graph, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut children = HashMap::default();
    if facts {
        for (name, call) in &m.calls {
            match build_nested(&call.module, true) {
                Ok(g) => {
                    children.insert(name.clone(), g);
                }
                Err(ds) => diags.extend(ds),
            }
        }
    }
    let nodes = m.calls.len()
        + m.variables.len()
        + m.locals.len()
        + m.providers.len()
        + m.resources.len()
        + m.outputs.len();
    let mut b = Builder {
        g: DiGraph::with_capacity(nodes, nodes),
        index: HashMap::with_capacity_and_hasher(nodes, Default::default()),
        edges: HashSet::default(),
        facts: Vec::new(),
        keep_facts: facts,
    };
    for name in m.calls.keys() {
        b.node(Node::ModuleCall(Name::new(name)));
    }
    for name in m.variables.keys() {
        b.node(Node::Var(Name::new(name)));
    }
    for name in m.locals.keys() {
        b.node(Node::Local(Name::new(name)));
    }
    for p in &m.providers {
        b.node(Node::Provider(p.reference()));
    }
    // Each resource's node, in the order of `m.resources`, for adding its edges unlooked-up.
    let resource_nodes: Vec<NodeIndex> = m
        .resources
        .keys()
        .map(|addr| b.node(Node::Resource(addr.clone())))
        .collect();
    for name in m.outputs.keys() {
        b.node(Node::Output(Name::new(name)));
    }

    for v in m.variables.values() {
        let to = To::Node(Node::Var(Name::new(&v.name)));
        for val in &v.validations {
            // Validation conditions may refer to the variable itself only (and, since Terraform
            // 1.9, to other objects).
            b.refs(m, &to, lang::references(&val.condition), false);
        }
    }
    for l in m.locals.values() {
        let to = To::Node(Node::Local(Name::new(&l.name)));
        b.refs(m, &to, lang::references(&l.expr), false);
    }
    for p in &m.providers {
        let to = To::Node(Node::Provider(p.reference()));
        b.refs(m, &to, lang::body_references(&p.body), false);
    }
    // What each resource refers to, found and looked up on every core when there are many:
    // every node exists by now, so the index is only read. Edges are then added in order.
    let resources: Vec<&Resource> = m.resources.values().collect();
    let found = |r: &&Resource| b.resource_edges(m, r);
    let edges = if resources.len() >= PARALLEL_REFERENCES {
        crate::par::map(&resources, found)
    } else {
        resources.iter().map(found).collect()
    };
    for ((r, edges), &node) in resources.into_iter().zip(edges).zip(&resource_nodes) {
        let to = To::Node(Node::Resource(r.addr.clone()));
        let b_index = Some(node);
        for e in edges {
            match e {
                Edge::Found(a, span) => match (b.keep_facts, b_index) {
                    // Without facts to keep, the node itself is not needed.
                    (false, Some(bi)) => b.add_index(a, bi, span),
                    _ => {
                        let from = From::Node(b.g[a].clone());
                        b.add_to(from, &to, b_index, span);
                    }
                },
                Edge::Other(r, depends_on) => b.refs(m, &to, vec![r], depends_on),
            }
        }
    }
    for o in m.outputs.values() {
        let to = To::Node(Node::Output(Name::new(&o.name)));
        let mut refs = lang::references(&o.value);
        for c in &o.preconditions {
            refs.extend(conditions_refs(&c.condition, &c.error_message));
        }
        b.refs(m, &to, refs, false);
        let mut deps = Vec::new();
        for e in &o.depends_on {
            deps.extend(lang::references(e));
        }
        b.refs(m, &to, deps, true);
    }
    for call in m.calls.values() {
        let to = To::Node(Node::ModuleCall(Name::new(&call.name)));
        let mut refs = Vec::new();
        for e in call.count.iter().chain(call.for_each.iter()) {
            refs.extend(lang::references(e));
        }
        b.refs(m, &to, refs, false);
        let mut deps = Vec::new();
        for e in &call.depends_on {
            deps.extend(lang::references(e));
        }
        b.refs(m, &to, deps, true);
        // Each argument feeds one variable of the child.
        for (arg, e) in &call.args {
            let to = if call.module.variables.contains_key(arg) {
                To::Var(call.name.clone(), arg.clone())
            } else {
                to.clone()
            };
            b.refs(m, &to, lang::references(e), false);
        }
        // Provider configurations passed to the module are configured first.
        for (_, parent) in &call.providers {
            if m.providers.iter().any(|p| p.is(parent)) {
                b.add(From::Node(Node::Provider(parent.clone())), &to, None);
            }
        }
    }
    match b.finish() {
        Ok(mut g) => {
            g.children = children;
            diags.into_result(g)
        }
        Err(ds) => {
            diags.extend(ds);
            Err(diags)
        }
    }
}

fn conditions_refs(cond: &Expr, msg: &Expr) -> Vec<Reference> {
    let mut refs = lang::references(cond);
    refs.extend(lang::references(msg));
    refs
}

/// Where an edge starts, seen from one module: one of its own nodes, or what a reference to a
/// module call needs of the child.
#[derive(Clone, Debug)]
enum From {
    Node(Node),
    /// `module.NAME.OUTPUT`: that output.
    Output(String, String),
    /// `module.NAME` in an expression: every output.
    Outputs(String),
    /// `module.NAME` in `depends_on`: everything in the module.
    Close(String),
}

/// An edge into a resource found on a worker thread: from a node of the module, or a
/// reference to a module call, which [`Builder::refs`] turns into edges.
enum Edge {
    Found(NodeIndex, Option<Span>),
    Other(Reference, bool),
}

/// Where an edge ends, seen from one module: one of its own nodes, or a child's variable
/// (a call argument).
#[derive(Clone, Debug)]
enum To {
    Node(Node),
    Var(String, String),
}

/// An edge of a module at the granularity of the whole tree.
#[derive(Clone, Debug)]
struct Fact {
    from: From,
    to: To,
    span: Option<Span>,
}

struct Builder {
    g: DiGraph<Node, Option<Span>>,
    index: HashMap<Node, NodeIndex>,
    /// The edges added so far: petgraph's own lookup scans a node's edges, which made building
    /// quadratic when thousands of resources reference one local.
    edges: HashSet<(NodeIndex, NodeIndex)>,
    facts: Vec<Fact>,
    keep_facts: bool,
}

impl Builder {
    fn node(&mut self, n: Node) -> NodeIndex {
        match self.index.entry(n) {
            std::collections::hash_map::Entry::Occupied(o) => *o.get(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let i = self.g.add_node(v.key().clone());
                *v.insert(i)
            }
        }
    }

    /// The index of a node, looked up without copying it.
    fn index_of(&self, n: &Node) -> Option<NodeIndex> {
        self.index.get(n).copied()
    }

    /// The index of the node of a module call.
    fn call_index(&self, call: &str) -> Option<NodeIndex> {
        self.index.get(&Node::ModuleCall(Name::new(call))).copied()
    }

    /// Adds an edge: between whole module calls in this module's graph, and as a fact for the
    /// graph of the whole tree. Nodes are looked up by reference: a plan of many resources
    /// adds an edge per reference, and copying addresses was most of building the graph.
    fn add(&mut self, from: From, to: &To, span: Option<Span>) {
        let b = self.to_index(to);
        self.add_to(from, to, b, span);
    }

    /// The node of this module's graph an edge to `to` ends at.
    fn to_index(&self, to: &To) -> Option<NodeIndex> {
        match to {
            To::Node(n) => self.index_of(n),
            To::Var(c, _) => self.call_index(c),
        }
    }

    /// [`Builder::add`], with the index of `to` (which a node's many references share).
    fn add_to(&mut self, from: From, to: &To, b: Option<NodeIndex>, span: Option<Span>) {
        let a = match &from {
            From::Node(n) => self.index_of(n),
            From::Output(c, _) | From::Outputs(c) | From::Close(c) => self.call_index(c),
        };
        if let (Some(a), Some(b)) = (a, b) {
            if a == b {
                // A variable's validation refers to the variable itself, which is no
                // dependency; a call using its own outputs is a cycle only if the outputs use
                // those arguments, which the graph of the tree tells. Anything else referring
                // to itself is a cycle of one.
                if matches!((&from, to), (From::Node(_), To::Node(n)) if !matches!(n, Node::Var(_)))
                {
                    self.g.add_edge(a, a, span.clone());
                }
            } else if self.edges.insert((a, b)) {
                self.g.add_edge(a, b, span.clone());
            }
        }
        if self.keep_facts {
            self.facts.push(Fact {
                from,
                to: to.clone(),
                span,
            });
        }
    }

    /// An edge between two nodes of this module's graph (`a` is no variable: see
    /// [`Builder::add_to`]), when there is none yet.
    fn add_index(&mut self, a: NodeIndex, b: NodeIndex, span: Option<Span>) {
        if a == b || self.edges.insert((a, b)) {
            self.g.add_edge(a, b, span);
        }
    }

    /// The edges into resource `r`, in the order [`Builder::refs`] would add them: references
    /// to nodes of `m` already looked up, the rest (module calls) left for `refs`. Reads the
    /// builder only, so resources can be done on several threads.
    fn resource_edges(&self, m: &Module, r: &Resource) -> Vec<Edge> {
        let (refs, deps) = resource_references(r);
        let mut out = Vec::with_capacity(refs.len() + deps.len() + 1);
        for (list, depends_on) in [(refs, false), (deps, true)] {
            for r in list {
                if matches!(&r.subject, Subject::Module(n) if m.calls.contains_key(n.as_str())) {
                    out.push(Edge::Other(r, depends_on));
                    continue;
                }
                // The reference's name becomes the node looked up, without a copy.
                let node = match r.subject {
                    Subject::Var(n) if m.variables.contains_key(n.as_str()) => Node::Var(n),
                    Subject::Local(n) if m.locals.contains_key(n.as_str()) => Node::Local(n),
                    Subject::Resource(a) if m.resources.contains_key(&a) => Node::Resource(a),
                    _ => continue,
                };
                if let Some(a) = self.index_of(&node) {
                    out.push(Edge::Found(a, r.span));
                }
            }
        }
        let p = r.provider_ref();
        if m.providers.iter().any(|b| b.is(&p))
            && let Some(a) = self.index_of(&Node::Provider(p))
        {
            out.push(Edge::Found(a, None));
        }
        out
    }

    /// Adds an edge from everything `refs` names in `m` to `to`; `depends_on` says the
    /// references come from a `depends_on` list (where `module.NAME` means all of the module).
    fn refs(&mut self, m: &Module, to: &To, refs: Vec<Reference>, depends_on: bool) {
        let b = self.to_index(to);
        for r in refs {
            let from = match r.subject {
                Subject::Var(n) if m.variables.contains_key(n.as_str()) => From::Node(Node::Var(n)),
                Subject::Local(n) if m.locals.contains_key(n.as_str()) => {
                    From::Node(Node::Local(n))
                }
                Subject::Resource(a) if m.resources.contains_key(&a) => {
                    From::Node(Node::Resource(a))
                }
                Subject::Module(n) if m.calls.contains_key(n.as_str()) => match r.attr {
                    Some(o) => From::Output(n.to_string(), o),
                    None if depends_on => From::Close(n.to_string()),
                    None => From::Outputs(n.to_string()),
                },
                _ => continue,
            };
            if matches!((&from, to), (From::Node(a), To::Node(b)) if a == b && matches!(b, Node::Var(_)))
            {
                continue;
            }
            self.add_to(from, to, b, r.span);
        }
    }

    fn finish(self) -> Result<Graph, Diagnostics> {
        let (order, call_cycle) = match toposort(&self.g, None) {
            Ok(order) => (order, false),
            Err(_) => {
                // Cycles through module calls are left to the graph of the whole tree; any
                // other is an error.
                let diags = cycles(&self.g, |scc| {
                    !scc.iter()
                        .any(|&i| matches!(self.g[i], Node::ModuleCall(_)))
                });
                if diags.has_errors() {
                    return Err(diags);
                }
                // The strongly connected parts in dependency order (tarjan_scc gives them in
                // reverse), each part's nodes in a stable order.
                let mut order = Vec::new();
                for mut scc in tarjan_scc(&self.g).into_iter().rev() {
                    scc.sort_by(|a, b| self.g[*a].cmp(&self.g[*b]));
                    order.extend(scc);
                }
                (order, true)
            }
        };
        let positions = order.iter().map(|i| i.index()).collect();
        let order = order.into_iter().map(|i| self.g[i].clone()).collect();
        Ok(Graph {
            g: self.g,
            index: self.index,
            order,
            positions,
            children: HashMap::default(),
            facts: self.facts,
            call_cycle,
            tree: None,
        })
    }
}

/// One diagnostic per cycle that `keep` selects, naming its members and pointing at each
/// reference on it.
fn cycles<N: fmt::Display>(
    g: &DiGraph<N, Option<Span>>,
    keep: impl Fn(&[NodeIndex]) -> bool,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for scc in tarjan_scc(g) {
        let is_cycle = scc.len() > 1 || g.find_edge(scc[0], scc[0]).is_some();
        if !is_cycle || !keep(&scc) {
            continue;
        }
        let members: HashSet<NodeIndex> = scc.iter().copied().collect();
        let mut names: Vec<String> = scc.iter().map(|&i| g[i].to_string()).collect();
        names.sort();
        let mut d = Diagnostic::error(
            "Cycle",
            format!(
                "These objects depend on each other: {}. Break the cycle by removing one of the references below.",
                names.join(", ")
            ),
        );
        for e in g.edge_indices() {
            let Some((a, b)) = g.edge_endpoints(e) else {
                continue;
            };
            if members.contains(&a)
                && members.contains(&b)
                && let Some(span) = &g[e]
            {
                d = d.at(span.clone(), format!("{} refers to {}", g[b], g[a]));
            }
        }
        diags.push(d);
    }
    diags
}

/// A node of the graph of the whole module tree, besides the nodes of each module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// A node of the module's own graph. `ModuleCall` is the call's expansion (`count`,
    /// `for_each`, `depends_on`, the providers it gets): every node of the child comes after it.
    Node(Node),
    /// The end of a module instance: after all its resources and outputs (what
    /// `depends_on = [module.NAME]` waits for). The root module has none.
    Close,
}

/// A node of the tree with the module it belongs to, for display.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct TreeNode {
    module: usize,
    step: Step,
    /// `module.a.module.b.` (empty for the root), for naming.
    prefix: Arc<str>,
}

impl fmt::Display for TreeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.step {
            Step::Node(n) => write!(f, "{}{n}", self.prefix),
            Step::Close => write!(f, "{} (close)", self.prefix.trim_end_matches('.')),
        }
    }
}

/// The graph of the whole module tree, at Terraform's granularity: each module's variables,
/// locals, resources and outputs are nodes, a call argument is an edge into the child's
/// variable, and a reference to `module.NAME.OUTPUT` an edge from that output. Module calls
/// that use each other's outputs are thus no cycle unless an output depends on itself through
/// the other module. Nodes are configuration blocks (each module once, whatever its
/// `count`/`for_each`), so the graph stays linear in the configuration.
pub struct Tree {
    g: DiGraph<(usize, Step), Option<Span>>,
    index: HashMap<(usize, Step), NodeIndex>,
    /// Each module's call names from the root (the root first, at 0).
    modules: Vec<Vec<String>>,
    /// The module a call of a module leads to.
    children: HashMap<(usize, String), usize>,
    order: Vec<NodeIndex>,
}

impl Tree {
    fn build(root: &Module, root_graph: &Graph) -> Result<Tree, Diagnostics> {
        let mut list: Vec<(Vec<String>, &Module, &Graph)> = Vec::new();
        let mut children = HashMap::default();
        collect(root, root_graph, Vec::new(), None, &mut list, &mut children);
        let mut t = Tree {
            g: DiGraph::new(),
            index: HashMap::default(),
            modules: list.iter().map(|(p, _, _)| p.clone()).collect(),
            children,
            order: Vec::new(),
        };
        let mut edges: HashSet<(NodeIndex, NodeIndex)> = HashSet::default();
        for (i, (_, _, g)) in list.iter().enumerate() {
            for n in g.g.node_weights() {
                t.add_node(i, Step::Node(n.clone()));
            }
            if i != 0 {
                t.add_node(i, Step::Close);
            }
        }
        let mut add = |g: &mut DiGraph<(usize, Step), Option<Span>>,
                       a: NodeIndex,
                       b: NodeIndex,
                       span: Option<Span>| {
            if a == b || edges.insert((a, b)) {
                g.add_edge(a, b, span);
            }
        };
        for (i, (_, m, g)) in list.iter().enumerate() {
            for f in &g.facts {
                let to = match &f.to {
                    To::Node(n) => t.at(i, Step::Node(n.clone())),
                    To::Var(c, v) => t
                        .child(i, c)
                        .and_then(|ci| t.at(ci, Step::Node(Node::Var(Name::new(v))))),
                };
                let Some(to) = to else { continue };
                let call = |c: &String| t.at(i, Step::Node(Node::ModuleCall(Name::new(c))));
                let from: Vec<NodeIndex> = match &f.from {
                    From::Node(n) => t.at(i, Step::Node(n.clone())).into_iter().collect(),
                    From::Output(c, o) => {
                        let out = t
                            .child(i, c)
                            .and_then(|ci| t.at(ci, Step::Node(Node::Output(Name::new(o)))));
                        // An output the module does not declare is reported by evaluation.
                        out.or_else(|| call(c)).into_iter().collect()
                    }
                    From::Outputs(c) => {
                        let mut v: Vec<NodeIndex> = call(c).into_iter().collect();
                        if let (Some(ci), Some(callm)) = (t.child(i, c), m.calls.get(c)) {
                            for o in callm.module.outputs.keys() {
                                v.extend(t.at(ci, Step::Node(Node::Output(Name::new(o)))));
                            }
                        }
                        v
                    }
                    From::Close(c) => t
                        .child(i, c)
                        .and_then(|ci| t.at(ci, Step::Close))
                        .into_iter()
                        .collect(),
                };
                for a in from {
                    add(&mut t.g, a, to, f.span.clone());
                }
            }
            // A call's expansion comes before everything in its module; the module's end after
            // its resources, its outputs and the ends of the modules it calls.
            for (c, callm) in &m.calls {
                let (Some(ci), Some(expand)) = (
                    t.child(i, c),
                    t.at(i, Step::Node(Node::ModuleCall(Name::new(c)))),
                ) else {
                    continue;
                };
                let Some(close) = t.at(ci, Step::Close) else {
                    continue;
                };
                let child_graph = list[ci].2;
                for n in child_graph.g.node_weights() {
                    if let Some(x) = t.at(ci, Step::Node(n.clone())) {
                        add(&mut t.g, expand, x, None);
                        if matches!(n, Node::Resource(_) | Node::Output(_)) {
                            add(&mut t.g, x, close, None);
                        }
                    }
                }
                add(&mut t.g, expand, close, None);
                for gc in callm.module.calls.keys() {
                    if let Some(inner) = t.child(ci, gc).and_then(|gi| t.at(gi, Step::Close)) {
                        add(&mut t.g, inner, close, None);
                    }
                }
            }
        }
        match toposort(&t.g, None) {
            Ok(order) => {
                t.order = order;
                Ok(t)
            }
            Err(_) => {
                // Name each node with its module's path for the message.
                let prefixes: Vec<Arc<str>> = t
                    .modules
                    .iter()
                    .map(|p| {
                        let s: String = p.iter().map(|n| format!("module.{n}.")).collect();
                        Arc::from(s)
                    })
                    .collect();
                let named = t.g.map(
                    |_, (m, s)| TreeNode {
                        module: *m,
                        step: s.clone(),
                        prefix: prefixes[*m].clone(),
                    },
                    |_, e| e.clone(),
                );
                Err(cycles(&named, |_| true))
            }
        }
    }

    fn add_node(&mut self, module: usize, step: Step) {
        let key = (module, step);
        if !self.index.contains_key(&key) {
            let i = self.g.add_node(key.clone());
            self.index.insert(key, i);
        }
    }

    fn at(&self, module: usize, step: Step) -> Option<NodeIndex> {
        self.index.get(&(module, step)).copied()
    }

    fn child(&self, module: usize, call: &str) -> Option<usize> {
        self.children.get(&(module, call.to_string())).copied()
    }

    /// The nodes in an order where each comes after everything it depends on, as indexes.
    pub fn order(&self) -> impl Iterator<Item = usize> + '_ {
        self.order.iter().map(|i| i.index())
    }

    /// The module (index) and step of a node.
    pub fn step(&self, i: usize) -> (usize, &Step) {
        let (m, s) = &self.g[NodeIndex::new(i)];
        (*m, s)
    }

    /// The nodes a node directly depends on.
    pub fn dependencies(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.g
            .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Incoming)
            .map(|j| j.index())
    }

    /// How many modules the tree has (each module once, whatever its instances).
    pub fn module_count(&self) -> usize {
        self.modules.len()
    }

    /// A module's call names from the root.
    pub fn module_path(&self, module: usize) -> &[String] {
        &self.modules[module]
    }

    /// The module a call made from `module` leads to.
    pub fn child_module(&self, module: usize, call: &str) -> Option<usize> {
        self.child(module, call)
    }

    /// The module at a path of call names.
    pub fn module_at(&self, names: &[String]) -> Option<usize> {
        let mut m = 0;
        for n in names {
            m = self.child(m, n)?;
        }
        Some(m)
    }

    /// The node of `step` in `module`.
    pub fn node(&self, module: usize, step: Step) -> Option<usize> {
        self.at(module, step).map(|i| i.index())
    }

    /// The resources (module, address within it) a node depends on, looking through
    /// variables, locals, outputs, provider configurations and module calls (but not through
    /// other resources): across module boundaries, exactly those the values it uses come from,
    /// plus whatever the calls containing it depend on.
    pub fn resource_dependencies(&self, i: usize) -> Vec<(usize, ResourceAddr)> {
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        let mut stack = vec![NodeIndex::new(i)];
        while let Some(i) = stack.pop() {
            for j in self.g.neighbors_directed(i, petgraph::Direction::Incoming) {
                if !seen.insert(j) {
                    continue;
                }
                match &self.g[j] {
                    (m, Step::Node(Node::Resource(r))) => out.push((*m, r.clone())),
                    _ => stack.push(j),
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Lists the modules of the tree from `m` down (pre-order), with the module each call leads to.
fn collect<'a>(
    m: &'a Module,
    g: &'a Graph,
    path: Vec<String>,
    parent: Option<(usize, String)>,
    list: &mut Vec<(Vec<String>, &'a Module, &'a Graph)>,
    children: &mut HashMap<(usize, String), usize>,
) {
    let me = list.len();
    if let Some(key) = parent {
        children.insert(key, me);
    }
    list.push((path.clone(), m, g));
    let mut calls: Vec<&String> = m.calls.keys().collect();
    calls.sort();
    for name in calls {
        let (Some(call), Some(cg)) = (m.calls.get(name), g.children.get(name)) else {
            continue;
        };
        let mut p = path.clone();
        p.push(name.clone());
        collect(
            &call.module,
            cg,
            p,
            Some((me, name.clone())),
            list,
            children,
        );
    }
}
