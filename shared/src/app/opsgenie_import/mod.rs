//! Moving from Opsgenie: what its API returns (users and their contacts,
//! schedules with rotations, overrides, escalations) mapped onto Klaxon's
//! roster and paging levels, with a list of what could not be mapped and
//! why. Pure: the CLI reads the files and writes through the API.
//!
//! - Users become people; SMS and email contacts are validated as the API
//!   validates them; voice and the mobile app have no Klaxon counterpart.
//! - Each rotation becomes a layer in the schedule's zone: its start's
//!   local time is the handoff, its length the shift; a time restriction
//!   becomes windows. A rotation naming a team, an escalation or `none`
//!   is not imported: dropping one slot would shift every turn after it.
//! - Overrides of a whole schedule become overrides.
//! - Escalations become `[escalation.SEV-n]` tables for the policy file:
//!   Opsgenie counts each rule's delay from the start, Klaxon each level's
//!   `after` from the level before.

pub mod export;

use crate::domain::Severity;
use crate::domain::local_time::{WEEK, weekday, weekday_name};
use crate::domain::oncall::schedule::{LayerInput, MAX_LAYERS, MAX_PEOPLE, MAX_WINDOWS};
use crate::domain::oncall::{
    ContactsInput, Person, PersonId, PersonInput, Schedule, ScheduleId, ScheduleInput, Zone,
};
use crate::policy::Target;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use export::Export;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Something in the export left out, or brought in with a difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What, by Opsgenie's names: `user "Priya Raman" contact 2 (voice)`.
    pub item: String,
    /// Why, and what to do instead. Never a contact detail.
    pub reason: String,
}

/// An override to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOverride {
    pub schedule: ScheduleId,
    pub person: PersonId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One paging level for the policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLevel {
    pub target: Target,
    /// After the level before (the first: after triage).
    pub after_minutes: i64,
    /// Which Opsgenie rule it came from, 1-based.
    pub rule: usize,
}

/// An Opsgenie escalation as a Klaxon severity's paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEscalation {
    pub name: String,
    /// `None`: more escalations than severities.
    pub severity: Option<Severity>,
    pub levels: Vec<PlanLevel>,
    /// Rounds in all (Opsgenie's repeat count plus the first run).
    pub repeat: u8,
    pub repeat_after_minutes: Option<i64>,
}

/// What the import would write.
#[derive(Debug, Clone, Default)]
pub struct Import {
    pub people: Vec<Person>,
    pub schedules: Vec<Schedule>,
    pub overrides: Vec<NewOverride>,
    pub escalations: Vec<PlanEscalation>,
    /// Not imported.
    pub skipped: Vec<Finding>,
    /// Imported, but Klaxon will behave differently from Opsgenie here.
    pub differences: Vec<Finding>,
}

/// What the mapping needs besides the export.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rotations and overrides already over by now are left out.
    pub now: DateTime<Utc>,
    /// Which severity an escalation (by name) pages for; the rest take
    /// the severities left, in order.
    pub severities: BTreeMap<String, Severity>,
}

/// Maps an export. Never fails: whatever cannot be mapped is a finding.
pub fn import(export: &Export, opts: &Options) -> Import {
    let mut out = Import::default();
    let people = people(export, &mut out);
    let schedules = schedules(export, &people, opts.now, &mut out);
    overrides(export, &people, &schedules, opts.now, &mut out);
    escalations(export, &people, &schedules, opts, &mut out);
    out
}

fn skip(out: &mut Import, item: impl Into<String>, reason: impl Into<String>) {
    out.skipped.push(Finding {
        item: item.into(),
        reason: reason.into(),
    });
}

fn differ(out: &mut Import, item: impl Into<String>, reason: impl Into<String>) {
    out.differences.push(Finding {
        item: item.into(),
        reason: reason.into(),
    });
}

/// An id Klaxon takes (`[a-z0-9._-]`, 1 to 64, starting with a letter or
/// digit) from an Opsgenie name, unique among `taken`.
fn slug_from(raw: &str, fallback: &str, taken: &mut BTreeSet<String>) -> String {
    let mut s = String::new();
    for c in raw.trim().chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '-'
        };
        if !(c == '-' && s.ends_with('-')) {
            s.push(c);
        }
    }
    let mut s: String = s
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .trim_end_matches(['-', '.'])
        .chars()
        .take(56)
        .collect();
    if s.is_empty() || PersonId::parse("id", &s).is_err() {
        s = fallback.to_owned();
    }
    let mut id = s.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{s}-{n}");
        n += 1;
    }
    id
}

