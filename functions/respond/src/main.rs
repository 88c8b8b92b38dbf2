//! klaxon-respond: the responder API, behind the HTTP API.

use klaxon_core::http::ApiRoutes;
use klaxon_core::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    let app = lambda::init("respond").await?;
    lambda::serve_http::<ApiRoutes>(app).await
}
