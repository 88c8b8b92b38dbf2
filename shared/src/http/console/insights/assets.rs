//! `GET /console/assets/console.js`: the console's one script, a static
//! file in the binary, so the pages' policy allows scripts from 'self' only.

use crate::http::console::page::Nope;
use bytes::Bytes;
use http::{HeaderValue, Response, header};

const SCRIPT: &str = include_str!("../../../../templates/console/assets/console.js");

pub(super) fn serve(name: &str) -> Result<Response<Bytes>, Nope> {
    if name != "console.js" {
        return Err(Nope::NotFound);
    }
    let mut resp = Response::new(Bytes::from_static(SCRIPT.as_bytes()));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(resp)
}
