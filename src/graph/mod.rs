//! The dependency graph of a configuration: which variables, locals, provider configurations,
//! resources, outputs and module calls each object references (one graph per module, with a
//! child graph per module call), built from the references in expressions and
//! `depends_on`. It orders the planning walk, finds cycles (a diagnostic naming every object on
//! the cycle and pointing at the references), and gives each resource its direct resource
//! dependencies as stored in state.
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

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::addr::ResourceAddr;
use crate::config::{Config, Expr, Module, ProviderRef};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::{self, Reference, Subject};

/// An object of the configuration that takes part in ordering.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Var(String),
    Local(String),
    Provider(ProviderRef),
    Resource(ResourceAddr),
    Output(String),
    /// A `module` block (all its instances).
    ModuleCall(String),
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
    /// The graph of each module call's child module.
    children: HashMap<String, Graph>,
}

impl Graph {
    /// The graph of the module called by `module "name"`.
    pub fn child(&self, name: &str) -> Option<&Graph> {
        self.children.get(name)
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
                        out.push(n.clone());
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

    /// The resources a node depends on, looking through variables, locals and provider
    /// configurations (but not through other resources): what state records as `dependencies`.
    pub fn resource_dependencies(&self, node: &Node) -> Vec<ResourceAddr> {
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
/// they add no edge.
pub fn build(config: &Config) -> Result<Graph, Diagnostics> {
    build_module(&config.root, true)
}

/// Builds the graph of one module; with `nested`, of the modules it calls too.
pub fn build_module(m: &Module, nested: bool) -> Result<Graph, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut children = HashMap::default();
    if nested {
        for (name, call) in &m.calls {
            match build_module(&call.module, true) {
                Ok(g) => {
                    children.insert(name.clone(), g);
                }
                Err(ds) => diags.extend(ds),
            }
        }
    }
    let mut b = Builder {
        g: DiGraph::new(),
        index: HashMap::default(),
        edges: HashSet::default(),
    };
    for name in m.calls.keys() {
        b.node(Node::ModuleCall(name.clone()));
    }
    for name in m.variables.keys() {
        b.node(Node::Var(name.clone()));
    }
    for name in m.locals.keys() {
        b.node(Node::Local(name.clone()));
    }
    for p in &m.providers {
        b.node(Node::Provider(ProviderRef {
            name: p.name.clone(),
            alias: p.alias.clone(),
        }));
    }
    for addr in m.resources.keys() {
        b.node(Node::Resource(addr.clone()));
    }
    for name in m.outputs.keys() {
        b.node(Node::Output(name.clone()));
    }

    for v in m.variables.values() {
        let to = Node::Var(v.name.clone());
        for val in &v.validations {
            // Validation conditions may refer to the variable itself only (and, since Terraform
            // 1.9, to other objects).
            b.refs(m, &to, lang::references(&val.condition));
        }
    }
    for l in m.locals.values() {
        b.refs(m, &Node::Local(l.name.clone()), lang::references(&l.expr));
    }
    for p in &m.providers {
        let to = Node::Provider(ProviderRef {
            name: p.name.clone(),
            alias: p.alias.clone(),
        });
        b.refs(m, &to, lang::body_references(&p.body));
    }
    for r in m.resources.values() {
        let to = Node::Resource(r.addr.clone());
        let mut refs = lang::body_references(&r.body);
        for e in r
            .count
            .iter()
            .chain(r.for_each.iter())
            .chain(r.depends_on.iter())
        {
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
        b.refs(m, &to, refs);
        let p = r.provider_ref();
        if m.providers
            .iter()
            .any(|b| b.name == p.name && b.alias == p.alias)
        {
            b.edge(&Node::Provider(p), &to, None);
        }
    }
    for o in m.outputs.values() {
        let to = Node::Output(o.name.clone());
        let mut refs = lang::references(&o.value);
        for e in &o.depends_on {
            refs.extend(lang::references(e));
        }
        for c in &o.preconditions {
            refs.extend(conditions_refs(&c.condition, &c.error_message));
        }
        b.refs(m, &to, refs);
    }
    for call in m.calls.values() {
        let to = Node::ModuleCall(call.name.clone());
        let mut refs = Vec::new();
        for e in call
            .args
            .values()
            .chain(call.count.iter())
            .chain(call.for_each.iter())
            .chain(call.depends_on.iter())
        {
            refs.extend(lang::references(e));
        }
        b.refs(m, &to, refs);
        // Provider configurations passed to the module are configured first.
        for (_, parent) in &call.providers {
            if m.providers
                .iter()
                .any(|p| p.name == parent.name && p.alias == parent.alias)
            {
                b.edge(&Node::Provider(parent.clone()), &to, None);
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

struct Builder {
    g: DiGraph<Node, Option<Span>>,
    index: HashMap<Node, NodeIndex>,
    /// The edges added so far: petgraph's own lookup scans a node's edges, which made building
    /// quadratic when thousands of resources reference one local.
    edges: HashSet<(NodeIndex, NodeIndex)>,
}

impl Builder {
    fn node(&mut self, n: Node) -> NodeIndex {
        if let Some(&i) = self.index.get(&n) {
            return i;
        }
        let i = self.g.add_node(n.clone());
        self.index.insert(n, i);
        i
    }

    fn edge(&mut self, from: &Node, to: &Node, span: Option<Span>) {
        if let (Some(&a), Some(&b)) = (self.index.get(from), self.index.get(to))
            && self.edges.insert((a, b))
        {
            self.g.add_edge(a, b, span);
        }
    }

    fn refs(&mut self, m: &Module, to: &Node, refs: Vec<Reference>) {
        for r in refs {
            let from = match r.subject {
                Subject::Var(n) if m.variables.contains_key(&n) => Node::Var(n),
                Subject::Local(n) if m.locals.contains_key(&n) => Node::Local(n),
                Subject::Resource(a) if m.resources.contains_key(&a) => Node::Resource(a),
                Subject::Module(n) if m.calls.contains_key(&n) => Node::ModuleCall(n),
                _ => continue,
            };
            if &from == to {
                // A variable's validation refers to the variable itself, which is no dependency;
                // anything else referring to itself is a cycle of one.
                if !matches!(to, Node::Var(_)) {
                    let i = self.index[to];
                    self.g.add_edge(i, i, r.span);
                }
                continue;
            }
            self.edge(&from, to, r.span);
        }
    }

    fn finish(self) -> Result<Graph, Diagnostics> {
        match toposort(&self.g, None) {
            Ok(order) => {
                let order = order.into_iter().map(|i| self.g[i].clone()).collect();
                Ok(Graph {
                    g: self.g,
                    index: self.index,
                    order,
                    children: HashMap::default(),
                })
            }
            Err(_) => Err(self.cycles()),
        }
    }

    /// One diagnostic per cycle, naming its members and pointing at each reference on it.
    fn cycles(&self) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for scc in tarjan_scc(&self.g) {
            let is_cycle = scc.len() > 1 || self.g.find_edge(scc[0], scc[0]).is_some();
            if !is_cycle {
                continue;
            }
            let members: HashSet<NodeIndex> = scc.iter().copied().collect();
            let mut names: Vec<String> = scc.iter().map(|&i| self.g[i].to_string()).collect();
            names.sort();
            let mut d = Diagnostic::error(
                "Cycle",
                format!(
                    "These objects depend on each other: {}. Break the cycle by removing one of the references below.",
                    names.join(", ")
                ),
            );
            for e in self.g.edge_indices() {
                let Some((a, b)) = self.g.edge_endpoints(e) else {
                    continue;
                };
                if members.contains(&a)
                    && members.contains(&b)
                    && let Some(span) = &self.g[e]
                {
                    d = d.at(
                        span.clone(),
                        format!("{} refers to {}", self.g[b], self.g[a]),
                    );
                }
            }
            diags.push(d);
        }
        diags
    }
}
