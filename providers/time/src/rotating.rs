//! `time_rotating`: a base timestamp (`rfc3339`, else the current UTC time at creation) and a
//! rotation timestamp after it (`rotation_rfc3339`, configured or derived from the `rotation_*`
//! arguments), with the rotation timestamp's calendar attributes. Once the rotation time has
//! passed, reading reports the object gone, so the next plan creates a new one with a new base;
//! changing `rfc3339` or `triggers` replaces it, and a configured `rotation_rfc3339` that changes
//! after the old rotation time also replaces it. Changing the rotation arguments otherwise updates
//! in place, and the plan shows the new values.
//!
//! The rotation arguments apply as in the real provider: each non-zero one is added to the base
//! on its own, in the order days, hours, minutes, months, then a configured `rotation_rfc3339`,
//! then years, and the last one wins.

use chrono::{DateTime, Utc};

use cairn_provider::{Attribute, PathStep, PlanResponse, ProviderError, Schema, Type, Value};

use crate::timestamp::{self, FIELDS, Stamp};
use crate::{Clock, base_stamp, err, int_attr, is_set, is_unknown, object, stamp_attr, str_attr};

pub const TYPE: &str = "time_rotating";

/// The whole-number rotation arguments.
const ROTATIONS: [&str; 5] = [
    "rotation_days",
    "rotation_hours",
    "rotation_minutes",
    "rotation_months",
    "rotation_years",
];

pub fn schema() -> Schema {
    let mut s = Schema::new()
        .attr(
            "rfc3339",
            Attribute::optional_computed(Type::String)
                .force_new()
                .describe("Base timestamp in RFC 3339 format; defaults to the current time."),
        )
        .attr(
            "rotation_rfc3339",
            Attribute::optional_computed(Type::String)
                .describe("The rotation timestamp in RFC 3339 format."),
        )
        .attr(
            "triggers",
            Attribute::optional(Type::map(Type::String))
                .force_new()
                .describe("Arbitrary map of values that, when changed, save a new base timestamp."),
        )
        .attr(
            "id",
            Attribute::computed(Type::String).describe("RFC 3339 format of the base timestamp."),
        );
    for r in ROTATIONS {
        s = s.attr(r, Attribute::optional(Type::Number));
    }
    for f in FIELDS {
        s = s.attr(f, Attribute::computed(Type::Number));
    }
    s
}

