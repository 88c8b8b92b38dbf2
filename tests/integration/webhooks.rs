//! Every webhook source, signed the way the real sender signs: a valid
//! delivery, a wrong signature, a missing signature, a replay, a malformed
//! body and an oversize body. Plus the PagerDuty-compatible semantics.

use crate::{Harness, sqlite_store};
use base64::Engine;
use bytes::Bytes;
use chrono::Duration;
use klaxon_core::app::{assess, escalate};
use klaxon_core::config::{ConnectSettings, IntakeSettings, Secret, Settings};
use klaxon_core::domain::{DeadlineKind, EventKind, IncidentId, Severity, Status};
use klaxon_core::http::{self, MAX_WEBHOOK_BODY, Routes};
use klaxon_core::ports::Clock;
use klaxon_core::webhook::verify::{connect_qsh, sign};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use serde_json::{Value, json};

const GH: &str = "github-secret-123";
const JIRA: &str = "jira-secret-123";
const BB: &str = "bitbucket-secret-123";
const CONNECT: &str = "connect-shared-secret-123";
const FORGE_TOKEN: &str = "forge-token-0123456789";
const PD_KEY: &str = "R0UTINGKEY00000000000000000000AB";

fn forge_key_b64() -> String {
    base64::engine::general_purpose::STANDARD.encode(b"forge-webhook-key-0123456789abcd")
}

fn settings() -> Settings {
    Settings {
        intake: IntakeSettings {
            github_secrets: vec![Secret::new(GH)],
            jira_secrets: vec![Secret::new(JIRA)],
            bitbucket_secrets: vec![Secret::new(BB)],
            connect: Some(ConnectSettings {
                shared_secret: Secret::new(CONNECT),
                client_keys: vec!["client-1".into()],
            }),
            forge_token: Some(Secret::new(FORGE_TOKEN)),
            forge_webhook_secret: Some(Secret::new(format!("whsec_{}", forge_key_b64()))),
            pagerduty_routing_keys: vec![Secret::new(PD_KEY)],
            jira_projects: vec!["SEC".into()],
            bitbucket_events: vec!["repo:push".into()],
            ..IntakeSettings::default()
        },
        ..Settings::default()
    }
}

