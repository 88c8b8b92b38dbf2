//! Each write route's body, parsed once into a command. `parse` checks what
//! the OpenAPI description promises of the body as sent (a JSON object, each
//! field's `maxLength` counted before trimming, the enums) and redacts free
//! text, so a handler reads authorize -> parse -> call -> render. The rules
//! that need the incident (a required text, a waived task's reason) stay in
//! the domain, which checks the redacted, trimmed text.

use crate::app::listing::ListCursor;
use crate::domain::Role;
use crate::domain::oncall::{
    Person, PersonId, PersonInput, RosterError, Schedule, ScheduleId, ScheduleInput,
};
use crate::domain::report::MAX_TITLE;
use crate::domain::{
    Basis, DeadlineKind, DrillScenario, EvidenceInput, Field, IncidentClass, IncidentRole,
    MAX_TEXT, Severity, Status, StatusFields, TaskState, UnknownBasis, UnknownDeadline,
    UnknownRole, UnknownSeverity, UnknownStatus,
};
use crate::http::{ApiError, MAX_BODY, media_type, starts_object};
use crate::ports::IncidentQuery;
use bytes::Bytes;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use http::Request;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Why a body was refused. Each names the field and the rule, never the
/// value; [`ApiError`] picks the status and code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("send the body as application/json")]
    NotJson,
    #[error("the body is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("send a JSON object: {0}")]
    NotAnObject(&'static str),
    #[error("send {example}: {detail}")]
    Malformed {
        example: &'static str,
        detail: String,
    },
    /// Longer than the schema's `maxLength`, as sent or once redacted.
    #[error("{} must be at most {max} characters", field.as_str())]
    TooLong { field: Field, max: usize },
    /// A field outside its enum or otherwise unusable; the message says why.
    #[error("{message}")]
    Invalid { field: Field, message: String },
    /// The value is kept for the caller's own use, not shown: it may be anything.
    #[error("{name} must be an RFC 3339 time (2026-11-23T09:30:00Z) or a date (2026-11-23)")]
    Time { name: &'static str, value: String },
    /// The path's task is not a task number; what was sent is not repeated.
    #[error("task not found")]
    NoSuchTask(String),
    /// A roster field (a person, a schedule, an override) refused: the
    /// field's path and the rule, never the value (it may be a phone number).
    #[error(transparent)]
    Roster(#[from] RosterError),
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        let code = match &e {
            CommandError::NotJson => return Self::UnsupportedMediaType("application/json"),
            CommandError::TooLarge => return Self::PayloadTooLarge(MAX_BODY),
            CommandError::NoSuchTask(_) => return Self::NotFound(e.to_string()),
            CommandError::NotAnObject(_) | CommandError::Malformed { .. } => "malformed_json",
            CommandError::TooLong { field, .. } | CommandError::Invalid { field, .. } => {
                super::errors::invalid_code(*field)
            }
            CommandError::Time { .. } => "invalid_time",
            CommandError::Roster(r) => super::errors::roster_code(&r.field),
        };
        Self::BadRequest {
            code,
            message: e.to_string(),
        }
    }
}

fn invalid(field: Field, message: impl Into<String>) -> CommandError {
    CommandError::Invalid {
        field,
        message: message.into(),
    }
}

/// Where a write's fields come from: the API's JSON body, or the
/// console's form. Either way the same `parse` reads them, so the rules
/// are said once.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Json(&'a Request<Bytes>),
    Form(&'a Form),
}

impl<'a> From<&'a Request<Bytes>> for Source<'a> {
    fn from(req: &'a Request<Bytes>) -> Self {
        Self::Json(req)
    }
}

impl<'a> From<&'a Form> for Source<'a> {
    fn from(form: &'a Form) -> Self {
        Self::Form(form)
    }
}

/// A form's fields as the JSON object a client of the API would send. A
/// field left empty is one not given, as an unfilled input means; every
/// value is a string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(serde_json::Map<String, serde_json::Value>);

impl Form {
    /// The fields of an `application/x-www-form-urlencoded` body, less
    /// those named in `skip` (the console's own, such as its CSRF token).
    pub fn parse(body: &[u8], skip: &[&str]) -> Self {
        let mut map = serde_json::Map::new();
        for (k, v) in form_urlencoded::parse(body) {
            if skip.contains(&k.as_ref()) || v.trim().is_empty() {
                continue;
            }
            map.insert(k.into_owned(), serde_json::Value::String(v.into_owned()));
        }
        Self(map)
    }

    /// A form of these fields, as a browser would send them.
    pub fn of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.extend_pairs(pairs);
        Self::parse(body.finish().as_bytes(), &[])
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.as_str())
    }
}

