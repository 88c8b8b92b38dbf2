//! The report form without JavaScript, security.txt and the per-client limit.

use crate::{Harness, sqlite_store};
use bytes::Bytes;
use klaxon_core::config::{IntakeSettings, RateLimit, Settings};
use klaxon_core::domain::Status;
use klaxon_core::http::{self, ClientIp, Routes};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};

fn harness(intake: IntakeSettings) -> Harness {
    Harness::with_settings(
        sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        Settings {
            intake,
            ..Settings::default()
        },
    )
}

fn products() -> IntakeSettings {
    IntakeSettings {
        products: vec!["Workzone".into(), "AI Insights".into()],
        ..IntakeSettings::default()
    }
}

async fn send(h: &Harness, req: ::http::Request<Bytes>) -> (u16, String, ::http::HeaderMap) {
    let resp = http::handle(&h.app, Routes::Intake, req).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (
        status,
        String::from_utf8_lossy(resp.body()).into_owned(),
        headers,
    )
}

fn form_post(body: &str) -> ::http::Request<Bytes> {
    let mut req = ::http::Request::builder()
        .method("POST")
        .uri("/reports")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(body.to_owned()))
        .expect("request");
    req.extensions_mut()
        .insert(ClientIp("192.0.2.7".parse().expect("ip")));
    req
}

/// The form page labels every field, offers the configured products and has no script.
#[tokio::test]
async fn form_page_is_labelled_and_script_free() {
    let h = harness(products());
    let get = ::http::Request::builder()
        .uri("/report")
        .body(Bytes::new())
        .expect("req");
    let (status, page, headers) = send(&h, get).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("default-src 'none'")
    );
    for id in [
        "title",
        "product",
        "description",
        "steps_to_reproduce",
        "impact",
        "cvss",
        "site_url",
        "reporter_name",
        "reporter_email",
        "contact_consent",
    ] {
        assert!(page.contains(&format!("for=\"{id}\"")), "no label for {id}");
        assert!(page.contains(&format!("id=\"{id}\"")), "no control {id}");
    }
    assert!(page.contains("<option value=\"AI Insights\">AI Insights</option>"));
    assert!(page.contains("action=\"reports\""));
    assert!(page.contains(":focus"), "a visible focus style");
    assert!(
        !page.contains("<script"),
        "the form must work without JavaScript"
    );
}

/// A filled-in form is stored with every field and answered with a thank-you page and the reference.
#[tokio::test]
async fn form_post_thanks_with_reference() {
    let h = harness(products());
    let body = "summary=Stored+XSS+in+macro&product=Workzone&description=desc&steps_to_reproduce=1.+open&impact=account+takeover&cvss=CVSS%3A3.1%2FAV%3AN%2FAC%3AL%2FPR%3AN%2FUI%3AN%2FS%3AU%2FC%3AH%2FI%3AH%2FA%3AH&site_url=https%3A%2F%2Facme.atlassian.net&reporter_name=Ada&reporter_email=ada%40example.com&contact_consent=on&website=";
    let (status, page, _) = send(&h, form_post(body)).await;
    assert_eq!(status, 202, "{page}");
    let reference = page
        .split("id=\"reference\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("reference on the page");
    assert!(reference.starts_with("KLX-"), "{reference}");
    let stored = h
        .app
        .store
        .list_by_status(Status::Reported, 10)
        .await
        .expect("list");
    assert_eq!(stored.len(), 1);
    let i = &stored[0];
    assert_eq!(i.reference.as_str(), reference);
    assert_eq!(i.title, "Stored XSS in macro");
    assert_eq!(i.product.as_deref(), Some("Workzone"));
    assert_eq!(i.steps_to_reproduce.as_deref(), Some("1. open"));
    assert_eq!(i.impact.as_deref(), Some("account takeover"));
    assert_eq!(i.tenant.as_deref(), Some("acme.atlassian.net"));
    assert_eq!(i.reporter_name.as_deref(), Some("Ada"));
    assert!(i.contact_consent);
}

/// Errors come back on the form, next to their fields, with the values kept and escaped.
#[tokio::test]
async fn form_errors_show_next_to_fields() {
    let h = harness(products());
    let body = "summary=&description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&reporter_email=nope&product=Other";
    let (status, page, _) = send(&h, form_post(body)).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("id=\"title-error\""),
        "title error beside the field"
    );
    assert!(page.contains("aria-describedby=\"title-error\""));
    assert!(page.contains("id=\"reporter_email-error\""));
    assert!(page.contains("product must be one of: Workzone, AI Insights"));
    assert!(
        page.contains("role=\"alert\""),
        "an error summary is announced"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;"),
        "value kept, escaped"
    );
    assert!(!page.contains("<script>alert"), "never echoed raw");
    assert_eq!(h.stored().await, 0);
}

