//! What each subcommand does and prints. `assess`, `policy default`,
//! `show` and local `ack` use the engine and the store directly, touching no
//! network; the responder API's subcommands ([`api`], [`api_ack`]) call it
//! through [`crate::client`].

use crate::cli::{
    ApiCommand, DrillCommand, DrillStart, EvidenceCommand, ListArgs, NoteArgs, ReportCommand,
    TaskCommand,
};
use crate::client::{Client, Reply};
use klaxon_core::adapters::sqlite::SqliteIncidentStore;
use klaxon_core::app::assess;
use klaxon_core::domain::{IncidentKey, NewIncident, Report, ReportInput, Source, SourceSignal};
use klaxon_core::escape::terminal;
use klaxon_core::policy::{DEFAULT_POLICY, Policy};
use klaxon_core::ports::IncidentStore;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::path::Path;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Extra facts a dry-run line may state, beside the report fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signals {
    kind: Option<String>,
    severity: Option<String>,
    score: Option<f64>,
    customer_data: Option<bool>,
    atlassian_systems: Option<bool>,
    production: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Line {
    #[serde(flatten)]
    report: ReportInput,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    signals: Option<Signals>,
}

/// One report in, one verdict out.
pub fn assess_line(
    line: &str,
    policy: &Policy,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, String> {
    let Line {
        mut report,
        source,
        signals,
    } = serde_json::from_str(line).map_err(|e| format!("not a report object: {e}"))?;
    if let Some(s) = signals {
        if s.kind.is_some() || s.severity.is_some() || s.score.is_some() {
            report.signal = Some(SourceSignal {
                kind: s.kind.unwrap_or_else(|| {
                    source
                        .map(|x| x.as_str().to_owned())
                        .unwrap_or_else(|| "report".into())
                }),
                severity: s.severity.map(Into::into),
                score: s.score,
            });
        }
        report.customer_data_involved = report.customer_data_involved.or(s.customer_data);
        report.atlassian_systems_affected =
            report.atlassian_systems_affected.or(s.atlassian_systems);
        report.production = report.production.or(s.production);
    }
    let report = Report::parse(report).map_err(|errs| {
        errs.iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    // The same path a stored incident takes, without the store.
    let incident =
        NewIncident::from_report(report, source.unwrap_or(Source::Report), None, now).incident;
    let a = policy.assess(&assess::facts(&incident));
    let deadlines: Vec<Value> = policy
        .deadlines(&a, now, now)
        .iter()
        .map(|d| json!({"kind": d.kind, "due": d.due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}))
        .collect();
    Ok(json!({
        "severity": a.severity,
        "cvss": a.cvss,
        "class": a.class,
        "play": a.play,
        "flags": a.flags,
        "reasons": a.reasons,
        "notes": a.notes,
        "needs_triage": a.needs_triage,
        "confidence": a.confidence,
        "deadlines": deadlines,
    }))
}

/// Reads JSON Lines on stdin, writes one JSON line per report. Returns how
/// many lines could not be assessed.
pub fn assess(
    now: Option<chrono::DateTime<chrono::Utc>>,
    policy: Option<&Path>,
) -> Result<usize, BoxError> {
    let policy = match policy {
        Some(p) => Policy::load(p)?,
        None => Policy::default(),
    };
    let now = now.unwrap_or_else(chrono::Utc::now);
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let verdict = assess_line(&line, &policy, now).unwrap_or_else(|e| {
            failed += 1;
            json!({"line": n + 1, "error": e})
        });
        writeln!(out, "{}", terminal::json(&verdict.to_string()))?;
    }
    Ok(failed)
}

pub fn policy_default() -> &'static str {
    DEFAULT_POLICY
}

/// `klaxon ack`: acknowledges through the same use case as the API, on the
/// data directory `klaxon serve` uses. The event is published (and
/// `outbox.jsonl` written) before the command exits.
pub async fn ack(
    data_dir: &Path,
    config: Option<&Path>,
    policy: Option<&Path>,
    id: &str,
    by: Option<String>,
    note: Option<&str>,
    json: bool,
) -> Result<String, BoxError> {
    if !data_dir.join("klaxon.db").exists() {
        return Err(format!(
            "no Klaxon data in {}: pass the --data-dir klaxon serve uses",
            data_dir.display()
        )
        .into());
    }
    let config = crate::settings::FileConfig::load(config)?;
    let app = crate::serve::build(
        data_dir,
        &config,
        policy,
        std::sync::Arc::new(klaxon_core::ports::SystemClock),
        klaxon_core::app::Relay::Inline,
        None,
    )?;
    let by = by
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "cli".into());
    let note = klaxon_core::domain::redact::redact(note.unwrap_or("").trim())
        .text
        .into_owned();
    let acked = klaxon_core::app::escalate::acknowledge(&app, id, &by, "cli", &note).await?;
    let i = &acked.incident;
    if json {
        return Ok(format!(
            "{}\n",
            json!({"incident": i, "acknowledged": acked.changed})
        ));
    }
    Ok(if acked.changed {
        format!("{} acknowledged by {by}; paging stopped", i.reference)
    } else {
        format!("{} was already acknowledged; nothing changed", i.reference)
    } + "\n")
}

/// Prints an incident's severity, reasons, deadlines and timeline.
pub async fn show(data_dir: &Path, id: &str, json: bool) -> Result<String, BoxError> {
    let store = SqliteIncidentStore::open(data_dir)?;
    let key = IncidentKey::parse(id).ok_or_else(|| {
        format!("{id:?} is neither an incident id nor a reference like KLX-2026-7QX4MZ")
    })?;
    let incident = store
        .find(&key)
        .await?
        .ok_or_else(|| format!("no incident {id} in {}", data_dir.display()))?;
    let timeline = store.timeline(incident.id).await?;
    if json {
        return Ok(format!(
            "{}\n",
            json!({"incident": incident, "timeline": timeline})
        ));
    }
    let mut s = String::new();
    let sev = incident
        .severity
        .map(|v| format!("{v} ({})", v.name()))
        .unwrap_or_else(|| "not assessed".into());
    s.push_str(&format!(
        "{} {}\n{}\n",
        incident.reference, incident.id, incident.title
    ));
    s.push_str(&format!("status:   {}\nseverity: {sev}\n", incident.status));
    if let Some(o) = &incident.severity_override {
        s.push_str(&format!(
            "override: {} by {} at {}: {}\n",
            o.severity,
            o.by,
            o.at.to_rfc3339(),
            o.reason
        ));
    }
    if let Some(a) = &incident.assessment {
        s.push_str(&format!(
            "class:    {}\nplay:     {}\n",
            a.class,
            json!(a.play).as_str().unwrap_or("")
        ));
        if let Some(c) = &a.cvss {
            s.push_str(&format!("cvss:     {} {:.1}\n", c.version, c.score));
        }
        s.push_str(&format!(
            "flags:    customer_data_involved={} atlassian_notification_required={} customer_notification_required={}\nreasons:\n",
            a.flags.customer_data_involved, a.flags.atlassian_notification_required, a.flags.customer_notification_required
        ));
        for r in &a.reasons {
            let to = r.severity.map(|v| format!(" -> {v}")).unwrap_or_default();
            s.push_str(&format!("  - {}: {}{to}\n", r.rule, r.evidence));
        }
    }
    match (&incident.acknowledged, &incident.paging) {
        (Some(a), _) => s.push_str(&format!(
            "acked:    by {} via {} at {}\n",
            a.by,
            a.via,
            a.at.to_rfc3339()
        )),
        (None, Some(p)) => s.push_str(&format!(
            "paging:   round {}, {} level(s) fired, next {}\n",
            p.round,
            p.fired,
            p.next_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "none (exhausted)".into())
        )),
        (None, None) => {}
    }
    s.push_str("deadlines:\n");
    for d in &incident.deadlines {
        let state = match (d.met_at, d.breached_at, d.next_alert_at) {
            (Some(m), _, _) => format!("met {}", m.to_rfc3339()),
            (None, Some(b), _) => format!("BREACHED {}", b.to_rfc3339()),
            (None, None, Some(n)) => format!(
                "open, {} reminder(s) sent, next alert {}",
                d.reminders_sent,
                n.to_rfc3339()
            ),
            (None, None, None) => "open".into(),
        };
        s.push_str(&format!(
            "  - {:<22} due {}  {state}\n",
            d.kind.as_str(),
            d.due_at.to_rfc3339()
        ));
    }
    s.push_str("timeline:\n");
    for e in timeline {
        s.push_str(&format!(
            "  {} {} [{}] {}\n",
            e.at.to_rfc3339(),
            e.actor,
            json!(e.kind).as_str().unwrap_or(""),
            e.message.replace('\n', "\n      ")
        ));
    }
    Ok(s)
}

