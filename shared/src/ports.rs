//! Ports: what the core needs from the outside world, named for the
//! capability. Adapters in [`crate::adapters`] implement them.

use crate::domain::heartbeat::{Monitor, MonitorName};
use crate::domain::oncall::{
    FeedDigest, FeedOwner, Override, OverrideId, Person, PersonId, Schedule, ScheduleId,
};
use crate::domain::{
    Audience, Change, DomainEvent, EventId, EventKind, Incident, IncidentId, IncidentKey,
    NewIncident, Paged, Repeats, Severity, Status, TimelineEntry,
};
pub use crate::domain::{Burst, RepeatSeen};
pub use crate::domain::{IdempotencyKey, SenderKey};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("incident {id} changed since version {expected}; reload it and try again")]
    Conflict { id: IncidentId, expected: u64 },
    #[error("incident {0} not found")]
    NotFound(IncidentId),
    #[error("reference {0} is already in use")]
    ReferenceTaken(String),
    /// The idempotency key names an incident created from other content.
    /// Carries nothing about that incident.
    #[error("the key was already used for a different request")]
    KeyReused,
    /// Throttling, a transaction conflict or a dropped connection: worth a retry.
    #[error("store temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
    #[error("store failed: {0}")]
    Backend(String),
    /// A heartbeat monitor changed since it was read (a beat, the sweep):
    /// reload it and decide again.
    #[error("heartbeat monitor {0} changed; reload it and try again")]
    MonitorChanged(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::Conflict { .. } | Self::MonitorChanged(_)
        )
    }
}

/// The result of an idempotent create.
#[derive(Debug, Clone)]
pub struct Created {
    pub incident: Incident,
    /// True when the idempotency key had been seen and nothing new was written.
    pub duplicate: bool,
}

/// One page of the due index.
#[derive(Debug, Default)]
pub struct DueBatch {
    pub items: Vec<Result<Incident, StoreError>>,
    /// Items the store examined to answer: DynamoDB's `ScannedCount`,
    /// SQLite's rows returned plus any full-scan steps. It proves the index
    /// is used: it must not grow with history.
    pub examined: u64,
}

/// Where a listing continues: the last incident of the previous page.
/// Listings run newest first by `(created_at, id)`, so a cursor stays valid
/// while new incidents arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: IncidentId,
}

impl Cursor {
    pub fn of(i: &Incident) -> Self {
        Self {
            created_at: i.created_at,
            id: i.id,
        }
    }

    /// Opaque to callers: base64url of `<rfc3339>|<id>`.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let raw = format!("{}|{}", self.created_at.to_rfc3339(), self.id);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(s: &str) -> Option<Self> {
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim())
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (at, id) = raw.split_once('|')?;
        Some(Self {
            created_at: DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
            id: id.parse().ok()?,
        })
    }
}

/// A filtered listing: every field narrows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentQuery {
    pub status: Option<Status>,
    pub severity: Option<Severity>,
    /// Only incidents of these tenants (a filter, or a caller's scope);
    /// an incident without a tenant never matches a tenant list.
    pub tenants: Option<Vec<String>>,
    pub drill: Option<bool>,
    /// Only open incidents (`true`) or only resolved and closed ones
    /// (`false`): the two halves of an open-first listing.
    pub open: Option<bool>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// Continue after this incident.
    pub after: Option<Cursor>,
    pub limit: usize,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        Self {
            status: None,
            severity: None,
            tenants: None,
            drill: None,
            open: None,
            from: None,
            to: None,
            after: None,
            limit: 50,
        }
    }
}

impl IncidentQuery {
    /// The filters other than time and cursor, for stores that check them
    /// after reading (a DynamoDB filter, a test).
    pub fn matches(&self, i: &Incident) -> bool {
        self.status.is_none_or(|s| i.status == s)
            && self.severity.is_none_or(|s| i.severity == Some(s))
            && self.drill.is_none_or(|d| i.drill == d)
            && self.open.is_none_or(|o| i.status.is_open() == o)
            && self.tenants.as_ref().is_none_or(|list| {
                i.tenant
                    .as_deref()
                    .is_some_and(|t| list.iter().any(|l| l.eq_ignore_ascii_case(t)))
            })
            && self.from.is_none_or(|f| i.created_at >= f)
            && self.to.is_none_or(|t| i.created_at < t)
            && self
                .after
                .is_none_or(|c| (i.created_at, i.id) < (c.created_at, c.id))
    }
}

