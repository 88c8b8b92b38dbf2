//! The responder API's reads: the incident list, the incident view and the
//! evidence manifest.

use super::caller::authorize;
use super::commands::ListIncidents;
use crate::app::App;
use crate::app::respond::{self, IncidentView};
use crate::domain::Role;
use crate::http::{ApiError, json_response};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

/// The query string's pairs, decoded.
pub(super) fn query_pairs(req: &Request<Bytes>) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// `GET /api/v1/incidents`: open incidents first, newest first within
/// each half; filters `status`, `severity`, `tenant`, `drill`, `from`,
/// `to`; `limit` (1–200, default 50) and `cursor` page through.
pub async fn list(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let ListIncidents {
        query,
        tenant,
        cursor,
    } = ListIncidents::parse(query_pairs(req))?;
    let page = crate::app::respond::list(app, &caller, query, tenant, cursor).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "incidents": page.items,
            "next_cursor": page.next.map(|c| c.encode()),
        }),
    ))
}

/// `GET /api/v1/incidents/{id}`: the incident with its reasons, whether it
/// still needs triage, deadlines and their state, timeline, tasks, evidence,
/// roles and notifications.
pub async fn get(app: &App, req: &Request<Bytes>, key: &str) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let IncidentView {
        incident,
        timeline,
        notifications,
        deadlines,
    } = respond::view(app, &caller, key).await?;
    // Each deadline with its state spelled out for people and dashboards.
    let deadlines: Vec<_> = deadlines
        .into_iter()
        .map(|(d, state)| {
            let mut v = json!(d);
            v["state"] = json!(state);
            v
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "incident": incident,
            "needs_triage": incident.needs_triage(),
            "reasons": incident.assessment.as_ref().map(|a| &a.reasons),
            "deadlines": deadlines,
            "roles": incident.roles,
            "role_history": incident.role_history,
            "tasks": incident.tasks,
            "evidence": incident.evidence,
            "timeline": timeline,
            "notifications": notifications,
        }),
    ))
}

/// `GET /api/v1/incidents/{id}/evidence`: the evidence manifest.
pub async fn evidence_manifest(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let incident = respond::visible(app, &caller, key).await?;
    let sha256sum = crate::documents::evidence_manifest(&incident);
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "incident_id": incident.id,
            "reference": incident.reference,
            "items": incident.evidence,
            "count": incident.evidence.len(),
            "sha256sum": sha256sum,
        }),
    ))
}
