//! The console's sign-in: an API token (the same tokens the API takes)
//! opens a session, of which the store keeps only the id's digest; the id
//! goes to the browser once. The session's caller is then checked by the
//! same role and tenant rules as an API caller's.

use super::App;
use crate::domain::Caller;
use crate::domain::session::{Session, SessionId};
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
    let caller = app
        .settings
        .api_tokens
        .authenticate(token)
        .ok_or(SignInError::UnknownToken)?
        .clone();
    Ok(open(app, caller).await?)
}

/// A new session for a caller another sign-in has recognised.
pub async fn open(app: &App, caller: Caller) -> Result<(SessionId, Session), StoreError> {
    let id = SessionId::random();
    let session = Session::open(caller, app.clock.now());
    app.store.put_session(&id.digest(), &session).await?;
    tracing::info!(caller = %session.caller.name, role = session.caller.role.as_str(), "console session opened");
    Ok((id, session))
}

/// The live session behind `id`, if any. An expired one is removed.
pub async fn current(app: &App, id: &SessionId) -> Result<Option<Session>, StoreError> {
    let digest = id.digest();
    let Some(session) = app.store.session(&digest).await? else {
        return Ok(None);
    };
    if session.live(app.clock.now()) {
        return Ok(Some(session));
    }
    app.store.delete_session(&digest).await?;
    Ok(None)
}

/// Ends the session behind `id`, if there is one.
pub async fn sign_out(app: &App, id: &SessionId) -> Result<(), StoreError> {
    app.store.delete_session(&id.digest()).await
}
