//! The on-call roster as the responder API serves it: people and schedules
//! (viewers read, admins write; only admins see contact details),
//! overrides (responders: the 3 a.m. operation), who is on call now and
//! next, and the calendar feeds (an admin issues the secret URL; the feed
//! itself needs only the URL).

use super::caller::authorize;
use super::commands::{AddOverride, PutPerson, PutSchedule, time_param};
use super::errors::bad;
use super::reads::query_pairs;
use crate::app::App;
use crate::app::oncall::{self, FEED_DAYS, MAX_FEED_DAYS};
use crate::documents::ical;
use crate::domain::local_time::weekday_name;
use crate::domain::oncall::{
    FeedOwner, NextHandoff, OnCall, OverrideId, Person, PersonId, ScheduleId,
};
use crate::domain::{Caller, Role};
use crate::http::{ApiError, json_response, public_base};
use bytes::Bytes;
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The roster is the whole team's, not one tenant's: a tenant-scoped
/// token may read it, but not change who is paged.
fn authorize_roster(app: &App, req: &Request<Bytes>, need: Role) -> Result<Caller, ApiError> {
    let caller = authorize(app, req, need)?;
    if caller.tenants.is_some() {
        return Err(ApiError::Forbidden);
    }
    Ok(caller)
}

fn person_id(raw: &str) -> Result<PersonId, ApiError> {
    PersonId::parse("id", raw).map_err(|_| ApiError::NotFound("person not found".into()))
}

fn schedule_id(raw: &str) -> Result<ScheduleId, ApiError> {
    ScheduleId::parse("id", raw).map_err(|_| ApiError::NotFound("schedule not found".into()))
}

/// A person as shown: contact details only to an admin, else which
/// methods they have.
fn person_view(p: &Person, admin: bool) -> Value {
    let mut v = json!({
        "id": p.id,
        "name": p.name,
        "time_zone": p.time_zone,
        "methods": p.contacts.methods(),
        "rules": p.rules,
        "reachable": p.reachable(),
    });
    if admin {
        v["contacts"] = json!(p.contacts);
    }
    v
}

/// `GET /api/v1/people`.
pub async fn list_people(
    app: &Arc<App>,
    req: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let admin = caller.role >= Role::Admin;
    let people: Vec<Value> = app
        .store
        .people()
        .await?
        .iter()
        .map(|p| person_view(p, admin))
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "people": people })))
}

/// `GET /api/v1/people/{id}`.
pub async fn get_person(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let id = person_id(raw)?;
    let p = app
        .store
        .person(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound("person not found".into()))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "person": person_view(&p, caller.role >= Role::Admin) }),
    ))
}

/// `PUT /api/v1/people/{id}`: creates or replaces them (admin).
pub async fn put_person(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize_roster(app, req, Role::Admin)?;
    let person = PutPerson::parse(req, raw)?;
    let p = oncall::put_person(app, person).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "person": person_view(&p, true) }),
    ))
}

/// `DELETE /api/v1/people/{id}` (admin): refused while a rotation names them.
pub async fn delete_person(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize_roster(app, req, Role::Admin)?;
    let id = person_id(raw)?;
    oncall::remove_person(app, &id).await?;
    Ok(json_response(StatusCode::OK, &json!({ "deleted": id })))
}

/// `GET /api/v1/schedules`.
pub async fn list_schedules(
    app: &Arc<App>,
    req: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    authorize(app, req, Role::Viewer)?;
    let schedules = app.store.schedules().await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "schedules": schedules }),
    ))
}

/// `GET /api/v1/schedules/{id}`: the schedule, its overrides to come, and
/// who is on call now and next.
pub async fn get_schedule(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize(app, req, Role::Viewer)?;
    let tz = viewer_zone(req)?;
    let (s, overrides) = oncall::schedule(app, &schedule_id(raw)?).await?;
    let now = app.clock.now();
    let names = names(app).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "schedule": s,
            "overrides": overrides,
            "now": now_view(&s.on_call(&overrides, now), &names),
            "next": s.next_handoff(&overrides, now).map(|n| next_view(&n, &names, tz)),
        }),
    ))
}

/// `PUT /api/v1/schedules/{id}` (admin): every person named must be on the
/// roster.
pub async fn put_schedule(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize_roster(app, req, Role::Admin)?;
    let schedule = PutSchedule::parse(req, raw)?;
    let s = oncall::put_schedule(app, schedule).await?;
    Ok(json_response(StatusCode::OK, &json!({ "schedule": s })))
}

/// `DELETE /api/v1/schedules/{id}` (admin): with its overrides and feed.
pub async fn delete_schedule(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize_roster(app, req, Role::Admin)?;
    let id = schedule_id(raw)?;
    oncall::remove_schedule(app, &id).await?;
    Ok(json_response(StatusCode::OK, &json!({ "deleted": id })))
}

/// `POST /api/v1/schedules/{id}/overrides` (responder): takes effect at once.
pub async fn add_override(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize_roster(app, req, Role::Responder)?;
    let new = AddOverride::parse(req, schedule_id(raw)?)?;
    let o = oncall::add_override(app, new, &caller).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "override": o }),
    ))
}

