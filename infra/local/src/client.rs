//! The responder API over HTTP, for the `klaxon` subcommands that work on a
//! running `klaxon serve` or a deployed stack. One generic [`Client::request`];
//! what to send and how to show the answer is in [`crate::commands`].
//!
//! The bearer token comes from `KLAXON_API_TOKEN` only (a flag would land in
//! shell history) and is never printed: `Debug` hides it, errors never carry
//! it, and reqwest marks the header sensitive.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::fmt;
use std::time::Duration;
use url::Url;

/// Where `klaxon serve` listens by default.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8080";
/// The environment variable holding the bearer token.
pub const TOKEN_VAR: &str = "KLAXON_API_TOKEN";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "{TOKEN_VAR} is not set: export an API token (one of the server's KLAXON_API_TOKENS entries) as {TOKEN_VAR}"
    )]
    MissingToken,
    #[error(
        "{TOKEN_VAR} contains characters an Authorization header cannot carry (spaces or non-ASCII); check how it was exported"
    )]
    BadToken,
    #[error("{url:?} is not an API URL: {reason} (expected e.g. {DEFAULT_API_URL})")]
    BadUrl { url: String, reason: String },
    #[error("{what} {value:?} cannot be part of an API path")]
    BadSegment { what: &'static str, value: String },
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    #[error(
        "cannot reach the Klaxon API at {url}: {reason}. Is `klaxon serve` running? Start it with `klaxon serve`, or point --api (or KLAXON_API_URL) at your stack's ApiUrl"
    )]
    Unreachable { url: String, reason: String },
    #[error("the request to {url} failed: {reason}")]
    Transport { url: String, reason: String },
    /// The API's own `{"error": {"code", "message"}}`.
    #[error("{message} ({code}, HTTP {status})")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("{url} redirects to {location}; pass that URL with --api")]
    Redirect { url: String, location: String },
    #[error("unexpected answer from {url} (HTTP {status}): {body}")]
    Unexpected {
        url: String,
        status: u16,
        body: String,
    },
}

impl ClientError {
    /// The HTTP status, for an error the API answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Unexpected { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The bearer token. Its `Debug` never shows it.
struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

impl Token {
    fn parse(raw: Option<String>) -> Result<Self, ClientError> {
        let raw = raw.ok_or(ClientError::MissingToken)?;
        let token = raw.trim();
        if token.is_empty() {
            return Err(ClientError::MissingToken);
        }
        // Visible ASCII only: anything else cannot go in a header as is.
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ClientError::BadToken);
        }
        Ok(Self(token.to_owned()))
    }
}

/// An answer with a 2xx status.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: String,
    url: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Result<Value, ClientError> {
        serde_json::from_str(&self.body).map_err(|e| ClientError::Unexpected {
            url: self.url.clone(),
            status: self.status.as_u16(),
            body: format!("not JSON ({e}): {}", snippet(&self.body)),
        })
    }
}

#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Token,
}

impl Client {
    /// A client for the API at `base` (default [`DEFAULT_API_URL`]), with
    /// the token from `KLAXON_API_TOKEN`.
    pub fn from_env(base: Option<&str>) -> Result<Self, ClientError> {
        Self::new(
            base.unwrap_or(DEFAULT_API_URL),
            std::env::var(TOKEN_VAR).ok(),
        )
    }

    pub fn new(base: &str, token: Option<String>) -> Result<Self, ClientError> {
        let base = parse_base(base)?;
        let token = Token::parse(token)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // An API never redirects; following one could turn a POST into
            // a GET or send the token somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("klaxon-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Setup(root_cause(&e)))?;
        Ok(Self { http, base, token })
    }

    /// The API's base URL, as requests use it.
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// True when the token would cross a network in plain text: `http://`
    /// to anything but this machine.
    pub fn sends_token_in_clear(&self) -> bool {
        if self.base.scheme() != "http" {
            return false;
        }
        match self.base.host() {
            Some(url::Host::Ipv4(ip)) => !ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => !ip.is_loopback(),
            Some(url::Host::Domain(d)) => !d.eq_ignore_ascii_case("localhost"),
            None => true,
        }
    }

