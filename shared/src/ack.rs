//! Signed one-click acknowledgement links for pages.
//!
//! A token names the incident (its reference), the audience that was paged,
//! for a page to a person whom and by which method, and an expiry, and
//! carries an HMAC-SHA256 tag over them with the configured secret. It is short enough for an SMS: `2026-7QX4MZ.p.t4kx2b.`
//! plus a 22-character tag. Each token acknowledges once: the delivery
//! ledger remembers a digest of its tag.

use crate::domain::oncall::{Method, PersonId, ScheduleId};
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
    /// For a page to a person: whom the link was sent to.
    pub to: Option<Recipient>,
}

/// The person a page's link was sent to, the schedule that put them on
/// call, and the method the link went by (SMS, email; none for the
/// machine bodies): what the acknowledgement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub person: PersonId,
    pub schedule: Option<ScheduleId>,
    pub method: Option<Method>,
}

impl Recipient {
    /// `s` + `priya` + `/security-primary`, base64url: ids may hold the
    /// `.` that separates a token's parts.
    fn encode(&self) -> String {
        let m = match self.method {
            Some(Method::Sms) => 's',
            Some(Method::Email) => 'e',
            Some(Method::Chat) => 'c',
            None => '-',
        };
        let mut raw = format!("{m}{}", self.person);
        if let Some(s) = &self.schedule {
            raw.push('/');
            raw.push_str(s.as_str());
        }
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(text: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let mut chars = raw.chars();
        let method = match chars.next()? {
            's' => Some(Method::Sms),
            'e' => Some(Method::Email),
            'c' => Some(Method::Chat),
            '-' => None,
            _ => return None,
        };
        let rest = chars.as_str();
        let (person, schedule) = match rest.split_once('/') {
            Some((p, s)) => (p, Some(ScheduleId::parse("schedule", s).ok()?)),
            None => (rest, None),
        };
        Some(Self {
            person: PersonId::parse("person", person).ok()?,
            schedule,
            method,
        })
    }
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
    let body = body(&t.reference, t.audience, t.to.as_ref(), expiry);
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
    to: Option<Recipient>,
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
        let parts: Vec<&str> = text.split('.').collect();
        let (reference, aud, who, exp, tag) = match parts[..] {
            [r, a, e, t] => (r, a, None, e, t),
            [r, a, w, e, t] => (r, a, Some(w), e, t),
            _ => return Err(TokenError::Malformed),
        };
        let to = match who {
            Some(w) => Some(Recipient::decode(w).ok_or(TokenError::Malformed)?),
            None => None,
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
            to,
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
        body(
            &self.reference,
            self.audience,
            self.to.as_ref(),
            self.expiry,
        )
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

fn body(reference: &Reference, audience: Audience, to: Option<&Recipient>, expiry: u64) -> String {
    let who = to.map(|r| format!("{}.", r.encode())).unwrap_or_default();
    format!(
        "{}.{}.{who}{}",
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
        to: token.to.clone(),
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
            to: None,
        }
    }

    fn to_priya(method: Option<Method>, schedule: Option<&str>) -> AckToken {
        AckToken {
            audience: Audience::OncallPrimary,
            to: Some(Recipient {
                person: PersonId::parse("p", "priya.r").expect("id"),
                schedule: schedule.map(|s| ScheduleId::parse("s", s).expect("id")),
                method,
            }),
            ..token()
        }
    }

    /// A person's link names them, the schedule and the method; it stays
    /// short enough for an SMS, and naming anyone else breaks the tag.
    #[test]
    fn a_persons_link_names_them() {
        let now = t("2026-11-23T03:00:00Z");
        for want in [
            to_priya(Some(Method::Sms), Some("security-primary")),
            to_priya(Some(Method::Email), None),
            to_priya(None, Some("a.b")),
        ] {
            let s = sign(SECRET, &want);
            assert_eq!(s.split('.').count(), 5, "{s}");
            assert!(s.len() <= 90, "{} chars: {s}", s.len());
            assert_eq!(check(&s, now), Ok(want.clone()));
            assert_eq!(Token::parse(&s).map(|t| t.spelling()), Ok(s.clone()));
        }
        let sms = sign(
            SECRET,
            &to_priya(Some(Method::Sms), Some("security-primary")),
        );
        let email = sign(
            SECRET,
            &to_priya(Some(Method::Email), Some("security-primary")),
        );
        let parts: Vec<&str> = sms.split('.').collect();
        let other: Vec<&str> = email.split('.').collect();
        let swapped = format!(
            "{}.{}.{}.{}.{}",
            parts[0], parts[1], other[2], parts[3], parts[4]
        );
        assert_eq!(check(&swapped, now), Err(TokenError::Forged));
        let junk = format!(
            "{}.{}.{}.{}.{}",
            parts[0], parts[1], "eA", parts[3], parts[4]
        );
        assert_eq!(check(&junk, now), Err(TokenError::Malformed));
        assert_ne!(
            Token::parse(&sms).expect("sms").use_key(),
            Token::parse(&email).expect("email").use_key(),
            "each method's link is used once, on its own"
        );
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
