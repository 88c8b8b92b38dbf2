//! Glue for the Lambda entry points, so each `main.rs` is wiring only.

use crate::adapters::aws::{self, AwsResources};
use crate::app::{App, HandlerError};
use crate::domain::DomainEvent;
use crate::http::{self, Routes};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use bytes::Bytes;
use lambda_runtime::{Diagnostic, LambdaEvent};
use std::future::Future;
use std::sync::Arc;
use tracing::Instrument;

pub type Error = lambda_runtime::Error;

/// A function's process: the TLS roots named (see [`one_root_bundle`]) while
/// the process has one thread, then the runtime, then `main`.
pub fn run<F: Future<Output = Result<(), Error>>>(main: F) -> Result<(), Error> {
    if let Some(file) = one_root_bundle(
        |var| std::env::var_os(var).is_some(),
        openssl_probe::probe().cert_file,
        |path| std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0),
    ) {
        // SAFETY: no other thread exists yet (the runtime is built below), so
        // nothing can read the environment while it changes.
        unsafe { std::env::set_var("SSL_CERT_FILE", file) };
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(main)
}

/// The root bundle to name in `SSL_CERT_FILE`, if any. Unnamed, the SDK's
/// TLS (rustls-native-certs) reads the system's bundle *and* every file in
/// each certificate directory, which holds the same roots again (on Amazon
/// Linux twice over, and once more in another format): two thirds of a
/// function's init instructions (docs/PERFORMANCE.md). Named, it reads the
/// one file. Nothing changes when the environment already names roots, or
/// when the system has no non-empty bundle where OpenSSL would look.
fn one_root_bundle(
    is_set: impl Fn(&str) -> bool,
    probed: Option<std::path::PathBuf>,
    usable: impl Fn(&std::path::Path) -> bool,
) -> Option<std::path::PathBuf> {
    if is_set("SSL_CERT_FILE") || is_set("SSL_CERT_DIR") {
        return None;
    }
    probed.filter(|file| usable(file))
}

/// Cold start: tracing in Lambda's log format, EMF metrics, config, clients.
pub async fn init(function: &str) -> Result<Arc<App>, Error> {
    lambda_runtime::tracing::init_default_subscriber();
    crate::metrics::use_emf(function);
    let resources = AwsResources::from_env()?;
    let sdk = sdk_config()?;
    let settings = aws::settings(&sdk).await?;
    Ok(aws::app(&sdk, &resources, settings))
}

/// The SDK's config from what Lambda puts in every function's environment:
/// the execution role's keys and `AWS_REGION` (and `AWS_ENDPOINT_URL`, which
/// the tests and the template run point at moto). The default chains, with
/// their profile files, web identity (an STS client), ECS and IMDS providers,
/// are what `aws_config::defaults` would build and link in; a Lambda never
/// reaches past the environment, so they are neither built at init nor in
/// the binary.
fn sdk_config() -> Result<aws_config::SdkConfig, Error> {
    let get = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
    if !env_has_credentials(get) {
        return Err(
            "no AWS credentials in the environment: AWS_ACCESS_KEY_ID and \
                    AWS_SECRET_ACCESS_KEY (Lambda sets them from the execution role)"
                .into(),
        );
    }
    let region = get("AWS_REGION")
        .or_else(|| get("AWS_DEFAULT_REGION"))
        .ok_or("no AWS_REGION in the environment (Lambda sets it)")?;
    let mut config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(aws::https_client())
        .region(aws_config::Region::new(region))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        ));
    if let Some(url) = get("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(url);
    }
    Ok(config.build())
}

/// Whether the SDK's environment credentials provider would find keys: an
/// access key and a secret (under either name), neither blank.
fn env_has_credentials(get: impl Fn(&str) -> Option<String>) -> bool {
    let set = |var: &str| get(var).is_some_and(|v| !v.trim().is_empty());
    set("AWS_ACCESS_KEY_ID") && (set("AWS_SECRET_ACCESS_KEY") || set("SECRET_ACCESS_KEY"))
}

