//! Acknowledging from a page: the signed link's GET shows a confirmation
//! and changes nothing; POST acknowledges once and stops escalation;
//! expired, forged and reused links get a clear page and change nothing.

use crate::Harness;
use bytes::Bytes;
use chrono::Duration;
use klaxon_core::app::{assess, escalate, intake};
use klaxon_core::config::{NotifySettings, Secret, Settings};
use klaxon_core::domain::{Audience, EventKind, IncidentId, Source, Status};
use klaxon_core::http::{self, Routes};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};

const SECRET: &str = "an-ack-link-secret-of-at-least-32-chars";

fn harness() -> Harness {
    let mut settings = Settings {
        notify: NotifySettings {
            ack_secret: Some(Secret::new(SECRET)),
            ..NotifySettings::default()
        },
        ..Settings::default()
    };
    settings.intake.public_url = Some("https://klaxon.example.com".into());
    Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        settings,
    )
}

/// A critical report, triaged, with every message it causes sent: returns
/// the incident and its first page.
async fn first_page(h: &Harness) -> (IncidentId, klaxon_core::ports::Message) {
    let created = intake::submit(
        &h.app,
        Source::Report,
        klaxon_tests::report("RCE", Some(klaxon_tests::CRITICAL)),
        None,
    )
    .await
    .expect("submit");
    let received = h.publisher.published()[0].clone();
    assess::on_event(&h.app, &received).await.expect("assess");
    for e in h.publisher.published() {
        klaxon_core::app::notify::on_event(&h.app, &e)
            .await
            .expect("notify");
    }
    let page = h
        .notifier
        .sent()
        .into_iter()
        .find(|m| m.attr("kind") == "page")
        .expect("a page");
    (created.incident.id, page)
}

/// The first page's ack link, as a path.
async fn paged(h: &Harness) -> (IncidentId, String) {
    let (id, page) = first_page(h).await;
    let link = page.message.json["links"]["ack"]
        .as_str()
        .expect("the page's document carries the link")
        .to_owned();
    assert!(page.message.sms.contains(&link), "{}", page.message.sms);
    assert!(page.message.email.contains(&link));
    let path = link
        .strip_prefix("https://klaxon.example.com")
        .expect("under the public URL")
        .to_owned();
    (id, path)
}

async fn call(h: &Harness, method: &str, path: &str) -> (u16, String) {
    let req = ::http::Request::builder()
        .method(method)
        .uri(path)
        .body(Bytes::new())
        .expect("request");
    let resp = http::handle(&h.app, Routes::Intake, req).await;
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html"),
        "a page for people"
    );
    (
        resp.status().as_u16(),
        String::from_utf8_lossy(resp.body()).into_owned(),
    )
}

async fn acked(h: &Harness, id: IncidentId) -> bool {
    h.app
        .store
        .get(id)
        .await
        .expect("get")
        .expect("present")
        .acknowledged
        .is_some()
}

#[tokio::test]
async fn get_confirms_post_acknowledges_once_and_stops_escalation() {
    let h = harness();
    let (id, path) = paged(&h).await;

    // A link-preview bot's GET changes nothing.
    for _ in 0..2 {
        let (status, body) = call(&h, "GET", &path).await;
        assert_eq!(status, 200);
        assert!(body.contains("<form method=\"post\""), "{body}");
        assert!(body.contains("Acknowledge as oncall-primary"), "{body}");
    }
    assert!(!acked(&h, id).await);

    let (status, body) = call(&h, "POST", &path).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Acknowledged by oncall-primary"), "{body}");
    let stored = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(stored.status, Status::Acknowledged);
    let timeline = h.app.store.timeline(id).await.expect("timeline");
    assert!(
        timeline.iter().any(|e| e
            .message
            .starts_with("acknowledged by oncall-primary via page link")),
        "{timeline:#?}"
    );

    // Reused: a clear page, nothing changes.
    let version = stored.version;
    let (status, body) = call(&h, "POST", &path).await;
    assert_eq!(status, 409);
    assert!(body.contains("already used"), "{body}");
    let after = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(after.version, version);

    // Escalation stopped: the secondary is never paged.
    h.clock.advance(Duration::minutes(40));
    escalate::tick(&h.app).await.expect("tick");
    let pages = h
        .publisher
        .published()
        .into_iter()
        .filter(|e| e.kind == EventKind::EscalationTriggered)
        .count();
    assert_eq!(pages, 1);
}

