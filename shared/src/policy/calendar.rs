//! Business days in the vendor's zone: working weekdays, holidays, and
//! when a business day ends. DST is handled by doing day arithmetic on
//! local dates and converting only the final local time to UTC.

use super::duration::Span;
use crate::domain::local_time::{Fold, instant, weekday};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The calendar as written in the policy file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    pub time_zone: String,
    pub workdays: Vec<String>,
    pub business_day_end: String,
    /// When a business day starts, for pages that wait for working hours.
    #[serde(default = "nine")]
    pub business_day_start: String,
    #[serde(default)]
    pub holidays: Vec<String>,
}

fn nine() -> String {
    "09:00".into()
}

#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    workdays: [bool; 7],
    day_start: NaiveTime,
    day_end: NaiveTime,
    holidays: BTreeSet<NaiveDate>,
}

/// Searching further than this for a business day means the calendar has none.
const MAX_DAYS: u32 = 3660;

impl Calendar {
    /// The plan's time zone, for showing times to people.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub fn from_spec(spec: &CalendarSpec) -> Result<Self, String> {
        let tz: Tz = spec.time_zone.parse().map_err(|_| {
            format!(
                "calendar.time_zone {:?} is not an IANA zone such as Europe/Berlin",
                spec.time_zone
            )
        })?;
        let mut workdays = [false; 7];
        for d in &spec.workdays {
            let w = weekday(d)
                .ok_or_else(|| format!("calendar.workdays: {d:?} is not a weekday (Mon..Sun)"))?;
            workdays[w.num_days_from_monday() as usize] = true;
        }
        if !workdays.iter().any(|w| *w) {
            return Err("calendar.workdays must name at least one weekday".into());
        }
        let day_end =
            NaiveTime::parse_from_str(spec.business_day_end.trim(), "%H:%M").map_err(|_| {
                format!(
                    "calendar.business_day_end {:?} must be HH:MM",
                    spec.business_day_end
                )
            })?;
        let day_start = NaiveTime::parse_from_str(spec.business_day_start.trim(), "%H:%M")
            .ok()
            .filter(|t| *t < day_end)
            .ok_or_else(|| {
                format!(
                    "calendar.business_day_start {:?} must be HH:MM, before business_day_end",
                    spec.business_day_start
                )
            })?;
        let holidays = spec
            .holidays
            .iter()
            .map(|h| {
                NaiveDate::parse_from_str(h.trim(), "%Y-%m-%d")
                    .map_err(|_| format!("calendar.holidays: {h:?} must be YYYY-MM-DD"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            tz,
            workdays,
            day_start,
            day_end,
            holidays,
        })
    }

    pub fn utc() -> Self {
        Self {
            tz: chrono_tz::UTC,
            workdays: [true, true, true, true, true, false, false],
            day_start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            day_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
            holidays: BTreeSet::new(),
        }
    }

    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        self.workdays[d.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&d)
    }

    /// The instant a local business day ends (the later, when the clocks
    /// go back through it). In a DST gap, the instant the gap ends.
    pub fn end_of(&self, d: NaiveDate) -> DateTime<Utc> {
        instant(self.tz, d.and_time(self.day_end), Fold::Latest)
    }

    /// `t` if it falls in working hours, else the start of the next
    /// business day (the same day's, before it starts).
    pub fn working_time(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let local = t.with_timezone(&self.tz);
        let day = local.date_naive();
        let time = local.time();
        if self.is_business_day(day) {
            if time >= self.day_start && time < self.day_end {
                return t;
            }
            if time < self.day_start {
                return self.start_of(day).max(t);
            }
        }
        match self.next_business_day(day) {
            Some(d) => self.start_of(d).max(t),
            None => t,
        }
    }

    fn start_of(&self, d: NaiveDate) -> DateTime<Utc> {
        instant(self.tz, d.and_time(self.day_start), Fold::Earliest)
    }

    fn next_business_day(&self, after: NaiveDate) -> Option<NaiveDate> {
        let mut d = after;
        for _ in 0..MAX_DAYS {
            d = d.succ_opt()?;
            if self.is_business_day(d) {
                return Some(d);
            }
        }
        None
    }

