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
        FnError::Call(format!("contents of {p:?} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead"))
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

/// `fileset(path, pattern)`: the regular files below `path` whose path relative to it matches
/// `pattern` (`*`, `**`, `?`, `[...]`, `{a,b}`), as a set of slash-separated paths.
pub(super) fn fn_fileset(a: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    let dir = string(&a, 0)?;
    let pattern = string(&a, 1)?;
    let base = resolve_path(ctx, &dir);
    let shown = clean_path(&format!("{dir}/{pattern}"));
    let bad = |e: String| FnError::Call(format!("failed to glob pattern {shown:?}: {e}"));
    let patterns = expand_braces(&pattern)
        .map_err(bad)?
        .into_iter()
        .map(|p| {
            glob::Pattern::new(&clean_path(&p)).map_err(|_| bad("syntax error in pattern".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let mut found = Vec::new();
    let mut stack = vec![(base.clone(), String::new())];
    while let Some((d, rel)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let Ok(meta) = std::fs::metadata(e.path()) else {
                continue;
            };
            if meta.is_dir() {
                stack.push((e.path(), r));
            } else if meta.is_file() && patterns.iter().any(|p| p.matches_with(&r, opts)) {
                found.push(Value::String(r));
            }
        }
    }
    Ok(Value::set(found))
}

/// Expands `{a,b}` alternatives (nesting allowed) into plain glob patterns.
fn expand_braces(p: &str) -> Result<Vec<String>, String> {
    let Some(open) = p.find('{') else {
        return Ok(vec![p.to_string()]);
    };
    let mut depth = 0;
    let mut parts = Vec::new();
    let mut start = open + 1;
    for (i, c) in p[open..].char_indices().map(|(i, c)| (i + open, c)) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    parts.push(&p[start..i]);
                    let (pre, post) = (&p[..open], &p[i + 1..]);
                    let mut out = Vec::new();
                    for alt in parts {
                        out.extend(expand_braces(&format!("{pre}{alt}{post}"))?);
                    }
                    return Ok(out);
                }
            }
            ',' if depth == 1 => {
                parts.push(&p[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    Err("syntax error in pattern".into())
}

/// Lexically cleans a slash-separated path as Go's `path.Clean` does.
pub(super) fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// `abspath(path)`: `path` made absolute against the working directory and cleaned.
pub(super) fn fn_abspath(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let p = string(&a, 0)?;
    let full = if p.starts_with('/') {
        p
    } else {
        let cwd = std::env::current_dir().map_err(|e| FnError::Call(e.to_string()))?;
        format!("{}/{p}", cwd.to_string_lossy())
    };
    Ok(Value::String(clean_path(&full)))
}

/// `pathexpand(path)`: a leading `~` becomes the home directory.
pub(super) fn fn_pathexpand(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let p = string(&a, 0)?;
    if !p.starts_with('~') {
        return Ok(Value::String(p));
    }
    if p.len() > 1 && !p.starts_with("~/") {
        return Err(FnError::Call("cannot expand user-specific home dir".into()));
    }
    let home = std::env::var("HOME")
        .ok()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| FnError::Call("HOME is not set".into()))?;
    let rest = &p[1..];
    Ok(Value::String(if rest.is_empty() {
        home
    } else {
        clean_path(&format!("{home}{rest}"))
    }))
}

/// Reads the file named by argument 0 for the hashing functions, which report a missing file
/// as a failed call rather than a bad argument (as Terraform does).
pub(super) fn read_hashed(a: &[Value], ctx: &Ctx<'_>) -> Result<Vec<u8>, FnError> {
    let p = string(a, 0)?;
    std::fs::read(resolve_path(ctx, &p)).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
            _ => e.to_string(),
        };
        FnError::Call(format!("open {p}: {why}"))
    })
}
