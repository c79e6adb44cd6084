//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic` or `client_secret_post`, never both at once.
//!
//! Secrets are compared as SHA-256 digests in constant time. They are 256-bit random values
//! (generated ones) or at least 32 characters (operator-supplied), so a fast hash is enough,
//! and the token endpoint is not slowed to argon2 speed for every service call.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::OAuthError;
use crate::secrets::{ct_eq, sha256_hex};
use crate::state::AppState;
use crate::store::clients::Client;

pub const MIN_SECRET_LEN: usize = 32;

pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<Client, OAuthError> {
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let (id, secret) = match (basic, form_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        (Some(b), None) => parse_basic(b).ok_or_else(OAuthError::invalid_client)?,
        (None, Some(s)) => (
            form_id.ok_or_else(OAuthError::invalid_client)?.to_string(),
            s.to_string(),
        ),
        (None, None) => return Err(OAuthError::invalid_client()),
    };
    if form_id.is_some_and(|f| f != id) {
        return Err(OAuthError::invalid_request(
            "client_id does not match the credentials",
        ));
    }
    let client = state.store.find_client(&id).await?;
    let presented = sha256_hex(&secret);
    match client {
        Some(c) if ct_eq(presented.as_bytes(), c.secret_hash.as_bytes()) => Ok(c),
        _ => Err(OAuthError::invalid_client()),
    }
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined and base64'd.
fn parse_basic(b64: &str) -> Option<(String, String)> {
    let raw = STANDARD.decode(b64.trim()).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((dec(id)?, dec(secret)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_credentials_are_url_decoded() {
        use base64::Engine;
        let b = base64::engine::general_purpose::STANDARD.encode("my%20app:s%3Acret+x");
        assert_eq!(
            super::parse_basic(&b),
            Some(("my app".to_string(), "s:cret x".to_string()))
        );
        assert_eq!(super::parse_basic("!!!"), None);
    }
}
