//! OpenID Connect provider endpoints.

pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod client_auth;
pub mod discovery;
pub mod introspect;
pub mod logout;
pub mod par;
pub mod revoke;
pub mod token;
pub mod tokens;
pub mod userinfo;

use axum::Router;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

/// `helpdesk` lets an agency tool call `/api/helpdesk/…` for a user who holds the role.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", "helpdesk"];
/// Scopes that reach staff APIs: granted only to clients the operator marks for them
/// (`allowed_scopes`), and only to people who hold a staff role.
pub const STAFF_SCOPES: [&str; 1] = ["helpdesk"];
/// The roles a staff scope stands on.
pub const STAFF_ROLES: [&str; 2] = ["helpdesk", "admin"];
/// Authentication context classes: password only, and password + second factor.
pub const ACR_PASSWORD: &str = "urn:gerbang:loa:1";
pub const ACR_MFA: &str = "urn:gerbang:loa:2";

pub fn router(settings: &crate::config::Config) -> Router<AppState> {
    let mut token = post(token::post_token);
    if let Some(limit) = crate::web::rate_limit::oauth_layer(settings) {
        token = token.layer(limit);
    }
    // Every anonymous GET or POST stores a pending request for 30 minutes: per-IP, like the
    // pages.
    let mut authorize = get(authorize::get_authorize).post(authorize::post_authorize);
    if let Some(limit) = crate::web::rate_limit::authorize_layer(settings) {
        authorize = authorize.layer(limit);
    }
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::get_discovery),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::get_discovery),
        )
        .route("/jwks", get(discovery::get_jwks))
        .route("/authorize", authorize)
        .route("/token", token)
        .route("/par", post(par::post_par))
        .route(
            "/userinfo",
            get(userinfo::get_userinfo).post(userinfo::get_userinfo),
        )
        .route("/introspect", post(introspect::post_introspect))
        .route("/revoke", post(revoke::post_revoke))
        .route("/logout", get(logout::get_logout).post(logout::post_logout))
}

/// A validated authorization request waiting for the user to sign in (`/login?req=…`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub login_hint: Option<String>,
    /// `prompt=consent`: ask again even when a consent is on record.
    #[serde(default)]
    pub prompt_consent: bool,
    /// The session `/authorize` checked (fresh enough, admitted) before asking for consent:
    /// only that session may answer it. A request saved for the login form has none, so the
    /// consent form cannot stand in for a sign-in (`prompt=login`, `max_age`, a stale session).
    #[serde(default)]
    pub consent_sid: Option<String>,
}

/// What an authorization code stands for, kept in the cache under the code's hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub acr: String,
    pub sid: String,
    /// When the SSO session ends on its own; back-channel logout is owed from then.
    pub session_expires_at: i64,
    pub expires_at: i64,
}

/// Left behind by a redeemed code, so a replay can find and revoke what the code issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedeemedCode {
    pub family_id: Option<String>,
    pub jti: String,
    pub access_expires_at: i64,
}

const AUTHREQ_TTL: i64 = 30 * 60;

pub fn authreq_key(id: &str) -> String {
    format!("authreq:{id}")
}
pub fn code_key(code_hash: &str) -> String {
    format!("code:{code_hash}")
}
pub fn redeemed_key(code_hash: &str) -> String {
    format!("code_used:{code_hash}")
}
pub fn revoked_jti_key(jti: &str) -> String {
    format!("revoked_jti:{jti}")
}

pub async fn save_authreq(
    state: &AppState,
    req: &AuthRequest,
) -> Result<String, crate::cache::CacheError> {
    let id = crate::secrets::random_token();
    let json = serde_json::to_string(req).map_err(|e| crate::cache::CacheError(e.to_string()))?;
    state
        .cache
        .set(&authreq_key(&id), &json, AUTHREQ_TTL)
        .await?;
    Ok(id)
}

pub async fn load_authreq(
    state: &AppState,
    id: &str,
) -> Result<Option<AuthRequest>, crate::cache::CacheError> {
    read_authreq(state, id, false).await
}

/// Reads and removes a pending request in one step: whoever takes it is the only one to
/// answer it, so two racing submissions cannot both mint a code.
pub async fn take_authreq(
    state: &AppState,
    id: &str,
) -> Result<Option<AuthRequest>, crate::cache::CacheError> {
    read_authreq(state, id, true).await
}

async fn read_authreq(
    state: &AppState,
    id: &str,
    take: bool,
) -> Result<Option<AuthRequest>, crate::cache::CacheError> {
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    let key = authreq_key(id);
    let raw = if take {
        state.cache.take(&key).await?
    } else {
        state.cache.get(&key).await?
    };
    Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
}

pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}

/// Why a parameter set was refused before any value was looked at.
#[derive(Debug, PartialEq, Eq)]
pub enum ParamError {
    TooLong,
    /// RFC 6749 §3.1: parameters must not repeat; an ambiguous request is refused.
    Repeated,
}

const MAX_PARAM: usize = 4096;

/// Parses a query string or form body, refusing oversize and repeated parameters.
pub fn parse_params(raw: &[u8]) -> Result<std::collections::HashMap<String, String>, ParamError> {
    let mut params = std::collections::HashMap::new();
    let mut repeated = false;
    for (k, v) in url::form_urlencoded::parse(raw) {
        if k.len() > 64 || v.len() > MAX_PARAM {
            return Err(ParamError::TooLong);
        }
        repeated |= params.insert(k.into_owned(), v.into_owned()).is_some();
    }
    if repeated {
        return Err(ParamError::Repeated);
    }
    Ok(params)
}

/// A parameter's value, with empty treated as absent (RFC 6749 §3.1).
pub fn param<'a>(
    params: &'a std::collections::HashMap<String, String>,
    k: &str,
) -> Option<&'a str> {
    params.get(k).map(String::as_str).filter(|v| !v.is_empty())
}

impl From<ParamError> for crate::error::OAuthError {
    fn from(e: ParamError) -> Self {
        match e {
            ParamError::Repeated => Self::invalid_request("a parameter was repeated"),
            ParamError::TooLong => Self::invalid_request("a parameter is too long"),
        }
    }
}
