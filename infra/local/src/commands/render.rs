//! The API's answers as text for people. Every field is read with a
//! fallback: a stack on another version may answer with fields missing or
//! added.

use serde_json::{Value, json};

pub(super) fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("-")
}

pub(super) fn reference(i: &Value) -> &str {
    i["reference"]
        .as_str()
        .or_else(|| i["id"].as_str())
        .unwrap_or("incident")
}

/// `2026-11-23 09:00Z` from an RFC 3339 time; anything else as is.
pub(super) fn when(t: &str) -> String {
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

/// Heartbeat answers: each monitor on a line (a list, one set, or a beat).
pub fn monitors(v: &Value) -> String {
    let one = |m: &Value, due: &Value, late: bool| {
        let spec = if m.is_object() { m } else { &Value::Null };
        format!(
            "{:<24} every {:>7}s grace {:>6}s {:<5} {:<12} last beat {:<20} {}\n",
            spec["name"].as_str().unwrap_or("?"),
            spec["interval_secs"].as_i64().unwrap_or(0),
            spec["grace_secs"].as_i64().unwrap_or(0),
            spec["severity"].as_str().unwrap_or("?"),
            spec["source"].as_str().unwrap_or("-"),
            spec["last_beat_at"].as_str().unwrap_or("never"),
            if late || spec.get("late_incident").is_some_and(|i| !i.is_null()) {
                format!(
                    "LATE (incident {})",
                    spec["late_incident"].as_str().unwrap_or("opening")
                )
            } else {
                format!("due by {}", due.as_str().unwrap_or("-"))
            },
        )
    };
    if let Some(list) = v["monitors"].as_array() {
        if list.is_empty() {
            return "no heartbeat monitors\n".into();
        }
        return list
            .iter()
            .map(|e| {
                one(
                    &e["monitor"],
                    &e["due_at"],
                    e["late"].as_bool().unwrap_or(false),
                )
            })
            .collect();
    }
    if let Some(name) = v["deleted"].as_str() {
        return format!("deleted {name}\n");
    }
    if v["status"] == "beaten" {
        return format!(
            "{} beaten; due by {}\n",
            v["monitor"].as_str().unwrap_or("?"),
            v["due_at"].as_str().unwrap_or("-")
        );
    }
    one(&v["monitor"], &v["due_at"], false)
}

/// A person's line: id, name, zone, contact methods, rules.
fn person_row(p: &Value) -> Vec<String> {
    let list = |v: &Value, f: &dyn Fn(&Value) -> String| {
        v.as_array()
            .map(|a| a.iter().map(f).collect::<Vec<_>>().join(","))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "-".into())
    };
    vec![
        field(p, "id").to_owned(),
        field(p, "name").to_owned(),
        field(p, "time_zone").to_owned(),
        list(&p["methods"], &|m| m.as_str().unwrap_or("?").to_owned()),
        list(&p["rules"], &|r| {
            format!(
                "{}@{}m",
                r["method"].as_str().unwrap_or("?"),
                r["after_minutes"].as_i64().unwrap_or(0)
            )
        }),
        if p["reachable"].as_bool().unwrap_or(true) {
            String::new()
        } else {
            "UNREACHABLE".into()
        },
    ]
}

/// `klaxon people ...` answers: a table, one person, a deletion or a feed.
pub fn people(v: &Value) -> String {
    const HEAD: [&str; 6] = ["ID", "NAME", "ZONE", "METHODS", "RULES", ""];
    if let Some(list) = v["people"].as_array() {
        if list.is_empty() {
            return "no people on the roster\n".into();
        }
        return table(&HEAD, list.iter().map(person_row).collect());
    }
    if let Some(url) = v["url"].as_str() {
        return feed(url);
    }
    if let Some(id) = v["deleted"].as_str() {
        return format!("removed {id}\n");
    }
    table(&HEAD, vec![person_row(&v["person"])])
}

fn feed(url: &str) -> String {
    format!("calendar feed (keep it secret; a new one replaces it):\n  {url}\n")
}

