//! `/introspect` (RFC 7662): for authenticated clients; unknown tokens are `active: false`.

use axum::Json;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::param;
use crate::error::OAuthError;
use crate::secrets::sha256_hex;
use crate::state::AppState;

pub async fn post_introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Result<Response, OAuthError> {
    let params = super::parse_params(&body)?;
    super::client_auth::authenticate(&state, &headers, &params).await?;
    let token =
        param(&params, "token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let hint = param(&params, "token_type_hint");

    let mut body = json!({ "active": false });
    if hint != Some("refresh_token")
        && let Ok(c) = super::tokens::verify_access(&state, token).await
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
        && let Some(g) = state
            .store
            .find_live_refresh(&sha256_hex(token), state.clock.now())
            .await?
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