    /// `base` + the path segments (each percent-encoded) + the query.
    pub fn url(&self, path: &[&str], query: &[(&str, String)]) -> Result<Url, ClientError> {
        let mut url = self.base.clone();
        for s in path {
            // `url` drops "." and ".." segments, which would change the route.
            if s.is_empty() || *s == "." || *s == ".." {
                return Err(ClientError::BadSegment {
                    what: "path segment",
                    value: (*s).to_owned(),
                });
            }
        }
        url.path_segments_mut()
            .map_err(|()| ClientError::BadUrl {
                url: self.base.to_string(),
                reason: "it cannot have a path".into(),
            })?
            .pop_if_empty()
            .extend(path);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (k, v.as_str())));
        }
        Ok(url)
    }

    pub async fn get(&self, path: &[&str], query: &[(&str, String)]) -> Result<Reply, ClientError> {
        self.request(Method::GET, path, query, None).await
    }

    pub async fn post(&self, path: &[&str], body: &Value) -> Result<Reply, ClientError> {
        self.request(Method::POST, path, &[], Some(body)).await
    }

    pub async fn delete(&self, path: &[&str]) -> Result<Reply, ClientError> {
        self.request(Method::DELETE, path, &[], None).await
    }

    /// One call. A non-2xx answer is an error: the API's own
    /// `{"error": {...}}` when it sent one.
    pub async fn request(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Reply, ClientError> {
        let url = self.url(path, query)?;
        let shown = url.to_string();
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(&self.token.0)
            .header(reqwest::header::ACCEPT, "application/json, text/markdown");
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.map_err(|e| self.send_error(&shown, &e))?;
        let status = resp.status();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text().await.map_err(|e| ClientError::Transport {
            url: shown.clone(),
            reason: root_cause(&e),
        })?;
        if status.is_success() {
            return Ok(Reply {
                status,
                body: text,
                url: shown,
            });
        }
        if status.is_redirection() {
            return Err(ClientError::Redirect {
                url: shown,
                location: location.unwrap_or_else(|| "an unnamed location".into()),
            });
        }
        Err(api_error(&shown, status, &text))
    }

    fn send_error(&self, url: &str, e: &reqwest::Error) -> ClientError {
        if e.is_connect() {
            ClientError::Unreachable {
                url: self.base().to_owned(),
                reason: root_cause(e),
            }
        } else if e.is_timeout() {
            ClientError::Unreachable {
                url: self.base().to_owned(),
                reason: format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
            }
        } else {
            ClientError::Transport {
                url: url.to_owned(),
                reason: root_cause(e),
            }
        }
    }
}

fn parse_base(raw: &str) -> Result<Url, ClientError> {
    let bad = |reason: &str| ClientError::BadUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("use http:// or https://"));
    }
    if url.host().is_none() {
        return Err(bad("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("drop the ?query or #fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "credentials do not belong in the URL; use KLAXON_API_TOKEN",
        ));
    }
    Ok(url)
}

