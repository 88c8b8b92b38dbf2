//! On-call through the responder API's router over a file-backed SQLite
//! store: the roster kept and validated (contact details refused without
//! being repeated, shown only to admins), who is on call now and next in
//! the viewer's zone, an override in effect at once, and the calendar
//! feeds behind secret URLs (only the token's digest stored, a rotated
//! token dead, the feed parsed by a real iCalendar parser).

use crate::Harness;
use bytes::Bytes;
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::config::{ApiTokens, Settings};
use klaxon_core::http::{self, Routes};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use serde_json::{Value, json};
use std::sync::Arc;

const VIEWER: &str = "viewer-token-0123456789";
const RESPONDER: &str = "responder-token-0123456789";
const ADMIN: &str = "admin-token-0123456789abc";
const SCOPED_ADMIN: &str = "scoped-admin-token-0123456789";
const SCOPED_RESPONDER: &str = "scoped-responder-token-0123456789";
const PHONE: &str = "+4915112345678";

fn harness(dir: &std::path::Path) -> Harness {
    Harness::with_settings(
        Arc::new(SqliteIncidentStore::open(dir).expect("open")),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        Settings {
            api_tokens: ApiTokens::parse(&format!(
                "vic:viewer:{VIEWER},rita:responder:{RESPONDER},ada:admin:{ADMIN},\
                 sal:admin@acme.atlassian.net:{SCOPED_ADMIN},sol:responder@acme.atlassian.net:{SCOPED_RESPONDER}"
            ))
            .expect("tokens"),
            ..Settings::default()
        },
    )
}

struct Reply {
    status: u16,
    json: Value,
    text: String,
    content_type: String,
}

async fn call(
    h: &Harness,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut b = ::http::Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(v) => {
            b = b.header("content-type", "application/json");
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    let resp = http::handle(&h.app, Routes::Api, b.body(body).expect("request")).await;
    let text = String::from_utf8_lossy(resp.body()).into_owned();
    Reply {
        status: resp.status().as_u16(),
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        content_type: resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        text,
    }
}

async fn put_person(h: &Harness, id: &str, name: &str, sms: &str) -> Reply {
    call(
        h,
        "PUT",
        &format!("/api/v1/people/{id}"),
        Some(ADMIN),
        Some(json!({
            "name": name,
            "time_zone": "Europe/Berlin",
            "contacts": {"sms": sms, "email": format!("{id}@example.com")},
            "rules": [{"method": "sms", "after_minutes": 0}, {"method": "email", "after_minutes": 5}],
        })),
    )
    .await
}

/// The roster: contact details validated, refused by field without being
/// repeated, shown to admins only; a schedule must name people on the
/// roster; a person in a rotation cannot be removed.
#[tokio::test]
async fn roster_is_validated_and_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness(dir.path());
    let r = put_person(&h, "priya", "Priya Raman", "+49 151 1234 5678").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["person"]["contacts"]["sms"], PHONE);

    let bad = "+49 0151 12345678999";
    let r = put_person(&h, "sam", "Sam Okafor", bad).await;
    assert_eq!(
        (r.status, r.json["error"]["code"].as_str()),
        (400, Some("invalid_contact"))
    );
    assert!(r.text.contains("contacts.sms"), "{}", r.text);
    assert!(
        !r.text.contains("12345678999") && !r.text.contains(bad),
        "{}",
        r.text
    );
    let r = call(
        &h,
        "PUT",
        "/api/v1/people/sam",
        Some(ADMIN),
        Some(json!({"name": "Sam", "time_zone": "Europe/London", "contacts": {"email": "sam@@example"}})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text.contains("contacts.email") && !r.text.contains("sam@@example"),
        "{}",
        r.text
    );
    assert_eq!(
        put_person(&h, "sam", "Sam Okafor", "+447700900123")
            .await
            .status,
        200
    );

    let viewer = call(&h, "GET", "/api/v1/people", Some(VIEWER), None).await;
    assert_eq!(viewer.status, 200);
    assert!(
        !viewer.text.contains(PHONE) && !viewer.text.contains("@example.com"),
        "{}",
        viewer.text
    );
    assert_eq!(viewer.json["people"][0]["methods"], json!(["sms", "email"]));
    let admin = call(&h, "GET", "/api/v1/people/priya", Some(ADMIN), None).await;
    assert_eq!(admin.json["person"]["contacts"]["sms"], PHONE);
    assert_eq!(
        call(
            &h,
            "PUT",
            "/api/v1/people/sam",
            Some(VIEWER),
            Some(json!({}))
        )
        .await
        .status,
        403
    );

    let r = call(
        &h,
        "PUT",
        "/api/v1/schedules/security-primary",
        Some(ADMIN),
        Some(json!({"name": "Security primary", "time_zone": "Europe/Berlin", "layers": [
            {"people": ["priya", "nobody"], "shift": "1w", "handoff": "Mon 09:00", "start": "2026-11-02"}
        ]})),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"]["code"].as_str()),
        (422, Some("unknown_person")),
        "{}",
        r.text
    );
    assert!(r.text.contains("layers[0].people[1]"), "{}", r.text);
    let r = call(
        &h,
        "PUT",
        "/api/v1/schedules/security-primary",
        Some(ADMIN),
        Some(json!({"name": "Security primary", "time_zone": "Europe/Berlin", "layers": [
            {"people": ["priya", "sam"], "shift": "fortnightly", "handoff": "Mon 09:00", "start": "2026-11-02"}
        ]})),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"]["code"].as_str()),
        (400, Some("invalid_layers"))
    );
    assert!(r.text.contains("layers[0].shift"), "{}", r.text);
    schedule(&h).await;
    let r = call(&h, "DELETE", "/api/v1/people/sam", Some(ADMIN), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("security-primary"));
}

