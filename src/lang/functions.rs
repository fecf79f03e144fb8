//! Terraform's built-in functions: a table from name to implementation, with the handling of
//! unknown, sensitive and null arguments centralised in [`call`] so each implementation only
//! sees the values it is written for.
//!
//! `try` and `can` are not here: they work on the syntax tree and live in the evaluator. Pure but
//! for `file`/`fileexists` (which read below the module directory), `uuid` and `timestamp`.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use base64::Engine as _;
use cairn_provider::{Number, Type, Value};

use super::convert::{convert, kind_name, parse_number, unify};
use super::eval::values_equal;
use super::{Scope, Subject};

/// Why a call failed: a problem with one argument (by position), or with the call as a whole.
#[derive(Clone, Debug, PartialEq)]
pub enum FnError {
    Arg(usize, String),
    Call(String),
}

/// What a function may ask of its caller.
pub struct Ctx<'a> {
    pub scope: &'a dyn Scope,
}

type Impl = fn(Vec<Value>, &Ctx<'_>) -> Result<Value, FnError>;

/// How a function deals with unknown arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unknowns {
    /// Any argument that is or contains an unknown makes the result unknown.
    Deep,
    /// An unknown argument makes the result unknown; unknown elements inside are the
    /// function's business (`length([unknown])` is known).
    Shallow,
    /// The function handles unknowns itself.
    Handles,
}

/// One built-in function.
pub struct Function {
    pub name: &'static str,
    /// Names of the fixed parameters (for messages).
    pub params: &'static [&'static str],
    /// The name of the variadic parameter, if any.
    pub variadic: Option<&'static str>,
    pub unknowns: Unknowns,
    /// Null arguments are passed through (otherwise they are rejected).
    pub nulls: bool,
    /// The function handles sensitive marks itself (otherwise a sensitive argument makes the
    /// whole result sensitive).
    pub marks: bool,
    imp: Impl,
}

impl Function {
    /// The name of the parameter at position `i`.
    pub fn param_name(&self, i: usize) -> &'static str {
        self.params
            .get(i)
            .copied()
            .or(self.variadic)
            .unwrap_or("args")
    }
}

const fn f(name: &'static str, params: &'static [&'static str], imp: Impl) -> Function {
    Function {
        name,
        params,
        variadic: None,
        unknowns: Unknowns::Deep,
        nulls: false,
        marks: false,
        imp,
    }
}
const fn fv(
    name: &'static str,
    params: &'static [&'static str],
    variadic: &'static str,
    imp: Impl,
) -> Function {
    Function {
        name,
        params,
        variadic: Some(variadic),
        unknowns: Unknowns::Deep,
        nulls: false,
        marks: false,
        imp,
    }
}
const fn shallow(mut x: Function) -> Function {
    x.unknowns = Unknowns::Shallow;
    x
}
const fn handles(mut x: Function) -> Function {
    x.unknowns = Unknowns::Handles;
    x
}
const fn nulls(mut x: Function) -> Function {
    x.nulls = true;
    x
}
const fn marks(mut x: Function) -> Function {
    x.marks = true;
    x
}

