//! `klaxon people sync`: the roster as the API shows an admin, and the
//! paging topic's subscriptions through SNS with the operator's AWS
//! credentials (the Lambdas' IAM never changes a subscription).

use super::BoxError;
use klaxon_core::adapters::aws;
use klaxon_core::app::people_sync::{self, Action};
use klaxon_core::domain::oncall::{ContactsInput, Person, PersonInput, RuleInput};
use serde_json::{Value, json};

/// The people in a `GET /api/v1/people` answer, contact details included:
/// only an admin's token is shown them.
pub fn roster(answer: &Value) -> Result<Vec<Person>, BoxError> {
    let list = answer["people"]
        .as_array()
        .ok_or("the API's answer has no people list")?;
    let mut out = Vec::with_capacity(list.len());
    for p in list {
        let id = p["id"].as_str().ok_or("a person without an id")?;
        if p.get("contacts").is_none() {
            return Err("people sync needs contact details, which the API shows only to an admin: use an admin token (KLAXON_API_TOKEN)".into());
        }
        let contact = |m: &str| p["contacts"][m].as_str().map(str::to_owned);
        let rules = p["rules"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| RuleInput {
                        method: r["method"].as_str().unwrap_or_default().to_owned(),
                        after_minutes: r["after_minutes"].as_i64().unwrap_or(0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let input = PersonInput {
            name: p["name"].as_str().unwrap_or(id).to_owned(),
            time_zone: p["time_zone"].as_str().unwrap_or("UTC").to_owned(),
            contacts: ContactsInput {
                sms: contact("sms"),
                email: contact("email"),
                chat: contact("chat"),
            },
            rules,
        };
        out.push(Person::parse(id, &input).map_err(|e| format!("person {id}: {e}"))?);
    }
    Ok(out)
}

/// Plans, and unless `dry_run` applies, the sync; prints what it did or
/// would do.
pub async fn run(
    topic: &str,
    people: &[Person],
    dry_run: bool,
    json: bool,
) -> Result<String, BoxError> {
    let subs = aws::paging_subscriptions_from_env(topic).await;
    let actions = people_sync::sync(&subs, people, dry_run).await?;
    Ok(render(topic, &actions, dry_run, json))
}

/// The report: one line per action, never an endpoint.
pub fn render(topic: &str, actions: &[Action], dry_run: bool, json: bool) -> String {
    if json {
        let items: Vec<Value> = actions
            .iter()
            .map(|a| {
                let (kind, person, protocol, arn) = match a {
                    Action::Create {
                        person, protocol, ..
                    } => ("create", person.to_string(), protocol, None),
                    Action::Update {
                        person,
                        protocol,
                        arn,
                        ..
                    } => ("update", person.to_string(), protocol, Some(arn)),
                    Action::Remove {
                        person,
                        protocol,
                        arn,
                    } => ("remove", person.clone(), protocol, Some(arn)),
                    Action::Pending { person, protocol } => {
                        ("pending", person.to_string(), protocol, None)
                    }
                    Action::Unmanaged { person, protocol } => {
                        ("unmanaged", person.to_string(), protocol, None)
                    }
                };
                json!({"action": kind, "person": person, "protocol": protocol, "subscription": arn, "says": a.to_string()})
            })
            .collect();
        return format!(
            "{}\n",
            json!({"topic": topic, "dry_run": dry_run, "actions": items})
        );
    }
    let mut s = if dry_run {
        format!("People sync on {topic} (dry run: nothing changed):\n")
    } else {
        format!("People sync on {topic}:\n")
    };
    if actions.is_empty() {
        s.push_str("  in line with the roster; nothing to do\n");
    }
    let verb = if dry_run { "would" } else { "did" };
    for a in actions {
        match a {
            Action::Pending { .. } | Action::Unmanaged { .. } => s.push_str(&format!("  - {a}\n")),
            _ => s.push_str(&format!("  - {verb}: {a}\n")),
        }
    }
    s
}