/// One page of a listing; `next` is set when more may follow.
#[derive(Debug, Default)]
pub struct IncidentPage {
    pub items: Vec<Incident>,
    pub next: Option<Cursor>,
}

/// A message notify delivered, kept with the incident for its review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentNotification {
    pub incident_id: IncidentId,
    /// The delivery ledger's key: one record per message, however often
    /// it is redelivered.
    pub key: String,
    pub at: DateTime<Utc>,
    pub event: EventKind,
    pub audience: Audience,
    /// The message kind: `page`, `triage`, `clock`, a draft, ...
    pub kind: String,
    pub subject: String,
}

/// A delivery ledger key: `<purpose>#<hex SHA-256 of the key>`. Built only
/// by hashing, so a claim keyed on outside text (a delivery id, a link's
/// token) never stores that text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerKey(String);

impl LedgerKey {
    pub fn new(purpose: &'static str, raw: &str) -> Self {
        use sha2::{Digest, Sha256};
        Self(format!(
            "{purpose}#{}",
            hex::encode(Sha256::digest(raw.as_bytes()))
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Incidents, their timelines and their idempotency keys.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Writes the incident, its first timeline entries, its events and its
    /// idempotency key in one transaction. If the key exists, returns the
    /// incident it names with `duplicate: true` and writes nothing; if the
    /// key was bound to other content, fails with `KeyReused` and writes
    /// nothing.
    async fn create(&self, new: NewIncident) -> Result<Created, StoreError>;

    async fn get(&self, id: IncidentId) -> Result<Option<Incident>, StoreError>;

    /// The incident with this human reference, if any.
    async fn find_by_reference(&self, reference: &str) -> Result<Option<Incident>, StoreError>;

    /// The incident an id or a reference names, if any.
    async fn find(&self, key: &IncidentKey) -> Result<Option<Incident>, StoreError> {
        match key {
            IncidentKey::Id(id) => self.get(*id).await,
            IncidentKey::Reference(r) => self.find_by_reference(r.as_str()).await,
        }
    }

    /// The incident a (source-scoped) idempotency key names, if any. The
    /// key's content binding plays no part in a lookup.
    async fn find_by_key(&self, key: &IdempotencyKey) -> Result<Option<Incident>, StoreError>;

    /// Applies a change if the stored version still equals
    /// `change.expected_version`; otherwise fails with `Conflict` and writes nothing.
    async fn commit(&self, change: Change) -> Result<Incident, StoreError>;

    /// The timeline in the order it was written.
    async fn timeline(&self, id: IncidentId) -> Result<Vec<TimelineEntry>, StoreError>;

    /// Incidents whose next action (`Incident::next_action_at`) is at or
    /// before `before`, soonest first, read through the due index: reads grow
    /// with the due incidents, not with all incidents. An unreadable item is
    /// returned as an error in its place, so one bad record cannot stall
    /// the sweep.
    async fn due_before(&self, before: DateTime<Utc>, limit: usize)
    -> Result<DueBatch, StoreError>;

    /// Incidents in one status, oldest first.
    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError>;

    /// Incidents matching the query, newest first, at most `limit`.
    async fn list(&self, query: &IncidentQuery) -> Result<IncidentPage, StoreError>;

    /// Keeps a delivered message with its incident. Recording the same key
    /// twice keeps one record.
    async fn record_notification(&self, sent: &SentNotification) -> Result<(), StoreError>;

    /// The messages delivered for an incident, oldest first.
    async fn notifications(&self, id: IncidentId) -> Result<Vec<SentNotification>, StoreError>;

    /// Deletes the incident and everything kept with it: timeline, outbox
    /// events, notifications, its reference and its idempotency keys, if it
    /// is still at `expected_version`, the version the caller decided on.
    /// A change committed since (a legal hold) makes it `Conflict`, and
    /// nothing is deleted. False if it did not exist.
    async fn delete(&self, id: IncidentId, expected_version: u64) -> Result<bool, StoreError>;
}

/// The transactional outbox: events written with their state change and
/// published afterwards.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Unpublished events that occurred before `before`, oldest first.
    async fn pending_events(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DomainEvent>, StoreError>;

    async fn mark_published(
        &self,
        event: &DomainEvent,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// Exactly-once bookkeeping for side effects such as pages: a key is claimed
/// before the effect and completed after it. A claim that was never completed
/// (the process died) can be taken again once its lease runs out.
#[async_trait]
pub trait DeliveryLedger: Send + Sync {
    /// True if the caller now holds the claim and should perform the effect.
    async fn try_claim(
        &self,
        key: &LedgerKey,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError>;

    async fn complete(&self, key: &LedgerKey, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// True once the effect was completed. A claim that is not (its holder
    /// is still working, or died) is not delivered: the caller must retry
    /// later rather than count it done.
    async fn delivered(&self, key: &LedgerKey) -> Result<bool, StoreError>;

    /// Gives a claim back after the effect failed, so a retry can take it.
    async fn release(&self, key: &LedgerKey) -> Result<(), StoreError>;
}

/// What counting one repeat found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepeatCount {
    /// Counted, once. Carries the counter as it was before this repeat.
    Counted(Repeats),
    /// Not counted: the repeat's source severity is above any assessed so
    /// far, so it is re-assessed first. Carries the counter as it is.
    NewSignal(Repeats),
    /// Not counted: the key names no incident, one that is no longer open,
    /// or one whose counter is not open yet.
    Unknown,
}

/// Repeats of an open incident's natural key, counted beside the incident:
/// an atomic increment that never conflicts, however many arrive at once,
/// and never touches the incident's record or version. Single-incident
/// reads (`get`, `find_*`, a duplicate `create`) carry the counted
/// `occurrences`; listings carry the count as of the incident's creation.
#[async_trait]
pub trait RepeatCounter: Send + Sync {
    /// Counts `seen` on the open incident its key names, once, in one
    /// atomic write, unless its rank is more severe than the counter's.
    async fn count_repeat(&self, seen: &RepeatSeen) -> Result<RepeatCount, StoreError>;

    /// Starts counting an incident's repeats with `initial`, unless its
    /// counter already exists (then nothing changes).
    async fn open_repeats(&self, initial: &Repeats) -> Result<(), StoreError>;

    /// Starts a new burst, and sets the rank, if the current burst is
    /// still `seen`. False when another caller started one first.
    async fn next_burst(
        &self,
        id: IncidentId,
        seen: &Burst,
        next: &Burst,
        rank: u8,
    ) -> Result<bool, StoreError>;

    /// The incident's counter, if it has one.
    async fn repeats(&self, id: IncidentId) -> Result<Option<Repeats>, StoreError>;
}

/// Everything a Klaxon deployment persists.
pub trait Store:
    IncidentStore
    + Outbox
    + DeliveryLedger
    + RepeatCounter
    + HeartbeatStore
    + RosterStore
    + SessionStore
{
}
impl<
    T: IncidentStore
        + Outbox
        + DeliveryLedger
        + RepeatCounter
        + HeartbeatStore
        + RosterStore
        + SessionStore,
> Store for T
{
}

/// The console's sessions, by the digest of their id (the id itself is
/// never stored). A session past its `expires_at` is as good as gone; the
/// stores drop such rows as they go (SQLite at each sign-in, DynamoDB by
/// its TTL).
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn put_session(
        &self,
        digest: &crate::domain::session::SessionDigest,
        session: &crate::domain::session::Session,
    ) -> Result<(), StoreError>;
    async fn session(
        &self,
        digest: &crate::domain::session::SessionDigest,
    ) -> Result<Option<crate::domain::session::Session>, StoreError>;
    async fn delete_session(
        &self,
        digest: &crate::domain::session::SessionDigest,
    ) -> Result<(), StoreError>;
}

/// The on-call roster: people, schedules, overrides and the calendar
/// feeds' token digests. Small (tens of people, a few schedules), read
/// whole. Every write takes effect for the next read: an override added at
/// 3 a.m. pages its person from the next step on.
#[async_trait]
pub trait RosterStore: Send + Sync {
    /// Creates or replaces the person with this id.
    async fn put_person(&self, person: &Person) -> Result<(), StoreError>;
    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError>;
    /// Everyone, by id.
    async fn people(&self) -> Result<Vec<Person>, StoreError>;
    /// Deletes the person and their feed; returns whether they existed.
    async fn delete_person(&self, id: &PersonId) -> Result<bool, StoreError>;

    /// Creates or replaces the schedule with this id.
    async fn put_schedule(&self, schedule: &Schedule) -> Result<(), StoreError>;
    async fn schedule(&self, id: &ScheduleId) -> Result<Option<Schedule>, StoreError>;
    /// Every schedule, by id.
    async fn schedules(&self) -> Result<Vec<Schedule>, StoreError>;
    /// Deletes the schedule, its overrides and its feed; returns whether
    /// it existed.
    async fn delete_schedule(&self, id: &ScheduleId) -> Result<bool, StoreError>;

    async fn add_override(&self, o: &Override) -> Result<(), StoreError>;
    /// The schedule's overrides that end after `after`, by start.
    async fn overrides(
        &self,
        schedule: &ScheduleId,
        after: DateTime<Utc>,
    ) -> Result<Vec<Override>, StoreError>;
    /// Returns whether it existed.
    async fn delete_override(
        &self,
        schedule: &ScheduleId,
        id: OverrideId,
    ) -> Result<bool, StoreError>;

    /// Makes `digest` the owner's one feed token, so the token it replaces
    /// opens nothing from then on.
    async fn set_feed(&self, owner: &FeedOwner, digest: &FeedDigest) -> Result<(), StoreError>;
    /// Whose feed a token's digest opens, if anyone's.
    async fn feed(&self, digest: &FeedDigest) -> Result<Option<FeedOwner>, StoreError>;
}

/// Heartbeat monitors, with a due index of their own: a monitor is in it
/// at [`Monitor::due_at`] until it is late, so the sweep reads only the
/// monitors that are late now.
#[async_trait]
pub trait HeartbeatStore: Send + Sync {
    /// Stores a new monitor; `MonitorChanged` if the name is taken.
    async fn create_monitor(&self, monitor: &Monitor) -> Result<(), StoreError>;
    /// Replaces a monitor stored at `expected` version, bumping it; returns
    /// it as stored. `MonitorChanged` if it moved or is gone.
    async fn save_monitor(&self, monitor: &Monitor, expected: u64) -> Result<Monitor, StoreError>;
    async fn monitor(&self, name: &MonitorName) -> Result<Option<Monitor>, StoreError>;
    /// Every monitor, by name.
    async fn monitors(&self) -> Result<Vec<Monitor>, StoreError>;
    /// Returns whether it existed.
    async fn delete_monitor(&self, name: &MonitorName) -> Result<bool, StoreError>;
    /// Monitors due at or before `before`, soonest first, at most `limit`,
    /// with how many items the store examined.
    async fn monitors_due(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<Monitor>, u64), StoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Some events were accepted and these were not.
    #[error("{} event(s) were not accepted: {reason}", failed.len())]
    Partial {
        failed: Vec<EventId>,
        reason: String,
    },
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
}

/// Hands committed domain events to the bus.
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Ok means every event was durably accepted by the bus.
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError>;
}

/// One SNS publish, as sent (and as `klaxon serve` writes it to
/// `outbox.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// The delivery's id (the ledger key). A notifier that can deduplicate
    /// (the local file) uses it to deliver a redelivered message once;
    /// standard SNS topics cannot, so they are at least once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub audience: Audience,
    /// For a page to a person: who, and by which methods (the `person`
    /// attribute carries their id to SNS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Paged>,
    pub subject: String,
    /// `severity`, `audience`, `event`, `kind`, `incident_class`, `tenant`,
    /// `drill`: what subscription filter policies match on.
    pub message_attributes: BTreeMap<String, String>,
    pub message: Bodies,
}

impl Message {
    pub fn attr(&self, name: &str) -> &str {
        self.message_attributes
            .get(name)
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// One body per protocol (`MessageStructure=json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bodies {
    pub default: String,
    /// At most `messages::SMS_LIMIT` characters.
    pub sms: String,
    pub email: String,
    /// For SQS, Lambda and email-json subscribers: the incident summary and links.
    pub json: Value,
    /// For HTTPS subscribers, AWS Chatbot (Amazon Q Developer in chat
    /// applications) among them: a custom notification.
    pub https: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("no destination is configured for audience {0}")]
    NoDestination(Audience),
    #[error("notifier unavailable: {0}")]
    Unavailable(String),
}

/// Delivers messages to people.
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, message: &Message) -> Result<(), NotifyError>;
}

/// One subscription on the paging topic, as SNS lists it. The endpoint
/// is a phone number or an address: personal data, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    /// `None` while an email subscription awaits its confirmation: SNS
    /// gives it no ARN to change or remove until then.
    pub arn: Option<String>,
    pub protocol: String,
    pub endpoint: String,
    /// The filter policy as SNS holds it (JSON), if any.
    pub filter_policy: Option<String>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("arn", &self.arn)
            .field("protocol", &self.protocol)
            .field("filter_policy", &self.filter_policy)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the paging topic's subscriptions: {0}")]
pub struct SubscriptionError(pub String);

/// The paging topic's subscriptions, which `klaxon people sync` keeps in
/// line with the roster.
#[async_trait]
pub trait PagingSubscriptions: Send + Sync {
    async fn list(&self) -> Result<Vec<Subscription>, SubscriptionError>;
    /// Subscribes `endpoint` by `protocol` with `filter_policy`; SNS
    /// answers the ARN, or none while an email awaits confirmation.
    async fn subscribe(
        &self,
        protocol: &str,
        endpoint: &str,
        filter_policy: &str,
    ) -> Result<Option<String>, SubscriptionError>;
    async fn set_filter_policy(
        &self,
        arn: &str,
        filter_policy: &str,
    ) -> Result<(), SubscriptionError>;
    async fn unsubscribe(&self, arn: &str) -> Result<(), SubscriptionError>;
}

/// An issue to open in the team's tracker. Its text is already redacted
/// and escaped for the tracker's markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueDraft {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
}