static FUNCTIONS: &[Function] = &[
    // strings
    nulls(fv("format", &["format"], "args", fn_format)),
    fv("formatlist", &["format"], "args", fn_formatlist),
    fv("join", &["separator"], "lists", fn_join),
    f("split", &["separator", "str"], fn_split),
    f("upper", &["str"], |a, _| str_map(a, |s| s.to_uppercase())),
    f("lower", &["str"], |a, _| str_map(a, |s| s.to_lowercase())),
    f("title", &["str"], |a, _| str_map(a, title)),
    f("trimspace", &["str"], |a, _| {
        str_map(a, |s| s.trim().to_string())
    }),
    f("chomp", &["str"], |a, _| {
        str_map(a, |s| s.trim_end_matches(['\n', '\r']).to_string())
    }),
    f("strrev", &["str"], |a, _| {
        str_map(a, |s| s.chars().rev().collect())
    }),
    f("trim", &["str", "cutset"], fn_trim),
    f("trimprefix", &["str", "prefix"], |a, _| {
        let (s, p) = (string(&a, 0)?, string(&a, 1)?);
        Ok(Value::String(
            s.strip_prefix(p.as_str()).unwrap_or(&s).to_string(),
        ))
    }),
    f("trimsuffix", &["str", "suffix"], |a, _| {
        let (s, p) = (string(&a, 0)?, string(&a, 1)?);
        Ok(Value::String(
            s.strip_suffix(p.as_str()).unwrap_or(&s).to_string(),
        ))
    }),
    f("replace", &["str", "substr", "replace"], fn_replace),
    f("regex", &["pattern", "string"], fn_regex),
    f("regexall", &["pattern", "string"], fn_regexall),
    f("strcontains", &["str", "substr"], |a, _| {
        Ok(Value::Bool(string(&a, 0)?.contains(&string(&a, 1)?)))
    }),
    f("urlencode", &["str"], |a, _| str_map(a, urlencode)),
    f("substr", &["str", "offset", "length"], fn_substr),
    f("startswith", &["str", "prefix"], |a, _| {
        Ok(Value::Bool(string(&a, 0)?.starts_with(&string(&a, 1)?)))
    }),
    f("endswith", &["str", "suffix"], |a, _| {
        Ok(Value::Bool(string(&a, 0)?.ends_with(&string(&a, 1)?)))
    }),
    f("indent", &["spaces", "str"], fn_indent),
    // collections
    shallow(f("length", &["value"], fn_length)),
    shallow(fv("lookup", &["inputMap", "key"], "default", fn_lookup)),
    nulls(shallow(fv("merge", &[], "maps", fn_merge))),
    shallow(fv("concat", &[], "seqs", fn_concat)),
    shallow(f("keys", &["inputMap"], fn_keys)),
    shallow(f("values", &["mapping"], fn_values)),
    nulls(f("contains", &["list", "value"], fn_contains)),
    shallow(f("element", &["list", "index"], fn_element)),
    f("index", &["list", "value"], fn_index),
    fv("range", &[], "params", fn_range),
    f("flatten", &["list"], fn_flatten),
    f("distinct", &["list"], fn_distinct),
    nulls(handles(fv("coalesce", &[], "vals", fn_coalesce))),
    nulls(fv("coalescelist", &[], "vals", fn_coalescelist)),
    f("compact", &["list"], fn_compact),
    shallow(f("zipmap", &["keys", "values"], fn_zipmap)),
    shallow(f("slice", &["list", "start_index", "end_index"], fn_slice)),
    shallow(f("reverse", &["list"], fn_reverse)),
    f("sort", &["list"], fn_sort),
    nulls(shallow(f("one", &["list"], fn_one))),
    f("sum", &["list"], fn_sum),
    f("alltrue", &["list"], |a, _| bools(a, true)),
    f("anytrue", &["list"], |a, _| bools(a, false)),
    f("chunklist", &["list", "size"], fn_chunklist),
    fv("setunion", &["first_set"], "other_sets", |a, _| {
        set_op(a, SetOp::Union)
    }),
    fv("setintersection", &["first_set"], "other_sets", |a, _| {
        set_op(a, SetOp::Intersection)
    }),
    f("setsubtract", &["a", "b"], |a, _| {
        set_op(a, SetOp::Subtract)
    }),
    fv("setproduct", &[], "sets", fn_setproduct),
    f("transpose", &["values"], fn_transpose),
    f("matchkeys", &["values", "keys", "searchset"], fn_matchkeys),
    // type conversion
    nulls(shallow(f("tostring", &["v"], |a, _| to(a, &Type::String)))),
    nulls(shallow(f("tonumber", &["v"], |a, _| to(a, &Type::Number)))),
    nulls(shallow(f("tobool", &["v"], |a, _| to(a, &Type::Bool)))),
    nulls(shallow(f("tolist", &["v"], |a, _| {
        to(a, &Type::list(Type::Any))
    }))),
    nulls(shallow(f("toset", &["v"], |a, _| {
        to(a, &Type::set(Type::Any))
    }))),
    nulls(shallow(f("tomap", &["v"], |a, _| {
        to(a, &Type::map(Type::Any))
    }))),
    nulls(f("jsonencode", &["val"], fn_jsonencode)),
    f("jsondecode", &["str"], fn_jsondecode),
    // numbers
    fv("min", &[], "numbers", |a, _| minmax(a, true)),
    fv("max", &[], "numbers", |a, _| minmax(a, false)),
    f("abs", &["num"], |a, _| num_map(a, f64::abs)),
    f("ceil", &["num"], |a, _| num_map(a, f64::ceil)),
    f("floor", &["num"], |a, _| num_map(a, f64::floor)),
    f("signum", &["num"], |a, _| {
        num_map(a, |x| if x == 0.0 { 0.0 } else { x.signum() })
    }),
    f("pow", &["num", "power"], |a, _| {
        let (x, y) = (number(&a, 0)?, number(&a, 1)?);
        num_value(x.powf(y))
    }),
    f("parseint", &["number", "base"], fn_parseint),
    // marks
    nulls(marks(handles(f("sensitive", &["value"], |mut a, _| {
        Ok(a.remove(0).mark_sensitive())
    })))),
    nulls(marks(handles(f("nonsensitive", &["value"], |mut a, _| {
        Ok(a.remove(0).unmark().0)
    })))),
    // files and encodings
    f("file", &["path"], fn_file),
    f("fileexists", &["path"], fn_fileexists),
    f("filebase64", &["path"], |a, ctx| {
        let bytes = read_file(&a, ctx)?;
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ))
    }),
    f("filemd5", &["path"], |a, ctx| {
        use md5::Digest as _;
        Ok(Value::String(hex::encode(md5::Md5::digest(read_file(
            &a, ctx,
        )?))))
    }),
    f("filesha1", &["path"], |a, ctx| {
        use sha1::Digest as _;
        Ok(Value::String(hex::encode(sha1::Sha1::digest(read_file(
            &a, ctx,
        )?))))
    }),
    f("filesha256", &["path"], |a, ctx| {
        use sha2::Digest as _;
        Ok(Value::String(hex::encode(sha2::Sha256::digest(read_file(
            &a, ctx,
        )?))))
    }),
    f("dirname", &["path"], |a, _| {
        let s = string(&a, 0)?;
        let p = std::path::Path::new(&s)
            .parent()
            .map(|p| p.to_string_lossy().to_string());
        Ok(Value::String(match p {
            Some(p) if !p.is_empty() => p,
            _ => ".".to_string(),
        }))
    }),
    f("basename", &["path"], |a, _| {
        let s = string(&a, 0)?;
        Ok(Value::String(
            s.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string(),
        ))
    }),
    f("base64encode", &["str"], |a, _| {
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(string(&a, 0)?),
        ))
    }),
    f("base64decode", &["str"], fn_base64decode),
    f("md5", &["str"], |a, _| {
        use md5::Digest as _;
        Ok(Value::String(hex::encode(md5::Md5::digest(
            string(&a, 0)?.as_bytes(),
        ))))
    }),
    f("sha1", &["str"], |a, _| {
        use sha1::Digest as _;
        Ok(Value::String(hex::encode(sha1::Sha1::digest(
            string(&a, 0)?.as_bytes(),
        ))))
    }),
    f("sha256", &["str"], |a, _| {
        use sha2::Digest as _;
        Ok(Value::String(hex::encode(sha2::Sha256::digest(
            string(&a, 0)?.as_bytes(),
        ))))
    }),
    f("base64sha256", &["str"], |a, _| {
        use sha2::Digest as _;
        let d = sha2::Sha256::digest(string(&a, 0)?.as_bytes());
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(d),
        ))
    }),
    f("sha512", &["str"], |a, _| {
        use sha2::Digest as _;
        Ok(Value::String(hex::encode(sha2::Sha512::digest(
            string(&a, 0)?.as_bytes(),
        ))))
    }),
    f("uuid", &[], |_, ctx| {
        if ctx.scope.impure_unknown() {
            return Ok(Value::Unknown);
        }
        Ok(Value::String(uuid::Uuid::new_v4().to_string()))
    }),
    f("timestamp", &[], |_, ctx| {
        if ctx.scope.impure_unknown() {
            return Ok(Value::Unknown);
        }
        Ok(Value::String(
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ))
    }),
];

