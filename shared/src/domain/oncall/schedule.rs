//! A schedule: layers of rotations in one zone. Each layer hands off at a
//! local wall time; a later layer, where it has someone on shift, covers
//! the ones listed before it. Restrictions limit a layer to weekly windows.

use super::person::PersonId;
use super::{RosterError, Zone, display_name, refuse, slug};
use crate::domain::local_time::{Fold, WEEK, instant, weekday, weekday_name};
use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A schedule's id: a slug such as `security-primary`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScheduleId(String);

impl ScheduleId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, RosterError> {
        slug(field, raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ScheduleId {
    type Error = RosterError;
    fn try_from(s: String) -> Result<Self, RosterError> {
        Self::parse("schedule", &s)
    }
}

impl From<ScheduleId> for String {
    fn from(s: ScheduleId) -> String {
        s.0
    }
}

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long each person's turn is, counted on the wall clock: a day is
/// from one local 09:00 to the next, 23 or 25 hours across a DST change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ShiftLength {
    Hours(u32),
    Days(u32),
    Weeks(u32),
}

impl ShiftLength {
    /// `12h`, `1d`, `2w` (also `12 hours`, `1 day`, `2 weeks`).
    pub fn parse(field: &str, raw: &str) -> Result<Self, RosterError> {
        let bad = || {
            refuse(
                field,
                "must be hours (1h..744h), days (1d..366d) or weeks (1w..52w), such as 12h or 1w",
            )
        };
        let t = raw.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = t.split_at(split);
        let n: u32 = n.parse().map_err(|_| bad())?;
        let unit = unit.trim();
        let (len, max) = match unit {
            "h" | "hour" | "hours" => (Self::Hours(n), 744),
            "d" | "day" | "days" => (Self::Days(n), 366),
            "w" | "week" | "weeks" => (Self::Weeks(n), 52),
            _ => return Err(bad()),
        };
        if !(1..=max).contains(&n) {
            return Err(bad());
        }
        Ok(len)
    }

    /// As wall-clock time: what one turn adds to a local date and time.
    pub fn wall(self) -> Duration {
        match self {
            Self::Hours(n) => Duration::hours(i64::from(n)),
            Self::Days(n) => Duration::days(i64::from(n)),
            Self::Weeks(n) => Duration::weeks(i64::from(n)),
        }
    }
}

impl TryFrom<String> for ShiftLength {
    type Error = RosterError;
    fn try_from(s: String) -> Result<Self, RosterError> {
        Self::parse("shift", &s)
    }
}

impl From<ShiftLength> for String {
    fn from(s: ShiftLength) -> String {
        s.to_string()
    }
}

impl fmt::Display for ShiftLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hours(n) => write!(f, "{n}h"),
            Self::Days(n) => write!(f, "{n}d"),
            Self::Weeks(n) => write!(f, "{n}w"),
        }
    }
}

/// When a layer hands off: a local time, and for a weekly rotation the
/// weekday of the first handoff (`Mon 09:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HandoffTime {
    pub day: Option<Weekday>,
    pub time: NaiveTime,
}

fn hhmm(raw: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M").ok()
}

impl HandoffTime {
    pub fn parse(field: &str, raw: &str) -> Result<Self, RosterError> {
        let bad = || {
            refuse(
                field,
                "must be HH:MM or a weekday and HH:MM, such as Mon 09:00",
            )
        };
        let t = raw.trim();
        let (day, time) = match t.split_once(' ') {
            Some((d, rest)) => (Some(weekday(d).ok_or_else(bad)?), rest),
            None => (None, t),
        };
        let time = hhmm(time).ok_or_else(bad)?;
        Ok(Self { day, time })
    }
}

impl TryFrom<String> for HandoffTime {
    type Error = RosterError;
    fn try_from(s: String) -> Result<Self, RosterError> {
        Self::parse("handoff", &s)
    }
}

impl From<HandoffTime> for String {
    fn from(h: HandoffTime) -> String {
        h.to_string()
    }
}

impl fmt::Display for HandoffTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.day {
            Some(d) => write!(f, "{} {}", weekday_name(d), self.time.format("%H:%M")),
            None => write!(f, "{}", self.time.format("%H:%M")),
        }
    }
}

/// A weekly window in the schedule's zone, such as `Mon-Fri 09:00-17:00`.
/// It opens on each of its days at `from`; an end at or before `from`
/// (`Mon-Fri 17:00-09:00`) is the next day's, and `24:00` is midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Window {
    /// Monday first.
    pub days: [bool; 7],
    /// Minutes after local midnight, 0..1440.
    pub from: u32,
    /// Minutes after local midnight, 1..=1440; at or before `from`, the
    /// next day's.
    pub to: u32,
}

