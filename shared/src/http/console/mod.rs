//! The responder console: server-rendered pages under `/console`, over the
//! same use cases and command types as the responder API. Nothing here
//! parses a write or decides a rule: a form is read by the API's own
//! `parse` (through [`Form`](super::responder::commands::Form)), the role
//! is checked by the API's [`permit`](super::responder::caller::permit)
//! against each command's `NEED`, and tenant scope is the use cases' own.
//! The pages work without JavaScript; every value is escaped by the
//! templates (minijinja escapes every `.html` template).
//!
//! - [`session`]: sign-in with an API token, the session cookie, each form's
//!   token and the same-origin check.
//! - [`list`]: the incidents page.
//! - [`incident`]: one incident's page, and its review as Markdown.
//! - [`actions`]: each form's post: authorize, parse, call, redirect.
//! - [`page`]: the refusals ([`Nope`]) and how each is shown.
//! - [`oidc`]: sign-in through the OpenID provider (authorization code with PKCE).
//! - [`insights`]: the metrics and on-call pages.

mod actions;
mod clock;
mod incident;
mod insights;
mod list;
mod oidc;
mod page;
mod session;

use crate::app::App;
use bytes::Bytes;
use http::{Method, Request, Response};
use page::Nope;
use std::sync::Arc;

/// The path prefix every console page lives under.
pub const PREFIX: &str = "/console";

/// Whether `path` is one of the console's.
pub fn is_console(path: &str) -> bool {
    path == PREFIX || path.starts_with("/console/")
}

/// Serves one console request; every refusal is a page.
pub async fn serve(app: &Arc<App>, req: Request<Bytes>) -> Response<Bytes> {
    let path = req.uri().path().to_owned();
    let segs: Option<Vec<String>> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|d| d.into_owned())
        })
        .collect();
    let Some(segs) = segs else {
        return page::refusal(Nope::NotFound, None, &[]);
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let post = req.method() == Method::POST;
    let result = match segs.as_slice() {
        [] if get => list::page(app, &req).await,
        ["sign-in"] if get => Ok(session::form(app, &req, None)),
        ["sign-in"] if post => session::sign_in(app, &req).await,
        ["sign-out"] if post => session::sign_out(app, &req).await,
        ["oidc", rest @ ..] => oidc::serve(app, &req, rest).await,
        [first @ ("metrics" | "oncall" | "assets"), rest @ ..] => {
            insights::serve(app, &req, first, rest).await
        }
        ["incidents", key] if get => incident::page(app, &req, key).await,
        ["incidents", key, "review.md"] if get => incident::review(app, &req, key).await,
        ["incidents", key, action] if post => actions::post(app, &req, key, action, None).await,
        ["incidents", key, "tasks", task] if post => {
            actions::post(app, &req, key, "tasks", Some(task)).await
        }
        [] | ["incidents", _] | ["incidents", _, "review.md"] => Err(Nope::Method("GET, HEAD")),
        ["sign-in"] => Err(Nope::Method("GET, HEAD, POST")),
        ["sign-out"] | ["incidents", _, _] | ["incidents", _, "tasks", _] => {
            Err(Nope::Method("POST"))
        }
        _ => Err(Nope::NotFound),
    };
    match result {
        Ok(resp) => resp,
        Err(nope) => {
            let echo = page::echo_of(&req);
            nope.log(&echo);
            let signed = session::signed(app, &req).await.ok().flatten();
            page::refusal(nope, signed.as_ref(), &echo)
        }
    }
}

/// A signed-in browser: its session id (from the cookie, never stored)
/// and the caller the session names.
pub(crate) struct Signed {
    id: crate::domain::session::SessionId,
    caller: crate::domain::Caller,
}

impl Signed {
    /// The token this session's forms carry.
    fn form_token(&self) -> String {
        self.id.form_token()
    }
}
