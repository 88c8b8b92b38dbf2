//! The JSON Opsgenie's REST API (v2) answers with, as far as the import
//! reads it, and the file `klaxon import opsgenie` takes: a bundle of those
//! answers, or one answer on its own. Unknown fields are ignored; a field
//! the docs let be absent may be.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// A user, from `GET /v2/users` (or `GET /v2/users/{id}?expand=contact`,
/// which adds `userContacts`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct User {
    pub id: String,
    /// An email address in Opsgenie.
    pub username: String,
    pub full_name: String,
    pub time_zone: Option<String>,
    pub user_contacts: Vec<UserContact>,
}

/// A contact as `?expand=contact` shows it.
#[derive(Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserContact {
    pub contact_method: String,
    pub to: String,
    pub enabled: Option<bool>,
}

/// A contact, from `GET /v2/users/{id}/contacts`.
#[derive(Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Contact {
    pub method: String,
    /// An address, or a number as `country code-number` (`1-9999999999`).
    pub to: String,
    pub status: Option<ContactStatus>,
    pub apply_order: Option<i64>,
}

// Not Debug-derived: they hold contact details.
impl std::fmt::Debug for UserContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UserContact({}, …)", self.contact_method)
    }
}
impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Contact({}, …)", self.method)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactStatus {
    pub enabled: Option<bool>,
}

/// A schedule, from `GET /v2/schedules/{id}?expand=rotation`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Schedule {
    pub id: String,
    pub name: String,
    pub timezone: Option<String>,
    pub enabled: Option<bool>,
    pub rotations: Vec<Rotation>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Rotation {
    pub id: String,
    pub name: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `hourly`, `daily` or `weekly`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Default 1.
    pub length: Option<i64>,
    pub participants: Vec<Participant>,
    pub time_restriction: Option<TimeRestriction>,
}

/// A rotation's participant, a rule's recipient or an override's user:
/// `user`, `team`, `escalation`, `schedule` or `none`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Participant {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
}

/// `time-of-day` (one `restriction`, every day) or
/// `weekday-and-time-of-day` (`restrictions`, each from a weekday and time
/// to a weekday and time).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TimeRestriction {
    #[serde(rename = "type")]
    pub kind: String,
    pub restriction: Option<Restriction>,
    pub restrictions: Vec<Restriction>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Restriction {
    pub start_day: Option<String>,
    pub start_hour: Option<i64>,
    pub start_min: Option<i64>,
    pub end_day: Option<String>,
    pub end_hour: Option<i64>,
    pub end_min: Option<i64>,
}

/// An override, from `GET /v2/schedules/{id}/overrides`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Override {
    pub alias: String,
    pub user: Participant,
    pub start_date: String,
    pub end_date: String,
    /// When set, only these rotations are overridden.
    pub rotations: Vec<Ref>,
    /// The schedule, when the answer names it.
    pub parent: Option<Ref>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Ref {
    pub id: String,
    pub name: String,
}

/// An escalation, from `GET /v2/escalations` or `/v2/escalations/{id}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Escalation {
    pub id: String,
    pub name: String,
    pub rules: Vec<Rule>,
    pub repeat: Option<Repeat>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Rule {
    /// `if-not-acked` or `if-not-closed`.
    pub condition: Option<String>,
    /// `default`, `next`, `previous`, `users`, `admins`, `random`, `all`.
    pub notify_type: Option<String>,
    /// From the start of the escalation, not from the rule before.
    pub delay: Option<Delay>,
    pub recipient: Participant,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Delay {
    pub time_amount: i64,
    /// `minutes` (the default), `hours` or `days`.
    pub time_unit: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Repeat {
    /// Minutes after the last rule before the rules run again.
    pub wait_interval: Option<i64>,
    /// How many times they run again.
    pub count: Option<i64>,
    pub reset_recipient_states: Option<bool>,
    pub close_alert_after_all: Option<bool>,
}

/// Everything read from one or more files.
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub users: Vec<User>,
    /// By user id or username.
    pub contacts: BTreeMap<String, Vec<Contact>>,
    pub schedules: Vec<Schedule>,
    /// By schedule id or name.
    pub overrides: BTreeMap<String, Vec<Override>>,
    pub escalations: Vec<Escalation>,
}

/// Why a file could not be read: where in it, never a value (it may be a
/// number or an address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {why}")]
pub struct ExportError {
    pub at: String,
    pub why: String,
}

fn refuse(at: impl Into<String>, why: impl Into<String>) -> ExportError {
    ExportError {
        at: at.into(),
        why: why.into(),
    }
}

/// The keys a bundle may have.
const BUNDLE_KEYS: [&str; 5] = ["users", "contacts", "schedules", "overrides", "escalations"];

/// Items of `v`: an answer's `data`, a list (of items or of answers), or
/// one item.
fn many<T: DeserializeOwned>(at: &str, v: &Value, what: &str) -> Result<Vec<T>, ExportError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Object(o) if o.contains_key("data") => many(&format!("{at}.data"), &o["data"], what),
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.extend(many(&format!("{at}[{i}]"), item, what)?);
            }
            Ok(out)
        }
        Value::Object(_) => T::deserialize(v)
            .map(|t| vec![t])
            .map_err(|_| refuse(at, format!("not {what} as Opsgenie's API returns it"))),
        _ => Err(refuse(at, format!("expected {what}, an object"))),
    }
}

