//! klaxon-escalate: the every-minute sweep, triggered by the EventBridge schedule.

use klaxon_core::app::escalate;
use klaxon_core::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    let app = lambda::init("escalate").await?;
    lambda::serve_schedule(app, |app| async move { escalate::tick(&app).await }).await
}
