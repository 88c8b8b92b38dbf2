//! Forge: Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`) or a bearer token, then the report object, then the
//! report pipeline.
//!
//! Control byte, bits 0-1: 0: signed correctly, fields `id`, `body`, with
//! the timestamp `(bits 2-6 - 16) * 20` seconds from now; 1: fields `id`,
//! `timestamp`, `signature`, `body` as given; 2: the right bearer token,
//! the rest is the body; 3: fields `authorization`, `body`. Bit 7: the
//! secret is configured raw instead of `whsec_<base64>`.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use klaxon_core::config::Secret;
use klaxon_core::webhook::normalize;
use klaxon_core::webhook::verify::{self, sign};
use klaxon_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (c, rest) = control(data);
    let now = t0();
    let tolerance = chrono::Duration::minutes(5);
    let (secret, key_b64) = if c & 0x80 != 0 {
        let raw = "forge-raw-secret-0123456789";
        (Secret::new(raw), B64.encode(raw))
    } else {
        (
            Secret::new(format!("whsec_{}", forge_key_b64())),
            forge_key_b64(),
        )
    };
    let token = Secret::new(FORGE_TOKEN);
    let (verdict, body) = match c & 3 {
        0 => {
            let f = fields(rest, 2);
            let id = text(f[0]);
            let skew = (i64::from((c >> 2) & 0x1F) - 16) * 20;
            let ts = now.timestamp() + skew;
            let sig = sign::standard_webhook(&key_b64, &id, ts, f[1]);
            let v = verify::standard_webhook(
                &secret,
                Some(&id),
                Some(&ts.to_string()),
                Some(&sig),
                f[1],
                now,
                tolerance,
            );
            if skew.abs() <= 300 {
                assert_eq!(v, Ok(()), "a correct signature {skew}s off was refused");
            } else {
                assert!(v.is_err(), "a delivery {skew}s off was accepted");
            }
            (v, f[1])
        }
        1 => {
            let f = fields(rest, 4);
            let (id, ts, sig) = (text(f[0]), text(f[1]), text(f[2]));
            let v = verify::standard_webhook(
                &secret,
                Some(&id),
                Some(&ts),
                Some(&sig),
                f[3],
                now,
                tolerance,
            );
            (v, f[3])
        }
        2 => {
            let v = verify::bearer(&token, Some(&format!("Bearer {FORGE_TOKEN}")));
            assert_eq!(v, Ok(()));
            (v, rest)
        }
        _ => {
            let f = fields(rest, 2);
            (verify::bearer(&token, Some(&text(f[0]))), f[1])
        }
    };
    if verdict.is_err() {
        return;
    }
    let Some(payload) = json_object(body) else {
        return;
    };
    if let Ok(input) = normalize::report_object(&payload) {
        exercise_report(input);
    }
});
