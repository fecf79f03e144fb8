//! Terraform's state file format, version 4: reading and writing it byte-compatibly.
//!
//! [`read`] turns the bytes of a `terraform.tfstate` into a [`State`], rejecting anything it does
//! not understand with [`StateError::Invalid`] saying where and what; it never panics. A large
//! file laid out as Terraform writes it has its resources parsed on all cores, and
//! [`read_pieces`] reads such a file a piece at a time, never holding it whole. An instance's
//! `attributes` are never built into a JSON tree. In such a file each instance's attributes are
//! lifted out of its resource's text by `minify_object_strict`, which checks them as strictly as
//! serde_json and keeps them minus their whitespace when they are already in the canonical form
//! below (as Terraform and cairn write them); serde then parses the rest (`lift_attributes`).
//! Otherwise serde_json checks that they are JSON and hands over their text, which
//! `minify_canonical` (the same scanner) keeps when canonical, and which is otherwise parsed and
//! canonicalised (`canonical_text`). Either way [`super::Attrs`] holds the canonical text.
//! [`write`] produces exactly the bytes Terraform 1.11 writes for the same state: Go's
//! `json.MarshalIndent` with two spaces (HTML-safe string escapes included), resources and
//! instances in Terraform's order, object keys of values in cty's order (sorted; a dynamic
//! value's `{"value", "type"}` wrapper value first), numbers in positional notation, a trailing
//! newline. Attributes are written by re-indenting their canonical text in one pass
//! (`reindent`).
//!
//! This module owns the serialised form only; the in-memory model lives in `state/mod.rs` and
//! storage in `state/backend`. It opens no files: [`read_pieces`] reads from the source it is
//! handed.
//!
//! Not represented (so not written back): `check_results` (Terraform recomputes them on every
//! run; we always write `null`). Refused: deposed objects and legacy flat attributes, which the
//! model cannot hold. Numbers are kept as written when Terraform wrote them (positional, up to
//! 100 digits: a number computed with many digits, like `1/3`, is written back with the same
//! digits); one spelled otherwise (an exponent, trailing zeros, `-0`) is rewritten as cty prints
//! it, the shortest positional decimal that reads back to the same 512-bit value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use cairn_provider::{PathStep, SortedMap, ValuePath};
use memchr::memmem;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::sync::Mutex;

use super::{Attrs, InstanceState, OutputState, ResourceState, State, StateError};
use crate::addr::{InstanceKey, Mode, ModulePath, Name, ResourceAddr, Target};

/// The state format version this module reads and writes.
pub const FORMAT_VERSION: u64 = 4;

/// Parses a version 4 state file. `path` only names the file in errors.
pub fn read(bytes: &[u8], path: &str) -> Result<State, StateError> {
    let r = Reader { path, lifted: None };
    // The resources, most of a large state, are parsed and read on several threads; anything
    // unusual about the document's shape, or any resource that is not JSON, takes the plain
    // path, which gives the precise error.
    let split = split_resources(bytes).and_then(|(top, resources)| {
        let read = read_resources(&r, &resources, 0)?;
        Some((top, read))
    });
    let (top, read) = match split {
        Some((top, read)) => (top, Some(read)),
        None => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let top = NodeSeed(Level::Top)
                .deserialize(&mut de)
                .and_then(|top| de.end().map(|()| top))
                .map_err(|e| r.bad("", format!("not valid JSON: {e}")))?;
            let Some(top) = top else {
                return Err(r.bad("", "the top level must be a JSON object"));
            };
            (top, None)
        }
    };
    assemble(&r, top, read)
}

/// A resource read from its text: its address and state, or why it is not a resource.
type ReadResource = Result<(ResourceAddr, ResourceState), StateError>;

/// The resources of JSON `texts` (the first being `resources[first]`), read on every core;
/// `None` when one is not JSON, which the one-piece parse then reports precisely.
fn read_resources(r: &Reader, texts: &[&str], first: usize) -> Option<Vec<ReadResource>> {
    let items: Vec<(usize, &str)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (first + i, *t))
        .collect();
    let read = crate::par::map(&items, |(i, text)| {
        let at = format!("resources[{i}]");
        // The attributes scanned once, by the scanner that also makes their compact text, and
        // the rest of the resource parsed by serde; anything unusual takes the general path,
        // which gives the result or the precise error.
        let fast = SKELETON.with_borrow_mut(|skeleton| {
            let lifted = Mutex::new(lift_attributes(text, skeleton)?);
            let fast = Reader {
                path: r.path,
                lifted: Some(&lifted),
            };
            let read = fast.resource(parse_resource(skeleton)?, &at);
            match (read, lifted.into_inner()) {
                (Ok(read), Ok(left)) if left.iter().all(Option::is_none) => Some(read),
                _ => None,
            }
        });
        if let Some(read) = fast {
            return Some(Ok(read));
        }
        Some(r.resource(parse_resource(text)?, &at))
    });
    read.into_iter().collect()
}

/// The JSON text of one resource as a [`Node`]; `None` when it is not JSON.
fn parse_resource(text: &str) -> Option<Option<Node<'_>>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let node = NodeSeed(Level::Resource).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(node)
}

thread_local! {
    /// The text of the resource being read with its attributes lifted out (see
    /// [`lift_attributes`]), kept from one resource to the next.
    static SKELETON: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Where an instance's attributes begin in a resource laid out as Terraform writes it.
const ATTRIBUTES: &str = "\n          \"attributes\": ";
/// What replaces an instance's attributes lifted out of a resource's text: a JSON string
/// (`"\u0000cairn:N"`, the `N`th lifted), which a state never holds (checked).
const LIFTED: &str = "\"\\u0000cairn:";

/// Searchers for [`lift_attributes`], built once: built for each resource, they cost as much as
/// the searches.
static FIND_LIFTED: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(&LIFTED.as_bytes()[1..]));
static FIND_ATTRIBUTES: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(ATTRIBUTES.as_bytes()));

