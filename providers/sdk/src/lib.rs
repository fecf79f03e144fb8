//! The provider contract of cairn: the values that cross between the engine and a provider
//! ([`Value`], [`Type`]), how a provider describes its resources ([`Schema`]), the lifecycle it
//! implements ([`Provider`]) and the errors it reports ([`ProviderError`]); also Go's duration
//! syntax ([`duration`]), which the engine's `timeadd` and the time provider both read.
//!
//! This crate depends on no other crate of the project: the engine and every provider depend on it,
//! which is what lets the CLI link concrete providers without a dependency cycle. It must not know
//! about configuration files, state files or plans.

pub mod duration;
pub mod map;
pub mod number;
pub mod provider;
pub mod schema;
pub mod testing;
pub mod types;
pub mod value;

pub use map::{SortedMap, ValueMap};
pub use provider::{
    PlanRequest, PlanResponse, Provider, ProviderError, ProviderErrorKind, ProviderFactory,
    ProviderMeta,
};
pub use schema::{Attribute, BlockNesting, NestedBlock, ProviderSchema, ResourceSchema, Schema};
pub use types::Type;
pub use value::{Number, PathStep, Value, ValuePath};
