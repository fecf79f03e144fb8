//! Go's duration syntax (`time.ParseDuration`: `"30s"`, `"1m30s"`, `"1.5h"`, `"-2ms"`), as
//! `time_sleep` accepts it. Owns parsing only; sleeping is the caller's business.

use std::time::Duration;

/// A duration string that Go's `time.ParseDuration` would reject.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason}")]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

/// Parses a Go duration string. Negative durations are valid (Go accepts them) and are returned
/// as zero, since a negative sleep does not sleep.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let err = |reason| DurationError {
        input: input.to_string(),
        reason,
    };
    let mut s = input;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(err("empty duration"));
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let num_len = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (num, rest) = s.split_at(num_len);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(err("expected a number"));
        }
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let (unit, rest) = rest.split_at(unit_len);
        let nanos_per_unit = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(err("missing unit (use ns, us, ms, s, m or h)")),
            _ => return Err(err("unknown unit (use ns, us, ms, s, m or h)")),
        };
        let n: f64 = num.parse().map_err(|_| err("expected a number"))?;
        total += n * nanos_per_unit;
        s = rest;
    }
    // Go's durations are int64 nanoseconds: about 292 years.
    if total > i64::MAX as f64 {
        return Err(err("duration out of range"));
    }
    if negative {
        return Ok(Duration::ZERO);
    }
    Ok(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<u64>) {
        let got = parse_duration(input).ok().map(|d| d.as_millis() as u64);
        assert_eq!(got, expect, "{input}");
    }

    #[test]
    fn accepts_go_durations() {
        check("30s", Some(30_000));
        check("1m30s", Some(90_000));
        check("1.5h", Some(5_400_000));
        check("250ms", Some(250));
        check("0", Some(0));
        check("0s", Some(0));
        check("-5s", Some(0));
        check("+2s", Some(2000));
        check("1h2m3s4ms", Some(3_723_004));
        check("1000000us", Some(1000));
        check("2µs", Some(0));
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "",
            "30",
            "s",
            "1x",
            "1.2.3s",
            "abc",
            "1s 2s",
            ".s",
            "-",
            "9999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
        let e = parse_duration("10 minutes").unwrap_err();
        assert!(e.to_string().contains("10 minutes"));
    }
}
