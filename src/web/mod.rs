//! Cross-cutting web concerns: language, CSRF, security headers, error pages, client IP.

pub mod assets;
pub mod csrf;
pub mod headers;
pub mod i18n;

use axum::http::HeaderMap;

/// The peer address as the socket saw it. Proxy headers are not trusted here; the rate-limit
/// work adds a configured list of trusted proxies.
pub fn client_ip(peer: Option<std::net::SocketAddr>) -> Option<String> {
    peer.map(|p| p.ip().to_string())
}

pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect())
}
