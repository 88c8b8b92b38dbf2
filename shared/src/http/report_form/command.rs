//! `POST /reports`'s body, parsed once into a command, before any write:
//! the size, the `Idempotency-Key`, the media type, JSON or the form (with
//! its honeypot), the product and the domain's [`Report::parse`]. Each
//! refusal is typed; [`ApiError`] picks the status and code.

use crate::domain::{FieldError, Report, ReportInput, SenderKey};
use crate::http::{ApiError, MAX_BODY, media_type, starts_object};
use bytes::Bytes;
use http::Request;
use serde::Deserialize;

pub const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// A report post, parsed.
// Made once per request and matched at once: boxing the report would
// allocate for every post to save a move.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum SubmitReport {
    /// A report to store, under the sender's key (hashed, bound to the body:
    /// the same key with another body is refused by `intake::submit`).
    File {
        report: Report,
        key: Option<SenderKey>,
    },
    /// A bot filled in the form's hidden field: thank it and store nothing.
    Honeypot,
}

/// Why a report post was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReportError {
    #[error("the body is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("send application/json or application/x-www-form-urlencoded")]
    MediaType,
    #[error("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters")]
    IdempotencyKey,
    /// serde reads a struct from a JSON array too; a report is an object.
    #[error("the body is not a valid report object: send a JSON object")]
    NotAnObject,
    #[error("the body is not a valid report object: {0}")]
    MalformedJson(String),
    #[error("the form could not be read: {0}")]
    MalformedForm(String),
    /// Fields the reporter can fix, with what they typed, for the form to
    /// show again.
    #[error("the report has {} field error(s)", fields.len())]
    Invalid {
        fields: Vec<FieldError>,
        values: Box<ReportInput>,
    },
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        let code = match e {
            ReportError::TooLarge => return Self::PayloadTooLarge(MAX_BODY),
            ReportError::MediaType => {
                return Self::UnsupportedMediaType(
                    "application/json or application/x-www-form-urlencoded",
                );
            }
            ReportError::Invalid { fields, .. } => return Self::Validation(fields),
            ReportError::IdempotencyKey => "invalid_idempotency_key",
            ReportError::NotAnObject | ReportError::MalformedJson(_) => "malformed_json",
            ReportError::MalformedForm(_) => "malformed_form",
        };
        Self::BadRequest {
            code,
            message: e.to_string(),
        }
    }
}

/// The form's fields plus its honeypot.
#[derive(Deserialize)]
struct FormPost {
    #[serde(flatten)]
    report: ReportInput,
    #[serde(default)]
    website: Option<String>,
}

impl SubmitReport {
    /// Parses a post; `products`, when not empty, are the ones a report may name.
    pub fn parse(req: &Request<Bytes>, products: &[String]) -> Result<Self, ReportError> {
        if req.body().len() > MAX_BODY {
            return Err(ReportError::TooLarge);
        }
        let key = idempotency_key(req)?;
        let input = match media_type(req).as_str() {
            JSON if !starts_object(req.body()) => return Err(ReportError::NotAnObject),
            JSON => serde_json::from_slice::<ReportInput>(req.body())
                .map_err(|e| ReportError::MalformedJson(e.to_string()))?,
            FORM => {
                let post: FormPost = serde_urlencoded::from_bytes(req.body())
                    .map_err(|e| ReportError::MalformedForm(e.to_string()))?;
                if post
                    .website
                    .as_deref()
                    .is_some_and(|w| !w.trim().is_empty())
                {
                    return Ok(Self::Honeypot);
                }
                post.report
            }
            _ => return Err(ReportError::MediaType),
        };
        let values = Box::new(input.clone());
        let unknown = unknown_product(input.product.as_deref(), products);
        match Report::parse(input) {
            Ok(report) if unknown.is_none() => Ok(Self::File { report, key }),
            Ok(_) => Err(ReportError::Invalid {
                fields: unknown.into_iter().collect(),
                values,
            }),
            Err(mut fields) => {
                fields.extend(unknown);
                Err(ReportError::Invalid { fields, values })
            }
        }
    }
}

/// A product outside the configured list (none configured: any goes).
fn unknown_product(product: Option<&str>, products: &[String]) -> Option<FieldError> {
    let p = product.map(str::trim).filter(|p| !p.is_empty())?;
    if products.is_empty() || products.iter().any(|known| known == p) {
        return None;
    }
    Some(FieldError {
        field: "product",
        message: format!("product must be one of: {}", products.join(", ")),
    })
}

