//! Short-lived shared state with TTLs: SSO sessions, authorization codes, pending
//! authorization requests, captchas, reset codes, OTP burn marks, failure counters.
//!
//! One small interface (get, set with TTL, take once, atomic counters, sets for per-user
//! indexes). The in-process backend is the embedded default; Redis (`redis_url`) is what
//! several replicas share.

mod error;
mod memory;
mod redis;

pub use error::CacheError;
pub use memory::MemoryCache;
pub use redis::RedisCache;

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

    pub async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.get(key)),
            Cache::Redis(r) => r.get(key).await,
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl_secs: i64) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set(key, value, ttl_secs);
                Ok(())
            }
            Cache::Redis(r) => r.set(key, value, ttl_secs).await,
        }
    }

    /// Reads and deletes in one atomic step: the primitive behind single-use codes.
    pub async fn take(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.take(key)),
            Cache::Redis(r) => r.take(key).await,
        }
    }

    pub async fn del(&self, key: &str) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.take(key);
                Ok(())
            }
            Cache::Redis(r) => r.del(key).await,
        }
    }

    /// Adds one to the counter at `key` and returns the new count, atomically (concurrent
    /// guesses on several replicas are all counted); the window restarts with each call.
    pub async fn incr(&self, key: &str, ttl_secs: i64) -> Result<i64, CacheError> {
        self.incr_by(key, 1, ttl_secs).await
    }

    /// As `incr`, by any amount; a count never goes below zero (a give-back never becomes a
    /// credit).
    pub async fn incr_by(&self, key: &str, delta: i64, ttl_secs: i64) -> Result<i64, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.incr_by(key, delta, ttl_secs)),
            Cache::Redis(r) => r.incr_by(key, delta, ttl_secs).await,
        }
    }

    /// Adds `member` to the set at `key` and extends the set's life to at least `ttl_secs`.
    pub async fn set_add(&self, key: &str, member: &str, ttl_secs: i64) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set_add(key, member, ttl_secs);
                Ok(())
            }
            Cache::Redis(r) => r.set_add(key, member, ttl_secs).await,
        }
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set_remove(key, member);
                Ok(())
            }
            Cache::Redis(r) => r.set_remove(key, member).await,
        }
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>, CacheError> {
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
