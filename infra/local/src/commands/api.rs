//! The responder API's subcommands. Each builds its request, calls the API
//! through [`crate::client`] and renders the answer; `--json` prints the
//! answer as the API sent it.

use super::BoxError;
use super::render::{evidence_table, field, incident_summary, incidents_table, reference, when};
use crate::cli::{
    ApiCommand, DrillCommand, DrillStart, EvidenceCommand, HeartbeatCommand, ListArgs, NoteArgs,
    OverrideCommand, PeopleCommand, ReportCommand, ScheduleCommand, TaskCommand,
};
use crate::client::{Client, Reply};
use serde_json::{Value, json};
use std::path::Path;

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

pub(super) fn connect(api: Option<&str>) -> Result<Client, BoxError> {
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
        ApiCommand::Heartbeat { command } => heartbeat(c, json, command).await,
        ApiCommand::People { command } => people(c, json, command).await,
        ApiCommand::Schedule { command } => schedule(c, json, command).await,
        ApiCommand::Override { command } => override_cmd(c, json, command).await,
        ApiCommand::Oncall { tz, at } => {
            let q: Vec<(&str, String)> = [("tz", tz), ("at", at.map(|a| relative_time(&a)))]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            let reply = c.get(&["api", "v1", "oncall"], &q).await?;
            if json {
                return Ok(raw(&reply));
            }
            Ok(super::render::oncall(&reply.json()?))
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

/// `klaxon heartbeat ...`.
async fn heartbeat(c: &Client, json: bool, cmd: HeartbeatCommand) -> Result<String, BoxError> {
    let reply = match cmd {
        HeartbeatCommand::List => c.get(&["api", "v1", "heartbeats"], &[]).await?,
        HeartbeatCommand::Set {
            name,
            every,
            grace,
            severity,
            source,
        } => {
            let b = body(&[
                ("interval_secs", Some(json!(every))),
                ("grace_secs", Some(json!(grace))),
                ("severity", Some(json!(severity))),
                ("source", source.map(|s| json!(s))),
            ]);
            c.request(
                reqwest::Method::PUT,
                &["api", "v1", "heartbeats", &name],
                &[],
                Some(&b),
            )
            .await?
        }
        HeartbeatCommand::Delete { name } => c.delete(&["api", "v1", "heartbeats", &name]).await?,
        HeartbeatCommand::Beat { name, key } => {
            Client::new(c.base(), Some(key))?
                .post(&["heartbeats", &name], &json!({}))
                .await?
        }
    };
    if json {
        return Ok(raw(&reply));
    }
    Ok(super::render::monitors(&reply.json()?))
}

/// `+12h`, `+3d`, `+90m` as an RFC 3339 time from now; anything else as
/// given, for the API to read.
fn relative_time(raw: &str) -> String {
    let t = raw.trim();
    let parsed = t.strip_prefix('+').and_then(|rest| {
        let (n, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit())?);
        let n: i64 = n.parse().ok()?;
        let d = match unit {
            "m" | "min" => chrono::Duration::try_minutes(n)?,
            "h" => chrono::Duration::try_hours(n)?,
            "d" => chrono::Duration::try_days(n)?,
            _ => return None,
        };
        Some((chrono::Utc::now() + d).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    });
    parsed.unwrap_or_else(|| t.to_owned())
}

/// `priya,sam/1w/Mon 09:00/2026-01-05[/Mon-Fri 09:00-17:00;Sat 10:00-12:00]`
/// as the API's layer.
fn layer(raw: &str) -> Result<Value, BoxError> {
    let parts: Vec<&str> = raw.split('/').map(str::trim).collect();
    let [people, shift, handoff, start, rest @ ..] = parts.as_slice() else {
        return Err(format!(
            "--layer takes PEOPLE/SHIFT/HANDOFF/START[/WINDOWS], such as 'priya,sam/1w/Mon 09:00/2026-01-05'; got {raw:?}"
        )
        .into());
    };
    let windows: Vec<&str> = rest
        .iter()
        .flat_map(|w| w.split(';'))
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    Ok(json!({
        "people": people.split(',').map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
        "shift": shift,
        "handoff": handoff,
        "start": start,
        "restrictions": windows,
    }))
}

/// `METHOD:MINUTES` as the API's rule.
fn rule(raw: &str) -> Result<Value, BoxError> {
    let (m, n) = raw
        .split_once(':')
        .ok_or_else(|| format!("--rule takes METHOD:MINUTES, such as sms:5; got {raw:?}"))?;
    let n: i64 = n
        .trim()
        .parse()
        .map_err(|_| format!("--rule {raw:?}: the minutes must be a number"))?;
    Ok(json!({"method": m.trim(), "after_minutes": n}))
}

/// `klaxon people ...`.
async fn people(c: &Client, json: bool, cmd: PeopleCommand) -> Result<String, BoxError> {
    let reply = match cmd {
        PeopleCommand::Add {
            id,
            name,
            tz,
            sms,
            email,
            chat,
            rules,
        } => {
            let rules = rules
                .iter()
                .map(|r| rule(r))
                .collect::<Result<Vec<_>, _>>()?;
            let b = json!({
                "name": name,
                "time_zone": tz,
                "contacts": body(&[("sms", text(&sms)), ("email", text(&email)), ("chat", text(&chat))]),
                "rules": rules,
            });
            c.request(
                reqwest::Method::PUT,
                &["api", "v1", "people", &id],
                &[],
                Some(&b),
            )
            .await?
        }
        PeopleCommand::List => c.get(&["api", "v1", "people"], &[]).await?,
        PeopleCommand::Show { id } => c.get(&["api", "v1", "people", &id], &[]).await?,
        PeopleCommand::Remove { id } => c.delete(&["api", "v1", "people", &id]).await?,
        PeopleCommand::Feed { id } => {
            c.post(&["api", "v1", "people", &id, "feed"], &json!({}))
                .await?
        }
        PeopleCommand::Sync { topic, dry_run } => {
            let reply = c.get(&["api", "v1", "people"], &[]).await?;
            let people = super::people_sync::roster(&reply.json()?)?;
            return super::people_sync::run(&topic, &people, dry_run, json).await;
        }
    };
    if json {
        return Ok(raw(&reply));
    }
    Ok(super::render::people(&reply.json()?))
}

/// `klaxon schedule ...`.
async fn schedule(c: &Client, json: bool, cmd: ScheduleCommand) -> Result<String, BoxError> {
    let reply = match cmd {
        ScheduleCommand::Set {
            id,
            file,
            name,
            tz,
            layers,
        } => {
            let b: Value = match file {
                Some(f) => serde_json::from_str(
                    &std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?,
                )
                .map_err(|e| format!("{}: not JSON: {e}", f.display()))?,
                None => {
                    let layers = layers
                        .iter()
                        .map(|l| layer(l))
                        .collect::<Result<Vec<_>, _>>()?;
                    json!({
                        "name": name.ok_or("--name is required (or --file)")?,
                        "time_zone": tz.ok_or("--tz is required (or --file)")?,
                        "layers": layers,
                    })
                }
            };
            c.request(
                reqwest::Method::PUT,
                &["api", "v1", "schedules", &id],
                &[],
                Some(&b),
            )
            .await?
        }
        ScheduleCommand::List => c.get(&["api", "v1", "schedules"], &[]).await?,
        ScheduleCommand::Show { id, tz } => {
            let q: Vec<(&str, String)> = tz.map(|t| ("tz", t)).into_iter().collect();
            c.get(&["api", "v1", "schedules", &id], &q).await?
        }
        ScheduleCommand::Remove { id } => c.delete(&["api", "v1", "schedules", &id]).await?,
        ScheduleCommand::Feed { id } => {
            c.post(&["api", "v1", "schedules", &id, "feed"], &json!({}))
                .await?
        }
    };
    if json {
        return Ok(raw(&reply));
    }
    Ok(super::render::schedules(&reply.json()?))
}

/// `klaxon override ...`.
async fn override_cmd(c: &Client, json: bool, cmd: OverrideCommand) -> Result<String, BoxError> {
    let reply = match cmd {
        OverrideCommand::Add {
            schedule,
            person,
            until,
            from,
        } => {
            let b = body(&[
                ("person", Some(json!(person))),
                ("end", Some(json!(relative_time(&until)))),
                ("start", from.map(|f| json!(relative_time(&f)))),
            ]);
            c.post(&["api", "v1", "schedules", &schedule, "overrides"], &b)
                .await?
        }
        OverrideCommand::Remove { schedule, id } => {
            c.delete(&["api", "v1", "schedules", &schedule, "overrides", &id])
                .await?
        }
    };
    if json {
        return Ok(raw(&reply));
    }
    Ok(super::render::schedules(&reply.json()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_rules_and_relative_times() {
        let l = layer("priya, sam/1w/Mon 09:00/2026-01-05/Mon-Fri 09:00-17:00;Sat 10:00-12:00")
            .unwrap();
        assert_eq!(
            l,
            json!({"people": ["priya", "sam"], "shift": "1w", "handoff": "Mon 09:00",
                   "start": "2026-01-05", "restrictions": ["Mon-Fri 09:00-17:00", "Sat 10:00-12:00"]})
        );
        assert!(layer("priya/1w").is_err());
        assert_eq!(
            rule("sms:5").unwrap(),
            json!({"method": "sms", "after_minutes": 5})
        );
        assert!(rule("sms").is_err());
        let t = relative_time("+12h");
        let at = chrono::DateTime::parse_from_rfc3339(&t).unwrap();
        let ahead = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
        assert!(ahead > chrono::Duration::hours(11) && ahead <= chrono::Duration::hours(12));
        assert_eq!(
            relative_time("2026-11-30T09:00:00Z"),
            "2026-11-30T09:00:00Z"
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
