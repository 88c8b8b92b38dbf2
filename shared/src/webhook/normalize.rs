//! Turns each sender's payload into a report. Pure: no I/O.
//!
//! Only events that describe a security problem become reports; the rest
//! are acknowledged and ignored with a reason for the log.

use crate::domain::redact::RedactedText;
use crate::domain::{Repeat, ReportInput, SourceSignal};
use serde_json::Value;

/// A store key for the report and what a repeat of it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub key: String,
    pub repeat: Repeat,
}

#[derive(Debug)]
pub enum Normalized {
    Report(Box<ReportInput>, Option<Key>),
    Ignored(String),
}

/// A payload not shaped as its sender always shapes it. A field is named by
/// its JSON pointer (`/payload/summary`) and said dotted (`payload.summary`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("{} is required", dotted(.0))]
    Missing(&'static str),
    #[error("{} must be a string", dotted(.0))]
    NotText(&'static str),
    #[error("the body must be a JSON object")]
    NotAnObject,
    #[error("the body must be a JSON report object")]
    NotAReport,
    /// serde's reason, which names the field.
    #[error("the report object is invalid: {0}")]
    InvalidReport(String),
    #[error("dedup_key must be at most 255 characters")]
    DedupKeyTooLong,
    #[error("payload.severity must be one of critical, error, warning, info")]
    PagerdutySeverity,
    /// `acknowledge` or `resolve`.
    #[error("dedup_key is required to {0}")]
    DedupKeyRequired(&'static str),
    #[error("event_action must be trigger, acknowledge or resolve")]
    UnknownAction,
    #[error("{sender} {detail_type} is not an AWS security finding Klaxon takes")]
    NotAFinding { sender: String, detail_type: String },
}

fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn required(v: &Value, pointer: &'static str) -> Result<String, ShapeError> {
    text(v, pointer).ok_or(ShapeError::Missing(pointer))
}

fn signal(
    kind: impl Into<String>,
    severity: Option<String>,
    score: Option<f64>,
) -> Option<SourceSignal> {
    Some(SourceSignal {
        kind: kind.into(),
        // The sender's word is free text: redacted as the signal is made.
        severity: severity.map(Into::into),
        score,
    })
}

/// A sender's title as Klaxon's: one line, redacted before it is cut, so a
/// token that crosses the cut is still found whole, and cut to what a
/// report's title may hold (a long GitHub advisory or Jira summary is an
/// alert all the same). What is cut goes to the top of the description.
fn title(raw: String, description: String) -> (Option<String>, Option<String>) {
    let one_line: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let red = RedactedText::from(one_line.as_str()).into_string();
    let max = crate::domain::report::MAX_TITLE;
    if red.chars().count() <= max {
        return (Some(red), Some(description));
    }
    let cut: String = red.chars().take(max - 1).chain(['…']).collect();
    let full = if description.is_empty() {
        format!("Title: {red}")
    } else {
        format!("Title: {red}\n\n{description}")
    };
    (Some(cut), Some(full))
}

/// A JSON value as `key: value` lines, nested keys joined with dots, so the
/// redactor reads `password: X` as it would in a report, not an escaped
/// string inside pretty-printed JSON.
fn flatten(v: &Value, prefix: &str, out: &mut Vec<String>, depth: usize) {
    flatten_in(v, prefix, out, depth, false);
}

/// [`flatten`], knowing whether `v` is inside a generated password's
/// resource (Terraform's `random_password`), whose `result` is the password.
fn flatten_in(v: &Value, prefix: &str, out: &mut Vec<String>, depth: usize, generated: bool) {
    const MAX_LINES: usize = 200;
    if out.len() >= MAX_LINES || depth > 16 {
        return;
    }
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        // `{"name": "DB_PASSWORD", "value": "…"}` (a Kubernetes or ECS env
        // entry, CloudFormation's `ParameterKey`/`ParameterValue`): the
        // value is the named credential's, whatever else the entry holds.
        Value::Object(map) if let Some((name, value)) = named_pair(map) => {
            out.push(format!("{}: {}", key(name), conceal(value)));
        }
        // `[["DB_PASSWORD", "…"]]`: a pair as a two-item list.
        Value::Array(items)
            if items.len() == 2
                && items[0].as_str().is_some_and(names_credential)
                && items[1].is_string() =>
        {
            let name = items[0].as_str().unwrap_or_default();
            let value = items[1].as_str().unwrap_or_default();
            out.push(format!("{}: {}", key(name), conceal(value)));
        }
        Value::Object(map) => {
            let generated = generated || map.values().any(names_generated);
            for (k, v) in map {
                flatten_in(v, &key(k), out, depth + 1, generated);
            }
        }
        // A command line as a list (`["mysql", "-u", "root", "-p", "…"]`):
        // one line, so that a flag and its value stay side by side.
        Value::Array(items) if argv(items) && !prefix.split('.').any(names_credential) => {
            let words: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            out.push(format!("{prefix}: {}", words.join(" ")));
        }
        Value::Array(items) => {
            for (n, v) in items.iter().enumerate() {
                flatten_in(v, &key(&n.to_string()), out, depth + 1, generated);
            }
        }
        // Under a key that names a credential (`db_password.0`,
        // `password.value`, `credentials.admin`) the value is one, whatever
        // its shape: the key's own name no longer sits next to it.
        Value::String(s)
            if prefix.split('.').any(names_credential)
                || (generated && prefix.rsplit('.').next() == Some("result")) =>
        {
            out.push(format!("{prefix}: {}", conceal(s)));
        }
        // Under a key that may name a login or a session (`login`, `sid`,
        // `session`): the value is one if it has a password's shape.
        Value::String(s)
            if prefix.rsplit('.').next().is_some_and(names_login)
                && crate::domain::redact::password_shaped(s.trim()) =>
        {
            out.push(format!("{prefix}: {}", conceal(s)));
        }
        Value::String(s) => out.push(format!("{prefix}: {s}")),
        Value::Null => {}
        other => out.push(format!("{prefix}: {other}")),
    }
}

/// A list that is a command line: two strings or more, and a flag among them.
fn argv(items: &[Value]) -> bool {
    items.len() >= 2
        && items.iter().all(Value::is_string)
        && items
            .iter()
            .filter_map(Value::as_str)
            .any(|s| s.len() >= 2 && (s.starts_with('-') || s.starts_with('/')) && !s.contains(' '))
}

/// A value that names a generated password's resource: `random_password`,
/// `random_string.db`.
fn names_generated(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let s = s.trim_start_matches("resource.");
        ["random_password", "random_string"].iter().any(|r| {
            s.strip_prefix(r)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    })
}

/// An entry that names a credential and holds its value: `name`/`value`,
/// `key`/`value` in any case, `ParameterKey`/`ParameterValue`.
fn named_pair(map: &serde_json::Map<String, Value>) -> Option<(&str, &str)> {
    let field = |names: &[&str]| {
        map.iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .and_then(|(_, v)| v.as_str())
    };
    let name = field(&["name", "key", "parameterkey", "parameter_key", "variable"])?;
    let value = field(&["value", "parametervalue", "parameter_value"])?;
    names_credential(name).then_some((name, value))
}

/// Whether a JSON key names a credential: `db_password`, `apiKey`,
/// `client-secret`, `credentials`, `smtp_pass`, `ldap_bind_pw`, camel case
/// (`dbPass`, `sqlAdminPw`), a cookie jar (`cookies`, a `Cookie` header);
/// not `secret_type` or `token_count`.
fn names_credential(key: &str) -> bool {
    // Camel case's words as parts: `sqlAdminPw` reads as `sql_admin_pw`.
    let mut k = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            k.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        k.push(match c {
            '-' | ' ' | '.' => '_',
            c => c.to_ascii_lowercase(),
        });
    }
    const WORDS: [&str; 26] = [
        "cookie",
        "passkey",
        "passcode",
        "master_key",
        "encryption_key",
        "decryption_key",
        "hmac_key",
        "seed_phrase",
        "recovery_phrase",
        "mnemonic",
        "authorization",
        "password",
        "sshpass",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "api_key",
        "access_key",
        "private_key",
        "credential",
        "auth_key",
        "signing_key",
        "authtok",
        "bindpw",
    ];
    // Short words only as a whole part: `smtp_pass`, `db_pwd`, `bind_pw`.
    const PARTS: [&str; 7] = ["pass", "pwd", "pw", "pin", "auth", "psk", "creds"];
    const NOT: [&str; 8] = [
        "_type", "_count", "_name", "_id", "_url", "_expir", "_length", "_hint",
    ];
    // A code that lets one in: `access_code`, `recovery_codes`, `mfa_code`;
    // not `status_code` or `country_code`.
    const CODES: [&str; 10] = [
        "access",
        "recovery",
        "backup",
        "unlock",
        "verification",
        "otp",
        "mfa",
        "2fa",
        "pin",
        "auth",
    ];
    let parts: Vec<&str> = k.split('_').collect();
    let code = parts
        .windows(2)
        .any(|w| CODES.contains(&w[0]) && matches!(w[1], "code" | "codes"));
    (WORDS.iter().any(|w| k.contains(w)) || parts.iter().any(|p| PARTS.contains(p)) || code)
        && !NOT.iter().any(|n| k.contains(n))
}

