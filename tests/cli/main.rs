//! End-to-end tests: the built `cairn` binary driven on fixtures and scratch directories, with
//! real providers (files on disk for `local_file`), real processes for locking and crash tests,
//! and the installed `terraform` as the oracle for state interoperability.

mod support;

#[cfg(feature = "aws")]
mod aws;
mod console;
mod corpus_locals;
mod e2e;
mod failure;
mod fmt;
mod interop;
mod json_import;
mod json_log;
mod json_plan;
mod modules;
mod plan_file;
mod refactor;
mod scale;
mod snapshot;
mod time_provider;
mod validate;
