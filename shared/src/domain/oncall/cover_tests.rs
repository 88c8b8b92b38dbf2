//! Who is on call: tables across DST changes (Europe/Berlin,
//! America/New_York, Australia/Sydney) and year ends, and a property test
//! against a naive minute-by-minute reference.

use super::*;
use crate::domain::local_time::WEEK;
use crate::domain::oncall::person::PersonId;
use crate::domain::oncall::schedule::{HandoffTime, Layer, ShiftLength, Window};
use crate::domain::oncall::{Schedule, ScheduleId, Zone};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use proptest::prelude::*;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn p(id: &str) -> PersonId {
    PersonId::parse("person", id).unwrap()
}

fn layer(people: &[&str], shift: &str, handoff: &str, start: &str, windows: &[&str]) -> Layer {
    Layer {
        people: people.iter().map(|s| p(s)).collect(),
        shift: ShiftLength::parse("shift", shift).unwrap(),
        handoff: HandoffTime::parse("handoff", handoff).unwrap(),
        start: NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap(),
        restrictions: windows
            .iter()
            .map(|w| Window::parse("w", w).unwrap())
            .collect(),
    }
}

fn schedule(zone: &str, layers: Vec<Layer>) -> Schedule {
    Schedule {
        id: ScheduleId::parse("id", "security-primary").unwrap(),
        name: "Security primary".into(),
        time_zone: Zone::parse("tz", zone).unwrap(),
        layers,
    }
}

fn who(s: &Schedule, o: &[Override], at: &str) -> Option<String> {
    s.on_call(o, t(at)).person.map(|p| p.to_string())
}

fn next(s: &Schedule, o: &[Override], at: &str) -> Option<(DateTime<Utc>, Option<String>)> {
    s.next_handoff(o, t(at))
        .map(|h| (h.at, h.to.person.map(|p| p.to_string())))
}

/// (schedule, instant, who is on call, the next handoff and who takes it).
type Case = (
    Schedule,
    &'static str,
    Option<&'static str>,
    Option<(&'static str, &'static str)>,
);

fn check(cases: Vec<Case>) {
    for (s, at, want, want_next) in cases {
        assert_eq!(who(&s, &[], at).as_deref(), want, "{} at {at}", s.time_zone);
        let got = next(&s, &[], at);
        let want_next = want_next.map(|(a, w)| (t(a), Some(w.to_owned())));
        assert_eq!(got, want_next, "{} next after {at}", s.time_zone);
    }
}

/// A weekly Monday 09:00 handoff stays 09:00 in Berlin on both sides of
/// each DST change: 08:00Z in winter, 07:00Z in summer.
#[test]
fn berlin_weekly_across_dst() {
    let s = || {
        schedule(
            "Europe/Berlin",
            vec![layer(
                &["alice", "bob", "carol"],
                "1w",
                "Mon 09:00",
                "2026-03-16",
                &[],
            )],
        )
    };
    check(vec![
        (
            s(),
            "2026-03-16T07:59:00Z",
            None,
            Some(("2026-03-16T08:00:00Z", "alice")),
        ),
        (
            s(),
            "2026-03-16T08:00:00Z",
            Some("alice"),
            Some(("2026-03-23T08:00:00Z", "bob")),
        ),
        (
            s(),
            "2026-03-28T12:00:00Z",
            Some("bob"),
            Some(("2026-03-30T07:00:00Z", "carol")),
        ),
        (
            s(),
            "2026-03-30T06:59:00Z",
            Some("bob"),
            Some(("2026-03-30T07:00:00Z", "carol")),
        ),
        (
            s(),
            "2026-03-30T07:00:00Z",
            Some("carol"),
            Some(("2026-04-06T07:00:00Z", "alice")),
        ),
        // Autumn: 19 Oct is summer time, 26 Oct winter.
        (
            s(),
            "2026-10-19T07:00:00Z",
            Some("bob"),
            Some(("2026-10-26T08:00:00Z", "carol")),
        ),
        (
            s(),
            "2026-10-26T07:30:00Z",
            Some("bob"),
            Some(("2026-10-26T08:00:00Z", "carol")),
        ),
        (
            s(),
            "2026-10-26T08:00:00Z",
            Some("carol"),
            Some(("2026-11-02T08:00:00Z", "alice")),
        ),
    ]);
}

