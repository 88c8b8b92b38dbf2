//! An acknowledgement link's use: a signed link from a page names its
//! incident and audience, and acknowledges once. `http::ack` shows the
//! confirmation page and renders each outcome.

use super::App;
use super::delivery::{self, Lease};
use super::escalate::{self, AckError, Acked};
use crate::ack::{self, AckToken, Token, TokenError};
use crate::domain::oncall::Method;
use crate::domain::{Incident, Paged};
use crate::ports::{LedgerKey, StoreError};
use chrono::Duration;
use std::sync::Arc;

/// A verified link and the incident it names, as it is now.
pub struct Link {
    token: Token,
    pub claims: AckToken,
    pub incident: Incident,
}

/// Why a link does not acknowledge. Nothing was changed by any of them.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// This Klaxon has no ack secret, so it makes no links.
    #[error("acknowledgement links are off")]
    Off,
    /// Signed by this Klaxon, but past its expiry.
    #[error(transparent)]
    Expired(TokenError),
    /// Not a link, or not one this Klaxon signed.
    #[error(transparent)]
    Invalid(TokenError),
    /// The incident it names does not exist (any more).
    #[error("the incident this link names does not exist")]
    NotFound,
    /// The incident could not be read just now.
    #[error("the incident could not be read: {0}")]
    Unreadable(StoreError),
    /// The link was used before; each works once.
    #[error("this link was already used")]
    Used(Box<Incident>),
    /// The ledger could not record the link's use just now.
    #[error("the link's use could not be recorded: {1}")]
    Unrecorded(Box<Incident>, StoreError),
    /// The acknowledgement itself was refused or failed.
    #[error("{1}")]
    Refused(Box<Incident>, AckError),
}

/// Parses and verifies `token` and reads the incident it names.
pub async fn open(app: &App, token: &str) -> Result<Link, LinkError> {
    let secret = app
        .settings
        .notify
        .ack_secret
        .as_ref()
        .ok_or(LinkError::Off)?;
    let (token, claims) = Token::parse(token)
        .and_then(|token| {
            ack::verify(secret.expose().as_bytes(), &token, app.clock.now()).map(|t| (token, t))
        })
        .map_err(|e| match e {
            TokenError::Expired(_) => LinkError::Expired(e),
            _ => LinkError::Invalid(e),
        })?;
    match escalate::find(app, claims.reference.as_str()).await {
        Ok(Some(incident)) => Ok(Link {
            token,
            claims,
            incident,
        }),
        Ok(None) => Err(LinkError::NotFound),
        Err(e) => {
            tracing::warn!(error = %e, "store unavailable for an ack link");
            Err(LinkError::Unreadable(e))
        }
    }
}

/// Acknowledges the link's incident as its audience, once per link: its
/// use is claimed in the ledger for longer than the link lives.
pub async fn acknowledge(app: &Arc<App>, link: Link) -> Result<Acked, LinkError> {
    let Link {
        token,
        claims,
        incident,
    } = link;
    // Keyed on the parsed token, not the text of the path.
    let key = LedgerKey::new("ack-link", &token.use_key());
    // The claim outlives the token, so a used token stays used.
    let lease = Lease::Until(claims.expires_at + Duration::days(1));
    let guard = match delivery::claim_one(app, key, lease).await {
        Ok(Some(guard)) => guard,
        Ok(None) => return Err(LinkError::Used(Box::new(incident))),
        Err(e) => {
            tracing::warn!(error = %e, "ledger unavailable for an ack link");
            return Err(LinkError::Unrecorded(Box::new(incident), e));
        }
    };
    let (by, via) = answered_by(app, &claims).await;
    let result = escalate::acknowledge_incident(app, incident.clone(), &by, via, "").await;
    guard
        .settle(result)
        .await
        .map_err(|e| LinkError::Refused(Box::new(incident), e))
}

/// Who a link acknowledges as, and how: the person it was sent to, by
/// name and the schedule that put them on call, and the method ("Priya
/// Raman (on call for security-primary)", "SMS link"); for a page to a
/// topic, the audience. A person since removed is named by their id.
async fn answered_by(app: &App, claims: &AckToken) -> (String, &'static str) {
    let Some(to) = &claims.to else {
        return (claims.audience.as_str().to_owned(), "page link");
    };
    let name = match app.store.person(&to.person).await {
        Ok(Some(p)) => p.name,
        Ok(None) => to.person.to_string(),
        Err(e) => {
            tracing::warn!(error = %e, "roster unreadable for an ack link; naming the person by id");
            to.person.to_string()
        }
    };
    let by = Paged {
        person: to.person.clone(),
        name,
        schedule: to.schedule.clone(),
        methods: Vec::new(),
    }
    .label();
    let via = match to.method {
        Some(Method::Sms) => "SMS link",
        Some(Method::Email) => "email link",
        _ => "page link",
    };
    (by, via)
}

/// Who acknowledged `incident`, if it is acknowledged and paging has
/// stopped: its link has nothing left to do.
pub fn already_acknowledged(incident: &Incident) -> Option<&str> {
    let acked = incident.acknowledged.as_ref()?;
    incident
        .paging
        .as_ref()
        .is_none_or(|p| p.next_at.is_none())
        .then_some(acked.by.as_str())
}
