//! HTTP: the routes, shared by the Lambda functions (via lambda_http) and
//! `klaxon serve` (via axum). Requests arrive as `http::Request<Bytes>`; the
//! status code and error body are chosen in one place, [`ApiError`].
//!
//! - [`report_form`]: the report form, `POST /reports` (its body parsed once, in `command`) and security.txt.
//! - [`webhooks`]: signed webhooks and the PagerDuty-compatible route.
//! - [`ack`]: the ack link's page and its confirmation.
//! - [`heartbeat`]: a heartbeat monitor's beat.
//! - [`html`]: the pages' templates and headers.
//! - [`public_text`](mod@public_text): what a refusal may say, scrubbed of the request's values.
//! - [`responder`]: the responder API, each write's body parsed once into a
//!   command.
//! - [`console`]: the responder console's pages under `/console`, over the
//!   responder API's commands and use cases (served with the API's group).

pub mod ack;
pub mod console;
pub mod heartbeat;
pub mod html;
mod public_text;
pub mod report_form;
pub mod responder;
pub mod webhooks;

use crate::app::App;
use crate::domain::FieldError;
use crate::metrics::{self, Metric};
use crate::ports::StoreError;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use public_text::{echo, public_text};
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;

/// The report form and JSON reports: larger bodies are refused with 413.
pub const MAX_BODY: usize = 64 * 1024;
/// Webhooks carry whole issues and alerts.
pub const MAX_WEBHOOK_BODY: usize = 256 * 1024;

/// Which routes an entry point serves: each Lambda only its own, the local runner all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routes {
    Intake,
    Api,
    All,
}

/// The caller's address, set by the transport (axum's peer, API Gateway's source IP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Every route, as the OpenAPI description names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteId {
    ReportForm,
    PostReport,
    SecurityTxt,
    Health,
    GithubWebhook,
    JiraWebhook,
    BitbucketWebhook,
    ConnectWebhook,
    ForgeWebhook,
    PagerdutyEnqueue,
    ListIncidents,
    GetIncident,
    OverrideSeverity,
    AcknowledgeIncident,
    RecordObligation,
    AckLinkPage,
    AckLinkConfirm,
    SetStatus,
    AssignRole,
    AddNote,
    AddEvidence,
    EvidenceManifest,
    AddTask,
    SettleTask,
    LegalHold,
    DeleteIncident,
    Review,
    DrillReport,
    StartDrill,
    Metrics,
    AnnualReport,
    Heartbeat,
    ListMonitors,
    PutMonitor,
    DeleteMonitor,
    ListPeople,
    GetPerson,
    PutPerson,
    DeletePerson,
    PersonFeed,
    ListSchedules,
    GetSchedule,
    PutSchedule,
    DeleteSchedule,
    AddOverride,
    DeleteOverride,
    ScheduleFeed,
    OnCall,
    Calendar,
}

pub struct Route {
    pub id: RouteId,
    pub method: Method,
    /// OpenAPI path template; `{name}` matches one segment.
    pub path: &'static str,
    pub group: Routes,
}