fn keyed<T: DeserializeOwned>(
    at: &str,
    v: &Value,
    what: &str,
) -> Result<BTreeMap<String, Vec<T>>, ExportError> {
    match v {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| Ok((k.clone(), many(&format!("{at}.{k}"), v, what)?)))
            .collect(),
        _ => Err(refuse(at, "expected an object keyed by id or name")),
    }
}

impl Export {
    /// A bundle (`{"users": ..., "contacts": {...}, "schedules": [...],
    /// "overrides": {...}, "escalations": ...}`) or one API answer.
    pub fn parse(v: &Value) -> Result<Self, ExportError> {
        let Value::Object(o) = v else {
            return Err(refuse("file", "expected a JSON object"));
        };
        if !BUNDLE_KEYS.iter().any(|k| o.contains_key(*k)) {
            if o.contains_key("data") {
                return Self::answer(v);
            }
            return Err(refuse(
                "file",
                "neither a bundle (users, contacts, schedules, overrides, escalations) nor an API answer (data)",
            ));
        }
        if let Some(k) = o.keys().find(|k| !BUNDLE_KEYS.contains(&k.as_str())) {
            return Err(refuse(
                k.clone(),
                "not a bundle key: use users, contacts, schedules, overrides or escalations",
            ));
        }
        {
            let get = |k: &str| o.get(k).unwrap_or(&Value::Null);
            let mut e = Self {
                users: many("users", get("users"), "a user")?,
                contacts: keyed("contacts", get("contacts"), "a contact")?,
                schedules: many("schedules", get("schedules"), "a schedule")?,
                overrides: keyed("overrides", get("overrides"), "an override")?,
                escalations: many("escalations", get("escalations"), "an escalation")?,
            };
            e.absorb_user_contacts();
            Ok(e)
        }
    }

    /// One answer, told apart by what its items hold.
    fn answer(v: &Value) -> Result<Self, ExportError> {
        let data = &v["data"];
        let first = match data {
            Value::Array(a) => a.first(),
            Value::Object(_) => Some(data),
            _ => None,
        };
        let Some(first) = first else {
            return Ok(Self::default());
        };
        let has = |k: &str| first.get(k).is_some();
        let mut e = Self::default();
        if has("rules") {
            e.escalations = many("data", data, "an escalation")?;
        } else if has("rotations") || has("timezone") {
            e.schedules = many("data", data, "a schedule")?;
        } else if has("username") {
            e.users = many("data", data, "a user")?;
            e.absorb_user_contacts();
        } else if has("startDate") && has("user") {
            for o in many::<Override>("data", data, "an override")? {
                let Some(p) = o.parent.as_ref().filter(|p| !p.id.is_empty()) else {
                    return Err(refuse(
                        "data",
                        "an override that names no schedule: put it in a bundle under overrides.<schedule>",
                    ));
                };
                e.overrides.entry(p.id.clone()).or_default().push(o);
            }
        } else if has("method") && has("to") {
            return Err(refuse(
                "data",
                "contacts name no user: put them in a bundle under contacts.<user id or username>",
            ));
        } else {
            return Err(refuse(
                "data",
                "not an answer of Opsgenie's users, contacts, schedules, overrides or escalations API",
            ));
        }
        Ok(e)
    }

    /// `userContacts` (from `?expand=contact`) as contacts.
    fn absorb_user_contacts(&mut self) {
        for u in &mut self.users {
            for c in std::mem::take(&mut u.user_contacts) {
                self.contacts
                    .entry(u.id.clone())
                    .or_default()
                    .push(Contact {
                        method: c.contact_method,
                        to: c.to,
                        status: Some(ContactStatus { enabled: c.enabled }),
                        apply_order: None,
                    });
            }
        }
    }

    /// Adds another file's.
    pub fn merge(&mut self, other: Self) {
        self.users.extend(other.users);
        for (k, v) in other.contacts {
            self.contacts.entry(k).or_default().extend(v);
        }
        self.schedules.extend(other.schedules);
        for (k, v) in other.overrides {
            self.overrides.entry(k).or_default().extend(v);
        }
        self.escalations.extend(other.escalations);
    }
}
