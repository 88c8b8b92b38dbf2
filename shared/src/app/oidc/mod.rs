//! The console's sign-in through the OpenID provider: the authorization
//! code flow with PKCE (S256). [`start`] sends the browser to the provider
//! with a `state`, a `nonce` and a code challenge, all derived from a
//! [`Pending`] the browser alone holds; [`finish`] checks the `state`,
//! redeems the code with the verifier, verifies the ID token against the
//! provider's JWKS, names the caller exactly as the API names a JWT caller
//! ([`JwtClaims::caller`](crate::config::JwtClaims::caller)), and opens the
//! same session an API token opens. No code, token, state or secret is kept
//! or logged.

pub mod id_token;
pub mod pending;

use super::App;
use crate::config::OidcSettings;
use crate::domain::session::{Session, SessionId};
use crate::ports::{IdentityError, IdentityProvider, StoreError};
use chrono::{DateTime, Duration, Utc};
use id_token::{Expect, TokenError};
use jsonwebtoken::jwk::JwkSet;
pub use pending::Pending;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// How long the discovery document is trusted before it is read again.
const METADATA_TTL: Duration = Duration::hours(1);
/// The JWKS is fetched again for an unknown key at most this often, so a
/// stream of forged `kid`s cannot make us hammer the provider.
const JWKS_REFETCH: Duration = Duration::seconds(30);

/// The provider's port and what was learnt from it, kept for the process.
#[derive(Default)]
pub struct Provider {
    port: Option<Arc<dyn IdentityProvider>>,
    cache: Mutex<Cache>,
}

impl Provider {
    pub fn new(port: Arc<dyn IdentityProvider>) -> Self {
        Self {
            port: Some(port),
            cache: Mutex::default(),
        }
    }
}

#[derive(Default)]
struct Cache {
    metadata: Option<(Metadata, DateTime<Utc>)>,
    keys: Option<(Arc<JwkSet>, DateTime<Utc>)>,
}

/// The discovery document's endpoints this flow uses.
#[derive(Debug, Clone)]
struct Metadata {
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("sign-in through an identity provider is not configured")]
    NotConfigured,
    /// No sign-in under way in this browser, or it is too old, or already used.
    #[error("this sign-in has expired or was already used")]
    NoSignIn,
    /// The `state` is not the one this browser's sign-in sent.
    #[error("the sign-in's state does not match this browser")]
    State,
    /// The provider sent the browser back with an error (its code only).
    #[error("the identity provider did not sign you in ({0})")]
    Denied(String),
    #[error("the identity provider sent no authorization code")]
    NoCode,
    #[error(transparent)]
    Provider(#[from] IdentityError),
    #[error("the provider's discovery document is unusable: {0}")]
    Discovery(&'static str),
    #[error("the token endpoint sent no ID token")]
    NoIdToken,
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A valid token whose claims grant no Klaxon role.
    #[error("your account has no Klaxon role")]
    NoRole,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn configured(app: &App) -> Result<(&OidcSettings, &dyn IdentityProvider), OidcError> {
    match (&app.settings.oidc, &app.openid.port) {
        (Some(s), Some(p)) => Ok((s, p.as_ref())),
        _ => Err(OidcError::NotConfigured),
    }
}

/// Where to send the browser, and the cookie to give it.
pub struct Started {
    pub location: String,
    pub pending: Pending,
}

/// Begins a sign-in: the provider's authorization URL for a new [`Pending`].
pub async fn start(app: &App, redirect_uri: &str) -> Result<Started, OidcError> {
    let (settings, port) = configured(app)?;
    let meta = metadata(app, settings, port).await?;
    let pending = Pending::new(app.clock.now());
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid email profile")
        .append_pair("state", &pending.state())
        .append_pair("nonce", &pending.nonce())
        .append_pair("code_challenge", &pending.challenge())
        .append_pair("code_challenge_method", "S256")
        .finish();
    let sep = if meta.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    Ok(Started {
        location: format!("{}{sep}{query}", meta.authorization_endpoint),
        pending,
    })
}

/// What the provider sent the browser back with.
#[derive(Default)]
pub struct Callback<'a> {
    /// The browser's cookie, as sent.
    pub cookie: Option<&'a str>,
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// Completes a sign-in: checks, redeems, verifies, maps, opens a session.
pub async fn finish(
    app: &App,
    back: Callback<'_>,
    redirect_uri: &str,
) -> Result<(SessionId, Session), OidcError> {
    let (settings, port) = configured(app)?;
    let now = app.clock.now();
    let pending = back
        .cookie
        .and_then(Pending::parse)
        .filter(|p| p.live(now))
        .ok_or(OidcError::NoSignIn)?;
    if !pending.state_matches(back.state.unwrap_or("")) {
        return Err(OidcError::State);
    }
    if let Some(error) = back.error {
        return Err(OidcError::Denied(oauth_code(error)));
    }
    let code = back
        .code
        .filter(|c| !c.is_empty())
        .ok_or(OidcError::NoCode)?;
    let meta = metadata(app, settings, port).await?;
    let verifier = pending.verifier();
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier.as_str()),
    ];
    let client = match &settings.client_secret {
        Some(secret) => Some((settings.client_id.as_str(), secret.expose())),
        None => {
            form.push(("client_id", settings.client_id.as_str()));
            None
        }
    };
    let answer = port.token(&meta.token_endpoint, &form, client).await?;
    let token = answer
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or(OidcError::NoIdToken)?;
    let expect = Expect {
        issuer: &settings.issuer,
        audience: &settings.client_id,
        nonce: &pending.nonce(),
        now: now.timestamp(),
    };
    let keys = keys(app, port, &meta, false).await?;
    let claims = match id_token::verify(token, &keys, &expect) {
        Err(TokenError::UnknownKey) => {
            // The provider may have rotated its keys since we fetched them.
            let keys = keys_after_unknown(app, port, &meta).await?;
            id_token::verify(token, &keys, &expect)?
        }
        other => other?,
    };
    let scopes: Vec<String> = ["scope", "scp"]
        .iter()
        .filter_map(|k| claims.get(*k))
        .map(flat)
        .collect();
    let caller = app
        .settings
        .jwt
        .caller(&flatten(&claims), &scopes)
        .ok_or(OidcError::NoRole)?;
    Ok(super::session::open(app, caller).await?)
}