/// The body as the wire type `T`: a JSON object within the size limit, or
/// a form's fields. A form's missing field is that field's refusal.
fn json_body<'a, T: DeserializeOwned>(
    src: impl Into<Source<'a>>,
    example: &'static str,
) -> Result<T, CommandError> {
    let req = match src.into() {
        Source::Json(req) => req,
        // As bytes, through the same `from_slice` as a JSON body: one
        // deserializer per command in the binary, not two.
        Source::Form(form) => {
            let body = serde_json::to_vec(&form.0).unwrap_or_default();
            return serde_json::from_slice(&body).map_err(|e| {
                let detail = e.to_string();
                match missing_field(&detail) {
                    Some(field) => invalid(field, format!("{} is required", field.as_str())),
                    None => CommandError::Malformed { example, detail },
                }
            });
        }
    };
    if media_type(req) != "application/json" {
        return Err(CommandError::NotJson);
    }
    if req.body().len() > MAX_BODY {
        return Err(CommandError::TooLarge);
    }
    // serde reads a struct from a JSON array too (`["SEV-2", "why"]`); the
    // API takes objects only.
    if !starts_object(req.body()) {
        return Err(CommandError::NotAnObject(example));
    }
    serde_json::from_slice(req.body()).map_err(|e| CommandError::Malformed {
        example,
        detail: e.to_string(),
    })
}

/// The field serde's "missing field `x`" names, if it is one the API knows.
fn missing_field(detail: &str) -> Option<Field> {
    let name = detail.strip_prefix("missing field `")?.split('`').next()?;
    Field::from_name(name)
}

/// Free text from a caller, redacted before it is stored or logged.
pub(crate) fn clean(s: &str) -> String {
    crate::domain::redact::redact(s).text.into_owned()
}

/// Free text within the schema's `maxLength` as sent (surrounding
/// whitespace included), redacted. The domain then checks it trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub fn parse(field: Field, raw: &str, max: usize) -> Result<Self, CommandError> {
        if raw.chars().count() > max {
            return Err(CommandError::TooLong { field, max });
        }
        Ok(Self(clean(raw)))
    }

    fn parse_opt(
        field: Field,
        raw: Option<&str>,
        max: usize,
    ) -> Result<Option<Self>, CommandError> {
        raw.map(|r| Self::parse(field, r, max)).transpose()
    }

    /// A person's name shown on one line (who holds a role, owns a task or
    /// collected evidence): [`Text`], and no control or text-direction
    /// characters, which could show it as another name. (An evidence name
    /// may hold anything; the manifest writes it as one escaped line.)
    fn one_line(field: Field, raw: &str, max: usize) -> Result<Self, CommandError> {
        if !crate::domain::plain::is_one_line(raw.trim()) {
            return Err(CommandError::Invalid {
                field,
                message: format!(
                    "{} must be one line of plain text: no control, line-separator or text-direction characters",
                    field.as_str()
                ),
            });
        }
        Self::parse(field, raw, max)
    }

    fn one_line_opt(
        field: Field,
        raw: Option<&str>,
        max: usize,
    ) -> Result<Option<Self>, CommandError> {
        raw.map(|r| Self::one_line(field, r, max)).transpose()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A short note (at most [`MAX_TEXT`] characters), trimmed and redacted,
/// and still within the limit once redacted; empty when none was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(String);

impl Note {
    pub fn parse(field: Field, raw: &str) -> Result<Self, CommandError> {
        let max = MAX_TEXT;
        if raw.chars().count() > max {
            return Err(CommandError::TooLong { field, max });
        }
        let note = clean(raw.trim());
        if note.chars().count() > max {
            return Err(CommandError::TooLong { field, max });
        }
        Ok(Self(note))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A time as the API takes it: RFC 3339, or a date meaning its midnight UTC,
/// in the years 0001 to 9999. chrono's dates also take signed and longer
/// years, which would not compare as the stored RFC 3339 text does.
pub(crate) fn time_param(name: &'static str, v: &str) -> Result<DateTime<Utc>, CommandError> {
    let t = DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| Utc.from_utc_datetime(&t))
        })
        .filter(|t| (1..=9999).contains(&t.year()));
    t.ok_or_else(|| CommandError::Time {
        name,
        value: v.to_owned(),
    })
}

/// `GET /api/v1/incidents`'s query: the filters, the page size and the
/// cursor; the console's list reads the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListIncidents {
    pub query: IncidentQuery,
    pub tenant: Option<String>,
    /// Where the open-first listing continues.
    pub cursor: Option<ListCursor>,
}

impl ListIncidents {
    pub fn parse(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self, ApiError> {
        use super::errors::bad;
        let mut q = IncidentQuery::default();
        let mut tenant = None;
        let mut cursor = None;
        for (k, v) in pairs {
            match k.as_str() {
                "status" => {
                    q.status = Some(
                        v.parse()
                            .map_err(|e: UnknownStatus| bad("invalid_status", e.to_string()))?,
                    )
                }
                "severity" => {
                    q.severity = Some(
                        v.parse()
                            .map_err(|e: UnknownSeverity| bad("invalid_severity", e.to_string()))?,
                    )
                }
                "tenant" => tenant = Some(v),
                "drill" => {
                    q.drill = Some(match v.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad("invalid_drill", "drill must be true or false")),
                    })
                }
                "from" => q.from = Some(time_param("from", &v)?),
                "to" => q.to = Some(time_param("to", &v)?),
                "limit" => {
                    q.limit = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=200).contains(n))
                        .ok_or_else(|| {
                            bad("invalid_limit", "limit must be a number from 1 to 200")
                        })?
                }
                "cursor" => {
                    cursor = Some(ListCursor::decode(&v).ok_or_else(|| {
                        bad(
                            "invalid_cursor",
                            "cursor is not one this API gave out; start again without it",
                        )
                    })?)
                }
                other => {
                    return Err(bad(
                        "invalid_parameter",
                        format!(
                            "unknown parameter {other:?}: use status, severity, tenant, drill, from, to, limit or cursor"
                        ),
                    ));
                }
            }
        }
        Ok(Self {
            query: q,
            tenant,
            cursor,
        })
    }
}

