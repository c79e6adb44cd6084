//! Cross-cutting web concerns: language, CSRF, security headers, error pages, client IP.

pub mod assets;
pub mod branding;
pub mod captcha;
pub mod csrf;
pub mod extract;
pub mod headers;
pub mod i18n;
pub mod rate_limit;
pub mod time;

use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, SameSite};

pub use extract::{ClientMeta, CsrfFirst, CsrfForm, CsrfToken};

/// The client's IP for audit rows and counters (see `rate_limit::client_ip` for the rules).
pub fn client_ip(
    state: &crate::state::AppState,
    peer: std::net::SocketAddr,
    headers: &HeaderMap,
) -> String {
    rate_limit::client_ip(peer.ip(), headers, &state.settings.trusted_proxies).to_string()
}

pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect())
}

/// Our cookies: whole site, never read by scripts, sent on top-level navigation from
/// elsewhere (Lax: a service's redirect back must find the session), `Secure` unless the
/// operator serves plain HTTP in development.
pub fn cookie(
    state: &crate::state::AppState,
    name: &'static str,
    value: String,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(state.settings.cookies_secure())
        .same_site(SameSite::Lax)
        .build()
}