/// The compact canonical text of each instance's attributes in a resource's `text`, with the
/// resource's text written to `skeleton` with a placeholder for each, when every one of them is
/// found by Terraform's layout and is canonical JSON ([`minify_object_strict`]); `None`
/// otherwise. serde then parses only the rest, instead of scanning the attributes too.
fn lift_attributes(text: &str, skeleton: &mut String) -> Option<Vec<Option<String>>> {
    if FIND_LIFTED.find(text.as_bytes()).is_some() {
        return None;
    }
    skeleton.clear();
    let mut attrs = Vec::new();
    let mut from = 0;
    for at in FIND_ATTRIBUTES.find_iter(text.as_bytes()) {
        // A match inside attributes already lifted is theirs, not an instance's.
        if at < from {
            continue;
        }
        let start = at + ATTRIBUTES.len();
        let (compact, len) = minify_object_strict(&text[start..])?;
        skeleton.push_str(&text[from..start]);
        skeleton.push_str(LIFTED);
        let _ = write!(skeleton, "{}\"", attrs.len());
        attrs.push(Some(compact));
        from = start + len;
    }
    if attrs.is_empty() {
        return None;
    }
    skeleton.push_str(&text[from..]);
    Some(attrs)
}

/// How much of a file [`read_pieces`] takes at a time.
const PIECE: usize = 1 << 20;

/// [`read`] of a file taken from `source` a piece at a time, each piece's resources read on
/// every core as it arrives: a large file is never held whole (188 MB for 100,000 resources,
/// and as many page faults to fill it). Only a file laid out as Terraform writes it, as for
/// [`split_resources`], is read this way: `Ok(None)` for any other (and when a resource in it
/// is not JSON), and the caller then reads the file whole with [`read`], which takes any layout
/// and gives the precise error. An error only when `source` fails.
pub fn read_pieces(
    source: &mut impl std::io::Read,
    path: &str,
) -> std::io::Result<Option<Result<State, StateError>>> {
    read_pieces_of(source, path, PIECE)
}

fn read_pieces_of(
    source: &mut impl std::io::Read,
    path: &str,
    piece: usize,
) -> std::io::Result<Option<Result<State, StateError>>> {
    use std::io::Read as _;
    let r = Reader { path, lifted: None };
    // `buf` holds the text not yet read: the head until the resources open, then from the
    // start of the resource in progress, then (once they close) the rest of the document.
    let mut buf: Vec<u8> = Vec::with_capacity(piece + (piece >> 2));
    let mut head: Option<Vec<u8>> = None;
    let (mut from, mut scanned, mut close): (usize, usize, Option<usize>) = (0, 0, None);
    let mut read = Vec::new();
    loop {
        let n = (&mut *source).take(piece as u64).read_to_end(&mut buf)?;
        let eof = n < piece;
        if head.is_none() {
            let Some(at) = memmem::find(&buf, OPEN.as_bytes()) else {
                if eof {
                    return Ok(None);
                }
                continue;
            };
            head = Some(buf.drain(..at + OPEN.len()).collect());
        }
        if close.is_none() {
            // A line between resources may straddle two pieces: the search starts far enough
            // back to see it.
            let start = scanned.saturating_sub(BETWEEN.len() - 1).max(from);
            let end = memmem::find(&buf[start..], CLOSE.as_bytes()).map(|c| start + c);
            let mut texts = Vec::new();
            for at in memmem::find_iter(&buf[start..end.unwrap_or(buf.len())], BETWEEN.as_bytes()) {
                let item_end = start + at + "\n    }".len();
                texts.push((from, item_end));
                from = item_end + ",\n    ".len();
            }
            scanned = end.unwrap_or(buf.len());
            if let Some(c) = end {
                texts.push((from, c));
                from = c;
                close = Some(c);
            }
            let Ok(texts) = texts
                .iter()
                .map(|&(a, b)| std::str::from_utf8(&buf[a..b]))
                .collect::<Result<Vec<&str>, std::str::Utf8Error>>()
            else {
                return Ok(None);
            };
            let Some(done) = read_resources(&r, &texts, read.len()) else {
                return Ok(None);
            };
            read.extend(done);
            if close.is_none() {
                buf.drain(..from);
                scanned -= from;
                from = 0;
            }
        }
        if eof {
            break;
        }
    }
    let (Some(mut top_text), Some(close)) = (head, close) else {
        return Ok(None);
    };
    top_text.extend_from_slice(&buf[close..]);
    let top = String::from_utf8(top_text)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let Some(Value::Object(fields)) = top else {
        return Ok(None);
    };
    let top = Node {
        fields: Fields(fields.into_iter().collect()),
        kids: Kids::Absent,
    };
    Ok(Some(assemble(&r, top, Some(read))))
}

