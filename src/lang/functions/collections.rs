//! Functions over lists, sets, tuples, maps and objects.

use super::*;

pub(super) fn fn_length(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let n = match a[0].strip_marks_ref() {
        Value::String(s) => {
            use unicode_segmentation::UnicodeSegmentation as _;
            s.graphemes(true).count()
        }
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

pub(super) fn map_arg(a: &[Value], i: usize) -> Result<&ValueMap, FnError> {
    a.get(i)
        .and_then(Value::as_map)
        .ok_or_else(|| arg_err(i, "map or object required"))
}

pub(super) fn fn_lookup(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a.len() > 3 {
        return Err(arg_err(3, "lookup() takes no more than three arguments"));
    }
    if let Some(i) = a.iter().take(2).position(Value::is_null) {
        return Err(arg_err(i, "argument must not be null"));
    }
    let m = map_arg(&a, 0)?;
    let k = string(&a, 1)?;
    let is_map = matches!(a[0].strip_marks_ref(), Value::Map(_));
    match (m.get(&k), a.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) if is_map => Err(FnError::Call(format!("lookup failed to find key {k:?}"))),
        (None, None) => Err(arg_err(
            0,
            format!("the given object has no attribute {k:?}"),
        )),
    }
}

pub(super) fn fn_merge(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let mut out = ValueMap::new();
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

pub(super) fn fn_concat(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a.is_empty() {
        return Err(FnError::Call("at least one argument is required".into()));
    }
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

pub(super) fn fn_keys(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let keys: Vec<Value> = map_arg(&a, 0)?.keys().map(Value::string).collect();
    Ok(match a[0].strip_marks_ref() {
        Value::Object(_) => Value::Tuple(keys),
        _ => Value::List(keys),
    })
}

pub(super) fn fn_values(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let vals: Vec<Value> = a[0]
        .as_map()
        .ok_or_else(|| FnError::Call("values() requires a map as the first argument".into()))?
        .values()
        .cloned()
        .collect();
    Ok(match a[0].strip_marks_ref() {
        Value::Object(_) => Value::Tuple(vals),
        _ => Value::List(vals),
    })
}

pub(super) fn fn_contains(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if a[0].is_null() {
        return Err(arg_err(0, "argument must not be null"));
    }
    let xs =
        seq(&a, 0).map_err(|_| FnError::Call("argument must be list, tuple, or set".into()))?;
    Ok(Value::Bool(xs.iter().any(|x| values_equal(x, &a[1]))))
}

/// Equality after the conversion a typed parameter would apply (`contains(["1"], 1)` is true).
pub(super) fn values_equal_loose(a: &Value, b: &Value) -> bool {
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

pub(super) fn fn_element(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
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

pub(super) fn fn_index(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    xs.iter()
        .position(|x| values_equal_loose(x, &a[1]))
        .map(|i| Value::number(i as i64))
        .ok_or_else(|| FnError::Call("item not found".into()))
}

pub(super) fn fn_range(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let zero = Number::from_i64(0);
    let (start, end, step) = match a.len() {
        1 => (zero.clone(), number(&a, 0)?, None),
        2 => (number(&a, 0)?, number(&a, 1)?, None),
        3 => (number(&a, 0)?, number(&a, 1)?, Some(number(&a, 2)?)),
        0 => {
            return Err(FnError::Call(
                "must have one, two, or three arguments".into(),
            ));
        }
        _ => return Err(arg_err(3, "must have one, two, or three arguments")),
    };
    let step = step.unwrap_or_else(|| Number::from_i64(if end < start { -1 } else { 1 }));
    if (step < zero && end > start) || (step > zero && end < start) {
        return Err(arg_err(
            2,
            if step < zero {
                "step must be positive when start is less than limit"
            } else {
                "step must be negative when start is greater than limit"
            },
        ));
    }
    let too_many = || {
        FnError::Call("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step".into())
    };
    if step == zero && start != end {
        return Err(too_many());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > zero && x < end) || (step < zero && x > end) {
        if out.len() >= 1024 {
            return Err(too_many());
        }
        let next = x.add(&step).ok_or_else(too_many)?;
        out.push(Value::Number(x));
        x = next;
    }
    Ok(Value::List(out))
}

pub(super) fn fn_flatten(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    // Elements of a sensitive nested list come out sensitive.
    fn go(xs: &[Value], out: &mut Vec<Value>, depth: usize, marked: bool) -> Result<(), FnError> {
        if depth > 100 {
            return Err(FnError::Call("list is nested too deeply".into()));
        }
        for x in xs {
            let marked = marked || x.is_sensitive();
            match x.strip_marks_ref() {
                Value::List(ys) | Value::Tuple(ys) | Value::Set(ys) => {
                    go(ys, out, depth + 1, marked)?
                }
                _ if marked => out.push(x.clone().mark_sensitive()),
                _ => out.push(x.clone()),
            }
        }
        Ok(())
    }
    let xs =
        seq(&a, 0).map_err(|_| FnError::Call("can only flatten lists, sets and tuples".into()))?;
    let mut out = Vec::new();
    go(&xs, &mut out, 0, false)?;
    Ok(Value::Tuple(out))
}

pub(super) fn as_list(v: Value, i: usize) -> Result<Vec<Value>, FnError> {
    match convert(v, &Type::list(Type::Any)) {
        Ok(Value::List(xs)) => Ok(xs),
        Ok(_) => Ok(Vec::new()),
        Err(_) => Err(arg_err(i, "list of any single type required")),
    }
}

pub(super) fn fn_distinct(mut a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = as_list(a.remove(0), 0)?;
    let mut out: Vec<Value> = Vec::new();
    for x in xs {
        if !out.iter().any(|y| values_equal(y, &x)) {
            out.push(x);
        }
    }
    Ok(Value::List(out))
}

pub(super) fn fn_coalesce(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
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

pub(super) fn fn_coalescelist(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    for (i, x) in a.iter().enumerate() {
        if x.is_null() {
            continue;
        }
        if seq(&a, i)
            .map_err(|_| FnError::Call("coalescelist arguments must be lists or tuples".into()))?
            .is_empty()
        {
            continue;
        }
        return Ok(x.clone());
    }
    Err(FnError::Call("no non-null arguments".into()))
}

pub(super) fn fn_compact(mut a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
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

pub(super) fn fn_zipmap(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let ks = seq(&a, 0)?;
    let vs = seq(&a, 1)?;
    if ks.len() != vs.len() {
        return Err(FnError::Call(format!(
            "number of keys ({}) does not match number of values ({})",
            ks.len(),
            vs.len()
        )));
    }
    let mut out = Vec::with_capacity(ks.len());
    // A sensitive key makes the whole map sensitive.
    let mut key_marked = false;
    for (k, v) in ks.into_iter().zip(vs) {
        if k.is_unknown() {
            return Ok(Value::Unknown);
        }
        let (k, s) = k.unmark();
        key_marked |= s;
        match convert(k, &Type::String) {
            Ok(Value::String(k)) => out.push((k, v)),
            _ => return Err(arg_err(0, "list of string required")),
        }
    }
    // Sorted once; of repeated keys the last stays.
    let out = ValueMap::from_vec(out);
    let out = match a[1].strip_marks_ref() {
        Value::List(_) | Value::Set(_) => Value::Map(out),
        _ => Value::Object(out),
    };
    Ok(if key_marked {
        out.mark_sensitive()
    } else {
        out
    })
}

pub(super) fn fn_slice(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
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

pub(super) fn fn_reverse(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let mut xs = seq(&a, 0)?;
    xs.reverse();
    Ok(match a[0].strip_marks_ref() {
        Value::Tuple(_) => Value::Tuple(xs),
        _ => Value::List(xs),
    })
}

pub(super) fn fn_sort(mut a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = as_list(a.remove(0), 0)?;
    let mut ss = Vec::with_capacity(xs.len());
    for (i, x) in xs.into_iter().enumerate() {
        if x.is_null() {
            return Err(FnError::Call(format!(
                "given list element {i} is null; a null string cannot be sorted"
            )));
        }
        match convert(x, &Type::String) {
            Ok(Value::String(s)) => ss.push(s),
            _ => return Err(arg_err(0, "list of string required")),
        }
    }
    ss.sort();
    Ok(Value::List(ss.into_iter().map(Value::String).collect()))
}

pub(super) fn fn_one(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
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

pub(super) fn fn_sum(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    if xs.is_empty() {
        return Err(arg_err(0, "cannot sum an empty list"));
    }
    let mut total: Option<Number> = None;
    for x in xs {
        match convert(x, &Type::Number) {
            Ok(Value::Number(n)) => {
                total = Some(match total {
                    None => n,
                    Some(t) => {
                        let opposing = t.is_infinite() && n.is_infinite();
                        t.add(&n).ok_or_else(|| {
                            FnError::Call(if opposing {
                                "can't compute sum of opposing infinities".into()
                            } else {
                                "the result is out of range".into()
                            })
                        })?
                    }
                });
            }
            _ => {
                return Err(arg_err(
                    0,
                    "argument must be list, set, or tuple of number values",
                ));
            }
        }
    }
    total
        .map(Value::Number)
        .ok_or_else(|| arg_err(0, "cannot sum an empty list"))
}

pub(super) fn bools(a: Vec<Value>, all: bool) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    let mut acc = all;
    for x in xs {
        let b = match convert(x, &Type::Bool) {
            Ok(Value::Bool(b)) => b,
            Ok(_) => false,
            Err(_) => return Err(arg_err(0, "a bool is required")),
        };
        acc = if all { acc && b } else { acc || b };
    }
    Ok(Value::Bool(acc))
}

pub(super) fn fn_chunklist(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let xs = seq(&a, 0)?;
    let n = integer(&a, 1)?;
    if n < 0 {
        return Err(FnError::Call("the size argument must be positive".into()));
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

pub(super) enum SetOp {
    Union,
    Intersection,
    Subtract,
}

pub(super) fn set_elements(a: &[Value], i: usize) -> Result<Vec<Value>, FnError> {
    match convert(a[i].clone(), &Type::set(Type::Any)) {
        Ok(Value::Set(xs)) => Ok(xs),
        _ => Err(arg_err(i, "set of any single type required")),
    }
}

pub(super) fn set_op(a: Vec<Value>, op: SetOp) -> Result<Value, FnError> {
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

pub(super) fn fn_setproduct(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
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

pub(super) fn fn_transpose(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
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

pub(super) fn fn_matchkeys(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
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
