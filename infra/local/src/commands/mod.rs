//! What each subcommand does and prints.
//!
//! - [`dry_run`]: `assess` and `policy default`, the engine alone.
//! - [`local_store`]: `show` and local `ack`, on `klaxon serve`'s data
//!   directory; no network.
//! - [`api`](mod@api): the responder API's subcommands, through [`crate::client`].
//! - [`render`]: the API's answers as text for people.
//! - [`doctor`](mod@doctor): what SMS paging needs from the AWS account.
//! - [`people_sync`]: the paging topic's subscriptions in line with the roster.
//! - [`import`]: `import opsgenie`, another pager's roster and paging brought over.

pub mod api;
pub mod doctor;
pub mod dry_run;
pub mod import;
pub mod local_store;
pub mod people_sync;
pub mod render;

pub use api::{api, api_ack, hint};
pub use doctor::doctor;
pub use dry_run::{assess, assess_line, policy_default};
pub use local_store::{ack, show};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
