//! The one error of the cache: its backend could not be reached or answered nonsense.

#[derive(Debug, thiserror::Error)]
#[error("cache unavailable: {0}")]
pub struct CacheError(pub String);
