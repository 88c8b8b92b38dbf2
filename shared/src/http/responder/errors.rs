//! What the responder API refuses, and how: each use case's error becomes
//! the one [`ApiError`] that picks the status and the code.

use crate::app::escalate::AckError;
use crate::app::oncall::OncallError;
use crate::app::respond::RespondError;
use crate::domain::{Field, ResponseError};
use crate::http::ApiError;

impl From<AckError> for ApiError {
    fn from(e: AckError) -> Self {
        match e {
            AckError::NotFound(_) => Self::NotFound("incident not found".into()),
            AckError::Refused(r) => Self::Conflict(r.to_string()),
            AckError::Store(e) => e.into(),
        }
    }
}

impl From<RespondError> for ApiError {
    fn from(e: RespondError) -> Self {
        match e {
            // The id asked for is not repeated: it may be anything a client sent.
            RespondError::NotFound(_) => Self::NotFound("incident not found".into()),
            RespondError::TaskNotFound(_) => Self::NotFound("task not found".into()),
            // The key named an incident the caller may see.
            e @ RespondError::NotADrill(_) => Self::NotFound(e.to_string()),
            RespondError::Forbidden => Self::Forbidden,
            RespondError::Response(e) => e.into(),
            RespondError::Store(e) => e.into(),
        }
    }
}

impl From<ResponseError> for ApiError {
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Invalid { field, message } => Self::BadRequest {
                code: invalid_code(field),
                message,
            },
            ResponseError::Refused(r) => Self::Conflict(r.to_string()),
        }
    }
}

impl From<OncallError> for ApiError {
    fn from(e: OncallError) -> Self {
        match e {
            OncallError::Invalid(r) => bad(roster_code(&r.field), r.to_string()),
            e @ OncallError::UnknownPerson { .. } => Self::Unprocessable {
                code: "unknown_person",
                message: e.to_string(),
            },
            e @ OncallError::Unreachable { .. } => Self::Unprocessable {
                code: "unreachable_person",
                message: e.to_string(),
            },
            OncallError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            e @ OncallError::InUse(_) => Self::Conflict(e.to_string()),
            OncallError::Store(e) => e.into(),
        }
    }
}

/// `invalid_<field>` for a roster field's path: its first part, contact
/// methods as one (`contacts.sms` is `invalid_contact`).
pub(crate) fn roster_code(field: &str) -> &'static str {
    let head = field.split(['.', '[']).next().unwrap_or("");
    match head {
        "id" => "invalid_id",
        "name" => "invalid_name",
        "time_zone" => "invalid_time_zone",
        "contacts" => "invalid_contact",
        "rules" => "invalid_rules",
        "layers" => "invalid_layers",
        "person" => "invalid_person",
        "start" | "end" => "invalid_time",
        _ => "invalid_field",
    }
}

/// `invalid_<field>`: the code of a 400 that names one field.
pub(crate) fn invalid_code(field: Field) -> &'static str {
    match field {
        Field::At => "invalid_at",
        Field::Class => "invalid_class",
        Field::CollectedAt => "invalid_collected_at",
        Field::CollectedBy => "invalid_collected_by",
        Field::Containment => "invalid_containment",
        Field::Kind => "invalid_kind",
        Field::Location => "invalid_location",
        Field::Name => "invalid_name",
        Field::Note => "invalid_note",
        Field::Owner => "invalid_owner",
        Field::Person => "invalid_person",
        Field::Rationale => "invalid_rationale",
        Field::Reason => "invalid_reason",
        Field::Reference => "invalid_reference",
        Field::Role => "invalid_role",
        Field::RootCause => "invalid_root_cause",
        Field::Severity => "invalid_severity",
        Field::Sha256 => "invalid_sha256",
        Field::State => "invalid_state",
        Field::Status => "invalid_status",
        Field::Task => "invalid_task",
        Field::Tenant => "invalid_tenant",
        Field::Text => "invalid_text",
        Field::Title => "invalid_title",
    }
}

pub(super) fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        code,
        message: message.into(),
    }
}
