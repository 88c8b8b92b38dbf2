//! Signature checks for every webhook sender, each in the sender's own
//! scheme, on the raw body, in constant time. Pure: no I/O.

use crate::config::Secret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a delivery was refused. The message names the problem, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("{0} does not match")]
    Mismatch(&'static str),
    #[error(transparent)]
    Rejected(#[from] Rejection),
}

/// A well-formed credential the check still refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("webhook-timestamp is more than {minutes} minutes from now; check the sender's clock")]
    StaleTimestamp { minutes: i64 },
    /// Also a `whsec_` secret that does not decode: start-up refuses such a
    /// secret, and the sender is told only that the check failed.
    #[error("the signature does not match")]
    Signature,
    #[error("the JWT must be signed with HS256")]
    NotHs256,
    #[error("the JWT has expired")]
    Expired,
    #[error("the JWT issuer is not a configured Connect client key")]
    UnknownIssuer,
    #[error("the JWT was issued in the future")]
    IssuedInFuture,
    #[error("the JWT must expire within {minutes} minutes of iat")]
    LivesTooLong { minutes: i64 },
}

/// HMAC-SHA256 of the parts, in order, by ring: its SHA-256 is assembly on
/// every target (SHA extensions where the CPU has them), about 1.3 µs for a
/// typical report's body against 2.1 µs for the portable crates here.
fn hmac(key: &[u8], parts: &[&[u8]]) -> ring::hmac::Tag {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let mut mac = ring::hmac::Context::with_key(&key);
    for p in parts {
        mac.update(p);
    }
    mac.sign()
}

/// `X-Hub-Signature-256: sha256=<hex>` (GitHub) and `X-Hub-Signature:
/// sha256=<hex>` (Jira, Bitbucket): HMAC-SHA256 of the raw body. Several
/// secrets may be configured during a rotation; any one matching is enough.
pub fn hub_signature(
    secrets: &[Secret],
    header_name: &'static str,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), VerifyError> {
    let header = header.ok_or(VerifyError::Missing(header_name))?;
    let hex_sig = header
        .strip_prefix("sha256=")
        .ok_or(VerifyError::Malformed(header_name))?;
    let sig = hex::decode(hex_sig).map_err(|_| VerifyError::Malformed(header_name))?;
    let mut ok = false;
    for s in secrets {
        // Constant time; a signature of another length is simply unequal.
        ok |= bool::from(hmac(s.expose().as_bytes(), &[body]).as_ref().ct_eq(&sig));
    }
    if ok {
        Ok(())
    } else {
        Err(VerifyError::Mismatch(header_name))
    }
}

/// A bearer token compared in constant time (via digests, so lengths do not leak).
pub fn bearer(expected: &Secret, authorization: Option<&str>) -> Result<(), VerifyError> {
    let auth = authorization.ok_or(VerifyError::Missing("Authorization"))?;
    let token = auth
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .ok_or(VerifyError::Malformed("Authorization"))?;
    let a = Sha256::digest(token.as_bytes());
    let b = Sha256::digest(expected.expose().as_bytes());
    if bool::from(a.ct_eq(&b)) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch("Authorization"))
    }
}

/// Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256(key,
/// "{id}.{timestamp}.{body}")>` (space-separated list), with the timestamp
/// within `tolerance` of now. The secret is `whsec_<base64 key>`.
pub fn standard_webhook(
    secret: &Secret,
    id: Option<&str>,
    timestamp: Option<&str>,
    signatures: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: chrono::Duration,
) -> Result<(), VerifyError> {
    let id = id.ok_or(VerifyError::Missing("webhook-id"))?;
    let ts_raw = timestamp.ok_or(VerifyError::Missing("webhook-timestamp"))?;
    let signatures = signatures.ok_or(VerifyError::Missing("webhook-signature"))?;
    let ts: i64 = ts_raw
        .parse()
        .map_err(|_| VerifyError::Malformed("webhook-timestamp"))?;
    let sent =
        DateTime::from_timestamp(ts, 0).ok_or(VerifyError::Malformed("webhook-timestamp"))?;
    if (now - sent).abs() > tolerance {
        return Err(Rejection::StaleTimestamp {
            minutes: tolerance.num_minutes(),
        }
        .into());
    }
    let raw = secret.expose();
    let key = match raw.strip_prefix("whsec_") {
        Some(b64) => B64.decode(b64).map_err(|_| {
            // Start-up refuses such a secret; the sender is told only that the check failed.
            VerifyError::Rejected(Rejection::Signature)
        })?,
        None => raw.as_bytes().to_vec(),
    };
    let mac = hmac(&key, &[id.as_bytes(), b".", ts_raw.as_bytes(), b".", body]);
    let expected = mac.as_ref();
    let mut seen = false;
    let mut ok = false;
    for candidate in signatures.split_whitespace() {
        let Some(b64) = candidate.strip_prefix("v1,") else {
            continue;
        };
        seen = true;
        if let Ok(sig) = B64.decode(b64) {
            ok |= bool::from(sig.as_slice().ct_eq(expected));
        }
    }
    match (seen, ok) {
        (_, true) => Ok(()),
        (false, _) => Err(VerifyError::Malformed("webhook-signature")),
        (true, false) => Err(VerifyError::Mismatch("webhook-signature")),
    }
}

