//! Values written the way Terraform writes them outside a diff: `terraform output`, the
//! `Outputs:` list after an apply, `terraform console`. Also the small lexical helpers shared
//! with the plan renderer (string quoting, identifiers, numbers).
//!
//! Pure formatting: no I/O, no decisions. A value marked sensitive prints as
//! `(sensitive value)` and an unknown one as `(known after apply)`; nothing beneath either mark
//! is ever looked at.

use cairn_provider::{Number, Type, Value};

/// Formats a value like `terraform output` does (Terraform's `repl.FormatValue`).
///
/// `indent` is the column the value starts at when it is nested (0 at top level); it decides
/// between `<<EOT` and `<<-EOT` for multi-line strings, as Terraform does.
pub fn format_value(v: &Value, indent: usize) -> String {
    match v {
        Value::Unknown => "(known after apply)".to_string(),
        Value::Sensitive(_) => "(sensitive value)".to_string(),
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(n),
        Value::String(s) => multiline_heredoc(s, indent).unwrap_or_else(|| quote(s)),
        Value::Tuple(xs) => sequence(xs, indent),
        Value::List(xs) => format!("tolist({})", sequence(xs, indent)),
        Value::Set(xs) => format!("toset({})", sequence(xs, indent)),
        Value::Object(m) => mapping(m.iter(), indent),
        Value::Map(m) => format!("tomap({})", mapping(m.iter(), indent)),
    }
}

fn multiline_heredoc(s: &str, indent: usize) -> Option<String> {
    let lines: Vec<&str> = s.split('\n').collect();
    if lines.len() < 2 {
        return None;
    }
    let operator = if indent > 0 { "<<-" } else { "<<" };
    let mut delimiter = String::from("EOT");
    while lines.iter().any(|l| l.trim() == delimiter) {
        delimiter.push('_');
    }
    let pad = " ".repeat(indent);
    let mut out = format!("{operator}{delimiter}");
    for line in &lines {
        out.push('\n');
        out.push_str(&pad);
        out.push_str(line);
    }
    out.push('\n');
    out.push_str(&pad);
    out.push_str(&delimiter);
    Some(out)
}

fn sequence(xs: &[Value], indent: usize) -> String {
    if xs.is_empty() {
        return "[]".to_string();
    }
    let inner = indent + 2;
    let mut out = String::from("[");
    for x in xs {
        out.push('\n');
        out.push_str(&" ".repeat(inner));
        out.push_str(&format_value(x, inner));
        out.push(',');
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent));
    out.push(']');
    out
}

fn mapping<'a>(items: impl Iterator<Item = (&'a String, &'a Value)>, indent: usize) -> String {
    let inner = indent + 2;
    let mut out = String::from("{");
    let mut count = 0;
    for (k, v) in items {
        count += 1;
        out.push('\n');
        out.push_str(&" ".repeat(inner));
        out.push_str(&quote(k));
        out.push_str(" = ");
        out.push_str(&format_value(v, inner));
    }
    if count > 0 {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push('}');
    out
}

/// A number as Terraform prints it: integers without a fraction, others in positional notation
/// with the shortest digits that read back to the same value at the number's precision.
pub fn number(n: &Number) -> String {
    n.to_string()
}

/// A type in the notation of Terraform's console `type()` function: `number`, `list(string)`,
/// and structural types (or collections of them) spread over indented lines.
pub fn format_type(t: &Type) -> String {
    type_at(t, 0)
}

fn type_at(t: &Type, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let inner = " ".repeat(indent + 4);
    let collection = |name: &str, e: &Type| {
        let e = type_at(e, indent + 4);
        if e.contains('\n') {
            format!("{name}(\n{inner}{e},\n{pad})")
        } else {
            format!("{name}({e})")
        }
    };
    match t {
        Type::Any => "dynamic".to_string(),
        Type::Bool => "bool".to_string(),
        Type::Number => "number".to_string(),
        Type::String => "string".to_string(),
        Type::List(e) => collection("list", e),
        Type::Set(e) => collection("set", e),
        Type::Map(e) => collection("map", e),
        Type::Tuple(ts) if ts.is_empty() => "tuple([])".to_string(),
        Type::Tuple(ts) => {
            let mut out = String::from("tuple([\n");
            for e in ts {
                out.push_str(&format!("{inner}{},\n", type_at(e, indent + 4)));
            }
            out.push_str(&format!("{pad}])"));
            out
        }
        Type::Object(o) if o.attrs.is_empty() => "object({})".to_string(),
        Type::Object(o) => {
            let mut out = String::from("object({\n");
            for (k, e) in &o.attrs {
                out.push_str(&format!("{inner}{k}: {},\n", type_at(e, indent + 4)));
            }
            out.push_str(&format!("{pad}}})"));
            out
        }
    }
}

