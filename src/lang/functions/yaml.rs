//! `yamlencode` and `yamldecode`. Decoding parses with `yaml-rust2`'s event parser (which
//! keeps the quoting style that Terraform's YAML 1.1 resolution depends on); encoding writes the block
//! style Terraform's encoder (libyaml's emitter) produces: double-quoted strings and keys,
//! literal block scalars for multi-line strings, sequences not indented inside mappings.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::*;

pub(super) fn fn_yamldecode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let mut events = Events::default();
    yaml_rust2::parser::Parser::new_from_str(&s)
        .load(&mut events, true)
        .map_err(|e| {
            let m = e.marker();
            let info = e.info();
            // libyaml's problem without its context ("while parsing a node, ...").
            let problem = match info.split_once(", ") {
                Some((ctx, p)) if ctx.starts_with("while ") => p,
                _ => info,
            };
            FnError::Call(format!(
                "on line {}, column {}: {problem}",
                m.line().saturating_sub(1).max(1),
                m.col() + 1
            ))
        })?;
    let docs = events
        .0
        .iter()
        .filter(|(e, _)| matches!(e, Event::DocumentStart))
        .count();
    match docs {
        0 => {
            return Err(FnError::Call(
                "on line 1, column 1: missing start of document".into(),
            ));
        }
        1 => {}
        _ => {
            return Err(FnError::Call(
                "input contains more than one YAML document".into(),
            ));
        }
    }
    let mut b = Builder {
        src: &s,
        events: &events.0,
        pos: 0,
        anchors: HashMap::new(),
    };
    while b.pos < b.events.len() && !matches!(b.events[b.pos].0, Event::DocumentStart) {
        b.pos += 1;
    }
    b.pos += 1;
    b.node()
}

use yaml_rust2::parser::{Event, MarkedEventReceiver, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[derive(Default)]
struct Events(Vec<(Event, Marker)>);

impl MarkedEventReceiver for Events {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        self.0.push((ev, mark));
    }
}

/// Builds values from parser events, resolving plain scalars as Terraform's YAML decoder
/// does (YAML 1.1 booleans such as `yes` and `off`, `~`, hex and octal integers, timestamps).
struct Builder<'a> {
    src: &'a str,
    events: &'a [(Event, Marker)],
    pos: usize,
    anchors: HashMap<usize, Value>,
}

fn tag_name(t: &Option<Tag>) -> String {
    match t {
        None => String::new(),
        Some(t) if t.handle == "!!" || t.handle == "tag:yaml.org,2002:" => {
            format!("!!{}", t.suffix)
        }
        Some(t) => format!("{}{}", t.handle, t.suffix),
    }
}

