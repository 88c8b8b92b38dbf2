//! GitHub Issues as the [`IssueTracker`]: REST calls to one repository,
//! authenticated by a fine-grained token (Issues: read and write) or as a
//! GitHub App installation (a JWT signed with the App's key buys an
//! installation token, kept until shortly before it expires). 5xx,
//! network failures and rate limits (`Retry-After`, `x-ratelimit-reset`)
//! are retried here with backoff, then answered `Unavailable` so the
//! event is retried and, in the end, dead-lettered; 401, 403, 404, 410 and
//! 422 are `Refused`. The token is a sensitive header: never logged, never
//! in an error.

use crate::config::{GitHubAuth, Secret, TrackerSettings};
use crate::domain::TrackerLink;
use crate::ports::{IssueDraft, IssueTracker, TrackerError};
use async_trait::async_trait;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The REST API version every request names.
pub const API_VERSION: &str = "2022-11-28";

/// How hard one call tries before the event's own retry takes over.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff after a 5xx; doubled each time.
    pub backoff: Duration,
    /// The longest rate-limit wait taken here; a longer one is left to the
    /// event's retry.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_millis(250),
            max_wait: Duration::from_secs(10),
        }
    }
}

pub struct GitHubIssues {
    client: reqwest::Client,
    api_url: String,
    /// `https://api.github.com/repos/owner/name`.
    repo_url: String,
    credentials: Credentials,
    retry: Retry,
}

enum Credentials {
    Token(Secret),
    App(App),
}

/// A GitHub App installation, and its installation token while it holds.
struct App {
    app_id: String,
    /// The private key's DER (PKCS#1).
    key: jsonwebtoken::EncodingKey,
    installation_id: u64,
    token: tokio::sync::Mutex<Option<(Secret, std::time::Instant)>>,
}

impl GitHubIssues {
    pub fn new(settings: &TrackerSettings) -> Result<Self, TrackerError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| TrackerError::Unavailable(format!("cannot build the HTTP client: {e}")))?;
        Self::with_client(client, settings)
    }

    /// Over a client of the caller's (tests add headers with it).
    pub fn with_client(
        client: reqwest::Client,
        settings: &TrackerSettings,
    ) -> Result<Self, TrackerError> {
        let credentials = match &settings.auth {
            GitHubAuth::Token(t) => Credentials::Token(t.clone()),
            GitHubAuth::App {
                app_id,
                private_key,
                installation_id,
            } => {
                let der = crate::config::pem_der(private_key.expose()).ok_or_else(|| {
                    TrackerError::Refused {
                        status: 401,
                        reason: "KLAXON_GITHUB_APP_PRIVATE_KEY is not a PEM RSA key".into(),
                    }
                })?;
                Credentials::App(App {
                    app_id: app_id.clone(),
                    key: jsonwebtoken::EncodingKey::from_rsa_der(&der),
                    installation_id: *installation_id,
                    token: tokio::sync::Mutex::new(None),
                })
            }
        };
        Ok(Self {
            client,
            api_url: settings.api_url.clone(),
            repo_url: format!("{}/repos/{}", settings.api_url, settings.repo),
            credentials,
            retry: Retry::default(),
        })
    }

    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    fn headers(&self, bearer: &Secret) -> Result<HeaderMap, TrackerError> {
        let mut h = HeaderMap::new();
        // GitHub's documented media type first; plain JSON is the same
        // representation, and what the published description lists.
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/vnd.github+json, application/json;q=0.9"),
        );
        h.insert(
            "x-github-api-version",
            HeaderValue::from_static(API_VERSION),
        );
        h.insert(header::USER_AGENT, HeaderValue::from_static("klaxon"));
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", bearer.expose())).map_err(|_| {
                TrackerError::Refused {
                    status: 401,
                    reason: "the GitHub credential is not a valid header value".into(),
                }
            })?;
        auth.set_sensitive(true);
        h.insert(header::AUTHORIZATION, auth);
        Ok(h)
    }

    /// The bearer for a repository call: the token, or the App's
    /// installation token (minted when none is held or it is about to end).
    async fn bearer(&self) -> Result<Secret, TrackerError> {
        let app = match &self.credentials {
            Credentials::Token(t) => return Ok(t.clone()),
            Credentials::App(app) => app,
        };
        let mut held = app.token.lock().await;
        if let Some((token, until)) = held.as_ref()
            && std::time::Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let jwt = app_jwt(app)?;
        let url = format!(
            "{}/app/installations/{}/access_tokens",
            self.api_url, app.installation_id
        );
        let v = self.send(Method::POST, &url, &json!({}), &jwt).await?;
        let token = v["token"].as_str().ok_or_else(|| {
            TrackerError::Unavailable("GitHub's installation token answer has no token".into())
        })?;
        // Kept until five minutes before GitHub says it ends (an hour).
        let left = v["expires_at"]
            .as_str()
            .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
            .map(|t| (t - chrono::Utc::now() - chrono::Duration::minutes(5)).num_seconds())
            .unwrap_or(0)
            .clamp(0, 55 * 60);
        let until = std::time::Instant::now() + Duration::from_secs(left.unsigned_abs());
        let token = Secret::new(token);
        *held = Some((token.clone(), until));
        Ok(token)
    }

    /// One repository call.
    async fn call(&self, method: Method, path: &str, body: &Value) -> Result<Value, TrackerError> {
        let bearer = self.bearer().await?;
        let url = format!("{}{path}", self.repo_url);
        self.send(method, &url, body, &bearer).await
    }

    /// One request, retried as the module says. Answers the JSON body.
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: &Value,
        bearer: &Secret,
    ) -> Result<Value, TrackerError> {
        let mut last = String::new();
        for attempt in 0..self.retry.attempts {
            let sent = self
                .client
                .request(method.clone(), url)
                .headers(self.headers(bearer)?)
                .json(body)
                .send()
                .await;
            let wait = match sent {
                Err(e) => {
                    // Without the URL: it is ours, but keep errors short.
                    last = format!("GitHub unreachable: {}", e.without_url());
                    self.backoff(attempt)
                }
                Ok(resp) => match judge(resp).await {
                    Verdict::Done(v) => return Ok(v),
                    Verdict::Refused { status, reason } => {
                        return Err(TrackerError::Refused { status, reason });
                    }
                    Verdict::RateLimited { wait, why } => {
                        last = why;
                        if wait > self.retry.max_wait {
                            return Err(TrackerError::Unavailable(format!(
                                "{last}; retry in {} s",
                                wait.as_secs()
                            )));
                        }
                        wait
                    }
                    Verdict::Failed(why) => {
                        last = why;
                        self.backoff(attempt)
                    }
                },
            };
            tracing::info!(attempt = attempt + 1, wait_ms = wait.as_millis() as u64, reason = %last, "GitHub call failed; retrying");
            if attempt + 1 < self.retry.attempts {
                tokio::time::sleep(wait).await;
            }
        }
        Err(TrackerError::Unavailable(last))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.retry.backoff * 2u32.saturating_pow(attempt);
        let jitter = Duration::from_millis(u64::from(rand::random::<u8>()) % 50);
        base + jitter
    }
}