/// The route table: matching and the OpenAPI conformance test both read it.
pub static ROUTES: &[Route] = &[
    Route {
        id: RouteId::ReportForm,
        method: Method::GET,
        path: "/report",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::PostReport,
        method: Method::POST,
        path: "/reports",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::SecurityTxt,
        method: Method::GET,
        path: "/.well-known/security.txt",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::Health,
        method: Method::GET,
        path: "/healthz",
        group: Routes::All,
    },
    Route {
        id: RouteId::GithubWebhook,
        method: Method::POST,
        path: "/webhooks/github",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::JiraWebhook,
        method: Method::POST,
        path: "/webhooks/jira",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::BitbucketWebhook,
        method: Method::POST,
        path: "/webhooks/bitbucket",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::ConnectWebhook,
        method: Method::POST,
        path: "/webhooks/connect",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::ForgeWebhook,
        method: Method::POST,
        path: "/webhooks/forge",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::PagerdutyEnqueue,
        method: Method::POST,
        path: "/v2/enqueue",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::AckLinkPage,
        method: Method::GET,
        path: "/ack/{token}",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::AckLinkConfirm,
        method: Method::POST,
        path: "/ack/{token}",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::ListIncidents,
        method: Method::GET,
        path: "/api/v1/incidents",
        group: Routes::Api,
    },
    Route {
        id: RouteId::GetIncident,
        method: Method::GET,
        path: "/api/v1/incidents/{id}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::OverrideSeverity,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/severity",
        group: Routes::Api,
    },
    Route {
        id: RouteId::AcknowledgeIncident,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/ack",
        group: Routes::Api,
    },
    Route {
        id: RouteId::RecordObligation,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/obligations",
        group: Routes::Api,
    },
    Route {
        id: RouteId::SetStatus,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/status",
        group: Routes::Api,
    },
    Route {
        id: RouteId::AssignRole,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/roles",
        group: Routes::Api,
    },
    Route {
        id: RouteId::AddNote,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/notes",
        group: Routes::Api,
    },
    Route {
        id: RouteId::AddEvidence,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/evidence",
        group: Routes::Api,
    },
    Route {
        id: RouteId::EvidenceManifest,
        method: Method::GET,
        path: "/api/v1/incidents/{id}/evidence",
        group: Routes::Api,
    },
    Route {
        id: RouteId::AddTask,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/tasks",
        group: Routes::Api,
    },
    Route {
        id: RouteId::SettleTask,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/tasks/{task}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::LegalHold,
        method: Method::POST,
        path: "/api/v1/incidents/{id}/legal-hold",
        group: Routes::Api,
    },
    Route {
        id: RouteId::DeleteIncident,
        method: Method::DELETE,
        path: "/api/v1/incidents/{id}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::Review,
        method: Method::GET,
        path: "/api/v1/incidents/{id}/review.md",
        group: Routes::Api,
    },
    Route {
        id: RouteId::DrillReport,
        method: Method::GET,
        path: "/api/v1/incidents/{id}/drill-report",
        group: Routes::Api,
    },
    Route {
        id: RouteId::StartDrill,
        method: Method::POST,
        path: "/api/v1/drills",
        group: Routes::Api,
    },
    Route {
        id: RouteId::Metrics,
        method: Method::GET,
        path: "/api/v1/metrics",
        group: Routes::Api,
    },
    Route {
        id: RouteId::AnnualReport,
        method: Method::GET,
        path: "/api/v1/reports/annual",
        group: Routes::Api,
    },
    Route {
        id: RouteId::Heartbeat,
        method: Method::POST,
        path: "/heartbeats/{name}",
        group: Routes::Intake,
    },
    Route {
        id: RouteId::ListMonitors,
        method: Method::GET,
        path: "/api/v1/heartbeats",
        group: Routes::Api,
    },
    Route {
        id: RouteId::PutMonitor,
        method: Method::PUT,
        path: "/api/v1/heartbeats/{name}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::DeleteMonitor,
        method: Method::DELETE,
        path: "/api/v1/heartbeats/{name}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::ListPeople,
        method: Method::GET,
        path: "/api/v1/people",
        group: Routes::Api,
    },
    Route {
        id: RouteId::GetPerson,
        method: Method::GET,
        path: "/api/v1/people/{id}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::PutPerson,
        method: Method::PUT,
        path: "/api/v1/people/{id}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::DeletePerson,
        method: Method::DELETE,
        path: "/api/v1/people/{id}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::PersonFeed,
        method: Method::POST,
        path: "/api/v1/people/{id}/feed",
        group: Routes::Api,
    },
    Route {
        id: RouteId::ListSchedules,
        method: Method::GET,
        path: "/api/v1/schedules",
        group: Routes::Api,
    },
    Route {
        id: RouteId::GetSchedule,
        method: Method::GET,
        path: "/api/v1/schedules/{id}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::PutSchedule,
        method: Method::PUT,
        path: "/api/v1/schedules/{id}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::DeleteSchedule,
        method: Method::DELETE,
        path: "/api/v1/schedules/{id}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::AddOverride,
        method: Method::POST,
        path: "/api/v1/schedules/{id}/overrides",
        group: Routes::Api,
    },
    Route {
        id: RouteId::DeleteOverride,
        method: Method::DELETE,
        path: "/api/v1/schedules/{id}/overrides/{override}",
        group: Routes::Api,
    },
    Route {
        id: RouteId::ScheduleFeed,
        method: Method::POST,
        path: "/api/v1/schedules/{id}/feed",
        group: Routes::Api,
    },
    Route {
        id: RouteId::OnCall,
        method: Method::GET,
        path: "/api/v1/oncall",
        group: Routes::Api,
    },
    Route {
        id: RouteId::Calendar,
        method: Method::GET,
        path: "/calendars/{token}",
        group: Routes::Api,
    },
];

