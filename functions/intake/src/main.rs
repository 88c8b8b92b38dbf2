//! klaxon-intake: the report form and webhooks, behind the HTTP API.

use klaxon_core::http::IntakeRoutes;
use klaxon_core::lambda;

fn main() -> Result<(), lambda::Error> {
    lambda::run(async {
        let app = lambda::init("intake").await?;
        lambda::serve_http::<IntakeRoutes>(app).await
    })
}
