//! The HTML pages' plumbing: the built-in page templates (the report form,
//! its thank-you page, the ack page, the console's pages), rendered with
//! the headers every page gets.

use super::ApiError;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use minijinja::Environment;
use std::sync::LazyLock;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, src) in [
        ("layout.html", include_str!("../../templates/layout.html")),
        (
            "report_form.html",
            include_str!("../../templates/report_form.html"),
        ),
        (
            "thank_you.html",
            include_str!("../../templates/thank_you.html"),
        ),
        ("ack.html", include_str!("../../templates/ack.html")),
    ] {
        // The templates ship in the binary; a test renders each one.
        if let Err(e) = env.add_template(name, src) {
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env
});

/// The console's pages: their own environment, so a binary without the
/// console (intake) carries none of their text.
static CONSOLE: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_filter("when", when);
    for (name, src) in [
        (
            "console/layout.html",
            include_str!("../../templates/console/layout.html"),
        ),
        (
            "console/sign_in.html",
            include_str!("../../templates/console/sign_in.html"),
        ),
        (
            "console/incidents.html",
            include_str!("../../templates/console/incidents.html"),
        ),
        (
            "console/incident.html",
            include_str!("../../templates/console/incident.html"),
        ),
        (
            "console/error.html",
            include_str!("../../templates/console/error.html"),
        ),
        (
            "console/metrics.html",
            include_str!("../../templates/console/metrics.html"),
        ),
        (
            "console/annual.html",
            include_str!("../../templates/console/annual.html"),
        ),
        (
            "console/oncall.html",
            include_str!("../../templates/console/oncall.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, src) {
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env
});

/// An RFC 3339 time as people read it in the console: to the minute, UTC.
/// Anything else is shown as it is.
fn when(v: String) -> String {
    match chrono::DateTime::parse_from_rfc3339(&v) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => v,
    }
}

/// An HTML page with the headers every page gets: no scripts, no framing,
/// no caching, no referrer.
pub(crate) fn response(status: StatusCode, body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // No scripts at all; the page works without them.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Renders one of the built-in pages.
pub(crate) fn render(name: &str, ctx: minijinja::Value) -> Result<String, ApiError> {
    render_in(&TEMPLATES, name, ctx)
}

/// Renders one of the console's pages.
pub(crate) fn render_console(name: &str, ctx: minijinja::Value) -> Result<String, ApiError> {
    render_in(&CONSOLE, name, ctx)
}

fn render_in(
    env: &Environment<'static>,
    name: &str,
    ctx: minijinja::Value,
) -> Result<String, ApiError> {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| {
            tracing::error!(template = name, error = %e, "template failed to render");
            ApiError::Internal
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every console template compiles (a template that does not is only
    /// logged at start-up, so this is where it fails).
    #[test]
    fn console_templates_compile() {
        for name in [
            "console/layout.html",
            "console/sign_in.html",
            "console/incidents.html",
            "console/incident.html",
            "console/error.html",
            "console/metrics.html",
            "console/annual.html",
            "console/oncall.html",
        ] {
            assert!(CONSOLE.get_template(name).is_ok(), "{name}");
        }
        assert!(TEMPLATES.get_template("console/layout.html").is_err());
    }
}
