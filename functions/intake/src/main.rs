//! klaxon-intake: the report form and webhooks, behind the HTTP API.

use klaxon_core::http::IntakeRoutes;
use klaxon_core::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    let app = lambda::init("intake").await?;
    lambda::serve_http::<IntakeRoutes>(app).await
}
