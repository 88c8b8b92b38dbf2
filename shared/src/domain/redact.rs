//! Redaction of secrets from free text before it is stored or logged.
//!
//! Reports often paste the very credential that leaked. Klaxon keeps an
//! audit record with no secrets in it, so each known secret shape is
//! replaced by `[REDACTED:<kind>:<8 hex of a keyed HMAC-SHA256>]`: responders
//! can tell two mentions of the same secret apart from two different ones
//! without ever seeing either. The key is random per process (see
//! [`marker`]), so a marker cannot be checked against guessed passwords.
//!
//! Free text from outside is held as a [`RedactedText`], which can only be
//! made by redacting: the report, the incident and everything built from
//! them take that type, so a new field cannot be stored raw.

use hmac::{Hmac, Mac};
use regex::{Regex, RegexSet};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::Sha256;
use std::borrow::Cow;
use std::fmt::{self, Write};
use std::ops::{Deref, Range};
use std::sync::LazyLock;

struct Rule {
    kind: &'static str,
    /// If the pattern has a group named `secret`, only that span is replaced;
    /// the rest of the match (a key name, a prefix) is kept for context.
    re: Regex,
    /// A match counts only if this accepts its secret: for shapes that
    /// ordinary words can take (`sk-learn-...`, `the password is required`).
    check: Check,
    /// The pattern reads an earlier rule's marker (an AWS secret beside its
    /// key id's marker), so a replacement in the same round may make it match.
    reads_marker: bool,
}

type Check = Option<fn(&str) -> bool>;

/// Words that name a credential, for the assignment shapes: `DB_PASSWORD=`,
/// `"api_key":`, `client-secret:`. The key may have any prefix (`DB_`,
/// `--`, `spring.datasource.`) and a `key`/`value` suffix; other suffixes
/// (`secret_type`, `token_count`) name something else.
const KEY: &str = r"[A-Za-z0-9_.-]*?(?:passwd|password|passphrase|pwd|_pass|secret|token|api_?key|apikey|access_?key|private_?key|auth_?key|signing_?key|encryption_?key|credentials?)(?:_?key|_?value)?";

