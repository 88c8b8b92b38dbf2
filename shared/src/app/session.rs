//! The console's sign-in: an API token (the same tokens the API takes)
//! opens a session, of which the store keeps only the id's digest; the id
//! goes to the browser once. The session's caller is then checked by the
//! same role and tenant rules as an API caller's, and a token session ends
//! as soon as its token is no longer configured as it was.

use super::App;
use crate::domain::Caller;
use crate::domain::session::{Grant, Session, SessionId};
use crate::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The token is not one this deployment knows. What was sent is not kept.
    #[error("that API token is not valid here")]
    UnknownToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs in with an API token: a new session for the token's caller.
pub async fn sign_in(app: &App, token: &str) -> Result<(SessionId, Session), SignInError> {
    let (caller, digest) = app
        .settings
        .api_tokens
        .entry(token)
        .ok_or(SignInError::UnknownToken)?;
    let id = SessionId::random();
    let grant = Grant::Token {
        proof: id.grant_proof(digest),
    };
    Ok(put(app, id, caller.clone(), grant).await?)
}

/// A new session for a caller the OpenID provider has vouched for.
pub async fn open(app: &App, caller: Caller) -> Result<(SessionId, Session), StoreError> {
    put(app, SessionId::random(), caller, Grant::OpenId).await
}

async fn put(
    app: &App,
    id: SessionId,
    caller: Caller,
    grant: Grant,
) -> Result<(SessionId, Session), StoreError> {
    let session = Session::open(caller, grant, app.clock.now());
    app.store.put_session(&id.digest(), &session).await?;
    tracing::info!(caller = %session.caller.name, role = session.caller.role.as_str(), "console session opened");
    Ok((id, session))
}

/// The live session behind `id`, if any. One that has expired, or whose
/// token was removed or changed (another role, name or tenant scope), is
/// removed.
pub async fn current(app: &App, id: &SessionId) -> Result<Option<Session>, StoreError> {
    let digest = id.digest();
    let Some(session) = app.store.session(&digest).await? else {
        return Ok(None);
    };
    if session.live(app.clock.now()) && still_granted(app, id, &session) {
        return Ok(Some(session));
    }
    tracing::info!(caller = %session.caller.name, "console session ended: expired or its token changed");
    app.store.delete_session(&digest).await?;
    Ok(None)
}

fn still_granted(app: &App, id: &SessionId, session: &Session) -> bool {
    match &session.grant {
        Some(Grant::Token { proof }) => app
            .settings
            .api_tokens
            .granting(id, proof)
            .is_some_and(|caller| *caller == session.caller),
        Some(Grant::OpenId) => true,
        None => false,
    }
}

/// Ends the session behind `id`, if there is one.
pub async fn sign_out(app: &App, id: &SessionId) -> Result<(), StoreError> {
    app.store.delete_session(&id.digest()).await
}