/// `DELETE /api/v1/schedules/{id}/overrides/{override}` (responder).
pub async fn delete_override(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
    raw_override: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize_roster(app, req, Role::Responder)?;
    let schedule = schedule_id(raw)?;
    let id = OverrideId::parse(raw_override)
        .ok_or_else(|| ApiError::NotFound("override not found".into()))?;
    oncall::remove_override(app, &schedule, id).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "deleted": id.to_string() }),
    ))
}

/// The viewer's zone from `?tz=` (UTC when absent).
pub(crate) fn viewer_zone(req: &Request<Bytes>) -> Result<Tz, ApiError> {
    match query_pairs(req).into_iter().find(|(k, _)| k == "tz") {
        None => Ok(chrono_tz::UTC),
        Some((_, v)) => v.trim().parse::<Tz>().map_err(|_| {
            bad(
                "invalid_time_zone",
                "tz must be an IANA time zone such as Europe/Berlin",
            )
        }),
    }
}

/// A time as the viewer reads it: RFC 3339 in their zone, and a short
/// local form (`Mon 30 Mar 09:00 Europe/Berlin`).
pub(crate) fn local(t: DateTime<Utc>, tz: Tz) -> Value {
    let l = t.with_timezone(&tz);
    json!({
        "at": l.to_rfc3339(),
        "local": format!(
            "{} {} {}",
            weekday_name(l.weekday()),
            l.format("%-d %b %Y %H:%M"),
            tz.name()
        ),
    })
}

async fn names(app: &Arc<App>) -> Result<BTreeMap<PersonId, String>, ApiError> {
    Ok(app
        .store
        .people()
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

pub(crate) fn now_view(on: &OnCall, names: &BTreeMap<PersonId, String>) -> Value {
    json!({
        "person": on.person,
        "name": on.person.as_ref().and_then(|p| names.get(p)),
        "via": on.via,
    })
}

pub(crate) fn next_view(n: &NextHandoff, names: &BTreeMap<PersonId, String>, tz: Tz) -> Value {
    let mut v = local(n.at, tz);
    v["to"] = now_view(&n.to, names);
    v
}

/// `GET /api/v1/oncall?tz=<zone>&at=<time>`: each schedule's now and next,
/// handoff times in the viewer's zone.
pub async fn who(app: &Arc<App>, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    authorize(app, req, Role::Viewer)?;
    let tz = viewer_zone(req)?;
    let at = match query_pairs(req).into_iter().find(|(k, _)| k == "at") {
        Some((_, v)) => time_param("at", &v)?,
        None => app.clock.now(),
    };
    let (statuses, people) = oncall::statuses(app, at).await?;
    let names: BTreeMap<PersonId, String> =
        people.into_iter().map(|(id, p)| (id, p.name)).collect();
    let schedules: Vec<Value> = statuses
        .iter()
        .map(|s| {
            json!({
                "id": s.schedule.id,
                "name": s.schedule.name,
                "time_zone": s.schedule.time_zone,
                "now": now_view(&s.now, &names),
                "next": s.next.as_ref().map(|n| next_view(n, &names, tz)),
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "at": local(at, tz), "time_zone": tz.name(), "schedules": schedules }),
    ))
}

/// The feed's URL for a new token: a calendar app needs it whole, so under
/// the public URL, or else the host the request came to (the stack's own API
/// in AWS, where the respond function cannot name its API without a cycle).
fn feed_url(app: &App, req: &Request<Bytes>, token: &str) -> String {
    let base = public_base(app, req).unwrap_or_default();
    format!("{base}/calendars/{token}.ics")
}

async fn issue(
    app: &Arc<App>,
    req: &Request<Bytes>,
    owner: FeedOwner,
) -> Result<Response<Bytes>, ApiError> {
    authorize_roster(app, req, Role::Admin)?;
    let token = oncall::issue_feed(app, owner).await?;
    // The token is in the answer once, and nowhere else: not in the log.
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "url": feed_url(app, req, &token) }),
    ))
}

/// `POST /api/v1/schedules/{id}/feed` (admin): a new secret URL, replacing
/// the old one.
pub async fn schedule_feed(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    issue(app, req, FeedOwner::Schedule(schedule_id(raw)?)).await
}

/// `POST /api/v1/people/{id}/feed` (admin).
pub async fn person_feed(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    issue(app, req, FeedOwner::Person(person_id(raw)?)).await
}

/// `GET /calendars/{token}[.ics]?days=N`: the feed the token opens, for
/// calendar apps, which send no credentials; the token is the secret.
pub async fn calendar(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    let gone = || ApiError::NotFound("no such calendar".into());
    let token = raw.strip_suffix(".ics").unwrap_or(raw);
    if token.len() < 32 || token.len() > 64 {
        return Err(gone());
    }
    let days = match query_pairs(req).into_iter().find(|(k, _)| k == "days") {
        None => FEED_DAYS,
        Some((_, v)) => v
            .parse()
            .ok()
            .filter(|d| (1..=MAX_FEED_DAYS).contains(d))
            .ok_or_else(|| bad("invalid_days", format!("days must be 1 to {MAX_FEED_DAYS}")))?,
    };
    let feed = oncall::feed(app, token, days).await?.ok_or_else(gone)?;
    let mut resp = Response::new(Bytes::from(feed));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(ical::MEDIA_TYPE),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("private, max-age=300"),
    );
    Ok(resp)
}
