//! Klaxon's core, shared by every Lambda function and by `klaxon serve`.
//!
//! - [`domain`]: incidents, reports, severities, the response (roles, tasks, evidence, the
//!   lifecycle, retention), deadline verdicts and domain events. Pure.
//! - [`policy`]: the incident response plans' tables (CVSS bands, SLAs) as functions. Pure.
//! - [`ports`]: the traits the core needs: `IncidentStore`, `Outbox`, `DeliveryLedger`,
//!   `EventPublisher`, `Notifier`, `Clock`.
//! - [`adapters`]: the implementations: DynamoDB, EventBridge and SNS (feature `aws`),
//!   SQLite (feature `sqlite`), and the in-process bus and file notifier. The DynamoDB
//!   table's set-up for tests (`dynamo::create_table`, `seed_incidents`) is feature
//!   `test-util`, not shipped.
//! - [`app`]: the use cases (intake, webhook ingest, assess, notify, escalate, respond, the
//!   outbox relay), over one conditional write (`app::update`) and one delivery guard
//!   (`app::delivery`).
//! - [`http`]: the HTTP routes, one error type, one place that picks status codes.
//! - [`webhook`]: signature checks and each sender's payload normalised to a report. Pure.
//! - [`ack`]: signed, single-use acknowledgement links.
//! - [`messages`] and [`reports`]: rendering what each audience is told, and the
//!   post-incident documents (`reports::{review, metrics, annual, drill}`, over the shared
//!   Markdown pieces in `reports::markdown`).
//! - [`escape`]: untrusted text made safe for each format people read: Markdown, chat,
//!   `sha256sum` manifests, the terminal. Pure.
//! - [`config`] and [`metrics`]: typed configuration and EMF counters.
//! - [`lambda`] (feature `lambda`): the glue each Lambda `main.rs` calls.
//!
//! Imports run one way (docs/architecture.md, checked by `tests/layering.rs`):
//! `domain` <- `policy` <- `app` <- `http` / `adapters` <- `lambda`.

pub mod ack;
pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod escape;
pub mod http;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod messages;
pub mod metrics;
pub mod policy;
pub mod ports;
pub mod reports;
pub mod webhook;

pub use app::App;
