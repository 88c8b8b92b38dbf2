//! The optional config file for `klaxon serve`.
//!
//! ```toml
//! # Seconds between escalation sweeps.
//! escalate_interval_secs = 15
//! # Responder API tokens, as in KLAXON_API_TOKENS (which is added to these).
//! api_tokens = ["alice:commander:a-long-random-token"]
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
use klaxon_core::policy::Policy;
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
            variables: BTreeMap::new(),
        }
    }
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
    #[error("{0}")]
    Policy(String),
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
            Some(path) => {
                Arc::new(Policy::load(&path).map_err(|e| SettingsError::Policy(e.to_string()))?)
            }
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
        let missing = FileConfig::load(Some(&dir.path().join("nope.toml"))).unwrap_err();
        assert!(missing.to_string().contains("nope.toml"), "{missing}");
    }
}
