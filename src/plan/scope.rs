//! The evaluation scope of a planning walk: what `var.`, `local.`, resource and data references,
//! `path.*`, `count.index`, `each.*` and `self` resolve to. Locals are evaluated on first use and
//! remembered; resources resolve to the values recorded so far in the walk (planned values, with
//! unknowns), or to unknown while their instances are not yet known. The walk reads a scope
//! from several threads at once (it plans independent resources in parallel), so its caches are
//! behind locks and its guards against recursion are kept per thread.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::ThreadId;

use cairn_provider::Value;

use crate::addr::{InstanceKey, ResourceAddr};
use crate::config::Module;
use crate::diag::{Diagnostic, Span};
use crate::lang::{self, Scope, Subject};

/// How a resource expands into instances.
#[derive(Clone, Debug, PartialEq)]
pub enum Expansion {
    Single,
    Count,
    ForEach,
}

/// The values of one resource's instances, as references see them.
#[derive(Clone, Debug)]
pub struct ResourceValues {
    pub expansion: Expansion,
    pub instances: BTreeMap<InstanceKey, Value>,
}

impl ResourceValues {
    /// The value a reference to the whole resource evaluates to.
    pub fn to_value(&self) -> Value {
        match self.expansion {
            Expansion::Single => self
                .instances
                .get(&InstanceKey::None)
                .cloned()
                .unwrap_or(Value::Null),
            Expansion::Count => {
                let mut xs: Vec<(i64, &Value)> = self
                    .instances
                    .iter()
                    .filter_map(|(k, v)| match k {
                        InstanceKey::Int(i) => Some((*i, v)),
                        _ => None,
                    })
                    .collect();
                xs.sort_by_key(|(i, _)| *i);
                // Each instance at its own index: while an apply runs, instances not yet
                // created are missing from the state, and are unknown rather than shifting
                // the others down.
                let len = xs
                    .last()
                    .map_or(0, |(i, _)| usize::try_from(*i + 1).unwrap_or(0));
                let mut out = vec![Value::Unknown; len];
                for (i, v) in xs {
                    if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                        *slot = v.clone();
                    }
                }
                Value::Tuple(out)
            }
            Expansion::ForEach => Value::Object(
                self.instances
                    .iter()
                    .filter_map(|(k, v)| match k {
                        InstanceKey::Str(s) => Some((s.clone(), v.clone())),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }
}

/// The module-level scope.
pub struct ModuleScope<'a> {
    pub module: &'a Module,
    pub vars: HashMap<String, Value>,
    pub resources: HashMap<ResourceAddr, ResourceValues>,
    /// Resources whose instances cannot be known yet (e.g. unknown `count`).
    pub unknown_resources: std::collections::HashSet<ResourceAddr>,
    /// The values of module calls evaluated so far: each instance is an object of its outputs.
    pub modules: HashMap<String, ResourceValues>,
    locals: RwLock<HashMap<String, Value>>,
    /// The static types of locals inferred so far (see [`lang::infer`]).
    local_types: RwLock<HashMap<String, cairn_provider::Type>>,
    /// Locals being evaluated, and locals whose types are being inferred, by the thread doing
    /// it (guards against runaway recursion; resources of one module may be planned on several
    /// threads, see `plan::walk`).
    evaluating: Mutex<Vec<(ThreadId, String)>>,
    inferring: Mutex<Vec<(ThreadId, String)>>,
    pub cwd: String,
    /// Impure functions (`uuid()`, `timestamp()`) are unknown while planning and known once
    /// applying.
    pub planning: bool,
}

impl<'a> ModuleScope<'a> {
    pub fn new(module: &'a Module, vars: HashMap<String, Value>, cwd: String) -> ModuleScope<'a> {
        ModuleScope {
            module,
            vars,
            resources: HashMap::new(),
            unknown_resources: Default::default(),
            modules: HashMap::new(),
            locals: RwLock::new(HashMap::new()),
            local_types: RwLock::new(HashMap::new()),
            evaluating: Mutex::new(Vec::new()),
            inferring: Mutex::new(Vec::new()),
            cwd,
            planning: true,
        }
    }

    /// Evaluates a local (once) and remembers it.
    pub fn local(&self, name: &str) -> Result<Value, crate::diag::Diagnostics> {
        if let Some(v) = read(&self.locals).get(name) {
            return Ok(v.clone());
        }
        let Some(l) = self.module.locals.get(name) else {
            return Err(Diagnostic::error(
                "Reference to undeclared local value",
                format!(
                    "A local value named \"{name}\" has not been declared.{}",
                    lang::did_you_mean(name, self.module.locals.keys().map(String::as_str))
                ),
            )
            .into());
        };
        let Some(_guard) = Busy::enter(&self.evaluating, name) else {
            return Err(
                Diagnostic::error("Cycle", format!("local.{name} refers to itself.")).into(),
            );
        };
        let v = lang::eval(&l.expr, self)?;
        write(&self.locals).insert(name.to_string(), v.clone());
        Ok(v)
    }

    fn path(&self, which: &str) -> Option<Value> {
        match which {
            "module" if !self.module.path.is_empty() => Some(Value::string(&self.module.path)),
            "module" | "root" => Some(Value::string(".")),
            "cwd" => Some(Value::string(&self.cwd)),
            _ => None,
        }
    }
}

impl Scope for ModuleScope<'_> {
    fn impure_unknown(&self) -> bool {
        self.planning
    }

    fn static_type(&self, subject: &Subject) -> cairn_provider::Type {
        use cairn_provider::Type;
        match subject {
            Subject::Var(name) => self
                .module
                .variables
                .get(name.as_str())
                .and_then(|v| v.ty.clone())
                .unwrap_or(Type::Any),
            Subject::Local(name) => {
                if let Some(t) = read(&self.local_types).get(name.as_str()) {
                    return t.clone();
                }
                let Some(l) = self.module.locals.get(name.as_str()) else {
                    return Type::Any;
                };
                // A local met again while inferring its own type (a cycle) is dynamic.
                let Some(_guard) = Busy::enter(&self.inferring, name) else {
                    return Type::Any;
                };
                let t = lang::infer::static_type(&l.expr.expr, self);
                write(&self.local_types).insert(name.to_string(), t.clone());
                t
            }
            _ => Type::Any,
        }
    }

    fn resolve_instance(&self, subject: &Subject, key: &InstanceKey) -> Option<Value> {
        let Subject::Resource(addr) = subject else {
            return None;
        };
        let r = self.resources.get(addr)?;
        let indexed = matches!(
            (&r.expansion, key),
            (Expansion::Count, InstanceKey::Int(_)) | (Expansion::ForEach, InstanceKey::Str(_))
        );
        if !indexed {
            return None;
        }
        r.instances.get(key).cloned()
    }

    fn resolve(&self, subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        let at = |d: Diagnostic| d.at_opt(span.cloned());
        match subject {
            Subject::Var(name) => self.vars.get(name.as_str()).cloned().ok_or_else(|| {
                at(Diagnostic::error(
                    "Reference to undeclared input variable",
                    format!(
                        "An input variable with the name \"{name}\" has not been declared. {}",
                        match lang::suggest(name, self.vars.keys().map(String::as_str)) {
                            Some(s) => format!("Did you mean \"{s}\"?"),
                            None => format!("Declare it with a variable \"{name}\" {{}} block."),
                        }
                    ),
                ))
            }),
            Subject::Local(name) => self.local(name).map_err(|ds| {
                let d = ds.0.into_iter().next().unwrap_or_else(|| {
                    Diagnostic::error("Invalid local value", format!("local.{name}"))
                });
                if d.labels.is_empty() { at(d) } else { d }
            }),
            Subject::Resource(addr) => {
                if let Some(r) = self.resources.get(addr) {
                    return Ok(r.to_value());
                }
                if self.unknown_resources.contains(addr) {
                    return Ok(Value::Unknown);
                }
                if self.module.resources.contains_key(addr) {
                    // Declared but not planned (excluded by -target, or not reached): unknown.
                    return Ok(Value::Unknown);
                }
                let what = match addr.mode {
                    crate::addr::Mode::Managed => "managed resource",
                    crate::addr::Mode::Data => "data resource",
                };
                Err(at(Diagnostic::error(
                    "Reference to undeclared resource",
                    format!(
                        "A {what} \"{}\" \"{}\" has not been declared in {}.",
                        addr.ty,
                        addr.name,
                        if self.module.path == "." || self.module.path.is_empty() {
                            "the root module".to_string()
                        } else {
                            format!("the module in {}", self.module.path)
                        }
                    ),
                )))
            }
            Subject::Path(which) => self.path(which).ok_or_else(|| {
                at(Diagnostic::error(
                    "Invalid \"path\" attribute",
                    format!("The \"path\" object has no attribute \"{which}\"; use path.module, path.root or path.cwd."),
                ))
            }),
            Subject::TerraformWorkspace => Ok(Value::string("default")),
            Subject::Module(name) => {
                if let Some(m) = self.modules.get(name.as_str()) {
                    return Ok(m.to_value());
                }
                if self.module.calls.contains_key(name.as_str()) {
                    // Declared but not evaluated (its expansion is not known yet).
                    return Ok(Value::Unknown);
                }
                Err(at(Diagnostic::error(
                    "Reference to undeclared module",
                    format!("No module call named \"{name}\" is declared in this module."),
                )))
            }
            Subject::CountIndex => Err(at(Diagnostic::error(
                "Reference to \"count\" in non-counted context",
                "The \"count\" object can only be used in resource blocks that set the \"count\" argument.",
            ))),
            Subject::EachKey | Subject::EachValue => Err(at(Diagnostic::error(
                "Reference to \"each\" in context without for_each",
                "The \"each\" object can be used only in resource blocks that set the \"for_each\" argument.",
            ))),
            Subject::SelfObject => Err(at(Diagnostic::error(
                "Invalid \"self\" reference",
                "The \"self\" object is only available in lifecycle conditions.",
            ))),
        }
    }
}

/// The scope of one resource instance: adds `count.index`, `each.key`, `each.value`, `self`.
pub struct InstanceScope<'a> {
    pub base: &'a dyn Scope,
    pub key: &'a InstanceKey,
    pub each_value: Option<&'a Value>,
    pub self_value: Option<&'a Value>,
}

impl Scope for InstanceScope<'_> {
    fn impure_unknown(&self) -> bool {
        self.base.impure_unknown()
    }

