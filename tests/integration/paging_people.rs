//! Paging people: a level naming a schedule pages whoever is on call when
//! it fires, through the paging topic with a `person` attribute that each
//! person's subscriptions filter on (docs/oncall.md). Against moto, two SQS
//! queues stand in for Alice's and Bob's phones, subscribed with the filter
//! `klaxon people sync` computes; `people sync` itself keeps a topic's
//! subscriptions in line with the roster. Without AWS: a gap fires the next
//! level at once, the ack link names the person, and the roster's notices
//! go out once each.

use crate::Harness;
use chrono::{DateTime, Duration, Utc};
use klaxon_core::adapters::sns::{SnsNotifier, SnsSubscriptions};
use klaxon_core::app::people_sync::{self, filter_policy};
use klaxon_core::app::{ack_link, assess, escalate, intake, notify, oncall};
use klaxon_core::config::{NotifySettings, Secret, Settings};
use klaxon_core::domain::oncall::{
    ContactsInput, Method, Person, PersonId, PersonInput, Schedule, ScheduleInput,
};
use klaxon_core::domain::{DomainEvent, EventKind, IncidentId, Source};
use klaxon_core::policy::{DEFAULT_POLICY, Policy};
use klaxon_core::ports::{Clock, Message, PagingSubscriptions};
use klaxon_tests::emulator::{self, Stack};
use klaxon_tests::fakes::{RecordingNotifier, RecordingPublisher};
use klaxon_tests::{CRITICAL, t0};
use serde_json::{Value, json};
use std::sync::Arc;

/// The built-in policy with SEV-1 paging `levels`, once, and no handoff
/// notices unless `notices`.
fn policy(levels: &str, notices: bool) -> Arc<Policy> {
    let from = "levels = [\n  { audience = \"oncall-primary\" },\n  { audience = \"oncall-secondary\", after = \"10m\" },\n  { audience = \"incident-manager\", after = \"20m\" },\n]\nrepeat = 3";
    let mut text = DEFAULT_POLICY.replacen(from, &format!("levels = [{levels}]\nrepeat = 1"), 1);
    assert_ne!(text, DEFAULT_POLICY, "the edit applies");
    if !notices {
        text = text.replacen("handoff_notice = \"1h\"", "handoff_notice = \"0m\"", 1);
    }
    Arc::new(Policy::parse(&text).expect("policy"))
}

fn settings(policy: Arc<Policy>) -> Settings {
    let mut s = Settings {
        notify: NotifySettings {
            ack_secret: Some(Secret::new("0123456789abcdef0123456789abcdef")),
            ..NotifySettings::default()
        },
        policy,
        ..Settings::default()
    };
    s.intake.public_url = Some("https://klaxon.example.com".into());
    s
}

fn person(id: &str, name: &str, sms: Option<&str>, email: Option<&str>) -> Person {
    Person::parse(
        id,
        &PersonInput {
            name: name.into(),
            time_zone: "Europe/Berlin".into(),
            contacts: ContactsInput {
                sms: sms.map(Into::into),
                email: email.map(Into::into),
                chat: Some(format!("@{id}")),
            },
            rules: Vec::new(),
        },
    )
    .expect("person")
}

/// `security-primary`: `people` take turns daily at 09:00 UTC, from
/// Monday 2026-11-16, so Alice has Sunday 09:00 to Monday 09:00 (t0 is
/// Monday 03:00) and Bob the day after.
fn rotation(people: &[&str], start: &str) -> Schedule {
    let input: ScheduleInput = serde_json::from_value(json!({
        "name": "Security primary",
        "time_zone": "UTC",
        "layers": [{"people": people, "shift": "1d", "handoff": "09:00", "start": start}],
    }))
    .expect("input");
    Schedule::parse("security-primary", &input).expect("schedule")
}

async fn roster(h: &Harness, people: &[Person], schedule: Schedule) {
    for p in people {
        oncall::put_person(&h.app, p.clone()).await.expect("person");
    }
    oncall::put_schedule(&h.app, schedule)
        .await
        .expect("schedule");
}