/// The App's JWT (RS256, issued a minute back against clock drift, nine
/// minutes long), which buys an installation token.
fn app_jwt(app: &App) -> Result<Secret, TrackerError> {
    #[derive(Serialize)]
    struct Claims<'a> {
        iat: i64,
        exp: i64,
        iss: &'a str,
    }
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iat: now - 60,
        exp: now + 9 * 60,
        iss: &app.app_id,
    };
    crate::jwt::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &app.key,
    )
    .map(Secret::new)
    .map_err(|e| TrackerError::Refused {
        status: 401,
        reason: format!("cannot sign the GitHub App's JWT: {e}"),
    })
}

/// What a response means for the call.
enum Verdict {
    Done(Value),
    Refused { status: u16, reason: String },
    RateLimited { wait: Duration, why: String },
    Failed(String),
}

async fn judge(resp: Response) -> Verdict {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    if status.is_success() {
        return match serde_json::from_str::<Value>(&text) {
            Ok(v) => Verdict::Done(v),
            Err(_) if text.trim().is_empty() => Verdict::Done(Value::Null),
            Err(e) => Verdict::Failed(format!(
                "GitHub answered {status} with a body that is not JSON: {e}"
            )),
        };
    }
    if let Some(wait) = rate_limit_wait(status, &headers) {
        return Verdict::RateLimited {
            wait,
            why: format!("GitHub rate limit ({})", status.as_u16()),
        };
    }
    if status.is_server_error() {
        return Verdict::Failed(format!("GitHub answered {status}"));
    }
    let said = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v["message"]
                .as_str()
                .map(|m| m.chars().take(200).collect::<String>())
        })
        .unwrap_or_default();
    let hint = match status {
        StatusCode::UNAUTHORIZED => "the token is invalid or expired",
        StatusCode::FORBIDDEN => "the token lacks Issues: read and write on the repository",
        StatusCode::NOT_FOUND => {
            "the repository does not exist or the token cannot see it (check KLAXON_GITHUB_REPO)"
        }
        StatusCode::GONE => "issues are disabled on the repository",
        StatusCode::UNPROCESSABLE_ENTITY => "GitHub found the request invalid",
        _ => "GitHub refused the request",
    };
    let reason = if said.is_empty() {
        hint.to_owned()
    } else {
        format!("{hint}: GitHub says {said:?}")
    };
    Verdict::Refused {
        status: status.as_u16(),
        reason,
    }
}

