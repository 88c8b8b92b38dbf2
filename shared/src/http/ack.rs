//! `GET /ack/{token}` and `POST /ack/{token}`: acknowledging from a page.
//!
//! GET only shows a confirmation page, because link-preview bots and mail
//! scanners fetch links; POST (the page's button) acknowledges. A token
//! works once. Every refusal is a page that says why and changes nothing.

use super::html::{self, render};
use crate::ack::{self, AckToken, Token, TokenError};
use crate::app::App;
use crate::app::delivery::{self, Lease};
use crate::app::escalate::{self, AckError};
use crate::domain::Incident;
use bytes::Bytes;
use chrono::Duration;
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
    };
    match render("ack.html", ctx) {
        Ok(body) => html::response(status, body),
        Err(e) => e.into_response(),
    }
}

/// Parses and verifies the token and loads its incident, or answers with
/// the page explaining why not.
async fn check(app: &App, token: &str) -> Result<(Token, AckToken, Incident), Response<Bytes>> {
    let Some(secret) = app.settings.notify.ack_secret.as_ref() else {
        return Err(page(
            StatusCode::NOT_FOUND,
            "Acknowledgement links are off",
            "This Klaxon has no KLAXON_ACK_SECRET, so it makes no acknowledgement links. Acknowledge with the API or `klaxon ack`.",
            None,
            None,
        ));
    };
    let verified = Token::parse(token).and_then(|token| {
        ack::verify(secret.expose().as_bytes(), &token, app.clock.now()).map(|t| (token, t))
    });
    let (token, t) = match verified {
        Ok(t) => t,
        Err(e @ TokenError::Expired(_)) => {
            return Err(page(
                StatusCode::GONE,
                "This link has expired",
                &format!(
                    "{e}. Acknowledge with the API or `klaxon ack`, or use the link in a newer page."
                ),
                None,
                None,
            ));
        }
        Err(e) => {
            return Err(page(
                StatusCode::BAD_REQUEST,
                "This link is not valid",
                &format!("{e}. Nothing was changed."),
                None,
                None,
            ));
        }
    };
    match escalate::find(app, t.reference.as_str()).await {
        Ok(Some(i)) => Ok((token, t, i)),
        Ok(None) => Err(page(
            StatusCode::NOT_FOUND,
            "Incident not found",
            "The incident this link names does not exist (any more). Nothing was changed.",
            None,
            None,
        )),
        Err(e) => {
            tracing::warn!(error = %e, "store unavailable for an ack link");
            Err(page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again in a moment",
                "Klaxon could not read the incident just now. Nothing was changed; reload this page to try again.",
                None,
                None,
            ))
        }
    }
}

/// `GET /ack/{token}`: the confirmation page. Changes nothing.
pub async fn show(app: &Arc<App>, token: &str) -> Response<Bytes> {
    let (_, t, incident) = match check(app, token).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    if incident.acknowledged.is_some()
        && incident.paging.as_ref().is_none_or(|p| p.next_at.is_none())
    {
        let by = incident
            .acknowledged
            .as_ref()
            .map(|a| a.by.as_str())
            .unwrap_or("someone");
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
        Some(&t),
    )
}

/// `POST /ack/{token}`: acknowledges, once per token.
pub async fn confirm(app: &Arc<App>, token: &str) -> Response<Bytes> {
    let (token, t, incident) = match check(app, token).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    // Keyed on the parsed token, not the text of the path.
    let key = crate::ports::LedgerKey::new("ack-link", &token.use_key());
    // The claim outlives the token, so a used token stays used.
    let lease = Lease::Until(t.expires_at + Duration::days(1));
    let guard = match delivery::claim_one(app, key, lease).await {
        Ok(Some(guard)) => guard,
        Ok(None) => {
            return page(
                StatusCode::CONFLICT,
                "This link was already used",
                "Each acknowledgement link works once. Nothing was changed.",
                Some(&incident),
                None,
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "ledger unavailable for an ack link");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again in a moment",
                "Klaxon could not record the acknowledgement just now. Nothing was changed; go back and press the button again.",
                Some(&incident),
                None,
            );
        }
    };
    let result =
        escalate::acknowledge_incident(app, incident.clone(), t.audience.as_str(), "page link", "")
            .await;
    match guard.settle(result).await {
        Ok(acked) => {
            let message = if acked.changed {
                format!("Acknowledged by {}. Paging has stopped.", t.audience)
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
        Err(e) => {
            let (status, heading, message) = match &e {
                AckError::Refused(r) => (StatusCode::CONFLICT, "Nothing to acknowledge", r.to_string()),
                AckError::NotFound(_) => (StatusCode::NOT_FOUND, "Incident not found", e.to_string()),
                AckError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "Try again in a moment", "Klaxon could not record the acknowledgement just now. Nothing was changed; press the button again.".to_owned()),
            };
            page(status, heading, &message, Some(&incident), None)
        }
    }
}