/// RFC 3986 percent-encoding as Atlassian's canonical request uses it.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Atlassian Connect's query string hash: hex SHA-256 of
/// `METHOD&path&sorted-encoded-query-without-jwt`.
pub fn connect_qsh(method: &str, path: &str, query: Option<&str>) -> String {
    let mut p = path.trim_end_matches('/').replace('&', "%26");
    if p.is_empty() {
        p = "/".into();
    }
    let mut params: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k != "jwt" {
            params.entry(encode(&k)).or_default().push(encode(&v));
        }
    }
    let canonical_query = params
        .into_iter()
        .map(|(k, mut vs)| {
            vs.sort();
            format!("{k}={}", vs.join(","))
        })
        .collect::<Vec<_>>()
        .join("&");
    let canonical = format!("{}&{p}&{canonical_query}", method.to_ascii_uppercase());
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

#[derive(Debug, serde::Deserialize)]
struct ConnectClaims {
    iss: String,
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    qsh: Option<String>,
    #[serde(default)]
    jti: Option<String>,
}

/// A verified Connect request: which installation sent it, and its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectCaller {
    pub client_key: String,
    pub jti: Option<String>,
    /// What names this token among all others: `jti` if it has one, else
    /// its signed claims (`iss`, `qsh`, `iat`, `exp`). One token, one request.
    pub token_id: String,
}

/// The longest a Connect JWT may live, `exp - iat`. Atlassian's own tokens
/// live 3 minutes; a captured token is good for no longer than this.
pub const MAX_JWT_LIFETIME_SECS: i64 = 3600;

/// `Authorization: JWT <token>`: HS256 with the shared secret, `iss` a
/// configured client key, `iat` present and not in the future, `exp` not
/// past (both within `leeway`), a lifetime of at most
/// [`MAX_JWT_LIFETIME_SECS`], and `qsh` matching the request.
#[allow(clippy::too_many_arguments)]
pub fn connect_jwt(
    shared_secret: &Secret,
    client_keys: &[String],
    authorization: Option<&str>,
    method: &str,
    path: &str,
    query: Option<&str>,
    now: DateTime<Utc>,
    leeway_secs: u64,
) -> Result<ConnectCaller, VerifyError> {
    let auth = authorization.ok_or(VerifyError::Missing("Authorization"))?;
    let token = auth
        .strip_prefix("JWT ")
        .map(str::trim)
        .ok_or(VerifyError::Malformed("Authorization"))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.leeway = leeway_secs;
    validation.set_required_spec_claims(&["exp", "iss"]);
    validation.validate_aud = false;
    // Expiry is checked below against the injected clock, not the system's.
    validation.validate_exp = false;
    let data = crate::jwt::decode::<ConnectClaims>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(shared_secret.expose().as_bytes()),
        &validation,
    )
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => VerifyError::Mismatch("JWT signature"),
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
            VerifyError::Rejected(Rejection::NotHs256)
        }
        _ => VerifyError::Malformed("JWT"),
    })?;
    let claims = data.claims;
    // The claims are the sender's numbers: saturate rather than overflow.
    let leeway = i64::try_from(leeway_secs).unwrap_or(i64::MAX);
    if claims.exp.saturating_add(leeway) < now.timestamp() {
        return Err(Rejection::Expired.into());
    }
    if !client_keys.iter().any(|k| k == &claims.iss) {
        return Err(Rejection::UnknownIssuer.into());
    }
    let iat = claims.iat.ok_or(VerifyError::Missing("iat claim"))?;
    if iat > now.timestamp().saturating_add(leeway) {
        return Err(Rejection::IssuedInFuture.into());
    }
    if claims.exp < iat || claims.exp.saturating_sub(iat) > MAX_JWT_LIFETIME_SECS {
        return Err(Rejection::LivesTooLong {
            minutes: MAX_JWT_LIFETIME_SECS / 60,
        }
        .into());
    }
    let expected = connect_qsh(method, path, query);
    let qsh = claims.qsh.ok_or(VerifyError::Missing("qsh claim"))?;
    if !bool::from(qsh.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(VerifyError::Mismatch("qsh claim"));
    }
    // NUL-separated: no claim value can shift another's boundary.
    let token_id = match &claims.jti {
        Some(jti) => format!("jti\0{}\0{jti}", claims.iss),
        None => format!("claims\0{}\0{qsh}\0{iat}\0{}", claims.iss, claims.exp),
    };
    Ok(ConnectCaller {
        client_key: claims.iss,
        jti: claims.jti,
        token_id,
    })
}

