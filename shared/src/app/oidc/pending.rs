//! A sign-in under way: 32 random bytes and the time they were drawn, held
//! only by the browser (an HttpOnly cookie). The `state`, the `nonce` and the
//! PKCE verifier are each a separate SHA-256 of them, so nothing is stored
//! on the server, the `state` in the URL reveals neither the verifier nor
//! the cookie, and a changed cookie (an older time, another browser's
//! value) derives another `state` and is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long a browser may take at the provider's pages.
pub const PENDING_TTL: Duration = Duration::minutes(10);

/// What the browser holds between the redirect and the callback. `Debug`
/// shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Pending {
    secret: String,
    issued: i64,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending(…)")
    }
}

impl Pending {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            secret: URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()),
            issued: now.timestamp(),
        }
    }

    /// The cookie's value: `<secret>.<unix time>`.
    pub fn cookie(&self) -> String {
        format!("{}.{}", self.secret, self.issued)
    }

    /// A cookie's value, if it has the shape [`cookie`](Self::cookie) gives.
    pub fn parse(raw: &str) -> Option<Self> {
        let (secret, issued) = raw.split_once('.')?;
        let shaped = secret.len() == 43
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let issued = issued.parse::<i64>().ok()?;
        shaped.then(|| Self {
            secret: secret.to_owned(),
            issued,
        })
    }

    /// Whether it was drawn in the last [`PENDING_TTL`] (and not ahead of
    /// `now` by more than a clock's skew).
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        // The issued time is the browser's to send: any i64 must be safe.
        now.timestamp()
            .checked_sub(self.issued)
            .is_some_and(|age| (-60..PENDING_TTL.num_seconds()).contains(&age))
    }

    fn derive(&self, purpose: &str) -> String {
        let mut h = Sha256::new();
        h.update(b"klaxon oidc ");
        h.update(purpose.as_bytes());
        h.update(b"\0");
        h.update(self.secret.as_bytes());
        h.update(b".");
        h.update(self.issued.to_string().as_bytes());
        URL_SAFE_NO_PAD.encode(h.finalize())
    }

    pub fn state(&self) -> String {
        self.derive("state")
    }

    pub fn nonce(&self) -> String {
        self.derive("nonce")
    }

    /// The PKCE `code_verifier` (43 characters of base64url, RFC 7636 §4.1).
    pub fn verifier(&self) -> String {
        self.derive("pkce")
    }

    /// The `code_challenge` for `S256`.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier().as_bytes()))
    }

    /// Whether `sent` is this sign-in's `state` (in constant time).
    pub fn state_matches(&self, sent: &str) -> bool {
        bool::from(self.state().as_bytes().ct_eq(sent.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_round_trips_and_derives_distinct_values() {
        let now = Utc::now();
        let p = Pending::new(now);
        let back = Pending::parse(&p.cookie()).expect("parses");
        assert_eq!(back, p);
        let all = [p.state(), p.nonce(), p.verifier(), p.challenge()];
        for (i, a) in all.iter().enumerate() {
            assert_eq!(a.len(), 43);
            assert!(!a.contains(&p.secret));
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert!(!format!("{p:?}").contains(&p.secret));
    }

    #[test]
    fn a_changed_cookie_or_state_is_refused() {
        let now = Utc::now();
        let p = Pending::new(now);
        let state = p.state();
        assert!(p.state_matches(&state));
        let older = Pending::parse(&format!("{}.{}", p.secret, p.issued - 1)).expect("shape");
        let other = Pending::new(now);
        let cases = [(&older, false), (&other, false), (&p, true)];
        for (cookie, ok) in cases {
            assert_eq!(cookie.state_matches(&state), ok);
        }
        assert!(!p.state_matches(""));
        assert!(!p.state_matches(&state[1..]));
    }

    #[test]
    fn cookie_shape_and_life_table() {
        let now = Utc::now();
        let p = Pending::new(now);
        let cases = [
            ("", false),
            ("abc.1", false),
            (&format!("{}.x", p.secret), false),
            (&format!("{};.1", &p.secret[..42]), false),
            (&p.cookie(), true),
        ];
        for (raw, ok) in cases {
            assert_eq!(Pending::parse(raw).is_some(), ok, "{raw}");
        }
        let life = [
            (now, true),
            (now + PENDING_TTL - Duration::seconds(1), true),
            (now + PENDING_TTL, false),
            (now - Duration::minutes(5), false),
        ];
        for (at, live) in life {
            assert_eq!(p.live(at), live, "{at}");
        }
        // An issued time at either end of i64, as a forged cookie can send.
        for issued in [i64::MIN, i64::MAX] {
            let forged = Pending::parse(&format!("{}.{issued}", p.secret)).expect("shape");
            assert!(!forged.live(now), "{issued}");
        }
    }
}
