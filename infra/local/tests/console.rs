//! The responder console on `klaxon serve`, as a browser drives it: sign-in
//! with an API token, the session cookie, each form posted with its token,
//! refusals beside their fields, roles and tenant scope as the API applies
//! them, and what the store keeps of a session (not the token, not the id).

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/server.rs"]
mod server;
use server::Server;

const VIEWER: &str = "console-viewer-token-0123456789";
const COMMANDER: &str = "console-commander-token-0123456789";
const SCOPED: &str = "console-scoped-token-0123456789";

async fn start(data_dir: &Path) -> Server {
    server::spawn(data_dir, &[], |c| {
        c.env(
            "KLAXON_API_TOKENS",
            format!(
                "vera:viewer:{VIEWER},carol:commander:{COMMANDER},gil:viewer@globex.example:{SCOPED}"
            ),
        );
    })
    .await
}

/// A browser without JavaScript: cookies kept by hand, redirects not
/// followed (so each 303 can be checked), posts sent as forms from the
/// console's own origin.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
    set_cookies: Vec<String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Browser {
    fn new(server: &Server) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: server.base.clone(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn take(&mut self, resp: reqwest::Response) -> Page {
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().expect("ASCII").to_owned();
            let pair = v.split(';').next().unwrap_or("");
            if let Some((k, val)) = pair.split_once('=') {
                if val.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
            self.set_cookies.push(v);
        }
        Page {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get("location")
                .map(|v| v.to_str().expect("ASCII").to_owned()),
            headers: resp.headers().clone(),
            body: resp.text().await.expect("body"),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("get");
        self.take(resp).await
    }

    async fn post_with(&mut self, path: &str, form: &[(&str, &str)], site: &str) -> Page {
        let body = serde_urlencoded_body(form);
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(body)
            .send()
            .await
            .expect("post");
        self.take(resp).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_with(path, form, "same-origin").await
    }

    /// The sign-in page's form, posted with `token`; what it answered.
    async fn try_sign_in(&mut self, token: &str) -> Page {
        let page = self.get("/console/sign-in").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = form_token(&page.body);
        self.post("/console/sign-in", &[("_csrf", &csrf), ("token", token)])
            .await
    }

    async fn sign_in(&mut self, token: &str) {
        let page = self.try_sign_in(token).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location.as_deref(), Some("/console"));
    }
}

fn serde_urlencoded_body(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// The page's form token (every form on a page carries the same one).
fn form_token(html: &str) -> String {
    let at = html
        .find("name=\"_csrf\" value=\"")
        .expect("a form token on the page");
    html[at + 20..].split('"').next().expect("token").to_owned()
}

async fn api(server: &Server, method: &str, path: &str, body: Option<Value>) -> Value {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", server.base);
    let req = match method {
        "POST" => client
            .post(url)
            .header("content-type", "application/json")
            .body(body.unwrap_or(json!({})).to_string()),
        _ => client.get(url),
    };
    let resp = req.bearer_auth(COMMANDER).send().await.expect("api");
    assert!(
        resp.status().is_success(),
        "{method} {path}: {}",
        resp.status()
    );
    resp.json().await.expect("json")
}

/// A drill in tenant `tenant`, triaged; its reference.
async fn drill(server: &Server, tenant: &str, title: &str) -> String {
    let made = api(
        server,
        "POST",
        "/api/v1/drills",
        Some(json!({"class": "leaked_production_secret", "severity": "SEV-2", "tenant": tenant, "title": title})),
    )
    .await;
    let reference = made["incident"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = api(
            server,
            "GET",
            &format!("/api/v1/incidents/{reference}"),
            None,
        )
        .await;
        if v["incident"]["status"] != "reported" || Instant::now() > deadline {
            return reference;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn incident(server: &Server, reference: &str) -> Value {
    api(
        server,
        "GET",
        &format!("/api/v1/incidents/{reference}"),
        None,
    )
    .await
}

/// Signing in sets a strict, HttpOnly, expiring cookie; a wrong token is
/// refused beside its field; the store keeps neither the API token nor the
/// session id; signing out ends the session.
#[tokio::test]
async fn sign_in_keeps_no_token_and_signs_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let mut b = Browser::new(&server);

    let page = b.get("/console").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/console/sign-in"));

    let page = b.get("/console/sign-in").await;
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let csrf = form_token(&page.body);
    let page = b
        .post(
            "/console/sign-in",
            &[("_csrf", &csrf), ("token", "not-a-token")],
        )
        .await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("id=\"token-error\""), "{}", page.body);
    assert!(
        !page.body.contains("not-a-token"),
        "the token is not echoed"
    );

    // The sign-in form's token must match its cookie.
    let page = b
        .post(
            "/console/sign-in",
            &[("_csrf", "forged"), ("token", COMMANDER)],
        )
        .await;
    assert_eq!(page.status, 403);

    b.sign_in(COMMANDER).await;
    let set = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("klaxon_session=") && !c.starts_with("klaxon_session=;"))
        .expect("a session cookie")
        .clone();
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    assert!(!set.contains("Secure"), "plain http on loopback: {set}");
    let session_id = b.cookies["klaxon_session"].clone();

    let page = b.get("/console").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("carol (commander)"), "{}", page.body);

    // Nothing the server wrote holds the token or the session id.
    for entry in std::fs::read_dir(dir.path()).expect("data dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let bytes = std::fs::read(&path).expect("read");
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(COMMANDER),
                "{} holds the API token",
                path.display()
            );
            assert!(
                !text.contains(&session_id),
                "{} holds the session id",
                path.display()
            );
        }
    }

    // A path takes only its own methods, and says which.
    let wrong = b.get("/console/sign-out").await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.headers["allow"], "POST");
    assert_eq!(b.get("/console/nowhere").await.status, 404);

    let csrf = form_token(&page.body);
    let page = b.post("/console/sign-out", &[("_csrf", &csrf)]).await;
    assert_eq!(page.status, 303);
    // The old cookie opens nothing any more.
    b.cookies.insert("klaxon_session".into(), session_id);
    let page = b.get("/console").await;
    assert_eq!(page.status, 303, "{}", page.body);
}

