//! The store contract: one set of test functions that every `Store`
//! implementation must pass, so SQLite and DynamoDB cannot drift apart.

use crate::{new_incident, t0};
use chrono::Duration;
use klaxon_core::domain::{Change, EventKind, Status, TimelineKind};
use klaxon_core::ports::{Store, StoreError};
use std::collections::HashSet;
use std::sync::Arc;

pub type Dyn = Arc<dyn Store>;

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
    let key = format!("notify#{}#oncall", ulid::Ulid::new());
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

    let other = format!("notify#{}#oncall", ulid::Ulid::new());
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
