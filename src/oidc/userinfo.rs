//! `/userinfo` (OIDC Core §5.3): Bearer access token in, the scope's claims out.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use std::sync::Arc;

use super::claims::user_claims;
use super::tokens::check_access;
use crate::domain::oidc::OAuthErrorCode;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::users::User;

pub async fn get_userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let Some(token) = token else {
        return unauthorized(None);
    };
    let claims = match check_access(&state, token.trim()).await {
        Ok(Some(c)) => c,
        Ok(None) => return unauthorized(Some(OAuthErrorCode::InvalidToken)),
        Err(e) => {
            tracing::error!(error = %e, "userinfo: revocation list unavailable");
            return unavailable();
        }
    };
    if !claims.has_user() {
        return unauthorized(Some(OAuthErrorCode::InvalidToken));
    }
    let user = match find_user(&state, &claims.sub).await {
        Ok(Some(u)) if u.is_active() => u,
        Ok(_) => return unauthorized(Some(OAuthErrorCode::InvalidToken)),
        Err(e) => {
            tracing::error!(error = %e, "userinfo lookup failed");
            return unavailable();
        }
    };
    let mut res = Json(user_claims(&user, &claims.scope)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The user's record, reused for `userinfo_cache_secs`: services that ask on every page
/// view would otherwise cost a database read each time. Introspection shares it: a disabled
/// account stops being `active` within the same `userinfo_cache_secs` everywhere.
pub(super) async fn find_user(
    state: &AppState,
    id: &str,
) -> Result<Option<Arc<User>>, crate::store::StoreError> {
    let now = state.clock.now();
    if let Some(u) = state.userinfo_users.get(&id.to_string(), now) {
        return Ok(Some(u));
    }
    let Some(user) = state.store.find_user(id).await?.map(Arc::new) else {
        return Ok(None);
    };
    // With userinfo_cache_secs = 0 this expires at once and the memo keeps nothing.
    let expires = now + state.settings.userinfo_cache_secs;
    state
        .userinfo_users
        .insert(id.to_string(), user.clone(), expires, now);
    Ok(Some(user))
}

/// An outage (Redis or the database away): 503 with the OAuth error a service knows to
/// retry on, never `invalid_token`, which would make it sign the person out.
fn unavailable() -> Response {
    OAuthError::new(OAuthErrorCode::TemporarilyUnavailable, "try again shortly").into_response()
}

/// RFC 6750 §3: no token → a bare challenge; a bad one → `error="invalid_token"`.
fn unauthorized(error: Option<OAuthErrorCode>) -> Response {
    let challenge = match error {
        Some(e) => format!("Bearer realm=\"gerbang\", error=\"{e}\""),
        None => "Bearer realm=\"gerbang\"".to_string(),
    };
    let mut res = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}