/// Whether a JSON key may name a login's password or a session
/// (`login`, `signin`, `sid`, `session`, `sessionId`): only a value with a
/// password's shape is one (`"login": "alice"` is a name).
fn names_login(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    matches!(
        k.as_str(),
        "login" | "logon" | "signin" | "sid" | "session" | "sessionid" | "sessid"
    )
}

/// Whether a field that names a thing (a PagerDuty `source`, a GHSA id)
/// holds a password instead: its shape, and a character no host name,
/// path or id has (`KtllOP4yv0A#`, not `db-1.prod:5432`).
fn secret_id(v: &str) -> bool {
    v.chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '/' | '@')))
        && crate::domain::redact::password_shaped(v.trim())
}

/// A credential's value, as the redactor writes it; a value too short or
/// plain for its rules (`hunter2`) is replaced all the same.
fn conceal(value: &str) -> String {
    let v = value.trim();
    if v.is_empty() || matches!(v, "true" | "false" | "null" | "***" | "[REDACTED]") {
        return v.to_owned();
    }
    let line = format!("password={v}");
    let r = crate::domain::redact::redact(&line);
    match r.text.strip_prefix("password=") {
        // Only a marker for the whole value: a rule that stops inside it
        // (at a `&`) would leave the rest.
        Some(rest)
            if r.kinds.len() == 1
                && rest.starts_with("[REDACTED:")
                && rest.find(']') == Some(rest.len() - 1) =>
        {
            rest.to_owned()
        }
        _ => "[REDACTED]".to_owned(),
    }
}

