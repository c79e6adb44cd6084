//! The claims Gerbang puts in its tokens: who authenticated and how (carried from the SSO
//! session into every token), an access token's claims, and which user claims a scope
//! releases (shared by the ID token and `/userinfo`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::domain::oidc::has_scope;
use crate::store::users::User;

/// Who authenticated, how and when: carried from the SSO session into every token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthContext {
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub acr: String,
    pub sid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    #[serde(default)]
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl AccessClaims {
    /// True for tokens issued to a user (not to a client on its own behalf).
    pub fn has_user(&self) -> bool {
        self.sid.is_some()
    }
}

pub const CLAIMS_SUPPORTED: [&str; 20] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "at_hash",
    "name",
    "preferred_username",
    "nip",
    "instansi_id",
    "unit_kerja",
    "jabatan",
    "email",
    "email_verified",
];

/// `profile` → name, NIP (as `preferred_username` and `nip`), agency; `email` → e-mail.
pub fn user_claims(user: &User, scope: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(user.id));
    if has_scope(scope, "profile") {
        m.insert("name".into(), json!(user.name));
        m.insert("preferred_username".into(), json!(user.nip));
        m.insert("nip".into(), json!(user.nip));
        m.insert("instansi_id".into(), json!(user.instansi_id));
        if let Some(u) = &user.unit_kerja {
            m.insert("unit_kerja".into(), json!(u));
        }
        if let Some(j) = &user.jabatan {
            m.insert("jabatan".into(), json!(j));
        }
    }
    if has_scope(scope, "email") {
        m.insert("email".into(), json!(user.email));
        m.insert("email_verified".into(), json!(user.email_verified));
    }
    m
}

/// What a scope releases, in words a person understands (i18n keys).
pub fn claim_texts(scope: &str) -> Vec<&'static str> {
    let mut out = vec!["consent.claim_id"];
    if has_scope(scope, "profile") {
        out.push("consent.claim_profile");
    }
    if has_scope(scope, "email") {
        out.push("consent.claim_email");
    }
    if has_scope(scope, "offline_access") {
        out.push("consent.claim_offline");
    }
    if has_scope(scope, "helpdesk") {
        out.push("consent.claim_helpdesk");
    }
    out
}
