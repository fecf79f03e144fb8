//! Timestamps as the `hashicorp/time` resources handle them, with Go's rules: RFC 3339 parsing
//! and formatting (`time.RFC3339`: whole seconds, `Z` for UTC, else `±hh:mm`), calendar
//! arithmetic that normalises overflow like `time.AddDate` (January 31 plus one month is March 3
//! or 2, not February 28), and the computed `year`…`unix` attributes of a timestamp.
//! Owns no resource logic and reads no clock.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta, TimeZone, Timelike, Utc};

use cairn_provider::Value;

/// A timestamp with the UTC offset it was written with (Go's `time.Time` keeps its location, and
/// the calendar fields are read in it).
pub type Stamp = DateTime<FixedOffset>;

/// A string that is not an RFC 3339 timestamp, or arithmetic out of the representable range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StampError {
    #[error("{0:?} is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SSZ or with an offset)")]
    Syntax(String),
    #[error("timestamp out of range")]
    Range,
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`, as Go's `time.Parse(time.RFC3339, s)`.
pub fn parse(s: &str) -> Result<Stamp, StampError> {
    // chrono also accepts a lower-case `t` or a space as the separator; Go does not.
    if s.as_bytes().get(10) != Some(&b'T') {
        return Err(StampError::Syntax(s.to_string()));
    }
    DateTime::parse_from_rfc3339(s).map_err(|_| StampError::Syntax(s.to_string()))
}

/// Go's `t.Format(time.RFC3339)`: whole seconds, `Z` for a zero offset.
pub fn format(t: &Stamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The current time as a [`Stamp`] in UTC.
pub fn utc(t: DateTime<Utc>) -> Stamp {
    t.fixed_offset()
}

/// Go's `t.AddDate(years, months, days)`: adds to the wall-clock fields, then normalises.
pub fn add_date(t: &Stamp, years: i64, months: i64, days: i64) -> Result<Stamp, StampError> {
    let local = t.naive_local();
    let month_index = i64::from(local.year())
        .checked_mul(12)
        .and_then(|m| m.checked_add(i64::from(local.month0())))
        .and_then(|m| m.checked_add(years.checked_mul(12)?))
        .and_then(|m| m.checked_add(months))
        .ok_or(StampError::Range)?;
    let year = i32::try_from(month_index.div_euclid(12)).map_err(|_| StampError::Range)?;
    let month = month_index.rem_euclid(12) as u32 + 1;
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or(StampError::Range)?;
    let offset_days = i64::from(local.day() - 1)
        .checked_add(days)
        .and_then(TimeDelta::try_days)
        .ok_or(StampError::Range)?;
    let date = first
        .checked_add_signed(offset_days)
        .ok_or(StampError::Range)?;
    t.offset()
        .from_local_datetime(&date.and_time(local.time()))
        .single()
        .ok_or(StampError::Range)
}

/// Adds a whole number of `unit_seconds` (3600 for hours, ...), as Go's `t.Add(n * unit)`.
pub fn add_seconds(t: &Stamp, n: i64, unit_seconds: i64) -> Result<Stamp, StampError> {
    n.checked_mul(unit_seconds)
        .and_then(TimeDelta::try_seconds)
        .and_then(|d| t.checked_add_signed(d))
        .ok_or(StampError::Range)
}

/// The computed calendar attributes of a timestamp: `year`, `month`, `day`, `hour`, `minute`,
/// `second` (in the timestamp's own offset) and `unix` (seconds since the epoch).
pub fn fields(t: &Stamp) -> [(&'static str, Value); 7] {
    let n = |x: u32| Value::number(i64::from(x));
    [
        ("year", Value::number(i64::from(t.year()))),
        ("month", n(t.month())),
        ("day", n(t.day())),
        ("hour", n(t.hour())),
        ("minute", n(t.minute())),
        ("second", n(t.second())),
        ("unix", Value::number(t.timestamp())),
    ]
}

/// The names of [`fields`].
pub const FIELDS: [&str; 7] = ["year", "month", "day", "hour", "minute", "second", "unix"];

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Stamp {
        parse(s).unwrap()
    }

    #[test]
    fn parses_and_formats_like_go() {
        assert_eq!(format(&at("2020-02-12T06:36:13Z")), "2020-02-12T06:36:13Z");
        assert_eq!(
            format(&at("2020-02-12T06:36:13+01:00")),
            "2020-02-12T06:36:13+01:00"
        );
        assert_eq!(
            format(&at("2020-02-12T06:36:13.75Z")),
            "2020-02-12T06:36:13Z"
        );
        assert_eq!(
            format(&at("2020-02-12T06:36:13+00:00")),
            "2020-02-12T06:36:13Z"
        );
        for bad in [
            "2020-02-12",
            "2020-02-12 06:36:13Z",
            "2020-02-12t06:36:13Z",
            "2020-02-12T06:36:13",
            "2020-02-30T00:00:00Z",
            "",
            "now",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn add_date_normalises_overflow_like_go() {
        let t = at("2021-01-31T10:00:00Z");
        assert_eq!(
            format(&add_date(&t, 0, 1, 0).unwrap()),
            "2021-03-03T10:00:00Z"
        );
        assert_eq!(
            format(&add_date(&t, 0, -2, 0).unwrap()),
            "2020-12-01T10:00:00Z"
        );
        assert_eq!(
            format(&add_date(&t, 1, 0, 1).unwrap()),
            "2022-02-01T10:00:00Z"
        );
        let leap = at("2020-02-29T00:00:00+05:30");
        assert_eq!(
            format(&add_date(&leap, 1, 0, 0).unwrap()),
            "2021-03-01T00:00:00+05:30"
        );
        assert_eq!(
            format(&add_date(&leap, 0, 0, -60).unwrap()),
            "2019-12-31T00:00:00+05:30"
        );
        assert_eq!(add_date(&t, i64::MAX, 0, 0), Err(StampError::Range));
    }

    #[test]
    fn fields_are_read_in_the_timestamps_offset() {
        let t = at("2020-02-12T23:36:13-02:00");
        let f: Vec<(&str, i64)> = fields(&t)
            .into_iter()
            .map(|(k, v)| (k, v.as_number().and_then(|n| n.as_i64()).unwrap()))
            .collect();
        assert_eq!(
            f,
            vec![
                ("year", 2020),
                ("month", 2),
                ("day", 12),
                ("hour", 23),
                ("minute", 36),
                ("second", 13),
                ("unix", 1_581_557_773),
            ]
        );
        assert_eq!(
            format(&add_seconds(&t, 90, 60).unwrap()),
            "2020-02-13T01:06:13-02:00"
        );
    }
}
