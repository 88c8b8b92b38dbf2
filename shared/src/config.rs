//! Configuration, read once at start-up into typed values. A missing or
//! malformed variable fails fast with a message naming it.

use crate::domain::session::SessionId;
use crate::domain::{Caller, Role};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("{var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
}

/// Reads a required variable.
pub fn require(var: &'static str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(ConfigError::Missing(var)),
    }
}

/// Reads an optional variable; empty counts as unset.
pub fn optional(var: &'static str) -> Option<String> {
    std::env::var(var)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Settings every entry point shares.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub api_tokens: ApiTokens,
    pub intake: IntakeSettings,
    /// Severity and deadline policy; the built-in one unless a file is given.
    pub policy: std::sync::Arc<crate::policy::Policy>,
    pub notify: NotifySettings,
    /// How a verified JWT's claims name the caller (AWS only).
    pub jwt: JwtClaims,
    /// The repository incidents are tracked in; none, no tracking.
    pub tracker: Option<TrackerSettings>,
    /// The console's OpenID Connect sign-in; none, API tokens only.
    pub oidc: Option<OidcSettings>,
}

/// The console's sign-in through an OpenID provider: the same issuer and
/// audience (the client id) as the API's JWT authorizer.
/// `KLAXON_OIDC_ISSUER`, `KLAXON_OIDC_CLIENT_ID`, optionally
/// `KLAXON_OIDC_CLIENT_SECRET` (a confidential client), `KLAXON_OIDC_NAME`
/// (what the button says) and `KLAXON_CONSOLE_TOKEN_SIGN_IN=off` (offer the
/// provider only).
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The issuer exactly as its ID tokens name it (no trailing slash added).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub name: String,
    /// Whether the API-token form is offered beside the provider.
    pub token_sign_in: bool,
}

impl OidcSettings {
    /// `None` when no issuer is named.
    pub fn load(l: &dyn Lookup) -> Result<Option<Self>, ConfigError> {
        let Some(issuer) = l.get("KLAXON_OIDC_ISSUER") else {
            return Ok(None);
        };
        if !(issuer.starts_with("https://") || is_loopback_http(&issuer)) {
            return Err(ConfigError::Invalid {
                var: "KLAXON_OIDC_ISSUER",
                reason: "must be an https:// URL (or http:// on loopback, for a test provider)"
                    .into(),
            });
        }
        let client_id = l
            .get("KLAXON_OIDC_CLIENT_ID")
            .ok_or(ConfigError::Missing("KLAXON_OIDC_CLIENT_ID"))?;
        let token_sign_in = match l.get("KLAXON_CONSOLE_TOKEN_SIGN_IN").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    var: "KLAXON_CONSOLE_TOKEN_SIGN_IN",
                    reason: "must be on or off".into(),
                });
            }
        };
        let name = l.get("KLAXON_OIDC_NAME").unwrap_or_else(|| {
            issuer
                .split_once("://")
                .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
                .unwrap_or(&issuer)
                .to_owned()
        });
        Ok(Some(Self {
            issuer,
            client_id,
            client_secret: l.get("KLAXON_OIDC_CLIENT_SECRET").map(Secret),
            name,
            token_sign_in,
        }))
    }
}

/// `http://127.0.0.1:…`, `http://[::1]:…` or `http://localhost:…`: a provider
/// on this machine, where plain http is acceptable.
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

/// GitHub Issues as the tracker: `KLAXON_GITHUB_REPO` (`owner/name`), the
/// credentials, and `KLAXON_GITHUB_API_URL` (GitHub Enterprise Server, or a
/// test's mock). The credentials are a GitHub App's when
/// `KLAXON_GITHUB_APP_ID` is set (`KLAXON_GITHUB_APP_PRIVATE_KEY`, its PEM
/// key, and `KLAXON_GITHUB_APP_INSTALLATION_ID`), else `KLAXON_GITHUB_TOKEN`
/// (a fine-grained token). Secrets usually come from the secret.
#[derive(Debug, Clone)]
pub struct TrackerSettings {
    pub repo: String,
    pub auth: GitHubAuth,
    pub api_url: String,
}

/// How Klaxon signs in to GitHub.
#[derive(Debug, Clone)]
pub enum GitHubAuth {
    /// A fine-grained personal access token with Issues: read and write.
    Token(Secret),
    /// A GitHub App installed on the repository: each call uses an
    /// installation token minted with a JWT signed by the App's key.
    App {
        app_id: String,
        /// The App's private key, PEM (`BEGIN RSA PRIVATE KEY`).
        private_key: Secret,
        installation_id: u64,
    },
}

