//! The store contract: one set of test functions that every `Store`
//! implementation must pass, so SQLite and DynamoDB cannot drift apart.

use crate::{new_incident, t0};
use chrono::Duration;
use klaxon_core::domain::{
    Audience, Burst, Change, EventKind, IncidentId, NO_SIGNAL, RepeatSeen, Repeats, SenderKey,
    Severity, Source, Status, TimelineKind,
};
use klaxon_core::ports::{
    Cursor, IncidentQuery, LedgerKey, RepeatCount, SentNotification, Store, StoreError,
};
use std::collections::HashSet;
use std::sync::Arc;

pub type Dyn = Arc<dyn Store>;

#[path = "contract_heartbeats.rs"]
mod heartbeats;
pub use heartbeats::*;

#[path = "contract_roster.rs"]
mod roster;
pub use roster::*;

#[path = "contract_sessions.rs"]
mod sessions;
pub use sessions::*;

/// A created incident reads back exactly as written; an unknown id reads as none.
pub async fn create_then_get(store: Dyn) {
    let new = new_incident("create then get", None, t0());
    let created = store.create(new.clone()).await.expect("create");
    assert!(!created.duplicate);
    let got = store
        .get(new.incident.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got, new.incident);
    let other = klaxon_core::domain::IncidentId::new();
    assert!(store.get(other).await.expect("get").is_none());
}

/// The same idempotency key twice yields the first incident and writes nothing.
pub async fn idempotent_create(store: Dyn) {
    let first = new_incident("first", Some("delivery-1"), t0());
    let second = new_incident("second", Some("delivery-1"), t0());
    let a = store.create(first.clone()).await.expect("first create");
    let b = store.create(second.clone()).await.expect("second create");
    assert!(!a.duplicate);
    assert!(b.duplicate);
    assert_eq!(b.incident.id, first.incident.id);
    assert_eq!(b.incident.title, "first");
    assert!(
        store.get(second.incident.id).await.expect("get").is_none(),
        "the duplicate was stored"
    );
    // Its outbox event was not stored either.
    let pending = store
        .pending_events(t0() + Duration::days(1), 100)
        .await
        .expect("pending");
    assert!(pending.iter().all(|e| e.incident_id != second.incident.id));
}

/// A key bound to its request's content (an `Idempotency-Key`) answers the
/// same content with the first incident, and refuses other content with
/// `KeyReused`, writing nothing. A key without content (a natural key) and a
/// key stored without content match any. Issue 16, finding 9.
pub async fn key_reused_with_other_content(store: Dyn) {
    let bound = |title: &str, body: &[u8]| {
        let mut n = new_incident(title, None, t0());
        n.idempotency_key =
            Some(Source::Report.scoped_key(SenderKey::new("retry-1").for_content(body)));
        n
    };
    let first = bound("first", b"{\"title\":\"first\"}");
    let a = store.create(first.clone()).await.expect("first create");
    assert!(!a.duplicate);

    let again = bound("first again", b"{\"title\":\"first\"}");
    let b = store.create(again.clone()).await.expect("same content");
    assert!(b.duplicate);
    assert_eq!(b.incident.id, first.incident.id);

    let other = bound("other", b"{\"title\":\"other\"}");
    let refused = store.create(other.clone()).await;
    assert!(
        matches!(refused, Err(StoreError::KeyReused)),
        "{:?}",
        refused.map(|c| c.incident.id)
    );
    for id in [again.incident.id, other.incident.id] {
        assert!(store.get(id).await.expect("get").is_none(), "stored");
    }
    let pending = store
        .pending_events(t0() + Duration::days(1), 100)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 1, "only the first incident's event");

    // A lookup ignores content; an unbound key with the same text matches.
    let key = other.idempotency_key.clone().expect("key");
    let found = store.find_by_key(&key).await.expect("find");
    assert_eq!(found.map(|i| i.id), Some(first.incident.id));
    let unbound = new_incident("unbound", Some("retry-1"), t0());
    let c = store.create(unbound).await.expect("unbound");
    assert!(c.duplicate);
    assert_eq!(c.incident.id, first.incident.id);

    // A key first stored without content takes any content.
    let plain = new_incident("plain", Some("retry-2"), t0());
    store.create(plain.clone()).await.expect("plain");
    let mut later = new_incident("later", None, t0());
    later.idempotency_key =
        Some(Source::Report.scoped_key(SenderKey::new("retry-2").for_content(b"anything")));
    let c = store.create(later).await.expect("later");
    assert!(c.duplicate);
    assert_eq!(c.incident.id, plain.incident.id);
}

/// Many concurrent creates with one key yield exactly one incident.
pub async fn concurrent_create(store: Dyn) {
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let n = new_incident(&format!("racer {i}"), Some("same-key"), t0());
                store.create(n).await
            })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut originals = 0;
    for t in tasks {
        let created = t.await.expect("task").expect("create");
        ids.insert(created.incident.id);
        if !created.duplicate {
            originals += 1;
        }
    }
    assert_eq!(
        ids.len(),
        1,
        "concurrent duplicates made {} incidents",
        ids.len()
    );
    assert_eq!(originals, 1, "exactly one create must win");
}

