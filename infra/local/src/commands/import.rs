//! `klaxon import opsgenie FILE...`: Opsgenie's API answers mapped by
//! `app::opsgenie_import`, then people, schedules and overrides written
//! through the responder API (as `klaxon people add` and `klaxon schedule
//! set` do), and the escalations printed as policy tables to paste.

use super::BoxError;
use crate::cli::OpsgenieArgs;
use crate::client::Client;
use klaxon_core::app::opsgenie_import::export::Export;
use klaxon_core::app::opsgenie_import::{self, Finding, Import, Options};
use klaxon_core::domain::Severity;
use klaxon_core::domain::oncall::{Person, Schedule};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Largest file read: a big organisation's export is a few megabytes.
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// Reads and merges the files.
pub fn read(files: &[std::path::PathBuf]) -> Result<Export, BoxError> {
    let mut all = Export::default();
    for f in files {
        let name = f.display();
        let len = std::fs::metadata(f)
            .map_err(|e| format!("{name}: {e}"))?
            .len();
        if len > MAX_FILE {
            return Err(format!("{name}: larger than {} MiB", MAX_FILE >> 20).into());
        }
        let text = std::fs::read_to_string(f).map_err(|e| format!("{name}: {e}"))?;
        // serde_json's message names a line and column, not the text there.
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{name}: not JSON: {e}"))?;
        all.merge(Export::parse(&v).map_err(|e| format!("{name}: {e}"))?);
    }
    Ok(all)
}

/// `NAME=SEV-n` pairs.
fn severities(raw: &[String]) -> Result<BTreeMap<String, Severity>, BoxError> {
    raw.iter()
        .map(|r| {
            let (name, sev) = r.rsplit_once('=').ok_or_else(|| {
                format!("--severity takes ESCALATION=SEV-n, such as 'Security_escalation=SEV-1'; got {r:?}")
            })?;
            Ok((name.trim().to_owned(), sev.parse::<Severity>()?))
        })
        .collect()
}

/// The API's body for a person: the fields `PersonInput` takes.
fn person_body(p: &Person) -> Value {
    let mut contacts = serde_json::Map::new();
    if let Some(s) = &p.contacts.sms {
        contacts.insert("sms".into(), json!(s.expose()));
    }
    if let Some(e) = &p.contacts.email {
        contacts.insert("email".into(), json!(e.expose()));
    }
    json!({"name": p.name, "time_zone": p.time_zone, "contacts": contacts, "rules": []})
}

fn schedule_body(s: &Schedule) -> Value {
    json!({"name": s.name, "time_zone": s.time_zone, "layers": s.layers})
}

/// What was written, and what was already there and kept.
#[derive(Default)]
struct Written {
    people: Vec<String>,
    schedules: Vec<String>,
    overrides: usize,
    kept: Vec<Finding>,
}