/// A display name from Opsgenie's: control and bidirectional-override
/// characters dropped, at most 100 characters.
fn clean_name(raw: &str, fallback: &str) -> String {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_control() && !crate::domain::plain::steers_text(*c))
        .collect::<String>()
        .trim()
        .chars()
        .take(crate::domain::oncall::MAX_NAME)
        .collect();
    if s.trim().is_empty() {
        fallback.to_owned()
    } else {
        s.trim().to_owned()
    }
}

/// Opsgenie's user ids and usernames, each to the person made from it.
#[derive(Default)]
struct People {
    by_key: BTreeMap<String, PersonId>,
    names: BTreeMap<PersonId, String>,
}

impl People {
    fn find(&self, p: &export::Participant) -> Option<&PersonId> {
        [p.id.as_deref(), p.username.as_deref()]
            .into_iter()
            .flatten()
            .filter(|k| !k.is_empty())
            .find_map(|k| self.by_key.get(&k.to_ascii_lowercase()))
    }

    fn label(p: &export::Participant) -> String {
        p.name
            .clone()
            .or_else(|| p.id.clone())
            .unwrap_or_else(|| "(unnamed)".into())
    }
}

/// `1-9999999999` (Opsgenie's `country code-number`) as `+19999999999`.
fn e164(to: &str) -> String {
    let t = to.trim();
    if t.starts_with('+') {
        t.to_owned()
    } else {
        format!("+{t}")
    }
}

fn people(export: &Export, out: &mut Import) -> People {
    let mut taken = BTreeSet::new();
    let mut found = People::default();
    let mut seen = BTreeSet::new();
    for (i, u) in export.users.iter().enumerate() {
        let key = if u.id.is_empty() {
            u.username.to_ascii_lowercase()
        } else {
            u.id.clone()
        };
        if key.is_empty() || !seen.insert(key) {
            continue;
        }
        let local = u.username.split('@').next().unwrap_or_default();
        let id = slug_from(local, &format!("user-{}", i + 1), &mut taken);
        let name = clean_name(&u.full_name, local);
        let label = format!("user {name:?}");
        let zone = match u.time_zone.as_deref().map(|z| Zone::parse("time_zone", z)) {
            Some(Ok(z)) => z.to_string(),
            Some(Err(_)) => {
                differ(
                    out,
                    &label,
                    "time zone is not an IANA zone Klaxon knows: set to UTC",
                );
                "UTC".into()
            }
            None => "UTC".into(),
        };
        let mut contacts = ContactsInput::default();
        let mut list: Vec<&export::Contact> = [u.id.as_str(), u.username.as_str()]
            .iter()
            .filter(|k| !k.is_empty())
            .filter_map(|k| export.contacts.get(*k))
            .flatten()
            .collect();
        list.sort_by_key(|c| c.apply_order.unwrap_or(i64::MAX));
        for (j, c) in list.iter().enumerate() {
            let method = c.method.trim().to_ascii_lowercase();
            let item = format!("{label} contact {} ({method})", j + 1);
            if c.status.as_ref().and_then(|s| s.enabled) == Some(false) {
                skip(out, item, "disabled in Opsgenie");
                continue;
            }
            let (slot, parsed) = match method.as_str() {
                "sms" => {
                    let n = e164(&c.to);
                    let ok = crate::domain::oncall::Phone::parse(&n).map(|_| n);
                    (&mut contacts.sms, ok)
                }
                "email" => {
                    let ok = crate::domain::oncall::Email::parse(&c.to).map(|_| c.to.clone());
                    (&mut contacts.email, ok)
                }
                "voice" => {
                    skip(
                        out,
                        item,
                        "Klaxon pages by SMS and email, not voice calls: add the number with --sms if it takes texts",
                    );
                    continue;
                }
                "mobile" => {
                    skip(
                        out,
                        item,
                        "the Opsgenie app's push notifications have no Klaxon counterpart",
                    );
                    continue;
                }
                _ => {
                    skip(out, item, "not a method Klaxon pages by (sms, email)");
                    continue;
                }
            };
            match parsed {
                Err(e) => skip(out, item, e.to_string()),
                Ok(_) if slot.is_some() => skip(
                    out,
                    item,
                    format!(
                        "a second {method} contact: Klaxon keeps one, the first by Opsgenie's order"
                    ),
                ),
                Ok(v) => *slot = Some(v),
            }
        }
        let input = PersonInput {
            name,
            time_zone: zone,
            contacts,
            rules: Vec::new(),
        };
        match Person::parse(&id, &input) {
            Ok(p) => {
                if !p.reachable() {
                    differ(
                        out,
                        &label,
                        "no working contact method: a page to them is a coverage gap until one is added",
                    );
                }
                for k in [&u.id, &u.username] {
                    if !k.is_empty() {
                        found.by_key.insert(k.to_ascii_lowercase(), p.id.clone());
                    }
                }
                found.names.insert(p.id.clone(), p.name.clone());
                out.people.push(p);
            }
            Err(e) => skip(out, label, e.to_string()),
        }
    }
    found
}