/// The function called `name`, if Terraform has one cairn implements.
pub fn lookup(name: &str) -> Option<&'static Function> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Function>> = OnceLock::new();
    INDEX
        .get_or_init(|| FUNCTIONS.iter().map(|f| (f.name, f)).collect())
        .get(name)
        .copied()
}

/// The names of every implemented function (plus `try`, `can` and `templatefile`, which the
/// evaluator handles).
pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS
        .iter()
        .map(|f| f.name)
        .chain(["try", "can", "templatefile"])
}

/// Calls `f` with evaluated arguments (arity already checked), handling marks, unknowns and
/// nulls as the function declares.
pub fn call(f: &Function, args: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    if args.len() < f.params.len() || (f.variadic.is_none() && args.len() > f.params.len()) {
        return Err(FnError::Call(format!(
            "expected {} argument(s), got {}",
            f.params.len(),
            args.len()
        )));
    }
    let mut sensitive = false;
    let args: Vec<Value> = if f.marks {
        args
    } else {
        args.into_iter()
            .map(|a| {
                if a.contains_sensitive() {
                    sensitive = true;
                    a.unmark_deep().0
                } else {
                    a
                }
            })
            .collect()
    };
    let unknown = match f.unknowns {
        Unknowns::Deep => args.iter().any(|a| !a.is_wholly_known()),
        Unknowns::Shallow => args.iter().any(Value::is_unknown),
        Unknowns::Handles => false,
    };
    if unknown {
        return Ok(mark(Value::Unknown, sensitive));
    }
    if !f.nulls
        && let Some(i) = args.iter().position(Value::is_null)
    {
        return Err(FnError::Arg(i, "argument must not be null".into()));
    }
    let v = (f.imp)(args, ctx)?;
    Ok(mark(v, sensitive))
}

fn mark(v: Value, s: bool) -> Value {
    if s { v.mark_sensitive() } else { v }
}

// ---- argument helpers ----

fn arg_err(i: usize, msg: impl Into<String>) -> FnError {
    FnError::Arg(i, msg.into())
}

fn string(a: &[Value], i: usize) -> Result<String, FnError> {
    match a.get(i).cloned().map(|v| convert(v, &Type::String)) {
        Some(Ok(Value::String(s))) => Ok(s),
        _ => Err(arg_err(i, "string required")),
    }
}

fn number(a: &[Value], i: usize) -> Result<f64, FnError> {
    match a.get(i).cloned().map(|v| convert(v, &Type::Number)) {
        Some(Ok(Value::Number(n))) => Ok(n.as_f64()),
        _ => Err(arg_err(i, "number required")),
    }
}

fn integer(a: &[Value], i: usize) -> Result<i64, FnError> {
    let n = number(a, i)?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(arg_err(i, "value must be a whole number"));
    }
    Ok(n as i64)
}

fn num_value(f: f64) -> Result<Value, FnError> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| FnError::Call("the result is not a finite number".into()))
}

/// The elements of a list, tuple or set argument.
fn seq(a: &[Value], i: usize) -> Result<Vec<Value>, FnError> {
    match a.get(i).map(Value::strip_marks_ref) {
        Some(Value::List(xs) | Value::Tuple(xs) | Value::Set(xs)) => Ok(xs.clone()),
        _ => Err(arg_err(i, "list of any single type required")),
    }
}

fn str_map(a: Vec<Value>, g: impl Fn(&str) -> String) -> Result<Value, FnError> {
    Ok(Value::String(g(&string(&a, 0)?)))
}

fn num_map(a: Vec<Value>, g: impl Fn(f64) -> f64) -> Result<Value, FnError> {
    num_value(g(number(&a, 0)?))
}

fn to(mut a: Vec<Value>, ty: &Type) -> Result<Value, FnError> {
    let v = a.remove(0);
    let kind = kind_name(&v);
    let shown = match v.strip_marks_ref() {
        Value::String(s) => format!("{s:?}"),
        _ => kind.to_string(),
    };
    convert(v, ty).map_err(|e| {
        let msg = match ty {
            Type::Number if kind == "string" => format!(
                "cannot convert {shown} to number; given string must be a decimal representation of a number"
            ),
            Type::Bool if kind == "string" => {
                format!("cannot convert {shown} to bool; only the strings \"true\" or \"false\" are allowed")
            }
            Type::List(_) | Type::Set(_) | Type::Map(_) if e.ends_with("elements must have the same type") =>
            {
                let what = match ty {
                    Type::List(_) => "list",
                    Type::Set(_) => "set",
                    _ => "map",
                };
                format!("cannot convert {kind} to {what} of any single type")
            }
            _ => format!("cannot convert {kind} to {}", super::convert::type_phrase(ty)),
        };
        arg_err(0, msg)
    })
}

// ---- strings ----