// ---------------------------------------------------------------------------
// The responder API's subcommands. Each builds its request, calls the API
// and renders the answer; `--json` prints the answer as the API sent it.

/// The incidents path, with `rest` after the id.
fn incident_path<'a>(id: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut p = vec!["api", "v1", "incidents", id];
    p.extend_from_slice(rest);
    p
}

/// The body with only the fields that are set.
fn body(fields: &[(&str, Option<Value>)]) -> Value {
    Value::Object(
        fields
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
            .collect(),
    )
}

fn text(s: &Option<String>) -> Option<Value> {
    s.as_ref().map(|s| json!(s))
}

fn connect(api: Option<&str>) -> Result<Client, BoxError> {
    let client = Client::from_env(api)?;
    if client.sends_token_in_clear() {
        eprintln!(
            "warning: {} is plain http to another machine: the API token crosses the network unencrypted",
            client.base()
        );
    }
    Ok(client)
}

/// The raw answer, for `--json`.
fn raw(reply: &Reply) -> String {
    let mut s = reply.body.trim_end().to_owned();
    s.push('\n');
    s
}

/// A next step for an error, if there is an obvious one.
pub fn hint(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    match e.downcast_ref::<crate::client::ClientError>()?.status()? {
        401 => Some(
            "check KLAXON_API_TOKEN: it must be one of the server's KLAXON_API_TOKENS (or the stack's)",
        ),
        403 => Some("the token's role may not do this; ask for a token with a higher role"),
        _ => None,
    }
}

