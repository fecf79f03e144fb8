//! Terraform's built-in functions: a table from name to implementation, with the handling of
//! unknown, sensitive and null arguments centralised in [`call`] so each implementation only
//! sees the values it is written for.
//!
//! Implementations live in one submodule per family (`strings`, `format`, `collections`,
//! `numbers`, `encoding`, `files`, `net`, `time`, `crypto`, `yaml`); adding a function means
//! writing it there and adding a row to `FUNCTIONS`. `try`, `can`, `templatefile` and
//! `templatestring` are not here: they work on the syntax tree and live in the evaluator. Pure
//! but for the file functions (which read below the module directory; `abspath` and
//! `pathexpand` read the working and home directories), `uuid`, `bcrypt`, `timestamp` and
//! `plantimestamp`. Every function Terraform lists is here: `tests.rs` checks the list
//! (`testdata/eval/functions.json`) and the per-function oracle tables.
//! Must not touch: the evaluator's syntax-tree handling, configuration, state or providers.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use base64::Engine as _;
use cairn_provider::{Number, Type, Value, ValueMap};

mod collections;
mod crypto;
mod encoding;
mod files;
mod format;
mod net;
mod numbers;
mod strings;
mod time;
mod yaml;

use self::collections::*;
use self::crypto::*;
use self::encoding::*;
use self::files::*;
pub(crate) use self::files::{read_file, read_text};
use self::format::*;
use self::net::*;
use self::numbers::*;
use self::strings::*;
use self::time::*;
use self::yaml::*;
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

/// How a function deals with sensitive arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marks {
    /// A sensitive argument, or one containing a sensitive part, makes the whole result
    /// sensitive.
    Whole,
    /// A sensitive argument makes the result sensitive; sensitive parts inside arguments are
    /// passed through and stay on the elements the function moves around (`concat`, `lookup`,
    /// `length` of a list with a sensitive element is not sensitive).
    Elements,
    /// The function handles marks itself (`sensitive`, `nonsensitive`).
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
    pub marks: Marks,
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
        marks: Marks::Whole,
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
        marks: Marks::Whole,
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
    x.marks = Marks::Handles;
    x
}
const fn elements(mut x: Function) -> Function {
    x.marks = Marks::Elements;
    x
}

