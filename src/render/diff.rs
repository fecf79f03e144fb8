//! The structured diff of two values, and how it is written in a human plan.
//!
//! Two phases, as in Terraform's own renderer: [`Builder`] compares a before and an after value
//! (either may be absent) into a tree of [`Diff`] nodes, each with its own action and borrowing
//! the values it compares; then [`Diff::render_into`] writes that tree with Terraform's symbols,
//! indentation, `=` alignment, hidden-unchanged counts, `(known after apply)`,
//! `(sensitive value)`, heredoc line diffs and `jsonencode(...)` diffs.
//!
//! Rendering is most of the time of a large plan, so it appends to one caller-provided `String`:
//! no string per node, no `format!` per line, indentation and colour codes pushed in place.
//! Only JSON strings are rendered apart (whether their diff spans lines decides the layout).
//!
//! How a part is compared depends on its type: attributes a schema declares as `any`, outputs and
//! JSON strings are compared the way Terraform compares JSON (objects keep null members, arrays
//! are diffed as lists, nothing inside forces replacement); typed parts follow their type; with
//! no schema the type is read off the value itself. Sensitive contents are never rendered: the
//! builder only looks beneath a sensitive mark to decide whether the value changed.

use std::fmt::Write as _;

use cairn_provider::{
    BlockNesting, NestedBlock, PathStep, Schema, Type, Value, ValueMap, ValuePath,
};

use super::Style;
use super::value::{is_identifier, number, push_quoted};

/// The action of one node of a diff (resource-level replace actions live in the plan).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Act {
    NoOp,
    Create,
    Update,
    Delete,
}

/// Combines a container's running action with one child's (Terraform's `CompareActions`).
fn compare(current: Act, next: Act) -> Act {
    if next == Act::NoOp {
        current
    } else if current != next {
        Act::Update
    } else {
        current
    }
}

/// How a part of a value is typed.
#[derive(Clone, Copy)]
pub(crate) enum Ty<'a> {
    /// Terraform's `any`: compared as JSON.
    Dynamic,
    /// Declared by a schema.
    Typed(&'a Type),
    /// No schema: the value's own variant decides.
    Inferred,
}

impl<'a> Ty<'a> {
    fn normalise(self) -> Ty<'a> {
        match self {
            Ty::Typed(Type::Any) => Ty::Dynamic,
            t => t,
        }
    }
    fn is_dynamic(self) -> bool {
        matches!(self, Ty::Dynamic)
    }
}

/// The shape of a value for comparison purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Null,
    String,
    Number,
    Bool,
    Object,
    Map,
    List,
    Tuple,
    Set,
}

fn shape(v: &Value, ty: Ty) -> Shape {
    let v = v.strip_marks_ref();
    if matches!(v, Value::Null) {
        return Shape::Null;
    }
    if let Ty::Typed(t) = ty {
        match t {
            Type::Object(_) => return Shape::Object,
            Type::Map(_) => return Shape::Map,
            Type::List(_) => return Shape::List,
            Type::Set(_) => return Shape::Set,
            Type::Tuple(_) => return Shape::Tuple,
            _ => {}
        }
    }
    let s = match v {
        Value::String(_) => Shape::String,
        Value::Number(_) => Shape::Number,
        Value::Bool(_) => Shape::Bool,
        Value::Object(_) => Shape::Object,
        Value::Map(_) => Shape::Map,
        Value::List(_) => Shape::List,
        Value::Tuple(_) => Shape::Tuple,
        Value::Set(_) => Shape::Set,
        Value::Null | Value::Unknown | Value::Sensitive(_) => Shape::Null,
    };
    if ty.is_dynamic() {
        // JSON knows objects and arrays only.
        match s {
            Shape::Map => Shape::Object,
            Shape::Tuple | Shape::Set => Shape::List,
            s => s,
        }
    } else {
        s
    }
}

/// One node of a structured diff. It borrows the values (and schema) it was built from.
#[derive(Clone, Debug)]
pub(crate) struct Diff<'a> {
    kind: Kind<'a>,
    pub(crate) action: Act,
    replace: bool,
}

#[derive(Clone, Debug)]
enum Kind<'a> {
    /// A string, number, bool or null. `None` is null.
    Primitive {
        before: Option<&'a Value>,
        after: Option<&'a Value>,
        string: bool,
    },
    Unknown {
        before: Option<Box<Diff<'a>>>,
    },
    Sensitive {
        before: bool,
        after: bool,
        inner: Act,
    },
    /// Attributes in key order.
    Object {
        attrs: Vec<(&'a str, Diff<'a>)>,
    },
    /// Elements in key order.
    Map {
        elems: Vec<(&'a str, Diff<'a>)>,
    },
    List {
        elems: Vec<Diff<'a>>,
    },
    Set {
        elems: Vec<Diff<'a>>,
    },
    TypeChange {
        before: Box<Diff<'a>>,
        after: Box<Diff<'a>>,
    },
    /// A block (or a whole resource) marked sensitive as a whole.
    SensitiveBlock,
    /// The top level of a resource.
    Block {
        attrs: Vec<(&'a str, Diff<'a>)>,
        blocks: Vec<BlockGroup<'a>>,
    },
}

/// The nested blocks of one block type, in the order they are shown.
#[derive(Clone, Debug)]
struct BlockGroup<'a> {
    name: &'a str,
    /// A change to this block type forces replacement.
    replace: bool,
    /// Each block (single, list and set blocks carry no label).
    items: Vec<Diff<'a>>,
}

/// Compares values into [`Diff`]s.
pub(crate) struct Builder<'a> {
    /// Paths whose change forces replacement.
    pub(crate) replace_paths: &'a [ValuePath],
}

fn step_eq(a: &PathStep, b: &PathStep) -> bool {
    match (a, b) {
        (PathStep::Attr(x) | PathStep::Key(x), PathStep::Attr(y) | PathStep::Key(y)) => x == y,
        (PathStep::Index(x), PathStep::Index(y)) => x == y,
        _ => false,
    }
}

fn strip(v: Option<&Value>) -> Option<&Value> {
    v.map(Value::strip_marks_ref)
}

