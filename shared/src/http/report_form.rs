//! How a reporter reaches the team: the vulnerability report form,
//! `POST /reports` (JSON or form) and `/.well-known/security.txt`.

use super::html::{self, render};
use super::{ApiError, ClientIp, MAX_BODY, json_response, media_type, starts_object};
use crate::app::{App, intake};
use crate::domain::{FieldError, Report, ReportInput, SenderKey, Source};
use crate::metrics::{self, Metric};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

const MAX_IDEMPOTENCY_KEY: usize = 255;
const FORM: &str = "application/x-www-form-urlencoded";

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

/// The form's fields plus its honeypot.
#[derive(Deserialize)]
struct FormPost {
    #[serde(flatten)]
    report: ReportInput,
    #[serde(default)]
    website: Option<String>,
}

/// `POST /reports`: JSON in, JSON out; a form in, a page out.
pub async fn post(
    app: &std::sync::Arc<App>,
    req: Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let media = media_type(&req);
    let is_form = media == FORM;
    let result = accept(app, &req, &media).await;
    match (result, is_form) {
        (
            Ok(Accepted {
                reference,
                id,
                duplicate,
            }),
            false,
        ) => Ok(json_response(
            StatusCode::ACCEPTED,
            &json!({"incident_id": id, "reference": reference, "duplicate": duplicate}),
        )),
        (Ok(Accepted { reference, .. }), true) => {
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

struct Accepted {
    reference: Option<String>,
    id: Option<String>,
    duplicate: bool,
}

struct Refused {
    error: ApiError,
    values: FormValues,
}

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            values: FormValues::default(),
        }
    }
}

/// Everything that can be refused is refused here, before any write.
async fn accept(
    app: &std::sync::Arc<App>,
    req: &Request<Bytes>,
    media: &str,
) -> Result<Accepted, Refused> {
    let refuse = |e: ApiError| {
        metrics::incr(Metric::ReportsRejected);
        e
    };
    if req.body().len() > MAX_BODY {
        return Err(refuse(ApiError::PayloadTooLarge(MAX_BODY)).into());
    }
    if let (Some(limiter), Some(ClientIp(ip))) =
        (&app.report_limiter, req.extensions().get::<ClientIp>())
        && let Err(secs) = limiter.check(*ip)
    {
        return Err(refuse(ApiError::TooManyRequests(secs)).into());
    }
    let key = idempotency_key(req).map_err(refuse)?;
    let input = match media {
        "application/json" if !starts_object(req.body()) => {
            return Err(refuse(ApiError::BadRequest {
                code: "malformed_json",
                message: "the body is not a valid report object: send a JSON object".into(),
            })
            .into());
        }
        "application/json" => serde_json::from_slice::<ReportInput>(req.body()).map_err(|e| {
            refuse(ApiError::BadRequest {
                code: "malformed_json",
                message: format!("the body is not a valid report object: {e}"),
            })
        })?,
        FORM => {
            let post: FormPost = serde_urlencoded::from_bytes(req.body()).map_err(|e| {
                refuse(ApiError::BadRequest {
                    code: "malformed_form",
                    message: format!("the form could not be read: {e}"),
                })
            })?;
            if post
                .website
                .as_deref()
                .is_some_and(|w| !w.trim().is_empty())
            {
                // A bot filled in the hidden field: thank it and store nothing.
                metrics::incr(Metric::ReportsRejected);
                tracing::info!("report form honeypot filled; dropped");
                return Ok(Accepted {
                    reference: None,
                    id: None,
                    duplicate: false,
                });
            }
            post.report
        }
        _ => {
            return Err(refuse(ApiError::UnsupportedMediaType(
                "application/json or application/x-www-form-urlencoded",
            ))
            .into());
        }
    };
    let values = input.clone();
    let products = &app.settings.intake.products;
    let mut errors = Vec::new();
    if let Some(p) = input
        .product
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        && !products.is_empty()
        && !products.iter().any(|known| known == p)
    {
        errors.push(FieldError {
            field: "product",
            message: format!("product must be one of: {}", products.join(", ")),
        });
    }
    let report = match Report::parse(input) {
        Ok(r) if errors.is_empty() => r,
        Ok(_) => {
            return Err(Refused {
                error: refuse(ApiError::Validation(errors)),
                values,
            });
        }
        Err(mut e) => {
            e.extend(errors);
            return Err(Refused {
                error: refuse(ApiError::Validation(e)),
                values,
            });
        }
    };
    let created = intake::submit(app, Source::Report, report, key)
        .await
        .map_err(|e| Refused {
            error: e.into(),
            values: FormValues::default(),
        })?;
    Ok(Accepted {
        reference: Some(created.incident.reference.to_string()),
        id: Some(created.incident.id.to_string()),
        duplicate: created.duplicate,
    })
}

/// The `Idempotency-Key`, hashed and bound to the body: the same key with
/// another body is refused (see `intake::submit`).
fn idempotency_key(req: &Request<Bytes>) -> Result<Option<SenderKey>, ApiError> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || ApiError::BadRequest {
        code: "invalid_idempotency_key",
        message: format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
        ),
    };
    let s = v.to_str().map_err(|_| bad())?.trim();
    if s.is_empty() || s.len() > MAX_IDEMPOTENCY_KEY || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(SenderKey::new(s).for_content(req.body())))
}

/// `GET /.well-known/security.txt` (RFC 9116): contact, expiry, and the form.
pub fn security_txt(app: &App, req: &Request<Bytes>) -> Response<Bytes> {
    let s = &app.settings.intake;
    let base = s.public_url.clone().or_else(|| {
        req.headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("https://{h}"))
    });
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
