//! The metrics and on-call pages: `/console/metrics` and `/console/oncall`.

use super::page::Nope;
use crate::app::App;
use bytes::Bytes;
use http::{Request, Response};

/// Serves `/console/{page}/{rest}`.
pub(super) async fn serve(
    _app: &App,
    _req: &Request<Bytes>,
    _page: &str,
    _rest: &[&str],
) -> Result<Response<Bytes>, Nope> {
    Err(Nope::NotFound)
}
