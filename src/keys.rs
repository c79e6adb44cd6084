//! The key ring: signing keys under `keys/` (PKCS#8 PEM + a manifest), the published JWKS,
//! and the server secret used for CSRF tokens and other MACs.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};

const MANIFEST: &str = "ring.json";
const SECRET: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key store {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("key ring manifest is unreadable: {0}")]
    Manifest(#[from] serde_json::Error),
    #[error("key {0}: {1}")]
    Key(String, String),
    #[error(
        "key ring manifest names the key id {0:?}: a key id is 1 to 128 letters, digits, '-' or '_'"
    )]
    BadKid(String),
}

/// A key id names a file in the key folder, so it must never be a path: only the characters
/// of a JWK thumbprint (base64url), at most 128 of them.
fn valid_kid(kid: &str) -> bool {
    (1..=128).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// One entry of `keys/ring.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    kid: String,
    alg: Algorithm,
    created_at: i64,
    /// Published from creation; used for signing only from this instant.
    sign_from: i64,
}

pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pub sign_from: i64,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
}

pub struct KeyRing {
    keys: Vec<SigningKey>,
    jwks_json: String,
    secret: [u8; 32],
}

/// The algorithms the ring always holds a key for. ES256 is the default; RS256 because
/// OpenID Connect requires every provider to support it.
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::ES256, Algorithm::RS256];

impl KeyRing {
    /// Loads the ring, generating development keys (and saying so) when the directory is empty.
    pub fn load_or_generate(dir: &Path, now: i64) -> Result<Self, KeyError> {
        // 0700 whatever the umask: whoever can write here can publish a key of their own.
        crate::private_fs::create_dir(dir).map_err(|e| KeyError::Io(dir.into(), e))?;
        narrow(dir)?;
        let manifest = dir.join(MANIFEST);
        if !manifest.exists() {
            let entries = ALGORITHMS
                .iter()
                .map(|alg| generate(dir, *alg, now, now))
                .collect::<Result<Vec<_>, _>>()?;
            write_manifest(dir, &entries)?;
            tracing::warn!(
                dir = %dir.display(),
                "generated DEVELOPMENT signing keys on first run; install production keys before going live"
            );
        }
        Self::load(dir)
    }

    pub fn load(dir: &Path) -> Result<Self, KeyError> {
        let entries = read_manifest(dir)?;
        let mut keys = Vec::with_capacity(entries.len());
        for e in entries {
            let path = dir.join(format!("{}.pem", e.kid));
            let pem = std::fs::read(&path).map_err(|err| KeyError::Io(path.clone(), err))?;
            let encoding = match e.alg {
                Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
                _ => EncodingKey::from_ec_pem(&pem),
            }
            .map_err(|err| KeyError::Key(e.kid.clone(), err.to_string()))?;
            let jwk = public_jwk(&encoding, e.alg, &e.kid)?;
            let decoding = DecodingKey::from_jwk(&jwk)
                .map_err(|err| KeyError::Key(e.kid.clone(), err.to_string()))?;
            keys.push(SigningKey {
                kid: e.kid,
                alg: e.alg,
                sign_from: e.sign_from,
                encoding,
                decoding,
            });
        }
        let jwks = JwkSet {
            keys: keys
                .iter()
                .map(|k| public_jwk(&k.encoding, k.alg, &k.kid))
                .collect::<Result<_, _>>()?,
        };
        let jwks_json = serde_json::to_string(&jwks)?;
        let secret = load_or_create_secret(dir)?;
        Ok(Self {
            keys,
            jwks_json,
            secret,
        })
    }

    /// Adds a new key per algorithm that signs from `now + publish_delay`, and drops keys that
    /// nothing can still need: older than the current signer whose successor has signed for
    /// longer than `max_token_ttl`.
    pub fn rotate(
        dir: &Path,
        now: i64,
        publish_delay: i64,
        max_token_ttl: i64,
    ) -> Result<Vec<String>, KeyError> {
        narrow(dir)?;
        let mut entries = read_manifest(dir)?;
        let mut added = Vec::new();
        for alg in ALGORITHMS {
            let e = generate(dir, alg, now, now + publish_delay)?;
            added.push(e.kid.clone());
            entries.push(e);
        }
        let keep: Vec<Entry> = entries
            .iter()
            .filter(|e| {
                // A key is obsolete once a younger key of its algorithm has been signing
                // long enough for every token signed by the older one to have expired.
                !entries.iter().any(|newer| {
                    newer.alg == e.alg
                        && newer.sign_from > e.sign_from
                        && newer.sign_from + max_token_ttl < now
                })
            })
            .cloned()
            .collect();
        for e in entries
            .iter()
            .filter(|e| !keep.iter().any(|k| k.kid == e.kid))
        {
            let _ = std::fs::remove_file(dir.join(format!("{}.pem", e.kid)));
        }
        write_manifest(dir, &keep)?;
        Ok(added)
    }

