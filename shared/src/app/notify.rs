//! Notify: tells each audience about an event, once, in the form each
//! subscriber needs (see [`crate::messages`]).

use super::delivery::{self, Lease};
use super::routing::{self, Consumer};
use super::{App, HandlerError};
use crate::ack::{self, AckToken, Recipient};
use crate::domain::oncall::Method;
use crate::domain::{Audience, DomainEvent, Incident, MessageKind, Paged};
use crate::messages::{self, Inputs};
use crate::metrics::{self, Metric};
use crate::ports::{LedgerKey, NotifyError, SentNotification};
use chrono::Duration;

/// The signed acknowledgement link for a page to `audience` (and, for a
/// page to a person, to them by `method`), when links are configured (a
/// secret and a public URL).
pub fn ack_link(
    app: &App,
    incident: &Incident,
    audience: Audience,
    to: Option<(&Paged, Option<Method>)>,
) -> Option<String> {
    let secret = app.settings.notify.ack_secret.as_ref()?;
    let base = app.settings.intake.public_url.as_deref()?;
    let token = ack::sign(
        secret.expose().as_bytes(),
        &AckToken {
            reference: incident.reference.clone(),
            audience,
            expires_at: app.clock.now() + Duration::hours(ack::LINK_TTL_HOURS),
            to: to.map(|(p, method)| Recipient {
                person: p.person.clone(),
                schedule: p.schedule.clone(),
                method,
            }),
        },
    );
    Some(format!("{}/ack/{token}", base.trim_end_matches('/')))
}

/// Handles one event. Each (event, audience, message kind) is claimed in the
/// ledger before it is sent, so a redelivered event never pages twice; a
/// failed send gives its claim back for the retry.
pub async fn on_event(app: &App, event: &DomainEvent) -> Result<usize, HandlerError> {
    if !(routing::takes(Consumer::Notify, event.kind) || routing::takes(Consumer::Page, event.kind))
    {
        return Ok(0);
    }
    let incident = app
        .store
        .get(event.incident_id)
        .await?
        .ok_or(HandlerError::MissingIncident(event.incident_id))?;
    let contact = app
        .settings
        .intake
        .security_contact
        .as_deref()
        .unwrap_or("the security team");
    let product = app
        .settings
        .intake
        .products
        .first()
        .map(String::as_str)
        .unwrap_or("our app");
    let mut sent = 0;
    let person = event.step.as_ref().and_then(|s| s.person.as_ref());
    // A page to a person is one publish per method, each with its `method`
    // attribute, so a rule's later SMS does not mail them too.
    let sends: Vec<(Audience, MessageKind, Option<Method>)> =
        crate::policy::recipients(event, &incident)
            .into_iter()
            .flat_map(|(a, k)| match person {
                Some(p) if k == MessageKind::Page && !p.methods.is_empty() => {
                    p.methods.iter().map(|m| (a, k, Some(*m))).collect()
                }
                _ => vec![(a, k, None)],
            })
            .collect();
    for (audience, kind, method) in sends {
        let mut key = format!(
            "notify#{}#{}#{}",
            event.id,
            audience.as_str(),
            kind.as_str()
        );
        if let Some(m) = method {
            key = format!("{key}#{m}");
        }
        let claim = LedgerKey::new("notify", &key);
        let Some(guard) = delivery::claim_one(app, claim.clone(), Lease::Attempt).await? else {
            if delivery::delivered(app, &claim).await? {
                tracing::info!(incident_id = %incident.id, event_id = %event.id, %audience, kind = kind.as_str(), "already delivered; skipping");
                continue;
            }
            // Claimed but not delivered: another worker is sending it, or
            // one died mid-send. Fail so the event stays pending and is
            // retried after the claim's lease, instead of counting it done.
            return Err(HandlerError::Notify(NotifyError::Unavailable(format!(
                "delivery {key} is claimed but not completed; retrying after its lease"
            ))));
        };
        let page = kind == MessageKind::Page;
        // A page to a person gets a link per method, so its use says how
        // they answered ("via SMS link").
        let link = |method: Option<Method>| {
            page.then(|| ack_link(app, &incident, audience, person.map(|p| (p, method))))
                .flatten()
        };
        let ack_url = link(None);
        let (sms_ack_url, email_ack_url) = match person {
            Some(_) => (link(Some(Method::Sms)), link(Some(Method::Email))),
            None => (None, None),
        };
        let inputs = Inputs {
            templates: &app.settings.notify.templates,
            contact,
            product,
            ack_url: ack_url.as_deref(),
            sms_ack_url: sms_ack_url.as_deref(),
            email_ack_url: email_ack_url.as_deref(),
            api_base: app.settings.intake.public_url.as_deref(),
            note: event.note.as_deref(),
        };
        let mut subject = String::new();
        let outcome = match messages::render(event, &incident, audience, kind, &inputs) {
            Ok(mut message) => {
                message.id = Some(key.clone());
                if let Some(m) = method {
                    message
                        .message_attributes
                        .insert("method".into(), m.as_str().to_owned());
                    if let Some(to) = message.to.as_mut() {
                        to.methods = vec![m];
                    }
                }
                subject.clone_from(&message.subject);
                app.notifier
                    .send(&message)
                    .await
                    .map_err(HandlerError::from)
            }
            Err(e) => Err(HandlerError::Render(e)),
        };
        if outcome.is_ok() {
            // Kept with the incident for its review ("communications sent"). A
            // failure here must not re-page: the message is out, so log it.
            let record = SentNotification {
                incident_id: incident.id,
                key: key.clone(),
                at: app.clock.now(),
                event: event.kind,
                audience,
                kind: kind.as_str().to_owned(),
                subject,
            };
            if let Err(e) = app.store.record_notification(&record).await {
                tracing::warn!(incident_id = %incident.id, error = %e, "could not record the notification");
            }
        } else {
            metrics::incr(Metric::Errors);
        }
        // Completed once sent; given back after a failure so the retry can deliver.
        guard.settle(outcome).await?;
        if kind == MessageKind::Page {
            metrics::incr(Metric::PagesSent);
        }
        tracing::info!(incident_id = %incident.id, event_id = %event.id, %audience, kind = kind.as_str(), "notified");
        sent += 1;
    }
    Ok(sent)
}