impl Builder<'_> {
    /// An error at an event, placed as Terraform places it: no position on the first line,
    /// otherwise `on line N` counting lines from zero.
    fn err(&self, at: usize, msg: impl std::fmt::Display) -> FnError {
        let m = self.events.get(at).map(|(_, m)| *m);
        // The node starts at its tag, which the parser's mark has already passed.
        let col = |m: &Marker| match &self.events[at].0 {
            Event::Scalar(_, _, _, Some(t)) => {
                let line = self
                    .src
                    .lines()
                    .nth(m.line().saturating_sub(1))
                    .unwrap_or("");
                let upto: String = line.chars().take(m.col()).collect();
                upto.rfind(&format!("{}{}", t.handle, t.suffix))
                    .or_else(|| upto.rfind(&t.handle))
                    .map(|i| upto[..i].chars().count())
                    .unwrap_or(m.col())
            }
            _ => m.col(),
        };
        match m {
            Some(m) if m.line() > 1 => FnError::Call(format!(
                "on line {}, column {}: {msg}",
                m.line() - 1,
                col(&m) + 1
            )),
            _ => FnError::Call(msg.to_string()),
        }
    }

    fn node(&mut self) -> Result<Value, FnError> {
        let at = self.pos;
        let Some((ev, _)) = self.events.get(at) else {
            return Ok(Value::Null);
        };
        self.pos += 1;
        match ev {
            Event::Alias(id) => self
                .anchors
                .get(id)
                .cloned()
                .ok_or_else(|| self.err(at, "unknown anchor")),
            Event::Scalar(v, style, anchor, tag) => {
                let tag = tag_name(tag);
                let plain = *style == TScalarStyle::Plain;
                let val = resolve_scalar(v, plain, &tag).map_err(|e| self.err(at, e))?;
                if *anchor > 0 {
                    self.anchors.insert(*anchor, val.clone());
                }
                Ok(val)
            }
            Event::SequenceStart(anchor, _) => {
                let mut xs = Vec::new();
                while !matches!(
                    self.events.get(self.pos),
                    Some((Event::SequenceEnd, _)) | None
                ) {
                    xs.push(self.node()?);
                }
                self.pos += 1;
                let v = Value::Tuple(xs);
                if *anchor > 0 {
                    self.anchors.insert(*anchor, v.clone());
                }
                Ok(v)
            }
            Event::MappingStart(anchor, _) => {
                let mut out = BTreeMap::new();
                let mut merged = BTreeMap::new();
                while !matches!(
                    self.events.get(self.pos),
                    Some((Event::MappingEnd, _)) | None
                ) {
                    let kat = self.pos;
                    let is_merge = matches!(
                        &self.events[kat].0,
                        Event::Scalar(k, TScalarStyle::Plain, _, None) if k == "<<"
                    );
                    let k = self.node()?;
                    let v = self.node()?;
                    if is_merge {
                        let maps = match v {
                            Value::Tuple(ms) => ms,
                            m => vec![m],
                        };
                        for m in maps {
                            let Value::Object(m) = m else {
                                return Err(self.err(
                                    kat,
                                    "map merge requires map or sequence of maps as the value",
                                ));
                            };
                            for (mk, mv) in m {
                                merged.entry(mk).or_insert(mv);
                            }
                        }
                        continue;
                    }
                    let key = match k {
                        Value::String(s) => s,
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => match json_string(&Value::Number(n)) {
                            s if s.ends_with(".0") => s[..s.len() - 2].to_string(),
                            s => s,
                        },
                        Value::Null => {
                            return Err(FnError::Call("mapping key cannot be null".into()));
                        }
                        _ => {
                            return Err(
                                self.err(kat, "only strings, numbers and bools can be keys")
                            );
                        }
                    };
                    out.insert(key, v);
                }
                self.pos += 1;
                for (k, v) in merged {
                    out.entry(k).or_insert(v);
                }
                let v = Value::Object(out.into());
                if *anchor > 0 {
                    self.anchors.insert(*anchor, v.clone());
                }
                Ok(v)
            }
            _ => Ok(Value::Null),
        }
    }
}