/// The state of a document's top-level object `top`, with its resources `read` already (else
/// read from `top`).
fn assemble(r: &Reader, top: Node, read: Option<Vec<ReadResource>>) -> Result<State, StateError> {
    let bad = |reason: String| r.bad("", reason);
    let Node {
        fields: top,
        kids: resource_nodes,
    } = top;
    let version = match top.get("version") {
        Some(v) => v
            .as_u64()
            .ok_or_else(|| bad("\"version\" must be a whole number".into()))?,
        None => {
            return Err(bad(
                "no \"version\" field: this is not a Terraform state file".into(),
            ));
        }
    };
    if version < FORMAT_VERSION {
        return Err(bad(format!(
            "state format version {version} was written by Terraform 0.11 or older; \
             upgrade it first by running `terraform apply` with Terraform 0.12 or later \
             (ideally {}), then retry",
            super::TERRAFORM_VERSION
        )));
    }
    if version > FORMAT_VERSION {
        return Err(bad(format!(
            "state format version {version} is newer than the version {FORMAT_VERSION} this \
             program understands; refusing to read it rather than risk losing data"
        )));
    }
    let terraform_version = r
        .opt_str(&top, "terraform_version", "")?
        .unwrap_or_default();
    let serial = match top.get("serial") {
        None => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| bad("\"serial\" must be a whole number".into()))?,
    };
    let lineage = r.opt_str(&top, "lineage", "")?.unwrap_or_default();

    let mut outputs = BTreeMap::new();
    match top.get("outputs") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (name, o) in m {
                let at = format!("outputs.{name}");
                outputs.insert(name.clone(), r.output(o, &at)?);
            }
        }
        Some(_) => return Err(bad("\"outputs\" must be an object".into())),
    }

    let read = match read {
        Some(read) => read,
        None => match resource_nodes {
            Kids::Absent => Vec::new(),
            Kids::Items(rs) => rs
                .into_iter()
                .enumerate()
                .map(|(i, node)| r.resource(node, &format!("resources[{i}]")))
                .collect(),
            Kids::Other | Kids::Raw(_) => {
                return Err(bad("\"resources\" must be an array".into()));
            }
        },
    };
    let mut all = Vec::with_capacity(read.len());
    for (i, res) in read.into_iter().enumerate() {
        let (addr, res) = res?;
        // Terraform drops resources with no instances when it writes state.
        if !res.instances.is_empty() {
            all.push((addr, i, res));
        }
    }
    // Terraform writes resources in address order, which a stable sort checks in one pass;
    // the map is then built from the sorted list at once rather than by as many inserts.
    all.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = all.windows(2).find(|w| w[0].0 == w[1].0) {
        let (addr, i, _) = &w[1];
        return Err(bad(format!(
            "resources[{i}]: resource {addr} appears twice"
        )));
    }
    let resources: BTreeMap<_, _> = all.into_iter().map(|(a, _, r)| (a, r)).collect();
    // `check_results` is recomputed by every run: accepted in any shape, not kept.

    Ok(State {
        terraform_version,
        serial,
        lineage,
        outputs,
        resources,
    })
}

/// The line that opens the resources of a state file laid out as Terraform writes it.
const OPEN: &str = "\n  \"resources\": [\n";
/// The line that closes them (a resource's own lines are indented further).
const CLOSE: &str = "\n  ]";
/// The lines between two resources.
const BETWEEN: &str = "\n    },\n    {\n";

/// Splits a state file laid out as Terraform writes it (two-space indentation) into its
/// top-level fields, parsed, and the JSON text of each resource, found by the lines that
/// separate them (a JSON string cannot hold a line break, so these lines are structure).
/// `None` for any other layout, or a document smaller than a megabyte, which the plain parse
/// handles as well.
fn split_resources(bytes: &[u8]) -> Option<(Node<'static>, Vec<&str>)> {
    if bytes.len() < (1 << 20) {
        return None;
    }
    split_layout(bytes)
}

/// [`split_resources`] of a document of any size.
fn split_layout(bytes: &[u8]) -> Option<(Node<'static>, Vec<&str>)> {
    let text = std::str::from_utf8(bytes).ok()?;
    // memmem's vectorised search: the generic `str::find` spent more time looking for these
    // lines than serde_json spent parsing what lies between them.
    let open = memmem::find(bytes, OPEN.as_bytes())? + OPEN.len();
    let close = open + memmem::find(&bytes[open..], CLOSE.as_bytes())?;
    let mut top_text = String::with_capacity(text.len() - (close - open) + 2);
    top_text.push_str(&text[..open]);
    top_text.push_str(&text[close..]);
    let top: Value = serde_json::from_str(&top_text).ok()?;
    let Value::Object(fields) = top else {
        return None;
    };
    let items = &text[open..close];
    let mut resources = Vec::new();
    let mut from = 0;
    for at in memmem::find_iter(items.as_bytes(), BETWEEN.as_bytes()) {
        // The item ends with its closing brace; the next begins with its opening one.
        let end = at + "\n    }".len();
        resources.push(&items[from..end]);
        from = end + ",\n    ".len();
    }
    resources.push(&items[from..]);
    let top = Node {
        fields: Fields(fields.into_iter().collect()),
        kids: Kids::Absent,
    };
    Some((top, resources))
}

/// Where a JSON object sits in a state document, which says which of its members is read
/// apart from the others.
#[derive(Clone, Copy)]
enum Level {
    /// The document: its `resources` are read as resources.
    Top,
    /// A resource: its `instances` are read as instances.
    Resource,
    /// An instance: its `attributes` are kept as JSON text, never built into a tree.
    Instance,
}

impl Level {
    fn special(self) -> &'static str {
        match self {
            Level::Top => "resources",
            Level::Resource => "instances",
            Level::Instance => "attributes",
        }
    }
    fn below(self) -> Level {
        match self {
            Level::Top => Level::Resource,
            _ => Level::Instance,
        }
    }
}

/// A JSON object of a state document: its members as a tree, but for the one its [`Level`]
/// reads apart.
struct Node<'a> {
    fields: Fields,
    kids: Kids<'a>,
}

/// The members of a JSON object of a state document, in order, but the one read apart: a
/// handful each, found by a scan (a hash map for each resource and instance cost more to build
/// than it saved). A key given twice has its last value, as in a map.
struct Fields(Vec<(String, Value)>);

