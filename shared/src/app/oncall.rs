//! On-call: the roster kept (people, schedules, overrides), who is on call
//! now and next, and the calendar feeds behind secret URLs. The rules are
//! the domain's (`domain::oncall`); this is the I/O around them.

use super::App;
use crate::documents::ical;
use crate::domain::Caller;
use crate::domain::oncall::cover::lookback;
use crate::domain::oncall::{
    FeedDigest, FeedOwner, NextHandoff, OnCall, Override, OverrideId, Person, PersonId,
    RosterError, Schedule, ScheduleId,
};
use crate::policy::Target;
use crate::policy::reach::Reach;
use crate::ports::StoreError;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why an on-call request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OncallError {
    #[error(transparent)]
    Invalid(#[from] RosterError),
    /// A schedule or override names someone not on the roster.
    #[error("{field}: no such person on the roster")]
    UnknownPerson { field: String },
    /// An override would put on call someone no page can reach.
    #[error(
        "{field}: has no working contact method (an SMS number or email their rules use): every page while they cover would be a coverage gap; add one first"
    )]
    Unreachable { field: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The person is still in these schedules' rotations.
    #[error("still in the rotation of {}: take them out first", .0.join(", "))]
    InUse(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates or replaces a person.
pub async fn put_person(app: &Arc<App>, person: Person) -> Result<Person, OncallError> {
    app.store.put_person(&person).await?;
    tracing::info!(person = %person.id, "person saved");
    Ok(person)
}

/// Removes a person no rotation names, with their overrides: an override
/// left behind would keep someone no longer on the roster on call.
pub async fn remove_person(app: &Arc<App>, id: &PersonId) -> Result<(), OncallError> {
    let schedules = app.store.schedules().await?;
    let using: Vec<String> = schedules
        .iter()
        .filter(|s| s.people().contains(&id))
        .map(|s| s.id.to_string())
        .collect();
    if !using.is_empty() {
        return Err(OncallError::InUse(using));
    }
    if app.store.person(id).await?.is_none() {
        return Err(OncallError::NotFound("person"));
    }
    // Overrides first: if this fails midway the person is still there to
    // retry the removal on.
    let since = DateTime::<Utc>::UNIX_EPOCH;
    for s in &schedules {
        for o in app.store.overrides(&s.id, since).await? {
            if &o.person == id {
                app.store.delete_override(&s.id, o.id).await?;
            }
        }
    }
    if app.store.delete_person(id).await? {
        tracing::info!(person = %id, "person removed");
        Ok(())
    } else {
        Err(OncallError::NotFound("person"))
    }
}

/// Creates or replaces a schedule whose rotations name only people on the
/// roster.
pub async fn put_schedule(app: &Arc<App>, schedule: Schedule) -> Result<Schedule, OncallError> {
    let people = people_by_id(app).await?;
    if let Some((field, _)) = schedule
        .mentions()
        .into_iter()
        .find(|(_, p)| !people.contains_key(*p))
    {
        return Err(OncallError::UnknownPerson { field });
    }
    app.store.put_schedule(&schedule).await?;
    tracing::info!(schedule = %schedule.id, "schedule saved");
    Ok(schedule)
}

pub async fn remove_schedule(app: &Arc<App>, id: &ScheduleId) -> Result<(), OncallError> {
    if app.store.delete_schedule(id).await? {
        tracing::info!(schedule = %id, "schedule removed");
        Ok(())
    } else {
        Err(OncallError::NotFound("schedule"))
    }
}

/// An override as asked for: `person` covers `schedule` from `start` (now
/// if absent) until `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOverride {
    pub schedule: ScheduleId,
    pub person: PersonId,
    pub start: Option<DateTime<Utc>>,
    pub end: DateTime<Utc>,
}

/// Adds an override. It is stored before this returns, and every later
/// read of who is on call (a page's next step included) sees it.
pub async fn add_override(
    app: &Arc<App>,
    new: NewOverride,
    by: &Caller,
) -> Result<Override, OncallError> {
    if app.store.schedule(&new.schedule).await?.is_none() {
        return Err(OncallError::NotFound("schedule"));
    }
    match app.store.person(&new.person).await? {
        None => {
            return Err(OncallError::UnknownPerson {
                field: "person".into(),
            });
        }
        // The 3 a.m. override must not hand the pager to no one.
        Some(p) if !p.reachable() => {
            return Err(OncallError::Unreachable {
                field: "person".into(),
            });
        }
        Some(_) => {}
    }
    let o = Override::new(
        new.schedule,
        new.person,
        new.start,
        new.end,
        &by.name,
        app.clock.now(),
    )?;
    app.store.add_override(&o).await?;
    tracing::info!(schedule = %o.schedule, person = %o.person, override_id = %o.id, "override added");
    Ok(o)
}

pub async fn remove_override(
    app: &Arc<App>,
    schedule: &ScheduleId,
    id: OverrideId,
) -> Result<(), OncallError> {
    if app.store.delete_override(schedule, id).await? {
        tracing::info!(schedule = %schedule, override_id = %id, "override removed");
        Ok(())
    } else {
        Err(OncallError::NotFound("override"))
    }
}

/// A schedule with its overrides still running or to come.
pub async fn schedule(
    app: &Arc<App>,
    id: &ScheduleId,
) -> Result<(Schedule, Vec<Override>), OncallError> {
    let s = app
        .store
        .schedule(id)
        .await?
        .ok_or(OncallError::NotFound("schedule"))?;
    let o = app.store.overrides(id, app.clock.now()).await?;
    Ok((s, o))
}

/// Who is on call for one schedule, now and next.
#[derive(Debug, Clone)]
pub struct Status {
    pub schedule: Schedule,
    pub now: OnCall,
    pub next: Option<NextHandoff>,
}

/// Who is on call at `at`, for one schedule: what a page's step asks.
pub async fn on_call(
    app: &Arc<App>,
    id: &ScheduleId,
    at: DateTime<Utc>,
) -> Result<Option<OnCall>, StoreError> {
    let Some(s) = app.store.schedule(id).await? else {
        return Ok(None);
    };
    let o = app.store.overrides(id, at).await?;
    Ok(Some(s.on_call(&o, at)))
}

/// Who every schedule and person the policy's levels name reaches at
/// `at`, read before a step that may page them. Reads nothing when no
/// level names one.
pub async fn reach(app: &App, at: DateTime<Utc>) -> Result<Reach, StoreError> {
    let mut r = Reach::default();
    for target in app.settings.policy.roster_targets() {
        match target {
            Target::Schedule(id) => {
                let Some(s) = app.store.schedule(id).await? else {
                    continue;
                };
                let o = app.store.overrides(id, at).await?;
                let on = s.on_call(&o, at).person;
                if let Some(p) = &on
                    && let Some(person) = app.store.person(p).await?
                {
                    r.person(&person);
                }
                r.schedule(id.clone(), on);
            }
            Target::Person(id) => {
                if let Some(p) = app.store.person(id).await? {
                    r.person(&p);
                }
            }
            Target::Audience(_) => {}
        }
    }
    Ok(r)
}

/// Every schedule's now and next at `at`, with the people they name.
pub async fn statuses(
    app: &Arc<App>,
    at: DateTime<Utc>,
) -> Result<(Vec<Status>, BTreeMap<PersonId, Person>), OncallError> {
    let mut out = Vec::new();
    for s in app.store.schedules().await? {
        let o = app.store.overrides(&s.id, at).await?;
        out.push(Status {
            now: s.on_call(&o, at),
            next: s.next_handoff(&o, at),
            schedule: s,
        });
    }
    Ok((out, people_by_id(app).await?))
}

async fn people_by_id(app: &Arc<App>) -> Result<BTreeMap<PersonId, Person>, StoreError> {
    Ok(app
        .store
        .people()
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect())
}

/// A new feed token for `owner`, replacing the one it had: returned once,
/// kept only as its digest.
pub async fn issue_feed(app: &Arc<App>, owner: FeedOwner) -> Result<String, OncallError> {
    let exists = match &owner {
        FeedOwner::Schedule(id) => app.store.schedule(id).await?.is_some(),
        FeedOwner::Person(id) => app.store.person(id).await?.is_some(),
    };
    if !exists {
        return Err(OncallError::NotFound(match owner {
            FeedOwner::Schedule(_) => "schedule",
            FeedOwner::Person(_) => "person",
        }));
    }
    use base64::Engine;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    app.store.set_feed(&owner, &FeedDigest::of(&token)).await?;
    tracing::info!(feed = %owner.key(), "calendar feed issued");
    Ok(token)
}

/// How far ahead a feed looks, by default and at most.
pub const FEED_DAYS: i64 = 60;
pub const MAX_FEED_DAYS: i64 = 366;

/// The feed a token opens, over the next `days`: `None` for a token that
/// opens nothing (never issued, replaced, or its owner gone).
pub async fn feed(app: &Arc<App>, token: &str, days: i64) -> Result<Option<String>, OncallError> {
    let Some(owner) = app.store.feed(&FeedDigest::of(token)).await? else {
        return Ok(None);
    };
    let now = app.clock.now();
    let until = now + Duration::days(days.clamp(1, MAX_FEED_DAYS));
    let people = people_by_id(app).await?;
    let name = |p: &PersonId| {
        people
            .get(p)
            .map_or_else(|| p.to_string(), |x| x.name.clone())
    };
    let mut events = Vec::new();
    let calendar_name = match &owner {
        FeedOwner::Schedule(id) => {
            let Some(s) = app.store.schedule(id).await? else {
                return Ok(None);
            };
            let o = app.store.overrides(id, lookback(now)).await?;
            for sh in s.shifts_around(&o, now, until) {
                let Some(p) = &sh.person else { continue };
                events.push(event(
                    &s,
                    p,
                    &name(p),
                    &sh,
                    format!("On call: {} ({})", name(p), s.name),
                ));
            }
            format!("On call: {}", s.name)
        }
        FeedOwner::Person(id) => {
            let Some(person) = people.get(id) else {
                return Ok(None);
            };
            for s in app.store.schedules().await? {
                if !s.people().contains(&id) && !has_override(app, &s, id, now).await? {
                    continue;
                }
                let o = app.store.overrides(&s.id, lookback(now)).await?;
                for sh in s.shifts_around(&o, now, until) {
                    if sh.person.as_ref() == Some(id) {
                        events.push(event(
                            &s,
                            id,
                            &person.name,
                            &sh,
                            format!("On call for {}", s.name),
                        ));
                    }
                }
            }
            events.sort_by_key(|e| e.start);
            format!("On call: {}", person.name)
        }
    };
    Ok(Some(ical::calendar(&calendar_name, &events, now)))
}

async fn has_override(
    app: &Arc<App>,
    s: &Schedule,
    id: &PersonId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(app
        .store
        .overrides(&s.id, now)
        .await?
        .iter()
        .any(|o| &o.person == id))
}

fn event(
    s: &Schedule,
    p: &PersonId,
    name: &str,
    sh: &crate::domain::oncall::Shift,
    summary: String,
) -> ical::Event {
    let start = sh.start.to_rfc3339();
    ical::Event {
        uid: ical::uid(&[s.id.as_str(), p.as_str(), &start]),
        start: sh.start,
        end: sh.end,
        summary,
        description: Some(format!(
            "{name} is on call for {} ({}), handoffs in {}",
            s.name, s.id, s.time_zone
        )),
    }
}
