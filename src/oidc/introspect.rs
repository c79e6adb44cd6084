//! `/introspect` (RFC 7662): for authenticated confidential clients (a public client proves
//! nothing, so it is refused); unknown tokens are `active: false`.
//!
//! A client learns about its own tokens only (RFC 7662 §4: the server may restrict who sees
//! what): another client's token — its `client_id`/`aud` or the refresh grant's client is
//! someone else — is `active: false`, as if unknown, so one service cannot read the NIP,
//! session and scopes of people signed in to another. `introspection_any_client = true` lifts
//! this for deployments whose resource servers introspect tokens issued to other clients.

use axum::Json;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::request::param;
use crate::domain::refresh_token;
use crate::error::OAuthError;
use crate::state::AppState;

pub async fn post_introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Result<Response, OAuthError> {
    let params = super::request::parse_params(&body)?;
    let client = super::client_auth::authenticate_confidential(&state, &headers, &params).await?;
    let mine = |client_id: &str, aud: Option<&str>| {
        state.settings.introspection_any_client
            || client_id == client.id
            || aud == Some(client.id.as_str())
    };
    let token =
        param(&params, "token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let hint = param(&params, "token_type_hint");

    let mut body = json!({ "active": false });
    // A revocation list that cannot be read is an outage (503), never `active: false`.
    if hint != Some("refresh_token")
        && let Some(c) = super::tokens::check_access(&state, token).await?
        && mine(&c.client_id, Some(&c.aud))
        && (!c.has_user() || user_is_active(&state, &c.sub).await?)
    {
        body = json!({
            "active": true,
            "token_type": "Bearer",
            "scope": c.scope,
            "client_id": c.client_id,
            "sub": c.sub,
            "aud": c.aud,
            "iss": c.iss,
            "exp": c.exp,
            "iat": c.iat,
            "jti": c.jti,
            "sid": c.sid,
            "acr": c.acr,
            "amr": c.amr,
            "auth_time": c.auth_time,
        });
    }
    if body["active"] == false
        && let Some(t) = refresh_token::parse(token)
        && let Some(g) = state.store.find_live_refresh(&t, state.clock.now()).await?
        && mine(&g.client_id, None)
        && user_is_active(&state, &g.user_id).await?
    {
        body = json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": g.scope,
            "client_id": g.client_id,
            "sub": g.user_id,
            "exp": g.expires_at,
            "sid": g.sid,
        });
    }
    let mut res = Json(body).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// A token of a person who is no longer active (disabled by the helpdesk or the SIASN
/// import) is not active either, though its signature and lifetime are still good.
async fn user_is_active(state: &AppState, user_id: &str) -> Result<bool, OAuthError> {
    Ok(super::userinfo::find_user(state, user_id)
        .await?
        .is_some_and(|u| u.is_active()))
}
