//! Redaction of secrets from free text before it is stored or logged.
//!
//! Reports often paste the very credential that leaked. Klaxon keeps an
//! audit record with no secrets in it, so each known secret shape is
//! replaced by `[REDACTED:<kind>:<first 8 hex of its SHA-256>]`: responders
//! can tell two mentions of the same secret apart from two different ones
//! without ever seeing either.

use regex::Regex;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt::Write;
use std::ops::Range;
use std::sync::LazyLock;

struct Rule {
    kind: &'static str,
    /// If the pattern has a group named `secret`, only that span is replaced;
    /// the rest of the match (a key name, a prefix) is kept for context.
    re: Regex,
}

// Order matters: specific shapes first, so a GitHub token inside a
// `token=` assignment is named as a GitHub token.
const RULES_SRC: [(&str, &str); 12] = [
    (
        "private-key",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    ),
    (
        "aws-access-key-id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b",
    ),
    (
        "aws-secret-access-key",
        r#"(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9/+]{40})"#,
    ),
    // A 40-character key right after a redacted access key id: the pair a
    // credentials file or a console paste contains.
    (
        "aws-secret-access-key",
        r"\[REDACTED:aws-access-key-id:[0-9a-f]{8}\][^A-Za-z0-9/+]{1,40}?(?:[A-Za-z_ ]{0,40}[:=]\s*)?[\x22']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|\z)",
    ),
    (
        "github-token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    ),
    (
        "slack-webhook",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+",
    ),
    ("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    ("atlassian-api-token", r"\bATATT[A-Za-z0-9_=-]{20,}"),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
    ),
    (
        "authorization",
        r"(?i)\b(?:bearer|basic)\s+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)",
    ),
    (
        "url-credentials",
        r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<secret>[^\s@/]+)@",
    ),
    (
        "credential-assignment",
        r#"(?i)\b(?:password|passwd|pwd|secret|client_?secret|token|access_?token|auth_?token|api_?key|apikey)["']?\s*[:=]\s*["']?(?P<secret>[^\s"'&,;\[\]]{4,})"#,
    ),
];

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    RULES_SRC
        .iter()
        .map(|(kind, pat)| Rule {
            kind,
            // The patterns are constants; the tests below compile every one.
            re: Regex::new(pat).unwrap_or_else(|e| panic!("redaction rule {kind}: {e}")),
        })
        .collect()
});

/// Text with its secrets replaced, and the kinds that were found, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted<'a> {
    pub text: Cow<'a, str>,
    pub kinds: Vec<&'static str>,
}

fn marker(kind: &str, secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(8);
    for b in &digest[..4] {
        let _ = write!(hex, "{b:02x}");
    }
    format!("[REDACTED:{kind}:{hex}]")
}

/// A marker already in the text, from an earlier rule or an earlier pass.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[REDACTED:[a-z-]+:[0-9a-f]{8}\]")
        .unwrap_or_else(|e| panic!("marker pattern: {e}"))
});

/// May a rule replace `span`? Not inside a marker (`github-token:1a2b3c4d`
/// reads as a `token:` assignment), not across a marker's edge, and not a
/// marker alone (a URL password may contain brackets). A span that holds
/// whole markers and more, such as a URL password with a token in it, is
/// replaced whole.
fn replaceable(span: Range<usize>, markers: &[Range<usize>]) -> bool {
    markers
        .iter()
        .filter(|m| m.start < span.end && span.start < m.end)
        .all(|m| span.start <= m.start && m.end <= span.end && *m != span)
}

/// Rounds of all the rules, at most; see [`redact`].
const MAX_PASSES: usize = 8;

/// One rule over `text`: the text with its matches replaced, if any were.
fn apply(rule: &Rule, text: &str, kinds: &mut Vec<&'static str>) -> Option<String> {
    if !rule.re.is_match(text) {
        return None;
    }
    let markers: Vec<Range<usize>> = MARKER.find_iter(text).map(|m| m.range()).collect();
    let mut result = String::with_capacity(text.len());
    let mut last = 0;
    let mut replaced = false;
    for caps in rule.re.captures_iter(text) {
        let span = caps.name("secret").or_else(|| caps.get(0));
        let Some(span) = span.filter(|s| replaceable(s.range(), &markers)) else {
            continue;
        };
        result.push_str(&text[last..span.start()]);
        result.push_str(&marker(rule.kind, span.as_str()));
        last = span.end();
        replaced = true;
        kinds.push(rule.kind);
    }
    replaced.then(|| {
        result.push_str(&text[last..]);
        result
    })
}