fn severity(raw: &str) -> Result<Severity, CommandError> {
    raw.parse()
        .map_err(|e: UnknownSeverity| invalid(Field::Severity, e.to_string()))
}

/// `POST .../severity`: a commander's severity, with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideSeverity {
    pub severity: Severity,
    pub reason: Note,
}

impl OverrideSeverity {
    /// The least role that may send it.
    pub const NEED: Role = Role::Commander;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            severity: String,
            reason: String,
        }
        let body: Body = json_body(req, "{\"severity\": \"SEV-2\", \"reason\": \"...\"}")?;
        let severity = severity(&body.severity)?;
        let required = || {
            invalid(
                Field::Reason,
                "reason is required (at most 2000 characters)",
            )
        };
        let reason = match Note::parse(Field::Reason, &body.reason) {
            // Too long as sent is the schema's rule; once redacted, this one.
            Ok(r) if r.as_str().is_empty() => return Err(required()),
            Err(CommandError::TooLong { .. }) if body.reason.chars().count() <= MAX_TEXT => {
                return Err(required());
            }
            r => r?,
        };
        Ok(Self { severity, reason })
    }
}

/// `POST .../ack`: the body is optional; `{"note": "..."}` goes on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledge {
    pub note: Note,
}

impl Acknowledge {
    /// The least role that may send it.
    pub const NEED: Role = Role::Responder;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            #[serde(default)]
            note: String,
        }
        let src: Source = req.into();
        if let Source::Json(req) = src
            && req.body().iter().all(u8::is_ascii_whitespace)
        {
            return Ok(Self {
                note: Note(String::new()),
            });
        }
        let body: Body = json_body(src, "{\"note\": \"on it\"} or no body")?;
        Ok(Self {
            note: Note::parse(Field::Note, &body.note)?,
        })
    }
}

/// `POST .../obligations`: an obligation met, its reference folded into the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordObligation {
    pub kind: DeadlineKind,
    /// `reference <r>; <note>`, redacted.
    pub note: String,
    pub at: Option<DateTime<Utc>>,
}

/// The longest obligation reference.
const MAX_REFERENCE: usize = 200;

impl RecordObligation {
    /// The least role that may send it.
    pub const NEED: Role = Role::Responder;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            kind: String,
            #[serde(default)]
            note: String,
            /// The ticket, message id or release: `ECOHELP-1234`, `v0.4.2-patch1`.
            #[serde(default)]
            reference: Option<String>,
            /// When it was met, if not now (RFC 3339, not in the future).
            #[serde(default)]
            at: Option<DateTime<Utc>>,
        }
        let body: Body = json_body(
            req,
            "{\"kind\": \"atlassian_report\", \"reference\": \"ECOHELP-1234\", \"note\": \"...\"}",
        )?;
        let kind: DeadlineKind = body
            .kind
            .parse()
            .map_err(|e: UnknownDeadline| invalid(Field::Kind, e.to_string()))?;
        if matches!(
            kind,
            DeadlineKind::Acknowledge | DeadlineKind::ResponseTarget
        ) {
            return Err(invalid(
                Field::Kind,
                format!("{kind} is met by acknowledging: POST /api/v1/incidents/{{id}}/ack"),
            ));
        }
        if let Some(r) = &body.reference
            && r.chars().count() > MAX_REFERENCE
        {
            return Err(CommandError::TooLong {
                field: Field::Reference,
                max: MAX_REFERENCE,
            });
        }
        let mut note = Note::parse(Field::Note, &body.note)?.0;
        if let Some(r) = body
            .reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            let r = Note::parse(Field::Note, r)?.0;
            if r.chars().count() > MAX_REFERENCE {
                return Err(CommandError::TooLong {
                    field: Field::Reference,
                    max: MAX_REFERENCE,
                });
            }
            note = if note.is_empty() {
                format!("reference {r}")
            } else {
                format!("reference {r}; {note}")
            };
        }
        Ok(Self {
            kind,
            note,
            at: body.at,
        })
    }
}

/// `POST .../status`: a lifecycle step a person takes, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetStatus {
    pub to: Status,
    /// Redacted.
    pub fields: StatusFields,
}