/// Accepted and refused writes in flight together (for SQLite, committed in
/// shared transactions) each get their own answer: every accepted one is
/// stored whole and every refused one leaves nothing behind.
pub async fn mixed_concurrent_writes(store: Dyn) {
    let taken = new_incident("holds the reference", None, t0());
    store.create(taken.clone()).await.expect("create");
    let mut tasks = Vec::new();
    for i in 0..48 {
        let store = Arc::clone(&store);
        let taken = taken.clone();
        tasks.push(tokio::spawn(async move {
            match i % 3 {
                // A fresh incident: stored.
                0 => {
                    let n = new_incident(&format!("fresh {i}"), None, t0());
                    let id = n.incident.id;
                    (i, id, store.create(n).await.map(|_| ()))
                }
                // Its reference is taken: refused.
                1 => {
                    let mut n = new_incident(&format!("clash {i}"), None, t0());
                    n.incident.reference = taken.incident.reference.clone();
                    let id = n.incident.id;
                    (i, id, store.create(n).await.map(|_| ()))
                }
                // A change from version 1 after the incident moved on: refused.
                _ => {
                    let mut stale = Change::begin(&taken.incident, t0());
                    stale.incident.title = format!("stale {i}").into();
                    stale.record("racer", TimelineKind::Note, format!("stale {i}"));
                    let id = taken.incident.id;
                    (i, id, store.commit(stale).await.map(|_| ()))
                }
            }
        }));
    }
    // Moves `taken` to version 2 while the others are in flight.
    let mut winner = Change::begin(&taken.incident, t0());
    winner.move_to("alice", Status::Triaged).expect("legal");
    let winner_result = store.commit(winner).await;
    let mut stale_commits = 0;
    for t in tasks {
        let (i, id, result) = t.await.expect("task");
        let stored = store.get(id).await.expect("get");
        match i % 3 {
            0 => {
                result.expect("a fresh incident is stored");
                assert!(stored.is_some(), "fresh {i} missing");
            }
            1 => {
                assert!(
                    matches!(result, Err(StoreError::ReferenceTaken(_))),
                    "clash {i}: {result:?}"
                );
                assert!(stored.is_none(), "clash {i} stored a partial incident");
            }
            _ => {
                // Each stale commit either ran before the winner (and won, at
                // version 1) or after it (and conflicted); at most one wins.
                match result {
                    Ok(()) => stale_commits += 1,
                    Err(StoreError::Conflict { expected, .. }) => assert_eq!(expected, 1),
                    Err(e) => panic!("stale {i}: {e:?}"),
                }
            }
        }
    }
    assert!(
        stale_commits <= 1,
        "{stale_commits} commits from version 1 won"
    );
    let got = store
        .get(taken.incident.id)
        .await
        .expect("get")
        .expect("present");
    let timeline = store.timeline(taken.incident.id).await.expect("timeline");
    let notes: Vec<_> = timeline.iter().filter(|e| e.actor == "racer").collect();
    assert_eq!(
        notes.len(),
        stale_commits,
        "only a winning change leaves a note"
    );
    if winner_result.is_ok() {
        assert_eq!(got.status, Status::Triaged);
        assert_eq!(stale_commits, 0, "two changes from version 1 both won");
    } else {
        assert_eq!(stale_commits, 1);
    }
    assert_eq!(got.version, 2, "exactly one change from version 1 applied");
}

/// A change derived from the stored version applies and bumps the version.
pub async fn conditional_update(store: Dyn) {
    let new = new_incident("update me", None, t0());
    store.create(new.clone()).await.expect("create");
    let mut ch = Change::begin(&new.incident, t0() + Duration::minutes(1));
    ch.move_to("tester", Status::Triaged).expect("legal move");
    ch.emit(EventKind::IncidentTriaged);
    let stored = store.commit(ch).await.expect("commit");
    assert_eq!(stored.version, 2);
    let got = store
        .get(new.incident.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.status, Status::Triaged);
    assert_eq!(got.version, 2);
}

/// A stale write fails with Conflict and never overwrites the newer state.
pub async fn stale_update_conflicts(store: Dyn) {
    let new = new_incident("contended", None, t0());
    store.create(new.clone()).await.expect("create");
    let mut winner = Change::begin(&new.incident, t0());
    winner.move_to("alice", Status::Triaged).expect("legal");
    winner.record("alice", TimelineKind::Note, "alice was here");
    let mut loser = Change::begin(&new.incident, t0());
    loser.incident.title = "overwritten".into();
    loser.record("bob", TimelineKind::Note, "bob was here");
    store.commit(winner).await.expect("winner commits");
    match store.commit(loser).await {
        Err(StoreError::Conflict { expected, .. }) => assert_eq!(expected, 1),
        other => panic!("stale write must conflict, got {other:?}"),
    }
    let got = store
        .get(new.incident.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.title, "contended");
    assert_eq!(got.status, Status::Triaged);
    let timeline = store.timeline(new.incident.id).await.expect("timeline");
    assert!(
        timeline.iter().all(|e| e.actor != "bob"),
        "the loser's entry was written"
    );
}

/// A change to an incident that does not exist is NotFound, not a create.
pub async fn update_missing_is_not_found(store: Dyn) {
    let ghost = new_incident("ghost", None, t0());
    let ch = Change::begin(&ghost.incident, t0());
    match store.commit(ch).await {
        Err(StoreError::NotFound(id)) => assert_eq!(id, ghost.incident.id),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(store.get(ghost.incident.id).await.expect("get").is_none());
}

/// The timeline reads back in the order it was written, across changes.
pub async fn timeline_order(store: Dyn) {
    let new = new_incident("timeline", None, t0());
    store.create(new.clone()).await.expect("create");
    let mut current = new.incident.clone();
    for round in 0..3 {
        let mut ch = Change::begin(&current, t0() + Duration::minutes(round));
        for n in 0..4 {
            ch.record(
                "tester",
                TimelineKind::Note,
                format!("round {round} note {n}"),
            );
        }
        current = store.commit(ch).await.expect("commit");
    }
    let timeline = store.timeline(new.incident.id).await.expect("timeline");
    let seqs: Vec<u32> = timeline.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..13).collect::<Vec<u32>>());
    assert_eq!(timeline[0].kind, TimelineKind::Created);
    assert_eq!(timeline[12].message, "round 2 note 3");
}