fn non_null(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// Nulls count as absent at the top level of a resource. (Terraform also treats empty strings
/// as absent for providers on its legacy SDK; cairn's providers are not legacy.)
fn present_top(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

fn is_null(v: Option<&Value>) -> bool {
    v.is_none_or(Value::is_null)
}

/// The action a container starts from before its children are compared.
fn default_action(before: Option<&Value>, after: Option<&Value>) -> Act {
    match (is_null(before), is_null(after)) {
        (true, true) => Act::NoOp,
        (true, false) => Act::Create,
        (false, true) => Act::Delete,
        (false, false) => Act::NoOp,
    }
}

/// Terraform's action for a single value; `None` means absent (not even an explicit null).
fn primitive_action(before: Option<&Value>, after: Option<&Value>) -> Act {
    match (before, after) {
        (None, Some(_)) => Act::Create,
        (Some(_), None) => Act::Delete,
        (b, a) if b == a => Act::NoOp,
        _ => Act::Update,
    }
}

/// The map of an absent side.
static EMPTY: ValueMap = ValueMap::new();

fn map_of(v: Option<&Value>) -> &ValueMap {
    v.and_then(Value::as_map).unwrap_or(&EMPTY)
}

/// The union of two ascending sequences of distinct keys, ascending, each key once.
fn union<'k>(
    a: impl Iterator<Item = &'k str>,
    b: impl Iterator<Item = &'k str>,
) -> impl Iterator<Item = &'k str> {
    let mut a = a.peekable();
    let mut b = b.peekable();
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) => match x.cmp(y) {
            std::cmp::Ordering::Less => a.next(),
            std::cmp::Ordering::Greater => b.next(),
            std::cmp::Ordering::Equal => {
                b.next();
                a.next()
            }
        },
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

fn keys(m: &ValueMap) -> impl Iterator<Item = &str> {
    m.keys().map(String::as_str)
}

