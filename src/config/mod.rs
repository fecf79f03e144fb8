//! The static model of a configuration: reads every `*.tf` file of a directory, parses it into
//! the compact syntax tree of [`crate::lang::ast`] (which keeps byte spans) and builds [`Module`]: variables, locals, outputs, providers,
//! resources and data sources with their meta-arguments (`count`, `for_each`, `depends_on`,
//! `provider`, `lifecycle`), and `module` calls, each holding the child module loaded from its
//! local `source` directory (the whole module tree is loaded; nothing is ever downloaded), and the
//! `moved`, `import`, `removed` and `check` blocks. Also collects input variable values from `-var`, `-var-file`,
//! `terraform.tfvars`, `*.auto.tfvars` and `TF_VAR_*` ([`vars`]).
//!
//! Expressions stay unevaluated, as [`Expr`]/[`Body`] with spans, in the compact tree of
//! [`crate::lang::ast`] (hcl-edit's tree of a file is dropped once the file is decoded). This module must not evaluate
//! expressions, read state or call providers; every problem found becomes a [`Diagnostic`] and all
//! of them are reported together.

mod constraint;
mod dupkeys;
pub mod load;
#[cfg(test)]
mod tests;
pub mod vars;

use std::path::PathBuf;

use cairn_provider::Type;
use indexmap::IndexMap;

use crate::addr::{Mode, Name, ResourceAddr, Target};
use crate::diag::{FileId, SourceMap, Span};

pub use load::load_dir;

/// An unevaluated expression and the file it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub file: FileId,
    pub expr: crate::lang::ast::Expression,
}

impl Expr {
    /// Keeps a parsed hcl-edit expression in the compact tree.
    pub fn from_hcl(file: FileId, expr: &hcl_edit::expr::Expression) -> Expr {
        Expr {
            file,
            expr: crate::lang::ast::from_hcl::expr(expr),
        }
    }

    pub fn span(&self) -> Option<Span> {
        use crate::lang::ast::Span as _;
        self.expr.span().map(|r| Span::new(self.file, r))
    }
}

/// An unevaluated block body (meta-arguments removed) and the file it came from.
#[derive(Clone, Debug)]
pub struct Body {
    pub file: FileId,
    pub body: crate::lang::ast::Body,
}

/// A loaded configuration: the root module and the sources it was read from.
#[derive(Debug)]
pub struct Config {
    pub root: Module,
    pub sources: SourceMap,
}

/// One module: the contents of one directory of `*.tf` files.
#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    /// `path.module`: the directory relative to the root module (`.` for the root,
    /// `modules/vpc` for a child loaded from `./modules/vpc`).
    pub path: String,
    pub terraform: TerraformBlock,
    pub providers: Vec<ProviderBlock>,
    pub variables: IndexMap<String, Variable>,
    pub locals: IndexMap<String, Local>,
    pub outputs: IndexMap<String, Output>,
    /// Managed resources and data sources, in file order.
    /// Hashed with foldhash: planning looks resources up by address for every instance.
    pub resources: IndexMap<ResourceAddr, Resource, foldhash::fast::RandomState>,
    /// `module` blocks, each with its loaded child module.
    pub calls: IndexMap<String, ModuleCall>,
    /// `moved` blocks, in file order.
    pub moved: Vec<Moved>,
    /// `import` blocks (the root module only, as in Terraform).
    pub imports: Vec<Import>,
    /// `removed` blocks.
    pub removed: Vec<Removed>,
    /// `check` blocks by name.
    pub checks: IndexMap<String, Check>,
}

impl Module {
    /// The child module loaded for the call `name`.
    pub fn child(&self, name: &str) -> Option<&Module> {
        self.calls.get(name).map(|c| &c.module)
    }

    /// This module and every module below it, depth first (each module once per call).
    pub fn modules(&self) -> Vec<&Module> {
        let mut out = vec![self];
        for c in self.calls.values() {
            out.extend(c.module.modules());
        }
        out
    }
}

/// A `module "NAME" { source = "./dir" ... }` block and the module it loads.
#[derive(Debug)]
pub struct ModuleCall {
    pub name: String,
    /// The `source` as written (always a local path once loaded).
    pub source: String,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// The `providers` map: the child's provider configuration (key) → the parent's (value).
    pub providers: Vec<(ProviderRef, ProviderRef)>,
    /// The input variables, unevaluated, in the order written.
    pub args: IndexMap<String, Expr>,
    /// The span of the block header (`module "NAME"`).
    pub span: Span,
    /// The loaded child module.
    pub module: Module,
}

/// A `moved { from = ADDR  to = ADDR }` block: addresses relative to the module declaring it.
#[derive(Debug)]
pub struct Moved {
    pub from: Target,
    pub to: Target,
    pub from_span: Span,
    pub to_span: Span,
    pub span: Span,
}

