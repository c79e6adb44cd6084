//! Application state handed to every handler by axum; no globals.

use std::sync::{Arc, RwLock};

use crate::breach::BreachCheck;
use crate::cache::Cache;
use crate::clock::Clock;
use crate::config::Config;
use crate::keys::KeyRing;
use crate::mail::Mailer;
use crate::memo::Memo;
use crate::oidc::claims::AccessClaims;
use crate::passwords::Hasher;
use crate::store::Store;
use crate::store::clients::Client;
use crate::store::users::User;

/// Cheap to clone (one reference count): axum clones the state for every stateful layer and
/// extractor of every request, and a field-by-field clone was ~13% of a discovery request's
/// CPU (perf, issue 9). Fields read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub store: Store,
    pub cache: Cache,
    keys: RwLock<Arc<KeyRing>>,
    pub settings: Config,
    pub clock: Clock,
    pub hasher: Hasher,
    /// The breach corpus new passwords are checked against.
    pub breach: BreachCheck,
    pub mailer: Mailer,
    /// The discovery document, serialised once.
    pub discovery: bytes::Bytes,
    /// Outbound HTTP to services (client JWKS, back-channel logout): short timeouts and no
    /// redirects, so a slow or hostile service cannot hold a worker or bounce us elsewhere.
    pub http: reqwest::Client,
    /// The agency's header fragment (`web::branding`), built once.
    pub branding: Box<str>,
    /// Wakes the back-channel logout worker when a session ends.
    pub logout_wake: tokio::sync::Notify,
    /// Client records for the machine-to-machine endpoints (`client_cache_secs`).
    pub clients: Memo<String, Client>,
    /// Access tokens already verified, by SHA-256 of the token: (kid, claims).
    pub verified: Memo<[u8; 32], (String, AccessClaims)>,
    /// User records served at `/userinfo`, by user id (`userinfo_cache_secs`).
    pub userinfo_users: Memo<String, User>,
    /// Every client's `web_origins`, for CORS (`client_cache_secs`, like client records).
    pub web_origins: Memo<(), Vec<String>>,
}

/// Users remembered for `/userinfo` at most: a few seconds of distinct callers at peak.
const USERINFO_USERS: usize = 50_000;

/// What the state is built from (`server::build_state`); published documents are made
/// there too, so the state needs nothing from the features it serves.
pub struct Parts {
    pub store: Store,
    pub cache: Cache,
    pub keys: KeyRing,
    pub mailer: Mailer,
    pub settings: Config,
    pub clock: Clock,
    pub breach: BreachCheck,
    /// The discovery document, serialised.
    pub discovery: bytes::Bytes,
    /// The agency's header fragment for pages.
    pub branding: Box<str>,
}

impl AppState {
    pub fn new(p: Parts) -> Self {
        let Parts {
            store,
            cache,
            keys,
            mailer,
            settings,
            clock,
            breach,
            discovery,
            branding,
        } = p;
        let hasher = Hasher::new(settings.argon2, settings.hash_workers);
        let client_cache = settings.client_cache_secs;
        let verified_cap = settings.verified_token_cache;
        Self(Arc::new(Shared {
            store,
            cache,
            keys: RwLock::new(Arc::new(keys)),
            settings,
            clock,
            hasher,
            breach,
            mailer,
            discovery,
            branding,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .connect_timeout(std::time::Duration::from_secs(3))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            logout_wake: tokio::sync::Notify::new(),
            // Bounded by the number of registered clients: only found ones are kept.
            clients: Memo::new(if client_cache > 0 { 10_000 } else { 0 }),
            verified: Memo::new(verified_cap),
            userinfo_users: Memo::new(USERINFO_USERS),
            web_origins: Memo::new(1),
        }))
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