/// Opsgenie's schedule id and name, each to the schedule made from it,
/// with its rotations' ids.
#[derive(Default)]
struct Schedules {
    by_key: BTreeMap<String, ScheduleId>,
    rotations: BTreeMap<ScheduleId, BTreeSet<String>>,
}

impl Schedules {
    fn find(&self, key: &str) -> Option<&ScheduleId> {
        self.by_key.get(&key.to_ascii_lowercase())
    }
}

/// Opsgenie's dates: `yyyy-MM-dd'T'HH:mm:ssZ`, with `Z` or an offset.
fn instant(raw: &str) -> Option<DateTime<Utc>> {
    let t = raw.trim();
    DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn schedules(export: &Export, people: &People, now: DateTime<Utc>, out: &mut Import) -> Schedules {
    let mut taken = BTreeSet::new();
    let mut found = Schedules::default();
    for (i, s) in export.schedules.iter().enumerate() {
        let name = clean_name(&s.name, &format!("Schedule {}", i + 1));
        let label = format!("schedule {name:?}");
        if s.enabled == Some(false) {
            skip(out, label, "disabled in Opsgenie");
            continue;
        }
        let Some(tz) = s
            .timezone
            .as_deref()
            .and_then(|z| Zone::parse("timezone", z).ok())
        else {
            skip(
                out,
                label,
                "its timezone is missing or not an IANA zone: every handoff depends on it",
            );
            continue;
        };
        let mut layers = Vec::new();
        let mut names = Vec::new();
        let mut rotation_ids = BTreeSet::new();
        for (j, r) in s.rotations.iter().enumerate() {
            let rname = clean_name(&r.name, &format!("rotation {}", j + 1));
            let item = format!("{label} rotation {rname:?}");
            if let Some(l) = layer(r, tz, people, now, &item, out) {
                if layers.len() == MAX_LAYERS {
                    skip(
                        out,
                        item,
                        format!("a schedule has at most {MAX_LAYERS} layers"),
                    );
                    continue;
                }
                layers.push(l);
                names.push(rname);
                rotation_ids.insert(r.id.clone());
            }
        }
        if layers.is_empty() {
            skip(out, label, "no rotation could be imported (above)");
            continue;
        }
        let id = slug_from(&s.name, &format!("schedule-{}", i + 1), &mut taken);
        let input = ScheduleInput {
            name,
            time_zone: tz.to_string(),
            layers,
        };
        match Schedule::parse(&id, &input) {
            Ok(sched) => {
                overlaps(&sched, &names, now, &label, out);
                for k in [&s.id, &s.name] {
                    if !k.is_empty() {
                        found
                            .by_key
                            .insert(k.to_ascii_lowercase(), sched.id.clone());
                    }
                }
                found.rotations.insert(sched.id.clone(), rotation_ids);
                out.schedules.push(sched);
            }
            Err(e) => skip(out, label, e.to_string()),
        }
    }
    found
}

/// One rotation as a layer, or `None` (with the reason recorded).
fn layer(
    r: &export::Rotation,
    tz: Zone,
    people: &People,
    now: DateTime<Utc>,
    item: &str,
    out: &mut Import,
) -> Option<LayerInput> {
    let len = r.length.unwrap_or(1);
    let shift = match r.kind.trim().to_ascii_lowercase().as_str() {
        "hourly" => format!("{len}h"),
        "daily" => format!("{len}d"),
        "weekly" => format!("{len}w"),
        _ => {
            skip(out, item, "its type is not hourly, daily or weekly");
            return None;
        }
    };
    if crate::domain::oncall::ShiftLength::parse("shift", &shift).is_err() {
        skip(
            out,
            item,
            "its length is not 1 to 744 hours, 366 days or 52 weeks (Klaxon's shifts)",
        );
        return None;
    }
    let Some(start) = r.start_date.as_deref().and_then(instant) else {
        skip(out, item, "its startDate is missing or not a date and time");
        return None;
    };
    if let Some(end) = r.end_date.as_deref().filter(|e| !e.trim().is_empty()) {
        match instant(end) {
            Some(end) if end <= now => {
                skip(out, item, "it has ended");
                return None;
            }
            Some(end) => differ(
                out,
                item,
                format!(
                    "it ends {} in Opsgenie; a Klaxon layer has no end: take it out of the schedule then",
                    end.format("%Y-%m-%d %H:%M UTC")
                ),
            ),
            None => {
                skip(out, item, "its endDate is not a date and time");
                return None;
            }
        }
    }
    let mut ids = Vec::new();
    let mut bad = Vec::new();
    for (k, p) in r.participants.iter().enumerate() {
        match p.kind.trim().to_ascii_lowercase().as_str() {
            "user" => match people.find(p) {
                Some(id) => ids.push(id.to_string()),
                None => bad.push(format!(
                    "participant {} is a user not imported (above, or missing from users)",
                    k + 1
                )),
            },
            "none" => bad.push(format!(
                "participant {} is `none` (nobody on call for that turn): Klaxon rotations name people",
                k + 1
            )),
            "team" => bad.push(format!(
                "participant {} is the team {}: Klaxon has no teams, rotations name people",
                k + 1,
                People::label(p)
            )),
            "escalation" => bad.push(format!(
                "participant {} is the escalation {}: Klaxon rotations name people",
                k + 1,
                People::label(p)
            )),
            _ => bad.push(format!("participant {} is of an unknown type", k + 1)),
        }
    }
    if !bad.is_empty() {
        skip(out, item, bad.join("; "));
        return None;
    }
    if ids.is_empty() || ids.len() > MAX_PEOPLE {
        skip(
            out,
            item,
            format!("a rotation must name 1 to {MAX_PEOPLE} people"),
        );
        return None;
    }
    let restrictions = match r.time_restriction.as_ref() {
        None => Vec::new(),
        Some(t) => match windows(t) {
            Ok(w) => w,
            Err(why) => {
                skip(out, item, why);
                return None;
            }
        },
    };
    let local = start.with_timezone(&tz.tz()).naive_local();
    let (time, day) = (local.time(), local.date());
    if time.second() != 0 {
        differ(out, item, "its start's seconds are dropped");
    }
    let hm = format!("{:02}:{:02}", time.hour(), time.minute());
    let handoff = if shift.ends_with('w') {
        format!("{} {hm}", weekday_name(day.weekday()))
    } else {
        hm
    };
    if shift.ends_with('h') && tz.tz().name() != "UTC" {
        differ(
            out,
            item,
            "an hourly rotation: Klaxon counts its hours on the wall clock, so across a DST change one turn is an hour longer or shorter",
        );
    }
    Some(LayerInput {
        people: ids,
        shift,
        handoff,
        start: day.format("%Y-%m-%d").to_string(),
        restrictions,
    })
}

const DAY: i64 = 1440;
const WEEK_MINUTES: i64 = 7 * DAY;

fn minute_of_day(hour: Option<i64>, min: Option<i64>) -> Option<i64> {
    let (h, m) = (hour.unwrap_or(0), min.unwrap_or(0));
    ((0..=23).contains(&h) && (0..=59).contains(&m))
        .then_some(h * 60 + m)
        .or_else(|| (h == 24 && m == 0).then_some(DAY))
}

/// A time restriction as Klaxon windows (`Mon,Tue 09:00-17:00`): each
/// Opsgenie span (from a weekday and time to a weekday and time) cut at
/// local midnights, the pieces with the same hours sharing a window.
fn windows(t: &export::TimeRestriction) -> Result<Vec<String>, String> {
    let bad_time = "a restriction's hours or minutes are out of range".to_owned();
    // Spans as (start, length) in minutes from Monday 00:00.
    let mut spans: Vec<(i64, i64)> = Vec::new();
    match t.kind.trim().to_ascii_lowercase().as_str() {
        "time-of-day" => {
            let r = t
                .restriction
                .as_ref()
                .ok_or("a time-of-day restriction without its restriction")?;
            let s = minute_of_day(r.start_hour, r.start_min).ok_or(bad_time.clone())?;
            let e = minute_of_day(r.end_hour, r.end_min).ok_or(bad_time.clone())?;
            let len = (e - s).rem_euclid(DAY);
            let len = if len == 0 { DAY } else { len };
            for d in 0..7 {
                spans.push((d * DAY + s, len));
            }
        }
        "weekday-and-time-of-day" => {
            if t.restrictions.is_empty() {
                return Err("a weekday-and-time-of-day restriction without restrictions".into());
            }
            for r in &t.restrictions {
                let day = |d: &Option<String>| {
                    d.as_deref()
                        .and_then(weekday)
                        .map(|w| i64::from(w.num_days_from_monday()))
                };
                let (Some(sd), Some(ed)) = (day(&r.start_day), day(&r.end_day)) else {
                    return Err("a restriction's startDay or endDay is not a weekday".into());
                };
                let s =
                    sd * DAY + minute_of_day(r.start_hour, r.start_min).ok_or(bad_time.clone())?;
                let e = ed * DAY + minute_of_day(r.end_hour, r.end_min).ok_or(bad_time.clone())?;
                let len = (e - s).rem_euclid(WEEK_MINUTES);
                spans.push((s, if len == 0 { WEEK_MINUTES } else { len }));
            }
        }
        _ => return Err("its time restriction is of an unknown type".into()),
    }
    // Cut each span at midnights: (weekday, from, to) with 0 <= from < to <= 1440.
    let mut pieces: BTreeMap<(i64, i64), [bool; 7]> = BTreeMap::new();
    for (s, len) in spans {
        let mut at = s;
        let end = s + len;
        while at < end {
            let day = at.div_euclid(DAY);
            let from = at - day * DAY;
            let to = (end - day * DAY).min(DAY);
            pieces.entry((from, to)).or_default()[(day.rem_euclid(7)) as usize] = true;
            at = (day + 1) * DAY;
        }
    }
    if pieces.len() > MAX_WINDOWS {
        return Err(format!(
            "its time restriction needs {} windows; a Klaxon layer has at most {MAX_WINDOWS}",
            pieces.len()
        ));
    }
    let hm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    Ok(pieces
        .into_iter()
        .map(|((from, to), days)| {
            let names: Vec<&str> = WEEK
                .iter()
                .filter(|d| days[d.num_days_from_monday() as usize])
                .map(|d| weekday_name(*d))
                .collect();
            format!("{} {}-{}", names.join(","), hm(from), hm(to))
        })
        .collect())
}

/// Opsgenie puts everyone its overlapping rotations have on shift on
/// call; Klaxon, the layer listed last. Says so where the next four weeks
/// have such an overlap.
fn overlaps(s: &Schedule, names: &[String], now: DateTime<Utc>, label: &str, out: &mut Import) {
    if s.layers.len() < 2 {
        return;
    }
    let tz = s.time_zone.tz();
    let mut seen = BTreeSet::new();
    let mut t = now;
    let until = now + Duration::days(28);
    while t < until {
        let on: Vec<usize> = (0..s.layers.len())
            .filter(|i| s.layers[*i].on_shift(tz, t).is_some())
            .collect();
        if on.len() > 1 && seen.insert(on.clone()) {
            let which: Vec<&str> = on.iter().map(|i| names[*i].as_str()).collect();
            differ(
                out,
                label,
                format!(
                    "rotations {} overlap (first at {}): Opsgenie pages everyone on call in each, Klaxon pages the one listed last ({})",
                    which.join(", "),
                    t.format("%Y-%m-%d %H:%M UTC"),
                    names[on[on.len() - 1]]
                ),
            );
        }
        t += Duration::minutes(30);
    }
}

fn overrides(
    export: &Export,
    people: &People,
    schedules: &Schedules,
    now: DateTime<Utc>,
    out: &mut Import,
) {
    for (key, list) in &export.overrides {
        let Some(sid) = schedules.find(key).cloned() else {
            for (i, _) in list.iter().enumerate() {
                skip(
                    out,
                    format!("override {} of schedule {key:?}", i + 1),
                    "its schedule was not imported",
                );
            }
            continue;
        };
        for (i, o) in list.iter().enumerate() {
            let item = format!("override {} of schedule {sid}", i + 1);
            let (Some(start), Some(end)) = (instant(&o.start_date), instant(&o.end_date)) else {
                skip(out, item, "its startDate or endDate is not a date and time");
                continue;
            };
            if end <= now {
                skip(out, item, "it has ended");
                continue;
            }
            if end <= start {
                skip(out, item, "it ends before it starts");
                continue;
            }
            if end - start.max(now)
                > Duration::days(crate::domain::oncall::cover::MAX_OVERRIDE_DAYS)
            {
                skip(
                    out,
                    item,
                    format!(
                        "it runs longer than a Klaxon override may ({} days): change the rotation instead",
                        crate::domain::oncall::cover::MAX_OVERRIDE_DAYS
                    ),
                );
                continue;
            }
            if o.user.kind.trim().eq_ignore_ascii_case("none") {
                skip(
                    out,
                    item,
                    "it puts nobody on call: a Klaxon override names a person",
                );
                continue;
            }
            let Some(person) = people.find(&o.user).cloned() else {
                skip(out, item, "its user was not imported");
                continue;
            };
            let all = schedules.rotations.get(&sid);
            if !o.rotations.is_empty()
                && all
                    .is_some_and(|all| !all.iter().all(|r| o.rotations.iter().any(|x| &x.id == r)))
            {
                skip(
                    out,
                    item,
                    "it overrides some rotations only; a Klaxon override covers the whole schedule: add it with `klaxon override add` if that is what you want",
                );
                continue;
            }
            out.overrides.push(NewOverride {
                schedule: sid.clone(),
                person,
                start,
                end,
            });
        }
    }
}

/// A delay in minutes.
fn minutes(d: &export::Delay) -> Option<i64> {
    let per = match d
        .time_unit
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("minutes") => 1,
        Some("hours") => 60,
        Some("days") => DAY,
        _ => return None,
    };
    d.time_amount
        .checked_mul(per)
        .filter(|m| (0..=366 * DAY).contains(m))
}

