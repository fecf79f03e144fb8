//! `cairn import ADDR ID`: Terraform's import verb. Brings an existing object under management:
//! configures the providers the configuration declares (evaluating their blocks), asks the
//! resource's provider to read the object by its import id, and records it in state at `ADDR`,
//! which must be declared in the configuration and not yet be in state.
//!
//! Owns only the import command; planning and state formats stay in `plan` and `state`.

use std::io::Write;

use anyhow::bail;

use super::args::ImportArgs;
use super::registry::Builtin;
use super::support::{self, LockGuard, report};
use super::{Reported, Ui};
use crate::addr::{InstanceAddr, InstanceKey, Target};
use crate::config::{Module, ProviderRef};
use crate::plan;
use crate::state::InstanceState;
use crate::state::backend::Backend;

/// The module that declares `addr`'s resource (module instance keys are ignored: every instance
/// of a module call shares one configuration).
fn declaring_module<'a>(root: &'a Module, addr: &InstanceAddr) -> Option<&'a Module> {
    let mut m = root;
    for step in &addr.resource.module.0 {
        m = m.child(&step.name)?;
    }
    Some(m)
}

pub(crate) async fn import(args: ImportArgs, ui: Ui) -> anyhow::Result<i32> {
    let addr = match args.address.parse::<Target>() {
        Ok(Target::Instance(i)) => i,
        Ok(Target::Resource(r)) => r.instance(InstanceKey::None),
        Ok(Target::Module(_)) | Err(_) => bail!(
            "Invalid address\n\nThe import address {:?} must name a resource instance, like aws_vpc.main or module.net.aws_subnet.a[0].",
            args.address
        ),
    };
    let mut config = support::load_config(ui, true)?;
    let Some(module) = declaring_module(&config.root, &addr) else {
        bail!(
            "Configuration for import target does not exist\n\nThe configuration has no module for {addr}."
        );
    };
    let local = crate::addr::ResourceAddr {
        module: crate::addr::ModulePath::root(),
        ..addr.resource.clone()
    };
    let Some(resource) = module.resources.get(&local) else {
        bail!(
            "Configuration for import target does not exist\n\nThe configuration for the given import {addr} does not exist. All target instances must have an associated configuration to be imported. Add a resource block for it first."
        );
    };
    let provider_ref = resource.provider.clone().unwrap_or_else(|| ProviderRef {
        name: addr
            .resource
            .ty
            .split('_')
            .next()
            .unwrap_or_default()
            .into(),
        alias: None,
    });
    let path = support::state_path(Some(&config), args.flags.state.as_ref())?;
    let backend = support::backend(&path);
    let guard = LockGuard::acquire(
        &backend,
        args.flags.lock,
        "OperationTypeImport",
        &args.flags.lock_timeout,
    )
    .await?;
    let mut state = backend.read().await?.unwrap_or_default();
    if state.instance(&addr).is_some() {
        bail!(
            "Resource already managed by cairn\n\ncairn is already managing a remote object for {addr}. To import to this address you must first remove the existing object from the state."
        );
    }
    let vars = support::variables(&mut config, &args.flags, ui)?;
    let opts = plan::Options {
        mode: plan::Mode::RefreshOnly,
        refresh: false,
        vars,
        cwd: support::cwd()?.display().to_string(),
        ..plan::Options::default()
    };
    let registry = Builtin::new();
    let planned = match plan::plan(&config, state.clone(), &registry, &opts).await {
        Ok(p) => p,
        Err(ds) => {
            report(&ds, &config.sources, ui);
            return Err(Reported.into());
        }
    };
    let Some(configured) = planned.providers.get(&provider_ref) else {
        bail!("Provider configuration not present\n\nNo provider {provider_ref:?} for {addr}.");
    };
    let Some(schema) = configured.schema.resources.get(addr.resource.ty.as_str()) else {
        bail!(
            "Invalid resource type\n\nThe provider {} does not support resource type {:?}.",
            configured.source,
            addr.resource.ty
        );
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{addr}: Importing from ID {:?}...", args.id)?;
    let value = match configured
        .provider
        .import(&addr.resource.ty, &args.id)
        .await
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("\nError: Cannot import {addr}\n\n{}\n", e.message);
            return Err(Reported.into());
        }
    };
    writeln!(out, "{addr}: Import prepared!")?;
    writeln!(out, "  Prepared {} for import", addr.resource.ty)?;
    let inst = InstanceState {
        attributes: value.to_json_typed(&schema.schema.object_type()).into(),
        sensitive_paths: schema.schema.sensitive_paths(&value),
        schema_version: schema.schema.version,
        dependencies: Vec::new(),
        create_before_destroy: false,
        tainted: false,
        private: None,
    };
    state.set_instance(&addr, &configured.addr, Some(inst));
    backend.write(&state).await?;
    guard.release().await?;
    writeln!(
        out,
        "\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour cairn state and will henceforth be managed by cairn."
    )?;
    Ok(0)
}