fn harness() -> Harness {
    Harness::with_settings(
        sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        settings(),
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Auth {
    Valid,
    Wrong,
    Missing,
}

#[derive(Debug, Clone, Copy)]
enum Sender {
    Github,
    Jira,
    Bitbucket,
    Connect,
    ForgeBearer,
    ForgeSigned,
    Pagerduty,
}

impl Sender {
    const ALL: [Sender; 7] = [
        Self::Github,
        Self::Jira,
        Self::Bitbucket,
        Self::Connect,
        Self::ForgeBearer,
        Self::ForgeSigned,
        Self::Pagerduty,
    ];

    fn path(self) -> &'static str {
        match self {
            Self::Github => "/webhooks/github",
            Self::Jira => "/webhooks/jira",
            Self::Bitbucket => "/webhooks/bitbucket",
            Self::Connect => "/webhooks/connect",
            Self::ForgeBearer | Self::ForgeSigned => "/webhooks/forge",
            Self::Pagerduty => "/v2/enqueue",
        }
    }

    /// A delivery that becomes a report.
    fn body(self, auth: Auth) -> Vec<u8> {
        let v = match self {
            Self::Github => {
                json!({"action": "created", "alert": {"number": 9, "secret_type_display_name": "Slack API Token"}, "repository": {"full_name": "acme/app", "id": 1}})
            }
            Self::Jira => {
                json!({"webhookEvent": "jira:issue_created", "issue": {"id": "10001", "key": "SEC-1", "fields": {"summary": "Token in logs", "project": {"key": "SEC"}}}})
            }
            Self::Bitbucket => {
                json!({"repository": {"full_name": "acme/app"}, "actor": {"display_name": "Mallory"}})
            }
            Self::Connect | Self::ForgeBearer | Self::ForgeSigned => {
                json!({"title": "Cross-tenant read in export", "description": "seen by app", "severity": "high"})
            }
            Self::Pagerduty => json!({
                "routing_key": match auth { Auth::Valid => PD_KEY, Auth::Wrong => "R0UTINGKEY00000000000000000000XX", Auth::Missing => "" },
                "event_action": "trigger", "dedup_key": "disk-1",
                "payload": {"summary": "WAF blocking SQLi burst", "source": "waf-1", "severity": "critical"}
            }),
        };
        let mut v = v;
        if matches!(self, Self::Pagerduty) && auth == Auth::Missing {
            v.as_object_mut().map(|o| o.remove("routing_key"));
        }
        v.to_string().into_bytes()
    }

    fn request(self, body: &[u8], auth: Auth, delivery: &str) -> ::http::Request<Bytes> {
        let mut b = ::http::Request::builder()
            .method("POST")
            .uri(self.path())
            .header("content-type", "application/json");
        let hub = |secret: &str| match auth {
            Auth::Valid => Some(sign::hub(secret, body)),
            Auth::Wrong => Some(sign::hub("not-the-secret", body)),
            Auth::Missing => None,
        };
        match self {
            Self::Github => {
                b = b
                    .header("x-github-event", "secret_scanning_alert")
                    .header("x-github-delivery", delivery);
                if let Some(sig) = hub(GH) {
                    b = b.header("x-hub-signature-256", sig);
                }
            }
            Self::Jira => {
                b = b.header("x-atlassian-webhook-identifier", delivery);
                if let Some(sig) = hub(JIRA) {
                    b = b.header("x-hub-signature", sig);
                }
            }
            Self::Bitbucket => {
                b = b
                    .header("x-event-key", "repo:push")
                    .header("x-request-uuid", delivery);
                if let Some(sig) = hub(BB) {
                    b = b.header("x-hub-signature", sig);
                }
            }
            Self::Connect => {
                let now = klaxon_tests::t0().timestamp();
                let qsh = connect_qsh("POST", "/webhooks/connect", None);
                let secret = if auth == Auth::Wrong {
                    "wrong-secret"
                } else {
                    CONNECT
                };
                if auth != Auth::Missing {
                    b = b.header(
                        "authorization",
                        format!(
                            "JWT {}",
                            sign::connect_jwt(secret, "client-1", &qsh, now, now + 180, delivery)
                        ),
                    );
                }
            }
            Self::ForgeBearer => {
                b = b.header("idempotency-key", delivery);
                match auth {
                    Auth::Valid => b = b.header("authorization", format!("Bearer {FORGE_TOKEN}")),
                    Auth::Wrong => b = b.header("authorization", "Bearer not-the-token"),
                    Auth::Missing => {}
                }
            }
            Self::ForgeSigned => {
                let ts = klaxon_tests::t0().timestamp();
                b = b
                    .header("webhook-id", delivery)
                    .header("webhook-timestamp", ts.to_string());
                let key = if auth == Auth::Wrong {
                    base64::engine::general_purpose::STANDARD.encode(b"another-key")
                } else {
                    forge_key_b64()
                };
                let sig = sign::standard_webhook(&key, delivery, ts, body);
                // Missing: no signature header and (for this sender) no bearer either.
                if auth != Auth::Missing {
                    b = b.header("webhook-signature", sig);
                } else {
                    b = b.header("webhook-signature", "");
                }
            }
            Self::Pagerduty => {}
        }
        b.body(Bytes::copy_from_slice(body)).expect("request")
    }
}

async fn send(h: &Harness, req: ::http::Request<Bytes>) -> (u16, Value) {
    let resp = http::handle(&h.app, Routes::Intake, req).await;
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(resp.body())
        .unwrap_or_else(|_| panic!("JSON body: {}", String::from_utf8_lossy(resp.body())));
    (status, body)
}

/// A properly signed delivery from each sender is stored once.
#[tokio::test]
async fn valid_delivery_per_sender() {
    for sender in Sender::ALL {
        let h = harness();
        let body = sender.body(Auth::Valid);
        let (status, resp) = send(&h, sender.request(&body, Auth::Valid, "delivery-1")).await;
        assert_eq!(status, 202, "{sender:?}: {resp}");
        assert_eq!(resp["duplicate"], false, "{sender:?}");
        let id = resp["incident_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{sender:?}: {resp}"))
            .parse()
            .expect("ulid");
        let incident = h.app.store.get(id).await.expect("get").expect("stored");
        assert!(!incident.title.is_empty());
        assert_eq!(h.stored().await, 1, "{sender:?}");
        if matches!(sender, Sender::Pagerduty) {
            assert_eq!(resp["status"], "success");
            assert_eq!(resp["message"], "Event processed");
            assert_eq!(resp["dedup_key"], "disk-1");
        }
        if matches!(sender, Sender::Connect) {
            assert_eq!(
                incident.tenant.as_deref(),
                Some("client-1"),
                "Connect tenant is the client key"
            );
        }
    }
}