/// Daily handoffs in New York at a time the spring change skips (02:30)
/// and one the autumn change repeats (01:30).
#[test]
fn new_york_daily_skipped_and_repeated() {
    let skipped = || {
        schedule(
            "America/New_York",
            vec![layer(&["ann", "ben"], "1d", "02:30", "2026-03-01", &[])],
        )
    };
    let repeated = || {
        schedule(
            "America/New_York",
            vec![layer(&["ann", "ben"], "1d", "01:30", "2026-10-25", &[])],
        )
    };
    check(vec![
        // 7 March 02:30 EST is 07:30Z; 8 March's 02:30 does not exist, so
        // the handoff is when the clocks reach 03:00 EDT, 07:00Z.
        (
            skipped(),
            "2026-03-08T06:59:00Z",
            Some("ann"),
            Some(("2026-03-08T07:00:00Z", "ben")),
        ),
        (
            skipped(),
            "2026-03-08T07:00:00Z",
            Some("ben"),
            Some(("2026-03-09T06:30:00Z", "ann")),
        ),
        // 1 November 01:30 happens twice; the first (EDT, 05:30Z) hands off.
        (
            repeated(),
            "2026-11-01T05:29:00Z",
            Some("ann"),
            Some(("2026-11-01T05:30:00Z", "ben")),
        ),
        (
            repeated(),
            "2026-11-01T06:30:00Z",
            Some("ben"),
            Some(("2026-11-02T06:30:00Z", "ann")),
        ),
    ]);
}

/// Sydney's changes fall in October (forward) and April (back).
#[test]
fn sydney_weekly_sunday_0230() {
    let spring = || {
        schedule(
            "Australia/Sydney",
            vec![layer(&["ann", "ben"], "1w", "Sun 02:30", "2026-09-20", &[])],
        )
    };
    let autumn = || {
        schedule(
            "Australia/Sydney",
            vec![layer(&["ann", "ben"], "1w", "Sun 02:30", "2026-03-22", &[])],
        )
    };
    check(vec![
        (
            spring(),
            "2026-10-01T00:00:00Z",
            Some("ben"),
            Some(("2026-10-03T16:00:00Z", "ann")),
        ),
        (
            spring(),
            "2026-10-03T16:00:00Z",
            Some("ann"),
            Some(("2026-10-10T15:30:00Z", "ben")),
        ),
        (
            autumn(),
            "2026-04-04T15:29:00Z",
            Some("ben"),
            Some(("2026-04-04T15:30:00Z", "ann")),
        ),
        (
            autumn(),
            "2026-04-04T15:30:00Z",
            Some("ann"),
            Some(("2026-04-11T16:30:00Z", "ben")),
        ),
    ]);
}

/// New Year and a leap day.
#[test]
fn year_ends_and_leap_days() {
    let weekly = || {
        schedule(
            "Europe/Berlin",
            vec![layer(
                &["a", "b", "c"],
                "1w",
                "Thu 17:00",
                "2026-12-14",
                &[],
            )],
        )
    };
    let daily = || {
        schedule(
            "UTC",
            vec![layer(&["a", "b", "c"], "1d", "00:00", "2028-02-27", &[])],
        )
    };
    let fortnight = || {
        schedule(
            "America/New_York",
            vec![layer(&["a", "b"], "2w", "Mon 09:00", "2026-12-21", &[])],
        )
    };
    check(vec![
        (
            weekly(),
            "2026-12-31T12:00:00Z",
            Some("b"),
            Some(("2026-12-31T16:00:00Z", "c")),
        ),
        (
            weekly(),
            "2027-01-01T00:00:00Z",
            Some("c"),
            Some(("2027-01-07T16:00:00Z", "a")),
        ),
        (
            daily(),
            "2028-02-29T12:00:00Z",
            Some("c"),
            Some(("2028-03-01T00:00:00Z", "a")),
        ),
        (
            daily(),
            "2028-12-31T23:59:00Z",
            Some("c"),
            Some(("2029-01-01T00:00:00Z", "a")),
        ),
        (
            fortnight(),
            "2027-01-01T00:00:00Z",
            Some("a"),
            Some(("2027-01-04T14:00:00Z", "b")),
        ),
    ]);
}