impl SetStatus {
    /// The least role that may send it.
    pub const NEED: Role = Role::Commander;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            status: String,
            #[serde(flatten)]
            fields: StatusFields,
        }
        let body: Body = json_body(
            req,
            "{\"status\": \"contained\", \"containment\": \"revoked the token\"}",
        )?;
        let text = |field, v: &Option<String>| {
            Text::parse_opt(field, v.as_deref(), MAX_TEXT).map(|t| t.map(Text::into_string))
        };
        // Each is checked whether or not this step uses it.
        let containment = text(Field::Containment, &body.fields.containment)?;
        let root_cause = text(Field::RootCause, &body.fields.root_cause)?;
        let rationale = text(Field::Rationale, &body.fields.rationale)?;
        let to: Status = body
            .status
            .parse()
            .map_err(|e: UnknownStatus| invalid(Field::Status, e.to_string()))?;
        if matches!(
            to,
            Status::Reported | Status::Triaged | Status::Acknowledged
        ) {
            return Err(invalid(
                Field::Status,
                format!("{to} is set by Klaxon (intake, triage, acknowledging), not by hand"),
            ));
        }
        Ok(Self {
            to,
            fields: StatusFields {
                containment,
                root_cause,
                rationale,
            },
        })
    }
}

/// The longest person's name in a role.
const MAX_PERSON: usize = 200;

/// `POST .../roles`: a role and who holds it (`None` empties it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignRole {
    pub role: IncidentRole,
    pub person: Option<Text>,
}

impl AssignRole {
    /// The least role that may send it.
    pub const NEED: Role = Role::Commander;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            role: String,
            /// `null` leaves the role empty.
            person: Option<String>,
        }
        let body: Body = json_body(
            req,
            "{\"role\": \"incident_commander\", \"person\": \"alice\"}",
        )?;
        let role = body
            .role
            .parse()
            .map_err(|e: UnknownRole| invalid(Field::Role, e.to_string()))?;
        let person = Text::one_line_opt(Field::Person, body.person.as_deref(), MAX_PERSON)?;
        Ok(Self { role, person })
    }
}

/// `POST .../notes`: a fact or a hypothesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddNote {
    pub basis: Basis,
    pub text: Text,
}

impl AddNote {
    /// The least role that may send it.
    pub const NEED: Role = Role::Responder;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            kind: String,
            text: String,
        }
        let body: Body = json_body(
            req,
            "{\"kind\": \"fact\", \"text\": \"the token was used from 203.0.113.7\"}",
        )?;
        let basis = body
            .kind
            .parse()
            .map_err(|e: UnknownBasis| invalid(Field::Kind, e.to_string()))?;
        let text = Text::parse(Field::Text, &body.text, MAX_TEXT)?;
        Ok(Self { basis, text })
    }
}

/// `POST .../evidence`: a reference to evidence kept elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddEvidence(pub EvidenceInput);

impl AddEvidence {
    /// The least role that may send it.
    pub const NEED: Role = Role::Responder;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        let mut input: EvidenceInput = json_body(
            req,
            "{\"name\": \"cloudtrail.json.gz\", \"location\": \"s3://ir-evidence/...\", \"sha256\": \"<64 hex>\"}",
        )?;
        let name = Text::parse(Field::Name, &input.name, MAX_TEXT)?;
        let location = Text::parse(Field::Location, &input.location, MAX_TEXT)?;
        let by = Text::one_line_opt(Field::CollectedBy, input.collected_by.as_deref(), MAX_TEXT)?;
        input.name = name.into_string();
        input.location = location.into_string();
        input.collected_by = by.map(Text::into_string);
        Ok(Self(input))
    }
}

/// `POST .../tasks`: a follow-up (corrective) action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddTask {
    pub text: Text,
    pub owner: Option<Text>,
    pub due: Option<DateTime<Utc>>,
}

impl AddTask {
    /// The least role that may send it.
    pub const NEED: Role = Role::Responder;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            text: String,
            #[serde(default)]
            owner: Option<String>,
            #[serde(default)]
            due: Option<String>,
        }
        let body: Body = json_body(
            req,
            "{\"text\": \"add a secret-scanning rule\", \"owner\": \"bob\", \"due\": \"2026-12-15\"}",
        )?;
        let text = Text::parse(Field::Text, &body.text, MAX_TEXT)?;
        let owner = Text::one_line_opt(Field::Owner, body.owner.as_deref(), MAX_TEXT)?;
        let due = body
            .due
            .as_deref()
            .map(|d| time_param("due", d))
            .transpose()?;
        Ok(Self { text, owner, due })
    }
}

/// `POST .../tasks/{task}`: done, waived (with a reason) or open again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleTask {
    pub task: u32,
    /// The path's task as sent, for a "not found" that names it.
    pub label: String,
    pub state: TaskState,
    pub note: Option<Text>,
}

impl SettleTask {
    /// The least role that may send it.
    pub const NEED: Role = Role::Responder;

