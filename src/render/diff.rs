//! The structured diff of two values, and how it is written in a human plan.
//!
//! Two phases, as in Terraform's own renderer: [`Builder`] compares a before and an after value
//! (either may be absent) into a tree of [`Diff`] nodes, each with its own action; then
//! [`Diff::render`] writes that tree with Terraform's symbols, indentation, `=` alignment,
//! hidden-unchanged counts, `(known after apply)`, `(sensitive value)`, heredoc line diffs and
//! `jsonencode(...)` diffs.
//!
//! How a part is compared depends on its type: attributes a schema declares as `any`, outputs and
//! JSON strings are compared the way Terraform compares JSON (objects keep null members, arrays
//! are diffed as lists, nothing inside forces replacement); typed parts follow their type; with
//! no schema the type is read off the value itself. Sensitive contents are never rendered: the
//! builder only looks beneath a sensitive mark to decide whether the value changed.

use std::collections::{BTreeMap, BTreeSet};

use cairn_provider::{BlockNesting, NestedBlock, PathStep, Schema, Type, Value, ValuePath};

use super::Style;
use super::value::{attribute_name, number, quote};

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

/// One node of a structured diff.
#[derive(Clone, Debug)]
pub(crate) struct Diff {
    kind: Kind,
    pub(crate) action: Act,
    replace: bool,
}

#[derive(Clone, Debug)]
enum Kind {
    /// A string, number, bool or null. `None` is null.
    Primitive {
        before: Option<Value>,
        after: Option<Value>,
        string: bool,
    },
    Unknown {
        before: Option<Box<Diff>>,
    },
    Sensitive {
        before: bool,
        after: bool,
        inner: Act,
    },
    Object {
        attrs: BTreeMap<String, Diff>,
    },
    Map {
        elems: BTreeMap<String, Diff>,
    },
    List {
        elems: Vec<Diff>,
    },
    Set {
        elems: Vec<Diff>,
    },
    TypeChange {
        before: Box<Diff>,
        after: Box<Diff>,
    },
    /// A block (or a whole resource) marked sensitive as a whole.
    SensitiveBlock,
    /// The top level of a resource.
    Block {
        attrs: BTreeMap<String, Diff>,
        blocks: Vec<BlockGroup>,
    },
}

/// The nested blocks of one block type, in the order they are shown.
#[derive(Clone, Debug)]
struct BlockGroup {
    name: String,
    /// A change to this block type forces replacement.
    replace: bool,
    /// Each block, with its label suffix (empty for single, list and set blocks).
    items: Vec<(String, Diff)>,
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

impl Builder<'_> {
    fn matches(&self, path: &[PathStep]) -> bool {
        self.replace_paths
            .iter()
            .any(|p| p.len() == path.len() && p.iter().zip(path).all(|(a, b)| step_eq(a, b)))
    }

    /// Compares the top level of a resource object.
    pub(crate) fn block(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        schema: Option<&Schema>,
    ) -> Diff {
        self.block_at(before, after, schema, &mut Vec::new())
    }

    fn block_at(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        schema: Option<&Schema>,
        path: &mut ValuePath,
    ) -> Diff {
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
        let empty = BTreeMap::new();
        let bm = before.and_then(Value::as_map).unwrap_or(&empty);
        let am = after.and_then(Value::as_map).unwrap_or(&empty);
        let mut keys: BTreeSet<&String> = bm.keys().chain(am.keys()).collect();
        if let Some(s) = schema {
            keys.extend(s.attributes.keys());
        }
        let mut action = default_action(before, after);
        let mut attrs = BTreeMap::new();
        let mut blocks = Vec::new();
        for key in keys {
            let cb = present_top(bm.get(key.as_str()));
            let ca = present_top(am.get(key.as_str()));
            path.push(PathStep::Attr(key.clone()));
            if let Some(nested) = schema.and_then(|s| s.blocks.get(key.as_str())) {
                let group = self.block_group(key, cb, ca, nested, path);
                path.pop();
                if let Some((group, group_action)) = group {
                    action = compare(action, group_action);
                    blocks.push(group);
                }
                continue;
            }
            let ty = match schema.and_then(|s| s.attributes.get(key.as_str())) {
                Some(attr) => Ty::Typed(&attr.ty),
                None => Ty::Inferred,
            };
            let d = self.build(cb, ca, ty, path);
            path.pop();
            if d.action == Act::NoOp && cb.is_none() && ca.is_none() {
                continue;
            }
            action = compare(action, d.action);
            attrs.insert(key.clone(), d);
        }
        Diff {
            kind: Kind::Block { attrs, blocks },
            action,
            replace,
        }
    }