/// Ids the API already has under `list` (`people`, `schedules`).
async fn existing(c: &Client, what: &str) -> Result<BTreeSet<String>, BoxError> {
    let v = c.get(&["api", "v1", what], &[]).await?.json()?;
    Ok(v[what]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|x| x["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

async fn write(c: &Client, i: &Import, replace: bool) -> Result<Written, BoxError> {
    let mut w = Written::default();
    let people = existing(c, "people").await?;
    for p in &i.people {
        let id = p.id.as_str();
        if people.contains(id) && !replace {
            w.kept.push(Finding {
                item: format!("person {id}"),
                reason: "already on the roster: kept as it is (--replace to overwrite); imported schedules naming this id page that person".into(),
            });
            continue;
        }
        c.request(
            reqwest::Method::PUT,
            &["api", "v1", "people", id],
            &[],
            Some(&person_body(p)),
        )
        .await
        .map_err(|e| format!("person {id}: {e}"))?;
        w.people.push(id.to_owned());
    }
    let schedules = existing(c, "schedules").await?;
    for s in &i.schedules {
        let id = s.id.as_str();
        if schedules.contains(id) && !replace {
            w.kept.push(Finding {
                item: format!("schedule {id}"),
                reason: "already exists: kept as it is (--replace to overwrite)".into(),
            });
            continue;
        }
        c.request(
            reqwest::Method::PUT,
            &["api", "v1", "schedules", id],
            &[],
            Some(&schedule_body(s)),
        )
        .await
        .map_err(|e| format!("schedule {id}: {e}"))?;
        w.schedules.push(id.to_owned());
    }
    // An override already there (same person, start and end) is not added
    // again: running the import twice adds nothing.
    let mut have: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for o in &i.overrides {
        let sid = o.schedule.as_str();
        if !have.contains_key(sid) {
            let v = c.get(&["api", "v1", "schedules", sid], &[]).await?.json()?;
            have.insert(
                sid.to_owned(),
                v["overrides"].as_array().cloned().unwrap_or_default(),
            );
        }
        let start = o.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let end = o.end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let same = |x: &Value| {
            let at = |k: &str| {
                x[k].as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&chrono::Utc))
            };
            x["person"] == json!(o.person)
                && at("start") == Some(o.start)
                && at("end") == Some(o.end)
        };
        if have.get(sid).is_some_and(|l| l.iter().any(same)) {
            continue;
        }
        c.post(
            &["api", "v1", "schedules", sid, "overrides"],
            &json!({"person": o.person, "start": start, "end": end}),
        )
        .await
        .map_err(|e| format!("override of {sid} for {}: {e}", o.person))?;
        w.overrides += 1;
    }
    Ok(w)
}

/// Runs the import; returns what to print.
pub async fn opsgenie(
    api: Option<&str>,
    json_out: bool,
    args: OpsgenieArgs,
) -> Result<String, BoxError> {
    let export = read(&args.files)?;
    let opts = Options {
        now: chrono::Utc::now(),
        severities: severities(&args.severity)?,
    };
    let i = opsgenie_import::import(&export, &opts);
    let fragment = opsgenie_import::policy_fragment(&i.escalations);
    if let Some(path) = &args.policy_out {
        std::fs::write(path, &fragment).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let written = if args.dry_run {
        None
    } else {
        let c = super::api::connect(api)?;
        Some(write(&c, &i, args.replace).await?)
    };
    Ok(if json_out {
        render_json(&i, written.as_ref(), &fragment, args.dry_run)
    } else {
        render_text(&i, written.as_ref(), &fragment, args.policy_out.as_deref())
    })
}

fn findings(fs: &[Finding]) -> Value {
    json!(
        fs.iter()
            .map(|f| json!({"item": f.item, "reason": f.reason}))
            .collect::<Vec<_>>()
    )
}

fn render_json(i: &Import, w: Option<&Written>, fragment: &str, dry_run: bool) -> String {
    let ids = |v: Vec<&str>| json!(v);
    let v = json!({
        "dry_run": dry_run,
        "people": ids(i.people.iter().map(|p| p.id.as_str()).collect()),
        "schedules": ids(i.schedules.iter().map(|s| s.id.as_str()).collect()),
        "overrides": i.overrides,
        "escalations": i.escalations.iter().map(|e| json!({
            "name": e.name,
            "severity": e.severity.map(|s| s.code()),
            "levels": e.levels.iter().map(|l| json!({"target": l.target.to_string(), "after_minutes": l.after_minutes, "rule": l.rule})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "written": w.map(|w| json!({"people": w.people, "schedules": w.schedules, "overrides": w.overrides})),
        "kept": w.map(|w| findings(&w.kept)),
        "skipped": findings(&i.skipped),
        "differences": findings(&i.differences),
        "policy": fragment,
    });
    format!("{v}\n")
}

fn list(s: &mut String, title: &str, fs: &[Finding]) {
    if fs.is_empty() {
        return;
    }
    s.push_str(&format!("\n{title} ({}):\n", fs.len()));
    for f in fs {
        s.push_str(&format!("  - {}: {}\n", f.item, f.reason));
    }
}

fn render_text(
    i: &Import,
    w: Option<&Written>,
    fragment: &str,
    policy_out: Option<&std::path::Path>,
) -> String {
    let names = |v: Vec<&str>| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let mut s = String::from(match w {
        None => "Opsgenie import (dry run: nothing written)\n",
        Some(_) => "Opsgenie import\n",
    });
    s.push_str(&format!(
        "  people:    {}\n  schedules: {}\n  overrides: {}\n",
        names(i.people.iter().map(|p| p.id.as_str()).collect()),
        names(i.schedules.iter().map(|x| x.id.as_str()).collect()),
        i.overrides.len()
    ));
    if let Some(w) = w {
        s.push_str(&format!(
            "  written:   {} people, {} schedules, {} overrides\n",
            w.people.len(),
            w.schedules.len(),
            w.overrides
        ));
        list(&mut s, "Kept as they were", &w.kept);
    }
    list(&mut s, "Not imported", &i.skipped);
    list(&mut s, "Imported, but Klaxon differs", &i.differences);
    if fragment.is_empty() {
        s.push_str("\nNo escalation could be mapped to paging levels.\n");
    } else {
        match policy_out {
            Some(p) => s.push_str(&format!(
                "\nPaging levels for the policy file written to {}; paste them in place of its [escalation.*] tables.\n",
                p.display()
            )),
            None => s.push_str(&format!(
                "\nPaging levels for the policy file (paste in place of its [escalation.*] tables):\n\n{fragment}"
            )),
        }
    }
    s
}
