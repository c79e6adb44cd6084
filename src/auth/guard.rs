//! Guessing defences around the password check: temporary locks (durable, per account),
//! the known-browser exemption, captcha after a few failures, and locks for NIPs that have
//! no account, so a lock never tells an attacker which NIPs exist.

use crate::cache::CacheError;
use crate::domain::lockout::Policy;
use crate::domain::user_status::UserStatus;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::users::User;

/// Whose counter an attempt is charged to.
pub enum Counter<'a> {
    /// A real account from a browser it has never fully signed in from.
    Account(&'a User),
    /// A real account from a browser that completed a full login for it before: its own,
    /// stricter counter, untouched by anyone else's failures.
    KnownBrowser { user: &'a User, device_id: &'a str },
    /// A NIP with no (usable) account: counted in the cache so it locks like a real one.
    NoAccount(&'a str),
}

/// Whose counter an attempt for `nip` from a browser with `device` is charged to.
pub fn counter_for<'a>(
    user: Option<&'a User>,
    device: Option<&'a super::device::Device>,
    nip: &'a str,
    now: i64,
    known_ttl: i64,
) -> Counter<'a> {
    match (user, device) {
        (Some(u), Some(d)) if d.knows(&u.id, now, known_ttl) => Counter::KnownBrowser {
            user: u,
            device_id: &d.id,
        },
        (Some(u), _) => Counter::Account(u),
        (None, _) => Counter::NoAccount(nip),
    }
}

pub enum Gate {
    Open,
    /// Locked until the instant given; `None` is a lock only the helpdesk can lift.
    Locked(Option<i64>),
}

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl From<GuardError> for crate::error::AppError {
    fn from(e: GuardError) -> Self {
        match e {
            GuardError::Store(e) => e.into(),
            GuardError::Cache(e) => e.into(),
        }
    }
}

/// The account lockout policy from the settings.
pub fn account_policy(state: &AppState) -> Policy {
    let l = state.settings.lockout;
    Policy {
        threshold: l.threshold,
        base_secs: l.base_lock_secs,
        max_secs: l.max_lock_secs,
    }
}

fn browser_policy(state: &AppState) -> Policy {
    Policy {
        threshold: state.settings.lockout.known_browser_threshold,
        ..account_policy(state)
    }
}

fn cache_key(c: &Counter<'_>) -> Option<String> {
    match c {
        Counter::Account(_) => None,
        Counter::KnownBrowser { user, device_id } => {
            Some(format!("lock_dev:{device_id}:{}", user.id))
        }
        Counter::NoAccount(nip) => Some(format!("lock_nip:{nip}")),
    }
}

/// How long a cache counter remembers its guesses (and, twice that, its lock level) after
/// the last one. An account's count in the database fades after the same quiet time, so
/// real and unknown NIPs lock alike (a difference would tell which NIPs exist).
fn count_memory_secs(state: &AppState) -> i64 {
    state.settings.lockout.max_lock_secs * 2
}

/// A cache counter is three atomic entries: the guesses counted (`:n`), the lock in force
/// (`:until`) and how many locks came before (`:lvl`). Never a read-modify-write of one
/// record: on Redis, parallel failures on several replicas would overwrite each other.
async fn cached_lock(state: &AppState, key: &str) -> Result<Option<i64>, CacheError> {
    let now = state.clock.now();
    Ok(cached_int(state, &format!("{key}:until"))
        .await?
        .filter(|u| *u > now))
}

/// A number kept in the cache (a count, a level, an instant), if there is one.
async fn cached_int(state: &AppState, key: &str) -> Result<Option<i64>, CacheError> {
    Ok(state.cache.get(key).await?.and_then(|v| v.parse().ok()))
}

/// The captcha counters of an IP (an IPv6 /64 counts as one client, like the rate limits)
/// and of a NIP.
fn captcha_keys(ip: &str, nip: Option<&str>) -> Vec<String> {
    let bucket = ip
        .parse::<std::net::IpAddr>()
        .map(|a| crate::web::rate_limit::limit_bucket(a).to_string())
        .unwrap_or_else(|_| ip.to_string());
    let mut keys = vec![format!("fail_ip:{bucket}")];
    keys.extend(nip.map(|n| format!("fail_nip:{n}")));
    keys
}

fn policy_for(state: &AppState, c: &Counter<'_>) -> Policy {
    match c {
        Counter::KnownBrowser { .. } => browser_policy(state),
        _ => account_policy(state),
    }
}

pub async fn gate(state: &AppState, c: &Counter<'_>) -> Result<Gate, GuardError> {
    let now = state.clock.now();
    let user = match c {
        Counter::Account(u) | Counter::KnownBrowser { user: u, .. } => Some(*u),
        Counter::NoAccount(_) => None,
    };
    if user.is_some_and(|u| u.status == UserStatus::Locked) {
        return Ok(Gate::Locked(None));
    }
    let until = match (c, cache_key(c)) {
        (Counter::Account(u), _) => u.locked_at(now),
        (_, Some(key)) => cached_lock(state, &key).await?,
        _ => None,
    };
    Ok(until.map_or(Gate::Open, |u| Gate::Locked(Some(u))))
}

