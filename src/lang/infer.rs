//! Static types of expressions, for the places where Terraform's results depend on the type of
//! a value that is null or unknown: cairn's [`Value`](cairn_provider::Value) carries no type
//! when it is null or unknown, so the evaluator asks this module what type the expression that
//! produced it has. A typed null (`var.x` declared `string`, `tostring(null)`, `true ? null :
//! "a"`) is formatted with an error by `format` where an untyped `null` yields an unknown
//! result; an unknown string given to `keys` is an error while planning, as in Terraform.
//!
//! The inference is conservative: [`Type::Any`] means "dynamic, or not known here", which keeps
//! the behaviour of an untyped value. A concrete type is returned only where Terraform's type is
//! certain: literals, templates, operators, declared variable types (through
//! [`Scope::static_type`]), locals (inferred from their expressions by the scope), object and
//! tuple constructors, attribute and index steps into known types, conditionals, and function
//! results with a fixed return type. It must not evaluate anything.

use std::collections::BTreeMap;

use super::ast::{
    BinaryOperator, Decorated, Expression, ObjectKey, TraversalOperator, UnaryOperator,
};
use cairn_provider::Type;

use super::reference::subject_of;
use super::{Scope, Subject};

/// How deeply inference follows an expression before answering `Any`.
const MAX_DEPTH: usize = 64;

/// The static type of `e` in `scope` (`Any` when dynamic or not known).
pub fn static_type(e: &Expression, scope: &dyn Scope) -> Type {
    Infer {
        scope,
        is_bound: &|_| false,
    }
    .ty(e, 0)
}

/// Like [`static_type`], where the names `is_bound` accepts are bound by enclosing `for`
/// expressions (their types are not known statically).
pub(crate) fn static_type_bound(
    e: &Expression,
    scope: &dyn Scope,
    is_bound: &dyn Fn(&str) -> bool,
) -> Type {
    Infer { scope, is_bound }.ty(e, 0)
}

struct Infer<'a> {
    scope: &'a dyn Scope,
    is_bound: &'a dyn Fn(&str) -> bool,
}

impl Infer<'_> {
    fn ty(&self, e: &Expression, depth: usize) -> Type {
        if depth > MAX_DEPTH {
            return Type::Any;
        }
        let d = depth + 1;
        match e {
            Expression::Null(_) => Type::Any,
            Expression::Bool(_) => Type::Bool,
            Expression::Number(_) => Type::Number,
            // A template of one interpolation alone is that value, unconverted.
            Expression::StringTemplate(t) => match t.as_single_interpolation() {
                Some(i) => self.ty(i, d),
                None => Type::String,
            },
            Expression::String(_) => Type::String,
            Expression::HeredocTemplate(_) => Type::String,
            Expression::Parenthesis(p) => self.ty(p.value(), d),
            Expression::Array(a) => Type::Tuple(a.iter().map(|x| self.ty(x, d)).collect()),
            Expression::Object(o) => {
                let mut attrs = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(Expression::Variable(v)) => v.as_str().to_string(),
                        ObjectKey::Expression(_) => return Type::Any,
                    };
                    attrs.insert(key, self.ty(v.expr(), d));
                }
                Type::object(attrs)
            }
            Expression::UnaryOp(u) => match u.operator.value() {
                UnaryOperator::Not => Type::Bool,
                UnaryOperator::Neg => Type::Number,
            },
            Expression::BinaryOp(b) => {
                use BinaryOperator as B;
                match b.operator.value() {
                    B::Plus | B::Minus | B::Mul | B::Div | B::Mod => Type::Number,
                    _ => Type::Bool,
                }
            }
            Expression::Conditional(c) => {
                let (t, f) = (&c.true_expr, &c.false_expr);
                // An untyped null branch takes the other branch's type; a branch of unknown
                // type makes the result's type unknown.
                match (is_null_literal(t), is_null_literal(f)) {
                    (true, true) => Type::Any,
                    (true, false) => self.ty(f, d),
                    (false, true) => self.ty(t, d),
                    (false, false) => {
                        let (tt, ft) = (self.ty(t, d), self.ty(f, d));
                        if tt == Type::Any || ft == Type::Any {
                            Type::Any
                        } else {
                            super::convert::unify(&[tt, ft]).unwrap_or(Type::Any)
                        }
                    }
                }
            }
            Expression::Variable(v) => self.root(v.as_str(), &[]),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => self.root(v.as_str(), &t.operators),
                other => steps(self.ty(other, d), &t.operators),
            },
            Expression::FuncCall(f) => {
                if !f.name.namespace.is_empty()
                    && f.name.namespace.iter().map(|n| n.as_str()).ne(["core"])
                {
                    return Type::Any;
                }
                let args: Vec<Type> = if f.args.expand_final() {
                    return fixed_return(f.name.name.as_str()).unwrap_or(Type::Any);
                } else {
                    f.args.iter().map(|a| self.ty(a, d)).collect()
                };
                call_type(f.name.name.as_str(), &args)
            }
            _ => Type::Any,
        }
    }

    fn root(&self, name: &str, ops: &[Decorated<TraversalOperator>]) -> Type {
        if (self.is_bound)(name) {
            return Type::Any;
        }
        let Ok((subject, used)) = subject_of(name, ops) else {
            return Type::Any;
        };
        let base = match subject {
            Subject::Var(_) | Subject::Local(_) => self.scope.static_type(&subject),
            Subject::Path(_) | Subject::TerraformWorkspace => Type::String,
            _ => Type::Any,
        };
        steps(base, &ops[used..])
    }
}