fn resolve_scalar(src: &str, plain: bool, tag: &str) -> Result<Value, String> {
    let number = |s: &str| -> Option<Value> {
        static FLOAT: OnceLock<Option<regex::Regex>> = OnceLock::new();
        let re_float = FLOAT.get_or_init(|| {
            regex::Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").ok()
        });
        if re_float.as_ref()?.is_match(s) {
            // At full precision, as Terraform parses numbers.
            return Number::parse(s).map(Value::Number);
        }
        let (neg, body) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let parsed = if let Some(h) = body.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else if let Some(o) = body.strip_prefix("0o") {
            i64::from_str_radix(o, 8).ok()
        } else {
            None
        }?;
        Some(Value::number(if neg { -parsed } else { parsed }))
    };
    match tag {
        // A quoted scalar is a string whatever its tag claims (as Terraform decodes it).
        "" | "!!int" | "!!float" | "!!bool" | "!!null" | "!!timestamp" if !plain => {
            return Ok(Value::string(src));
        }
        "" => {}
        "!!str" => return Ok(Value::string(src)),
        "!!binary" => {
            let compact: String = src.split_whitespace().collect();
            return base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map(|_| Value::string(src))
                .map_err(|_| format!("cannot parse {src:?} as !!binary: not valid base64"));
        }
        "!!bool" => {
            return match yaml11_word(src) {
                Some(v @ Value::Bool(_)) => Ok(v),
                _ => Err(format!("cannot parse {src:?} as !!bool")),
            };
        }
        "!!int" | "!!float" => {
            return number(src).ok_or_else(|| format!("cannot parse {src:?} as {tag}"));
        }
        "!!null" => return Ok(Value::Null),
        "!!timestamp" => {
            return yaml_timestamp(src).ok_or_else(|| format!("cannot parse {src:?} as {tag}"));
        }
        other => return Err(format!("unsupported tag {other:?}")),
    }
    if let Some(v) = yaml11_word(src) {
        return Ok(v);
    }
    if matches!(src, ".nan" | ".NaN" | ".NAN") {
        return Err("floating point NaN is not supported".into());
    }
    if let Some(neg) = match src {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(false),
        "-.inf" | "-.Inf" | "-.INF" => Some(true),
        _ => None,
    } {
        return Ok(Value::Number(Number::infinity(neg)));
    }
    if let Some(t) = yaml_timestamp(src) {
        return Ok(t);
    }
    Ok(number(src).unwrap_or_else(|| Value::string(src)))
}

/// The plain words YAML 1.1 reads as booleans or null.
fn yaml11_word(s: &str) -> Option<Value> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        _ => return None,
    })
}

/// A YAML timestamp (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10`),
/// as an RFC 3339 string.
fn yaml_timestamp(s: &str) -> Option<Value> {
    use chrono::{NaiveDate, NaiveDateTime, SecondsFormat, TimeZone as _, Utc};
    if s.len() < 5 || !s[..4].bytes().all(|b| b.is_ascii_digit()) || s.as_bytes()[4] != b'-' {
        return None;
    }
    static TIMESTAMP: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let re = TIMESTAMP.get_or_init(|| {
        regex::Regex::new(
            r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt]| )(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$",
        )
        .ok()
    });
    let c = re.as_ref()?.captures(s)?;
    let n = |i: usize| -> Option<u32> { c.get(i)?.as_str().parse().ok() };
    let date = NaiveDate::from_ymd_opt(c.get(1)?.as_str().parse().ok()?, n(2)?, n(3)?)?;
    let Some(sep) = c.get(4) else {
        let t = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?);
        return Some(Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true)));
    };
    let dt: NaiveDateTime = date.and_hms_opt(n(5)?, n(6)?, n(7)?)?;
    let tz = c.get(9).map(|m| m.as_str());
    // A space-separated timestamp carries no zone; a T-separated one needs one.
    match (sep.as_str(), tz) {
        (" ", None) => Some(Value::String(
            Utc.from_utc_datetime(&dt)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        )),
        ("T" | "t", Some("Z")) => Some(Value::String(
            Utc.from_utc_datetime(&dt)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        )),
        ("T" | "t", Some(off)) => {
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let h: i32 = off[1..3].parse().ok()?;
            let m: i32 = off[4..6].parse().ok()?;
            let fixed = chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))?;
            let t = fixed.from_local_datetime(&dt).single()?;
            Some(Value::String(if h == 0 && m == 0 {
                t.with_timezone(&Utc)
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            } else {
                t.to_rfc3339_opts(SecondsFormat::Secs, false)
            }))
        }
        _ => None,
    }
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
                    if k.contains('\n') && literal_allowed(k) {
                        // A multi-line key is written as a complex key: `? |-` ... `:`.
                        self.put("? ");
                        self.literal(k, inner + 2);
                        self.put(&" ".repeat(inner));
                        self.put(":");
                    } else {
                        self.double_quoted(k, inner, false);
                        self.put(":");
                    }
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
            // Decimal notation, never an exponent (as Go's big.Float 'f' format).
            Value::Number(n) => self.put(&n.to_string()),
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
            if !printable(c)
                || matches!(
                    c,
                    '\u{feff}' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '"' | '\\'
                )
            {
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