/// Go's `strings.Title`: upper-cases the first letter of each word.
fn title(s: &str) -> String {
    fn separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphanumeric() {
            return false;
        }
        c.is_whitespace()
    }
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = separator(c);
    }
    out
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn compile_regex(a: &[Value], i: usize) -> Result<regex::Regex, FnError> {
    let p = string(a, i)?;
    regex::Regex::new(&p).map_err(|e| arg_err(i, format!("invalid regular expression: {e}")))
}

/// The result of one regex match as Terraform's `regex` shapes it: the match, a list of
/// captures, or an object of named captures.
fn regex_match(re: &regex::Regex, caps: &regex::Captures<'_>) -> Value {
    let get = |i: usize| {
        caps.get(i)
            .map(|m| Value::string(m.as_str()))
            .unwrap_or(Value::Null)
    };
    if re.captures_len() == 1 {
        return get(0);
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().all(Option::is_some) {
        return Value::Object(
            names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), get(i + 1))))
                .collect(),
        );
    }
    Value::Tuple((1..re.captures_len()).map(get).collect())
}

fn fn_regex(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let re = compile_regex(&a, 0)?;
    let s = string(&a, 1)?;
    match re.captures(&s) {
        Some(c) => Ok(regex_match(&re, &c)),
        None => Err(FnError::Call(
            "pattern did not match any part of the given string".into(),
        )),
    }
}

fn fn_regexall(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let re = compile_regex(&a, 0)?;
    let s = string(&a, 1)?;
    Ok(Value::List(
        re.captures_iter(&s).map(|c| regex_match(&re, &c)).collect(),
    ))
}

fn fn_trim(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (s, cut) = (string(&a, 0)?, string(&a, 1)?);
    Ok(Value::String(
        s.trim_matches(|c| cut.contains(c)).to_string(),
    ))
}

fn fn_replace(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (s, sub, rep) = (string(&a, 0)?, string(&a, 1)?, string(&a, 2)?);
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = regex::Regex::new(&sub[1..sub.len() - 1])
            .map_err(|e| arg_err(1, format!("invalid regular expression: {e}")))?;
        return Ok(Value::String(re.replace_all(&s, rep.as_str()).into_owned()));
    }
    if sub.is_empty() {
        // Go's strings.Replace with an empty pattern inserts between every character.
        let mut out = rep.clone();
        for c in s.chars() {
            out.push(c);
            out.push_str(&rep);
        }
        return Ok(Value::String(out));
    }
    Ok(Value::String(s.replace(&sub, &rep)))
}

fn fn_substr(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let (off, len) = (integer(&a, 1)?, integer(&a, 2)?);
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len() as i64;
    let start = if off < 0 { n + off } else { off };
    if start < 0 {
        return Err(arg_err(1, "offset must be within the length of the string"));
    }
    if start >= n {
        return Ok(Value::string(""));
    }
    let end = if len < 0 { n } else { (start + len).min(n) };
    Ok(Value::String(
        chars[start as usize..end.max(start) as usize]
            .iter()
            .collect(),
    ))
}

fn fn_indent(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let n = integer(&a, 0)?.clamp(0, 1024) as usize;
    let s = string(&a, 1)?;
    let pad = " ".repeat(n);
    Ok(Value::String(s.replace('\n', &format!("\n{pad}"))))
}

fn fn_join(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let sep = string(&a, 0)?;
    if a.len() < 2 {
        return Err(arg_err(1, "at least one list is required"));
    }
    let mut parts = Vec::new();
    for i in 1..a.len() {
        for (j, x) in seq(&a, i)?.into_iter().enumerate() {
            if x.is_null() {
                return Err(arg_err(
                    i,
                    format!("element {j} is null; cannot concatenate null values"),
                ));
            }
            match convert(x, &Type::String) {
                Ok(Value::String(s)) => parts.push(s),
                _ => return Err(arg_err(i, format!("element {j}: string required"))),
            }
        }
    }
    Ok(Value::String(parts.join(&sep)))
}

fn fn_split(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (sep, s) = (string(&a, 0)?, string(&a, 1)?);
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::string).collect()
    };
    Ok(Value::List(parts))
}

// ---- format ----

struct Verb {
    minus: bool,
    plus: bool,
    zero: bool,
    sharp: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
    verb: char,
}

fn fn_format(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a[0].is_null() {
        return Err(arg_err(0, "argument must not be null"));
    }
    // Terraform's format yields an unknown string when any argument is null.
    if a[1..].iter().any(Value::is_null) {
        return Ok(Value::Unknown);
    }
    let fmt = string(&a, 0)?;
    format_with(&fmt, &a[1..]).map(Value::String)
}

fn format_with(fmt: &str, args: &[Value]) -> Result<String, FnError> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut next_arg = 0usize;
    let mut max_used = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut v = Verb {
            minus: false,
            plus: false,
            zero: false,
            sharp: false,
            space: false,
            width: None,
            prec: None,
            verb: ' ',
        };
        while let Some(&ch) = chars.get(i) {
            match ch {
                '-' => v.minus = true,
                '+' => v.plus = true,
                '0' => v.zero = true,
                '#' => v.sharp = true,
                ' ' => v.space = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..].iter().position(|&c| c == ']').map(|p| p + i);
            let Some(close) = close else {
                return Err(FnError::Call(format!("unclosed argument index at {start}")));
            };
            let idx: String = chars[i + 1..close].iter().collect();
            match idx.parse::<usize>() {
                Ok(n) if n >= 1 => next_arg = n - 1,
                _ => {
                    return Err(FnError::Call(format!(
                        "invalid argument index {idx:?} at {start}"
                    )));
                }
            }
            i = close + 1;
        }
        let mut digits = String::new();
        while let Some(ch) = chars.get(i).filter(|c| c.is_ascii_digit()) {
            digits.push(*ch);
            i += 1;
        }
        if !digits.is_empty() {
            v.width = digits.parse().ok().map(|w: usize| w.min(1024));
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut digits = String::new();
            while let Some(ch) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                digits.push(*ch);
                i += 1;
            }
            v.prec = Some(digits.parse::<usize>().unwrap_or(0).min(1024));
        }
        let Some(&verb) = chars.get(i) else {
            return Err(FnError::Call(format!(
                "invalid format string starting at offset {start}"
            )));
        };
        i += 1;
        v.verb = verb;
        let spec: String = chars[start..i].iter().collect();
        let Some(arg) = args.get(next_arg) else {
            return Err(FnError::Call(format!(
                "not enough arguments for {spec:?} at {start}: need index {} but have {} total",
                next_arg + 1,
                args.len()
            )));
        };
        next_arg += 1;
        max_used = max_used.max(next_arg);
        let body = format_one(&v, arg, &spec, start)?;
        out.push_str(&pad(&v, body));
    }
    if max_used < args.len() {
        return Err(FnError::Arg(
            1,
            format!("too many arguments; only {max_used} used by format string"),
        ));
    }
    Ok(out)
}

