//! `local_file` and `local_sensitive_file`: their schemas, configuration checks, and the file
//! operations behind create, read, delete and the data sources.

use std::io::ErrorKind;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cairn_provider::{Attribute, ProviderError, Schema, Type, Value};
use tokio::io::AsyncWriteExt;

use crate::Kind;
use crate::hash::Checksums;

const COMPUTED: [&str; 7] = [
    "id",
    "content_md5",
    "content_sha1",
    "content_sha256",
    "content_base64sha256",
    "content_sha512",
    "content_base64sha512",
];

/// The attributes of which exactly one gives the file's content.
fn content_attrs(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::File => &["content", "sensitive_content", "content_base64", "source"],
        Kind::SensitiveFile => &["content", "content_base64", "source"],
    }
}

fn default_permission(kind: Kind) -> &'static str {
    match kind {
        Kind::File => "0777",
        Kind::SensitiveFile => "0700",
    }
}

pub(crate) fn resource_schema(kind: Kind) -> Schema {
    let content = |sensitive: bool| {
        let a = Attribute::optional(Type::String).force_new();
        if sensitive { a.sensitive() } else { a }
    };
    let sensitive = kind == Kind::SensitiveFile;
    let mut s = Schema::new()
        .attr(
            "filename",
            Attribute::required(Type::String)
                .force_new()
                .describe("The path to the file that will be created."),
        )
        .attr("content", content(sensitive))
        .attr("content_base64", content(sensitive))
        .attr("source", content(false))
        .attr(
            "file_permission",
            Attribute::optional_computed(Type::String).force_new().describe(
                "Permissions to set for the output file (before umask), expressed as string in numeric notation.",
            ),
        )
        .attr(
            "directory_permission",
            Attribute::optional_computed(Type::String).force_new().describe(
                "Permissions to set for directories created (before umask), expressed as string in numeric notation.",
            ),
        );
    if kind == Kind::File {
        s = s.attr("sensitive_content", content(true));
    }
    for name in COMPUTED {
        s = s.attr(name, Attribute::computed(Type::String));
    }
    s
}

pub(crate) fn data_schema(kind: Kind) -> Schema {
    let sensitive = kind == Kind::SensitiveFile;
    let content = || {
        let a = Attribute::computed(Type::String);
        if sensitive { a.sensitive() } else { a }
    };
    let mut s = Schema::new()
        .attr("filename", Attribute::required(Type::String))
        .attr("content", content())
        .attr("content_base64", content());
    for name in COMPUTED {
        s = s.attr(name, Attribute::computed(Type::String));
    }
    s
}

fn err(kind: Kind, msg: impl std::fmt::Display) -> ProviderError {
    ProviderError::permanent(format!("{}: {msg}", kind.name()))
}

fn str_attr<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get_attr(name).and_then(Value::as_str)
}

/// Checks a permission string as the real provider does: three or four octal digits, at most 0777.
pub(crate) fn parse_permission(s: &str) -> Result<u32, String> {
    if s.len() < 3 || s.len() > 4 {
        return Err(format!("bad mode {s:?}: it should be 3 or 4 octal digits"));
    }
    match u32::from_str_radix(s, 8) {
        Ok(m) if m <= 0o777 => Ok(m),
        _ => Err(format!(
            "bad mode {s:?}: it should be octal digits between 0000 and 0777"
        )),
    }
}

/// Fills the permission defaults and checks the configuration: exactly one content attribute
/// (an unknown one counts as set), valid permissions, valid base64.
pub(crate) fn prepare_config(kind: Kind, config: &Value) -> Result<Value, ProviderError> {
    let mut m = config.as_map().cloned().unwrap_or_default();
    for name in ["file_permission", "directory_permission"] {
        match m.get(name) {
            None | Some(Value::Null) => {
                m.insert(name.into(), Value::string(default_permission(kind)));
            }
            Some(v) => {
                if let Some(s) = v.as_str() {
                    parse_permission(s).map_err(|e| err(kind, format!("{name}: {e}")))?;
                } else if !v.is_unknown() {
                    return Err(err(kind, format!("{name} must be a string")));
                }
            }
        }
    }
    let set: Vec<&str> = content_attrs(kind)
        .iter()
        .copied()
        .filter(|a| m.get(*a).is_some_and(|v| !v.is_null()))
        .collect();
    if set.len() != 1 {
        return Err(err(
            kind,
            format!(
                "exactly one of {} must be set{}",
                content_attrs(kind).join(", "),
                if set.is_empty() {
                    String::new()
                } else {
                    format!(" (got {})", set.join(", "))
                }
            ),
        ));
    }
    if let Some(b64) = m.get("content_base64").and_then(Value::as_str) {
        STANDARD
            .decode(b64)
            .map_err(|e| err(kind, format!("content_base64 is not valid base64: {e}")))?;
    }
    match m.get("filename") {
        Some(Value::String(s)) if s.is_empty() => {
            return Err(err(kind, "filename must not be empty"));
        }
        None | Some(Value::Null) => return Err(err(kind, "filename is required")),
        _ => {}
    }
    Ok(Value::Object(m))
}