/// Replaces every known secret shape in `text`. Markers are never
/// redacted again, and no rule matches the output, so redacting it again
/// changes nothing.
pub fn redact(text: &str) -> Redacted<'_> {
    let mut out = Cow::Borrowed(text);
    let mut kinds = Vec::new();
    // A replacement can complete a match for an earlier rule (a `/` that
    // ended a URL password was part of a redacted `token:`), so the rules
    // run again until a round changes nothing. Every replacement shrinks the
    // text outside markers, so this ends; the cap bounds hostile input.
    for _ in 0..MAX_PASSES {
        let found = kinds.len();
        for rule in RULES.iter() {
            if let Some(next) = apply(rule, &out, &mut kinds) {
                out = Cow::Owned(next);
            }
        }
        if kinds.len() == found {
            break;
        }
    }
    Redacted { text: out, kinds }
}

/// "2 secrets redacted: aws-access-key-id, jwt", for the timeline.
pub fn summary(kinds: &[&str]) -> Option<String> {
    match kinds.len() {
        0 => None,
        n => {
            let mut unique: Vec<&str> = Vec::new();
            for k in kinds {
                if !unique.contains(k) {
                    unique.push(k);
                }
            }
            let noun = if n == 1 { "secret" } else { "secrets" };
            Some(format!("{n} {noun} redacted: {}", unique.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash8(s: &str) -> String {
        marker("x", s)[12..20].to_owned()
    }

    #[test]
    fn positive_table() {
        // (input, kind, the secret that must vanish)
        let cases = [
            (
                "key AKIAIOSFODNN7EXAMPLE in logs",
                "aws-access-key-id",
                "AKIAIOSFODNN7EXAMPLE",
            ),
            (
                "ASIAY34FZKBOKMUTVV7A",
                "aws-access-key-id",
                "ASIAY34FZKBOKMUTVV7A",
            ),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws-secret-access-key",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws-secret-access-key",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "id AKIAIOSFODNN7EXAMPLE, secret key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.",
                "aws-secret-access-key",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
                "github-token",
                "aBcDeFgHiJkLmNoP",
            ),
            (
                "gho_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
                "github-token",
                "aBcDeFgHiJkLmNoP",
            ),
            (
                "ghs_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
                "github-token",
                "aBcDeFgHiJkLmNoP",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "github-token",
                "11ABCDEFG0123456789",
            ),
            (
                "xoxb-123456789012-abcdefghij",
                "slack-token",
                "123456789012",
            ),
            (
                "posted to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
                "slack-webhook",
                "T000/B000",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
                "private-key",
                "MIIEowIBAAKCAQEA",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk (truncated",
                "private-key",
                "b3BlbnNzaC1rZXk",
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "jwt",
                "dozjgNryP4J3",
            ),
            (
                "ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz0123",
                "atlassian-api-token",
                "abcdefghijklmnop",
            ),
            (
                "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
                "authorization",
                "abcdefghijklmnop",
            ),
            (
                "Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==",
                "authorization",
                "dXNlcjpwYXNzd29y",
            ),
            (
                "password=hunter2hunter2",
                "credential-assignment",
                "hunter2",
            ),
            (
                "secret: s3cr3tvalue",
                "credential-assignment",
                "s3cr3tvalue",
            ),
            ("?token=abcd1234&x=1", "credential-assignment", "abcd1234"),
            (
                "\"api_key\": \"sk_live_abcdef123456\"",
                "credential-assignment",
                "sk_live",
            ),
            (
                "https://admin:s3cretpass@db.example.com/x",
                "url-credentials",
                "s3cretpass",
            ),
        ];
        for (input, kind, secret) in cases {
            let r = redact(input);
            assert!(!r.text.contains(secret), "{kind}: {}", r.text);
            assert!(
                r.text.contains(&format!("[REDACTED:{kind}:")),
                "{kind}: {}",
                r.text
            );
            assert!(r.kinds.contains(&kind), "{kind}: {:?}", r.kinds);
        }
    }

    #[test]
    fn negative_table() {
        let cases = [
            "Stored XSS in the macro editor; the password field is not escaped.",
            "The token expired after an hour.",
            "AKIA is the prefix of AWS access key ids",
            "ghp_short",
            "The bearer of bad news",
            "Basic authentication is enabled",
            "eyJ is how base64 JSON starts",
            "see https://hooks.example.com/services/x",
            "secret: no",
            "password reset emails are not rate limited",
            "xoxb-short",
        ];
        for input in cases {
            let r = redact(input);
            assert!(
                matches!(r.text, Cow::Borrowed(_)),
                "false positive in {input:?}: {}",
                r.text
            );
            assert!(r.kinds.is_empty());
        }
    }

    #[test]
    fn same_secret_same_marker_and_key_name_kept() {
        let r = redact(
            "password=hunter2hunter2 and again password=hunter2hunter2, not password=other-secret",
        );
        let m = format!(
            "[REDACTED:credential-assignment:{}]",
            hash8("hunter2hunter2")
        );
        assert_eq!(r.text.matches(&m).count(), 2, "{}", r.text);
        assert!(r.text.starts_with("password=[REDACTED"), "{}", r.text);
        assert_eq!(r.kinds.len(), 3);
    }

    /// Found by the `redact` fuzz target: `github-token:1a2b3c4d` inside a
    /// marker read as a `token:` assignment, and a URL password (any run of
    /// non-separators) matched a whole marker, so markers were redacted
    /// again, in the same pass or the next, and one secret counted twice.
    /// And one round of the rules could leave a secret a rule matches.
    #[test]
    fn markers_are_never_redacted_again() {
        // (input, the kinds found, in order)
        let cases: [(&str, &[&str]); 9] = [
            (
                "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
                &["github-token"],
            ),
            ("xoxb-123456789012-abcdefghij", &["slack-token"]),
            (
                "ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz0123",
                &["atlassian-api-token"],
            ),
            (
                "https://admin:s3cretpass@db.example.com/x",
                &["url-credentials"],
            ),
            (
                "https://x-access-token:ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789@github.com/acme/app",
                &["github-token"],
            ),
            (
                "https://ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789@github.com/acme/app",
                &["github-token"],
            ),
            // The password holds a token and more: the whole password goes.
            (
                "https://admin:pw-ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789@github.com",
                &["github-token", "url-credentials"],
            ),
            (
                "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==' https://admin:s3cretpass@db.example.com/x?token=abcd1234&x=1",
                &["authorization", "url-credentials", "credential-assignment"],
            ),
            // The `/` that hid this URL password from its rule was part of a
            // `token:` value redacted after it: a second round finds it.
            (
                "https://admin:pw-token:abc/x,s3cret@db.example.com",
                &["credential-assignment", "url-credentials"],
            ),
        ];
        for (input, want) in cases {
            let once = redact(input);
            assert_eq!(once.kinds, want, "{input}: {}", once.text);
            assert_eq!(
                MARKER.find_iter(&once.text).count(),
                once.text.matches("[REDACTED:").count(),
                "{input}: a marker was broken: {}",
                once.text
            );
            assert!(!once.text.contains("pw-"), "{}", once.text);
            let twice = redact(&once.text);
            assert_eq!(twice.text, once.text, "{input}");
            assert!(twice.kinds.is_empty(), "{input}: {:?}", twice.kinds);
            assert!(matches!(twice.text, Cow::Borrowed(_)), "{input}");
        }
    }

    #[test]
    fn summary_names_kinds_once() {
        assert_eq!(summary(&[]), None);
        assert_eq!(summary(&["jwt"]).as_deref(), Some("1 secret redacted: jwt"));
        assert_eq!(
            summary(&["aws-access-key-id", "jwt", "jwt"]).as_deref(),
            Some("3 secrets redacted: aws-access-key-id, jwt")
        );
    }
}