/// Reports a SEV-1 and triages it at the clock's time.
async fn open(h: &Harness, title: &str) -> IncidentId {
    let created = intake::submit(
        &h.app,
        Source::Report,
        klaxon_tests::report(title, Some(CRITICAL)),
        None,
    )
    .await
    .expect("submit");
    let id = created.incident.id;
    let received = h
        .publisher
        .published()
        .into_iter()
        .find(|e| e.kind == EventKind::ReportReceived && e.incident_id == id)
        .expect("Report Received");
    assess::on_event(&h.app, &received).await.expect("assess");
    id
}

fn at(min: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(min)
}

async fn tick_at(h: &Harness, min: i64) -> escalate::Tick {
    h.clock.advance(at(min) - h.clock.now());
    escalate::tick(&h.app).await.expect("tick")
}

/// Pages of `id` recorded so far, in order.
fn pages(h: &Harness, id: IncidentId) -> Vec<DomainEvent> {
    h.publisher
        .published()
        .into_iter()
        .filter(|e| e.incident_id == id && e.kind == EventKind::EscalationTriggered)
        .collect()
}

async fn timeline(h: &Harness, id: IncidentId) -> Vec<String> {
    h.app
        .store
        .timeline(id)
        .await
        .expect("timeline")
        .into_iter()
        .map(|e| e.message)
        .collect()
}

fn attr<'a>(envelope: &'a Value, name: &str) -> &'a str {
    envelope["MessageAttributes"][name]["Value"]
        .as_str()
        .unwrap_or("")
}

/// A queue standing in for a phone or an inbox, subscribed to the paging
/// topic with `filter`: its URL.
async fn phone(
    stack: &Stack,
    sns: &aws_sdk_sns::Client,
    topic: &str,
    name: &str,
    filter: String,
) -> String {
    let (url, arn) = emulator::queue(&stack.sdk, name).await;
    sns.subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(arn)
        .attributes("FilterPolicyScope", "MessageAttributes")
        .attributes("FilterPolicy", filter)
        .send()
        .await
        .expect("subscribe a phone");
    url
}

/// The harness's app, delivering through SNS on moto.
fn through_sns(h: &Harness, stack: &Stack, sns: &aws_sdk_sns::Client) -> Arc<klaxon_core::App> {
    Arc::new(klaxon_core::App::new(klaxon_core::app::Wiring {
        store: Arc::clone(&h.app.store),
        publisher: h.publisher.clone(),
        notifier: Arc::new(SnsNotifier::new(
            sns.clone(),
            stack.resources.topics.clone(),
        )),
        clock: h.clock.clone(),
        relay: klaxon_core::app::Relay::Inline,
        settings: h.app.settings.clone(),
    }))
}