impl Builder<'_> {
    fn matches(&self, path: &[PathStep]) -> bool {
        self.replace_paths
            .iter()
            .any(|p| p.len() == path.len() && p.iter().zip(path).all(|(a, b)| step_eq(a, b)))
    }

    /// Steps into a child: the path is only kept when some path forces replacement.
    fn enter(&self, path: &mut ValuePath, step: impl FnOnce() -> PathStep) {
        if !self.replace_paths.is_empty() {
            path.push(step());
        }
    }

    fn leave(&self, path: &mut ValuePath) {
        if !self.replace_paths.is_empty() {
            path.pop();
        }
    }

    /// Compares the top level of a resource object.
    pub(crate) fn block<'v>(
        &self,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        schema: Option<&'v Schema>,
    ) -> Diff<'v> {
        self.block_at(before, after, schema, &mut Vec::new())
    }

    fn block_at<'v>(
        &self,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        schema: Option<&'v Schema>,
        path: &mut ValuePath,
    ) -> Diff<'v> {
        let replace = self.matches(path);
        let before_sensitive = before.is_some_and(Value::is_sensitive);
        let after_sensitive = after.is_some_and(Value::is_sensitive);
        if before_sensitive || after_sensitive {
            let inner = self.block_at(strip(before), strip(after), schema, path);
            let mut action = inner.action;
            if action == Act::NoOp && before_sensitive != after_sensitive {
                action = Act::Update;
            }
            return Diff {
                kind: Kind::SensitiveBlock,
                action,
                replace,
            };
        }
        if after.is_some_and(Value::is_unknown) {
            let before_diff = before
                .filter(|b| !b.is_null())
                .map(|b| Box::new(self.block_at(Some(b), None, schema, path)));
            let action = if before_diff.is_some() {
                Act::Update
            } else {
                Act::Create
            };
            return Diff {
                kind: Kind::Unknown {
                    before: before_diff,
                },
                action,
                replace,
            };
        }
        let bm = map_of(before);
        let am = map_of(after);
        let schema_keys = schema
            .into_iter()
            .flat_map(|s| s.attributes.keys().map(String::as_str));
        let mut action = default_action(before, after);
        let mut attrs = Vec::with_capacity(bm.len().max(am.len()));
        let mut blocks = Vec::new();
        for key in union(union(keys(bm), keys(am)), schema_keys) {
            let cb = present_top(bm.get(key));
            let ca = present_top(am.get(key));
            self.enter(path, || PathStep::Attr(key.to_string()));
            if let Some(nested) = schema.and_then(|s| s.blocks.get(key)) {
                let group = self.block_group(key, cb, ca, nested, path);
                self.leave(path);
                if let Some((group, group_action)) = group {
                    action = compare(action, group_action);
                    blocks.push(group);
                }
                continue;
            }
            let ty = match schema.and_then(|s| s.attributes.get(key)) {
                Some(attr) => Ty::Typed(&attr.ty),
                None => Ty::Inferred,
            };
            let d = self.build(cb, ca, ty, path);
            self.leave(path);
            if d.action == Act::NoOp && cb.is_none() && ca.is_none() {
                continue;
            }
            action = compare(action, d.action);
            attrs.push((key, d));
        }
        Diff {
            kind: Kind::Block { attrs, blocks },
            action,
            replace,
        }
    }

    /// The blocks of one nested block type; `None` when there are none on either side.
    fn block_group<'v>(
        &self,
        name: &'v str,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        nested: &'v NestedBlock,
        path: &mut ValuePath,
    ) -> Option<(BlockGroup<'v>, Act)> {
        let replace = self.matches(path);
        let schema = Some(&nested.block);
        let mut action = default_action(before, after);
        let mut items = Vec::new();
        match nested.nesting {
            BlockNesting::Single => {
                let d = self.block_at(before, after, schema, path);
                if d.action == Act::NoOp && before.is_none() && after.is_none() {
                    return None;
                }
                action = compare(action, d.action);
                items.push(d);
            }
            BlockNesting::List => {
                let bs = before.and_then(Value::as_seq).unwrap_or_default();
                let as_ = after.and_then(Value::as_seq).unwrap_or_default();
                for (bi, ai) in process_slice(bs, as_, |_| true) {
                    self.enter(path, || PathStep::Index(ai.or(bi).unwrap_or(0) as u64));
                    let d = self.block_at(bi.map(|i| &bs[i]), ai.map(|i| &as_[i]), schema, path);
                    self.leave(path);
                    action = compare(action, d.action);
                    items.push(d);
                }
            }
            BlockNesting::Set => {
                let bs = before.and_then(Value::as_seq).unwrap_or_default();
                let as_ = after.and_then(Value::as_seq).unwrap_or_default();
                for (b, a) in pair_set(bs, as_) {
                    let d = self.block_at(b, a, schema, path);
                    action = compare(action, d.action);
                    items.push(d);
                }
            }
        }
        if action == Act::NoOp && before.is_none() && after.is_none() {
            return None;
        }
        let group = BlockGroup {
            name,
            replace,
            items,
        };
        Some((group, action))
    }

    /// Compares two values. `None` means absent; `Some(Value::Null)` is an explicit null (as a
    /// list element can be).
    pub(crate) fn build<'v>(
        &self,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        ty: Ty<'v>,
        path: &mut ValuePath,
    ) -> Diff<'v> {
        let ty = ty.normalise();
        let replace = !ty.is_dynamic() && self.matches(path);

        let before_sensitive = before.is_some_and(Value::is_sensitive);
        let after_sensitive = after.is_some_and(Value::is_sensitive);
        if before_sensitive || after_sensitive {
            let inner = self.build(strip(before), strip(after), ty, path);
            let mut action = inner.action;
            if action == Act::NoOp && before_sensitive != after_sensitive {
                action = Act::Update;
            }
            let kind = Kind::Sensitive {
                before: before_sensitive,
                after: after_sensitive,
                inner: inner.action,
            };
            return Diff {
                kind,
                action,
                replace,
            };
        }

        if after.is_some_and(|a| matches!(a, Value::Unknown)) {
            return match before {
                None => Diff {
                    kind: Kind::Unknown { before: None },
                    action: Act::Create,
                    replace,
                },
                Some(b) if b.is_null() => Diff {
                    kind: Kind::Unknown { before: None },
                    action: Act::Update,
                    replace,
                },
                Some(b) => {
                    let before_diff = self.build(Some(b), None, ty, path);
                    let kind = Kind::Unknown {
                        before: Some(Box::new(before_diff)),
                    };
                    Diff {
                        kind,
                        action: Act::Update,
                        replace,
                    }
                }
            };
        }

        let bshape = before.map_or(Shape::Null, |v| shape(v, ty));
        let ashape = after.map_or(Shape::Null, |v| shape(v, ty));
        if bshape != Shape::Null && ashape != Shape::Null && bshape != ashape {
            let b = self.build(before, None, ty, path);
            let a = self.build(None, after, ty, path);
            let kind = Kind::TypeChange {
                before: Box::new(b),
                after: Box::new(a),
            };
            return Diff {
                kind,
                action: Act::Update,
                replace,
            };
        }
        let target = if bshape == Shape::Null {
            ashape
        } else {
            bshape
        };
        match target {
            Shape::Null | Shape::String | Shape::Number | Shape::Bool => {
                let action = primitive_action(before, after);
                let kind = Kind::Primitive {
                    before: non_null(before),
                    after: non_null(after),
                    string: target == Shape::String,
                };
                Diff {
                    kind,
                    action,
                    replace,
                }
            }
            Shape::Object => self.object(before, after, ty, path, replace),
            Shape::Map => self.map(before, after, ty, path, replace),
            Shape::List => self.list(before, after, ty, path, replace),
            Shape::Tuple => self.tuple(before, after, ty, path, replace),
            Shape::Set => self.set(before, after, ty, path, replace),
        }
    }

    fn object<'v>(
        &self,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        ty: Ty<'v>,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff<'v> {
        let bm = map_of(before);
        let am = map_of(after);
        let mut action = default_action(before, after);
        let mut attrs = Vec::with_capacity(bm.len().max(am.len()));
        for key in union(keys(bm), keys(am)) {
            let child_ty = match ty {
                Ty::Typed(Type::Object(o)) => o.attrs.get(key).map_or(Ty::Inferred, Ty::Typed),
                Ty::Dynamic => Ty::Dynamic,
                _ => Ty::Inferred,
            };
            let (cb, ca) = if ty.is_dynamic() {
                // JSON members are explicit: a null member is still there.
                (bm.get(key), am.get(key))
            } else {
                // Attributes of typed objects are implicit: null means absent.
                (non_null(bm.get(key)), non_null(am.get(key)))
            };
            self.enter(path, || PathStep::Attr(key.to_string()));
            let d = self.build(cb, ca, child_ty, path);
            self.leave(path);
            if !ty.is_dynamic() && d.action == Act::NoOp && cb.is_none() && ca.is_none() {
                continue;
            }
            action = compare(action, d.action);
            attrs.push((key, d));
        }
        Diff {
            kind: Kind::Object { attrs },
            action,
            replace,
        }
    }

    fn map<'v>(
        &self,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        ty: Ty<'v>,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff<'v> {
        let bm = map_of(before);
        let am = map_of(after);
        let child_ty = match ty {
            Ty::Typed(Type::Map(el)) => Ty::Typed(el),
            _ => Ty::Inferred,
        };
        let mut action = default_action(before, after);
        let mut elems = Vec::with_capacity(bm.len().max(am.len()));
        for key in union(keys(bm), keys(am)) {
            self.enter(path, || PathStep::Key(key.to_string()));
            let d = self.build(bm.get(key), am.get(key), child_ty, path);
            self.leave(path);
            action = compare(action, d.action);
            elems.push((key, d));
        }
        Diff {
            kind: Kind::Map { elems },
            action,
            replace,
        }
    }

    fn list<'v>(
        &self,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        ty: Ty<'v>,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff<'v> {
        let bs = before.and_then(Value::as_seq).unwrap_or_default();
        let as_ = after.and_then(Value::as_seq).unwrap_or_default();
        let child_ty = match ty {
            Ty::Typed(Type::List(el)) => Ty::Typed(el),
            Ty::Dynamic => Ty::Dynamic,
            _ => Ty::Inferred,
        };
        let is_obj = |v: &Value| shape(v, child_ty) == Shape::Object;
        let mut action = default_action(before, after);
        let mut elems = Vec::new();
        for (bi, ai) in process_slice(bs, as_, is_obj) {
            self.enter(path, || PathStep::Index(ai.or(bi).unwrap_or(0) as u64));
            let d = self.build(bi.map(|i| &bs[i]), ai.map(|i| &as_[i]), child_ty, path);
            self.leave(path);
            action = compare(action, d.action);
            elems.push(d);
        }
        Diff {
            kind: Kind::List { elems },
            action,
            replace,
        }
    }

    fn tuple<'v>(
        &self,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        ty: Ty<'v>,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff<'v> {
        let bs = before.and_then(Value::as_seq).unwrap_or_default();
        let as_ = after.and_then(Value::as_seq).unwrap_or_default();
        let mut action = default_action(before, after);
        let mut elems = Vec::new();
        for i in 0..bs.len().max(as_.len()) {
            let child_ty = match ty {
                Ty::Typed(Type::Tuple(els)) => els.get(i).map_or(Ty::Inferred, Ty::Typed),
                _ => Ty::Inferred,
            };
            self.enter(path, || PathStep::Index(i as u64));
            let d = self.build(bs.get(i), as_.get(i), child_ty, path);
            self.leave(path);
            action = compare(action, d.action);
            elems.push(d);
        }
        Diff {
            kind: Kind::List { elems },
            action,
            replace,
        }
    }

    fn set<'v>(
        &self,
        before: Option<&'v Value>,
        after: Option<&'v Value>,
        ty: Ty<'v>,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff<'v> {
        let bs = before.and_then(Value::as_seq).unwrap_or_default();
        let as_ = after.and_then(Value::as_seq).unwrap_or_default();
        let child_ty = match ty {
            Ty::Typed(Type::Set(el)) => Ty::Typed(el),
            _ => Ty::Inferred,
        };
        let pairs = pair_set(bs, as_);
        let mut action = default_action(before, after);
        let mut elems = Vec::new();
        for (b, a) in pairs {
            // Set elements have no path of their own: a replace path names the whole set.
            let d = self.build(b, a, child_ty, path);
            action = compare(action, d.action);
            elems.push(d);
        }
        Diff {
            kind: Kind::Set { elems },
            action,
            replace,
        }
    }
}

