//! Input variable values from outside the configuration, in Terraform's precedence order (later
//! wins): `TF_VAR_name` environment variables, `terraform.tfvars`, `*.auto.tfvars` (sorted by
//! name), then `-var` and `-var-file` in command-line order.

use std::path::PathBuf;

use indexmap::IndexMap;

use super::Expr;
use crate::diag::{Diagnostics, SourceMap};

/// A `-var` or `-var-file` argument, in command-line order.
#[derive(Clone, Debug, PartialEq)]
pub enum VarArg {
    /// `-var 'name=value'`
    Var(String),
    /// `-var-file=path`
    File(PathBuf),
}

/// A variable value as given, before conversion to the variable's type.
#[derive(Clone, Debug)]
pub enum RawValue {
    /// From a `.tfvars` file: an expression (with its span).
    Expr(Expr),
    /// From `-var` or `TF_VAR_*`: a string that is parsed as an HCL expression unless the
    /// variable's type is a primitive, where it is used as is (Terraform's rule).
    Str { value: String, origin: String },
}

/// Collects raw values for variables from `dir`'s tfvars files, the environment and the command
/// line. Files read are added to `sources` so diagnostics can point into them.
pub fn collect(
    dir: &std::path::Path,
    args: &[VarArg],
    env: &[(String, String)],
    sources: &mut SourceMap,
) -> Result<IndexMap<String, RawValue>, Diagnostics> {
    let _ = (dir, args, env, sources);
    todo!("variable collection")
}