/// priya and sam weekly from Monday 2 November 2026, 09:00 Berlin.
async fn schedule(h: &Harness) {
    let r = call(
        h,
        "PUT",
        "/api/v1/schedules/security-primary",
        Some(ADMIN),
        Some(json!({"name": "Security primary", "time_zone": "Europe/Berlin", "layers": [
            {"people": ["priya", "sam"], "shift": "1w", "handoff": "Mon 09:00", "start": "2026-11-02"}
        ]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Now and next, the handoff in the viewer's zone; an override by a
/// responder changes who is on call from the next read on, and removing
/// it changes it back.
#[tokio::test]
async fn on_call_now_next_and_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness(dir.path());
    put_person(&h, "priya", "Priya Raman", PHONE).await;
    put_person(&h, "sam", "Sam Okafor", "+447700900123").await;
    schedule(&h).await;
    // The clock is Monday 23 November 2026 03:00Z: week 3, priya's.
    let r = call(
        &h,
        "GET",
        "/api/v1/oncall?tz=America/New_York",
        Some(VIEWER),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let s = &r.json["schedules"][0];
    assert_eq!(s["now"]["person"], "priya");
    assert_eq!(s["now"]["name"], "Priya Raman");
    assert_eq!(s["next"]["to"]["person"], "sam");
    // 09:00 Berlin today is 03:00 in New York.
    assert_eq!(s["next"]["at"], "2026-11-23T03:00:00-05:00");
    assert_eq!(s["next"]["local"], "Mon 23 Nov 2026 03:00 America/New_York");
    assert_eq!(
        call(&h, "GET", "/api/v1/oncall?tz=Mars/Base", Some(VIEWER), None)
            .await
            .status,
        400
    );

    let r = call(
        &h,
        "POST",
        "/api/v1/schedules/security-primary/overrides",
        Some(RESPONDER),
        Some(json!({"person": "sam", "end": "2026-11-23T07:00:00+01:00"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["override"]["by"], "rita");
    let id = r.json["override"]["id"].as_str().expect("id").to_owned();
    let r = call(&h, "GET", "/api/v1/oncall", Some(VIEWER), None).await;
    assert_eq!(r.json["schedules"][0]["now"]["person"], "sam");
    assert_eq!(r.json["schedules"][0]["now"]["via"]["kind"], "override");
    assert_eq!(
        r.json["schedules"][0]["next"]["at"],
        "2026-11-23T06:00:00+00:00"
    );
    assert_eq!(r.json["schedules"][0]["next"]["to"]["person"], "priya");

    let r = call(
        &h,
        "POST",
        "/api/v1/schedules/security-primary/overrides",
        Some(RESPONDER),
        Some(json!({"person": "sam", "end": "2026-11-20T09:00:00Z"})),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"]["code"].as_str()),
        (400, Some("invalid_time")),
        "{}",
        r.text
    );
    let r = call(
        &h,
        "POST",
        "/api/v1/schedules/security-primary/overrides",
        Some(VIEWER),
        Some(json!({"person": "sam", "end": "2026-11-24T09:00:00Z"})),
    )
    .await;
    assert_eq!(r.status, 403);

    let path = format!("/api/v1/schedules/security-primary/overrides/{id}");
    assert_eq!(
        call(&h, "DELETE", &path, Some(RESPONDER), None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(&h, "DELETE", &path, Some(RESPONDER), None)
            .await
            .status,
        404
    );
    let r = call(
        &h,
        "GET",
        "/api/v1/schedules/security-primary",
        Some(VIEWER),
        None,
    )
    .await;
    assert_eq!(r.json["now"]["person"], "priya");
    assert_eq!(r.json["overrides"], json!([]));
}

/// The python that can parse iCalendar, if this machine has one.
fn icalendar_python() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        std::env::var_os("KLAXON_PYTHON").map(std::path::PathBuf::from),
        Some(
            root.join(std::env::var("KLAXON_VENV").unwrap_or(".venv".into()))
                .join("bin/python"),
        ),
        Some("python3".into()),
    ];
    candidates.into_iter().flatten().find(|py| {
        std::process::Command::new(py)
            .args(["-c", "import icalendar"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Issues a feed URL as the admin.
async fn issue(h: &Harness, path: &str) -> String {
    let r = call(h, "POST", path, Some(ADMIN), None).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["url"].as_str().expect("url").to_owned()
}

/// A feed's URL is issued once; the token is not stored (only its
/// digest), the feed is RFC 5545 that a real parser reads, a new URL kills
/// the old one, and a removed schedule's feed is gone.
#[tokio::test]
async fn calendar_feeds_at_secret_urls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness(dir.path());
    put_person(&h, "priya", "Priya Raman", PHONE).await;
    put_person(&h, "sam", "Sam Okafor", "+447700900123").await;
    schedule(&h).await;
    assert_eq!(
        call(
            &h,
            "POST",
            "/api/v1/schedules/security-primary/feed",
            Some(RESPONDER),
            None
        )
        .await
        .status,
        403
    );
    let url = issue(&h, "/api/v1/schedules/security-primary/feed").await;
    assert!(
        url.starts_with("/calendars/") && url.ends_with(".ics"),
        "{url}"
    );
    let token = url
        .trim_start_matches("/calendars/")
        .trim_end_matches(".ics")
        .to_owned();

    let r = call(&h, "GET", &format!("{url}?days=21"), None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.content_type.starts_with("text/calendar"),
        "{}",
        r.content_type
    );
    assert!(r.text.contains("BEGIN:VEVENT") && r.text.contains("\r\n"));
    // priya's week running now starts when it began, 16 Nov 08:00Z;
    // sam's follows from 23 Nov.
    assert!(r.text.contains("DTSTART:20261116T080000Z"), "{}", r.text);
    assert!(
        r.text
            .contains("SUMMARY:On call: Sam Okafor (Security primary)"),
        "{}",
        r.text
    );

    let mine = issue(&h, "/api/v1/people/sam/feed").await;
    let p = call(&h, "GET", &mine, None, None).await;
    assert_eq!(p.status, 200);
    assert!(p.text.contains("SUMMARY:On call for Security primary"));
    assert!(!p.text.contains("Priya"), "only sam's shifts: {}", p.text);

    if let Some(py) = icalendar_python() {
        for feed in [&r.text, &p.text] {
            let file = dir.path().join("feed.ics");
            std::fs::write(&file, feed).expect("write");
            let out = std::process::Command::new(&py)
                .arg("-c")
                .arg(
                    "import sys, icalendar\n\
                     cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
                     evs = cal.walk('VEVENT')\n\
                     assert evs, 'no events'\n\
                     for e in evs:\n\
                     \x20   assert e.get('UID') and e.get('DTSTAMP')\n\
                     \x20   s, t = e.decoded('DTSTART'), e.decoded('DTEND')\n\
                     \x20   assert s.utcoffset().total_seconds() == 0 and t > s\n\
                     print(len(evs))\n",
                )
                .arg(&file)
                .output()
                .expect("run python");
            assert!(
                out.status.success(),
                "icalendar refused the feed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    } else {
        eprintln!("icalendar (Python) not installed: the feeds were not parsed by it");
    }

    // The token itself is nowhere in the store's files.
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).unwrap_or_default();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is stored"
        );
    }

    let again = issue(&h, "/api/v1/schedules/security-primary/feed").await;
    assert_ne!(again, url);
    assert_eq!(
        call(&h, "GET", &url, None, None).await.status,
        404,
        "the old URL still works"
    );
    assert_eq!(call(&h, "GET", &again, None, None).await.status, 200);
    assert_eq!(
        call(
            &h,
            "GET",
            "/calendars/not-a-real-token-at-all-0123456789",
            None,
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(
            &h,
            "DELETE",
            "/api/v1/schedules/security-primary",
            Some(ADMIN),
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(call(&h, "GET", &again, None, None).await.status, 404);
}

/// A person removed from the roster is no longer on call: an override
/// naming them goes with them, rather than leaving a page aimed at someone
/// who no longer exists.
#[tokio::test]
async fn removing_a_person_ends_their_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness(dir.path());
    put_person(&h, "priya", "Priya Raman", PHONE).await;
    put_person(&h, "sam", "Sam Okafor", "+447700900123").await;
    put_person(&h, "zed", "Zed Covers", "+14155552671").await;
    schedule(&h).await;
    let r = call(
        &h,
        "POST",
        "/api/v1/schedules/security-primary/overrides",
        Some(RESPONDER),
        Some(json!({"person": "zed", "end": "2026-11-24T09:00:00Z"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = call(&h, "DELETE", "/api/v1/people/zed", Some(ADMIN), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(&h, "GET", "/api/v1/oncall", Some(VIEWER), None).await;
    assert_eq!(
        r.json["schedules"][0]["now"]["person"], "priya",
        "{}",
        r.text
    );
    let r = call(
        &h,
        "GET",
        "/api/v1/schedules/security-primary",
        Some(VIEWER),
        None,
    )
    .await;
    assert_eq!(r.json["overrides"], json!([]), "{}", r.text);
}

/// An override to someone no page can reach (a chat handle only) is
/// refused, naming the field: the override would make every page while they
/// cover a coverage gap, and no coverage warning names them.
#[tokio::test]
async fn an_override_to_someone_unreachable_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness(dir.path());
    put_person(&h, "priya", "Priya Raman", PHONE).await;
    put_person(&h, "sam", "Sam Okafor", "+447700900123").await;
    schedule(&h).await;
    let r = call(
        &h,
        "PUT",
        "/api/v1/people/carol",
        Some(ADMIN),
        Some(json!({"name": "Carol", "time_zone": "UTC", "contacts": {"chat": "@carol"}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(
        &h,
        "POST",
        "/api/v1/schedules/security-primary/overrides",
        Some(RESPONDER),
        Some(json!({"person": "carol", "end": "2026-11-24T09:00:00Z"})),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "unreachable_person", "{}", r.text);
    assert!(r.text.contains("person:"), "{}", r.text);
    let r = call(&h, "GET", "/api/v1/oncall", Some(VIEWER), None).await;
    assert_eq!(
        r.json["schedules"][0]["now"]["person"], "priya",
        "{}",
        r.text
    );
}

/// The roster is the whole team's: a tenant-scoped token reads who is on
/// call but changes nothing: no override (which would change who every
/// tenant's page goes to), no person, schedule or feed.
#[tokio::test]
async fn a_tenant_scoped_token_cannot_change_the_roster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness(dir.path());
    put_person(&h, "priya", "Priya Raman", PHONE).await;
    put_person(&h, "sam", "Sam Okafor", "+447700900123").await;
    schedule(&h).await;
    let sp = "/api/v1/schedules/security-primary";
    let person =
        json!({"name": "Mallory", "time_zone": "UTC", "contacts": {"sms": "+14155552671"}});
    let layers = json!({"name": "x", "time_zone": "UTC", "layers": [
        {"people": ["sam"], "shift": "1w", "handoff": "Mon 09:00", "start": "2026-11-02"}]});
    let cover = json!({"person": "sam", "end": "2026-11-24T09:00:00Z"});
    let writes: [(&str, String, &str, Option<Value>); 7] = [
        (
            "POST",
            format!("{sp}/overrides"),
            SCOPED_RESPONDER,
            Some(cover.clone()),
        ),
        ("POST", format!("{sp}/overrides"), SCOPED_ADMIN, Some(cover)),
        (
            "PUT",
            "/api/v1/people/mallory".into(),
            SCOPED_ADMIN,
            Some(person),
        ),
        ("DELETE", "/api/v1/people/sam".into(), SCOPED_ADMIN, None),
        ("PUT", sp.into(), SCOPED_ADMIN, Some(layers)),
        ("DELETE", sp.into(), SCOPED_ADMIN, None),
        ("POST", format!("{sp}/feed"), SCOPED_ADMIN, Some(json!({}))),
    ];
    for (method, path, token, body) in writes {
        let r = call(&h, method, &path, Some(token), body).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text);
        assert_eq!(r.json["error"]["code"], "forbidden", "{}", r.text);
    }
    let r = call(&h, "GET", "/api/v1/oncall", Some(SCOPED_RESPONDER), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["schedules"][0]["now"]["person"], "priya",
        "nothing changed: {}",
        r.text
    );
    let r = call(&h, "GET", "/api/v1/people", Some(ADMIN), None).await;
    assert_eq!(
        r.json["people"].as_array().map(Vec::len),
        Some(2),
        "{}",
        r.text
    );
}