/// A wrong or missing signature is refused with 401 (PagerDuty: a missing
/// routing key is an invalid event, 400) and stores nothing.
#[tokio::test]
async fn wrong_and_missing_signatures_are_refused() {
    for sender in Sender::ALL {
        for auth in [Auth::Wrong, Auth::Missing] {
            let h = harness();
            let body = sender.body(auth);
            let (status, resp) = send(&h, sender.request(&body, auth, "delivery-1")).await;
            let want = if matches!(sender, Sender::Pagerduty) && auth == Auth::Missing {
                400
            } else {
                401
            };
            assert_eq!(status, want, "{sender:?} {auth:?}: {resp}");
            let code = resp["error"]["code"].as_str().expect("error code");
            assert!(
                code == "unauthorized" || code == "invalid_payload",
                "{sender:?}: {resp}"
            );
            assert!(
                !resp.to_string().contains(GH) && !resp.to_string().contains(FORGE_TOKEN),
                "a secret leaked into the response"
            );
            assert_eq!(h.stored().await, 0, "{sender:?} {auth:?} stored something");
        }
    }
}

/// A replayed delivery returns the original incident as a duplicate.
#[tokio::test]
async fn replayed_delivery_is_a_duplicate() {
    for sender in Sender::ALL {
        let h = harness();
        let body = sender.body(Auth::Valid);
        let (_, first) = send(&h, sender.request(&body, Auth::Valid, "delivery-7")).await;
        let (status, again) = send(&h, sender.request(&body, Auth::Valid, "delivery-7")).await;
        assert_eq!(status, 202, "{sender:?}: {again}");
        assert_eq!(again["duplicate"], true, "{sender:?}: {again}");
        assert_eq!(again["incident_id"], first["incident_id"], "{sender:?}");
        assert_eq!(h.stored().await, 1, "{sender:?}");
        assert_eq!(
            h.publisher.published().len(),
            1,
            "{sender:?}: a replay publishes nothing"
        );
    }
}

/// A signed but malformed body is a 400 that names the problem.
#[tokio::test]
async fn malformed_body_is_a_400() {
    for sender in Sender::ALL {
        let h = harness();
        let body: &[u8] = match sender {
            // PagerDuty's key is inside the body, so "malformed" is a valid key with a bad event.
            Sender::Pagerduty => br#"{"routing_key":"R0UTINGKEY00000000000000000000AB","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"loud"}}"#,
            _ => b"{\"title\": ",
        };
        let (status, resp) = send(&h, sender.request(body, Auth::Valid, "delivery-1")).await;
        assert_eq!(status, 400, "{sender:?}: {resp}");
        let msg = resp["error"]["message"].as_str().expect("message");
        assert!(
            msg.contains("JSON") || msg.contains("severity"),
            "{sender:?}: {msg}"
        );
        assert_eq!(h.stored().await, 0);
    }
    // Missing required fields are named.
    let h = harness();
    let body = br#"{"action":"created","alert":{},"repository":{"full_name":"a/b"}}"#;
    let (status, resp) = send(&h, Sender::Github.request(body, Auth::Valid, "d")).await;
    assert_eq!(status, 400);
    assert_eq!(resp["error"]["message"], "alert.number is required");
}

/// Bodies over 256 KiB are refused with 413 before anything else.
#[tokio::test]
async fn oversize_body_is_a_413() {
    for sender in Sender::ALL {
        let h = harness();
        let body = vec![b' '; MAX_WEBHOOK_BODY + 1];
        let (status, resp) = send(&h, sender.request(&body, Auth::Valid, "delivery-1")).await;
        assert_eq!(status, 413, "{sender:?}: {resp}");
        assert_eq!(h.stored().await, 0);
    }
}

/// A source without a secret is disabled and answers 404.
#[tokio::test]
async fn unconfigured_source_is_404() {
    let h = Harness::sqlite();
    for sender in Sender::ALL {
        let body = sender.body(Auth::Valid);
        let (status, _) = send(&h, sender.request(&body, Auth::Valid, "d")).await;
        assert_eq!(status, 404, "{sender:?}");
    }
}