/// A business-hours layer covers the rotation beneath it only inside its
/// window, which keeps its local hours across DST; an override covers
/// everything, and the override added last wins.
#[test]
fn layers_restrictions_and_overrides() {
    let s = schedule(
        "Europe/Berlin",
        vec![
            layer(&["alice", "bob"], "1w", "Mon 09:00", "2026-01-05", &[]),
            layer(
                &["carol"],
                "1d",
                "09:00",
                "2026-01-01",
                &["Mon-Fri 09:00-17:00"],
            ),
        ],
    );
    let none: &[Override] = &[];
    assert_eq!(
        who(&s, none, "2026-01-06T09:00:00Z").as_deref(),
        Some("carol")
    );
    assert_eq!(
        who(&s, none, "2026-01-06T17:00:00Z").as_deref(),
        Some("alice")
    );
    assert_eq!(
        who(&s, none, "2026-01-10T09:00:00Z").as_deref(),
        Some("alice")
    );
    assert_eq!(
        next(&s, none, "2026-01-06T09:00:00Z"),
        Some((t("2026-01-06T16:00:00Z"), Some("alice".into())))
    );
    // Summer time: the window is 07:00Z-15:00Z; week 12 is alice's from
    // 07:00Z, week 11 bob's until then.
    assert_eq!(
        who(&s, none, "2026-03-30T06:59:00Z").as_deref(),
        Some("bob")
    );
    assert_eq!(
        who(&s, none, "2026-03-30T07:00:00Z").as_deref(),
        Some("carol")
    );
    assert_eq!(
        who(&s, none, "2026-03-30T15:00:00Z").as_deref(),
        Some("alice")
    );

    let now = t("2026-01-06T08:00:00Z");
    let mk = |person: &str, a: &str, b: &str, added: &str| Override {
        created_at: t(added),
        ..Override::new(s.id.clone(), p(person), Some(t(a)), t(b), "test", now).unwrap()
    };
    let sick = mk(
        "bob",
        "2026-01-06T10:00:00Z",
        "2026-01-07T10:00:00Z",
        "2026-01-06T08:00:00Z",
    );
    let o = vec![sick.clone()];
    assert_eq!(who(&s, &o, "2026-01-06T12:00:00Z").as_deref(), Some("bob"));
    assert_eq!(
        s.on_call(&o, t("2026-01-06T12:00:00Z")).via,
        Via::Override { id: sick.id }
    );
    assert_eq!(
        next(&s, &o, "2026-01-06T12:00:00Z"),
        Some((t("2026-01-07T10:00:00Z"), Some("carol".into())))
    );
    let later = mk(
        "dave",
        "2026-01-06T11:00:00Z",
        "2026-01-06T13:00:00Z",
        "2026-01-06T08:30:00Z",
    );
    let o = vec![later, sick];
    assert_eq!(who(&s, &o, "2026-01-06T12:00:00Z").as_deref(), Some("dave"));
    assert_eq!(who(&s, &o, "2026-01-06T13:00:00Z").as_deref(), Some("bob"));
}

/// A layer with only a window leaves gaps, which are nobody's.
#[test]
fn gaps_are_nobody() {
    let s = schedule(
        "Europe/Berlin",
        vec![layer(
            &["carol"],
            "1w",
            "Mon 09:00",
            "2026-01-05",
            &["Mon-Fri 09:00-17:00"],
        )],
    );
    let at = s.on_call(&[], t("2026-01-06T20:00:00Z"));
    assert_eq!(at.person, None);
    assert_eq!(at.via, Via::Nobody);
    let shifts = s.shifts(&[], t("2026-01-06T00:00:00Z"), t("2026-01-07T00:00:00Z"));
    let spans: Vec<_> = shifts
        .iter()
        .map(|s| (s.person.is_some(), s.start, s.end))
        .collect();
    assert_eq!(
        spans,
        vec![
            (false, t("2026-01-06T00:00:00Z"), t("2026-01-06T08:00:00Z")),
            (true, t("2026-01-06T08:00:00Z"), t("2026-01-06T16:00:00Z")),
            (false, t("2026-01-06T16:00:00Z"), t("2026-01-07T00:00:00Z")),
        ]
    );
}

/// The reference: no conversion from local time to UTC at all. It walks
/// minute by minute, keeping the latest wall-clock time seen so far (which
/// stands still while the clocks go back and jumps when they go forward),
/// and counts a handoff or a window's edge once the wall clock has reached
/// it.
mod reference {
    use super::*;

