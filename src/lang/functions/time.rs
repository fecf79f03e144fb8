//! Date and time functions (`formatdate`, `timeadd`, `timecmp`, `timestamp`, `plantimestamp`)
//! on `chrono`, with Terraform's RFC 3339 parsing, its `formatdate` mnemonics and Go's
//! duration syntax.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike, Utc};

use super::*;

/// Parses an RFC 3339 timestamp as Go's `time.Parse(time.RFC3339, ..)` does.
fn parse_timestamp(s: &str) -> Result<DateTime<FixedOffset>, String> {
    let b = s.as_bytes();
    let bad = |m: &str| Err(format!("not a valid RFC3339 timestamp: {m}"));
    // Report the first segment that is wrong, naming it as Terraform does.
    let digits = |from: usize, n: usize| -> bool {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    let segs: [(usize, usize, &str); 6] = [
        (0, 4, "year"),
        (5, 2, "month"),
        (8, 2, "day of month"),
        (11, 2, "hour"),
        (14, 2, "minute"),
        (17, 2, "second"),
    ];
    let seps: [(usize, u8); 5] = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    for (k, (from, n, what)) in segs.iter().enumerate() {
        if k > 0 {
            let (at, sep) = seps[k - 1];
            if b.len() <= at {
                if sep == b'T' {
                    return bad("missing required time introducer 'T'");
                }
                return bad(&format!(
                    "end of string where {:?} is expected",
                    sep as char
                ));
            }
            if b[at] != sep && !(sep == b'T' && b[at] == b't') {
                if sep == b'T' {
                    return bad("missing required time introducer 'T'");
                }
                let found: String = s[at..].chars().take(1).collect();
                return bad(&format!(
                    "found {found:?} where {:?} is expected",
                    sep as char
                ));
            }
        }
        if !digits(*from, *n) {
            if b.len() <= *from {
                return bad(&format!("end of string before {what}"));
            }
            // Go names the whole input for a bad year, and the field for the others.
            let val: String = if *from == 0 {
                s.to_string()
            } else {
                s.get(*from..).unwrap_or("").chars().take(*n).collect()
            };
            return bad(&format!("cannot use {val:?} as {what}"));
        }
    }
    // Go checks each field's range as it reads it, naming the rest of the input.
    let field = |from: usize| s[from..from + 2].parse::<u32>().unwrap_or(0);
    let month = field(5);
    if !(1..=12).contains(&month) {
        return bad(&format!("cannot use {:?} as month", &s[7..]));
    }
    if field(8) > 31 || field(8) == 0 {
        return bad("day out of range");
    }
    if field(11) > 23 {
        return bad("hour must be between 0 and 23 inclusive");
    }
    if field(14) > 59 {
        return bad("minute must have exactly two digits");
    }
    DateTime::parse_from_rfc3339(s).map_err(|e| {
        let rest = s.get(19..).unwrap_or("");
        if rest.is_empty() {
            "not a valid RFC3339 timestamp: end of string before UTC offset".to_string()
        } else if e.kind() == chrono::format::ParseErrorKind::OutOfRange {
            "not a valid RFC3339 timestamp: day out of range".to_string()
        } else {
            format!("not a valid RFC3339 timestamp: cannot use {rest:?} as UTC offset")
        }
    })
}

/// Formats as Go's `time.RFC3339`: whole seconds, `Z` for a zero offset.
fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    if t.offset().local_minus_utc() == 0 {
        t.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    } else {
        t.to_rfc3339_opts(SecondsFormat::Secs, false)
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

pub(super) fn fn_formatdate(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let spec = string(&a, 0)?;
    let t = parse_timestamp(&string(&a, 1)?).map_err(|e| arg_err(1, e))?;
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            let mut lit = String::new();
            let mut closed = false;
            while j < chars.len() {
                if chars[j] == '\'' {
                    if chars.get(j + 1) == Some(&'\'') {
                        lit.push('\'');
                        j += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                lit.push(chars[j]);
                j += 1;
            }
            if !closed {
                return Err(arg_err(0, "unterminated literal '"));
            }
            out.push_str(&lit);
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        let tok: String = chars[i..i + n].iter().collect();
        i += n;
        let bad = |m: &str| -> Result<Value, FnError> {
            Err(arg_err(0, format!("invalid date format verb {tok:?}{m}")))
        };
        let pad = |v: u32, n: usize| {
            if n == 2 {
                format!("{v:02}")
            } else {
                v.to_string()
            }
        };
        match (c, n) {
            ('Y', 2) => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
            ('Y', 4) => out.push_str(&format!("{:04}", t.year())),
            ('Y', _) => return bad(": year must either be \"YY\" or \"YYYY\""),
            ('M', 1 | 2) => out.push_str(&pad(t.month(), n)),
            ('M', 3) => out.push_str(&MONTHS[t.month0() as usize][..3]),
            ('M', 4) => out.push_str(MONTHS[t.month0() as usize]),
            ('M', _) => return bad(": month must be \"M\", \"MM\", \"MMM\", or \"MMMM\""),
            ('D', 1 | 2) => out.push_str(&pad(t.day(), n)),
            ('D', _) => return bad(": day of month must either be \"D\" or \"DD\""),
            ('E', 3) => out.push_str(&DAYS[t.weekday().num_days_from_monday() as usize][..3]),
            ('E', 4) => out.push_str(DAYS[t.weekday().num_days_from_monday() as usize]),
            ('E', _) => return bad(": day of week must either be \"EEE\" or \"EEEE\""),
            ('h', 1 | 2) => out.push_str(&pad(t.hour(), n)),
            ('h', _) => return bad(": 24-hour must either be \"h\" or \"hh\""),
            ('H', 1 | 2) => {
                let h = match t.hour() % 12 {
                    0 => 12,
                    h => h,
                };
                out.push_str(&pad(h, n))
            }
            ('H', _) => return bad(": 12-hour must either be \"H\" or \"HH\""),
            ('A' | 'a', 2) => {
                let pm = t.hour() >= 12;
                out.push_str(match (c, pm) {
                    ('A', false) => "AM",
                    ('A', true) => "PM",
                    (_, false) => "am",
                    (_, true) => "pm",
                })
            }
            ('A' | 'a', _) => return bad(&format!(": must be \"{c}{c}\"")),
            ('m', 1 | 2) => out.push_str(&pad(t.minute(), n)),
            ('m', _) => return bad(": minute must either be \"m\" or \"mm\""),
            ('s', 1 | 2) => out.push_str(&pad(t.second(), n)),
            ('s', _) => return bad(": second must either be \"s\" or \"ss\""),
            ('Z', 1 | 3 | 4 | 5) => {
                let off = t.offset().local_minus_utc();
                let sign = if off < 0 { '-' } else { '+' };
                let (hh, mm) = (off.abs() / 3600, off.abs() % 3600 / 60);
                out.push_str(&match n {
                    1 if off == 0 => "Z".to_string(),
                    3 if off == 0 => "UTC".to_string(),
                    1 | 5 => format!("{sign}{hh:02}:{mm:02}"),
                    _ => format!("{sign}{hh:02}{mm:02}"),
                })
            }
            ('Z', _) => return bad(": timezone must be Z, ZZZZ, or ZZZZZ"),
            _ => return bad(""),
        }
    }
    Ok(Value::String(out))
}

/// Parses Go's duration syntax into signed nanoseconds, with Go's error messages.
fn parse_go_duration(input: &str) -> Result<i128, String> {
    use cairn_provider::duration::GoDurationError;
    cairn_provider::duration::parse_go_duration(input).map_err(|e| match e {
        GoDurationError::MissingUnit => format!("time: missing unit in duration {input:?}"),
        GoDurationError::UnknownUnit(u) => {
            format!("time: unknown unit {u:?} in duration {input:?}")
        }
        GoDurationError::Invalid | GoDurationError::OutOfRange => {
            format!("time: invalid duration {input:?}")
        }
    })
}

pub(super) fn fn_timeadd(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let t = parse_timestamp(&string(&a, 0)?).map_err(FnError::Call)?;
    let ns = parse_go_duration(&string(&a, 1)?).map_err(FnError::Call)?;
    let d = chrono::Duration::nanoseconds(ns as i64);
    let r = t
        .checked_add_signed(d)
        .ok_or_else(|| FnError::Call("the resulting time is out of range".into()))?;
    Ok(Value::String(rfc3339(&r)))
}

pub(super) fn fn_timecmp(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let x = parse_timestamp(&string(&a, 0)?).map_err(|e| arg_err(0, e))?;
    let y = parse_timestamp(&string(&a, 1)?).map_err(|e| arg_err(1, e))?;
    Ok(Value::number(match x.cmp(&y) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn fn_timestamp(_: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    if ctx.scope.impure_unknown() {
        return Ok(Value::Unknown);
    }
    Ok(Value::String(now()))
}

/// The time the plan was made: the same value for every call in one run of cairn, known while
/// planning (unlike `timestamp`).
pub(super) fn fn_plantimestamp(_: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    static PLAN_TIME: OnceLock<String> = OnceLock::new();
    Ok(Value::String(PLAN_TIME.get_or_init(now).clone()))
}