/// Events that are not security problems are acknowledged and ignored.
#[tokio::test]
async fn other_events_are_ignored_with_202() {
    let h = harness();
    let body = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    let mut req = Sender::Github.request(body, Auth::Valid, "d1");
    req.headers_mut()
        .insert("x-github-event", "ping".parse().expect("header"));
    let (status, resp) = send(&h, req).await;
    assert_eq!(status, 202);
    assert_eq!(resp["status"], "ignored");
    let jira = br#"{"webhookEvent":"jira:issue_created","issue":{"id":"2","key":"OPS-1","fields":{"summary":"x","project":{"key":"OPS"}}}}"#;
    let (status, resp) = send(&h, Sender::Jira.request(jira, Auth::Valid, "d2")).await;
    assert_eq!((status, resp["status"].as_str()), (202, Some("ignored")));
    assert_eq!(h.stored().await, 0);
}

/// A repeated dedup key on an open incident counts an occurrence; acknowledge
/// and resolve are recorded and answered as PagerDuty answers them.
#[tokio::test]
async fn pagerduty_dedup_acknowledge_resolve() {
    let h = harness();
    let trigger = Sender::Pagerduty.body(Auth::Valid);
    let (_, first) = send(&h, Sender::Pagerduty.request(&trigger, Auth::Valid, "")).await;
    let (status, second) = send(&h, Sender::Pagerduty.request(&trigger, Auth::Valid, "")).await;
    assert_eq!(status, 202);
    assert_eq!(second["duplicate"], true);
    assert_eq!(second["incident_id"], first["incident_id"]);
    let id = first["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");
    let incident = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(incident.occurrences, 2);
    assert_eq!(h.stored().await, 1);
    let timeline = klaxon_core::app::repeats::timeline(&h.app, &incident)
        .await
        .expect("timeline");
    assert!(
        timeline
            .iter()
            .any(|e| e.message.contains("the source repeated it once")),
        "{timeline:?}"
    );

    // Triage it, then the source acknowledges.
    let received = h.publisher.published()[0].clone();
    klaxon_core::app::assess::on_event(&h.app, &received)
        .await
        .expect("assess");
    let ack = json!({"routing_key": PD_KEY, "event_action": "acknowledge", "dedup_key": "disk-1"})
        .to_string();
    let (status, resp) = send(
        &h,
        Sender::Pagerduty.request(ack.as_bytes(), Auth::Valid, ""),
    )
    .await;
    assert_eq!((status, resp["status"].as_str()), (202, Some("success")));
    let incident = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(
        incident.status,
        Status::Triaged,
        "a source acknowledge does not acknowledge a security incident"
    );
    let resolve = json!({"routing_key": PD_KEY, "event_action": "resolve", "dedup_key": "disk-1"})
        .to_string();
    let (status, _) = send(
        &h,
        Sender::Pagerduty.request(resolve.as_bytes(), Auth::Valid, ""),
    )
    .await;
    assert_eq!(status, 202);
    let incident = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(
        incident.status,
        Status::Triaged,
        "a source resolve does not close a security incident"
    );

    let bad_action = json!({"routing_key": PD_KEY, "event_action": "snooze"}).to_string();
    let (status, resp) = send(
        &h,
        Sender::Pagerduty.request(bad_action.as_bytes(), Auth::Valid, ""),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(resp["status"], "invalid event");
    assert!(
        resp["errors"][0]
            .as_str()
            .expect("errors")
            .contains("event_action")
    );
}

/// A Standard Webhooks delivery outside the ±5 minute window is refused.
#[tokio::test]
async fn forge_signature_window() {
    let h = harness();
    let body = Sender::ForgeSigned.body(Auth::Valid);
    let ts = klaxon_tests::t0().timestamp() - 600;
    let sig = sign::standard_webhook(&forge_key_b64(), "old-1", ts, &body);
    let req = ::http::Request::builder()
        .method("POST")
        .uri("/webhooks/forge")
        .header("webhook-id", "old-1")
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(Bytes::from(body))
        .expect("req");
    let (status, resp) = send(&h, req).await;
    assert_eq!(status, 401, "{resp}");
    assert!(
        resp["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("minutes")
    );
}

/// The same delivery arriving many times at once still makes one incident.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicate_deliveries_make_one_incident() {
    for sender in [Sender::Github, Sender::Jira, Sender::Pagerduty] {
        let h = std::sync::Arc::new(harness());
        let body = sender.body(Auth::Valid);
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let h = h.clone();
                let req = sender.request(&body, Auth::Valid, "same-delivery");
                tokio::spawn(async move { send(&h, req).await })
            })
            .collect();
        let mut originals = 0;
        let mut id = None;
        for t in tasks {
            let (status, resp) = t.await.expect("task");
            assert_eq!(status, 202, "{sender:?}: {resp}");
            if resp["duplicate"] == false {
                originals += 1;
                id = resp["incident_id"].as_str().map(str::to_owned);
            }
        }
        assert_eq!(originals, 1, "{sender:?}");
        assert_eq!(h.stored().await, 1, "{sender:?}");
        if matches!(sender, Sender::Pagerduty) {
            // Twelve triggers of one alert: one incident, twelve occurrences, none lost.
            let id = id.expect("id").parse().expect("ulid");
            let incident = h.app.store.get(id).await.expect("get").expect("present");
            assert_eq!(incident.occurrences, 12);
        }
    }
}

