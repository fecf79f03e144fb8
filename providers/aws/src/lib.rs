//! The `aws` provider (`hashicorp/aws`): the EC2 part of Terraform's AWS provider on
//! `aws-sdk-ec2` — VPCs, subnets, gateways, route tables, security groups, network ACLs,
//! instances and their companions — with Terraform's resource names, attributes and
//! replacement rules, so terraform-aws-modules code runs as written.
//!
//! This file owns the tables of resource types and data sources ([`resources`],
//! [`data_sources`]) and the dispatch of the `Provider` trait to them, with the planning rules
//! every resource shares: schema defaults, `plan_by_schema`, `tags_all`, `region`. Resource logic lives in
//! `resources/`, data sources in `data/`; it must not know about configuration, state files or
//! plans beyond the `cairn-provider` contract.

mod config;
mod ctx;
mod data;
mod resource;
mod resources;
mod tags;
mod values;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use cairn_provider::{
    Attribute, PlanRequest, PlanResponse, Provider, ProviderError, ProviderMeta, ProviderSchema,
    ResourceSchema, Schema, Type, Value, provider::plan_by_schema,
};

use crate::ctx::{Ctx, is_not_found};
use crate::resource::{AwsDataSource, AwsResource};
use crate::values::with_attr;

/// The managed resource types, one line each.
fn resources() -> Vec<Arc<dyn AwsResource>> {
    vec![
        Arc::new(resources::vpc::Vpc),
        Arc::new(resources::subnet::Subnet),
        Arc::new(resources::instance::Instance),
        Arc::new(resources::eip::Eip),
        Arc::new(resources::nat_gateway::NatGateway),
        Arc::new(resources::key_pair::KeyPair),
        Arc::new(resources::ebs_volume::EbsVolume),
        Arc::new(resources::volume_attachment::VolumeAttachment),
        Arc::new(resources::launch_template::LaunchTemplate),
        Arc::new(resources::internet_gateway::Igw),
        Arc::new(resources::route_table::RouteTableRes),
        Arc::new(resources::route::RouteRes),
        Arc::new(resources::route_table_association::Rta),
        Arc::new(resources::security_group::SecurityGroupRes),
        Arc::new(resources::security_group_rule::SgRule),
        Arc::new(resources::vpc_security_group_rule::VpcSgRule { egress: false }),
        Arc::new(resources::vpc_security_group_rule::VpcSgRule { egress: true }),
        Arc::new(resources::network_acl::NetworkAclRes),
    ]
}

/// The data sources, one line each.
fn data_sources() -> Vec<Arc<dyn AwsDataSource>> {
    vec![
        Arc::new(data::ami::Ami),
        Arc::new(data::availability_zones::AvailabilityZones),
        Arc::new(data::vpc::Vpc),
        Arc::new(data::subnet::Subnet),
        Arc::new(data::subnets::Subnets),
        Arc::new(data::security_group::SecurityGroup),
    ]
}

/// A fresh, unconfigured `aws` provider.
pub fn factory() -> Box<dyn Provider> {
    Box::new(AwsProvider::new())
}

/// The `aws` provider.
pub struct AwsProvider {
    ctx: Option<Arc<Ctx>>,
    resources: BTreeMap<&'static str, Arc<dyn AwsResource>>,
    data: BTreeMap<&'static str, Arc<dyn AwsDataSource>>,
}

impl Default for AwsProvider {
    fn default() -> AwsProvider {
        AwsProvider::new()
    }
}

impl AwsProvider {
    pub fn new() -> AwsProvider {
        AwsProvider {
            ctx: None,
            resources: resources()
                .into_iter()
                .map(|r| (r.type_name(), r))
                .collect(),
            data: data_sources()
                .into_iter()
                .map(|d| (d.type_name(), d))
                .collect(),
        }
    }

