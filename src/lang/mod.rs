//! Values of expressions: evaluates the compact expression tree ([`ast`]) against a [`Scope`], with unknown
//! ("known after apply") and sensitive values propagating through every operation; converts
//! values to type constraints; finds the references an expression makes (for the dependency
//! graph); and holds Terraform's built-in function library in [`functions`].
//!
//! Pure: no I/O except the file functions, which read below the module directory. It must not
//! know where values come from: the [`Scope`] supplies them.

pub mod ast;
pub mod convert;
pub mod eval;
pub mod functions;
pub mod infer;
pub mod reference;
mod template;

use cairn_provider::{Type, Value};

use crate::addr::{InstanceKey, Name, ResourceAddr};
use crate::diag::{Diagnostic, Span};

pub use convert::convert;
pub use eval::{eval, eval_body};
pub use reference::{body_references, references};

/// The candidate closest to a misspelt `given` name, as Terraform suggests one ("Did you mean
/// ...?"): within an edit distance of 2, the nearest (the first of equals).
pub fn suggest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(given, c);
        if d < 3 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// " Did you mean "x"?" when a candidate is close to `given`, else nothing.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    suggest(given, candidates)
        .map(|s| format!(" Did you mean {s:?}?"))
        .unwrap_or_default()
}

/// What a reference names: the first steps of a traversal that identify an object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// `var.NAME`
    Var(Name),
    /// `local.NAME`
    Local(Name),
    /// `TYPE.NAME` or `data.TYPE.NAME` (all instances).
    Resource(ResourceAddr),
    /// `module.NAME`
    Module(Name),
    /// `count.index`
    CountIndex,
    /// `each.key`
    EachKey,
    /// `each.value`
    EachValue,
    /// `path.module`, `path.root`, `path.cwd`
    Path(String),
    /// `terraform.workspace`
    TerraformWorkspace,
    /// `self` (in lifecycle conditions and provisioners)
    SelfObject,
}

/// A reference found in an expression, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub subject: Subject,
    pub span: Option<Span>,
    /// For a resource subject, the index that directly follows it (`count.index` in
    /// `aws_subnet.a[count.index].id`), which names one instance once evaluated.
    pub index: Option<Index>,
    /// For a module subject, the output named after the call (`out` in `module.net.out`,
    /// `module.net[0].out` or `module.net[*].out`); `None` for the whole module.
    pub attr: Option<String>,
}

/// The index directly following a resource reference.
#[derive(Clone, Debug, PartialEq)]
pub enum Index {
    /// `[expr]`
    Expr(crate::config::Expr),
    /// Legacy `.0`
    Number(u64),
}

/// Supplies the values that references name. A resource subject resolves to the whole resource:
/// an object for a single instance, a tuple for `count`, an object keyed by `for_each` key, or
/// `Unknown` when the instances are not yet known.
pub trait Scope {
    fn resolve(&self, subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic>;

    /// One instance of a resource (`subject` is a [`Subject::Resource`]) when it is known,
    /// without building the value of the whole resource (which, for every instance of a
    /// `count` referring to its own index of another, would be quadratic). `None` leaves the
    /// reference to [`Scope::resolve`] and indexing, which give the same value or the error.
    fn resolve_instance(&self, _subject: &Subject, _key: &InstanceKey) -> Option<Value> {
        None
    }

    /// Whether impure functions (`uuid`, `timestamp`) yield unknown values, as Terraform's do
    /// while planning. By default they yield a value.
    fn impure_unknown(&self) -> bool {
        false
    }

    /// The static type of what `subject` (a variable or a local) resolves to: a variable's
    /// declared type, a local's inferred type (see [`infer`]). It matters only when the value
    /// is null or unknown, which carry no type. By default `Any`: nothing is known, and a null
    /// or unknown value behaves as Terraform's untyped ones.
    fn static_type(&self, _subject: &Subject) -> Type {
        Type::Any
    }
}

#[cfg(test)]
mod tests;
