//! Guessing defences around the password check: temporary locks (durable, per account),
//! the known-browser exemption, captcha after a few failures, and locks for NIPs that have
//! no account, so a lock never tells an attacker which NIPs exist.

use crate::cache::CacheError;
use crate::domain::lockout::{Policy, State};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::users::{FailureOutcome, User};

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

async fn cached_state(state: &AppState, key: &str) -> Result<State, CacheError> {
    Ok(state
        .cache
        .get(key)
        .await?
        .and_then(|raw| serde_json::from_str(&raw).ok())
        .unwrap_or_default())
}

pub async fn gate(state: &AppState, c: &Counter<'_>) -> Result<Gate, GuardError> {
    let now = state.clock.now();
    let user = match c {
        Counter::Account(u) | Counter::KnownBrowser { user: u, .. } => Some(*u),
        Counter::NoAccount(_) => None,
    };
    if user.is_some_and(|u| u.status == "locked") {
        return Ok(Gate::Locked(None));
    }
    let until = match (c, cache_key(c)) {
        (Counter::Account(u), _) => u.locked_at(now),
        (_, Some(key)) => cached_state(state, &key).await?.locked_at(now),
        _ => None,
    };
    Ok(until.map_or(Gate::Open, |u| Gate::Locked(Some(u))))
}

/// Charges a failure; returns the lock it started, if any.
pub async fn on_failure(
    state: &AppState,
    c: &Counter<'_>,
    ip: &str,
    nip: &str,
) -> Result<Option<i64>, GuardError> {
    let now = state.clock.now();
    // Captcha counters: per NIP and per IP, whoever is guessing.
    let window = state.settings.lockout.base_lock_secs;
    for key in [format!("fail_ip:{ip}"), format!("fail_nip:{nip}")] {
        state.cache.incr(&key, window).await?;
    }
    match (c, cache_key(c)) {
        (Counter::Account(u), _) => match state
            .store
            .record_login_failure(&u.id, &account_policy(state), now)
            .await?
        {
            FailureOutcome::Locked(until) => Ok(Some(until)),
            FailureOutcome::Counted(_) => Ok(None),
        },
        (_, Some(key)) => {
            let policy = match c {
                Counter::KnownBrowser { .. } => browser_policy(state),
                _ => account_policy(state),
            };
            let before = cached_state(state, &key).await?;
            let after = policy.on_failure(before, now);
            let json = serde_json::to_string(&after).map_err(|e| CacheError(e.to_string()))?;
            state
                .cache
                .set(&key, &json, state.settings.lockout.max_lock_secs * 2)
                .await?;
            Ok(after
                .locked_until
                .filter(|u| Some(*u) != before.locked_until))
        }
        _ => Ok(None),
    }
}

pub async fn on_success(state: &AppState, c: &Counter<'_>) -> Result<(), GuardError> {
    match (c, cache_key(c)) {
        (Counter::Account(u), _) => {
            state
                .store
                .record_login_success(&u.id, state.clock.now())
                .await?
        }
        (_, Some(key)) => state.cache.del(&key).await?,
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
    let limit = state.settings.lockout.captcha_after;
    let mut keys = vec![format!("fail_ip:{ip}")];
    if let Some(n) = nip {
        keys.push(format!("fail_nip:{n}"));
    }
    for key in keys {
        let n = state
            .cache
            .get(&key)
            .await?
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0);
        if n >= limit {
            return Ok(true);
        }
    }
    Ok(false)
}
