//! SSO sessions: a random cookie value names a record in the cache (stored under its
//! SHA-256, so a cache dump holds no usable cookie). The record's `sid` is what tokens carry;
//! it is never the cookie value.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::{Deserialize, Serialize};

use crate::cache::{self, CacheError};
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;

pub const COOKIE: &str = "gerbang_session";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoSession {
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub acr: String,
    /// When this session last proved a TOTP code (login or step-up); `None` after a
    /// recovery-code login. Staff pages want it fresh, whatever `auth_time` says.
    #[serde(default)]
    pub mfa_at: Option<i64>,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A session, under the SHA-256 of its cookie value, until it ends.
pub struct SessionEntry;

impl cache::Kind for SessionEntry {
    const NS: &'static str = "sso";
    type Key<'k> = &'k str;
}
impl cache::Entry for SessionEntry {
    type Value = cache::Json<SsoSession>;
}

/// The cookie hash of the session that carries a `sid`, for the session's life.
struct SidIndex;

impl cache::Kind for SidIndex {
    const NS: &'static str = "sso_sid";
    type Key<'k> = &'k str;
}
impl cache::Entry for SidIndex {
    type Value = cache::Text;
}

/// The cookie hashes of a person's sessions, under the user id, as long as the newest.
struct UserSessions;

impl cache::Kind for UserSessions {
    const NS: &'static str = "sso_user";
    type Key<'k> = &'k str;
}
impl cache::Set for UserSessions {}

/// Wrong proofs given by a session on the account pages, under its `sid`, for its life.
struct SessionGuesses;

impl cache::Kind for SessionGuesses {
    const NS: &'static str = "sso_guess";
    type Key<'k> = &'k str;
}
impl cache::Counter for SessionGuesses {}

/// The browser's live session, if any.
pub async fn current(state: &AppState, jar: &CookieJar) -> Result<Option<SsoSession>, CacheError> {
    let Some(c) = jar.get(COOKIE) else {
        return Ok(None);
    };
    let Some(s) = state
        .cache
        .get::<SessionEntry>(&sha256_hex(c.value()))
        .await?
    else {
        return Ok(None);
    };
    Ok((s.expires_at > state.clock.now()).then_some(s))
}

pub struct Login<'a> {
    pub user_id: &'a str,
    pub amr: Vec<String>,
    pub acr: &'a str,
    pub mfa_at: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Starts a fresh session, ending the browser's previous one: a new cookie value at every
/// login means a value planted before login (fixation) is worthless after it.
pub async fn create(
    state: &AppState,
    jar: CookieJar,
    login: Login<'_>,
) -> Result<(CookieJar, SsoSession), CacheError> {
    let jar = end(state, jar).await?;
    let now = state.clock.now();
    let ttl = state.settings.sso_session_ttl_secs;
    let session = SsoSession {
        sid: uuid::Uuid::new_v4().to_string(),
        user_id: login.user_id.to_string(),
        auth_time: now,
        amr: login.amr,
        acr: login.acr.to_string(),
        mfa_at: login.mfa_at,
        expires_at: now + ttl,
        ip: login.ip,
        user_agent: login.user_agent,
    };
    let value = random_token();
    let hash = sha256_hex(&value);
    state
        .cache
        .put::<SessionEntry>(&hash, &session, ttl)
        .await?;
    state
        .cache
        .put::<SidIndex>(&session.sid, &hash, ttl)
        .await?;
    state
        .cache
        .set_add::<UserSessions>(&session.user_id, &hash, ttl)
        .await?;
    let cookie = crate::web::cookie::cookie(state, COOKIE, value);
    Ok((jar.add(cookie), session))
}

/// Ends the browser's session (if any) and removes the cookie.
pub async fn end(state: &AppState, jar: CookieJar) -> Result<CookieJar, CacheError> {
    if let Some(c) = jar.get(COOKIE) {
        end_by_hash(state, &sha256_hex(c.value())).await?;
    }
    Ok(jar.remove(Cookie::build(COOKIE).path("/")))
}

/// Ends the session that carries `sid` (RP-initiated logout with an `id_token_hint`).
pub async fn end_by_sid(state: &AppState, sid: &str) -> Result<(), CacheError> {
    if let Some(hash) = state.cache.get::<SidIndex>(sid).await? {
        end_by_hash(state, &hash).await?;
    }
    Ok(())
}

async fn end_by_hash(state: &AppState, hash: &str) -> Result<(), CacheError> {
    let Some(s) = state.cache.take::<SessionEntry>(hash).await? else {
        return Ok(());
    };
    state.cache.del::<SidIndex>(&s.sid).await?;
    state
        .cache
        .set_remove::<UserSessions>(&s.user_id, hash)
        .await?;
    // Tokens bound to the browser session die with it (offline_access ones excepted).
    if let Err(e) = state
        .store
        .revoke_session_refresh(&s.sid, state.clock.now())
        .await
    {
        tracing::error!(error = %e, sid = %s.sid, "could not revoke the session's refresh tokens");
    }
    crate::oidc::backchannel::session_ended(state, &s.sid).await;
    Ok(())
}

/// Ends every SSO session of a user (password change, helpdesk action) and all their
/// refresh tokens, `offline_access` included.
pub async fn end_all_for_user(state: &AppState, user_id: &str) -> Result<(), CacheError> {
    // Revoked before the sessions end, so a cache failure half-way cannot leave the refresh
    // tokens alive behind the error; and again after, for a code exchange that stored its
    // grant in between (it checks its session once the grant is written: see
    // `oidc::token::authorization_code`).
    revoke_user_refresh(state, user_id).await?;
    // Half-done logins too: a password typed before the change must not finish later.
    super::pending::end_all_for_user(state, user_id).await?;
    for hash in state.cache.set_members::<UserSessions>(user_id).await? {
        end_by_hash(state, &hash).await?;
    }
    state.cache.del::<UserSessions>(user_id).await?;
    revoke_user_refresh(state, user_id).await
}

async fn revoke_user_refresh(state: &AppState, user_id: &str) -> Result<(), CacheError> {
    if let Err(e) = state
        .store
        .revoke_user_refresh(user_id, state.clock.now())
        .await
    {
        tracing::error!(error = %e, user = %user_id, "could not revoke the user's refresh tokens");
        return Err(CacheError(format!("refresh token revocation failed: {e}")));
    }
    Ok(())
}

/// The person's live sessions (for the account page).
pub async fn list_for_user(state: &AppState, user_id: &str) -> Result<Vec<SsoSession>, CacheError> {
    let now = state.clock.now();
    let mut out = Vec::new();
    for hash in state.cache.set_members::<UserSessions>(user_id).await? {
        if let Some(s) = state.cache.get::<SessionEntry>(&hash).await?
            && s.expires_at > now
        {
            out.push(s);
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.auth_time));
    Ok(out)
}

/// Step-up: the person just proved the second factor again; the session's `auth_time`
/// moves to now (the helpdesk console asks for a fresh one).
pub async fn confirm_now(state: &AppState, jar: &CookieJar) -> Result<(), CacheError> {
    let Some(c) = jar.get(COOKIE) else {
        return Ok(());
    };
    let hash = sha256_hex(c.value());
    let now = state.clock.now();
    if let Some(mut s) = state.cache.get::<SessionEntry>(&hash).await?
        && s.expires_at > now
    {
        s.auth_time = now;
        s.mfa_at = Some(now);
        state
            .cache
            .put::<SessionEntry>(&hash, &s, s.expires_at - now)
            .await?;
    }
    Ok(())
}

/// How many proofs (password, code) a session may get wrong on the account pages before it
/// ends: a stolen session cookie is not a password or OTP guessing oracle.
pub const SESSION_GUESSES: i64 = 5;

/// Counts one proof of this session before it is compared. False: too many wrong ones, and
/// the session has just been ended (sign in again, with password and code).
pub async fn reserve_guess(state: &AppState, s: &SsoSession) -> Result<bool, CacheError> {
    let ttl = (s.expires_at - state.clock.now()).max(1);
    let n = state.cache.count::<SessionGuesses>(&s.sid, ttl).await?;
    if n > SESSION_GUESSES {
        end_by_sid(state, &s.sid).await?;
        return Ok(false);
    }
    Ok(true)
}

/// The proof was right: the session's count starts over.
pub async fn guess_proven(state: &AppState, s: &SsoSession) -> Result<(), CacheError> {
    state.cache.del::<SessionGuesses>(&s.sid).await
}

/// The live session that carries `sid`, if any (staff APIs honour only tokens whose sign-in
/// is still going on: "end sessions" must end what the tokens of that session can do).
pub async fn by_sid(state: &AppState, sid: &str) -> Result<Option<SsoSession>, CacheError> {
    let Some(hash) = state.cache.get::<SidIndex>(sid).await? else {
        return Ok(None);
    };
    Ok(state
        .cache
        .get::<SessionEntry>(&hash)
        .await?
        .filter(|s| s.expires_at > state.clock.now()))
}