    pub struct Walk<'a> {
        s: &'a Schedule,
        overrides: &'a [Override],
        latest: Option<NaiveDateTime>,
        turns: Vec<Option<i64>>,
    }

    fn anchor(l: &Layer) -> NaiveDateTime {
        let mut d = l.start;
        if let Some(w) = l.handoff.day {
            while d.weekday() != w {
                d = d.succ_opt().unwrap();
            }
        }
        d.and_time(l.handoff.time)
    }

    fn wall(l: &Layer, k: i64) -> NaiveDateTime {
        let step = match l.shift {
            ShiftLength::Hours(n) => Duration::hours(i64::from(n)),
            ShiftLength::Days(n) => Duration::days(i64::from(n)),
            ShiftLength::Weeks(n) => Duration::days(7 * i64::from(n)),
        };
        anchor(l) + step * (k as i32)
    }

    fn in_window(l: &Layer, m: NaiveDateTime) -> bool {
        if l.restrictions.is_empty() {
            return true;
        }
        let day = m.date();
        (-2..=1).any(|o| {
            let d = day + Duration::days(o);
            l.restrictions.iter().any(|w| {
                if !w.days[d.weekday().num_days_from_monday() as usize] {
                    return false;
                }
                let start = d.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(i64::from(w.from));
                let end_day = if w.to > w.from {
                    d
                } else {
                    d + Duration::days(1)
                };
                let end =
                    end_day.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(i64::from(w.to));
                start <= m && m < end
            })
        })
    }

    impl<'a> Walk<'a> {
        pub fn new(s: &'a Schedule, overrides: &'a [Override]) -> Self {
            Self {
                s,
                overrides,
                latest: None,
                turns: vec![None; s.layers.len()],
            }
        }

        /// Who is on call at `m`; call it for every minute, in order.
        pub fn step(&mut self, m: DateTime<Utc>) -> Option<PersonId> {
            let local = m.with_timezone(&self.s.time_zone.tz()).naive_local();
            let latest = self.latest.map_or(local, |l| l.max(local));
            self.latest = Some(latest);
            for (i, l) in self.s.layers.iter().enumerate() {
                let mut k = self.turns[i];
                loop {
                    let next = k.map_or(0, |k| k + 1);
                    if wall(l, next) <= latest {
                        k = Some(next);
                    } else {
                        break;
                    }
                }
                self.turns[i] = k;
            }
            let cover = self
                .overrides
                .iter()
                .filter(|o| o.start <= m && m < o.end)
                .max_by_key(|o| (o.created_at, o.id));
            if let Some(o) = cover {
                return Some(o.person.clone());
            }
            for (i, l) in self.s.layers.iter().enumerate().rev() {
                if let Some(k) = self.turns[i]
                    && in_window(l, latest)
                {
                    return Some(l.people[k.rem_euclid(l.people.len() as i64) as usize].clone());
                }
            }
            None
        }
    }
}

const ZONES: [&str; 4] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "UTC",
];
/// A few days before each zone's changes in 2026, and a year end.
const BASES: [&str; 7] = [
    "2026-03-26",
    "2026-10-22",
    "2026-03-05",
    "2026-10-29",
    "2026-04-02",
    "2026-10-01",
    "2026-12-29",
];
const NAMES: [&str; 4] = ["a", "b", "c", "d"];
const SIM_DAYS: i64 = 5;

fn arb_layer(base: NaiveDate) -> impl Strategy<Value = Layer> {
    let shift = prop_oneof![
        (1u32..=30).prop_map(ShiftLength::Hours),
        (1u32..=3).prop_map(ShiftLength::Days),
        (1u32..=2).prop_map(ShiftLength::Weeks),
    ];
    let day = proptest::option::of((0usize..7).prop_map(|d| WEEK[d]));
    let window = (1u8..128, 0u32..48, 1u32..=48).prop_map(|(mask, a, b)| Window {
        days: std::array::from_fn(|i| mask & (1 << i) != 0),
        from: a * 30,
        to: b * 30,
    });
    (
        proptest::collection::vec(0usize..4, 1..=3),
        shift,
        day,
        0u32..96,
        0i64..12,
        proptest::collection::vec(window, 0..=2),
    )
        .prop_map(
            move |(people, shift, day, quarter, back, restrictions)| Layer {
                people: people.into_iter().map(|i| p(NAMES[i])).collect(),
                shift,
                handoff: HandoffTime {
                    day,
                    time: chrono::NaiveTime::from_hms_opt(quarter / 4, (quarter % 4) * 15, 0)
                        .unwrap(),
                },
                start: base - Duration::days(back),
                restrictions,
            },
        )
}