fn is_null_literal(e: &Expression) -> bool {
    match e {
        Expression::Null(_) => true,
        Expression::Parenthesis(p) => is_null_literal(p.value()),
        _ => false,
    }
}

/// The type reached by attribute and index steps from a value of type `ty`.
fn steps(mut ty: Type, ops: &[Decorated<TraversalOperator>]) -> Type {
    for op in ops {
        ty = match (op.value(), ty) {
            (_, Type::Any) => return Type::Any,
            (TraversalOperator::GetAttr(a), Type::Object(o)) => {
                o.attrs.get(a.as_str()).cloned().unwrap_or(Type::Any)
            }
            (TraversalOperator::GetAttr(_) | TraversalOperator::Index(_), Type::Map(e)) => *e,
            (TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_), Type::List(e)) => *e,
            (TraversalOperator::Index(i), Type::Tuple(ts)) => match i {
                Expression::Number(n) => n
                    .value()
                    .parse::<u64>()
                    .ok()
                    .and_then(|k| ts.get(usize::try_from(k).ok()?).cloned())
                    .unwrap_or(Type::Any),
                _ => Type::Any,
            },
            (TraversalOperator::LegacyIndex(k), Type::Tuple(ts)) => usize::try_from(*k)
                .ok()
                .and_then(|k| ts.get(k).cloned())
                .unwrap_or(Type::Any),
            (TraversalOperator::Index(i), Type::Object(o)) => match i {
                Expression::String(s) => o
                    .attrs
                    .get(s.value().as_str())
                    .cloned()
                    .unwrap_or(Type::Any),
                _ => Type::Any,
            },
            _ => return Type::Any,
        };
    }
    ty
}

/// The type a call of the built-in function `name` returns, given its arguments' static types.
fn call_type(name: &str, args: &[Type]) -> Type {
    match name {
        // The conversion functions return their type whatever they are given.
        "tostring" => return Type::String,
        "tonumber" => return Type::Number,
        "tobool" => return Type::Bool,
        _ => {}
    }
    let Some(sig) = signature(name) else {
        return Type::Any;
    };
    // An argument of unknown type for a parameter that takes any type may make the result
    // dynamic (Terraform returns a dynamic unknown when such an argument is an untyped null or
    // unknown); parameters of a fixed type convert their argument first.
    let dynamic_param = args
        .iter()
        .enumerate()
        .any(|(i, t)| *t == Type::Any && sig.param(i).is_none_or(|p| p == Type::Any));
    if dynamic_param {
        return Type::Any;
    }
    sig.ret()
}

fn fixed_return(name: &str) -> Option<Type> {
    let sig = signature(name)?;
    let all_typed =
        sig.params.iter().all(|p| *p != "dynamic") && sig.variadic.is_none_or(|v| v != "dynamic");
    all_typed.then(|| sig.ret())
}

/// A function's signature as Terraform lists it (`terraform metadata functions -json`).
pub(crate) struct Signature {
    pub params: &'static [&'static str],
    pub variadic: Option<&'static str>,
    pub ret: &'static str,
}

impl Signature {
    /// The type of the parameter at position `i` (the variadic one past the fixed ones).
    pub fn param(&self, i: usize) -> Option<Type> {
        self.params
            .get(i)
            .copied()
            .or(self.variadic)
            .and_then(parse_type)
    }
    pub fn ret(&self) -> Type {
        parse_type(self.ret).unwrap_or(Type::Any)
    }
}