fn pad(v: &Verb, body: String) -> String {
    let Some(w) = v.width else { return body };
    let len = body.chars().count();
    if len >= w {
        return body;
    }
    let fill = w - len;
    if v.minus {
        format!("{body}{}", " ".repeat(fill))
    } else if v.zero
        && matches!(
            v.verb,
            'd' | 'f' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'b'
        )
    {
        let (sign, digits) = match body.strip_prefix(['-', '+']) {
            Some(rest) => (&body[..1], rest.to_string()),
            None => ("", body.clone()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

fn format_one(v: &Verb, arg: &Value, spec: &str, at: usize) -> Result<String, FnError> {
    let unsupported =
        |what: &str| FnError::Call(format!("unsupported value for {spec:?} at {at}: {what}"));
    if arg.is_null() && v.verb != 'v' {
        return Err(unsupported("null value cannot be formatted"));
    }
    let as_num = || match convert(arg.clone(), &Type::Number) {
        Ok(Value::Number(n)) => Ok(n.as_f64()),
        _ => Err(unsupported("number required")),
    };
    let sign = |x: f64, s: String| {
        if v.plus && x >= 0.0 {
            format!("+{s}")
        } else if v.space && x >= 0.0 {
            format!(" {s}")
        } else {
            s
        }
    };
    Ok(match v.verb {
        'v' => {
            if v.sharp {
                json_string(arg)
            } else {
                match arg.strip_marks_ref() {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => "null".into(),
                    _ => json_string(arg),
                }
            }
        }
        's' => match convert(arg.clone(), &Type::String) {
            Ok(Value::String(s)) => match v.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            },
            _ => return Err(unsupported("string required")),
        },
        'q' => match convert(arg.clone(), &Type::String) {
            Ok(Value::String(s)) => go_quote(&s),
            _ => return Err(unsupported("string required")),
        },
        't' => match convert(arg.clone(), &Type::Bool) {
            Ok(Value::Bool(b)) => b.to_string(),
            _ => return Err(unsupported("bool required")),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            if matches!(v.verb, 'x' | 'X')
                && let Value::String(s) = arg.strip_marks_ref()
                && parse_number(s).is_none()
            {
                let h = hex::encode(s.as_bytes());
                return Ok(if v.verb == 'X' { h.to_uppercase() } else { h });
            }
            let x = as_num()?;
            if x.fract() != 0.0 || x.abs() > 9.0e15 {
                return Err(unsupported("an integer is required"));
            }
            let n = x as i64;
            let mag = n.unsigned_abs();
            let digits = match v.verb {
                'd' => mag.to_string(),
                'b' => format!("{mag:b}"),
                'o' => format!("{mag:o}"),
                'x' => format!("{mag:x}"),
                _ => format!("{mag:X}"),
            };
            sign(x, if n < 0 { format!("-{digits}") } else { digits })
        }
        'f' | 'F' => {
            let x = as_num()?;
            sign(x, format!("{:.*}", v.prec.unwrap_or(6), x))
        }
        'e' | 'E' => {
            let x = as_num()?;
            let s = go_exp(x, v.prec.unwrap_or(6));
            sign(x, if v.verb == 'E' { s.to_uppercase() } else { s })
        }
        'g' | 'G' => {
            let x = as_num()?;
            let s = go_g(x, v.prec);
            sign(x, if v.verb == 'G' { s.to_uppercase() } else { s })
        }
        other => {
            return Err(FnError::Call(format!(
                "unsupported format verb {other:?} in {spec:?} at {at}"
            )));
        }
    })
}

/// `%e` as Go prints it: a two-digit exponent at least (`1.234500e+03`).
fn go_exp(x: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, x);
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// `%g`: the shortest representation, switching to exponent form for large or small exponents.
fn go_g(x: f64, prec: Option<usize>) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    let p = prec.map(|p| p.max(1) as i32);
    let limit = p.unwrap_or(21);
    if exp < -4 || exp >= limit {
        let s = match p {
            Some(p) => go_exp(x, (p - 1) as usize),
            None => {
                let s = format!("{x:e}");
                let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', e),
                };
                return format!("{m}e{sign}{digits:0>2}");
            }
        };
        // Trim trailing zeros of the mantissa.
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    } else {
        match p {
            Some(p) => {
                let decimals = (p - 1 - exp).max(0) as usize;
                let s = format!("{:.*}", decimals, x);
                if s.contains('.') {
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    s
                }
            }
            None => format!("{x}"),
        }
    }
}

/// Go's `%q`: a double-quoted string with Go escapes.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn fn_formatlist(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let fmt = string(&a, 0)?;
    let args = &a[1..];
    let mut n: Option<(usize, usize)> = None;
    for (i, x) in args.iter().enumerate() {
        if let Some(xs) = x.as_seq() {
            match n {
                None => n = Some((xs.len(), i)),
                Some((len, j)) if len != xs.len() => {
                    return Err(arg_err(
                        i + 1,
                        format!(
                            "argument {} has length {}, which is inconsistent with argument {} of length {len}",
                            i + 1,
                            xs.len(),
                            j + 1
                        ),
                    ));
                }
                _ => {}
            }
        }
    }
    let count = n.map(|(len, _)| len).unwrap_or(1);
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let row: Vec<Value> = args
            .iter()
            .map(|x| match x.as_seq() {
                Some(xs) => xs.get(k).cloned().unwrap_or(Value::Null),
                None => x.clone(),
            })
            .collect();
        out.push(Value::String(format_with(&fmt, &row)?));
    }
    Ok(Value::List(out))
}

