//! Lengths of time as people write them, `30s`, `10m`, `1h`, `2d`: a correlation's `timespan`,
//! `suppress.for`, and the environment's `CORRELATION_LATENESS`, all read by one parser so a
//! value means the same wherever it is written. Each reader keeps its own bounds and its own
//! error text, which names the field or variable.
use std::time::Duration;

/// Where a duration is written, which decides what besides `<number><unit>` is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// In a rule: a unit is required.
    Rule,
    /// In an environment variable: a bare number counts seconds, as these values always have.
    Env,
}

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a whole number and a unit.
    #[error("expected a whole number and a unit s, m, h or d")]
    Malformed,
    /// A duration, but zero or longer than the reader allows.
    #[error("must be more than 0 and at most {max}")]
    OutOfRange {
        /// The longest accepted, as written (`30d`).
        max: String,
    },
}

/// `text` (spaces around it ignored) as a duration: digits and one of `s`, `m`, `h`, `d`.
/// Zero is a duration here; a reader that forbids it uses [`parse_within`]. A count too large
/// to hold saturates rather than wrapping.
pub fn parse(text: &str, syntax: Syntax) -> Result<Duration, DurationError> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ if syntax == Syntax::Env => (text, 's'),
        _ => return Err(DurationError::Malformed),
    };
    let unit_secs: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(DurationError::Malformed),
    };
    // Environment values were read with `u64::from_str`, which also takes a leading `+`.
    let digits = match syntax {
        Syntax::Env => digits.strip_prefix('+').unwrap_or(digits),
        Syntax::Rule => digits,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DurationError::Malformed);
    }
    let count = digits
        .parse::<u64>()
        .map_err(|_| DurationError::Malformed)?;
    Ok(Duration::from_secs(count.saturating_mul(unit_secs)))
}

/// [`parse`], then more than zero and at most `max`.
pub fn parse_within(text: &str, syntax: Syntax, max: Duration) -> Result<Duration, DurationError> {
    let d = parse(text, syntax)?;
    if d.is_zero() || d > max {
        return Err(DurationError::OutOfRange { max: written(max) });
    }
    Ok(d)
}

/// `d` in the largest unit that writes it whole (`30d`, `90m`, `45s`).
pub fn written(d: Duration) -> String {
    let secs = d.as_secs();
    match [(86_400, 'd'), (3600, 'h'), (60, 'm')]
        .into_iter()
        .find(|(unit, _)| secs > 0 && secs % unit == 0)
    {
        Some((unit, c)) => format!("{}{c}", secs / unit),
        None => format!("{secs}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn units_count_seconds_minutes_hours_days() {
        for syntax in [Syntax::Rule, Syntax::Env] {
            assert_eq!(parse("30s", syntax), Ok(S(30)));
            assert_eq!(parse("10m", syntax), Ok(S(600)));
            assert_eq!(parse(" 1h ", syntax), Ok(S(3600)));
            assert_eq!(parse("2d", syntax), Ok(S(172_800)));
            assert_eq!(parse("0m", syntax), Ok(S(0)));
        }
    }

    /// `CORRELATION_LATENESS=3600` was valid before units were; it still is.
    #[test]
    fn bare_seconds_and_a_sign_only_in_the_environment() {
        assert_eq!(parse("3600", Syntax::Env), Ok(S(3600)));
        assert_eq!(parse("0", Syntax::Env), Ok(S(0)));
        assert_eq!(parse("+5m", Syntax::Env), Ok(S(300)));
        for bare in ["3600", "+5m", "0"] {
            assert_eq!(
                parse(bare, Syntax::Rule),
                Err(DurationError::Malformed),
                "{bare}"
            );
        }
    }

    #[test]
    fn malformed_texts_are_refused() {
        for syntax in [Syntax::Rule, Syntax::Env] {
            for bad in [
                "", "m", "1w", "1.5h", "-1h", "1 h", "1hh", "h1", "1H", "++1m", "１h",
            ] {
                assert_eq!(parse(bad, syntax), Err(DurationError::Malformed), "{bad:?}");
            }
        }
    }

    /// The window check used to overflow-check in one reader and saturate in another; either way
    /// a count that does not fit was refused by the bound, and still is.
    #[test]
    fn huge_counts_saturate_and_fail_the_bound() {
        let huge = format!("{}d", u64::MAX);
        assert_eq!(parse(&huge, Syntax::Rule), Ok(S(u64::MAX)));
        assert!(matches!(
            parse_within(&huge, Syntax::Rule, S(86_400)),
            Err(DurationError::OutOfRange { .. })
        ));
    }

    #[test]
    fn bounds_refuse_zero_and_past_the_maximum_and_name_it() {
        let max = S(30 * 86_400);
        assert_eq!(parse_within("30d", Syntax::Rule, max), Ok(max));
        for out in ["0s", "31d", "721h"] {
            let err = parse_within(out, Syntax::Rule, max).unwrap_err();
            assert_eq!(
                err.to_string(),
                "must be more than 0 and at most 30d",
                "{out}"
            );
        }
    }

    #[test]
    fn written_picks_the_largest_whole_unit() {
        assert_eq!(written(S(30 * 86_400)), "30d");
        assert_eq!(written(S(5400)), "90m");
        assert_eq!(written(S(45)), "45s");
        assert_eq!(written(S(0)), "0s");
    }
}
