//! `yamlencode` and `yamldecode`. Decoding parses with `serde_yaml`; encoding writes the block
//! style Terraform's encoder (libyaml's emitter) produces: double-quoted strings and keys,
//! literal block scalars for multi-line strings, sequences not indented inside mappings.

use super::*;

pub(super) fn fn_yamldecode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let blank = s
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    let mut docs = serde_yaml::Deserializer::from_str(&s);
    let Some(doc) = docs.next().filter(|_| !blank) else {
        return Err(FnError::Call(
            "on line 1, column 1: missing start of document".into(),
        ));
    };
    let y: serde_yaml::Value = serde::Deserialize::deserialize(doc)
        .map_err(|e| FnError::Call(format!("on line {}", yaml_err(&e))))?;
    if docs.next().is_some() {
        return Err(FnError::Call(
            "input contains more than one YAML document".into(),
        ));
    }
    from_yaml(y)
}

fn yaml_err(e: &serde_yaml::Error) -> String {
    match e.location() {
        Some(l) => format!("{}, column {}: {e}", l.line(), l.column()),
        None => e.to_string(),
    }
}

fn from_yaml(y: serde_yaml::Value) -> Result<Value, FnError> {
    use serde_yaml::Value as Y;
    Ok(match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            num_value(f)?
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(xs) => Value::Tuple(xs.into_iter().map(from_yaml).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    Y::Null => "null".to_string(),
                    _ => {
                        return Err(FnError::Call(
                            "only string, number and bool keys are supported".into(),
                        ));
                    }
                };
                out.insert(key, from_yaml(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            match (tag.as_str(), t.value) {
                ("!!str" | "!str", Y::String(s)) => Value::String(s),
                ("!!str" | "!str", Y::Number(n)) => Value::String(n.to_string()),
                ("!!str" | "!str", Y::Bool(b)) => Value::String(b.to_string()),
                (_, v) => from_yaml(v)?,
            }
        }
    })
}

pub(super) fn fn_yamlencode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let mut e = Emitter::default();
    e.node(&a[0], 0, Ctx0::Top);
    e.newline_if_needed();
    Ok(Value::String(e.out))
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx0 {
    Top,
    /// After `"key":` of a mapping.
    MapValue,
    /// After `- ` of a sequence.
    SeqItem,
}

#[derive(Default)]
struct Emitter {
    out: String,
    column: usize,
}

const BEST_WIDTH: usize = 80;

impl Emitter {
    fn put(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
        self.out.push_str(s);
    }
    fn newline_if_needed(&mut self) {
        if self.column > 0 {
            self.put("\n");
        }
    }
    fn indent_to(&mut self, indent: usize) {
        self.newline_if_needed();
        self.put(&" ".repeat(indent));
    }

