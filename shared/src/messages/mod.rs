//! Messages: what each audience is told about each event, rendered from
//! templates a team can edit (`shared/templates/notify/`, overridable with
//! `KLAXON_TEMPLATE_DIR`), with one body per SNS protocol.
//!
//! Drafts (the customer notice, the Atlassian report, the Critical/High
//! notification, the patch release notice) go to the comms audience for a
//! person to send: Klaxon never mails customers itself, and drills produce
//! none of them.
//!
//! - [`templates`]: the built-in templates and a team's overrides, compiled once.
//! - [`render`](mod@render): one message, every body, from an event and its incident.
//! - [`issue`]: what the tracker's issue for an incident says.
//! - [`oncall`]: the roster's notices: handoffs and coverage warnings.
//!
//! Who is told what is the plan's decision ([`crate::policy::recipients()`]);
//! the message itself is the port's type ([`crate::ports::Message`]).

pub mod issue;
pub mod oncall;
pub mod render;
pub mod templates;

pub use render::{Inputs, SMS_LIMIT, render};
pub use templates::{BUILTIN, TemplateError, Templates};
