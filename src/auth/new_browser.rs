//! Takeovers people can see: a full sign-in from a browser whose known-browser mark
//! (`device`) does not name this person is e-mailed to them, with a "this was not me" link
//! that ends exactly that session. A browser they signed in with before sends nothing.
//!
//! The link carries a random token; the cache holds only its SHA-256, naming the session's
//! `sid` (never the session cookie), for as long as the session can live. It is taken
//! (single use) by the POST that ends the session; GET only shows the question, since mail
//! scanners open links.

use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};

use super::device;
use super::session::SsoSession;
use crate::cache::{self, CacheError};
use crate::error::AppError;
use crate::mail::compose;
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;
use crate::store::users::User;
use crate::web::i18n::Lang;
use crate::web::time::wib;
use crate::web::words;

/// The session a "not me" link names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Named {
    pub sid: String,
    pub user_id: String,
    /// When the link stops working (the session's end), by Gerbang's clock.
    pub until: i64,
}

/// A "not me" link, under the SHA-256 of its token, as long as its session can live.
pub struct NotMeLink;

impl cache::Kind for NotMeLink {
    const NS: &'static str = "not_me";
    type Key<'k> = &'k str;
}
impl cache::Entry for NotMeLink {
    type Value = cache::Json<Named>;
}

/// Whether this browser already carries a live known-browser mark for `user_id`.
pub fn known(state: &AppState, jar: &CookieJar, user_id: &str, now: i64) -> bool {
    let ttl = state.settings.lockout.known_browser_ttl_secs;
    device::read(state, jar).is_some_and(|d| d.knows(user_id, now, ttl))
}

/// Queues the new-browser mail for `sso` when `known` was false. Called before the
/// browser is marked.
pub async fn notice(
    state: &AppState,
    user: &User,
    sso: &SsoSession,
    ip: &str,
    ua: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    let token = random_token();
    let named = Named {
        sid: sso.sid.clone(),
        user_id: user.id.clone(),
        until: sso.expires_at,
    };
    let life = (sso.expires_at - now).max(1);
    state
        .cache
        .put::<NotMeLink>(&sha256_hex(&token), &named, life)
        .await?;
    let link = format!("{}/not-me?t={token}", state.settings.issuer());
    let seen = [words::browser(ua, Lang::Id), words::browser(ua, Lang::En)];
    let mail = compose::new_browser(
        &user.email,
        &user.name,
        [&seen[0], &seen[1]],
        ip,
        &wib(now),
        &link,
    );
    state.store.enqueue_mail(&mail, now).await?;
    state.mailer.wake.notify_one();
    Ok(())
}

/// The session a live link names, without using it up (the confirm page).
pub async fn peek(state: &AppState, token: &str) -> Result<Option<Named>, CacheError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let named = state.cache.get::<NotMeLink>(&sha256_hex(token)).await?;
    Ok(named.filter(|n| n.until > state.clock.now()))
}

/// Uses the link up: the session it names, once.
pub async fn take(state: &AppState, token: &str) -> Result<Option<Named>, CacheError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let named = state.cache.take::<NotMeLink>(&sha256_hex(token)).await?;
    Ok(named.filter(|n| n.until > state.clock.now()))
}