    /// The key that signs for `alg` at `now`: the youngest whose signing time has come.
    pub fn signer(&self, alg: Algorithm, now: i64) -> Option<&SigningKey> {
        self.keys
            .iter()
            .filter(|k| k.alg == alg && k.sign_from <= now)
            .max_by_key(|k| k.sign_from)
    }

    pub fn verifier(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    pub fn kids(&self) -> impl Iterator<Item = (&str, Algorithm, i64)> {
        self.keys
            .iter()
            .map(|k| (k.kid.as_str(), k.alg, k.sign_from))
    }

    /// The server secret (32 random bytes in `keys/secret.key`), for MACs.
    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    /// AES-256-GCM under a key derived from the server secret for this one purpose.
    /// `context` (e.g. the user id) is bound as associated data: a sealed value copied to
    /// another row does not open there.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&self.box_key()).expect("32-byte key");
        let nonce: [u8; 12] = rand::random();
        let ct = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn open(&self, sealed: &str, context: &str) -> Option<Vec<u8>> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&self.box_key()).ok()?;
        cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .ok()
    }

    fn box_key(&self) -> [u8; 32] {
        use hmac::{Hmac, KeyInit, Mac};
        let mut m =
            <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.secret).expect("any length");
        m.update(b"gerbang secret box v1");
        m.finalize().into_bytes().into()
    }
}

fn public_jwk(encoding: &EncodingKey, alg: Algorithm, kid: &str) -> Result<Jwk, KeyError> {
    let mut jwk = Jwk::from_encoding_key(encoding, alg)
        .map_err(|e| KeyError::Key(kid.into(), e.to_string()))?;
    jwk.common.key_id = Some(kid.to_string());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok(jwk)
}

fn generate(dir: &Path, alg: Algorithm, now: i64, sign_from: i64) -> Result<Entry, KeyError> {
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    use rand_core06::OsRng;
    let pem = match alg {
        Algorithm::RS256 => {
            let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048)
                .map_err(|e| KeyError::Key("RS256".into(), e.to_string()))?;
            key.to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| KeyError::Key("RS256".into(), e.to_string()))?
        }
        _ => {
            let key = p256::SecretKey::random(&mut OsRng);
            key.to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| KeyError::Key("ES256".into(), e.to_string()))?
        }
    };
    let encoding = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()),
        _ => EncodingKey::from_ec_pem(pem.as_bytes()),
    }
    .map_err(|e| KeyError::Key(format!("{alg:?}"), e.to_string()))?;
    // RFC 7638 thumbprint: a kid that names the key itself, stable across restarts.
    let kid = Jwk::from_encoding_key(&encoding, alg)
        .and_then(|j| j.thumbprint(ThumbprintHash::SHA256))
        .map_err(|e| KeyError::Key(format!("{alg:?}"), e.to_string()))?;
    let path = dir.join(format!("{kid}.pem"));
    write_private(&path, pem.as_bytes(), true)?;
    Ok(Entry {
        kid,
        alg,
        created_at: now,
        sign_from,
    })
}