static FUNCTIONS: &[Function] = &[
    // strings
    nulls(fv("format", &["format"], "args", fn_format)),
    nulls(fv("formatlist", &["format"], "args", fn_formatlist)),
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
        use unicode_segmentation::UnicodeSegmentation as _;
        str_map(a, |s| s.graphemes(true).rev().collect())
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
    elements(shallow(f("length", &["value"], fn_length))),
    // Only the default may be null (checked in `fn_lookup`).
    elements(nulls(shallow(fv(
        "lookup",
        &["inputMap", "key"],
        "default",
        fn_lookup,
    )))),
    elements(nulls(shallow(fv("merge", &[], "maps", fn_merge)))),
    elements(shallow(fv("concat", &[], "seqs", fn_concat))),
    elements(shallow(f("keys", &["inputMap"], fn_keys))),
    elements(shallow(f("values", &["mapping"], fn_values))),
    nulls(f("contains", &["list", "value"], fn_contains)),
    elements(shallow(f("element", &["list", "index"], fn_element))),
    f("index", &["list", "value"], fn_index),
    fv("range", &[], "params", fn_range),
    elements(f("flatten", &["list"], fn_flatten)),
    f("distinct", &["list"], fn_distinct),
    nulls(handles(fv("coalesce", &[], "vals", fn_coalesce))),
    elements(nulls(fv("coalescelist", &[], "vals", fn_coalescelist))),
    f("compact", &["list"], fn_compact),
    elements(shallow(f("zipmap", &["keys", "values"], fn_zipmap))),
    elements(shallow(f(
        "slice",
        &["list", "start_index", "end_index"],
        fn_slice,
    ))),
    elements(shallow(f("reverse", &["list"], fn_reverse))),
    f("sort", &["list"], fn_sort),
    elements(nulls(shallow(f("one", &["list"], fn_one)))),
    f("sum", &["list"], fn_sum),
    f("alltrue", &["list"], |a, _| bools(a, true)),
    f("anytrue", &["list"], |a, _| bools(a, false)),
    elements(f("chunklist", &["list", "size"], fn_chunklist)),
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
    elements(nulls(shallow(f("tolist", &["v"], |a, _| {
        to(a, &Type::list(Type::Any))
    })))),
    elements(nulls(shallow(f("toset", &["v"], |a, _| {
        to(a, &Type::set(Type::Any))
    })))),
    elements(nulls(shallow(f("tomap", &["v"], |a, _| {
        to(a, &Type::map(Type::Any))
    })))),
    nulls(f("jsonencode", &["val"], fn_jsonencode)),
    f("jsondecode", &["str"], fn_jsondecode),
    // numbers
    fv("min", &[], "numbers", |a, _| minmax(a, true)),
    fv("max", &[], "numbers", |a, _| minmax(a, false)),
    f("abs", &["num"], |a, _| num_map(a, Number::abs)),
    f("ceil", &["num"], |a, _| num_map(a, Number::ceil)),
    f("floor", &["num"], |a, _| num_map(a, Number::floor)),
    f("signum", &["num"], |a, _| {
        Ok(Value::number(integer(&a, 0)?.signum()))
    }),
    f("pow", &["num", "power"], |a, _| {
        let (x, y) = (float(&a, 0)?, float(&a, 1)?);
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
        Ok(Value::String(crypto::hex(md5::Md5::digest(read_hashed(
            &a, ctx,
        )?))))
    }),
    f("filesha1", &["path"], |a, ctx| {
        use sha1::Digest as _;
        Ok(Value::String(crypto::hex(sha1::Sha1::digest(read_hashed(
            &a, ctx,
        )?))))
    }),
    f("filesha256", &["path"], |a, ctx| {
        use sha2::Digest as _;
        Ok(Value::String(crypto::hex(sha2::Sha256::digest(
            read_hashed(&a, ctx)?,
        ))))
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
        // Go's filepath.Base.
        let s = string(&a, 0)?;
        let t = s.trim_end_matches('/');
        Ok(Value::String(match (s.is_empty(), t.is_empty()) {
            (true, _) => ".".to_string(),
            (false, true) => "/".to_string(),
            _ => t.rsplit('/').next().unwrap_or("").to_string(),
        }))
    }),
    f("base64encode", &["str"], |a, _| {
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(string(&a, 0)?),
        ))
    }),
    f("base64decode", &["str"], fn_base64decode),
    f("md5", &["str"], |a, _| {
        use md5::Digest as _;
        Ok(Value::String(crypto::hex(md5::Md5::digest(
            string(&a, 0)?.as_bytes(),
        ))))
    }),
    f("sha1", &["str"], |a, _| {
        use sha1::Digest as _;
        Ok(Value::String(crypto::hex(sha1::Sha1::digest(
            string(&a, 0)?.as_bytes(),
        ))))
    }),
    f("sha256", &["str"], |a, _| {
        use sha2::Digest as _;
        Ok(Value::String(crypto::hex(sha2::Sha256::digest(
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
        Ok(Value::String(crypto::hex(sha2::Sha512::digest(
            string(&a, 0)?.as_bytes(),
        ))))
    }),
    f("base64sha512", &["str"], |a, _| {
        Ok(Value::String(sha512_b64(string(&a, 0)?.as_bytes())))
    }),
    f("base64gzip", &["str"], fn_base64gzip),
    f("filesha512", &["path"], |a, ctx| {
        Ok(Value::String(sha512_hex(&read_hashed(&a, ctx)?)))
    }),
    f("filebase64sha256", &["path"], |a, ctx| {
        Ok(Value::String(sha256_b64(&read_hashed(&a, ctx)?)))
    }),
    f("filebase64sha512", &["path"], |a, ctx| {
        Ok(Value::String(sha512_b64(&read_hashed(&a, ctx)?)))
    }),
    f("fileset", &["path", "pattern"], fn_fileset),
    f("abspath", &["path"], fn_abspath),
    f("pathexpand", &["path"], fn_pathexpand),
    f(
        "textencodebase64",
        &["string", "encoding"],
        fn_textencodebase64,
    ),
    f(
        "textdecodebase64",
        &["source", "encoding"],
        fn_textdecodebase64,
    ),
    f("csvdecode", &["str"], fn_csvdecode),
    nulls(f("yamlencode", &["value"], fn_yamlencode)),
    f("yamldecode", &["src"], fn_yamldecode),
    f("uuid", &[], fn_uuid),
    f("uuidv5", &["namespace", "name"], fn_uuidv5),
    fv("bcrypt", &["str"], "cost", fn_bcrypt),
    f("rsadecrypt", &["ciphertext", "privatekey"], fn_rsadecrypt),
    // network addresses
    f("cidrhost", &["prefix", "hostnum"], fn_cidrhost),
    f("cidrnetmask", &["prefix"], fn_cidrnetmask),
    f(
        "cidrsubnet",
        &["prefix", "newbits", "netnum"],
        fn_cidrsubnet,
    ),
    fv("cidrsubnets", &["prefix"], "newbits", fn_cidrsubnets),
    // time
    f("timestamp", &[], fn_timestamp),
    f("plantimestamp", &[], fn_plantimestamp),
    f("formatdate", &["format", "time"], fn_formatdate),
    f("timeadd", &["timestamp", "duration"], fn_timeadd),
    f("timecmp", &["timestamp_a", "timestamp_b"], fn_timecmp),
    // more numbers and marks
    f("log", &["num", "base"], fn_log),
    nulls(marks(handles(f(
        "issensitive",
        &["value"],
        |a, _| match &a[0] {
            Value::Sensitive(_) => Ok(Value::Bool(true)),
            Value::Unknown => Ok(Value::Unknown),
            _ => Ok(Value::Bool(false)),
        },
    )))),
    // cairn has no ephemeral values: every value passes through unchanged.
    nulls(marks(handles(f(
        "ephemeralasnull",
        &["value"],
        |mut a, _| Ok(a.remove(0)),
    )))),
];

/// The function called `name`, if Terraform has one cairn implements.
pub fn lookup(name: &str) -> Option<&'static Function> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Function>> = OnceLock::new();
    INDEX
        .get_or_init(|| FUNCTIONS.iter().map(|f| (f.name, f)).collect())
        .get(name)
        .copied()
}

/// The names of every implemented function (plus `try`, `can`, `templatefile` and `templatestring`,
/// which the evaluator handles).
pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS
        .iter()
        .map(|f| f.name)
        .chain(["try", "can", "templatefile", "templatestring"])
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
    let args: Vec<Value> = match f.marks {
        Marks::Handles => args,
        Marks::Elements => args
            .into_iter()
            .map(|a| {
                let (a, s) = a.unmark();
                sensitive |= s;
                a
            })
            .collect(),
        Marks::Whole => args
            .into_iter()
            .map(|a| {
                if a.contains_sensitive() {
                    sensitive = true;
                    a.unmark_deep().0
                } else {
                    a
                }
            })
            .collect(),
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

fn number(a: &[Value], i: usize) -> Result<Number, FnError> {
    match a.get(i).cloned().map(|v| convert(v, &Type::Number)) {
        Some(Ok(Value::Number(n))) => Ok(n),
        _ => Err(arg_err(i, "number required")),
    }
}

/// A number argument as the nearest `f64`, for the functions Terraform computes in `float64`.
fn float(a: &[Value], i: usize) -> Result<f64, FnError> {
    Ok(number(a, i)?.as_f64())
}

fn integer(a: &[Value], i: usize) -> Result<i64, FnError> {
    // Terraform converts inside the implementation, so this is not an argument error.
    number(a, i)?.as_i64().ok_or_else(|| {
        FnError::Call(
            "value must be a whole number, between -9223372036854775808 and 9223372036854775807"
                .into(),
        )
    })
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

fn num_map(a: Vec<Value>, g: impl Fn(&Number) -> Number) -> Result<Value, FnError> {
    Ok(Value::Number(g(&number(&a, 0)?)))
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

#[cfg(test)]
mod tests;