/// An `import { to = ADDR  id = "..." }` block. `to` names a resource whose instance key may be
/// an expression (`terraform_data.e[each.key]`), evaluated with `for_each`.
#[derive(Debug)]
pub struct Import {
    pub to: ResourceAddr,
    /// The instance key as written, if any (a literal or an expression of `each`).
    pub key: Option<Expr>,
    pub id: Expr,
    pub for_each: Option<Expr>,
    pub provider: Option<ProviderRef>,
    pub to_span: Span,
    pub span: Span,
}

/// A `removed { from = ADDR  lifecycle { destroy = BOOL } }` block.
#[derive(Debug)]
pub struct Removed {
    pub from: Target,
    /// `lifecycle { destroy = ... }`; `true` when absent.
    pub destroy: bool,
    pub from_span: Span,
    pub span: Span,
}

/// A `check "NAME" { data ... assert { ... } }` block.
#[derive(Debug)]
pub struct Check {
    pub name: String,
    /// Data sources scoped to the check (visible only inside it).
    pub data: Vec<Resource>,
    pub asserts: Vec<Validation>,
    pub span: Span,
}

/// The `terraform` block(s), merged.
#[derive(Debug, Default)]
pub struct TerraformBlock {
    pub required_version: Option<String>,
    /// Local name → requirement, from `required_providers`.
    pub required_providers: IndexMap<String, RequiredProvider>,
    pub backend: Option<BackendBlock>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RequiredProvider {
    /// As written (`hashicorp/random`), or the implied `hashicorp/NAME` when absent.
    pub source: String,
    pub version: Option<String>,
    /// `configuration_aliases`: aliased configurations a module expects its caller to pass.
    pub configuration_aliases: Vec<ProviderRef>,
}

#[derive(Debug)]
pub struct BackendBlock {
    /// `local`, `pg`, `http`, ...
    pub kind: String,
    pub body: Body,
    pub span: Span,
}

/// A `provider "NAME" { alias = ... }` block.
#[derive(Debug)]
pub struct ProviderBlock {
    pub name: String,
    pub alias: Option<String>,
    /// The configuration arguments (without `alias` and `parallelism`).
    pub body: Body,
    /// cairn's `parallelism = N`: how many operations of this configuration may run at once
    /// during an apply (Terraform has no such argument). Unevaluated; taken out of `body` so the
    /// provider's own schema never sees it.
    pub parallelism: Option<Expr>,
    pub span: Span,
}

impl ProviderBlock {
    /// The reference that names this configuration.
    pub fn reference(&self) -> ProviderRef {
        ProviderRef {
            name: Name::new(&self.name),
            alias: self.alias.as_deref().map(Name::new),
        }
    }

    /// Whether `r` names this configuration.
    pub fn is(&self, r: &ProviderRef) -> bool {
        self.name == r.name.as_str() && self.alias.as_deref() == r.alias.as_deref()
    }
}

/// A reference to a provider configuration: `aws` or `aws.west`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderRef {
    pub name: Name,
    pub alias: Option<Name>,
}

#[derive(Debug)]
pub struct Variable {
    pub name: String,
    /// The type constraint; `None` means `any`.
    pub ty: Option<Type>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
    pub span: Span,
}

/// A `validation` block, or a `precondition`/`postcondition`.
#[derive(Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
}

#[derive(Debug)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Expr>,
    pub preconditions: Vec<Validation>,
    pub span: Span,
}

/// A `resource` or `data` block.
#[derive(Debug)]
pub struct Resource {
    pub addr: ResourceAddr,
    /// The `provider` meta-argument, if given.
    pub provider: Option<ProviderRef>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// Each entry is a reference expression (`aws_vpc.main`, `module.x`).
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    /// The resource's own arguments and nested blocks, meta-arguments removed.
    pub body: Body,
    /// The span of the block header (`resource "a" "b"`).
    pub span: Span,
}

impl Resource {
    pub fn mode(&self) -> Mode {
        self.addr.mode
    }
    /// The provider configuration this resource uses: the `provider` argument, or the one implied
    /// by its type's prefix.
    pub fn provider_ref(&self) -> ProviderRef {
        self.provider.clone().unwrap_or_else(|| ProviderRef {
            name: self.addr.implied_provider().into(),
            alias: None,
        })
    }
}

#[derive(Debug, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    /// Reference expressions whose change replaces this resource.
    pub replace_triggered_by: Vec<Expr>,
    pub preconditions: Vec<Validation>,
    pub postconditions: Vec<Validation>,
}

#[derive(Debug, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    /// `ignore_changes = all`
    All,
    /// Attribute names (top-level or paths like `tags["Name"]`), as written.
    Paths(Vec<Vec<cairn_provider::PathStep>>),
}
