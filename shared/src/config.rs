//! Configuration, read once at start-up into typed values. A missing or
//! malformed variable fails fast with a message naming it.

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Responder,
    Commander,
    Admin,
}

impl Role {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "viewer" => Self::Viewer,
            "responder" => Self::Responder,
            "commander" => Self::Commander,
            "admin" => Self::Admin,
            _ => return None,
        })
    }
}

/// A caller the API has recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
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
    /// Parses `<name>:<role>:<token>[,...]`, as in `KLAXON_API_TOKENS`.
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
        let d = digest(token);
        let mut found = None;
        for (caller, known) in &self.0 {
            if bool::from(known.ct_eq(&d)) {
                found = Some(caller);
            }
        }
        found
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
