//! Policy durations: "90s", "10m", "4h", "5d", "4w", "3 business days",
//! and the response targets "immediate", "same business day",
//! "next business day" and "backlog".

use chrono::Duration;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::num::IntErrorKind;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Wall-clock time: an hour is an hour whatever the zone does.
    Fixed(Duration),
    /// The end of the Nth business day after the start.
    BusinessDays(u32),
    /// The end of the current business day (or the next, after hours).
    SameBusinessDay,
    NextBusinessDay,
    /// No deadline at all.
    Backlog,
}

/// The longest span a policy may set, in days: about a century. Longer
/// is a typo, and would overflow the date arithmetic every deadline,
/// paging step and retention period does.
pub const MAX_DAYS: u32 = 36_525;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSpan {
    #[error(
        "{0:?} is not a duration: use e.g. 90s, 10m, 4h, 5d, 4w, \"3 business days\", \"immediate\", \"same business day\", \"next business day\" or \"backlog\""
    )]
    Unknown(String),
    #[error("{0:?} is too long: a duration may be at most {MAX_DAYS} days (about 100 years)")]
    TooLong(String),
}

impl FromStr for Span {
    type Err = BadSpan;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || BadSpan::Unknown(s.to_owned());
        let too_long = || BadSpan::TooLong(s.to_owned());
        match t.as_str() {
            "immediate" | "immediately" => return Ok(Self::Fixed(Duration::zero())),
            "same business day" => return Ok(Self::SameBusinessDay),
            "next business day" => return Ok(Self::NextBusinessDay),
            "backlog" | "normal backlog" | "none" => return Ok(Self::Backlog),
            _ => {}
        }
        if let Some(n) = t
            .strip_suffix("business days")
            .or_else(|| t.strip_suffix("business day"))
        {
            return match n.trim().parse::<u32>() {
                Ok(0) => Err(bad()),
                Ok(n) if n <= MAX_DAYS => Ok(Self::BusinessDays(n)),
                Ok(_) => Err(too_long()),
                Err(e) if *e.kind() == IntErrorKind::PosOverflow => Err(too_long()),
                Err(_) => Err(bad()),
            };
        }
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (num, unit) = t.split_at(split);
        let unit_secs: i64 = match unit.trim() {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return Err(bad()),
        };
        let n: i64 = match num.parse() {
            Ok(n) => n,
            Err(e) if *e.kind() == IntErrorKind::PosOverflow => return Err(too_long()),
            Err(_) => return Err(bad()),
        };
        let secs = n
            .checked_mul(unit_secs)
            .filter(|s| *s <= i64::from(MAX_DAYS) * 86_400)
            .ok_or_else(too_long)?;
        Ok(Self::Fixed(Duration::seconds(secs)))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(d) if d.is_zero() => f.write_str("immediate"),
            Self::Fixed(d) => {
                let s = d.num_seconds();
                let (n, unit) = if s % 604_800 == 0 {
                    (s / 604_800, "w")
                } else if s % 86_400 == 0 {
                    (s / 86_400, "d")
                } else if s % 3600 == 0 {
                    (s / 3600, "h")
                } else if s % 60 == 0 {
                    (s / 60, "m")
                } else {
                    (s, "s")
                };
                write!(f, "{n}{unit}")
            }
            Self::BusinessDays(1) => f.write_str("1 business day"),
            Self::BusinessDays(n) => write!(f, "{n} business days"),
            Self::SameBusinessDay => f.write_str("same business day"),
            Self::NextBusinessDay => f.write_str("next business day"),
            Self::Backlog => f.write_str("backlog"),
        }
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases = [
            ("90s", Some(Span::Fixed(Duration::seconds(90)))),
            ("10m", Some(Span::Fixed(Duration::minutes(10)))),
            ("4h", Some(Span::Fixed(Duration::hours(4)))),
            ("5d", Some(Span::Fixed(Duration::days(5)))),
            ("4w", Some(Span::Fixed(Duration::weeks(4)))),
            ("3 business days", Some(Span::BusinessDays(3))),
            ("1 business day", Some(Span::BusinessDays(1))),
            ("Same business day", Some(Span::SameBusinessDay)),
            ("next business day", Some(Span::NextBusinessDay)),
            ("immediate", Some(Span::Fixed(Duration::zero()))),
            ("backlog", Some(Span::Backlog)),
            ("0 business days", None),
            ("4 hours", None),
            ("h4", None),
            ("", None),
            ("soon", None),
        ];
        for (input, want) in cases {
            assert_eq!(input.parse::<Span>().ok(), want, "{input:?}");
        }
    }

    /// Found by the `policy` fuzz target: `"49223372036807h"` panicked
    /// (TimeDelta::hours out of bounds), and spans that parsed but were
    /// centuries long overflowed the date arithmetic of deadlines, paging
    /// and retention, or spun for seconds counting business days.
    #[test]
    fn overlong_spans_are_refused() {
        let cases = [
            ("49223372036807h", true),
            ("9223372036854775807s", true),
            ("99999999999999999999w", true),
            ("999999999w", true),
            ("36526d", true),
            ("36525d", false),
            ("5218w", true),
            ("3155760000s", false),
            ("4000000000 business days", true),
            ("99999999999999999999 business days", true),
            ("36525 business days", false),
            ("36526 business days", true),
        ];
        for (input, too_long) in cases {
            match (input.parse::<Span>(), too_long) {
                (Err(BadSpan::TooLong(s)), true) => assert_eq!(s, input),
                (Ok(_), false) => {}
                (got, _) => panic!("{input}: {got:?}"),
            }
        }
        let e = "999999999w".parse::<Span>().unwrap_err().to_string();
        assert!(e.contains("at most 36525 days"), "{e}");
        // Zero and non-numbers are still not durations at all.
        for input in [
            "0 business days",
            "00 business days",
            "x business days",
            "h",
            "-5h",
        ] {
            assert!(
                matches!(input.parse::<Span>(), Err(BadSpan::Unknown(_))),
                "{input}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "90s",
            "10m",
            "4h",
            "5d",
            "4w",
            "3 business days",
            "1 business day",
            "same business day",
            "next business day",
            "immediate",
            "backlog",
        ] {
            let span: Span = s.parse().unwrap();
            assert_eq!(span.to_string(), s);
        }
        assert_eq!("48h".parse::<Span>().unwrap().to_string(), "2d");
    }
}
