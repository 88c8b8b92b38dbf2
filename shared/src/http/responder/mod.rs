//! The responder API (`/api/v1/...`): each handler authorizes the caller,
//! parses the request once, calls [`crate::app`] and renders the answer.
//!
//! - [`caller`]: who is calling, and whether their role may.
//! - [`commands`]: each write's body, parsed once into a command.
//! - [`errors`]: how the use cases' refusals become [`ApiError`](super::ApiError)s.
//! - [`writes`]: the write routes.
//! - [`reads`]: the incident list, the incident view and the evidence manifest.
//! - [`documents`]: the post-incident documents and metrics as served.
//! - [`monitors`]: the heartbeat monitors: list, set, delete.
//! - [`oncall`]: people, schedules, overrides, who is on call, the calendar feeds.

pub mod caller;
pub mod commands;
pub mod documents;
pub mod errors;
pub mod monitors;
pub mod oncall;
pub mod reads;
pub mod writes;