/// Who a `now` or `to` names: "Priya Raman (priya)", or nobody.
fn on_call_name(v: &Value) -> String {
    match (v["name"].as_str(), v["person"].as_str()) {
        (Some(n), Some(p)) => format!("{n} ({p})"),
        (None, Some(p)) => p.to_owned(),
        _ => "NOBODY (coverage gap)".into(),
    }
}

fn next_line(n: &Value) -> String {
    if n.is_null() {
        return "no handoff in the next year".into();
    }
    format!("{} from {}", on_call_name(&n["to"]), field(n, "local"))
}

/// `klaxon schedule ...` and `klaxon override ...` answers.
pub fn schedules(v: &Value) -> String {
    if let Some(list) = v["schedules"].as_array() {
        if list.is_empty() {
            return "no schedules\n".into();
        }
        let rows = list
            .iter()
            .map(|s| {
                vec![
                    field(s, "id").to_owned(),
                    field(s, "name").to_owned(),
                    field(s, "time_zone").to_owned(),
                    format!("{} layer(s)", s["layers"].as_array().map_or(0, Vec::len)),
                ]
            })
            .collect();
        return table(&["ID", "NAME", "ZONE", "LAYERS"], rows);
    }
    if let Some(url) = v["url"].as_str() {
        return feed(url);
    }
    if let Some(id) = v["deleted"].as_str() {
        return format!("removed {id}\n");
    }
    if let Some(o) = v.get("override").filter(|o| o.is_object()) {
        return format!(
            "override {}: {} covers {} from {} until {}\n",
            field(o, "id"),
            field(o, "person"),
            field(o, "schedule"),
            when(field(o, "start")),
            when(field(o, "end")),
        );
    }
    let s = &v["schedule"];
    let mut out = format!(
        "{} ({}), handoffs in {}\n",
        field(s, "name"),
        field(s, "id"),
        field(s, "time_zone")
    );
    for (i, l) in s["layers"].as_array().into_iter().flatten().enumerate() {
        let people: Vec<&str> = l["people"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let windows: Vec<&str> = l["restrictions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        out.push_str(&format!(
            "  layer {i}: {} every {}, handoff {}, from {}{}\n",
            people.join(", "),
            field(l, "shift"),
            field(l, "handoff"),
            field(l, "start"),
            if windows.is_empty() {
                String::new()
            } else {
                format!(", only {}", windows.join("; "))
            }
        ));
    }
    for o in v["overrides"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  override {}: {} until {}\n",
            field(o, "id"),
            field(o, "person"),
            when(field(o, "end"))
        ));
    }
    if !v["now"].is_null() {
        out.push_str(&format!("  now:  {}\n", on_call_name(&v["now"])));
        out.push_str(&format!("  next: {}\n", next_line(&v["next"])));
    }
    out
}

/// `klaxon oncall`: each schedule's now and next.
pub fn oncall(v: &Value) -> String {
    let list = v["schedules"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return "no schedules\n".into();
    }
    let rows = list
        .iter()
        .map(|s| {
            vec![
                field(s, "id").to_owned(),
                on_call_name(&s["now"]),
                next_line(&s["next"]),
            ]
        })
        .collect();
    table(&["SCHEDULE", "ON CALL NOW", "NEXT"], rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oncall_names_people_and_gaps() {
        let v = json!({"schedules": [
            {"id": "security-primary", "now": {"person": "priya", "name": "Priya Raman"},
             "next": {"local": "Mon 30 Mar 2026 09:00 Europe/Berlin", "to": {"person": "sam", "name": "Sam Okafor"}}},
            {"id": "business-hours", "now": {"person": null}, "next": null},
        ]});
        let out = oncall(&v);
        assert!(out.contains("Priya Raman (priya)"), "{out}");
        assert!(
            out.contains("Sam Okafor (sam) from Mon 30 Mar 2026 09:00 Europe/Berlin"),
            "{out}"
        );
        assert!(out.contains("NOBODY"), "{out}");
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
}