    /// The blocks of one nested block type; `None` when there are none on either side.
    fn block_group(
        &self,
        name: &str,
        before: Option<&Value>,
        after: Option<&Value>,
        nested: &NestedBlock,
        path: &mut ValuePath,
    ) -> Option<(BlockGroup, Act)> {
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
                items.push((String::new(), d));
            }
            BlockNesting::List => {
                let bs = before.and_then(Value::as_seq).unwrap_or_default();
                let as_ = after.and_then(Value::as_seq).unwrap_or_default();
                for (bi, ai) in process_slice(bs, as_, |_| true) {
                    path.push(PathStep::Index(ai.or(bi).unwrap_or(0) as u64));
                    let d = self.block_at(bi.map(|i| &bs[i]), ai.map(|i| &as_[i]), schema, path);
                    path.pop();
                    action = compare(action, d.action);
                    items.push((String::new(), d));
                }
            }
            BlockNesting::Set => {
                let bs = before.and_then(Value::as_seq).unwrap_or_default();
                let as_ = after.and_then(Value::as_seq).unwrap_or_default();
                for (b, a) in pair_set(bs, as_) {
                    let d = self.block_at(b, a, schema, path);
                    action = compare(action, d.action);
                    items.push((String::new(), d));
                }
            }
        }
        if action == Act::NoOp && before.is_none() && after.is_none() {
            return None;
        }
        let group = BlockGroup {
            name: name.to_string(),
            replace,
            items,
        };
        Some((group, action))
    }

    /// Compares two values. `None` means absent; `Some(Value::Null)` is an explicit null (as a
    /// list element can be).
    pub(crate) fn build(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        ty: Ty,
        path: &mut ValuePath,
    ) -> Diff {
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
                let value = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
                let kind = Kind::Primitive {
                    before: value(before),
                    after: value(after),
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

    fn object(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        ty: Ty,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff {
        let empty = BTreeMap::new();
        let bm = before.and_then(Value::as_map).unwrap_or(&empty);
        let am = after.and_then(Value::as_map).unwrap_or(&empty);
        let keys: BTreeSet<&String> = bm.keys().chain(am.keys()).collect();
        let mut action = default_action(before, after);
        let mut attrs = BTreeMap::new();
        for key in keys {
            let child_ty = match ty {
                Ty::Typed(Type::Object(o)) => {
                    o.attrs.get(key.as_str()).map_or(Ty::Inferred, Ty::Typed)
                }
                Ty::Dynamic => Ty::Dynamic,
                _ => Ty::Inferred,
            };
            let (cb, ca) = if ty.is_dynamic() {
                // JSON members are explicit: a null member is still there.
                (bm.get(key.as_str()), am.get(key.as_str()))
            } else {
                // Attributes of typed objects are implicit: null means absent.
                (
                    non_null(bm.get(key.as_str())),
                    non_null(am.get(key.as_str())),
                )
            };
            path.push(PathStep::Attr(key.clone()));
            let d = self.build(cb, ca, child_ty, path);
            path.pop();
            if !ty.is_dynamic() && d.action == Act::NoOp && cb.is_none() && ca.is_none() {
                continue;
            }
            action = compare(action, d.action);
            attrs.insert(key.clone(), d);
        }
        Diff {
            kind: Kind::Object { attrs },
            action,
            replace,
        }
    }

    fn map(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        ty: Ty,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff {
        let empty = BTreeMap::new();
        let bm = before.and_then(Value::as_map).unwrap_or(&empty);
        let am = after.and_then(Value::as_map).unwrap_or(&empty);
        let keys: BTreeSet<&String> = bm.keys().chain(am.keys()).collect();
        let child_ty = match ty {
            Ty::Typed(Type::Map(el)) => Ty::Typed(el),
            _ => Ty::Inferred,
        };
        let mut action = default_action(before, after);
        let mut elems = BTreeMap::new();
        for key in keys {
            path.push(PathStep::Key(key.clone()));
            let d = self.build(bm.get(key.as_str()), am.get(key.as_str()), child_ty, path);
            path.pop();
            action = compare(action, d.action);
            elems.insert(key.clone(), d);
        }
        Diff {
            kind: Kind::Map { elems },
            action,
            replace,
        }
    }

    fn list(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        ty: Ty,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff {
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
            let index = ai.or(bi).unwrap_or(0) as u64;
            path.push(PathStep::Index(index));
            let d = self.build(bi.map(|i| &bs[i]), ai.map(|i| &as_[i]), child_ty, path);
            path.pop();
            action = compare(action, d.action);
            elems.push(d);
        }
        Diff {
            kind: Kind::List { elems },
            action,
            replace,
        }
    }

    fn tuple(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        ty: Ty,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff {
        let bs = before.and_then(Value::as_seq).unwrap_or_default();
        let as_ = after.and_then(Value::as_seq).unwrap_or_default();
        let mut action = default_action(before, after);
        let mut elems = Vec::new();
        for i in 0..bs.len().max(as_.len()) {
            let child_ty = match ty {
                Ty::Typed(Type::Tuple(els)) => els.get(i).map_or(Ty::Inferred, Ty::Typed),
                _ => Ty::Inferred,
            };
            path.push(PathStep::Index(i as u64));
            let d = self.build(bs.get(i), as_.get(i), child_ty, path);
            path.pop();
            action = compare(action, d.action);
            elems.push(d);
        }
        Diff {
            kind: Kind::List { elems },
            action,
            replace,
        }
    }

    fn set(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        ty: Ty,
        path: &mut ValuePath,
        replace: bool,
    ) -> Diff {
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

pub(crate) fn indent(n: usize) -> String {
    "    ".repeat(n)
}

/// The three-column action symbol used inside a resource body.
pub(crate) fn symbol(action: Act, st: &Style) -> String {
    match action {
        Act::NoOp => "   ".to_string(),
        Act::Create => format!("  {}", st.green("+")),
        Act::Update => format!("  {}", st.yellow("~")),
        Act::Delete => format!("  {}", st.red("-")),
    }
}

fn sym(action: Act, o: &Opts, st: &Style) -> String {
    if o.hide_symbols {
        String::new()
    } else {
        format!("{} ", symbol(action, st))
    }
}

fn null_suffix(action: Act, o: &Opts, st: &Style) -> String {
    if !o.override_null_suffix && action == Act::Delete {
        format!(" {}", st.dark_gray("-> null"))
    } else {
        String::new()
    }
}

fn forces(replace: bool, o: &Opts, st: &Style) -> String {
    if !o.forbid_forces_replacement && (replace || o.override_forces_replacement) {
        format!(" {}", st.red("# forces replacement"))
    } else {
        String::new()
    }
}

fn unchanged(keyword: &str, count: usize, st: &Style) -> String {
    let plural = if count == 1 { "" } else { "s" };
    st.dark_gray(&format!("# ({count} unchanged {keyword}{plural} hidden)"))
}

/// Pads `s` to `width` columns (Go's `%-*s`: width counted in characters).
fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

fn is_important(key: &str) -> bool {
    matches!(key, "id" | "name" | "tags")
}

/// How a string is shown: as JSON, as lines, or as one quoted line.
enum Text {
    Null,
    Json(serde_json::Value),
    Lines(String),
    Plain(String),
}

fn evaluate(v: Option<&Value>) -> Text {
    let Some(s) = v.and_then(Value::as_str) else {
        return Text::Null;
    };
    if (s.starts_with('{') || s.starts_with('['))
        && let Ok(j) = serde_json::from_str::<serde_json::Value>(s)
    {
        return Text::Json(j);
    }
    if s.contains('\n') {
        return Text::Lines(s.trim().to_string());
    }
    Text::Plain(s.to_string())
}

fn primitive_text(v: Option<&Value>, st: &Style) -> String {
    match v.map(Value::strip_marks_ref) {
        None | Some(Value::Null) => st.dark_gray("null"),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => number(n),
        Some(Value::String(s)) => quote(s),
        // Not reachable for primitives; never print anything else.
        Some(_) => st.dark_gray("null"),
    }
}

impl Diff {
    fn warnings(&self, ind: usize) -> Vec<String> {
        let Kind::Sensitive {
            before,
            after,
            inner,
        } = self.kind
        else {
            return Vec::new();
        };
        if before == after || inner == Act::Create || inner == Act::Delete {
            return Vec::new();
        }
        let mut w = if before {
            format!(
                "  # Warning: this attribute value will no longer be marked as sensitive\n{}  # after applying this change.",
                indent(ind)
            )
        } else {
            format!(
                "  # Warning: this attribute value will be marked as sensitive and will not\n{}  # display in UI output after applying this change.",
                indent(ind)
            )
        };
        if inner == Act::NoOp {
            w.push_str(" The value is unchanged.");
        }
        vec![w]
    }

    /// Renders this node starting at the current column; `ind` is the nesting depth.
    pub(crate) fn render(&self, ind: usize, o: &Opts, st: &Style) -> String {
        match &self.kind {
            Kind::Primitive {
                before,
                after,
                string,
            } => {
                if *string {
                    self.render_string(before.as_ref(), after.as_ref(), ind, o, st)
                } else {
                    let b = primitive_text(before.as_ref(), st);
                    let a = primitive_text(after.as_ref(), st);
                    let f = forces(self.replace, o, st);
                    match self.action {
                        Act::Create => format!("{a}{f}"),
                        Act::Delete => format!("{b}{}{f}", null_suffix(self.action, o, st)),
                        Act::NoOp => format!("{b}{f}"),
                        Act::Update => format!("{b} {} {a}{f}", st.yellow("->")),
                    }
                }
            }
            Kind::Unknown { before } => match before {
                Some(b) if self.action != Act::Create => {
                    let mut bo = *o;
                    bo.override_null_suffix = true;
                    if self.replace {
                        bo.forbid_forces_replacement = true;
                    }
                    format!(
                        "{} {} (known after apply){}",
                        b.render(ind, &bo, st),
                        st.yellow("->"),
                        forces(self.replace, o, st)
                    )
                }
                _ => format!("(known after apply){}", forces(self.replace, o, st)),
            },
            Kind::Sensitive { .. } => format!(
                "(sensitive value){}{}",
                null_suffix(self.action, o, st),
                forces(self.replace, o, st)
            ),
            Kind::SensitiveBlock => {
                let prefix = format!("{}{}", indent(ind), sym(Act::NoOp, o, st));
                format!(
                    "{{{}\n{prefix}  # At least one attribute in this block is (or was) sensitive,\n{prefix}  # so its contents will not be displayed.\n{prefix}}}",
                    forces(self.replace, o, st)
                )
            }
            Kind::TypeChange { before, after } => {
                let mut to = *o;
                to.override_null_suffix = true;
                format!(
                    "{} {} {}",
                    before.render(ind, &to, st),
                    st.yellow("->"),
                    after.render(ind, &to, st)
                )
            }
            Kind::Object { attrs } => self.render_attrs(attrs, &[], false, ind, o, st),
            Kind::Block { attrs, blocks } => self.render_attrs(attrs, blocks, true, ind, o, st),
            Kind::Map { elems } => self.render_map(elems, ind, o, st),
            Kind::List { elems } => self.render_list(elems, ind, o, st),
            Kind::Set { elems } => self.render_set(elems, ind, o, st),
        }
    }

    fn render_attrs(
        &self,
        attrs: &BTreeMap<String, Diff>,
        blocks: &[BlockGroup],
        block: bool,
        ind: usize,
        o: &Opts,
        st: &Style,
    ) -> String {
        let close_suffix = if block {
            String::new()
        } else {
            null_suffix(self.action, o, st)
        };
        if attrs.is_empty() && blocks.iter().all(|g| g.items.is_empty()) {
            return format!("{{}}{close_suffix}{}", forces(self.replace, o, st));
        }
        let mut ao = *o;
        if !block {
            ao.override_null_suffix = true;
        }
        let names: BTreeMap<&String, String> =
            attrs.keys().map(|k| (k, attribute_name(k))).collect();
        let width = names.values().map(String::len).max().unwrap_or(0);
        let mut out = format!("{{{}\n", forces(self.replace, o, st));
        let mut hidden = 0;
        for (key, d) in attrs {
            let mut opts = ao;
            if is_important(key) {
                opts.show_unchanged = true;
            } else if d.action == Act::NoOp && !o.show_unchanged {
                hidden += 1;
                continue;
            }
            for w in d.warnings(ind + 1) {
                out.push_str(&format!("{}{w}\n", indent(ind + 1)));
            }
            out.push_str(&format!(
                "{}{}{} = {}\n",
                indent(ind + 1),
                sym(d.action, o, st),
                pad(&names[key], width),
                d.render(ind + 1, &opts, st)
            ));
        }
        if hidden > 0 {
            out.push_str(&format!(
                "{}{}{}\n",
                indent(ind + 1),
                sym(Act::NoOp, o, st),
                unchanged("attribute", hidden, st)
            ));
        }
        let mut hidden_blocks = 0;
        for group in blocks {
            // A blank line separates the attributes from each type of nested block.
            let mut separated = false;
            let mut bo = *o;
            bo.override_forces_replacement = group.replace;
            for (label, d) in &group.items {
                if d.action == Act::NoOp && !o.show_unchanged {
                    hidden_blocks += 1;
                    continue;
                }
                if !separated && !attrs.is_empty() {
                    out.push('\n');
                    separated = true;
                }
                out.push_str(&format!(
                    "{}{}{}{label} {}\n",
                    indent(ind + 1),
                    sym(d.action, o, st),
                    attribute_name(&group.name),
                    d.render(ind + 1, &bo, st)
                ));
            }
        }
        if hidden_blocks > 0 {
            out.push_str(&format!(
                "\n{}{}{}\n",
                indent(ind + 1),
                sym(Act::NoOp, o, st),
                unchanged("block", hidden_blocks, st)
            ));
        }
        out.push_str(&format!(
            "{}{}}}{close_suffix}",
            indent(ind),
            sym(Act::NoOp, o, st)
        ));
        out
    }

    fn render_map(
        &self,
        elems: &BTreeMap<String, Diff>,
        ind: usize,
        o: &Opts,
        st: &Style,
    ) -> String {
        if elems.is_empty() {
            return format!(
                "{{}}{}{}",
                null_suffix(self.action, o, st),
                forces(self.replace, o, st)
            );
        }
        let width = elems.keys().map(String::len).max().unwrap_or(0) + 2;
        let mut eo = *o;
        eo.override_null_suffix = self.action == Act::Delete;
        eo.override_forces_replacement = false;
        let mut out = format!("{{{}\n", forces(self.replace, o, st));
        let mut hidden = 0;
        for (key, d) in elems {
            if d.action == Act::NoOp && !o.show_unchanged {
                hidden += 1;
                continue;
            }
            for w in d.warnings(ind + 1) {
                out.push_str(&format!("{}{w}\n", indent(ind + 1)));
            }
            let comma = if matches!(d.kind, Kind::Object { .. }) {
                ","
            } else {
                ""
            };
            out.push_str(&format!(
                "{}{}{} = {}{comma}\n",
                indent(ind + 1),
                sym(d.action, o, st),
                pad(&quote(key), width),
                d.render(ind + 1, &eo, st)
            ));
        }
        if hidden > 0 {
            out.push_str(&format!(
                "{}{}{}\n",
                indent(ind + 1),
                sym(Act::NoOp, o, st),
                unchanged("element", hidden, st)
            ));
        }
        out.push_str(&format!(
            "{}{}}}{}",
            indent(ind),
            sym(Act::NoOp, o, st),
            null_suffix(self.action, o, st)
        ));
        out
    }

    fn render_list(&self, elems: &[Diff], ind: usize, o: &Opts, st: &Style) -> String {
        if elems.is_empty() {
            return format!(
                "[]{}{}",
                null_suffix(self.action, o, st),
                forces(self.replace, o, st)
            );
        }
        let mut eo = *o;
        eo.override_null_suffix = true;
        let mut uo = *o;
        uo.show_unchanged = true;
        let mut pending: Vec<&Diff> = Vec::new();
        let mut render_next = false;
        let mut out = format!("[{}\n", forces(self.replace, o, st));
        for e in elems {
            if e.action == Act::NoOp && !render_next && !o.show_unchanged {
                pending.push(e);
                continue;
            }
            render_next = false;
            // Show the unchanged element just before a change, for context, and count the rest.
            if pending.len() > 1 {
                out.push_str(&format!(
                    "{}{}{}\n",
                    indent(ind + 1),
                    sym(Act::NoOp, o, st),
                    unchanged("element", pending.len() - 1, st)
                ));
            }
            if let Some(last) = pending.last() {
                out.push_str(&format!(
                    "{}{}{},\n",
                    indent(ind + 1),
                    sym(last.action, o, st),
                    last.render(ind + 1, &uo, st)
                ));
            }
            pending.clear();
            let opts = if e.action == Act::NoOp {
                uo
            } else {
                render_next = true;
                eo
            };
            for w in e.warnings(ind + 1) {
                out.push_str(&format!("{}{w}\n", indent(ind + 1)));
            }
            out.push_str(&format!(
                "{}{}{},\n",
                indent(ind + 1),
                sym(e.action, o, st),
                e.render(ind + 1, &opts, st)
            ));
        }
        if !pending.is_empty() {
            out.push_str(&format!(
                "{}{}{}\n",
                indent(ind + 1),
                sym(Act::NoOp, o, st),
                unchanged("element", pending.len(), st)
            ));
        }
        out.push_str(&format!(
            "{}{}]{}",
            indent(ind),
            sym(Act::NoOp, o, st),
            null_suffix(self.action, o, st)
        ));
        out
    }

    fn render_set(&self, elems: &[Diff], ind: usize, o: &Opts, st: &Style) -> String {
        if elems.is_empty() {
            return format!(
                "[]{}{}",
                null_suffix(self.action, o, st),
                forces(self.replace, o, st)
            );
        }
        let mut eo = *o;
        eo.override_null_suffix = true;
        let mut out = format!("[{}\n", forces(self.replace, o, st));
        let mut hidden = 0;
        for e in elems {
            if e.action == Act::NoOp && !o.show_unchanged {
                hidden += 1;
                continue;
            }
            for w in e.warnings(ind + 1) {
                out.push_str(&format!("{}{w}\n", indent(ind + 1)));
            }
            out.push_str(&format!(
                "{}{}{},\n",
                indent(ind + 1),
                sym(e.action, o, st),
                e.render(ind + 1, &eo, st)
            ));
        }
        if hidden > 0 {
            out.push_str(&format!(
                "{}{}{}\n",
                indent(ind + 1),
                sym(Act::NoOp, o, st),
                unchanged("element", hidden, st)
            ));
        }
        out.push_str(&format!(
            "{}{}]{}",
            indent(ind),
            sym(Act::NoOp, o, st),
            null_suffix(self.action, o, st)
        ));
        out
    }

    fn render_string(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        ind: usize,
        o: &Opts,
        st: &Style,
    ) -> String {
        let f = forces(self.replace, o, st);
        let noop_line = |l: &str| format!("{}{}{l}", indent(ind + 1), sym(Act::NoOp, o, st));
        let lines: Vec<String> = match self.action {
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
                        return self.render_json(b, a, ind, o, st);
                    }
                    Text::Lines(s) => s.split('\n').map(noop_line).collect(),
                    Text::Plain(s) => {
                        let suffix = if self.action == Act::Delete {
                            null_suffix(self.action, o, st)
                        } else {
                            String::new()
                        };
                        return format!("{}{suffix}{f}", quote(&s));
                    }
                    Text::Null => {
                        return format!(
                            "{}{}{f}",
                            st.dark_gray("null"),
                            null_suffix(self.action, o, st)
                        );
                    }
                }
            }
            Act::Update => {
                let (b, a) = (evaluate(before), evaluate(after));
                match (b, a) {
                    (Text::Json(bj), Text::Json(aj)) => {
                        return self.render_json(Some(bj), Some(aj), ind, o, st);
                    }
                    (Text::Json(_), _) | (_, Text::Json(_)) => {
                        let del = Diff {
                            kind: Kind::Primitive {
                                before: before.cloned(),
                                after: None,
                                string: true,
                            },
                            action: Act::Delete,
                            replace: false,
                        };
                        let cre = Diff {
                            kind: Kind::Primitive {
                                before: None,
                                after: after.cloned(),
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
                        return tc.render(ind, o, st);
                    }
                    (b, a) => {
                        let text = |t: &Text| match t {
                            Text::Lines(s) | Text::Plain(s) => Some(s.clone()),
                            _ => None,
                        };
                        let multiline = matches!(b, Text::Lines(_)) || matches!(a, Text::Lines(_));
                        if !multiline {
                            let show = |t: &Text| {
                                text(t).map_or_else(|| st.dark_gray("null"), |s| quote(&s))
                            };
                            return format!("{} {} {}{f}", show(&b), st.yellow("->"), show(&a));
                        }
                        let bt = text(&b).unwrap_or_default();
                        let at = text(&a).unwrap_or_default();
                        let bl: Vec<&str> = bt.split('\n').collect();
                        let al: Vec<&str> = at.split('\n').collect();
                        let line = |act: Act, l: &str| {
                            format!("{}{}{l}", indent(ind + 1), sym(act, o, st))
                        };
                        let mut lines = Vec::new();
                        for (bi, ai) in line_pairs(&bl, &al) {
                            match (bi, ai) {
                                (Some(i), Some(j)) if bl[i] == al[j] => {
                                    lines.push(line(Act::NoOp, bl[i]))
                                }
                                (Some(i), Some(j)) => {
                                    lines.push(line(Act::Delete, bl[i]));
                                    lines.push(line(Act::Create, al[j]));
                                }
                                (Some(i), None) => lines.push(line(Act::Delete, bl[i])),
                                (None, Some(j)) => lines.push(line(Act::Create, al[j])),
                                (None, None) => {}
                            }
                        }
                        lines
                    }
                }
            }
        };
        format!(
            "<<-EOT{f}\n{}\n{}{}EOT{}",
            lines.join("\n"),
            indent(ind),
            sym(Act::NoOp, o, st),
            null_suffix(self.action, o, st)
        )
    }

    fn render_json(
        &self,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        ind: usize,
        o: &Opts,
        st: &Style,
    ) -> String {
        let b = before.as_ref().map(Value::from_json);
        let a = after.as_ref().map(Value::from_json);
        let builder = Builder { replace_paths: &[] };
        let json = builder.build(b.as_ref(), a.as_ref(), Ty::Dynamic, &mut Vec::new());
        let mut action = self.action;
        let mut jo = *o;
        let (mut whitespace, mut replace) = (String::new(), String::new());
        if json.action == Act::NoOp && self.action == Act::Update {
            whitespace = if self.replace {
                " # whitespace changes force replacement".to_string()
            } else {
                " # whitespace changes".to_string()
            };
            jo.show_unchanged = true;
            action = Act::NoOp;
        } else {
            replace = forces(self.replace, o, st);
        }
        let rendered = json.render(ind + 1, &jo, st);
        if matches!(self.action, Act::Create | Act::Delete) {
            action = Act::NoOp;
        }
        if rendered.contains('\n') {
            format!(
                "jsonencode({whitespace}\n{}{}{rendered}{replace}\n{}{})",
                indent(ind + 1),
                sym(action, o, st),
                indent(ind),
                sym(Act::NoOp, o, st)
            )
        } else {
            format!("jsonencode({rendered}){whitespace}{replace}")
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
