//! Durations of `time_sleep`: Go's full syntax (parsed by `cairn_provider::duration`), which
//! the real provider accepts on import, and the narrower form its configuration validator
//! allows (one number and one unit of `ms`, `s`, `m` or `h`).
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
    use cairn_provider::duration::{GoDurationError, parse_go_duration};
    let nanos = parse_go_duration(input).map_err(|e| DurationError {
        input: input.to_string(),
        reason: match e {
            GoDurationError::Invalid => "expected a number",
            GoDurationError::MissingUnit => "missing unit (use ns, us, ms, s, m or h)",
            GoDurationError::UnknownUnit(_) => "unknown unit (use ns, us, ms, s, m or h)",
            GoDurationError::OutOfRange => "duration out of range",
        },
    })?;
    Ok(Duration::from_nanos(nanos.max(0) as u64))
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
