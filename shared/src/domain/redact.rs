//! Redaction of secrets from free text before it is stored or logged.
//!
//! Reports often paste the very credential that leaked. Klaxon keeps an
//! audit record with no secrets in it, so known token shapes are replaced
//! by a marker naming what was removed.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

struct Rule {
    name: &'static str,
    re: Regex,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rules: [(&str, &str); 10] = [
        (
            "private key",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
        ),
        ("aws access key", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
        (
            "github token",
            r"\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
        ),
        ("slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        ("atlassian token", r"\bATATT[A-Za-z0-9_\-=]{20,}"),
        (
            "jwt",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ),
        ("bearer token", r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}"),
        (
            "basic credentials",
            r"(?i)\bbasic\s+[A-Za-z0-9+/]{16,}={0,2}",
        ),
        (
            "url credentials",
            r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@",
        ),
        (
            "secret assignment",
            r#"(?i)\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?token|client[_-]?secret|aws_secret_access_key)\s*[:=]\s*["']?[^\s"']{6,}"#,
        ),
    ];
    rules
        .into_iter()
        .map(|(name, pat)| Rule {
            name,
            // The patterns are constants checked by the tests below.
            re: Regex::new(pat).unwrap_or_else(|e| panic!("redaction rule {name}: {e}")),
        })
        .collect()
});

/// Replaces every known secret shape in `text` with `[REDACTED <kind>]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if rule.re.is_match(&out) {
            let replaced = rule
                .re
                .replace_all(&out, format!("[REDACTED {}]", rule.name).as_str())
                .into_owned();
            out = Cow::Owned(replaced);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_table() {
        let cases = [
            (
                "AKIAIOSFODNN7EXAMPLE in logs",
                "aws access key",
                "AKIAIOSFODNN7EXAMPLE",
            ),
            (
                "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 leaked",
                "github token",
                "ghp_aBcDeF",
            ),
            ("xoxb-123456789012-abcdefghij", "slack token", "xoxb-1234"),
            (
                "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
                "bearer token",
                "abcdefghijklmnop",
            ),
            ("password=hunter2hunter2", "secret assignment", "hunter2"),
            (
                "API_KEY: \"sk_live_abcdef123456\"",
                "secret assignment",
                "sk_live",
            ),
            (
                "https://admin:s3cretpass@db.example.com/x",
                "url credentials",
                "s3cretpass",
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "jwt",
                "dozjgNryP4J3",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
                "private key",
                "MIIEow",
            ),
        ];
        for (input, kind, secret) in cases {
            let out = redact(input);
            assert!(!out.contains(secret), "{kind}: {out}");
            assert!(out.contains(&format!("[REDACTED {kind}]")), "{kind}: {out}");
        }
    }

    #[test]
    fn plain_text_is_untouched_and_borrowed() {
        let text = "Stored XSS in the macro editor; the password field is not escaped.";
        assert!(matches!(redact(text), Cow::Borrowed(_)));
    }
}