    /// When a span starting at `start` runs out; `None` for the backlog.
    pub fn resolve(&self, span: Span, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = start.with_timezone(&self.tz);
        let today = local.date_naive();
        match span {
            Span::Fixed(d) => Some(start + d),
            Span::Backlog => None,
            Span::SameBusinessDay => {
                if self.is_business_day(today) && local.time() < self.day_end {
                    Some(self.end_of(today))
                } else {
                    self.next_business_day(today).map(|d| self.end_of(d))
                }
            }
            Span::NextBusinessDay => self.next_business_day(today).map(|d| self.end_of(d)),
            Span::BusinessDays(n) => {
                let mut d = today;
                for _ in 0..n {
                    d = self.next_business_day(d)?;
                }
                Some(self.end_of(d))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn berlin() -> Calendar {
        Calendar::from_spec(&CalendarSpec {
            time_zone: "Europe/Berlin".into(),
            workdays: ["Mon", "Tue", "Wed", "Thu", "Fri"]
                .map(String::from)
                .to_vec(),
            business_day_end: "17:00".into(),
            business_day_start: "09:00".into(),
            holidays: vec!["2026-12-25".into(), "2026-12-28".into()],
        })
        .unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn resolve_table() {
        let c = berlin();
        let cases = [
            // Monday 10:00 Berlin (09:00 UTC): same business day ends 17:00 Berlin = 16:00 UTC.
            (
                "2026-11-23T09:00:00Z",
                Span::SameBusinessDay,
                Some("2026-11-23T16:00:00Z"),
            ),
            // After hours: the next business day.
            (
                "2026-11-23T17:30:00Z",
                Span::SameBusinessDay,
                Some("2026-11-24T16:00:00Z"),
            ),
            // Friday: next business day is Monday.
            (
                "2026-11-27T09:00:00Z",
                Span::NextBusinessDay,
                Some("2026-11-30T16:00:00Z"),
            ),
            // Thursday 24 Dec: Friday 25 and Monday 28 are holidays.
            (
                "2026-12-24T09:00:00Z",
                Span::NextBusinessDay,
                Some("2026-12-29T16:00:00Z"),
            ),
            (
                "2026-11-23T09:00:00Z",
                Span::BusinessDays(5),
                Some("2026-11-30T16:00:00Z"),
            ),
            (
                "2026-11-23T09:00:00Z",
                Span::Fixed(Duration::hours(4)),
                Some("2026-11-23T13:00:00Z"),
            ),
            ("2026-11-23T09:00:00Z", Span::Backlog, None),
            // Across the spring DST change (29 March 2026): the day still ends 17:00 local, now 15:00 UTC.
            (
                "2026-03-27T09:00:00Z",
                Span::NextBusinessDay,
                Some("2026-03-30T15:00:00Z"),
            ),
            // Hour-based SLAs ignore DST: 24 h is 24 h.
            (
                "2026-03-28T12:00:00Z",
                Span::Fixed(Duration::hours(24)),
                Some("2026-03-29T12:00:00Z"),
            ),
        ];
        for (start, span, want) in cases {
            assert_eq!(c.resolve(span, t(start)), want.map(t), "{start} + {span}");
        }
    }

    #[test]
    fn working_time_table() {
        let c = berlin();
        // Berlin is UTC+1 in December: 09:00 local is 08:00Z, 17:00 is 16:00Z.
        let cases = [
            ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"), // a Tuesday, working
            ("2026-12-01T05:00:00Z", "2026-12-01T08:00:00Z"), // before the day starts
            ("2026-12-01T20:00:00Z", "2026-12-02T08:00:00Z"), // after it ends
            ("2026-12-05T12:00:00Z", "2026-12-07T08:00:00Z"), // Saturday -> Monday
            ("2026-12-24T18:00:00Z", "2026-12-29T08:00:00Z"), // over the holidays
        ];
        for (at, want) in cases {
            assert_eq!(c.working_time(t(at)), t(want), "{at}");
        }
    }

    #[test]
    fn spec_errors_name_the_field() {
        let base = CalendarSpec {
            time_zone: "UTC".into(),
            workdays: vec!["Mon".into()],
            business_day_end: "17:00".into(),
            business_day_start: "09:00".into(),
            holidays: vec![],
        };
        let cases = [
            (
                CalendarSpec {
                    time_zone: "Mars/Olympus".into(),
                    ..base.clone()
                },
                "time_zone",
            ),
            (
                CalendarSpec {
                    workdays: vec!["Funday".into()],
                    ..base.clone()
                },
                "workdays",
            ),
            (
                CalendarSpec {
                    workdays: vec![],
                    ..base.clone()
                },
                "workdays",
            ),
            (
                CalendarSpec {
                    business_day_end: "5pm".into(),
                    ..base.clone()
                },
                "business_day_end",
            ),
            (
                CalendarSpec {
                    business_day_start: "18:00".into(),
                    ..base.clone()
                },
                "business_day_start",
            ),
            (
                CalendarSpec {
                    holidays: vec!["25/12/2026".into()],
                    ..base.clone()
                },
                "holidays",
            ),
        ];
        for (spec, field) in cases {
            let e = Calendar::from_spec(&spec).unwrap_err();
            assert!(e.contains(field), "{e}");
        }
    }

    fn arb_start() -> impl Strategy<Value = DateTime<Utc>> {
        // 2024-01-01 .. 2030-01-01
        (1_704_067_200i64..1_893_456_000i64).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    fn arb_span() -> impl Strategy<Value = Span> {
        prop_oneof![
            (0i64..2_000_000).prop_map(|s| Span::Fixed(Duration::seconds(s))),
            (1u32..30).prop_map(Span::BusinessDays),
            Just(Span::SameBusinessDay),
            Just(Span::NextBusinessDay),
        ]
    }

    proptest! {
        #[test]
        fn deadlines_never_fall_before_the_start(start in arb_start(), span in arb_span()) {
            let due = berlin().resolve(span, start).unwrap();
            prop_assert!(due >= start, "{span} from {start} gave {due}");
        }

        #[test]
        fn business_deadlines_land_on_business_days(start in arb_start(), n in 1u32..40) {
            let c = berlin();
            for span in [Span::BusinessDays(n), Span::SameBusinessDay, Span::NextBusinessDay] {
                let due = c.resolve(span, start).unwrap();
                let day = due.with_timezone(&c.time_zone()).date_naive();
                prop_assert!(c.is_business_day(day), "{span} from {start} landed on {day}");
            }
        }

        #[test]
        fn adding_business_days_is_monotonic(start in arb_start(), n in 1u32..40) {
            let c = berlin();
            let a = c.resolve(Span::BusinessDays(n), start).unwrap();
            let b = c.resolve(Span::BusinessDays(n + 1), start).unwrap();
            prop_assert!(b > a);
            let later = c.resolve(Span::BusinessDays(n), start + Duration::hours(1)).unwrap();
            prop_assert!(later >= a);
        }

        #[test]
        fn dst_does_not_shift_hour_based_slas(start in arb_start(), hours in 1i64..400) {
            let due = berlin().resolve(Span::Fixed(Duration::hours(hours)), start).unwrap();
            prop_assert_eq!((due - start).num_seconds(), hours * 3600);
        }
    }
}
