//! Wall-clock time in an IANA zone: a local date and time to the instant it
//! names, and weekday names. Both the business calendar and on-call
//! handoffs keep a local time across DST changes, so both convert here.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;

/// Which instant a local time names when the clocks go back and it
/// happens twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    Earliest,
    Latest,
}

/// The instant a wall clock in `tz` first reads `local` (or, with
/// [`Fold::Latest`], last reads it when it reads it twice). A local time
/// the clocks skip (spring forward) names the instant the skip ends: the
/// first the wall clock reads anything later. So the result never falls
/// before a local time's wall-clock moment, and later local times never
/// name earlier instants.
pub fn instant(tz: Tz, local: NaiveDateTime, fold: Fold) -> DateTime<Utc> {
    let pick = |l: &NaiveDateTime| {
        let r = tz.from_local_datetime(l);
        match fold {
            Fold::Earliest => r.earliest(),
            Fold::Latest => r.latest(),
        }
    };
    if let Some(t) = pick(&local) {
        return t.with_timezone(&Utc);
    }
    // In a gap: the first whole minute after it (gaps start and end on
    // whole minutes; the longest skipped a whole day, Samoa 2011).
    let mut l = local
        .with_second(0)
        .and_then(|l| l.with_nanosecond(0))
        .unwrap_or(local);
    for _ in 0..(26 * 60) {
        l = match l.checked_add_signed(Duration::minutes(1)) {
            Some(next) => next,
            None => break,
        };
        if let Some(t) = tz.from_local_datetime(&l).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&local)
}

/// The week in order, Monday first.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A weekday by its English name or its first three letters, any case.
pub fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.trim().to_ascii_lowercase().get(..3)? {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

/// `Mon`, `Tue`, ...
pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn instants_across_dst() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let ny: Tz = "America/New_York".parse().unwrap();
        let sydney: Tz = "Australia/Sydney".parse().unwrap();
        let cases = [
            // Plain winter and summer.
            (
                berlin,
                "2026-01-05 09:00",
                Fold::Earliest,
                "2026-01-05T08:00:00Z",
            ),
            (
                berlin,
                "2026-07-06 09:00",
                Fold::Earliest,
                "2026-07-06T07:00:00Z",
            ),
            // Skipped: 02:30 on 29 March names 03:00 CEST, when the skip ends.
            (
                berlin,
                "2026-03-29 02:30",
                Fold::Earliest,
                "2026-03-29T01:00:00Z",
            ),
            // Twice: 02:30 on 25 October is 00:30Z in CEST, 01:30Z in CET.
            (
                berlin,
                "2026-10-25 02:30",
                Fold::Earliest,
                "2026-10-25T00:30:00Z",
            ),
            (
                berlin,
                "2026-10-25 02:30",
                Fold::Latest,
                "2026-10-25T01:30:00Z",
            ),
            (
                ny,
                "2026-03-08 02:15",
                Fold::Earliest,
                "2026-03-08T07:00:00Z",
            ),
            (
                ny,
                "2026-11-01 01:30",
                Fold::Earliest,
                "2026-11-01T05:30:00Z",
            ),
            // Sydney springs forward in October and falls back in April.
            (
                sydney,
                "2026-10-04 02:30",
                Fold::Earliest,
                "2026-10-03T16:00:00Z",
            ),
            (
                sydney,
                "2026-04-05 02:30",
                Fold::Earliest,
                "2026-04-04T15:30:00Z",
            ),
        ];
        for (tz, l, fold, want) in cases {
            assert_eq!(instant(tz, local(l), fold), t(want), "{tz} {l} {fold:?}");
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday("monday"), Some(Weekday::Mon));
        assert_eq!(weekday("SUN"), Some(Weekday::Sun));
        assert_eq!(weekday("Mo"), None);
        assert_eq!(weekday_name(Weekday::Thu), "Thu");
    }
}
