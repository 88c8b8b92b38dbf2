//! How a reporter reaches the team: the vulnerability report form,
//! `POST /reports` (JSON or form) and `/.well-known/security.txt`.

pub mod command;

use super::html::{self, render};
use super::{ApiError, ClientIp, json_response, media_type};
use crate::app::{App, intake};
use crate::domain::{FieldError, ReportInput, Source};
use crate::metrics::{self, Metric};
use crate::ports::Created;
use bytes::Bytes;
use command::{FORM, ReportError, SubmitReport};
use http::{HeaderValue, Request, Response, StatusCode, header};
use minijinja::context;
use serde_json::json;
use std::sync::Arc;

/// What the reporter typed, echoed back into the form next to its errors.
type FormValues = ReportInput;

fn form_html(
    app: &App,
    status: StatusCode,
    values: &FormValues,
    errors: &[FieldError],
    notice: Option<String>,
) -> Result<Response<Bytes>, ApiError> {
    let body = render(
        "report_form.html",
        context! { v => values, errors => errors, products => &app.settings.intake.products, notice => notice },
    )?;
    Ok(html::response(status, body))
}

/// `GET /report`: the empty form.
pub fn form_page(app: &App) -> Response<Bytes> {
    form_html(app, StatusCode::OK, &FormValues::default(), &[], None)
        .unwrap_or_else(ApiError::into_response)
}

/// `POST /reports`: JSON in, JSON out; a form in, a page out. Everything
/// that can be refused is refused before any write.
pub async fn post(app: &Arc<App>, req: Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let form = media_type(&req) == FORM;
    let filed = match accept(app, &req) {
        Ok(SubmitReport::File { report, key }) => intake::submit(app, Source::Report, report, key)
            .await
            .map(Some)
            .map_err(|e| Refused::from(ApiError::from(e))),
        Ok(SubmitReport::Honeypot) => Ok(None),
        Err(refused) => Err(refused),
    };
    answer(app, form, filed)
}

/// The client's limit, then the command; each refusal (and the honeypot)
/// is counted.
fn accept(app: &App, req: &Request<Bytes>) -> Result<SubmitReport, Refused> {
    let accepted = within_limit(app, req)
        .map_err(Refused::from)
        .and_then(|()| Ok(SubmitReport::parse(req, &app.settings.intake.products)?));
    match &accepted {
        Ok(SubmitReport::File { .. }) => {}
        Ok(SubmitReport::Honeypot) => {
            metrics::incr(Metric::ReportsRejected);
            tracing::info!("report form honeypot filled; dropped");
        }
        Err(_) => metrics::incr(Metric::ReportsRejected),
    }
    accepted
}

/// Per-client limit on report posts, where one is set (`klaxon serve`).
fn within_limit(app: &App, req: &Request<Bytes>) -> Result<(), ApiError> {
    if let (Some(limiter), Some(ClientIp(ip))) =
        (&app.report_limiter, req.extensions().get::<ClientIp>())
    {
        limiter.check(*ip).map_err(ApiError::TooManyRequests)?;
    }
    Ok(())
}

/// A refusal, with what the reporter typed for the form to show again.
struct Refused {
    error: ApiError,
    values: Box<FormValues>,
}

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            values: Box::default(),
        }
    }
}

impl From<ReportError> for Refused {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Invalid { fields, values } => Self {
                error: ApiError::Validation(fields),
                values,
            },
            e => Self::from(ApiError::from(e)),
        }
    }
}

/// Renders what became of a post: the incident stored (`None` for the
/// honeypot, which is thanked all the same), or the refusal; for the form,
/// as a page with the values and each field's error.
fn answer(
    app: &App,
    form: bool,
    filed: Result<Option<Created>, Refused>,
) -> Result<Response<Bytes>, ApiError> {
    match (filed, form) {
        (Ok(created), false) => {
            let (id, reference, duplicate) = match &created {
                Some(c) => (
                    Some(c.incident.id.to_string()),
                    Some(c.incident.reference.to_string()),
                    c.duplicate,
                ),
                None => (None, None, false),
            };
            Ok(json_response(
                StatusCode::ACCEPTED,
                &json!({"incident_id": id, "reference": reference, "duplicate": duplicate}),
            ))
        }
        (Ok(created), true) => {
            let reference = created.map(|c| c.incident.reference.to_string());
            let body = render("thank_you.html", context! { reference => reference })?;
            Ok(html::response(StatusCode::ACCEPTED, body))
        }
        (Err(Refused { error, .. }), false) => Err(error),
        (Err(Refused { error, values }), true) => match error {
            ApiError::Validation(fields) => {
                form_html(app, StatusCode::BAD_REQUEST, &values, &fields, None)
            }
            e @ (ApiError::TooManyRequests(_) | ApiError::BadRequest { .. }) => {
                let mut resp = form_html(app, e.status(), &values, &[], Some(e.message()))?;
                if let ApiError::TooManyRequests(secs) = e {
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                Ok(resp)
            }
            other => Err(other),
        },
    }
}

/// `GET /.well-known/security.txt` (RFC 9116): contact, expiry, and the form.
pub fn security_txt(app: &App, req: &Request<Bytes>) -> Response<Bytes> {
    let s = &app.settings.intake;
    let base = crate::http::public_base(app, req);
    let form = base.as_deref().map(|b| format!("{b}/report"));
    // RFC 9116 asks for an expiry less than a year ahead.
    let expires = s
        .security_txt_expires
        .unwrap_or_else(|| app.clock.now() + chrono::Duration::days(180));
    let mut body = String::new();
    if let Some(c) = &s.security_contact {
        body.push_str(&format!("Contact: {c}\n"));
    }
    if let Some(f) = &form {
        body.push_str(&format!("Contact: {f}\n"));
    }
    body.push_str(&format!(
        "Expires: {}\n",
        expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    body.push_str("Preferred-Languages: en\n");
    if let Some(b) = &base {
        body.push_str(&format!("Canonical: {b}/.well-known/security.txt\n"));
    }
    let mut resp = Response::new(Bytes::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders() {
        let values = FormValues {
            title: Some("<b>x</b>".into()),
            ..FormValues::default()
        };
        let errors = [FieldError {
            field: "title",
            message: "title (summary) is required".into(),
        }];
        let page = render(
            "report_form.html",
            context! { v => &values, errors => &errors, products => vec!["A"], notice => None::<String> },
        )
        .expect("form renders");
        assert!(page.contains("id=\"title-error\""), "{page}");
        assert!(page.contains("aria-invalid=\"true\""));
        assert!(page.contains("&lt;b&gt;x&lt;"), "{page}");
        let thanks = render(
            "thank_you.html",
            context! { reference => "KLX-2026-ABCDEF" },
        )
        .expect("renders");
        assert!(thanks.contains("KLX-2026-ABCDEF"));
    }
}
