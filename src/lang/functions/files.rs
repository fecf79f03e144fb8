//! File functions: paths resolve against the module directory (`path.module`).

use super::*;

pub(super) fn resolve_path(ctx: &Ctx<'_>, p: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(p);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let base = ctx
        .scope
        .resolve(&Subject::Path("module".into()), None)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| ".".into());
    std::path::Path::new(&base).join(path)
}

/// Reads the file named by argument 0, relative to the module directory.
pub(crate) fn read_file(a: &[Value], ctx: &Ctx<'_>) -> Result<Vec<u8>, FnError> {
    let p = string(a, 0)?;
    let full = resolve_path(ctx, &p);
    std::fs::read(&full).map_err(|_| {
        arg_err(0, format!("no file exists at {p:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"))
    })
}

/// Reads the file named by argument 0 as UTF-8 text.
pub(crate) fn read_text(a: &[Value], ctx: &Ctx<'_>) -> Result<String, FnError> {
    let bytes = read_file(a, ctx)?;
    String::from_utf8(bytes).map_err(|_| {
        let p = string(a, 0).unwrap_or_default();
        arg_err(0, format!("contents of {p:?} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead"))
    })
}

pub(super) fn fn_file(a: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    read_text(&a, ctx).map(Value::String)
}

pub(super) fn fn_fileexists(a: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    let p = string(&a, 0)?;
    let full = resolve_path(ctx, &p);
    match std::fs::metadata(&full) {
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(_) => Err(FnError::Call(format!("{p:?} is a directory, not a file"))),
        Err(_) => Ok(Value::Bool(false)),
    }
}
