//! Short-lived shared state with TTLs: SSO sessions, authorization codes, pending
//! authorization requests, revoked access-token ids.
//!
//! One small interface (get, set with TTL, take once, sets for per-user indexes). The
//! in-process backend is the embedded default; a Redis backend slots in behind the same enum.

mod memory;

pub use memory::MemoryCache;

use crate::state::Clock;

#[derive(Clone)]
pub enum Cache {
    Memory(MemoryCache),
}

#[derive(Debug, thiserror::Error)]
#[error("cache unavailable: {0}")]
pub struct CacheError(pub String);

impl Cache {
    pub fn memory(clock: Clock) -> Self {
        Cache::Memory(MemoryCache::new(clock))
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.get(key)),
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl_secs: i64) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set(key, value, ttl_secs);
                Ok(())
            }
        }
    }

    /// Reads and deletes in one atomic step: the primitive behind single-use codes.
    pub async fn take(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.take(key)),
        }
    }

    pub async fn del(&self, key: &str) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.take(key);
                Ok(())
            }
        }
    }

    /// Adds `member` to the set at `key` and extends the set's life to at least `ttl_secs`.
    pub async fn set_add(&self, key: &str, member: &str, ttl_secs: i64) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set_add(key, member, ttl_secs);
                Ok(())
            }
        }
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<(), CacheError> {
        match self {
            Cache::Memory(m) => {
                m.set_remove(key, member);
                Ok(())
            }
        }
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>, CacheError> {
        match self {
            Cache::Memory(m) => Ok(m.set_members(key)),
        }
    }

    /// Drops expired entries (in-process backend only; Redis expires on its own).
    pub fn sweep(&self) {
        match self {
            Cache::Memory(m) => m.sweep(),
        }
    }
}