    /// Writes `v` whose container's content is at `indent`; the cursor is already placed
    /// after `"key":` (MapValue), `- ` (SeqItem), or at the start (Top).
    fn node(&mut self, v: &Value, indent: usize, cx: Ctx0) {
        let v = v.strip_marks_ref();
        match v {
            Value::Map(m) | Value::Object(m) if !m.is_empty() => {
                let inner = match cx {
                    Ctx0::Top => 0,
                    Ctx0::MapValue => indent + 2,
                    Ctx0::SeqItem => indent + 2,
                };
                let mut first = true;
                for (k, x) in m {
                    if cx == Ctx0::SeqItem && first {
                        // continues the `- ` line
                    } else {
                        self.indent_to(inner);
                    }
                    first = false;
                    self.double_quoted(k, inner, false);
                    self.put(":");
                    self.after_key(x, inner);
                }
            }
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) if !xs.is_empty() => {
                let inner = match cx {
                    Ctx0::Top => 0,
                    Ctx0::MapValue => indent,
                    Ctx0::SeqItem => indent + 2,
                };
                let mut first = true;
                for x in xs {
                    if !(cx == Ctx0::SeqItem && first) {
                        self.indent_to(inner);
                    }
                    first = false;
                    self.put("- ");
                    self.node(x, inner, Ctx0::SeqItem);
                }
            }
            _ => {
                if cx == Ctx0::MapValue {
                    self.put(" ");
                }
                // libyaml indents a scalar's continuation lines one step past its container
                // (two columns at the root).
                let base = match cx {
                    Ctx0::Top => 2,
                    _ => indent + 2,
                };
                self.scalar(v, base);
                // A plain scalar leaves the root document open: libyaml closes it with `...`.
                let open_ended = matches!(
                    v,
                    Value::Null | Value::Unknown | Value::Bool(_) | Value::Number(_)
                );
                if cx == Ctx0::Top && open_ended {
                    self.newline_if_needed();
                    self.put("...");
                }
            }
        }
    }

    fn after_key(&mut self, x: &Value, indent: usize) {
        match x.strip_marks_ref() {
            Value::Map(m) | Value::Object(m) if !m.is_empty() => {
                self.node(x, indent, Ctx0::MapValue)
            }
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) if !xs.is_empty() => {
                self.node(x, indent, Ctx0::MapValue)
            }
            _ => self.node(x, indent, Ctx0::MapValue),
        }
    }

    fn scalar(&mut self, v: &Value, indent: usize) {
        match v {
            Value::Null | Value::Unknown => self.put("null"),
            Value::Bool(b) => self.put(if *b { "true" } else { "false" }),
            Value::Number(n) => self.put(&json_string(&Value::Number(*n))),
            Value::String(s) => {
                if s.contains('\n') && literal_allowed(s) {
                    self.literal(s, indent);
                } else {
                    self.double_quoted(s, indent, true);
                }
            }
            Value::Map(_) | Value::Object(_) => self.put("{}"),
            Value::List(_) | Value::Tuple(_) | Value::Set(_) => self.put("[]"),
            Value::Sensitive(x) => self.scalar(x, indent),
        }
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.put("|");
        if s.starts_with([' ', '\n']) {
            self.put("2");
        }
        let chomp = if !s.ends_with('\n') {
            "-"
        } else if s == "\n" || s[..s.len() - 1].ends_with('\n') {
            "+"
        } else {
            ""
        };
        self.put(chomp);
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            self.put("\n");
            if !line.is_empty() {
                self.put(&" ".repeat(indent));
                self.put(line);
            }
        }
        self.put("\n");
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.put("\"");
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !printable(c) || c == '\u{feff}' || c == '\n' || c == '\r' || c == '"' || c == '\\' {
                let esc = match c {
                    '\0' => "\\0".to_string(),
                    '\u{7}' => "\\a".to_string(),
                    '\u{8}' => "\\b".to_string(),
                    '\t' => "\\t".to_string(),
                    '\n' => "\\n".to_string(),
                    '\u{b}' => "\\v".to_string(),
                    '\u{c}' => "\\f".to_string(),
                    '\r' => "\\r".to_string(),
                    '\u{1b}' => "\\e".to_string(),
                    '"' => "\\\"".to_string(),
                    '\\' => "\\\\".to_string(),
                    '\u{85}' => "\\N".to_string(),
                    '\u{a0}' => "\\_".to_string(),
                    '\u{2028}' => "\\L".to_string(),
                    '\u{2029}' => "\\P".to_string(),
                    c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                    c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                    c => format!("\\U{:08X}", c as u32),
                };
                self.put(&esc);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < chars.len() - 1
                {
                    self.put("\n");
                    self.put(&" ".repeat(indent));
                    if chars.get(i + 1) == Some(&' ') {
                        self.put("\\");
                    }
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                let mut b = [0u8; 4];
                self.put(c.encode_utf8(&mut b));
                spaces = false;
            }
            i += 1;
        }
        self.put("\"");
    }
}

fn printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0a
        || (0x20..=0x7e).contains(&u)
        || u == 0x85
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
        || (0x10000..=0x10ffff).contains(&u)
}

/// Whether libyaml would write `s` as a literal block scalar.
fn literal_allowed(s: &str) -> bool {
    if s.ends_with(' ') || s.contains(" \n") {
        return false;
    }
    !s.chars().any(|c| !printable(c) || c == '\u{feff}')
}
