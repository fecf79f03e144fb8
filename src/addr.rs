//! Addresses of resources and their instances: `aws_instance.web`, `data.local_file.x`,
//! `random_id.a[0]`, `terraform_data.b["key"]`, `module.m.null_resource.n`.
//!
//! Addresses are immutable values. `Display` prints configuration syntax (what Terraform prints
//! and stores); `FromStr` parses the same syntax, as `-target`, `-replace` and `state` commands
//! take it. This module knows nothing of configuration, state or plans.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use crate::intern::Name;

/// Managed resource or data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mode {
    Managed,
    Data,
}

impl Mode {
    /// The name used in state files and JSON plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Managed => "managed",
            Mode::Data => "data",
        }
    }
}

/// The key of one instance: none for a resource without `count`/`for_each`, an index for
/// `count`, a string for `for_each`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub enum InstanceKey {
    #[default]
    None,
    Int(i64),
    Str(String),
}

impl InstanceKey {
    /// The key a value indexes a resource by: a string (`for_each`) or a whole number
    /// (`count`).
    pub fn of_value(v: &cairn_provider::Value) -> Option<InstanceKey> {
        match v {
            cairn_provider::Value::String(s) => Some(InstanceKey::Str(s.clone())),
            cairn_provider::Value::Number(n) => n.as_i64().map(InstanceKey::Int),
            _ => None,
        }
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", quote(s)),
        }
    }
}

/// Quotes a string as an HCL string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One step of a module instance path: `module.NAME[KEY]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ModuleStep {
    pub name: Name,
    pub key: InstanceKey,
}

/// The path of a module instance; empty for the root module.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct ModulePath(pub Vec<ModuleStep>);

impl ModulePath {
    pub fn root() -> ModulePath {
        ModulePath(Vec::new())
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "module.{}{}", s.name, s.key)?;
        }
        Ok(())
    }
}

/// A resource (all its instances): `module.m.aws_instance.web`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceAddr {
    pub module: ModulePath,
    pub mode: Mode,
    pub ty: Name,
    pub name: Name,
}

impl ResourceAddr {
    pub fn managed(ty: &str, name: &str) -> ResourceAddr {
        ResourceAddr {
            module: ModulePath::root(),
            mode: Mode::Managed,
            ty: Name::new(ty),
            name: Name::new(name),
        }
    }
    pub fn data(ty: &str, name: &str) -> ResourceAddr {
        ResourceAddr {
            mode: Mode::Data,
            ..ResourceAddr::managed(ty, name)
        }
    }
    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }
    /// The provider's local name implied by the type: `aws` for `aws_instance`.
    pub fn implied_provider(&self) -> &str {
        self.ty.split('_').next().unwrap_or(&self.ty)
    }
    /// The address within its module, without the module path (`aws_instance.web`).
    pub fn local(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.ty, self.name),
            Mode::Data => format!("data.{}.{}", self.ty, self.name),
        }
    }

    /// The resource as configured, in every instance of its module: `module.b.terraform_data.x`
    /// for `module.b[0].terraform_data.x`. Terraform records dependencies at this level.
    pub fn config(&self) -> ResourceAddr {
        ResourceAddr {
            module: ModulePath(
                self.module
                    .0
                    .iter()
                    .map(|s| ModuleStep {
                        name: s.name,
                        key: InstanceKey::None,
                    })
                    .collect(),
            ),
            ..self.clone()
        }
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.local())
    }
}

/// One instance of a resource: `aws_instance.web[0]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

/// What a `-target`, `-replace` or `state` command names: a whole resource or one instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    Resource(ResourceAddr),
    Instance(InstanceAddr),
    Module(ModulePath),
}

impl Target {
    /// Whether this target selects the given instance.
    pub fn contains(&self, addr: &InstanceAddr) -> bool {
        match self {
            Target::Resource(r) => &addr.resource == r,
            Target::Instance(i) => i == addr,
            Target::Module(m) => addr.resource.module.0.starts_with(&m.0),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Resource(r) => write!(f, "{r}"),
            Target::Instance(i) => write!(f, "{i}"),
            Target::Module(m) => write!(f, "{m}"),
        }
    }
}

