//! Gerbang: OpenID Connect provider and SSO gateway for ASN.

pub mod account;
pub mod admin;
pub mod auth;
pub mod breach;
pub mod cache;
pub mod clock;
pub mod config;
pub mod consent;
pub mod domain;
pub mod error;
pub mod helpdesk;
pub mod keys;
pub mod launcher;
pub mod login;
pub mod mail;
pub mod memo;
pub mod mfa;
pub mod oidc;
pub mod ops;
pub mod passwords;
pub mod private_fs;
pub mod registry;
pub mod reset;
pub mod secrets;
pub mod server;
pub mod state;
pub mod store;
pub mod web;

/// The PostgreSQL (and Redis) the unit tests use: the integration tests' fixture, which
/// starts a throwaway server when `GERBANG_TEST_POSTGRES_URL` is not set.
#[cfg(test)]
#[path = "../tests/it/common/servers.rs"]
#[allow(dead_code)]
pub(crate) mod test_servers;

use axum::Router;
use axum::http::{HeaderName, Request};
use axum::middleware;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: feature routers merged, one line each, plus the shared layers.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    // One per-IP bucket for every anonymous page that draws a captcha.
    let page_limit = web::rate_limit::page_layer(&state.settings);
    let pages = |r| web::rate_limit::limit_pages(r, &page_limit);
    Router::new()
        .merge(oidc::router(&state))
        .merge(pages(login::router(&state.settings)))
        .merge(launcher::router())
        .merge(consent::router())
        .merge(pages(reset::router(&state.settings)))
        .merge(mfa::router())
        .merge(account::router())
        .merge(helpdesk::router())
        .merge(ops::router(&state.settings))
        .merge(web::assets::router())
        .merge(pages(web::captcha::router()))
        // Inside the metrics layer, so refusals are counted like any answer.
        .route_layer(middleware::from_fn_with_state(
            answers_json as web::input::AnswersJson,
            web::input::refuse_controls,
        ))
        .route_layer(middleware::from_fn(ops::metrics::track))
        .layer(middleware::from_fn(web::i18n::remember_lang))
        .layer(middleware::from_fn(error::render_error_pages))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::branding::brand_pages,
        ))
        .layer(middleware::from_fn(web::lang_switch::keep_page))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::headers::security_headers,
        ))
        .layer(RequestBodyLimitLayer::new(max_body))
        // Every log line of a request carries its id (kept from a trusted proxy's header,
        // else a fresh UUID, see `drop_unfit_request_id`), and the response echoes it. The span names the path, never
        // the query: codes and tokens travel there.
        // The id reaches the audit events the request writes (inside SetRequestIdLayer).
        .layer(middleware::from_fn(ops::audit_sink::scope_request_id))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            drop_unfit_request_id,
        ))
        .with_state(state)
}

/// The paths whose refusals are JSON: the OAuth endpoints and the staff API.
fn answers_json(path: &str) -> bool {
    oidc::JSON_ENDPOINTS.contains(&path) || path.starts_with("/api/")
}

/// A request id from outside is kept only from a trusted proxy (`trusted_proxies`), and
/// only if it is short and plain (what proxies and tracing systems send). A client's own
/// id would become the one its log lines, audit rows and error page carry: anyone could
/// give their requests the id another person quoted to the helpdesk. Dropped, it is
/// replaced by a fresh UUID.
async fn drop_unfit_request_id(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request<axum::body::Body>,
    next: middleware::Next,
) -> axum::response::Response {
    let from_proxy = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| {
            web::rate_limit::is_trusted_proxy(c.0.ip(), &state.settings.trusted_proxies)
        });
    let fit = |v: &axum::http::HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= 128
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.:/+=".contains(c))
    };
    if req
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|v| !from_proxy || !fit(v))
    {
        req.headers_mut().remove(REQUEST_ID);
    }
    next.run(req).await
}
