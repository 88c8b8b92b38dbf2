//! The post-incident documents as the responder API serves them: the
//! review, a drill's report, period metrics and the annual report.

use super::caller::authorize;
use super::commands::time_param;
use super::errors::bad;
use super::reads::query_pairs;
use crate::app::App;
use crate::app::respond;
use crate::domain::Role;
use crate::http::{ApiError, json_response};
use bytes::Bytes;
use chrono::Datelike;
use http::{Request, Response, StatusCode, header};
use serde_json::json;

pub(crate) fn markdown(body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    resp
}

/// `GET /api/v1/incidents/{id}/review.md`: the post-incident review.
pub async fn review(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    Ok(markdown(respond::review(app, &caller, key).await?))
}

/// `GET /api/v1/incidents/{id}/drill-report`: a drill's audit evidence.
pub async fn drill_report(
    app: &App,
    req: &Request<Bytes>,
    key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let (report, md) = respond::drill_report(app, &caller, key).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "report": report, "markdown": md }),
    ))
}

/// `GET /api/v1/metrics?from&to`: MTTA/MTTR per severity, deadlines met,
/// counts by class and source. Default: the last 90 days.
pub async fn metrics(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let now = app.clock.now();
    let mut from = now - chrono::Duration::days(90);
    let mut to = now;
    for (k, v) in query_pairs(req) {
        match k.as_str() {
            "from" => from = time_param("from", &v)?,
            "to" => to = time_param("to", &v)?,
            other => {
                return Err(bad(
                    "invalid_parameter",
                    format!("unknown parameter {other:?}: use from and to"),
                ));
            }
        }
    }
    if from >= to {
        return Err(bad("invalid_time", "from must be before to"));
    }
    let incidents = respond::all_between(app, &caller, from, to).await?;
    let m = crate::documents::metrics(&incidents, from, to, now);
    Ok(json_response(StatusCode::OK, &json!(m)))
}

/// `GET /api/v1/reports/annual?year=`: the yearly security report (Markdown).
pub async fn annual(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let now = app.clock.now();
    let mut year = now.year();
    for (k, v) in query_pairs(req) {
        match k.as_str() {
            "year" => {
                year = v
                    .parse()
                    .ok()
                    .filter(|y| (2000..=9999).contains(y))
                    .ok_or_else(|| bad("invalid_year", "year must be a year such as 2026"))?
            }
            other => {
                return Err(bad(
                    "invalid_parameter",
                    format!("unknown parameter {other:?}: use year"),
                ));
            }
        }
    }
    let (from, to) = crate::documents::year_window(year);
    let incidents = respond::all_between(app, &caller, from, to).await?;
    let m = crate::documents::metrics(&incidents, from, to, now);
    let org = app.settings.intake.products.join(", ");
    Ok(markdown(crate::documents::annual_markdown(
        year,
        &incidents,
        &m,
        Some(org.as_str()).filter(|o| !o.is_empty()),
    )))
}