// ---- collections ----

fn fn_length(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let n = match a[0].strip_marks_ref() {
        Value::String(s) => s.chars().count(),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs.len(),
        Value::Map(m) | Value::Object(m) => m.len(),
        other => {
            return Err(FnError::Call(format!(
                "argument must be a string, a collection type, or a structural type; got {}",
                kind_name(other)
            )));
        }
    };
    Ok(Value::number(n as i64))
}

fn map_arg(a: &[Value], i: usize) -> Result<&BTreeMap<String, Value>, FnError> {
    a.get(i)
        .and_then(Value::as_map)
        .ok_or_else(|| arg_err(i, "map or object required"))
}

fn fn_lookup(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a.len() > 3 {
        return Err(arg_err(3, "lookup() takes no more than three arguments"));
    }
    let m = map_arg(&a, 0)?;
    let k = string(&a, 1)?;
    match (m.get(&k), a.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(arg_err(
            0,
            format!("the given object has no attribute {k:?}"),
        )),
    }
}

fn fn_merge(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let mut out = BTreeMap::new();
    let mut all_maps = true;
    for x in &a {
        match x.strip_marks_ref() {
            Value::Null => {}
            Value::Map(m) => out.extend(m.clone()),
            Value::Object(m) => {
                all_maps = false;
                out.extend(m.clone());
            }
            _ => {
                return Err(FnError::Call(format!(
                    "arguments must be maps or objects, got {:?}",
                    kind_name(x)
                )));
            }
        }
    }
    if all_maps && !a.iter().all(Value::is_null) {
        let types: Vec<Type> = out.values().map(Type::of).collect();
        if unify(&types).is_some() {
            return Ok(Value::Map(out));
        }
    }
    Ok(Value::Object(out))
}

fn fn_concat(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let mut out = Vec::new();
    let mut all_lists = true;
    for (i, x) in a.iter().enumerate() {
        match x.strip_marks_ref() {
            Value::List(xs) => out.extend(xs.iter().cloned()),
            Value::Tuple(xs) => {
                all_lists = false;
                out.extend(xs.iter().cloned());
            }
            Value::Set(xs) => out.extend(xs.iter().cloned()),
            _ => return Err(arg_err(i, "all arguments must be lists or tuples")),
        }
    }
    Ok(if all_lists {
        Value::List(out)
    } else {
        Value::Tuple(out)
    })
}

fn fn_keys(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let keys: Vec<Value> = map_arg(&a, 0)?.keys().map(Value::string).collect();
    Ok(match a[0].strip_marks_ref() {
        Value::Object(_) => Value::Tuple(keys),
        _ => Value::List(keys),
    })
}

fn fn_values(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let vals: Vec<Value> = map_arg(&a, 0)?.values().cloned().collect();
    Ok(match a[0].strip_marks_ref() {
        Value::Object(_) => Value::Tuple(vals),
        _ => Value::List(vals),
    })
}

fn fn_contains(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a[0].is_null() {
        return Err(arg_err(0, "argument must not be null"));
    }
    let xs = seq(&a, 0)?;
    Ok(Value::Bool(xs.iter().any(|x| values_equal(x, &a[1]))))
}