fn escalations(
    export: &Export,
    people: &People,
    schedules: &Schedules,
    opts: &Options,
    out: &mut Import,
) {
    // Severities no --severity names go, in order, to the escalations
    // that are named by none; each severity pages by one escalation.
    let mut used: BTreeSet<Severity> = BTreeSet::new();
    let chosen: BTreeSet<Severity> = opts.severities.values().copied().collect();
    for (i, e) in export.escalations.iter().enumerate() {
        let name = clean_name(&e.name, &format!("escalation {}", i + 1));
        let label = format!("escalation {name:?}");
        // (absolute delay, level)
        let mut levels: Vec<(i64, PlanLevel)> = Vec::new();
        for (j, r) in e.rules.iter().enumerate() {
            let item = format!("{label} rule {}", j + 1);
            let condition = r.condition.as_deref().unwrap_or("if-not-acked");
            if !condition.eq_ignore_ascii_case("if-not-acked") {
                skip(
                    out,
                    item,
                    format!(
                        "its condition is {condition:?}: Klaxon pages until someone acknowledges (if-not-acked), not until closed"
                    ),
                );
                continue;
            }
            let Some(delay) = r.delay.as_ref().map_or(Some(0), minutes) else {
                skip(
                    out,
                    item,
                    "its delay is not minutes, hours or days, or out of range",
                );
                continue;
            };
            let notify = r
                .notify_type
                .as_deref()
                .unwrap_or("default")
                .to_ascii_lowercase();
            let rec = &r.recipient;
            let target = match rec.kind.trim().to_ascii_lowercase().as_str() {
                "schedule" if notify == "default" => {
                    match [rec.id.as_deref(), rec.name.as_deref()]
                        .into_iter()
                        .flatten()
                        .find_map(|k| schedules.find(k))
                    {
                        Some(s) => Target::Schedule(s.clone()),
                        None => {
                            skip(out, item, "its schedule was not imported");
                            continue;
                        }
                    }
                }
                "schedule" => {
                    skip(
                        out,
                        item,
                        format!(
                            "it notifies the {notify} on-call of a schedule: Klaxon pages who is on call now"
                        ),
                    );
                    continue;
                }
                "user" => match people.find(rec) {
                    Some(p) => Target::Person(p.clone()),
                    None => {
                        skip(out, item, "its user was not imported");
                        continue;
                    }
                },
                "team" => {
                    skip(
                        out,
                        item,
                        format!(
                            "it notifies a team ({notify}): Klaxon has no teams; page a schedule, a person or an audience (an SNS topic)"
                        ),
                    );
                    continue;
                }
                _ => {
                    skip(out, item, "its recipient is not a user or a schedule");
                    continue;
                }
            };
            levels.push((
                delay,
                PlanLevel {
                    target,
                    after_minutes: 0,
                    rule: j + 1,
                },
            ));
        }
        if levels.is_empty() {
            skip(out, label, "none of its rules could be imported (above)");
            continue;
        }
        levels.sort_by_key(|(d, _)| *d);
        let mut prev = 0;
        let levels: Vec<PlanLevel> = levels
            .into_iter()
            .map(|(d, mut l)| {
                l.after_minutes = d - prev;
                prev = d;
                l
            })
            .collect();
        let (mut repeat, mut repeat_after) = (1u8, None);
        if let Some(r) = &e.repeat {
            let count = r.count.unwrap_or(0);
            let wait = r.wait_interval.unwrap_or(0);
            if count > 0 && wait > 0 {
                repeat = u8::try_from(count.saturating_add(1)).unwrap_or(u8::MAX);
                repeat_after = Some(wait.min(366 * DAY));
            }
            if r.close_alert_after_all == Some(true) {
                differ(
                    out,
                    &label,
                    "closeAlertAfterAll: Klaxon never closes an incident by itself; paging ends after the last round",
                );
            }
            if r.reset_recipient_states == Some(true) {
                differ(
                    out,
                    &label,
                    "resetRecipientStates has no Klaxon counterpart",
                );
            }
        }
        let severity = opts
            .severities
            .get(&e.name)
            .copied()
            .filter(|s| !used.contains(s))
            .or_else(|| {
                Severity::ALL
                    .into_iter()
                    .find(|s| !used.contains(s) && !chosen.contains(s))
            });
        if let Some(s) = severity {
            used.insert(s);
        }
        if severity.is_none() {
            skip(
                out,
                &label,
                "every severity has an escalation already: choose one with --severity",
            );
        }
        out.escalations.push(PlanEscalation {
            name,
            severity,
            levels,
            repeat,
            repeat_after_minutes: repeat_after,
        });
    }
}