// Order matters: specific shapes first, so a GitHub token inside a
// `token=` assignment is named as a GitHub token, and the generic
// assignment, prose and entropy shapes last.
#[rustfmt::skip]
const RULES_SRC: &[(&str, &str, Check)] = &[
    // PEM and PGP (`PRIVATE KEY BLOCK`); a paste cut short is redacted to the end.
    // Four or five dashes, any case.
    ("private-key", r"(?i)-{4,5}BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-{4,5}[\s\S]*?(?:-{4,5}END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-{4,5}|\z)", None),
    // A body pasted without its BEGIN line: the base64 before the END line.
    ("private-key", r"(?i)(?P<secret>[A-Za-z0-9+/=]{16}[A-Za-z0-9+/=\s]{24,})-{4,5}END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-{4,5}", None),
    // Or with no armour at all: a long base64 body soon after "private key".
    ("private-key", r#"(?i)\bprivate[ _-]?key\b[^\n]{0,40}?[\s:="'](?P<secret>[A-Za-z0-9+/]{16}[A-Za-z0-9+/=\r\n]{48,})"#, None),
    // PuTTY `.ppk`: everything from the header through the MAC line.
    ("private-key", r"PuTTY-User-Key-File-[0-9]+:[\s\S]*?(?:Private-MAC:[^\n]*|\z)", None),
    ("aws-access-key-id", r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b", None),
    // `aws_secret_access_key = …`, `AWS secret access key …`, `secret access key is …`.
    ("aws-secret-access-key", r#"(?i)(?:aws[ _-]?)?secret[ _-]?access[ _-]?key["']?(?:[ \t]*[:=][ \t]*|\s+(?:(?:is|was)\s+)?)["']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|\z)"#, None),
    // A 40-character key right after a redacted access key id: the pair a
    // credentials file or a console paste contains.
    ("aws-secret-access-key", r"\[REDACTED:aws-access-key-id:[0-9a-f]{8}\][^A-Za-z0-9/+]{1,40}?(?:[A-Za-z_ ]{0,40}[:=]\s*)?[\x22']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|\z)", None),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b", None),
    ("gitlab-token", r"\bgl(?:pat|ptt|rt|dt|cbt|soat|oas|ft|imt|agent|wt)-[A-Za-z0-9_-][A-Za-z0-9_.-]{18,}[A-Za-z0-9_-]", None),
    ("slack-webhook", r"(?i)https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+", None),
    ("slack-token", r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}", None),
    ("atlassian-api-token", r"\bATATT[A-Za-z0-9_=-]{20,}", None),
    ("stripe-key", r"\b(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})", None),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{30,}", None),
    ("twilio-api-key", r"\bSK[0-9a-fA-F]{32}\b", None),
    ("sendgrid-api-key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", None),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}", None),
    ("google-oauth", r"\b(?:GOCSPX-[A-Za-z0-9_-]{20,}|ya29\.[0-9A-Za-z_-]{20,})", None),
    ("anthropic-api-key", r"\bsk-ant-[a-z0-9]+-[A-Za-z0-9_-]{20,}", None),
    ("openai-api-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", Some(random_token)),
    ("pypi-token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}", None),
    ("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", None),
    ("digitalocean-token", r"\bdo[por]_v1_[a-f0-9]{64}\b", None),
    // STS session tokens: the base64 of their fixed first bytes, then a long body.
    ("aws-session-token", r"\b(?:FwoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9+/=]{80,}", None),
    ("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}", None),
    // Vault's older `s.` tokens; `s.` alone starts ordinary identifiers too.
    ("vault-token", r"\bs\.[A-Za-z0-9]{24}\b", Some(random_with_digit)),
    ("terraform-token", r"\b[A-Za-z0-9]{10,}\.atlasv1\.[A-Za-z0-9_=-]{20,}", None),
    ("databricks-token", r"\bdapi[0-9a-f]{32}(?:-[0-9]+)?\b", None),
    ("mailgun-api-key", r"\bkey-[0-9a-f]{32}\b", None),
    ("square-token", r"\b(?:sq0atp-[A-Za-z0-9_-]{22,}|sq0csp-[A-Za-z0-9_-]{40,}|EAAA[A-Za-z0-9_-]{60,})", None),
    ("discord-webhook", r"(?i)https?://(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]+", None),
    ("heroku-api-key", r"\bHRKU-[A-Za-z0-9_-]{20,}", None),
    ("heroku-api-key", r"(?i)\bheroku\b[^\n]{0,40}?\b(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b", None),
    // Azure storage and service bus connection strings, and SAS signatures.
    ("azure-key", r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9+/%]{16,}=*)", None),
    ("azure-key", r"[?&]sig=(?P<secret>[A-Za-z0-9%+/]{20,}=*)", None),
    // A JSON header: `{"` is `eyJ`, `{ "` is `eyAi`, `{\n` is `ew`.
    ("jwt", r"\be[yw][A-Za-z0-9_-]{10,}\.e[yw][A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*", Some(jwt_like)),
    ("authorization", r"(?i)\b(?:bearer|basic)\s+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)", None),
    // Shorter ones: in the header any, in prose only if not a word
    // (`Basic authentication`).
    ("authorization", r"(?i)\bauthorization[ \t]*:[ \t]*(?:bearer|basic)[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{8,}=*)", Some(not_placeholder)),
    ("authorization", r"(?i)\b(?:bearer|basic)[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{7,14}[A-Za-z0-9+/=])(?:[^A-Za-z0-9_~+/=-]|\z)", Some(secretish)),
    // `postgres://app:pw@db`, `mongodb+srv://u:p@ss@cluster`, `redis://:pw@host`.
    ("url-credentials", r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]*:(?P<secret>[^\s/?#]+)@", None),
    // `mysql -uroot -pS3cret`, `mysqldump -p'S3 cret'`; not `-p` alone (a prompt).
    ("mysql-password", r#"\b(?i:mysql|mysqldump|mysqladmin|mysqlsh|mariadb)\b[^\n]*?\s-p["'](?P<secret>[^"'\n]+)["']"#, None),
    ("mysql-password", r#"\b(?i:mysql|mysqldump|mysqladmin|mysqlsh|mariadb)\b[^\n]*?\s-p(?P<secret>[^\s"'-][^\s"']*)"#, None),
    ("basic-credentials", r#"\bcurl\b[^\n]*?\s(?:-u|--user)\s*["']?[^\s:"']+:(?P<secret>[^\s"']+)"#, None),
    // `--password S3cret`, `--token abc…` (the `=` form is an assignment).
    ("cli-credential", r#"(?i)(?:^|\s)--(?:password|passwd|pass|token|auth-token|access-token|api-key|apikey|secret|client-secret)[ \t]+["']?(?P<secret>[^\s"'$<{%\[-][^\s"']{3,})"#, Some(flag_value)),
    ("cli-credential", r#"(?i)\b(?:docker|podman|nerdctl|buildah|helm[ \t]+registry)[ \t]+login\b[^\n]*?\s(?:-p|--password)[ \t]+["']?(?P<secret>[^\s"'$<{%\[-][^\s"']*)"#, None),
    ("cli-credential", r#"\bsshpass\b[^\n]*?\s-p[ \t]*["']?(?P<secret>[^\s"'$<{%\[-][^\s"']*)"#, None),
    // `user:pw@db.internal:5432` with no scheme, before a host-like name.
    ("url-credentials", r#"(?:^|[\s"'=(<,;])(?P<user>[A-Za-z0-9._~-]+):(?P<secret>[^\s:@/"'<>\[\]]{3,})@(?:[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z0-9]|[A-Za-z0-9-]+:[0-9]{1,5}\b|localhost\b)"#, Some(not_example)),
    // `.netrc`, on one line or several.
    ("netrc-password", r"(?i)\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?P<secret>\S+)", Some(not_placeholder)),
    // `.npmrc`: `_auth=<base64 user:pass>`, `//registry/:_authToken=…`.
    ("npm-auth", r#"(?i)(?:^|[^A-Za-z0-9_])_auth(?:token)?[ \t]*=[ \t]*["']?(?P<secret>[^\s"'$<{%\[][^\s"']{3,})"#, None),
    // bcrypt, htpasswd (`$apr1$`) and sha-crypt (`/etc/shadow`) hashes.
    ("password-hash", r"\$(?:2[abxy]\$[0-9]{2}\$[./A-Za-z0-9]{53}|apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}|[56]\$(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86})", None),
    // Short key names, whole words only (not `bypass=`, `compass:`).
    ("credential-assignment", r#"(?i)\b(?:pass|pw|pin|passcode)["']?[ \t]*=[ \t]*["']?(?P<secret>[^\s"'`&,;<>\[\]$%{}()][^\s"'`&,;<>\[\]]{3,})"#, Some(not_placeholder)),
    // With `:` they also start prose (`first pass: collect logs`).
    ("credential-assignment", r#"(?i)\b(?:pass|pw|passcode)["']?[ \t]*:[ \t]*["']?(?P<secret>[^\s"'`&,;<>\[\]$%{}()][^\s"'`&,;<>\[\]]{3,})"#, Some(short_secret)),
    ("credential-assignment", r#"(?i)\b(?:pin|passcode|pin[ _-]?code)["']?[ \t]*:[ \t]*["']?(?P<secret>[0-9]{4,12})\b"#, None),
];

/// The word for password in German, French, Spanish, Portuguese, Dutch,
/// Russian, Chinese and Japanese (the last two have no word boundaries).
const INTL: &str = r"(?:\b(?:passwort|kennwort|mot de passe|contrase[ñn]a|senha|wachtwoord|пароль)\b|密码|密碼|口令|パスワード)";

/// The shapes that ordinary words come close to, built around [`KEY`].
fn generic_rules() -> [(&'static str, String, Check); 11] {
    let assign = format!(r#"(?i)\b{KEY}["']?[ \t]*[:=][ \t]*"#);
    [
        // `password="hunter 2"`, `"api_key": "…"`: the whole quoted value.
        ("credential-assignment", format!(r#"{assign}"(?P<secret>[^"\n$<{{%][^"\n]{{3,}})""#), Some(not_placeholder)),
        ("credential-assignment", format!(r#"{assign}'(?P<secret>[^'\n$<{{%][^'\n]{{3,}})'"#), Some(not_placeholder)),
        // `DB_PASSWORD=x`, `token: x`, `?access_token=x&`; not `$VAR`, `<token>` or `{{ var }}`.
        ("credential-assignment", format!(r#"{assign}(?P<secret>[^\s"'`&,;<>\[\]$%{{}}()][^\s"'`&,;<>\[\]]{{3,}})"#), Some(not_placeholder)),
        // `password:\n  hunter2`, `password: |\n  hunter2`: YAML's value alone on the next line.
        ("credential-assignment", format!(r#"(?i)\b{KEY}["']?[ \t]*:[ \t]*(?:[|>][-+]?[ \t]*)?\r?\n[ \t]+(?P<secret>[^\s"'#&*!|>\[\]{{}}$%<-][^\s]{{2,}}[^\s:])[ \t]*(?:\r?\n|\z)"#), Some(not_placeholder)),
        // `{\"password\":\"hunter2\"}`: JSON escaped inside a log line.
        ("credential-assignment", format!(r#"(?i)\b(?:{KEY}|pass|pw|pin|passcode)\\"[ \t]*:[ \t]*\\"(?P<secret>[^"\\\n$<{{%][^"\\\n]{{3,}})\\""#), Some(not_placeholder)),
        // `the password is hunter2.`, `the token for prod was: Xy9…`.
        ("credential-prose", r#"(?i)\b(?:passwd|password|passphrase|pwd|secret|token|api[ _-]?key|secret[ _-]?key|access[ _-]?key|private[ _-]?key)(?:\s+for\s+\S+)?\s+(?:is|was|of)\s*:?\s+["'`]?(?P<secret>[^\s"'`]*[^\s"'`.,;:!?)])"#.into(), Some(secretish)),
        // `the password 'hunter2'`.
        ("credential-prose", r#"(?i)\b(?:passwd|password|passphrase|secret|token|api[ _-]?key)\s+["'`](?P<secret>[^"'`\n]{4,})["'`]"#.into(), Some(secretish)),
        // Other languages: `Das Passwort ist …`, `le mot de passe : …`,
        // `la contraseña es …`, `a senha é …`, `пароль: …`, `密码是…`, `パスワードは…`.
        ("credential-prose", format!(r#"(?i){INTL}(?:[ \t]*[:=：][ \t]*|\s+(?:ist|lautet|war|est|était|es|era|é|e|is|was|это|был)\s*:?\s+|[ \t]*(?:是|为|為|は|が)[ \t]*[:：]?[ \t]*)["'„“«»「『]?(?P<secret>[^\s"'`„“”«»「」『』。，、：]*[^\s"'`„“”«»「」『』。，、：.,;:!?)）])"#), Some(secretish)),
        ("credential-prose", format!(r#"(?i){INTL}[ \t]+["'„“«»「『](?P<secret>[^"'„“”«»」』\n]{{4,}})["'“”«»」』]"#), Some(secretish)),
        // A long random token within a few words after a credential word.
        ("high-entropy-token", r"(?i)(?:token|secret|key|passw(?:or)?d|pwd|credential|auth)[a-z_]*[^\n]{0,40}?[^A-Za-z0-9+/=_\n-](?P<secret>[A-Za-z0-9+/=_-]{20,})".into(), Some(random_token)),
        // A URL password with `/`, `#` or `?` in it, up to the last `@`
        // before the host. Last: a `token:` inside it goes first, as above.
        ("url-credentials", r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]*:(?P<secret>[^\s]*[/?#][^\s]*[^\s/])@[a-z0-9-]".into(), Some(not_port)),
    ]
}

fn patterns() -> impl Iterator<Item = (&'static str, Cow<'static, str>, Check)> {
    let fixed = RULES_SRC
        .iter()
        .map(|(kind, pat, check)| (*kind, Cow::Borrowed(*pat), *check));
    let generic = generic_rules()
        .into_iter()
        .map(|(kind, pat, check)| (kind, Cow::Owned(pat), check));
    fixed.chain(generic)
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    patterns()
        .map(|(kind, pat, check)| Rule {
            kind,
            // The patterns are constants; the tests below compile every one.
            re: Regex::new(&pat).unwrap_or_else(|e| panic!("redaction rule {kind}: {e}")),
            check,
            reads_marker: pat.contains(r"\[REDACTED"),
        })
        .collect()
});

/// Every rule at once: one scan of a text says which rules can match, so
/// a text with no secret (most of them) is read once, not once per rule.
static ANY: LazyLock<RegexSet> = LazyLock::new(|| {
    // The set's lazy DFA has many states to cache; at the default 2 MiB
    // it is cleared and rebuilt within one report (16 MiB: 15 % faster).
    regex::RegexSetBuilder::new(patterns().map(|(_, pat, _)| pat))
        .dfa_size_limit(16 << 20)
        .build()
        .unwrap_or_else(|e| panic!("redaction rules as a set: {e}"))
});

/// Values that stand for a secret without being one.
fn not_placeholder(v: &str) -> bool {
    const WORDS: [&str; 14] = [
        "null",
        "none",
        "nil",
        "true",
        "false",
        "undefined",
        "redacted",
        "required",
        "optional",
        "empty",
        "string",
        "hidden",
        "masked",
        "unset",
    ];
    let lower = v.to_ascii_lowercase();
    !WORDS.contains(&lower.as_str()) && !v.chars().all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '•'))
}

/// A word after "password is" that is a password rather than prose: a
/// digit, a symbol, or capitals after the first letter.
fn secretish(v: &str) -> bool {
    let upper_inside = v.chars().skip(1).any(char::is_uppercase);
    v.chars().count() >= 6
        && not_placeholder(v)
        && (v.chars().any(|c| c.is_ascii_digit())
            || v.chars()
                .any(|c| !c.is_alphanumeric() && c != '-' && c != '\'')
            || (upper_inside && v.chars().any(|c| c.is_lowercase())))
}

/// A value after a short key and a colon (`pw: S3cret!`), which prose also
/// writes (`first pass: collect logs`, `pass: 100%`): four characters or
/// more with a digit, a symbol or mixed case, and not a number.
fn short_secret(v: &str) -> bool {
    let upper_inside = v.chars().skip(1).any(char::is_uppercase);
    v.chars().count() >= 4
        && not_placeholder(v)
        && !v
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '%' | '/' | ':'))
        && (v.chars().any(|c| c.is_ascii_digit())
            || v.chars()
                .any(|c| !c.is_alphanumeric() && c != '-' && c != '\'')
            || (upper_inside && v.chars().any(|c| c.is_lowercase())))
}

/// A value after `--password`, not prose about the flag.
fn flag_value(v: &str) -> bool {
    const WORDS: [&str; 9] = [
        "flag",
        "flags",
        "option",
        "options",
        "argument",
        "parameter",
        "switch",
        "value",
        "prompt",
    ];
    let word = v.trim_end_matches(['.', ',', ';', ':', ')']);
    not_placeholder(v) && !WORDS.contains(&word.to_ascii_lowercase().as_str())
}

/// A password in a URL that is not the word documentation writes there
/// (`user:password@host`).
fn not_example(v: &str) -> bool {
    const WORDS: [&str; 7] = ["pass", "password", "passwd", "pwd", "pw", "secret", "token"];
    not_placeholder(v) && !WORDS.contains(&v.to_ascii_lowercase().as_str())
}

/// Not a port and a path (`https://host:8443/users/bob@example.com`).
fn not_port(v: &str) -> bool {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    !(1..=5).contains(&digits) || !v[digits..].starts_with('/')
}

/// Schemes written `scheme:user@host` that name an address, not a login,
/// and mail headers written the same way: the `user` of a schemeless
/// `user:pw@host` rule must not be one.
const NOT_LOGINS: [&str; 11] = [
    "mailto", "sip", "sips", "tel", "xmpp", "im", "from", "to", "cc", "bcc", "sender",
];

fn jwt_like(v: &str) -> bool {
    v.split('.').next().is_some_and(|h| {
        h[2..]
            .bytes()
            .any(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

/// Shannon entropy of `s`, in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Random, with a digit: not a camel-case identifier.
fn random_with_digit(v: &str) -> bool {
    random_token(v) && v.bytes().any(|b| b.is_ascii_digit())
}

/// Random rather than words: some run between separators is 16 characters
/// or more, switches often between lower case, capitals and digits (a
/// capitalised word switches once) and has high entropy.
fn random_token(v: &str) -> bool {
    fn class(b: u8) -> u8 {
        match b {
            b'a'..=b'z' => 0,
            b'A'..=b'Z' => 1,
            b'0'..=b'9' => 2,
            _ => 3,
        }
    }
    v.split(['-', '_', '.']).any(|part| {
        let switches = part
            .as_bytes()
            .windows(2)
            .filter(|w| {
                let (a, b) = (class(w[0]), class(w[1]));
                a != b && !(a == 1 && b == 0)
            })
            .count();
        part.len() >= 16 && switches >= 4 && entropy(part) >= 3.0
    })
}

/// Text with its secrets replaced, and the kinds that were found, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted<'a> {
    pub text: Cow<'a, str>,
    pub kinds: Vec<&'static str>,
}

/// The key for markers, drawn once per process and never stored. A plain
/// hash of a secret is a dictionary lookup away from a weak password, so
/// anyone who can read a marker could test guesses against it; keyed, a
/// marker says only that two mentions in this process are the same secret.
static MARKER_KEY: LazyLock<Hmac<Sha256>> = LazyLock::new(|| {
    let key: [u8; 32] = rand::random();
    <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|e| panic!("marker key: {e}"))
});

fn marker(kind: &str, secret: &str) -> String {
    let mut mac = MARKER_KEY.clone();
    mac.update(secret.as_bytes());
    let digest = mac.finalize().into_bytes();
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
const MAX_PASSES: usize = 12;

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
        let login = caps
            .name("user")
            .is_none_or(|u| !NOT_LOGINS.contains(&u.as_str().to_ascii_lowercase().as_str()));
        let Some(span) = span
            .filter(|_| login)
            .filter(|s| replaceable(s.range(), &markers))
            .filter(|s| rule.check.is_none_or(|check| check(s.as_str())))
        else {
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

/// Characters that show nothing: zero-width spaces and joiners, direction
/// marks, word joiners and invisible operators, the BOM, the soft hyphen.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

fn combining(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// `text` without the invisible characters and combining marks set inside
/// a run of ASCII (`ghp_\u{200B}…`, `gh\u{301}p_…`), which split a token
/// so that no rule sees it; `None` if it has none. They carry nothing a
/// responder needs there; elsewhere (an emoji sequence, an accent on a
/// letter that is not ASCII) they are kept.
fn visible(text: &str) -> Option<String> {
    let hidden = |c: char| invisible(c) || combining(c);
    if text.is_ascii() || !text.chars().any(hidden) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    // The next character that is not hidden, after each position.
    let mut next = vec![None; chars.len()];
    let mut after = None;
    for (i, c) in chars.iter().enumerate().rev() {
        next[i] = after;
        if !hidden(*c) {
            after = Some(*c);
        }
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        let inside = out
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii_graphic())
            && next[i].is_some_and(|n| n.is_ascii_graphic());
        if !(hidden(*c) && inside) {
            out.push(*c);
        }
    }
    (out.len() != text.len()).then_some(out)
}

/// Replaces every known secret shape in `text`. Markers are never
/// redacted again, and no rule matches the output, so redacting it again
/// changes nothing. Invisible characters inside a token do not hide it:
/// the rules read the text as if they were not there, and if that finds a
/// secret, that text is what is kept.
pub fn redact(text: &str) -> Redacted<'_> {
    let mut r = redact_visible(text);
    // A marker can close a run of ASCII that an invisible character split
    // (`ghp_…\u{301}hunter2\u{200B}<token>`), so that the run now reads as a
    // secret: read again until nothing is found, as the rules' rounds do.
    if !r.kinds.is_empty() && !text.is_ascii() {
        for _ in 0..MAX_PASSES {
            let next = redact_visible(&r.text);
            if next.kinds.is_empty() {
                break;
            }
            let (more, kinds) = (next.text.into_owned(), next.kinds);
            r.kinds.extend(kinds);
            r.text = Cow::Owned(more);
        }
    }
    r
}

/// The rules over `text` read without its invisible characters, if that
/// finds a secret, else over `text` as it is.
fn redact_visible(text: &str) -> Redacted<'_> {
    if let Some(seen) = visible(text) {
        let r = redact_rules(&seen);
        if !r.kinds.is_empty() {
            return Redacted {
                text: Cow::Owned(r.text.into_owned()),
                kinds: r.kinds,
            };
        }
    }
    redact_rules(text)
}

/// Every rule over `text`, as it is.
fn redact_rules(text: &str) -> Redacted<'_> {
    let mut out = Cow::Borrowed(text);
    let mut kinds = Vec::new();
    // A replacement can complete a match for an earlier rule (a `/` that
    // ended a URL password was part of a redacted `token:`), so the rules
    // run again until a round changes nothing. Every replacement shrinks the
    // text outside markers, so this ends; the cap bounds hostile input.
    for _ in 0..MAX_PASSES {
        let found = kinds.len();
        // Which rules match the text as the round begins: one scan of all of
        // them. A rule a replacement makes match waits for the next round,
        // except one that reads an earlier rule's marker, tried at once.
        let hits = ANY.matches(&out);
        if !hits.matched_any() {
            break;
        }
        for (i, rule) in RULES.iter().enumerate() {
            let retry = rule.reads_marker && kinds.len() > found;
            if !(hits.matched(i) || retry) {
                continue;
            }
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

/// Free text from outside with its secrets replaced. The only ways to make
/// one redact: [`RedactedText::redact`], `From` and deserializing (a stored
/// record is redacted again as it is read, which changes nothing unless
/// the detector has learnt a shape since it was written). Stores, messages
/// and logs get free text only as this type.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RedactedText(String);

impl RedactedText {
    /// `raw` redacted; the kinds of secret removed are added to `kinds`.
    pub fn redact(raw: &str, kinds: &mut Vec<&'static str>) -> Self {
        let r = redact(raw);
        kinds.extend(r.kinds);
        Self(r.text.into_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Texts this process has read and found nothing in, by a keyed hash
/// (SipHash with a random key, so a text cannot be made to collide with one
/// seen). A stored record is redacted again each time it is read, and an
/// incident with its whole timeline is read at every step of the pipeline:
/// remembering what was clean makes a re-read one hash. Direct-mapped, so a
/// newer text takes an older one's slot; only the conversions below use it.
struct CleanTexts {
    key: std::hash::RandomState,
    slots: Box<[std::sync::atomic::AtomicU64]>,
}

const CLEAN_SLOTS: usize = 8192;

static CLEAN: LazyLock<CleanTexts> = LazyLock::new(|| CleanTexts {
    key: std::hash::RandomState::new(),
    slots: (0..CLEAN_SLOTS)
        .map(|_| std::sync::atomic::AtomicU64::new(0))
        .collect(),
});

impl CleanTexts {
    /// The text's fingerprint and its slot; never 0, which marks an empty slot.
    fn slot(&self, text: &str) -> (u64, &std::sync::atomic::AtomicU64) {
        use std::hash::BuildHasher;
        let print = self.key.hash_one(text) | 1;
        let index = usize::try_from(print % CLEAN_SLOTS as u64).unwrap_or(0);
        (print, &self.slots[index])
    }

    fn redact<'a>(&self, text: &'a str) -> Redacted<'a> {
        use std::sync::atomic::Ordering::Relaxed;
        let (print, slot) = self.slot(text);
        if slot.load(Relaxed) == print {
            return Redacted {
                text: Cow::Borrowed(text),
                kinds: Vec::new(),
            };
        }
        let r = redact(text);
        if r.kinds.is_empty() {
            slot.store(print, Relaxed);
        }
        r
    }
}

impl From<&str> for RedactedText {
    fn from(raw: &str) -> Self {
        Self(CLEAN.redact(raw).text.into_owned())
    }
}

impl From<String> for RedactedText {
    fn from(raw: String) -> Self {
        match CLEAN.redact(&raw) {
            Redacted {
                text: Cow::Owned(text),
                ..
            } => Self(text),
            Redacted {
                text: Cow::Borrowed(_),
                ..
            } => Self(raw),
        }
    }
}

impl From<RedactedText> for String {
    fn from(t: RedactedText) -> Self {
        t.0
    }
}

impl<'de> Deserialize<'de> for RedactedText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::from)
    }
}

impl Deref for RedactedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RedactedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedactedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RedactedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl PartialEq<str> for RedactedText {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RedactedText {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for RedactedText {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text read twice is remembered as clean the second time; a secret
    /// beside it, or the same secret again, is still found every time.
    #[test]
    fn a_remembered_clean_text_does_not_let_a_secret_through() {
        let clean = "The webhook handler of the Jira app returned 500 at 02:10";
        for _ in 0..2 {
            assert_eq!(RedactedText::from(clean), clean);
            assert_eq!(RedactedText::from(clean.to_string()), clean);
        }
        let dirty = format!("{clean}, token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789");
        for _ in 0..2 {
            let read: RedactedText = serde_json::from_value(serde_json::json!(dirty)).unwrap();
            assert!(!read.contains("ghp_aBcD"), "{read}");
            assert!(read.contains("[REDACTED:github-token:"), "{read}");
            assert!(!RedactedText::from(dirty.as_str()).contains("ghp_aBcD"));
        }
    }

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
                "stripe-key",
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

    /// A marker is keyed: not the plain SHA-256 prefix that guesses can be
    /// checked against (issue 16), yet the same for the same secret.
    #[test]
    fn markers_are_keyed() {
        use sha2::Digest;
        let plain = hex::encode(&Sha256::digest(b"Autumn2021#")[..4]);
        assert_ne!(hash8("Autumn2021#"), plain);
        assert_eq!(hash8("Autumn2021#"), hash8("Autumn2021#"));
        assert_ne!(hash8("Autumn2021#"), hash8("Autumn2021$"));
        let r = redact("the admin password is Autumn2021# on the staging box");
        assert!(!r.text.contains(&plain), "{}", r.text);
        let m = format!("[REDACTED:credential-prose:{}]", hash8("Autumn2021#"));
        assert!(r.text.contains(&m), "{}", r.text);
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

    /// Every shape the detector knows, each with a secret that must vanish.
    /// The issue-16 probes first: each was stored verbatim before.
    #[test]
    fn shape_table() {
        let pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGVxZ3kBCADJq9\n-----END PGP PRIVATE KEY BLOCK-----";
        let azure = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net";
        // (input, kind, the secret that must vanish)
        let cases: &[(&str, &str, &str)] = &[
            // `_` before the keyword: `\b` never matched there.
            (
                "DB_PASSWORD=Tr0ub4dor3x",
                "credential-assignment",
                "Tr0ub4dor3x",
            ),
            (
                "API_TOKEN=abc123def456ghi789",
                "credential-assignment",
                "abc123def456ghi789",
            ),
            (
                "SECRET_KEY=django-insecure-k3y",
                "credential-assignment",
                "django-insecure-k3y",
            ),
            (
                "export AWS_SESSION_TOKEN=FwoGZXIvYXdzEJr",
                "credential-assignment",
                "FwoGZXIvYXdzEJr",
            ),
            (
                "spring.datasource.password: hunter2hunter2",
                "credential-assignment",
                "hunter2hunter2",
            ),
            (
                "--password=S3cretPass",
                "credential-assignment",
                "S3cretPass",
            ),
            ("DB_PASS=pa55word", "credential-assignment", "pa55word"),
            // Quoted values go whole, spaces and separators included.
            (
                "password=\"correct horse battery\"",
                "credential-assignment",
                "horse battery",
            ),
            (
                "{\"password\": \"p@ss, w;rd\"}",
                "credential-assignment",
                "w;rd",
            ),
            ("client_secret='s3 cr3t'", "credential-assignment", "cr3t"),
            ("token: 9f2c1e7a", "credential-assignment", "9f2c1e7a"),
            // Prose.
            ("the password is hunter2", "credential-prose", "hunter2"),
            (
                "The admin password was: S3cure!pass.",
                "credential-prose",
                "S3cure!pass",
            ),
            (
                "the password for root is Summer2024",
                "credential-prose",
                "Summer2024",
            ),
            (
                "the api key is AbCdEfGhIj",
                "credential-prose",
                "AbCdEfGhIj",
            ),
            (
                "log in with the password 'hunter2'",
                "credential-prose",
                "hunter2",
            ),
            (
                "mysql -u root -pS3cretPass appdb",
                "mysql-password",
                "S3cretPass",
            ),
            (
                "mysqldump -uroot -p'S3 cret' appdb",
                "mysql-password",
                "S3 cret",
            ),
            (
                "curl -u admin:S3cretPass https://x.example",
                "basic-credentials",
                "S3cretPass",
            ),
            (pgp, "private-key", "lQOYBGVxZ3kBCADJq9"),
            // `{ "alg": …}` encodes as `eyAi`, `{\n` as `ew`.
            (
                "eyAiYWxnIjogIkhTMjU2IiwgInR5cCI6ICJKV1QiIH0.eyAic3ViIjogIjEyMzQ1Njc4OTAiIH0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
                "jwt",
                "SflKxwRJSMeKKF2QT4fw",
            ),
            (
                "ewogICJhbGciOiAiSFMyNTYiCn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.",
                "jwt",
                "ewogICJhbGciOiAi",
            ),
            (
                "glpat-AbCdEfGhIjKlMnOpQrSt",
                "gitlab-token",
                "AbCdEfGhIjKlMnOp",
            ),
            (
                "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                "stripe-key",
                "4eC39HqLyjWDarjtT1zdp7dc",
            ),
            (
                "rk_live_51H8abcDEF0123456789xyz",
                "stripe-key",
                "51H8abcDEF0123456789xyz",
            ),
            (
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "stripe-key",
                "MfKQ9r8GKYqrTwjUPD8I",
            ),
            (
                "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
                "npm-token",
                "AbCdEfGhIjKlMnOpQrSt",
            ),
            (
                "xapp-1-A0123456789-1234567890123-abcdef0123456789",
                "slack-token",
                "A0123456789",
            ),
            (
                "aws secret access key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws-secret-access-key",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "MY_AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws-secret-access-key",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            // Provider prefixes.
            (
                "SK0123456789abcdef0123456789abcdef",
                "twilio-api-key",
                "0123456789abcdef0123",
            ),
            (
                "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
                "sendgrid-api-key",
                "abcdefghijklmnopqrstuv",
            ),
            (
                "AIzaSyA-1234567890abcdefghijklmnopqrstu",
                "google-api-key",
                "1234567890abcdefghij",
            ),
            (
                "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz12",
                "google-oauth",
                "AbCdEfGhIjKlMnOpQrSt",
            ),
            (
                "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56",
                "openai-api-key",
                "Ab12Cd34Ef56Gh78Ij90",
            ),
            (
                "sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90",
                "openai-api-key",
                "Ab12Cd34Ef56Gh78Ij90",
            ),
            (
                "sk-ant-api03-Ab12Cd34Ef56Gh78Ij90Kl12Mn34",
                "anthropic-api-key",
                "Ab12Cd34Ef56Gh78Ij90",
            ),
            (
                "pypi-AgEIcHlwaS5vcmcCJGQ5YmI4ZDk4LTVlNjEtNGQ3Ni1hNzEwLWQ4YzBmMmQ5ZTFiMwACKlszLCJmNTJi",
                "pypi-token",
                "cHlwaS5vcmcCJGQ5YmI4ZDk4",
            ),
            (
                "shpat_0123456789abcdef0123456789abcdef",
                "shopify-token",
                "0123456789abcdef0123",
            ),
            (
                "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "digitalocean-token",
                "0123456789abcdef0123",
            ),
            (
                "HRKU-AAbcdEFgh1234567890_abcdefghij",
                "heroku-api-key",
                "AAbcdEFgh1234567890",
            ),
            (
                "heroku api key 01234567-89ab-cdef-0123-456789abcdef",
                "heroku-api-key",
                "01234567-89ab-cdef",
            ),
            (azure, "azure-key", "Eby8vdM02xNOcqFlqUwJ"),
            (
                "https://acme.blob.core.windows.net/c?sv=2021-08-06&sig=AbCdEf0123456789abcdefGHIJ%2B%3D",
                "azure-key",
                "AbCdEf0123456789abcdefGHIJ",
            ),
            (
                "postgres://app:Sup3rSecret@db.internal:5432/app",
                "url-credentials",
                "Sup3rSecret",
            ),
            (
                "mongodb+srv://admin:p@ss@cluster0.mongodb.net/test",
                "url-credentials",
                "p@ss",
            ),
            (
                "redis://:h0tpassw0rd@cache:6379",
                "url-credentials",
                "h0tpassw0rd",
            ),
            (
                "host=db user=app password=Sup3rSecret dbname=app",
                "credential-assignment",
                "Sup3rSecret",
            ),
            (
                "Server=tcp:db;User Id=sa;Pwd=Sup3rSecret;",
                "credential-assignment",
                "Sup3rSecret",
            ),
            // Long random tokens a few words after a credential word.
            (
                "the deploy key for prod: Zx9Qm2Lp8Rt5Vw3Ny7Kb",
                "high-entropy-token",
                "Zx9Qm2Lp8Rt5Vw3Ny7Kb",
            ),
            (
                "Twilio auth token 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
                "high-entropy-token",
                "9f8e7d6c5b4a3928",
            ),
            (
                "our webhook secret leaked, it was aB3xY9kL2mN8pQ7rS5tU",
                "high-entropy-token",
                "aB3xY9kL2mN8pQ7rS5tU",
            ),
            // The issue-16 second pass (finding 2): short key names.
            ("pass=Xq7mWz2r", "credential-assignment", "Xq7mWz2r"),
            ("dump pass=hunter.sql", "credential-assignment", "hunter"),
            ("pw: yqxNZA6zk29!", "credential-assignment", "yqxNZA6zk29"),
            ("PIN=12345678", "credential-assignment", "12345678"),
            ("card pin: 4821", "credential-assignment", "4821"),
            ("passcode=tulip-77", "credential-assignment", "tulip-77"),
            (
                "{\"pass\": \"Cp7AfkP3!\"}",
                "credential-assignment",
                "Cp7AfkP3",
            ),
            // Command-line flags with a space.
            (
                "mysql -u root --password S3cretPass appdb",
                "cli-credential",
                "S3cretPass",
            ),
            (
                "deploy --token ghx8Kq2LmZ7 now",
                "cli-credential",
                "ghx8Kq2LmZ7",
            ),
            (
                "tool --api-key AbC123xyz789 --verbose",
                "cli-credential",
                "AbC123xyz789",
            ),
            ("app --secret 'letmein99'", "cli-credential", "letmein99"),
            (
                "docker login -u admin -p Dk3rPass! registry.example.com",
                "cli-credential",
                "Dk3rPass!",
            ),
            (
                "sshpass -p 'Ssh!pass99' ssh root@bastion",
                "cli-credential",
                "Ssh!pass99",
            ),
            (
                "sshpass -pSshpass99 scp f h:",
                "cli-credential",
                "Sshpass99",
            ),
            // URL passwords with `/`, `#` or `?`, and no scheme.
            (
                "https://deploy:abc/def@git.example.com/x",
                "url-credentials",
                "abc/def",
            ),
            ("redis://:ab#cd@cache:6379", "url-credentials", "ab#cd"),
            (
                "https://admin:ab/cd@files.example.com/e.zip",
                "url-credentials",
                "ab/cd",
            ),
            (
                "git remote add o https://u:p@ss/w0rd@git.example.com/r",
                "url-credentials",
                "w0rd",
            ),
            (
                "psql -h admin:Pg5ecret@db.internal:5432",
                "url-credentials",
                "Pg5ecret",
            ),
            (
                "ssh deploy:hunter22@10.0.0.4",
                "url-credentials",
                "hunter22",
            ),
            // Credential files.
            (
                "machine api.example.com login deploy password N3trcPass",
                "netrc-password",
                "N3trcPass",
            ),
            (
                "~/.netrc:\nmachine git.example.com\n  login ci\n  password n3trcpass\n",
                "netrc-password",
                "n3trcpass",
            ),
            (
                "//registry.npmjs.org/:_auth=dXNlcjpwYXNzd29yZA==",
                "npm-auth",
                "dXNlcjpwYXNz",
            ),
            (
                "_authToken=abcdef0123456789",
                "npm-auth",
                "abcdef0123456789",
            ),
            (
                "hash $2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW leaked",
                "password-hash",
                "R9h/cIPz0gi.URNNX3kh2",
            ),
            (
                "admin:$apr1$HIcWIbgX$G9YqNkCVGlFAN63bClpoT/",
                "password-hash",
                "G9YqNkCVGlFAN63bClpoT",
            ),
            // YAML values on the next line, JSON escaped inside text.
            (
                "db:\n  password:\n    Yaml5ecret\n  user: app",
                "credential-assignment",
                "Yaml5ecret",
            ),
            (
                "password: |\n  Blk5calar\n",
                "credential-assignment",
                "Blk5calar",
            ),
            (
                "config was {\\\"password\\\":\\\"Esc4ped!\\\"}",
                "credential-assignment",
                "Esc4ped!",
            ),
            (
                "log: {\\\"db\\\": {\\\"pass\\\": \\\"Cp7AfkP3PECKja\\\"}}",
                "credential-assignment",
                "Cp7AfkP3PECKja",
            ),
            // Private keys: other armour, no BEGIN line, PuTTY.
            (
                "----BEGIN RSA PRIVATE KEY----\nMIIEowIBAAKCAQEAx4Wq\n----END RSA PRIVATE KEY----",
                "private-key",
                "MIIEowIBAAKCAQEAx4Wq",
            ),
            (
                "-----begin rsa private key-----\nMIIEowIBAAKCAQEAx4Wq\n-----end rsa private key-----",
                "private-key",
                "MIIEowIBAAKCAQEAx4Wq",
            ),
            (
                "id_rsa contents:\nMIIEowIBAAKCAQEAx4Wq9mZkL2pQ7rS5tU\nb3BlbnNzaC1rZXk==\n-----END RSA PRIVATE KEY-----",
                "private-key",
                "b3BlbnNzaC1rZXk",
            ),
            (
                "the private key:\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
                "private-key",
                "MzEfYyjiWA4R4",
            ),
            (
                "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ops\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIPp\nPrivate-Lines: 1\nAAAAIHd2k3dPqYb9XqZ\nPrivate-MAC: 5a1e0f9d3c\nthanks",
                "private-key",
                "AAAAIHd2k3dPqYb9XqZ",
            ),
            // Tokens with a known shape.
            (
                "found in CI log: FwoGZXIvYXdzEJr//////////wEaDOnNBrSuWlBhYo2s2yLEAQ5aNYu7bR3dkeBRxGXz9vQm7Tqc5ZTyE8xL4WkP0jJhA2sN6uV1oIpR3yFtM9bX8eQwLz5KcVnD7gHf0aSpU2iYjE4rT6uO1wN9mB",
                "aws-session-token",
                "wEaDOnNBrSuWlBhYo2s2",
            ),
            (
                "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDc5ZTyE8xL4WkP0jJhA2sN6uV1oIpR3yFtM9bX8eQwLz5KcVnD7gHf0aSpU2iYjE4rT6uO1wN9mBxQ",
                "aws-session-token",
                "wEaCXVzLWVhc3QtMSJH",
            ),
            (
                "VAULT_ADDR set, login with hvs.CAESIJ9x2mLpQ7rS5tUvWxYz0123abcd",
                "vault-token",
                "CAESIJ9x2mLpQ7rS5tUv",
            ),
            (
                "old vault token s.Ga5jyNq6kNfRMVQk2LY1j9iu in the job",
                "vault-token",
                "Ga5jyNq6kNfRMVQk2LY1",
            ),
            (
                "credentials \"app.terraform.io\" { token = \"Xq7mWz2rT9aBcD.atlasv1.AbCdEfGhIjKlMnOpQrStUvWxYz0123\" }",
                "terraform-token",
                "AbCdEfGhIjKlMnOpQrSt",
            ),
            (
                "DATABRICKS dapi0123456789abcdef0123456789abcdef",
                "databricks-token",
                "0123456789abcdef0123",
            ),
            (
                "mailgun key-0123456789abcdef0123456789abcdef",
                "mailgun-api-key",
                "0123456789abcdef0123",
            ),
            (
                "square sq0atp-AbCdEfGhIjKlMnOpQrStUv",
                "square-token",
                "AbCdEfGhIjKlMnOpQrSt",
            ),
            (
                "EAAAEAbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWx",
                "square-token",
                "AbCdEfGhIjKlMnOpQrSt",
            ),
            (
                "https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz",
                "discord-webhook",
                "AbCdEfGhIjKlMnOpQrSt",
            ),
            (
                "http://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
                "slack-webhook",
                "XXXXXXXXXXXXXXXX",
            ),
            (
                "Authorization: Bearer abc12345XYZ",
                "authorization",
                "abc12345XYZ",
            ),
            (
                "Authorization: Basic YWRtaW46cHc=",
                "authorization",
                "YWRtaW46cHc",
            ),
            (
                "Authorization: Bearer abcdefghij",
                "authorization",
                "abcdefghij",
            ),
            (
                "use Bearer Zx9Qm2Lp8R for it",
                "authorization",
                "Zx9Qm2Lp8R",
            ),
            // Passwords in prose in other languages.
            (
                "Das Passwort: yqxNZA6zk29!",
                "credential-prose",
                "yqxNZA6zk29",
            ),
            (
                "Das Passwort ist Sommer2024",
                "credential-prose",
                "Sommer2024",
            ),
            (
                "Das Kennwort lautet Geh31m!x",
                "credential-prose",
                "Geh31m!x",
            ),
            ("Kennwort „Geh31m!x“", "credential-prose", "Geh31m!x"),
            (
                "le mot de passe est Soleil2024",
                "credential-prose",
                "Soleil2024",
            ),
            (
                "mot de passe : Soleil2024!",
                "credential-prose",
                "Soleil2024",
            ),
            (
                "la contraseña es Verano2024",
                "credential-prose",
                "Verano2024",
            ),
            ("a senha é Verao2024!", "credential-prose", "Verao2024"),
            (
                "het wachtwoord is Zomer2024",
                "credential-prose",
                "Zomer2024",
            ),
            ("wachtwoord=Zomer2024", "credential-prose", "Zomer2024"),
            ("пароль: Leto2024!", "credential-prose", "Leto2024"),
            ("密码是Xia2024!", "credential-prose", "Xia2024"),
            (
                "数据库密码：Xia2024!，请修改",
                "credential-prose",
                "Xia2024",
            ),
            ("パスワードはNatsu2024です", "credential-prose", "Natsu2024"),
            ("パスワード：Natsu2024", "credential-prose", "Natsu2024"),
            // Invisible characters that split a token are read as absent.
            (
                "token ghp_aBcDe\u{200B}FgHiJkLmNoPqRsTuVwXyZ01\u{200B}23456789 leaked",
                "github-token",
                "FgHiJkLmNoPqRsTuVwXyZ01",
            ),
            (
                "ghp_\u{00AD}aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
                "github-token",
                "aBcDeFgHiJkLmNoPqRsT",
            ),
            (
                "gh\u{0301}p_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
                "github-token",
                "aBcDeFgHiJkLmNoPqRsT",
            ),
            (
                "xox\u{200B}b-123456789012-abcdefghij",
                "slack-token",
                "123456789012",
            ),
            (
                "sk_li\u{2060}ve_4eC39HqLyjWDarjtT1zdp7dc",
                "stripe-key",
                "4eC39HqLyjWDarjtT1zdp7dc",
            ),
            (
                "pass\u{200B}word=Zw5pl1t!",
                "credential-assignment",
                "Zw5pl1t",
            ),
        ];
        for (input, kind, secret) in cases {
            let r = redact(input);
            assert!(!r.text.contains(secret), "{kind}: {input:?} -> {}", r.text);
            assert!(
                r.text.contains(&format!("[REDACTED:{kind}:")),
                "{kind}: {input:?} -> {} {:?}",
                r.text,
                r.kinds
            );
            let again = redact(&r.text);
            assert!(again.kinds.is_empty(), "{input:?}: {:?}", again.kinds);
        }
    }

    /// Near misses: prose and config that must come back unchanged.
    #[test]
    fn prose_near_misses_are_left_alone() {
        let cases = [
            "the password is required",
            "The token is signed with HMAC-SHA256 and names the incident.",
            "the secret is out, and the token was e-mailed to the wrong team",
            "\"secret_type_display_name\":\"AWS Access Key\"",
            "max_tokens: 4096",
            "password: ********",
            "token=$GITHUB_TOKEN and password: ${DB_PASSWORD}",
            "KLAXON_API_TOKENS=<name>:<role>:<token>[,...]",
            "sk-learn-compatible-estimators-for-everyone",
            "eyeballing.eyewitnessing.accounts",
            "mysql -p -u root appdb",
            "Rotate the API key, then the secret; see the key rotation runbook from 2026-11-23.",
            "Disable the token and identify all workflows, repositories and ConfigurationManagementService logs.",
            "secret: none",
            // Near the short keys, flags and URLs learnt for issue 16.
            "bypass=enabled and compass=north",
            "The first pass: collect the logs, then the second pass: re-read them.",
            "Pass: 100%, Fail: 0",
            "pin: 4",
            "docker login --password-stdin registry.example.com",
            "pass --token to the CLI, or the --password flag",
            "Basic authentication and Bearer tokens are both accepted.",
            "write to mailto:alice@example.com or sip:bob@voip.example.com",
            "https://api.example.com:8443/v1/users/bob@example.com",
            "image nginx:1.25@sha256:0123456789abcdef0123456789abcdef",
            "write it as user:password@host.example, without a scheme",
            "credentials:\n  username: admin\n  role: ops",
            "the machine rebooted, then login failed twice",
            "s.getConfigurationManagementServiceLogs()",
            // Other languages, ordinary sentences about passwords.
            "Das Passwort ist falsch.",
            "Das Passwort: bitte ändern",
            "le mot de passe est expiré",
            "la contraseña es incorrecta",
            "a senha é obrigatória",
            "het wachtwoord is verlopen",
            "пароль: неверный",
            "密码是错误的",
            "パスワードが間違っています",
            // Invisible characters in ordinary text stay.
            "emoji 👩\u{200D}💻 and a word\u{00AD}break",
        ];
        for input in cases {
            let r = redact(input);
            assert!(
                r.kinds.is_empty(),
                "false positive in {input:?}: {} {:?}",
                r.text,
                r.kinds
            );
        }
    }

    /// The text between Markdown code fences and inline code: what the
    /// README says in words, not its example commands.
    fn prose(markdown: &str) -> String {
        let mut out = String::new();
        let mut fenced = false;
        for line in markdown.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if fenced {
                continue;
            }
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 0 {
                    out.push_str(part);
                }
            }
            out.push('\n');
        }
        out
    }

    /// The false-positive rate on ordinary prose: the playbooks Klaxon was
    /// built from (`shared/tests/prose/`, about 22 KB) and the README's prose.
    /// Zero redactions; docs/RELIABILITY.md records the figure.
    #[test]
    fn ordinary_prose_has_no_redactions() {
        let texts = [
            ("seed 000", include_str!("../../tests/prose/000.txt")),
            ("seed 001", include_str!("../../tests/prose/001.txt")),
            ("seed 002", include_str!("../../tests/prose/002.txt")),
            ("seed 003", include_str!("../../tests/prose/003.txt")),
            ("seed 004", include_str!("../../tests/prose/004.txt")),
        ];
        let readme = prose(include_str!("../../../README.md"));
        for (name, text) in texts
            .iter()
            .copied()
            .chain([("README prose", readme.as_str())])
        {
            let r = redact(text);
            assert!(r.kinds.is_empty(), "{name}: {:?}", r.kinds);
            assert!(matches!(r.text, Cow::Borrowed(_)), "{name}");
        }
    }

    #[test]
    fn redacted_text_is_made_only_by_redacting() {
        let raw = "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
        let mut kinds = Vec::new();
        let t = RedactedText::redact(raw, &mut kinds);
        assert_eq!(kinds, ["github-token"]);
        assert!(!t.contains("aBcDeFgH"), "{t}");
        assert_eq!(RedactedText::from(raw), t);
        assert_eq!(RedactedText::from(raw.to_owned()), t);
        // Deserializing redacts too: a raw secret in a stored record, or
        // anywhere serde builds one, does not survive the read.
        let read: RedactedText = serde_json::from_str(&format!("{raw:?}")).expect("json");
        assert_eq!(read, t);
        // And stores it as a plain string.
        assert_eq!(
            serde_json::to_string(&t).expect("json"),
            format!("{:?}", t.as_str())
        );
        assert_eq!(RedactedText::from("plain words"), "plain words");
    }

    proptest::proptest! {
        /// Any mix of credential words, separators, tokens and markers:
        /// redacting the output again finds nothing and changes nothing.
        #[test]
        fn redaction_is_idempotent(parts in proptest::collection::vec(proptest::sample::select(vec![
            "password", "DB_PASSWORD", "token", "secret", "key", "api_key", " ", "=", ": ", "\"", "'", " is ",
            "the ", "\n", "@", "://", "u:", "hunter2", "Zx9Qm2Lp8Rt5Vw3Ny7Kb", "aB3xY9kL2mN8pQ7rS5tU",
            "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "[REDACTED:jwt:0123abcd]", "-p", "mysql ",
            "eyJhbGciOiJIUzI1NiJ9", ".", "sk-", "glpat-", "/", ",", ";", "&",
            "pass", "pw", "--password ", "#", "\\\"", ":\n  ", "machine h login u password ", "密码是",
            "-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEAx4Wq9mZ", "\u{200B}", "\u{301}", "\u{AD}", "é",
        ]), 0..24)) {
            let text: String = parts.concat();
            let once = redact(&text);
            let twice = redact(&once.text);
            proptest::prop_assert!(twice.kinds.is_empty(), "{:?} -> {:?} -> {:?}", text, once.text, twice.kinds);
            proptest::prop_assert_eq!(&twice.text, &once.text);
        }
    }
}
