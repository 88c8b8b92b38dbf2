//! The ID token's checks (OpenID Connect Core §3.1.3.7), pure: the
//! signature against the provider's JWKS with an algorithm allow-list
//! (RS256, PS256, ES256: never `none`, never an HMAC, whose key a public
//! JWKS would hand to anyone), then `iss`, `aud` (and `azp` when there are
//! several audiences), `exp`/`iat`/`nbf` with a small leeway, and the nonce.

use crate::jwt::decode;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode_header};
use serde_json::{Map, Value};

/// The algorithms an ID token may be signed with.
pub const ALLOWED: &[Algorithm] = &[Algorithm::RS256, Algorithm::PS256, Algorithm::ES256];
/// Clock skew tolerated between us and the provider, in seconds.
pub const LEEWAY: i64 = 60;

/// Why an ID token was refused. Carries no part of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the ID token is not a signed JWT")]
    Malformed,
    #[error("the ID token is signed with an algorithm this console does not accept")]
    Algorithm,
    /// Its key is not in the JWKS: fetch the JWKS again, once.
    #[error("the ID token's key is not among the provider's keys")]
    UnknownKey,
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token was issued by another issuer")]
    Issuer,
    #[error("the ID token is for another client")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token is dated in the future")]
    NotYetValid,
    #[error("the ID token does not answer this sign-in (nonce)")]
    Nonce,
    #[error("the ID token lacks the {0} claim")]
    Missing(&'static str),
}

/// What the token must say.
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub nonce: &'a str,
    /// Now, as seconds since the epoch.
    pub now: i64,
}

/// The token's claims, once every check has passed.
pub fn verify(
    token: &str,
    keys: &JwkSet,
    expect: &Expect,
) -> Result<Map<String, Value>, TokenError> {
    let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
    if !ALLOWED.contains(&header.alg) {
        return Err(TokenError::Algorithm);
    }
    let jwk = key_for(keys, header.kid.as_deref(), header.alg)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| TokenError::UnknownKey)?;
    let mut v = Validation::new(header.alg);
    v.set_issuer(&[expect.issuer]);
    v.set_audience(&[expect.audience]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // Times are checked below against the caller's clock.
    v.validate_exp = false;
    v.validate_nbf = false;
    let claims = decode::<Map<String, Value>>(token, &key, &v)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::InvalidSignature => TokenError::Signature,
                K::InvalidIssuer => TokenError::Issuer,
                K::InvalidAudience => TokenError::Audience,
                K::MissingRequiredClaim(c) => TokenError::Missing(match c.as_str() {
                    "exp" => "exp",
                    "iss" => "iss",
                    "aud" => "aud",
                    _ => "sub",
                }),
                K::InvalidAlgorithm | K::InvalidAlgorithmName | K::UnsupportedAlgorithm => {
                    TokenError::Algorithm
                }
                K::InvalidEcdsaKey | K::InvalidRsaKey(_) | K::InvalidKeyFormat => {
                    TokenError::UnknownKey
                }
                _ => TokenError::Malformed,
            }
        })?
        .claims;
    let time = |name: &'static str| {
        claims
            .get(name)
            .and_then(Value::as_i64)
            .ok_or(TokenError::Missing(name))
    };
    if time("exp")? + LEEWAY <= expect.now {
        return Err(TokenError::Expired);
    }
    if time("iat")? > expect.now + LEEWAY {
        return Err(TokenError::NotYetValid);
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
        && nbf > expect.now + LEEWAY
    {
        return Err(TokenError::NotYetValid);
    }
    if let Some(Value::Array(auds)) = claims.get("aud")
        && auds.len() > 1
        && claims.get("azp").and_then(Value::as_str) != Some(expect.audience)
    {
        return Err(TokenError::Audience);
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        nonce.as_bytes(),
        expect.nonce.as_bytes(),
    )) {
        return Err(TokenError::Nonce);
    }
    Ok(claims)
}