    fn resource(&self, type_name: &str) -> Result<&Arc<dyn AwsResource>, ProviderError> {
        self.resources.get(type_name).ok_or_else(|| {
            ProviderError::unsupported(format!("the aws provider has no resource type {type_name}"))
        })
    }

    fn ctx(&self) -> Result<&Ctx, ProviderError> {
        self.ctx
            .as_deref()
            .ok_or_else(|| ProviderError::permanent("the aws provider is not configured"))
    }

    fn full_schema(r: &dyn AwsResource) -> ResourceSchema {
        let mut s = r.schema();
        if r.taggable() {
            s.schema = tags::add_attributes(s.schema);
        }
        s.schema = add_region(s.schema);
        s
    }

    /// The region an object's `region` argument names: the provider's own when unset. Only the
    /// provider's region is served (one EC2 client per provider configuration); another is an
    /// error that says what to do.
    fn region_of(&self, config: &Value) -> Result<Option<String>, ProviderError> {
        let Some(ctx) = self.ctx.as_deref() else {
            return Ok(None);
        };
        match config.get_attr("region") {
            Some(Value::String(r)) if *r != ctx.region => Err(ProviderError::permanent(format!(
                "region {r:?} differs from the provider configuration's region {:?}: cairn's aws provider manages each object in its provider's region. Use a provider configuration with region = {r:?} (an alias, selected with `provider = aws.ALIAS`) instead of the `region` argument.",
                ctx.region
            ))),
            Some(v) if !v.is_null() && !v.is_wholly_known() => Ok(None),
            _ => Ok(Some(ctx.region.clone())),
        }
    }

    /// An object read from the API, with the `region` it lives in.
    fn with_region(&self, v: Value) -> Value {
        match self.ctx.as_deref() {
            Some(ctx) if v.as_map().is_some() => {
                with_attr(&v, "region", Value::string(ctx.region.clone()))
            }
            _ => v,
        }
    }
}

/// The `region` argument of version 6 of Terraform's AWS provider (optional; computed as the
/// provider's region), on every resource and data source.
fn add_region(schema: Schema) -> Schema {
    schema.attr("region", Attribute::optional_computed(Type::String))
}

/// The configuration with Terraform's schema defaults filled into unset attributes.
fn with_defaults(r: &dyn AwsResource, config: &Value) -> Value {
    let mut out = config.clone();
    for (name, v) in r.defaults() {
        if out.get_attr(name).is_none_or(Value::is_null) {
            out = with_attr(&out, name, v);
        }
    }
    out
}

/// The value a create or update returns: the API's view, with every known planned attribute kept
/// as planned (the contract: known planned values come back unchanged).
fn settle(planned: &Value, from_api: Value) -> Value {
    let mut out = from_api.as_map().cloned().unwrap_or_default();
    if let Some(p) = planned.as_map() {
        for (k, v) in p {
            if v.is_wholly_known() {
                out.insert(k.clone(), v.clone());
            } else if !out.contains_key(k) {
                out.insert(k.clone(), Value::Null);
            }
        }
    }
    Value::Object(out)
}