/// A PagerDuty `acknowledge` is the tool saying someone saw its alert, not a
/// responder taking the incident: it is recorded on the timeline by the
/// source and changes nothing else, so the incident stays consistent and
/// the sweep pages on. (It used to move the status alone: acknowledged, yet
/// no acknowledgement, no event, the ack deadline open and paging going
/// on.) A responder's acknowledge then stops the paging as always.
#[tokio::test]
async fn pagerduty_acknowledge_is_recorded_and_paging_goes_on() {
    let h = harness();
    let trigger = Sender::Pagerduty.body(Auth::Valid);
    let (_, first) = send(&h, Sender::Pagerduty.request(&trigger, Auth::Valid, "")).await;
    let id: IncidentId = first["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");
    let received = h.publisher.published()[0].clone();
    assess::on_event(&h.app, &received).await.expect("assess");
    // SEV-1 whatever the engine made of the summary: it pages.
    let incident = h.app.store.get(id).await.expect("get").expect("present");
    assess::override_severity(
        &h.app,
        incident,
        Severity::Sev1,
        "WAF alert on prod",
        "lead",
    )
    .await
    .expect("override");
    let pages = |h: &Harness| {
        h.publisher
            .published()
            .into_iter()
            .filter(|e| e.incident_id == id && e.kind == EventKind::EscalationTriggered)
            .count()
    };
    let acks = |h: &Harness| {
        h.publisher
            .published()
            .into_iter()
            .filter(|e| e.incident_id == id && e.kind == EventKind::IncidentAcknowledged)
            .count()
    };
    let before = h.app.store.get(id).await.expect("get").expect("present");
    let next_page = before
        .paging
        .as_ref()
        .and_then(|p| p.next_at)
        .expect("paging is live");
    let paged = pages(&h);

    let ack = json!({"routing_key": PD_KEY, "event_action": "acknowledge", "dedup_key": "disk-1"})
        .to_string();
    let (status, resp) = send(
        &h,
        Sender::Pagerduty.request(ack.as_bytes(), Auth::Valid, ""),
    )
    .await;
    assert_eq!((status, resp["status"].as_str()), (202, Some("success")));
    assert_eq!(resp["incident_id"], first["incident_id"]);

    let after = h.app.store.get(id).await.expect("get").expect("present");
    // The tool sending it again records nothing more.
    let (status, _) = send(
        &h,
        Sender::Pagerduty.request(ack.as_bytes(), Auth::Valid, ""),
    )
    .await;
    assert_eq!(status, 202);
    let again = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(
        again.version, after.version,
        "a repeated acknowledge is recorded once"
    );
    assert_eq!(after.status, before.status, "the state is unchanged");
    assert!(after.acknowledged.is_none(), "no acknowledgement recorded");
    assert_eq!(after.paging, before.paging, "paging goes on as it was");
    assert_eq!(after.deadlines, before.deadlines, "no deadline is met");
    assert!(
        after
            .deadline(DeadlineKind::Acknowledge)
            .is_some_and(|d| d.met_at.is_none())
    );
    assert_eq!(acks(&h), 0, "no Incident Acknowledged");
    let timeline = h.app.store.timeline(id).await.expect("timeline");
    let note = timeline.last().expect("an entry");
    assert_eq!(note.actor, "pagerduty", "the source is the actor");
    assert!(
        note.message
            .starts_with("the source acknowledged its alert"),
        "{}",
        note.message
    );

    // The sweep pages the next level when it falls due.
    h.clock.advance(next_page - h.clock.now());
    escalate::tick(&h.app).await.expect("tick");
    assert!(pages(&h) > paged, "the sweep paged on");

    // A responder's acknowledge is the one that stops it.
    let acked = escalate::acknowledge(
        &h.app,
        &klaxon_core::domain::Caller {
            name: "alice".into(),
            role: klaxon_core::domain::Role::Responder,
            tenants: None,
        },
        &id.to_string(),
        "api",
        "",
    )
    .await
    .expect("ack");
    assert!(acked.changed);
    assert_eq!(acked.incident.status, Status::Acknowledged);
    assert_eq!(acks(&h), 1);
    let paged = pages(&h);
    h.clock.advance(Duration::hours(2));
    escalate::tick(&h.app).await.expect("tick");
    assert_eq!(
        pages(&h),
        paged,
        "no page after the responder's acknowledge"
    );
}

