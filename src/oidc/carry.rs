//! The authorization request a browser is signing in for, carried across the pages that are
//! not the login form: a first access (or a forgotten password) goes `/login?req=…` →
//! `/reset` → e-mailed code → `/reset/confirm` → `/login?req=…` → enrolment → the service.
//!
//! Only the request's opaque id travels (the pages' `req` field and query, and a cookie for
//! the e-mailed link, which carries none), and it is looked up again at every step: a page
//! never sends anyone anywhere but to Gerbang's own login, which continues only a request
//! `/authorize` validated. An unknown or expired id is dropped without a word; the person
//! then simply lands on the launcher after signing in.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;

use super::request::{AuthRequest, load_authreq};
use crate::cache::CacheError;
use crate::state::AppState;

/// The request the login form in this browser was last shown for. Lives as long as a
/// pending request at most (30 minutes).
pub const COOKIE: &str = "gerbang_req";
const MAX_AGE_SECS: i64 = 30 * 60;

/// The live request `id` names, if any.
pub async fn live(state: &AppState, id: &str) -> Result<Option<AuthRequest>, CacheError> {
    load_authreq(state, id).await
}

/// The request a page continues: the one its `req` names when that is live, else the one
/// this browser's login form was shown for, when that is live.
pub async fn resolve(
    state: &AppState,
    jar: &CookieJar,
    explicit: &str,
) -> Result<Option<(String, AuthRequest)>, CacheError> {
    if let Some(r) = live(state, explicit).await? {
        return Ok(Some((explicit.to_string(), r)));
    }
    let Some(id) = jar.get(COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    Ok(live(state, &id).await?.map(|r| (id, r)))
}

/// Remembers in this browser which request its sign-in is for (`None`: for none).
pub fn remember(state: &AppState, jar: CookieJar, id: Option<&str>) -> CookieJar {
    match id {
        Some(id) => {
            let mut c = crate::web::cookie::cookie(state, COOKIE, id.to_string());
            c.set_max_age(time::Duration::seconds(MAX_AGE_SECS));
            jar.add(c)
        }
        None => forget(jar),
    }
}

/// Forgets it (once the sign-in it was for has moved on).
pub fn forget(jar: CookieJar) -> CookieJar {
    if jar.get(COOKIE).is_none() {
        return jar;
    }
    jar.remove(Cookie::build(COOKIE).path("/"))
}