pub fn validate(config: &Value) -> Result<(), ProviderError> {
    stamp_attr(TYPE, config, "rfc3339")?;
    stamp_attr(TYPE, config, "rotation_rfc3339")?;
    for r in ROTATIONS {
        if let Some(n) = int_attr(TYPE, config, r)?
            && n < 1
        {
            return Err(err(TYPE, format!("{r} must be at least 1, got {n}")));
        }
    }
    let all = ROTATIONS.iter().chain(&["rotation_rfc3339"]);
    if !all
        .into_iter()
        .any(|r| is_set(config, r) || is_unknown(config, r))
    {
        return Err(err(
            TYPE,
            format!(
                "at least one of {}, rotation_rfc3339 must be set",
                ROTATIONS.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The rotation timestamp of `v` from `base`; `fixed` is a configured `rotation_rfc3339`.
fn rotation_from(v: &Value, base: &Stamp, fixed: Option<&Stamp>) -> Result<Stamp, ProviderError> {
    let range = |e: timestamp::StampError| err(TYPE, e);
    let n = |name| int_attr(TYPE, v, name).map(|x| x.unwrap_or(0));
    let mut out = chrono::DateTime::from_timestamp(-62_135_596_800, 0)
        .map(|t| t.fixed_offset())
        .unwrap_or_default();
    let days = n("rotation_days")?;
    if days != 0 {
        out = timestamp::add_date(base, 0, 0, days).map_err(range)?;
    }
    let hours = n("rotation_hours")?;
    if hours != 0 {
        out = timestamp::add_seconds(base, hours, 3600).map_err(range)?;
    }
    let minutes = n("rotation_minutes")?;
    if minutes != 0 {
        out = timestamp::add_seconds(base, minutes, 60).map_err(range)?;
    }
    let months = n("rotation_months")?;
    if months != 0 {
        out = timestamp::add_date(base, 0, months, 0).map_err(range)?;
    }
    if let Some(f) = fixed {
        out = *f;
    }
    let years = n("rotation_years")?;
    if years != 0 {
        out = timestamp::add_date(base, years, 0, 0).map_err(range)?;
    }
    Ok(out)
}

/// Fills the computed attributes of `v` from `base`. `fixed_rotation` says whether a string
/// `rotation_rfc3339` in `v` is configured (kept as written) rather than stale.
fn compute(v: &Value, base: &Stamp, fixed_rotation: bool) -> Result<Value, ProviderError> {
    let fixed = if fixed_rotation {
        stamp_attr(TYPE, v, "rotation_rfc3339")?
    } else {
        None
    };
    let rotation = rotation_from(v, base, fixed.as_ref())?;
    let mut obj = object(TYPE, v)?;
    let rotation_text = match (fixed, str_attr(TYPE, v, "rotation_rfc3339")?) {
        (Some(_), Some(s)) => s.to_string(),
        _ => timestamp::format(&rotation),
    };
    let base_text = match str_attr(TYPE, v, "rfc3339")? {
        Some(s) => s.to_string(),
        None => timestamp::format(base),
    };
    obj.extend(timestamp::fields(&rotation).map(|(k, v)| (k.to_string(), v)));
    obj.insert("rotation_rfc3339".into(), Value::string(rotation_text));
    obj.insert("rfc3339".into(), Value::string(base_text));
    obj.insert("id".into(), Value::string(timestamp::format(base)));
    Ok(Value::Object(obj))
}

/// Whether the rotation arguments of `planned` (with `rotation_rfc3339` as configured) differ
/// from the prior object's.
fn rotation_changed(planned: &Value, prior: &Value, config: &Value) -> bool {
    let null = Value::Null;
    let get = |v: &Value, k: &str| v.get_attr(k).unwrap_or(&null).to_json();
    ROTATIONS.iter().any(|r| get(planned, r) != get(prior, r))
        || (is_set(config, "rotation_rfc3339")
            && get(config, "rotation_rfc3339") != get(prior, "rotation_rfc3339"))
}

pub fn plan(
    mut r: PlanResponse,
    prior: Option<&Value>,
    config: &Value,
    now: DateTime<Utc>,
) -> Result<PlanResponse, ProviderError> {
    let Some(prior) = prior else { return Ok(r) };
    if !r.requires_replace.is_empty() || !rotation_changed(&r.planned, prior, config) {
        return Ok(r);
    }
    // A configured rotation time that changes after the old one has passed replaces the object.
    if is_set(config, "rotation_rfc3339")
        && let Some(old) = stamp_attr(TYPE, prior, "rotation_rfc3339")?
        && now > old
    {
        let mut fresh = crate::plan_by_schema(&schema(), None, config);
        fresh.requires_replace = vec![vec![PathStep::Attr("rotation_rfc3339".into())]];
        return Ok(fresh);
    }
    let configured = is_set(config, "rotation_rfc3339");
    let known = ROTATIONS.iter().all(|k| !is_unknown(&r.planned, k))
        && !is_unknown(&r.planned, "rotation_rfc3339");
    r.planned = match stamp_attr(TYPE, &r.planned, "rfc3339")? {
        Some(base) if known => compute(&r.planned, &base, configured)?,
        _ => {
            let mut obj = object(TYPE, &r.planned)?;
            for k in FIELDS {
                obj.insert(k.to_string(), Value::Unknown);
            }
            if !configured {
                obj.insert("rotation_rfc3339".into(), Value::Unknown);
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
    let base = base_stamp(TYPE, planned, prior, "rfc3339", clock)?;
    // On create a string `rotation_rfc3339` can only be configured; on update the plan has
    // already derived it from the arguments, so recomputing with it gives the same answer.
    compute(planned, &base, true).map(Some)
}

/// An object whose rotation time has passed is gone: the next plan creates a new one.
pub fn read(current: &Value, now: DateTime<Utc>) -> Result<Option<Value>, ProviderError> {
    match str_attr(TYPE, current, "rotation_rfc3339")? {
        Some(s) if !s.is_empty() => {
            let at = timestamp::parse(s)
                .map_err(|e| err(TYPE, format!("rotation_rfc3339 in state: {e}")))?;
            if now > at {
                return Ok(None);
            }
            Ok(Some(current.clone()))
        }
        _ => Ok(Some(current.clone())),
    }
}

/// Imports `BASE_RFC3339,ROTATION_RFC3339` or `BASE_RFC3339,YEARS,MONTHS,DAYS,HOURS,MINUTES`.
pub fn import(id: &str) -> Result<Value, ProviderError> {
    let parts: Vec<&str> = id.split(',').collect();
    let bad = || {
        err(
            TYPE,
            format!(
                "unexpected import id {id:?}, expected BASE_RFC3339,ROTATION_RFC3339 or \
                 BASE_RFC3339,YEARS,MONTHS,DAYS,HOURS,MINUTES with at least one rotation"
            ),
        )
    };
    let parse = |s: &str| timestamp::parse(s).map_err(|e| err(TYPE, format!("import id: {e}")));
    let mut obj = cairn_provider::ValueMap::new();
    for r in ROTATIONS {
        obj.insert(r.to_string(), Value::Null);
    }
    obj.insert("triggers".into(), Value::Null);
    match parts.len() {
        2 if !parts[0].is_empty() && !parts[1].is_empty() => {
            let base = parse(parts[0])?;
            parse(parts[1])?;
            obj.insert("rotation_rfc3339".into(), Value::string(parts[1]));
            compute(&Value::Object(obj), &base, true)
        }
        6 if !parts[0].is_empty() && parts[1..].iter().any(|p| !p.is_empty()) => {
            let base = parse(parts[0])?;
            let names = [
                "rotation_years",
                "rotation_months",
                "rotation_days",
                "rotation_hours",
                "rotation_minutes",
            ];
            for (name, text) in names.iter().zip(&parts[1..]) {
                if text.is_empty() {
                    continue;
                }
                let n: i64 = text.parse().map_err(|_| {
                    err(
                        TYPE,
                        format!("{name} in the import id: {text:?} is not an integer"),
                    )
                })?;
                obj.insert(name.to_string(), Value::number(n));
            }
            let mut v = compute(&Value::Object(obj), &base, false)?;
            // The real provider keeps the base as written in the id here.
            if let Value::Object(m) = &mut v {
                m.insert("id".into(), Value::string(parts[0]));
            }
            Ok(v)
        }
        _ => Err(bad()),
    }
}
