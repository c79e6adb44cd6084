//! Pushed Authorization Requests (RFC 9126): the service posts its authorization request
//! over an authenticated back channel and sends the browser only an opaque `request_uri`,
//! so parameters cannot be read or altered in the browser.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::request::param;
use crate::cache::{self, CacheError};
use crate::error::OAuthError;
use crate::secrets::random_token;
use crate::state::AppState;

pub const URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// Long enough for a redirect, short enough that a leaked URI is soon worthless.
const TTL: i64 = 60;
/// Client authentication is spent at this endpoint; it never travels with the request.
const AUTH_PARAMS: [&str; 3] = ["client_secret", "client_assertion", "client_assertion_type"];

/// A pushed request's parameters, under the id its `request_uri` carries, for `TTL`.
struct ParEntry;

impl cache::Kind for ParEntry {
    const NS: &'static str = "par";
    type Key<'k> = &'k str;
}
impl cache::Entry for ParEntry {
    type Value = cache::Json<HashMap<String, String>>;
}

pub async fn post_par(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Result<Response, OAuthError> {
    let mut params = super::request::parse_params(&body)?;
    let client = super::client_auth::authenticate(&state, &headers, &params).await?;
    if param(&params, "request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri cannot be pushed (RFC 9126 §2.1)",
        ));
    }
    // A request pushed with Basic authentication may leave client_id out of the body.
    params.insert("client_id".into(), client.id.clone());
    for k in AUTH_PARAMS {
        params.remove(k);
    }
    let redirect_uri = param(&params, "redirect_uri")
        .filter(|r| client.accepts_redirect(r))
        .ok_or_else(|| OAuthError::invalid_request("redirect_uri is not registered"))?;
    super::request::check(&client, redirect_uri, &params)
        .map_err(|(code, desc)| OAuthError::new(code, desc))?;
    let id = random_token();
    state.cache.put::<ParEntry>(&id, &params, TTL).await?;
    let mut res = (
        StatusCode::CREATED,
        Json(json!({ "request_uri": format!("{URN_PREFIX}{id}"), "expires_in": TTL })),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
    Ok(res)
}

/// The parameters `client_id` pushed under `id`, once. Another client's attempt neither
/// gets them nor uses them up.
pub async fn take(
    state: &AppState,
    id: &str,
    client_id: &str,
) -> Result<Option<HashMap<String, String>>, CacheError> {
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    let theirs = |p: &HashMap<String, String>| param(p, "client_id") == Some(client_id);
    if !state
        .cache
        .get::<ParEntry>(id)
        .await?
        .is_some_and(|p| theirs(&p))
    {
        return Ok(None);
    }
    Ok(state.cache.take::<ParEntry>(id).await?.filter(theirs))
}