/// The issue's test: a page during Alice's shift reaches only Alice's
/// queue, one after the handoff only Bob's, each through the real escalate
/// sweep on a manual clock and the SNS notifier on moto.
#[tokio::test]
async fn each_page_reaches_the_person_on_call_and_only_them() {
    let stack = Stack::create().await;
    let sns = aws_sdk_sns::Client::new(&stack.sdk);
    let topic = stack.resources.topics[&klaxon_core::policy::PAGING_TOPIC].clone();
    let alice = person("alice", "Alice Jones", Some("+14155550100"), None);
    let bob = person("bob", "Bob Stone", Some("+14155550101"), None);
    let mut phones = Vec::new();
    for p in [&alice, &bob] {
        phones.push(
            phone(
                &stack,
                &sns,
                &topic,
                p.id.as_str(),
                filter_policy(&p.id, Method::Sms),
            )
            .await,
        );
    }
    let h = Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        settings(policy(
            "{ schedule = \"security-primary\", after = \"1m\" }",
            false,
        )),
    );
    // The same app, delivering through SNS.
    let sns_app = through_sns(&h, &stack, &sns);
    roster(&h, &[alice, bob], rotation(&["alice", "bob"], "2026-11-16")).await;

    let deliver = async |id: IncidentId| {
        for e in pages(&h, id) {
            notify::on_event(&sns_app, &e).await.expect("notify");
        }
    };

    // Monday 03:00: Alice's shift.
    let during = open(&h, "Auth bypass in the admin API").await;
    assert!(pages(&h, during).is_empty(), "the level waits its minute");
    tick_at(&h, 1).await;
    let paged = pages(&h, during);
    assert_eq!(paged.len(), 1);
    let step = paged[0].step.clone().expect("step");
    assert_eq!(
        step.person.as_ref().map(|p| p.person.as_str()),
        Some("alice")
    );
    deliver(during).await;
    let got_alice = stack.receive(&phones[0], 1).await;
    assert_eq!(got_alice.len(), 1, "Alice's phone gets the page");
    let envelope: Value = serde_json::from_str(&got_alice[0]).expect("envelope");
    assert_eq!(attr(&envelope, "person"), "alice");
    assert_eq!(attr(&envelope, "kind"), "page");
    assert_eq!(attr(&envelope, "method"), "sms");
    assert!(nothing_in(&stack, &phones[1]).await, "Bob's gets nothing");

    // Monday 09:30, after the handoff: Bob's.
    h.clock.advance(at(390) - h.clock.now());
    let after = open(&h, "Auth bypass in the billing API").await;
    tick_at(&h, 391).await;
    let paged = pages(&h, after);
    assert_eq!(paged.len(), 1);
    deliver(after).await;
    let got_bob = stack.receive(&phones[1], 1).await;
    assert_eq!(got_bob.len(), 1, "Bob's phone gets the page");
    let envelope: Value = serde_json::from_str(&got_bob[0]).expect("envelope");
    assert_eq!(attr(&envelope, "person"), "bob");
    assert!(nothing_in(&stack, &phones[0]).await, "Alice's gets nothing");

    // An unfiltered subscriber (a chat channel, an archive) hears both.
    let all = stack
        .receive(&stack.topic_queues[&klaxon_core::policy::PAGING_TOPIC], 2)
        .await;
    assert_eq!(all.len(), 2);
    assert!(
        timeline(&h, after)
            .await
            .iter()
            .any(|m| m.starts_with("paged Bob Stone (on call for security-primary): level 1 of 1")),
        "{:?}",
        timeline(&h, after).await
    );
}

/// Whether a queue stays empty for a few seconds (moto delivers at once).
async fn nothing_in(stack: &Stack, queue_url: &str) -> bool {
    let out = aws_sdk_sqs::Client::new(&stack.sdk)
        .receive_message()
        .queue_url(queue_url)
        .wait_time_seconds(3)
        .send()
        .await
        .expect("receive");
    out.messages.unwrap_or_default().is_empty()
}

/// The topic's subscriptions as (protocol, filter), sorted.
async fn listed(subs: &SnsSubscriptions) -> Vec<(String, Option<String>)> {
    let mut v: Vec<_> = subs
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|s| {
            let f = s
                .filter_policy
                .and_then(|f| serde_json::from_str::<Value>(&f).ok())
                .map(|v| v.to_string());
            (s.protocol, f)
        })
        .collect();
    v.sort();
    v
}

