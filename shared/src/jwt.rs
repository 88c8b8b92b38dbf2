//! JSON Web Token signatures on ring: `jsonwebtoken`'s crypto backend.
//!
//! rustls already runs on ring here, so the tokens add no second crypto
//! library to the binaries (aws-lc, `jsonwebtoken`'s own backend, links
//! every algorithm it has through its key tables). ring signs RSA in
//! constant time, which RustCrypto's `rsa` does not promise
//! (RUSTSEC-2023-0071). Every token Klaxon signs or checks goes through
//! [`encode`] and [`decode`], which install the backend first.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{
    Algorithm, DecodingKey, DecodingKeyKind, EncodingKey, Header, TokenData, Validation, signature,
};
use ring::rand::SystemRandom;
use ring::signature as sig;
use ring::{digest, hmac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Once;

/// [`jsonwebtoken::encode`], on ring.
pub fn encode<T: Serialize>(
    header: &Header,
    claims: &T,
    key: &EncodingKey,
) -> Result<String, Error> {
    ready();
    jsonwebtoken::encode(header, claims, key)
}

/// [`jsonwebtoken::decode`], on ring.
pub fn decode<T: DeserializeOwned>(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<TokenData<T>, Error> {
    ready();
    jsonwebtoken::decode(token, key, validation)
}

/// Installs the ring backend for the process, once.
fn ready() {
    static ONCE: Once = Once::new();
    // Another caller's backend, if one was installed first, is kept.
    ONCE.call_once(|| {
        let _ = PROVIDER.install_default();
    });
}

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: no_jwk_from_key,
        rsa_pub_components_from_public_key: no_jwk_from_key,
        ec_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidKeyFormat.into()),
        ed_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidKeyFormat.into()),
        compute_digest,
    },
};

/// Klaxon never turns a key into a JWK; these stay unsupported, as errors.
fn no_jwk_from_key(_: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    Err(ErrorKind::InvalidKeyFormat.into())
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>, Error> {
    let alg = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        ThumbprintHash::SHA512 => &digest::SHA512,
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(digest::digest(alg, data).as_ref().to_vec())
}

/// A key ready to sign with one algorithm.
enum SigningKey {
    Hmac(hmac::Key),
    Rsa(sig::RsaKeyPair, &'static dyn sig::RsaEncoding),
    Ecdsa(sig::EcdsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
}

struct Signer {
    alg: Algorithm,
    key: SigningKey,
}

fn signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    if key.family() != alg.family() {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    let der = key.as_bytes();
    let rng = SystemRandom::new();
    let rsa = |encoding: &'static dyn sig::RsaEncoding| {
        sig::RsaKeyPair::from_der(der)
            .or_else(|_| sig::RsaKeyPair::from_pkcs8(der))
            .map(|pair| SigningKey::Rsa(pair, encoding))
            .map_err(|e| Error::from(ErrorKind::InvalidRsaKey(e.to_string())))
    };
    let ecdsa = |alg: &'static sig::EcdsaSigningAlgorithm| {
        sig::EcdsaKeyPair::from_pkcs8(alg, der, &rng)
            .map(SigningKey::Ecdsa)
            .map_err(|_| Error::from(ErrorKind::InvalidEcdsaKey))
    };
    let key = match alg {
        Algorithm::HS256 => SigningKey::Hmac(hmac::Key::new(hmac::HMAC_SHA256, der)),
        Algorithm::HS384 => SigningKey::Hmac(hmac::Key::new(hmac::HMAC_SHA384, der)),
        Algorithm::HS512 => SigningKey::Hmac(hmac::Key::new(hmac::HMAC_SHA512, der)),
        Algorithm::RS256 => rsa(&sig::RSA_PKCS1_SHA256)?,
        Algorithm::RS384 => rsa(&sig::RSA_PKCS1_SHA384)?,
        Algorithm::RS512 => rsa(&sig::RSA_PKCS1_SHA512)?,
        Algorithm::PS256 => rsa(&sig::RSA_PSS_SHA256)?,
        Algorithm::PS384 => rsa(&sig::RSA_PSS_SHA384)?,
        Algorithm::PS512 => rsa(&sig::RSA_PSS_SHA512)?,
        Algorithm::ES256 => ecdsa(&sig::ECDSA_P256_SHA256_FIXED_SIGNING)?,
        Algorithm::ES384 => ecdsa(&sig::ECDSA_P384_SHA384_FIXED_SIGNING)?,
        Algorithm::EdDSA => sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map(SigningKey::Ed25519)
            .map_err(|_| Error::from(ErrorKind::InvalidEddsaKey))?,
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(Box::new(Signer { alg: *alg, key }))
}

impl signature::Signer<Vec<u8>> for Signer {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let rng = SystemRandom::new();
        match &self.key {
            SigningKey::Hmac(key) => Ok(hmac::sign(key, msg).as_ref().to_vec()),
            SigningKey::Rsa(pair, encoding) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(*encoding, &rng, msg, &mut out)
                    .map_err(|_| signature::Error::new())?;
                Ok(out)
            }
            SigningKey::Ecdsa(pair) => pair
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| signature::Error::new()),
            SigningKey::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
        }
    }
}