/// A bot that fills the hidden honeypot gets a thank-you and stores nothing.
#[tokio::test]
async fn honeypot_stores_nothing() {
    let h = harness(IntakeSettings::default());
    let (status, page, _) = send(
        &h,
        form_post("summary=Buy+now&website=http%3A%2F%2Fspam.example"),
    )
    .await;
    assert_eq!(status, 202);
    assert!(page.contains("Thank you"));
    assert!(!page.contains("id=\"reference\""));
    assert_eq!(h.stored().await, 0);
    assert!(h.publisher.published().is_empty());
}

/// One client is held to its limit, with Retry-After; another client is not affected.
#[tokio::test]
async fn per_client_rate_limit() {
    let h = harness(IntakeSettings {
        report_rate_limit: Some(RateLimit {
            per_minute: 1,
            burst: 2,
        }),
        ..IntakeSettings::default()
    });
    let json_post = |ip: &str| {
        let mut req = ::http::Request::builder()
            .method("POST")
            .uri("/reports")
            .header("content-type", "application/json")
            .body(Bytes::from_static(b"{\"title\":\"t\"}"))
            .expect("req");
        req.extensions_mut()
            .insert(ClientIp(ip.parse().expect("ip")));
        req
    };
    assert_eq!(send(&h, json_post("192.0.2.1")).await.0, 202);
    assert_eq!(send(&h, json_post("192.0.2.1")).await.0, 202);
    let (status, body, headers) = send(&h, json_post("192.0.2.1")).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("rate_limited"));
    let retry: u64 = headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    assert_eq!(
        send(&h, json_post("192.0.2.2")).await.0,
        202,
        "other clients unaffected"
    );
    // The form gets the same refusal as a page.
    let (status, page, _) = send(&h, form_post("summary=x")).await;
    assert_eq!(status, 202, "a third address is fresh: {page}");
    assert_eq!(h.stored().await, 4);
}

/// security.txt follows RFC 9116: contact, the form, an expiry, canonical URL.
#[tokio::test]
async fn security_txt_points_to_the_form() {
    let h = harness(IntakeSettings {
        security_contact: Some("mailto:security@example.com".into()),
        public_url: Some("https://klaxon.example.com".into()),
        security_txt_expires: Some("2027-05-01T00:00:00Z".parse().expect("date")),
        ..IntakeSettings::default()
    });
    let get = ::http::Request::builder()
        .uri("/.well-known/security.txt")
        .body(Bytes::new())
        .expect("req");
    let (status, text, headers) = send(&h, get).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/plain")
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.contains(&"Contact: mailto:security@example.com"),
        "{text}"
    );
    assert!(
        lines.contains(&"Contact: https://klaxon.example.com/report"),
        "{text}"
    );
    assert!(lines.contains(&"Expires: 2027-05-01T00:00:00Z"), "{text}");
    assert!(
        lines.contains(&"Canonical: https://klaxon.example.com/.well-known/security.txt"),
        "{text}"
    );

    // Without configuration it still has the mandatory Expires, within a year.
    let h = harness(IntakeSettings::default());
    let get = ::http::Request::builder()
        .uri("/.well-known/security.txt")
        .header("host", "x.example")
        .body(Bytes::new())
        .expect("req");
    let (_, text, _) = send(&h, get).await;
    assert!(text.contains("Contact: https://x.example/report"), "{text}");
    let expires = text
        .lines()
        .find_map(|l| l.strip_prefix("Expires: "))
        .expect("expires");
    let expires: chrono::DateTime<chrono::Utc> = expires.parse().expect("rfc3339");
    assert!(expires - klaxon_tests::t0() < chrono::Duration::days(365));
}