/// `people sync` against moto: a dry run changes nothing; a sync creates
/// each person's subscriptions with their filter, then is a no-op; a
/// changed number, a dropped method and a hand-edited filter are put
/// right; what it does not manage stays.
#[tokio::test]
async fn people_sync_keeps_the_topic_in_line_with_the_roster() {
    let sdk = emulator::sdk().await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name(emulator::unique("paging"))
        .send()
        .await
        .expect("topic")
        .topic_arn
        .expect("arn");
    // Someone else's subscriber: no person filter, so not sync's.
    let (_, archive) = emulator::queue(&sdk, "archive").await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(archive)
        .send()
        .await
        .expect("archive");
    let subs = SnsSubscriptions::new(sns.clone(), topic.clone());
    let alice = person(
        "alice",
        "Alice Jones",
        Some("+14155550100"),
        Some("alice@example.com"),
    );
    let bob = person("bob", "Bob Stone", Some("+14155550101"), None);
    let roster = vec![alice.clone(), bob.clone()];

    let planned = people_sync::sync(&subs, &roster, true)
        .await
        .expect("dry run");
    let said: Vec<String> = planned.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        said,
        [
            "subscribe alice by sms",
            "subscribe alice by email",
            "subscribe bob by sms"
        ]
    );
    assert_eq!(
        listed(&subs).await,
        vec![("sqs".to_owned(), None)],
        "a dry run changes nothing"
    );

    people_sync::sync(&subs, &roster, false)
        .await
        .expect("sync");
    let f = |id: &str, m: &str| Some(format!(r#"{{"method":["{m}"],"person":["{id}"]}}"#));
    assert_eq!(
        listed(&subs).await,
        vec![
            ("email".to_owned(), f("alice", "email")),
            ("sms".to_owned(), f("alice", "sms")),
            ("sms".to_owned(), f("bob", "sms")),
            ("sqs".to_owned(), None),
        ]
    );
    let again = people_sync::sync(&subs, &roster, false)
        .await
        .expect("again");
    assert!(
        again
            .iter()
            .all(|a| matches!(a, people_sync::Action::Pending { .. })),
        "in line: nothing to do ({again:?})"
    );

    // Bob's number changes, Alice drops email, and someone edits Alice's
    // SMS filter by hand.
    let alice_sms = subs
        .list()
        .await
        .expect("list")
        .into_iter()
        .find(|s| s.protocol == "sms" && s.endpoint == "+14155550100")
        .and_then(|s| s.arn)
        .expect("alice's sms");
    subs.set_filter_policy(&alice_sms, r#"{"person":["mallory"]}"#)
        .await
        .expect("edit");
    let roster = vec![
        person("alice", "Alice Jones", Some("+14155550100"), None),
        person("bob", "Bob Stone", Some("+14155550199"), None),
    ];
    let done: Vec<String> = people_sync::sync(&subs, &roster, false)
        .await
        .expect("sync")
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(done.len(), 4, "{done:?}");
    assert!(
        done[0].starts_with("update the filter of alice's sms subscription"),
        "{done:?}"
    );
    assert_eq!(done[1], "subscribe bob by sms");
    assert!(
        done[2..].iter().all(|d| d.starts_with("remove ")),
        "{done:?}"
    );
    let now: Vec<(String, String)> = subs
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|s| (s.protocol, s.endpoint))
        .collect();
    assert_eq!(now.len(), 3, "alice's sms, bob's new sms and the archive");
    assert!(now.contains(&("sms".into(), "+14155550199".into())));
    assert!(
        !now.iter()
            .any(|(_, e)| e == "+14155550101" || e == "alice@example.com")
    );
    assert_eq!(
        listed(&subs).await,
        vec![
            ("sms".to_owned(), f("alice", "sms")),
            ("sms".to_owned(), f("bob", "sms")),
            ("sqs".to_owned(), None),
        ]
    );
}

/// `people sync` against moto leaves a phone subscribed to every page
/// (the way a team paged before schedules: no filter) as it is: filtering
/// it would silently stop its topic-level pages. The plan says so.
#[tokio::test]
async fn people_sync_leaves_an_unfiltered_phone_alone() {
    let sdk = emulator::sdk().await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name(emulator::unique("paging"))
        .send()
        .await
        .expect("topic")
        .topic_arn
        .expect("arn");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sms")
        .endpoint("+14155550100")
        .send()
        .await
        .expect("every page to alice's phone");
    let subs = SnsSubscriptions::new(sns.clone(), topic.clone());
    let alice = person("alice", "Alice Jones", Some("+14155550100"), None);
    let done: Vec<String> = people_sync::sync(&subs, &[alice], false)
        .await
        .expect("sync")
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(done.len(), 1, "{done:?}");
    assert!(
        done[0].starts_with("alice's sms endpoint is already subscribed without a person filter"),
        "{done:?}"
    );
    assert_eq!(listed(&subs).await, vec![("sms".to_owned(), None)]);
}

/// Nobody on call at the first level: the gap is on the timeline and the
/// next level (a person) fires in the same sweep. An override then changes
/// who the schedule pages, and the SMS link names who answered.
#[tokio::test]
async fn a_gap_fires_the_next_level_and_the_link_names_the_person() {
    let h = Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        settings(policy(
            "{ schedule = \"security-primary\" }, { person = \"priya\", after = \"10m\" }, { audience = \"incident-manager\", after = \"10m\" }",
            false,
        )),
    );
    let priya = person(
        "priya",
        "Priya Raman",
        Some("+4915112345678"),
        Some("priya@example.com"),
    );
    let sam = person("sam", "Sam Okafor", Some("+4915112345679"), None);
    // The rotation starts on Tuesday: nobody is on call on Monday.
    roster(&h, &[priya, sam], rotation(&["sam"], "2026-11-24")).await;

    let id = open(&h, "Auth bypass in the admin API").await;
    let paged = pages(&h, id);
    assert_eq!(paged.len(), 1, "the gap passed at once to the next level");
    let to = paged[0]
        .step
        .as_ref()
        .and_then(|s| s.person.clone())
        .expect("a person");
    assert_eq!((to.person.as_str(), to.schedule), ("priya", None));
    let lines = timeline(&h, id).await;
    assert!(
        lines.iter().any(|m| m == "coverage gap at level 1 of 3, round 1 of 1 (schedule security-primary): nobody is on call for security-primary; the next level fires at once"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|m| m.starts_with("paged Priya Raman: level 2 of 3")),
        "{lines:#?}"
    );

    // Sam covers from now: a new incident pages Sam through the schedule.
    oncall::add_override(
        &h.app,
        oncall::NewOverride {
            schedule: "security-primary".parse_id(),
            person: PersonId::parse("p", "sam").expect("id"),
            start: None,
            end: at(600),
        },
        &klaxon_core::domain::Caller {
            name: "ada".into(),
            role: klaxon_core::domain::Role::Admin,
            tenants: None,
        },
    )
    .await
    .expect("override");
    let second = open(&h, "Auth bypass in the billing API").await;
    let paged = pages(&h, second);
    let to = paged[0]
        .step
        .as_ref()
        .and_then(|s| s.person.clone())
        .expect("a person");
    assert_eq!(to.label(), "Sam Okafor (on call for security-primary)");

    // Notify renders the page with a link per method; Sam answers by SMS.
    notify::on_event(&h.app, &paged[0]).await.expect("notify");
    let sent: Vec<Message> = h.notifier.sent();
    let page = sent.last().expect("a page");
    assert_eq!(page.attr("person"), "sam");
    assert_eq!(page.attr("method"), "sms");
    assert_eq!(
        page.to.as_ref().map(|p| p.methods_label()),
        Some("sms".into())
    );
    let sms_link = page
        .message
        .sms
        .split("Ack: ")
        .nth(1)
        .expect("a link in the SMS")
        .trim()
        .to_owned();
    assert!(
        !page.message.email.contains(&sms_link),
        "the email carries its own link"
    );
    let token = sms_link.rsplit('/').next().expect("token");
    let link = ack_link::open(&h.app, token).await.expect("a valid link");
    let acked = ack_link::acknowledge(&h.app, link).await.expect("ack");
    assert!(acked.changed);
    let lines = timeline(&h, second).await;
    assert!(
        lines.iter().any(|m| m == "acknowledged by Sam Okafor (on call for security-primary) via SMS link; paging stopped"),
        "{lines:#?}"
    );
    tick_at(&h, 30).await;
    assert_eq!(pages(&h, second).len(), 1, "the ack stopped paging");
    assert!(pages(&h, id).len() > 1, "the other, unanswered, went on");
}