fn minutes(raw: &str) -> Option<u32> {
    if raw.trim() == "24:00" {
        return Some(1440);
    }
    hhmm(raw).map(|t| t.hour() * 60 + t.minute())
}

impl Window {
    pub fn parse(field: &str, raw: &str) -> Result<Self, RosterError> {
        let bad = || {
            refuse(
                field,
                "must be days and times, such as Mon-Fri 09:00-17:00 or Sat,Sun 00:00-24:00",
            )
        };
        let (days_raw, times) = raw.trim().split_once(' ').ok_or_else(bad)?;
        let mut days = [false; 7];
        for part in days_raw.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let a = weekday(a).ok_or_else(bad)?;
                    let b = weekday(b).ok_or_else(bad)?;
                    let mut d = a;
                    loop {
                        days[d.num_days_from_monday() as usize] = true;
                        if d == b {
                            break;
                        }
                        d = d.succ();
                    }
                }
                None => days[weekday(part).ok_or_else(bad)?.num_days_from_monday() as usize] = true,
            }
        }
        let (a, b) = times.trim().split_once('-').ok_or_else(bad)?;
        let from = minutes(a).filter(|m| *m < 1440).ok_or_else(bad)?;
        let to = minutes(b).filter(|m| *m >= 1).ok_or_else(bad)?;
        Ok(Self { days, from, to })
    }

    fn at(d: NaiveDate, m: u32) -> Option<NaiveDateTime> {
        let midnight = d.and_hms_opt(0, 0, 0)?;
        midnight.checked_add_signed(Duration::minutes(i64::from(m)))
    }

    /// The local start and end of the window that opens on `d`, if it does.
    pub fn on(&self, d: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        if !self.days[d.weekday().num_days_from_monday() as usize] {
            return None;
        }
        let start = Self::at(d, self.from)?;
        let end_day = if self.to > self.from {
            d
        } else {
            d.succ_opt()?
        };
        Some((start, Self::at(end_day, self.to)?))
    }
}

impl TryFrom<String> for Window {
    type Error = RosterError;
    fn try_from(s: String) -> Result<Self, RosterError> {
        Self::parse("restrictions", &s)
    }
}

impl From<Window> for String {
    fn from(w: Window) -> String {
        w.to_string()
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = WEEK
            .iter()
            .filter(|d| self.days[d.num_days_from_monday() as usize])
            .map(|d| weekday_name(*d))
            .collect();
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{} {}-{}", names.join(","), hm(self.from), hm(self.to))
    }
}

/// One rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// In turn order; the first takes the first shift.
    pub people: Vec<PersonId>,
    pub shift: ShiftLength,
    pub handoff: HandoffTime,
    /// The local date of the first handoff (or the first on `handoff`'s
    /// weekday after it).
    pub start: NaiveDate,
    /// When set, the layer covers only inside these windows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<Window>,
}

/// Most layers, people per layer and windows per layer.
pub const MAX_LAYERS: usize = 10;
pub const MAX_PEOPLE: usize = 50;
pub const MAX_WINDOWS: usize = 14;

impl Layer {
    /// The local date and time of the first handoff.
    pub fn anchor(&self) -> NaiveDateTime {
        let mut d = self.start;
        if let Some(w) = self.handoff.day {
            for _ in 0..7 {
                if d.weekday() == w {
                    break;
                }
                d = d.succ_opt().unwrap_or(d);
            }
        }
        d.and_time(self.handoff.time)
    }

    /// The local date and time of handoff `k` (the start of turn `k`).
    pub fn wall_handoff(&self, k: i64) -> Option<NaiveDateTime> {
        let step = self.shift.wall().checked_mul(i32::try_from(k).ok()?)?;
        self.anchor().checked_add_signed(step)
    }

    /// The instant of handoff `k`, in `tz`.
    pub fn handoff_at(&self, tz: chrono_tz::Tz, k: i64) -> Option<DateTime<Utc>> {
        self.wall_handoff(k).map(|l| instant(tz, l, Fold::Earliest))
    }

    /// The turn on at `t`: the last handoff at or before it. `None` before
    /// the first.
    pub fn turn_at(&self, tz: chrono_tz::Tz, t: DateTime<Utc>) -> Option<i64> {
        let first = self.handoff_at(tz, 0)?;
        if t < first {
            return None;
        }
        // Estimate from the wall clock, then settle on the exact turn.
        let local = t.with_timezone(&tz).naive_local();
        let step = self.shift.wall().num_seconds().max(1);
        let mut k = ((local - self.anchor()).num_seconds().div_euclid(step)).max(0);
        while k > 0 && self.handoff_at(tz, k).is_none_or(|h| h > t) {
            k -= 1;
        }
        while self.handoff_at(tz, k + 1).is_some_and(|h| h <= t) {
            k += 1;
        }
        Some(k)
    }

