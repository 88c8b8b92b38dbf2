//! On-call, pure: people and how to reach them, schedules (layers of
//! rotations, with restrictions), overrides, and who is on call at an
//! instant.
//!
//! - [`person`]: a person, their contact methods (validated, never shown
//!   in errors or logs) and notification rules.
//! - [`schedule`]: schedules, layers, shift lengths, handoffs, windows.
//! - [`cover`]: overrides, and who is on call at `t`, the next handoff and
//!   the shifts over a span.
//!
//! Every handoff is a local wall time in the schedule's zone: DST moves
//! the UTC instant, never the wall time ([`super::local_time`]).

pub mod cover;
pub mod person;
pub mod schedule;

pub use cover::{NextHandoff, OnCall, Override, OverrideId, Shift, Via};
pub use person::{
    ChatHandle, Contacts, ContactsInput, Email, Method, NotificationRule, Person, PersonId,
    PersonInput, Phone, RuleInput,
};
pub use schedule::{HandoffTime, Layer, Schedule, ScheduleId, ScheduleInput, ShiftLength, Window};

pub(crate) use super::redact::looks_secret;
use std::fmt;

/// Why roster input was refused: the field (a path such as
/// `layers[1].people[0]`) and the rule. Never the value: it may be a phone
/// number or an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct RosterError {
    pub field: String,
    pub rule: String,
}

pub(crate) fn refuse(field: impl Into<String>, rule: impl Into<String>) -> RosterError {
    RosterError {
        field: field.into(),
        rule: rule.into(),
    }
}

/// An IANA time zone, kept by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Zone(pub chrono_tz::Tz);

impl Zone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, RosterError> {
        raw.trim()
            .parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| refuse(field, "must be an IANA time zone such as Europe/Berlin"))
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }
}

impl TryFrom<String> for Zone {
    type Error = RosterError;
    fn try_from(s: String) -> Result<Self, RosterError> {
        Self::parse("time_zone", &s)
    }
}

impl From<Zone> for String {
    fn from(z: Zone) -> String {
        z.0.name().to_owned()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

/// Ids of people and schedules: lower-case letters, digits, `-`, `_` and
/// `.`, 1 to 64, starting with a letter or digit. They go in URLs and keys.
pub(crate) fn slug(field: &str, raw: &str) -> Result<String, RosterError> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_ID
        && raw.as_bytes()[0].is_ascii_alphanumeric()
        && raw.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if ok && !looks_secret(raw) {
        Ok(raw.to_owned())
    } else {
        Err(refuse(
            field,
            format!(
                "must be 1 to {MAX_ID} lower-case letters, digits, '-', '_' or '.', starting with a letter or digit"
            ),
        ))
    }
}

/// Longest id.
pub const MAX_ID: usize = 64;
/// Longest display name.
pub const MAX_NAME: usize = 100;

/// A display name: trimmed, 1 to [`MAX_NAME`] characters, no control
/// characters, bidirectional overrides included (they would let a name
/// shown on the timeline read as another).
pub(crate) fn display_name(field: &str, raw: &str) -> Result<String, RosterError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > MAX_NAME || !crate::domain::plain::is_one_line(t) {
        return Err(refuse(
            field,
            format!("must be 1 to {MAX_NAME} characters, without control characters"),
        ));
    }
    Ok(t.to_owned())
}

/// Whose calendar a feed token opens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum FeedOwner {
    Schedule(ScheduleId),
    Person(PersonId),
}

impl FeedOwner {
    /// `schedule#<id>` or `person#<id>`: one feed per owner.
    pub fn key(&self) -> String {
        match self {
            Self::Schedule(id) => format!("schedule#{id}"),
            Self::Person(id) => format!("person#{id}"),
        }
    }
}

/// A feed token's SHA-256 in hex: all that is kept of the token, so a
/// copy of the store opens no calendar.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedDigest(String);

impl FeedDigest {
    pub fn of(token: &str) -> Self {
        use sha2::{Digest, Sha256};
        Self(hex::encode(Sha256::digest(token.trim().as_bytes())))
    }

    /// A digest as stored (64 lower-case hex digits).
    pub fn from_stored(hex: &str) -> Option<Self> {
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(hex.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_control_and_bidi_override_characters() {
        assert!(display_name("name", "Priya Raman").is_ok());
        assert!(display_name("name", "Zoë Ñúñez 山田").is_ok());
        for bad in ["a\u{0007}b", "Sam \u{202e}nimda", "a\u{2066}b\u{2069}"] {
            assert_eq!(
                display_name("name", bad).unwrap_err().field,
                "name",
                "{bad:?}"
            );
        }
    }
}