/// A storm is one timeline entry per burst, not one per repeat: the
/// counter holds the burst in progress (read as the timeline's last entry),
/// a quiet gap writes it and starts the next, and a repeat with a more
/// severe signal writes the burst so far and is re-assessed. Every 202 is
/// one occurrence.
#[tokio::test]
async fn pagerduty_storm_is_one_entry_per_burst() {
    let h = harness();
    let pd = |severity: &str| {
        let body = json!({
            "routing_key": PD_KEY, "event_action": "trigger", "dedup_key": "disk-full-web-1",
            "payload": {"summary": "Disk 97% full on web-1", "source": "web-1", "severity": severity}
        });
        Sender::Pagerduty.request(body.to_string().as_bytes(), Auth::Valid, "")
    };
    let (_, first) = send(&h, pd("warning")).await;
    let id: klaxon_core::domain::IncidentId = first["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");
    let received = h.publisher.published()[0].clone();
    klaxon_core::app::assess::on_event(&h.app, &received)
        .await
        .expect("assess");
    let written = h.app.store.timeline(id).await.expect("timeline").len();
    for _ in 0..40 {
        h.clock.advance(chrono::Duration::seconds(3));
        let (status, resp) = send(&h, pd("warning")).await;
        assert_eq!((status, &resp["duplicate"]), (202, &json!(true)), "{resp}");
    }
    let incident = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(incident.occurrences, 41);
    assert_eq!(
        h.app.store.timeline(id).await.expect("timeline").len(),
        written,
        "a repeat wrote to the timeline"
    );
    let read = klaxon_core::app::repeats::timeline(&h.app, &incident)
        .await
        .expect("timeline");
    assert_eq!(
        read.last().map(|e| e.message.as_str()),
        Some("the source repeated it 40 times between 2026-11-23 03:00:03 and 03:02:00 UTC")
    );

    // Quiet for ten minutes, then it flaps again: the first burst is written.
    h.clock.advance(chrono::Duration::minutes(10));
    for _ in 0..3 {
        h.clock.advance(chrono::Duration::seconds(1));
        send(&h, pd("warning")).await;
    }
    let stored = h.app.store.timeline(id).await.expect("timeline");
    assert_eq!(stored.len(), written + 1);
    assert_eq!(
        stored.last().map(|e| e.message.as_str()),
        Some("the source repeated it 40 times between 2026-11-23 03:00:03 and 03:02:00 UTC")
    );
    let incident = h.app.store.get(id).await.expect("get").expect("present");
    let read = klaxon_core::app::repeats::timeline(&h.app, &incident)
        .await
        .expect("timeline");
    assert_eq!(
        read.last().map(|e| e.message.as_str()),
        Some("the source repeated it 3 times between 2026-11-23 03:12:01 and 03:12:03 UTC")
    );
    let severity = incident.severity;

    // Now critical: the burst so far is written, and it is re-assessed.
    h.clock.advance(chrono::Duration::seconds(1));
    let (status, _) = send(&h, pd("critical")).await;
    assert_eq!(status, 202);
    let incident = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(incident.occurrences, 45);
    assert_eq!(
        incident.signal.as_ref().and_then(|s| s.severity.as_deref()),
        Some("critical")
    );
    let stored = h.app.store.timeline(id).await.expect("timeline");
    let messages: Vec<&str> = stored[written + 1..]
        .iter()
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(
        messages[..2],
        [
            "the source repeated it 3 times between 2026-11-23 03:12:01 and 03:12:03 UTC",
            "the source reported it again, with a more severe signal",
        ]
    );
    assert!(
        incident.severity <= severity,
        "{severity:?} -> {:?}",
        incident.severity
    );
    // And critical again is nothing new: counted, not re-assessed.
    h.clock.advance(chrono::Duration::seconds(1));
    send(&h, pd("critical")).await;
    assert_eq!(
        h.app.store.timeline(id).await.expect("timeline").len(),
        stored.len()
    );
    let incident = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(incident.occurrences, 46);
}