/// Serves API Gateway HTTP API requests with the core router. Other events
/// (EventBridge findings, for intake) arrive as pass-through requests whose
/// body is the raw event and are handed to `events`.
pub async fn serve_http<G: http::Group>(app: Arc<App>) -> Result<(), Error> {
    let app = &app;
    lambda_http::run(lambda_http::service_fn(
        move |req: lambda_http::Request| async move {
            let pass_through = matches!(
                req.extensions()
                    .get::<lambda_http::request::RequestContext>(),
                Some(lambda_http::request::RequestContext::PassThrough)
            );
            let jwt = jwt_caller(&app.settings.jwt, &req);
            let (mut parts, body) = req.into_parts();
            let body = Bytes::copy_from_slice(body.as_ref());
            if let JwtCaller::Verified(caller) = &jwt {
                parts.extensions.insert(caller.clone());
            }
            let resp = if matches!(jwt, JwtCaller::NoRole) {
                http::ApiError::Forbidden.into_response()
            } else if pass_through && matches!(G::ROUTES, Routes::Intake) {
                findings(app, &body).await?
            } else if pass_through {
                return Err(Diagnostic {
                    error_type: "InvalidEvent".into(),
                    error_message: "this function only answers HTTP API requests".into(),
                });
            } else {
                http::serve::<G>(app, ::http::Request::from_parts(parts, body)).await
            };
            let (parts, body) = resp.into_parts();
            // Text bodies stay text, so API Gateway need not base64 them.
            let body = match String::from_utf8(body.to_vec()) {
                Ok(text) => lambda_http::Body::Text(text),
                Err(e) => lambda_http::Body::Binary(e.into_bytes()),
            };
            Ok::<_, Diagnostic>(Reply(lambda_http::Response::from_parts(parts, body)))
        },
    ))
    .await
}

/// A response whose body is already text or bytes. lambda_http's own
/// conversion of a `Response` decodes every text body again by its charset,
/// which links encoding_rs's tables for every legacy encoding; Klaxon's text
/// is UTF-8 and already split from its bytes above.
struct Reply(lambda_http::Response<lambda_http::Body>);

impl lambda_http::IntoResponse for Reply {
    fn into_response(
        self,
    ) -> std::pin::Pin<Box<dyn Future<Output = lambda_http::Response<lambda_http::Body>> + Send>>
    {
        Box::pin(std::future::ready(self.0))
    }
}

enum JwtCaller {
    /// API Gateway's JWT authorizer verified the token; these are its claims.
    Verified(crate::domain::Caller),
    /// A verified token that grants no Klaxon role.
    NoRole,
    /// No authorizer on this route (intake, or static tokens).
    Absent,
}

/// The caller a verified JWT names. API Gateway only fills
/// `requestContext.authorizer.jwt` after checking the token's signature,
/// expiry, issuer and audience, so the claims can be trusted here.
fn jwt_caller(map: &crate::config::JwtClaims, req: &lambda_http::Request) -> JwtCaller {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else {
        return JwtCaller::Absent;
    };
    let Some(jwt) = ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref()) else {
        return JwtCaller::Absent;
    };
    let scopes = jwt.scopes.clone().unwrap_or_default();
    match map.caller(&jwt.claims, &scopes) {
        Some(c) => JwtCaller::Verified(c),
        None => {
            tracing::info!("verified token grants no Klaxon role");
            JwtCaller::NoRole
        }
    }
}

/// An AWS security finding from EventBridge. A store failure is an error,
/// so EventBridge retries; an unknown shape is answered and not retried.
async fn findings(app: &Arc<App>, body: &[u8]) -> Result<::http::Response<Bytes>, Diagnostic> {
    let event: serde_json::Value = serde_json::from_slice(body).map_err(|e| Diagnostic {
        error_type: "InvalidEvent".into(),
        error_message: format!("the event is not JSON: {e}"),
    })?;
    let outcome = crate::app::intake::findings(app, &event)
        .await
        .map_err(|e| {
            crate::metrics::incr(crate::metrics::Metric::Errors);
            diagnostic(&HandlerError::Store(e))
        })?;
    let json = serde_json::to_vec(&outcome).map_err(|e| Diagnostic {
        error_type: "Serialise".into(),
        error_message: e.to_string(),
    })?;
    Ok(::http::Response::new(Bytes::from(json)))
}

/// A failure reported to Lambda with a meaningful `errorType`, so retries and
/// alarms can tell transient faults from bad events.
pub fn diagnostic(e: &HandlerError) -> Diagnostic {
    Diagnostic {
        error_type: e.error_type().to_owned(),
        error_message: e.to_string(),
    }
}

/// Parses a domain event out of an EventBridge envelope.
pub fn domain_event(envelope: EventBridgeEvent) -> Result<DomainEvent, Diagnostic> {
    serde_json::from_value(envelope.detail).map_err(|e| Diagnostic {
        error_type: "InvalidEvent".into(),
        error_message: format!(
            "{} event detail is not a Klaxon domain event: {e}",
            envelope.detail_type
        ),
    })
}

