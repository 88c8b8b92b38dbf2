//! The store contract for heartbeat monitors (`HeartbeatStore`): both
//! stores keep them, save them conditionally, and answer the due index with
//! only what is due, apart from the incidents' own.

use super::Dyn;
use crate::{new_incident, t0};
use chrono::Duration;
use klaxon_core::domain::heartbeat::{Monitor, MonitorName, MonitorSpec};
use klaxon_core::domain::{Severity, Source};
use klaxon_core::ports::StoreError;

fn monitor(name: &str, interval_secs: i64) -> Monitor {
    Monitor::new(
        MonitorSpec {
            name: MonitorName::parse(name).expect("name"),
            interval_secs,
            grace_secs: 60,
            severity: Severity::Sev2,
            source: Some(Source::Guardduty),
        },
        t0(),
    )
}

/// A monitor reads back as written; a second create of its name is refused;
/// listing is by name; a delete says whether there was one.
pub async fn monitors_create_read_list_delete(store: Dyn) {
    let a = monitor("scanner", 3600);
    let b = monitor("guardduty", 86_400);
    store.create_monitor(&a).await.expect("create a");
    store.create_monitor(&b).await.expect("create b");
    assert_eq!(
        store.monitor(&a.spec.name).await.expect("get"),
        Some(a.clone())
    );
    assert!(matches!(
        store.create_monitor(&monitor("scanner", 60)).await,
        Err(StoreError::MonitorChanged(_))
    ));
    let names: Vec<_> = store
        .monitors()
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.spec.name.to_string())
        .collect();
    assert_eq!(names, ["guardduty", "scanner"]);
    assert!(store.delete_monitor(&a.spec.name).await.expect("delete"));
    assert!(!store.delete_monitor(&a.spec.name).await.expect("again"));
    assert_eq!(store.monitor(&a.spec.name).await.expect("get"), None);
}

/// A save is conditional on the version read: the stale one is refused,
/// and so is a save of a monitor that is gone.
pub async fn monitor_saves_are_conditional(store: Dyn) {
    let mut m = monitor("scanner", 3600);
    store.create_monitor(&m).await.expect("create");
    m.beat(t0() + Duration::minutes(5));
    let saved = store.save_monitor(&m, 1).await.expect("save at v1");
    assert_eq!(saved.version, 2);
    assert_eq!(
        store.monitor(&m.spec.name).await.expect("get"),
        Some(saved.clone())
    );
    assert!(matches!(
        store.save_monitor(&m, 1).await,
        Err(StoreError::MonitorChanged(_))
    ));
    store.delete_monitor(&m.spec.name).await.expect("delete");
    assert!(matches!(
        store.save_monitor(&saved, 2).await,
        Err(StoreError::MonitorChanged(_))
    ));
}

/// The due index holds each monitor at its due time until it is late, and
/// the incidents' due index never sees a monitor.
pub async fn monitors_due_index(store: Dyn) {
    let hourly = monitor("hourly", 3600);
    let daily = monitor("daily", 86_400);
    store.create_monitor(&hourly).await.expect("create");
    store.create_monitor(&daily).await.expect("create");
    let names = |ms: Vec<Monitor>| -> Vec<String> {
        ms.into_iter().map(|m| m.spec.name.to_string()).collect()
    };
    let (due, _) = store
        .monitors_due(t0() + Duration::minutes(60), 10)
        .await
        .expect("due");
    assert!(due.is_empty(), "within grace: {due:?}");
    let at = t0() + Duration::minutes(61);
    let (due, examined) = store.monitors_due(at, 10).await.expect("due");
    assert_eq!(names(due), ["hourly"]);
    assert!(examined <= 1, "read only what is due: {examined}");
    let (due, _) = store
        .monitors_due(t0() + Duration::days(2), 10)
        .await
        .expect("due");
    assert_eq!(names(due), ["hourly", "daily"], "soonest first");

    // Marked late: out of the index until a beat.
    let mut late = hourly.clone();
    late.late_incident = Some(klaxon_core::domain::IncidentId::new());
    store.save_monitor(&late, 1).await.expect("mark late");
    let (due, _) = store.monitors_due(at, 10).await.expect("due");
    assert!(due.is_empty(), "{due:?}");

    // An incident due at the same time sits beside them, and each index
    // answers with its own kind only.
    let mut n = new_incident("due incident", None, t0());
    n.incident.status = klaxon_core::domain::Status::Triaged;
    n.incident.paging = Some(klaxon_core::domain::Paging {
        round: 1,
        fired: 0,
        next_at: Some(t0() + Duration::minutes(30)),
        reason: klaxon_core::domain::StepReason::Unacknowledged,
        renotify: Vec::new(),
    });
    store.create(n).await.expect("create incident");
    let incidents = store
        .due_before(t0() + Duration::days(2), 10)
        .await
        .expect("due incidents");
    assert_eq!(incidents.items.len(), 1);
    assert!(
        incidents.items.iter().all(Result::is_ok),
        "no monitor read as an incident"
    );
}
