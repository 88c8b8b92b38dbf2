//! The store contract for console sessions (`SessionStore`): a session
//! reads back by its id's digest exactly as written, another digest reads
//! as none, a delete ends it (twice is harmless), and the stored record
//! holds neither the id nor anything but the caller and its times.

use super::Dyn;
use crate::t0;
use klaxon_core::domain::session::{Grant, Session, SessionId};
use klaxon_core::domain::{Caller, Role};

/// Put, get, delete by digest; the digest of another id finds nothing.
pub async fn sessions_by_digest(store: Dyn) {
    let id = SessionId::random();
    let session = Session::open(
        Caller {
            name: "carol".into(),
            role: Role::Commander,
            tenants: Some(vec!["acme.example".into(), "globex.example".into()]),
        },
        Grant::Token {
            proof: id.grant_proof(&[7; 32]),
        },
        t0(),
    );
    store
        .put_session(&id.digest(), &session)
        .await
        .expect("put");
    assert_eq!(
        store.session(&id.digest()).await.expect("get"),
        Some(session.clone())
    );
    let other = SessionId::random();
    assert_eq!(store.session(&other.digest()).await.expect("get"), None);

    // A second session for the same caller is its own.
    store
        .put_session(&other.digest(), &session)
        .await
        .expect("put");
    store.delete_session(&id.digest()).await.expect("delete");
    assert_eq!(store.session(&id.digest()).await.expect("get"), None);
    store
        .delete_session(&id.digest())
        .await
        .expect("delete again");
    assert_eq!(
        store.session(&other.digest()).await.expect("get"),
        Some(session)
    );
}