impl TrackerSettings {
    pub const DEFAULT_API_URL: &'static str = "https://api.github.com";

    /// `None` when no repository is named.
    pub fn load(l: &dyn Lookup) -> Result<Option<Self>, ConfigError> {
        let Some(repo) = l.get("KLAXON_GITHUB_REPO") else {
            return Ok(None);
        };
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.len() <= 100
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match repo.split_once('/') {
            Some((owner, name)) if part_ok(owner) && part_ok(name) => {}
            _ => {
                return Err(ConfigError::Invalid {
                    var: "KLAXON_GITHUB_REPO",
                    reason: "must be owner/name, e.g. acme/security-incidents".into(),
                });
            }
        }
        let auth = match l.get("KLAXON_GITHUB_APP_ID") {
            Some(app_id) => {
                if !app_id.chars().all(|c| c.is_ascii_digit()) {
                    return Err(ConfigError::Invalid {
                        var: "KLAXON_GITHUB_APP_ID",
                        reason: "must be the App's numeric id".into(),
                    });
                }
                let private_key = l
                    .get("KLAXON_GITHUB_APP_PRIVATE_KEY")
                    .ok_or(ConfigError::Missing("KLAXON_GITHUB_APP_PRIVATE_KEY"))?;
                if pem_der(&private_key).is_none() {
                    return Err(ConfigError::Invalid {
                        var: "KLAXON_GITHUB_APP_PRIVATE_KEY",
                        reason: "must be the App's private key as downloaded (PEM, BEGIN RSA PRIVATE KEY)".into(),
                    });
                }
                let installation_id = l
                    .get("KLAXON_GITHUB_APP_INSTALLATION_ID")
                    .ok_or(ConfigError::Missing("KLAXON_GITHUB_APP_INSTALLATION_ID"))?
                    .parse::<u64>()
                    .map_err(|_| ConfigError::Invalid {
                        var: "KLAXON_GITHUB_APP_INSTALLATION_ID",
                        reason: "must be the installation's numeric id".into(),
                    })?;
                GitHubAuth::App {
                    app_id,
                    private_key: Secret(private_key),
                    installation_id,
                }
            }
            None => GitHubAuth::Token(Secret(
                l.get("KLAXON_GITHUB_TOKEN")
                    .ok_or(ConfigError::Missing("KLAXON_GITHUB_TOKEN"))?,
            )),
        };
        let api_url = l
            .get("KLAXON_GITHUB_API_URL")
            .unwrap_or_else(|| Self::DEFAULT_API_URL.to_owned());
        if !(api_url.starts_with("https://") || api_url.starts_with("http://127.0.0.1:")) {
            return Err(ConfigError::Invalid {
                var: "KLAXON_GITHUB_API_URL",
                reason: "must be an https:// URL (or a loopback mock)".into(),
            });
        }
        Ok(Some(Self {
            repo,
            auth,
            api_url: api_url.trim_end_matches('/').to_owned(),
        }))
    }
}

/// The DER inside a PKCS#1 PEM RSA key (`\n` escapes, as a secret's JSON
/// may hold them, count as line breaks).
pub fn pem_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let pem = pem.replace("\\n", "\n");
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN RSA PRIVATE KEY-----")?
        .trim()
        .strip_suffix("-----END RSA PRIVATE KEY-----")?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .filter(|d| !d.is_empty())
}

/// What notify needs: the ack-link key and the message templates.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// Signs acknowledgement links (`KLAXON_ACK_SECRET`, at least 32
    /// characters). Without it pages carry no link.
    pub ack_secret: Option<Secret>,
    /// The built-in templates, or `KLAXON_TEMPLATE_DIR`'s files over them.
    pub templates: std::sync::Arc<crate::messages::Templates>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            ack_secret: None,
            templates: crate::messages::Templates::builtin(),
        }
    }
}

