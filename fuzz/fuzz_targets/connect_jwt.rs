//! Atlassian Connect: `Authorization: JWT <token>` (HS256 with the shared
//! secret, `iss` a configured client key, `exp`/`iat` against the clock,
//! `qsh` over the canonical request), then the body as the Connect route
//! reads it (a Jira event or a report object), then the report pipeline.
//!
//! Fields: `method`, `path`, `query`, `jwt header JSON`, `claims`, `body`.
//! Control byte, bits 0-1: 0: the claims field as a JSON object (anything
//! else counts as `{}`), with the bits below injected, signed; 1: the claims
//! field's raw bytes as the payload, signed; 2: the claims field is the whole
//! token; 3: the claims field is the whole Authorization header. Bit 2:
//! inject the right `qsh`; bit 3: inject `iss`; bit 4: inject a live
//! `exp`/`iat`; bit 5: sign with the wrong secret; bit 6: use the header
//! field instead of `{"alg":"HS256","typ":"JWT"}`.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use klaxon_core::config::Secret;
use klaxon_core::webhook::normalize::{self, Normalized};
use klaxon_core::webhook::verify;
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fn sign(secret: &str, header: &[u8], claims: &[u8]) -> String {
    let input = format!("{}.{}", B64URL.encode(header), B64URL.encode(claims));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(input.as_bytes());
    format!("{input}.{}", B64URL.encode(mac.finalize().into_bytes()))
}

fuzz_target!(|data: &[u8]| {
    let (c, rest) = control(data);
    let f = fields(rest, 6);
    let method = Some(text(f[0]))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "POST".into());
    let path = Some(text(f[1]))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/webhooks/connect".into());
    let query = Some(text(f[2])).filter(|q| !q.is_empty());
    let now = t0();

    let qsh = verify::connect_qsh(&method, &path, query.as_deref());
    assert!(
        qsh.len() == 64
            && qsh
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "qsh is not hex SHA-256: {qsh}"
    );

    let secret = if c & 0x20 != 0 {
        "not-the-shared-secret"
    } else {
        CONNECT_SECRET
    };
    let header: Vec<u8> = if c & 0x40 != 0 {
        f[3].to_vec()
    } else {
        br#"{"alg":"HS256","typ":"JWT"}"#.to_vec()
    };
    let mut plain = false;
    let authorization = match c & 3 {
        0 => {
            let mut claims = match serde_json::from_slice::<Value>(f[4]) {
                Ok(Value::Object(o)) => o,
                _ => Map::new(),
            };
            plain = claims.is_empty();
            if c & 4 != 0 {
                claims.insert("qsh".into(), json!(qsh));
            }
            if c & 8 != 0 {
                claims.insert("iss".into(), json!(CLIENT_KEY));
            }
            if c & 0x10 != 0 {
                claims.insert("iat".into(), json!(now.timestamp()));
                claims.insert("exp".into(), json!(now.timestamp() + 180));
            }
            let claims = Value::Object(claims).to_string();
            format!("JWT {}", sign(secret, &header, claims.as_bytes()))
        }
        1 => format!("JWT {}", sign(secret, &header, f[4])),
        2 => format!("JWT {}", text(f[4])),
        _ => text(f[4]),
    };
    let connect = Secret::new(CONNECT_SECRET);
    let keys = vec![CLIENT_KEY.to_owned()];
    let verdict = verify::connect_jwt(
        &connect,
        &keys,
        Some(&authorization),
        &method,
        &path,
        query.as_deref(),
        now,
        60,
    );
    if c & 3 < 2 && c & 0x20 != 0 {
        assert!(
            verdict.is_err(),
            "a token signed with another secret was accepted"
        );
    }
    if c & 0x7F == 0x1C && plain {
        assert!(
            verdict.is_ok(),
            "a well-formed token was refused: {verdict:?}"
        );
    }
    let Ok(caller) = verdict else {
        return;
    };
    assert_eq!(caller.client_key, CLIENT_KEY);

    // As the Connect route reads the body once the token is good.
    let Some(payload) = json_object(f[5]) else {
        return;
    };
    let projects = JIRA_PROJECTS.map(String::from);
    let input = if payload.get("webhookEvent").is_some() {
        match normalize::jira(&payload, &projects) {
            Ok(Normalized::Report(input, _)) => *input,
            _ => return,
        }
    } else {
        match normalize::report_object(&payload) {
            Ok(input) => input,
            Err(_) => return,
        }
    };
    let mut input = input;
    if input.tenant.is_none() && input.site_url.is_none() {
        input.tenant = Some(caller.client_key);
    }
    exercise_report(input);
});