impl Fields {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// The member read apart.
enum Kids<'a> {
    /// Absent, or `null`.
    Absent,
    /// An array of objects (`None` for an item that is not an object).
    Items(Vec<Option<Node<'a>>>),
    /// The JSON text of an instance's attributes.
    Raw(&'a RawValue),
    /// Something else: neither null nor an array.
    Other,
}

/// Reads a JSON value where an object of `Level` is expected: `Some` node for an object,
/// `None` for any other value (consumed).
struct NodeSeed(Level);

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Option<Node<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed {
    type Value = Option<Node<'de>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        let mut kids = Kids::Absent;
        let special = self.0.special();
        while let Some(key) = map.next_key::<String>()? {
            if key == NUMBER_TOKEN {
                // A number, as serde_json hands it over with `arbitrary_precision`.
                map.next_value::<IgnoredAny>()?;
                return Ok(None);
            }
            if key == special {
                kids = match self.0 {
                    Level::Instance => {
                        let raw: &'de RawValue = map.next_value()?;
                        if raw.get() == "null" {
                            Kids::Absent
                        } else {
                            Kids::Raw(raw)
                        }
                    }
                    level => map.next_value_seed(KidsSeed(level.below()))?,
                };
            } else {
                let v: Value = map.next_value()?;
                fields.push((key, v));
            }
        }
        Ok(Some(Node {
            fields: Fields(fields),
            kids,
        }))
    }
}

/// serde_json's key for a number's text (see [`NodeSeed`]).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Reads an array of objects of a `Level` (or null, or anything else, consumed).
struct KidsSeed(Level);

impl<'de> DeserializeSeed<'de> for KidsSeed {
    type Value = Kids<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KidsSeed {
    type Value = Kids<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Kids::Absent)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Kids::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Kids::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Kids::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Kids::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Kids::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(NodeSeed(self.0))? {
            items.push(item);
        }
        Ok(Kids::Items(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Kids::Other)
    }
}

/// Reads the parts of a state file, naming the file in its errors.
struct Reader<'a> {
    path: &'a str,
    /// The attributes of the resource being read, taken out of its text ahead (see
    /// [`lift_attributes`]); the text holds a placeholder for each.
    lifted: Option<&'a Mutex<Vec<Option<String>>>>,
}