fn lines(parts: &[(&str, Option<String>)]) -> String {
    parts
        .iter()
        .filter_map(|(label, v)| v.as_ref().map(|v| format!("{label}: {v}")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// GitHub: security alerts and advisories become reports; keyed by the alert
/// so a reopened alert counts as an occurrence.
pub fn github(event: &str, body: &Value) -> Result<Normalized, ShapeError> {
    let action = text(body, "/action").unwrap_or_default();
    let repo =
        text(body, "/repository/full_name").unwrap_or_else(|| "an unknown repository".into());
    let repo_id = text(body, "/repository/id").unwrap_or_default();
    let opening = matches!(
        action.as_str(),
        "created"
            | "reopened"
            | "reopened_by_user"
            | "appeared_in_branch"
            | "reported"
            | "published"
            | "publicly_leaked"
    );
    if !opening {
        // Reasons name the field, never its value: they are logged.
        return Ok(Normalized::Ignored(
            "GitHub: this action does not open an incident".into(),
        ));
    }
    let (title, description, severity, cvss, key) = match event {
        "secret_scanning_alert" => {
            let n = required(body, "/alert/number")?;
            let kind = text(body, "/alert/secret_type_display_name")
                .or_else(|| text(body, "/alert/secret_type"))
                .unwrap_or_else(|| "secret".into());
            (
                format!("GitHub secret scanning alert #{n}: {kind} in {repo}"),
                lines(&[
                    ("Alert", text(body, "/alert/html_url")),
                    ("Secret type", Some(kind)),
                    ("Validity", text(body, "/alert/validity")),
                    ("Action", Some(action.clone())),
                ]),
                None,
                None,
                format!("{repo_id}#secret#{n}"),
            )
        }
        "dependabot_alert" => {
            let n = required(body, "/alert/number")?;
            let pkg = text(body, "/alert/dependency/package/name")
                .unwrap_or_else(|| "a dependency".into());
            let sev = text(body, "/alert/security_advisory/severity");
            let cvss = text(
                body,
                "/alert/security_advisory/cvss_severities/cvss_v4/vector_string",
            )
            .or_else(|| {
                text(
                    body,
                    "/alert/security_advisory/cvss_severities/cvss_v3/vector_string",
                )
            })
            .or_else(|| text(body, "/alert/security_advisory/cvss/vector_string"));
            (
                format!(
                    "Dependabot alert #{n}: {} {pkg} in {repo}",
                    sev.clone().unwrap_or_default()
                )
                .replace("  ", " "),
                lines(&[
                    ("Advisory", text(body, "/alert/security_advisory/summary")),
                    ("GHSA", text(body, "/alert/security_advisory/ghsa_id")),
                    ("CVE", text(body, "/alert/security_advisory/cve_id")),
                    (
                        "Ecosystem",
                        text(body, "/alert/dependency/package/ecosystem"),
                    ),
                    ("Alert", text(body, "/alert/html_url")),
                ]),
                sev,
                cvss,
                format!("{repo_id}#dependabot#{n}"),
            )
        }
        "code_scanning_alert" => {
            let n = required(body, "/alert/number")?;
            let rule = text(body, "/alert/rule/description")
                .or_else(|| text(body, "/alert/rule/id"))
                .unwrap_or_else(|| "a rule".into());
            let sev = text(body, "/alert/rule/security_severity_level")
                .or_else(|| text(body, "/alert/rule/severity"));
            (
                format!("Code scanning alert #{n}: {rule} in {repo}"),
                lines(&[
                    ("Tool", text(body, "/alert/tool/name")),
                    ("Alert", text(body, "/alert/html_url")),
                    ("Ref", text(body, "/ref")),
                ]),
                sev,
                None,
                format!("{repo_id}#code#{n}"),
            )
        }
        "repository_advisory" => {
            let raw = required(body, "/repository_advisory/ghsa_id")?;
            // The id goes into the title and the key: a password pasted
            // there is concealed in the one and digested in the other.
            let (ghsa, key_id) = if secret_id(&raw) {
                use sha2::Digest;
                let digest = sha2::Sha256::digest(raw.as_bytes());
                let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
                (conceal(&raw), format!("sha256:{hex}"))
            } else {
                (raw.clone(), raw)
            };
            let summary =
                text(body, "/repository_advisory/summary").unwrap_or_else(|| ghsa.clone());
            (
                format!("Repository advisory {ghsa}: {summary}"),
                text(body, "/repository_advisory/description").unwrap_or_default(),
                text(body, "/repository_advisory/severity"),
                text(
                    body,
                    "/repository_advisory/cvss_severities/cvss_v4/vector_string",
                )
                .or_else(|| {
                    text(
                        body,
                        "/repository_advisory/cvss_severities/cvss_v3/vector_string",
                    )
                })
                .or_else(|| text(body, "/repository_advisory/cvss/vector_string")),
                format!("{repo_id}#advisory#{key_id}"),
            )
        }
        _ => {
            return Ok(Normalized::Ignored(
                "GitHub: X-GitHub-Event is not a security alert".into(),
            ));
        }
    };
    let (title, description) = self::title(title, description);
    Ok(Normalized::Report(
        Box::new(ReportInput {
            title,
            description,
            cvss,
            signal: signal(format!("github:{event}"), severity, None),
            ..Default::default()
        }),
        Some(Key {
            key,
            repeat: Repeat::Occurrence,
        }),
    ))
}

/// Flattens Atlassian Document Format (or plain text) to text. A table
/// is written as Markdown's (`| system | password |`, then `|---|---|`
/// under a header row), so that a column of secrets reads as one.
fn adf_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("tableRow") => {
            let cells: Vec<&Value> = o
                .get("content")
                .and_then(Value::as_array)
                .map(|c| c.iter().collect())
                .unwrap_or_default();
            let mut out = String::from("|");
            for c in &cells {
                let t = adf_text(c);
                out.push(' ');
                out.push_str(&t.split_whitespace().collect::<Vec<_>>().join(" "));
                out.push_str(" |");
            }
            out.push('\n');
            if !cells.is_empty()
                && cells
                    .iter()
                    .all(|c| c.get("type").and_then(Value::as_str) == Some("tableHeader"))
            {
                out.push('|');
                out.push_str(&"---|".repeat(cells.len()));
                out.push('\n');
            }
            out
        }
        // A line break inside a paragraph (`temporary password`, a break,
        // the value) or a rule between blocks: a new line, not nothing, so
        // a label and its value stay two words.
        Value::Object(o)
            if matches!(
                o.get("type").and_then(Value::as_str),
                Some("hardBreak" | "rule")
            ) =>
        {
            "\n".to_owned()
        }
        Value::Object(o) => {
            let mut out = String::new();
            if let Some(Value::String(t)) = o.get("text") {
                out.push_str(t);
            }
            if let Some(Value::Array(children)) = o.get("content") {
                for c in children {
                    out.push_str(&adf_text(c));
                }
                if matches!(
                    o.get("type").and_then(Value::as_str),
                    Some("paragraph" | "heading" | "listItem" | "codeBlock")
                ) {
                    out.push('\n');
                }
            }
            out
        }
        _ => String::new(),
    }
}

/// Jira: issues created or updated in the configured security projects.
/// Keyed by the issue, so an update to a known issue is an occurrence.
pub fn jira(body: &Value, projects: &[String]) -> Result<Normalized, ShapeError> {
    let event = required(body, "/webhookEvent")?;
    if event != "jira:issue_created" && event != "jira:issue_updated" {
        return Ok(Normalized::Ignored(
            "Jira: webhookEvent is not jira:issue_created or jira:issue_updated".into(),
        ));
    }
    let key = required(body, "/issue/key")?;
    let project = required(body, "/issue/fields/project/key")?;
    if !projects.iter().any(|p| p.eq_ignore_ascii_case(&project)) {
        return Ok(Normalized::Ignored(
            "Jira: the issue's project is not in KLAXON_JIRA_PROJECTS".into(),
        ));
    }
    let summary = required(body, "/issue/fields/summary")?;
    let description = body
        .pointer("/issue/fields/description")
        .map(adf_text)
        .unwrap_or_default();
    let id = text(body, "/issue/id").unwrap_or_else(|| key.clone());
    let site = text(body, "/issue/self").and_then(|s| s.split("/rest/").next().map(str::to_owned));
    let (title, description) = title(format!("{key}: {summary}"), description.trim().to_owned());
    Ok(Normalized::Report(
        Box::new(ReportInput {
            title,
            description,
            site_url: site,
            signal: signal("jira", text(body, "/issue/fields/priority/name"), None),
            ..Default::default()
        }),
        Some(Key {
            key: format!("issue#{id}"),
            repeat: Repeat::Occurrence,
        }),
    ))
}

/// Bitbucket: only the event keys the configuration names.
pub fn bitbucket(
    event_key: &str,
    body: &Value,
    events: &[String],
) -> Result<Normalized, ShapeError> {
    if !events.iter().any(|e| e == event_key) {
        return Ok(Normalized::Ignored(
            "Bitbucket: X-Event-Key is not in KLAXON_BITBUCKET_EVENTS".into(),
        ));
    }
    if !body.is_object() {
        return Err(ShapeError::NotAnObject);
    }
    let repo = text(body, "/repository/full_name").unwrap_or_else(|| "a repository".into());
    let actor = text(body, "/actor/display_name");
    let detail = text(body, "/pullrequest/title")
        .or_else(|| text(body, "/issue/title"))
        .or_else(|| text(body, "/commit_status/name"));
    Ok(Normalized::Report(
        Box::new(ReportInput {
            title: Some(format!("Bitbucket {event_key} in {repo}")),
            description: Some(lines(&[
                ("Event", Some(event_key.to_owned())),
                ("Actor", actor),
                ("Detail", detail),
                ("Link", text(body, "/repository/links/html/href")),
            ])),
            signal: signal(format!("bitbucket:{event_key}"), None, None),
            ..Default::default()
        }),
        None,
    ))
}

/// A Klaxon report object, as Forge apps and Connect apps send it.
pub fn report_object(body: &Value) -> Result<ReportInput, ShapeError> {
    if !body.is_object() {
        return Err(ShapeError::NotAReport);
    }
    let severity = text(body, "/severity");
    let mut input: ReportInput = serde_json::from_value(body.clone())
        .map_err(|e| ShapeError::InvalidReport(e.to_string()))?;
    if severity.is_some() {
        input.signal = signal("app", severity, None);
    }
    Ok(input)
}

/// PagerDuty Events API v2 severities.
pub const PAGERDUTY_SEVERITIES: [&str; 4] = ["critical", "error", "warning", "info"];

/// A PagerDuty Events API v2 event, its routing key already checked.
#[derive(Debug)]
pub enum Pagerduty {
    /// A new alert, or the same one again under its `dedup_key`. Without
    /// one, PagerDuty makes one up: so does the caller.
    Trigger {
        input: Box<ReportInput>,
        dedup_key: Option<String>,
    },
    /// The tool acknowledged its alert.
    Acknowledge { dedup_key: String },
    /// The tool resolved its alert.
    Resolve { dedup_key: String },
}

/// Reads an Events API v2 event (a JSON object).
pub fn pagerduty(payload: &Value) -> Result<Pagerduty, ShapeError> {
    // Optional text fields are text (or null) when present: a numeric
    // dedup_key quietly dropped would open a new incident on every retry.
    if let Some(p) = [
        "/dedup_key",
        "/payload/component",
        "/payload/group",
        "/payload/class",
    ]
    .into_iter()
    .find(|p| {
        payload
            .pointer(p)
            .is_some_and(|v| !(v.is_string() || v.is_null()))
    }) {
        return Err(ShapeError::NotText(p));
    }
    let action = payload
        .get("event_action")
        .and_then(Value::as_str)
        .unwrap_or("");
    let dedup_key = payload
        .get("dedup_key")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if dedup_key.is_some_and(|k| k.len() > 255) {
        return Err(ShapeError::DedupKeyTooLong);
    }
    match action {
        "trigger" => {
            let field = |name: &str| {
                payload
                    .pointer(&format!("/payload/{name}"))
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            };
            let summary = field("summary").ok_or(ShapeError::Missing("/payload/summary"))?;
            if field("source").is_none() {
                return Err(ShapeError::Missing("/payload/source"));
            }
            let severity = match field("severity") {
                Some(sev) if PAGERDUTY_SEVERITIES.contains(&sev) => sev,
                _ => {
                    return Err(ShapeError::PagerdutySeverity);
                }
            };
            let details = payload.pointer("/payload/custom_details").map(|d| {
                let mut out = Vec::new();
                match d {
                    Value::String(s) => out.push(s.clone()),
                    d => flatten(d, "", &mut out, 0),
                }
                out.join("\n")
            });
            let description = [
                ("Source", field("source")),
                ("Component", field("component")),
                ("Group", field("group")),
                ("Class", field("class")),
            ]
            .iter()
            .filter_map(|(l, v)| {
                v.map(|v| {
                    if secret_id(v) {
                        format!("{l}: {}", conceal(v))
                    } else {
                        format!("{l}: {v}")
                    }
                })
            })
            .chain(details.map(|d| format!("Details: {d}")))
            .collect::<Vec<_>>()
            .join("\n");
            // A title is one line: any control character (a newline, a
            // stray \u{14} from a log line) becomes a space.
            let (title, description) = title(summary.to_owned(), description);
            let input = ReportInput {
                title,
                description,
                signal: Some(SourceSignal {
                    kind: "pagerduty".into(),
                    severity: Some(severity.into()),
                    score: None,
                }),
                ..Default::default()
            };
            Ok(Pagerduty::Trigger {
                input: Box::new(input),
                dedup_key: dedup_key.map(str::to_owned),
            })
        }
        "acknowledge" | "resolve" => {
            let dedup_key = dedup_key
                .ok_or_else(|| {
                    ShapeError::DedupKeyRequired(if action == "acknowledge" {
                        "acknowledge"
                    } else {
                        "resolve"
                    })
                })?
                .to_owned();
            Ok(if action == "acknowledge" {
                Pagerduty::Acknowledge { dedup_key }
            } else {
                Pagerduty::Resolve { dedup_key }
            })
        }
        _ => Err(ShapeError::UnknownAction),
    }
}

/// An AWS security finding delivered by EventBridge, as reports keyed by finding.
pub fn aws_finding(event: &Value) -> Result<Vec<(ReportInput, Key)>, ShapeError> {
    let source = required(event, "/source")?;
    let detail_type = required(event, "/detail-type")?;
    let account = text(event, "/account");
    let region = text(event, "/region");
    match (source.as_str(), detail_type.as_str()) {
        ("aws.guardduty", "GuardDuty Finding") => {
            let id = required(event, "/detail/id")?;
            let score = event.pointer("/detail/severity").and_then(Value::as_f64);
            let kind = text(event, "/detail/type");
            Ok(vec![(
                ReportInput {
                    title: Some(format!(
                        "GuardDuty: {}",
                        text(event, "/detail/title")
                            .or(kind.clone())
                            .unwrap_or_else(|| id.clone())
                    )),
                    description: Some(lines(&[
                        ("Finding", text(event, "/detail/description")),
                        ("Type", kind),
                        ("Account", text(event, "/detail/accountId").or(account)),
                        ("Region", text(event, "/detail/region").or(region)),
                        ("Count", text(event, "/detail/service/count")),
                    ])),
                    signal: signal("guardduty", score.map(|s| format!("{s:.1}")), score),
                    ..Default::default()
                },
                Key {
                    key: id,
                    repeat: Repeat::Occurrence,
                },
            )])
        }
        ("aws.securityhub", "Security Hub Findings - Imported") => {
            let findings = event
                .pointer("/detail/findings")
                .and_then(Value::as_array)
                .ok_or(ShapeError::Missing("/detail/findings"))?;
            findings
                .iter()
                .map(|f| {
                    let id = required(f, "/Id")?;
                    let label = text(f, "/Severity/Label");
                    Ok((
                        ReportInput {
                            title: Some(format!(
                                "Security Hub: {}",
                                text(f, "/Title").unwrap_or_else(|| id.clone())
                            )),
                            description: Some(lines(&[
                                ("Finding", text(f, "/Description")),
                                ("Product", text(f, "/ProductName")),
                                ("Account", text(f, "/AwsAccountId")),
                                ("Region", text(f, "/Region")),
                            ])),
                            signal: signal(
                                "security_hub",
                                label,
                                f.pointer("/Severity/Normalized").and_then(Value::as_f64),
                            ),
                            ..Default::default()
                        },
                        Key {
                            key: id,
                            repeat: Repeat::Occurrence,
                        },
                    ))
                })
                .collect()
        }
        ("aws.cloudwatch", "CloudWatch Alarm State Change") => {
            let name = required(event, "/detail/alarmName")?;
            let now = text(event, "/detail/state/value");
            let before = text(event, "/detail/previousState/value");
            if now.as_deref() != Some("ALARM") || before.as_deref() != Some("OK") {
                return Ok(Vec::new());
            }
            Ok(vec![(
                ReportInput {
                    title: Some(format!("CloudWatch alarm {name} is in ALARM")),
                    description: Some(lines(&[
                        ("Reason", text(event, "/detail/state/reason")),
                        ("Account", account),
                        ("Region", region),
                    ])),
                    signal: signal("cloudwatch", Some("ALARM".into()), None),
                    ..Default::default()
                },
                Key {
                    key: text(event, "/resources/0").unwrap_or(name),
                    repeat: Repeat::Occurrence,
                },
            )])
        }
        _ => Err(ShapeError::NotAFinding {
            sender: source,
            detail_type,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn github_table() {
        let repo = json!({"full_name": "acme/app", "id": 42});
        let cases = [
            (
                "secret_scanning_alert",
                json!({"action": "created", "alert": {"number": 7, "secret_type_display_name": "AWS Access Key", "html_url": "https://github.com/acme/app/security/secret-scanning/7"}, "repository": repo}),
                Some("GitHub secret scanning alert #7: AWS Access Key in acme/app"),
            ),
            (
                "dependabot_alert",
                json!({"action": "created", "alert": {"number": 3, "dependency": {"package": {"name": "lodash", "ecosystem": "npm"}}, "security_advisory": {"severity": "high", "summary": "Prototype pollution", "cvss": {"vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}}}, "repository": repo}),
                Some("Dependabot alert #3: high lodash in acme/app"),
            ),
            (
                "code_scanning_alert",
                json!({"action": "created", "alert": {"number": 1, "rule": {"description": "SQL injection", "security_severity_level": "critical"}}, "repository": repo}),
                Some("Code scanning alert #1: SQL injection in acme/app"),
            ),
            (
                "repository_advisory",
                json!({"action": "reported", "repository_advisory": {"ghsa_id": "GHSA-xxxx-yyyy-zzzz", "summary": "RCE", "severity": "critical"}, "repository": repo}),
                Some("Repository advisory GHSA-xxxx-yyyy-zzzz: RCE"),
            ),
            (
                "dependabot_alert",
                json!({"action": "dismissed", "alert": {"number": 3}, "repository": repo}),
                None,
            ),
            ("push", json!({"action": "created"}), None),
        ];
        for (event, body, want) in cases {
            match (github(event, &body).unwrap(), want) {
                (Normalized::Report(input, key), Some(title)) => {
                    assert_eq!(input.title.as_deref(), Some(title));
                    assert_eq!(key.unwrap().repeat, Repeat::Occurrence);
                    assert!(input.signal.unwrap().kind.starts_with("github:"));
                }
                (Normalized::Ignored(_), None) => {}
                (got, want) => panic!("{event}: got {got:?}, want {want:?}"),
            }
        }
        let missing = github(
            "dependabot_alert",
            &json!({"action": "created", "alert": {}, "repository": repo}),
        );
        assert_eq!(missing.unwrap_err().to_string(), "alert.number is required");
        if let Normalized::Report(input, _) = github("dependabot_alert", &json!({"action": "created", "alert": {"number": 3, "security_advisory": {"severity": "high", "cvss": {"vector_string": "CVSS:3.1/AV:N"}}}})).unwrap() {
            assert_eq!(input.cvss.as_deref(), Some("CVSS:3.1/AV:N"));
            assert_eq!(input.signal.unwrap().severity.as_deref(), Some("high"));
        }
    }

    #[test]
    fn jira_table() {
        let issue = |event: &str, project: &str| json!({"webhookEvent": event, "issue": {"id": "10001", "key": format!("{project}-1"), "self": "https://acme.atlassian.net/rest/api/2/issue/10001", "fields": {"summary": "Token leaked", "project": {"key": project}, "priority": {"name": "Highest"}, "description": {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "found in logs"}]}]}}}});
        let projects = vec!["SEC".to_owned()];
        match jira(&issue("jira:issue_created", "SEC"), &projects).unwrap() {
            Normalized::Report(input, key) => {
                assert_eq!(input.title.as_deref(), Some("SEC-1: Token leaked"));
                assert_eq!(input.description.as_deref(), Some("found in logs"));
                assert_eq!(
                    input.site_url.as_deref(),
                    Some("https://acme.atlassian.net")
                );
                assert_eq!(key.unwrap().key, "issue#10001");
            }
            other => panic!("{other:?}"),
        }
        // A table reads as Markdown's, so a column of passwords is one.
        let cell = |kind: &str, t: &str| json!({"type": kind, "content": [{"type": "paragraph", "content": [{"type": "text", "text": t}]}]});
        let table = json!({"webhookEvent": "jira:issue_created", "issue": {"key": "SEC-9", "fields": {"summary": "shared logins", "project": {"key": "SEC"},
            "description": {"type": "doc", "content": [{"type": "table", "content": [
                {"type": "tableRow", "content": [cell("tableHeader", "host"), cell("tableHeader", "passphrase")]},
                {"type": "tableRow", "content": [cell("tableCell", "kibana"), cell("tableCell", "Pm4%lantern")]},
                {"type": "tableRow", "content": [cell("tableCell", "jenkins"), cell("tableCell", "rotated weekly")]}]}]}}}});
        match jira(&table, &projects).unwrap() {
            Normalized::Report(input, _) => {
                let d = input.description.unwrap_or_default();
                assert!(
                    d.contains("| host | passphrase |\n|---|---|\n| kibana | Pm4%lantern |"),
                    "{d}"
                );
                let stored = crate::domain::redact::redact(&d).text;
                assert!(
                    !stored.contains("Pm4%lantern")
                        && stored.contains("| jenkins | rotated weekly |"),
                    "{stored}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A hard break or a rule is a new line: a label and its value stay
        // apart, and the redactor reads the value after its label.
        let text = |t: &str| json!({"type": "text", "text": t});
        for (content, secret) in [
            (
                json!([text("temporary password"), {"type": "hardBreak"}, text("Kd4#vRt8Lm2")]),
                "Kd4#vRt8Lm2",
            ),
            (
                json!([text("root pw:"), {"type": "hardBreak"}, text("Wz9!cHq3Pn6")]),
                "Wz9!cHq3Pn6",
            ),
        ] {
            let body = json!({"webhookEvent": "jira:issue_created", "issue": {"key": "SEC-3", "fields": {"summary": "creds", "project": {"key": "SEC"},
                "description": {"type": "doc", "content": [{"type": "paragraph", "content": content}]}}}});
            let Normalized::Report(input, _) = jira(&body, &projects).unwrap() else {
                panic!("report");
            };
            let d = input.description.unwrap_or_default();
            assert!(d.contains(&format!("\n{secret}")), "{d}");
            let stored = crate::domain::redact::redact(&d).text;
            assert!(!stored.contains(secret), "{stored}");
        }
        let body = json!({"webhookEvent": "jira:issue_created", "issue": {"key": "SEC-4", "fields": {"summary": "notes", "project": {"key": "SEC"},
            "description": {"type": "doc", "content": [{"type": "paragraph", "content": [text("password reset done"), {"type": "hardBreak"}, text("ticket SEC-41 closed")]}]}}}});
        let Normalized::Report(input, _) = jira(&body, &projects).unwrap() else {
            panic!("report");
        };
        let d = input.description.unwrap_or_default();
        assert_eq!(crate::domain::redact::redact(&d).text, d);
        assert!(matches!(
            jira(&issue("jira:issue_created", "OPS"), &projects).unwrap(),
            Normalized::Ignored(_)
        ));
        assert!(matches!(
            jira(&issue("comment_created", "SEC"), &projects).unwrap(),
            Normalized::Ignored(_)
        ));
        assert_eq!(
            jira(&json!({"issue": {}}), &projects)
                .unwrap_err()
                .to_string(),
            "webhookEvent is required"
        );
    }

    #[test]
    fn aws_findings_table() {
        let gd = json!({"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "account": "123", "region": "us-east-1", "detail": {"id": "f-1", "type": "UnauthorizedAccess:IAMUser/TorIPCaller", "title": "API called from Tor", "severity": 8.0}});
        let out = aws_finding(&gd).unwrap();
        assert_eq!(out[0].0.signal.as_ref().unwrap().score, Some(8.0));
        assert_eq!(out[0].1.key, "f-1");
        let sh = json!({"source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported", "detail": {"findings": [{"Id": "a", "Title": "S3 public", "Severity": {"Label": "HIGH"}}, {"Id": "b", "Title": "Root used", "Severity": {"Label": "CRITICAL"}}]}});
        let out = aws_finding(&sh).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1].0.signal.as_ref().unwrap().severity.as_deref(),
            Some("CRITICAL")
        );
        let cw = |before: &str, now: &str| json!({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", "resources": ["arn:alarm"], "detail": {"alarmName": "root-login", "state": {"value": now, "reason": "threshold"}, "previousState": {"value": before}}});
        assert_eq!(aws_finding(&cw("OK", "ALARM")).unwrap().len(), 1);
        assert!(aws_finding(&cw("ALARM", "OK")).unwrap().is_empty());
        assert!(
            aws_finding(&cw("INSUFFICIENT_DATA", "ALARM"))
                .unwrap()
                .is_empty()
        );
        assert!(aws_finding(&json!({"source": "aws.ec2", "detail-type": "x"})).is_err());
        assert!(aws_finding(&json!({"source": "aws.guardduty", "detail-type": "GuardDuty Finding", "detail": {}})).is_err());
    }

    /// A sender's long title is cut after it is redacted, and kept whole
    /// in the description; a nested secret in PagerDuty details is read as
    /// `key: value`, where the redactor finds it.
    #[test]
    fn long_titles_and_nested_details_are_redacted_whole() {
        let token = format!("ghp_{}", "a1B2c3D4e5".repeat(4));
        let cases = [
            // The token crosses the 200-character cut.
            format!("{} {token}", "x".repeat(190)),
            format!("Token {token} leaked {}", "y".repeat(250)),
        ];
        for summary in cases {
            let body = json!({"event_action": "trigger", "payload": {"summary": summary, "source": "ci", "severity": "error"}});
            let Ok(Pagerduty::Trigger { input, .. }) = pagerduty(&body) else {
                panic!("a long summary is a trigger all the same");
            };
            let title = input.title.clone().unwrap_or_default();
            assert!(
                title.chars().count() <= crate::domain::report::MAX_TITLE,
                "{title}"
            );
            assert!(!title.contains("ghp_"), "{title}");
            let description = input.description.clone().unwrap_or_default();
            assert!(!description.contains("a1B2c3D4e5a1B2"), "{description}");
            assert!(description.starts_with("Title: "), "{description}");
        }
        let jira_long = json!({"webhookEvent": "jira:issue_created", "issue": {"id": "1", "key": "SEC-9", "fields": {"summary": "s".repeat(250), "project": {"key": "SEC"}}}});
        match jira(&jira_long, &["SEC".to_owned()]).unwrap() {
            Normalized::Report(input, _) => {
                assert_eq!(
                    input.title.unwrap().chars().count(),
                    crate::domain::report::MAX_TITLE
                );
            }
            other => panic!("a 250-character Jira summary is an alert: {other:?}"),
        }
        let nested = json!({"event_action": "trigger", "payload": {"summary": "db login failing", "source": "db", "severity": "error",
            "custom_details": {"db": {"host": "db-1", "password": "Hunter2-Tr0ub4dor"}, "attempts": 3, "tags": ["a", "b"]}}});
        let Ok(Pagerduty::Trigger { input, .. }) = pagerduty(&nested) else {
            panic!("trigger");
        };
        let d = input.description.unwrap_or_default();
        assert!(
            d.contains("db.host: db-1") && d.contains("attempts: 3") && d.contains("tags.1: b"),
            "{d}"
        );
        assert!(!d.contains("Hunter2-Tr0ub4dor"), "{d}");
        let stored = crate::domain::Report::parse(ReportInput {
            description: Some(d),
            ..*input
        })
        .expect("valid");
        assert!(
            !stored.description.contains("Hunter2-Tr0ub4dor"),
            "{}",
            stored.description.as_str()
        );
    }

    /// A password where an id or a name goes (a GHSA id, a PagerDuty
    /// source) is concealed, and a GHSA id's key holds a digest of it;
    /// real ids and host names are kept.
    #[test]
    fn ids_holding_a_password_are_concealed() {
        let advisory = |id: &str| json!({"action": "published", "repository_advisory": {"ghsa_id": id, "summary": "s", "severity": "high"}, "repository": {"full_name": "acme/app", "id": 1}});
        for (id, kept) in [("Zq2Z3W6hnL5^", false), ("GHSA-xxxx-yyyy-zzzz", true)] {
            let Ok(Normalized::Report(input, key)) = github("repository_advisory", &advisory(id))
            else {
                panic!("report");
            };
            let title = input.title.unwrap_or_default();
            let key = key.map(|k| k.key).unwrap_or_default();
            assert_eq!(title.contains(id), kept, "{title}");
            assert_eq!(key.contains(id), kept, "{key}");
        }
        let trigger = |source: &str| json!({"event_action": "trigger", "payload": {"summary": "s", "source": source, "severity": "error"}});
        for (source, kept) in [
            ("KtllOP4yv0A#", false),
            ("db-1.prod.acme.io:5432", true),
            ("ci", true),
        ] {
            let Ok(Pagerduty::Trigger { input, .. }) = pagerduty(&trigger(source)) else {
                panic!("trigger");
            };
            let d = input.description.unwrap_or_default();
            assert_eq!(d.contains(source), kept, "{d}");
        }
    }

    /// A credential nested under its key (an array, a `value` leaf, a
    /// Kubernetes env entry) is concealed however short or plain; keys that
    /// only mention one (`secret_type`) keep their values.
    #[test]
    fn credentials_under_their_keys_are_concealed() {
        let cases = [
            (
                json!({"db_password": ["Plain-pw-9"]}),
                "Plain-pw-9",
                "db_password.0: ",
            ),
            (
                json!({"password": {"value": "hunter2"}}),
                "hunter2",
                "password.value: ",
            ),
            (
                json!({"credentials": {"admin": "letmein-now"}}),
                "letmein-now",
                "credentials.admin: ",
            ),
            (
                json!({"env": [{"name": "DB_PASSWORD", "value": "s3cr3t-v4lue"}]}),
                "s3cr3t-v4lue",
                "env.0.DB_PASSWORD: ",
            ),
            (
                json!({"stripeApiKey": "short1"}),
                "short1",
                "stripeApiKey: ",
            ),
            (
                json!({"environmentVariables": [{"name": "DB_PASSWORD", "value": "cb-v4lue-9", "type": "PLAINTEXT"}]}),
                "cb-v4lue-9",
                "environmentVariables.0.DB_PASSWORD: ",
            ),
            (
                json!({"env": [{"Name": "SMTP_PASS", "Value": "Ecs-v4lue"}]}),
                "Ecs-v4lue",
                "env.0.SMTP_PASS: ",
            ),
            (
                json!({"Parameters": [{"ParameterKey": "DbPassword", "ParameterValue": "cfn-v4lue"}]}),
                "cfn-v4lue",
                "Parameters.0.DbPassword: ",
            ),
            (json!({"db_pwd": ["pwd-v4lue"]}), "pwd-v4lue", "db_pwd.0: "),
            (
                json!({"ldap_bind_pw": "bind-v4lue"}),
                "bind-v4lue",
                "ldap_bind_pw: ",
            ),
            (
                json!({"smtp_pass": {"value": "smtp-v4lue"}}),
                "smtp-v4lue",
                "smtp_pass.value: ",
            ),
            (
                json!({"vars": [["DB_PASSWORD", "pair-v4lue"]]}),
                "pair-v4lue",
                "vars.0.DB_PASSWORD: ",
            ),
            // Camel case names a credential as `_` does; a cookie jar and a
            // `Cookie` header entry hold sessions.
            (
                json!({"app": {"reportDbPass": "Lq7-ramble"}}),
                "Lq7-ramble",
                "app.reportDbPass: ",
            ),
            (
                json!({"env": [{"name": "ldapBindPw", "value": "Ox3=tundra"}]}),
                "Ox3=tundra",
                "env.0.ldapBindPw: ",
            ),
            (
                json!({"vars": [["smtpRelayPwd", "Vy8+quartz"]]}),
                "Vy8+quartz",
                "vars.0.smtpRelayPwd: ",
            ),
            (
                json!({"req": {"cookies": {"PHPSESSID": "r2v9n0c4t7e1q8w3"}}}),
                "r2v9n0c4t7e1q8w3",
                "req.cookies.PHPSESSID: ",
            ),
            (
                json!({"headers": [{"name": "Cookie", "value": "connect.sid=s%3AhT5bW2"}, {"name": "Accept", "value": "text/html"}]}),
                "hT5bW2",
                "headers.0.Cookie: ",
            ),
            (
                json!({"job": {"deployCreds": "ci-bot:Wx5&sprocket"}}),
                "sprocket",
                "job.deployCreds: ",
            ),
            // Other secrets' names: a master key, codes that let one in, a
            // seed phrase; and, when the value has a password's shape, a
            // login or a session id.
            (
                json!({"config": {"masterKey": "plainmaster"}}),
                "plainmaster",
                "config.masterKey: ",
            ),
            (
                json!({"config": {"access_code": "481516"}}),
                "481516",
                "config.access_code: ",
            ),
            (
                json!({"config": {"recovery_codes": "k2p9-x7q3"}}),
                "k2p9-x7q3",
                "config.recovery_codes: ",
            ),
            (
                json!({"wallet": {"seed_phrase": "abandon ability able"}}),
                "abandon ability able",
                "wallet.seed_phrase: ",
            ),
            (
                json!({"config": {"login": "Hq7!mTz3Wk9e"}}),
                "Hq7!mTz3Wk9e",
                "config.login: ",
            ),
            (
                json!({"req": {"sid": "Rv5$nQ8xLp2c"}}),
                "Rv5$nQ8xLp2c",
                "req.sid: ",
            ),
            // A table after a field's name on its first line.
            (
                json!({"runbook": "| user | pass | notes |\n|---|---|---|\n| admin | Ty6*pLm3Qz8 | x |"}),
                "Ty6*pLm3Qz8",
                "| admin | ",
            ),
            // A command line as a list: one line, the flag beside its value.
            (
                json!({"cmdline": ["sshpass", "-p", "Gh6!jK9lZx", "ssh", "ops@10.0.0.9"]}),
                "Gh6!jK9lZx",
                "cmdline: sshpass -p ",
            ),
            (
                json!({"proc": {"argv": ["mysqldump", "-u", "backup", "-p", "Qe4!rT7yUi", "shop"]}}),
                "Qe4!rT7yUi",
                "proc.argv: mysqldump -u backup -p ",
            ),
            (
                json!({"env": {"SSHPASS": "plainword"}}),
                "plainword",
                "env.SSHPASS: ",
            ),
            (
                json!({"wifi": {"wpa_psk": "lowerpsk"}}),
                "lowerpsk",
                "wifi.wpa_psk: ",
            ),
            // A generated password's resource: its `result` is the password.
            (
                json!({"resource": "random_password.admin", "attributes": {"result": "plainres", "length": 12}}),
                "plainres",
                "attributes.result: ",
            ),
            (
                json!({"type": "random_string", "instances": [{"attributes": {"result": "genvalue"}}]}),
                "genvalue",
                "instances.0.attributes.result: ",
            ),
        ];
        for (details, secret, kept) in cases {
            let body = json!({"event_action": "trigger", "payload": {"summary": "db login failing", "source": "db", "severity": "error", "custom_details": details}});
            let Ok(Pagerduty::Trigger { input, .. }) = pagerduty(&body) else {
                panic!("trigger");
            };
            let d = input.description.unwrap_or_default();
            // As stored: the description is redacted then.
            let stored = crate::domain::redact::redact(&d).text;
            assert!(
                !stored.contains(secret) && stored.contains(kept),
                "{secret}: {stored}"
            );
        }
        let plain = json!({"event_action": "trigger", "payload": {"summary": "s", "source": "db", "severity": "error",
            "custom_details": {"secret_type": "aws_access_key", "secretType": "pat", "tokenCount": 4, "bypassMode": "strict",
                "compassHeading": "north", "token_count": 3, "env": [{"name": "REGION", "value": "eu-west-1"}],
                "login": "alice", "sid": "S-1-5-21-3623811015-3361044348-30300820-1013", "status_code": "403",
                "country_code": "GB", "primaryKey": "order_id",
                "job": {"result": "success"}, "tags": ["db", "prod"], "args": ["--verbose", "--dry-run"]}}});
        let Ok(Pagerduty::Trigger { input, .. }) = pagerduty(&plain) else {
            panic!("trigger");
        };
        let d = input.description.unwrap_or_default();
        assert!(
            d.contains("secret_type: aws_access_key")
                && d.contains("secretType: pat")
                && d.contains("tokenCount: 4")
                && d.contains("bypassMode: strict")
                && d.contains("compassHeading: north")
                && d.contains("login: alice")
                && d.contains("sid: S-1-5-21-3623811015-3361044348-30300820-1013")
                && d.contains("status_code: 403")
                && d.contains("country_code: GB")
                && d.contains("primaryKey: order_id")
                && d.contains("token_count: 3")
                && d.contains("env.0.name: REGION")
                && d.contains("job.result: success")
                && d.contains("tags.0: db")
                && d.contains("args: --verbose --dry-run"),
            "{d}"
        );
    }

    #[test]
    fn pagerduty_events_table() {
        let trigger = |extra: Value| {
            let mut v = json!({"event_action": "trigger", "payload": {"summary": "Disk\nfull", "source": "db-1", "severity": "critical"}});
            if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
                m.extend(e);
            }
            v
        };
        let refused: &[(Value, &str)] = &[
            (
                json!({"event_action": "trigger", "dedup_key": 7}),
                "dedup_key must be a string",
            ),
            (
                json!({"event_action": "trigger", "payload": {"class": 1}}),
                "payload.class must be a string",
            ),
            (
                json!({"event_action": "trigger", "dedup_key": "k".repeat(256)}),
                "dedup_key must be at most 255 characters",
            ),
            (
                json!({"event_action": "trigger", "payload": {"source": "x", "severity": "info"}}),
                "payload.summary is required",
            ),
            (
                json!({"event_action": "trigger", "payload": {"summary": "x", "severity": "info"}}),
                "payload.source is required",
            ),
            (
                json!({"event_action": "trigger", "payload": {"summary": "x", "source": "y", "severity": "high"}}),
                "payload.severity must be one of critical, error, warning, info",
            ),
            (
                json!({"event_action": "resolve"}),
                "dedup_key is required to resolve",
            ),
            (
                json!({"event_action": "snooze", "dedup_key": "k"}),
                "event_action must be trigger, acknowledge or resolve",
            ),
        ];
        for (event, message) in refused {
            assert_eq!(
                pagerduty(event).expect_err("refused").to_string(),
                *message,
                "{event}"
            );
        }
        match pagerduty(&trigger(json!({"dedup_key": " k1 "}))).expect("trigger") {
            Pagerduty::Trigger { input, dedup_key } => {
                assert_eq!(dedup_key.as_deref(), Some("k1"));
                assert_eq!(input.title.as_deref(), Some("Disk full"));
                assert_eq!(input.description.as_deref(), Some("Source: db-1"));
                assert_eq!(
                    input.signal.expect("signal").severity.as_deref(),
                    Some("critical")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            pagerduty(&trigger(json!({}))).expect("trigger"),
            Pagerduty::Trigger {
                dedup_key: None,
                ..
            }
        ));
        assert!(matches!(
            pagerduty(&json!({"event_action": "acknowledge", "dedup_key": "k"})).expect("ack"),
            Pagerduty::Acknowledge { dedup_key } if dedup_key == "k"
        ));
    }
}

/// The attack pass's confirmed leaks, replayed through the redactor (and,
/// for PagerDuty events, the flattening first): which still leak. Run with
/// `KLAXON_LEAKS=<leaks.jsonl> cargo test -p klaxon-core --lib replay_leaks -- --ignored --nocapture`.
#[cfg(test)]
mod replay {
    use super::*;
    use crate::domain::redact::redact;

    fn stored(surface: &str, input: &str) -> Vec<String> {
        // A form is decoded before its fields are redacted, as the server does.
        if surface.contains("(form)") {
            let raw = serde_json::from_str::<String>(input).unwrap_or_else(|_| input.to_owned());
            return form_urlencoded::parse(raw.as_bytes())
                .map(|(_, v)| redact(&v).text.into_owned())
                .collect();
        }
        // A report's text may itself be JSON (a JWK, Terraform state): a
        // body is the one with the report's fields.
        let body = serde_json::from_str::<Value>(input).ok().filter(|b| {
            !surface.contains("/reports")
                || b.get("title").is_some()
                || b.get("description").is_some()
        });
        let Some(body) = body else {
            return vec![redact(input).text.into_owned()];
        };
        // A report's fields as the form stores them, each after the one before.
        if surface.contains("/reports")
            && let Ok(Ok(r)) = report_object(&body).map(crate::domain::Report::parse)
        {
            return [
                Some(r.title),
                Some(r.description),
                r.steps_to_reproduce,
                r.impact,
            ]
            .into_iter()
            .flatten()
            .map(|t| t.into_string())
            .collect();
        }
        if surface.contains("jira") {
            return match jira(&body, &["SEC".to_owned()]) {
                Ok(Normalized::Report(input, _)) => [input.title, input.description]
                    .into_iter()
                    .flatten()
                    .map(|t| redact(&t).text.into_owned())
                    .collect(),
                _ => vec![input.to_owned()],
            };
        }
        if surface.contains("enqueue") {
            return match pagerduty(&body) {
                Ok(Pagerduty::Trigger { input, .. }) => [input.title, input.description]
                    .into_iter()
                    .flatten()
                    .map(|t| redact(&t).text.into_owned())
                    .collect(),
                _ => vec![input.to_owned()],
            };
        }
        // Every text a surface stores is one string of the body.
        fn leaves(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) => out.push(redact(s).text.into_owned()),
                Value::Array(a) => a.iter().for_each(|v| leaves(v, out)),
                Value::Object(m) => m.values().for_each(|v| leaves(v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        leaves(&body, &mut out);
        out
    }

    #[test]
    #[ignore = "needs KLAXON_LEAKS"]
    fn replay_leaks() {
        let Ok(path) = std::env::var("KLAXON_LEAKS") else {
            return;
        };
        let text = std::fs::read_to_string(path).expect("leaks file");
        let (mut total, mut leaked) = (0, Vec::new());
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: Value = serde_json::from_str(line).expect("json line");
            let get = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default();
            total += 1;
            if stored(get("surface"), get("input_fragment"))
                .iter()
                .any(|t| t.contains(get("secret")))
            {
                leaked.push(get("id").to_owned());
            }
        }
        println!("replay: {} of {total} still leak", leaked.len());
        for id in &leaked {
            println!("  {id}");
        }
    }

    /// Every line of the files in `KLAXON_PROSE` (space-separated paths):
    /// the ones the redactor changes, to read by eye.
    #[test]
    #[ignore = "needs KLAXON_PROSE"]
    fn replay_prose() {
        let Ok(paths) = std::env::var("KLAXON_PROSE") else {
            return;
        };
        for path in paths.split_whitespace() {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            for line in text.lines() {
                let out = redact(line);
                if !out.kinds.is_empty() {
                    println!("{path}: {line}\n    -> {}", out.text);
                }
            }
        }
    }

    /// The attack pass's over-redactions (`KLAXON_OVERRED=<overred.jsonl>`):
    /// which ordinary texts the redactor still changes.
    #[test]
    #[ignore = "needs KLAXON_OVERRED"]
    fn replay_overred() {
        let Ok(path) = std::env::var("KLAXON_OVERRED") else {
            return;
        };
        let text = std::fs::read_to_string(path).expect("overred file");
        let (mut total, mut changed) = (0, Vec::new());
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: Value = serde_json::from_str(line).expect("json line");
            let get = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default();
            total += 1;
            // Pass 4 names the text "input", pass 5 "text".
            let input = row.get("input").or_else(|| row.get("text"));
            let out = redact(input.and_then(Value::as_str).unwrap_or_default());
            if !out.kinds.is_empty() {
                changed.push(format!("{}: {}", get("id"), out.text));
            }
        }
        println!("overred: {} of {total} still changed", changed.len());
        for c in &changed {
            println!("  {c}");
        }
    }
}
