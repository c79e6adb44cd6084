//! A login half done: the password step is over, the second factor (or the enrolment of
//! one) is not. It is not a session: nothing can be authorized with it.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};

use crate::cache::CacheError;
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;

pub const COOKIE: &str = "gerbang_pending";
/// Long enough to fetch a phone, install an authenticator and scan a QR code.
const TTL: i64 = 15 * 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// `None` when no account matched: the second step is shown all the same.
    pub user_id: Option<String>,
    pub nip: String,
    /// False when the password was wrong: the OTP step then fails whatever is typed, so the
    /// step itself reveals nothing about the password.
    pub password_ok: bool,
    /// The authorization request to continue afterwards (may be empty).
    pub req: String,
}

fn key(hash: &str) -> String {
    format!("pending:{hash}")
}

pub async fn start(state: &AppState, jar: CookieJar, p: &Pending) -> Result<CookieJar, CacheError> {
    let jar = finish(state, jar).await?;
    let value = random_token();
    let json = serde_json::to_string(p).map_err(|e| CacheError(e.to_string()))?;
    state
        .cache
        .set(&key(&sha256_hex(&value)), &json, TTL)
        .await?;
    let cookie = Cookie::build((COOKIE, value))
        .path("/")
        .http_only(true)
        .secure(state.settings.cookies_secure())
        .same_site(SameSite::Lax)
        .build();
    Ok(jar.add(cookie))
}

/// The pending login and a stable id for it (to key enrolment state).
pub async fn load(
    state: &AppState,
    jar: &CookieJar,
) -> Result<Option<(String, Pending)>, CacheError> {
    let Some(c) = jar.get(COOKIE) else {
        return Ok(None);
    };
    let hash = sha256_hex(c.value());
    let raw = state.cache.get(&key(&hash)).await?;
    Ok(raw
        .and_then(|r| serde_json::from_str(&r).ok())
        .map(|p| (hash, p)))
}

pub async fn finish(state: &AppState, jar: CookieJar) -> Result<CookieJar, CacheError> {
    if let Some(c) = jar.get(COOKIE) {
        state.cache.del(&key(&sha256_hex(c.value()))).await?;
    }
    Ok(jar.remove(Cookie::build(COOKIE).path("/")))
}