/// The `Idempotency-Key`, hashed and bound to the body.
fn idempotency_key(req: &Request<Bytes>) -> Result<Option<SenderKey>, ReportError> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let s = v.to_str().map_err(|_| ReportError::IdempotencyKey)?.trim();
    if s.is_empty() || s.len() > MAX_IDEMPOTENCY_KEY || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ReportError::IdempotencyKey);
    }
    Ok(Some(SenderKey::new(s).for_content(req.body())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(media: &str, body: &str, key: Option<&str>) -> Request<Bytes> {
        let mut b = Request::builder()
            .method("POST")
            .header("content-type", media);
        if let Some(k) = key {
            b = b.header("idempotency-key", k);
        }
        b.body(Bytes::from(body.to_owned())).expect("request")
    }

    fn json(body: &str) -> Request<Bytes> {
        post(JSON, body, None)
    }

    fn form(body: &str) -> Request<Bytes> {
        post(FORM, body, None)
    }

    /// Each refusal, and the status and code it answers with.
    #[test]
    fn refusal_table() {
        let big = json(&format!("{{\"title\": \"{}\"}}", "a".repeat(MAX_BODY)));
        let cases: [(Request<Bytes>, &str, u16, &str); 9] = [
            (big, "TooLarge", 413, "payload_too_large"),
            (post("text/plain", "title=x", None), "MediaType", 415, ""),
            (json("[\"t\"]"), "NotAnObject", 400, "malformed_json"),
            (
                json("{\"title\": 1}"),
                "MalformedJson",
                400,
                "malformed_json",
            ),
            (
                form("summary=x&customer_data_involved=maybe"),
                "MalformedForm",
                400,
                "malformed_form",
            ),
            (
                post(JSON, "{\"title\":\"t\"}", Some("")),
                "IdempotencyKey",
                400,
                "invalid_idempotency_key",
            ),
            (
                post(JSON, "{\"title\":\"t\"}", Some(&"k".repeat(256))),
                "IdempotencyKey",
                400,
                "invalid_idempotency_key",
            ),
            (
                post(JSON, "{\"title\":\"t\"}", Some("a key")),
                "IdempotencyKey",
                400,
                "invalid_idempotency_key",
            ),
            (json("{\"title\": \"\"}"), "Invalid", 400, "invalid_fields"),
        ];
        for (req, variant, status, code) in cases {
            let e = SubmitReport::parse(&req, &[]).expect_err("refused");
            assert!(
                format!("{e:?}").starts_with(variant),
                "{e:?}, want {variant}"
            );
            let api = ApiError::from(e);
            assert_eq!(api.status().as_u16(), status, "{api:?}");
            if !code.is_empty() {
                assert_eq!(api.code(), code, "{api:?}");
            }
        }
    }

    /// The messages a JSON client reads, as they were before the command.
    #[test]
    fn messages() {
        let cases = [
            (
                ReportError::NotAnObject,
                "the body is not a valid report object: send a JSON object",
            ),
            (
                ReportError::MalformedJson("x".into()),
                "the body is not a valid report object: x",
            ),
            (
                ReportError::MalformedForm("x".into()),
                "the form could not be read: x",
            ),
            (
                ReportError::IdempotencyKey,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(ApiError::from(e).message(), want);
        }
    }

    /// What a post becomes: a report (JSON or form, keyed or not), the
    /// honeypot, or field errors with the values kept.
    #[test]
    fn parse_table() {
        let products = ["Workzone".to_owned(), "AI Insights".to_owned()];
        let filed = |r: Result<SubmitReport, ReportError>| match r {
            Ok(SubmitReport::File { report, key }) => {
                Some((report.title.to_string(), key.is_some()))
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            filed(SubmitReport::parse(&json("{\"title\":\"t\"}"), &products)),
            Some(("t".into(), false))
        );
        assert_eq!(
            filed(SubmitReport::parse(
                &form("summary=Leak&product=Workzone"),
                &products
            )),
            Some(("Leak".into(), false))
        );
        assert_eq!(
            filed(SubmitReport::parse(
                &post(JSON, " {\"title\":\"t\"}", Some("k-1")),
                &products
            )),
            Some(("t".into(), true))
        );
        // Any product goes when none is configured.
        assert_eq!(
            filed(SubmitReport::parse(&form("summary=x&product=Other"), &[])),
            Some(("x".into(), false))
        );

        for honeypot in [
            "summary=Buy+now&website=http%3A%2F%2Fspam.example",
            "website=x",
        ] {
            let got = SubmitReport::parse(&form(honeypot), &products);
            assert!(matches!(got, Ok(SubmitReport::Honeypot)), "{got:?}");
        }
        // An empty honeypot is a person.
        let got = SubmitReport::parse(&form("summary=x&website=+"), &products);
        assert!(matches!(got, Ok(SubmitReport::File { .. })), "{got:?}");

        // Field errors: the domain's first, then the product's; values kept.
        let cases: [(&str, &[&str]); 3] = [
            ("summary=&product=Other", &["title", "product"]),
            ("summary=x&product=Other", &["product"]),
            ("summary=&product=Workzone", &["title"]),
        ];
        for (body, want) in cases {
            match SubmitReport::parse(&form(body), &products) {
                Err(ReportError::Invalid { fields, values }) => {
                    let got: Vec<_> = fields.iter().map(|f| f.field).collect();
                    assert_eq!(got, want, "{body}");
                    assert!(values.product.is_some(), "{body}: values kept");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}
