//! Finding the references an expression or body makes, for the dependency graph.

use super::Reference;
use crate::config::{Body, Expr};

/// The references in an expression (names bound by `for` expressions are not references).
pub fn references(expr: &Expr) -> Vec<Reference> {
    let _ = expr;
    todo!("references")
}

/// The references in a body, including those in nested and `dynamic` blocks.
pub fn body_references(body: &Body) -> Vec<Reference> {
    let _ = body;
    todo!("body references")
}