fn arb_case() -> impl Strategy<Value = (Schedule, Vec<Override>, DateTime<Utc>)> {
    (0usize..ZONES.len(), 0usize..BASES.len()).prop_flat_map(|(z, b)| {
        let base = NaiveDate::parse_from_str(BASES[b], "%Y-%m-%d").unwrap();
        let begin = base.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let overrides = proptest::collection::vec(
            (0i64..SIM_DAYS * 1440, 1i64..4320, 0usize..4, 0i64..1000),
            0..=2,
        );
        (proptest::collection::vec(arb_layer(base), 1..=3), overrides).prop_map(
            move |(layers, os)| {
                let s = schedule(ZONES[z], layers);
                let os = os
                    .into_iter()
                    .map(|(start, len, who, added)| {
                        let start = begin + Duration::minutes(start);
                        Override {
                            id: OverrideId::new(),
                            schedule: s.id.clone(),
                            person: p(NAMES[who]),
                            start,
                            end: start + Duration::minutes(len),
                            by: "test".into(),
                            created_at: begin - Duration::minutes(added),
                        }
                    })
                    .collect();
                (s, os, begin)
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Minute by minute over five days around a DST change, who is on
    /// call and when it next changes agree with the reference.
    #[test]
    fn agrees_with_the_minute_by_minute_reference(case in arb_case()) {
        let (s, os, begin) = case;
        // The walk starts a day early, so a handoff before the span counts.
        let mut walk = reference::Walk::new(&s, &os);
        let warm = begin - Duration::days(1);
        let mut m = warm;
        while m < begin {
            walk.step(m);
            m += Duration::minutes(1);
        }
        let minutes = (SIM_DAYS * 1440) as usize;
        let mut seen = Vec::with_capacity(minutes);
        for i in 0..minutes {
            let m = begin + Duration::minutes(i as i64);
            let want = walk.step(m);
            let got = s.on_call(&os, m).person;
            prop_assert_eq!(&got, &want, "at {}", m);
            seen.push(want);
        }
        // The next handoff, from every 241st minute.
        for i in (0..minutes).step_by(241) {
            let m = begin + Duration::minutes(i as i64);
            let want = (i + 1..minutes).find(|j| seen[*j] != seen[i]);
            let got = s.next_handoff(&os, m);
            match want {
                Some(j) => {
                    let h = got.expect("a handoff");
                    prop_assert_eq!(h.at, begin + Duration::minutes(j as i64), "after {}", m);
                    prop_assert_eq!(&h.to.person, &seen[j]);
                }
                None => prop_assert!(
                    got.is_none_or(|h| h.at >= begin + Duration::minutes(minutes as i64)),
                    "after {}", m
                ),
            }
        }
        // Shifts tile the span and name who the instant view names.
        let end = begin + Duration::days(SIM_DAYS);
        let shifts = s.shifts(&os, begin, end);
        prop_assert_eq!(shifts.first().map(|x| x.start), Some(begin));
        prop_assert_eq!(shifts.last().map(|x| x.end), Some(end));
        for w in shifts.windows(2) {
            prop_assert_eq!(w[0].end, w[1].start);
        }
        for sh in &shifts {
            let i = (sh.start - begin).num_minutes() as usize;
            prop_assert_eq!(&sh.person, &seen[i]);
        }
    }
}

/// A shift longer than the look back (one person, always on) keeps its
/// start from one fetch to the next, so a feed's UID for it holds.
#[test]
fn a_long_shift_keeps_its_start_between_fetches() {
    let s = schedule(
        "Europe/Berlin",
        vec![layer(&["priya"], "1d", "09:00", "2026-01-01", &[])],
    );
    let o = vec![
        Override::new(
            s.id.clone(),
            p("sam"),
            Some(t("2026-09-10T00:00:00Z")),
            t("2026-12-05T00:00:00Z"),
            "rita",
            t("2026-09-10T00:00:00Z"),
        )
        .unwrap(),
    ];
    let a = s.shifts_around(&o, t("2026-12-02T08:00:00Z"), t("2026-12-09T00:00:00Z"));
    let b = s.shifts_around(&o, t("2026-12-02T09:30:00Z"), t("2026-12-09T00:00:00Z"));
    assert_eq!(a[0].start, b[0].start);
    assert_eq!(a[1].start, t("2026-12-05T00:00:00Z"));
    assert_eq!(a[1].start, b[1].start);
    let back = lookback(t("2026-12-02T08:00:00Z"));
    assert!(back <= t("2026-12-02T08:00:00Z") - Duration::days(32));
    assert!(back > t("2026-12-02T08:00:00Z") - Duration::days(64));
}
