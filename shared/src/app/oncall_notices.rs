//! The roster's notices, from the escalate sweep: each person hears
//! `[oncall] handoff_notice` before their shift begins, and the team hears
//! of stretches with nobody on call in the next `coverage_days` and of
//! people on a schedule no page can reach. Each notice is sent once: it is
//! claimed in the delivery ledger under a key naming what it is about.

use super::App;
use super::delivery::{self, Guard, Lease};
use crate::domain::oncall::cover::lookback;
use crate::domain::oncall::{Person, PersonId, Schedule};
use crate::messages::oncall as notice;
use crate::policy::PAGING_TOPIC;
use crate::ports::{LedgerKey, Message, NotifyError, StoreError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// Sends the notices due now; returns how many went out. Reads nothing
/// more than the schedule list when there are no schedules.
pub async fn sweep(app: &App) -> Result<usize, NoticeError> {
    let schedules = app.store.schedules().await?;
    if schedules.is_empty() {
        return Ok(0);
    }
    let now = app.clock.now();
    let policy = &app.settings.policy.oncall;
    let people: BTreeMap<PersonId, Person> = app
        .store
        .people()
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let mut sent = 0;
    // Everyone a rotation names, or an override still to end: whom a page
    // may be aimed at. (Contacts may be removed after an override is added.)
    let mut in_rotation: BTreeMap<PersonId, Vec<String>> = BTreeMap::new();
    for s in &schedules {
        let overrides = app.store.overrides(&s.id, lookback(now)).await?;
        let covering = overrides.iter().filter(|o| o.end > now).map(|o| &o.person);
        for p in s.people().into_iter().chain(covering) {
            let named = in_rotation.entry(p.clone()).or_default();
            if !named.contains(&s.id.to_string()) {
                named.push(s.id.to_string());
            }
        }
        if let Some(before) = policy.handoff_notice {
            for (person, start, end) in upcoming(s, &overrides, now, now + before) {
                let Some(p) = people.get(&person) else {
                    continue;
                };
                for method in p.paging_methods() {
                    let key = format!(
                        "handoff#{}#{}#{}#{method}",
                        s.id,
                        person,
                        start.to_rfc3339()
                    );
                    let m = notice::handoff(key.clone(), PAGING_TOPIC, (p, method), s, start, end);
                    sent += once(app, key, m).await?;
                }
            }
        }
        // Each gap as it really began (not cut at `now`), so the next
        // sweep's view of the same gap has the same key; shown from now.
        let gaps: Vec<(DateTime<Utc>, DateTime<Utc>)> = s
            .shifts_around(&overrides, now, now + policy.coverage_ahead)
            .into_iter()
            .filter(|sh| sh.person.is_none())
            .map(|sh| (sh.start, sh.end))
            .collect();
        let keys: Vec<String> = gaps
            .iter()
            .map(|(start, _)| format!("gap#{}#{}", s.id, start.to_rfc3339()))
            .collect();
        let gaps: Vec<_> = gaps.into_iter().map(|(a, b)| (a.max(now), b)).collect();
        let held = claim_new(app, &keys).await?;
        if !held.is_empty() {
            let new: Vec<_> = held.iter().map(|(i, _)| gaps[*i]).collect();
            let id = held
                .iter()
                .map(|(i, _)| keys[*i].as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let m = notice::gaps(id, policy.warn, s, &new);
            sent += send(app, held.into_iter().map(|(_, g)| g).collect(), m).await?;
        }
    }
    for (id, schedules) in in_rotation {
        let Some(p) = people.get(&id).filter(|p| !p.reachable()) else {
            continue;
        };
        // A change to their methods is a new warning; the same state, none.
        let methods: Vec<&str> = p.contacts.methods().iter().map(|m| m.as_str()).collect();
        let key = format!("unreachable#{id}#{}", methods.join(","));
        let m = notice::unreachable(key.clone(), policy.warn, p, &schedules);
        sent += once(app, key, m).await?;
    }
    Ok(sent)
}

/// Shifts beginning in `(now, until]`, with their person and real end.
fn upcoming(
    s: &Schedule,
    overrides: &[crate::domain::oncall::Override],
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<(PersonId, DateTime<Utc>, Option<DateTime<Utc>>)> {
    s.shifts(overrides, now, until + chrono::Duration::seconds(1))
        .into_iter()
        .filter(|sh| sh.start > now && sh.start <= until)
        .filter_map(|sh| {
            let person = sh.person?;
            let end = s.next_handoff(overrides, sh.start).map(|h| h.at);
            Some((person, sh.start, end))
        })
        .collect()
}

/// Claims each key not sent before: its index and guard.
async fn claim_new<'a>(
    app: &'a App,
    keys: &[String],
) -> Result<Vec<(usize, Guard<'a>)>, StoreError> {
    let mut held = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let key = LedgerKey::new("oncall-notice", k);
        if let Some(g) = delivery::claim_one(app, key, Lease::Attempt).await? {
            held.push((i, g));
        }
    }
    Ok(held)
}

/// Sends `m` for the claims held: completed once sent, given back for
/// the next sweep if it failed.
async fn send(app: &App, held: Vec<Guard<'_>>, m: Message) -> Result<usize, NoticeError> {
    let outcome = app.notifier.send(&m).await;
    for g in held {
        if outcome.is_ok() {
            g.complete().await?;
        } else {
            g.release().await?;
        }
    }
    outcome?;
    tracing::info!(kind = m.attr("kind"), audience = %m.audience, "on-call notice sent");
    Ok(1)
}

/// Sends `m` unless `key` was sent before.
async fn once(app: &App, key: String, m: Message) -> Result<usize, NoticeError> {
    let held = claim_new(app, std::slice::from_ref(&key)).await?;
    if held.is_empty() {
        return Ok(0);
    }
    send(app, held.into_iter().map(|(_, g)| g).collect(), m).await
}
