//! Static readings of expressions that Terraform requires to be constant: type constraints
//! (`list(object({a = optional(string, "x")}))`) and literal values (`true`, `"text"`,
//! `[1, {a = null}]`). Nothing here evaluates: anything that would need variables, functions
//! or operators other than a negative number is reported as not being a literal. Converting
//! values between types is `lang`'s job and must not be duplicated here.

use std::ops::Range;

use crate::lang::ast::{Expression, ObjectKey, Part, Span as _, Template, UnaryOperator};
use cairn_provider::types::ObjectType;
use cairn_provider::{Type, Value};

/// A problem found in a static expression: a summary, a detail and the byte range to blame.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StaticError {
    pub summary: &'static str,
    pub detail: String,
    pub range: Option<Range<usize>>,
}

fn type_error(detail: impl Into<String>, expr: &Expression) -> StaticError {
    StaticError {
        summary: "Invalid type specification",
        detail: detail.into(),
        range: expr.span(),
    }
}

/// Parses a type constraint expression. Terraform 0.11's quoted forms (`"string"`, `"list"`,
/// `"map"`) are understood but reported, as Terraform does: the error carries the type they
/// stand for so that later stages can still proceed.
pub(crate) fn parse_type(expr: &Expression) -> Result<Type, (StaticError, Option<Type>)> {
    match expr {
        Expression::String(s) => {
            let (ty, advice) = match s.value().as_str() {
                "string" => (Some(Type::String), "Remove the quotes around \"string\".".to_string()),
                "list" => (
                    Some(Type::list(Type::String)),
                    "Remove the quotes around \"list\" and write list(string) instead to explicitly indicate that the list elements are strings.".to_string(),
                ),
                "map" => (
                    Some(Type::map(Type::String)),
                    "Remove the quotes around \"map\" and write map(string) instead to explicitly indicate that the map elements are strings.".to_string(),
                ),
                _ => (None, "Write a type constraint without quotes, like string or list(number).".to_string()),
            };
            Err((
                StaticError {
                    summary: "Invalid quoted type constraints",
                    detail: format!(
                        "Terraform 0.11 and earlier required type constraints to be given in quotes, but that form is now deprecated. {advice}"
                    ),
                    range: expr.span(),
                },
                ty,
            ))
        }
        _ => type_expr(expr).map_err(|e| (e, None)),
    }
}

