//! Overrides, and who covers a schedule: at an instant, at the next
//! handoff, and shift by shift over a span.
//!
//! At `t` the override added last among those running covers; else the
//! highest layer with someone on shift (inside its windows); else nobody.

use super::person::PersonId;
use super::schedule::{Schedule, ScheduleId};
use super::{RosterError, refuse};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An override's id (a ULID: sortable by when it was added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OverrideId(pub ulid::Ulid);

impl OverrideId {
    pub fn new() -> Self {
        Self(ulid::Ulid::new())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok().map(Self)
    }
}

impl Default for OverrideId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for OverrideId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The longest override: a quarter. Longer is a change to the rotation.
pub const MAX_OVERRIDE_DAYS: i64 = 92;

/// Person `person` covers `schedule` from `start` until `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub id: OverrideId,
    pub schedule: ScheduleId,
    pub person: PersonId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Who added it (the caller's name).
    pub by: String,
    pub created_at: DateTime<Utc>,
}

impl Override {
    /// An override from `start` (now, if not given) until `end`, which must
    /// be later than both and within [`MAX_OVERRIDE_DAYS`].
    pub fn new(
        schedule: ScheduleId,
        person: PersonId,
        start: Option<DateTime<Utc>>,
        end: DateTime<Utc>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, RosterError> {
        let start = start.unwrap_or(now);
        if end <= start || end <= now {
            return Err(refuse("end", "must be after the start and in the future"));
        }
        if end - start > Duration::days(MAX_OVERRIDE_DAYS) {
            return Err(refuse(
                "end",
                format!("an override lasts at most {MAX_OVERRIDE_DAYS} days"),
            ));
        }
        Ok(Self {
            id: OverrideId::new(),
            schedule,
            person,
            start,
            end,
            by: by.to_owned(),
            created_at: now,
        })
    }

    pub fn covers(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// What puts someone on call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Via {
    /// Layer `index` (0 is the lowest).
    Layer {
        index: usize,
    },
    Override {
        id: OverrideId,
    },
    /// Nobody: a coverage gap.
    Nobody,
}

/// Who is on call at an instant, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnCall {
    pub person: Option<PersonId>,
    pub via: Via,
}

/// The next time who is on call changes, and who (if anyone) is then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextHandoff {
    pub at: DateTime<Utc>,
    pub to: OnCall,
}

/// One stretch with one person (or nobody) on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    pub person: Option<PersonId>,
    pub via: Via,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// How far ahead a next handoff is looked for, in steps of [`look_step`].
const LOOK_STEPS: usize = 13;

fn look_step() -> Duration {
    Duration::days(32)
}

/// Where [`Schedule::shifts_around`] looks back to from `from`: the
/// 32-day grid point (counted from the Unix epoch) before the one at or
/// before `from`, so 32 to 64 days back. Overrides ending after it are
/// the ones it needs.
pub fn lookback(from: DateTime<Utc>) -> DateTime<Utc> {
    let step = look_step().num_seconds();
    let floor = from.timestamp().div_euclid(step) * step;
    DateTime::from_timestamp(floor, 0).unwrap_or(from) - look_step()
}

impl Schedule {
    /// Who is on call at `t`. `overrides` may hold other schedules'; they
    /// are ignored.
    pub fn on_call(&self, overrides: &[Override], t: DateTime<Utc>) -> OnCall {
        let tz = self.time_zone.tz();
        let cover = overrides
            .iter()
            .filter(|o| o.schedule == self.id && o.covers(t))
            .max_by_key(|o| (o.created_at, o.id));
        if let Some(o) = cover {
            return OnCall {
                person: Some(o.person.clone()),
                via: Via::Override { id: o.id },
            };
        }
        for (index, layer) in self.layers.iter().enumerate().rev() {
            if let Some(p) = layer.on_shift(tz, t) {
                return OnCall {
                    person: Some(p.clone()),
                    via: Via::Layer { index },
                };
            }
        }
        OnCall {
            person: None,
            via: Via::Nobody,
        }
    }

    /// Every instant in `[from, to)` where who is on call may change,
    /// sorted, once each.
    fn changes(
        &self,
        overrides: &[Override],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        let tz = self.time_zone.tz();
        let mut out = Vec::new();
        for l in &self.layers {
            l.changes(tz, from, to, &mut out);
        }
        for o in overrides.iter().filter(|o| o.schedule == self.id) {
            for edge in [o.start, o.end] {
                if edge >= from && edge < to {
                    out.push(edge);
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The first instant after `t` at which the person on call changes,
    /// within about a year; `None` if it never does in that time.
    pub fn next_handoff(&self, overrides: &[Override], t: DateTime<Utc>) -> Option<NextHandoff> {
        let now = self.on_call(overrides, t).person;
        let mut from = t;
        for _ in 0..LOOK_STEPS {
            let to = from + look_step();
            for at in self.changes(overrides, from, to) {
                if at <= t {
                    continue;
                }
                let then = self.on_call(overrides, at);
                if then.person != now {
                    return Some(NextHandoff { at, to: then });
                }
            }
            from = to;
        }
        None
    }

    /// The shifts overlapping `[from, to)`, each clipped to it, one per
    /// stretch with the same person (nobody included).
    pub fn shifts(
        &self,
        overrides: &[Override],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Shift> {
        let mut out: Vec<Shift> = Vec::new();
        if to <= from {
            return out;
        }
        let mut points = vec![from];
        points.extend(
            self.changes(overrides, from, to)
                .into_iter()
                .filter(|p| *p > from),
        );
        for (i, at) in points.iter().enumerate() {
            let end = points.get(i + 1).copied().unwrap_or(to);
            let on = self.on_call(overrides, *at);
            let same = out
                .last()
                .is_some_and(|last| last.person == on.person && last.via == on.via);
            if !same {
                out.push(Shift {
                    person: on.person,
                    via: on.via,
                    start: *at,
                    end,
                });
            } else if let Some(last) = out.last_mut() {
                last.end = end;
            }
        }
        out
    }

    /// As [`Self::shifts`], but a shift running at `from` starts when it
    /// really began, looking back to [`lookback`]`(from)`. That is a fixed
    /// grid point, not `from` less a span: a shift longer than the look
    /// back keeps its start (and so a feed its UID) from one fetch to the
    /// next, rather than starting anew at each.
    pub fn shifts_around(
        &self,
        overrides: &[Override],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Shift> {
        let mut all = self.shifts(overrides, lookback(from), to);
        all.retain(|s| s.end > from);
        all
    }
}

#[cfg(test)]
#[path = "cover_tests.rs"]
mod tests;
