//! Discovery metadata (OIDC Discovery 1.0, RFC 8414) and the JWKS.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

pub async fn get_discovery(State(state): State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        state.discovery.clone(),
    )
        .into_response()
}

const AUTH_METHODS: [&str; 3] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];
/// Where public clients (`none`) are served too: tokens and revocation of their own tokens;
/// introspection stays for confidential clients.
const AUTH_METHODS_WITH_PUBLIC: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// The metadata document; built once at start-up since it depends only on settings.
pub fn document(settings: &crate::config::Config) -> String {
    let iss = settings.issuer();
    let doc = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "introspection_endpoint": format!("{iss}/introspect"),
        "revocation_endpoint": format!("{iss}/revoke"),
        "end_session_endpoint": format!("{iss}/logout"),
        "scopes_supported": crate::domain::oidc::SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": super::request::RESPONSE_MODES,
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS_WITH_PUBLIC,
        "token_endpoint_auth_signing_alg_values_supported": super::client_auth::ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS_WITH_PUBLIC,
        "pushed_authorization_request_endpoint": format!("{iss}/par"),
        "require_pushed_authorization_requests": false,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": super::claims::CLAIMS_SUPPORTED,
        "acr_values_supported": crate::domain::oidc::ACR_VALUES,
        // No `select_account`: a browser holds one person's session, and "another account"
        // is `prompt=login`.
        "prompt_values_supported": ["none", "login", "consent"],
        // `claims` is read for `acr` (essential or not); other members are left to scopes.
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        // Only PAR's own request_uri values are accepted, never one fetched from elsewhere.
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["id", "en"],
    });
    doc.to_string()
}

pub async fn get_jwks(State(state): State<AppState>) -> Response {
    let ring = state.keys();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            // Short enough that a rotated key (published a publish-delay before it signs) is
            // seen by every relying party in time.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        ring.jwks_json().to_string(),
    )
        .into_response()
}
