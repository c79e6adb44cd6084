//! Minting and checking JWTs: ID tokens (per-client alg, ES256 default) and RFC 9068
//! access tokens (`typ: at+jwt`, ES256) that services can validate offline against JWKS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header, encode};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::claims::{AccessClaims, AuthContext};
use crate::keys::KeyRing;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::users::User;

pub const AT_TYP: &str = "at+jwt";
/// The `typ` of the ID tokens we sign.
pub const ID_TYP: &str = "JWT";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no signing key for {0:?}")]
    NoKey(Algorithm),
    #[error(transparent)]
    Jwt(#[from] jsonwebtoken::errors::Error),
    #[error("token rejected")]
    Rejected,
    #[error("a token we signed, but not an ID token")]
    NotIdToken,
    /// The revocation list could not be read (Redis away): whether the token still holds is
    /// unknown, so it is neither accepted nor called invalid (a service would sign the person
    /// out for an outage); callers answer 503 `temporarily_unavailable`.
    #[error("revocation list unavailable: {0}")]
    Unavailable(crate::cache::CacheError),
}

pub fn parse_alg(s: &str) -> Option<Algorithm> {
    match s {
        "ES256" => Some(Algorithm::ES256),
        "RS256" => Some(Algorithm::RS256),
        _ => None,
    }
}

fn sign<T: Serialize>(
    ring: &KeyRing,
    alg: Algorithm,
    typ: &str,
    now: i64,
    claims: &T,
) -> Result<String, TokenError> {
    let key = ring.signer(alg, now).ok_or(TokenError::NoKey(alg))?;
    let mut header = Header::new(alg);
    header.kid = Some(key.kid.clone());
    header.typ = Some(typ.to_string());
    Ok(encode(&header, claims, &key.encoding)?)
}

pub fn mint_access(
    state: &AppState,
    ring: &KeyRing,
    sub: &str,
    client: &Client,
    scope: &str,
    auth: Option<&AuthContext>,
) -> Result<(String, AccessClaims), TokenError> {
    let now = state.clock.now();
    let client_id = &client.id;
    let ttl = client
        .access_token_ttl_secs
        .unwrap_or(state.settings.access_token_ttl_secs);
    let claims = AccessClaims {
        iss: state.settings.issuer().to_string(),
        sub: sub.to_string(),
        aud: client_id.to_string(),
        exp: now + ttl,
        iat: now,
        jti: uuid::Uuid::new_v4().to_string(),
        client_id: client_id.to_string(),
        scope: scope.to_string(),
        auth_time: auth.map(|a| a.auth_time),
        acr: auth.map(|a| a.acr.clone()),
        amr: auth.map(|a| a.amr.clone()),
        sid: auth.map(|a| a.sid.clone()),
    };
    let jwt = sign(ring, Algorithm::ES256, AT_TYP, now, &claims)?;
    Ok((jwt, claims))
}

pub struct IdTokenInput<'a> {
    pub user: &'a User,
    pub client_id: &'a str,
    pub alg: Algorithm,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub auth: &'a AuthContext,
    pub access_token: &'a str,
}

pub fn mint_id(
    state: &AppState,
    ring: &KeyRing,
    i: &IdTokenInput<'_>,
) -> Result<String, TokenError> {
    let now = state.clock.now();
    let mut claims: Map<String, Value> = super::claims::user_claims(i.user, i.scope);
    claims.insert("iss".into(), json!(state.settings.issuer()));
    claims.insert("aud".into(), json!(i.client_id));
    claims.insert("azp".into(), json!(i.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + state.settings.id_token_ttl_secs));
    claims.insert("auth_time".into(), json!(i.auth.auth_time));
    claims.insert("acr".into(), json!(i.auth.acr));
    claims.insert("amr".into(), json!(i.auth.amr));
    claims.insert("sid".into(), json!(i.auth.sid));
    if let Some(n) = i.nonce {
        claims.insert("nonce".into(), json!(n));
    }
    claims.insert("at_hash".into(), json!(half_hash(i.access_token)));
    sign(ring, i.alg, ID_TYP, now, &claims)
}

/// OIDC Back-Channel Logout 1.0 §2.4: `typ: logout+jwt`, the `events` member, `sid` and
/// `sub`, never a `nonce`; signed like the client's ID tokens, and short-lived.
pub fn mint_logout(
    state: &AppState,
    ring: &KeyRing,
    client_id: &str,
    alg: Algorithm,
    sub: &str,
    sid: &str,
) -> Result<String, TokenError> {
    let now = state.clock.now();
    let claims = json!({
        "iss": state.settings.issuer(),
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": uuid::Uuid::new_v4().to_string(),
        "sub": sub,
        "sid": sid,
        "events": { BACKCHANNEL_EVENT: {} },
    });
    sign(ring, alg, "logout+jwt", now, &claims)
}

pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// OIDC Core §3.1.3.6: left half of SHA-256 (both ES256 and RS256 use SHA-256), base64url.
fn half_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d[..16])
}

/// Checks signature, issuer, expiry and `typ` of an access token we issued, and that it has
/// not been revoked.
///
/// A token this replica verified before is recognised by its SHA-256 (a preimage-resistant
/// key: no other string can take its place) and skips the signature check, which is most of
/// the cost of userinfo and introspection; its signing key must still be in the ring (a key
/// withdrawn by the operator ends its tokens at the next ring reload), and expiry and
/// revocation are checked every time.
pub async fn verify_access(state: &AppState, token: &str) -> Result<AccessClaims, TokenError> {
    let now = state.clock.now();
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let claims = match state.verified.get(&digest, now) {
        Some(hit) if state.keys().verifier(&hit.0).is_some() => hit.1.clone(),
        _ => {
            let (kid, claims) = verify_access_signature(state, token)?;
            state.verified.insert(
                digest,
                std::sync::Arc::new((kid, claims.clone())),
                claims.exp,
                now,
            );
            claims
        }
    };
    if claims.exp <= now {
        return Err(TokenError::Rejected);
    }
    let revoked = state
        .cache
        .get::<super::codes::RevokedJti>(&claims.jti)
        .await
        .map_err(TokenError::Unavailable)?;
    if revoked.is_some() {
        return Err(TokenError::Rejected);
    }
    Ok(claims)
}

/// `verify_access` for callers that treat every refusal alike: `None` for a token that does
/// not hold, an error only when the revocation list could not be read.
pub async fn check_access(
    state: &AppState,
    token: &str,
) -> Result<Option<AccessClaims>, crate::cache::CacheError> {
    match verify_access(state, token).await {
        Ok(c) => Ok(Some(c)),
        Err(TokenError::Unavailable(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The cryptographic half of `verify_access`: header, key, signature and issuer.
fn verify_access_signature(
    state: &AppState,
    token: &str,
) -> Result<(String, AccessClaims), TokenError> {
    let header = decode_header(token)?;
    // An ID token must never be accepted where an access token is expected.
    if header.typ.as_deref() != Some(AT_TYP) {
        return Err(TokenError::Rejected);
    }
    let ring = state.keys();
    let kid = header.kid.ok_or(TokenError::Rejected)?;
    let key = ring.verifier(&kid).ok_or(TokenError::Rejected)?;
    if key.alg != header.alg {
        return Err(TokenError::Rejected);
    }
    let mut v = Validation::new(key.alg);
    v.set_issuer(&[state.settings.issuer()]);
    v.validate_aud = false;
    v.validate_exp = false; // checked against the server clock below
    v.set_required_spec_claims(&["exp", "iss", "sub"]);
    let claims = decode::<AccessClaims>(token, &key.decoding, &v)?.claims;
    Ok((kid, claims))
}

/// Claims of an ID token we issued, signature and issuer checked, expiry ignored
/// (`id_token_hint` at logout is usually expired, and RP-Initiated Logout 1.0 §2 allows it).
///
/// Only an ID token: an access token (`at+jwt`), a back-channel logout token
/// (`logout+jwt`, `events`) or anything else we sign is `NotIdToken`, so a token a service
/// received for another purpose can never stand in for one.
pub fn verify_id_token_hint(
    state: &AppState,
    token: &str,
) -> Result<Map<String, Value>, TokenError> {
    let header = decode_header(token)?;
    let ring = state.keys();
    let key = ring
        .verifier(header.kid.as_deref().ok_or(TokenError::Rejected)?)
        .ok_or(TokenError::Rejected)?;
    if key.alg != header.alg {
        return Err(TokenError::Rejected);
    }
    let mut v = Validation::new(key.alg);
    v.set_issuer(&[state.settings.issuer()]);
    v.validate_aud = false;
    v.validate_exp = false;
    v.set_required_spec_claims(&["iss", "sub", "aud"]);
    let claims = decode::<Map<String, Value>>(token, &key.decoding, &v)?.claims;
    // `mint_id` writes `typ: JWT`, a string `aud`, `azp` and `sid`, and never `events`,
    // `client_id` or `scope` (which logout and access tokens carry).
    let id_token = header.typ.as_deref() == Some(ID_TYP)
        && claims.get("aud").is_some_and(Value::is_string)
        && claims.contains_key("azp")
        && ["events", "client_id", "scope"]
            .iter()
            .all(|k| !claims.contains_key(*k));
    if !id_token {
        return Err(TokenError::NotIdToken);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_hash_matches_oidc_core_example() {
        // OpenID Connect Core 1.0, Appendix A.3.
        assert_eq!(
            super::half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