/// Quotes a string the way Terraform's Go code does (`%q`): `"`, `\` and control characters are
/// escaped, printable Unicode is kept as is.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// Appends `s` quoted as [`quote`] does.
pub fn push_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Printable ASCII other than `"` and `\` is written as is.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\u{0b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if !is_print(c) && (c as u32) < 0x10000 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if !is_print(c) => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `strconv.IsPrint`, approximately: control characters, spaces other than U+0020 and
/// invisible format characters are not printable.
fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f
            | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
            | 0xe000..=0xf8ff | 0xf0000..)
}

/// Whether `name` is a valid HCL identifier (and so needs no quotes as an attribute name).
pub fn is_identifier(name: &str) -> bool {
    // One pass over the bytes while they are ASCII; Unicode's tables for the rest.
    let b = name.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        Some(c) if !c.is_ascii() => return unicode_identifier(name),
        _ => return false,
    }
    for c in &b[1..] {
        if !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-')) {
            return !c.is_ascii() && unicode_identifier(name);
        }
    }
    true
}

/// [`is_identifier`] by Unicode's rules, for a name that is not all ASCII.
fn unicode_identifier(name: &str) -> bool {
    let mut cs = name.chars();
    matches!(cs.next(), Some(c) if c.is_alphabetic() || c == '_')
        && cs.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// An attribute name as written in a plan: bare if it is an identifier, quoted otherwise.
pub fn attribute_name(name: &str) -> String {
    if is_identifier(name) {
        name.to_string()
    } else {
        quote(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_provider::ValueMap;

    #[test]
    fn output_style_matches_terraform() {
        let obj = Value::object([
            ("a", Value::number(1)),
            ("bbb", Value::string("x")),
            ("n", Value::object([("q", Value::Tuple(vec![]))])),
            ("with space", Value::Bool(true)),
        ]);
        assert_eq!(
            format_value(&obj, 0),
            "{\n  \"a\" = 1\n  \"bbb\" = \"x\"\n  \"n\" = {\n    \"q\" = []\n  }\n  \"with space\" = true\n}"
        );
        let list = Value::List(vec![Value::string("a"), Value::string("b")]);
        assert_eq!(format_value(&list, 0), "tolist([\n  \"a\",\n  \"b\",\n])");
        let map: ValueMap = [("one".to_string(), Value::number(1))]
            .into_iter()
            .collect();
        assert_eq!(
            format_value(&Value::Map(map), 0),
            "tomap({\n  \"one\" = 1\n})"
        );
        assert_eq!(format_value(&Value::Set(vec![]), 0), "toset([])");
    }

    #[test]
    fn multiline_strings_become_heredocs() {
        assert_eq!(
            format_value(&Value::string("l1\nl2\n"), 0),
            "<<EOT\nl1\nl2\n\nEOT"
        );
        let nested = Value::object([("k", Value::string("l1\nl2"))]);
        assert_eq!(
            format_value(&nested, 0),
            "{\n  \"k\" = <<-EOT\n  l1\n  l2\n  EOT\n}"
        );
        assert_eq!(
            format_value(&Value::string("EOT\nx"), 0),
            "<<EOT_\nEOT\nx\nEOT_"
        );
    }

    #[test]
    fn marks_hide_contents() {
        let v = Value::object([("s", Value::string("secret").mark_sensitive())]);
        assert_eq!(format_value(&v, 0), "{\n  \"s\" = (sensitive value)\n}");
        assert_eq!(format_value(&Value::Unknown, 0), "(known after apply)");
    }

    #[test]
    fn numbers_print_exactly() {
        let n = |s: &str| number(&Number::parse(s).unwrap());
        let sum = Number::parse("0.1")
            .unwrap()
            .add(&Number::parse("0.2").unwrap())
            .unwrap();
        assert_eq!(number(&sum), "0.3");
        assert_eq!(n("-0.3"), "-0.3");
        assert_eq!(n("2e-7"), "0.0000002");
        assert_eq!(n("1e20"), "100000000000000000000");
        assert_eq!(n("12345.678"), "12345.678");
        assert_eq!(
            number(&Number::from_f64(0.1 + 0.2).unwrap()),
            "0.30000000000000004"
        );
    }

    #[test]
    fn types_in_console_notation() {
        let obj = Type::object([
            ("a", Type::Number),
            ("c", Type::Tuple(vec![Type::Number, Type::String])),
            ("d", Type::list(Type::map(Type::String))),
            ("e", Type::set(Type::object([("x", Type::Bool)]))),
            ("f", Type::Any),
            ("g", Type::object::<String>([])),
        ]);
        assert_eq!(
            format_type(&obj),
            "object({\n    a: number,\n    c: tuple([\n        number,\n        string,\n    ]),\n    d: list(map(string)),\n    e: set(\n        object({\n            x: bool,\n        }),\n    ),\n    f: dynamic,\n    g: object({}),\n})"
        );
        assert_eq!(format_type(&Type::Tuple(vec![])), "tuple([])");
        assert_eq!(format_type(&Type::list(Type::Any)), "list(dynamic)");
    }

    #[test]
    fn quoting_escapes_like_go() {
        assert_eq!(quote("q\"t\\ab\tc"), r#""q\"t\\ab\tc""#);
        assert_eq!(quote("\u{1}é"), "\"\\x01é\"");
        assert_eq!(quote("a\u{a0}b\u{200b}🚀"), "\"a\\u00a0b\\u200b🚀\"");
        assert_eq!(attribute_name("with space"), "\"with space\"");
        assert_eq!(attribute_name("ok_name-1"), "ok_name-1");
        // The ASCII shortcut and the general rule agree.
        for (name, bare) in [
            ("_x", true),
            ("1x", false),
            ("-x", false),
            ("", false),
            ("a.b", false),
            ("é-1", true),
            ("aé", true),
            ("a€", false),
        ] {
            assert_eq!(is_identifier(name), bare, "{name:?}");
        }
    }
}
