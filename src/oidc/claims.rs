//! Which user claims a scope releases, shared by the ID token and `/userinfo`.

use serde_json::{Map, Value, json};

use super::has_scope;
use crate::store::users::User;

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