/// The bytes the planned object says the file holds.
async fn content_of(kind: Kind, planned: &Value) -> Result<Vec<u8>, ProviderError> {
    if let Some(s) = str_attr(planned, "content").or_else(|| str_attr(planned, "sensitive_content"))
    {
        return Ok(s.as_bytes().to_vec());
    }
    if let Some(b64) = str_attr(planned, "content_base64") {
        return STANDARD
            .decode(b64)
            .map_err(|e| err(kind, format!("content_base64 is not valid base64: {e}")));
    }
    if let Some(src) = str_attr(planned, "source") {
        return tokio::fs::read(src)
            .await
            .map_err(|e| err(kind, format!("cannot read source file {src}: {e}")));
    }
    Err(err(
        kind,
        "no content: one of content, content_base64 or source must be known at apply",
    ))
}

fn permission(kind: Kind, v: &Value, name: &str) -> Result<u32, ProviderError> {
    let s = str_attr(v, name).unwrap_or(default_permission(kind));
    parse_permission(s).map_err(|e| err(kind, format!("{name}: {e}")))
}

pub(crate) async fn create(kind: Kind, planned: &Value) -> Result<Value, ProviderError> {
    let filename = str_attr(planned, "filename")
        .filter(|f| !f.is_empty())
        .ok_or_else(|| err(kind, "filename must be a known, non-empty string at apply"))?;
    let file_mode = permission(kind, planned, "file_permission")?;
    let dir_mode = permission(kind, planned, "directory_permission")?;
    let content = content_of(kind, planned).await?;

    if let Some(dir) = Path::new(filename)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        && tokio::fs::metadata(dir).await.is_err()
    {
        let mut b = tokio::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        b.mode(dir_mode);
        #[cfg(not(unix))]
        let _ = dir_mode;
        b.create(dir).await.map_err(|e| {
            err(
                kind,
                format!(
                    "cannot create directory {} for {filename}: {e}",
                    dir.display()
                ),
            )
        })?;
    }
    let mut opts = tokio::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(file_mode);
    #[cfg(not(unix))]
    let _ = file_mode;
    let write = async {
        let mut f = opts.open(filename).await?;
        f.write_all(&content).await?;
        f.flush().await
    };
    write
        .await
        .map_err(|e| err(kind, format!("cannot write file {filename}: {e}")))?;

    let mut obj = planned.as_map().cloned().unwrap_or_default();
    for (k, v) in Checksums::of(&content).attributes() {
        if obj.get(k).is_none_or(Value::is_unknown) {
            obj.insert(k.into(), v);
        }
    }
    Ok(Value::Object(obj))
}

pub(crate) async fn delete(kind: Kind, prior: &Value) -> Result<(), ProviderError> {
    let Some(filename) = str_attr(prior, "filename") else {
        return Ok(());
    };
    match tokio::fs::remove_file(filename).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(err(kind, format!("cannot delete file {filename}: {e}"))),
    }
}

/// The object is gone when its file is gone or no longer holds the content it was created with.
pub(crate) async fn read(kind: Kind, current: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(filename) = str_attr(current, "filename") else {
        return Ok(None);
    };
    let content = match tokio::fs::read(filename).await {
        Ok(c) => c,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(kind, format!("cannot read file {filename}: {e}"))),
    };
    if Some(Checksums::of(&content).sha1.as_str()) != str_attr(current, "id") {
        return Ok(None);
    }
    Ok(Some(current.clone()))
}

pub(crate) async fn read_data(kind: Kind, config: &Value) -> Result<Value, ProviderError> {
    let filename = str_attr(config, "filename")
        .filter(|f| !f.is_empty())
        .ok_or_else(|| err(kind, "filename must be a non-empty string"))?;
    let content = tokio::fs::read(filename)
        .await
        .map_err(|e| err(kind, format!("cannot read file {filename}: {e}")))?;
    let mut obj = cairn_provider::ValueMap::new();
    obj.insert("filename".to_string(), Value::string(filename));
    obj.insert(
        "content".into(),
        Value::string(String::from_utf8_lossy(&content)),
    );
    obj.insert(
        "content_base64".into(),
        Value::string(STANDARD.encode(&content)),
    );
    for (k, v) in Checksums::of(&content).attributes() {
        obj.insert(k.into(), v);
    }
    Ok(Value::Object(obj))
}