impl Reader<'_> {
    fn bad(&self, at: &str, reason: impl std::fmt::Display) -> StateError {
        let reason = if at.is_empty() {
            reason.to_string()
        } else {
            format!("{at}: {reason}")
        };
        StateError::Invalid {
            path: self.path.to_string(),
            reason,
        }
    }

    fn object<'v>(&self, v: &'v Value, at: &str) -> Result<&'v Map<String, Value>, StateError> {
        v.as_object()
            .ok_or_else(|| self.bad(at, "expected a JSON object"))
    }

    fn node<'n>(&self, v: Option<Node<'n>>, at: &str) -> Result<Node<'n>, StateError> {
        v.ok_or_else(|| self.bad(at, "expected a JSON object"))
    }

    /// A string field that may be absent (or null).
    fn opt_str(&self, m: &Fields, key: &str, at: &str) -> Result<Option<String>, StateError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(at, format!("\"{key}\" must be a string"))),
        }
    }

    fn req_str(&self, m: &Fields, key: &str, at: &str) -> Result<String, StateError> {
        self.opt_str(m, key, at)?
            .ok_or_else(|| self.bad(at, format!("\"{key}\" is missing")))
    }

    fn output(&self, v: &Value, at: &str) -> Result<OutputState, StateError> {
        let m = self.object(v, at)?;
        let value = m.get("value").cloned().unwrap_or(Value::Null);
        let ty = match m.get("type") {
            Some(t) if !t.is_null() => t.clone(),
            _ => return Err(self.bad(at, "\"type\" is missing")),
        };
        let sensitive = match m.get("sensitive") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(self.bad(at, "\"sensitive\" must be true or false")),
        };
        Ok(OutputState {
            value,
            ty,
            sensitive,
        })
    }

    fn resource(
        &self,
        v: Option<Node<'_>>,
        at: &str,
    ) -> Result<(ResourceAddr, ResourceState), StateError> {
        let Node { fields, kids } = self.node(v, at)?;
        let m = &fields;
        let module = match self.opt_str(m, "module", at)? {
            None => ModulePath::root(),
            Some(s) if s.is_empty() => ModulePath::root(),
            Some(s) => match s.parse::<Target>() {
                Ok(Target::Module(p)) => p,
                _ => return Err(self.bad(at, format!("\"module\" {s:?} is not a module address"))),
            },
        };
        let mode = match self.req_str(m, "mode", at)?.as_str() {
            "managed" => Mode::Managed,
            "data" => Mode::Data,
            other => {
                return Err(self.bad(
                    at,
                    format!("\"mode\" must be \"managed\" or \"data\", not {other:?}"),
                ));
            }
        };
        let ty = self.req_str(m, "type", at)?;
        let name = self.req_str(m, "name", at)?;
        if ty.is_empty() || name.is_empty() {
            return Err(self.bad(at, "\"type\" and \"name\" must not be empty"));
        }
        let provider = self.req_str(m, "provider", at)?;
        let addr = ResourceAddr {
            module,
            mode,
            ty: Name::new(&ty),
            name: Name::new(&name),
        };
        let mut instances = SortedMap::new();
        match kids {
            Kids::Absent => {}
            Kids::Items(is) => {
                // Exactly as many as there are: a vector's first growth makes room for four.
                instances = SortedMap::with_capacity(is.len());
                for (j, iv) in is.into_iter().enumerate() {
                    let at = format!("{at}.instances[{j}]");
                    let (key, inst) = self.instance(iv, &at)?;
                    if instances.contains_key(&key) {
                        return Err(self.bad(&at, format!("instance {addr}{key} appears twice")));
                    }
                    instances.insert(key, inst);
                }
            }
            Kids::Other | Kids::Raw(_) => {
                return Err(self.bad(at, "\"instances\" must be an array"));
            }
        }
        Ok((
            addr,
            ResourceState {
                provider,
                instances,
            },
        ))
    }

    fn instance(
        &self,
        v: Option<Node<'_>>,
        at: &str,
    ) -> Result<(InstanceKey, InstanceState), StateError> {
        let Node { fields, kids } = self.node(v, at)?;
        let m = &fields;
        let key = match m.get("index_key") {
            None | Some(Value::Null) => InstanceKey::None,
            Some(Value::String(s)) => InstanceKey::Str(s.clone()),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) if i >= 0 => InstanceKey::Int(i),
                _ => return Err(self.bad(at, format!("\"index_key\" {n} is not a valid index"))),
            },
            Some(_) => return Err(self.bad(at, "\"index_key\" must be a number or a string")),
        };
        if let Some(d) = self.opt_str(m, "deposed", at)?
            && !d.is_empty()
        {
            return Err(self.bad(
                at,
                format!(
                    "deposed object {d:?}: left behind by an interrupted create_before_destroy \
                     replacement; run `terraform apply` to clean it up first"
                ),
            ));
        }
        let tainted = match self.opt_str(m, "status", at)?.as_deref() {
            None | Some("") => false,
            Some("tainted") => true,
            Some(other) => return Err(self.bad(at, format!("unknown \"status\" {other:?}"))),
        };
        let schema_version = match m.get("schema_version") {
            None | Some(Value::Null) => 0,
            Some(v) => v
                .as_u64()
                .ok_or_else(|| self.bad(at, "\"schema_version\" must be a whole number"))?,
        };
        let attributes = match kids {
            Kids::Raw(raw) if raw.get().starts_with('{') => Attrs::from_raw(raw)
                .map_err(|e| self.bad(at, format!("\"attributes\" is not valid JSON: {e}")))?,
            Kids::Raw(raw) if self.lifted.is_some() && raw.get().starts_with(LIFTED) => {
                // Taken out ahead: each placeholder stands for one set, taken once.
                let n = raw.get()[LIFTED.len()..raw.get().len() - 1]
                    .parse::<usize>()
                    .ok();
                let text = self.lifted.zip(n).and_then(|(l, n)| {
                    l.lock()
                        .ok()
                        .and_then(|mut l| l.get_mut(n).and_then(Option::take))
                });
                match text {
                    Some(text) => Attrs(text.into()),
                    None => return Err(self.bad(at, "\"attributes\" lifted twice")),
                }
            }
            Kids::Absent => {
                if m.get("attributes_flat").is_some_and(|f| !f.is_null()) {
                    return Err(self.bad(
                        at,
                        "legacy flat attributes (\"attributes_flat\"): run `terraform apply` or \
                         `terraform apply -refresh-only` with a current Terraform to upgrade them",
                    ));
                }
                return Err(self.bad(at, "\"attributes\" is missing"));
            }
            _ => return Err(self.bad(at, "\"attributes\" must be an object")),
        };
        let sensitive_paths = match m.get("sensitive_attributes") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ps)) => ps
                .iter()
                .enumerate()
                .map(|(k, p)| self.path(p, &format!("{at}.sensitive_attributes[{k}]")))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(self.bad(at, "\"sensitive_attributes\" must be an array")),
        };
        let private = match self.opt_str(m, "private", at)? {
            None => None,
            Some(p) => {
                if base64::engine::general_purpose::STANDARD
                    .decode(&p)
                    .is_err()
                {
                    return Err(self.bad(at, "\"private\" is not valid base64"));
                }
                Some(p)
            }
        };
        let dependencies = match m.get("dependencies") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ds)) => ds
                .iter()
                .map(|d| {
                    let s = d
                        .as_str()
                        .ok_or_else(|| self.bad(at, "\"dependencies\" must hold strings"))?;
                    match s.parse::<Target>() {
                        Ok(Target::Resource(r)) => Ok(r),
                        _ => {
                            Err(self.bad(at, format!("dependency {s:?} is not a resource address")))
                        }
                    }
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(self.bad(at, "\"dependencies\" must be an array")),
        };
        let create_before_destroy = match m.get("create_before_destroy") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(self.bad(at, "\"create_before_destroy\" must be true or false")),
        };
        let inst = InstanceState {
            attributes,
            sensitive_paths,
            schema_version,
            dependencies,
            create_before_destroy,
            tainted,
            private,
        };
        Ok((key, inst))
    }

    /// A cty path as JSON: `[{"type":"get_attr","value":"a"},{"type":"index","value":{"value":0,"type":"number"}}]`.
    fn path(&self, v: &Value, at: &str) -> Result<ValuePath, StateError> {
        let steps = v
            .as_array()
            .ok_or_else(|| self.bad(at, "a path must be an array of steps"))?;
        let mut path = Vec::with_capacity(steps.len());
        for step in steps {
            let m = self.object(step, at)?;
            let step = match (m.get("type").and_then(Value::as_str), m.get("value")) {
                (Some("get_attr"), Some(Value::String(name))) => PathStep::Attr(name.clone()),
                (Some("index"), Some(Value::Object(k))) => {
                    match (k.get("type").and_then(Value::as_str), k.get("value")) {
                        (Some("string"), Some(Value::String(s))) => PathStep::Key(s.clone()),
                        (Some("number"), Some(Value::Number(n))) => match n.as_u64() {
                            Some(i) => PathStep::Index(i),
                            None => {
                                return Err(
                                    self.bad(at, format!("index {n} is not a whole number"))
                                );
                            }
                        },
                        _ => return Err(self.bad(at, "an index step must be a number or a string")),
                    }
                }
                _ => return Err(self.bad(at, "a path step must be get_attr or index")),
            };
            path.push(step);
        }
        Ok(path)
    }
}

/// Serialises a state exactly as Terraform 1.11 writes it.
pub fn write(state: &State) -> Vec<u8> {
    write_as(state, &state.terraform_version, state.serial)
}

/// Serialises a state as [`write`] does, with another `terraform_version` and `serial`. The
/// text is written as it is produced: instance attributes are never copied into an
/// intermediate JSON tree, so writing costs one pass over the state and the output.
pub fn write_as(state: &State, terraform_version: &str, serial: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = write_as_to(state, terraform_version, serial, &mut |chunk: &[u8]| {
        bytes.extend_from_slice(chunk);
        Ok(())
    });
    bytes
}

/// Text is handed to the sink of [`write_as_to`] in pieces of about this size.
const CHUNK: usize = 256 * 1024;

