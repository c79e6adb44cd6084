//! Guessing defences around the password check: temporary locks (durable, per account),
//! the known-browser exemption, captcha after a few failures, and locks for NIPs that have
//! no account, so a lock never tells an attacker which NIPs exist.

use std::marker::PhantomData;

use crate::cache::{self, CacheError, KeyPart};
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

/// The cache counter of an attempt, for those not counted in the database.
enum CacheCounter<'a> {
    Browser {
        device_id: &'a str,
        user_id: &'a str,
    },
    Nip(&'a str),
}

fn cache_key<'a>(c: &Counter<'a>) -> Option<CacheCounter<'a>> {
    match c {
        Counter::Account(_) => None,
        Counter::KnownBrowser { user, device_id } => Some(CacheCounter::Browser {
            device_id,
            user_id: &user.id,
        }),
        Counter::NoAccount(nip) => Some(CacheCounter::Nip(nip)),
    }
}

/// Whose cache counter: a known browser's for an account (`lock_dev:{device}:{user}`), or
/// a NIP with no account (`lock_nip:{nip}`). Each has three entries (see `cached_lock`).
trait Subject {
    const NS: &'static str;
    type Key<'k>: KeyPart + Copy;
}

struct ByBrowser;

impl Subject for ByBrowser {
    const NS: &'static str = "lock_dev";
    type Key<'k> = (&'k str, &'k str);
}

struct ByNip;

impl Subject for ByNip {
    const NS: &'static str = "lock_nip";
    type Key<'k> = &'k str;
}

/// The guesses counted (`…:n`), for `count_memory_secs`.
struct Guesses<S>(PhantomData<S>);

impl<S: Subject> cache::Kind for Guesses<S> {
    const NS: &'static str = S::NS;
    const SUFFIX: &'static str = ":n";
    type Key<'k> = S::Key<'k>;
}
impl<S: Subject> cache::Counter for Guesses<S> {}

/// The locks that came before (`…:lvl`), for twice `count_memory_secs`.
struct Level<S>(PhantomData<S>);

impl<S: Subject> cache::Kind for Level<S> {
    const NS: &'static str = S::NS;
    const SUFFIX: &'static str = ":lvl";
    type Key<'k> = S::Key<'k>;
}
impl<S: Subject> cache::Counter for Level<S> {}

/// The end of the lock in force (`…:until`), until then.
struct LockedUntil<S>(PhantomData<S>);

impl<S: Subject> cache::Kind for LockedUntil<S> {
    const NS: &'static str = S::NS;
    const SUFFIX: &'static str = ":until";
    type Key<'k> = S::Key<'k>;
}
impl<S: Subject> cache::Entry for LockedUntil<S> {
    type Value = cache::Int;
}

/// Failed guesses from an IP (an IPv6 /64 counts as one client) in one fixed window of
/// `base_lock_secs` (the window's number is part of the key): the flood guard of the
/// captcha. A fixed window, not one that restarts with every failure: a busy office behind
/// one NAT fails now and then all morning, and must not add up to a captcha for everyone.
struct IpFailures;

impl cache::Kind for IpFailures {
    const NS: &'static str = "fail_ip";
    type Key<'k> = (&'k str, i64);
}
impl cache::Counter for IpFailures {}

/// The known browsers that have a counter for a person (`lock_dev_of:{user}`): what the
/// helpdesk lists and lifts. Added to before the browser's guess is counted, so no counter
/// exists that the list does not name.
struct BrowsersOf;

impl cache::Kind for BrowsersOf {
    const NS: &'static str = "lock_dev_of";
    type Key<'k> = &'k str;
}
impl cache::Set for BrowsersOf {}

/// Mistimed codes (right for the secret at another time, or already used) a person typed in
/// the last `base_lock_secs`: only the first one costs a guess (see `mistimed_counts`).
struct Mistimed;

impl cache::Kind for Mistimed {
    const NS: &'static str = "otp_mistimed";
    type Key<'k> = &'k str;
}
impl cache::Counter for Mistimed {}

/// Failed guesses at a NIP, for the captcha.
struct NipFailures;