    fn static_type(&self, subject: &Subject) -> cairn_provider::Type {
        self.base.static_type(subject)
    }

    fn resolve(&self, subject: &Subject, span: Option<&Span>) -> Result<Value, Diagnostic> {
        match (subject, self.key) {
            (Subject::CountIndex, InstanceKey::Int(i)) => Ok(Value::number(*i)),
            (Subject::EachKey, InstanceKey::Str(s)) if self.each_value.is_some() => {
                Ok(Value::string(s))
            }
            (Subject::EachValue, _) if self.each_value.is_some() => {
                Ok(self.each_value.cloned().unwrap_or(Value::Null))
            }
            (Subject::SelfObject, _) if self.self_value.is_some() => {
                Ok(self.self_value.cloned().unwrap_or(Value::Null))
            }
            _ => self.base.resolve(subject, span),
        }
    }
    fn resolve_instance(&self, subject: &Subject, key: &InstanceKey) -> Option<Value> {
        self.base.resolve_instance(subject, key)
    }
}

/// Reads a cache; a panic elsewhere cannot leave one half-written (inserts are single calls).
fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

/// Marks a name as being worked on by this thread until dropped; `None` when this thread is
/// already working on it (a cycle). Other threads' work on the same name is not a cycle.
struct Busy<'a> {
    list: &'a Mutex<Vec<(ThreadId, String)>>,
}

impl<'a> Busy<'a> {
    fn enter(list: &'a Mutex<Vec<(ThreadId, String)>>, name: &str) -> Option<Busy<'a>> {
        let me = std::thread::current().id();
        let mut l = list.lock().unwrap_or_else(PoisonError::into_inner);
        if l.iter().any(|(t, n)| *t == me && n == name) {
            return None;
        }
        l.push((me, name.to_string()));
        Some(Busy { list })
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let me = std::thread::current().id();
        let mut l = self.list.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = l.iter().rposition(|(t, _)| *t == me) {
            l.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_instances_keep_their_index_when_some_are_missing() {
        let rv = ResourceValues {
            expansion: Expansion::Count,
            instances: BTreeMap::from([
                (InstanceKey::Int(0), Value::string("a0")),
                (InstanceKey::Int(2), Value::string("a2")),
            ]),
        };
        assert_eq!(
            rv.to_value(),
            Value::Tuple(vec![
                Value::string("a0"),
                Value::Unknown,
                Value::string("a2")
            ])
        );
    }
}