/// Queries by status return that status only, oldest first, up to the limit.
pub async fn query_by_status(store: Dyn) {
    // A status no other test uses, so a shared store does not interfere.
    let mut ids = Vec::new();
    for i in 0..3 {
        let new = new_incident(
            &format!("recovering {i}"),
            None,
            t0() + Duration::seconds(i),
        );
        store.create(new.clone()).await.expect("create");
        let mut ch = Change::begin(&new.incident, t0());
        ch.move_to("t", Status::Triaged).expect("legal");
        ch.move_to("t", Status::Recovering).expect("legal");
        store.commit(ch).await.expect("commit");
        ids.push(new.incident.id);
    }
    store
        .create(new_incident("still reported", None, t0()))
        .await
        .expect("create");
    let got = store
        .list_by_status(Status::Recovering, 10)
        .await
        .expect("list");
    let got_ids: Vec<_> = got.iter().map(|i| i.id).collect();
    assert_eq!(got_ids, ids);
    assert!(got.iter().all(|i| i.status == Status::Recovering));
    let limited = store
        .list_by_status(Status::Recovering, 2)
        .await
        .expect("list");
    assert_eq!(limited.len(), 2);
}

/// A reference already in use is refused, so the caller can draw another.
pub async fn reference_is_unique(store: Dyn) {
    let a = new_incident("a", None, t0());
    let mut b = new_incident("b", None, t0());
    b.incident.reference = a.incident.reference.clone();
    store.create(a).await.expect("create a");
    match store.create(b.clone()).await {
        Err(StoreError::ReferenceTaken(r)) => assert_eq!(r, b.incident.reference.to_string()),
        other => panic!("expected ReferenceTaken, got {other:?}"),
    }
    assert!(store.get(b.incident.id).await.expect("get").is_none());
}

/// Events committed with state are pending until marked published.
pub async fn outbox_pending_until_published(store: Dyn) {
    let new = new_incident("outbox", None, t0());
    let event = new.events[0].clone();
    store.create(new).await.expect("create");
    let later = t0() + Duration::seconds(1);
    let pending = store.pending_events(later, 1000).await.expect("pending");
    assert!(pending.contains(&event), "new event must be pending");
    let before = store.pending_events(t0(), 1000).await.expect("pending");
    assert!(
        !before.contains(&event),
        "events at or after the cutoff are excluded"
    );
    store.mark_published(&event, later).await.expect("mark");
    let pending = store.pending_events(later, 1000).await.expect("pending");
    assert!(
        !pending.contains(&event),
        "published event is still pending"
    );
}

/// A delivery is claimed once; a crashed claim is retaken after its lease;
/// a completed one never is; a released one is free again.
pub async fn delivery_ledger(store: Dyn) {
    let key = LedgerKey::new("notify", &format!("{}#oncall", ulid::Ulid::new()));
    let lease = Duration::minutes(2);
    assert!(store.try_claim(&key, t0(), lease).await.expect("claim"));
    assert!(
        !store
            .try_claim(&key, t0() + Duration::seconds(30), lease)
            .await
            .expect("claim")
    );
    assert!(
        store
            .try_claim(&key, t0() + Duration::minutes(3), lease)
            .await
            .expect("stale claim")
    );
    store
        .complete(&key, t0() + Duration::minutes(3))
        .await
        .expect("complete");
    assert!(
        !store
            .try_claim(&key, t0() + Duration::days(1), lease)
            .await
            .expect("claim after done")
    );

    let other = LedgerKey::new("notify", &format!("{}#oncall", ulid::Ulid::new()));
    assert!(store.try_claim(&other, t0(), lease).await.expect("claim"));
    store.release(&other).await.expect("release");
    assert!(
        store
            .try_claim(&other, t0(), lease)
            .await
            .expect("claim after release")
    );
}

/// A key can be moved from a closed incident to a new one, once: a second
/// mover that still names the old incident gets the first mover's incident.
pub async fn superseding_key(store: Dyn) {
    let old = new_incident("first firing", Some("pd-dedup-1"), t0());
    store.create(old.clone()).await.expect("create");
    let mut next = new_incident("second firing", Some("pd-dedup-1"), t0());
    next.supersedes = Some(old.incident.id);
    let created = store.create(next.clone()).await.expect("supersede");
    assert!(!created.duplicate);
    assert_eq!(created.incident.id, next.incident.id);

    let mut late = new_incident("late mover", Some("pd-dedup-1"), t0());
    late.supersedes = Some(old.incident.id);
    let got = store.create(late.clone()).await.expect("late supersede");
    assert!(got.duplicate, "the key already names the new incident");
    assert_eq!(got.incident.id, next.incident.id);
    assert!(store.get(late.incident.id).await.expect("get").is_none());

    let plain = new_incident("replay", Some("pd-dedup-1"), t0());
    let got = store.create(plain).await.expect("replay");
    assert_eq!(got.incident.id, next.incident.id);
}