/// Why a tracker did not take an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    /// The tracker said no and will say it again (a missing repository, a
    /// token without permission): recorded on the timeline, not retried.
    #[error("the tracker refused ({status}): {reason}")]
    Refused { status: u16, reason: String },
    /// Down, rate limited past the retry budget, or unreachable: retried.
    #[error("tracker unavailable: {0}")]
    Unavailable(String),
}

/// The team's issue tracker: one issue per incident, kept in step. GitHub
/// Issues today; a Jira adapter is one more implementation.
#[async_trait]
pub trait IssueTracker: Send + Sync {
    /// The tracker's name as stored on the incident (`github`).
    fn system(&self) -> &'static str;
    /// Opens an issue; answers its key and page.
    async fn open(&self, draft: &IssueDraft) -> Result<crate::domain::TrackerLink, TrackerError>;
    /// Sets the issue's title and Klaxon's labels.
    async fn relabel(&self, key: &str, title: &str, labels: &[String]) -> Result<(), TrackerError>;
    async fn comment(&self, key: &str, body: &str) -> Result<(), TrackerError>;
    /// Closes the issue as completed (the summary is a comment of its own,
    /// claimed apart, so a retried close never posts it twice).
    async fn close(&self, key: &str) -> Result<(), TrackerError>;
    async fn reopen(&self, key: &str) -> Result<(), TrackerError>;
}

/// Time, injectable so tests can move days in milliseconds.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Why the OpenID provider gave no usable answer. Carries no request or
/// response value (a code, a token), only what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Not reached, timed out, or a 5xx: worth trying the sign-in again.
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    /// It answered, but refused (the OAuth `error` code, e.g. `invalid_grant`).
    #[error("the identity provider refused: {0}")]
    Refused(String),
    /// It answered something that is not the JSON asked for.
    #[error("the identity provider's answer is unusable: {0}")]
    Invalid(String),
}

/// The OpenID provider's HTTP endpoints: its documents (discovery, the
/// JWKS) and its token endpoint. The use case decides what to ask and checks
/// every answer; this only carries it.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// A JSON document at `url` (GET).
    async fn document(&self, url: &str) -> Result<Value, IdentityError>;
    /// The token endpoint's answer to a form (POST). With `client`, the
    /// client (id, secret) authenticates with HTTP Basic
    /// (`client_secret_basic`); the secret goes nowhere else.
    async fn token(
        &self,
        url: &str,
        form: &[(&str, &str)],
        client: Option<(&str, &str)>,
    ) -> Result<Value, IdentityError>;
}
