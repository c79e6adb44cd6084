//! In-process cache: sharded mutex maps keyed by string, expiring on `Clock` time so tests
//! that move the clock see entries expire exactly as they would in production.
//!
//! Bounded where anonymous requests create entries: disposable entries (a captcha, a pending
//! authorization or PAR request, a fetched client JWKS — whose loss costs one retry) live in
//! maps of their own, at most their share of `max_entries` each. When one is full, expired
//! entries go first, then the eighth that expires soonest (in one pass, so eviction costs
//! O(1) per insert on average). Sessions, codes, counters and burn marks live apart and are
//! never evicted: dropping a failure counter would undo a lockout, dropping a session signs
//! someone out. They cannot crowd out the disposable ones either (a flood of counters must
//! not stop captchas and sign-ins); past the bound they grow and the operator is told.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use crate::clock::Clock;

const SHARDS: usize = 32;

/// Key prefixes of entries that may be dropped under memory pressure: the namespaces of the
/// captcha, captcha draw count, pending authorization request, PAR and client JWKS kinds
/// (spelled out here because the cache imports nothing from the features that declare them).
const DISPOSABLE: [&str; 5] = [
    "captcha:",
    "captcha_draws:",
    "authreq:",
    "par:",
    "client_jwks:",
];

/// Which kind of disposable entry `key` is: each kind has maps and a budget of its own, so a
/// flood of one kind (pending authorization requests) never evicts another (captchas).
fn disposable_kind(key: &str) -> Option<usize> {
    DISPOSABLE.iter().position(|p| key.starts_with(p))
}

fn disposable(key: &str) -> bool {
    disposable_kind(key).is_some()
}

enum Value {
    Str(String),
    Set(HashSet<String>),
}

struct Entry {
    value: Value,
    expires_at: i64,
}

/// One set of shards: a map per shard, each behind its own lock.
type Shards = [Mutex<HashMap<String, Entry>>; SHARDS];

#[derive(Clone)]
pub struct MemoryCache {
    shards: Arc<Shards>,
    /// Disposable entries, apart, one set of shards per kind (see the module comment).
    spare: Arc<Vec<Shards>>,
    hasher: RandomState,
    clock: Clock,
    /// Entries per shard before eviction starts.
    shard_cap: usize,
    /// When the "full of entries that must be kept" warning was last logged.
    warned_at: Arc<AtomicI64>,
}

impl MemoryCache {
    /// A cache of at most about `max_entries` entries (see the module comment).
    pub fn new(clock: Clock, max_entries: usize) -> Self {
        Self {
            shards: Arc::new(std::array::from_fn(|_| Mutex::new(HashMap::new()))),
            spare: Arc::new(
                DISPOSABLE
                    .iter()
                    .map(|_| std::array::from_fn(|_| Mutex::new(HashMap::new())))
                    .collect(),
            ),
            hasher: RandomState::new(),
            clock,
            shard_cap: max_entries.div_ceil(SHARDS).max(1),
            warned_at: Arc::new(AtomicI64::new(i64::MIN / 2)),
        }
    }

