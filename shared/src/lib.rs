//! Klaxon's core, shared by every Lambda function and by `klaxon serve`.
//!
//! Inward, pure:
//!
//! - [`domain`]: incidents and the reporter's [`domain::report`], severities, callers and
//!   roles, the response (roles, tasks, evidence, the lifecycle, retention), deadline
//!   verdicts, domain events and the kinds of message. [`domain::redact`] takes secrets out
//!   of any text from outside. [`domain::oncall`]: people, schedules, overrides and who is
//!   on call, over [`domain::local_time`]'s DST-safe wall-clock times.
//! - [`policy`]: the incident response plans' tables as functions: the severity engine
//!   (`classify`, over `text`, `facts`, `lexicon` and `nearest`), SLAs and deadlines,
//!   `calendar`, the escalation `clocks`, and [`policy::recipients`](mod@policy::recipients), who is told what.
//! - [`escape`]: untrusted text made safe for each format people read: Markdown, chat,
//!   `sha256sum` manifests, the terminal.
//! - [`webhook`]: each sender's signature checked (`verify`) and payload turned into a
//!   report (`normalize`).
//! - [`ack`]: signed, single-use acknowledgement-link tokens.
//! - [`messages`]: what each audience is told, rendered from editable `templates`
//!   (`render`, a body per SNS protocol).
//! - [`documents`]: the post-incident documents: the review, metrics, the annual report and
//!   drill evidence, over shared Markdown pieces; and the on-call calendar feeds (`ical`).
//!
//! The ports and the use cases:
//!
//! - [`ports`]: the traits the core needs: `IncidentStore`, `RepeatCounter`, `Outbox`,
//!   `DeliveryLedger`, `HeartbeatStore`, `RosterStore`, `EventPublisher`, `Notifier`,
//!   `PagingSubscriptions` (the paging topic's subscriptions, for `people sync`),
//!   `IssueTracker`, `Clock`, and the data they carry (`Message`, `IssueDraft`).
//! - [`config`]: typed configuration, read once at start-up.
//! - [`metrics`]: EMF counters.
//! - [`retry`]: the one retry policy (attempts, backoff, cap, jitter) every bounded retry runs.
//! - [`jwt`]: JSON Web Tokens signed and checked on ring, the crypto rustls uses here.
//! - [`app`]: the use cases (intake, repeats of an alert, webhook ingest, assess, notify,
//!   track (the tracker's issue), escalate, respond, on-call (with its notices and the
//!   paging topic's people sync), source updates, the outbox
//!   relay), wired by [`App`] from an [`app::Wiring`], over one
//!   conditional write (`app::update`), one delivery guard (`app::delivery`) and one
//!   routing table (`app::routing`).
//!
//! The edges:
//!
//! - [`http`]: the routes, parsing requests and rendering answers, with one error type
//!   that picks every status code: the `report_form` (its body parsed once, in `command`),
//!   `webhooks`, `ack` links, the pages' `html`, and the `responder` API (its `commands`,
//!   `writes`, `reads` and `documents`).
//! - [`adapters`]: the implementations: DynamoDB, EventBridge and SNS (feature `aws`),
//!   SQLite (feature `sqlite`; its `schema` and its `writer` thread), GitHub Issues (feature
//!   `github`), and the in-process bus and file notifier. The DynamoDB table's set-up for tests is feature `test-util`.
//! - [`lambda`] (feature `lambda`): the glue each Lambda `main.rs` calls.
//!
//! Imports run one way (docs/architecture.md, checked by `tests/layering.rs`):
//! `domain` <- `policy` <- `app` <- `http` / `adapters` <- `lambda`.

pub mod ack;
pub mod adapters;
pub mod app;
pub mod config;
pub mod documents;
pub mod domain;
pub mod escape;
pub mod http;
pub mod jwt;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod messages;
pub mod metrics;
pub mod policy;
pub mod ports;
pub mod retry;
pub mod webhook;

pub use app::App;
