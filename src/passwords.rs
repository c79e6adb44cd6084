//! argon2id hashing on a bounded blocking pool: a login flood queues here instead of
//! starving the async workers that serve tokens, JWKS and userinfo.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

use crate::config::Argon2Params;

#[derive(Clone)]
pub struct Hasher {
    argon: Arc<Argon2<'static>>,
    permits: Arc<Semaphore>,
    /// Verified against when the account has no hash, so "unknown NIP" costs the same time
    /// as "wrong password" and timing does not enumerate accounts.
    dummy: Arc<OnceLock<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    #[error("hashing failed: {0}")]
    Hash(String),
}

impl Hasher {
    pub fn new(p: Argon2Params, workers: usize) -> Self {
        let params = Params::new(p.m_cost_kib, p.t_cost, p.p_cost, None).unwrap_or_else(|e| {
            tracing::error!(error = %e, "invalid argon2 parameters, using OWASP defaults");
            Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid")
        });
        Self {
            argon: Arc::new(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)),
            permits: Arc::new(Semaphore::new(workers.max(1))),
            dummy: Arc::new(OnceLock::new()),
        }
    }

    pub fn hash_blocking(&self, password: &str) -> Result<String, HashError> {
        self.argon
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError::Hash(e.to_string()))
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError::Hash(e.to_string()))?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.hash_blocking(&password))
            .await
            .map_err(|e| HashError::Hash(e.to_string()))?
    }

    /// Verifies `password` against `stored`, or against a dummy hash when there is none.
    /// Returns false in the dummy case whatever the password.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let real = stored.is_some();
            let phc = match stored {
                Some(s) => s,
                None => me.dummy_hash().to_string(),
            };
            let ok = PasswordHash::new(&phc)
                .map(|h| me.argon.verify_password(password.as_bytes(), &h).is_ok())
                .unwrap_or(false);
            ok && real
        })
        .await
        .unwrap_or(false)
    }

    fn dummy_hash(&self) -> &str {
        self.dummy.get_or_init(|| {
            self.hash_blocking("gerbang-dummy-password-for-timing")
                .unwrap_or_default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_own_hashes_and_never_the_dummy() {
        let h = Hasher::new(
            Argon2Params {
                m_cost_kib: 1024,
                t_cost: 1,
                p_cost: 1,
            },
            2,
        );
        let stored = h.hash("Rahasia-Kuat-123".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            h.verify("Rahasia-Kuat-123".into(), Some(stored.clone()))
                .await
        );
        assert!(!h.verify("rahasia-kuat-123".into(), Some(stored)).await);
        assert!(
            !h.verify("gerbang-dummy-password-for-timing".into(), None)
                .await
        );
    }
}