#[tokio::test]
async fn forged_expired_and_unknown_links_change_nothing() {
    let h = harness();
    let (id, path) = paged(&h).await;
    let (body, tag) = path.rsplit_once('.').expect("tag");
    let mut forged_tag: Vec<char> = tag.chars().collect();
    forged_tag[0] = if forged_tag[0] == 'A' { 'B' } else { 'A' };
    let forged = format!("{body}.{}", forged_tag.into_iter().collect::<String>());
    // The same link aimed at another audience: the tag no longer matches.
    let other_audience = path.replacen(".p.", ".m.", 1);
    let cases = [
        (forged.as_str(), 400, "not valid"),
        (other_audience.as_str(), 400, "not valid"),
        ("/ack/nonsense", 400, "not valid"),
        (
            "/ack/2026-ZZZZZZ.p.zzzzzz.AAAAAAAAAAAAAAAAAAAAAA",
            400,
            "not valid",
        ),
    ];
    for (p, status, says) in cases {
        for method in ["GET", "POST"] {
            let (got, page) = call(&h, method, p).await;
            assert_eq!(got, status, "{method} {p}: {page}");
            assert!(page.contains(says), "{method} {p}: {page}");
        }
    }
    assert!(!acked(&h, id).await);

    h.clock.advance(Duration::hours(25));
    let (status, page) = call(&h, "POST", &path).await;
    assert_eq!(status, 410);
    assert!(page.contains("expired"), "{page}");
    assert!(!acked(&h, id).await);
}

#[tokio::test]
async fn pages_carry_no_link_without_a_secret() {
    let h = Harness::sqlite();
    let (_, page) = first_page(&h).await;
    assert_eq!(page.audience, Audience::OncallPrimary);
    assert!(page.message.json["links"]["ack"].is_null());
    assert!(
        page.message.email.contains("klaxon ack KLX-"),
        "{}",
        page.message.email
    );
    let (status, body) = call(
        &h,
        "GET",
        "/ack/2026-7QX4MZ.p.zzzzzz.AAAAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    assert_eq!(status, 404);
    assert!(body.contains("KLAXON_ACK_SECRET"), "{body}");
}

/// A used link with whitespace around its token is not a fresh link: the
/// token is parsed once into its one spelling, and anything else is not a
/// token. (It acknowledged again: `verify` trimmed, the claim did not.)
#[tokio::test]
async fn a_used_link_cannot_be_reused_with_padding() {
    let h = harness();
    let (id, path) = paged(&h).await;
    let (status, body) = call(&h, "POST", &path).await;
    assert_eq!(status, 200, "{body}");
    let token = path.strip_prefix("/ack/").expect("ack path");
    let version = h
        .app
        .store
        .get(id)
        .await
        .expect("get")
        .expect("present")
        .version;
    let timeline = h.app.store.timeline(id).await.expect("timeline").len();
    for junk in [
        "%20",
        "%09",
        "%0A",
        "%0D%0A",
        "%C2%A0",
        "%E2%80%A8",
        "%00",
        "+",
    ] {
        for variant in [format!("/ack/{token}{junk}"), format!("/ack/{junk}{token}")] {
            for method in ["GET", "POST"] {
                let (got, page) = call(&h, method, &variant).await;
                assert_eq!(got, 400, "{method} {variant}: {page}");
                assert!(page.contains("not valid"), "{method} {variant}: {page}");
            }
        }
    }
    let after = h.app.store.get(id).await.expect("get").expect("present");
    assert_eq!(after.version, version, "nothing changed");
    assert_eq!(
        h.app.store.timeline(id).await.expect("timeline").len(),
        timeline
    );
    let acks = h
        .publisher
        .published()
        .into_iter()
        .filter(|e| e.kind == EventKind::IncidentAcknowledged)
        .count();
    assert_eq!(acks, 1, "acknowledged once");
}