/// `klaxon ack <id>` through the API.
pub async fn api_ack(
    api: &str,
    json: bool,
    id: &str,
    note: Option<&str>,
) -> Result<String, BoxError> {
    let client = connect(Some(api))?;
    let reply = client
        .post(
            &incident_path(id, &["ack"]),
            &body(&[("note", note.map(|n| json!(n)))]),
        )
        .await?;
    if json {
        return Ok(raw(&reply));
    }
    let v = reply.json()?;
    let i = &v["incident"];
    let by = i["acknowledged"]["by"].as_str().unwrap_or("you");
    Ok(if v["acknowledged"] == json!(true) {
        format!("{} acknowledged by {by}; paging stopped\n", reference(i))
    } else {
        format!(
            "{} was already acknowledged (by {by}); nothing changed\n",
            reference(i)
        )
    })
}

/// Runs one API subcommand; returns what to print on stdout.
pub async fn api(api: Option<&str>, json: bool, cmd: ApiCommand) -> Result<String, BoxError> {
    // Refusals that need no network come first.
    if let ApiCommand::Delete { id, yes: false } = &cmd {
        return Err(format!(
            "deleting {id} removes its whole record for good; pass --yes to confirm"
        )
        .into());
    }
    let client = connect(api)?;
    let c = &client;
    match cmd {
        ApiCommand::Incidents(args) => incidents(c, json, args).await,
        ApiCommand::Incident { id, last } => {
            let reply = c.get(&incident_path(&id, &[]), &[]).await?;
            if json {
                return Ok(raw(&reply));
            }
            Ok(incident_summary(&reply.json()?, last))
        }
        ApiCommand::Status {
            id,
            status,
            containment,
            root_cause,
            rationale,
        } => {
            let b = body(&[
                ("status", Some(json!(status))),
                ("containment", text(&containment)),
                ("root_cause", text(&root_cause)),
                ("rationale", text(&rationale)),
            ]);
            let reply = c.post(&incident_path(&id, &["status"]), &b).await?;
            changed(&reply, json, |i| {
                format!("{} is now {}", reference(i), field(i, "status"))
            })
        }
        ApiCommand::Assign { id, role, person } => assign(c, json, &id, &role, Some(person)).await,
        ApiCommand::Unassign { id, role } => assign(c, json, &id, &role, None).await,
        ApiCommand::Note(NoteArgs {
            id,
            fact,
            hypothesis: _,
            text,
        }) => {
            let kind = if fact { "fact" } else { "hypothesis" };
            let reply = c
                .post(
                    &incident_path(&id, &["notes"]),
                    &json!({"kind": kind, "text": text}),
                )
                .await?;
            changed(&reply, json, |i| {
                format!("{}: {kind} added to the timeline", reference(i))
            })
        }
        ApiCommand::Evidence { command } => evidence(c, json, command).await,
        ApiCommand::Task { command } => task(c, json, command).await,
        ApiCommand::Obligation {
            id,
            kind,
            reference: r,
            note,
            at,
        } => {
            let b = body(&[
                ("kind", Some(json!(kind))),
                ("reference", text(&r)),
                ("note", text(&note)),
                (
                    "at",
                    at.map(|t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
                ),
            ]);
            let reply = c.post(&incident_path(&id, &["obligations"]), &b).await?;
            changed(&reply, json, |i| {
                let met = i["deadlines"]
                    .as_array()
                    .and_then(|ds| ds.iter().find(|d| d["kind"] == json!(kind)))
                    .and_then(|d| d["met_at"].as_str())
                    .map(|t| format!("; its deadline was met {}", when(t)))
                    .unwrap_or_default();
                format!("{}: {kind} recorded{met}", reference(i))
            })
        }
        ApiCommand::Severity {
            id,
            severity,
            reason,
        } => {
            let reply = c
                .post(
                    &incident_path(&id, &["severity"]),
                    &json!({"severity": severity, "reason": reason}),
                )
                .await?;
            changed(&reply, json, |i| {
                format!("{}: severity is now {}", reference(i), field(i, "severity"))
            })
        }
        ApiCommand::Review { id, output } => {
            let reply = c.get(&incident_path(&id, &["review.md"]), &[]).await?;
            markdown(reply.body, output.as_deref(), json)
        }
        ApiCommand::Hold { id, reason } => hold(c, json, &id, true, &reason).await,
        ApiCommand::Release { id, reason } => hold(c, json, &id, false, &reason).await,
        ApiCommand::Delete { id, yes: _ } => {
            c.delete(&incident_path(&id, &[])).await?;
            Ok(if json {
                format!("{}\n", json!({"deleted": id}))
            } else {
                format!("{id} deleted\n")
            })
        }
        ApiCommand::Drill(d) => match d.command {
            Some(DrillCommand::Start(start)) => drill_start(c, json, start).await,
            None => drill_start(c, json, d.start).await,
            Some(DrillCommand::Report { id, output }) => {
                let reply = c.get(&incident_path(&id, &["drill-report"]), &[]).await?;
                if json {
                    return Ok(raw(&reply));
                }
                let md = reply.json()?["markdown"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or("the drill report has no markdown field")?;
                markdown(md, output.as_deref(), false)
            }
        },
        ApiCommand::Metrics { from, to } => {
            let q: Vec<(&str, String)> = [("from", from), ("to", to)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            let reply = c.get(&["api", "v1", "metrics"], &q).await?;
            if json {
                return Ok(raw(&reply));
            }
            Ok(format!(
                "{}\n",
                serde_json::to_string_pretty(&reply.json()?)?
            ))
        }
        ApiCommand::Report {
            command: ReportCommand::Annual { year, output },
        } => {
            let q: Vec<(&str, String)> =
                year.map(|y| ("year", y.to_string())).into_iter().collect();
            let reply = c.get(&["api", "v1", "reports", "annual"], &q).await?;
            markdown(reply.body, output.as_deref(), json)
        }
    }
}

/// Prints a Markdown answer, writes it to `output`, or wraps it for `--json`.
fn markdown(md: String, output: Option<&Path>, json: bool) -> Result<String, BoxError> {
    if let Some(path) = output {
        std::fs::write(path, &md).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        return Ok(if json {
            format!("{}\n", json!({"written": path.display().to_string()}))
        } else {
            format!("wrote {}\n", path.display())
        });
    }
    if json {
        return Ok(format!("{}\n", json!({"markdown": md})));
    }
    let mut md = md;
    if !md.ends_with('\n') {
        md.push('\n');
    }
    Ok(md)
}

/// A write's answer (`{"incident", ...}`): raw for `--json`, else one line.
fn changed(
    reply: &Reply,
    json: bool,
    line: impl FnOnce(&Value) -> String,
) -> Result<String, BoxError> {
    if json {
        return Ok(raw(reply));
    }
    let v = reply.json()?;
    Ok(format!("{}\n", line(&v["incident"])))
}

async fn incidents(c: &Client, json: bool, args: ListArgs) -> Result<String, BoxError> {
    let q: Vec<(&str, String)> = [
        ("status", args.status),
        ("severity", args.severity),
        ("tenant", args.tenant),
        ("drill", args.drill.map(|d| d.to_string())),
        ("from", args.from),
        ("to", args.to),
        ("limit", args.limit.map(|n| n.to_string())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let mut cursor = args.cursor;
    let mut items: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let next = loop {
        let mut page_q = q.clone();
        if let Some(c) = &cursor {
            page_q.push(("cursor", c.clone()));
        }
        let reply = c.get(&["api", "v1", "incidents"], &page_q).await?;
        if json && !args.all {
            return Ok(raw(&reply));
        }
        let v = reply.json()?;
        items.extend(v["incidents"].as_array().cloned().unwrap_or_default());
        let next = v["next_cursor"].as_str().map(str::to_owned);
        match next {
            Some(n) if args.all => {
                if !seen.insert(n.clone()) {
                    return Err("the API gave the same next_cursor twice; stopping".into());
                }
                cursor = Some(n);
            }
            other => break other,
        }
    };
    if json {
        return Ok(format!(
            "{}\n",
            json!({"incidents": items, "next_cursor": Value::Null})
        ));
    }
    if let Some(n) = next {
        eprintln!("more incidents: pass --all, or --cursor {n}");
    }
    Ok(incidents_table(&items))
}

async fn assign(
    c: &Client,
    json: bool,
    id: &str,
    role: &str,
    person: Option<String>,
) -> Result<String, BoxError> {
    let reply = c
        .post(
            &incident_path(id, &["roles"]),
            &json!({"role": role, "person": person}),
        )
        .await?;
    changed(&reply, json, |i| {
        // The API accepts `technical-lead`; the map is keyed `technical_lead`.
        let key = role.trim().replace('-', "_").to_ascii_lowercase();
        match i["roles"][key.as_str()].as_str() {
            Some(p) => format!("{}: {key} is {p}", reference(i)),
            None => format!("{}: {key} is unassigned", reference(i)),
        }
    })
}

async fn evidence(c: &Client, json: bool, command: EvidenceCommand) -> Result<String, BoxError> {
    match command {
        EvidenceCommand::Add {
            id,
            name,
            location,
            sha256,
            file,
            collected_by,
            collected_at,
        } => {
            let (name, sha256) = match (&file, sha256) {
                (Some(path), _) => {
                    let digest = sha256_file(path)?;
                    let name =
                        name.or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()));
                    (name, digest)
                }
                (None, Some(hex)) => (name, hex),
                (None, None) => return Err("pass --sha256 HEX or --file PATH".into()),
            };
            let name = name.ok_or("pass --name: the file has no name to default to")?;
            let b = body(&[
                ("name", Some(json!(name))),
                ("location", Some(json!(location))),
                ("sha256", Some(json!(sha256))),
                ("collected_by", text(&collected_by)),
                (
                    "collected_at",
                    collected_at
                        .map(|t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
                ),
            ]);
            let reply = c.post(&incident_path(&id, &["evidence"]), &b).await?;
            if json {
                return Ok(raw(&reply));
            }
            let v = reply.json()?;
            let e = &v["evidence"];
            Ok(format!(
                "{}: evidence #{} {} recorded\n  sha256   {}\n  location {}\n",
                reference(&v["incident"]),
                e["id"],
                field(e, "name"),
                field(e, "sha256"),
                field(e, "location"),
            ))
        }
        EvidenceCommand::List { id, sha256sum } => {
            let reply = c.get(&incident_path(&id, &["evidence"]), &[]).await?;
            if json {
                return Ok(raw(&reply));
            }
            let v = reply.json()?;
            if sha256sum {
                return Ok(v["sha256sum"].as_str().unwrap_or("").to_owned());
            }
            Ok(evidence_table(&v))
        }
    }
}

/// The file's SHA-256, read in blocks.
fn sha256_file(path: &Path) -> Result<String, BoxError> {
    use sha2::{Digest, Sha256};
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut f, &mut hasher)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(hex::encode(hasher.finalize()))
}

async fn task(c: &Client, json: bool, command: TaskCommand) -> Result<String, BoxError> {
    let (id, task, state, reason) = match command {
        TaskCommand::Add {
            id,
            text: t,
            owner,
            due,
        } => {
            let b = body(&[
                ("text", Some(json!(t))),
                ("owner", text(&owner)),
                ("due", text(&due)),
            ]);
            let reply = c.post(&incident_path(&id, &["tasks"]), &b).await?;
            if json {
                return Ok(raw(&reply));
            }
            let v = reply.json()?;
            return Ok(format!(
                "{}: task #{} added: {}\n",
                reference(&v["incident"]),
                v["task"]["id"],
                field(&v["task"], "text")
            ));
        }
        TaskCommand::Done { id, task, note } => (id, task, "done", note),
        TaskCommand::Waive { id, task, reason } => (id, task, "waived", Some(reason)),
        TaskCommand::Reopen { id, task, reason } => (id, task, "open", reason),
    };
    // `#3` is how tasks are shown; the URL takes the number.
    let n = task.trim().trim_start_matches('#');
    let b = body(&[("state", Some(json!(state))), ("reason", text(&reason))]);
    let reply = c.post(&incident_path(&id, &["tasks", n]), &b).await?;
    changed(&reply, json, |i| {
        let what = if state == "open" { "reopened" } else { state };
        format!("{}: task #{n} {what}", reference(i))
    })
}

async fn hold(
    c: &Client,
    json: bool,
    id: &str,
    hold: bool,
    reason: &str,
) -> Result<String, BoxError> {
    let reply = c
        .post(
            &incident_path(id, &["legal-hold"]),
            &json!({"hold": hold, "reason": reason}),
        )
        .await?;
    changed(&reply, json, |i| {
        if i["legal_hold"].is_object() {
            format!("{}: under legal hold; it will not expire", reference(i))
        } else {
            let expires = i["expires_at"]
                .as_str()
                .map(|t| format!("; the record expires {}", when(t)))
                .unwrap_or_default();
            format!("{}: no legal hold{expires}", reference(i))
        }
    })
}

async fn drill_start(c: &Client, json: bool, start: DrillStart) -> Result<String, BoxError> {
    let (Some(class), Some(severity)) = (start.class, start.severity) else {
        return Err("a drill needs --class and --severity".into());
    };
    let b = body(&[
        ("class", Some(json!(class))),
        ("severity", Some(json!(severity))),
        ("title", text(&start.title)),
        ("tenant", text(&start.tenant)),
    ]);
    let reply = c.post(&["api", "v1", "drills"], &b).await?;
    if json {
        return Ok(raw(&reply));
    }
    let v = reply.json()?;
    let r = reference(&v["incident"]);
    Ok(format!(
        "Drill {r} started ({severity}, {class}): paging and clocks run as for a real incident, every message marked [DRILL].\n\
         Next steps:\n\
         \x20 klaxon ack {r}\n\
         \x20 klaxon incident {r}                      # roles, deadlines, tasks\n\
         \x20 klaxon assign {r} incident_commander <person>\n\
         \x20 klaxon status {r} contained --containment \"...\"\n\
         \x20 klaxon status {r} resolved --root-cause \"...\"\n\
         \x20 klaxon task done {r} <task>             # or waive --reason, for each open task\n\
         \x20 klaxon status {r} closed\n\
         \x20 klaxon drill report {r}                  # the audit evidence\n"
    ))
}

// ---------------------------------------------------------------------------
// Rendering. Every field is read with a fallback: a stack on another
// version may answer with fields missing or added.

fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("-")
}

fn reference(i: &Value) -> &str {
    i["reference"]
        .as_str()
        .or_else(|| i["id"].as_str())
        .unwrap_or("incident")
}

/// `2026-11-23 09:00Z` from an RFC 3339 time; anything else as is.
fn when(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%MZ")
                .to_string()
        })
        .unwrap_or_else(|_| t.to_owned())
}

