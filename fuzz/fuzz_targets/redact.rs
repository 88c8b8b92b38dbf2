//! `domain::redact::redact` on arbitrary text, with a known secret planted
//! in it.
//!
//! Layout: byte 0 picks the planted secret (low 4 bits; 11-15 plant
//! nothing), bytes 1-2 its position (big-endian, modulo the text length);
//! the rest is the text (lossy UTF-8).
//!
//! Invariants: a planted secret, standing as its own word, never survives;
//! text without secrets comes back borrowed and unchanged; redacting the
//! output again changes nothing (markers are never re-redacted); the last
//! kind found is named in the output, and every marker is whole (never
//! nested in another).
#![no_main]

use klaxon_core::domain::redact::redact;
use libfuzzer_sys::fuzz_target;
use std::borrow::Cow;

/// (text planted, the part that must vanish)
const PLANTS: [(&str, &str); 11] = [
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    ),
    ("xoxb-123456789012-abcdefghij", "123456789012-abcdefghij"),
    (
        "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
        "T000/B000/XXXXXXXXXXXXXXXX",
    ),
    (
        "ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz0123",
        "3xFfGF0abcdefghijklmnopqrstuvwxyz0123",
    ),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    (
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
        "abcdefghijklmnopqrstuvwxyz012345",
    ),
    ("password=hunter2hunter2", "hunter2hunter2"),
    ("https://admin:s3cretpass@db.example.com/x", "s3cretpass"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAfuzzfuzz\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAfuzzfuzz",
    ),
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let pick = usize::from(data[0] & 0x0F);
    let pos = usize::from(u16::from_be_bytes([data[1], data[2]]));
    let mut text = String::from_utf8_lossy(&data[3..]).into_owned();
    let plant = PLANTS.get(pick);
    // The text may hold the same secret where its rule cannot see it.
    let already = plant.map_or(0, |(_, secret)| text.matches(secret).count());
    if let Some((planted, _)) = plant {
        let mut at = pos % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, &format!(" {planted} "));
    }

    let once = redact(&text);
    if let Some((_, secret)) = plant {
        assert!(
            once.text.matches(secret).count() <= already,
            "planted secret survived: {:?}",
            once.text
        );
        assert!(!once.kinds.is_empty());
    }
    match &once.text {
        Cow::Borrowed(t) => {
            assert_eq!(*t, text.as_str());
            assert!(once.kinds.is_empty());
        }
        Cow::Owned(_) => assert!(!once.kinds.is_empty(), "changed text with no kind found"),
    }
    // Every marker added is whole: `[REDACTED:<kind>:<8 hex>]`, never nested.
    if !text.contains("[REDACTED") {
        for (at, _) in once.text.match_indices("[REDACTED:") {
            let rest = &once.text[at + "[REDACTED:".len()..];
            let ok = rest.split_once(']').is_some_and(|(inner, _)| {
                inner.rsplit_once(':').is_some_and(|(kind, hex)| {
                    once.kinds.contains(&kind)
                        && hex.len() == 8
                        && hex.bytes().all(|b| b.is_ascii_hexdigit())
                })
            });
            assert!(ok, "broken marker at {at}: {:?}", once.text);
        }
    }
    // The last kind found is always visible (an earlier one may sit inside
    // a later marker: a URL password holding a token).
    if let Some(kind) = once.kinds.last() {
        assert!(
            once.text.contains(&format!("[REDACTED:{kind}:")),
            "{kind} found but not marked"
        );
    }
    let twice = redact(&once.text);
    assert!(
        twice.kinds.is_empty() && twice.text == once.text,
        "not idempotent: {:?} -> {:?} ({:?})",
        once.text,
        twice.text,
        twice.kinds
    );
});