/// Serialises a state as [`write_as`] does, handing the text to `sink` in pieces of about
/// 256 KiB as it is produced, so a large state is never held whole in memory; stops at the
/// sink's first error.
pub fn write_as_to(
    state: &State,
    terraform_version: &str,
    serial: u64,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut outputs = Map::new();
    for (name, o) in &state.outputs {
        let mut m = Map::new();
        m.insert("value".into(), canonical(&o.value));
        m.insert("type".into(), canonical(&o.ty));
        if o.sensitive {
            m.insert("sensitive".into(), Value::Bool(true));
        }
        outputs.insert(name.clone(), Value::Object(m));
    }

    // Terraform sorts resources by module address string, then mode, type and name.
    let mut resources: Vec<(String, &ResourceAddr, &ResourceState)> = state
        .resources
        .iter()
        .filter(|(_, r)| !r.instances.is_empty())
        .map(|(a, r)| (a.module.to_string(), a, r))
        .collect();
    resources.sort_by(|(ma, a, _), (mb, b, _)| {
        (ma, a.mode.as_str(), &a.ty, &a.name).cmp(&(mb, b.mode.as_str(), &b.ty, &b.name))
    });

    let mut out = String::with_capacity(CHUNK + CHUNK / 4);
    let mut failed = None;
    let mut top = Obj::open(&mut out, 0);
    top.key("version");
    emit(top.out, &Value::from(FORMAT_VERSION), 1);
    top.key("terraform_version");
    quote(top.out, terraform_version);
    top.key("serial");
    let _ = write!(top.out, "{serial}");
    top.key("lineage");
    quote(top.out, &state.lineage);
    top.key("outputs");
    emit(top.out, &Value::Object(outputs), 1);
    top.key("resources");
    array(
        top.out,
        1,
        resources.into_iter(),
        |out, (module, addr, r)| {
            resource_json(out, 2, &module, addr, r);
            if out.len() >= CHUNK && failed.is_none() {
                failed = sink(out.as_bytes()).err();
                out.clear();
            }
        },
    );
    top.key("check_results");
    top.out.push_str("null");
    top.close();
    out.push('\n');
    match failed {
        Some(e) => Err(e),
        None => sink(out.as_bytes()),
    }
}

/// An object being written: `{`, then `"key": value` pairs, then `}`, as Go indents them.
struct Obj<'o> {
    out: &'o mut String,
    depth: usize,
    empty: bool,
}

impl<'o> Obj<'o> {
    fn open(out: &'o mut String, depth: usize) -> Obj<'o> {
        out.push('{');
        Obj {
            out,
            depth,
            empty: true,
        }
    }
    /// Starts the next member; its value is written to `self.out` at depth `self.depth + 1`.
    fn key(&mut self, k: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        newline(self.out, self.depth + 1);
        quote(self.out, k);
        self.out.push_str(": ");
    }
    fn close(self) {
        if !self.empty {
            newline(self.out, self.depth);
        }
        self.out.push('}');
    }
}

/// Writes an array at `depth`, each item by `item` at `depth + 1`.
fn array<T>(
    out: &mut String,
    depth: usize,
    items: impl Iterator<Item = T>,
    mut item: impl FnMut(&mut String, T),
) {
    out.push('[');
    let mut empty = true;
    for x in items {
        if !empty {
            out.push(',');
        }
        empty = false;
        newline(out, depth + 1);
        item(out, x);
    }
    if !empty {
        newline(out, depth);
    }
    out.push(']');
}

fn resource_json(
    out: &mut String,
    depth: usize,
    module: &str,
    addr: &ResourceAddr,
    r: &ResourceState,
) {
    let mut m = Obj::open(out, depth);
    if !module.is_empty() {
        m.key("module");
        quote(m.out, module);
    }
    m.key("mode");
    quote(m.out, addr.mode.as_str());
    m.key("type");
    quote(m.out, &addr.ty);
    m.key("name");
    quote(m.out, &addr.name);
    m.key("provider");
    quote(m.out, &r.provider);
    // BTreeMap order of keys is Terraform's: no key, then ints ascending, then strings by bytes.
    m.key("instances");
    array(m.out, depth + 1, r.instances.iter(), |out, (k, i)| {
        instance_json(out, depth + 2, k, i)
    });
    m.close();
}

fn instance_json(out: &mut String, depth: usize, key: &InstanceKey, i: &InstanceState) {
    let mut m = Obj::open(out, depth);
    match key {
        InstanceKey::None => {}
        InstanceKey::Int(n) => {
            m.key("index_key");
            let _ = write!(m.out, "{n}");
        }
        InstanceKey::Str(s) => {
            m.key("index_key");
            quote(m.out, s);
        }
    }
    if i.tainted {
        m.key("status");
        quote(m.out, "tainted");
    }
    m.key("schema_version");
    let _ = write!(m.out, "{}", i.schema_version);
    m.key("attributes");
    reindent(m.out, i.attributes.as_str(), depth + 1);
    m.key("sensitive_attributes");
    let paths: Vec<Value> = i.sensitive_paths.iter().map(|p| path_json(p)).collect();
    emit(m.out, &Value::Array(paths), depth + 1);
    if let Some(p) = &i.private {
        m.key("private");
        quote(m.out, p);
    }
    if !i.dependencies.is_empty() {
        let deps = i.recorded_dependencies();
        m.key("dependencies");
        array(m.out, depth + 1, deps.iter(), |out, d| quote(out, d));
    }
    if i.create_before_destroy {
        m.key("create_before_destroy");
        m.out.push_str("true");
    }
    m.close();
}

fn path_json(path: &[PathStep]) -> Value {
    let step = |ty: &str, value: Value| {
        let mut m = Map::new();
        m.insert("type".into(), Value::from(ty));
        m.insert("value".into(), value);
        Value::Object(m)
    };
    let key = |value: Value, ty: &str| {
        let mut m = Map::new();
        m.insert("value".into(), value);
        m.insert("type".into(), Value::from(ty));
        Value::Object(m)
    };
    let steps = path
        .iter()
        .map(|s| match s {
            PathStep::Attr(a) => step("get_attr", Value::from(a.clone())),
            PathStep::Key(k) => step("index", key(Value::from(k.clone()), "string")),
            PathStep::Index(i) => step("index", key(Value::from(*i), "number")),
        })
        .collect();
    Value::Array(steps)
}

/// A copy of a value with every object's keys in the order cty writes them: sorted, except
/// the wrapper of a value of dynamic type (`{"value": ..., "type": ...}`, as `terraform_data`
/// stores its `input`), which comes value first. (An object that merely has exactly the
/// attributes `type` and `value` is written value first too: the same JSON, in another order.)
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            canonical_order(m)
                .into_iter()
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect(),
        ),
        Value::Array(xs) => Value::Array(xs.iter().map(canonical).collect()),
        v => v.clone(),
    }
}