    pub fn parse<'a>(task: &str, req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            state: String,
            #[serde(default, alias = "reason")]
            note: Option<String>,
        }
        let id: u32 = task
            .trim_start_matches('#')
            .parse()
            .map_err(|_| CommandError::NoSuchTask(task.to_owned()))?;
        let body: Body = json_body(
            req,
            "{\"state\": \"done\"} or {\"state\": \"waived\", \"reason\": \"...\"}",
        )?;
        let state = match body.state.as_str() {
            "done" => TaskState::Done,
            "waived" => TaskState::Waived,
            "open" => TaskState::Open,
            other => {
                return Err(invalid(
                    Field::State,
                    format!("unknown task state {other:?}: use done, waived or open"),
                ));
            }
        };
        let note = Text::parse_opt(Field::Note, body.note.as_deref(), MAX_TEXT)?;
        Ok(Self {
            task: id,
            label: task.to_owned(),
            state,
            note,
        })
    }
}

/// `POST .../legal-hold`: places or lifts a hold, with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHold {
    pub hold: bool,
    pub reason: Text,
}

impl LegalHold {
    /// The least role that may send it.
    pub const NEED: Role = Role::Admin;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            hold: bool,
            reason: String,
        }
        let body: Body = json_body(
            req,
            "{\"hold\": true, \"reason\": \"litigation hold LH-7\"}",
        )?;
        let reason = Text::parse(Field::Reason, &body.reason, MAX_TEXT)?;
        Ok(Self {
            hold: body.hold,
            reason,
        })
    }
}

/// `POST /api/v1/drills`: a drill of a class and severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartDrill {
    pub scenario: DrillScenario,
    pub title: Option<Text>,
    /// As sent: the report it becomes checks and redacts it.
    pub tenant: Option<String>,
}

impl StartDrill {
    /// The least role that may send it.
    pub const NEED: Role = Role::Commander;

    pub fn parse<'a>(req: impl Into<Source<'a>>) -> Result<Self, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            class: String,
            severity: String,
            #[serde(default)]
            title: Option<String>,
            #[serde(default)]
            tenant: Option<String>,
        }
        let body: Body = json_body(
            req,
            "{\"class\": \"leaked_production_secret\", \"severity\": \"SEV-2\"}",
        )?;
        let class = IncidentClass::ALL
            .into_iter()
            .find(|c| c.id() == body.class.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = IncidentClass::ALL.iter().map(|c| c.id()).collect();
                invalid(
                    Field::Class,
                    format!(
                        "unknown class {:?}: use one of {}",
                        body.class,
                        names.join(", ")
                    ),
                )
            })?;
        let severity = severity(&body.severity)?;
        let title = Text::parse_opt(Field::Title, body.title.as_deref(), MAX_TITLE)?;
        Ok(Self {
            scenario: DrillScenario { class, severity },
            title,
            tenant: body.tenant,
        })
    }
}

/// `PUT /api/v1/heartbeats/{name}`: a monitor's interval, grace, severity
/// and the source whose deliveries also beat it.
pub struct SetMonitor;

impl SetMonitor {
    pub fn parse(
        req: &Request<Bytes>,
        name: crate::domain::heartbeat::MonitorName,
    ) -> Result<crate::domain::heartbeat::MonitorSpec, ApiError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            interval_secs: i64,
            #[serde(default)]
            grace_secs: i64,
            severity: String,
            #[serde(default)]
            source: Option<String>,
        }
        let body: Body = json_body(
            req,
            "{\"interval_secs\": 86400, \"grace_secs\": 7200, \"severity\": \"SEV-2\", \"source\": \"guardduty\"}",
        )?;
        let field = |code: &'static str, message: String| ApiError::BadRequest { code, message };
        let severity = body
            .severity
            .parse()
            .map_err(|e: UnknownSeverity| field("invalid_severity", format!("severity: {e}")))?;
        let source = body
            .source
            .map(|s| {
                serde_json::from_value::<crate::domain::Source>(serde_json::Value::String(s.clone()))
                    .map_err(|_| {
                        field(
                            "invalid_source",
                            "source: not a source Klaxon takes (github, jira, bitbucket, connect, forge, pagerduty, guardduty, security_hub, cloudwatch, report)".into(),
                        )
                    })
            })
            .transpose()?;
        let spec = crate::domain::heartbeat::MonitorSpec {
            name,
            interval_secs: body.interval_secs,
            grace_secs: body.grace_secs,
            severity,
            source,
        };
        spec.check()
            .map_err(|(f, why)| field("invalid_duration", format!("{f}: {why}")))?;
        Ok(spec)
    }
}

/// `PUT /api/v1/people/{id}`: a person, every contact detail validated.
pub struct PutPerson;

impl PutPerson {
    pub fn parse(req: &Request<Bytes>, id: &str) -> Result<Person, CommandError> {
        let mut input: PersonInput = json_body(
            req,
            "{\"name\": \"Priya Raman\", \"time_zone\": \"Europe/Berlin\", \"contacts\": {\"sms\": \"+4915112345678\"}, \"rules\": [{\"method\": \"sms\", \"after_minutes\": 0}]}",
        )?;
        input.name = clean(&input.name);
        Ok(Person::parse(id, &input)?)
    }
}

/// `PUT /api/v1/schedules/{id}`: a schedule's layers and windows.
pub struct PutSchedule;

