//! The backend behind the cache: in-process or Redis, and the untyped primitives the typed
//! layer (`typed.rs`) is built on.

use super::error::CacheError;
use super::memory::MemoryCache;
use super::redis::RedisCache;
use crate::clock::Clock;

#[derive(Clone)]
pub enum Cache {
    Memory(MemoryCache),
    Redis(RedisCache),
}

impl Cache {
    /// The in-process cache, bounded to about `max_entries` (see `memory.rs`).
    pub fn memory(clock: Clock, max_entries: usize) -> Self {
        Cache::Memory(MemoryCache::new(clock, max_entries))
    }

    /// Entries held by the in-process cache (for tests and diagnostics); `None` for Redis,
    /// which bounds itself (`maxmemory`).
    pub fn entries(&self) -> Option<usize> {
        match self {
            Cache::Memory(m) => Some(m.len()),
            Cache::Redis(_) => None,
        }
    }

    pub fn redis(url: &str, prefix: &str, clock: Clock) -> Result<Self, CacheError> {
        Ok(Cache::Redis(RedisCache::connect(url, prefix, clock)?))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Cache::Memory(_) => "memory",
            Cache::Redis(_) => "redis",
        }
    }

    /// Readiness: the in-process cache is always there.
    pub async fn ping(&self) -> Result<(), CacheError> {
        match self {
            Cache::Memory(_) => Ok(()),
            Cache::Redis(r) => r.ping().await,
        }
    }

    // The untyped primitives below the typed layer (`typed.rs`), which is what features use.

    /// The string stored under a full key, as the backend holds it (tests, diagnostics).
    pub async fn raw_get(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.get(key)),
            Cache::Redis(r) => r.get(key).await,
        }
    }

    pub(super) async fn raw_set(
        &self,
        key: &str,
        value: &str,
        ttl_secs: i64,
    ) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set(key, value, ttl_secs);
                Ok(())
            }
            Cache::Redis(r) => r.set(key, value, ttl_secs).await,
        }
    }

    /// Reads and deletes in one atomic step: the primitive behind single-use codes.
    pub(super) async fn raw_take(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.take(key)),
            Cache::Redis(r) => r.take(key).await,
        }
    }

    pub(super) async fn raw_del(&self, key: &str) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.take(key);
                Ok(())
            }
            Cache::Redis(r) => r.del(key).await,
        }
    }

    /// Adds `delta` to the counter at `key` and returns the new count, atomically (concurrent
    /// guesses on several replicas are all counted); the window restarts with each call. A
    /// count never goes below zero (a give-back never becomes a credit).
    pub(super) async fn raw_incr_by(
        &self,
        key: &str,
        delta: i64,
        ttl_secs: i64,
    ) -> Result<i64, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.incr_by(key, delta, ttl_secs)),
            Cache::Redis(r) => r.incr_by(key, delta, ttl_secs).await,
        }
    }

    /// Adds `member` to the set at `key` and extends the set's life to at least `ttl_secs`.
    pub(super) async fn raw_set_add(
        &self,
        key: &str,
        member: &str,
        ttl_secs: i64,
    ) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set_add(key, member, ttl_secs);
                Ok(())
            }
            Cache::Redis(r) => r.set_add(key, member, ttl_secs).await,
        }
    }

    pub(super) async fn raw_set_remove(&self, key: &str, member: &str) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set_remove(key, member);
                Ok(())
            }
            Cache::Redis(r) => r.set_remove(key, member).await,
        }
    }

    pub(super) async fn raw_set_members(&self, key: &str) -> Result<Vec<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.set_members(key)),
            Cache::Redis(r) => r.set_members(key).await,
        }
    }

    /// Drops expired entries (in-process backend only; Redis expires on its own).
    pub fn sweep(&self) {
        match self {
            Cache::Memory(m) => m.sweep(),
            Cache::Redis(_) => {}
        }
    }
}