#[derive(Debug, Error, PartialEq)]
#[error("invalid address {input:?}: {reason}")]
pub struct ParseError {
    pub input: String,
    pub reason: String,
}

fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_alphabetic() || c == '_')
        && cs.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Splits `name[key]` into the name and the parsed key.
fn split_key(part: &str, input: &str) -> Result<(String, InstanceKey), ParseError> {
    let err = |reason: &str| ParseError {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let Some(open) = part.find('[') else {
        return Ok((part.to_string(), InstanceKey::None));
    };
    if !part.ends_with(']') {
        return Err(err("an instance key must end with ']'"));
    }
    let name = &part[..open];
    let inner = &part[open + 1..part.len() - 1];
    let key = if let Some(s) = inner.strip_prefix('"') {
        let s = s
            .strip_suffix('"')
            .ok_or_else(|| err("unterminated string key"))?;
        InstanceKey::Str(s.replace("\\\"", "\"").replace("\\\\", "\\"))
    } else {
        InstanceKey::Int(
            inner
                .parse()
                .map_err(|_| err("an instance key is a number or a quoted string"))?,
        )
    };
    Ok((name.to_string(), key))
}

/// Splits on dots that are not inside brackets.
fn split_dots(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut in_str, mut start) = (0, false, 0);
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_str = !in_str,
            b'[' if !in_str => depth += 1,
            b']' if !in_str => depth -= 1,
            b'.' if !in_str && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

impl FromStr for Target {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<Target, ParseError> {
        let err = |reason: &str| ParseError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let parts = split_dots(input.trim());
        let mut i = 0;
        let mut module = Vec::new();
        while i < parts.len() && parts[i] == "module" {
            let step = parts
                .get(i + 1)
                .ok_or_else(|| err("'module' must be followed by a name"))?;
            let (name, key) = split_key(step, input)?;
            if !is_ident(&name) {
                return Err(err("invalid module name"));
            }
            module.push(ModuleStep {
                name: Name::new(&name),
                key,
            });
            i += 2;
        }
        let module = ModulePath(module);
        let rest = &parts[i..];
        if rest.is_empty() {
            return if module.is_root() {
                Err(err("an address names a resource, like aws_instance.web"))
            } else {
                Ok(Target::Module(module))
            };
        }
        let (mode, rest) = if rest[0] == "data" {
            (Mode::Data, &rest[1..])
        } else {
            (Mode::Managed, rest)
        };
        if rest.len() != 2 {
            return Err(err("an address is TYPE.NAME, optionally with [KEY]"));
        }
        let (name, key) = split_key(rest[1], input)?;
        if !is_ident(rest[0]) || !is_ident(&name) {
            return Err(err("resource type and name must be identifiers"));
        }
        let resource = ResourceAddr {
            module,
            mode,
            ty: Name::new(rest[0]),
            name: Name::new(&name),
        };
        Ok(match key {
            InstanceKey::None if !rest[1].contains('[') => Target::Resource(resource),
            key => Target::Instance(InstanceAddr { resource, key }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(s: &str) {
        let t: Target = s.parse().unwrap();
        assert_eq!(t.to_string(), s);
    }

    #[test]
    fn parses_and_prints() {
        round_trip("aws_instance.web");
        round_trip("aws_instance.web[0]");
        round_trip("terraform_data.b[\"a.b\"]");
        round_trip("data.local_file.x");
        round_trip("module.m[\"k\"].null_resource.n[3]");
        round_trip("module.m");
    }

    #[test]
    fn rejects_bad_addresses() {
        for bad in ["", "aws_instance", "a.b.c", "a.b[", "a.b[x]", "module"] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn target_contains() {
        let t: Target = "random_id.a".parse().unwrap();
        let i = ResourceAddr::managed("random_id", "a").instance(InstanceKey::Int(2));
        assert!(t.contains(&i));
        let t: Target = "random_id.a[1]".parse().unwrap();
        assert!(!t.contains(&i));
    }
}
