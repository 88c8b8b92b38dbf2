//! The responder API: roles, tenant scope, lifecycle guards, notes,
//! evidence, tasks, listings, retention and drills, through the same router
//! the Lambda and `klaxon serve` use, over the SQLite store.

use crate::Harness;
use bytes::Bytes;
use chrono::Duration;
use klaxon_core::app::{assess, escalate, intake, notify};
use klaxon_core::config::{ApiTokens, Settings};
use klaxon_core::domain::{EventKind, Report, ReportInput, Source};
use klaxon_core::http::{self, Routes};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

const VIEWER: &str = "viewer-token-0123456789";
const RESPONDER: &str = "responder-token-0123456789";
const COMMANDER: &str = "commander-token-0123456789";
const ADMIN: &str = "admin-token-0123456789abc";
/// A commander scoped to acme's tenant only.
const ACME: &str = "acme-commander-token-0123";

fn harness() -> Harness {
    harness_on(crate::sqlite_store())
}

fn harness_on(store: std::sync::Arc<dyn klaxon_core::ports::Store>) -> Harness {
    Harness::with_settings(
        store,
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        Settings {
            api_tokens: ApiTokens::parse(&format!(
                "vic:viewer:{VIEWER},rita:responder:{RESPONDER},cora:commander:{COMMANDER},\
                 ada:admin:{ADMIN},acme-ic:commander@acme.atlassian.net:{ACME}"
            ))
            .expect("tokens"),
            ..Settings::default()
        },
    )
}

/// Runs published events through assess and notify, as the bus would.
struct Pipeline(AtomicUsize);

impl Pipeline {
    fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    async fn drain(&self, h: &Harness) {
        loop {
            let events = h.publisher.published();
            let from = self.0.load(Ordering::SeqCst);
            if from >= events.len() {
                return;
            }
            self.0.store(events.len(), Ordering::SeqCst);
            for e in &events[from..] {
                if e.kind == EventKind::ReportReceived {
                    assess::on_event(&h.app, e).await.expect("assess");
                } else {
                    notify::on_event(&h.app, e).await.expect("notify");
                }
            }
        }
    }
}

fn report(title: &str, tenant: &str, description: &str) -> Report {
    Report::parse(ReportInput {
        title: Some(title.into()),
        description: Some(description.into()),
        tenant: Some(tenant.into()),
        reporter_email: Some("researcher@example.com".into()),
        ..Default::default()
    })
    .expect("valid report")
}

/// Reports an incident and runs the pipeline; returns its reference.
async fn open(h: &Harness, p: &Pipeline, title: &str, tenant: &str, description: &str) -> String {
    let created = intake::submit(
        &h.app,
        Source::Report,
        report(title, tenant, description),
        None,
    )
    .await
    .expect("submit");
    p.drain(h).await;
    created.incident.reference.to_string()
}

const LEAK: &str =
    "Our production AWS access key was committed to a public GitHub repository by a deploy script.";

struct Reply {
    status: u16,
    json: Value,
    text: String,
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
        text,
    }
}

async fn get(h: &Harness, path: &str, token: &str) -> Reply {
    call(h, "GET", path, Some(token), None).await
}

async fn post(h: &Harness, path: &str, token: &str, body: Value) -> Reply {
    call(h, "POST", path, Some(token), Some(body)).await
}

fn code(r: &Reply) -> &str {
    r.json["error"]["code"].as_str().unwrap_or("")
}

