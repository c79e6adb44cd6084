//! The signed-in person as handlers see them: an SSO session that passed the second factor,
//! and the account behind it as it is now. The account decides, not the session: a session
//! may outlive a disable made elsewhere (the import runs in another process), and one from
//! before a re-enable or an "end everything" never counts again.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use super::session::{self, SsoSession};
use crate::domain::oidc::ACR_MFA;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::users::User;

/// What the account says of a session.
pub enum Standing {
    /// Active, and the session is from after its last disable or "end everything".
    Holds(User),
    /// Active or not, the session predates what the account now says (re-enable, ended).
    Stale,
    /// The session would count, but the account is not active (the disabled page).
    Disabled(User),
    /// No such account any more.
    Gone,
}

/// The one check of a session against its account, wherever a session is used.
pub async fn standing(state: &AppState, s: &SsoSession) -> Result<Standing, StoreError> {
    Ok(match state.store.find_user(&s.user_id).await? {
        None => Standing::Gone,
        Some(u) if !u.admits_session(s.auth_time) => Standing::Stale,
        Some(u) if !u.is_active() => Standing::Disabled(u),
        Some(u) => Standing::Holds(u),
    })
}

/// Signed in with the second factor, on an account that holds the session. As an
/// extractor, anyone else is sent to `/login`.
pub struct SignedIn {
    pub sso: SsoSession,
    pub user: User,
}

impl SignedIn {
    /// The browser's signed-in person, if any.
    pub async fn load(state: &AppState, jar: &CookieJar) -> Result<Option<SignedIn>, AppError> {
        let Some(sso) = session::current(state, jar)
            .await?
            .filter(|s| s.acr == ACR_MFA)
        else {
            return Ok(None);
        };
        Ok(match standing(state, &sso).await? {
            Standing::Holds(user) => Some(SignedIn { sso, user }),
            _ => None,
        })
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        match SignedIn::load(state, &jar).await {
            Ok(Some(me)) => Ok(me),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}