/// The due index holds incidents by their next action time (here, a
/// deadline's next alert), and only those: met deadlines and closed
/// incidents leave it.
pub async fn due_index(store: Dyn) {
    use klaxon_core::domain::{Deadline, DeadlineKind};
    let mk = |title: &str, due_min: i64| {
        let mut n = new_incident(title, None, t0());
        let mut d = Deadline::new(
            DeadlineKind::Acknowledge,
            t0(),
            t0() + Duration::minutes(due_min * 2),
        );
        d.next_alert_at = Some(t0() + Duration::minutes(due_min));
        n.incident.deadlines = vec![d];
        n
    };
    let soon = mk("due soon", 10);
    let later = mk("due later", 60);
    let none = new_incident("owes nothing", None, t0());
    for n in [&soon, &later, &none] {
        store.create(n.clone()).await.expect("create");
    }
    let due = |before: chrono::DateTime<chrono::Utc>, limit: usize| {
        let store = std::sync::Arc::clone(&store);
        async move {
            let batch = store.due_before(before, limit).await.expect("due");
            assert_eq!(
                batch.examined,
                batch.items.len() as u64,
                "the index answers without reading anything else"
            );
            batch
                .items
                .into_iter()
                .map(|i| i.expect("readable").id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(due(t0() + Duration::minutes(5), 10).await, vec![]);
    assert_eq!(
        due(t0() + Duration::minutes(10), 10).await,
        vec![soon.incident.id]
    );
    assert_eq!(
        due(t0() + Duration::hours(2), 10).await,
        vec![soon.incident.id, later.incident.id]
    );
    assert_eq!(due(t0() + Duration::hours(2), 1).await.len(), 1);

    // Meeting the deadline takes it out of the index.
    let mut ch = Change::begin(&soon.incident, t0());
    ch.incident.deadlines[0].met_at = Some(t0());
    store.commit(ch).await.expect("commit");
    assert_eq!(
        due(t0() + Duration::hours(2), 10).await,
        vec![later.incident.id]
    );

    // So does closing the incident.
    let mut ch = Change::begin(&later.incident, t0());
    ch.move_to("t", Status::Triaged).expect("legal");
    ch.move_to("t", Status::Resolved).expect("legal");
    ch.move_to("t", Status::Closed).expect("legal");
    store.commit(ch).await.expect("commit");
    assert!(due(t0() + Duration::hours(2), 10).await.is_empty());
}

/// Stores `title` created at `t0() + minutes`, shaped by `shape`, then moved
/// to `status` through a committed change. Returns the stored incident.
async fn stored_incident(
    store: &Dyn,
    title: &str,
    minutes: i64,
    status: Status,
    shape: impl FnOnce(&mut klaxon_core::domain::Incident),
) -> klaxon_core::domain::Incident {
    let mut new = new_incident(title, None, t0() + Duration::minutes(minutes));
    shape(&mut new.incident);
    let created = store.create(new).await.expect("create").incident;
    if status == Status::Reported {
        return created;
    }
    let mut ch = Change::begin(&created, created.created_at);
    ch.move_to("t", Status::Triaged).expect("legal");
    if status != Status::Triaged {
        ch.move_to("t", status).expect("legal");
    }
    store.commit(ch).await.expect("commit")
}

/// Every page of a listing, following `next` until it is none.
async fn all_pages(store: &Dyn, mut query: IncidentQuery) -> Vec<Vec<IncidentId>> {
    let mut pages = Vec::new();
    loop {
        let page = store.list(&query).await.expect("list");
        assert!(
            page.items.len() <= query.limit,
            "a page holds at most limit"
        );
        pages.push(page.items.iter().map(|i| i.id).collect());
        match page.next {
            Some(c) => {
                assert_eq!(
                    Some(c),
                    page.items.last().map(Cursor::of),
                    "next continues after the page's last item"
                );
                query.after = Some(c);
            }
            None => return pages,
        }
        assert!(pages.len() < 100, "the listing never ends");
    }
}

/// Each listing filter narrows by itself and in combination: status,
/// severity, tenant (any letter case; tenant-less incidents match no tenant
/// list), drill, and the `[from, to)` creation window; results are newest
/// first and agree with `IncidentQuery::matches`.
pub async fn list_filters(store: Dyn) {
    use Severity::*;
    const ACME: &str = "acme.atlassian.net";
    let a = stored_incident(&store, "a", 0, Status::Reported, |i| {
        i.severity = Some(Sev1);
    })
    .await;
    let b = stored_incident(&store, "b", 1, Status::Triaged, |i| {
        i.tenant = Some("Globex.atlassian.net".into());
        i.severity = Some(Sev2);
    })
    .await;
    let c = stored_incident(&store, "c", 2, Status::Reported, |i| {
        i.tenant = None;
        i.severity = Some(Sev3);
        i.drill = true;
    })
    .await;
    let d = stored_incident(&store, "d", 3, Status::Investigating, |i| {
        i.tenant = Some("initech.atlassian.net".into());
    })
    .await;
    let e = stored_incident(&store, "e", 4, Status::Reported, |i| {
        i.severity = Some(Sev2);
        i.drill = true;
    })
    .await;
    let all = [&a, &b, &c, &d, &e];
    fn at(m: i64) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(t0() + Duration::minutes(m))
    }
    fn tenants(l: &[&str]) -> Option<Vec<String>> {
        Some(l.iter().map(|t| t.to_string()).collect())
    }
    type Case = (
        &'static str,
        fn(&mut IncidentQuery),
        &'static [&'static str],
    );
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("no filter", |_| {}, &["e", "d", "c", "b", "a"]),
        ("status reported", |q| q.status = Some(Status::Reported), &["e", "c", "a"]),
        ("status triaged", |q| q.status = Some(Status::Triaged), &["b"]),
        ("status investigating", |q| q.status = Some(Status::Investigating), &["d"]),
        ("status closed", |q| q.status = Some(Status::Closed), &[]),
        ("severity 2", |q| q.severity = Some(Sev2), &["e", "b"]),
        ("severity 1", |q| q.severity = Some(Sev1), &["a"]),
        ("severity 4", |q| q.severity = Some(Sev4), &[]),
        ("tenant in other case", |q| q.tenants = tenants(&["ACME.Atlassian.net"]), &["e", "a"]),
        ("tenant stored in other case", |q| q.tenants = tenants(&["globex.atlassian.net"]), &["b"]),
        ("tenant scope of two", |q| q.tenants = tenants(&[ACME, "globex.atlassian.net"]), &["e", "b", "a"]),
        ("unknown tenant", |q| q.tenants = tenants(&["nobody.atlassian.net"]), &[]),
        ("empty tenant scope", |q| q.tenants = tenants(&[]), &[]),
        ("drills", |q| q.drill = Some(true), &["e", "c"]),
        ("not drills", |q| q.drill = Some(false), &["d", "b", "a"]),
        ("from is inclusive", |q| q.from = at(1), &["e", "d", "c", "b"]),
        ("to is exclusive", |q| q.to = at(3), &["c", "b", "a"]),
        ("window", |q| (q.from, q.to) = (at(1), at(3)), &["c", "b"]),
        ("empty window", |q| (q.from, q.to) = (at(3), at(3)), &[]),
        ("after everything", |q| q.from = at(5), &[]),
        ("status and window", |q| (q.status, q.from, q.to) = (Some(Status::Reported), at(1), at(5)), &["e", "c"]),
        ("tenant and severity", |q| (q.tenants, q.severity) = (tenants(&[ACME]), Some(Sev2)), &["e"]),
        ("tenant and not drill", |q| (q.tenants, q.drill) = (tenants(&[ACME]), Some(false)), &["a"]),
        ("limit", |q| q.limit = 2, &["e", "d"]),
    ];
    for (name, narrow, want) in cases {
        let mut query = IncidentQuery::default();
        narrow(&mut query);
        let page = store.list(&query).await.expect("list");
        let got: Vec<&str> = page.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(&got, want, "{name}");
        let by_matches: Vec<&str> = all
            .iter()
            .rev()
            .filter(|i| query.matches(i))
            .take(query.limit)
            .map(|i| i.title.as_str())
            .collect();
        assert_eq!(
            got, by_matches,
            "{name}: agrees with IncidentQuery::matches"
        );
        for item in &page.items {
            let stored = all.iter().find(|i| i.id == item.id).expect("one of ours");
            assert_eq!(item, *stored, "{name}: reads back as stored");
        }
    }
}

