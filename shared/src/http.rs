//! HTTP: the routes, shared by the Lambda functions (via lambda_http) and
//! `klaxon serve` (via axum). Requests arrive as `http::Request<Bytes>`; the
//! status code and error body are chosen in one place, [`ApiError`].

use crate::app::{App, intake};
use crate::config::{Caller, Role};
use crate::domain::{FieldError, IncidentId, Report, ReportInput, Source, Status};
use crate::metrics::{self, Metric};
use crate::ports::StoreError;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use serde_json::json;
use std::sync::Arc;

/// Larger bodies are refused with 413 before parsing.
pub const MAX_BODY: usize = 64 * 1024;
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Which routes an entry point serves: each Lambda only its own, the local runner all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routes {
    Intake,
    Api,
    All,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("the report has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than {MAX_BODY} bytes")]
    PayloadTooLarge,
    #[error("send an Authorization: Bearer <token> header")]
    Unauthorized,
    #[error("your role may not do this")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(Method),
    #[error("{0}")]
    Conflict(String),
    #[error("the service is briefly unavailable; retry shortly")]
    Unavailable,
    #[error("internal error; it has been logged")]
    Internal,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } | Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Validation(_) => "invalid_fields",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn into_response(self) -> Response<Bytes> {
        let mut error = json!({"code": self.code(), "message": self.to_string()});
        if let Self::Validation(fields) = &self {
            let detail: Vec<String> = fields.iter().map(|f| f.message.clone()).collect();
            error["message"] = json!(detail.join("; "));
            error["fields"] = json!(fields);
        }
        let mut resp = json_response(self.status(), &json!({ "error": error }));
        if let Self::Unauthorized = self {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => Self::NotFound(format!("incident {id} not found")),
            StoreError::Conflict { .. } => Self::Conflict(e.to_string()),
            e if e.is_retryable() => {
                tracing::warn!(error = %e, "store unavailable");
                Self::Unavailable
            }
            e => {
                tracing::error!(error = %e, "store failure");
                metrics::incr(Metric::Errors);
                Self::Internal
            }
        }
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// For transports that stop reading at [`MAX_BODY`]: the same 413 the router gives.
pub fn payload_too_large() -> Response<Bytes> {
    metrics::incr(Metric::ReportsRejected);
    ApiError::PayloadTooLarge.into_response()
}

/// Serves one request. Never panics on input; every failure is an [`ApiError`].
pub async fn handle(app: &Arc<App>, routes: Routes, req: Request<Bytes>) -> Response<Bytes> {
    match route(app, routes, req).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

async fn route(
    app: &Arc<App>,
    routes: Routes,
    req: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let intake = matches!(routes, Routes::Intake | Routes::All);
    let api = matches!(routes, Routes::Api | Routes::All);
    match segments.as_slice() {
        ["reports"] if intake => match *req.method() {
            Method::POST => post_report(app, req).await,
            ref m => Err(ApiError::MethodNotAllowed(m.clone())),
        },
        ["healthz"] => Ok(json_response(StatusCode::OK, &json!({"status": "ok"}))),
        ["api", "v1", "incidents"] if api => {
            authorize(app, req.headers(), Role::Viewer)?;
            only_get(&req)?;
            list_incidents(app, req.uri().query()).await
        }
        ["api", "v1", "incidents", id] if api => {
            authorize(app, req.headers(), Role::Viewer)?;
            only_get(&req)?;
            get_incident(app, id).await
        }
        _ => Err(ApiError::NotFound(format!("no route for {path}"))),
    }
}

fn only_get(req: &Request<Bytes>) -> Result<(), ApiError> {
    match *req.method() {
        Method::GET => Ok(()),
        ref m => Err(ApiError::MethodNotAllowed(m.clone())),
    }
}

async fn post_report(app: &Arc<App>, req: Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let result = parse_report(&req);
    let (report, key) = match result {
        Ok(ok) => ok,
        Err(e) => {
            metrics::incr(Metric::ReportsRejected);
            return Err(e);
        }
    };
    let created = intake::submit(app, Source::Report, report, key).await?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({
            "incident_id": created.incident.id,
            "reference": created.incident.reference,
            "duplicate": created.duplicate,
        }),
    ))
}

/// Everything that can be refused is refused here, before any write.
fn parse_report(req: &Request<Bytes>) -> Result<(Report, Option<String>), ApiError> {
    if req.body().len() > MAX_BODY {
        return Err(ApiError::PayloadTooLarge);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    let key = idempotency_key(req.headers())?;
    let input: ReportInput =
        serde_json::from_slice(req.body()).map_err(|e| ApiError::BadRequest {
            code: "malformed_json",
            message: format!("the body is not a valid report object: {e}"),
        })?;
    let report = Report::parse(input).map_err(ApiError::Validation)?;
    Ok((report, key))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || ApiError::BadRequest {
        code: "invalid_idempotency_key",
        message: format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
        ),
    };
    let s = v.to_str().map_err(|_| bad())?.trim();
    if s.is_empty() || s.len() > MAX_IDEMPOTENCY_KEY || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(s.to_owned()))
}

fn authorize(app: &App, headers: &HeaderMap, need: Role) -> Result<Caller, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or(ApiError::Unauthorized)?;
    let caller = app
        .settings
        .api_tokens
        .authenticate(token)
        .ok_or(ApiError::Unauthorized)?;
    if caller.role < need {
        return Err(ApiError::Forbidden);
    }
    Ok(caller.clone())
}

async fn get_incident(app: &App, id: &str) -> Result<Response<Bytes>, ApiError> {
    let not_found = || ApiError::NotFound(format!("incident {id} not found"));
    let id: IncidentId = id.parse().map_err(|_| not_found())?;
    let incident = app.store.get(id).await?.ok_or_else(not_found)?;
    let timeline = app.store.timeline(id).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"incident": incident, "timeline": timeline}),
    ))
}

async fn list_incidents(app: &App, query: Option<&str>) -> Result<Response<Bytes>, ApiError> {
    let mut status = Status::Triaged;
    let mut limit = 50usize;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "status" => {
                status =
                    v.parse()
                        .map_err(|e: crate::domain::UnknownStatus| ApiError::BadRequest {
                            code: "invalid_status",
                            message: e.to_string(),
                        })?
            }
            "limit" => {
                limit = v.parse().ok().filter(|n| (1..=200).contains(n)).ok_or(
                    ApiError::BadRequest {
                        code: "invalid_limit",
                        message: "limit must be a number from 1 to 200".into(),
                    },
                )?
            }
            _ => {}
        }
    }
    let incidents = app.store.list_by_status(status, limit).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incidents": incidents }),
    ))
}