/// An OAuth error code as the provider sent it, if it has the shape of one
/// (RFC 6749 §4.1.2.1: printable ASCII); anything else is not repeated.
fn oauth_code(raw: &str) -> String {
    if !raw.is_empty()
        && raw.len() <= 64
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        raw.to_owned()
    } else {
        "an unrecognised error".into()
    }
}

/// The claims as API Gateway's JWT authorizer hands them to the API: a
/// string as it is, an array as `[a b]`, anything else as its JSON text. So
/// the console's caller is named by the very same mapping.
pub fn flatten(claims: &Map<String, Value>) -> HashMap<String, String> {
    claims.iter().map(|(k, v)| (k.clone(), flat(v))).collect()
}

fn flat(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(flat).collect();
            format!("[{}]", parts.join(" "))
        }
        other => other.to_string(),
    }
}

/// The discovery document's endpoints, cached for [`METADATA_TTL`]. Its
/// `issuer` must be exactly the configured one (OpenID Discovery §4.3).
async fn metadata(
    app: &App,
    settings: &OidcSettings,
    port: &dyn IdentityProvider,
) -> Result<Metadata, OidcError> {
    let now = app.clock.now();
    if let Some((m, at)) = &app.openid.cache.lock().await.metadata
        && now - *at < METADATA_TTL
    {
        return Ok(m.clone());
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        settings.issuer.trim_end_matches('/')
    );
    let doc = port.document(&url).await?;
    let meta = parse_metadata(&doc, &settings.issuer)?;
    app.openid.cache.lock().await.metadata = Some((meta.clone(), now));
    Ok(meta)
}

fn parse_metadata(doc: &Value, issuer: &str) -> Result<Metadata, OidcError> {
    if doc.get("issuer").and_then(Value::as_str) != Some(issuer) {
        return Err(OidcError::Discovery("its issuer is not the configured one"));
    }
    let endpoint = |name: &'static str| {
        doc.get(name)
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("https://") || crate::config::is_loopback_http(u))
            .map(str::to_owned)
            .ok_or(OidcError::Discovery(name))
    };
    if let Some(methods) = doc
        .get("code_challenge_methods_supported")
        .and_then(Value::as_array)
        && !methods.iter().any(|m| m == "S256")
    {
        return Err(OidcError::Discovery(
            "the provider does not offer PKCE with S256",
        ));
    }
    Ok(Metadata {
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        jwks_uri: endpoint("jwks_uri")?,
    })
}

