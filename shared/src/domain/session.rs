//! A console session: who signed in, and until when. The browser holds a
//! random id in a cookie; the store keeps only the id's SHA-256, and the
//! token every form carries is derived from the id, so neither the id nor
//! the form token is ever stored, and neither is the API token it began with.

use super::Caller;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long a session lasts from sign-in: one shift, then sign in again.
pub const SESSION_TTL: Duration = Duration::hours(12);

/// The id a browser holds: 32 random bytes, base64url. Shown to nobody
/// (`Debug` hides it); only its [`SessionDigest`] is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(…)")
    }
}

/// The length of a session id as issued (32 bytes, base64url unpadded).
const ID_LEN: usize = 43;

impl SessionId {
    pub fn random() -> Self {
        use base64::Engine;
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
    }

    /// A cookie's value, if it has the shape of an id this code issues.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(raw.to_owned()))
    }

    /// The cookie's value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> SessionDigest {
        SessionDigest(hex::encode(Sha256::digest(self.0.as_bytes())))
    }

    /// The token the session's forms carry: derived from the id, which only
    /// the browser holds, so a page of another origin cannot know it.
    pub fn form_token(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"klaxon console form token\0");
        h.update(self.0.as_bytes());
        hex::encode(h.finalize())
    }

    /// Whether `sent` is this session's form token (in constant time).
    pub fn form_token_matches(&self, sent: &str) -> bool {
        bool::from(self.form_token().as_bytes().ct_eq(sent.trim().as_bytes()))
    }
}

/// What the store keys a session by: the SHA-256 of its id, as hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionDigest(String);

impl SessionDigest {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl SessionId {
    /// What binds a session to the API token it began with: a digest of the
    /// token's digest keyed by this id. The store cannot tell from it which
    /// token it was (the id is not stored), but each request can check that
    /// the token is still configured, unchanged.
    pub fn grant_proof(&self, token_digest: &[u8; 32]) -> String {
        let mut h = Sha256::new();
        h.update(b"klaxon console session grant\0");
        h.update(self.0.as_bytes());
        h.update(token_digest);
        hex::encode(h.finalize())
    }
}

/// What a session rests on, checked again at every request where it can be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grant {
    /// An API token, by [`SessionId::grant_proof`]: removing or changing the
    /// token ends the session at its next request.
    Token { proof: String },
    /// The OpenID provider's ID token, verified once at sign-in.
    OpenId,
}

/// A signed-in session: the caller as the sign-in recognised them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    pub caller: Caller,
    /// `None` only in sessions stored before grants were kept; those end.
    #[serde(default)]
    pub grant: Option<Grant>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// A session for `caller` from `now`, lasting [`SESSION_TTL`].
    pub fn open(caller: Caller, grant: Grant, now: DateTime<Utc>) -> Self {
        Self {
            caller,
            grant: Some(grant),
            created_at: now,
            expires_at: now + SESSION_TTL,
        }
    }

    /// Whether it still holds at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    #[test]
    fn ids_are_random_and_parse_back_only_in_their_own_shape() {
        let a = SessionId::random();
        assert_ne!(a, SessionId::random());
        assert_eq!(SessionId::parse(a.as_str()), Some(a.clone()));
        let cases = [
            ("", false),
            ("short", false),
            (&"A".repeat(43), true),
            (&"A".repeat(44), false),
            (&format!("{}=", "A".repeat(42)), false),
            (&format!("{};", "A".repeat(42)), false),
        ];
        for (raw, ok) in cases {
            assert_eq!(SessionId::parse(raw).is_some(), ok, "{raw}");
        }
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn the_digest_and_form_token_are_not_the_id() {
        let id = SessionId::random();
        let d = id.digest();
        assert_eq!(d.as_str().len(), 64);
        assert!(!d.as_str().contains(id.as_str()));
        let t = id.form_token();
        assert_ne!(t, d.as_str());
        assert!(id.form_token_matches(&t));
        let cases = ["", "0", &SessionId::random().form_token(), &t[1..]];
        for sent in cases {
            assert!(!id.form_token_matches(sent), "{sent}");
        }
    }

    #[test]
    fn a_grant_proof_is_per_session_and_per_token() {
        let (a, b) = (SessionId::random(), SessionId::random());
        let (t1, t2) = ([1u8; 32], [2u8; 32]);
        let p = a.grant_proof(&t1);
        assert_eq!(p, a.grant_proof(&t1));
        for other in [a.grant_proof(&t2), b.grant_proof(&t1)] {
            assert_ne!(p, other);
        }
        assert!(!p.contains(a.as_str()) && !p.contains(a.digest().as_str()));
    }

    #[test]
    fn a_session_lasts_its_ttl() {
        let now = Utc::now();
        let caller = Caller {
            name: "ada".into(),
            role: Role::Commander,
            tenants: None,
        };
        let s = Session::open(caller, Grant::OpenId, now);
        let cases = [
            (now, true),
            (now + SESSION_TTL - Duration::seconds(1), true),
            (now + SESSION_TTL, false),
            (now + Duration::days(2), false),
        ];
        for (at, live) in cases {
            assert_eq!(s.live(at), live, "{at}");
        }
    }
}
