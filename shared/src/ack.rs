//! Signed one-click acknowledgement links for pages.
//!
//! A token names the incident (its reference), the audience that was paged
//! and an expiry, and carries an HMAC-SHA256 tag over them with the
//! configured secret. It is short enough for an SMS: `2026-7QX4MZ.p.t4kx2b.`
//! plus a 22-character tag. Each token acknowledges once: the delivery
//! ledger remembers its tag.

use crate::domain::{Audience, Reference};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The tag is truncated to 128 bits: forging one still takes 2^128 tries.
const TAG_BYTES: usize = 16;
/// How long a page's link works.
pub const LINK_TTL_HOURS: i64 = 24;
/// The shortest secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckToken {
    pub reference: Reference,
    pub audience: Audience,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("this link is not a Klaxon acknowledgement link")]
    Malformed,
    #[error("this link's signature does not match: it was altered or not made by this Klaxon")]
    Forged,
    #[error("this link expired at {0}")]
    Expired(DateTime<Utc>),
}

fn code(a: Audience) -> char {
    match a {
        Audience::OncallPrimary => 'p',
        Audience::OncallSecondary => 's',
        Audience::IncidentManager => 'm',
        Audience::SecurityTeam => 't',
        Audience::Leadership => 'l',
        Audience::Comms => 'c',
    }
}

fn from_code(c: &str) -> Option<Audience> {
    Audience::ALL
        .into_iter()
        .find(|a| c.len() == 1 && c.starts_with(code(*a)))
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

fn mac(secret: &[u8], body: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(b"klaxon-ack-v1\n");
    m.update(body.as_bytes());
    m
}

/// The token for a page to `audience`.
pub fn sign(secret: &[u8], t: &AckToken) -> String {
    let reference = t.reference.as_str().trim_start_matches("KLX-");
    let expiry = u64::try_from(t.expires_at.timestamp()).unwrap_or(0);
    let body = format!("{reference}.{}.{}", code(t.audience), base36(expiry));
    let tag = mac(secret, &body).finalize().into_bytes();
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES]))
}

/// Checks the tag (in constant time) and the expiry.
pub fn verify(secret: &[u8], token: &str, now: DateTime<Utc>) -> Result<AckToken, TokenError> {
    let mut parts = token.trim().split('.');
    let (Some(reference), Some(aud), Some(exp), Some(tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(TokenError::Malformed);
    };
    let reference = Reference::parse(&format!("KLX-{reference}")).ok_or(TokenError::Malformed)?;
    let audience = from_code(aud).ok_or(TokenError::Malformed)?;
    let expiry = u64::from_str_radix(exp, 36).map_err(|_| TokenError::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| TokenError::Malformed)?;
    if tag.len() != TAG_BYTES {
        return Err(TokenError::Malformed);
    }
    let body = format!(
        "{}.{aud}.{exp}",
        reference.as_str().trim_start_matches("KLX-")
    );
    mac(secret, &body)
        .verify_truncated_left(&tag)
        .map_err(|_| TokenError::Forged)?;
    let expires_at = i64::try_from(expiry)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or(TokenError::Malformed)?;
    if now >= expires_at {
        return Err(TokenError::Expired(expires_at));
    }
    Ok(AckToken {
        reference,
        audience,
        expires_at,
    })
}

/// The ledger key that makes a token single-use: its tag.
pub fn use_key(token: &str) -> String {
    format!("ack-link#{}", token.rsplit('.').next().unwrap_or(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    fn token() -> AckToken {
        AckToken {
            reference: Reference::parse("KLX-2026-7QX4MZ").expect("ref"),
            audience: Audience::OncallSecondary,
            expires_at: t("2026-11-24T03:00:00Z"),
        }
    }

    #[test]
    fn round_trips_and_is_short() {
        let s = sign(SECRET, &token());
        assert!(s.starts_with("2026-7QX4MZ.s."), "{s}");
        assert!(s.len() <= 50, "{} chars: {s}", s.len());
        assert_eq!(verify(SECRET, &s, t("2026-11-23T03:00:00Z")), Ok(token()));
    }

    #[test]
    fn refusals_table() {
        let good = sign(SECRET, &token());
        let now = t("2026-11-23T03:00:00Z");
        let other_secret = sign(b"another-secret-another-secret-xx", &token());
        let mut other_aud = token();
        other_aud.audience = Audience::OncallPrimary;
        let swapped = {
            // The primary's token body with the secondary's tag.
            let body = sign(SECRET, &other_aud);
            let (b, _) = body.rsplit_once('.').expect("dot");
            let (_, tag) = good.rsplit_once('.').expect("dot");
            format!("{b}.{tag}")
        };
        let cases = [
            ("", Err(TokenError::Malformed)),
            ("nonsense", Err(TokenError::Malformed)),
            (
                "2026-7QX4MZ.x.abc.AAAAAAAAAAAAAAAAAAAAAA",
                Err(TokenError::Malformed),
            ),
            ("2026-7QX4MZ.s.abc.short", Err(TokenError::Malformed)),
            (other_secret.as_str(), Err(TokenError::Forged)),
            (swapped.as_str(), Err(TokenError::Forged)),
        ];
        for (input, want) in cases {
            assert_eq!(verify(SECRET, input, now).map(|_| ()), want, "{input:?}");
        }
        assert_eq!(
            verify(SECRET, &good, t("2026-11-24T03:00:00Z")),
            Err(TokenError::Expired(t("2026-11-24T03:00:00Z")))
        );
        assert_eq!(use_key(&good), use_key(&good.clone()));
        assert_ne!(use_key(&good), use_key(&sign(SECRET, &other_aud)));
    }
}
