//! A login half done: the password step is over, the second factor (or the enrolment of
//! one) is not. It is not a session: nothing can be authorized with it.
//!
//! A pending login is bound to the account as it was when the password was typed: a new
//! password, a disabled account or a helpdesk "end everything" makes it worthless, and it
//! never outlives its first deadline, however many codes are tried.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::{Deserialize, Serialize};

use crate::cache::{self, CacheError};
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;
use crate::store::users::User;

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
    /// Which password (and account state) this login proved; see `stamp`.
    #[serde(default)]
    pub stamp: String,
    /// The password step already counted one guess that the first code may use, so that a
    /// right and a wrong password cost the same number of guesses. Kept beside the record
    /// as its own entry (see `take_charge`), never read-modify-written.
    #[serde(default)]
    pub charged: bool,
    #[serde(default)]
    pub expires_at: i64,
    /// The client (IP) whose captcha counter the password step charged: the code that
    /// completes the login gives it back there, not to wherever the code comes from.
    #[serde(default)]
    pub ip: String,
    /// The window of that IP counter the password step charged (`guard::count_for_captcha`):
    /// the give-back goes to that window only.
    #[serde(default)]
    pub captcha_slot: i64,
    /// Set when a session asked for a stronger class (the step-up): the sid of that session.
    /// No password was typed, so such a login proves none (it never leads to enrolment),
    /// its wrong codes are counted on that session too, and it dies with it.
    #[serde(default)]
    pub step_up_sid: Option<String>,
}

impl Pending {
    /// A second step after a right password.
    pub fn proven(user: &User, req: &str, charged: bool, ip: &str) -> Self {
        Pending {
            user_id: Some(user.id.clone()),
            nip: user.nip.clone(),
            password_ok: true,
            req: req.to_string(),
            stamp: stamp(user),
            charged,
            expires_at: 0,
            ip: ip.to_string(),
            captcha_slot: 0,
            step_up_sid: None,
        }
    }

    /// The code step a session is sent to for a stronger class: it stands for the
    /// session's sign-in, not for a password typed now.
    pub fn step_up(user: &User, req: &str, sid: &str) -> Self {
        Pending {
            step_up_sid: Some(sid.to_string()),
            ..Pending::proven(user, req, false, "")
        }
    }

    /// Whether a password was typed for this login (a step-up's was not): only then may it
    /// lead to the enrolment of a first authenticator.
    pub fn proves_password(&self) -> bool {
        self.password_ok && self.step_up_sid.is_none()
    }

    /// A second step for a password that was wrong (or a NIP without an account): shown
    /// like any other, it fails whatever code is typed.
    pub fn unproven(nip: String, req: &str, charged: bool, ip: &str) -> Self {
        Pending {
            user_id: None,
            nip,
            password_ok: false,
            req: req.to_string(),
            stamp: String::new(),
            charged,
            expires_at: 0,
            ip: ip.to_string(),
            captcha_slot: 0,
            step_up_sid: None,
        }
    }

    /// Still good for this account as it is now: active, same password.
    pub fn valid_for(&self, user: &User) -> bool {
        user.is_active()
            && self.user_id.as_deref() == Some(user.id.as_str())
            && self.stamp == stamp(user)
    }
}

/// A fingerprint of the account's current password hash and status: it changes with every
/// new password, so a login started with the old one cannot be finished.
pub fn stamp(user: &User) -> String {
    let hash = user.password_hash.as_deref().unwrap_or("");
    sha256_hex(&format!("{}\n{hash}", user.status.as_str()))[..32].to_string()
}

/// A pending login, under the SHA-256 of its cookie value, for `TTL`.
struct PendingEntry;

impl cache::Kind for PendingEntry {
    const NS: &'static str = "pending";
    type Key<'k> = &'k str;
}
impl cache::Entry for PendingEntry {
    type Value = cache::Json<Pending>;
}

/// The guess the password step counted, beside the pending login (see `take_charge`).
struct Charge;

impl cache::Kind for Charge {
    const NS: &'static str = "pending_charge";
    type Key<'k> = &'k str;
}
impl cache::Entry for Charge {
    type Value = cache::Flag;
}

/// The captcha count that may be given back, beside the pending login (see `take_refund`):
/// the window (slot) of the IP counter it was charged to.
struct Refund;

impl cache::Kind for Refund {
    const NS: &'static str = "pending_refund";
    type Key<'k> = &'k str;
}
impl cache::Entry for Refund {
    type Value = cache::Int;
}

/// The pending logins of an account, under its user id, for `TTL` after the newest.
struct UserPending;

impl cache::Kind for UserPending {
    const NS: &'static str = "pending_user";
    type Key<'k> = &'k str;
}
impl cache::Set for UserPending {}

pub async fn start(state: &AppState, jar: CookieJar, p: &Pending) -> Result<CookieJar, CacheError> {
    let jar = finish(state, jar).await?;
    let value = random_token();
    let hash = sha256_hex(&value);
    let p = Pending {
        expires_at: state.clock.now() + TTL,
        ..p.clone()
    };
    state.cache.put::<PendingEntry>(&hash, &p, TTL).await?;
    if p.charged {
        state.cache.put::<Charge>(&hash, &(), TTL).await?;
        state
            .cache
            .put::<Refund>(&hash, &p.captcha_slot, TTL)
            .await?;
    }
    if let Some(uid) = &p.user_id {
        state.cache.set_add::<UserPending>(uid, &hash, TTL).await?;
    }
    let cookie = crate::web::cookie::cookie(state, COOKIE, value);
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
    let pending = state.cache.get::<PendingEntry>(&hash).await?;
    let now = state.clock.now();
    Ok(pending.filter(|p| p.expires_at > now).map(|p| (hash, p)))
}

/// Uses the guess the password step counted, once: of parallel codes for one pending
/// login, exactly one gets it; every other one must be counted on its own.
pub async fn take_charge(state: &AppState, id: &str) -> Result<bool, CacheError> {
    Ok(state.cache.take::<Charge>(id).await?.is_some())
}

/// The captcha count the password step charged may be given back once: of several codes
/// that complete one pending login in parallel, one gets it, with the window it was
/// charged in.
pub async fn take_refund(state: &AppState, id: &str) -> Result<Option<i64>, CacheError> {
    state.cache.take::<Refund>(id).await
}

pub async fn finish(state: &AppState, jar: CookieJar) -> Result<CookieJar, CacheError> {
    if let Some(c) = jar.get(COOKIE) {
        forget(state, &sha256_hex(c.value())).await?;
    }
    Ok(jar.remove(Cookie::build(COOKIE).path("/")))
}

/// Deletes a pending login with the entries kept beside it.
async fn forget(state: &AppState, hash: &str) -> Result<(), CacheError> {
    state.cache.del::<PendingEntry>(hash).await?;
    state.cache.del::<Charge>(hash).await?;
    state.cache.del::<Refund>(hash).await
}

/// Ends every half-done login of a person (new password, helpdesk action, disable).
pub async fn end_all_for_user(state: &AppState, user_id: &str) -> Result<(), CacheError> {
    for hash in state.cache.set_members::<UserPending>(user_id).await? {
        forget(state, &hash).await?;
    }
    state.cache.del::<UserPending>(user_id).await
}
