//! The heartbeat monitors as the responder API serves them: list (viewer),
//! set and delete (admin).

use super::caller::authorize;
use super::commands::SetMonitor;
use crate::app::{App, heartbeat};
use crate::domain::Role;
use crate::domain::heartbeat::MonitorName;
use crate::http::{ApiError, json_response};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;
use std::sync::Arc;

fn name(raw: &str) -> Result<MonitorName, ApiError> {
    MonitorName::parse(raw).map_err(|e| ApiError::BadRequest {
        code: "invalid_name",
        message: format!("name: {e}"),
    })
}

/// `GET /api/v1/heartbeats`.
pub async fn list(app: &Arc<App>, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    authorize(app, req, Role::Viewer)?;
    let now = app.clock.now();
    let monitors: Vec<_> = app
        .store
        .monitors()
        .await?
        .into_iter()
        .map(|m| json!({"monitor": m, "due_at": m.due_at(), "late": m.late_incident.is_some() || m.is_late(now)}))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "monitors": monitors }),
    ))
}

/// `PUT /api/v1/heartbeats/{name}`: creates it, or changes its spec and
/// keeps its beats.
pub async fn put(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize(app, req, Role::Admin)?;
    let spec = SetMonitor::parse(req, name(raw)?)?;
    let m = heartbeat::configure(app, spec).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"monitor": m, "due_at": m.due_at()}),
    ))
}

/// `DELETE /api/v1/heartbeats/{name}`.
pub async fn delete(
    app: &Arc<App>,
    req: &Request<Bytes>,
    raw: &str,
) -> Result<Response<Bytes>, ApiError> {
    authorize(app, req, Role::Admin)?;
    let name = name(raw)?;
    if app.store.delete_monitor(&name).await? {
        Ok(json_response(StatusCode::OK, &json!({"deleted": name})))
    } else {
        Err(ApiError::NotFound(format!("no heartbeat monitor {name}")))
    }
}
