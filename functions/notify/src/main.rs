//! klaxon-notify: domain events from EventBridge → messages on each audience's SNS topic.

use klaxon_core::app::notify;
use klaxon_core::lambda;

fn main() -> Result<(), lambda::Error> {
    lambda::run(async {
        let app = lambda::init("notify").await?;
        lambda::serve_events(app, |app, event| async move {
            notify::on_event(&app, &event).await
        })
        .await
    })
}
