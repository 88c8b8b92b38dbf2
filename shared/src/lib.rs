//! Klaxon's core, shared by every Lambda function and by `klaxon serve`.
//!
//! - [`domain`]: incidents, reports, severities, the lifecycle and domain events. Pure.
//! - [`policy`]: the incident response plans' tables (CVSS bands, SLAs) as functions. Pure.
//! - [`ports`]: the traits the core needs: `IncidentStore`, `Outbox`, `DeliveryLedger`,
//!   `EventPublisher`, `Notifier`, `Clock`.
//! - [`adapters`]: the implementations: DynamoDB, EventBridge and SNS (feature `aws`),
//!   SQLite (feature `sqlite`), and the in-process bus and file notifier.
//! - [`app`]: the use cases (intake, assess, notify, escalate, the outbox relay).
//! - [`http`]: the HTTP routes, one error type, one place that picks status codes.
//! - [`escape`]: untrusted text made safe for each format people read: Markdown, chat,
//!   `sha256sum` manifests, the terminal. Pure.
//! - [`config`] and [`metrics`]: typed configuration and EMF counters.
//! - [`lambda`] (feature `lambda`): the glue each Lambda `main.rs` calls.

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
