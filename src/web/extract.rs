//! Extractors for what most browser handlers need before they start: who is asking from
//! where (`ClientMeta`), and a form whose CSRF token was checked (`CsrfForm`, `CsrfFirst`).

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::state::AppState;

/// The client's IP (after the trusted-proxy rule, see `web::client_ip`) and user agent,
/// for audit rows and counters.
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for ClientMeta {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(ClientMeta {
            ip: client_ip(state, peer, &parts.headers),
            user_agent: user_agent(&parts.headers),
        })
    }
}

/// A form that carries the CSRF token (`csrf::FIELD`).
pub trait CsrfToken {
    fn csrf_token(&self) -> &str;
}

/// Implements `CsrfToken` for forms whose token is their `csrf_token` field.
#[macro_export]
macro_rules! csrf_token_field {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::web::extract::CsrfToken for $t {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        }
    )*};
}

/// `Form<T>` whose token was checked against the CSRF cookie; a wrong or missing one is
/// answered 403 "error.csrf" before the handler runs, so nothing is read or counted first.
pub struct CsrfForm<T>(pub T);

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + CsrfToken + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(req.headers());
        let Form(form) = Form::<T>::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !super::csrf::verify(state, &jar, Some(form.csrf_token())) {
            return Err(AppError::new(StatusCode::FORBIDDEN, "error.csrf").into_response());
        }
        Ok(CsrfForm(form))
    }
}

/// A CSRF-checked form, then `X` (the signed-in person, the staff member): `X` is
/// extracted only once the token holds, so a forged post learns nothing from its answer
/// and reads no session. Axum runs part extractors before the body, hence this pair.
pub struct CsrfFirst<X, T>(pub X, pub T);

impl<X, T> FromRequest<AppState> for CsrfFirst<X, T>
where
    X: FromRequestParts<AppState> + Send,
    X::Rejection: IntoResponse,
    T: DeserializeOwned + CsrfToken + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let mut kept = parts.clone();
        let CsrfForm(form) =
            CsrfForm::<T>::from_request(Request::from_parts(parts, body), state).await?;
        let who = X::from_request_parts(&mut kept, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(CsrfFirst(who, form))
    }
}

/// The client's IP for audit rows and counters (see `rate_limit::client_ip` for the rules).
fn client_ip(
    state: &crate::state::AppState,
    peer: std::net::SocketAddr,
    headers: &HeaderMap,
) -> String {
    super::rate_limit::client_ip(peer.ip(), headers, &state.settings.trusted_proxies).to_string()
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        // Kept in audit rows: a tab (the one control a header may hold) becomes a space.
        .map(|s| {
            crate::domain::input::printable(s)
                .chars()
                .take(300)
                .collect()
        })
}
