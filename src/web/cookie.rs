//! The one way Gerbang builds its cookies.

use axum_extra::extract::cookie::{Cookie, SameSite};

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