/// Each route's minimum role: one below it gets 403, the role itself gets
/// through authorization (whatever the route then says).
#[tokio::test]
async fn every_route_checks_its_role() {
    let h = harness();
    let p = Pipeline::new();
    let r = open(&h, &p, "Leaked key", "acme.atlassian.net", LEAK).await;
    let i = format!("/api/v1/incidents/{r}");
    type Case = (
        &'static str,
        String,
        Option<Value>,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        ("GET", "/api/v1/incidents".into(), None, "", VIEWER),
        ("GET", i.clone(), None, "", VIEWER),
        ("GET", format!("{i}/evidence"), None, "", VIEWER),
        ("GET", format!("{i}/review.md"), None, "", VIEWER),
        ("GET", "/api/v1/metrics".into(), None, "", VIEWER),
        ("GET", "/api/v1/reports/annual".into(), None, "", VIEWER),
        ("POST", format!("{i}/ack"), None, VIEWER, RESPONDER),
        (
            "POST",
            format!("{i}/notes"),
            Some(json!({"kind": "fact", "text": "x"})),
            VIEWER,
            RESPONDER,
        ),
        (
            "POST",
            format!("{i}/evidence"),
            Some(json!({"name": "a", "location": "b", "sha256": "a".repeat(64)})),
            VIEWER,
            RESPONDER,
        ),
        (
            "POST",
            format!("{i}/tasks"),
            Some(json!({"text": "x"})),
            VIEWER,
            RESPONDER,
        ),
        (
            "POST",
            format!("{i}/tasks/1"),
            Some(json!({"state": "done"})),
            VIEWER,
            RESPONDER,
        ),
        (
            "POST",
            format!("{i}/obligations"),
            Some(json!({"kind": "notify"})),
            VIEWER,
            RESPONDER,
        ),
        (
            "POST",
            format!("{i}/status"),
            Some(json!({"status": "investigating"})),
            RESPONDER,
            COMMANDER,
        ),
        (
            "POST",
            format!("{i}/roles"),
            Some(json!({"role": "technical_lead", "person": "tess"})),
            RESPONDER,
            COMMANDER,
        ),
        (
            "POST",
            format!("{i}/severity"),
            Some(json!({"severity": "SEV-1", "reason": "customer data confirmed"})),
            RESPONDER,
            COMMANDER,
        ),
        (
            "POST",
            "/api/v1/drills".into(),
            Some(json!({"class": "informational", "severity": "SEV-4"})),
            RESPONDER,
            COMMANDER,
        ),
        (
            "POST",
            format!("{i}/legal-hold"),
            Some(json!({"hold": true, "reason": "x"})),
            COMMANDER,
            ADMIN,
        ),
        ("DELETE", i.clone(), None, COMMANDER, ADMIN),
    ];
    for (method, path, body, below, role) in cases {
        let anon = call(&h, method, &path, None, body.clone()).await;
        assert_eq!(anon.status, 401, "{method} {path} without a token");
        if !below.is_empty() {
            let r = call(&h, method, &path, Some(below), body.clone()).await;
            assert_eq!(
                (r.status, code(&r)),
                (403, "forbidden"),
                "{method} {path} below its role"
            );
        }
        let r = call(&h, method, &path, Some(role), body).await;
        assert!(
            ![401, 403].contains(&r.status),
            "{method} {path} as its role: {} {}",
            r.status,
            r.text
        );
    }
}