fn first(params: &[String]) -> &str {
    params.first().map(String::as_str).unwrap_or("")
}

/// Matches a path against a template, returning the `{param}` values.
fn match_path<'a>(template: &str, path: &'a str) -> Option<Vec<&'a str>> {
    let mut params = Vec::new();
    let mut t = template.split('/').filter(|s| !s.is_empty());
    let mut p = path.split('/').filter(|s| !s.is_empty());
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) if ts.starts_with('{') => params.push(ps),
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("the report has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("send the body as {0}")]
    UnsupportedMediaType(&'static str),
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    Unauthorized(String),
    #[error("your role may not do this")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    /// The method, and the methods the path does take (for `Allow`).
    #[error("method {} is not allowed here", standard_method(.0))]
    MethodNotAllowed(Method, Vec<Method>),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but refused for what it means (RFC 9110 §15.5.21).
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("too many requests from your address; try again in {0} seconds")]
    TooManyRequests(u64),
    #[error("the service is briefly unavailable; retry shortly")]
    Unavailable,
    #[error("internal error; it has been logged")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } | Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(..) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Validation(_) => "invalid_fields",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(..) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::Unprocessable { code, .. } => code,
            Self::TooManyRequests(_) => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// A message a person can act on; for invalid fields, every field's.
    /// It names the field and the rule, never the value: see [`public_text`].
    pub fn message(&self) -> String {
        public_text(&self.raw_message(), &[])
    }

    fn raw_message(&self) -> String {
        match self {
            Self::Validation(fields) => fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }

    pub fn into_response(self) -> Response<Bytes> {
        self.render(&[])
    }

    /// The response, with `echo` (the request's own values) kept out of it.
    fn render(self, echo: &[String]) -> Response<Bytes> {
        let mut error =
            json!({"code": self.code(), "message": public_text(&self.raw_message(), echo)});
        if let Self::Validation(fields) = &self {
            let fields: Vec<serde_json::Value> = fields
                .iter()
                .map(|f| json!({"field": f.field, "message": public_text(&f.message, echo)}))
                .collect();
            error["fields"] = json!(fields);
        }
        let mut resp = json_response(self.status(), &json!({ "error": error }));
        match self {
            // RFC 9110: a 405 lists the methods the resource does take.
            Self::MethodNotAllowed(_, allow) => {
                let allow = allow
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                if let Ok(v) = http::HeaderValue::from_str(&allow) {
                    resp.headers_mut().insert(header::ALLOW, v);
                }
            }
            Self::Unauthorized(_) => {
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    http::HeaderValue::from_static("Bearer"),
                );
            }
            Self::TooManyRequests(secs) => {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
            _ => {}
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => Self::NotFound("incident not found".into()),
            StoreError::Conflict { .. } => Self::Conflict(e.to_string()),
            // Says nothing of the incident the key names.
            StoreError::KeyReused => Self::Unprocessable {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was already used with a different request body; \
                          use a new key for a new request"
                    .into(),
            },
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

pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The content type's media type, lower-cased, without parameters.
pub(crate) fn media_type(req: &Request<Bytes>) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub(crate) fn header_str<'a>(req: &'a Request<Bytes>, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Whether a JSON body is an object (its first non-blank byte is `{`).
pub(crate) fn starts_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// For transports that stop reading early: the same 413 the router gives.
pub fn payload_too_large(limit: usize) -> Response<Bytes> {
    metrics::incr(Metric::ReportsRejected);
    ApiError::PayloadTooLarge(limit).into_response()
}

/// Where the service is reached, for links that must be whole: the public
/// URL when configured, or else the host the request came to, over https
/// (behind API Gateway, the stack's own URL). Never ends in a slash.
pub fn public_base(app: &App, req: &Request<Bytes>) -> Option<String> {
    app.settings
        .intake
        .public_url
        .clone()
        .or_else(|| {
            req.headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| !h.is_empty())
                .map(|h| format!("https://{h}"))
        })
        .map(|b| b.trim_end_matches('/').to_owned())
}

/// The largest body any route takes; transports may stop reading past it.
pub const MAX_ANY_BODY: usize = MAX_WEBHOOK_BODY;

/// Serves one request. Never panics on input; every failure is an [`ApiError`].
/// Names every route group's handlers; a Lambda serves its own group with
/// [`serve`] instead, so it links only that group's code.
pub async fn handle(app: &Arc<App>, routes: Routes, req: Request<Bytes>) -> Response<Bytes> {
    match routes {
        Routes::Intake => serve::<IntakeRoutes>(app, req).await,
        Routes::Api => serve::<ApiRoutes>(app, req).await,
        Routes::All => serve::<AllRoutes>(app, req).await,
    }
}

/// Serves one request with group `G`'s routes.
pub async fn serve<G: Group>(app: &Arc<App>, req: Request<Bytes>) -> Response<Bytes> {
    // The console's pages go with the responder API; intake has none.
    let req = match G::console(app, req) {
        Ok(page) => return page.await,
        Err(req) => req,
    };
    // Kept (cheaply: shared buffers) so that a refusal can leave the
    // request's own values out of what it says.
    let sent = (req.uri().clone(), req.headers().clone(), req.body().clone());
    let result = match find(G::ROUTES, &req) {
        Ok((id, params)) => G::dispatch(app, id, &params, req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(resp) => resp,
        Err(e) => {
            let echo = echo(&sent.0, &sent.1, &sent.2);
            if e.status().is_client_error() {
                let reason = public_text(&e.raw_message(), &echo);
                tracing::info!(code = e.code(), %reason, "request refused");
            }
            e.render(&echo)
        }
    }
}

/// A set of routes one entry point serves. Each group's `dispatch` names
/// only its own handlers: the intake Lambda then links no responder API,
/// and the respond Lambda no webhook verifiers, report form or JWT code.
pub trait Group {
    const ROUTES: Routes;
    /// The console's answer, for a group that serves its pages and a path
    /// that is one; the request back otherwise. A method rather than a
    /// branch in [`serve`], so a group without the console (intake) links
    /// none of its code: an await in `serve` would keep it reachable.
    // `Err` hands the request back unchanged; boxing it would cost every
    // request an allocation to say "not a console path".
    #[allow(clippy::result_large_err)]
    fn console(app: &Arc<App>, req: Request<Bytes>) -> Result<Page<'_>, Request<Bytes>> {
        let _ = app;
        Err(req)
    }
    fn dispatch(
        app: &Arc<App>,
        id: RouteId,
        params: &[String],
        req: Request<Bytes>,
    ) -> impl Future<Output = Result<Response<Bytes>, ApiError>> + Send;
}

/// A page being rendered, its type erased.
pub type Page<'a> = std::pin::Pin<Box<dyn Future<Output = Response<Bytes>> + Send + 'a>>;

/// The report form, reports, webhooks and ack links.
pub struct IntakeRoutes;
/// The responder API.
pub struct ApiRoutes;
/// Everything: `klaxon serve`.
pub struct AllRoutes;

impl Group for IntakeRoutes {
    const ROUTES: Routes = Routes::Intake;
    fn dispatch(
        app: &Arc<App>,
        id: RouteId,
        params: &[String],
        req: Request<Bytes>,
    ) -> impl Future<Output = Result<Response<Bytes>, ApiError>> + Send {
        // On the heap: unboxed, every caller's frame holds all the routes'
        // futures, which overflowed a 2 MiB thread stack in a debug build.
        Box::pin(dispatch_intake(app, id, params, req))
    }
}

impl Group for ApiRoutes {
    const ROUTES: Routes = Routes::Api;
    fn console(app: &Arc<App>, req: Request<Bytes>) -> Result<Page<'_>, Request<Bytes>> {
        if console::is_console(req.uri().path()) {
            Ok(Box::pin(console::serve(app, req)))
        } else {
            Err(req)
        }
    }
    fn dispatch(
        app: &Arc<App>,
        id: RouteId,
        params: &[String],
        req: Request<Bytes>,
    ) -> impl Future<Output = Result<Response<Bytes>, ApiError>> + Send {
        // On the heap: unboxed, every caller's frame holds all the routes'
        // futures, which overflowed a 2 MiB thread stack in a debug build.
        Box::pin(dispatch_api(app, id, params, req))
    }
}

impl Group for AllRoutes {
    const ROUTES: Routes = Routes::All;
    fn console(app: &Arc<App>, req: Request<Bytes>) -> Result<Page<'_>, Request<Bytes>> {
        ApiRoutes::console(app, req)
    }
    async fn dispatch(
        app: &Arc<App>,
        id: RouteId,
        params: &[String],
        req: Request<Bytes>,
    ) -> Result<Response<Bytes>, ApiError> {
        match ROUTES.iter().find(|r| r.id == id).map(|r| r.group) {
            Some(Routes::Intake) => IntakeRoutes::dispatch(app, id, params, req).await,
            _ => ApiRoutes::dispatch(app, id, params, req).await,
        }
    }
}

/// The route `req` asks for among `routes`, with its decoded parameters;
/// 404 for an unknown path, 405 (with what is allowed) for a wrong method.
/// A method's name if it is one HTTP defines: any other is the client's own
/// text, not repeated back.
fn standard_method(m: &Method) -> &str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    if KNOWN.contains(m) {
        m.as_str()
    } else {
        "this method"
    }
}

