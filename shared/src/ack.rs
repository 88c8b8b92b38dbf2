//! Signed one-click acknowledgement links for pages.
//!
//! A token names the incident (its reference), the audience that was paged
//! and an expiry, and carries an HMAC-SHA256 tag over them with the
//! configured secret. It is short enough for an SMS: `2026-7QX4MZ.p.t4kx2b.`
//! plus a 22-character tag. Each token acknowledges once: the delivery
//! ledger remembers a digest of its tag.

use crate::domain::{Audience, Reference};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

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
    let expiry = u64::try_from(t.expires_at.timestamp()).unwrap_or(0);
    let body = body(&t.reference, t.audience, expiry);
    let tag = mac(secret, &body).finalize().into_bytes();
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES]))
}

/// A token exactly as [`sign`] writes it, parsed once from the link: its
/// canonical text, and the fields it names. Whatever is keyed on a token
/// (the single-use claim) keys on this value, never on the text as it
/// arrived: a space, tab, line break or no-break space around it, another
/// letter case or a zero-padded expiry is not the same token but no token.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    reference: Reference,
    audience: Audience,
    expiry: u64,
    tag: [u8; TAG_BYTES],
}

impl std::fmt::Debug for Token {
    // A token is a capability: never in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Token({}.{}, tag hidden)",
            self.reference,
            code(self.audience)
        )
    }
}

impl Token {
    /// Parses `text`, refusing anything that is not exactly a token.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let mut parts = text.split('.');
        let (Some(reference), Some(aud), Some(exp), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        let reference =
            Reference::parse(&format!("KLX-{reference}")).ok_or(TokenError::Malformed)?;
        let audience = from_code(aud).ok_or(TokenError::Malformed)?;
        let expiry = u64::from_str_radix(exp, 36).map_err(|_| TokenError::Malformed)?;
        let tag: [u8; TAG_BYTES] = URL_SAFE_NO_PAD
            .decode(tag)
            .ok()
            .and_then(|t| t.try_into().ok())
            .ok_or(TokenError::Malformed)?;
        let token = Self {
            reference,
            audience,
            expiry,
            tag,
        };
        // The grammar above is lenient in places (case, padding, a sign);
        // only the one spelling `sign` produces is a token.
        if token.spelling() != text {
            return Err(TokenError::Malformed);
        }
        Ok(token)
    }

    fn body(&self) -> String {
        body(&self.reference, self.audience, self.expiry)
    }

    /// The token's one spelling. Not `Display`, so it is never formatted
    /// into a log by accident.
    pub fn spelling(&self) -> String {
        format!("{}.{}", self.body(), URL_SAFE_NO_PAD.encode(self.tag))
    }

    /// The ledger key that makes the token single-use: the SHA-256 of its
    /// tag (which the secret binds to the reference, audience and expiry),
    /// so the ledger never holds a working part of a link.
    pub fn use_key(&self) -> String {
        format!("ack-link#{}", hex::encode(Sha256::digest(self.tag)))
    }
}

fn body(reference: &Reference, audience: Audience, expiry: u64) -> String {
    format!(
        "{}.{}.{}",
        reference.as_str().trim_start_matches("KLX-"),
        code(audience),
        base36(expiry)
    )
}

/// Checks the tag (in constant time) and the expiry.
pub fn verify(secret: &[u8], token: &Token, now: DateTime<Utc>) -> Result<AckToken, TokenError> {
    mac(secret, &token.body())
        .verify_truncated_left(&token.tag)
        .map_err(|_| TokenError::Forged)?;
    let expires_at = i64::try_from(token.expiry)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or(TokenError::Malformed)?;
    if now >= expires_at {
        return Err(TokenError::Expired(expires_at));
    }
    Ok(AckToken {
        reference: token.reference.clone(),
        audience: token.audience,
        expires_at,
    })
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

    fn check(token: &str, now: DateTime<Utc>) -> Result<AckToken, TokenError> {
        verify(SECRET, &Token::parse(token)?, now)
    }

    #[test]
    fn round_trips_and_is_short() {
        let s = sign(SECRET, &token());
        assert!(s.starts_with("2026-7QX4MZ.s."), "{s}");
        assert!(s.len() <= 50, "{} chars: {s}", s.len());
        assert_eq!(check(&s, t("2026-11-23T03:00:00Z")), Ok(token()));
        assert_eq!(Token::parse(&s).map(|t| t.spelling()), Ok(s));
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
            assert_eq!(check(input, now).map(|_| ()), want, "{input:?}");
        }
        assert_eq!(
            check(&good, t("2026-11-24T03:00:00Z")),
            Err(TokenError::Expired(t("2026-11-24T03:00:00Z")))
        );
    }

    /// Only the exact text `sign` wrote is a token. Each of these verified
    /// before (`verify` trimmed, the reference was upper-cased), under a
    /// single-use key of its own, so a used link acknowledged again.
    #[test]
    fn only_the_exact_spelling_is_a_token() {
        let good = sign(SECRET, &token());
        let (body, tag) = good.rsplit_once('.').expect("tag");
        let (head, exp) = body.rsplit_once('.').expect("expiry");
        let mut variants: Vec<String> = Vec::new();
        for junk in [
            " ", "\t", "\n", "\r", "\r\n", "\u{a0}", "\u{2028}", "\u{feff}", "\0",
        ] {
            variants.push(format!("{good}{junk}"));
            variants.push(format!("{junk}{good}"));
        }
        variants.extend([
            good.to_lowercase(),
            good.replacen("7QX4MZ", "7qx4mz", 1),
            format!("{head}.0{exp}.{tag}"),
            format!("{head}.+{exp}.{tag}"),
            format!("{head}.{}.{tag}", exp.to_uppercase()),
            format!("{body}.{tag}="),
            format!("{body}.{tag}."),
            format!("KLX-{good}"),
            good.replace('.', ". "),
        ]);
        for v in &variants {
            assert_ne!(v, &good);
            assert_eq!(
                Token::parse(v).map(|_| ()),
                Err(TokenError::Malformed),
                "{v:?}"
            );
        }
        // The one token has one key, and other tokens have others.
        let parsed = Token::parse(&good).expect("token");
        assert_eq!(
            parsed.use_key(),
            Token::parse(&good).expect("again").use_key()
        );
        let digest = hex::encode(Sha256::digest(URL_SAFE_NO_PAD.decode(tag).expect("tag")));
        assert_eq!(parsed.use_key(), format!("ack-link#{digest}"));
        assert!(
            !parsed.use_key().contains(tag),
            "the key holds no part of the link"
        );
        let mut other_aud = token();
        other_aud.audience = Audience::OncallPrimary;
        let other = Token::parse(&sign(SECRET, &other_aud)).expect("token");
        assert_ne!(parsed.use_key(), other.use_key());
        assert!(!format!("{parsed:?}").contains(tag), "{parsed:?}");
    }
}