/// Sorts the members of an object as [`canonical`] orders them.
fn canonical_order(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    let dynamic = m.len() == 2 && m.contains_key("value") && m.contains_key("type");
    if dynamic {
        entries.sort_by(|a, b| b.0.cmp(a.0));
    } else {
        entries.sort_by(|a, b| a.0.cmp(b.0));
    }
    entries
}

/// The compact canonical text of `v`: what [`write`] writes for it (keys in [`canonical`]
/// order, strings escaped and numbers printed as Terraform does) without the whitespace.
/// [`reindent`] turns it into the written form.
pub(crate) fn canonical_text(v: &Value) -> String {
    fn go(out: &mut String, v: &Value) {
        match v {
            Value::Object(m) => {
                out.push('{');
                for (i, (k, x)) in canonical_order(m).into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    quote(out, k);
                    out.push(':');
                    go(out, x);
                }
                out.push('}');
            }
            Value::Array(xs) => {
                out.push('[');
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    go(out, x);
                }
                out.push(']');
            }
            v => emit(out, v, 0),
        }
    }
    let mut out = String::new();
    go(&mut out, v);
    out
}

/// Writes compact JSON text as Go's `json.MarshalIndent(v, "", "  ")` lays it out at `depth`:
/// a line per member or element, `": "` after keys, `{}` and `[]` when empty. One pass over
/// the text; strings are copied as they are.
fn reindent(out: &mut String, text: &str, depth: usize) {
    let b = text.as_bytes();
    let mut d = depth;
    let mut i = 0;
    let mut run = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // To the closing quote: the string's text is already as it is written.
                i += 1;
                while let Some(at) = memchr::memchr2(b'"', b'\\', b.get(i..).unwrap_or_default()) {
                    i += at;
                    if b[i] == b'"' {
                        break;
                    }
                    i += 2;
                }
                i += 1;
                continue;
            }
            c @ (b'{' | b'[' | b'}' | b']' | b',' | b':') => {
                out.push_str(&text[run..i]);
                match c {
                    b'{' | b'[' if matches!(b.get(i + 1), Some(b'}' | b']')) => {
                        out.push_str(&text[i..i + 2]);
                        i += 1;
                    }
                    b'{' | b'[' => {
                        out.push(c as char);
                        d += 1;
                        newline(out, d);
                    }
                    b'}' | b']' => {
                        d = d.saturating_sub(1);
                        newline(out, d);
                        out.push(c as char);
                    }
                    b',' => {
                        out.push(',');
                        newline(out, d);
                    }
                    _ => out.push_str(": "),
                }
                i += 1;
                run = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[run.min(b.len())..]);
}

/// The compact form of JSON `text` when it is canonical as it stands: keys in
/// [`canonical`] order, strings escaped and numbers printed as [`write`] writes them; its
/// whitespace is dropped. `None` when anything differs (the caller then parses and
/// canonicalises), and for anything but an object.
pub(crate) fn minify_canonical(text: &str) -> Option<String> {
    let (compact, len) = minify_object_strict(text)?;
    text[len..].trim_ascii().is_empty().then_some(compact)
}