/// A path as it may be shown and logged: a segment that could be a token
/// (long, or not plain letters and digits) is not repeated back, since an
/// ack link's token is a path segment.
pub(crate) fn path_shape(path: &str) -> String {
    let literal = |seg: &str| {
        ROUTES
            .iter()
            .any(|r| r.path.split('/').any(|l| !l.starts_with('{') && l == seg))
    };
    path.split('/')
        .map(|seg| {
            if seg.is_empty() || literal(seg) {
                seg
            } else {
                "{…}"
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn find(routes: Routes, req: &Request<Bytes>) -> Result<(RouteId, Vec<String>), ApiError> {
    let path = req.uri().path();
    let shown = path_shape(path);
    let serves = |g: Routes| routes == Routes::All || g == Routes::All || g == routes;
    let mut allowed = Vec::new();
    for r in ROUTES.iter().filter(|r| serves(r.group)) {
        if let Some(params) = match_path(r.path, path) {
            allowed.push(r.method.clone());
            if r.method == req.method() {
                // Clients percent-encode segments (`KLX%2D...`, `%2313`).
                let decoded = params
                    .into_iter()
                    .map(|p| {
                        percent_encoding::percent_decode_str(p)
                            .decode_utf8()
                            .map(|d| d.into_owned())
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| ApiError::NotFound(format!("no route for {shown}")))?;
                return Ok((r.id, decoded));
            }
        }
    }
    Err(if !allowed.is_empty() {
        ApiError::MethodNotAllowed(req.method().clone(), allowed)
    } else {
        ApiError::NotFound(format!("no route for {shown}"))
    })
}

fn health() -> Response<Bytes> {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

/// A route of another group: `find` never matches one, but the match must
/// say something.
fn elsewhere(req: &Request<Bytes>) -> ApiError {
    ApiError::NotFound(format!("no route for {}", path_shape(req.uri().path())))
}

async fn dispatch_intake(
    app: &Arc<App>,
    id: RouteId,
    params: &[String],
    req: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let param = first(params);
    match id {
        RouteId::Health => Ok(health()),
        RouteId::ReportForm => Ok(report_form::form_page(app)),
        RouteId::PostReport => report_form::post(app, req).await,
        RouteId::SecurityTxt => Ok(report_form::security_txt(app, &req)),
        RouteId::GithubWebhook
        | RouteId::JiraWebhook
        | RouteId::BitbucketWebhook
        | RouteId::ConnectWebhook
        | RouteId::ForgeWebhook
        | RouteId::PagerdutyEnqueue => webhooks::handle(app, id, req).await,
        RouteId::AckLinkPage => Ok(ack::show(app, param).await),
        RouteId::AckLinkConfirm => Ok(ack::confirm(app, param).await),
        RouteId::Heartbeat => heartbeat::beat(app, &req, param).await,
        _ => Err(elsewhere(&req)),
    }
}

async fn dispatch_api(
    app: &Arc<App>,
    id: RouteId,
    params: &[String],
    req: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    use responder::{documents, monitors, oncall, reads, writes};
    let id_param = first(params);
    match id {
        RouteId::Health => Ok(health()),
        RouteId::ListIncidents => reads::list(app, &req).await,
        RouteId::GetIncident => reads::get(app, &req, id_param).await,
        RouteId::OverrideSeverity => writes::override_severity(app, &req, id_param).await,
        RouteId::AcknowledgeIncident => writes::acknowledge(app, &req, id_param).await,
        RouteId::RecordObligation => writes::record_obligation(app, &req, id_param).await,
        RouteId::SetStatus => writes::set_status(app, &req, id_param).await,
        RouteId::AssignRole => writes::assign_role(app, &req, id_param).await,
        RouteId::AddNote => writes::add_note(app, &req, id_param).await,
        RouteId::AddEvidence => writes::add_evidence(app, &req, id_param).await,
        RouteId::EvidenceManifest => reads::evidence_manifest(app, &req, id_param).await,
        RouteId::AddTask => writes::add_task(app, &req, id_param).await,
        RouteId::SettleTask => {
            let task = params.get(1).map(String::as_str).unwrap_or("");
            writes::settle_task(app, &req, id_param, task).await
        }
        RouteId::LegalHold => writes::legal_hold(app, &req, id_param).await,
        RouteId::DeleteIncident => writes::delete(app, &req, id_param).await,
        RouteId::Review => documents::review(app, &req, id_param).await,
        RouteId::DrillReport => documents::drill_report(app, &req, id_param).await,
        RouteId::StartDrill => writes::start_drill(app, &req).await,
        RouteId::Metrics => documents::metrics(app, &req).await,
        RouteId::AnnualReport => documents::annual(app, &req).await,
        RouteId::ListMonitors => monitors::list(app, &req).await,
        RouteId::PutMonitor => monitors::put(app, &req, id_param).await,
        RouteId::DeleteMonitor => monitors::delete(app, &req, id_param).await,
        RouteId::ListPeople => oncall::list_people(app, &req).await,
        RouteId::GetPerson => oncall::get_person(app, &req, id_param).await,
        RouteId::PutPerson => oncall::put_person(app, &req, id_param).await,
        RouteId::DeletePerson => oncall::delete_person(app, &req, id_param).await,
        RouteId::PersonFeed => oncall::person_feed(app, &req, id_param).await,
        RouteId::ListSchedules => oncall::list_schedules(app, &req).await,
        RouteId::GetSchedule => oncall::get_schedule(app, &req, id_param).await,
        RouteId::PutSchedule => oncall::put_schedule(app, &req, id_param).await,
        RouteId::DeleteSchedule => oncall::delete_schedule(app, &req, id_param).await,
        RouteId::AddOverride => oncall::add_override(app, &req, id_param).await,
        RouteId::DeleteOverride => {
            let o = params.get(1).map(String::as_str).unwrap_or("");
            oncall::delete_override(app, &req, id_param, o).await
        }
        RouteId::ScheduleFeed => oncall::schedule_feed(app, &req, id_param).await,
        RouteId::OnCall => oncall::who(app, &req).await,
        RouteId::Calendar => oncall::calendar(app, &req, id_param).await,
        _ => Err(elsewhere(&req)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token in a path or a made-up method is not repeated in a refusal,
    /// which is also what the log records.
    #[test]
    fn refusals_do_not_repeat_paths_or_methods() {
        let token = "Zx9kQ2mN7vB4cL1pR8sT3wY6uJ0hG5fD";
        let cases = [
            (format!("/ack/{token}%FF"), "/ack/{…}"),
            (
                format!("/api/v1/incidents/{token}"),
                "/api/v1/incidents/{…}",
            ),
            (
                "/api/v1/incidents/KLX-2026-7QX4MZ".to_owned(),
                "/api/v1/incidents/{…}",
            ),
            ("/zzrfqgggwxcxbyrz".to_owned(), "/{…}"),
            ("/ack/a%2Fb".to_owned(), "/ack/{…}"),
        ];
        for (path, want) in cases {
            assert_eq!(path_shape(&path), want, "{path}");
        }
        let m = Method::from_bytes(format!("X{token}").as_bytes()).expect("a token is a method");
        let e = ApiError::MethodNotAllowed(m, vec![Method::GET]).to_string();
        assert!(!e.contains(token), "{e}");
        let e = ApiError::MethodNotAllowed(Method::DELETE, vec![Method::GET]).to_string();
        assert_eq!(e, "method DELETE is not allowed here");
        // An id asked for is not repeated: a lower-case passphrase is an id too.
        let id = "correct-horse-battery-ysyccvzkkh";
        let e = ApiError::from(crate::app::respond::RespondError::NotFound(id.into())).to_string();
        assert_eq!(e, "incident not found");
    }

    /// A client's value is kept out even where it holds serde's own words or
    /// backticks.
    #[test]
    fn refusals_do_not_repeat_tricky_values() {
        let t = "MkQyoIQWb5tZFox93SXDLc";
        let cases = [
            format!("unknown note kind \"expected `{t}` yes\": use fact or hypothesis"),
            format!("unknown field `a`{t}`b`, expected `kind` or `text`"),
            format!("unknown variant `x`{t}`y`, expected one of `open`, `closed`"),
        ];
        for c in cases {
            let out = public_text(&c, &[]);
            assert!(
                !out.to_lowercase().contains(&t.to_lowercase()),
                "{c} -> {out}"
            );
        }
        assert_eq!(
            public_text(
                &format!("unknown field `a`{t}`b`, expected `kind` or `text`"),
                &[]
            ),
            "unknown field, expected `kind` or `text`"
        );
        // The API's own example keeps its field names.
        assert_eq!(
            public_text(
                &format!(
                    "send {{\"hold\": true, \"reason\": \"...\"}}: invalid type: string \"{t}\", expected a boolean"
                ),
                &[]
            ),
            "send {\"hold\": true, \"reason\": \"...\"}: invalid type: string, expected a boolean"
        );
    }

    /// Refusals name the field and the rule, never the value (issue 16).
    #[test]
    fn public_text_table() {
        let t = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
        let cases = [
            (
                format!("unknown variant `{t}`, expected one of `open`, `closed`"),
                "unknown variant, expected one of `open`, `closed`".to_owned(),
            ),
            (
                format!("invalid type: string \"{t}\", expected a boolean at line 1 column 9"),
                "invalid type: string, expected a boolean at line 1 column 9".to_owned(),
            ),
            (
                format!("unknown task state \"{t}\": use done, waived or open"),
                "unknown task state: use done, waived or open".to_owned(),
            ),
            (
                "missing field `title` at line 1 column 2".to_owned(),
                "missing field `title` at line 1 column 2".to_owned(),
            ),
            (format!("unclosed \"{t}"), "unclosed".to_owned()),
            (
                format!("escaped \"a\\\"{t}\" here"),
                "escaped here".to_owned(),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(public_text(&input, &[]), want, "{input}");
        }
        // Unquoted, it is the request's own value that goes; a secret
        // shape goes anyway.
        assert_eq!(
            public_text(&format!("incident {t}x not found"), &[format!("{t}x")]),
            "incident … not found"
        );
        assert!(!public_text(&format!("task {t} not found"), &[]).contains("aBcDeFgH"));
    }

    #[test]
    fn path_matching_table() {
        let cases = [
            ("/reports", "/reports", Some(vec![])),
            ("/reports", "/reports/", Some(vec![])),
            ("/reports", "/report", None),
            (
                "/api/v1/incidents/{id}",
                "/api/v1/incidents/01ABC",
                Some(vec!["01ABC"]),
            ),
            ("/api/v1/incidents/{id}", "/api/v1/incidents", None),
            ("/api/v1/incidents/{id}", "/api/v1/incidents/a/b", None),
            (
                "/.well-known/security.txt",
                "/.well-known/security.txt",
                Some(vec![]),
            ),
        ];
        for (t, p, want) in cases {
            assert_eq!(match_path(t, p), want, "{t} vs {p}");
        }
    }
}
