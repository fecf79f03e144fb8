//! cairn: an infrastructure provisioning orchestrator that reads Terraform configurations, plans
//! changes against a Terraform-compatible state, and applies them through providers with
//! rollback on failure. See docs/ARCHITECTURE.md for the map of modules.

pub mod addr;
pub mod apply;
pub mod cli;
pub mod config;
pub mod diag;
pub mod fmt;
pub mod graph;
pub mod intern;
pub mod lang;
pub mod par;
pub mod plan;
pub mod policy;
pub mod render;
pub mod state;
