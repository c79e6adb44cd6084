//! Redis backend: what several replicas share. Every key carries a prefix (one Redis can hold
//! several deployments, and each test its own namespace).
//!
//! Strings are stored as `"<expires_at>|<value>"` and checked against `Clock` as well as given
//! a Redis TTL: production is the same either way, and tests that move the clock see entries
//! expire exactly as they do in the in-process backend.

use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::error::CacheError;
use crate::clock::Clock;

#[derive(Clone)]
pub struct RedisCache {
    conn: ConnectionManager,
    prefix: String,
    clock: Clock,
}

impl From<redis::RedisError> for CacheError {
    fn from(e: redis::RedisError) -> Self {
        CacheError(e.to_string())
    }
}

/// Counter with the same sliding window as a get + set, but in one step on the server.
static INCR: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[1])
local n = 0
if v then
  local sep = string.find(v, '|', 1, true)
  if sep and tonumber(string.sub(v, 1, sep - 1)) > now then
    n = tonumber(string.sub(v, sep + 1)) or 0
  end
end
n = math.max(0, n + tonumber(ARGV[3]))
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], tostring(now + ttl) .. '|' .. tostring(n), 'EX', math.max(ttl, 1))
return n
",
    )
});

/// Adds a member and extends (never shortens) the set's life.
static SET_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('TTL', KEYS[1]) < ttl then redis.call('EXPIRE', KEYS[1], ttl) end
return 1
",
    )
});

impl RedisCache {
    /// Connects lazily: a replica starts (and reports not-ready) while Redis is away, and
    /// every command fails within about a second instead of hanging while it stays away.
    pub fn connect(url: &str, prefix: &str, clock: Clock) -> Result<Self, CacheError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(1000)))
            .set_response_timeout(Some(Duration::from_millis(1000)))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            conn,
            prefix: prefix.to_string(),
            clock,
        })
    }

    fn k(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn live(&self, raw: Option<String>) -> Option<String> {
        let raw = raw?;
        let (exp, value) = raw.split_once('|')?;
        (exp.parse::<i64>().ok()? > self.clock.now()).then(|| value.to_string())
    }

    pub async fn ping(&self) -> Result<(), CacheError> {
        let mut c = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut c).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let raw: Option<String> = self.conn.clone().get(self.k(key)).await?;
        Ok(self.live(raw))
    }

    pub async fn set(&self, key: &str, value: &str, ttl_secs: i64) -> Result<(), CacheError> {
        let ttl = ttl_secs.max(1);
        let raw = format!("{}|{value}", self.clock.now() + ttl);
        let _: () = self
            .conn
            .clone()
            .set_ex(self.k(key), raw, ttl as u64)
            .await?;
        Ok(())
    }

    pub async fn take(&self, key: &str) -> Result<Option<String>, CacheError> {
        let raw: Option<String> = self.conn.clone().get_del(self.k(key)).await?;
        Ok(self.live(raw))
    }

    pub async fn del(&self, key: &str) -> Result<(), CacheError> {
        let _: () = self.conn.clone().del(self.k(key)).await?;
        Ok(())
    }

    pub async fn incr_by(&self, key: &str, delta: i64, ttl_secs: i64) -> Result<i64, CacheError> {
        let n: i64 = INCR
            .key(self.k(key))
            .arg(self.clock.now())
            .arg(ttl_secs)
            .arg(delta)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(n)
    }

    pub async fn set_add(&self, key: &str, member: &str, ttl_secs: i64) -> Result<(), CacheError> {
        let _: i64 = SET_ADD
            .key(self.k(key))
            .arg(member)
            .arg(ttl_secs.max(1))
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    pub async fn set_remove(&self, key: &str, member: &str) -> Result<(), CacheError> {
        let _: () = self.conn.clone().srem(self.k(key), member).await?;
        Ok(())
    }

    pub async fn set_members(&self, key: &str) -> Result<Vec<String>, CacheError> {
        Ok(self.conn.clone().smembers(self.k(key)).await?)
    }
}