/// A commander works a drill from the console alone: acknowledge, a
/// hypothesis, contain (refused first without the containment, beside that
/// field), resolve, settle the closure criteria and close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commander_works_an_incident_through_the_forms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let reference = drill(&server, "acme.example", "Token leaked in a build log").await;
    let mut b = Browser::new(&server);
    b.sign_in(COMMANDER).await;

    let list = b.get("/console").await;
    assert!(list.body.contains(&reference), "{}", list.body);
    let filtered = b.get("/console?status=closed&severity=&tenant=").await;
    assert_eq!(filtered.status, 200);
    assert!(!filtered.body.contains(&reference), "the filter applies");
    let bad = b.get("/console?severity=SEV-9").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("id=\"filter-error\""), "{}", bad.body);

    let path = format!("/console/incidents/{reference}");
    let page = b.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Token leaked in a build log"));
    let csrf = form_token(&page.body);

    let post = |action: &str| format!("{path}/{action}");
    let done = b
        .post(&post("ack"), &[("_csrf", &csrf), ("note", "on it")])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.location
            .as_deref()
            .is_some_and(|l| l.contains("done=ack"))
    );
    assert_eq!(
        incident(&server, &reference).await["incident"]["acknowledged"]["via"],
        "console"
    );

    let done = b
        .post(
            &post("notes"),
            &[
                ("_csrf", &csrf),
                ("kind", "hypothesis"),
                ("text", "the CI cache kept the token"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = b.get(&path).await;
    let hyp = page
        .body
        .find("Hypotheses (unconfirmed)")
        .expect("hypotheses");
    let note = page
        .body
        .find("the CI cache kept the token")
        .expect("the note");
    assert!(note > hyp, "the hypothesis is under the hypotheses");

    // Refused: containing needs the containment; the message sits beside it,
    // and what was typed comes back redacted, as it would have been stored.
    let secret = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
    let refused = b
        .post(
            &post("status"),
            &[
                ("_csrf", &csrf),
                ("status", "contained"),
                ("root_cause", &format!("the token {secret} in CI")),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        !refused.body.contains(secret),
        "a refused form shows no secret"
    );
    assert!(refused.body.contains("in CI"), "{}", refused.body);
    assert!(
        refused.body.contains("id=\"status-containment-error\""),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("aria-describedby=\"status-containment-error\"")
    );
    let done = b
        .post(
            &post("status"),
            &[
                ("_csrf", &csrf),
                ("status", "contained"),
                ("containment", "revoked the token"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let done = b
        .post(
            &post("status"),
            &[
                ("_csrf", &csrf),
                ("status", "resolved"),
                ("root_cause", "token printed by a debug flag"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);

    // Closing is refused while the checklist is open, beside the form.
    let refused = b
        .post(&post("status"), &[("_csrf", &csrf), ("status", "closed")])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"status-error\""),
        "{}",
        refused.body
    );
    let view = incident(&server, &reference).await;
    for t in view["tasks"].as_array().expect("tasks") {
        if t["state"] == "open" {
            let id = t["id"].to_string();
            let done = b
                .post(
                    &post(&format!("tasks/{id}")),
                    &[
                        ("_csrf", &csrf),
                        ("state", "waived"),
                        ("note", "drill: not applicable"),
                    ],
                )
                .await;
            assert_eq!(done.status, 303, "task {id}: {}", done.body);
        }
    }
    let done = b
        .post(&post("status"), &[("_csrf", &csrf), ("status", "closed")])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        incident(&server, &reference).await["incident"]["status"],
        "closed"
    );

    let review = b.get(&format!("{path}/review.md")).await;
    assert_eq!(review.status, 200);
    assert!(
        review.headers["content-disposition"]
            .to_str()
            .expect("ASCII")
            .contains("attachment")
    );
    assert!(review.body.contains(&reference));
}

/// A viewer sees the incident but no form; a post forced anyway is 403 and
/// changes nothing. A caller scoped to another tenant gets 404.
#[tokio::test]
async fn viewers_see_no_forms_and_other_tenants_are_not_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let reference = drill(&server, "acme.example", "Viewer drill").await;
    let path = format!("/console/incidents/{reference}");

    let mut viewer = Browser::new(&server);
    viewer.sign_in(VIEWER).await;
    let page = viewer.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains("<button type=\"submit\">Acknowledge"),
        "no buttons for a viewer"
    );
    assert!(
        !page.body.contains(&format!("action=\"{path}/")),
        "no action forms for a viewer"
    );
    let csrf = form_token(&page.body);
    let forced = viewer
        .post(&format!("{path}/ack"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(forced.status, 403, "{}", forced.body);
    assert!(incident(&server, &reference).await["incident"]["acknowledged"].is_null());

    let mut scoped = Browser::new(&server);
    scoped.sign_in(SCOPED).await;
    assert_eq!(scoped.get(&path).await.status, 404);
    let list = scoped.get("/console").await;
    assert!(
        !list.body.contains(&reference),
        "another tenant's incident is not listed"
    );
}

/// Token guesses from one address are cut off after ten a minute: the
/// eleventh attempt, even with the right token, is 429 and opens nothing.
#[tokio::test]
async fn sign_in_attempts_are_limited_per_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let mut b = Browser::new(&server);
    for n in 0..10 {
        let page = b
            .try_sign_in(&format!("guess-{n:02}-0123456789abcdef"))
            .await;
        assert_eq!(page.status, 401, "{}", page.body);
    }
    let page = b.try_sign_in(COMMANDER).await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(
        page.body.contains("Too many sign-in attempts"),
        "{}",
        page.body
    );
    assert!(!b.cookies.contains_key("klaxon_session"));
}

/// A token session lasts only while its token is configured as it was:
/// after a restart with the commander's token demoted to responder and the
/// scoped viewer's token removed, both sessions are over (back to sign-in,
/// and a forced post is refused); the unchanged viewer's session goes on.
#[tokio::test]
async fn a_session_ends_when_its_token_is_removed_or_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let reference = drill(&server, "globex.example", "Revocation drill").await;
    let path = format!("/console/incidents/{reference}");
    let mut browsers = [
        Browser::new(&server),
        Browser::new(&server),
        Browser::new(&server),
    ];
    for (b, token) in browsers.iter_mut().zip([COMMANDER, SCOPED, VIEWER]) {
        b.sign_in(token).await;
        assert_eq!(b.get(&path).await.status, 200);
    }
    let csrf = form_token(&browsers[0].get(&path).await.body);
    drop(server);

    let server = server::spawn(dir.path(), &[], |c| {
        c.env(
            "KLAXON_API_TOKENS",
            format!("vera:viewer:{VIEWER},carol:responder:{COMMANDER}"),
        );
    })
    .await;
    for b in &mut browsers {
        b.base = server.base.clone();
    }
    let [commander, scoped, viewer] = &mut browsers;
    for b in [&mut *commander, &mut *scoped] {
        let page = b.get(&path).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location.as_deref(), Some("/console/sign-in"));
    }
    let forced = commander
        .post(&format!("{path}/ack"), &[("_csrf", &csrf)])
        .await;
    assert_ne!(forced.status / 100, 2, "{}", forced.body);
    assert!(incident(&server, &reference).await["incident"]["acknowledged"].is_null());
    assert_eq!(viewer.get(&path).await.status, 200);
}

/// A post from another site, or without the session's form token, is
/// refused and changes nothing; every value from a report is escaped.
#[tokio::test]
async fn cross_site_and_tokenless_posts_are_refused_and_values_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let reference = drill(&server, "acme.example", "<img src=x onerror=alert(1)>").await;
    let path = format!("/console/incidents/{reference}");
    let mut b = Browser::new(&server);
    b.sign_in(COMMANDER).await;
    let page = b.get(&path).await;
    assert!(
        page.body.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "escaped"
    );
    assert!(!page.body.contains("<img src=x"), "never raw");
    let csrf = form_token(&page.body);

    let ack = format!("{path}/ack");
    let cross = b.post_with(&ack, &[("_csrf", &csrf)], "cross-site").await;
    assert_eq!(cross.status, 403);
    let tokenless = b.post(&ack, &[]).await;
    assert_eq!(tokenless.status, 403);
    // An older browser's Origin from elsewhere.
    let resp = reqwest::Client::new()
        .post(format!("{}{ack}", server.base))
        .header("cookie", b.cookie_header())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "http://evil.example")
        .body(format!("_csrf={csrf}"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
    assert!(incident(&server, &reference).await["incident"]["acknowledged"].is_null());
}

/// The metrics page draws its charts as titled images with their figures in
/// a table, the annual report and the on-call page render, and none of them
/// carries a write form; a script is allowed from the console itself only.
#[tokio::test]
async fn metrics_annual_and_oncall_pages_render_without_forms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let reference = drill(&server, "acme.example", "Metrics drill").await;
    let mut viewer = Browser::new(&server);
    viewer.sign_in(VIEWER).await;
    let year = chrono::Utc::now().format("%Y").to_string();
    for path in [
        "/console/metrics".to_owned(),
        "/console/metrics?by=week&from=2026-01-01".to_owned(),
        format!("/console/metrics/annual?year={year}"),
        "/console/oncall".to_owned(),
        "/console/oncall?tz=Europe/Berlin".to_owned(),
    ] {
        let page = viewer.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        let csp = page.headers["content-security-policy"]
            .to_str()
            .expect("csp");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline'; script"),
            "{csp}"
        );
        assert!(
            page.body
                .contains(r#"<script src="/console/assets/console.js" defer>"#)
        );
        let main = page.body.split("<main").nth(1).expect("main");
        assert!(!main.contains("method=\"post\""), "{path}: no write form");
        assert!(
            page.body.contains(r#"href="/console/metrics""#),
            "{path}: nav"
        );
    }
    let metrics = viewer.get("/console/metrics").await.body;
    // A drill is left out of every figure, so no chart has a point yet
    // (the charts' markup is tested where they are drawn).
    assert!(metrics.contains("No samples in this range."), "{metrics}");
    assert!(!metrics.contains("<svg"), "no empty chart");
    assert!(
        metrics.contains("<th scope=\"row\">"),
        "the figures as a table"
    );
    let annual = viewer
        .get(&format!("/console/metrics/annual?year={year}"))
        .await
        .body;
    assert!(
        annual.contains(&reference),
        "the drill is in the year's drills"
    );
    let md = viewer
        .get(&format!("/console/metrics/annual.md?year={year}"))
        .await;
    assert_eq!(md.status, 200);
    assert!(md.body.starts_with("# ") && md.body.contains(&reference));
    let script = viewer.get("/console/assets/console.js").await;
    assert_eq!(script.status, 200);
    assert!(
        script.headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/javascript")
    );
    assert_eq!(viewer.get("/console/assets/other.js").await.status, 404);
}

/// A caller scoped to another tenant sees none of this tenant's incidents in
/// the metrics or the annual report; what a request sent is shown escaped.
#[tokio::test]
async fn insights_keep_tenant_scope_and_escape_what_was_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let reference = drill(&server, "acme.example", "Scoped drill").await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let mut scoped = Browser::new(&server);
    scoped.sign_in(SCOPED).await;
    let annual = scoped
        .get(&format!("/console/metrics/annual?year={year}"))
        .await;
    assert_eq!(annual.status, 200);
    assert!(!annual.body.contains(&reference), "another tenant's drill");
    assert!(
        annual.body.contains("<dt>Drills</dt><dd>0</dd>"),
        "{}",
        annual.body
    );
    let md = scoped
        .get(&format!("/console/metrics/annual.md?year={year}"))
        .await;
    assert!(!md.body.contains(&reference));
    let metrics = scoped.get("/console/metrics").await.body;
    assert!(metrics.contains("0 drill(s)"), "{metrics}");

    let hostile = enc("\"><script>alert(1)</script>");
    for (path, field) in [
        (format!("/console/metrics?from={hostile}"), "metrics-error"),
        (format!("/console/metrics?by={hostile}"), "metrics-error"),
        (format!("/console/oncall?tz={hostile}"), "zone-error"),
    ] {
        let page = scoped.get(&path).await;
        assert_eq!(page.status, 400, "{path}");
        assert!(
            page.body.contains(&format!("id=\"{field}\"")),
            "{path}: refusal beside the form"
        );
        assert!(!page.body.contains("<script>alert"), "{path}: escaped");
    }
    assert_eq!(
        scoped.get("/console/metrics/annual?year=12").await.status,
        400
    );
}

/// The on-call page names who is on call now and next for each schedule,
/// the handoff in the zone asked for, and a person's name escaped.
#[tokio::test]
async fn oncall_page_shows_now_and_next_in_the_viewers_zone() {
    const ADMIN: &str = "console-admin-token-0123456789";
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server::spawn(dir.path(), &[], |c| {
        c.env(
            "KLAXON_API_TOKENS",
            format!("vera:viewer:{VIEWER},ada:admin:{ADMIN}"),
        );
    })
    .await;
    let http = reqwest::Client::new();
    let put = |path: String, body: Value| {
        let req = http
            .put(format!("{}{path}", server.base))
            .bearer_auth(ADMIN)
            .header("content-type", "application/json")
            .body(body.to_string());
        async move {
            let resp = req.send().await.expect("put");
            assert!(resp.status().is_success(), "{path}: {}", resp.status());
        }
    };
    for (id, name) in [("priya", "Priya <i>Shah</i>"), ("sam", "Sam Okafor")] {
        put(
            format!("/api/v1/people/{id}"),
            json!({"name": name, "time_zone": "Europe/Berlin", "contacts": {"email": format!("{id}@example.com")}}),
        )
        .await;
    }
    put(
        "/api/v1/schedules/primary".into(),
        json!({"name": "Security primary", "time_zone": "Europe/Berlin", "layers": [
            {"people": ["priya", "sam"], "shift": "1w", "handoff": "Mon 09:00", "start": "2026-11-02"}
        ]}),
    )
    .await;
    let mut viewer = Browser::new(&server);
    viewer.sign_in(VIEWER).await;
    let page = viewer.get("/console/oncall?tz=America/New_York").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("Security primary"), "{body}");
    assert!(
        body.contains("Priya &lt;i&gt;Shah&lt;&#x2f;i&gt;") && !body.contains("<i>Shah"),
        "{body}"
    );
    assert!(body.contains("Sam Okafor"));
    assert!(
        body.contains(" America&#x2f;New_York</time>"),
        "the handoff in the asked zone"
    );
    assert!(body.contains("<time datetime=\""), "{body}");
    let utc = viewer.get("/console/oncall").await;
    assert!(
        utc.body.contains("Handoff times are in UTC"),
        "{}",
        utc.body
    );
}
