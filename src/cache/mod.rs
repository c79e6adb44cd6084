//! Short-lived shared state with TTLs: SSO sessions, authorization codes, pending
//! authorization requests, captchas, reset codes, OTP burn marks, failure counters.
//!
//! One small interface (get, set with TTL, take once, atomic counters, sets for per-user
//! indexes), typed per kind of entry (`typed.rs`: features declare their kinds, the cache
//! builds keys and encodes values). `backend.rs` picks the store: the in-process one
//! (`memory.rs`) is the embedded default; Redis (`redis_url`, `redis.rs`) is what several
//! replicas share.

mod backend;
mod error;
mod memory;
mod redis;
mod typed;

pub use backend::Cache;
pub use error::CacheError;
pub use memory::MemoryCache;
pub use redis::RedisCache;
pub use typed::{Counter, Entry, Flag, Format, Int, Json, KeyPart, Kind, Set, Text, Value, key};