/// A scoped caller sees its tenant's incidents, and another tenant's
/// incident is 404 on every route, exactly like a missing one.
#[tokio::test]
async fn tenant_scope_hides_other_tenants() {
    let h = harness();
    let p = Pipeline::new();
    let ours = open(&h, &p, "Ours", "acme.atlassian.net", LEAK).await;
    let theirs = open(&h, &p, "Theirs", "globex.atlassian.net", LEAK).await;
    let list = get(&h, "/api/v1/incidents", ACME).await;
    let refs: Vec<&str> = list.json["incidents"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["reference"].as_str())
        .collect();
    assert_eq!(refs, vec![ours.as_str()]);
    let other = get(&h, "/api/v1/incidents?tenant=globex.atlassian.net", ACME).await;
    assert_eq!(
        other.json["incidents"],
        json!([]),
        "a filter cannot widen the scope"
    );
    assert_eq!(
        get(&h, &format!("/api/v1/incidents/{ours}"), ACME)
            .await
            .status,
        200
    );
    let encoded = ours.replace('-', "%2D");
    let decoded = get(&h, &format!("/api/v1/incidents/{encoded}"), ACME).await;
    assert_eq!(decoded.status, 200, "segments are percent-decoded");
    let t = format!("/api/v1/incidents/{theirs}");
    let missing = get(&h, "/api/v1/incidents/KLX-2026-ZZZZZZ", ACME).await;
    for (method, path, body) in [
        ("GET", t.clone(), None),
        ("GET", format!("{t}/review.md"), None),
        ("GET", format!("{t}/evidence"), None),
        ("POST", format!("{t}/ack"), None),
        (
            "POST",
            format!("{t}/notes"),
            Some(json!({"kind": "fact", "text": "x"})),
        ),
        (
            "POST",
            format!("{t}/status"),
            Some(json!({"status": "investigating"})),
        ),
        (
            "POST",
            format!("{t}/obligations"),
            Some(json!({"kind": "notify"})),
        ),
        (
            "POST",
            format!("{t}/severity"),
            Some(json!({"severity": "SEV-1", "reason": "r"})),
        ),
    ] {
        let r = call(&h, method, &path, Some(ACME), body).await;
        assert_eq!((r.status, code(&r)), (404, "not_found"), "{method} {path}");
        assert_eq!(
            r.json["error"]["message"]
                .as_str()
                .map(|m| m.contains("not found")),
            Some(true)
        );
    }
    assert_eq!(missing.status, 404);
    let stored = get(&h, &t, VIEWER).await;
    assert!(
        stored.json["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .all(|e| e["actor"] != "acme-ic"),
        "nothing the scoped caller sent reached the other tenant's incident"
    );
}

/// The lifecycle only moves forward, and each step needs its fields.
#[tokio::test]
async fn lifecycle_guards() {
    let h = harness();
    let p = Pipeline::new();
    let r = open(&h, &p, "Leaked key", "acme.atlassian.net", LEAK).await;
    let s = format!("/api/v1/incidents/{r}/status");
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"status": "contained"}), 400, "invalid_containment"),
        (
            json!({"status": "contained", "containment": "  "}),
            400,
            "invalid_containment",
        ),
        (json!({"status": "triaged"}), 400, "invalid_status"),
        (json!({"status": "open"}), 400, "invalid_status"),
        (json!({"status": "closed"}), 409, "conflict"),
        (json!({"status": "resolved"}), 400, "invalid_root_cause"),
        (
            json!({"status": "resolved", "root_cause": "unknown"}),
            400,
            "invalid_rationale",
        ),
        (
            json!({"status": "resolved", "root_cause": "x", "extra": 1}),
            400,
            "malformed_json",
        ),
    ];
    for (body, status, want) in cases {
        let before = get(&h, &format!("/api/v1/incidents/{r}"), VIEWER)
            .await
            .json["incident"]["version"]
            .clone();
        let got = post(&h, &s, COMMANDER, body.clone()).await;
        assert_eq!(
            (got.status, code(&got)),
            (status, want),
            "{body}: {}",
            got.text
        );
        let after = get(&h, &format!("/api/v1/incidents/{r}"), VIEWER)
            .await
            .json["incident"]["version"]
            .clone();
        assert_eq!(before, after, "{body}: a refused step stores nothing");
    }
    let ok = post(
        &h,
        &s,
        COMMANDER,
        json!({"status": "contained", "containment": "revoked the key"}),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        ok.json["incident"]["containment"]["action"],
        "revoked the key"
    );
    assert_eq!(ok.json["incident"]["containment"]["by"], "cora");
    let back = post(&h, &s, COMMANDER, json!({"status": "investigating"})).await;
    assert_eq!(back.status, 409);
    assert!(
        back.json["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("from contained it can move to"),
        "{}",
        back.text
    );
    let unknown = post(
        &h,
        &s,
        COMMANDER,
        json!({"status": "resolved", "root_cause": "unknown", "rationale": "CloudTrail was not enabled in that region"}),
    )
    .await;
    assert_eq!(unknown.status, 200, "{}", unknown.text);
    let inc = &unknown.json["incident"];
    assert_eq!(inc["root_cause"]["cause"], "unknown");
    assert!(inc["paging"]["next_at"].is_null(), "resolving stops paging");
    let pir = inc["deadlines"]
        .as_array()
        .expect("deadlines")
        .iter()
        .any(|d| d["kind"] == "post_incident_review");
    assert!(pir, "a resolved SEV-2 owes its review: {inc}");
    let root = inc["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["criterion"] == "root_cause")
        .cloned();
    assert_eq!(root.map(|t| t["state"].clone()), Some(json!("done")));
    // Open play steps and closure criteria block closing, and are listed.
    let refused = post(&h, &s, COMMANDER, json!({"status": "closed"})).await;
    assert_eq!(refused.status, 409);
    let msg = refused.json["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("open item") && msg.contains("Rotate or revoke the secret"),
        "{msg}"
    );
}

/// The scenario the README walks through: report, page, ack, roles, notes,
/// evidence, contain, resolve, settle the checklist, review, close; then
/// retention purges it unless a legal hold stands.
#[tokio::test]
async fn a_whole_incident_then_retention() {
    let h = harness();
    let p = Pipeline::new();
    let r = open(&h, &p, "AWS key in public repo", "acme.atlassian.net", LEAK).await;
    let i = format!("/api/v1/incidents/{r}");
    let view = get(&h, &i, VIEWER).await;
    assert_eq!(view.json["incident"]["severity"], "SEV-2");
    let tasks = view.json["tasks"].as_array().expect("tasks").clone();
    let play: Vec<&Value> = tasks.iter().filter(|t| t["section"] == "play").collect();
    assert_eq!(play.len(), 6, "the leaked-secret play's six steps");
    assert!(
        play[0]["text"]
            .as_str()
            .unwrap_or("")
            .starts_with("Identify the exact secret")
    );
    let closure = tasks.iter().filter(|t| t["section"] == "closure").count();
    assert_eq!(closure, 8, "SEV-2 gets all eight closure criteria");
    assert!(
        view.json["notifications"]
            .as_array()
            .expect("sent")
            .iter()
            .any(|n| n["kind"] == "page"),
        "the page is kept with the incident: {}",
        view.json["notifications"]
    );

    assert_eq!(
        post(&h, &format!("{i}/ack"), RESPONDER, json!({"note": "on it"}))
            .await
            .status,
        200
    );
    for (role, person) in [
        ("incident_commander", "cora"),
        ("technical_lead", "tess"),
        ("technical_lead", "tom"),
    ] {
        let r = post(
            &h,
            &format!("{i}/roles"),
            COMMANDER,
            json!({"role": role, "person": person}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let bad_role = post(
        &h,
        &format!("{i}/roles"),
        COMMANDER,
        json!({"role": "scribe", "person": "x"}),
    )
    .await;
    assert_eq!((bad_role.status, code(&bad_role)), (400, "invalid_role"));
    for (kind, text) in [
        ("fact", "key AKIA... was used from 203.0.113.7 at 02:10"),
        ("hypothesis", "a contractor's fork mirrored the repo"),
    ] {
        assert_eq!(
            post(
                &h,
                &format!("{i}/notes"),
                RESPONDER,
                json!({"kind": kind, "text": text})
            )
            .await
            .status,
            201
        );
    }
    let bad_note = post(
        &h,
        &format!("{i}/notes"),
        RESPONDER,
        json!({"kind": "rumour", "text": "x"}),
    )
    .await;
    assert_eq!((bad_note.status, code(&bad_note)), (400, "invalid_kind"));
    let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let ev = post(
        &h,
        &format!("{i}/evidence"),
        RESPONDER,
        json!({"name": "cloudtrail-2026-11-23.json.gz", "location": "s3://ir-evidence/KLX/cloudtrail.json.gz", "sha256": digest.to_uppercase()}),
    )
    .await;
    assert_eq!(ev.status, 201, "{}", ev.text);
    for (body, want) in [
        (
            json!({"name": "x", "location": "y", "sha256": "abc"}),
            "invalid_sha256",
        ),
        (
            json!({"name": "", "location": "y", "sha256": digest}),
            "invalid_name",
        ),
    ] {
        let r = post(&h, &format!("{i}/evidence"), RESPONDER, body).await;
        assert_eq!((r.status, code(&r)), (400, want));
    }
    let dup = post(
        &h,
        &format!("{i}/evidence"),
        RESPONDER,
        json!({"name": "again", "location": "y", "sha256": digest}),
    )
    .await;
    assert_eq!(dup.status, 409, "the same digest twice");
    let manifest = get(&h, &format!("{i}/evidence"), VIEWER).await;
    assert_eq!(manifest.json["count"], 1);
    assert_eq!(manifest.json["items"][0]["sha256"], digest);
    assert_eq!(
        manifest.json["sha256sum"],
        format!("{digest}  cloudtrail-2026-11-23.json.gz\n")
    );

    let s = format!("{i}/status");
    assert_eq!(post(&h, &s, COMMANDER, json!({"status": "contained", "containment": "revoked the key and rotated the billing credentials"})).await.status, 200);
    let ob = post(&h, &format!("{i}/obligations"), RESPONDER, json!({"kind": "customer_notice", "reference": "NOTICE-7", "note": "emailed acme's security officer"})).await;
    assert_eq!(ob.status, 200, "{}", ob.text);
    assert_eq!(post(&h, &s, COMMANDER, json!({"status": "resolved", "root_cause": "a deploy script echoed the key into a public CI log"})).await.status, 200);
    let follow = post(
        &h,
        &format!("{i}/tasks"),
        RESPONDER,
        json!({"text": "add a gitleaks rule to CI", "owner": "tom", "due": "2026-12-15"}),
    )
    .await;
    assert_eq!(follow.status, 201, "{}", follow.text);
    assert_eq!(follow.json["task"]["section"], "follow_up");

    // Settle every open play step and closure criterion: done, except one
    // waived (which needs a reason, and a commander for closure criteria).
    let view = get(&h, &i, VIEWER).await;
    for t in view.json["tasks"].as_array().expect("tasks") {
        if t["state"] != "open" || t["section"] == "follow_up" {
            continue;
        }
        let id = t["id"].as_u64().expect("id");
        let path = format!("{i}/tasks/{id}");
        if t["criterion"] == "artifacts" {
            let no_reason = post(&h, &path, COMMANDER, json!({"state": "waived"})).await;
            assert_eq!(
                (no_reason.status, code(&no_reason)),
                (400, "invalid_reason")
            );
            let responder = post(
                &h,
                &path,
                RESPONDER,
                json!({"state": "waived", "reason": "no artifacts built with the key"}),
            )
            .await;
            assert_eq!(
                responder.status, 403,
                "waiving a closure criterion is the commander's call"
            );
            let ok = post(
                &h,
                &path,
                COMMANDER,
                json!({"state": "waived", "reason": "no artifacts were built with the key"}),
            )
            .await;
            assert_eq!(ok.status, 200);
        } else {
            assert_eq!(
                post(&h, &path, RESPONDER, json!({"state": "done"}))
                    .await
                    .status,
                200,
                "{path}"
            );
        }
    }
    let missing_task = post(
        &h,
        &format!("{i}/tasks/999"),
        RESPONDER,
        json!({"state": "done"}),
    )
    .await;
    assert_eq!(missing_task.status, 404);
    let review = get(&h, &format!("{i}/review.md"), VIEWER).await;
    assert_eq!(review.status, 200);
    for part in [
        &r as &str,
        "a deploy script echoed the key",
        "revoked the key",
        "[hypothesis]",
        "cloudtrail-2026-11-23.json.gz",
        "add a gitleaks rule to CI",
        "What signal first identified the incident?",
        "Technical lead",
    ] {
        assert!(
            review.text.contains(part),
            "review lacks {part:?}:\n{}",
            review.text
        );
    }
    let closed = post(&h, &s, COMMANDER, json!({"status": "closed"})).await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    let expires = closed.json["incident"]["expires_at"]
        .as_str()
        .expect("retention set")
        .to_owned();
    let after_close = post(
        &h,
        &format!("{i}/notes"),
        RESPONDER,
        json!({"kind": "fact", "text": "late"}),
    )
    .await;
    assert_eq!(after_close.status, 409, "a closed record no longer changes");
    let early_delete = call(&h, "DELETE", &i, Some(ADMIN), None).await;
    assert_eq!(
        early_delete.status, 204,
        "an admin may delete a closed incident"
    );
    assert_eq!(get(&h, &i, VIEWER).await.status, 404);
    assert!(
        expires.starts_with("2028-11"),
        "2 years after closure: {expires}"
    );
}

/// Retention: a closed incident is purged by the sweep once its period
/// runs out, with its timeline; a legal hold keeps it.
#[tokio::test]
async fn retention_expiry_with_and_without_legal_hold() {
    retention(harness()).await;
}

/// The same against DynamoDB (moto): the due index holds closed incidents
/// at their expiry, and the purge takes the whole partition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_expiry_on_dynamodb() {
    retention(harness_on(crate::dynamo_store().await)).await;
}

async fn retention(h: Harness) {
    let p = Pipeline::new();
    let mut refs = Vec::new();
    for title in ["kept", "held"] {
        let r = open(
            &h,
            &p,
            title,
            "acme.atlassian.net",
            "Informational scanner finding on a staging host.",
        )
        .await;
        let i = format!("/api/v1/incidents/{r}");
        let view = get(&h, &i, VIEWER).await;
        for t in view.json["tasks"].as_array().expect("tasks") {
            let path = format!("{i}/tasks/{}", t["id"]);
            assert_eq!(
                post(
                    &h,
                    &path,
                    COMMANDER,
                    json!({"state": "waived", "reason": "informational"})
                )
                .await
                .status,
                200
            );
        }
        let s = format!("{i}/status");
        assert_eq!(
            post(
                &h,
                &s,
                COMMANDER,
                json!({"status": "resolved", "root_cause": "scanner false positive"})
            )
            .await
            .status,
            200
        );
        let c = post(&h, &s, COMMANDER, json!({"status": "closed"})).await;
        assert_eq!(c.status, 200, "{}", c.text);
        refs.push((r, i));
    }
    let hold = post(
        &h,
        &format!("{}/legal-hold", refs[1].1),
        ADMIN,
        json!({"hold": true, "reason": "litigation hold LH-7"}),
    )
    .await;
    assert_eq!(hold.status, 200, "{}", hold.text);
    assert!(hold.json["incident"]["expires_at"].is_null());
    let id_kept = get(&h, &refs[0].1, VIEWER).await.json["incident"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");
    h.clock.advance(Duration::days(729));
    assert_eq!(
        escalate::tick(&h.app).await.expect("tick").purged,
        0,
        "not yet"
    );
    h.clock.advance(Duration::days(2));
    let t = escalate::tick(&h.app).await.expect("tick");
    assert_eq!(t.purged, 1);
    assert_eq!(get(&h, &refs[0].1, VIEWER).await.status, 404);
    assert!(
        h.app
            .store
            .timeline(id_kept)
            .await
            .expect("timeline")
            .is_empty(),
        "its timeline went with it"
    );
    assert_eq!(
        get(&h, &refs[1].1, VIEWER).await.status,
        200,
        "the hold keeps it"
    );
    // Lifting the hold restarts expiry from closure: already past, so the next sweep purges.
    let lift = post(
        &h,
        &format!("{}/legal-hold", refs[1].1),
        ADMIN,
        json!({"hold": false, "reason": "matter settled"}),
    )
    .await;
    assert_eq!(lift.status, 200);
    assert_eq!(escalate::tick(&h.app).await.expect("tick").purged, 1);
    assert_eq!(get(&h, &refs[1].1, VIEWER).await.status, 404);
}

/// Filters and cursor pagination through the API.
#[tokio::test]
async fn listing_filters_and_pages() {
    let h = harness();
    let p = Pipeline::new();
    let mut refs = Vec::new();
    for n in 0..5 {
        let tenant = if n % 2 == 0 {
            "acme.atlassian.net"
        } else {
            "globex.atlassian.net"
        };
        let r = open(
            &h,
            &p,
            &format!("finding {n}"),
            tenant,
            "Informational scanner finding on a staging host.",
        )
        .await;
        refs.push(r);
        h.clock.advance(Duration::minutes(1));
    }
    // A resolved incident newer than open ones lists after all of them.
    let resolved = post(
        &h,
        &format!("/api/v1/incidents/{}/status", refs[3]),
        COMMANDER,
        json!({"status": "resolved", "root_cause": "scanner false positive"}),
    )
    .await;
    assert_eq!(resolved.status, 200, "{}", resolved.text);
    let mut seen = Vec::new();
    let mut path = "/api/v1/incidents?limit=2".to_owned();
    loop {
        let page = get(&h, &path, VIEWER).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.json["incidents"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|i| i["title"].as_str().unwrap_or("").to_owned()),
        );
        match page.json["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/incidents?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            "finding 4",
            "finding 2",
            "finding 1",
            "finding 0",
            "finding 3"
        ],
        "open first across pages, newest first within each half, each once"
    );
    let from = (klaxon_tests::t0() + Duration::minutes(1))
        .to_rfc3339()
        .replace('+', "%2B");
    type Case = (String, usize);
    let cases: Vec<Case> = vec![
        ("tenant=globex.atlassian.net".into(), 2),
        ("status=triaged".into(), 4),
        ("status=resolved".into(), 1),
        ("status=closed".into(), 0),
        ("severity=SEV-4".into(), 5),
        ("severity=SEV-1".into(), 0),
        ("drill=true".into(), 0),
        ("drill=false".into(), 5),
        (format!("from={from}"), 4),
        (format!("from={from}&tenant=acme.atlassian.net"), 2),
    ];
    for (q, want) in cases {
        let r = get(&h, &format!("/api/v1/incidents?{q}"), VIEWER).await;
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        assert_eq!(
            r.json["incidents"].as_array().map(Vec::len),
            Some(want),
            "{q}"
        );
    }
    for (q, want) in [
        ("status=open", "invalid_status"),
        ("severity=P1", "invalid_severity"),
        ("drill=maybe", "invalid_drill"),
        ("from=yesterday", "invalid_time"),
        ("limit=0", "invalid_limit"),
        ("cursor=%%%", "invalid_cursor"),
        ("colour=red", "invalid_parameter"),
    ] {
        let r = get(&h, &format!("/api/v1/incidents?{q}"), VIEWER).await;
        assert_eq!((r.status, code(&r)), (400, want), "{q}");
    }
}

/// A drill runs the real pipeline: its scenario's class and severity, its
/// play, pages marked as a drill, the ack; its report records the time to ack.
#[tokio::test]
async fn drill_runs_the_pipeline_and_reports() {
    let h = harness();
    let p = Pipeline::new();
    let bad = post(
        &h,
        "/api/v1/drills",
        COMMANDER,
        json!({"class": "alien_invasion", "severity": "SEV-1"}),
    )
    .await;
    assert_eq!((bad.status, code(&bad)), (400, "invalid_class"));
    let bad_tenant = post(
        &h,
        "/api/v1/drills",
        COMMANDER,
        json!({"class": "informational", "severity": "SEV-4", "tenant": "not a tenant!"}),
    )
    .await;
    assert_eq!(
        (bad_tenant.status, code(&bad_tenant)),
        (400, "invalid_tenant"),
        "{}",
        bad_tenant.text
    );
    let started = post(
        &h,
        "/api/v1/drills",
        COMMANDER,
        json!({"class": "compromised_ci_token", "severity": "SEV-1"}),
    )
    .await;
    assert_eq!(started.status, 201, "{}", started.text);
    let r = started.json["incident"]["reference"]
        .as_str()
        .expect("ref")
        .to_owned();
    p.drain(&h).await;
    let i = format!("/api/v1/incidents/{r}");
    let view = get(&h, &i, VIEWER).await;
    let inc = &view.json["incident"];
    assert_eq!(
        (inc["drill"].clone(), inc["severity"].clone()),
        (json!(true), json!("SEV-1"))
    );
    assert_eq!(inc["assessment"]["class"], "compromised_ci_token");
    assert!(
        view.json["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["text"]
                .as_str()
                .unwrap_or("")
                .starts_with("Disable the token"))
    );
    let pages: Vec<_> = h
        .notifier
        .sent()
        .into_iter()
        .filter(|m| m.subject.contains("PAGE"))
        .collect();
    assert!(!pages.is_empty(), "a SEV-1 drill pages");
    assert!(
        pages.iter().all(|m| m.subject.contains("[DRILL]")),
        "every page says it is a drill"
    );
    h.clock.advance(Duration::minutes(4));
    assert_eq!(
        post(
            &h,
            &format!("{i}/ack"),
            RESPONDER,
            json!({"note": "drill ack"})
        )
        .await
        .status,
        200
    );
    let report = get(&h, &format!("{i}/drill-report"), VIEWER).await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(
        report.json["report"]["time_to_ack_seconds"], 240,
        "{}",
        report.json
    );
    assert!(report.json["markdown"].as_str().unwrap_or("").contains(&r));
    let not_drill = open(&h, &p, "real", "acme.atlassian.net", LEAK).await;
    assert_eq!(
        get(
            &h,
            &format!("/api/v1/incidents/{not_drill}/drill-report"),
            VIEWER
        )
        .await
        .status,
        404
    );
    let listed = get(&h, "/api/v1/incidents?drill=true", VIEWER).await;
    assert_eq!(listed.json["incidents"].as_array().map(Vec::len), Some(1));
}

/// Metrics and the annual report over the API, with their refusals.
#[tokio::test]
async fn metrics_and_annual_report() {
    let h = harness();
    let p = Pipeline::new();
    let r = open(&h, &p, "AWS key in public repo", "acme.atlassian.net", LEAK).await;
    h.clock.advance(Duration::minutes(10));
    assert_eq!(
        post(
            &h,
            &format!("/api/v1/incidents/{r}/ack"),
            RESPONDER,
            json!({})
        )
        .await
        .status,
        200
    );
    let m = get(&h, "/api/v1/metrics?from=2026-11-01&to=2026-12-01", VIEWER).await;
    assert_eq!(m.status, 200, "{}", m.text);
    let text = m.text.clone();
    assert!(text.contains("600"), "MTTA of 10 minutes: {text}");
    for (q, want) in [
        ("from=2026-12-01&to=2026-11-01", "invalid_time"),
        ("from=soon", "invalid_time"),
        ("x=1", "invalid_parameter"),
    ] {
        let r = get(&h, &format!("/api/v1/metrics?{q}"), VIEWER).await;
        assert_eq!((r.status, code(&r)), (400, want), "{q}");
    }
    let annual = get(&h, "/api/v1/reports/annual?year=2026", VIEWER).await;
    assert_eq!(annual.status, 200);
    assert!(annual.text.contains(&r), "{}", annual.text);
    assert!(
        !get(&h, "/api/v1/reports/annual?year=2025", VIEWER)
            .await
            .text
            .contains(&r)
    );
    let bad = get(&h, "/api/v1/reports/annual?year=twenty", VIEWER).await;
    assert_eq!((bad.status, code(&bad)), (400, "invalid_year"));
}

/// What an anonymous reporter or a responder types reaches people as text:
/// the review has no link, image or heading from it, the chat body no
/// `<!channel>` or link, and an evidence name with a line break stays one
/// line of the `sha256sum -c` manifest. (The review escaped only `<`, the
/// chat body was raw, and the manifest wrote names as they were.)
#[tokio::test]
async fn hostile_text_reaches_people_as_text() {
    let h = harness();
    let p = Pipeline::new();
    let link = "[Reset your SSO password](https://evil.example/login)";
    let image = "![](https://evil.example/pixel.png)";
    let description = format!("<!channel> {link}\n# Urgent\n{image} @here");
    let r = open(&h, &p, "Phishing kit", "acme.atlassian.net", &description).await;
    let i = format!("/api/v1/incidents/{r}");

    // A forged manifest line after a line break in the evidence name.
    let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let name = format!("kit.zip\n{}  /etc/passwd", "0".repeat(64));
    let ev = post(
        &h,
        &format!("{i}/evidence"),
        RESPONDER,
        json!({"name": name, "location": "s3://evidence/kit.zip", "sha256": digest}),
    )
    .await;
    assert_eq!(ev.status, 201, "{}", ev.text);
    let manifest = get(&h, &format!("{i}/evidence"), VIEWER).await;
    let sha256sum = manifest.json["sha256sum"].as_str().expect("manifest");
    assert_eq!(sha256sum.lines().count(), 1, "{sha256sum:?}");
    assert_eq!(
        sha256sum,
        format!("\\{digest}  kit.zip\\n{}  /etc/passwd\n", "0".repeat(64))
    );
    let note = post(
        &h,
        &format!("{i}/notes"),
        RESPONDER,
        json!({"kind": "fact", "text": format!("kit mirrors {link}")}),
    )
    .await;
    assert_eq!(note.status, 201, "{}", note.text);

    let review = get(&h, &format!("{i}/review.md"), VIEWER).await;
    assert_eq!(review.status, 200);
    let md = &review.text;
    let unescaped = |text: &str, what: &str| {
        text.match_indices(what)
            .any(|(at, _)| !text[..at].ends_with('\\'))
    };
    assert!(!unescaped(md, "]("), "a link or image in the review:\n{md}");
    assert!(!md.contains("\n# Urgent"), "a heading in the review:\n{md}");
    assert!(md.contains("> \\# Urgent"), "{md}");
    assert!(md.contains("\\[Reset your SSO password\\](https://evil.example/login)"));

    let sent = h.notifier.sent();
    let triage = sent
        .iter()
        .find(|m| m.attr("kind") == "triage")
        .expect("the team's triage message");
    let chat = triage.message.https["content"]["description"]
        .as_str()
        .expect("chat body");
    assert!(chat.contains("&lt;!channel&gt;"), "{chat}");
    assert!(
        !chat.contains("<!channel>") && !chat.contains("@here"),
        "{chat}"
    );
    assert!(!unescaped(chat, "]("), "a link in the chat body: {chat}");
}