/// Seven incidents, some sharing a creation time, list 3 + 3 + 1 newest
/// first by `(created_at, id)`: every one exactly once, and no `next` after
/// the last page. With a filter the index cannot apply, pages still fill.
pub async fn list_pages(store: Dyn) {
    let mut made = Vec::new();
    for n in 0..7 {
        // Pairs share a timestamp, so the id breaks the tie.
        let i = stored_incident(&store, &format!("page {n}"), n / 2, Status::Reported, |i| {
            i.drill = n % 2 == 0;
        })
        .await;
        made.push(i);
    }
    // Interleaved incidents that the drill filter below must skip.
    for n in 0..6 {
        stored_incident(&store, &format!("real {n}"), n, Status::Reported, |i| {
            i.drill = false;
            i.tenant = None;
        })
        .await;
    }
    made.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.id)));
    let every: Vec<IncidentId> = made.iter().map(|i| i.id).collect();

    let scoped = IncidentQuery {
        tenants: Some(vec!["acme.atlassian.net".into()]),
        limit: 3,
        ..IncidentQuery::default()
    };
    let pages = all_pages(&store, scoped).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(
        pages.concat(),
        every,
        "no duplicates, no gaps, newest first"
    );

    // A lower time bound too: the cursor is then one end of a range.
    let drills = IncidentQuery {
        drill: Some(true),
        from: Some(t0()),
        limit: 2,
        ..IncidentQuery::default()
    };
    let pages = all_pages(&store, drills).await;
    let want: Vec<IncidentId> = made.iter().filter(|i| i.drill).map(|i| i.id).collect();
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2]);
    assert_eq!(pages.concat(), want);

    // Unfiltered, all thirteen.
    let pages = all_pages(
        &store,
        IncidentQuery {
            limit: 5,
            ..IncidentQuery::default()
        },
    )
    .await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![5, 5, 3]
    );
    let unique: HashSet<IncidentId> = pages.concat().into_iter().collect();
    assert_eq!(unique.len(), 13);

    // A page that ends on the last item may say more could follow; if it
    // does, the page after it is empty and final.
    let whole = IncidentQuery {
        tenants: Some(vec!["acme.atlassian.net".into()]),
        limit: 7,
        ..IncidentQuery::default()
    };
    let pages = all_pages(&store, whole).await;
    assert_eq!(pages[0], every);
    assert!(pages.len() == 1 || (pages.len() == 2 && pages[1].is_empty()));
}

