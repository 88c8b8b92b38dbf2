//! klaxon-respond: the responder API, behind the HTTP API.

use klaxon_core::http::ApiRoutes;
use klaxon_core::lambda;

fn main() -> Result<(), lambda::Error> {
    lambda::run(async {
        let app = lambda::init("respond").await?;
        lambda::serve_http::<ApiRoutes>(app).await
    })
}
