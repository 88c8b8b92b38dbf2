//! klaxon-assess: `Report Received` from EventBridge → provisional severity → `Incident Triaged`.

use klaxon_core::app::assess;
use klaxon_core::lambda;

fn main() -> Result<(), lambda::Error> {
    lambda::run(async {
        let app = lambda::init("assess").await?;
        lambda::serve_events(app, |app, event| async move {
            assess::on_event(&app, &event).await
        })
        .await
    })
}
