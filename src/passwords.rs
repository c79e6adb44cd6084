//! argon2id hashing on a bounded blocking pool: a login flood queues here instead of
//! starving the async workers that serve tokens, JWKS and userinfo.

use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher, Version};
use tokio::sync::Semaphore;

use crate::config::Argon2Params;

#[derive(Clone)]
pub struct Hasher {
    argon: Arc<Argon2<'static>>,
    permits: Arc<Semaphore>,
    /// Verified against when the account has no hash, so "unknown NIP" costs the same time
    /// as "wrong password" and timing does not enumerate accounts.
    dummy: Arc<OnceLock<String>>,
    /// Argon2 working memory kept between verifications, at most one per permit. Allocated
    /// per hash, each 19 MiB buffer came fresh from the kernel and faulted in page by page
    /// (~4,900 faults): a third of a login's hashing time on the 2-core bench machine.
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
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
            memory: Arc::new(Mutex::new(Vec::new())),
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
            let ok = me.verify_pooled(password.as_bytes(), &phc);
            ok && real
        })
        .await
        .unwrap_or(false)
    }

    /// What `PasswordVerifier` does — the algorithm, version and parameters of the stored
    /// hash, its salt, a constant-time comparison — but in pooled working memory.
    fn verify_pooled(&self, password: &[u8], phc: &str) -> bool {
        let Ok(h) = PasswordHash::new(phc) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&h.salt, &h.hash) else {
            return false;
        };
        let (Ok(alg), Ok(params)) = (
            Algorithm::try_from(h.algorithm.as_str()),
            Params::try_from(&h),
        ) else {
            return false;
        };
        let version = match h.version.map(Version::try_from) {
            None => Version::default(),
            Some(Ok(v)) => v,
            Some(Err(_)) => return false,
        };
        let blocks = params.block_count();
        let argon = Argon2::new(alg, version, params);
        let pool = || self.memory.lock().unwrap_or_else(|p| p.into_inner());
        let mut memory = pool().pop().unwrap_or_default();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        let mut out = [0u8; 64];
        let Some(out) = out.get_mut(..expected.len()) else {
            return false;
        };
        let done = argon.hash_password_into_with_memory(
            password,
            salt.as_ref(),
            out,
            &mut memory[..blocks],
        );
        pool().push(memory);
        done.is_ok() && crate::secrets::ct_eq(out, expected.as_bytes())
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

    /// The pooled verification must agree with the argon2 crate's own verifier on hashes made
    /// with other parameters (older settings, larger memory than the pool holds) and other
    /// variants, reusing dirty memory between calls.
    #[test]
    fn pooled_verification_matches_the_crate_on_foreign_hashes() {
        let h = Hasher::new(
            Argon2Params {
                m_cost_kib: 256,
                t_cost: 1,
                p_cost: 1,
            },
            1,
        );
        let bigger = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(2048, 2, 2, None).unwrap(),
        );
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(512, 3, 1, Some(24)).unwrap(),
        );
        let own = h.hash_blocking("Sandi-Lama#2020").unwrap();
        for phc in [
            own,
            bigger
                .hash_password(b"Sandi-Lama#2020")
                .unwrap()
                .to_string(),
            argon2i
                .hash_password(b"Sandi-Lama#2020")
                .unwrap()
                .to_string(),
        ] {
            assert!(h.verify_pooled(b"Sandi-Lama#2020", &phc), "{phc}");
            assert!(!h.verify_pooled(b"Sandi-Lama#2021", &phc), "{phc}");
            // A flipped character of the stored hash fails; a mangled string is no panic.
            let mut tampered = phc.clone().into_bytes();
            let last = tampered.len() - 2;
            tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(tampered).unwrap();
            assert!(!h.verify_pooled(b"Sandi-Lama#2020", &tampered));
            assert!(!h.verify_pooled(b"Sandi-Lama#2020", &phc[..phc.len() / 2]));
        }
        assert_eq!(h.memory.lock().unwrap().len(), 1, "one buffer, reused");
    }
}
