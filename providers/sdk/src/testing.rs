//! Testing support: [`MockProvider`], an in-memory provider whose "real world" tests can inspect
//! and whose operations can be made to fail, for exercising the executor (rollback, crash
//! recovery) without touching anything outside the process. It is not linked into the CLI's
//! provider registry. Also [`Gen`], the small deterministic generator that generated-input
//! tests share.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::provider::{
    PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta, plan_by_schema,
};
use crate::schema::{Attribute, ProviderSchema, ResourceSchema, Schema};
use crate::types::Type;
use crate::value::Value;

/// A small deterministic pseudo-random generator for tests that generate their inputs (no
/// dependency; the same seed gives the same sequence everywhere).
pub struct Gen(pub u64);

impl Gen {
    /// A number below `n` (0 when `n` is 0).
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
    /// An index below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.next(n as u64) as usize
    }
}

/// Which lifecycle operation a failure rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Delete,
    Read,
}

/// The mock's world: live objects by id, the operations seen, and the failure rules.
#[derive(Debug, Default)]
pub struct World {
    pub objects: BTreeMap<String, Value>,
    /// Every operation performed, in order, as `(op, name)`.
    pub log: Vec<(Op, String)>,
    fail: Vec<(Op, String)>,
    next_id: u64,
    pub delay: Option<Duration>,
}

/// A shared handle on a [`World`].
#[derive(Clone, Debug, Default)]
pub struct WorldHandle(pub Arc<Mutex<World>>);

impl WorldHandle {
    /// Makes the operation `op` on the object named `name` fail with a permanent error.
    pub fn fail_on(&self, op: Op, name: &str) {
        self.0.lock().unwrap().fail.push((op, name.to_string()));
    }
    pub fn clear_failures(&self) {
        self.0.lock().unwrap().fail.clear();
    }
    /// Names of the live objects, sorted.
    pub fn names(&self) -> Vec<String> {
        let w = self.0.lock().unwrap();
        let mut v: Vec<String> = w
            .objects
            .values()
            .filter_map(|o| {
                o.get_attr("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        v.sort();
        v
    }
    pub fn get_by_name(&self, name: &str) -> Option<Value> {
        let w = self.0.lock().unwrap();
        w.objects
            .values()
            .find(|o| o.get_attr("name").and_then(Value::as_str) == Some(name))
            .cloned()
    }
    /// Removes an object behind the engine's back (drift).
    pub fn delete_behind_back(&self, name: &str) {
        let mut w = self.0.lock().unwrap();
        w.objects
            .retain(|_, o| o.get_attr("name").and_then(Value::as_str) != Some(name));
    }
    pub fn log(&self) -> Vec<(Op, String)> {
        self.0.lock().unwrap().log.clone()
    }
}

/// A provider named `mock` with one resource type, `mock_thing`:
/// `id` (computed), `name` (required, force-new), `value` (optional, updatable in place),
/// `secret` (optional, sensitive).
#[derive(Debug, Default)]
pub struct MockProvider {
    pub world: WorldHandle,
    /// What [`Provider::state_only`] answers (false unless set).
    pub state_only: bool,
}

impl MockProvider {
    pub fn new(world: WorldHandle) -> MockProvider {
        MockProvider {
            world,
            state_only: false,
        }
    }
    fn thing_schema() -> Schema {
        Schema::new()
            .attr("id", Attribute::computed(Type::String))
            .attr("name", Attribute::required(Type::String).force_new())
            .attr("value", Attribute::optional(Type::String))
            .attr("secret", Attribute::optional(Type::String).sensitive())
    }
    fn check(&self, op: Op, name: &str) -> Result<(), ProviderError> {
        let mut w = self.world.0.lock().unwrap();
        w.log.push((op, name.to_string()));
        if w.fail.iter().any(|(o, n)| *o == op && n == name) {
            return Err(ProviderError::permanent(format!(
                "injected failure: {op:?} of {name}"
            )));
        }
        Ok(())
    }
    async fn pause(&self) {
        let d = self.world.0.lock().unwrap().delay;
        if let Some(d) = d {
            tokio::time::sleep(d).await;
        }
    }
}

fn name_of(v: &Value) -> String {
    v.get_attr("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[async_trait]
impl Provider for MockProvider {
    fn meta(&self) -> ProviderMeta {
        ProviderMeta {
            name: "mock",
            source: "cairn/mock",
            version: "0.0.0",
        }
    }
    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.resources.insert(
            "mock_thing".into(),
            ResourceSchema::new(Self::thing_schema(), true),
        );
        s
    }
    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        Ok(match req.config {
            Some(cfg) => plan_by_schema(&Self::thing_schema(), req.prior, cfg),
            None => PlanResponse {
                planned: Value::Null,
                requires_replace: vec![],
            },
        })
    }
    async fn apply(
        &self,
        _type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        self.pause().await;
        match (prior, planned) {
            (_, None) => {
                let prior = prior.expect("delete has a prior object");
                self.check(Op::Delete, &name_of(prior))?;
                let id = prior
                    .get_attr("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.world.0.lock().unwrap().objects.remove(id);
                Ok(None)
            }
            (None, Some(planned)) => {
                self.check(Op::Create, &name_of(planned))?;
                let mut w = self.world.0.lock().unwrap();
                w.next_id += 1;
                let id = format!("thing-{}", w.next_id);
                let mut obj = planned.as_map().cloned().unwrap_or_default();
                obj.insert("id".into(), Value::string(&id));
                let obj = Value::Object(obj);
                w.objects.insert(id, obj.clone());
                Ok(Some(obj))
            }
            (Some(prior), Some(planned)) => {
                self.check(Op::Update, &name_of(planned))?;
                let id = prior
                    .get_attr("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let mut w = self.world.0.lock().unwrap();
                let mut obj = planned.as_map().cloned().unwrap_or_default();
                obj.insert("id".into(), Value::string(id));
                let obj = Value::Object(obj);
                w.objects.insert(id.to_string(), obj.clone());
                Ok(Some(obj))
            }
        }
    }
    fn state_only(&self, _type_name: &str) -> bool {
        self.state_only
    }
    async fn read(
        &self,
        _type_name: &str,
        current: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        self.check(Op::Read, &name_of(current))?;
        let id = current
            .get_attr("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Ok(self.world.0.lock().unwrap().objects.get(id).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lifecycle_and_injected_failure() {
        let world = WorldHandle::default();
        let p = MockProvider::new(world.clone());
        let cfg = Value::object([("name", Value::string("a"))]);
        let plan = p
            .plan(PlanRequest {
                type_name: "mock_thing",
                prior: None,
                config: Some(&cfg),
            })
            .await
            .unwrap();
        let obj = p
            .apply("mock_thing", None, Some(&plan.planned))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(world.names(), vec!["a"]);
        assert!(p.read("mock_thing", &obj).await.unwrap().is_some());
        world.fail_on(Op::Delete, "a");
        assert!(p.apply("mock_thing", Some(&obj), None).await.is_err());
        world.clear_failures();
        p.apply("mock_thing", Some(&obj), None).await.unwrap();
        assert!(world.names().is_empty());
        assert!(p.read("mock_thing", &obj).await.unwrap().is_none());
    }
}