/// Pairs set elements: equal elements with each other (in the order of `before`), then the
/// elements only in `before` stay alone, and those only in `after` follow.
fn pair_set<'v>(bs: &'v [Value], as_: &'v [Value]) -> Vec<(Option<&'v Value>, Option<&'v Value>)> {
    let mut matched_after = vec![false; as_.len()];
    let mut pairs = Vec::new();
    for b in bs {
        let found = (0..as_.len()).find(|&j| !matched_after[j] && &as_[j] == b);
        if let Some(j) = found {
            matched_after[j] = true;
        }
        pairs.push((Some(b), found.map(|j| &as_[j])));
    }
    for (j, a) in as_.iter().enumerate() {
        if !matched_after[j] {
            pairs.push((None, Some(a)));
        }
    }
    pairs
}

/// Pairs the elements of two sequences the way Terraform does: element by element when both
/// have the same length and are not a reordering of each other; otherwise along their longest
/// common subsequence, deletions before insertions, with objects in the same gap compared
/// against each other. `None` on one side means the element is absent there.
pub(crate) fn process_slice<T: PartialEq>(
    before: &[T],
    after: &[T],
    is_obj: impl Fn(&T) -> bool,
) -> Vec<(Option<usize>, Option<usize>)> {
    let mut out = Vec::new();
    if before.len() == after.len() && !is_reorder(before, after) {
        return (0..before.len()).map(|i| (Some(i), Some(i))).collect();
    }
    let lcs = longest_common_subsequence(before, after);
    let (mut bi, mut ai, mut li) = (0, 0, 0);
    while bi < before.len() || ai < after.len() || li < lcs.len() {
        while bi < before.len() && (li >= lcs.len() || before[bi] != *lcs[li]) {
            let object_diff = is_obj(&before[bi])
                && ai < after.len()
                && is_obj(&after[ai])
                && (li >= lcs.len() || after[ai] != *lcs[li]);
            if object_diff {
                out.push((Some(bi), Some(ai)));
                bi += 1;
                ai += 1;
                continue;
            }
            out.push((Some(bi), None));
            bi += 1;
        }
        while ai < after.len() && (li >= lcs.len() || after[ai] != *lcs[li]) {
            out.push((None, Some(ai)));
            ai += 1;
        }
        if li < lcs.len() {
            out.push((Some(bi), Some(ai)));
            bi += 1;
            ai += 1;
            li += 1;
        }
    }
    out
}

/// Above this many before×after cells, long texts are aligned with `similar`'s Myers diff
/// instead of Terraform's quadratic longest-common-subsequence table. The result may pair lines
/// differently from Terraform on such texts, but memory stays bounded.
const LCS_CELL_LIMIT: usize = 1 << 22;

/// Pairs the lines of two texts for a heredoc diff.
fn line_pairs(before: &[&str], after: &[&str]) -> Vec<(Option<usize>, Option<usize>)> {
    let same_length = before.len() == after.len() && !is_reorder(before, after);
    if same_length || before.len().saturating_mul(after.len()) <= LCS_CELL_LIMIT {
        return process_slice(before, after, |_| false);
    }
    let mut out = Vec::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, before, after) {
        match op {
            similar::DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                out.extend((0..len).map(|i| (Some(old_index + i), Some(new_index + i))));
            }
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => {
                out.extend((old_index..old_index + old_len).map(|i| (Some(i), None)));
            }
            similar::DiffOp::Insert {
                new_index, new_len, ..
            } => {
                out.extend((new_index..new_index + new_len).map(|j| (None, Some(j))));
            }
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                out.extend((old_index..old_index + old_len).map(|i| (Some(i), None)));
                out.extend((new_index..new_index + new_len).map(|j| (None, Some(j))));
            }
        }
    }
    out
}

fn is_reorder<T: PartialEq>(before: &[T], after: &[T]) -> bool {
    before.len() == after.len() && before.iter().all(|b| after.contains(b))
}

/// The longest common subsequence, with Terraform's tie-breaking (so that equal-length
/// alternatives resolve the same way).
fn longest_common_subsequence<'a, T: PartialEq>(xs: &'a [T], ys: &[T]) -> Vec<&'a T> {
    if xs.is_empty() || ys.is_empty() {
        return Vec::new();
    }
    let w = xs.len();
    let mut c = vec![0usize; xs.len() * ys.len()];
    let mut eqs = vec![false; xs.len() * ys.len()];
    for y in 0..ys.len() {
        for x in 0..xs.len() {
            let i = w * y + x;
            if xs[x] == ys[y] {
                eqs[i] = true;
                c[i] = if x == 0 || y == 0 {
                    1
                } else {
                    c[w * (y - 1) + (x - 1)] + 1
                };
            } else {
                let l = if x > 0 { c[w * y + (x - 1)] } else { 0 };
                let u = if y > 0 { c[w * (y - 1) + x] } else { 0 };
                c[i] = if l > u { l } else { u };
            }
        }
    }
    let len = c[c.len() - 1];
    let mut seq: Vec<&T> = Vec::with_capacity(len);
    let (mut x, mut y) = (xs.len() as isize - 1, ys.len() as isize - 1);
    while x > -1 && y > -1 {
        let (ux, uy) = (x as usize, y as usize);
        if eqs[w * uy + ux] {
            seq.push(&xs[ux]);
            x -= 1;
            y -= 1;
        } else {
            let lx = if x > 0 { c[w * uy + (ux - 1)] } else { 0 };
            let ly = if y > 0 { c[w * (uy - 1) + ux] } else { 0 };
            if lx > ly {
                x -= 1;
            } else {
                y -= 1;
            }
        }
    }
    seq.reverse();
    seq
}

