//! In-process cache: sharded mutex maps keyed by string, expiring on `Clock` time so tests
//! that move the clock see entries expire exactly as they would in production.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

use crate::state::Clock;

const SHARDS: usize = 32;

enum Value {
    Str(String),
    Set(HashSet<String>),
}

struct Entry {
    value: Value,
    expires_at: i64,
}

#[derive(Clone)]
pub struct MemoryCache {
    shards: Arc<[Mutex<HashMap<String, Entry>>; SHARDS]>,
    hasher: RandomState,
    clock: Clock,
}

impl MemoryCache {
    pub fn new(clock: Clock) -> Self {
        Self {
            shards: Arc::new(std::array::from_fn(|_| Mutex::new(HashMap::new()))),
            hasher: RandomState::new(),
            clock,
        }
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        // A panic while holding a shard cannot leave an entry half-written: recover the map.
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
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
        let expires_at = self.clock.now() + ttl_secs;
        self.shard(key).insert(
            key.to_string(),
            Entry {
                value: Value::Str(value.to_string()),
                expires_at,
            },
        );
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
            }) => s.parse::<i64>().unwrap_or(0) + delta,
            _ => delta,
        };
        map.insert(
            key.to_string(),
            Entry {
                value: Value::Str(n.to_string()),
                expires_at: now + ttl_secs,
            },
        );
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
                map.insert(
                    key.to_string(),
                    Entry {
                        value: Value::Set(HashSet::from([member.to_string()])),
                        expires_at,
                    },
                );
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
        for shard in self.shards.iter() {
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
        let c = MemoryCache::new(clock.clone());
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
        let c = MemoryCache::new(clock.clone());
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
}
