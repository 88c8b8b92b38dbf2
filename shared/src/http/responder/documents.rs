//! The post-incident documents as the responder API serves them: the
//! review, a drill's report, period metrics and the annual report.

use super::caller::authorize;
use super::commands::time_param;
use super::errors::bad;
use super::reads::query_pairs;
use crate::app::App;
use crate::app::{reports, respond};
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

/// A metrics window from `from` and `to` (RFC 3339 or a date); absent, the
/// `default_days` before now. The API's parser, which the console's
/// metrics page shares.
pub(crate) fn period_query(
    pairs: impl IntoIterator<Item = (String, String)>,
    now: chrono::DateTime<chrono::Utc>,
    default_days: i64,
) -> Result<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>), ApiError> {
    let mut from = now - chrono::Duration::days(default_days);
    let mut to = now;
    for (k, v) in pairs {
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
    Ok((from, to))
}

/// The annual report's `year` (this year when absent).
pub(crate) fn year_query(
    pairs: impl IntoIterator<Item = (String, String)>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i32, ApiError> {
    let mut year = now.year();
    for (k, v) in pairs {
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
    Ok(year)
}

/// `GET /api/v1/metrics?from&to`: MTTA/MTTR per severity, deadlines met,
/// counts by class and source. Default: the last 90 days.
pub async fn metrics(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let (from, to) = period_query(query_pairs(req), app.clock.now(), 90)?;
    let m = reports::period(app, &caller, from, to).await?;
    Ok(json_response(StatusCode::OK, &json!(m)))
}

/// `GET /api/v1/reports/annual?year=`: the yearly security report (Markdown).
pub async fn annual(app: &App, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let caller = authorize(app, req, Role::Viewer)?;
    let year = year_query(query_pairs(req), app.clock.now())?;
    let report = reports::annual(app, &caller, year).await?;
    Ok(markdown(crate::documents::annual_report_markdown(&report)))
}