#[async_trait]
impl Provider for AwsProvider {
    fn meta(&self) -> ProviderMeta {
        ProviderMeta {
            name: "aws",
            source: "hashicorp/aws",
            version: "5.100.0",
        }
    }

    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema {
            provider: config::schema(),
            ..ProviderSchema::default()
        };
        for (name, r) in &self.resources {
            s.resources
                .insert(name.to_string(), Self::full_schema(r.as_ref()));
        }
        for (name, d) in &self.data {
            s.data_sources
                .insert(name.to_string(), add_region(d.schema()));
        }
        s
    }

    async fn configure(&mut self, config: &Value) -> Result<(), ProviderError> {
        self.ctx = Some(Arc::new(config::build(config).await?));
        Ok(())
    }

    async fn plan(&self, req: PlanRequest<'_>) -> Result<PlanResponse, ProviderError> {
        let r = self.resource(req.type_name)?;
        let Some(config) = req.config else {
            return Ok(PlanResponse {
                planned: Value::Null,
                requires_replace: vec![],
            });
        };
        let config = r.normalize_config(req.prior, with_defaults(r.as_ref(), config));
        let schema = Self::full_schema(r.as_ref()).schema;
        let mut resp = plan_by_schema(&schema, req.prior, &config);
        if r.taggable() {
            let defaults = self
                .ctx
                .as_ref()
                .map(|c| c.default_tags.clone())
                .unwrap_or_default();
            let all = tags::plan_tags_all(&defaults, &resp.planned);
            resp.planned = with_attr(&resp.planned, "tags_all", all);
        }
        r.adjust_plan(req.prior, &config, &mut resp);
        let region = match self.region_of(&config)? {
            Some(r) => Value::string(r),
            None => Value::Unknown,
        };
        resp.planned = with_attr(&resp.planned, "region", region);
        Ok(resp)
    }

    async fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        let r = self.resource(type_name)?;
        let ctx = self.ctx()?;
        match (prior, planned) {
            (None, None) => Ok(None),
            (Some(prior), None) => match r.delete(ctx, prior).await {
                Ok(()) => Ok(None),
                Err(e) if is_not_found(&e) => Ok(None),
                Err(e) => Err(e.into()),
            },
            (None, Some(planned)) => {
                let v = r.create(ctx, planned).await?;
                Ok(Some(r.state_value(None, settle(planned, v))))
            }
            (Some(prior), Some(planned)) => {
                if r.taggable()
                    && prior.get_attr("tags_all") != planned.get_attr("tags_all")
                    && let Some(id) = r.tag_id(prior)
                {
                    tags::sync(ctx, &id, prior, planned).await?;
                }
                let v = r.update(ctx, prior, planned).await?;
                Ok(Some(r.state_value(Some(prior), settle(planned, v))))
            }
        }
    }

    async fn read(&self, type_name: &str, current: &Value) -> Result<Option<Value>, ProviderError> {
        let mut out = self
            .read_many(type_name, std::slice::from_ref(current))
            .await;
        out.pop()
            .unwrap_or_else(|| Err(ProviderError::permanent("read returned nothing")))
    }

    async fn read_many(
        &self,
        type_name: &str,
        currents: &[Value],
    ) -> Vec<Result<Option<Value>, ProviderError>> {
        let (r, ctx) = match (self.resource(type_name), self.ctx()) {
            (Ok(r), Ok(c)) => (r, c),
            (Err(e), _) | (_, Err(e)) => return currents.iter().map(|_| Err(e.clone())).collect(),
        };
        match r.read_many(ctx, currents).await {
            Ok(v) if v.len() == currents.len() => v
                .into_iter()
                .map(|o| Ok(o.map(|v| self.with_region(v))))
                .collect(),
            Ok(_) => currents
                .iter()
                .map(|_| {
                    Err(ProviderError::permanent(format!(
                        "{type_name}: refresh lost track of objects"
                    )))
                })
                .collect(),
            Err(e) => {
                let e: ProviderError = e.into();
                currents.iter().map(|_| Err(e.clone())).collect()
            }
        }
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let d = self.data.get(type_name).ok_or_else(|| {
            ProviderError::unsupported(format!("the aws provider has no data source {type_name}"))
        })?;
        self.region_of(config)?;
        Ok(self.with_region(d.read(self.ctx()?, config).await?))
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Value, ProviderError> {
        let r = self.resource(type_name)?;
        match r.import(self.ctx()?, id).await {
            Ok(Some(v)) => Ok(self.with_region(v)),
            Ok(None) => Err(ProviderError::permanent(format!(
                "Cannot import non-existent remote object: {type_name} with id {id:?} was not found"
            ))),
            Err(e) if is_not_found(&e) => Err(ProviderError::permanent(format!(
                "Cannot import non-existent remote object: {type_name} with id {id:?} was not found"
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
