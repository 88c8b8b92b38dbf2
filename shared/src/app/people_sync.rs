//! People sync: the paging topic's subscriptions brought in line with the
//! roster. Each person gets one subscription per paging method (SMS for
//! their number, email for their address) filtered on their id, so a page
//! published with `person = priya` reaches Priya's phone and no one
//! else's. Only subscriptions with a `person` filter are Klaxon's: anything
//! else on the topic (a chat channel, an archive queue) is left alone.

use crate::domain::oncall::{Method, Person, PersonId};
use crate::ports::{PagingSubscriptions, Subscription, SubscriptionError};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;

/// The filter policy a person's subscription for `method` carries:
/// `{"person":["priya"],"method":["sms"]}`. Pages and notices to a person
/// are published once per method with both attributes.
pub fn filter_policy(person: &PersonId, method: Method) -> String {
    // Keys in one order whatever serde_json's map keeps (its preserve_order
    // feature is unified in by other crates in some builds).
    let quoted = |s: &str| serde_json::Value::from(s).to_string();
    format!(
        r#"{{"method":[{}],"person":[{}]}}"#,
        quoted(method.as_str()),
        quoted(person.as_str())
    )
}

/// The subscriptions a person should have: SNS protocol, endpoint and
/// filter, one per paging method.
pub fn wanted(p: &Person) -> Vec<(&'static str, String, String)> {
    p.paging_methods()
        .into_iter()
        .filter_map(|m| {
            let (protocol, endpoint) = match m {
                Method::Sms => ("sms", p.contacts.sms.as_ref()?.expose()),
                Method::Email => ("email", p.contacts.email.as_ref()?.expose()),
                Method::Chat => return None,
            };
            Some((protocol, endpoint.to_owned(), filter_policy(&p.id, m)))
        })
        .collect()
}

/// Whom a subscription's filter names, if it is one sync manages.
fn managed_by(filter: Option<&str>) -> Option<String> {
    let v: Value = serde_json::from_str(filter?).ok()?;
    let names: Vec<&str> = v
        .get("person")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    Some(names.join(","))
}

fn same_filter(have: Option<&str>, want: &str) -> bool {
    let parse = |s: &str| serde_json::from_str::<Value>(s).ok();
    have.and_then(parse).is_some_and(|h| Some(h) == parse(want))
}

/// One step of a sync. Shown without the endpoint: it is personal data.
#[derive(Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        person: PersonId,
        protocol: String,
        endpoint: String,
        filter: String,
    },
    Update {
        person: PersonId,
        protocol: String,
        arn: String,
        filter: String,
    },
    Remove {
        /// Who its filter named.
        person: String,
        protocol: String,
        arn: String,
    },
    /// An email subscription awaiting its confirmation: SNS lets nothing
    /// change it until the person clicks the link it mailed them.
    Pending { person: PersonId, protocol: String },
    /// The person's endpoint already has a subscription sync does not
    /// manage (no `person` filter: it gets every page on the topic, topic
    /// levels included). Left alone: filtering it would silently stop
    /// those pages, and SNS refuses a second one for the same endpoint.
    Unmanaged { person: PersonId, protocol: String },
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create {
                person, protocol, ..
            } => write!(f, "subscribe {person} by {protocol}"),
            Self::Update {
                person,
                protocol,
                arn,
                ..
            } => write!(
                f,
                "update the filter of {person}'s {protocol} subscription {arn}"
            ),
            Self::Remove {
                person,
                protocol,
                arn,
            } => write!(
                f,
                "remove {protocol} subscription {arn} (filtered on {person}, no longer on the roster that way)"
            ),
            Self::Pending { person, protocol } => write!(
                f,
                "{person}'s {protocol} subscription awaits confirmation (the link SNS mailed them)"
            ),
            Self::Unmanaged { person, protocol } => write!(
                f,
                "{person}'s {protocol} endpoint is already subscribed without a person filter (it gets every page on the topic): left alone; unsubscribe it and sync again to page {person} alone"
            ),
        }
    }
}

/// What a sync must do to make `subs` match `people`: create what is
/// missing, update filters that changed, remove what it manages and the
/// roster no longer wants.
pub fn plan(people: &[Person], subs: &[Subscription]) -> Vec<Action> {
    let mut people: Vec<&Person> = people.iter().collect();
    people.sort_by(|a, b| a.id.cmp(&b.id));
    let mut matched = HashSet::new();
    let mut out = Vec::new();
    for p in people {
        for (protocol, endpoint, filter) in wanted(p) {
            let found = subs.iter().enumerate().find(|(i, s)| {
                !matched.contains(i) && s.protocol == protocol && s.endpoint == endpoint
            });
            let Some((i, sub)) = found else {
                out.push(Action::Create {
                    person: p.id.clone(),
                    protocol: protocol.to_owned(),
                    endpoint,
                    filter: filter.clone(),
                });
                continue;
            };
            matched.insert(i);
            if managed_by(sub.filter_policy.as_deref()).is_none() {
                out.push(Action::Unmanaged {
                    person: p.id.clone(),
                    protocol: protocol.to_owned(),
                });
                continue;
            }
            match &sub.arn {
                None => out.push(Action::Pending {
                    person: p.id.clone(),
                    protocol: protocol.to_owned(),
                }),
                Some(arn) if !same_filter(sub.filter_policy.as_deref(), &filter) => {
                    out.push(Action::Update {
                        person: p.id.clone(),
                        protocol: protocol.to_owned(),
                        arn: arn.clone(),
                        filter: filter.clone(),
                    })
                }
                Some(_) => {}
            }
        }
    }
    for (i, sub) in subs.iter().enumerate() {
        if matched.contains(&i) {
            continue;
        }
        if let (Some(person), Some(arn)) = (managed_by(sub.filter_policy.as_deref()), &sub.arn) {
            out.push(Action::Remove {
                person,
                protocol: sub.protocol.clone(),
                arn: arn.clone(),
            });
        }
    }
    out
}