fn type_expr(expr: &Expression) -> Result<Type, StaticError> {
    match expr {
        Expression::Parenthesis(p) => type_expr(p.inner()),
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            kw @ ("list" | "set" | "map") => Err(type_error(
                format!(
                    "The {kw} type constructor requires one argument specifying the element type."
                ),
                expr,
            )),
            "object" => Err(type_error(
                "The object type constructor requires one argument specifying the attribute types as a map.",
                expr,
            )),
            "tuple" => Err(type_error(
                "The tuple type constructor requires one argument specifying the element types as a list.",
                expr,
            )),
            "optional" => Err(type_error(
                "Keyword \"optional\" is valid only as a modifier for object type attributes.",
                expr,
            )),
            other => Err(type_error(
                format!("The keyword \"{other}\" is not a valid type specification."),
                expr,
            )),
        },
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            if call.name.is_namespaced() {
                return Err(type_error(
                    format!(
                        "Function calls are not allowed in type constraints; \"{name}\" is not a type constructor."
                    ),
                    expr,
                ));
            }
            let args: Vec<&Expression> = call.args.iter().collect();
            let one = |what: &str| -> Result<&Expression, StaticError> {
                match args.as_slice() {
                    [a] if !call.args.expand_final() => Ok(*a),
                    _ => Err(type_error(
                        format!(
                            "The {name} type constructor requires one argument specifying {what}."
                        ),
                        expr,
                    )),
                }
            };
            match name {
                "list" => Ok(Type::list(type_expr(one("the element type")?)?)),
                "set" => Ok(Type::set(type_expr(one("the element type")?)?)),
                "map" => Ok(Type::map(type_expr(one("the element type")?)?)),
                "tuple" => {
                    let arg = one("the element types as a list")?;
                    let Expression::Array(items) = arg else {
                        return Err(type_error(
                            "Tuple type constructor requires a list of element types.",
                            arg,
                        ));
                    };
                    items
                        .iter()
                        .map(type_expr)
                        .collect::<Result<_, _>>()
                        .map(Type::Tuple)
                }
                "object" => {
                    let arg = one("the attribute types as a map")?;
                    let Expression::Object(items) = arg else {
                        return Err(type_error(
                            "Object type constructor requires a map whose keys are attribute names and whose values are the corresponding attribute types.",
                            arg,
                        ));
                    };
                    let mut obj = ObjectType::default();
                    for (key, value) in items.iter() {
                        let name = object_key_name(key).ok_or_else(|| StaticError {
                            summary: "Invalid type specification",
                            detail: "Object constructor map keys must be attribute names.".into(),
                            range: key.span(),
                        })?;
                        let (ty, optional) = attribute_type(value.expr())?;
                        obj.attrs.insert(name.clone(), ty);
                        if let Some(default) = optional {
                            obj.optional.insert(name, default);
                        }
                    }
                    Ok(Type::Object(obj))
                }
                "optional" => Err(type_error(
                    "Keyword \"optional\" is valid only as a modifier for object type attributes.",
                    expr,
                )),
                other => Err(type_error(
                    format!("Keyword \"{other}\" is not a valid type constructor."),
                    expr,
                )),
            }
        }
        _ => Err(type_error(
            "A type specification is either a primitive type keyword (bool, number, string), \"any\", or a complex type constructor call, like list(string).",
            expr,
        )),
    }
}

/// The type of one object attribute and, when it is `optional(...)`, its default.
fn attribute_type(expr: &Expression) -> Result<(Type, Option<Option<Value>>), StaticError> {
    let Expression::FuncCall(call) = expr else {
        return Ok((type_expr(expr)?, None));
    };
    if call.name.is_namespaced() || call.name.name.as_str() != "optional" {
        return Ok((type_expr(expr)?, None));
    }
    let args: Vec<&Expression> = call.args.iter().collect();
    match args.as_slice() {
        [ty] => Ok((type_expr(ty)?, Some(None))),
        [ty, default] => {
            let ty = type_expr(ty)?;
            let value = literal(default).map_err(|range| StaticError {
                summary: "Invalid default value for optional attribute",
                detail: "The default value of an optional attribute must be a literal value: null, a bool, a number, a string, or a list or object of literals.".into(),
                range,
            })?;
            Ok((ty, Some(Some(value))))
        }
        _ => Err(type_error(
            "Optional attribute modifier expects at most two arguments: the attribute type, and a default value.",
            expr,
        )),
    }
}

/// The name an object key stands for: an identifier or a literal string.
pub(crate) fn object_key_name(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Ident(i) => Some(i.as_str().to_string()),
        ObjectKey::Expression(Expression::Variable(v)) => Some(v.as_str().to_string()),
        ObjectKey::Expression(e) => literal_string(e),
    }
}

/// The text of a template without interpolations or directives.
fn literal_template(t: &Template) -> Option<String> {
    let mut out = String::new();
    for p in &t.parts {
        match p {
            Part::Lit(i) => out.push_str(t.lits.get(*i)?),
            _ => return None,
        }
    }
    Some(out)
}

/// A string literal: a quoted string or a heredoc without interpolations.
pub(crate) fn literal_string(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        Expression::StringTemplate(t) | Expression::HeredocTemplate(t) => literal_template(t),
        Expression::Parenthesis(p) => literal_string(p.value()),
        _ => None,
    }
}

/// A bool literal.
pub(crate) fn literal_bool(expr: &Expression) -> Option<bool> {
    match expr {
        Expression::Bool(b) => Some(*b.value()),
        Expression::Parenthesis(p) => literal_bool(p.value()),
        _ => None,
    }
}