/// The compact canonical form of the JSON object at the start of `text` (as
/// [`minify_canonical`] describes it), read as strictly as serde_json reads JSON:
/// `Some((compact text, length of the object's text))` only when the object is valid JSON,
/// canonical, and nests at most [`STRICT_DEPTH`] deep; `None` for anything else, which the
/// caller then reads the general way. It needs no text checked beforehand and finds where the
/// object ends, so a state's attributes are scanned once, not by serde and then again.
pub(crate) fn minify_object_strict(text: &str) -> Option<(String, usize)> {
    /// An open object or array: an object's last key and how many it has had; `dynamic` once
    /// its first two keys are `value`, `type` (only allowed as the whole object).
    struct Frame<'t> {
        object: bool,
        last: &'t str,
        keys: usize,
        dynamic: bool,
        type_value: bool,
    }
    /// What may come next.
    #[derive(Clone, Copy, PartialEq)]
    enum Next {
        Value,
        /// After `[`: a value or `]`.
        ValueOrEnd,
        /// After `{`: a key or `}`.
        KeyOrEnd,
        /// After a `,` in an object.
        Key,
        Colon,
        /// After a value inside an object or array.
        CommaOrEnd,
    }
    let b = text.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut out = String::with_capacity(text.len().min(1 << 12));
    let mut stack: Vec<Frame> = Vec::new();
    let mut next = Next::Value;
    let (mut i, mut run) = (0, 0);
    loop {
        let c = *b.get(i)?;
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            out.push_str(&text[run..i]);
            i += 1;
            while let Some(w) = b.get(i..i + 8)
                && w == b"        "
            {
                i += 8;
            }
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            run = i;
            continue;
        }
        // A value ends here when `ended` (then what follows is a comma or the end of its
        // container); a container closes when `close`.
        let mut ended = false;
        let mut close = None;
        match (next, c) {
            (Next::ValueOrEnd, b']') => close = Some(false),
            (Next::KeyOrEnd, b'}') => close = Some(true),
            (Next::CommaOrEnd, b'}' | b']') => close = Some(c == b'}'),
            (Next::Value | Next::ValueOrEnd, b'{' | b'[') => {
                if stack.len() >= STRICT_DEPTH {
                    return None;
                }
                stack.push(Frame {
                    object: c == b'{',
                    last: "",
                    keys: 0,
                    dynamic: false,
                    type_value: false,
                });
                next = if c == b'{' {
                    Next::KeyOrEnd
                } else {
                    Next::ValueOrEnd
                };
                i += 1;
            }
            (Next::Value | Next::ValueOrEnd | Next::KeyOrEnd | Next::Key, b'"') => {
                let start = i;
                let escaped;
                (i, escaped) = strict_string(text, i)?;
                if matches!(next, Next::KeyOrEnd | Next::Key) {
                    // Keys are compared as text: only plain ones, whose text is the key.
                    let f = stack.last_mut()?;
                    if escaped || f.dynamic {
                        return None;
                    }
                    let k = &text[start + 1..i - 1];
                    if f.keys == 1 && f.last == "value" && k == "type" {
                        f.dynamic = true;
                    } else if f.keys > 0 && f.last >= k {
                        return None;
                    }
                    f.type_value = f.keys == 1 && f.last == "type" && k == "value";
                    f.last = k;
                    f.keys += 1;
                    next = Next::Colon;
                } else {
                    ended = true;
                }
            }
            (Next::Colon, b':') => {
                i += 1;
                next = Next::Value;
            }
            (Next::CommaOrEnd, b',') => {
                i += 1;
                next = if stack.last()?.object {
                    Next::Key
                } else {
                    Next::Value
                };
            }
            (Next::Value | Next::ValueOrEnd, b't' | b'f' | b'n') => {
                let word: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !b[i..].starts_with(word) {
                    return None;
                }
                i += word.len();
                ended = true;
            }
            (Next::Value | Next::ValueOrEnd, b'-' | b'0'..=b'9') => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                if !number_is_canonical(&text[start..i]) {
                    return None;
                }
                ended = true;
            }
            _ => return None,
        }
        if let Some(object) = close {
            let f = stack.pop()?;
            if f.object != object || (f.type_value && f.keys == 2) {
                return None;
            }
            i += 1;
            if stack.is_empty() {
                out.push_str(&text[run..i]);
                return Some((out, i));
            }
            ended = true;
        }
        if ended {
            next = Next::CommaOrEnd;
        }
    }
}

/// How deep [`minify_object_strict`] follows objects and arrays (serde_json stops at 128).
const STRICT_DEPTH: usize = 64;

/// The end of the JSON string that opens at `text[at]` (just past its closing quote) and
/// whether it has escapes, when it is valid JSON written as canonically as
/// [`minify_canonical`] requires; `None` otherwise.
fn strict_string(text: &str, at: usize) -> Option<(usize, bool)> {
    let b = text.as_bytes();
    let mut i = at + 1;
    let mut escaped = false;
    loop {
        while i < b.len() && !STRICT_SPECIAL[b[i] as usize] {
            i += 1;
        }
        match *b.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                match *b.get(i + 1)? {
                    b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f' => i += 2,
                    b'u' => {
                        let hex = text.get(i + 2..i + 6)?;
                        if !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
                            return None;
                        }
                        let c = u32::from_str_radix(hex, 16).ok()?;
                        let short = matches!(c, 0x8 | 0x9 | 0xa | 0xc | 0xd);
                        let go_escapes = (c < 0x20 && !short)
                            || matches!(c, 0x3c | 0x3e | 0x26 | 0x2028 | 0x2029);
                        if !go_escapes {
                            return None;
                        }
                        i += 6;
                    }
                    _ => return None,
                }
            }
            // U+2028 and U+2029 are written escaped.
            0xe2 if b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9)) => {
                return None;
            }
            0xe2 => i += 1,
            // A control character, or `<`, `>`, `&` (which Go writes escaped).
            _ => return None,
        }
    }
}

/// The bytes inside a JSON string that [`strict_string`] stops at: the end, escapes, the
/// control characters JSON does not allow there, and the start of what Go escapes (`<`, `>`,
/// `&`, and the first byte of U+2028 and U+2029).
static STRICT_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'&' as usize] = true;
    t[0xe2] = true;
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t
};

/// True if [`number`] prints the JSON number `n` as it is: no exponent, no leading zeros or
/// plus sign, no trailing zeros after the point, not a negative zero, and few enough digits
/// (at most 100) that no shorter decimal reads back to the same 512-bit value.
fn number_is_canonical(n: &str) -> bool {
    let digits = n.strip_prefix('-').unwrap_or(n);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !plain(int) || (int.len() > 1 && int.starts_with('0')) {
        return false;
    }
    if let Some(f) = frac
        && (!plain(f) || f.ends_with('0'))
    {
        return false;
    }
    if frac.is_none() && int == "0" && n.starts_with('-') {
        return false;
    }
    int.len() + frac.map_or(0, str::len) <= 100
}

/// Writes a value as Go's `json.MarshalIndent(v, "", "  ")` does (object keys in map order).
fn emit(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => quote(out, s),
        Value::Array(xs) if xs.is_empty() => out.push_str("[]"),
        Value::Array(xs) => {
            out.push('[');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                emit(out, x, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                quote(out, k);
                out.push_str(": ");
                emit(out, x, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A number as cty writes it: integers as they are, others in positional notation with the
/// shortest digits that read back to the same value (never an exponent), at full precision.
fn number(n: &serde_json::Number) -> String {
    match cairn_provider::Number::from_json(n) {
        Some(x) if !x.is_zero() => x.to_string(),
        // cty has no -0.
        Some(_) => "0".to_string(),
        None => n.to_string(),
    }
}

/// A JSON string as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped, short
/// escapes for `\b \f \n \r \t`, other control characters as `\u00XX`.
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
