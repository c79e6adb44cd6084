//! Security headers on every response, and `no-store` on every response that does not
//! choose its own caching: pages show TOTP secrets, recovery codes and personal data, and a
//! shared or back-button cache must never keep them. Static assets, discovery and JWKS set
//! their own public caching and keep it.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

// No inline script anywhere; images may be data: URIs (the TOTP QR code).
// `form-action` is left out on purpose: Chrome applies it to the redirect that follows a
// login POST, which would block the return to the relying party.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // HTTP/1.0 caches (some old agency proxies) know only this one.
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    if state.settings.cookies_secure() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}