impl NotifySettings {
    pub fn load(l: &dyn Lookup) -> Result<Self, ConfigError> {
        let ack_secret = match l.get("KLAXON_ACK_SECRET") {
            None => None,
            Some(s) if s.len() >= crate::ack::MIN_SECRET_BYTES => Some(Secret(s)),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    var: "KLAXON_ACK_SECRET",
                    reason: format!(
                        "must be at least {} characters (e.g. `openssl rand -hex 32`)",
                        crate::ack::MIN_SECRET_BYTES
                    ),
                });
            }
        };
        let templates = match l.get("KLAXON_TEMPLATE_DIR") {
            None => crate::messages::Templates::builtin(),
            Some(dir) => std::sync::Arc::new(
                crate::messages::Templates::load(std::path::Path::new(&dir)).map_err(|e| {
                    ConfigError::Invalid {
                        var: "KLAXON_TEMPLATE_DIR",
                        reason: e.to_string(),
                    }
                })?,
            ),
        };
        Ok(Self {
            ack_secret,
            templates,
        })
    }
}

/// A secret from configuration. Its Debug form never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(v: impl Into<String>) -> Self {
        Self(v.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a setting's value comes from: the environment first, then a file
/// or a Secrets Manager secret, by variable name.
pub trait Lookup {
    fn get(&self, var: &str) -> Option<String>;
}

/// The process environment only.
pub struct Env;

impl Lookup for Env {
    fn get(&self, var: &str) -> Option<String> {
        std::env::var(var)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}

/// The environment, then a map of fallbacks (a config file, a secret's JSON).
pub struct Layered<'a>(pub &'a std::collections::BTreeMap<String, String>);

impl Lookup for Layered<'_> {
    fn get(&self, var: &str) -> Option<String> {
        Env.get(var).or_else(|| {
            self.0
                .get(var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
    }
}

fn list(l: &dyn Lookup, var: &str) -> Vec<String> {
    l.get(var)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn secrets(l: &dyn Lookup, var: &str) -> Vec<Secret> {
    list(l, var).into_iter().map(Secret).collect()
}

/// Atlassian Connect: the shared secret and the client keys (installations) allowed to send.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    pub shared_secret: Secret,
    pub client_keys: Vec<String>,
}

/// How many reports one client may post: `burst` at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

/// Everything the intake routes need. A webhook source with no secret is disabled.
#[derive(Debug, Clone, Default)]
pub struct IntakeSettings {
    /// The products a reporter can choose on the form (`KLAXON_PRODUCTS`).
    pub products: Vec<String>,
    /// security.txt `Contact:` (`KLAXON_SECURITY_CONTACT`, a mailto: or https: URI).
    pub security_contact: Option<String>,
    /// security.txt `Expires:` (`KLAXON_SECURITY_TXT_EXPIRES`, RFC 3339).
    pub security_txt_expires: Option<chrono::DateTime<chrono::Utc>>,
    /// The public base URL, for links in security.txt (`KLAXON_PUBLIC_URL`).
    pub public_url: Option<String>,
    pub github_secrets: Vec<Secret>,
    pub jira_secrets: Vec<Secret>,
    pub bitbucket_secrets: Vec<Secret>,
    pub connect: Option<ConnectSettings>,
    pub forge_token: Option<Secret>,
    pub forge_webhook_secret: Option<Secret>,
    pub pagerduty_routing_keys: Vec<Secret>,
    /// Jira project keys whose issues become reports (`KLAXON_JIRA_PROJECTS`).
    pub jira_projects: Vec<String>,
    /// Bitbucket `X-Event-Key`s that become reports (`KLAXON_BITBUCKET_EVENTS`).
    pub bitbucket_events: Vec<String>,
    /// Per-client limit on `POST /reports`; `None` disables it.
    pub report_rate_limit: Option<RateLimit>,
}

impl IntakeSettings {
    pub fn load(l: &dyn Lookup) -> Result<Self, ConfigError> {
        let connect = match l.get("KLAXON_CONNECT_SHARED_SECRET") {
            None => None,
            Some(secret) => {
                let client_keys = list(l, "KLAXON_CONNECT_CLIENT_KEYS");
                if client_keys.is_empty() {
                    return Err(ConfigError::Invalid {
                        var: "KLAXON_CONNECT_CLIENT_KEYS",
                        reason: "must list the Connect client keys allowed to send when KLAXON_CONNECT_SHARED_SECRET is set".into(),
                    });
                }
                Some(ConnectSettings {
                    shared_secret: Secret(secret),
                    client_keys,
                })
            }
        };
        let security_txt_expires = l
            .get("KLAXON_SECURITY_TXT_EXPIRES")
            .map(|v| {
                chrono::DateTime::parse_from_rfc3339(&v)
                    .map(|d| d.with_timezone(&chrono::Utc))
                    .map_err(|e| ConfigError::Invalid {
                        var: "KLAXON_SECURITY_TXT_EXPIRES",
                        reason: format!("{e}; use RFC 3339, e.g. 2027-06-30T00:00:00Z"),
                    })
            })
            .transpose()?;
        if let Some(c) = l.get("KLAXON_SECURITY_CONTACT")
            && !(c.starts_with("mailto:") || c.starts_with("https://") || c.starts_with("tel:"))
        {
            return Err(ConfigError::Invalid {
                var: "KLAXON_SECURITY_CONTACT",
                reason: "must be a mailto:, https: or tel: URI (RFC 9116)".into(),
            });
        }
        // A Forge secret that cannot verify anything is found at start-up,
        // not by the first delivery (whose refusal would tell the sender).
        if let Some(f) = l.get("KLAXON_FORGE_WEBHOOK_SECRET")
            && let Some(b64) = f.strip_prefix("whsec_")
        {
            use base64::Engine as _;
            if base64::engine::general_purpose::STANDARD
                .decode(b64)
                .is_err()
            {
                return Err(ConfigError::Invalid {
                    var: "KLAXON_FORGE_WEBHOOK_SECRET",
                    reason: "a whsec_ secret must be whsec_ then standard base64, as the Forge console shows it".into(),
                });
            }
        }
        if let Some(u) = l.get("KLAXON_PUBLIC_URL")
            && u.split_once("://").is_some_and(|(_, rest)| {
                rest.split('/')
                    .next()
                    .is_some_and(|host| host.contains('@'))
            })
        {
            return Err(ConfigError::Invalid {
                var: "KLAXON_PUBLIC_URL",
                reason:
                    "must not carry a user name or password: every page's ack link is built from it"
                        .into(),
            });
        }
        let report_rate_limit =
            match l.get("KLAXON_REPORT_RATE_LIMIT") {
                None => Some(RateLimit {
                    per_minute: 30,
                    burst: 10,
                }),
                Some(v) if v == "0" || v.eq_ignore_ascii_case("off") => None,
                Some(v) => {
                    let n: u32 = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        ConfigError::Invalid {
                            var: "KLAXON_REPORT_RATE_LIMIT",
                            reason: format!(
                                "{v:?} is not a number of reports per minute (or 0 for no limit)"
                            ),
                        }
                    })?;
                    Some(RateLimit {
                        per_minute: n,
                        burst: n.clamp(1, 10),
                    })
                }
            };
        Ok(Self {
            products: list(l, "KLAXON_PRODUCTS"),
            security_contact: l.get("KLAXON_SECURITY_CONTACT"),
            security_txt_expires,
            public_url: l
                .get("KLAXON_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_owned()),
            github_secrets: secrets(l, "KLAXON_GITHUB_WEBHOOK_SECRET"),
            jira_secrets: secrets(l, "KLAXON_JIRA_WEBHOOK_SECRET"),
            bitbucket_secrets: secrets(l, "KLAXON_BITBUCKET_WEBHOOK_SECRET"),
            connect,
            forge_token: l.get("KLAXON_FORGE_TOKEN").map(Secret),
            forge_webhook_secret: l.get("KLAXON_FORGE_WEBHOOK_SECRET").map(Secret),
            pagerduty_routing_keys: secrets(l, "KLAXON_PAGERDUTY_ROUTING_KEYS"),
            jira_projects: list(l, "KLAXON_JIRA_PROJECTS"),
            bitbucket_events: list(l, "KLAXON_BITBUCKET_EVENTS"),
            report_rate_limit,
        })
    }
}

/// Bearer tokens, kept only as SHA-256 digests so a memory dump or a debug
/// print never shows one.
#[derive(Clone, Default)]
pub struct ApiTokens(Vec<(Caller, [u8; 32])>);

impl fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(c, _)| &c.name))
            .finish()
    }
}