/// The API's error body, API Gateway's `{"message"}`, or a snippet of
/// whatever came back.
fn api_error(url: &str, status: StatusCode, body: &str) -> ClientError {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let error = v.as_ref().map(|v| &v["error"]);
    if let Some(message) = error.and_then(|e| e["message"].as_str()) {
        let code = error
            .and_then(|e| e["code"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| status_code_name(status));
        return ClientError::Api {
            status: status.as_u16(),
            code,
            message: message.to_owned(),
        };
    }
    if let Some(message) = v.as_ref().and_then(|v| v["message"].as_str()) {
        return ClientError::Api {
            status: status.as_u16(),
            code: status_code_name(status),
            message: message.to_owned(),
        };
    }
    ClientError::Unexpected {
        url: url.to_owned(),
        status: status.as_u16(),
        body: snippet(body),
    }
}

/// `not_found` for 404, as the API names its codes.
fn status_code_name(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

/// The first line or 200 characters of a body, for an error message.
fn snippet(body: &str) -> String {
    let line = body.trim().lines().next().unwrap_or("");
    let short: String = line.chars().take(200).collect();
    if short.is_empty() {
        "(empty body)".into()
    } else if short.len() < body.trim().len() {
        format!("{short}…")
    } else {
        short
    }
}

/// The innermost cause ("Connection refused"), which says more than
/// reqwest's "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        Client::new(base, Some("a-long-test-token-0123".into())).expect("client")
    }

    #[test]
    fn url_encodes_each_segment_and_query_value() {
        let c = client("https://abc.execute-api.eu-west-1.amazonaws.com/prod/");
        let url = c
            .url(
                &["api", "v1", "incidents", "a/b?c#d e%", "ack"],
                &[("tenant", "acme & co".into()), ("cursor", "x=y+z".into())],
            )
            .expect("url");
        assert_eq!(
            url.as_str(),
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/api/v1/incidents/a%2Fb%3Fc%23d%20e%25/ack?tenant=acme+%26+co&cursor=x%3Dy%2Bz"
        );
        let local = client("http://127.0.0.1:8080");
        assert_eq!(
            local
                .url(&["api", "v1", "incidents", "KLX-2026-7QX4MZ"], &[])
                .expect("url")
                .as_str(),
            "http://127.0.0.1:8080/api/v1/incidents/KLX-2026-7QX4MZ"
        );
        for bad in ["", ".", ".."] {
            assert!(
                local.url(&["api", bad], &[]).is_err(),
                "{bad:?} would change the route"
            );
        }
    }

    #[test]
    fn base_url_table() {
        let cases = [
            ("http://127.0.0.1:8080", true),
            ("https://x.example.com/prod", true),
            ("  http://localhost:8080/  ", true),
            ("127.0.0.1:8080", false),
            ("ftp://x.example.com", false),
            ("https://x.example.com/?a=b", false),
            ("https://user:pw@x.example.com", false),
            ("not a url", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(parse_base(raw).is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn token_is_required_and_never_shown() {
        let missing = Client::new(DEFAULT_API_URL, None).unwrap_err();
        assert!(missing.to_string().contains(TOKEN_VAR), "{missing}");
        let blank = Client::new(DEFAULT_API_URL, Some("  \n".into())).unwrap_err();
        assert!(matches!(blank, ClientError::MissingToken));
        let bad = Client::new(DEFAULT_API_URL, Some("two words-0123456789".into())).unwrap_err();
        assert!(matches!(bad, ClientError::BadToken));
        assert!(!bad.to_string().contains("two words"), "{bad}");
        let c = Client::new(DEFAULT_API_URL, Some("secret-token-0123456789\n".into()))
            .expect("trailing newline trimmed");
        assert!(!format!("{c:?}").contains("secret-token"));
    }

    #[test]
    fn token_in_clear_only_off_this_machine() {
        assert!(!client("http://127.0.0.1:8080").sends_token_in_clear());
        assert!(!client("http://[::1]:8080").sends_token_in_clear());
        assert!(!client("http://localhost:8080").sends_token_in_clear());
        assert!(!client("https://klaxon.example.com").sends_token_in_clear());
        assert!(client("http://klaxon.example.com").sends_token_in_clear());
        assert!(client("http://10.0.0.5:8080").sends_token_in_clear());
    }

    #[test]
    fn error_bodies_table() {
        let e = api_error(
            "u",
            StatusCode::FORBIDDEN,
            r#"{"error":{"code":"forbidden","message":"your role may not do this"}}"#,
        );
        assert_eq!(
            e.to_string(),
            "your role may not do this (forbidden, HTTP 403)"
        );
        // API Gateway's own refusals.
        let e = api_error(
            "u",
            StatusCode::UNAUTHORIZED,
            r#"{"message":"Unauthorized"}"#,
        );
        assert_eq!(e.to_string(), "Unauthorized (unauthorized, HTTP 401)");
        let e = api_error("u", StatusCode::BAD_GATEWAY, "<html>\nbad gateway</html>");
        assert_eq!(
            e.to_string(),
            "unexpected answer from u (HTTP 502): <html>…"
        );
        assert_eq!(e.status(), Some(502));
        let e = api_error("u", StatusCode::NOT_FOUND, "");
        assert!(e.to_string().contains("(empty body)"), "{e}");
    }
}