/// Counts one guess before it is compared. `Gate::Locked` means: do not compare at all (a
/// lock is in force, or the guesses allowed before the next lock are all taken by requests
/// still running).
pub async fn reserve(state: &AppState, c: &Counter<'_>) -> Result<Gate, GuardError> {
    if let Gate::Locked(until) = gate(state, c).await? {
        return Ok(Gate::Locked(until));
    }
    let now = state.clock.now();
    let policy = policy_for(state, c);
    let granted = match (c, cache_key(c)) {
        (Counter::Account(u), _) => {
            state
                .store
                .reserve_login_attempt(&u.id, policy.threshold, count_memory_secs(state), now)
                .await?
        }
        (_, Some(key)) => {
            let n = state
                .cache
                .incr(&format!("{key}:n"), count_memory_secs(state))
                .await?;
            // A lock set between the gate and the count (see `settle`) is seen here.
            n <= i64::from(policy.threshold.max(1)) && cached_lock(state, &key).await?.is_none()
        }
        _ => true,
    };
    if granted {
        return Ok(Gate::Open);
    }
    // Refused. A full count with no lock yet (guesses still running, or a second step that
    // was never answered) becomes the lock now, so it always has an end.
    if let Some(until) = settle(state, c, now).await? {
        return Ok(Gate::Locked(Some(until)));
    }
    Ok(match gate(state, c).await? {
        Gate::Locked(until) => Gate::Locked(until),
        Gate::Open => Gate::Locked(Some(now + policy.base_secs)),
    })
}

/// Starts the lock when the count is full; exactly one caller does, whatever runs in
/// parallel. Returns the lock it started.
async fn settle(state: &AppState, c: &Counter<'_>, now: i64) -> Result<Option<i64>, GuardError> {
    let policy = policy_for(state, c);
    match (c, cache_key(c)) {
        (Counter::Account(u), _) => Ok(state
            .store
            .settle_login_failure(&u.id, &policy, now)
            .await?),
        (_, Some(key)) => {
            let count_key = format!("{key}:n");
            let full = cached_int(state, &count_key)
                .await?
                .is_some_and(|n| n >= i64::from(policy.threshold.max(1)));
            if !full {
                return Ok(None);
            }
            // The lock is in place before the count is cleared, so no guess slips in
            // between; `take` is once, so of several callers one raises the level.
            let lvl_key = format!("{key}:lvl");
            let level = cached_int(state, &lvl_key).await?.unwrap_or(0);
            let until = now + policy.lock_secs(level.clamp(0, 64) as u32);
            state
                .cache
                .set(&format!("{key}:until"), &until.to_string(), until - now)
                .await?;
            if state.cache.take(&count_key).await?.is_none() {
                return Ok(None);
            }
            state
                .cache
                .incr(&lvl_key, count_memory_secs(state) * 2)
                .await?;
            Ok(Some(until))
        }
        _ => Ok(None),
    }
}

/// A reserved guess failed: feeds the captcha counters and starts the lock when this guess
/// filled the count. Returns the lock it started, if any.
pub async fn on_failure(
    state: &AppState,
    c: &Counter<'_>,
    ip: &str,
    nip: &str,
) -> Result<Option<i64>, GuardError> {
    let now = state.clock.now();
    count_for_captcha(state, ip, nip, 1).await?;
    settle(state, c, now).await
}

/// The captcha counters, per NIP and per IP, whoever is guessing. A password step that
/// waits for its code counts +1 whether the password was right or not (a sprayer meets the
/// captcha, and the count says nothing); the code that completes it gives the 1 back to the
/// same IP and NIP (never below zero: a credit would let a later sprayer skip the captcha).
pub async fn count_for_captcha(
    state: &AppState,
    ip: &str,
    nip: &str,
    delta: i64,
) -> Result<(), CacheError> {
    let window = state.settings.lockout.base_lock_secs;
    for key in captcha_keys(ip, Some(nip)) {
        state.cache.incr_by(&key, delta, window).await?;
    }
    Ok(())
}

pub async fn on_success(state: &AppState, c: &Counter<'_>) -> Result<(), GuardError> {
    match (c, cache_key(c)) {
        (Counter::Account(u), _) => {
            state
                .store
                .record_login_success(&u.id, state.clock.now())
                .await?
        }
        (_, Some(key)) => {
            for part in ["n", "lvl", "until"] {
                state.cache.del(&format!("{key}:{part}")).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The login form asks for a captcha once a NIP or an IP has failed `captcha_after` times.
pub async fn captcha_required(
    state: &AppState,
    ip: &str,
    nip: Option<&str>,
) -> Result<bool, CacheError> {
    let limit = i64::from(state.settings.lockout.captcha_after);
    for key in captcha_keys(ip, nip) {
        if cached_int(state, &key).await?.unwrap_or(0) >= limit {
            return Ok(true);
        }
    }
    Ok(false)
}