impl ApiTokens {
    /// Parses `<name>:<role>:<token>[,...]`, as in `KLAXON_API_TOKENS`. The
    /// role may carry a tenant scope: `viewer@acme.atlassian.net|globex.atlassian.net`.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            var: "KLAXON_API_TOKENS",
            reason,
        };
        let mut out = Vec::new();
        for (i, item) in spec
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .enumerate()
        {
            let mut parts = item.splitn(3, ':');
            let (Some(name), Some(role), Some(token)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(invalid(format!(
                    "entry {} is not <name>:<role>:<token>",
                    i + 1
                )));
            };
            let (role, tenants) = match role.split_once('@') {
                Some((r, scope)) => {
                    let list: Vec<String> = scope
                        .split('|')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if list.is_empty() {
                        return Err(invalid(format!(
                            "entry {} ({name}) has an empty tenant scope after '@'",
                            i + 1
                        )));
                    }
                    (r, Some(list))
                }
                None => (role, None),
            };
            let role = Role::parse(role).ok_or_else(|| {
                invalid(format!(
                    "entry {} ({name}) has role {role:?}; use viewer, responder, commander or admin",
                    i + 1
                ))
            })?;
            if token.len() < 16 {
                return Err(invalid(format!(
                    "entry {} ({name}) has a token shorter than 16 characters",
                    i + 1
                )));
            }
            out.push((
                Caller {
                    name: name.to_owned(),
                    role,
                    tenants,
                },
                digest(token),
            ));
        }
        Ok(Self(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Finds the caller for a presented token, comparing digests in constant time.
    pub fn authenticate(&self, token: &str) -> Option<&Caller> {
        self.entry(token).map(|(caller, _)| caller)
    }

    /// The caller `token` names and the token's digest, which a console
    /// session is bound to ([`SessionId::grant_proof`]).
    pub fn entry(&self, token: &str) -> Option<(&Caller, &[u8; 32])> {
        let d = digest(token);
        self.find(|known| known.ct_eq(&d).into())
    }

    /// The caller of the configured token that `proof` binds session `id`
    /// to, if that token is still configured.
    pub fn granting(&self, id: &SessionId, proof: &str) -> Option<&Caller> {
        self.find(|known| {
            id.grant_proof(known)
                .as_bytes()
                .ct_eq(proof.as_bytes())
                .into()
        })
        .map(|(caller, _)| caller)
    }

    /// The entry whose digest `matches`, every entry tried (no early exit,
    /// so the time does not tell which one matched).
    fn find(&self, matches: impl Fn(&[u8; 32]) -> bool) -> Option<(&Caller, &[u8; 32])> {
        let mut found = None;
        for (caller, known) in &self.0 {
            if matches(known) {
                found = Some((caller, known));
            }
        }
        found
    }
}

/// Which claims of a JWT (already verified by API Gateway's authorizer)
/// carry the caller's name, role and tenant scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtClaims {
    pub role_claim: String,
    pub tenant_claim: String,
}

