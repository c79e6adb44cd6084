//! The live password-reset code of an account, kept in the cache: one per person. The reset
//! pages create and spend it; the helpdesk ends it when it corrects the address it went to.

use serde::{Deserialize, Serialize};

use crate::cache::{self, CacheError};
use crate::secrets::sha256_hex;
use crate::state::AppState;

#[derive(Serialize, Deserialize)]
pub struct LiveCode {
    pub hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// SHA-256 of the (lower-cased) address the code was mailed to: the code proves that
    /// mailbox only. A code stored before this field existed has none and is refused.
    #[serde(default)]
    pub email: String,
}

/// What a code records of the address it went to; letter case does not make another mailbox.
pub fn email_digest(email: &str) -> String {
    sha256_hex(&email.to_ascii_lowercase())
}

/// The live code of an account, under its user id, for `reset_code_ttl_secs`.
pub struct ResetEntry;

impl cache::Kind for ResetEntry {
    const NS: &'static str = "reset";
    type Key<'k> = &'k str;
}
impl cache::Entry for ResetEntry {
    type Value = cache::Json<LiveCode>;
}

/// Guesses at one code: `(user id, first 16 hex digits of the code's hash)`, while it lives.
pub struct ResetTries;

impl cache::Kind for ResetTries {
    const NS: &'static str = "reset_tries";
    type Key<'k> = (&'k str, &'k str);
}
impl cache::Counter for ResetTries {}

/// Ends the person's live code, if any: it was mailed to an address that is no longer theirs.
pub async fn end(state: &AppState, user_id: &str) -> Result<(), CacheError> {
    state.cache.del::<ResetEntry>(user_id).await
}
