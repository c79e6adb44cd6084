//! `/revoke` (RFC 7009): a client revokes its own tokens. Always 200 for tokens it does not
//! own or that are unknown, so the endpoint reveals nothing.

use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::request::param;
use crate::domain::refresh_token;
use crate::error::OAuthError;
use crate::state::AppState;

pub async fn post_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Result<Response, OAuthError> {
    let params = super::request::parse_params(&body)?;
    let client = super::client_auth::authenticate(&state, &headers, &params).await?;
    let token =
        param(&params, "token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let now = state.clock.now();
    let live = match refresh_token::parse(token) {
        Some(t) => state.store.find_live_refresh(&t, now).await?,
        None => None,
    };
    if let Some(g) = live {
        if g.client_id == client.id {
            state.store.revoke_family(&g.family_id, now).await?;
        }
    } else if let Some(c) = super::tokens::check_access(&state, token).await?
        && c.client_id == client.id
    {
        super::token::revoke_jti(&state, &c.jti, c.exp).await?;
    }
    Ok(StatusCode::OK.into_response())
}