/// Rendering options that travel down the tree.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Opts {
    pub(crate) override_null_suffix: bool,
    pub(crate) override_forces_replacement: bool,
    pub(crate) forbid_forces_replacement: bool,
    pub(crate) show_unchanged: bool,
    pub(crate) hide_symbols: bool,
}

// The ANSI codes of [`Style`], written straight into the output.
pub(crate) const BOLD: &str = "\x1b[1m";
pub(crate) const GREEN: &str = "\x1b[32m";
pub(crate) const RED: &str = "\x1b[31m";
pub(crate) const YELLOW: &str = "\x1b[33m";
pub(crate) const CYAN: &str = "\x1b[36m";
pub(crate) const DARK_GRAY: &str = "\x1b[90m";
pub(crate) const RESET: &str = "\x1b[0m";

/// Writes `s` in colour `code` when the style has colour, as [`Style`] paints it.
pub(crate) fn paint(out: &mut String, st: &Style, code: &'static str, s: &str) {
    if st.color {
        out.push_str(code);
        out.push_str(s);
        out.push_str(RESET);
    } else {
        out.push_str(s);
    }
}

const INDENT: &str = "                                ";

/// Writes `n` levels of indentation (four spaces each).
fn push_indent(out: &mut String, n: usize) {
    let mut cols = n * 4;
    while cols > 0 {
        let k = cols.min(INDENT.len());
        out.push_str(&INDENT[..k]);
        cols -= k;
    }
}

/// Writes the three-column action symbol used inside a resource body.
pub(crate) fn push_symbol(out: &mut String, action: Act, st: &Style) {
    match action {
        Act::NoOp => out.push_str("   "),
        Act::Create => {
            out.push_str("  ");
            paint(out, st, GREEN, "+");
        }
        Act::Update => {
            out.push_str("  ");
            paint(out, st, YELLOW, "~");
        }
        Act::Delete => {
            out.push_str("  ");
            paint(out, st, RED, "-");
        }
    }
}

/// The symbol and a space, unless symbols are hidden.
fn sym(out: &mut String, action: Act, o: &Opts, st: &Style) {
    if !o.hide_symbols {
        push_symbol(out, action, st);
        out.push(' ');
    }
}

/// A line's start: indentation, then the symbol.
fn line_start(out: &mut String, ind: usize, action: Act, o: &Opts, st: &Style) {
    push_indent(out, ind);
    sym(out, action, o, st);
}

fn arrow(out: &mut String, st: &Style) {
    out.push(' ');
    paint(out, st, YELLOW, "->");
    out.push(' ');
}

fn null_suffix(out: &mut String, action: Act, o: &Opts, st: &Style) {
    if !o.override_null_suffix && action == Act::Delete {
        out.push(' ');
        paint(out, st, DARK_GRAY, "-> null");
    }
}

fn forces(out: &mut String, replace: bool, o: &Opts, st: &Style) {
    if !o.forbid_forces_replacement && (replace || o.override_forces_replacement) {
        out.push(' ');
        paint(out, st, RED, "# forces replacement");
    }
}

/// `# (N unchanged KEYWORDs hidden)`.
fn unchanged(out: &mut String, keyword: &str, count: usize, st: &Style) {
    let plural = if count == 1 { "" } else { "s" };
    if st.color {
        out.push_str(DARK_GRAY);
    }
    // Writing to a String cannot fail.
    let _ = write!(out, "# ({count} unchanged {keyword}{plural} hidden)");
    if st.color {
        out.push_str(RESET);
    }
}

/// Pads what was written since `start` to `width` columns (Go's `%-*s`: width counted in
/// characters).
fn pad_from(out: &mut String, start: usize, width: usize) {
    let n = out[start..].chars().count();
    for _ in n..width {
        out.push(' ');
    }
}

/// Writes an attribute name as in a plan: bare if it is an identifier, quoted otherwise.
fn push_attribute_name(out: &mut String, name: &str) {
    if is_identifier(name) {
        out.push_str(name);
    } else {
        push_quoted(out, name);
    }
}

/// The length in bytes of [`push_attribute_name`]'s output.
fn attribute_name_len(name: &str) -> usize {
    if is_identifier(name) {
        name.len()
    } else {
        let mut s = String::new();
        push_quoted(&mut s, name);
        s.len()
    }
}

fn is_important(key: &str) -> bool {
    matches!(key, "id" | "name" | "tags")
}

/// How a string is shown: as JSON, as lines, or as one quoted line.
enum Text<'a> {
    Null,
    Json(serde_json::Value),
    /// The text trimmed of surrounding whitespace.
    Lines(&'a str),
    Plain(&'a str),
}

fn evaluate(v: Option<&Value>) -> Text<'_> {
    let Some(s) = v.and_then(Value::as_str) else {
        return Text::Null;
    };
    if (s.starts_with('{') || s.starts_with('['))
        && let Ok(j) = serde_json::from_str::<serde_json::Value>(s)
    {
        return Text::Json(j);
    }
    if s.contains('\n') {
        return Text::Lines(s.trim());
    }
    Text::Plain(s)
}

fn primitive_text(out: &mut String, v: Option<&Value>, st: &Style) {
    match v.map(Value::strip_marks_ref) {
        None | Some(Value::Null) => paint(out, st, DARK_GRAY, "null"),
        Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::Number(n)) => out.push_str(&number(n)),
        Some(Value::String(s)) => push_quoted(out, s),
        // Not reachable for primitives; never print anything else.
        Some(_) => paint(out, st, DARK_GRAY, "null"),
    }
}