/// A rate limit, and how long to wait: GitHub answers 403 or 429 with
/// `Retry-After` (secondary limits) or `x-ratelimit-remaining: 0` and the
/// reset time (primary), and asks for a minute when it says neither.
fn rate_limit_wait(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    if !matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    ) {
        return None;
    }
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(secs) = get("retry-after") {
        return Some(Duration::from_secs(secs));
    }
    if get("x-ratelimit-remaining") == Some(0) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let reset = get("x-ratelimit-reset").unwrap_or(now + 60);
        return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
    }
    (status == StatusCode::TOO_MANY_REQUESTS).then_some(Duration::from_secs(60))
}

/// An issue number, as stored on the incident.
fn number(key: &str) -> Result<u64, TrackerError> {
    key.parse::<u64>().map_err(|_| TrackerError::Refused {
        status: 400,
        reason: format!("{key:?} is not a GitHub issue number"),
    })
}

#[async_trait]
impl IssueTracker for GitHubIssues {
    fn system(&self) -> &'static str {
        "github"
    }

    async fn open(&self, draft: &IssueDraft) -> Result<TrackerLink, TrackerError> {
        let body = json!({"title": draft.title, "body": draft.body, "labels": draft.labels});
        let v = self.call(Method::POST, "/issues", &body).await?;
        let n = v["number"].as_u64().ok_or_else(|| {
            TrackerError::Unavailable("GitHub's answer to a new issue has no number".into())
        })?;
        Ok(TrackerLink {
            system: self.system().to_owned(),
            key: n.to_string(),
            url: v["html_url"].as_str().unwrap_or_default().to_owned(),
        })
    }

    async fn relabel(&self, key: &str, title: &str, labels: &[String]) -> Result<(), TrackerError> {
        let path = format!("/issues/{}", number(key)?);
        let body = json!({"title": title, "labels": labels});
        self.call(Method::PATCH, &path, &body).await.map(drop)
    }

    async fn comment(&self, key: &str, body: &str) -> Result<(), TrackerError> {
        let path = format!("/issues/{}/comments", number(key)?);
        self.call(Method::POST, &path, &json!({"body": body}))
            .await
            .map(drop)
    }

    async fn close(&self, key: &str) -> Result<(), TrackerError> {
        let path = format!("/issues/{}", number(key)?);
        let body = json!({"state": "closed", "state_reason": "completed"});
        self.call(Method::PATCH, &path, &body).await.map(drop)
    }

    async fn reopen(&self, key: &str) -> Result<(), TrackerError> {
        let path = format!("/issues/{}", number(key)?);
        let body = json!({"state": "open", "state_reason": "reopened"});
        self.call(Method::PATCH, &path, &body).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's rate-limit signals, each read as GitHub documents them.
    #[test]
    fn rate_limit_table() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let h = |pairs: &[(&'static str, String)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_str(v).expect("header"));
            }
            m
        };
        let cases: Vec<(StatusCode, HeaderMap, Option<u64>)> = vec![
            (
                StatusCode::TOO_MANY_REQUESTS,
                h(&[("retry-after", "3".into())]),
                Some(3),
            ),
            (
                StatusCode::FORBIDDEN,
                h(&[("retry-after", "7".into())]),
                Some(7),
            ),
            (
                StatusCode::FORBIDDEN,
                h(&[
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", (now + 30).to_string()),
                ]),
                Some(30),
            ),
            (
                StatusCode::FORBIDDEN,
                h(&[("x-ratelimit-remaining", "12".into())]),
                None,
            ),
            (StatusCode::FORBIDDEN, HeaderMap::new(), None),
            (StatusCode::TOO_MANY_REQUESTS, HeaderMap::new(), Some(60)),
            (
                StatusCode::NOT_FOUND,
                h(&[("retry-after", "3".into())]),
                None,
            ),
        ];
        for (status, headers, want) in cases {
            let got = rate_limit_wait(status, &headers).map(|d| d.as_secs());
            // The reset is read against the clock: a second either way.
            match (got, want) {
                (Some(g), Some(w)) => assert!(g.abs_diff(w) <= 1, "{status}: {g} vs {w}"),
                (g, w) => assert_eq!(g, w, "{status}"),
            }
        }
    }

    /// A stored key that is not a number never reaches a URL.
    #[test]
    fn keys_are_numbers() {
        assert_eq!(number("1347"), Ok(1347));
        assert!(number("../../orgs").is_err());
    }
}