/// A cursor stays valid while incidents arrive: later pages continue where
/// the last one ended, and a new incident shows up only in a fresh listing.
pub async fn list_cursor_survives_new_incident(store: Dyn) {
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(stored_incident(&store, &format!("old {n}"), n, Status::Reported, |_| {}).await);
    }
    let ids =
        |items: &[klaxon_core::domain::Incident]| items.iter().map(|i| i.id).collect::<Vec<_>>();
    let mut query = IncidentQuery {
        limit: 2,
        ..IncidentQuery::default()
    };
    let first = store.list(&query).await.expect("list");
    assert_eq!(ids(&first.items), vec![made[4].id, made[3].id]);

    let newer = stored_incident(
        &store,
        "arrived between pages",
        10,
        Status::Reported,
        |_| {},
    )
    .await;
    query.after = first.next;
    let second = store.list(&query).await.expect("list");
    assert_eq!(ids(&second.items), vec![made[2].id, made[1].id]);
    query.after = second.next;
    let third = store.list(&query).await.expect("list");
    assert_eq!(ids(&third.items), vec![made[0].id]);
    assert!(third.next.is_none());

    // The cursor survives an encode/decode round trip, as the API hands it out.
    let cursor = first.next.expect("more after the first page");
    assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));

    let fresh = store
        .list(&IncidentQuery {
            limit: 2,
            ..IncidentQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(ids(&fresh.items), vec![newer.id, made[4].id]);
}

fn sent(incident: IncidentId, key: &str, minutes: i64, subject: &str) -> SentNotification {
    SentNotification {
        incident_id: incident,
        key: key.into(),
        at: t0() + Duration::minutes(minutes),
        event: EventKind::ReportReceived,
        audience: Audience::OncallPrimary,
        kind: "page".into(),
        subject: subject.into(),
    }
}

/// A notification is kept once however often it is recorded (the first
/// record stands); they read back oldest first, then by key, per incident;
/// an incident that does not exist keeps none.
pub async fn notifications_once_in_order(store: Dyn) {
    let inc = stored_incident(&store, "notified", 0, Status::Reported, |_| {}).await;
    let other = stored_incident(&store, "bystander", 0, Status::Reported, |_| {}).await;
    let late_b = sent(inc.id, "b", 2, "late b");
    let early = sent(inc.id, "z", 1, "early z");
    let late_a = sent(inc.id, "a", 2, "late a");
    for n in [&late_b, &early, &late_a] {
        store.record_notification(n).await.expect("record");
    }
    // A redelivery records the same key again.
    store
        .record_notification(&sent(inc.id, "b", 9, "redelivered b"))
        .await
        .expect("record again");
    store
        .record_notification(&sent(other.id, "b", 0, "other incident"))
        .await
        .expect("record other");

    let got = store.notifications(inc.id).await.expect("notifications");
    assert_eq!(got, vec![early, late_a, late_b]);
    assert_eq!(
        store
            .notifications(other.id)
            .await
            .expect("notifications")
            .len(),
        1
    );

    let ghost = IncidentId::new();
    match store
        .record_notification(&sent(ghost, "x", 0, "ghost"))
        .await
    {
        Err(StoreError::NotFound(id)) => assert_eq!(id, ghost),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(
        store
            .notifications(ghost)
            .await
            .expect("notifications")
            .is_empty()
    );
}

/// Delete removes the incident and all it kept: reference, idempotency key,
/// timeline, outbox events and notifications. The key is free again, a key
/// that moved on to a newer incident keeps naming it, other incidents are
/// untouched, and a second delete finds nothing.
pub async fn delete_removes_everything(store: Dyn) {
    let new = new_incident("delete me", Some("delete-key"), t0());
    let key = new.idempotency_key.clone().expect("scoped key");
    let inc = store.create(new).await.expect("create").incident;
    let mut ch = Change::begin(&inc, t0() + Duration::minutes(1));
    ch.move_to("t", Status::Triaged).expect("legal");
    ch.emit(EventKind::IncidentTriaged);
    ch.record("t", TimelineKind::Note, "a note");
    store.commit(ch).await.expect("commit");
    store
        .record_notification(&sent(inc.id, "page-1", 1, "page"))
        .await
        .expect("record");

    // An older incident whose key moved on to a newer one.
    let moved = new_incident("first firing", Some("moved-key"), t0());
    store.create(moved.clone()).await.expect("create");
    let mut next = new_incident("second firing", Some("moved-key"), t0());
    next.supersedes = Some(moved.incident.id);
    store.create(next.clone()).await.expect("supersede");

    let v = store
        .get(inc.id)
        .await
        .expect("get")
        .expect("present")
        .version;
    let moved_v = moved.incident.version;
    assert!(store.delete(inc.id, v).await.expect("delete"));
    assert!(
        store
            .delete(moved.incident.id, moved_v)
            .await
            .expect("delete")
    );

    assert!(store.get(inc.id).await.expect("get").is_none());
    assert!(
        store
            .find_by_reference(inc.reference.as_str())
            .await
            .expect("find")
            .is_none()
    );
    assert!(store.find_by_key(&key).await.expect("find").is_none());
    assert!(store.timeline(inc.id).await.expect("timeline").is_empty());
    assert!(
        store
            .notifications(inc.id)
            .await
            .expect("notifications")
            .is_empty()
    );
    let pending = store
        .pending_events(t0() + Duration::days(1), 1000)
        .await
        .expect("pending");
    assert!(
        pending
            .iter()
            .all(|e| e.incident_id != inc.id && e.incident_id != moved.incident.id)
    );
    let listed = store.list(&IncidentQuery::default()).await.expect("list");
    assert_eq!(
        listed.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![next.incident.id]
    );

    // The moved key and its incident are untouched.
    let kept = store
        .find_by_key(next.idempotency_key.as_ref().expect("key"))
        .await;
    assert_eq!(kept.expect("find").map(|i| i.id), Some(next.incident.id));
    assert!(
        !store
            .timeline(next.incident.id)
            .await
            .expect("timeline")
            .is_empty()
    );

    // The deleted incident's key is free: a new create is not a duplicate.
    let again = new_incident("delete me again", Some("delete-key"), t0());
    let created = store.create(again.clone()).await.expect("create");
    assert!(!created.duplicate);
    assert_eq!(created.incident.id, again.incident.id);

    assert!(!store.delete(inc.id, v).await.expect("second delete"));
}

/// Deleting an id that was never stored reports false and changes nothing.
pub async fn delete_missing_is_false(store: Dyn) {
    let kept = stored_incident(&store, "kept", 0, Status::Reported, |_| {}).await;
    assert!(!store.delete(IncidentId::new(), 1).await.expect("delete"));
    assert_eq!(store.get(kept.id).await.expect("get"), Some(kept));
}

/// A delete is conditional on the version its caller read: a legal hold
/// placed after that read (the retention sweep's race) makes the store
/// refuse, and the record survives whole, with its timeline, reference,
/// key and outbox events. At the new version the delete goes through.
pub async fn delete_refused_after_a_hold(store: Dyn) {
    let new = new_incident("held", Some("held-key"), t0());
    let key = new.idempotency_key.clone().expect("scoped key");
    let created = store.create(new).await.expect("create").incident;
    let mut ch = Change::begin(&created, t0() + Duration::minutes(1));
    ch.move_to("t", Status::Triaged).expect("legal");
    ch.emit(EventKind::IncidentTriaged);
    let read = store.commit(ch).await.expect("commit");

    // The sweep has read `read` and decided to purge; a hold lands first.
    let mut hold = Change::begin(&read, t0() + Duration::minutes(2));
    hold.incident.legal_hold = Some(klaxon_core::domain::LegalHold {
        reason: "LH-7".into(),
        by: "counsel".into(),
        at: t0() + Duration::minutes(2),
    });
    hold.record(
        "counsel",
        TimelineKind::Retention,
        "legal hold placed: LH-7",
    );
    let held = store.commit(hold).await.expect("hold");
    let timeline = store.timeline(read.id).await.expect("timeline");

    match store.delete(read.id, read.version).await {
        Err(StoreError::Conflict { id, expected }) => {
            assert_eq!((id, expected), (read.id, read.version));
        }
        other => panic!("a delete at the version before the hold must conflict, got {other:?}"),
    }
    assert_eq!(store.get(read.id).await.expect("get"), Some(held.clone()));
    assert_eq!(
        store.timeline(read.id).await.expect("timeline"),
        timeline,
        "the refused delete removed part of the timeline"
    );
    assert_eq!(
        store
            .find_by_reference(read.reference.as_str())
            .await
            .expect("find")
            .map(|i| i.id),
        Some(read.id)
    );
    assert_eq!(
        store.find_by_key(&key).await.expect("find").map(|i| i.id),
        Some(read.id)
    );
    let pending = store
        .pending_events(t0() + Duration::days(1), 1000)
        .await
        .expect("pending");
    assert!(pending.iter().any(|e| e.incident_id == read.id));

    // Deciding again on what is there now: the delete goes through.
    assert!(store.delete(read.id, held.version).await.expect("delete"));
    assert!(store.get(read.id).await.expect("get").is_none());
}

/// A claim is not a delivery until it is completed.
pub async fn delivered_only_when_completed(store: Dyn) {
    let now = t0();
    let key = LedgerKey::new("k", &ulid::Ulid::new().to_string());
    assert!(!store.delivered(&key).await.expect("unknown"));
    assert!(
        store
            .try_claim(&key, now, Duration::seconds(60))
            .await
            .expect("claim")
    );
    assert!(
        !store.delivered(&key).await.expect("claimed"),
        "claimed is not delivered"
    );
    store.complete(&key, now).await.expect("complete");
    assert!(store.delivered(&key).await.expect("done"));
}

/// A natural key's counter, opened on an open incident.
async fn opened(
    store: &Dyn,
    title: &str,
    key: &str,
) -> (klaxon_core::domain::Incident, RepeatSeen) {
    let new = new_incident(title, Some(key), t0());
    let seen = RepeatSeen {
        key: new.idempotency_key.clone().expect("scoped key"),
        incident: None,
        at: t0() + Duration::minutes(1),
        rank: NO_SIGNAL,
        sample: "disk 91% on web-1".into(),
    };
    let incident = store.create(new).await.expect("create").incident;
    store
        .open_repeats(&Repeats::open(&incident, 3, t0() + Duration::minutes(1)))
        .await
        .expect("open");
    (incident, seen)
}

/// Many repeats of one key at once, from many callers: every one is
/// counted exactly once (none lost, none twice), none is refused, and the
/// incident's record and version are never rewritten. Single reads of the
/// incident carry the count.
pub async fn concurrent_repeats_counted_once(store: Dyn) {
    let (incident, seen) = opened(&store, "flapping monitor", "pd-storm-1").await;
    const CALLERS: usize = 16;
    const EACH: usize = 25;
    let tasks: Vec<_> = (0..CALLERS)
        .map(|c| {
            let store = Arc::clone(&store);
            let mut seen = seen.clone();
            tokio::spawn(async move {
                let mut before = Vec::new();
                for i in 0..EACH {
                    seen.at =
                        t0() + Duration::minutes(1) + Duration::milliseconds((c * EACH + i) as i64);
                    match store.count_repeat(&seen).await.expect("count") {
                        RepeatCount::Counted(r) => before.push(r.occurrences),
                        other => panic!("repeat refused: {other:?}"),
                    }
                }
                before
            })
        })
        .collect();
    let mut seen_before = HashSet::new();
    for t in tasks {
        for n in t.await.expect("task") {
            // Each repeat saw a different count before it: none shared a slot.
            assert!(seen_before.insert(n), "two repeats counted as number {n}");
        }
    }
    let total = (CALLERS * EACH) as u32;
    assert_eq!(seen_before, (1..=total).collect::<HashSet<_>>());
    let counter = store
        .repeats(incident.id)
        .await
        .expect("read")
        .expect("counter");
    assert_eq!(counter.occurrences, 1 + total);
    assert_eq!(counter.incident_id, incident.id);
    assert_eq!(counter.reference, incident.reference);
    assert_eq!(counter.first_seen, t0() + Duration::minutes(1));
    assert!(counter.last_seen > counter.first_seen);
    assert_eq!(counter.sample.as_deref(), Some("disk 91% on web-1"));
    let got = store.get(incident.id).await.expect("get").expect("present");
    assert_eq!(got.occurrences, 1 + total);
    assert_eq!(
        got.version, incident.version,
        "a repeat rewrote the incident"
    );
    let by_key = store
        .find_by_key(&seen.key)
        .await
        .expect("find")
        .expect("present");
    assert_eq!(by_key.occurrences, 1 + total);
    let by_ref = store
        .find_by_reference(incident.reference.as_str())
        .await
        .expect("find")
        .expect("present");
    assert_eq!(by_ref.occurrences, 1 + total);
    assert!(store.timeline(incident.id).await.expect("timeline").len() <= 2);
}

/// A repeat is counted only on an open incident with an open counter: an
/// unknown key, a key without a counter, and a resolved incident count
/// nothing. Opening twice keeps the first counter.
pub async fn repeats_only_on_open_incidents(store: Dyn) {
    let unknown = RepeatSeen {
        key: Source::Report.scoped_key(SenderKey::new("never-seen")),
        incident: None,
        at: t0(),
        rank: NO_SIGNAL,
        sample: "x".into(),
    };
    assert_eq!(
        store.count_repeat(&unknown).await.expect("count"),
        RepeatCount::Unknown
    );
    let unopened = new_incident("no counter yet", Some("pd-unopened"), t0());
    let seen = RepeatSeen {
        key: unopened.idempotency_key.clone().expect("key"),
        ..unknown.clone()
    };
    let inc = store.create(unopened).await.expect("create").incident;
    assert_eq!(
        store.count_repeat(&seen).await.expect("count"),
        RepeatCount::Unknown
    );
    assert!(store.repeats(inc.id).await.expect("read").is_none());

    let (incident, mut seen) = opened(&store, "resolves later", "pd-resolves").await;
    // Opened again (a second first repeat): the first counter stands.
    let mut again = Repeats::open(&incident, 1, t0() + Duration::hours(1));
    again.occurrences = 99;
    store.open_repeats(&again).await.expect("open again");
    // The hint is only a hint: the key still finds its incident.
    seen.incident = Some(incident.id);
    assert!(
        matches!(store.count_repeat(&seen).await.expect("count"), RepeatCount::Counted(r) if r.occurrences == 1 && r.rank == 3)
    );
    let mut ch = Change::begin(&incident, t0() + Duration::minutes(2));
    ch.incident.status = Status::Resolved;
    store.commit(ch).await.expect("resolve");
    for hint in [None, Some(incident.id)] {
        seen.incident = hint;
        assert_eq!(
            store.count_repeat(&seen).await.expect("count"),
            RepeatCount::Unknown
        );
    }
    let counter = store
        .repeats(incident.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(counter.occurrences, 2);
    assert_eq!(
        store
            .get(incident.id)
            .await
            .expect("get")
            .expect("present")
            .occurrences,
        2
    );
    // Deleting the incident takes its counter with it.
    let v = store
        .get(incident.id)
        .await
        .expect("get")
        .expect("present")
        .version;
    assert!(store.delete(incident.id, v).await.expect("delete"));
    assert!(store.repeats(incident.id).await.expect("read").is_none());
}

/// A repeat more severe than the counter's rank is not counted but
/// answered with the counter as it is; once a new burst starts at its rank,
/// it counts. A burst starts once: a second caller with the same view of
/// it is refused.
pub async fn new_signal_and_bursts(store: Dyn) {
    let (incident, mut seen) = opened(&store, "escalating alert", "pd-signal").await;
    assert!(matches!(
        store.count_repeat(&seen).await.expect("count"),
        RepeatCount::Counted(_)
    ));
    seen.rank = 1;
    let current = match store.count_repeat(&seen).await.expect("count") {
        RepeatCount::NewSignal(r) => r,
        other => panic!("a more severe repeat was not held back: {other:?}"),
    };
    assert_eq!((current.occurrences, current.rank), (2, 3));
    let next = Burst {
        start: t0() + Duration::minutes(9),
        base: current.occurrences,
    };
    assert!(
        store
            .next_burst(incident.id, &current.burst, &next, 1)
            .await
            .expect("next")
    );
    assert!(
        !store
            .next_burst(incident.id, &current.burst, &next, 1)
            .await
            .expect("again")
    );
    match store.count_repeat(&seen).await.expect("count") {
        RepeatCount::Counted(r) => {
            assert_eq!((r.occurrences, r.rank, r.burst), (2, 1, next));
        }
        other => panic!("not counted after the new burst: {other:?}"),
    }
    // Less severe than the rank now: counted without a fuss.
    seen.rank = 4;
    assert!(
        matches!(store.count_repeat(&seen).await.expect("count"), RepeatCount::Counted(r) if r.occurrences == 3)
    );
    let counter = store
        .repeats(incident.id)
        .await
        .expect("read")
        .expect("counter");
    assert_eq!((counter.occurrences, counter.in_burst()), (4, 2));
}

/// Open incidents come first across every page, not only within one: the
/// store's `open` filter gives each half newest first, and the open-first
/// listing pages through the open half, then the resolved and closed one,
/// each incident exactly once, with any other filter still applied.
pub async fn list_open_first(store: Dyn) {
    use klaxon_core::app::listing::{ListCursor, open_first};
    // Newest first by creation: closed and open interleaved, so a listing
    // by time alone would put closed ones on the first page.
    let statuses = [
        Status::Investigating,
        Status::Resolved,
        Status::Reported,
        Status::Resolved,
        Status::Triaged,
        Status::Resolved,
        Status::Contained,
    ];
    let mut made = Vec::new();
    for (n, st) in statuses.into_iter().enumerate() {
        let i = stored_incident(&store, &format!("n{n}"), n as i64, st, |i| {
            i.drill = n == 5;
        })
        .await;
        made.push(i);
    }
    // One closed, through resolved.
    let mut ch = Change::begin(&made[3], made[3].created_at);
    ch.move_to("t", Status::Closed).expect("legal");
    made[3] = store.commit(ch).await.expect("commit");
    let titles = |items: &[klaxon_core::domain::Incident]| {
        items
            .iter()
            .map(|i| i.title.to_string())
            .collect::<Vec<String>>()
    };

    let open = store
        .list(&IncidentQuery {
            open: Some(true),
            ..IncidentQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(titles(&open.items), ["n6", "n4", "n2", "n0"], "open half");
    let shut = store
        .list(&IncidentQuery {
            open: Some(false),
            ..IncidentQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(titles(&shut.items), ["n5", "n3", "n1"], "closed half");
    let none = store
        .list(&IncidentQuery {
            open: Some(false),
            status: Some(Status::Triaged),
            ..IncidentQuery::default()
        })
        .await
        .expect("list");
    assert!(none.items.is_empty(), "an open status in the closed half");

    type Case = (
        &'static str,
        usize,
        Option<bool>,
        &'static [&'static [&'static str]],
    );
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("pages of 3", 3, None, &[&["n6", "n4", "n2"], &["n0", "n5", "n3"], &["n1"]]),
        // The open half ends a page exactly: the next page starts the closed half.
        ("pages of 2", 2, None, &[&["n6", "n4"], &["n2", "n0"], &["n5", "n3"], &["n1"]]),
        ("one page", 50, None, &[&["n6", "n4", "n2", "n0", "n5", "n3", "n1"]]),
        ("not drills", 2, Some(false), &[&["n6", "n4"], &["n2", "n0"], &["n3", "n1"]]),
    ];
    for (name, limit, drill, want) in cases {
        let q = IncidentQuery {
            limit: *limit,
            drill: *drill,
            ..IncidentQuery::default()
        };
        let mut pages: Vec<Vec<String>> = Vec::new();
        let mut at: Option<ListCursor> = None;
        loop {
            let page = open_first(store.as_ref(), &q, at).await.expect("list");
            assert!(page.items.len() <= *limit, "{name}: at most limit");
            if !page.items.is_empty() {
                pages.push(titles(&page.items));
            }
            match page.next {
                // As the API hands it out.
                Some(c) => at = Some(ListCursor::decode(&c.encode()).expect("round trip")),
                None => break,
            }
            assert!(pages.len() < 20, "{name}: the listing never ends");
        }
        let want: Vec<Vec<String>> = want
            .iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect();
        assert_eq!(pages, want, "{name}");
    }
}
