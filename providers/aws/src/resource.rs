//! The traits every AWS resource type and data source implements, and the table plumbing
//! `lib.rs` dispatches through. A resource sees only the configured [`Ctx`] and plain values;
//! planning rules shared by all (schema defaults, `tags_all`, force-new) live in `lib.rs`.

use async_trait::async_trait;
use cairn_provider::{PlanResponse, ResourceSchema, Schema, Value};

use crate::ctx::{AwsError, Ctx};

/// One managed resource type (`aws_vpc`, ...).
///
/// `lib.rs` does the common work around these methods: it applies [`AwsResource::defaults`] to
/// the configuration, plans with `plan_by_schema` (force-new attributes replace), plans
/// `tags_all`, and on update syncs tags (CreateTags/DeleteTags) *before* calling
/// [`AwsResource::update`], which therefore handles only the other attributes. Deleting an
/// object that is already gone (a `*.NotFound` error) counts as success.
#[async_trait]
pub(crate) trait AwsResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    /// The schema, `force_new` attributes marked like Terraform's provider. `tags`/`tags_all` are
    /// added by `lib.rs` when [`AwsResource::taggable`].
    fn schema(&self) -> ResourceSchema;
    /// Adds `tags` / `tags_all` handling in `lib.rs`. The object's `id` must be taggable.
    fn taggable(&self) -> bool {
        true
    }
    /// The id tags are set on (CreateTags/DeleteTags): `id`, unless the API tags another
    /// identifier (a key pair is tagged by its `key_pair_id`, not by its name).
    fn tag_id(&self, prior: &Value) -> Option<String> {
        crate::values::get_str(prior, "id").map(str::to_string)
    }
    /// Terraform's schema defaults: values an unset (null) configured attribute takes.
    fn defaults(&self) -> Vec<(&'static str, Value)> {
        Vec::new()
    }
    /// Rewrites the configuration before planning, like a Terraform DiffSuppressFunc: a
    /// configured value the object already satisfies in another form plans as the prior one.
    fn normalize_config(&self, _prior: Option<&Value>, config: Value) -> Value {
        config
    }
    /// The value recorded in state after a create (`prior` None) or update, from the value the
    /// apply settled on: where Terraform's provider stores a derived form (a hash), this is the
    /// place to derive it.
    fn state_value(&self, _prior: Option<&Value>, v: Value) -> Value {
        v
    }
    /// Extra planning after `plan_by_schema` (e.g. computed attributes that change when others do,
    /// replacement rules looser or stricter than `force_new`).
    fn adjust_plan(&self, _prior: Option<&Value>, _config: &Value, _resp: &mut PlanResponse) {}
    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, AwsError>;
    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, AwsError>;
    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), AwsError>;
    /// Refreshes many objects of this type in as few API calls as possible (one Describe* with
    /// many ids, paginated); the result is aligned with `current`; `None` = gone.
    async fn read_many(&self, ctx: &Ctx, current: &[Value])
    -> Result<Vec<Option<Value>>, AwsError>;
    /// Reads an existing object by its import id (Terraform's import id format for the type);
    /// by default the import id is the object id, read through [`AwsResource::read_many`].
    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Option<Value>, AwsError> {
        let cur = crate::values::obj(vec![("id", Value::string(id))]);
        Ok(self.read_many(ctx, &[cur]).await?.pop().flatten())
    }
}

/// One data source (`data "aws_vpc"`, ...).
#[async_trait]
pub(crate) trait AwsDataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, AwsError>;
}