impl cache::Kind for NipFailures {
    const NS: &'static str = "fail_nip";
    type Key<'k> = &'k str;
}
impl cache::Counter for NipFailures {}

/// How long a cache counter remembers its guesses (and, twice that, its lock level) after
/// the last one. An account's count in the database fades after the same quiet time, so
/// real and unknown NIPs lock alike (a difference would tell which NIPs exist).
fn count_memory_secs(state: &AppState) -> i64 {
    state.settings.lockout.max_lock_secs * 2
}

/// A cache counter is three atomic entries: the guesses counted (`:n`), the lock in force
/// (`:until`) and how many locks came before (`:lvl`). Never a read-modify-write of one
/// record: on Redis, parallel failures on several replicas would overwrite each other.
async fn cached_lock<S: Subject>(
    state: &AppState,
    key: S::Key<'_>,
) -> Result<Option<i64>, CacheError> {
    let now = state.clock.now();
    Ok(state
        .cache
        .get::<LockedUntil<S>>(key)
        .await?
        .filter(|u| *u > now))
}

/// The captcha counter of an IP: an IPv6 /64 counts as one client, like the rate limits.
fn ip_bucket(ip: &str) -> String {
    ip.parse::<std::net::IpAddr>()
        .map(|a| crate::web::rate_limit::limit_bucket(a).to_string())
        .unwrap_or_else(|_| ip.to_string())
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
        (_, Some(CacheCounter::Browser { device_id, user_id })) => {
            cached_lock::<ByBrowser>(state, (device_id, user_id)).await?
        }
        (_, Some(CacheCounter::Nip(nip))) => cached_lock::<ByNip>(state, nip).await?,
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
        (_, Some(CacheCounter::Browser { device_id, user_id })) => {
            // Listed first: the helpdesk sees (and lifts) every counter that exists.
            state
                .cache
                .set_add::<BrowsersOf>(user_id, device_id, count_memory_secs(state) * 2)
                .await?;
            reserve_cached::<ByBrowser>(state, &policy, (device_id, user_id)).await?
        }
        (_, Some(CacheCounter::Nip(nip))) => reserve_cached::<ByNip>(state, &policy, nip).await?,
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

/// `reserve` for a counter kept in the cache.
async fn reserve_cached<S: Subject>(
    state: &AppState,
    policy: &Policy,
    key: S::Key<'_>,
) -> Result<bool, CacheError> {
    let n = state
        .cache
        .count::<Guesses<S>>(key, count_memory_secs(state))
        .await?;
    // A lock set between the gate and the count (see `settle`) is seen here.
    Ok(n <= i64::from(policy.threshold.max(1)) && cached_lock::<S>(state, key).await?.is_none())
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
        (_, Some(CacheCounter::Browser { device_id, user_id })) => {
            Ok(settle_cached::<ByBrowser>(state, &policy, (device_id, user_id), now).await?)
        }
        (_, Some(CacheCounter::Nip(nip))) => {
            Ok(settle_cached::<ByNip>(state, &policy, nip, now).await?)
        }
        _ => Ok(None),
    }
}

/// `settle` for a counter kept in the cache.
async fn settle_cached<S: Subject>(
    state: &AppState,
    policy: &Policy,
    key: S::Key<'_>,
    now: i64,
) -> Result<Option<i64>, CacheError> {
    let full = state
        .cache
        .counted::<Guesses<S>>(key)
        .await?
        .is_some_and(|n| n >= i64::from(policy.threshold.max(1)));
    if !full {
        return Ok(None);
    }
    // The lock is in place before the count is cleared, so no guess slips in
    // between; `take` is once, so of several callers one raises the level.
    let level = state.cache.counted::<Level<S>>(key).await?.unwrap_or(0);
    let until = now + policy.lock_secs(level.clamp(0, 64) as u32);
    state
        .cache
        .put::<LockedUntil<S>>(key, &until, until - now)
        .await?;
    if state.cache.take_count::<Guesses<S>>(key).await?.is_none() {
        return Ok(None);
    }
    state
        .cache
        .count::<Level<S>>(key, count_memory_secs(state) * 2)
        .await?;
    Ok(Some(until))
}