/// Handoff notices go to the person taking over `handoff_notice` before
/// their shift, and coverage warnings to the team: each once, however
/// often the sweep runs.
#[tokio::test]
async fn the_sweep_sends_each_roster_notice_once() {
    let h = Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        settings(policy("{ schedule = \"security-primary\" }", true)),
    );
    let alice = person("alice", "Alice Jones", Some("+14155550100"), None);
    let bob = person("bob", "Bob Stone", Some("+14155550101"), None);
    let carl = person("carl", "Carl Chat", None, None);
    roster(
        &h,
        &[alice, bob, carl.clone()],
        rotation(&["alice", "bob"], "2026-11-16"),
    )
    .await;
    // A second schedule starting in three days, with Carl, who has only a chat handle.
    let mut later = rotation(&["carl"], "2026-11-26");
    later.id = klaxon_core::domain::oncall::ScheduleId::parse("s", "nights").expect("id");
    oncall::put_schedule(&h.app, later).await.expect("schedule");

    // Monday 03:00: nothing starts within the hour; the gap and Carl are warned of.
    let first = tick_at(&h, 0).await;
    let sent = h.notifier.sent();
    let kinds: Vec<(&str, &str)> = sent
        .iter()
        .map(|m| (m.attr("kind"), m.audience.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![("coverage", "security-team"), ("coverage", "security-team")],
        "{:#?}",
        sent.iter().map(|m| &m.message.default).collect::<Vec<_>>()
    );
    assert_eq!(first.notices, 2);
    assert!(sent[0].message.default.starts_with("Coverage gap: nobody is on call for nights (UTC) Mon 2026-11-23 03:00 until Thu 2026-11-26 09:00"), "{}", sent[0].message.default);
    assert!(
        sent[1]
            .message
            .default
            .contains("Carl Chat (carl), on call in nights, has no working contact method"),
        "{}",
        sent[1].message.default
    );
    assert!(
        !sent.iter().any(|m| m.message.default.contains("+1415")),
        "no number in a notice"
    );

    // 08:00 to 09:00: Bob is told once, however many sweeps run.
    for min in [300, 301, 330, 359] {
        tick_at(&h, min).await;
    }
    let handoffs: Vec<Message> = h
        .notifier
        .sent()
        .into_iter()
        .filter(|m| m.attr("kind") == "handoff")
        .collect();
    assert_eq!(handoffs.len(), 1, "{handoffs:#?}");
    assert_eq!(handoffs[0].attr("person"), "bob");
    assert_eq!(handoffs[0].attr("method"), "sms");
    assert_eq!(handoffs[0].audience, klaxon_core::policy::PAGING_TOPIC);
    assert_eq!(
        handoffs[0].message.default,
        "You are on call for security-primary from Mon 09:00 UTC until Tue 09:00"
    );
    assert_eq!(h.notifier.sent().len(), 3, "and no warning twice");
}