impl Diff<'_> {
    /// The warning above an attribute whose sensitivity changes, each line indented by `ind`.
    fn warnings(&self, out: &mut String, ind: usize) {
        let Kind::Sensitive {
            before,
            after,
            inner,
        } = self.kind
        else {
            return;
        };
        if before == after || inner == Act::Create || inner == Act::Delete {
            return;
        }
        push_indent(out, ind);
        if before {
            out.push_str(
                "  # Warning: this attribute value will no longer be marked as sensitive\n",
            );
            push_indent(out, ind);
            out.push_str("  # after applying this change.");
        } else {
            out.push_str(
                "  # Warning: this attribute value will be marked as sensitive and will not\n",
            );
            push_indent(out, ind);
            out.push_str("  # display in UI output after applying this change.");
        }
        if inner == Act::NoOp {
            out.push_str(" The value is unchanged.");
        }
        out.push('\n');
    }

    /// Renders this node starting at the current column; `ind` is the nesting depth.
    pub(crate) fn render(&self, ind: usize, o: &Opts, st: &Style) -> String {
        let mut out = String::new();
        self.render_into(&mut out, ind, o, st);
        out
    }

    /// Writes this node into `out`, starting at the current column; `ind` is the nesting depth.
    pub(crate) fn render_into(&self, out: &mut String, ind: usize, o: &Opts, st: &Style) {
        match &self.kind {
            Kind::Primitive {
                before,
                after,
                string,
            } => {
                if *string {
                    self.render_string(out, *before, *after, ind, o, st);
                } else {
                    match self.action {
                        Act::Create => primitive_text(out, *after, st),
                        Act::Delete => {
                            primitive_text(out, *before, st);
                            null_suffix(out, self.action, o, st);
                        }
                        Act::NoOp => primitive_text(out, *before, st),
                        Act::Update => {
                            primitive_text(out, *before, st);
                            arrow(out, st);
                            primitive_text(out, *after, st);
                        }
                    }
                    forces(out, self.replace, o, st);
                }
            }
            Kind::Unknown { before } => match before {
                Some(b) if self.action != Act::Create => {
                    let mut bo = *o;
                    bo.override_null_suffix = true;
                    if self.replace {
                        bo.forbid_forces_replacement = true;
                    }
                    b.render_into(out, ind, &bo, st);
                    arrow(out, st);
                    out.push_str("(known after apply)");
                    forces(out, self.replace, o, st);
                }
                _ => {
                    out.push_str("(known after apply)");
                    forces(out, self.replace, o, st);
                }
            },
            Kind::Sensitive { .. } => {
                out.push_str("(sensitive value)");
                null_suffix(out, self.action, o, st);
                forces(out, self.replace, o, st);
            }
            Kind::SensitiveBlock => {
                out.push('{');
                forces(out, self.replace, o, st);
                out.push('\n');
                line_start(out, ind, Act::NoOp, o, st);
                out.push_str("  # At least one attribute in this block is (or was) sensitive,\n");
                line_start(out, ind, Act::NoOp, o, st);
                out.push_str("  # so its contents will not be displayed.\n");
                line_start(out, ind, Act::NoOp, o, st);
                out.push('}');
            }
            Kind::TypeChange { before, after } => {
                let mut to = *o;
                to.override_null_suffix = true;
                before.render_into(out, ind, &to, st);
                arrow(out, st);
                after.render_into(out, ind, &to, st);
            }
            Kind::Object { attrs } => self.render_attrs(out, attrs, &[], false, ind, o, st),
            Kind::Block { attrs, blocks } => {
                self.render_attrs(out, attrs, blocks, true, ind, o, st)
            }
            Kind::Map { elems } => self.render_map(out, elems, ind, o, st),
            Kind::List { elems } => self.render_list(out, elems, ind, o, st),
            Kind::Set { elems } => self.render_set(out, elems, ind, o, st),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn render_attrs(
        &self,
        out: &mut String,
        attrs: &[(&str, Diff)],
        blocks: &[BlockGroup],
        block: bool,
        ind: usize,
        o: &Opts,
        st: &Style,
    ) {
        let close_suffix = |out: &mut String| {
            if !block {
                null_suffix(out, self.action, o, st);
            }
        };
        if attrs.is_empty() && blocks.iter().all(|g| g.items.is_empty()) {
            out.push_str("{}");
            close_suffix(out);
            forces(out, self.replace, o, st);
            return;
        }
        let mut ao = *o;
        if !block {
            ao.override_null_suffix = true;
        }
        let width = attrs
            .iter()
            .map(|(k, _)| attribute_name_len(k))
            .max()
            .unwrap_or(0);
        out.push('{');
        forces(out, self.replace, o, st);
        out.push('\n');
        let mut hidden = 0;
        for (key, d) in attrs {
            let mut opts = ao;
            if is_important(key) {
                opts.show_unchanged = true;
            } else if d.action == Act::NoOp && !o.show_unchanged {
                hidden += 1;
                continue;
            }
            d.warnings(out, ind + 1);
            line_start(out, ind + 1, d.action, o, st);
            let start = out.len();
            push_attribute_name(out, key);
            pad_from(out, start, width);
            out.push_str(" = ");
            d.render_into(out, ind + 1, &opts, st);
            out.push('\n');
        }
        if hidden > 0 {
            line_start(out, ind + 1, Act::NoOp, o, st);
            unchanged(out, "attribute", hidden, st);
            out.push('\n');
        }
        let mut hidden_blocks = 0;
        for group in blocks {
            // A blank line separates the attributes from each type of nested block.
            let mut separated = false;
            let mut bo = *o;
            bo.override_forces_replacement = group.replace;
            for d in &group.items {
                if d.action == Act::NoOp && !o.show_unchanged {
                    hidden_blocks += 1;
                    continue;
                }
                if !separated && !attrs.is_empty() {
                    out.push('\n');
                    separated = true;
                }
                line_start(out, ind + 1, d.action, o, st);
                push_attribute_name(out, group.name);
                out.push(' ');
                d.render_into(out, ind + 1, &bo, st);
                out.push('\n');
            }
        }
        if hidden_blocks > 0 {
            out.push('\n');
            line_start(out, ind + 1, Act::NoOp, o, st);
            unchanged(out, "block", hidden_blocks, st);
            out.push('\n');
        }
        line_start(out, ind, Act::NoOp, o, st);
        out.push('}');
        close_suffix(out);
    }

    fn render_map(
        &self,
        out: &mut String,
        elems: &[(&str, Diff)],
        ind: usize,
        o: &Opts,
        st: &Style,
    ) {
        if elems.is_empty() {
            out.push_str("{}");
            null_suffix(out, self.action, o, st);
            forces(out, self.replace, o, st);
            return;
        }
        let width = elems.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 2;
        let mut eo = *o;
        eo.override_null_suffix = self.action == Act::Delete;
        eo.override_forces_replacement = false;
        out.push('{');
        forces(out, self.replace, o, st);
        out.push('\n');
        let mut hidden = 0;
        for (key, d) in elems {
            if d.action == Act::NoOp && !o.show_unchanged {
                hidden += 1;
                continue;
            }
            d.warnings(out, ind + 1);
            line_start(out, ind + 1, d.action, o, st);
            let start = out.len();
            push_quoted(out, key);
            pad_from(out, start, width);
            out.push_str(" = ");
            d.render_into(out, ind + 1, &eo, st);
            if matches!(d.kind, Kind::Object { .. }) {
                out.push(',');
            }
            out.push('\n');
        }
        if hidden > 0 {
            line_start(out, ind + 1, Act::NoOp, o, st);
            unchanged(out, "element", hidden, st);
            out.push('\n');
        }
        line_start(out, ind, Act::NoOp, o, st);
        out.push('}');
        null_suffix(out, self.action, o, st);
    }

    fn render_list(&self, out: &mut String, elems: &[Diff], ind: usize, o: &Opts, st: &Style) {
        if elems.is_empty() {
            out.push_str("[]");
            null_suffix(out, self.action, o, st);
            forces(out, self.replace, o, st);
            return;
        }
        let mut eo = *o;
        eo.override_null_suffix = true;
        let mut uo = *o;
        uo.show_unchanged = true;
        // The unchanged elements since the last one shown.
        let mut pending: usize = 0;
        let mut last_pending: Option<&Diff> = None;
        let mut render_next = false;
        out.push('[');
        forces(out, self.replace, o, st);
        out.push('\n');
        for e in elems {
            if e.action == Act::NoOp && !render_next && !o.show_unchanged {
                pending += 1;
                last_pending = Some(e);
                continue;
            }
            render_next = false;
            // Show the unchanged element just before a change, for context, and count the rest.
            if pending > 1 {
                line_start(out, ind + 1, Act::NoOp, o, st);
                unchanged(out, "element", pending - 1, st);
                out.push('\n');
            }
            if let Some(last) = last_pending.take() {
                line_start(out, ind + 1, last.action, o, st);
                last.render_into(out, ind + 1, &uo, st);
                out.push_str(",\n");
            }
            pending = 0;
            let opts = if e.action == Act::NoOp {
                uo
            } else {
                render_next = true;
                eo
            };
            e.warnings(out, ind + 1);
            line_start(out, ind + 1, e.action, o, st);
            e.render_into(out, ind + 1, &opts, st);
            out.push_str(",\n");
        }
        if pending > 0 {
            line_start(out, ind + 1, Act::NoOp, o, st);
            unchanged(out, "element", pending, st);
            out.push('\n');
        }
        line_start(out, ind, Act::NoOp, o, st);
        out.push(']');
        null_suffix(out, self.action, o, st);
    }

    fn render_set(&self, out: &mut String, elems: &[Diff], ind: usize, o: &Opts, st: &Style) {
        if elems.is_empty() {
            out.push_str("[]");
            null_suffix(out, self.action, o, st);
            forces(out, self.replace, o, st);
            return;
        }
        let mut eo = *o;
        eo.override_null_suffix = true;
        out.push('[');
        forces(out, self.replace, o, st);
        out.push('\n');
        let mut hidden = 0;
        for e in elems {
            if e.action == Act::NoOp && !o.show_unchanged {
                hidden += 1;
                continue;
            }
            e.warnings(out, ind + 1);
            line_start(out, ind + 1, e.action, o, st);
            e.render_into(out, ind + 1, &eo, st);
            out.push_str(",\n");
        }
        if hidden > 0 {
            line_start(out, ind + 1, Act::NoOp, o, st);
            unchanged(out, "element", hidden, st);
            out.push('\n');
        }
        line_start(out, ind, Act::NoOp, o, st);
        out.push(']');
        null_suffix(out, self.action, o, st);
    }

    /// Closes a heredoc after its lines.
    fn heredoc_close(&self, out: &mut String, ind: usize, o: &Opts, st: &Style) {
        line_start(out, ind, Act::NoOp, o, st);
        out.push_str("EOT");
        null_suffix(out, self.action, o, st);
    }

    #[allow(clippy::too_many_arguments)]
    fn render_string(
        &self,
        out: &mut String,
        before: Option<&Value>,
        after: Option<&Value>,
        ind: usize,
        o: &Opts,
        st: &Style,
    ) {
        match self.action {
            Act::Create | Act::NoOp | Act::Delete => {
                let v = if self.action == Act::Delete {
                    before
                } else {
                    after
                };
                match evaluate(v) {
                    Text::Json(j) => {
                        let (b, a) = match self.action {
                            Act::Create => (None, Some(j)),
                            Act::Delete => (Some(j), None),
                            _ => (Some(j.clone()), Some(j)),
                        };
                        self.render_json(out, b, a, ind, o, st);
                    }
                    Text::Lines(s) => {
                        out.push_str("<<-EOT");
                        forces(out, self.replace, o, st);
                        out.push('\n');
                        for l in s.split('\n') {
                            line_start(out, ind + 1, Act::NoOp, o, st);
                            out.push_str(l);
                            out.push('\n');
                        }
                        self.heredoc_close(out, ind, o, st);
                    }
                    Text::Plain(s) => {
                        push_quoted(out, s);
                        null_suffix(out, self.action, o, st);
                        forces(out, self.replace, o, st);
                    }
                    Text::Null => {
                        paint(out, st, DARK_GRAY, "null");
                        null_suffix(out, self.action, o, st);
                        forces(out, self.replace, o, st);
                    }
                }
            }
            Act::Update => {
                let (b, a) = (evaluate(before), evaluate(after));
                match (b, a) {
                    (Text::Json(bj), Text::Json(aj)) => {
                        self.render_json(out, Some(bj), Some(aj), ind, o, st);
                    }
                    (Text::Json(_), _) | (_, Text::Json(_)) => {
                        let del = Diff {
                            kind: Kind::Primitive {
                                before,
                                after: None,
                                string: true,
                            },
                            action: Act::Delete,
                            replace: false,
                        };
                        let cre = Diff {
                            kind: Kind::Primitive {
                                before: None,
                                after,
                                string: true,
                            },
                            action: Act::Create,
                            replace: false,
                        };
                        let tc = Diff {
                            kind: Kind::TypeChange {
                                before: Box::new(del),
                                after: Box::new(cre),
                            },
                            action: self.action,
                            replace: self.replace,
                        };
                        tc.render_into(out, ind, o, st);
                    }
                    (b, a) => {
                        fn text<'t>(t: &Text<'t>) -> Option<&'t str> {
                            match *t {
                                Text::Lines(s) | Text::Plain(s) => Some(s),
                                _ => None,
                            }
                        }
                        let multiline = matches!(b, Text::Lines(_)) || matches!(a, Text::Lines(_));
                        if !multiline {
                            let show = |out: &mut String, t: &Text<'_>| match text(t) {
                                Some(s) => push_quoted(out, s),
                                None => paint(out, st, DARK_GRAY, "null"),
                            };
                            show(out, &b);
                            arrow(out, st);
                            show(out, &a);
                            forces(out, self.replace, o, st);
                            return;
                        }
                        let bl: Vec<&str> = text(&b).unwrap_or_default().split('\n').collect();
                        let al: Vec<&str> = text(&a).unwrap_or_default().split('\n').collect();
                        out.push_str("<<-EOT");
                        forces(out, self.replace, o, st);
                        out.push('\n');
                        let mut line = |act: Act, l: &str| {
                            line_start(out, ind + 1, act, o, st);
                            out.push_str(l);
                            out.push('\n');
                        };
                        for (bi, ai) in line_pairs(&bl, &al) {
                            match (bi, ai) {
                                (Some(i), Some(j)) if bl[i] == al[j] => line(Act::NoOp, bl[i]),
                                (Some(i), Some(j)) => {
                                    line(Act::Delete, bl[i]);
                                    line(Act::Create, al[j]);
                                }
                                (Some(i), None) => line(Act::Delete, bl[i]),
                                (None, Some(j)) => line(Act::Create, al[j]),
                                (None, None) => {}
                            }
                        }
                        self.heredoc_close(out, ind, o, st);
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn render_json(
        &self,
        out: &mut String,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        ind: usize,
        o: &Opts,
        st: &Style,
    ) {
        let b = before.as_ref().map(Value::from_json);
        let a = after.as_ref().map(Value::from_json);
        let builder = Builder { replace_paths: &[] };
        let json = builder.build(b.as_ref(), a.as_ref(), Ty::Dynamic, &mut Vec::new());
        let mut action = self.action;
        let mut jo = *o;
        let (mut whitespace, mut replace) = ("", false);
        if json.action == Act::NoOp && self.action == Act::Update {
            whitespace = if self.replace {
                " # whitespace changes force replacement"
            } else {
                " # whitespace changes"
            };
            jo.show_unchanged = true;
            action = Act::NoOp;
        } else {
            replace = true;
        }
        let mut rendered = String::new();
        json.render_into(&mut rendered, ind + 1, &jo, st);
        if matches!(self.action, Act::Create | Act::Delete) {
            action = Act::NoOp;
        }
        out.push_str("jsonencode(");
        if rendered.contains('\n') {
            out.push_str(whitespace);
            out.push('\n');
            line_start(out, ind + 1, action, o, st);
            out.push_str(&rendered);
            if replace {
                forces(out, self.replace, o, st);
            }
            out.push('\n');
            line_start(out, ind, Act::NoOp, o, st);
            out.push(')');
        } else {
            out.push_str(&rendered);
            out.push(')');
            out.push_str(whitespace);
            if replace {
                forces(out, self.replace, o, st);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(b: &[i32], a: &[i32]) -> Vec<(Option<usize>, Option<usize>)> {
        process_slice(b, a, |_| false)
    }

    #[test]
    fn painting_in_place_matches_style() {
        for color in [false, true] {
            let st = Style::new(color);
            let painted = |code| {
                let mut out = String::new();
                paint(&mut out, &st, code, "x");
                out
            };
            assert_eq!(painted(BOLD), st.bold("x"));
            assert_eq!(painted(GREEN), st.green("x"));
            assert_eq!(painted(RED), st.red("x"));
            assert_eq!(painted(YELLOW), st.yellow("x"));
            assert_eq!(painted(CYAN), st.cyan("x"));
            assert_eq!(painted(DARK_GRAY), st.dark_gray("x"));
        }
    }

    #[test]
    fn deep_indentation_is_four_spaces_a_level() {
        for n in [0, 1, 7, 8, 9, 20] {
            let mut out = String::new();
            push_indent(&mut out, n);
            assert_eq!(out, " ".repeat(4 * n));
        }
    }

    #[test]
    fn same_length_sequences_pair_by_index() {
        assert_eq!(
            pairs(&[1, 2, 3], &[1, 3, 4]),
            vec![(Some(0), Some(0)), (Some(1), Some(1)), (Some(2), Some(2))]
        );
    }

    #[test]
    fn long_texts_are_aligned_without_a_quadratic_table() {
        let before: Vec<String> = (0..3000).map(|i| format!("line {i}")).collect();
        let mut after = before.clone();
        after.remove(10);
        after.push("tail".to_string());
        after.push("more".to_string());
        let b: Vec<&str> = before.iter().map(String::as_str).collect();
        let a: Vec<&str> = after.iter().map(String::as_str).collect();
        let pairs = line_pairs(&b, &a);
        let deleted: Vec<_> = pairs.iter().filter(|p| p.1.is_none()).collect();
        let inserted: Vec<_> = pairs.iter().filter(|p| p.0.is_none()).collect();
        assert_eq!(deleted, vec![&(Some(10), None)]);
        assert_eq!(inserted, vec![&(None, Some(2999)), &(None, Some(3000))]);
    }

    #[test]
    fn reorders_and_resizes_follow_the_common_subsequence() {
        // ["a","b"] -> ["b","a"]: Terraform keeps "b" and moves "a".
        assert_eq!(
            pairs(&[1, 2], &[2, 1]),
            vec![(Some(0), None), (Some(1), Some(0)), (None, Some(1))]
        );
        assert_eq!(
            pairs(&[1, 2, 3], &[2, 3]),
            vec![(Some(0), None), (Some(1), Some(0)), (Some(2), Some(1))]
        );
        assert_eq!(
            pairs(&[1, 2], &[1, 3, 2]),
            vec![(Some(0), Some(0)), (None, Some(1)), (Some(1), Some(2))]
        );
        assert_eq!(pairs(&[], &[7]), vec![(None, Some(0))]);
    }
}
