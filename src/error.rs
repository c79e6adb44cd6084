//! Errors. Browser routes return `AppError`, rendered as an HTML page in the request's
//! language by the `render_error_pages` middleware; OAuth endpoints return `OAuthError`,
//! serialised as RFC 6749 JSON.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::oidc::OAuthErrorCode;

use crate::web::i18n::Lang;

#[derive(Debug, Clone, Copy)]
pub struct AppError {
    pub status: StatusCode,
    /// i18n key of the message shown.
    pub key: &'static str,
}

impl AppError {
    pub const fn new(status: StatusCode, key: &'static str) -> Self {
        Self { status, key }
    }
    pub const fn bad_request(key: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, key)
    }
    pub const fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
    }
}

/// Whether an error means a backing service is away (database or Redis down, pool
/// exhausted): the user is told to try again shortly (503), not that something broke.
pub trait Outage {
    fn is_outage(&self) -> bool;
}

impl Outage for crate::store::StoreError {
    fn is_outage(&self) -> bool {
        match self {
            crate::store::StoreError::Db(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Tls(_),
            ) => true,
            // PostgreSQL shutting down or restarting (57P0x "operator intervention", e.g.
            // "terminating connection due to administrator command") or a broken
            // connection (class 08): seen in the PostgreSQL drill as a 500 before this.
            crate::store::StoreError::Db(sqlx::Error::Database(d)) => d
                .code()
                .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
            _ => false,
        }
    }
}

impl Outage for crate::cache::CacheError {
    fn is_outage(&self) -> bool {
        // Every Redis error is a connection, timeout or server-side failure.
        true
    }
}

impl Outage for crate::passwords::HashError {
    fn is_outage(&self) -> bool {
        false
    }
}

impl Outage for jsonwebtoken::errors::Error {
    fn is_outage(&self) -> bool {
        false
    }
}

/// Errors from the store or cache reach the user as a generic page; the detail goes to the log.
macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                if e.is_outage() {
                    tracing::error!(error = %e, "backing service unavailable");
                    AppError::new(StatusCode::SERVICE_UNAVAILABLE, "error.unavailable")
                } else {
                    tracing::error!(error = %e, "internal error");
                    AppError::internal()
                }
            }
        }
    )*};
}
internal_from!(
    crate::store::StoreError,
    crate::cache::CacheError,
    crate::passwords::HashError
);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Rendered later, when the request's language is known (see `render_error_pages`).
        let mut res = self.status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: Lang,
    message: &'static str,
    /// The request's `X-Request-Id` (the one in the log line and any audit event it wrote):
    /// what a person quotes to the helpdesk so staff can find what happened.
    request_id: Option<String>,
}

/// Turns every `AppError` (and bare 404/413 from the framework) into a page in the user's
/// language.
pub async fn render_error_pages(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let lang = Lang::from_parts(&parts);
    // A browser opening a form's address (a restored tab, a copied address bar, Enter in
    // it after a form's answer): a page saying so, not a blank 405. API clients, which do
    // not ask for HTML, keep the bare answer.
    let browser_get = parts.method == axum::http::Method::GET
        && parts
            .headers
            .get(header::ACCEPT)
            .is_some_and(|v| v.as_bytes().windows(9).any(|w| w == b"text/html"));
    // Set (or kept from a trusted proxy, already checked) by the layers outside this one.
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let res = next.run(Request::from_parts(parts, body)).await;
    // Framework answers (no route, body too large, rate limited) come as bare text; JSON
    // answers from the OAuth endpoints are left alone.
    let bare = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    let err = match res.extensions().get::<AppError>() {
        Some(e) => *e,
        None if bare && res.status() == StatusCode::NOT_FOUND => {
            AppError::new(StatusCode::NOT_FOUND, "error.not_found")
        }
        None if bare && res.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "error.too_large")
        }
        None if bare && browser_get && res.status() == StatusCode::METHOD_NOT_ALLOWED => {
            AppError::new(StatusCode::METHOD_NOT_ALLOWED, "error.form_only")
        }
        None if bare && res.status() == StatusCode::TOO_MANY_REQUESTS => {
            AppError::new(StatusCode::TOO_MANY_REQUESTS, "error.rate_limited")
        }
        None => return res,
    };
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut page = ErrorPage {
        lang,
        message: lang.t(err.key),
        request_id,
    }
    .into_response();
    *page.status_mut() = err.status;
    // The GET page a failed form belongs to (see `web::lang_switch`) holds for its error page.
    if let Some(from) = res
        .extensions()
        .get::<crate::web::lang_switch::SwitchFrom>()
    {
        page.extensions_mut().insert(from.clone());
    }
    if let Some(v) = retry_after {
        page.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if let Some(v) = allow {
        page.headers_mut().insert(header::ALLOW, v);
    }
    page
}

/// RFC 6749 §5.2 error response.
#[derive(Debug, Serialize)]
pub struct OAuthError {
    pub error: OAuthErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(skip)]
    status: StatusCode,
}

impl OAuthError {
    pub fn new(error: OAuthErrorCode, description: impl Into<String>) -> Self {
        let status = match error {
            OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            error,
            error_description: Some(description.into()),
            status,
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, d)
    }
    pub fn invalid_client() -> Self {
        Self::new(
            OAuthErrorCode::InvalidClient,
            "client authentication failed",
        )
    }
    pub fn server_error() -> Self {
        Self::new(OAuthErrorCode::ServerError, "internal error")
    }
}

macro_rules! oauth_internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for OAuthError {
            fn from(e: $t) -> Self {
                if e.is_outage() {
                    tracing::error!(error = %e, "backing service unavailable");
                    OAuthError::new(OAuthErrorCode::TemporarilyUnavailable, "try again shortly")
                } else {
                    tracing::error!(error = %e, "internal error");
                    OAuthError::server_error()
                }
            }
        }
    )*};
}
oauth_internal_from!(
    crate::store::StoreError,
    crate::cache::CacheError,
    jsonwebtoken::errors::Error
);

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(&self)).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.error == OAuthErrorCode::InvalidClient {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"gerbang\""),
            );
        }
        res
    }
}
