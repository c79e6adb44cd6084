//! What the cache holds for an issued authorization code, for a redeemed one (so a replay
//! can revoke what it issued), and for a revoked access token.

use serde::{Deserialize, Serialize};

use crate::cache;

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

/// An issued code, under its SHA-256, for `auth_code_ttl_secs`.
pub struct CodeEntry;

impl cache::Kind for CodeEntry {
    const NS: &'static str = "code";
    type Key<'k> = &'k str;
}
impl cache::Entry for CodeEntry {
    type Value = cache::Json<CodeGrant>;
}

/// A redeemed code, under the code's SHA-256, for as long as what it issued may live.
pub struct RedeemedEntry;

impl cache::Kind for RedeemedEntry {
    const NS: &'static str = "code_used";
    type Key<'k> = &'k str;
}
impl cache::Entry for RedeemedEntry {
    type Value = cache::Json<RedeemedCode>;
}

impl RedeemedEntry {
    /// At least an hour, and never shorter than an access token lives.
    pub fn ttl(settings: &crate::config::Config) -> i64 {
        settings.access_token_ttl_secs.max(3600)
    }
}

/// A revoked access token, under its `jti`, until the token expires.
pub struct RevokedJti;

impl cache::Kind for RevokedJti {
    const NS: &'static str = "revoked_jti";
    type Key<'k> = &'k str;
}
impl cache::Entry for RevokedJti {
    type Value = cache::Flag;
}
