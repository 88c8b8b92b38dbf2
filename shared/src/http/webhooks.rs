//! Webhook routes: verify first (on the raw body, before parsing), then
//! normalise, then store once. A source with no secret configured is
//! disabled and answers 404.

use super::{ApiError, MAX_WEBHOOK_BODY, RouteId, header_str, json_response};
use crate::app::App;
use crate::app::ingest::{self, Delivery, IngestError, Ingested};
use crate::app::sources::{self, SourceAction};
use crate::domain::{Repeat, Report, Source};
use crate::metrics::{self, Metric};
use crate::webhook::normalize::{self, Key, Normalized, Pagerduty, ShapeError};
use crate::webhook::verify::{self, VerifyError};
use bytes::Bytes;
use chrono::Duration;
use http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use std::sync::Arc;

/// Clock skew allowed on Connect JWTs.
const JWT_LEEWAY_SECS: u64 = 60;

/// A delivery key used before with another body. Nothing about the first
/// incident is said. Connect gets 409, which Jira retries with a fresh
/// token: two of its webhooks in one second can carry the same token.
fn reused(source: Source) -> ApiError {
    metrics::incr(Metric::ReportsRejected);
    tracing::warn!(
        source = source.as_str(),
        "delivery key reused with another body; refused"
    );
    match source {
        Source::Connect => ApiError::Conflict(
            "this JWT was already used for a request with a different body; sign a new token for each request".into(),
        ),
        _ => ApiError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this delivery key (webhook-id or Idempotency-Key) was already used with a different body; use a new key for a new delivery".into(),
        },
    }
}

fn disabled(path: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {}: this source is not enabled",
        super::path_shape(path)
    ))
}

fn unauthorized(source: &str, e: VerifyError) -> ApiError {
    metrics::incr(Metric::ReportsRejected);
    // Only the reason is logged: never the header or the secret.
    tracing::warn!(source, reason = %e, "webhook refused");
    ApiError::Unauthorized(format!("signature check failed: {e}"))
}

fn bad(message: impl Into<String>) -> ApiError {
    metrics::incr(Metric::ReportsRejected);
    ApiError::BadRequest {
        code: "invalid_payload",
        message: message.into(),
    }
}

fn shape(e: ShapeError) -> ApiError {
    bad(e.to_string())
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("the body is not valid JSON: {e}"),
    })?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(bad("the body must be a JSON object"))
    }
}

/// Every webhook route: a disabled source is 404 and an oversized body 413,
/// before anything is read; then the sender's own route.
pub async fn handle(
    app: &Arc<App>,
    id: RouteId,
    req: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let s = &app.settings.intake;
    let enabled = match id {
        RouteId::GithubWebhook => !s.github_secrets.is_empty(),
        RouteId::JiraWebhook => !s.jira_secrets.is_empty(),
        RouteId::BitbucketWebhook => !s.bitbucket_secrets.is_empty(),
        RouteId::ConnectWebhook => s.connect.is_some(),
        RouteId::ForgeWebhook => s.forge_token.is_some() || s.forge_webhook_secret.is_some(),
        RouteId::PagerdutyEnqueue => !s.pagerduty_routing_keys.is_empty(),
        _ => false,
    };
    if !enabled {
        return Err(disabled(req.uri().path()));
    }
    if req.body().len() > MAX_WEBHOOK_BODY {
        metrics::incr(Metric::ReportsRejected);
        return Err(ApiError::PayloadTooLarge(MAX_WEBHOOK_BODY));
    }
    let (answer, source) = match id {
        RouteId::GithubWebhook => (github(app, &req).await, Source::Github),
        RouteId::JiraWebhook => (jira(app, &req).await, Source::Jira),
        RouteId::BitbucketWebhook => (bitbucket(app, &req).await, Source::Bitbucket),
        RouteId::ConnectWebhook => (connect(app, &req).await, Source::Connect),
        RouteId::ForgeWebhook => (forge(app, &req).await, Source::Forge),
        RouteId::PagerdutyEnqueue => (pagerduty(app, req.body()).await, Source::Pagerduty),
        _ => return Err(disabled(req.uri().path())),
    };
    // Any delivery the sender's signature vouched for, stored or ignored (a
    // GitHub `ping`), shows the source is alive.
    if answer.as_ref().is_ok_and(|r| r.status().is_success()) {
        crate::app::heartbeat::beat_source(app, source).await;
    }
    answer
}

/// `POST /webhooks/github`: code scanning, secret scanning and Dependabot alerts.
async fn github(app: &Arc<App>, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let (s, body) = (&app.settings.intake, req.body());
    let signature = header_str(req, "x-hub-signature-256");
    verify::hub_signature(&s.github_secrets, "X-Hub-Signature-256", signature, body)
        .map_err(|e| unauthorized("github", e))?;
    let event = header_str(req, "x-github-event")
        .ok_or_else(|| bad("the X-GitHub-Event header is required"))?;
    let n = normalize::github(event, &parse_json(body)?).map_err(shape)?;
    let delivery = Some(Delivery::SignedBody(body));
    ingest(app, Source::Github, delivery, n, None).await
}

