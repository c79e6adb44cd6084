//! What the cache holds for an issued authorization code, for a redeemed one (so a replay
//! can revoke what it issued), and for a revoked access token.

use serde::{Deserialize, Serialize};

/// What an authorization code stands for, kept in the cache under the code's hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub acr: String,
    pub sid: String,
    /// When the SSO session ends on its own; back-channel logout is owed from then.
    pub session_expires_at: i64,
    pub expires_at: i64,
}

/// Left behind by a redeemed code, so a replay can find and revoke what the code issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedeemedCode {
    pub family_id: Option<String>,
    pub jti: String,
    pub access_expires_at: i64,
}

pub fn code_key(code_hash: &str) -> String {
    format!("code:{code_hash}")
}
pub fn redeemed_key(code_hash: &str) -> String {
    format!("code_used:{code_hash}")
}
pub fn revoked_jti_key(jti: &str) -> String {
    format!("revoked_jti:{jti}")
}