/// Someone covering by override whose contacts are later removed is
/// warned of, as a person on a rotation is: every page while they cover
/// would otherwise be a coverage gap nobody was told about.
#[tokio::test]
async fn an_override_to_someone_unreachable_is_warned_of() {
    let h = Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        settings(policy("{ schedule = \"security-primary\" }", false)),
    );
    let alice = person("alice", "Alice Jones", Some("+14155550100"), None);
    let bob = person("bob", "Bob Stone", Some("+14155550101"), None);
    let dave = person("dave", "Dave Cover", Some("+14155550102"), None);
    roster(
        &h,
        &[alice, bob, dave],
        rotation(&["alice", "bob"], "2026-11-16"),
    )
    .await;
    let caller = klaxon_core::domain::Caller {
        name: "rita".into(),
        role: klaxon_core::domain::Role::Responder,
        tenants: None,
    };
    oncall::add_override(
        &h.app,
        oncall::NewOverride {
            schedule: "security-primary".parse_id(),
            person: PersonId::parse("person", "dave").expect("id"),
            start: None,
            end: at(0) + Duration::days(2),
        },
        &caller,
    )
    .await
    .expect("override");
    // Dave's number is taken off the roster while he covers.
    oncall::put_person(&h.app, person("dave", "Dave Cover", None, None))
        .await
        .expect("person");
    tick_at(&h, 0).await;
    let warned: Vec<String> = h
        .notifier
        .sent()
        .iter()
        .map(|m| m.message.default.clone())
        .collect();
    assert!(
        warned.iter().any(|m| m.contains(
            "Dave Cover (dave), on call in security-primary, has no working contact method"
        )),
        "{warned:#?}"
    );
}