impl JwtSigner for Signer {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

struct Verifier {
    alg: Algorithm,
    check: Check,
    key: DecodingKey,
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let check = check_for(*alg).ok_or_else(|| Error::from(ErrorKind::InvalidAlgorithm))?;
    if key.family() != alg.family() {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    Ok(Box::new(Verifier {
        alg: *alg,
        check,
        key: key.clone(),
    }))
}

/// How a signature of `alg` is checked; `None` for an algorithm this
/// backend does not know.
fn check_for(alg: Algorithm) -> Option<Check> {
    use Check::{Hmac, Other, Rsa};
    Some(match alg {
        Algorithm::HS256 => Hmac(hmac::HMAC_SHA256),
        Algorithm::HS384 => Hmac(hmac::HMAC_SHA384),
        Algorithm::HS512 => Hmac(hmac::HMAC_SHA512),
        Algorithm::RS256 => Rsa(&sig::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Rsa(&sig::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Rsa(&sig::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Rsa(&sig::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Rsa(&sig::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Rsa(&sig::RSA_PSS_2048_8192_SHA512),
        Algorithm::ES256 => Other(&sig::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => Other(&sig::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => Other(&sig::ED25519),
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum Check {
    Hmac(hmac::Algorithm),
    /// RSA keys also come as a JWK's modulus and exponent.
    Rsa(&'static sig::RsaParameters),
    Other(&'static dyn sig::VerificationAlgorithm),
}

impl signature::Verifier<Vec<u8>> for Verifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let refused = |_| signature::Error::new();
        match (self.check, self.key.kind()) {
            (Check::Hmac(alg), DecodingKeyKind::SecretOrDer(secret)) => {
                hmac::verify(&hmac::Key::new(alg, secret), msg, signature).map_err(refused)
            }
            (Check::Rsa(params), DecodingKeyKind::RsaModulusExponent { n, e }) => {
                // A JWK's big-endian integers may carry a leading zero byte
                // (RFC 7518 says not to; some issuers do); ring wants the
                // minimal form.
                sig::RsaPublicKeyComponents {
                    n: minimal(n),
                    e: minimal(e),
                }
                .verify(params, msg, signature)
                .map_err(refused)
            }
            (Check::Rsa(params), DecodingKeyKind::SecretOrDer(der)) => {
                sig::UnparsedPublicKey::new(params, der)
                    .verify(msg, signature)
                    .map_err(refused)
            }
            (Check::Other(alg), DecodingKeyKind::SecretOrDer(bytes)) => {
                sig::UnparsedPublicKey::new(alg, bytes)
                    .verify(msg, signature)
                    .map_err(refused)
            }
            _ => Err(signature::Error::new()),
        }
    }
}

/// A big-endian integer without its leading zero bytes.
fn minimal(b: &[u8]) -> &[u8] {
    let zeros = b.iter().take_while(|&&x| x == 0).count();
    &b[zeros..]
}

impl JwtVerifier for Verifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Claims {
        sub: String,
        exp: u64,
    }

    fn claims() -> Claims {
        Claims {
            sub: "klaxon".into(),
            exp: jsonwebtoken::get_current_timestamp() + 600,
        }
    }

    fn ec_pair(alg: &'static sig::EcdsaSigningAlgorithm) -> (Vec<u8>, Vec<u8>) {
        use ring::signature::KeyPair;
        let rng = SystemRandom::new();
        let pkcs8 = sig::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = sig::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
        (pkcs8.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
    }

    fn ed_pair() -> (Vec<u8>, Vec<u8>) {
        use ring::signature::KeyPair;
        let pkcs8 = sig::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = sig::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        (pkcs8.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
    }

    /// Each algorithm: its own key verifies, another key, a changed
    /// payload and a key of another family are refused.
    #[test]
    fn every_algorithm_signs_and_verifies_and_refuses_what_it_should() {
        let (p256, p256_pub) = ec_pair(&sig::ECDSA_P256_SHA256_FIXED_SIGNING);
        let (_, p256_other) = ec_pair(&sig::ECDSA_P256_SHA256_FIXED_SIGNING);
        let (p384, p384_pub) = ec_pair(&sig::ECDSA_P384_SHA384_FIXED_SIGNING);
        let (_, p384_other) = ec_pair(&sig::ECDSA_P384_SHA384_FIXED_SIGNING);
        let (ed, ed_pub) = ed_pair();
        let (_, ed_other) = ed_pair();
        let cases: Vec<(Algorithm, EncodingKey, DecodingKey, DecodingKey)> = vec![
            (
                Algorithm::HS256,
                EncodingKey::from_secret(b"shared secret one"),
                DecodingKey::from_secret(b"shared secret one"),
                DecodingKey::from_secret(b"shared secret two"),
            ),
            (
                Algorithm::HS512,
                EncodingKey::from_secret(b"shared secret one"),
                DecodingKey::from_secret(b"shared secret one"),
                DecodingKey::from_secret(b"shared secret two"),
            ),
            (
                Algorithm::ES256,
                EncodingKey::from_ec_der(&p256),
                DecodingKey::from_ec_der(&p256_pub),
                DecodingKey::from_ec_der(&p256_other),
            ),
            (
                Algorithm::ES384,
                EncodingKey::from_ec_der(&p384),
                DecodingKey::from_ec_der(&p384_pub),
                DecodingKey::from_ec_der(&p384_other),
            ),
            (
                Algorithm::EdDSA,
                EncodingKey::from_ed_der(&ed),
                DecodingKey::from_ed_der(&ed_pub),
                DecodingKey::from_ed_der(&ed_other),
            ),
        ];
        for (alg, sign, good, other) in cases {
            let token = encode(&Header::new(alg), &claims(), &sign).unwrap();
            let validation = Validation::new(alg);
            let got = decode::<Claims>(&token, &good, &validation).unwrap();
            assert_eq!(got.claims.sub, "klaxon", "{alg:?}");
            assert!(
                decode::<Claims>(&token, &other, &validation).is_err(),
                "{alg:?}: another key"
            );
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            parts[1] = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                br#"{"sub":"root","exp":99999999999}"#,
            );
            assert!(
                decode::<Claims>(&parts.join("."), &good, &validation).is_err(),
                "{alg:?}: a changed payload"
            );
            let wrong_family = DecodingKey::from_secret(b"shared secret one");
            if alg.family() != jsonwebtoken::AlgorithmFamily::Hmac {
                assert!(
                    decode::<Claims>(&token, &wrong_family, &validation).is_err(),
                    "{alg:?}: an HMAC key for a public-key token"
                );
            }
        }
    }

    /// RSA against another implementation: aws-lc (a test dependency only)
    /// makes the key, checks what ring signed and signs what ring checks,
    /// with the key as a JWK gives it (modulus and exponent).
    #[test]
    fn rsa_agrees_with_aws_lc_both_ways() {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::rsa::{KeyPair, KeySize};
        use aws_lc_rs::signature::{self as lc, KeyPair as _};
        let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let pkcs8 = pair.as_der().unwrap();
        let lc_public = lc::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let public = DecodingKey::from_rsa_raw_components(&lc_public.n, &lc_public.e);
        // The same key with a leading zero byte on each integer, as some
        // issuers' JWKs write them.
        let padded = DecodingKey::from_rsa_raw_components(
            &[&[0][..], &lc_public.n].concat(),
            &[&[0][..], &lc_public.e].concat(),
        );
        let cases: [(
            Algorithm,
            &'static lc::RsaParameters,
            &'static dyn lc::RsaEncoding,
        ); 2] = [
            (
                Algorithm::RS256,
                &lc::RSA_PKCS1_2048_8192_SHA256,
                &lc::RSA_PKCS1_SHA256,
            ),
            (
                Algorithm::PS256,
                &lc::RSA_PSS_2048_8192_SHA256,
                &lc::RSA_PSS_SHA256,
            ),
        ];
        for (alg, lc_check, lc_sign) in cases {
            let ours = EncodingKey::from_rsa_der(pkcs8.as_ref());
            let token = encode(&Header::new(alg), &claims(), &ours).unwrap();
            let (message, signature) = token.rsplit_once('.').unwrap();
            let signature = base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                signature,
            )
            .unwrap();
            lc_public
                .verify(lc_check, message.as_bytes(), &signature)
                .expect("aws-lc accepts ring's signature");

            let mut theirs = vec![0; pair.public_modulus_len()];
            pair.sign(
                lc_sign,
                &aws_lc_rs::rand::SystemRandom::new(),
                message.as_bytes(),
                &mut theirs,
            )
            .unwrap();
            let b64 =
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &theirs);
            let got = decode::<Claims>(&format!("{message}.{b64}"), &public, &Validation::new(alg));
            assert_eq!(got.unwrap().claims.sub, "klaxon", "{alg:?}");
            let got = decode::<Claims>(&format!("{message}.{b64}"), &padded, &Validation::new(alg));
            assert_eq!(
                got.unwrap().claims.sub,
                "klaxon",
                "{alg:?}, zero-padded key"
            );
            theirs[10] ^= 1;
            let b64 =
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &theirs);
            for key in [&public, &padded] {
                assert!(
                    decode::<Claims>(&format!("{message}.{b64}"), key, &Validation::new(alg))
                        .is_err(),
                    "{alg:?}: a changed signature"
                );
            }
        }
    }

    /// A key that does not parse is an error, never a panic.
    #[test]
    fn a_malformed_rsa_key_is_an_error() {
        let bad = EncodingKey::from_rsa_der(b"not a key");
        let err = encode(&Header::new(Algorithm::RS256), &claims(), &bad).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidRsaKey(_)), "{err:?}");
        let b64 =
            |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b);
        let token = format!(
            "{}.{}.{}",
            b64(br#"{"alg":"RS256","typ":"JWT"}"#),
            b64(&serde_json::to_vec(&claims()).unwrap()),
            b64(b"not a signature")
        );
        let rsa = DecodingKey::from_rsa_raw_components(b"\x01\x02", b"\x01\x00\x01");
        let err = decode::<Claims>(&token, &rsa, &Validation::new(Algorithm::RS256)).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidSignature), "{err:?}");
    }
}