impl Default for JwtClaims {
    fn default() -> Self {
        Self {
            role_claim: "klaxon_role".into(),
            tenant_claim: "klaxon_tenants".into(),
        }
    }
}

/// API Gateway flattens array claims to `"[a b]"`; providers also send
/// comma or space separated strings.
fn claim_list(v: &str) -> Vec<String> {
    v.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|s| s.trim_matches('"').trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl JwtClaims {
    pub fn load(l: &dyn Lookup) -> Self {
        let d = Self::default();
        Self {
            role_claim: l.get("KLAXON_JWT_ROLE_CLAIM").unwrap_or(d.role_claim),
            tenant_claim: l.get("KLAXON_JWT_TENANT_CLAIM").unwrap_or(d.tenant_claim),
        }
    }

    /// The caller a verified token names: its email (or subject), the
    /// highest Klaxon role among the role claim's values and the
    /// `klaxon/<role>` scopes, and the tenant claim's list. `None` when the
    /// token grants no Klaxon role.
    pub fn caller(
        &self,
        claims: &std::collections::HashMap<String, String>,
        scopes: &[String],
    ) -> Option<Caller> {
        // An email the provider says it has not verified names no one; a
        // name that is not one line of plain text could forge a log line
        // or read as another name, so the next claim is taken.
        let unverified = claims
            .get("email_verified")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
        let name = ["email", "preferred_username", "sub"]
            .iter()
            .filter(|k| !(unverified && **k == "email"))
            .find_map(|k| {
                claims
                    .get(*k)
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty() && crate::domain::plain::is_one_line(v))
            })?
            .to_owned();
        let from_claim = claims
            .get(&self.role_claim)
            .map(|v| claim_list(v))
            .unwrap_or_default();
        let from_scopes = scopes
            .iter()
            .flat_map(|s| claim_list(s))
            .filter_map(|s| s.strip_prefix("klaxon/").map(str::to_owned));
        let role = from_claim
            .into_iter()
            .chain(from_scopes)
            .filter_map(|r| Role::parse(&r.to_ascii_lowercase()))
            .max()?;
        // A tenant claim that is there but empty scopes to no tenant: only
        // a token without the claim is global.
        let tenants = claims.get(&self.tenant_claim).map(|v| claim_list(v));
        Some(Caller {
            name,
            role,
            tenants,
        })
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn load(pairs: &[(&str, &str)]) -> Result<IntakeSettings, ConfigError> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        IntakeSettings::load(&Layered(&map))
    }

    /// The tracker's settings: none without a repository, a token or an
    /// App, and each mistake named by its variable.
    #[test]
    fn tracker_settings_table() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\\n-----END RSA PRIVATE KEY-----";
        let load = |pairs: &[(&str, &str)]| {
            let map: BTreeMap<String, String> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            TrackerSettings::load(&Layered(&map))
        };
        let repo = ("KLAXON_GITHUB_REPO", "acme/security-incidents");
        assert!(load(&[]).expect("none").is_none());
        let t = load(&[repo, ("KLAXON_GITHUB_TOKEN", "github_pat_x")])
            .expect("token")
            .expect("tracker");
        assert!(matches!(t.auth, GitHubAuth::Token(_)));
        assert_eq!(t.api_url, TrackerSettings::DEFAULT_API_URL);
        assert!(
            !format!("{t:?}").contains("github_pat_x"),
            "Debug shows no token"
        );
        let app = load(&[
            repo,
            ("KLAXON_GITHUB_APP_ID", "12345"),
            ("KLAXON_GITHUB_APP_PRIVATE_KEY", pem),
            ("KLAXON_GITHUB_APP_INSTALLATION_ID", "42"),
        ])
        .expect("app")
        .expect("tracker");
        assert!(matches!(
            app.auth,
            GitHubAuth::App {
                installation_id: 42,
                ..
            }
        ));
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[("KLAXON_GITHUB_REPO", "acme")], "KLAXON_GITHUB_REPO"),
            (&[repo], "KLAXON_GITHUB_TOKEN"),
            (
                &[repo, ("KLAXON_GITHUB_APP_ID", "12345")],
                "KLAXON_GITHUB_APP_PRIVATE_KEY",
            ),
            (
                &[
                    repo,
                    ("KLAXON_GITHUB_APP_ID", "12345"),
                    ("KLAXON_GITHUB_APP_PRIVATE_KEY", "not a key"),
                ],
                "KLAXON_GITHUB_APP_PRIVATE_KEY",
            ),
            (
                &[
                    repo,
                    ("KLAXON_GITHUB_TOKEN", "t"),
                    ("KLAXON_GITHUB_API_URL", "http://github.example"),
                ],
                "KLAXON_GITHUB_API_URL",
            ),
        ];
        for (pairs, var) in cases {
            let err = load(pairs).expect_err(var).to_string();
            assert!(err.contains(var), "{var}: {err}");
        }
    }

    #[test]
    fn intake_settings_table() {
        let s = load(&[
            ("KLAXON_GITHUB_WEBHOOK_SECRET", "old, new"),
            ("KLAXON_PRODUCTS", "Workzone, AI Insights"),
            ("KLAXON_REPORT_RATE_LIMIT", "0"),
        ])
        .unwrap();
        assert_eq!(s.github_secrets.len(), 2);
        assert_eq!(s.products, ["Workzone", "AI Insights"]);
        assert!(s.report_rate_limit.is_none());
        assert!(s.jira_secrets.is_empty(), "unset source stays disabled");
        assert!(!format!("{s:?}").contains("old"), "secrets must not print");

        let errors = [
            (
                &[("KLAXON_CONNECT_SHARED_SECRET", "s")][..],
                "KLAXON_CONNECT_CLIENT_KEYS",
            ),
            (
                &[("KLAXON_SECURITY_TXT_EXPIRES", "next year")][..],
                "KLAXON_SECURITY_TXT_EXPIRES",
            ),
            (
                &[("KLAXON_SECURITY_CONTACT", "security@example.com")][..],
                "mailto:",
            ),
            (
                &[("KLAXON_REPORT_RATE_LIMIT", "lots")][..],
                "KLAXON_REPORT_RATE_LIMIT",
            ),
            (
                &[(
                    "KLAXON_FORGE_WEBHOOK_SECRET",
                    "whsec_CfgSecretC9zX7vW2pL5!!",
                )][..],
                "KLAXON_FORGE_WEBHOOK_SECRET",
            ),
            (
                &[(
                    "KLAXON_PUBLIC_URL",
                    "https://ops:hunter2@klaxon.example.com",
                )][..],
                "KLAXON_PUBLIC_URL",
            ),
        ];
        for (pairs, want) in errors {
            let e = load(pairs).unwrap_err().to_string();
            assert!(e.contains(want), "{pairs:?}: {e}");
            // The refusal names the setting, never its value.
            assert!(!e.contains("hunter2") && !e.contains("CfgSecret"), "{e}");
        }
        assert!(
            load(&[(
                "KLAXON_FORGE_WEBHOOK_SECRET",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            )])
            .is_ok()
        );
    }

    /// The OpenID settings: none without an issuer, the client id required,
    /// plain http only on loopback, and the secret never printed.
    #[test]
    fn oidc_settings_table() {
        let load = |pairs: &[(&str, &str)]| {
            let map: BTreeMap<String, String> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            OidcSettings::load(&Layered(&map))
        };
        assert!(load(&[]).expect("none").is_none());
        let s = load(&[
            ("KLAXON_OIDC_ISSUER", "https://id.example.com/realms/ops"),
            ("KLAXON_OIDC_CLIENT_ID", "klaxon"),
            ("KLAXON_OIDC_CLIENT_SECRET", "s3cr3t-value"),
        ])
        .expect("ok")
        .expect("some");
        assert_eq!(s.name, "id.example.com");
        assert!(s.token_sign_in);
        assert!(!format!("{s:?}").contains("s3cr3t-value"));
        let local = load(&[
            ("KLAXON_OIDC_ISSUER", "http://127.0.0.1:5602"),
            ("KLAXON_OIDC_CLIENT_ID", "klaxon"),
            ("KLAXON_OIDC_NAME", "Test IdP"),
            ("KLAXON_CONSOLE_TOKEN_SIGN_IN", "off"),
        ])
        .expect("ok")
        .expect("some");
        assert_eq!(local.name, "Test IdP");
        assert!(!local.token_sign_in);
        let errors: [(&[(&str, &str)], &str); 4] = [
            (
                &[("KLAXON_OIDC_ISSUER", "https://id.example.com")],
                "KLAXON_OIDC_CLIENT_ID",
            ),
            (
                &[
                    ("KLAXON_OIDC_ISSUER", "http://id.example.com"),
                    ("KLAXON_OIDC_CLIENT_ID", "k"),
                ],
                "KLAXON_OIDC_ISSUER",
            ),
            (
                &[
                    ("KLAXON_OIDC_ISSUER", "http://127.0.0.1.evil.example"),
                    ("KLAXON_OIDC_CLIENT_ID", "k"),
                ],
                "KLAXON_OIDC_ISSUER",
            ),
            (
                &[
                    ("KLAXON_OIDC_ISSUER", "https://id.example.com"),
                    ("KLAXON_OIDC_CLIENT_ID", "k"),
                    ("KLAXON_CONSOLE_TOKEN_SIGN_IN", "maybe"),
                ],
                "KLAXON_CONSOLE_TOKEN_SIGN_IN",
            ),
        ];
        for (pairs, var) in errors {
            let e = load(pairs).expect_err(var).to_string();
            assert!(e.contains(var), "{var}: {e}");
        }
    }

    #[test]
    fn token_spec_table() {
        let cases = [
            ("", Ok(0)),
            ("alice:commander:0123456789abcdef", Ok(1)),
            (
                "alice:commander:0123456789abcdef, bob:viewer:fedcba9876543210",
                Ok(2),
            ),
            ("alice:commander", Err("not <name>:<role>:<token>")),
            ("alice:boss:0123456789abcdef", Err("role \"boss\"")),
            ("alice:viewer:short", Err("shorter than 16")),
            ("acme:viewer@acme.example|b.example:0123456789abcdef", Ok(1)),
            ("acme:viewer@:0123456789abcdef", Err("empty tenant scope")),
            (
                "acme:boss@acme.example:0123456789abcdef",
                Err("role \"boss\""),
            ),
        ];
        for (spec, want) in cases {
            match (ApiTokens::parse(spec), want) {
                (Ok(t), Ok(n)) => assert_eq!(t.0.len(), n, "{spec}"),
                (Err(e), Err(msg)) => assert!(e.to_string().contains(msg), "{spec}: {e}"),
                (got, want) => panic!("{spec}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn authenticates_by_digest_and_never_prints_tokens() {
        let t = ApiTokens::parse("alice:commander:0123456789abcdef,bob:viewer:fedcba9876543210")
            .unwrap();
        assert_eq!(
            t.authenticate("fedcba9876543210").map(|c| c.role),
            Some(Role::Viewer)
        );
        assert_eq!(
            t.authenticate("0123456789abcdef").map(|c| c.name.as_str()),
            Some("alice")
        );
        assert!(t.authenticate("0123456789abcdeX").is_none());
        let printed = format!("{t:?}");
        assert!(!printed.contains("0123456789abcdef"), "{printed}");
    }

    #[test]
    fn jwt_claims_name_the_caller() {
        let m = JwtClaims::default();
        let claims = |pairs: &[(&str, &str)]| -> std::collections::HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        type Case<'a> = (
            Vec<(&'a str, &'a str)>,
            Vec<String>,
            Option<(&'a str, Role, Option<Vec<&'a str>>)>,
        );
        let cases: Vec<Case> = vec![
            (
                vec![
                    ("sub", "u1"),
                    ("email", "ana@example.com"),
                    ("klaxon_role", "commander"),
                ],
                vec![],
                Some(("ana@example.com", Role::Commander, None)),
            ),
            (
                vec![("sub", "u2"), ("klaxon_role", "[viewer admin]")],
                vec![],
                Some(("u2", Role::Admin, None)),
            ),
            (
                vec![("sub", "u3")],
                vec!["openid".into(), "klaxon/responder".into()],
                Some(("u3", Role::Responder, None)),
            ),
            (
                vec![
                    ("sub", "u4"),
                    ("klaxon_role", "viewer"),
                    ("klaxon_tenants", "[acme.example globex.example]"),
                ],
                vec![],
                Some((
                    "u4",
                    Role::Viewer,
                    Some(vec!["acme.example", "globex.example"]),
                )),
            ),
            (
                vec![
                    ("sub", "u6"),
                    ("klaxon_role", "viewer"),
                    ("klaxon_tenants", "[]"),
                ],
                vec![],
                Some(("u6", Role::Viewer, Some(vec![]))),
            ),
            (
                vec![
                    ("sub", "u7"),
                    ("klaxon_role", "viewer"),
                    ("klaxon_tenants", " "),
                ],
                vec![],
                Some(("u7", Role::Viewer, Some(vec![]))),
            ),
            (
                vec![
                    ("sub", "u8"),
                    ("email", "eve@example.com"),
                    ("email_verified", "false"),
                    ("klaxon_role", "viewer"),
                ],
                vec![],
                Some(("u8", Role::Viewer, None)),
            ),
            (
                vec![
                    ("sub", "u9"),
                    (
                        "email",
                        "adm\n2026-12-03T00:00:00Z INFO console session opened caller=adm",
                    ),
                    ("preferred_username", "\u{202e}nimda"),
                    ("klaxon_role", "viewer"),
                ],
                vec![],
                Some(("u9", Role::Viewer, None)),
            ),
            (vec![("sub", "u5"), ("klaxon_role", "owner")], vec![], None),
            (vec![("klaxon_role", "admin")], vec![], None),
        ];
        for (pairs, scopes, want) in cases {
            let got = m.caller(&claims(&pairs), &scopes);
            let want = want.map(|(name, role, tenants)| Caller {
                name: name.into(),
                role,
                tenants: tenants.map(|t| t.into_iter().map(String::from).collect()),
            });
            assert_eq!(got, want, "{pairs:?} {scopes:?}");
        }
    }

    #[test]
    fn tenant_scope_limits_what_a_caller_sees() {
        let t = ApiTokens::parse(
            "acme:viewer@acme.example|b.example:0123456789abcdef,all:viewer:fedcba9876543210",
        )
        .unwrap();
        let scoped = t.authenticate("0123456789abcdef").unwrap();
        let global = t.authenticate("fedcba9876543210").unwrap();
        let cases = [
            (scoped, Some("acme.example"), true),
            (scoped, Some("ACME.example"), true),
            (scoped, Some("b.example"), true),
            (scoped, Some("c.example"), false),
            (scoped, None, false),
            (global, Some("c.example"), true),
            (global, None, true),
        ];
        for (caller, tenant, want) in cases {
            assert_eq!(caller.may_see(tenant), want, "{} {tenant:?}", caller.name);
        }
    }
}