/// Columns padded to their widest cell; the last one is not padded.
fn columns(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (n, cell) in row.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(n) {
                Some(max) => *max = (*max).max(w),
                None => widths.push(w),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (n, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if n + 1 < row.len() {
                let pad = widths[n].saturating_sub(cell.chars().count());
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut all = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    all.extend(rows);
    columns(&all)
}

/// `klaxon incidents`: reference, severity, status, created, title.
pub fn incidents_table(items: &[Value]) -> String {
    if items.is_empty() {
        return "no incidents match\n".into();
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            let mut title = one_line(field(i, "title"), 80);
            if i["drill"] == json!(true) {
                title = format!("[drill] {title}");
            }
            vec![
                reference(i).to_owned(),
                field(i, "severity").to_owned(),
                field(i, "status").to_owned(),
                when(field(i, "created_at")),
                title,
            ]
        })
        .collect();
    table(
        &["REFERENCE", "SEVERITY", "STATUS", "CREATED", "TITLE"],
        rows,
    )
}

/// At most `max` characters of the first line.
fn one_line(s: &str, max: usize) -> String {
    let first = s.lines().next().unwrap_or("");
    if first.chars().count() > max || first.len() < s.trim_end().len() {
        let short: String = first.chars().take(max.saturating_sub(1)).collect();
        format!("{short}…")
    } else {
        first.to_owned()
    }
}

const ROLES: [&str; 5] = [
    "incident_commander",
    "technical_lead",
    "communications_lead",
    "evidence_owner",
    "business_owner",
];

/// `klaxon incident`: the answer of `GET /api/v1/incidents/{id}`, for people.
pub fn incident_summary(v: &Value, last: usize) -> String {
    let i = &v["incident"];
    let mut s = String::new();
    let drill = if i["drill"] == json!(true) {
        "  [DRILL]"
    } else {
        ""
    };
    s.push_str(&format!(
        "{}  {}  {}{drill}\n{}\n",
        reference(i),
        field(i, "severity"),
        field(i, "status"),
        field(i, "title")
    ));
    s.push_str(&format!(
        "id:       {}\ncreated:  {}\n",
        field(i, "id"),
        when(field(i, "created_at"))
    ));
    if let Some(t) = i["tenant"].as_str() {
        s.push_str(&format!("tenant:   {t}\n"));
    }
    let a = &i["assessment"];
    if a.is_object() {
        s.push_str(&format!(
            "class:    {}  (play: {})\n",
            field(a, "class"),
            field(a, "play")
        ));
    }
    if v["needs_triage"] == json!(true) {
        s.push_str("triage:   needs triage: the engine could not place it; set the severity (klaxon severity)\n");
    }
    let o = &i["severity_override"];
    if o.is_object() {
        s.push_str(&format!(
            "override: {} by {}: {}\n",
            field(o, "severity"),
            field(o, "by"),
            field(o, "reason")
        ));
    }
    let ack = &i["acknowledged"];
    if ack.is_object() {
        s.push_str(&format!(
            "acked:    by {} via {} at {}\n",
            field(ack, "by"),
            field(ack, "via"),
            when(field(ack, "at"))
        ));
    }
    if let Some(c) = i["containment"]["action"].as_str() {
        s.push_str(&format!("contained: {c}\n"));
    }
    let rc = &i["root_cause"];
    if let Some(c) = rc["cause"].as_str() {
        let why = rc["rationale"]
            .as_str()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        s.push_str(&format!("root cause: {c}{why}\n"));
    }
    let hold = &i["legal_hold"];
    if hold.is_object() {
        s.push_str(&format!(
            "legal hold: {} (by {})\n",
            field(hold, "reason"),
            field(hold, "by")
        ));
    }
    s.push_str("roles:\n");
    let roles = v["roles"].as_object().or_else(|| i["roles"].as_object());
    let holder = |r: &str| {
        roles
            .and_then(|m| m.get(r))
            .and_then(Value::as_str)
            .unwrap_or("(unassigned)")
            .to_owned()
    };
    let mut rows: Vec<Vec<String>> = ROLES
        .iter()
        .map(|r| vec![format!("  {r}"), holder(r)])
        .collect();
    if let Some(m) = roles {
        for (r, p) in m.iter().filter(|(r, _)| !ROLES.contains(&r.as_str())) {
            rows.push(vec![format!("  {r}"), p.as_str().unwrap_or("-").to_owned()]);
        }
    }
    s.push_str(&columns(&rows));
    s.push_str("deadlines:\n");
    let deadlines = v["deadlines"].as_array().cloned().unwrap_or_default();
    if deadlines.is_empty() {
        s.push_str("  (none)\n");
    }
    let rows: Vec<Vec<String>> = deadlines
        .iter()
        .map(|d| {
            let state = field(d, "state");
            let detail = match (d["met_at"].as_str(), d["breached_at"].as_str()) {
                (Some(m), _) => format!("{state} {}", when(m)),
                (None, Some(b)) => format!("{} {}", state.to_ascii_uppercase(), when(b)),
                _ if state == "overdue" => "OVERDUE".to_owned(),
                _ => state.to_owned(),
            };
            vec![
                format!("  {}", field(d, "kind")),
                format!("due {}", when(field(d, "due_at"))),
                detail,
            ]
        })
        .collect();
    s.push_str(&columns(&rows));
    let tasks = v["tasks"].as_array().cloned().unwrap_or_default();
    let open: Vec<&Value> = tasks
        .iter()
        .filter(|t| t["state"] == json!("open"))
        .collect();
    s.push_str(&format!(
        "open tasks ({} of {}):\n",
        open.len(),
        tasks.len()
    ));
    for t in open {
        let mut extra = Vec::new();
        if let Some(o) = t["owner"].as_str() {
            extra.push(format!("owner {o}"));
        }
        if let Some(d) = t["due"].as_str() {
            extra.push(format!("due {}", when(d)));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("  ({})", extra.join(", "))
        };
        s.push_str(&format!(
            "  #{:<3} [{}] {}{extra}\n",
            t["id"].to_string(),
            field(t, "section"),
            one_line(field(t, "text"), 100)
        ));
    }
    let evidence = v["evidence"].as_array().map(Vec::len).unwrap_or(0);
    if evidence > 0 {
        s.push_str(&format!(
            "evidence: {evidence} item(s); `klaxon evidence list {}`\n",
            reference(i)
        ));
    }
    let timeline = v["timeline"].as_array().cloned().unwrap_or_default();
    let skip = timeline.len().saturating_sub(last);
    s.push_str(&format!(
        "timeline (last {} of {}):\n",
        timeline.len() - skip,
        timeline.len()
    ));
    for e in &timeline[skip..] {
        s.push_str(&format!(
            "  {} {} [{}] {}\n",
            when(field(e, "at")),
            field(e, "actor"),
            field(e, "kind"),
            field(e, "message").replace('\n', "\n      ")
        ));
    }
    s
}

/// `klaxon evidence list`.
pub fn evidence_table(v: &Value) -> String {
    let items = v["items"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return format!("{}: no evidence recorded\n", reference(v));
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|e| {
            vec![
                format!("#{}", e["id"]),
                field(e, "sha256").to_owned(),
                field(e, "name").to_owned(),
                format!(
                    "{}, {}",
                    field(e, "collected_by"),
                    when(field(e, "collected_at"))
                ),
                field(e, "location").to_owned(),
            ]
        })
        .collect();
    table(&["ID", "SHA256", "NAME", "COLLECTED", "LOCATION"], rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assess_line_table() {
        let now: chrono::DateTime<chrono::Utc> = "2026-11-23T09:00:00Z".parse().unwrap();
        let p = Policy::default();
        let v = assess_line(r#"{"title":"Leaked production AWS key","description":"AKIAIOSFODNN7EXAMPLE found in a public gist"}"#, &p, now).unwrap();
        assert_eq!(v["severity"], "SEV-2");
        assert_eq!(v["class"], "leaked_production_secret");
        assert_eq!(
            v["deadlines"][0],
            json!({"kind": "acknowledge", "due": "2026-11-23T17:00:00Z"})
        );
        let v = assess_line(r#"{"title":"GuardDuty finding","source":"guardduty","signals":{"kind":"guardduty","score":9.1,"customer_data":true}}"#, &p, now).unwrap();
        assert_eq!(v["severity"], "SEV-1");
        assert_eq!(v["flags"]["customer_notification_required"], true);
        let v = assess_line(r#"{"title":"x","cvss":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}"#, &p, now).unwrap();
        assert_eq!(v["cvss"], json!({"version": "4.0", "score": 9.3}));
        assert!(assess_line("{}", &p, now).unwrap_err().contains("title"));
        assert!(
            assess_line("nope", &p, now)
                .unwrap_err()
                .contains("not a report")
        );
        assert!(assess_line(r#"{"title":"x","signals":{"bogus":1}}"#, &p, now).is_err());
    }

    #[test]
    fn incidents_table_aligns_and_marks_drills() {
        let items = [
            json!({"reference": "KLX-2026-AAAAAA", "severity": "SEV-1", "status": "triaged",
                   "created_at": "2026-11-23T09:00:00.123456Z", "title": "RCE in the webhook handler"}),
            json!({"reference": "KLX-2026-BBBBBB", "status": "reported", "drill": true,
                   "created_at": "not a time", "title": "Drill: leaked production secret\nsecond line"}),
        ];
        let t = incidents_table(&items);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines,
            [
                "REFERENCE        SEVERITY  STATUS    CREATED            TITLE",
                "KLX-2026-AAAAAA  SEV-1     triaged   2026-11-23 09:00Z  RCE in the webhook handler",
                "KLX-2026-BBBBBB  -         reported  not a time         [drill] Drill: leaked production secret…",
            ]
        );
        assert_eq!(incidents_table(&[]), "no incidents match\n");
    }

    #[test]
    fn incident_summary_shows_the_essentials_and_survives_missing_fields() {
        let v = json!({
            "incident": {"reference": "KLX-2026-7QX4MZ", "severity": "SEV-2", "status": "contained",
                         "title": "Leaked key", "root_cause": {"cause": "unknown", "rationale": "logs expired"}},
            "roles": {"incident_commander": "alice", "scribe": "bob"},
            "deadlines": [
                {"kind": "acknowledge", "due_at": "2026-11-23T13:00:00Z", "met_at": "2026-11-23T09:05:00Z", "state": "met"},
                {"kind": "notify", "due_at": "2026-11-24T09:00:00Z", "breached_at": "2026-11-24T09:00:00Z", "state": "breached"},
                {"kind": "fix", "due_at": "2026-11-20T09:00:00Z", "state": "overdue"}
            ],
            "tasks": [
                {"id": 1, "section": "play", "state": "done", "text": "Rotate"},
                {"id": 7, "section": "closure", "state": "open", "text": "Root cause", "owner": "bob"}
            ],
            "timeline": (0..12).map(|n| json!({"at": "2026-11-23T09:00:00Z", "actor": "klaxon", "kind": "note", "message": format!("entry {n}")})).collect::<Vec<_>>(),
        });
        let s = incident_summary(&v, 3);
        for want in [
            "KLX-2026-7QX4MZ  SEV-2  contained",
            "root cause: unknown (logs expired)",
            "incident_commander   alice",
            "technical_lead       (unassigned)",
            "scribe               bob",
            "met 2026-11-23 09:05Z",
            "BREACHED 2026-11-24 09:00Z",
            "OVERDUE",
            "open tasks (1 of 2):",
            "#7   [closure] Root cause  (owner bob)",
            "timeline (last 3 of 12):",
            "entry 11",
        ] {
            assert!(s.contains(want), "{want:?} missing:\n{s}");
        }
        assert!(!s.contains("entry 8"), "{s}");
        assert!(!s.contains("needs triage"), "{s}");
        let mut flagged = v.clone();
        flagged["needs_triage"] = json!(true);
        let s = incident_summary(&flagged, 3);
        assert!(s.contains("triage:   needs triage"), "{s}");
        // Another version's answer with nothing in it renders, not panics.
        let empty = incident_summary(&json!({}), 10);
        assert!(
            empty.contains("(unassigned)") && empty.contains("(none)"),
            "{empty}"
        );
    }

    #[test]
    fn evidence_table_and_empty_manifest() {
        let v = json!({"reference": "KLX-1", "items": [{"id": 1, "sha256": "ab", "name": "x.log",
            "collected_by": "alice", "collected_at": "2026-11-23T09:00:00Z", "location": "s3://b/x.log"}]});
        assert_eq!(
            evidence_table(&v),
            "ID  SHA256  NAME   COLLECTED                 LOCATION\n#1  ab      x.log  alice, 2026-11-23 09:00Z  s3://b/x.log\n"
        );
        assert_eq!(
            evidence_table(&json!({"reference": "KLX-1", "items": []})),
            "KLX-1: no evidence recorded\n"
        );
    }

    #[test]
    fn bodies_leave_out_unset_fields() {
        let b = body(&[
            ("status", Some(json!("contained"))),
            ("root_cause", None),
            ("containment", text(&Some("revoked".into()))),
        ]);
        assert_eq!(b, json!({"status": "contained", "containment": "revoked"}));
        assert_eq!(
            incident_path("KLX-1", &["tasks", "3"]),
            ["api", "v1", "incidents", "KLX-1", "tasks", "3"]
        );
    }
}
