//! `GET /ack/{token}` and `POST /ack/{token}`: acknowledging from a page.
//!
//! GET only shows a confirmation page, because link-preview bots and mail
//! scanners fetch links; POST (the page's button) acknowledges. A token
//! works once. Every refusal is a page that says why and changes nothing.

use super::html::{self, render};
use crate::ack::AckToken;
use crate::app::App;
use crate::app::ack_link::{self, Link, LinkError};
use crate::app::escalate::AckError;
use crate::domain::Incident;
use bytes::Bytes;
use http::{Response, StatusCode};
use minijinja::context;
use std::sync::Arc;

fn page(
    status: StatusCode,
    heading: &str,
    message: &str,
    incident: Option<&Incident>,
    confirm: Option<&AckToken>,
) -> Response<Bytes> {
    let incident = incident.map(|i| {
        context! {
            reference => i.reference.as_str(),
            title => i.title.as_str(),
            severity => i.severity.map(|s| s.code()).unwrap_or("unassessed"),
            status => i.status.as_str(),
        }
    });
    let ctx = context! {
        heading => heading,
        message => message,
        incident => incident,
        confirm => confirm.is_some(),
        audience => confirm.map(|t| t.audience.as_str()),
        person => confirm.and_then(|t| t.to.as_ref()).map(|r| r.person.as_str()),
    };
    match render("ack.html", ctx) {
        Ok(body) => html::response(status, body),
        Err(e) => e.into_response(),
    }
}

/// The page for a link that does not acknowledge: what happened, and that
/// nothing changed.
fn refusal(e: LinkError) -> Response<Bytes> {
    let unavailable = "Try again in a moment";
    match e {
        LinkError::Off => page(
            StatusCode::NOT_FOUND,
            "Acknowledgement links are off",
            "This Klaxon has no KLAXON_ACK_SECRET, so it makes no acknowledgement links. Acknowledge with the API or `klaxon ack`.",
            None,
            None,
        ),
        LinkError::Expired(e) => page(
            StatusCode::GONE,
            "This link has expired",
            &format!(
                "{e}. Acknowledge with the API or `klaxon ack`, or use the link in a newer page."
            ),
            None,
            None,
        ),
        LinkError::Invalid(e) => page(
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            &format!("{e}. Nothing was changed."),
            None,
            None,
        ),
        LinkError::NotFound => page(
            StatusCode::NOT_FOUND,
            "Incident not found",
            "The incident this link names does not exist (any more). Nothing was changed.",
            None,
            None,
        ),
        LinkError::Unreadable(_) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            unavailable,
            "Klaxon could not read the incident just now. Nothing was changed; reload this page to try again.",
            None,
            None,
        ),
        LinkError::Used(incident) => page(
            StatusCode::CONFLICT,
            "This link was already used",
            "Each acknowledgement link works once. Nothing was changed.",
            Some(&incident),
            None,
        ),
        LinkError::Unrecorded(incident, _) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            unavailable,
            "Klaxon could not record the acknowledgement just now. Nothing was changed; go back and press the button again.",
            Some(&incident),
            None,
        ),
        LinkError::Refused(incident, e) => {
            let (status, heading, message) = match &e {
                AckError::Refused(r) => (StatusCode::CONFLICT, "Nothing to acknowledge", r.to_string()),
                AckError::NotFound(_) => (StatusCode::NOT_FOUND, "Incident not found", e.to_string()),
                AckError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, unavailable, "Klaxon could not record the acknowledgement just now. Nothing was changed; press the button again.".to_owned()),
            };
            page(status, heading, &message, Some(&incident), None)
        }
    }
}

/// `GET /ack/{token}`: the confirmation page. Changes nothing.
pub async fn show(app: &Arc<App>, token: &str) -> Response<Bytes> {
    let Link {
        claims, incident, ..
    } = match ack_link::open(app, token).await {
        Ok(link) => link,
        Err(e) => return refusal(e),
    };
    if let Some(by) = ack_link::already_acknowledged(&incident) {
        return page(
            StatusCode::OK,
            "Already acknowledged",
            &format!(
                "{} was acknowledged by {by}. Paging has stopped.",
                incident.reference
            ),
            Some(&incident),
            None,
        );
    }
    page(
        StatusCode::OK,
        "Acknowledge this incident?",
        "Acknowledging stops paging for this incident and records that you have it.",
        Some(&incident),
        Some(&claims),
    )
}

/// `POST /ack/{token}`: acknowledges, once per token.
pub async fn confirm(app: &Arc<App>, token: &str) -> Response<Bytes> {
    let link = match ack_link::open(app, token).await {
        Ok(link) => link,
        Err(e) => return refusal(e),
    };
    let audience = link.claims.audience;
    match ack_link::acknowledge(app, link).await {
        Ok(acked) => {
            let message = if acked.changed {
                format!("Acknowledged by {audience}. Paging has stopped.")
            } else {
                "It was already acknowledged; nothing more was needed.".to_owned()
            };
            page(
                StatusCode::OK,
                "Acknowledged",
                &message,
                Some(&acked.incident),
                None,
            )
        }
        Err(e) => refusal(e),
    }
}