    /// Who turn `k` belongs to.
    pub fn person(&self, k: i64) -> Option<&PersonId> {
        let n = i64::try_from(self.people.len()).ok().filter(|n| *n > 0)?;
        self.people.get(k.rem_euclid(n) as usize)
    }

    /// Whether `t` is inside one of the restriction windows (always, when
    /// there are none). A window runs from the instant its local start
    /// names to the instant its local end names.
    pub fn in_window(&self, tz: chrono_tz::Tz, t: DateTime<Utc>) -> bool {
        if self.restrictions.is_empty() {
            return true;
        }
        let day = t.with_timezone(&tz).date_naive();
        let days = (-2..=1).filter_map(|o| day.checked_add_signed(Duration::days(o)));
        for d in days {
            for w in &self.restrictions {
                if let Some((s, e)) = w.on(d)
                    && instant(tz, s, Fold::Earliest) <= t
                    && t < instant(tz, e, Fold::Earliest)
                {
                    return true;
                }
            }
        }
        false
    }

    /// Who this layer has on shift at `t`, if anyone.
    pub fn on_shift(&self, tz: chrono_tz::Tz, t: DateTime<Utc>) -> Option<&PersonId> {
        if !self.in_window(tz, t) {
            return None;
        }
        self.person(self.turn_at(tz, t)?)
    }

    /// Every instant in `[from, to)` where who this layer has on shift
    /// may change: its handoffs and its windows' edges.
    pub(super) fn changes(
        &self,
        tz: chrono_tz::Tz,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        out: &mut Vec<DateTime<Utc>>,
    ) {
        let mut k = self.turn_at(tz, from).unwrap_or(0);
        while let Some(h) = self.handoff_at(tz, k) {
            if h >= to {
                break;
            }
            if h >= from {
                out.push(h);
            }
            k += 1;
        }
        if self.restrictions.is_empty() {
            return;
        }
        let (Some(first), Some(last)) = (
            from.with_timezone(&tz)
                .date_naive()
                .checked_sub_signed(Duration::days(2)),
            to.with_timezone(&tz)
                .date_naive()
                .checked_add_signed(Duration::days(1)),
        ) else {
            return;
        };
        for d in first.iter_days().take_while(|d| *d <= last) {
            for w in &self.restrictions {
                if let Some((s, e)) = w.on(d) {
                    for edge in [
                        instant(tz, s, Fold::Earliest),
                        instant(tz, e, Fold::Earliest),
                    ] {
                        if edge >= from && edge < to {
                            out.push(edge);
                        }
                    }
                }
            }
        }
    }
}

/// A schedule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: ScheduleId,
    pub name: String,
    /// The zone every layer's handoffs and windows are in.
    pub time_zone: Zone,
    /// Lowest first: a later layer, where it has someone on shift, covers
    /// the layers before it.
    pub layers: Vec<Layer>,
}

/// A schedule as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub name: String,
    pub time_zone: String,
    pub layers: Vec<LayerInput>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerInput {
    pub people: Vec<String>,
    pub shift: String,
    pub handoff: String,
    pub start: String,
    #[serde(default)]
    pub restrictions: Vec<String>,
}

impl Schedule {
    /// Validates every field; the first refusal names its field. Whether
    /// the people exist is the use case's to check.
    pub fn parse(id: &str, input: &ScheduleInput) -> Result<Self, RosterError> {
        let id = ScheduleId::parse("id", id)?;
        let name = display_name("name", &input.name)?;
        let time_zone = Zone::parse("time_zone", &input.time_zone)?;
        if input.layers.is_empty() || input.layers.len() > MAX_LAYERS {
            return Err(refuse(
                "layers",
                format!("must have 1 to {MAX_LAYERS} layers"),
            ));
        }
        let mut layers = Vec::with_capacity(input.layers.len());
        for (i, l) in input.layers.iter().enumerate() {
            let f = |name: &str| format!("layers[{i}].{name}");
            if l.people.is_empty() || l.people.len() > MAX_PEOPLE {
                return Err(refuse(
                    f("people"),
                    format!("must name 1 to {MAX_PEOPLE} people"),
                ));
            }
            let people = l
                .people
                .iter()
                .enumerate()
                .map(|(j, p)| PersonId::parse(&format!("layers[{i}].people[{j}]"), p.trim()))
                .collect::<Result<Vec<_>, _>>()?;
            let shift = ShiftLength::parse(&f("shift"), &l.shift)?;
            let handoff = HandoffTime::parse(&f("handoff"), &l.handoff)?;
            let start = NaiveDate::parse_from_str(l.start.trim(), "%Y-%m-%d")
                .ok()
                .filter(|d| (2000..=2100).contains(&d.year()))
                .ok_or_else(|| {
                    refuse(
                        f("start"),
                        "must be a date YYYY-MM-DD between 2000 and 2100",
                    )
                })?;
            if l.restrictions.len() > MAX_WINDOWS {
                return Err(refuse(
                    f("restrictions"),
                    format!("at most {MAX_WINDOWS} windows"),
                ));
            }
            let restrictions = l
                .restrictions
                .iter()
                .enumerate()
                .map(|(j, w)| Window::parse(&format!("layers[{i}].restrictions[{j}]"), w))
                .collect::<Result<Vec<_>, _>>()?;
            layers.push(Layer {
                people,
                shift,
                handoff,
                start,
                restrictions,
            });
        }
        Ok(Self {
            id,
            name,
            time_zone,
            layers,
        })
    }

