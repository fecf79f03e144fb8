//! The expression evaluator.

use cairn_provider::{Schema, Value};

use super::Scope;
use crate::config::{Body, Expr};
use crate::diag::Diagnostics;

/// Evaluates an expression.
pub fn eval(expr: &Expr, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    let _ = (expr, scope);
    todo!("evaluation")
}

/// Evaluates a block body into an object conforming to `schema`: every attribute of the schema is
/// present (null when not set), nested blocks (including `dynamic` blocks) become objects, lists
/// or sets per their nesting, and arguments the schema does not declare are errors.
pub fn eval_body(body: &Body, schema: &Schema, scope: &dyn Scope) -> Result<Value, Diagnostics> {
    let _ = (body, schema, scope);
    todo!("body evaluation")
}