/// Gives back a guess `reserve` counted, when what was compared turned out not to be a
/// guess worth counting again (a second mistimed code, see `mistimed_counts`). Never below
/// zero; a lock already started stays.
pub async fn release(state: &AppState, c: &Counter<'_>) -> Result<(), GuardError> {
    match (c, cache_key(c)) {
        (Counter::Account(u), _) => state.store.release_login_attempt(&u.id).await?,
        (_, Some(CacheCounter::Browser { device_id, user_id })) => {
            state
                .cache
                .count_by::<Guesses<ByBrowser>>((device_id, user_id), -1, count_memory_secs(state))
                .await?;
        }
        (_, Some(CacheCounter::Nip(nip))) => {
            state
                .cache
                .count_by::<Guesses<ByNip>>(nip, -1, count_memory_secs(state))
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Whether a mistimed code (right for the person's secret at another time, or a step
/// already used) costs a guess: the first one in `base_lock_secs` does, later ones do not.
/// A phone with a wrong clock makes one mistimed code after another, and its owner must be
/// told about the clock, not locked out. This gives a guesser nothing: a mistimed code is
/// produced only by the secret (or is a replay of a code seen once, which is already
/// known to be real); whether the password beside it was right is answered alike either
/// way, and learning it needs a code right now, which is counted as every guess is.
pub async fn mistimed_counts(state: &AppState, user_id: &str) -> Result<bool, CacheError> {
    let window = state.settings.lockout.base_lock_secs.max(1);
    Ok(state.cache.count::<Mistimed>(user_id, window).await? <= 1)
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
    count_for_captcha(state, ip, nip).await?;
    settle(state, c, now).await
}

/// The captcha counters, per NIP and per IP, whoever is guessing. A password step that
/// waits for its code counts +1 whether the password was right or not (a sprayer meets the
/// captcha, and the count says nothing); the code that completes it gives the 1 back (see
/// `give_back_captcha`). Returns the IP counter's window (slot) that was charged.
pub async fn count_for_captcha(state: &AppState, ip: &str, nip: &str) -> Result<i64, CacheError> {
    let window = state.settings.lockout.base_lock_secs.max(1);
    let slot = state.clock.now().div_euclid(window);
    state
        .cache
        .count::<IpFailures>((ip_bucket(ip).as_str(), slot), window)
        .await?;
    state.cache.count::<NipFailures>(nip, window).await?;
    Ok(slot)
}

/// Gives back what `count_for_captcha` charged in window `slot`, to the same IP and NIP
/// (never below zero: a credit would let a later sprayer skip the captcha). The IP's part
/// only while that window is still the current one: given to a later window, it would
/// cancel failures made there (a sprayer finishing its own logins after the boundary would
/// lift the flood guard); a past window is no longer read, so nothing is lost.
pub async fn give_back_captcha(
    state: &AppState,
    ip: &str,
    nip: &str,
    slot: i64,
) -> Result<(), CacheError> {
    let window = state.settings.lockout.base_lock_secs.max(1);
    if state.clock.now().div_euclid(window) == slot {
        state
            .cache
            .count_by::<IpFailures>((ip_bucket(ip).as_str(), slot), -1, window)
            .await?;
    }
    state.cache.count_by::<NipFailures>(nip, -1, window).await?;
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
        (_, Some(CacheCounter::Browser { device_id, user_id })) => {
            clear_cached::<ByBrowser>(state, (device_id, user_id)).await?
        }
        (_, Some(CacheCounter::Nip(nip))) => clear_cached::<ByNip>(state, nip).await?,
        _ => {}
    }
    Ok(())
}

/// The login form asks for a captcha once a NIP has failed `captcha_after` times, or an IP
/// `captcha_after_ip` times in the current window (a flood guard: a whole office shares
/// one address, and one person's typos must not give everyone there a captcha).
pub async fn captcha_required(
    state: &AppState,
    ip: &str,
    nip: Option<&str>,
) -> Result<bool, CacheError> {
    let l = state.settings.lockout;
    let window = l.base_lock_secs.max(1);
    let slot = state.clock.now().div_euclid(window);
    let from_ip = state
        .cache
        .counted::<IpFailures>((ip_bucket(ip).as_str(), slot))
        .await?
        .unwrap_or(0);
    if from_ip >= i64::from(l.captcha_after_ip) {
        return Ok(true);
    }
    match nip {
        Some(nip) => Ok(state.cache.counted::<NipFailures>(nip).await?.unwrap_or(0)
            >= i64::from(l.captcha_after)),
        None => Ok(false),
    }
}

/// Which lock a refused attempt met, for the locked page: the account's (what every
/// browser that never signed in as the person meets, and what a NIP without an account
/// looks like), or only this browser's own, stricter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    Account,
    ThisBrowser,
}

pub fn scope_of(c: &Counter<'_>) -> LockScope {
    match c {
        Counter::KnownBrowser { .. } => LockScope::ThisBrowser,
        _ => LockScope::Account,
    }
}

/// One known browser's counter for a person, as the helpdesk sees it.
#[derive(Debug, Clone)]
pub struct BrowserLock {
    /// The first characters of the browser's random id: enough to tell two apart.
    pub browser: String,
    pub failures: i64,
    pub locked_until: Option<i64>,
}

/// Every known browser of the person that has failures counted or a lock in force.
pub async fn browser_locks(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<BrowserLock>, CacheError> {
    let mut out = Vec::new();
    for device_id in state.cache.set_members::<BrowsersOf>(user_id).await? {
        let key = (device_id.as_str(), user_id);
        let failures = state
            .cache
            .counted::<Guesses<ByBrowser>>(key)
            .await?
            .unwrap_or(0);
        let locked_until = cached_lock::<ByBrowser>(state, key).await?;
        if failures > 0 || locked_until.is_some() {
            out.push(BrowserLock {
                browser: device_id.chars().take(8).collect(),
                failures,
                locked_until,
            });
        }
    }
    out.sort_by(|a, b| a.browser.cmp(&b.browser));
    Ok(out)
}

/// Lifts every known-browser lock and count of the person (the helpdesk's Unlock; the
/// account's own lock is lifted in the database beside it).
pub async fn unlock_browsers(state: &AppState, user_id: &str) -> Result<(), CacheError> {
    for device_id in state.cache.set_members::<BrowsersOf>(user_id).await? {
        clear_cached::<ByBrowser>(state, (device_id.as_str(), user_id)).await?;
    }
    state.cache.del::<BrowsersOf>(user_id).await?;
    state.cache.del::<Mistimed>(user_id).await
}

/// A successful login clears its cache counter.
async fn clear_cached<S: Subject>(state: &AppState, key: S::Key<'_>) -> Result<(), CacheError> {
    state.cache.del::<Guesses<S>>(key).await?;
    state.cache.del::<Level<S>>(key).await?;
    state.cache.del::<LockedUntil<S>>(key).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::key;

    #[test]
    fn cache_counters_keep_their_key_names() {
        // What a running Redis holds: these strings must not change.
        let dev = ("dev1", "user1");
        assert_eq!(key::<Guesses<ByBrowser>>(dev), "lock_dev:dev1:user1:n");
        assert_eq!(key::<Level<ByBrowser>>(dev), "lock_dev:dev1:user1:lvl");
        assert_eq!(
            key::<LockedUntil<ByBrowser>>(dev),
            "lock_dev:dev1:user1:until"
        );
        assert_eq!(key::<Guesses<ByNip>>("1990"), "lock_nip:1990:n");
        assert_eq!(key::<IpFailures>(("10.0.0.1", 7)), "fail_ip:10.0.0.1:7");
        assert_eq!(key::<BrowsersOf>("user1"), "lock_dev_of:user1");
        assert_eq!(key::<Mistimed>("user1"), "otp_mistimed:user1");
        assert_eq!(key::<NipFailures>("1990"), "fail_nip:1990");
    }
}
