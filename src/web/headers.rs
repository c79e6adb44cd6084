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

/// Origins one page may send a form to (the form-post answer: the service's redirect URI)
/// or load in frames (the logout page: the services' front-channel logout URIs). A handler
/// puts it in the response's extensions; nothing else ever widens the policy.
#[derive(Clone, Debug, Default)]
pub struct CspAllow {
    pub form_action: Vec<String>,
    pub frame_src: Vec<String>,
}

/// An origin as a CSP source: `scheme://host[:port]` and nothing that could end the
/// directive or the header (origins come from registered URIs, checked again here).
fn source(origin: &str) -> Option<&str> {
    let ok = origin.starts_with("https://") || origin.starts_with("http://");
    let plain = origin
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-:/[]".contains(&b));
    (ok && plain).then_some(origin)
}

fn directive(name: &str, origins: &[String]) -> String {
    let list: Vec<&str> = origins.iter().filter_map(|o| source(o)).collect();
    if list.is_empty() {
        // Asked for, but nothing valid: allow nothing rather than fall back to anything.
        format!("; {name} 'none'")
    } else {
        format!("; {name} {}", list.join(" "))
    }
}

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let csp = match res.extensions().get::<CspAllow>() {
        None => HeaderValue::from_static(CSP),
        Some(allow) => {
            let mut csp = CSP.to_string();
            if !allow.form_action.is_empty() {
                csp.push_str(&directive("form-action", &allow.form_action));
            }
            if !allow.frame_src.is_empty() {
                csp.push_str(&directive("frame-src", &allow.frame_src));
            }
            HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(CSP))
        }
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
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
