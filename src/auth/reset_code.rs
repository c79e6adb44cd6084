//! The live password-reset code of an account, kept in the cache: one per person. The reset
//! pages create and spend it; the helpdesk ends it when it corrects the address it went to.

use serde::{Deserialize, Serialize};

use crate::cache::CacheError;
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

pub fn code_key(user_id: &str) -> String {
    format!("reset:{user_id}")
}

/// Ends the person's live code, if any: it was mailed to an address that is no longer theirs.
pub async fn end(state: &AppState, user_id: &str) -> Result<(), CacheError> {
    state.cache.del(&code_key(user_id)).await
}
