//! The store contract, run against both stores.

macro_rules! contract_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                /// The SQLite store passes this contract test.
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    klaxon_tests::contract::$name(crate::sqlite_store()).await;
                }
            )*
        }
        mod dynamo {
            $(
                /// The DynamoDB store, against moto, passes this contract test.
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    klaxon_tests::contract::$name(crate::dynamo_store().await).await;
                }
            )*
        }
    };
}

contract_suite!(
    create_then_get,
    idempotent_create,
    key_reused_with_other_content,
    concurrent_create,
    mixed_concurrent_writes,
    conditional_update,
    stale_update_conflicts,
    update_missing_is_not_found,
    timeline_order,
    query_by_status,
    reference_is_unique,
    outbox_pending_until_published,
    delivery_ledger,
    delivered_only_when_completed,
    superseding_key,
    due_index,
    list_filters,
    list_pages,
    list_cursor_survives_new_incident,
    list_open_first,
    notifications_once_in_order,
    delete_removes_everything,
    delete_missing_is_false,
    delete_refused_after_a_hold,
    concurrent_repeats_counted_once,
    repeats_only_on_open_incidents,
    new_signal_and_bursts,
    monitors_create_read_list_delete,
    monitor_saves_are_conditional,
    monitors_due_index,
    roster_people_and_schedules,
    roster_overrides,
    roster_feeds,
    sessions_by_digest,
);

/// A file-backed SQLite store keeps its data across a reopen (a restart).
#[tokio::test]
async fn sqlite_survives_reopen() {
    use klaxon_core::adapters::sqlite::SqliteIncidentStore;
    use klaxon_core::ports::IncidentStore;
    let dir = tempfile::tempdir().expect("tempdir");
    let new = klaxon_tests::new_incident("durable", Some("k"), klaxon_tests::t0());
    {
        let store = SqliteIncidentStore::open(dir.path()).expect("open");
        store.create(new.clone()).await.expect("create");
    }
    let store = SqliteIncidentStore::open(dir.path()).expect("reopen");
    let got = store
        .get(new.incident.id)
        .await
        .expect("get")
        .expect("present after reopen");
    assert_eq!(got, new.incident);
    assert!(dir.path().join("klaxon.db-wal").exists() || dir.path().join("klaxon.db").exists());
}