    /// Entries held now, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .chain(self.spare.iter().flatten())
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for a new `key` in its map when that map is full.
    fn make_room(&self, map: &mut HashMap<String, Entry>, key: &str, now: i64) {
        if map.len() < self.shard_cap || map.contains_key(key) {
            return;
        }
        // Entries that must be kept, past the bound: look for expired ones once per 1,024
        // inserts, not on every insert (a full scan each time would be the flood's weapon).
        if !disposable(key) && !map.len().is_multiple_of(1024) {
            return;
        }
        map.retain(|_, e| e.expires_at > now);
        if map.len() < self.shard_cap {
            return;
        }
        if disposable(key) {
            // The soonest-expiring eighth goes in one pass: the next inserts find room.
            let mut ends: Vec<i64> = map.values().map(|e| e.expires_at).collect();
            let n = (ends.len() / 8).max(1);
            let (_, cutoff, _) = ends.select_nth_unstable(n - 1);
            let cutoff = *cutoff;
            let mut dropped = 0;
            map.retain(|_, e| {
                if dropped < n && e.expires_at <= cutoff {
                    dropped += 1;
                    return false;
                }
                true
            });
            return;
        }
        // Once a minute at most: this is a sizing signal for the operator, and every insert
        // into the full shard would say it again.
        let last = self.warned_at.load(Ordering::Relaxed);
        if now - last >= 60
            && self
                .warned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                shard_entries = map.len(),
                "in-process cache full of entries that must be kept (sessions, counters); \
                 growing past memory_cache_max_entries"
            );
        }
    }

    fn insert(&self, map: &mut HashMap<String, Entry>, key: &str, entry: Entry, now: i64) {
        self.make_room(map, key, now);
        map.insert(key.to_string(), entry);
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        // A panic while holding a shard cannot leave an entry half-written: recover the map.
        let shards = match disposable_kind(key) {
            Some(kind) => &self.spare[kind],
            None => &self.shards,
        };
        shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn live<'a>(map: &'a mut HashMap<String, Entry>, key: &str, now: i64) -> Option<&'a mut Entry> {
        if map.get(key).is_some_and(|e| e.expires_at <= now) {
            map.remove(key);
        }
        map.get_mut(key)
    }

    pub fn get(&self, key: &str) -> Option<String> {
        let now = self.clock.now();
        let mut map = self.shard(key);
        match Self::live(&mut map, key, now) {
            Some(Entry {
                value: Value::Str(s),
                ..
            }) => Some(s.clone()),
            _ => None,
        }
    }

    pub fn set(&self, key: &str, value: &str, ttl_secs: i64) {
        let now = self.clock.now();
        let entry = Entry {
            value: Value::Str(value.to_string()),
            expires_at: now + ttl_secs,
        };
        self.insert(&mut self.shard(key), key, entry, now);
    }

    pub fn take(&self, key: &str) -> Option<String> {
        let now = self.clock.now();
        let entry = self.shard(key).remove(key)?;
        match entry.value {
            Value::Str(s) if entry.expires_at > now => Some(s),
            _ => None,
        }
    }

    /// Counts within a sliding window: each call restarts the window, as a get + set would.
    pub fn incr(&self, key: &str, ttl_secs: i64) -> i64 {
        self.incr_by(key, 1, ttl_secs)
    }

    pub fn incr_by(&self, key: &str, delta: i64, ttl_secs: i64) -> i64 {
        let now = self.clock.now();
        let mut map = self.shard(key);
        let n = match Self::live(&mut map, key, now) {
            Some(Entry {
                value: Value::Str(s),
                ..
            }) => (s.parse::<i64>().unwrap_or(0) + delta).max(0),
            _ => delta.max(0),
        };
        let entry = Entry {
            value: Value::Str(n.to_string()),
            expires_at: now + ttl_secs,
        };
        self.insert(&mut map, key, entry, now);
        n
    }

    pub fn set_add(&self, key: &str, member: &str, ttl_secs: i64) {
        let now = self.clock.now();
        let mut map = self.shard(key);
        let expires_at = now + ttl_secs;
        match Self::live(&mut map, key, now) {
            Some(Entry {
                value: Value::Set(set),
                expires_at: exp,
            }) => {
                set.insert(member.to_string());
                *exp = (*exp).max(expires_at);
            }
            _ => {
                let entry = Entry {
                    value: Value::Set(HashSet::from([member.to_string()])),
                    expires_at,
                };
                self.insert(&mut map, key, entry, now);
            }
        }
    }

    pub fn set_remove(&self, key: &str, member: &str) {
        let mut map = self.shard(key);
        if let Some(Entry {
            value: Value::Set(set),
            ..
        }) = map.get_mut(key)
        {
            set.remove(member);
        }
    }

    pub fn set_members(&self, key: &str) -> Vec<String> {
        let now = self.clock.now();
        let mut map = self.shard(key);
        match Self::live(&mut map, key, now) {
            Some(Entry {
                value: Value::Set(set),
                ..
            }) => set.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub fn sweep(&self) {
        let now = self.clock.now();
        for shard in self.shards.iter().chain(self.spare.iter().flatten()) {
            shard
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|_, e| e.expires_at > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_on_clock_time_and_take_is_once() {
        let clock = Clock::default();
        let c = MemoryCache::new(clock.clone(), 1000);
        c.set("a", "1", 60);
        assert_eq!(c.get("a").as_deref(), Some("1"));
        clock.advance(61);
        assert_eq!(c.get("a"), None);
        c.set("b", "2", 60);
        assert_eq!(c.take("b").as_deref(), Some("2"));
        assert_eq!(c.take("b"), None);
    }

    #[test]
    fn sets_hold_members_until_expiry() {
        let clock = Clock::default();
        let c = MemoryCache::new(clock.clone(), 1000);
        c.set_add("s", "x", 10);
        c.set_add("s", "y", 100);
        c.set_remove("s", "x");
        assert_eq!(c.set_members("s"), vec!["y".to_string()]);
        clock.advance(50);
        assert_eq!(
            c.set_members("s").len(),
            1,
            "second add extended the set's life"
        );
        clock.advance(60);
        assert!(c.set_members("s").is_empty());
        c.sweep();
    }

    #[test]
    fn full_cache_drops_disposable_entries_never_sessions_or_counters() {
        let clock = Clock::default();
        // Eight disposable entries per shard.
        let c = MemoryCache::new(clock.clone(), SHARDS * 8);
        for i in 0..5000 {
            c.set(&format!("captcha:{i}"), "x", 300 + i);
        }
        assert!(c.len() <= SHARDS * 8, "{}", c.len());
        assert_eq!(
            c.get("captcha:4999").as_deref(),
            Some("x"),
            "the newest captcha is kept"
        );
        // Sessions and counters are all kept, even beyond the bound...
        for i in 0..1000 {
            c.set(&format!("sso:{i}"), "s", 3600);
            c.incr(&format!("fail_nip:{i}"), 900);
        }
        for i in 0..1000 {
            assert_eq!(c.get(&format!("sso:{i}")).as_deref(), Some("s"));
            assert_eq!(c.incr(&format!("fail_nip:{i}"), 900), 2);
        }
        // ...and never crowd captchas out: a flood of counters does not stop sign-ins.
        c.set("captcha:new", "y", 300);
        assert_eq!(c.get("captcha:new").as_deref(), Some("y"));
        c.set("authreq:new", "r", 1800);
        assert_eq!(c.get("authreq:new").as_deref(), Some("r"));
    }
}