/// Reads a literal value; on failure, returns the range of the first part that is not literal.
pub(crate) fn literal(expr: &Expression) -> Result<Value, Option<Range<usize>>> {
    match expr {
        Expression::Null(_) => Ok(Value::Null),
        Expression::Bool(b) => Ok(Value::Bool(*b.value())),
        Expression::Number(n) => cairn_provider::Number::parse(n.value())
            .map(Value::Number)
            .ok_or_else(|| expr.span()),
        Expression::UnaryOp(op) if *op.operator.value() == UnaryOperator::Neg => {
            match literal(&op.expr)? {
                Value::Number(n) => Ok(Value::Number(n.neg())),
                _ => Err(expr.span()),
            }
        }
        Expression::Parenthesis(p) => literal(p.inner()),
        Expression::Array(items) => items
            .iter()
            .map(literal)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Tuple),
        Expression::Object(items) => {
            let mut out = cairn_provider::ValueMap::new();
            for (key, value) in items.iter() {
                let name = object_key_name(key).ok_or_else(|| key.span())?;
                out.insert(name, literal(value.expr())?);
            }
            Ok(Value::Object(out))
        }
        Expression::String(_) | Expression::StringTemplate(_) | Expression::HeredocTemplate(_) => {
            literal_string(expr)
                .map(Value::String)
                .ok_or_else(|| expr.span())
        }
        _ => Err(expr.span()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_expr(src: &str) -> Result<Expression, hcl_edit::parser::Error> {
        hcl_edit::parser::parse_expr(src).map(|e| crate::lang::ast::from_hcl::expr(&e))
    }

    fn ty(src: &str) -> Result<String, String> {
        let e = parse_expr(src).map_err(|e| e.to_string())?;
        parse_type(&e)
            .map(|t| t.to_string())
            .map_err(|(e, _)| e.detail)
    }

    fn lit(src: &str) -> Option<Value> {
        parse_expr(src).ok().and_then(|e| literal(&e).ok())
    }

    #[test]
    fn type_constraints() {
        assert_eq!(ty("string"), Ok("string".into()));
        assert_eq!(ty("list(map(number))"), Ok("list(map(number))".into()));
        assert_eq!(ty("tuple([bool, any])"), Ok("tuple([bool, any])".into()));
        assert_eq!(
            ty("object({a = string, b = optional(number)})"),
            Ok("object({a=string, b=optional(number)})".into())
        );
        assert!(ty("list").unwrap_err().contains("requires one argument"));
        assert!(
            ty("strin")
                .unwrap_err()
                .contains("\"strin\" is not a valid")
        );
        assert!(
            ty("optional(string)")
                .unwrap_err()
                .contains("only as a modifier")
        );
        assert!(ty("list(string, number)").is_err());
        assert!(
            ty("object({a = optional(string, var.x)})")
                .unwrap_err()
                .contains("literal")
        );
        assert!(ty("\"string\"").unwrap_err().contains("Remove the quotes"));
    }

    #[test]
    fn optional_defaults() {
        let e =
            parse_expr("object({a = optional(list(string), [\"x\"]), b = optional(bool, true)})")
                .unwrap();
        let Ok(Type::Object(o)) = parse_type(&e) else {
            panic!("not an object type")
        };
        assert_eq!(
            o.optional["a"],
            Some(Value::Tuple(vec![Value::string("x")]))
        );
        assert_eq!(o.optional["b"], Some(Value::Bool(true)));
    }

    #[test]
    fn literals() {
        assert_eq!(
            lit("-1.5"),
            Some(Value::Number(
                cairn_provider::Number::from_f64(-1.5).unwrap()
            ))
        );
        assert_eq!(
            lit("{a = [null, \"s\"]}"),
            Some(Value::object([(
                "a",
                Value::Tuple(vec![Value::Null, Value::string("s")])
            )]))
        );
        assert_eq!(lit("<<-EOT\n  hi\n  EOT"), Some(Value::string("hi\n")));
        assert_eq!(lit("\"a${b}\""), None);
        assert_eq!(lit("1 + 1"), None);
    }
}
