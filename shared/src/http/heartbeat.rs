//! `POST /heartbeats/{name}`: a beat from whatever the monitor watches (a
//! cron job's last line, a scanner's hook). Authenticated like the
//! PagerDuty route: `Authorization: Bearer <routing key>`, one of
//! `KLAXON_PAGERDUTY_ROUTING_KEYS`; with none configured, the route is off.

use super::{ApiError, header_str, json_response};
use crate::app::{App, heartbeat};
use crate::domain::heartbeat::MonitorName;
use crate::metrics::{self, Metric};
use crate::webhook::verify;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;
use std::sync::Arc;

pub async fn beat(
    app: &Arc<App>,
    req: &Request<Bytes>,
    name: &str,
) -> Result<Response<Bytes>, ApiError> {
    let keys = &app.settings.intake.pagerduty_routing_keys;
    if keys.is_empty() {
        return Err(ApiError::NotFound(
            "no route for /heartbeats/{name}: set KLAXON_PAGERDUTY_ROUTING_KEYS to enable it"
                .into(),
        ));
    }
    let token = header_str(req, "authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    if !token.is_some_and(|t| verify::known_key(keys, t)) {
        metrics::incr(Metric::ReportsRejected);
        tracing::warn!("heartbeat refused: no known routing key");
        return Err(ApiError::Unauthorized(
            "send Authorization: Bearer <a routing key of KLAXON_PAGERDUTY_ROUTING_KEYS>".into(),
        ));
    }
    let name = MonitorName::parse(name).map_err(|e| ApiError::BadRequest {
        code: "invalid_name",
        message: format!("name: {e}"),
    })?;
    match heartbeat::beat(app, &name, "POST /heartbeats").await? {
        Some(m) => Ok(json_response(
            StatusCode::ACCEPTED,
            &json!({"status": "beaten", "monitor": m.spec.name, "due_at": m.due_at()}),
        )),
        None => Err(ApiError::NotFound(format!("no heartbeat monitor {name}"))),
    }
}