/// The provider's keys: the cached set, or a fresh one when there is none
/// (or `refresh`).
async fn keys(
    app: &App,
    port: &dyn IdentityProvider,
    meta: &Metadata,
    refresh: bool,
) -> Result<Arc<JwkSet>, OidcError> {
    if !refresh && let Some((k, _)) = &app.openid.cache.lock().await.keys {
        return Ok(Arc::clone(k));
    }
    let doc = port.document(&meta.jwks_uri).await?;
    let set: JwkSet = serde_json::from_value(doc)
        .map_err(|_| IdentityError::Invalid("the JWKS is not a JWK set".into()))?;
    let set = Arc::new(set);
    app.openid.cache.lock().await.keys = Some((Arc::clone(&set), app.clock.now()));
    Ok(set)
}

/// After an unknown key: the JWKS fetched again, unless it was fetched in
/// the last [`JWKS_REFETCH`] (then the key is unknown, full stop).
async fn keys_after_unknown(
    app: &App,
    port: &dyn IdentityProvider,
    meta: &Metadata,
) -> Result<Arc<JwkSet>, OidcError> {
    let recent = app
        .openid
        .cache
        .lock()
        .await
        .keys
        .as_ref()
        .is_some_and(|(_, at)| app.clock.now() - *at < JWKS_REFETCH);
    if recent {
        return Err(TokenError::UnknownKey.into());
    }
    keys(app, port, meta, true).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The console names the caller from the same flattened claims API
    /// Gateway hands the API: arrays as `[a b]`, scalars as text.
    #[test]
    fn claims_flatten_as_api_gateway_hands_them_over() {
        let claims = json!({
            "sub": "u1", "klaxon_role": ["viewer", "responder"],
            "klaxon_tenants": ["acme.example", "globex.example"],
            "email_verified": true, "iat": 5,
        });
        let Value::Object(m) = claims else {
            unreachable!()
        };
        let flat = flatten(&m);
        let cases = [
            ("sub", "u1"),
            ("klaxon_role", "[viewer responder]"),
            ("klaxon_tenants", "[acme.example globex.example]"),
            ("email_verified", "true"),
            ("iat", "5"),
        ];
        for (k, v) in cases {
            assert_eq!(flat.get(k).map(String::as_str), Some(v), "{k}");
        }
        let caller = crate::config::JwtClaims::default()
            .caller(&flat, &[])
            .expect("a caller");
        assert_eq!(caller.role, crate::domain::Role::Responder);
        assert_eq!(
            caller.tenants,
            Some(vec!["acme.example".into(), "globex.example".into()])
        );
    }

    #[test]
    fn discovery_is_checked_table() {
        let iss = "https://id.example.com";
        let good = json!({
            "issuer": iss,
            "authorization_endpoint": "https://id.example.com/auth",
            "token_endpoint": "https://id.example.com/token",
            "jwks_uri": "https://id.example.com/jwks",
            "code_challenge_methods_supported": ["S256"],
        });
        assert!(parse_metadata(&good, iss).is_ok());
        let mut other_issuer = good.clone();
        other_issuer["issuer"] = json!("https://evil.example.com");
        let mut plain = good.clone();
        plain["token_endpoint"] = json!("http://id.example.com/token");
        let mut no_s256 = good.clone();
        no_s256["code_challenge_methods_supported"] = json!(["plain"]);
        let mut no_jwks = good.clone();
        no_jwks.as_object_mut().map(|m| m.remove("jwks_uri"));
        for bad in [other_issuer, plain, no_s256, no_jwks] {
            assert!(parse_metadata(&bad, iss).is_err(), "{bad}");
        }
    }

    #[test]
    fn oauth_error_codes_are_repeated_only_in_their_shape() {
        let cases = [
            ("access_denied", "access_denied"),
            ("<script>", "an unrecognised error"),
            ("", "an unrecognised error"),
        ];
        for (raw, want) in cases {
            assert_eq!(oauth_code(raw), want);
        }
    }
}