/// The signature of the built-in function `name`.
pub(crate) fn signature(name: &str) -> Option<Signature> {
    SIGNATURES
        .binary_search_by(|(n, ..)| (*n).cmp(name))
        .ok()
        .map(|i| {
            let (_, params, variadic, ret) = SIGNATURES[i];
            Signature {
                params,
                variadic,
                ret,
            }
        })
}

/// Parses the type notation of the signature table (`string`, `list(dynamic)`).
fn parse_type(s: &str) -> Option<Type> {
    Some(match s {
        "dynamic" => Type::Any,
        "string" => Type::String,
        "number" => Type::Number,
        "bool" => Type::Bool,
        _ => {
            let (kind, rest) = s.split_once('(')?;
            let inner = parse_type(rest.strip_suffix(')')?)?;
            match kind {
                "list" => Type::list(inner),
                "set" => Type::set(inner),
                "map" => Type::map(inner),
                _ => return None,
            }
        }
    })
}

/// Whether a value of type `from` may convert to `to`. `Any` on either side may; conversions
/// whose success depends on the value (string to number) may.
pub(crate) fn convertible(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (Type::Any, _) | (_, Type::Any) => true,
        (Type::Number, Type::Bool) | (Type::Bool, Type::Number) => false,
        (a, b) if a.is_primitive() && b.is_primitive() => true,
        (a, _) | (_, a) if a.is_primitive() => false,
        (Type::List(e) | Type::Set(e), Type::List(t) | Type::Set(t)) => convertible(e, t),
        (Type::Tuple(es), Type::List(t) | Type::Set(t)) => es.iter().all(|e| convertible(e, t)),
        (Type::List(_) | Type::Set(_) | Type::Tuple(_), Type::Tuple(_)) => true,
        (Type::Map(e), Type::Map(t)) => convertible(e, t),
        (Type::Object(o), Type::Map(t)) => o.attrs.values().all(|e| convertible(e, t)),
        (Type::Map(_) | Type::Object(_), Type::Object(_)) => true,
        _ => false,
    }
}