/// The JWKS key the header names; without a `kid`, the one key that fits.
/// A key published for encryption, or for another algorithm than the
/// header's, never checks a signature (RFC 7517 4.2, 4.4).
fn key_for<'a>(keys: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Result<&'a Jwk, TokenError> {
    let meant_for = |k: &Jwk| {
        matches!(
            k.common.public_key_use,
            None | Some(PublicKeyUse::Signature)
        ) && k
            .common
            .key_algorithm
            .is_none_or(|a| Algorithm::try_from(a).is_ok_and(|a| a == alg))
    };
    if let Some(kid) = kid {
        return keys
            .find(kid)
            .filter(|k| meant_for(k))
            .ok_or(TokenError::UnknownKey);
    }
    let family = alg.family();
    let mut fits = keys
        .keys
        .iter()
        .filter(|k| meant_for(k) && DecodingKey::from_jwk(k).is_ok_and(|d| d.family() == family));
    match (fits.next(), fits.next()) {
        (Some(k), None) => Ok(k),
        _ => Err(TokenError::UnknownKey),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::encode;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    /// A P-256 key made for this test run: its signing key and public JWK.
    struct TestKey {
        signing: EncodingKey,
        public: Vec<u8>,
        jwk: Value,
    }

    fn test_key(kid: &str) -> TestKey {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("key");
        let pkcs8 = pair.to_pkcs8v1().expect("pkcs8");
        let public = pair.public_key().as_ref().to_vec();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
            "x": B64.encode(&public[1..33]), "y": B64.encode(&public[33..65]),
        });
        TestKey {
            signing: EncodingKey::from_ec_der(pkcs8.as_ref()),
            public,
            jwk,
        }
    }

    const NOW: i64 = 1_900_000_000;
    const ISS: &str = "https://id.example.com";
    const AUD: &str = "klaxon-console";
    const NONCE: &str = "n-0S6_WzA2Mj";

    fn claims() -> Value {
        json!({
            "iss": ISS, "aud": AUD, "sub": "u1", "email": "ana@example.com",
            "iat": NOW - 5, "exp": NOW + 300, "nonce": NONCE, "klaxon_role": "responder",
        })
    }

    fn es256(key: &TestKey, kid: Option<&str>, claims: &Value) -> String {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = kid.map(str::to_owned);
        encode(&h, claims, &key.signing).expect("sign")
    }

    fn with(f: impl Fn(&mut Map<String, Value>)) -> Value {
        let mut c = claims();
        if let Value::Object(m) = &mut c {
            f(m);
        }
        c
    }

    /// Every check refuses its own fault, and a good token passes.
    #[test]
    fn id_token_checks_table() {
        let key = test_key("k1");
        let stranger = test_key("k1");
        let keys: JwkSet = serde_json::from_value(json!({ "keys": [key.jwk] })).expect("jwks");
        let good = es256(&key, Some("k1"), &claims());
        let tampered = {
            let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
            let forged = with(|m| {
                m.insert("klaxon_role".into(), json!("admin"));
            });
            parts[1] = B64.encode(serde_json::to_vec(&forged).expect("json"));
            parts.join(".")
        };
        let unsigned = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            B64.encode(serde_json::to_vec(&claims()).expect("json"))
        );
        // The classic confusion: HS256 keyed with the provider's public key.
        let hs256 = {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some("k1".into());
            encode(&h, &claims(), &EncodingKey::from_secret(&key.public)).expect("sign")
        };
        let cases: Vec<(&str, String, Result<(), TokenError>)> = vec![
            ("good", good.clone(), Ok(())),
            ("no kid, one key", es256(&key, None, &claims()), Ok(())),
            (
                "wrong issuer",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.insert("iss".into(), json!("https://evil.example.com"));
                    }),
                ),
                Err(TokenError::Issuer),
            ),
            (
                "wrong audience",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.insert("aud".into(), json!("another-client"));
                    }),
                ),
                Err(TokenError::Audience),
            ),
            (
                "several audiences, azp another",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.insert("aud".into(), json!([AUD, "other"]));
                        m.insert("azp".into(), json!("other"));
                    }),
                ),
                Err(TokenError::Audience),
            ),
            (
                "expired",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.insert("exp".into(), json!(NOW - LEEWAY - 1));
                    }),
                ),
                Err(TokenError::Expired),
            ),
            (
                "expired within leeway",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.insert("exp".into(), json!(NOW - 10));
                    }),
                ),
                Ok(()),
            ),
            (
                "issued in the future",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.insert("iat".into(), json!(NOW + LEEWAY + 5));
                    }),
                ),
                Err(TokenError::NotYetValid),
            ),
            (
                "no iat",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.remove("iat");
                    }),
                ),
                Err(TokenError::Missing("iat")),
            ),
            (
                "nonce mismatch",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.insert("nonce".into(), json!("another"));
                    }),
                ),
                Err(TokenError::Nonce),
            ),
            (
                "no nonce",
                es256(
                    &key,
                    Some("k1"),
                    &with(|m| {
                        m.remove("nonce");
                    }),
                ),
                Err(TokenError::Nonce),
            ),
            ("alg none", unsigned, Err(TokenError::Malformed)),
            (
                "HS256 with the public key",
                hs256,
                Err(TokenError::Algorithm),
            ),
            (
                "unknown kid",
                es256(&key, Some("k2"), &claims()),
                Err(TokenError::UnknownKey),
            ),
            (
                "another key, same kid",
                es256(&stranger, Some("k1"), &claims()),
                Err(TokenError::Signature),
            ),
            ("tampered payload", tampered, Err(TokenError::Signature)),
            ("not a JWT", "abc".into(), Err(TokenError::Malformed)),
        ];
        let expect = Expect {
            issuer: ISS,
            audience: AUD,
            nonce: NONCE,
            now: NOW,
        };
        for (name, token, want) in cases {
            let got = verify(&token, &keys, &expect).map(|c| {
                assert_eq!(c.get("sub"), Some(&json!("u1")), "{name}");
            });
            assert_eq!(got, want, "{name}");
            // No refusal repeats the token.
            if let Err(e) = verify(&token, &keys, &expect) {
                assert!(
                    !token.is_empty() && !e.to_string().contains(&token[..token.len().min(10)]),
                    "{name}"
                );
            }
        }
    }

    /// A published key only checks signatures it is meant for: not one
    /// marked for encryption, nor one bound to another algorithm.
    #[test]
    fn a_key_for_encryption_or_another_algorithm_checks_nothing() {
        let key = test_key("k1");
        let expect = Expect {
            issuer: ISS,
            audience: AUD,
            nonce: NONCE,
            now: NOW,
        };
        let cases: [(&str, &str, &str, Result<(), TokenError>); 5] = [
            ("sig, ES256", "sig", "ES256", Ok(())),
            ("enc", "enc", "ES256", Err(TokenError::UnknownKey)),
            (
                "ES384 on the key",
                "sig",
                "ES384",
                Err(TokenError::UnknownKey),
            ),
            (
                "RS256 on the key",
                "sig",
                "RS256",
                Err(TokenError::UnknownKey),
            ),
            ("other use", "wrap", "ES256", Err(TokenError::UnknownKey)),
        ];
        for (name, usage, alg, want) in cases {
            let mut jwk = key.jwk.clone();
            jwk["use"] = json!(usage);
            jwk["alg"] = json!(alg);
            let keys: JwkSet = serde_json::from_value(json!({ "keys": [jwk] })).expect("jwks");
            for kid in [Some("k1"), None] {
                let got = verify(&es256(&key, kid, &claims()), &keys, &expect).map(|_| ());
                assert_eq!(got, want, "{name}, kid {kid:?}");
            }
        }
        let mut bare = key.jwk.clone();
        if let Value::Object(m) = &mut bare {
            m.remove("use");
            m.remove("alg");
        }
        let keys: JwkSet = serde_json::from_value(json!({ "keys": [bare] })).expect("jwks");
        assert_eq!(
            verify(&es256(&key, None, &claims()), &keys, &expect).map(|_| ()),
            Ok(()),
            "a key that names neither use nor algorithm"
        );
    }
}
