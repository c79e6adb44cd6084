//! Application state handed to every handler by axum; no globals.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use crate::cache::Cache;
use crate::config::Config;
use crate::keys::KeyRing;
use crate::mail::Mailer;
use crate::passwords::Hasher;
use crate::store::Store;

/// Wall-clock time in unix seconds plus an offset tests can move (expiry, TTLs, lockouts).
#[derive(Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        real + self.offset.load(Ordering::Relaxed)
    }

    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub cache: Cache,
    keys: Arc<RwLock<Arc<KeyRing>>>,
    pub settings: Arc<Config>,
    pub clock: Clock,
    pub hasher: Hasher,
    pub mailer: Mailer,
    /// The discovery document, serialised once.
    pub discovery: bytes::Bytes,
}

impl AppState {
    pub fn new(
        store: Store,
        cache: Cache,
        keys: KeyRing,
        mailer: Mailer,
        settings: Config,
        clock: Clock,
    ) -> Self {
        let hasher = Hasher::new(settings.argon2, settings.hash_workers);
        let discovery = crate::oidc::discovery::document(&settings).into();
        Self {
            store,
            cache,
            keys: Arc::new(RwLock::new(Arc::new(keys))),
            settings: Arc::new(settings),
            clock,
            hasher,
            mailer,
            discovery,
        }
    }

    /// The current key ring; cheap (an `Arc` clone), so handlers take it per request.
    pub fn keys(&self) -> Arc<KeyRing> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Swaps in a reloaded ring (after `gerbang keys rotate` on disk).
    pub fn replace_keys(&self, ring: KeyRing) {
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(ring);
    }
}