impl PutSchedule {
    pub fn parse(req: &Request<Bytes>, id: &str) -> Result<Schedule, CommandError> {
        let mut input: ScheduleInput = json_body(
            req,
            "{\"name\": \"Security primary\", \"time_zone\": \"Europe/Berlin\", \"layers\": [{\"people\": [\"priya\", \"sam\"], \"shift\": \"1w\", \"handoff\": \"Mon 09:00\", \"start\": \"2026-01-05\"}]}",
        )?;
        input.name = clean(&input.name);
        Ok(Schedule::parse(id, &input)?)
    }
}

/// `POST /api/v1/schedules/{id}/overrides`: who covers, until when (and
/// from when, if not now).
pub struct AddOverride;

impl AddOverride {
    pub fn parse(
        req: &Request<Bytes>,
        schedule: ScheduleId,
    ) -> Result<crate::app::oncall::NewOverride, CommandError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            person: String,
            #[serde(default)]
            start: Option<String>,
            end: String,
        }
        let body: Body = json_body(
            req,
            "{\"person\": \"sam\", \"end\": \"2026-11-30T09:00:00+01:00\"}",
        )?;
        Ok(crate::app::oncall::NewOverride {
            schedule,
            person: PersonId::parse("person", body.person.trim())?,
            start: body.start.map(|s| time_param("start", &s)).transpose()?,
            end: time_param("end", &body.end)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: &str) -> Request<Bytes> {
        Request::builder()
            .method("POST")
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_owned()))
            .expect("request")
    }

    fn long(n: usize) -> String {
        "a".repeat(n)
    }

    /// A console form is read by the same `parse` as the API's JSON: the
    /// same command from the same fields, the same refusals, an empty field
    /// as one not given, a missing required one as that field's refusal,
    /// and the console's own fields left out.
    #[test]
    fn forms_parse_as_the_json_does() {
        let form = |body: &str| Form::parse(body.as_bytes(), &["_csrf"]);
        assert_eq!(
            SetStatus::parse(&form(
                "_csrf=t&status=contained&containment=revoked+it&root_cause="
            )),
            SetStatus::parse(&post(
                r#"{"status": "contained", "containment": "revoked it"}"#
            )),
        );
        assert_eq!(
            AddNote::parse(&form("kind=hypothesis&text=the+cache")),
            AddNote::parse(&post(r#"{"kind": "hypothesis", "text": "the cache"}"#)),
        );
        assert_eq!(
            AssignRole::parse(&form("role=technical_lead&person=")),
            AssignRole::parse(&post(r#"{"role": "technical_lead", "person": null}"#)),
        );
        assert_eq!(
            Acknowledge::parse(&form("_csrf=t")),
            Acknowledge::parse(&post("")),
        );
        type Want = fn(&CommandError) -> bool;
        let refusals: [(Result<(), CommandError>, Want); 5] = [
            (
                AddNote::parse(&form("kind=fact")).map(drop),
                |e| matches!(e, CommandError::Invalid { field: Field::Text, message } if message == "text is required"),
            ),
            (AddNote::parse(&form("kind=rumour&text=x")).map(drop), |e| {
                matches!(
                    e,
                    CommandError::Invalid {
                        field: Field::Kind,
                        ..
                    }
                )
            }),
            (
                OverrideSeverity::parse(&form("severity=SEV-2")).map(drop),
                |e| {
                    matches!(
                        e,
                        CommandError::Invalid {
                            field: Field::Reason,
                            ..
                        }
                    )
                },
            ),
            (
                SetStatus::parse(&form("status=acknowledged")).map(drop),
                |e| {
                    matches!(
                        e,
                        CommandError::Invalid {
                            field: Field::Status,
                            ..
                        }
                    )
                },
            ),
            // The console's token is not the command's field, and nor is any other.
            (
                AddNote::parse(&form("kind=fact&text=x&extra=1")).map(drop),
                |e| matches!(e, CommandError::Malformed { .. }),
            ),
        ];
        for (i, (got, want)) in refusals.into_iter().enumerate() {
            let e = got.expect_err("refused");
            assert!(want(&e), "case {i}: {e:?}");
        }
        assert!(AddNote::parse(&form("_csrf=t&kind=fact&text=x")).is_ok());
    }

    /// The body's shape is checked before any field, the same way for every command.
    #[test]
    fn body_table() {
        let form = Request::builder()
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from_static(b"kind=fact"))
            .expect("request");
        let big = post(&format!(
            "{{\"kind\": \"fact\", \"text\": \"{}\"}}",
            long(MAX_BODY)
        ));
        type Want = fn(&CommandError) -> bool;
        let cases: [(Request<Bytes>, Want); 5] = [
            (form, |e| *e == CommandError::NotJson),
            (big, |e| *e == CommandError::TooLarge),
            (post("[\"fact\", \"x\"]"), |e| {
                matches!(e, CommandError::NotAnObject(_))
            }),
            (
                post("{\"kind\": \"fact\"}"),
                |e| matches!(e, CommandError::Malformed { detail, .. } if detail.contains("missing field `text`")),
            ),
            (
                post("{\"kind\": \"fact\", \"text\": \"x\", \"extra\": 1}"),
                |e| matches!(e, CommandError::Malformed { detail, .. } if detail.contains("unknown field")),
            ),
        ];
        for (req, want) in cases {
            let got = AddNote::parse(&req).expect_err("refused");
            assert!(want(&got), "{got:?}");
        }
    }

    /// Free text: its `maxLength` counts the text as sent; it is redacted.
    #[test]
    fn text_table() {
        let key = "AKIAIOSFODNN7EXAMPLE";
        let cases = [
            ("short", 10, Ok("short".to_owned())),
            ("  padded  ", 10, Ok("  padded  ".to_owned())),
            ("  padded  ", 9, Err(Field::Text)),
            ("ten chars!", 10, Ok("ten chars!".to_owned())),
        ];
        for (raw, max, want) in cases {
            let got = Text::parse(Field::Text, raw, max).map(Text::into_string);
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w),
                (Err(CommandError::TooLong { field, max: m }), Err(w)) => {
                    assert_eq!((field, m), (w, max))
                }
                (g, w) => panic!("{raw:?}: {g:?}, want {w:?}"),
            }
        }
        let t = Text::parse(Field::Text, &format!("used {key}"), 100).expect("parsed");
        assert!(!t.as_str().contains(key), "{t:?}");
    }

    /// Who holds a role, owns a task or collected evidence is one line; free
    /// text (a note, a task) may break lines.
    #[test]
    fn one_line_names_table() {
        let role = |person: &str| {
            AssignRole::parse(&post(
                &serde_json::json!({"role": "incident_commander", "person": person}).to_string(),
            ))
        };
        let cases = [
            ("Ada Lovelace", true),
            ("José Ñúñez", true),
            ("\u{202e}moc.elpmaxe@nimda", false),
            ("two\nlines", false),
            ("a\u{2067}b", false),
        ];
        for (person, ok) in cases {
            match role(person) {
                Ok(_) => assert!(ok, "{person:?} accepted"),
                Err(CommandError::Invalid { field, message }) => {
                    assert!(!ok, "{person:?} refused: {message}");
                    assert_eq!(field, Field::Person);
                    assert!(!message.contains(person), "{message}");
                }
                Err(e) => panic!("{person:?}: {e:?}"),
            }
        }
        let note = AddNote::parse(&post(r#"{"kind": "fact", "text": "line one\nline two"}"#));
        assert!(note.is_ok(), "{note:?}");
    }

    /// A note is trimmed and must still fit once redacted.
    #[test]
    fn note_table() {
        let cases = [
            ("  on it  ", Some("on it")),
            ("", Some("")),
            (&*long(MAX_TEXT), Some(&*long(MAX_TEXT))),
            (&*long(MAX_TEXT + 1), None),
        ];
        for (raw, want) in cases {
            let got = Note::parse(Field::Note, raw);
            match want {
                Some(w) => assert_eq!(got.expect("parsed").as_str(), w),
                None => assert_eq!(
                    got,
                    Err(CommandError::TooLong {
                        field: Field::Note,
                        max: MAX_TEXT
                    })
                ),
            }
        }
    }

    fn refused_field(e: CommandError) -> Option<Field> {
        match e {
            CommandError::TooLong { field, .. } | CommandError::Invalid { field, .. } => {
                Some(field)
            }
            _ => None,
        }
    }

    /// Each command's fields, and the field named when one is wrong.
    #[test]
    fn command_table() {
        type Parse = fn(&Request<Bytes>) -> Result<(), CommandError>;
        let severity: Parse = |r| OverrideSeverity::parse(r).map(drop);
        let ack: Parse = |r| Acknowledge::parse(r).map(drop);
        let obligation: Parse = |r| RecordObligation::parse(r).map(drop);
        let status: Parse = |r| SetStatus::parse(r).map(drop);
        let role: Parse = |r| AssignRole::parse(r).map(drop);
        let note: Parse = |r| AddNote::parse(r).map(drop);
        let evidence: Parse = |r| AddEvidence::parse(r).map(drop);
        let task: Parse = |r| AddTask::parse(r).map(drop);
        let settle: Parse = |r| SettleTask::parse("#3", r).map(drop);
        let hold: Parse = |r| LegalHold::parse(r).map(drop);
        let drill: Parse = |r| StartDrill::parse(r).map(drop);
        let text = long(MAX_TEXT + 1);
        let cases: Vec<(Parse, String, Option<Field>)> = vec![
            (
                severity,
                r#"{"severity":"SEV-2","reason":"why"}"#.into(),
                None,
            ),
            (
                severity,
                r#"{"severity":"SEV-9","reason":"why"}"#.into(),
                Some(Field::Severity),
            ),
            (
                severity,
                r#"{"severity":"SEV-2","reason":"  "}"#.into(),
                Some(Field::Reason),
            ),
            (
                severity,
                format!(r#"{{"severity":"SEV-2","reason":"{text}"}}"#),
                Some(Field::Reason),
            ),
            (ack, "  ".into(), None),
            (ack, r#"{"note":"on it"}"#.into(), None),
            (ack, format!(r#"{{"note":"{text}"}}"#), Some(Field::Note)),
            (
                obligation,
                r#"{"kind":"atlassian_report","reference":"ECOHELP-1"}"#.into(),
                None,
            ),
            (
                obligation,
                r#"{"kind":"acknowledge"}"#.into(),
                Some(Field::Kind),
            ),
            (
                obligation,
                r#"{"kind":"nonsense"}"#.into(),
                Some(Field::Kind),
            ),
            (
                obligation,
                format!(
                    r#"{{"kind":"customer_notice","reference":"{}"}}"#,
                    long(201)
                ),
                Some(Field::Reference),
            ),
            (
                status,
                r#"{"status":"contained","containment":"revoked"}"#.into(),
                None,
            ),
            (
                status,
                r#"{"status":"triaged"}"#.into(),
                Some(Field::Status),
            ),
            (status, r#"{"status":"gone"}"#.into(), Some(Field::Status)),
            (
                status,
                format!(r#"{{"status":"closed","rationale":"{text}"}}"#),
                Some(Field::Rationale),
            ),
            (
                role,
                r#"{"role":"technical_lead","person":null}"#.into(),
                None,
            ),
            (
                role,
                r#"{"role":"janitor","person":"x"}"#.into(),
                Some(Field::Role),
            ),
            (
                role,
                format!(r#"{{"role":"technical_lead","person":"{}"}}"#, long(201)),
                Some(Field::Person),
            ),
            (note, r#"{"kind":"hypothesis","text":"x"}"#.into(), None),
            (
                note,
                r#"{"kind":"rumour","text":"x"}"#.into(),
                Some(Field::Kind),
            ),
            (
                evidence,
                r#"{"name":"a","location":"b","sha256":"c"}"#.into(),
                None,
            ),
            (
                evidence,
                format!(r#"{{"name":"a","location":"{text}","sha256":"c"}}"#),
                Some(Field::Location),
            ),
            (task, r#"{"text":"x","due":"2026-12-15"}"#.into(), None),
            (
                task,
                format!(r#"{{"text":"x","owner":"{text}"}}"#),
                Some(Field::Owner),
            ),
            (
                settle,
                r#"{"state":"waived","reason":"not needed"}"#.into(),
                None,
            ),
            (settle, r#"{"state":"finished"}"#.into(), Some(Field::State)),
            (hold, r#"{"hold":true,"reason":"LH-7"}"#.into(), None),
            (
                hold,
                format!(r#"{{"hold":false,"reason":"{text}"}}"#),
                Some(Field::Reason),
            ),
            (
                drill,
                r#"{"class":"leaked_production_secret","severity":"SEV-2"}"#.into(),
                None,
            ),
            (
                drill,
                r#"{"class":"nope","severity":"SEV-2"}"#.into(),
                Some(Field::Class),
            ),
            (
                drill,
                r#"{"class":"leaked_production_secret","severity":"SEV-0"}"#.into(),
                Some(Field::Severity),
            ),
            (
                drill,
                format!(
                    r#"{{"class":"leaked_production_secret","severity":"SEV-2","title":"{}"}}"#,
                    long(MAX_TITLE + 1)
                ),
                Some(Field::Title),
            ),
        ];
        for (parse, body, want) in cases {
            let got = parse(&post(&body)).err();
            assert_eq!(
                got.clone().and_then(refused_field),
                want,
                "{body:.80}: {got:?}"
            );
        }
    }

    /// The path's task is a number, with or without `#`, checked before the body.
    #[test]
    fn task_path_table() {
        let body = post(r#"{"state":"done"}"#);
        let cases = [("3", Some(3)), ("#13", Some(13)), ("x", None), ("", None)];
        for (task, want) in cases {
            let got = SettleTask::parse(task, &body).map(|c| c.task);
            match want {
                Some(n) => assert_eq!(got, Ok(n)),
                None => assert_eq!(got, Err(CommandError::NoSuchTask(task.to_owned()))),
            }
        }
        let bad_body = post("[]");
        assert_eq!(
            SettleTask::parse("x", &bad_body),
            Err(CommandError::NoSuchTask("x".into()))
        );
    }

    /// A date is its midnight UTC; anything else names the parameter.
    #[test]
    fn time_table() {
        let cases = [
            ("2026-12-15", Some("2026-12-15T00:00:00Z")),
            ("2026-12-15T10:00:00+01:00", Some("2026-12-15T09:00:00Z")),
            ("tomorrow", None),
            ("0001-01-01", Some("0001-01-01T00:00:00Z")),
            ("9999-12-31", Some("9999-12-31T00:00:00Z")),
            ("-262143-01-03", None),
            ("+262142-12-31", None),
            ("+10000-01-01", None),
            ("0000-06-01", None),
        ];
        for (raw, want) in cases {
            let got = time_param("due", raw)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            match want {
                Some(w) => assert_eq!(got.as_deref(), Ok(w)),
                None => assert!(matches!(got, Err(CommandError::Time { name: "due", .. }))),
            }
        }
    }
}
