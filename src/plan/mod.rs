//! Planning: walks the configuration in dependency order, evaluates each resource instance,
//! refreshes what state records through the providers' `read`, asks each provider to plan, and
//! produces a [`Plan`]: plain serde data saying, per instance, what will happen and why.
//!
//! It must not write state, call a provider's `apply`, or print.

use std::collections::BTreeMap;

use cairn_provider::{Value, ValuePath};
use serde::{Deserialize, Serialize};

use crate::addr::{InstanceAddr, InstanceKey, ResourceAddr};
use crate::state::State;

/// What will happen to one resource instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    NoOp,
    Create,
    /// A data source read during apply (its configuration was not known at plan time).
    Read,
    Update,
    /// Replace: destroy the old object, then create the new one (the default).
    DeleteThenCreate,
    /// Replace with `create_before_destroy`.
    CreateThenDelete,
    Delete,
}

impl Action {
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }
    /// Terraform's JSON action list (`["delete","create"]`).
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
        }
    }
}

/// Why an action was chosen, where Terraform reports one (`action_reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// `replace_because_tainted`
    Tainted,
    /// `replace_because_cannot_update`
    CannotUpdate,
    /// `replace_by_request` (`-replace=ADDR`)
    ByRequest,
    /// `replace_by_triggers` (`replace_triggered_by`)
    ByTriggers,
    /// `delete_because_no_resource_config`
    NoResourceConfig,
    /// `delete_because_count_index`
    CountIndex,
    /// `delete_because_each_key`
    EachKey,
    /// `read_because_config_unknown`
    ConfigUnknown,
    /// `read_because_dependency_pending`
    DependencyPending,
    /// `delete_because_no_module`: the module instance holding the object left the configuration.
    NoModule,
}

impl Reason {
    pub fn json_name(self) -> &'static str {
        match self {
            Reason::Tainted => "replace_because_tainted",
            Reason::CannotUpdate => "replace_because_cannot_update",
            Reason::ByRequest => "replace_by_request",
            Reason::ByTriggers => "replace_by_triggers",
            Reason::NoResourceConfig => "delete_because_no_resource_config",
            Reason::CountIndex => "delete_because_count_index",
            Reason::EachKey => "delete_because_each_key",
            Reason::ConfigUnknown => "read_because_config_unknown",
            Reason::DependencyPending => "read_because_dependency_pending",
            Reason::NoModule => "delete_because_no_module",
        }
    }
}

/// The planned change of one resource instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    /// Provider configuration address, as in state (`provider["registry.terraform.io/hashicorp/random"]`).
    pub provider: String,
    pub action: Action,
    /// The object before (after refresh); `None` when creating. Sensitive parts are marked.
    pub before: Option<Value>,
    /// The planned object; `None` when deleting. Unknown parts are `Value::Unknown`, sensitive
    /// parts are marked.
    pub after: Option<Value>,
    /// Paths whose change forces replacement.
    pub replace_paths: Vec<ValuePath>,
    pub reason: Option<Reason>,
    /// Resources this instance depends on (for ordering and for state's `dependencies`).
    pub dependencies: Vec<ResourceAddr>,
    /// For dependencies this instance references only through known indexes
    /// (`aws_subnet.a[count.index]`), the instances it uses; it waits for just those. A
    /// dependency not listed here is waited for as a whole.
    #[serde(default)]
    pub instance_dependencies: Vec<(ResourceAddr, Vec<InstanceKey>)>,
    pub create_before_destroy: bool,
    pub schema_version: u64,
}

/// The planned change of a root module output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Mode {
    #[default]
    Normal,
    Destroy,
    RefreshOnly,
}

/// A complete plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub mode: Mode,
    /// Every instance's change, no-ops included, in dependency order.
    pub changes: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    /// Differences found by refresh between the stored state and the real world.
    pub drift: Vec<ResourceChange>,
    /// The state the plan was made against, after refresh.
    pub prior_state: State,
    /// The serial of the stored state when the plan was made (before refresh).
    pub prior_serial: u64,
    pub variables: BTreeMap<String, Value>,
    /// Addresses given with `-target`, if any (the plan is then partial).
    pub targets: Vec<String>,
    /// What `moved`, `import`, `removed` and `check` blocks add to the plan.
    #[serde(default)]
    pub refactor: Refactor,
}

/// An object that moved to a new address before planning (a `moved` block, or the implicit
/// move when `count` is added to or removed from a resource).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub from: InstanceAddr,
    pub to: InstanceAddr,
}

/// The outcome of one `check` block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckStatus {
    Pass,
    Fail,
    Unknown,
}

impl CheckStatus {
    pub fn json_name(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Unknown => "unknown",
        }
    }
}

/// One `check` block's result: its status and the messages of its failed assertions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The module instance holding the check (`module.net[0]`); empty for the root module.
    #[serde(default)]
    pub module: String,
    pub name: String,
    pub status: CheckStatus,
    pub problems: Vec<String>,
}

/// The state-only parts of a plan: objects that move, are imported or are forgotten, and the
/// results of `check` blocks. The executor applies the state-only parts before any operation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Refactor {
    /// Objects moved in the prior state, in the order their changes are listed.
    pub moved: Vec<Move>,
    /// Objects imported while planning (they are in the prior state): address and import id.
    pub imported: Vec<(InstanceAddr, String)>,
    /// Objects a `removed` block with `destroy = false` drops from the state (action `forget`).
    pub forgotten: Vec<ResourceChange>,
    pub checks: Vec<CheckResult>,
}

impl Refactor {
    /// The address an object had before it moved to `addr`.
    pub fn previous_address(&self, addr: &InstanceAddr) -> Option<&InstanceAddr> {
        self.moved.iter().find(|m| &m.to == addr).map(|m| &m.from)
    }
    /// The import id of an object this plan imports.
    pub fn import_id(&self, addr: &InstanceAddr) -> Option<&str> {
        self.imported
            .iter()
            .find(|(a, _)| a == addr)
            .map(|(_, id)| id.as_str())
    }
    /// True if applying changes the state even without resource changes.
    pub fn changes_state(&self) -> bool {
        !self.moved.is_empty() || !self.imported.is_empty() || !self.forgotten.is_empty()
    }
}

impl Plan {
    /// True if applying the plan would change anything (resources or outputs).
    pub fn has_changes(&self) -> bool {
        self.refactor.changes_state()
            || self.changes.iter().any(|c| c.action != Action::NoOp)
            || self.outputs.iter().any(|o| o.action != Action::NoOp)
    }
    /// Counts of (add, change, destroy) as the summary line reports them.
    pub fn counts(&self) -> (usize, usize, usize) {
        let (mut add, mut change, mut destroy) = (0, 0, 0);
        for c in &self.changes {
            match c.action {
                Action::Create => add += 1,
                Action::Update => change += 1,
                Action::Delete => destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    add += 1;
                    destroy += 1;
                }
                Action::NoOp | Action::Read => {}
            }
        }
        (add, change, destroy)
    }
}

pub mod check;
pub mod fin;
pub mod module;
pub mod providers;
pub mod refactor;
pub mod scope;
pub mod vars;
pub mod walk;

pub use providers::{ProviderSet, Registry};
pub use walk::{Options, Planned, instance_value, plan, plan_with_graph};