/// Runs an EventBridge-triggered handler over domain events.
pub async fn serve_events<F, Fut, T>(app: Arc<App>, handler: F) -> Result<(), Error>
where
    F: Fn(Arc<App>, DomainEvent) -> Fut,
    Fut: Future<Output = Result<T, HandlerError>>,
    T: serde::Serialize,
{
    let app = &app;
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<EventBridgeEvent>| async move {
            let ev = domain_event(event.payload)?;
            let span = tracing::info_span!("event", event_id = %ev.id, incident_id = %ev.incident_id, kind = %ev.kind);
            let out = handler(Arc::clone(app), ev).instrument(span).await.map_err(|e| {
                crate::metrics::incr(crate::metrics::Metric::Errors);
                tracing::error!(error = %e, "handler failed");
                diagnostic(&e)
            })?;
            serde_json::to_value(out).map_err(|e| Diagnostic {
                error_type: "Serialise".into(),
                error_message: e.to_string(),
            })
        },
    ))
    .await
}

/// Checks the payload is EventBridge's `Scheduled Event` (source
/// `aws.events`), so a misrouted event is refused rather than taken as a tick.
pub fn scheduled_event(payload: serde_json::Value) -> Result<EventBridgeEvent, Diagnostic> {
    let invalid = |why: String| Diagnostic {
        error_type: "InvalidEvent".into(),
        error_message: why,
    };
    let event: EventBridgeEvent = serde_json::from_value(payload)
        .map_err(|e| invalid(format!("not an EventBridge event: {e}")))?;
    if event.detail_type != "Scheduled Event" || event.source != "aws.events" {
        return Err(invalid(format!(
            "expected a Scheduled Event from aws.events, got {:?} from {:?}",
            event.detail_type, event.source
        )));
    }
    Ok(event)
}

/// Runs the scheduled sweep on each `Scheduled Event`.
pub async fn serve_schedule<F, Fut, T>(app: Arc<App>, tick: F) -> Result<(), Error>
where
    F: Fn(Arc<App>) -> Fut,
    Fut: Future<Output = Result<T, HandlerError>>,
    T: serde::Serialize,
{
    let app = &app;
    let tick = &tick;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let scheduled = scheduled_event(event.payload)?;
            let span = tracing::info_span!("sweep", scheduled_at = ?scheduled.time);
            let out = tick(Arc::clone(app)).instrument(span).await.map_err(|e| {
                crate::metrics::incr(crate::metrics::Metric::Errors);
                tracing::error!(error = %e, "sweep failed");
                diagnostic(&e)
            })?;
            serde_json::to_value(out).map_err(|e| Diagnostic {
                error_type: "Serialise".into(),
                error_message: e.to_string(),
            })
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::{env_has_credentials, one_root_bundle};
    use std::path::{Path, PathBuf};

    #[test]
    fn one_root_bundle_only_when_nothing_names_roots_and_the_file_is_usable() {
        let bundle = || Some(PathBuf::from("/etc/pki/tls/certs/ca-bundle.crt"));
        // (variables set, probed file, usable) -> named
        let cases: [(&[&str], Option<PathBuf>, bool, bool); 6] = [
            (&[], bundle(), true, true),
            (&["SSL_CERT_FILE"], bundle(), true, false),
            (&["SSL_CERT_DIR"], bundle(), true, false),
            (&[], bundle(), false, false),
            (&[], None, true, false),
            (&["SSL_CERT_FILE", "SSL_CERT_DIR"], None, false, false),
        ];
        for (set, probed, usable, named) in cases {
            let got = one_root_bundle(|v| set.contains(&v), probed.clone(), |_: &Path| usable);
            assert_eq!(
                got.is_some(),
                named,
                "set {set:?}, probed {probed:?}, usable {usable}"
            );
            if named {
                assert_eq!(got, probed);
            }
        }
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |var| {
            vars.iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn lambda_keys_name_the_environment_as_the_source() {
        let lambda = [
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ];
        assert!(env_has_credentials(env(&lambda)));
        assert!(env_has_credentials(env(&[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("SECRET_ACCESS_KEY", "secret"),
        ])));
    }

    #[test]
    fn missing_or_blank_keys_leave_the_default_chain() {
        assert!(!env_has_credentials(env(&[])));
        assert!(!env_has_credentials(env(&[(
            "AWS_ACCESS_KEY_ID",
            "AKIAEXAMPLE"
        )])));
        assert!(!env_has_credentials(env(&[
            ("AWS_ACCESS_KEY_ID", " "),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ])));
        assert!(!env_has_credentials(env(&[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", ""),
        ])));
    }
}
