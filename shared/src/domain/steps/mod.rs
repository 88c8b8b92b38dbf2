//! The response steps: each edits a [`Change`](super::Change), which the
//! store commits or not at all. The data they record lives in `response`.

mod evidence;
mod lifecycle;
mod retention;
mod roles;
mod tasks;

pub use lifecycle::Lifecycle;
pub use tasks::Checklists;
