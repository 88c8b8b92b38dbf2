//! klaxon-track: domain events from EventBridge → the incident's issue in
//! the team's tracker (GitHub Issues), kept in step, each action once.

use klaxon_core::adapters::github::GitHubIssues;
use klaxon_core::app::track;
use klaxon_core::lambda;
use klaxon_core::ports::IssueTracker;

fn main() -> Result<(), lambda::Error> {
    lambda::run(async {
        let app = lambda::init("track").await?;
        // No repository configured: every event is answered `off`.
        let tracker = match &app.settings.tracker {
            Some(t) => Some(GitHubIssues::new(t)?),
            None => None,
        };
        let tracker = tracker.as_ref().map(|t| t as &dyn IssueTracker);
        lambda::serve_events(app, |app, event| async move {
            track::on_event(&app, tracker, &event).await
        })
        .await
    })
}
