//! The metrics and on-call pages, `/console/metrics` and `/console/oncall`,
//! and the console's script under `/console/assets/`.

use super::page::Nope;
use crate::app::App;
use bytes::Bytes;
use http::{Method, Request, Response};
use std::sync::Arc;

mod assets;
mod charts;
mod metrics;
mod oncall;

/// Serves `/console/{page}/{rest}`.
pub(super) async fn serve(
    app: &Arc<App>,
    req: &Request<Bytes>,
    page: &str,
    rest: &[&str],
) -> Result<Response<Bytes>, Nope> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(Nope::Method("GET, HEAD"));
    }
    match (page, rest) {
        ("metrics", []) => metrics::page(app, req).await,
        ("metrics", ["annual"]) => metrics::annual(app, req, false).await,
        ("metrics", ["annual.md"]) => metrics::annual(app, req, true).await,
        ("oncall", []) => oncall::page(app, req).await,
        ("assets", [name]) => assets::serve(name),
        _ => Err(Nope::NotFound),
    }
}