/// `POST /webhooks/jira`: issues in the configured security projects.
async fn jira(app: &Arc<App>, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let (s, body) = (&app.settings.intake, req.body());
    let signature = header_str(req, "x-hub-signature");
    verify::hub_signature(&s.jira_secrets, "X-Hub-Signature", signature, body)
        .map_err(|e| unauthorized("jira", e))?;
    let n = normalize::jira(&parse_json(body)?, &s.jira_projects).map_err(shape)?;
    ingest(app, Source::Jira, Some(Delivery::SignedBody(body)), n, None).await
}

/// `POST /webhooks/bitbucket`: the configured repository events.
async fn bitbucket(app: &Arc<App>, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let (s, body) = (&app.settings.intake, req.body());
    let signature = header_str(req, "x-hub-signature");
    verify::hub_signature(&s.bitbucket_secrets, "X-Hub-Signature", signature, body)
        .map_err(|e| unauthorized("bitbucket", e))?;
    let event =
        header_str(req, "x-event-key").ok_or_else(|| bad("the X-Event-Key header is required"))?;
    let payload = parse_json(body)?;
    let n = normalize::bitbucket(event, &payload, &s.bitbucket_events).map_err(shape)?;
    let delivery = Some(Delivery::SignedBody(body));
    ingest(app, Source::Bitbucket, delivery, n, None).await
}

/// `POST /webhooks/connect`: a Connect app's Jira webhook or report, under
/// its JWT.
async fn connect(app: &Arc<App>, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let (s, body) = (&app.settings.intake, req.body());
    let Some(c) = &s.connect else {
        return Err(disabled(req.uri().path()));
    };
    let caller = verify::connect_jwt(
        &c.shared_secret,
        &c.client_keys,
        header_str(req, "authorization"),
        req.method().as_str(),
        req.uri().path(),
        req.uri().query(),
        app.clock.now(),
        JWT_LEEWAY_SECS,
    )
    .map_err(|e| unauthorized("connect", e))?;
    let payload = parse_json(body)?;
    let mut n = if payload.get("webhookEvent").is_some() {
        normalize::jira(&payload, &s.jira_projects).map_err(shape)?
    } else {
        Normalized::Report(
            Box::new(normalize::report_object(&payload).map_err(shape)?),
            None,
        )
    };
    if let Normalized::Report(input, _) = &mut n
        && input.tenant.is_none()
        && input.site_url.is_none()
    {
        input.tenant = Some(caller.client_key.clone());
    }
    // The token does not sign the body (`qsh` covers the method,
    // path and query only): one token, one body.
    let delivery = Delivery::Token {
        token: caller.token_id,
        body,
    };
    ingest(app, Source::Connect, Some(delivery), n, None).await
}

/// `POST /webhooks/forge`: a Forge app's report, signed or under a bearer
/// token.
async fn forge(app: &Arc<App>, req: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let (s, body) = (&app.settings.intake, req.body());
    let signed = header_str(req, "webhook-signature").is_some();
    // A signed delivery is checked against the webhook secret; an
    // unsigned one needs the bearer token.
    match (&s.forge_webhook_secret, &s.forge_token) {
        (Some(secret), token) if signed || token.is_none() => verify::standard_webhook(
            secret,
            header_str(req, "webhook-id"),
            header_str(req, "webhook-timestamp"),
            header_str(req, "webhook-signature"),
            body,
            app.clock.now(),
            Duration::minutes(5),
        ),
        (_, Some(token)) => verify::bearer(token, header_str(req, "authorization")),
        _ => return Err(disabled(req.uri().path())),
    }
    .map_err(|e| unauthorized("forge", e))?;
    let input = normalize::report_object(&parse_json(body)?).map_err(shape)?;
    let delivery = header_str(req, "webhook-id")
        .or_else(|| header_str(req, "idempotency-key"))
        .map(|key| Delivery::Keyed {
            key: key.to_owned(),
            body,
        });
    let n = Normalized::Report(Box::new(input), None);
    ingest(app, Source::Forge, delivery, n, None).await
}

