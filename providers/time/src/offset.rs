//! `time_offset`: a base timestamp (`base_rfc3339`, else the current UTC time at creation) and
//! that timestamp moved by the `offset_*` arguments, with the moved one's calendar attributes.
//! Changing an offset or the base updates in place (the plan shows the new values); changing
//! `triggers` replaces it, taking a new base.
//!
//! The offsets are applied as the real provider applies them: each non-zero one is added to the
//! base on its own, in the order days, hours, minutes, months, seconds, years, and the last one
//! wins (so `offset_days = 1` with `offset_hours = 11` moves by 11 hours, not 35 — upstream issue
//! hashicorp/terraform-provider-time#257); with every offset zero the result is Go's zero time.

use cairn_provider::{Attribute, PlanResponse, ProviderError, Schema, Type, Value};

use crate::timestamp::{self, FIELDS, Stamp};
use crate::{Clock, base_stamp, err, int_attr, is_set, is_unknown, object, stamp_attr, str_attr};

pub const TYPE: &str = "time_offset";

/// The offset arguments and how each moves a timestamp, in the order they are applied.
const OFFSETS: [&str; 6] = [
    "offset_days",
    "offset_hours",
    "offset_minutes",
    "offset_months",
    "offset_seconds",
    "offset_years",
];

pub fn schema() -> Schema {
    let mut s = Schema::new()
        .attr(
            "base_rfc3339",
            Attribute::optional_computed(Type::String)
                .describe("Base timestamp in RFC 3339 format; defaults to the current time."),
        )
        .attr(
            "triggers",
            Attribute::optional(Type::map(Type::String))
                .force_new()
                .describe("Arbitrary map of values that, when changed, save a new base timestamp."),
        )
        .attr(
            "rfc3339",
            Attribute::computed(Type::String).describe("RFC 3339 format of the offset timestamp."),
        )
        .attr(
            "id",
            Attribute::computed(Type::String).describe("RFC 3339 format of the base timestamp."),
        );
    for o in OFFSETS {
        s = s.attr(o, Attribute::optional(Type::Number));
    }
    for f in FIELDS {
        s = s.attr(f, Attribute::computed(Type::Number));
    }
    s
}

pub fn validate(config: &Value) -> Result<(), ProviderError> {
    stamp_attr(TYPE, config, "base_rfc3339")?;
    for o in OFFSETS {
        int_attr(TYPE, config, o)?;
    }
    if !OFFSETS
        .iter()
        .any(|o| is_set(config, o) || is_unknown(config, o))
    {
        return Err(err(
            TYPE,
            format!("at least one of {} must be set", OFFSETS.join(", ")),
        ));
    }
    Ok(())
}

/// Go's zero `time.Time`: what an offset of all zeros yields.
fn go_zero_time() -> Stamp {
    chrono::DateTime::from_timestamp(-62_135_596_800, 0)
        .map(|t| t.fixed_offset())
        .unwrap_or_default()
}

/// The base moved by the offsets of `v` (see the module comment for the rule).
pub fn offset_from(v: &Value, base: &Stamp) -> Result<Stamp, ProviderError> {
    let range = |e: timestamp::StampError| err(TYPE, e);
    let mut out = go_zero_time();
    for name in OFFSETS {
        let n = int_attr(TYPE, v, name)?.unwrap_or(0);
        if n == 0 {
            continue;
        }
        out = match name {
            "offset_days" => timestamp::add_date(base, 0, 0, n),
            "offset_hours" => timestamp::add_seconds(base, n, 3600),
            "offset_minutes" => timestamp::add_seconds(base, n, 60),
            "offset_months" => timestamp::add_date(base, 0, n, 0),
            "offset_seconds" => timestamp::add_seconds(base, n, 1),
            _ => timestamp::add_date(base, n, 0, 0),
        }
        .map_err(range)?;
    }
    Ok(out)
}

/// Fills the computed attributes of `v` from `base`. A `base_rfc3339` that is already a string
/// (configured) is kept as written.
fn compute(v: &Value, base: &Stamp) -> Result<Value, ProviderError> {
    let moved = offset_from(v, base)?;
    let mut obj = object(TYPE, v)?;
    let base_text = match str_attr(TYPE, v, "base_rfc3339")? {
        Some(s) => s.to_string(),
        None => timestamp::format(base),
    };
    obj.extend(timestamp::fields(&moved).map(|(k, v)| (k.to_string(), v)));
    obj.insert("rfc3339".into(), Value::string(timestamp::format(&moved)));
    obj.insert("base_rfc3339".into(), Value::string(base_text));
    obj.insert("id".into(), Value::string(timestamp::format(base)));
    Ok(Value::Object(obj))
}

/// An in-place change shows its new values in the plan; a new object's are known after apply.
pub fn plan(mut r: PlanResponse, prior: Option<&Value>) -> Result<PlanResponse, ProviderError> {
    let Some(prior) = prior else { return Ok(r) };
    if !r.requires_replace.is_empty() || crate::same_by_json(&r.planned, prior) {
        return Ok(r);
    }
    let base = match stamp_attr(TYPE, &r.planned, "base_rfc3339")? {
        Some(b) => Some(b),
        None if is_unknown(&r.planned, "base_rfc3339") => None,
        None => stamp_attr(TYPE, prior, "base_rfc3339")?,
    };
    let offsets_known = OFFSETS.iter().all(|o| !is_unknown(&r.planned, o));
    r.planned = match base {
        Some(base) if offsets_known => compute(&r.planned, &base)?,
        _ => {
            let mut obj = object(TYPE, &r.planned)?;
            for k in FIELDS.iter().chain(&["rfc3339", "id"]) {
                obj.insert(k.to_string(), Value::Unknown);
            }
            Value::Object(obj)
        }
    };
    Ok(r)
}

pub fn apply(
    prior: Option<&Value>,
    planned: Option<&Value>,
    clock: &Clock,
) -> Result<Option<Value>, ProviderError> {
    let Some(planned) = planned else {
        return Ok(None);
    };
    let base = base_stamp(TYPE, planned, prior, "base_rfc3339", clock)?;
    compute(planned, &base).map(Some)
}

/// Imports `BASE_RFC3339,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS` (empty offsets are unset; at
/// least one must be given).
pub fn import(id: &str) -> Result<Value, ProviderError> {
    let parts: Vec<&str> = id.split(',').collect();
    if parts.len() != 7 || parts[0].is_empty() || parts[1..].iter().all(|p| p.is_empty()) {
        return Err(err(
            TYPE,
            format!(
                "unexpected import id {id:?}, expected BASE_RFC3339,YEARS,MONTHS,DAYS,HOURS,MINUTES,SECONDS \
                 where at least one offset is non-empty"
            ),
        ));
    }
    let base = timestamp::parse(parts[0]).map_err(|e| err(TYPE, format!("import id: {e}")))?;
    let names = [
        "offset_years",
        "offset_months",
        "offset_days",
        "offset_hours",
        "offset_minutes",
        "offset_seconds",
    ];
    let mut obj = cairn_provider::ValueMap::new();
    for (name, text) in names.iter().zip(&parts[1..]) {
        let v = if text.is_empty() {
            Value::Null
        } else {
            let n: i64 = text.parse().map_err(|_| {
                err(
                    TYPE,
                    format!("{name} in the import id: {text:?} is not an integer"),
                )
            })?;
            Value::number(n)
        };
        obj.insert(name.to_string(), v);
    }
    obj.insert("triggers".into(), Value::Null);
    compute(&Value::Object(obj), &base)
}
