//! Sign-in through the OpenID provider: `/console/oidc/...`.

use super::page::Nope;
use crate::app::App;
use bytes::Bytes;
use http::{Request, Response};

/// Serves `/console/oidc/{rest}`.
pub(super) async fn serve(
    _app: &App,
    _req: &Request<Bytes>,
    _rest: &[&str],
) -> Result<Response<Bytes>, Nope> {
    Err(Nope::NotFound)
}
