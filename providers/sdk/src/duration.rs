//! Go's duration syntax (`time.ParseDuration`: `"30s"`, `"1m30s"`, `"1.5h"`, `"-2ms"`), which
//! Terraform's `timeadd` and the hashicorp/time provider both accept. Owns parsing only: each
//! caller words its own errors and decides what a negative duration means.

/// Why a duration string is not one Go accepts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GoDurationError {
    #[error("invalid duration")]
    Invalid,
    #[error("missing unit")]
    MissingUnit,
    #[error("unknown unit {0:?}")]
    UnknownUnit(String),
    /// Beyond Go's int64 nanoseconds (about 292 years).
    #[error("duration out of range")]
    OutOfRange,
}

/// Parses a Go duration into signed nanoseconds.
pub fn parse_go_duration(input: &str) -> Result<i128, GoDurationError> {
    let mut s = input;
    let negative = match s.strip_prefix('-') {
        Some(rest) => {
            s = rest;
            true
        }
        None => {
            s = s.strip_prefix('+').unwrap_or(s);
            false
        }
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(GoDurationError::Invalid);
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        // Digits, then at most one fraction, as Go reads them ("1.2.3s" has no unit after 1.2).
        let digits = |t: &str| t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let mut num_len = digits(s);
        if s[num_len..].starts_with('.') {
            num_len += 1 + digits(&s[num_len + 1..]);
        }
        let (num, rest) = s.split_at(num_len);
        if num.is_empty() || num == "." {
            return Err(GoDurationError::Invalid);
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
            "" => return Err(GoDurationError::MissingUnit),
            other => return Err(GoDurationError::UnknownUnit(other.to_string())),
        };
        let n: f64 = num.parse().map_err(|_| GoDurationError::Invalid)?;
        total += n * nanos_per_unit;
        s = rest;
    }
    if total > i64::MAX as f64 {
        return Err(GoDurationError::OutOfRange);
    }
    let nanos = total.round() as i128;
    Ok(if negative { -nanos } else { nanos })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (input, nanos) in [
            ("0", 0),
            ("-0", 0),
            ("30s", 30_000_000_000),
            ("1m30s", 90_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("-2ms", -2_000_000),
            ("+3us", 3_000),
            ("2µs", 2_000),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
        ] {
            assert_eq!(parse_go_duration(input), Ok(nanos), "{input}");
        }
        for (input, e) in [
            ("", GoDurationError::Invalid),
            ("-", GoDurationError::Invalid),
            (".s", GoDurationError::Invalid),
            ("1.2.3s", GoDurationError::MissingUnit),
            ("10", GoDurationError::MissingUnit),
            (
                "10 minutes",
                GoDurationError::UnknownUnit(" minutes".into()),
            ),
            ("3d", GoDurationError::UnknownUnit("d".into())),
            ("3000000h", GoDurationError::OutOfRange),
        ] {
            assert_eq!(parse_go_duration(input), Err(e), "{input}");
        }
    }
}