    /// Everyone any layer names, once each, in order of first mention.
    pub fn people(&self) -> Vec<&PersonId> {
        let mut seen: Vec<&PersonId> = Vec::new();
        for p in self.layers.iter().flat_map(|l| &l.people) {
            if !seen.contains(&p) {
                seen.push(p);
            }
        }
        seen
    }

    /// Where each person is named, for the use case's existence check.
    pub fn mentions(&self) -> Vec<(String, &PersonId)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                l.people
                    .iter()
                    .enumerate()
                    .map(move |(j, p)| (format!("layers[{i}].people[{j}]"), p))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_handoffs_windows() {
        assert_eq!(
            ShiftLength::parse("s", "12h").unwrap(),
            ShiftLength::Hours(12)
        );
        assert_eq!(
            ShiftLength::parse("s", "1 week").unwrap(),
            ShiftLength::Weeks(1)
        );
        assert_eq!(
            ShiftLength::parse("s", "3 Days").unwrap(),
            ShiftLength::Days(3)
        );
        for bad in ["", "0h", "h", "12", "1y", "53w", "-1d"] {
            assert_eq!(
                ShiftLength::parse("s", bad).unwrap_err().field,
                "s",
                "{bad}"
            );
        }
        let h = HandoffTime::parse("h", "Mon 09:00").unwrap();
        assert_eq!(h.day, Some(Weekday::Mon));
        assert_eq!(h.to_string(), "Mon 09:00");
        assert_eq!(
            HandoffTime::parse("h", "21:30").unwrap().to_string(),
            "21:30"
        );
        for bad in ["9am", "Mon", "Funday 09:00", "25:00"] {
            assert!(HandoffTime::parse("h", bad).is_err(), "{bad}");
        }
        let w = Window::parse("w", "Mon-Fri 09:00-17:00").unwrap();
        assert_eq!(w.days, [true, true, true, true, true, false, false]);
        assert_eq!((w.from, w.to), (540, 1020));
        assert_eq!(w.to_string(), "Mon,Tue,Wed,Thu,Fri 09:00-17:00");
        let w = Window::parse("w", "Fri-Mon 18:00-08:00").unwrap();
        assert_eq!(w.days, [true, false, false, false, true, true, true]);
        let w = Window::parse("w", "Sat,Sun 00:00-24:00").unwrap();
        assert_eq!(Window::parse("w", &w.to_string()).unwrap(), w);
        for bad in [
            "Mon-Fri",
            "Mon-Fri 9-5",
            "Xyz 09:00-10:00",
            "Mon 24:00-01:00",
        ] {
            assert!(Window::parse("w", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refusals_name_the_field() {
        let layer = || LayerInput {
            people: vec!["alice".into(), "bob".into()],
            shift: "1w".into(),
            handoff: "Mon 09:00".into(),
            start: "2026-01-05".into(),
            restrictions: vec![],
        };
        let base = || ScheduleInput {
            name: "Security primary".into(),
            time_zone: "Europe/Berlin".into(),
            layers: vec![layer(), layer()],
        };
        assert!(Schedule::parse("security-primary", &base()).is_ok());
        let mut cases: Vec<(ScheduleInput, &str)> = Vec::new();
        let mut s = base();
        s.layers[1].people[1] = "Bob!".into();
        cases.push((s, "layers[1].people[1]"));
        let mut s = base();
        s.layers[0].shift = "forever".into();
        cases.push((s, "layers[0].shift"));
        let mut s = base();
        s.layers[0].start = "05/01/2026".into();
        cases.push((s, "layers[0].start"));
        let mut s = base();
        s.layers[1].restrictions = vec!["weekdays".into()];
        cases.push((s, "layers[1].restrictions[0]"));
        let mut s = base();
        s.layers.clear();
        cases.push((s, "layers"));
        let mut s = base();
        s.time_zone = "CEST+2".into();
        cases.push((s, "time_zone"));
        for (input, field) in cases {
            assert_eq!(
                Schedule::parse("security-primary", &input)
                    .unwrap_err()
                    .field,
                field
            );
        }
    }
}
