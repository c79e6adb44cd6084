//! Gerbang: OpenID Connect provider and SSO gateway for ASN.

pub mod account;
pub mod admin;
pub mod cache;
pub mod config;
pub mod domain;
pub mod error;
pub mod helpdesk;
pub mod keys;
pub mod login;
pub mod mail;
pub mod mfa;
pub mod oidc;
pub mod ops;
pub mod passwords;
pub mod reset;
pub mod secrets;
pub mod server;
pub mod state;
pub mod store;
pub mod web;

use axum::Router;
use axum::middleware;
use tower_http::limit::RequestBodyLimitLayer;

use crate::state::AppState;

/// The whole application: feature routers merged, one line each, plus the shared layers.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    Router::new()
        .merge(oidc::router(&state.settings))
        .merge(login::router(&state.settings))
        .merge(reset::router(&state.settings))
        .merge(mfa::router())
        .merge(account::router())
        .merge(helpdesk::router())
        .merge(ops::router())
        .merge(web::assets::router())
        .merge(web::captcha::router())
        .layer(middleware::from_fn(web::i18n::remember_lang))
        .layer(middleware::from_fn(error::render_error_pages))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::headers::security_headers,
        ))
        .layer(RequestBodyLimitLayer::new(max_body))
        .with_state(state)
}