/// Terraform's built-in functions: name, parameter types, variadic parameter type, return type
/// (from `terraform metadata functions -json`, kept in testdata/eval/functions.json; a test
/// checks the two agree). Sorted by name.
#[rustfmt::skip]
static SIGNATURES: &[(&str, &[&str], Option<&str>, &str)] = &[
    ("abs", &["number"], None, "number"),
    ("abspath", &["string"], None, "string"),
    ("alltrue", &["list(bool)"], None, "bool"),
    ("anytrue", &["list(bool)"], None, "bool"),
    ("base64decode", &["string"], None, "string"),
    ("base64encode", &["string"], None, "string"),
    ("base64gzip", &["string"], None, "string"),
    ("base64sha256", &["string"], None, "string"),
    ("base64sha512", &["string"], None, "string"),
    ("basename", &["string"], None, "string"),
    ("bcrypt", &["string"], Some("number"), "string"),
    ("can", &["dynamic"], None, "bool"),
    ("ceil", &["number"], None, "number"),
    ("chomp", &["string"], None, "string"),
    ("chunklist", &["list(dynamic)", "number"], None, "list(list(dynamic))"),
    ("cidrhost", &["string", "number"], None, "string"),
    ("cidrnetmask", &["string"], None, "string"),
    ("cidrsubnet", &["string", "number", "number"], None, "string"),
    ("cidrsubnets", &["string"], Some("number"), "list(string)"),
    ("coalesce", &[], Some("dynamic"), "dynamic"),
    ("coalescelist", &[], Some("dynamic"), "dynamic"),
    ("compact", &["list(string)"], None, "list(string)"),
    ("concat", &[], Some("dynamic"), "dynamic"),
    ("contains", &["dynamic", "dynamic"], None, "dynamic"),
    ("csvdecode", &["string"], None, "dynamic"),
    ("dirname", &["string"], None, "string"),
    ("distinct", &["list(dynamic)"], None, "list(dynamic)"),
    ("element", &["dynamic", "number"], None, "dynamic"),
    ("endswith", &["string", "string"], None, "bool"),
    ("ephemeralasnull", &["dynamic"], None, "dynamic"),
    ("file", &["string"], None, "string"),
    ("filebase64", &["string"], None, "string"),
    ("filebase64sha256", &["string"], None, "string"),
    ("filebase64sha512", &["string"], None, "string"),
    ("fileexists", &["string"], None, "bool"),
    ("filemd5", &["string"], None, "string"),
    ("fileset", &["string", "string"], None, "set(string)"),
    ("filesha1", &["string"], None, "string"),
    ("filesha256", &["string"], None, "string"),
    ("filesha512", &["string"], None, "string"),
    ("flatten", &["dynamic"], None, "dynamic"),
    ("floor", &["number"], None, "number"),
    ("format", &["string"], Some("dynamic"), "dynamic"),
    ("formatdate", &["string", "string"], None, "string"),
    ("formatlist", &["string"], Some("dynamic"), "dynamic"),
    ("indent", &["number", "string"], None, "string"),
    ("index", &["dynamic", "dynamic"], None, "dynamic"),
    ("issensitive", &["dynamic"], None, "bool"),
    ("join", &["string"], Some("list(string)"), "string"),
    ("jsondecode", &["string"], None, "dynamic"),
    ("jsonencode", &["dynamic"], None, "string"),
    ("keys", &["dynamic"], None, "dynamic"),
    ("length", &["dynamic"], None, "number"),
    ("log", &["number", "number"], None, "number"),
    ("lookup", &["dynamic", "string"], Some("dynamic"), "dynamic"),
    ("lower", &["string"], None, "string"),
    ("matchkeys", &["list(dynamic)", "list(dynamic)", "list(dynamic)"], None, "list(dynamic)"),
    ("max", &[], Some("number"), "number"),
    ("md5", &["string"], None, "string"),
    ("merge", &[], Some("dynamic"), "dynamic"),
    ("min", &[], Some("number"), "number"),
    ("nonsensitive", &["dynamic"], None, "dynamic"),
    ("one", &["dynamic"], None, "dynamic"),
    ("parseint", &["dynamic", "number"], None, "dynamic"),
    ("pathexpand", &["string"], None, "string"),
    ("plantimestamp", &[], None, "string"),
    ("pow", &["number", "number"], None, "number"),
    ("range", &[], Some("number"), "list(number)"),
    ("regex", &["string", "string"], None, "dynamic"),
    ("regexall", &["string", "string"], None, "list(dynamic)"),
    ("replace", &["string", "string", "string"], None, "string"),
    ("reverse", &["dynamic"], None, "dynamic"),
    ("rsadecrypt", &["string", "string"], None, "string"),
    ("sensitive", &["dynamic"], None, "dynamic"),
    ("setintersection", &["set(dynamic)"], Some("set(dynamic)"), "set(dynamic)"),
    ("setproduct", &[], Some("dynamic"), "dynamic"),
    ("setsubtract", &["set(dynamic)", "set(dynamic)"], None, "set(dynamic)"),
    ("setunion", &["set(dynamic)"], Some("set(dynamic)"), "set(dynamic)"),
    ("sha1", &["string"], None, "string"),
    ("sha256", &["string"], None, "string"),
    ("sha512", &["string"], None, "string"),
    ("signum", &["number"], None, "number"),
    ("slice", &["dynamic", "number", "number"], None, "dynamic"),
    ("sort", &["list(string)"], None, "list(string)"),
    ("split", &["string", "string"], None, "list(string)"),
    ("startswith", &["string", "string"], None, "bool"),
    ("strcontains", &["string", "string"], None, "bool"),
    ("strrev", &["string"], None, "string"),
    ("substr", &["string", "number", "number"], None, "string"),
    ("sum", &["dynamic"], None, "dynamic"),
    ("templatefile", &["string", "dynamic"], None, "dynamic"),
    ("templatestring", &["string", "dynamic"], None, "string"),
    ("textdecodebase64", &["string", "string"], None, "string"),
    ("textencodebase64", &["string", "string"], None, "string"),
    ("timeadd", &["string", "string"], None, "string"),
    ("timecmp", &["string", "string"], None, "number"),
    ("timestamp", &[], None, "string"),
    ("title", &["string"], None, "string"),
    ("tobool", &["dynamic"], None, "bool"),
    ("tolist", &["dynamic"], None, "list(dynamic)"),
    ("tomap", &["dynamic"], None, "map(dynamic)"),
    ("tonumber", &["dynamic"], None, "number"),
    ("toset", &["dynamic"], None, "set(dynamic)"),
    ("tostring", &["dynamic"], None, "string"),
    ("transpose", &["map(list(string))"], None, "map(list(string))"),
    ("trim", &["string", "string"], None, "string"),
    ("trimprefix", &["string", "string"], None, "string"),
    ("trimspace", &["string"], None, "string"),
    ("trimsuffix", &["string", "string"], None, "string"),
    ("try", &[], Some("dynamic"), "dynamic"),
    ("upper", &["string"], None, "string"),
    ("urlencode", &["string"], None, "string"),
    ("uuid", &[], None, "string"),
    ("uuidv5", &["string", "string"], None, "string"),
    ("values", &["dynamic"], None, "dynamic"),
    ("yamldecode", &["string"], None, "dynamic"),
    ("yamlencode", &["dynamic"], None, "string"),
    ("zipmap", &["list(string)", "dynamic"], None, "dynamic"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature table says what Terraform's own list of functions says.
    #[test]
    fn signatures_match_terraform() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/eval/functions.json");
        let text = std::fs::read_to_string(path).expect("read functions.json");
        let json: serde_json::Value = serde_json::from_str(&text).expect("parse functions.json");
        let sigs = json["function_signatures"].as_object().expect("signatures");
        fn t(j: &serde_json::Value) -> String {
            match j {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(xs)
                    if xs.len() == 2 && xs[0] != "object" && xs[0] != "tuple" =>
                {
                    format!("{}({})", xs[0].as_str().unwrap_or("?"), t(&xs[1]))
                }
                _ => "dynamic".into(),
            }
        }
        let names: Vec<&str> = SIGNATURES.iter().map(|s| s.0).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "the table must stay sorted");
        let theirs: Vec<&String> = sigs.keys().filter(|k| !k.starts_with("core::")).collect();
        assert_eq!(theirs.len(), SIGNATURES.len());
        for (name, s) in sigs.iter().filter(|(k, _)| !k.starts_with("core::")) {
            let sig = signature(name).unwrap_or_else(|| panic!("{name} missing"));
            let params: Vec<String> = s["parameters"]
                .as_array()
                .map(|ps| ps.iter().map(|p| t(&p["type"])).collect())
                .unwrap_or_default();
            assert_eq!(sig.params, params.as_slice(), "{name}");
            assert_eq!(
                sig.variadic.map(str::to_string),
                s.get("variadic_parameter").map(|v| t(&v["type"])),
                "{name}"
            );
            assert_eq!(sig.ret, t(&s["return_type"]), "{name}");
        }
    }

    /// A scope where `var.l` is declared a list of strings and `var.s` a string.
    struct Declared;
    impl Scope for Declared {
        fn resolve(
            &self,
            _: &Subject,
            _: Option<&crate::diag::Span>,
        ) -> Result<cairn_provider::Value, crate::diag::Diagnostic> {
            Ok(cairn_provider::Value::Null)
        }
        fn static_type(&self, subject: &Subject) -> Type {
            match subject {
                Subject::Var(n) if n == "l" => Type::list(Type::String),
                Subject::Var(n) if n == "s" => Type::String,
                _ => Type::Any,
            }
        }
    }

    fn ty(src: &str) -> Type {
        let e =
            crate::lang::ast::from_hcl::expr(&hcl_edit::parser::parse_expr(src).expect("parse"));
        static_type(&e, &Declared)
    }

    #[test]
    fn static_types_of_expressions() {
        assert_eq!(ty("var.l"), Type::list(Type::String));
        assert_eq!(ty("var.l[0]"), Type::String);
        assert_eq!(ty("\"${var.l}\""), Type::list(Type::String));
        assert_eq!(ty("\"a${var.l[0]}\""), Type::String);
        assert_eq!(ty("true ? null : var.s"), Type::String);
        assert_eq!(ty("true ? null : null"), Type::Any);
        assert_eq!(ty("true ? var.x : var.s"), Type::Any);
        assert_eq!(ty("{a = null}.a"), Type::Any);
        assert_eq!(ty("tostring(null)"), Type::String);
        assert_eq!(ty("upper(var.x)"), Type::String);
        assert_eq!(ty("format(\"%s\", null)"), Type::Any);
        assert_eq!(ty("length(var.l)"), Type::Number);
        assert_eq!(ty("[for x in var.l : x]"), Type::Any);
        assert_eq!(ty("var.s == \"a\""), Type::Bool);
    }

    #[test]
    fn conversions_between_kinds() {
        assert!(convertible(&Type::String, &Type::Number));
        assert!(!convertible(&Type::Number, &Type::Bool));
        assert!(!convertible(&Type::list(Type::String), &Type::String));
        assert!(!convertible(&Type::String, &Type::map(Type::Any)));
        assert!(convertible(
            &Type::Tuple(vec![Type::String]),
            &Type::list(Type::Number)
        ));
        assert!(!convertible(
            &Type::Tuple(vec![Type::list(Type::String)]),
            &Type::list(Type::String)
        ));
    }
}