/// A key folder that already existed keeps no wider mode than one made now (an older
/// version under `umask 000` left it 0777, its files 0666).
fn narrow(dir: &Path) -> Result<(), KeyError> {
    if crate::private_fs::narrow_own_dir(dir).map_err(|e| KeyError::Io(dir.into(), e))? {
        tracing::warn!(dir = %dir.display(), "the key folder or files in it were open to others; narrowed to 0700/0600");
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> Result<Vec<Entry>, KeyError> {
    let path = dir.join(MANIFEST);
    let raw = std::fs::read(&path).map_err(|e| KeyError::Io(path, e))?;
    let entries: Vec<Entry> = serde_json::from_slice(&raw)?;
    // Checked before any id is joined to the folder (loading, or removing on rotation).
    if let Some(bad) = entries.iter().find(|e| !valid_kid(&e.kid)) {
        return Err(KeyError::BadKid(bad.kid.clone()));
    }
    Ok(entries)
}

fn write_manifest(dir: &Path, entries: &[Entry]) -> Result<(), KeyError> {
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let body = serde_json::to_vec_pretty(entries)?;
    write_private(&tmp, &body, false)?;
    // Rename is atomic: a server reloading the ring never reads half a manifest.
    std::fs::rename(&tmp, dir.join(MANIFEST)).map_err(|e| KeyError::Io(tmp, e))
}

fn load_or_create_secret(dir: &Path) -> Result<[u8; 32], KeyError> {
    let path = dir.join(SECRET);
    if let Ok(raw) = std::fs::read_to_string(&path) {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim())
            .map_err(|e| KeyError::Key(SECRET.into(), e.to_string()))?;
        return bytes
            .try_into()
            .map_err(|_| KeyError::Key(SECRET.into(), "must hold 32 bytes".into()));
    }
    let secret: [u8; 32] = rand::random();
    write_private(&path, URL_SAFE_NO_PAD.encode(secret).as_bytes(), true)?;
    Ok(secret)
}

/// Writes a key-folder file as 0600 whatever the umask; keys and the secret are never
/// overwritten (`create_new`), the manifest's temporary file is.
fn write_private(path: &Path, data: &[u8], create_new: bool) -> Result<(), KeyError> {
    use std::io::Write;
    let mut f = crate::private_fs::open_private(path, create_new)
        .map_err(|e| KeyError::Io(path.into(), e))?;
    f.write_all(data).map_err(|e| KeyError::Io(path.into(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_publishes_public_parts_only() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::load_or_generate(dir.path(), 1_000).unwrap();
        let jwks: serde_json::Value = serde_json::from_str(ring.jwks_json()).unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        for k in keys {
            // Private members of EC (d) and RSA (d, p, q, dp, dq, qi) keys must never appear.
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(k.get(private).is_none(), "JWKS leaks `{private}`: {k}");
            }
            assert_eq!(k["use"], "sig");
            assert!(k["kid"].as_str().is_some_and(|s| s.len() >= 43));
        }
        let ec = keys.iter().find(|k| k["kty"] == "EC").unwrap();
        assert_eq!(ec["crv"], "P-256");
        assert_eq!(ec["alg"], "ES256");
        let rsa = keys.iter().find(|k| k["kty"] == "RSA").unwrap();
        assert_eq!(rsa["alg"], "RS256");
        assert_eq!(rsa["e"], "AQAB");
    }

    #[test]
    fn sealed_values_open_only_in_their_context() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::load_or_generate(dir.path(), 1_000).unwrap();
        let sealed = ring.seal(b"JBSWY3DPEHPK3PXP", "user-1");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            ring.seal(b"JBSWY3DPEHPK3PXP", "user-1"),
            "fresh nonce each time"
        );
        assert_eq!(
            ring.open(&sealed, "user-1").as_deref(),
            Some(&b"JBSWY3DPEHPK3PXP"[..])
        );
        assert_eq!(ring.open(&sealed, "user-2"), None);
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            ring.open(std::str::from_utf8(&tampered).unwrap(), "user-1"),
            None
        );
    }

    #[test]
    fn key_ids_are_never_paths() {
        for good in ["a", "Az09-_", &"k".repeat(128)] {
            assert!(valid_kid(good), "{good}");
        }
        for bad in [
            "",
            "../evil/k",
            "a/b",
            "a.b",
            "..",
            "k\\x",
            "k\0",
            "é",
            &"k".repeat(129),
        ] {
            assert!(!valid_kid(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_manifest_with_a_path_for_a_key_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        KeyRing::load_or_generate(&keys, 1_000).unwrap();
        let mut entries = read_manifest(&keys).unwrap();
        entries[0].kid = "../outside".into();
        write_manifest(&keys, &entries).unwrap();
        let victim = dir.path().join("outside.pem");
        std::fs::write(&victim, "not mine to delete").unwrap();
        match KeyRing::load(&keys) {
            Err(KeyError::BadKid(k)) => assert_eq!(k, "../outside"),
            other => panic!("loaded: {:?}", other.err()),
        }
        assert!(matches!(
            KeyRing::rotate(&keys, 1_000_000, 0, 1),
            Err(KeyError::BadKid(_))
        ));
        assert!(
            victim.exists(),
            "rotation removed a file outside the key folder"
        );
    }

    #[test]
    fn rotation_publishes_before_signing_and_prunes_old_keys() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::load_or_generate(dir.path(), 1_000).unwrap();
        let first = ring.signer(Algorithm::ES256, 1_000).unwrap().kid.clone();
        KeyRing::rotate(dir.path(), 2_000, 600, 300).unwrap();
        let ring = KeyRing::load(dir.path()).unwrap();
        assert_eq!(ring.kids().count(), 4, "new keys are published at once");
        assert_eq!(ring.signer(Algorithm::ES256, 2_100).unwrap().kid, first);
        let second = ring.signer(Algorithm::ES256, 2_600).unwrap().kid.clone();
        assert_ne!(second, first, "the new key signs after the publish delay");
        // Long after: a third rotation drops the first generation, keeps the second.
        KeyRing::rotate(dir.path(), 10_000, 600, 300).unwrap();
        let ring = KeyRing::load(dir.path()).unwrap();
        assert!(ring.verifier(&first).is_none());
        assert!(ring.verifier(&second).is_some());
        assert_eq!(ring.signer(Algorithm::ES256, 10_000).unwrap().kid, second);
    }
}
