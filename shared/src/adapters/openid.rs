//! `IdentityProvider` over HTTPS with the AWS SDK's own connector (hyper 1
//! and rustls on ring, the system's trust roots), so the respond function
//! links no second HTTP stack. Plain http is taken only for a loopback
//! issuer (config checks it). Bodies are bounded; nothing is logged.

use crate::ports::{IdentityError, IdentityProvider};
use async_trait::async_trait;
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use serde_json::Value;
use std::time::Duration;

/// The largest document or token answer read: a JWKS is a few kB.
const MAX_ANSWER: usize = 256 * 1024;

/// The OpenID provider's endpoints over HTTPS.
pub struct HttpIdentityProvider {
    connector: Connector,
    /// The whole exchange, so a hanging provider holds no sign-in for long.
    deadline: Duration,
}

impl Default for HttpIdentityProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpIdentityProvider {
    pub fn new() -> Self {
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_secs(3))
            .read_timeout(Duration::from_secs(5))
            .build();
        let connector = Connector::builder()
            .connector_settings(settings)
            .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build();
        Self {
            connector,
            deadline: Duration::from_secs(8),
        }
    }

    async fn send(&self, req: http::Request<SdkBody>) -> Result<Value, IdentityError> {
        let req = HttpRequest::try_from(req)
            .map_err(|e| IdentityError::Invalid(format!("request not built: {e}")))?;
        let call = async {
            let resp = self
                .connector
                .call(req)
                .await
                .map_err(|e| IdentityError::Unreachable(e.to_string()))?;
            let status = resp.status().as_u16();
            // A declared length over the bound is refused unread; an
            // undeclared one is bounded by the deadline and checked below.
            let declared = resp
                .headers()
                .get("content-length")
                .and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > MAX_ANSWER) {
                return Err(IdentityError::Invalid(format!(
                    "answer larger than {MAX_ANSWER} bytes"
                )));
            }
            let body = aws_smithy_types::byte_stream::ByteStream::new(resp.into_body())
                .collect()
                .await
                .map_err(|e| IdentityError::Unreachable(e.to_string()))?
                .into_bytes();
            Ok::<_, IdentityError>((status, body))
        };
        let (status, body) = tokio::time::timeout(self.deadline, call)
            .await
            .map_err(|_| IdentityError::Unreachable("timed out".into()))??;
        if body.len() > MAX_ANSWER {
            return Err(IdentityError::Invalid(format!(
                "answer larger than {MAX_ANSWER} bytes"
            )));
        }
        if status >= 500 {
            return Err(IdentityError::Unreachable(format!("status {status}")));
        }
        let json: Value = serde_json::from_slice(&body)
            .map_err(|_| IdentityError::Invalid(format!("status {status}, not JSON")))?;
        if !(200..300).contains(&status) {
            // The OAuth error code only: its description may repeat what was sent.
            let code = json
                .get("error")
                .and_then(Value::as_str)
                .filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_graphic()))
                .unwrap_or("no error code");
            return Err(IdentityError::Refused(format!("status {status}, {code}")));
        }
        Ok(json)
    }
}

#[async_trait]
impl IdentityProvider for HttpIdentityProvider {
    async fn document(&self, url: &str) -> Result<Value, IdentityError> {
        let req = http::Request::get(url)
            .header(http::header::ACCEPT, "application/json")
            .body(SdkBody::empty())
            .map_err(|e| IdentityError::Invalid(format!("bad URL: {e}")))?;
        self.send(req).await
    }

    async fn token(
        &self,
        url: &str,
        form: &[(&str, &str)],
        client: Option<(&str, &str)>,
    ) -> Result<Value, IdentityError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut req = http::Request::post(url)
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        if let Some((id, secret)) = client {
            use base64::Engine;
            // RFC 6749 §2.3.1: each part form-encoded before joining.
            let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(id),
                enc(secret)
            ));
            let mut value = http::HeaderValue::from_str(&format!("Basic {basic}"))
                .map_err(|_| IdentityError::Invalid("client credentials unusable".into()))?;
            value.set_sensitive(true);
            req = req.header(http::header::AUTHORIZATION, value);
        }
        let req = req
            .body(SdkBody::from(body))
            .map_err(|e| IdentityError::Invalid(format!("bad URL: {e}")))?;
        self.send(req).await
    }
}
