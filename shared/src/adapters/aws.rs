//! Wiring for AWS: one App over DynamoDB, EventBridge and SNS.

use super::dynamo::DynamoIncidentStore;
use super::eventbridge::EventBridgePublisher;
use super::sns::SnsNotifier;
use crate::app::{App, Relay, Wiring};
use crate::config::{self, ApiTokens, ConfigError, IntakeSettings, Layered, Lookup, Settings};
use crate::domain::Audience;
use crate::ports::SystemClock;
use aws_config::retry::RetryConfig;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Attempts per AWS call, the first included.
pub const SDK_MAX_ATTEMPTS: u32 = 3;

/// The SDK retry every client uses, set here rather than left to the
/// environment: standard mode (throttling, 5xx and transport errors, with
/// jittered exponential backoff) and a small, fixed number of attempts, so
/// one invocation never spends its timeout retrying. Past that the failure
/// surfaces as retryable and the caller's retry (Lambda's, then the DLQ; the
/// HTTP client's; the outbox sweep) takes over.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS)
}

/// `sdk` with Klaxon's [`retry_config`], and [`https_client`] unless it
/// names a client of its own (a test's mock or interceptor).
fn with_retries(sdk: &aws_config::SdkConfig) -> aws_config::SdkConfig {
    let mut b = sdk.to_builder().retry_config(retry_config());
    if sdk.http_client().is_none() {
        b.set_http_client(Some(https_client()));
    }
    b.build()
}

/// The SDK clients' HTTPS client: the SDK's own default (hyper 1, rustls,
/// the system's roots, proxies from the environment), with rustls on ring
/// rather than aws-lc, the one crypto library the binaries link.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// The SDK's config from the environment's default chains (`AWS_PROFILE`,
/// `AWS_REGION`, ...), over [`https_client`]: the CLI's, not a Lambda's.
pub async fn sdk_from_env() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// The names of the AWS resources a function uses.
#[derive(Debug, Clone)]
pub struct AwsResources {
    pub table: String,
    pub event_bus: String,
    pub topics: BTreeMap<Audience, String>,
}

impl AwsResources {
    /// Reads `KLAXON_TABLE`, `KLAXON_EVENT_BUS` and the `KLAXON_TOPIC_*` ARNs.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut topics = BTreeMap::new();
        for audience in Audience::ALL {
            if let Some(arn) = config::optional(super::sns::topic_var(audience)) {
                topics.insert(audience, arn);
            }
        }
        Ok(Self {
            table: config::require("KLAXON_TABLE")?,
            event_bus: config::require("KLAXON_EVENT_BUS")?,
            topics,
        })
    }
}

/// Settings from the environment, falling back to the JSON object in the
/// Secrets Manager secret named by `KLAXON_SECRETS_ARN` (read once, at cold
/// start). Keys are the same variable names.
pub async fn settings(sdk: &aws_config::SdkConfig) -> Result<Settings, ConfigError> {
    let sdk = &with_retries(sdk);
    let mut fallback = BTreeMap::new();
    if let Some(arn) = config::optional("KLAXON_SECRETS_ARN") {
        let invalid = |reason: String| ConfigError::Invalid {
            var: "KLAXON_SECRETS_ARN",
            reason,
        };
        let out = aws_sdk_secretsmanager::Client::new(sdk)
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .map_err(|e| {
                invalid(format!(
                    "cannot read the secret: {}",
                    super::sdk_failure(&e).1
                ))
            })?;
        let text = out
            .secret_string()
            .ok_or_else(|| invalid("the secret has no SecretString".into()))?;
        fallback = serde_json::from_str(text).map_err(|_| {
            invalid(
                "the secret must be a JSON object of string values, keyed by variable name".into(),
            )
        })?;
    }
    let lookup = Layered(&fallback);
    Ok(Settings {
        api_tokens: ApiTokens::parse(&lookup.get("KLAXON_API_TOKENS").unwrap_or_default())?,
        intake: IntakeSettings::load(&lookup)?,
        notify: crate::config::NotifySettings::load(&lookup)?,
        jwt: crate::config::JwtClaims::load(&lookup),
        tracker: crate::config::TrackerSettings::load(&lookup)?,
        oidc: crate::config::OidcSettings::load(&lookup)?,
        policy: match lookup.get("KLAXON_POLICY_FILE") {
            None => crate::policy::Policy::builtin(),
            Some(path) => std::sync::Arc::new(
                crate::policy::Policy::load(std::path::Path::new(&path)).map_err(|e| {
                    ConfigError::Invalid {
                        var: "KLAXON_POLICY_FILE",
                        reason: e.to_string(),
                    }
                })?,
            ),
        },
    })
}

/// Builds the App once; clients are reused for every invocation.
pub fn app(sdk: &aws_config::SdkConfig, res: &AwsResources, settings: Settings) -> Arc<App> {
    let sdk = &with_retries(sdk);
    let openid = settings.oidc.is_some();
    let app = App::new(Wiring {
        store: Arc::new(DynamoIncidentStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &res.table,
        )),
        publisher: Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(sdk),
            &res.event_bus,
        )),
        notifier: Arc::new(SnsNotifier::new(
            aws_sdk_sns::Client::new(sdk),
            res.topics.clone(),
        )),
        clock: Arc::new(SystemClock),
        // Lambda may freeze the process after returning: publish first.
        relay: Relay::Inline,
        settings,
    });
    Arc::new(if openid {
        app.with_identity_provider(Arc::new(super::openid::HttpIdentityProvider::new()))
    } else {
        app
    })
}

/// The paging topic's subscriptions (`klaxon people sync`) through the
/// credentials and region the environment names (`AWS_PROFILE`,
/// `AWS_REGION`, ...), with Klaxon's [`retry_config`].
pub async fn paging_subscriptions_from_env(topic: &str) -> super::sns::SnsSubscriptions {
    let sdk = sdk_from_env().await;
    super::sns::SnsSubscriptions::new(aws_sdk_sns::Client::new(&with_retries(&sdk)), topic)
}
