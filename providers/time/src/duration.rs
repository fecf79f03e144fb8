//! Durations of `time_sleep`: Go's full syntax (`time.ParseDuration`: `"30s"`, `"1m30s"`,
//! `"1.5h"`, `"-2ms"`), which the real provider accepts on import, and the narrower form its
//! configuration validator allows (one number and one unit of `ms`, `s`, `m` or `h`).
//! Owns parsing only; sleeping is the caller's business.

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

/// Parses a configured `create_duration` or `destroy_duration`: the real provider accepts only
/// `^[0-9]+(\.[0-9]+)?(ms|s|m|h)$` there, though Go's parser would take more (`"1m30s"`).
pub fn parse_sleep_duration(input: &str) -> Result<Duration, DurationError> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let number = input
        .strip_suffix("ms")
        .or_else(|| input.strip_suffix('s'))
        .or_else(|| input.strip_suffix('m'))
        .or_else(|| input.strip_suffix('h'));
    let well_formed = number.is_some_and(|n| match n.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(n),
    });
    if !well_formed {
        return Err(DurationError {
            input: input.to_string(),
            reason: "must be a number immediately followed by ms (milliseconds), s (seconds), \
                     m (minutes), or h (hours), for example \"30s\" for 30 seconds",
        });
    }
    parse_duration(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_durations_take_one_number_and_one_unit() {
        let ms = |s: &str| parse_sleep_duration(s).ok().map(|d| d.as_millis() as u64);
        assert_eq!(ms("30s"), Some(30_000));
        assert_eq!(ms("250ms"), Some(250));
        assert_eq!(ms("1.5m"), Some(90_000));
        assert_eq!(ms("2h"), Some(7_200_000));
        for bad in [
            "1m30s", "-5s", "+2s", "0", "1.s", ".5s", "10", "5us", "s", "", " 5s",
        ] {
            assert_eq!(ms(bad), None, "{bad:?}");
        }
        let e = parse_sleep_duration("1m30s").unwrap_err();
        assert!(e.to_string().contains("immediately followed by"), "{e}");
    }

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