/// Is `key` one of the configured keys? Constant time per candidate.
pub fn known_key(keys: &[Secret], key: &str) -> bool {
    let d = Sha256::digest(key.as_bytes());
    let mut ok = false;
    for k in keys {
        ok |= bool::from(Sha256::digest(k.expose().as_bytes()).ct_eq(&d));
    }
    ok
}

/// Helpers for tests and for documentation: how each sender signs.
pub mod sign {
    use super::*;

    pub fn hub(secret: &str, body: &[u8]) -> String {
        format!("sha256={}", hex::encode(hmac(secret.as_bytes(), &[body])))
    }

    pub fn standard_webhook(secret_b64: &str, id: &str, ts: i64, body: &[u8]) -> String {
        let key = B64.decode(secret_b64).unwrap_or_default();
        let ts = ts.to_string();
        let mac = hmac(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
        format!("v1,{}", B64.encode(mac))
    }

    pub fn connect_jwt(
        secret: &str,
        client_key: &str,
        qsh: &str,
        iat: i64,
        exp: i64,
        jti: &str,
    ) -> String {
        connect_claims(
            secret,
            &serde_json::json!({"iss": client_key, "iat": iat, "exp": exp, "qsh": qsh, "jti": jti}),
        )
    }

    /// A Connect JWT with exactly these claims (Atlassian's carry no `jti`).
    pub fn connect_claims(secret: &str, claims: &serde_json::Value) -> String {
        crate::jwt::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(s: &[&str]) -> Vec<Secret> {
        s.iter().map(|s| Secret::new(*s)).collect()
    }

    #[test]
    fn hub_signature_table() {
        let body = b"{\"action\":\"created\"}";
        let good = sign::hub("s3cret", body);
        type Case<'a> = (&'a [&'a str], Option<&'a str>, Result<(), VerifyError>);
        let cases: [Case; 6] = [
            (&["s3cret"], Some(&good), Ok(())),
            (&["old", "s3cret"], Some(&good), Ok(())),
            (
                &["other"],
                Some(&good),
                Err(VerifyError::Mismatch("X-Hub-Signature-256")),
            ),
            (
                &["s3cret"],
                None,
                Err(VerifyError::Missing("X-Hub-Signature-256")),
            ),
            (
                &["s3cret"],
                Some("sha1=abcd"),
                Err(VerifyError::Malformed("X-Hub-Signature-256")),
            ),
            (
                &["s3cret"],
                Some("sha256=zz"),
                Err(VerifyError::Malformed("X-Hub-Signature-256")),
            ),
        ];
        for (keys, header, want) in cases {
            assert_eq!(
                hub_signature(&secrets(keys), "X-Hub-Signature-256", header, body),
                want,
                "{keys:?} {header:?}"
            );
        }
        // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
        assert_eq!(
            sign::hub("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert!(hub_signature(&secrets(&["s3cret"]), "X", Some(&good), b"tampered").is_err());
    }

    #[test]
    fn bearer_table() {
        let t = Secret::new("forge-token-123456");
        assert_eq!(bearer(&t, Some("Bearer forge-token-123456")), Ok(()));
        assert_eq!(bearer(&t, Some("bearer forge-token-123456")), Ok(()));
        assert_eq!(
            bearer(&t, Some("Bearer nope")),
            Err(VerifyError::Mismatch("Authorization"))
        );
        assert_eq!(
            bearer(&t, Some("Basic forge-token-123456")),
            Err(VerifyError::Malformed("Authorization"))
        );
        assert_eq!(bearer(&t, None), Err(VerifyError::Missing("Authorization")));
    }

    #[test]
    fn standard_webhook_table() {
        let key_b64 = B64.encode(b"0123456789abcdef0123456789abcdef");
        let secret = Secret::new(format!("whsec_{key_b64}"));
        let now: DateTime<Utc> = "2026-11-23T03:00:00Z".parse().unwrap();
        let ts = now.timestamp();
        let body = b"{\"title\":\"x\"}";
        let good = sign::standard_webhook(&key_b64, "msg_1", ts, body);
        let tol = chrono::Duration::minutes(5);
        let check = |id: Option<&str>, t: Option<String>, sig: Option<&str>| {
            standard_webhook(&secret, id, t.as_deref(), sig, body, now, tol)
        };
        assert_eq!(
            check(Some("msg_1"), Some(ts.to_string()), Some(&good)),
            Ok(())
        );
        assert_eq!(
            check(
                Some("msg_1"),
                Some(ts.to_string()),
                Some(&format!("v1,AAAA {good}"))
            ),
            Ok(()),
            "any listed signature"
        );
        assert_eq!(
            check(Some("msg_2"), Some(ts.to_string()), Some(&good)),
            Err(VerifyError::Mismatch("webhook-signature"))
        );
        assert_eq!(
            check(None, Some(ts.to_string()), Some(&good)),
            Err(VerifyError::Missing("webhook-id"))
        );
        assert_eq!(
            check(Some("msg_1"), None, Some(&good)),
            Err(VerifyError::Missing("webhook-timestamp"))
        );
        assert_eq!(
            check(Some("msg_1"), Some(ts.to_string()), None),
            Err(VerifyError::Missing("webhook-signature"))
        );
        assert_eq!(
            check(Some("msg_1"), Some("soon".into()), Some(&good)),
            Err(VerifyError::Malformed("webhook-timestamp"))
        );
        assert_eq!(
            check(Some("msg_1"), Some(ts.to_string()), Some("v2,abc")),
            Err(VerifyError::Malformed("webhook-signature"))
        );
        let old = sign::standard_webhook(&key_b64, "msg_1", ts - 301, body);
        assert!(matches!(
            check(Some("msg_1"), Some((ts - 301).to_string()), Some(&old)),
            Err(VerifyError::Rejected(_))
        ));
        let ok_edge = sign::standard_webhook(&key_b64, "msg_1", ts + 299, body);
        assert_eq!(
            check(Some("msg_1"), Some((ts + 299).to_string()), Some(&ok_edge)),
            Ok(())
        );
    }

    #[test]
    fn qsh_follows_atlassian_canonical_request() {
        // Sorted keys, jwt dropped, repeated values joined with ',', RFC 3986 encoding.
        let q = "b=2&a=x%20y&jwt=abc&a=1&c=%2F";
        let canonical = "POST&/webhooks/connect&a=1,x%20y&b=2&c=%2F";
        assert_eq!(
            connect_qsh("post", "/webhooks/connect/", Some(q)),
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        assert_eq!(
            connect_qsh("GET", "", None),
            hex::encode(Sha256::digest(b"GET&/&"))
        );
    }

    #[test]
    fn connect_jwt_table() {
        let now: DateTime<Utc> = "2026-11-23T03:00:00Z".parse().unwrap();
        let t = now.timestamp();
        let secret = Secret::new("shared-secret-0123456789");
        let keys = vec!["client-a".to_owned()];
        let qsh = connect_qsh("POST", "/webhooks/connect", None);
        let verify = |token: &str| {
            connect_jwt(
                &secret,
                &keys,
                Some(&format!("JWT {token}")),
                "POST",
                "/webhooks/connect",
                None,
                now,
                60,
            )
        };
        let good = sign::connect_jwt(
            "shared-secret-0123456789",
            "client-a",
            &qsh,
            t,
            t + 180,
            "j1",
        );
        let caller = verify(&good).expect("valid");
        assert_eq!(
            (caller.client_key.as_str(), caller.jti.as_deref()),
            ("client-a", Some("j1"))
        );
        let wrong_secret = sign::connect_jwt("other-secret", "client-a", &qsh, t, t + 180, "j1");
        assert_eq!(
            verify(&wrong_secret),
            Err(VerifyError::Mismatch("JWT signature"))
        );
        let stranger = sign::connect_jwt(
            "shared-secret-0123456789",
            "client-b",
            &qsh,
            t,
            t + 180,
            "j1",
        );
        assert!(
            matches!(verify(&stranger), Err(VerifyError::Rejected(m)) if m.to_string().contains("client key"))
        );
        let expired = sign::connect_jwt(
            "shared-secret-0123456789",
            "client-a",
            &qsh,
            t - 600,
            t - 120,
            "j1",
        );
        assert!(
            matches!(verify(&expired), Err(VerifyError::Rejected(m)) if m.to_string().contains("expired"))
        );
        let future = sign::connect_jwt(
            "shared-secret-0123456789",
            "client-a",
            &qsh,
            t + 600,
            t + 900,
            "j1",
        );
        assert!(
            matches!(verify(&future), Err(VerifyError::Rejected(m)) if m.to_string().contains("future"))
        );
        let other_qsh = sign::connect_jwt(
            "shared-secret-0123456789",
            "client-a",
            &connect_qsh("GET", "/x", None),
            t,
            t + 180,
            "j1",
        );
        assert_eq!(verify(&other_qsh), Err(VerifyError::Mismatch("qsh claim")));
        assert_eq!(verify("not.a.jwt"), Err(VerifyError::Malformed("JWT")));
        assert_eq!(
            connect_jwt(
                &secret,
                &keys,
                None,
                "POST",
                "/webhooks/connect",
                None,
                now,
                60
            ),
            Err(VerifyError::Missing("Authorization"))
        );
        assert_eq!(
            connect_jwt(
                &secret,
                &keys,
                Some(&format!("Bearer {good}")),
                "POST",
                "/webhooks/connect",
                None,
                now,
                60
            ),
            Err(VerifyError::Malformed("Authorization"))
        );
    }

    /// Found while fuzzing (`connect_jwt`): `exp` near `i64::MAX` overflowed
    /// adding the leeway, a panic in debug builds and "expired" in release.
    #[test]
    fn connect_jwt_extreme_times() {
        let now: DateTime<Utc> = "2026-11-23T03:00:00Z".parse().unwrap();
        let t = now.timestamp();
        let secret = "shared-secret-0123456789";
        let keys = vec!["client-a".to_owned()];
        let qsh = connect_qsh("POST", "/webhooks/connect", None);
        let verify = |iat: i64, exp: i64, leeway: u64| {
            let token = sign::connect_jwt(secret, "client-a", &qsh, iat, exp, "j1");
            connect_jwt(
                &Secret::new(secret),
                &keys,
                Some(&format!("JWT {token}")),
                "POST",
                "/webhooks/connect",
                None,
                now,
                leeway,
            )
        };
        // (iat, exp, leeway, accepted). The far-future and far-past ones
        // are now also refused for their lifetime (issue 16, finding 8):
        // what this test holds is that none of them overflows.
        let cases = [
            (t, i64::MAX, 60, false),
            (t, i64::MAX - 30, 60, false),
            (t, i64::MAX, u64::MAX, false),
            (i64::MIN, t + 180, 60, false),
            (i64::MAX, i64::MAX, 60, false),
            (t, i64::MIN, 60, false),
            (t, i64::MIN, u64::MAX, false),
            (t, t + 180, u64::MAX, true),
            (i64::MIN, i64::MIN, u64::MAX, false),
        ];
        for (iat, exp, leeway, ok) in cases {
            assert_eq!(
                verify(iat, exp, leeway).is_ok(),
                ok,
                "iat {iat} exp {exp} leeway {leeway}"
            );
        }
    }

    /// Issue 16, finding 8: a 100-year token was accepted. A token lives at
    /// most an hour, needs `iat`, and may not be issued in the future.
    #[test]
    fn connect_jwt_lifetime_table() {
        let now: DateTime<Utc> = "2026-11-23T03:00:00Z".parse().unwrap();
        let t = now.timestamp();
        let secret = "shared-secret-0123456789";
        let qsh = connect_qsh("POST", "/webhooks/connect", None);
        let verify = |claims: serde_json::Value| {
            connect_jwt(
                &Secret::new(secret),
                &["client-a".to_owned()],
                Some(&format!("JWT {}", sign::connect_claims(secret, &claims))),
                "POST",
                "/webhooks/connect",
                None,
                now,
                60,
            )
        };
        let claims = |iat: Option<i64>, exp: i64| {
            let mut c = serde_json::json!({"iss": "client-a", "exp": exp, "qsh": qsh});
            if let Some(iat) = iat {
                c["iat"] = iat.into();
            }
            c
        };
        let year = 365 * 24 * 3600;
        // (iat, exp, accepted, what the refusal says)
        let cases = [
            (Some(t), t + 180, true, ""),
            (Some(t - 3000), t + 600, true, ""),
            (Some(t), t + MAX_JWT_LIFETIME_SECS, true, ""),
            (
                Some(t),
                t + MAX_JWT_LIFETIME_SECS + 1,
                false,
                "expire within 60 minutes",
            ),
            (Some(t), t + 100 * year, false, "expire within 60 minutes"),
            (Some(t - 100 * year), t + 100 * year, false, "expire within"),
            (Some(t + 30), t + 200, true, ""),
            (Some(t + 61), t + 200, false, "future"),
            (Some(t + 10), t, false, "expire within"),
            (None, t + 180, false, "missing iat claim"),
            (Some(t - 400), t - 61, false, "expired"),
        ];
        for (iat, exp, ok, why) in cases {
            let got = verify(claims(iat, exp));
            assert_eq!(got.is_ok(), ok, "iat {iat:?} exp {exp}: {got:?}");
            if let Err(e) = got {
                assert!(e.to_string().contains(why), "iat {iat:?} exp {exp}: {e}");
            }
        }
    }

    /// Without `jti` a token is named by its signed claims; with one, by
    /// issuer and `jti`. Equal claims are the same token.
    #[test]
    fn connect_token_id_table() {
        let now: DateTime<Utc> = "2026-11-23T03:00:00Z".parse().unwrap();
        let t = now.timestamp();
        let secret = "shared-secret-0123456789";
        let qsh = connect_qsh("POST", "/webhooks/connect", None);
        let id = |claims: serde_json::Value| {
            connect_jwt(
                &Secret::new(secret),
                &["client-a".to_owned(), "client-b".to_owned()],
                Some(&format!("JWT {}", sign::connect_claims(secret, &claims))),
                "POST",
                "/webhooks/connect",
                None,
                now,
                60,
            )
            .expect("valid")
            .token_id
        };
        let base = serde_json::json!({"iss": "client-a", "iat": t, "exp": t + 180, "qsh": qsh});
        let with = |k: &str, v: serde_json::Value| {
            let mut c = base.clone();
            c[k] = v;
            c
        };
        assert_eq!(id(base.clone()), id(base.clone()));
        assert_ne!(id(base.clone()), id(with("iat", (t - 1).into())));
        assert_ne!(id(base.clone()), id(with("exp", (t + 170).into())));
        assert_ne!(id(base.clone()), id(with("iss", "client-b".into())));
        assert_ne!(id(base.clone()), id(with("jti", "j1".into())));
        let jti = with("jti", "j1".into());
        let mut later = jti.clone();
        later["iat"] = (t + 5).into();
        assert_eq!(id(jti.clone()), id(later), "a jti names the token");
        let mut other_issuer = jti.clone();
        other_issuer["iss"] = "client-b".into();
        assert_ne!(id(jti), id(other_issuer));
    }

    #[test]
    fn known_key_table() {
        let keys = secrets(&["R0UTINGKEY000000000000000000000A"]);
        assert!(known_key(&keys, "R0UTINGKEY000000000000000000000A"));
        assert!(!known_key(&keys, "R0UTINGKEY000000000000000000000B"));
        assert!(!known_key(&[], "anything"));
    }
}