trait ParseId {
    fn parse_id(&self) -> klaxon_core::domain::oncall::ScheduleId;
}

impl ParseId for str {
    fn parse_id(&self) -> klaxon_core::domain::oncall::ScheduleId {
        klaxon_core::domain::oncall::ScheduleId::parse("schedule", self).expect("id")
    }
}

/// Notification rules against moto: SMS and email at once, SMS again at
/// five minutes unacknowledged. The sweep re-publishes the SMS with
/// `method = sms`, so Priya's SMS subscription gets it and her inbox
/// does not get it twice.
#[tokio::test]
async fn a_rules_later_sms_reaches_only_the_sms_subscription() {
    let stack = Stack::create().await;
    let sns = aws_sdk_sns::Client::new(&stack.sdk);
    let topic = stack.resources.topics[&klaxon_core::policy::PAGING_TOPIC].clone();
    let rule = |m: &str, after: i64| klaxon_core::domain::oncall::RuleInput {
        method: m.into(),
        after_minutes: after,
    };
    let input = PersonInput {
        name: "Priya Raman".into(),
        time_zone: "Europe/Berlin".into(),
        contacts: ContactsInput {
            sms: Some("+4915112345678".into()),
            email: Some("priya@example.com".into()),
            chat: None,
        },
        rules: vec![rule("sms", 0), rule("sms", 5), rule("email", 0)],
    };
    let priya = Person::parse("priya", &input).expect("person");
    let mut inbox = Vec::new();
    for m in [Method::Sms, Method::Email] {
        inbox.push(
            phone(
                &stack,
                &sns,
                &topic,
                m.as_str(),
                filter_policy(&priya.id, m),
            )
            .await,
        );
    }
    let h = Harness::with_settings(
        crate::sqlite_store(),
        RecordingPublisher::default(),
        RecordingNotifier::default(),
        settings(policy(
            "{ schedule = \"security-primary\" }, { audience = \"incident-manager\", after = \"30m\" }",
            false,
        )),
    );
    let sns_app = through_sns(&h, &stack, &sns);
    roster(&h, &[priya], rotation(&["priya"], "2026-11-16")).await;

    let id = open(&h, "Auth bypass in the admin API").await;
    tick_at(&h, 5).await;
    let paged = pages(&h, id);
    assert_eq!(paged.len(), 2, "the page, then the rule's SMS");
    for e in &paged {
        notify::on_event(&sns_app, e).await.expect("notify");
    }
    let sms = stack.receive(&inbox[0], 2).await;
    assert_eq!(
        sms.len(),
        2,
        "the SMS subscription: the page and the later SMS"
    );
    for body in &sms {
        let envelope: Value = serde_json::from_str(body).expect("envelope");
        assert_eq!(attr(&envelope, "method"), "sms");
    }
    let mail = stack.receive(&inbox[1], 1).await;
    assert_eq!(mail.len(), 1, "the inbox: the page once");
    assert!(nothing_in(&stack, &inbox[1]).await, "and no second copy");
    assert!(
        timeline(&h, id).await.iter().any(|m| m
            == "paged Priya Raman (on call for security-primary) again by sms: 5 min unacknowledged (level 1, round 1)"),
        "{:?}",
        timeline(&h, id).await
    );
}