/// Equality after the conversion a typed parameter would apply (`contains(["1"], 1)` is true).
fn values_equal_loose(a: &Value, b: &Value) -> bool {
    if values_equal(a, b) {
        return true;
    }
    if a.strip_marks_ref().is_null() || b.strip_marks_ref().is_null() {
        return false;
    }
    match (Type::of(a), Type::of(b)) {
        (ta, tb) if ta.is_primitive() && tb.is_primitive() => {
            matches!((convert(a.clone(), &Type::String), convert(b.clone(), &Type::String)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

fn fn_element(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    let i = integer(&a, 1)?;
    if xs.is_empty() {
        return Err(FnError::Call(
            "cannot use element function with an empty list".into(),
        ));
    }
    let n = xs.len() as i64;
    Ok(xs[(((i % n) + n) % n) as usize].clone())
}

fn fn_index(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    xs.iter()
        .position(|x| values_equal_loose(x, &a[1]))
        .map(|i| Value::number(i as i64))
        .ok_or_else(|| FnError::Call("item not found".into()))
}

fn fn_range(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (start, end, step) = match a.len() {
        1 => (0.0, number(&a, 0)?, 1.0),
        2 => (number(&a, 0)?, number(&a, 1)?, 1.0),
        3 => (number(&a, 0)?, number(&a, 1)?, number(&a, 2)?),
        0 => {
            return Err(FnError::Call(
                "must have one, two, or three arguments".into(),
            ));
        }
        _ => return Err(arg_err(3, "must have one, two, or three arguments")),
    };
    let step = if a.len() < 3 && end < start {
        -1.0
    } else {
        step
    };
    if step == 0.0 {
        return Err(arg_err(2, "step must not be zero"));
    }
    if (step < 0.0 && end > start) || (step > 0.0 && end < start) {
        return Err(arg_err(
            2,
            if step < 0.0 {
                "step must be positive when start is less than limit"
            } else {
                "step must be negative when start is greater than limit"
            },
        ));
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        if out.len() >= 1024 {
            return Err(FnError::Call("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step".into()));
        }
        out.push(num_value(x)?);
        x += step;
    }
    Ok(Value::List(out))
}

fn fn_flatten(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    fn go(xs: &[Value], out: &mut Vec<Value>, depth: usize) -> Result<(), FnError> {
        if depth > 100 {
            return Err(FnError::Call("list is nested too deeply".into()));
        }
        for x in xs {
            match x.strip_marks_ref() {
                Value::List(ys) | Value::Tuple(ys) | Value::Set(ys) => go(ys, out, depth + 1)?,
                _ => out.push(x.clone()),
            }
        }
        Ok(())
    }
    let xs = seq(&a, 0)?;
    let mut out = Vec::new();
    go(&xs, &mut out, 0)?;
    Ok(Value::Tuple(out))
}

fn as_list(v: Value, i: usize) -> Result<Vec<Value>, FnError> {
    match convert(v, &Type::list(Type::Any)) {
        Ok(Value::List(xs)) => Ok(xs),
        Ok(_) => Ok(Vec::new()),
        Err(_) => Err(arg_err(i, "list of any single type required")),
    }
}

fn fn_distinct(mut a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = as_list(a.remove(0), 0)?;
    let mut out: Vec<Value> = Vec::new();
    for x in xs {
        if !out.iter().any(|y| values_equal(y, &x)) {
            out.push(x);
        }
    }
    Ok(Value::List(out))
}

fn fn_coalesce(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let types: Vec<Type> = a.iter().map(Type::of).collect();
    let ty = unify(&types)
        .ok_or_else(|| FnError::Call("all arguments must have the same type".into()))?;
    for x in &a {
        if x.is_unknown() {
            return Ok(Value::Unknown);
        }
        if x.is_null() || x.as_str() == Some("") {
            continue;
        }
        return convert(x.clone(), &ty).map_err(FnError::Call);
    }
    Err(FnError::Call(
        "no non-null, non-empty-string arguments".into(),
    ))
}

fn fn_coalescelist(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    for (i, x) in a.iter().enumerate() {
        if x.is_null() {
            continue;
        }
        if seq(&a, i)?.is_empty() {
            continue;
        }
        return Ok(x.clone());
    }
    Err(FnError::Call("no non-null arguments".into()))
}

fn fn_compact(mut a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = as_list(a.remove(0), 0)?;
    let mut out = Vec::new();
    for x in xs {
        if x.is_null() {
            continue;
        }
        match convert(x, &Type::String) {
            Ok(Value::String(s)) if s.is_empty() => {}
            Ok(v) => out.push(v),
            Err(_) => return Err(arg_err(0, "list of string required")),
        }
    }
    Ok(Value::List(out))
}

fn fn_zipmap(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let ks = seq(&a, 0)?;
    let vs = seq(&a, 1)?;
    if ks.len() != vs.len() {
        return Err(FnError::Call(format!(
            "number of keys ({}) does not match number of values ({})",
            ks.len(),
            vs.len()
        )));
    }
    let mut out = BTreeMap::new();
    for (k, v) in ks.into_iter().zip(vs) {
        if k.is_unknown() {
            return Ok(Value::Unknown);
        }
        match convert(k, &Type::String) {
            Ok(Value::String(k)) => {
                out.insert(k, v);
            }
            _ => return Err(arg_err(0, "list of string required")),
        }
    }
    Ok(match a[1].strip_marks_ref() {
        Value::List(_) | Value::Set(_) => Value::Map(out),
        _ => Value::Object(out),
    })
}

fn fn_slice(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    let (s, e) = (integer(&a, 1)?, integer(&a, 2)?);
    if s < 0 {
        return Err(arg_err(1, "start index must not be less than zero"));
    }
    if e > xs.len() as i64 {
        return Err(arg_err(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if s > e {
        return Err(arg_err(1, "start index must not be greater than end index"));
    }
    let part = xs[s as usize..e as usize].to_vec();
    Ok(match a[0].strip_marks_ref() {
        Value::Tuple(_) => Value::Tuple(part),
        _ => Value::List(part),
    })
}

fn fn_reverse(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let mut xs = seq(&a, 0)?;
    xs.reverse();
    Ok(match a[0].strip_marks_ref() {
        Value::Tuple(_) => Value::Tuple(xs),
        _ => Value::List(xs),
    })
}

fn fn_sort(mut a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = as_list(a.remove(0), 0)?;
    let mut ss = Vec::with_capacity(xs.len());
    for x in xs {
        match convert(x, &Type::String) {
            Ok(Value::String(s)) => ss.push(s),
            _ => return Err(arg_err(0, "list of string required")),
        }
    }
    ss.sort();
    Ok(Value::List(ss.into_iter().map(Value::String).collect()))
}

fn fn_one(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a[0].is_null() {
        return Err(arg_err(0, "argument must not be null"));
    }
    let xs = seq(&a, 0)?;
    match xs.len() {
        0 => Ok(Value::Null),
        1 => Ok(xs[0].clone()),
        _ => Err(arg_err(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

fn fn_sum(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    if xs.is_empty() {
        return Err(arg_err(0, "cannot sum an empty list"));
    }
    let mut total = 0.0;
    for x in xs {
        match convert(x, &Type::Number) {
            Ok(Value::Number(n)) => total += n.as_f64(),
            _ => {
                return Err(FnError::Call(
                    "argument must be list, set, or tuple of number values".into(),
                ));
            }
        }
    }
    num_value(total)
}

fn bools(a: Vec<Value>, all: bool) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    let mut acc = all;
    for x in xs {
        let b = matches!(convert(x, &Type::Bool), Ok(Value::Bool(true)));
        acc = if all { acc && b } else { acc || b };
    }
    Ok(Value::Bool(acc))
}

fn fn_chunklist(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    let n = integer(&a, 1)?;
    if n < 0 {
        return Err(arg_err(1, "the size argument must be positive"));
    }
    if n == 0 {
        return Ok(Value::List(vec![Value::List(xs)]));
    }
    Ok(Value::List(
        xs.chunks(n as usize)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

enum SetOp {
    Union,
    Intersection,
    Subtract,
}

fn set_elements(a: &[Value], i: usize) -> Result<Vec<Value>, FnError> {
    match convert(a[i].clone(), &Type::set(Type::Any)) {
        Ok(Value::Set(xs)) => Ok(xs),
        _ => Err(arg_err(i, "set of any single type required")),
    }
}

fn set_op(a: Vec<Value>, op: SetOp) -> Result<Value, FnError> {
    let mut acc = set_elements(&a, 0)?;
    for i in 1..a.len() {
        let other = set_elements(&a, i)?;
        let has = |xs: &[Value], x: &Value| xs.iter().any(|y| values_equal(x, y));
        acc = match op {
            SetOp::Union => acc.into_iter().chain(other).collect(),
            SetOp::Intersection => acc.into_iter().filter(|x| has(&other, x)).collect(),
            SetOp::Subtract => acc.into_iter().filter(|x| !has(&other, x)).collect(),
        };
    }
    let types: Vec<Type> = acc.iter().map(Type::of).collect();
    let ty = unify(&types)
        .ok_or_else(|| FnError::Call("given sets must all have compatible element types".into()))?;
    let out: Result<Vec<Value>, String> = acc.into_iter().map(|x| convert(x, &ty)).collect();
    Ok(Value::set(out.map_err(FnError::Call)?))
}

fn fn_setproduct(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a.len() < 2 {
        return Err(FnError::Call("at least two arguments are required".into()));
    }
    let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
    for i in 0..a.len() {
        let xs = seq(&a, i)?;
        if rows.len().saturating_mul(xs.len()) > 100_000 {
            return Err(FnError::Call("the product has too many elements".into()));
        }
        rows = rows
            .into_iter()
            .flat_map(|r| {
                xs.iter().map(move |x| {
                    let mut r = r.clone();
                    r.push(x.clone());
                    r
                })
            })
            .collect();
    }
    let rows: Vec<Value> = rows.into_iter().map(Value::Tuple).collect();
    Ok(
        if a.iter()
            .any(|x| matches!(x.strip_marks_ref(), Value::Set(_)))
        {
            Value::set(rows)
        } else {
            Value::List(rows)
        },
    )
}

fn fn_transpose(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let m = map_arg(&a, 0)?;
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in m {
        let Some(xs) = v.as_seq() else {
            return Err(arg_err(0, "map of list of string required"));
        };
        for x in xs {
            match convert(x.clone(), &Type::String) {
                Ok(Value::String(s)) => out.entry(s).or_default().push(Value::string(k)),
                _ => return Err(arg_err(0, "map of list of string required")),
            }
        }
    }
    Ok(Value::Map(
        out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
    ))
}

fn fn_matchkeys(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let (vals, keys, search) = (seq(&a, 0)?, seq(&a, 1)?, seq(&a, 2)?);
    if vals.len() != keys.len() {
        return Err(FnError::Call(
            "length of keys and values should be equal".into(),
        ));
    }
    let out = vals
        .into_iter()
        .zip(keys)
        .filter(|(_, k)| search.iter().any(|s| values_equal_loose(s, k)))
        .map(|(v, _)| v)
        .collect();
    Ok(Value::List(out))
}

// ---- numbers ----

fn minmax(a: Vec<Value>, min: bool) -> Result<Value, FnError> {
    if a.is_empty() {
        return Err(FnError::Call("must pass at least one number".into()));
    }
    let mut best = number(&a, 0)?;
    for i in 1..a.len() {
        let x = number(&a, i)?;
        if (min && x < best) || (!min && x > best) {
            best = x;
        }
    }
    num_value(best)
}

fn fn_parseint(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let base = integer(&a, 1)?;
    if !(2..=62).contains(&base) {
        return Err(arg_err(
            1,
            "base must be a whole number between 2 and 62 inclusive",
        ));
    }
    if base > 36 {
        return Err(arg_err(1, "bases above 36 are not supported yet"));
    }
    i64::from_str_radix(&s, base as u32)
        .map(Value::number)
        .map_err(|_| arg_err(0, format!("cannot parse {s:?} as a base {base} integer")))
}

// ---- encodings ----

fn json_string(v: &Value) -> String {
    let s = serde_json::to_string(&v.to_json()).unwrap_or_else(|_| "null".into());
    // Go's encoder escapes HTML-significant characters; Terraform's output does too.
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn fn_jsonencode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    Ok(Value::String(json_string(&a[0])))
}

fn fn_jsondecode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let j: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| FnError::Call(e.to_string()))?;
    Ok(Value::from_json(&j))
}

fn fn_base64decode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|_| FnError::Call(format!("failed to decode base64 data {s:?}")))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        arg_err(
            0,
            "the result of decoding the provided string is not valid UTF-8",
        )
    })
}

// ---- files ----

fn resolve_path(ctx: &Ctx<'_>, p: &str) -> std::path::PathBuf {
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

fn fn_file(a: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    read_text(&a, ctx).map(Value::String)
}

fn fn_fileexists(a: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    let p = string(&a, 0)?;
    let full = resolve_path(ctx, &p);
    match std::fs::metadata(&full) {
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(_) => Err(FnError::Call(format!("{p:?} is a directory, not a file"))),
        Err(_) => Ok(Value::Bool(false)),
    }
}