/// Plans and, unless `dry_run`, carries out a sync. Returns the plan; a
/// failure stops it where it was, and running it again finishes the rest.
pub async fn sync(
    topic: &dyn PagingSubscriptions,
    people: &[Person],
    dry_run: bool,
) -> Result<Vec<Action>, SubscriptionError> {
    let actions = plan(people, &topic.list().await?);
    if dry_run {
        return Ok(actions);
    }
    for a in &actions {
        match a {
            Action::Create {
                protocol,
                endpoint,
                filter,
                ..
            } => {
                topic.subscribe(protocol, endpoint, filter).await?;
            }
            Action::Update { arn, filter, .. } => topic.set_filter_policy(arn, filter).await?,
            Action::Remove { arn, .. } => topic.unsubscribe(arn).await?,
            Action::Pending { .. } | Action::Unmanaged { .. } => {}
        }
        tracing::info!(action = %a, "people sync");
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oncall::{ContactsInput, PersonInput};

    fn person(id: &str, sms: Option<&str>, email: Option<&str>) -> Person {
        Person::parse(
            id,
            &PersonInput {
                name: id.to_uppercase(),
                time_zone: "UTC".into(),
                contacts: ContactsInput {
                    sms: sms.map(Into::into),
                    email: email.map(Into::into),
                    chat: None,
                },
                rules: Vec::new(),
            },
        )
        .expect("person")
    }

    fn sub(
        arn: Option<&str>,
        protocol: &str,
        endpoint: &str,
        filter: Option<&str>,
    ) -> Subscription {
        Subscription {
            arn: arn.map(Into::into),
            protocol: protocol.into(),
            endpoint: endpoint.into(),
            filter_policy: filter.map(Into::into),
        }
    }

    #[test]
    fn filter_policy_names_the_person_and_method() {
        let id = PersonId::parse("p", "priya").expect("id");
        assert_eq!(
            filter_policy(&id, Method::Sms),
            r#"{"method":["sms"],"person":["priya"]}"#
        );
    }

    #[test]
    fn plan_table() {
        let alice = person("alice", Some("+14155550100"), Some("alice@example.com"));
        let bob = person("bob", Some("+14155550101"), None);
        let af = r#"{"person":["alice"],"method":["sms"]}"#;
        let ae = r#"{"person":["alice"],"method":["email"]}"#;
        let bf = r#"{"method": ["sms"], "person": ["bob"]}"#;
        type Case<'a> = (&'a str, Vec<Person>, Vec<Subscription>, Vec<&'a str>);
        let cases: [Case<'_>; 6] = [
            (
                "an empty topic: everything created",
                vec![alice.clone(), bob.clone()],
                vec![],
                vec![
                    "subscribe alice by sms",
                    "subscribe alice by email",
                    "subscribe bob by sms",
                ],
            ),
            (
                "in line (spacing in the JSON aside): nothing",
                vec![bob.clone()],
                vec![sub(Some("arn:b"), "sms", "+14155550101", Some(bf))],
                vec![],
            ),
            (
                "a changed filter is updated",
                vec![bob.clone()],
                vec![sub(Some("arn:b"), "sms", "+14155550101", Some(af))],
                vec!["update the filter of bob's sms subscription arn:b"],
            ),
            (
                "a new number: the old one goes, the new one comes",
                vec![person("bob", Some("+14155550199"), None)],
                vec![sub(Some("arn:b"), "sms", "+14155550101", Some(bf))],
                vec![
                    "subscribe bob by sms",
                    "remove sms subscription arn:b (filtered on bob, no longer on the roster that way)",
                ],
            ),
            (
                "what sync does not manage is left alone",
                vec![],
                vec![
                    sub(Some("arn:q"), "sqs", "arn:aws:sqs:x", None),
                    sub(
                        Some("arn:c"),
                        "https",
                        "https://chat",
                        Some(r#"{"severity":["SEV-1"]}"#),
                    ),
                    sub(Some("arn:a"), "email", "alice@example.com", Some(ae)),
                ],
                vec![
                    "remove email subscription arn:a (filtered on alice, no longer on the roster that way)",
                ],
            ),
            (
                "an email awaiting confirmation is reported, not touched",
                vec![alice.clone()],
                vec![
                    sub(Some("arn:s"), "sms", "+14155550100", Some(af)),
                    sub(None, "email", "alice@example.com", Some(ae)),
                ],
                vec!["alice's email subscription awaits confirmation (the link SNS mailed them)"],
            ),
        ];
        let cases = cases.into_iter().chain([(
            "a phone subscribed to every page (no filter) is left alone, not filtered",
            vec![bob.clone()],
            vec![sub(Some("arn:all"), "sms", "+14155550101", None)],
            vec![
                "bob's sms endpoint is already subscribed without a person filter (it gets every page on the topic): left alone; unsubscribe it and sync again to page bob alone",
            ],
        )]);
        for (name, people, subs, want) in cases {
            let got: Vec<String> = plan(&people, &subs).iter().map(|a| a.to_string()).collect();
            assert_eq!(got, want, "{name}");
        }
        // Shown or logged, an action never carries the number.
        let shown = format!("{:?}", plan(&[bob], &[]));
        assert!(!shown.contains("4155550101"), "{shown}");
    }
}