/// TOML for a string: a basic string with `"` and `\` escaped and control
/// characters dropped.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The escalations as `[escalation.SEV-n]` tables to paste into the policy
/// file; `""` when there are none.
pub fn policy_fragment(escalations: &[PlanEscalation]) -> String {
    let mut s = String::new();
    for e in escalations {
        let Some(sev) = e.severity else { continue };
        let _ = writeln!(
            s,
            "# From Opsgenie escalation {}.\n[escalation.{sev}]\nlevels = [",
            toml_str(&e.name)
        );
        for l in &e.levels {
            let target = match &l.target {
                Target::Schedule(id) => format!("schedule = {}", toml_str(id.as_str())),
                Target::Person(id) => format!("person = {}", toml_str(id.as_str())),
                Target::Audience(a) => format!("audience = {}", toml_str(&a.to_string())),
            };
            let after = if l.after_minutes > 0 {
                format!(", after = \"{}m\"", l.after_minutes)
            } else {
                String::new()
            };
            let _ = writeln!(s, "  {{ {target}{after} }},  # rule {}", l.rule);
        }
        s.push_str("]\n");
        if e.repeat > 1 {
            let _ = writeln!(s, "repeat = {}", e.repeat);
        }
        if let Some(m) = e.repeat_after_minutes {
            let _ = writeln!(s, "repeat_after = \"{m}m\"");
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests;
