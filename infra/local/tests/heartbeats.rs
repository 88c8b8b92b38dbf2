//! Heartbeat monitors under `klaxon serve`, with the sweep every second: a
//! monitor beaten on time stays quiet; left silent it opens one incident,
//! which pages; a beat after that notes the recovery on it.

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/server.rs"]
mod server;
use server::Server;

const ADMIN: &str = "test-admin-token-0123456789";
const KEY: &str = "R0UTINGKEY00000000000000000000HB";

async fn start(dir: &Path) -> Server {
    let config = dir.join("klaxon.toml");
    std::fs::write(&config, "escalate_interval_secs = 1\n").expect("write config");
    let data = dir.join("data");
    server::spawn(&data, &["--config".as_ref(), config.as_os_str()], |c| {
        c.env("KLAXON_API_TOKENS", format!("ops:admin:{ADMIN}"))
            .env("KLAXON_PAGERDUTY_ROUTING_KEYS", KEY);
    })
    .await
}

async fn beat(s: &Server, key: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/heartbeats/scanner", s.base))
        .bearer_auth(key)
        .send()
        .await
        .expect("beat")
        .status()
        .as_u16()
}

async fn monitor(s: &Server) -> Value {
    let v: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/heartbeats", s.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    v["monitors"][0]["monitor"].clone()
}

fn pages(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("data").join("outbox.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message_attributes"]["event"] == "Escalation Triggered")
        .collect()
}

#[tokio::test]
async fn a_silent_monitor_pages_once_and_its_recovery_is_noted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = start(dir.path()).await;
    let put = reqwest::Client::new()
        .put(format!("{}/api/v1/heartbeats/scanner", s.base))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(json!({"interval_secs": 2, "grace_secs": 1, "severity": "SEV-1"}).to_string())
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 200);
    assert_eq!(beat(&s, "not-a-routing-key").await, 401);

    // Beaten every 300 ms for 4 s: quiet.
    for _ in 0..13 {
        assert_eq!(beat(&s, KEY).await, 202);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(monitor(&s).await["late_incident"].is_null());
    assert!(pages(dir.path()).is_empty());

    // Silent: late after 3 s, one incident, and it pages.
    let deadline = Instant::now() + Duration::from_secs(15);
    while pages(dir.path()).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let page = pages(dir.path());
    assert_eq!(page.len(), 1, "{page:#?}");
    assert_eq!(page[0]["audience"], "oncall-primary");
    assert!(
        page[0]["subject"]
            .as_str()
            .unwrap_or("")
            .contains("scanner has been silent"),
        "{page:#?}"
    );
    let id = monitor(&s).await["late_incident"]
        .as_str()
        .expect("the monitor names its incident")
        .to_owned();
    // More sweeps, still one silence.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let incidents: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/incidents", s.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(
        incidents["incidents"].as_array().map(Vec::len),
        Some(1),
        "{incidents}"
    );

    // Beats resume: noted on that incident.
    assert_eq!(beat(&s, KEY).await, 202);
    assert!(monitor(&s).await["late_incident"].is_null());
    let view = reqwest::Client::new()
        .get(format!("{}/api/v1/incidents/{id}", s.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(view.contains("beats resumed: scanner beat again"), "{view}");

    // The server's own health: the sweep has run, and nothing is stuck.
    let health: Value = reqwest::get(format!("{}/healthz", s.base))
        .await
        .expect("healthz")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["sweep"]["interval_secs"], 1);
    assert_eq!(health["sweep"]["behind"], false);
    assert!(health["sweep"]["last_finished_at"].is_string(), "{health}");
    assert!(health["outbox"]["pending"].is_u64(), "{health}");
}
