//! The store contract for the on-call roster (`RosterStore`): people and
//! schedules read back as written and list by id; overrides are read by
//! schedule, only those still to end, at once after they are added; a feed
//! token's digest opens its owner until a new one replaces it; deletes take
//! what belongs to what they delete.

use super::Dyn;
use crate::t0;
use chrono::Duration;
use klaxon_core::domain::oncall::person::{ContactsInput, PersonInput, RuleInput};
use klaxon_core::domain::oncall::schedule::LayerInput;
use klaxon_core::domain::oncall::{
    FeedDigest, FeedOwner, Override, Person, PersonId, Schedule, ScheduleInput,
};

fn person(id: &str, name: &str) -> Person {
    Person::parse(
        id,
        &PersonInput {
            name: name.into(),
            time_zone: "Europe/Berlin".into(),
            contacts: ContactsInput {
                sms: Some("+4915112345678".into()),
                email: Some(format!("{id}@example.com")),
                chat: None,
            },
            rules: vec![RuleInput {
                method: "sms".into(),
                after_minutes: 0,
            }],
        },
    )
    .expect("person")
}

fn schedule(id: &str, people: &[&str]) -> Schedule {
    Schedule::parse(
        id,
        &ScheduleInput {
            name: format!("{id} rota"),
            time_zone: "Europe/Berlin".into(),
            layers: vec![LayerInput {
                people: people.iter().map(|p| (*p).to_owned()).collect(),
                shift: "1w".into(),
                handoff: "Mon 09:00".into(),
                start: "2026-01-05".into(),
                restrictions: vec!["Mon-Fri 09:00-17:00".into()],
            }],
        },
    )
    .expect("schedule")
}

fn pid(s: &str) -> PersonId {
    PersonId::parse("person", s).expect("id")
}

/// People and schedules read back as written, list by id, are replaced
/// by a second put, and a delete says whether there was one.
pub async fn roster_people_and_schedules(store: Dyn) {
    let (priya, sam) = (person("priya", "Priya Raman"), person("sam", "Sam Okafor"));
    store.put_person(&sam).await.expect("put sam");
    store.put_person(&priya).await.expect("put priya");
    assert_eq!(
        store.person(&priya.id).await.expect("get"),
        Some(priya.clone())
    );
    let ids: Vec<String> = store
        .people()
        .await
        .expect("people")
        .iter()
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(ids, ["priya", "sam"]);
    let renamed = Person {
        name: "Priya R.".into(),
        ..priya.clone()
    };
    store.put_person(&renamed).await.expect("replace");
    assert_eq!(store.person(&priya.id).await.expect("get"), Some(renamed));

    let primary = schedule("security-primary", &["priya", "sam"]);
    let secondary = schedule("security-secondary", &["sam"]);
    store.put_schedule(&secondary).await.expect("put");
    store.put_schedule(&primary).await.expect("put");
    assert_eq!(
        store.schedule(&primary.id).await.expect("get"),
        Some(primary.clone())
    );
    let ids: Vec<String> = store
        .schedules()
        .await
        .expect("schedules")
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(ids, ["security-primary", "security-secondary"]);

    assert!(store.delete_person(&sam.id).await.expect("delete"));
    assert!(!store.delete_person(&sam.id).await.expect("again"));
    assert_eq!(store.person(&sam.id).await.expect("get"), None);
    assert!(store.delete_schedule(&secondary.id).await.expect("delete"));
    assert!(!store.delete_schedule(&secondary.id).await.expect("again"));
    assert_eq!(store.schedules().await.expect("list").len(), 1);
}

/// An override is read straight after it is added (who is on call changes
/// at once), only by its schedule and only until it ends; a delete takes
/// one, and deleting the schedule takes the rest.
pub async fn roster_overrides(store: Dyn) {
    let s = schedule("security-primary", &["priya"]);
    let other = schedule("security-secondary", &["priya"]);
    store.put_schedule(&s).await.expect("put");
    store.put_schedule(&other).await.expect("put");
    let now = t0();
    let mk = |sched: &Schedule, who: &str, from: i64, to: i64| {
        Override::new(
            sched.id.clone(),
            pid(who),
            Some(now + Duration::hours(from)),
            now + Duration::hours(to),
            "test",
            now,
        )
        .expect("override")
    };
    let sick = mk(&s, "sam", 0, 48);
    let later = mk(&s, "alex", 72, 96);
    let elsewhere = mk(&other, "sam", 0, 24);
    store.add_override(&later).await.expect("add");
    store.add_override(&sick).await.expect("add");
    store.add_override(&elsewhere).await.expect("add");

    let got = store.overrides(&s.id, now).await.expect("read");
    assert_eq!(
        got,
        vec![sick.clone(), later.clone()],
        "by start, this schedule's only"
    );
    // Ended ones are not read: at +60 h only the later one is still to end.
    let got = store
        .overrides(&s.id, now + Duration::hours(60))
        .await
        .expect("read");
    assert_eq!(got, vec![later.clone()]);
    // Ending exactly then is over.
    let got = store
        .overrides(&s.id, now + Duration::hours(96))
        .await
        .expect("read");
    assert!(got.is_empty());
    // Who is on call uses them at once.
    let on = s.on_call(
        &store.overrides(&s.id, now).await.expect("read"),
        now + Duration::hours(1),
    );
    assert_eq!(on.person, Some(pid("sam")));

    assert!(store.delete_override(&s.id, sick.id).await.expect("delete"));
    assert!(!store.delete_override(&s.id, sick.id).await.expect("again"));
    assert!(
        !store
            .delete_override(&other.id, later.id)
            .await
            .expect("wrong schedule")
    );
    assert_eq!(
        store.overrides(&s.id, now).await.expect("read"),
        vec![later]
    );

    assert!(store.delete_schedule(&s.id).await.expect("delete"));
    assert!(store.overrides(&s.id, now).await.expect("read").is_empty());
    assert_eq!(
        store.overrides(&other.id, now).await.expect("read"),
        vec![elsewhere]
    );
}

/// A feed's digest opens its owner; a new one replaces it, so the old
/// token opens nothing; deleting the owner closes its feed.
pub async fn roster_feeds(store: Dyn) {
    let priya = person("priya", "Priya Raman");
    let s = schedule("security-primary", &["priya"]);
    store.put_person(&priya).await.expect("put");
    store.put_schedule(&s).await.expect("put");
    let (a, b, c) = (
        FeedDigest::of("first-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        FeedDigest::of("second-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
        FeedDigest::of("person-token-cccccccccccccccccccccccccccccc"),
    );
    let sched = FeedOwner::Schedule(s.id.clone());
    let mine = FeedOwner::Person(priya.id.clone());
    assert_eq!(store.feed(&a).await.expect("none yet"), None);
    store.set_feed(&sched, &a).await.expect("set");
    store.set_feed(&mine, &c).await.expect("set");
    assert_eq!(store.feed(&a).await.expect("read"), Some(sched.clone()));
    store.set_feed(&sched, &b).await.expect("rotate");
    assert_eq!(
        store.feed(&a).await.expect("read"),
        None,
        "the old token still opens it"
    );
    assert_eq!(store.feed(&b).await.expect("read"), Some(sched.clone()));
    assert_eq!(store.feed(&c).await.expect("read"), Some(mine));

    assert!(store.delete_schedule(&s.id).await.expect("delete"));
    assert_eq!(store.feed(&b).await.expect("read"), None);
    assert!(store.delete_person(&priya.id).await.expect("delete"));
    assert_eq!(store.feed(&c).await.expect("read"), None);
}
