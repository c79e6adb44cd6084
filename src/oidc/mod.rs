//! OpenID Connect provider endpoints.

pub mod authorize;
pub mod backchannel;
pub mod carry;
pub mod claims;
pub mod client_auth;
pub mod codes;
pub mod cors;
pub mod discovery;
pub mod introspect;
pub mod logout;
pub mod par;
pub mod request;
pub mod revoke;
pub mod token;
pub mod tokens;
pub mod userinfo;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The endpoints that answer RFC 6749 JSON, never pages (errors included).
pub const JSON_ENDPOINTS: [&str; 5] = ["/token", "/par", "/introspect", "/revoke", "/userinfo"];

pub fn router(state: &AppState) -> Router<AppState> {
    let settings = &state.settings;
    // CORS for browser apps on exactly these five endpoints (`cors.rs`), outermost so a
    // refusal (a rate limit too) is readable by the app's script.
    use axum::middleware::from_fn_with_state as with;
    let mut token = post(token::post_token);
    if let Some(limit) = crate::web::rate_limit::oauth_layer(settings) {
        token = token.layer(limit);
    }
    let token = token.layer(with(state.clone(), cors::client_bound));
    // Every anonymous GET or POST stores a pending request for 30 minutes: per-IP, like the
    // pages.
    let mut authorize = get(authorize::get_authorize).post(authorize::post_authorize);
    if let Some(limit) = crate::web::rate_limit::authorize_layer(settings) {
        authorize = authorize.layer(limit);
    }
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::get_discovery).layer(with(state.clone(), cors::read_only)),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::get_discovery).layer(with(state.clone(), cors::read_only)),
        )
        .route(
            "/jwks",
            get(discovery::get_jwks).layer(with(state.clone(), cors::read_only)),
        )
        .route("/authorize", authorize)
        .route("/token", token)
        .route("/par", post(par::post_par))
        .route(
            "/userinfo",
            get(userinfo::get_userinfo)
                .post(userinfo::get_userinfo)
                .layer(with(state.clone(), cors::userinfo)),
        )
        .route("/introspect", post(introspect::post_introspect))
        .route(
            "/revoke",
            post(revoke::post_revoke).layer(with(state.clone(), cors::client_bound)),
        )
        .route("/logout", get(logout::get_logout).post(logout::post_logout))
}
