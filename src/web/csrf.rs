//! CSRF: signed double-submit. A random value lives in an HttpOnly cookie; forms carry
//! HMAC(server secret, value). A cross-site page can neither read the cookie nor forge the MAC.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::state::AppState;

pub const COOKIE: &str = "gerbang_csrf";
pub const FIELD: &str = "csrf_token";

fn mac(secret: &[u8; 32], value: &str) -> String {
    let mut m =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(b"csrf:");
    m.update(value.as_bytes());
    URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// The token for a form, setting the cookie when the browser has none yet.
pub fn issue(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    let secret = *state.keys().secret();
    if let Some(c) = jar.get(COOKIE) {
        let token = mac(&secret, c.value());
        return (jar, token);
    }
    let value = crate::secrets::random_token();
    let token = mac(&secret, &value);
    let cookie = crate::web::cookie::cookie(state, COOKIE, value);
    (jar.add(cookie), token)
}

pub fn verify(state: &AppState, jar: &CookieJar, token: Option<&str>) -> bool {
    let (Some(cookie), Some(token)) = (jar.get(COOKIE), token) else {
        return false;
    };
    let expected = mac(state.keys().secret(), cookie.value());
    crate::secrets::ct_eq(expected.as_bytes(), token.as_bytes())
}

/// A new CSRF value for a new session (at login): a value planted or read before the login
/// is worthless after it.
pub fn rotate(state: &AppState, jar: CookieJar) -> CookieJar {
    let jar = jar.remove(Cookie::build(COOKIE).path("/"));
    issue(state, jar).0
}
