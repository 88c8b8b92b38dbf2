//! klaxon-escalate: the every-minute sweep, triggered by the EventBridge schedule.

use klaxon_core::app::escalate;
use klaxon_core::lambda;

fn main() -> Result<(), lambda::Error> {
    lambda::run(async {
        let app = lambda::init("escalate").await?;
        lambda::serve_schedule(app, |app| async move { escalate::tick(&app).await }).await
    })
}