/// Stores a normalised delivery once (see [`ingest::ingest`]) and answers
/// the sender.
async fn ingest(
    app: &Arc<App>,
    source: Source,
    delivery: Option<Delivery<'_>>,
    normalized: Normalized,
    extra: Option<Value>,
) -> Result<Response<Bytes>, ApiError> {
    let (input, key) = match normalized {
        Normalized::Ignored(reason) => {
            tracing::info!(source = source.as_str(), %reason, "delivery acknowledged and ignored");
            return Ok(json_response(
                StatusCode::ACCEPTED,
                &json!({"status": "ignored", "reason": reason}),
            ));
        }
        Normalized::Report(input, key) => (input, key),
    };
    let report = Report::parse(*input).map_err(|e| {
        metrics::incr(Metric::ReportsRejected);
        ApiError::Validation(e)
    })?;
    match ingest::ingest(app, source, delivery, report, key).await {
        Ok(Ingested::Stored(c)) => Ok(accepted(
            Some((c.incident.id.to_string(), c.incident.reference.to_string())),
            c.duplicate,
            extra,
        )),
        Ok(Ingested::Repeated(r)) => Ok(accepted(
            Some((r.incident_id.to_string(), r.reference.to_string())),
            true,
            extra,
        )),
        Ok(Ingested::Replayed(existing)) => Ok(accepted(
            existing.map(|i| (i.id.to_string(), i.reference.to_string())),
            true,
            extra,
        )),
        Err(IngestError::KeyReused) => Err(reused(source)),
        Err(IngestError::Store(e)) => Err(e.into()),
    }
}

fn accepted(
    incident: Option<(String, String)>,
    duplicate: bool,
    extra: Option<Value>,
) -> Response<Bytes> {
    let mut body = json!({"duplicate": duplicate});
    if let Some((id, reference)) = incident {
        body["incident_id"] = json!(id);
        body["reference"] = json!(reference);
    }
    if let Some(Value::Object(extra)) = extra {
        for (k, v) in extra {
            body[k] = v;
        }
    }
    json_response(StatusCode::ACCEPTED, &body)
}

/// PagerDuty's error shape, so PagerDuty clients report it as they would PagerDuty's.
fn pd_response(status: StatusCode, err: ApiError) -> Response<Bytes> {
    let message = err.message();
    let mut resp = json_response(
        status,
        &json!({
            "status": if status == StatusCode::UNAUTHORIZED { "unrecognized routing key" } else { "invalid event" },
            "message": if status == StatusCode::UNAUTHORIZED { "Routing key is not recognised" } else { "Event object is invalid" },
            "errors": [message],
            "error": {"code": if status == StatusCode::UNAUTHORIZED { "unauthorized" } else { "invalid_payload" }, "message": message},
        }),
    );
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
    }
    resp
}

/// `POST /v2/enqueue`: PagerDuty Events API v2 semantics and response shape.
async fn pagerduty(app: &Arc<App>, body: &[u8]) -> Result<Response<Bytes>, ApiError> {
    let s = &app.settings.intake;
    let payload: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return Ok(pd_response(
                StatusCode::BAD_REQUEST,
                bad("the event must be a JSON object"),
            ));
        }
        Err(e) => {
            return Ok(pd_response(
                StatusCode::BAD_REQUEST,
                bad(format!("the body is not valid JSON: {e}")),
            ));
        }
    };
    let Some(routing_key) = payload.get("routing_key").and_then(Value::as_str) else {
        return Ok(pd_response(
            StatusCode::BAD_REQUEST,
            bad("routing_key is required"),
        ));
    };
    if !verify::known_key(&s.pagerduty_routing_keys, routing_key) {
        return Ok(pd_response(
            StatusCode::UNAUTHORIZED,
            unauthorized("pagerduty", VerifyError::Mismatch("routing_key")),
        ));
    }
    let event = match normalize::pagerduty(&payload) {
        Ok(event) => event,
        Err(e) => return Ok(pd_response(StatusCode::BAD_REQUEST, shape(e))),
    };
    let (dedup, action) = match event {
        Pagerduty::Trigger { input, dedup_key } => {
            let dedup = dedup_key.unwrap_or_else(|| ulid::Ulid::new().to_string());
            let extra =
                json!({"status": "success", "message": "Event processed", "dedup_key": dedup});
            let n = Normalized::Report(
                input,
                Some(Key {
                    key: dedup.clone(),
                    repeat: Repeat::Occurrence,
                }),
            );
            return match ingest(app, Source::Pagerduty, None, n, Some(extra)).await {
                Err(e @ ApiError::Validation(_)) => Ok(pd_response(StatusCode::BAD_REQUEST, e)),
                other => other,
            };
        }
        Pagerduty::Acknowledge { dedup_key } => (dedup_key, SourceAction::Acknowledge),
        Pagerduty::Resolve { dedup_key } => (dedup_key, SourceAction::Resolve),
    };
    let updated = sources::source_update(app, Source::Pagerduty, &dedup, action).await?;
    let mut extra = json!({"status": "success", "message": "Event processed", "dedup_key": dedup});
    if let Some(updated) = updated {
        extra["incident_id"] = json!(updated.id);
        extra["reference"] = json!(updated.reference);
    }
    Ok(json_response(StatusCode::ACCEPTED, &extra))
}
