//! Keys from outside (idempotency keys, delivery ids, dedup keys, tokens) as
//! Klaxon keeps them: SHA-256 digests. A sender may put anything in a key,
//! a secret included, so the raw text is hashed on arrival and the stores
//! accept only these types: no raw key can reach a record.

use super::Source;
use sha2::{Digest, Sha256};
use std::fmt;

/// A sender's key, hashed, and optionally the content it was sent with.
/// Built only by hashing.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SenderKey {
    digest: [u8; 32],
    content: Option<[u8; 32]>,
}

impl SenderKey {
    /// Hashes the key. The text is not kept.
    pub fn new(raw: &str) -> Self {
        Self {
            digest: Sha256::digest(raw.as_bytes()).into(),
            content: None,
        }
    }

    /// Binds the key to the request it came with: the same key with other
    /// content is then refused instead of answered (see [`IdempotencyKey`]).
    pub fn for_content(mut self, content: &[u8]) -> Self {
        self.content = Some(Sha256::digest(content).into());
        self
    }
}

impl From<&str> for SenderKey {
    fn from(raw: &str) -> Self {
        Self::new(raw)
    }
}

impl From<String> for SenderKey {
    fn from(raw: String) -> Self {
        Self::new(&raw)
    }
}

impl fmt::Debug for SenderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SenderKey({})", hex::encode(self.digest))
    }
}

/// What the incident store keys on: `<source>#<hex SHA-256 of the key>`,
/// so two senders never collide, plus the hex digest of the content a
/// replay key was bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    scoped: String,
    content: Option<String>,
}

impl IdempotencyKey {
    pub fn new(source: Source, key: SenderKey) -> Self {
        Self {
            scoped: format!("{}#{}", source.as_str(), hex::encode(key.digest)),
            content: key.content.map(hex::encode),
        }
    }

    /// The stored key.
    pub fn as_str(&self) -> &str {
        &self.scoped
    }

    /// The digest of the content the key was first used with, when the key
    /// names one request (an `Idempotency-Key`, a delivery id). A natural
    /// key (an alert, an issue) is reused by design and carries none.
    pub fn content(&self) -> Option<&str> {
        self.content.as_deref()
    }

    /// Whether a key stored with `stored` content may answer this request.
    /// A key stored without content (or a lookup without any) matches.
    pub fn same_content(&self, stored: Option<&str>) -> bool {
        match (self.content(), stored) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scoped)
    }
}

/// What a repeated key means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// A delivery id or `Idempotency-Key`: the same delivery again. Nothing is written.
    Replay,
    /// A dedup key (PagerDuty, a finding id): the same alert firing again. An
    /// open incident counts an occurrence; a resolved or closed one is
    /// followed by a new incident.
    Occurrence,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_digests_scoped_by_source() {
        let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
        let k = IdempotencyKey::new(Source::Github, token.into());
        assert!(!k.as_str().contains(token));
        assert!(!format!("{k:?}").contains(token));
        assert_eq!(
            k.as_str(),
            format!("github#{}", hex::encode(Sha256::digest(token)))
        );
        assert_ne!(k, IdempotencyKey::new(Source::Jira, token.into()));
        assert_eq!(k.content(), None);
    }

    #[test]
    fn content_binding_table() {
        let key = |body: Option<&[u8]>| {
            let k = SenderKey::new("k1");
            IdempotencyKey::new(
                Source::Report,
                match body {
                    Some(b) => k.for_content(b),
                    None => k,
                },
            )
        };
        let a = key(Some(b"{\"title\":\"a\"}"));
        let b = key(Some(b"{\"title\":\"b\"}"));
        // The key itself does not depend on the content: a lookup finds it.
        assert_eq!(a.as_str(), b.as_str());
        let cases = [
            (&a, a.content(), true),
            (&a, b.content(), false),
            (&a, None, true),
            (&key(None), a.content(), true),
        ];
        for (k, stored, want) in cases {
            assert_eq!(k.same_content(stored), want, "{k:?} vs {stored:?}");
        }
    }
}
