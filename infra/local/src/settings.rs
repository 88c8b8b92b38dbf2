//! The optional config file for `klaxon serve`.
//!
//! ```toml
//! # Seconds between escalation sweeps.
//! escalate_interval_secs = 15
//! # Responder API tokens, as in KLAXON_API_TOKENS (which is added to these).
//! api_tokens = ["alice:commander:a-long-random-token"]
//!
//! # What a client may hold of the server (the defaults shown).
//! [server]
//! # A request's head must arrive within this. hyper runs this one timer
//! # whenever a connection waits for a request, so it is also how long an
//! # idle keep-alive connection is kept.
//! header_timeout_secs = 10
//! # Receiving the body and answering: past this the answer is a 408.
//! request_timeout_secs = 30
//! # Open connections at most; more wait in the listen backlog.
//! max_connections = 512
//! max_connections_per_client = 128
//!
//! # Any KLAXON_* setting, by its environment variable name. The
//! # environment wins where both are set.
//! [variables]
//! KLAXON_PRODUCTS = "Workzone, AI Insights"
//! KLAXON_GITHUB_WEBHOOK_SECRET = "a-long-random-secret"
//! KLAXON_SECURITY_CONTACT = "mailto:security@example.com"
//! ```

use klaxon_core::config::{
    self, ApiTokens, ConfigError, IntakeSettings, Layered, Lookup, Settings,
};
use klaxon_core::policy::{Policy, PolicyError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default = "default_interval")]
    pub escalate_interval_secs: u64,
    #[serde(default)]
    pub api_tokens: Vec<String>,
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

fn default_interval() -> u64 {
    15
}

impl Default for FileConfig {
    fn default() -> Self {
        Self {
            escalate_interval_secs: default_interval(),
            api_tokens: Vec::new(),
            server: ServerSettings::default(),
            variables: BTreeMap::new(),
        }
    }
}

/// The `[server]` table: bounds on what one client can hold open.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Stalled request heads and idle keep-alive connections are closed after this.
    pub header_timeout_secs: u64,
    /// A request (its body and the answer) that takes longer is answered 408.
    pub request_timeout_secs: u64,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Of those, how many one client address may hold; more are closed.
    pub max_connections_per_client: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            header_timeout_secs: 10,
            // A 256 KiB webhook takes well under a second on any real link.
            request_timeout_secs: 30,
            max_connections: 512,
            // A quarter: a slow-header client keeps the rest free.
            max_connections_per_client: 128,
        }
    }
}

impl ServerSettings {
    pub fn header_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_timeout_secs)
    }

    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_secs)
    }

    /// The first setting that cannot work, by name.
    fn check(&self) -> Result<(), ServerSettingError> {
        let s = self;
        let out_of_range = |name, max| ServerSettingError::OutOfRange { name, max };
        for (name, v, max) in [
            ("header_timeout_secs", s.header_timeout_secs, 3600),
            ("request_timeout_secs", s.request_timeout_secs, 3600),
        ] {
            if !(1..=max).contains(&v) {
                return Err(out_of_range(name, max));
            }
        }
        if !(1..=65_536).contains(&s.max_connections) {
            return Err(out_of_range("max_connections", 65_536));
        }
        if s.max_connections_per_client == 0 {
            return Err(ServerSettingError::NoConnectionsPerClient);
        }
        Ok(())
    }
}

/// A `[server]` setting that cannot work, by name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerSettingError {
    #[error("[server] {name} must be 1 to {max}")]
    OutOfRange { name: &'static str, max: u64 },
    #[error("[server] max_connections_per_client must be at least 1")]
    NoConnectionsPerClient,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config {path} is invalid: {message}")]
    Parse { path: String, message: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("config {path} is invalid: {problem}")]
    Server {
        path: String,
        problem: ServerSettingError,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> Result<Self, SettingsError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: shown.clone(),
            source,
        })?;
        let cfg: Self = toml::from_str(&text).map_err(|e| SettingsError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        if let Some(bad) = cfg.variables.keys().find(|k| !k.starts_with("KLAXON_")) {
            return Err(SettingsError::Parse {
                path: shown,
                message: format!("[variables] key {bad:?} is not a KLAXON_* setting"),
            });
        }
        if cfg.escalate_interval_secs == 0 {
            return Err(SettingsError::Parse {
                path: shown,
                message: "escalate_interval_secs must be at least 1".into(),
            });
        }
        cfg.server
            .check()
            .map_err(|problem| SettingsError::Server {
                path: shown,
                problem,
            })?;
        Ok(cfg)
    }

    /// The core settings: file tokens plus `KLAXON_API_TOKENS`, and the
    /// policy from `policy` (the `--policy` flag) or `KLAXON_POLICY_FILE`.
    pub fn settings(&self, policy: Option<&Path>) -> Result<Settings, SettingsError> {
        let lookup = Layered(&self.variables);
        let policy = match policy
            .map(Path::to_path_buf)
            .or_else(|| lookup.get("KLAXON_POLICY_FILE").map(Into::into))
        {
            None => Policy::builtin(),
            Some(path) => Arc::new(Policy::load(&path)?),
        };
        let mut spec = self.api_tokens.join(",");
        if let Some(env) = config::optional("KLAXON_API_TOKENS") {
            spec.push(',');
            spec.push_str(&env);
        }
        Ok(Settings {
            api_tokens: ApiTokens::parse(&spec)?,
            intake: IntakeSettings::load(&lookup)?,
            notify: klaxon_core::config::NotifySettings::load(&lookup)?,
            policy,
            jwt: Default::default(),
            tracker: klaxon_core::config::TrackerSettings::load(&lookup)?,
            oidc: klaxon_core::config::OidcSettings::load(&lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_table() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("", Ok(15)),
            ("escalate_interval_secs = 5", Ok(5)),
            ("escalate_interval_secs = 0", Err("at least 1")),
            ("escalate_intervl_secs = 5", Err("unknown field")),
            ("api_tokens = \"x\"", Err("invalid type")),
            (
                "[server]\nheader_timeout_secs = 0",
                Err("header_timeout_secs must be 1"),
            ),
            (
                "[server]\nrequest_timeout_secs = 7200",
                Err("request_timeout_secs must be 1"),
            ),
            (
                "[server]\nmax_connections = 0",
                Err("max_connections must be 1"),
            ),
            ("[server]\nidle_secs = 5", Err("unknown field")),
            (
                "[server]\nmax_connections_per_client = 0",
                Err("max_connections_per_client must be at least 1"),
            ),
            ("[server]\nmax_connections = 8", Ok(15)),
        ];
        for (i, (text, want)) in cases.into_iter().enumerate() {
            let path = dir.path().join(format!("c{i}.toml"));
            std::fs::write(&path, text).unwrap();
            match (FileConfig::load(Some(&path)), want) {
                (Ok(c), Ok(n)) => assert_eq!(c.escalate_interval_secs, n, "{text}"),
                (Err(e), Err(msg)) => assert!(e.to_string().contains(msg), "{text}: {e}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
        // Unset, the server's bounds are the documented defaults.
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "[server]\nmax_connections = 8").unwrap();
        let server = FileConfig::load(Some(&path)).unwrap().server;
        assert_eq!(
            (
                server.header_timeout_secs,
                server.request_timeout_secs,
                server.max_connections
            ),
            (10, 30, 8)
        );
        let missing = FileConfig::load(Some(&dir.path().join("nope.toml"))).unwrap_err();
        assert!(missing.to_string().contains("nope.toml"), "{missing}");
    }
}
