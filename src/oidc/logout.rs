//! `/logout`: RP-initiated logout (OIDC RP-Initiated Logout 1.0) and the launcher's sign-out.
//!
//! With a valid `id_token_hint` the relying party has proved the request is its own, so the
//! session ends at once. Without one, a GET only shows a confirmation form: a stray
//! `<img src=/logout>` on another site must not sign anyone out.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use url::Url;

use super::param;
use crate::error::AppError;
use crate::login::session;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::i18n::Lang;

#[derive(Template, WebTemplate)]
#[template(path = "logout.html")]
struct LogoutPage {
    lang: Lang,
    done: bool,
    csrf: String,
    post_logout_redirect_uri: String,
    state: String,
    client_id: String,
}

struct LogoutRequest {
    /// Where to go afterwards, already checked against the client's registration.
    redirect: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
    /// `sid` from a verified `id_token_hint`.
    hinted_sid: Option<String>,
}

async fn validate(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<LogoutRequest, AppError> {
    let bad = AppError::bad_request("error.bad_logout");
    let mut client_id = param(params, "client_id").map(str::to_string);
    let mut hinted_sid = None;
    if let Some(hint) = param(params, "id_token_hint") {
        let claims = super::tokens::verify_id_token_hint(state, hint).map_err(|_| bad)?;
        let aud = claims
            .get("aud")
            .and_then(|a| a.as_str())
            .map(str::to_string);
        if client_id.is_some() && client_id != aud {
            return Err(bad);
        }
        client_id = aud;
        hinted_sid = claims
            .get("sid")
            .and_then(|s| s.as_str())
            .map(str::to_string);
    }
    let redirect = match param(params, "post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = match &client_id {
                Some(id) => state.store.find_client(id).await?,
                None => None,
            };
            match client {
                Some(c) if c.post_logout_redirect_uris.iter().any(|u| u == uri) => {
                    Some(uri.to_string())
                }
                _ => return Err(bad),
            }
        }
    };
    Ok(LogoutRequest {
        redirect,
        state: param(params, "state").map(str::to_string),
        client_id,
        hinted_sid,
    })
}

pub async fn get_logout(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = super::parse_params(q.unwrap_or_default().as_bytes())
        .map_err(|_| AppError::bad_request("error.bad_request"))?;
    let req = validate(&state, &params).await?;
    if req.hinted_sid.is_some() {
        return finish(&state, lang, jar, req).await;
    }
    let (jar, token) = csrf::issue(&state, jar);
    let page = LogoutPage {
        lang,
        done: false,
        csrf: token,
        post_logout_redirect_uri: req.redirect.unwrap_or_default(),
        state: req.state.unwrap_or_default(),
        client_id: req.client_id.unwrap_or_default(),
    };
    Ok((jar, page).into_response())
}

pub async fn post_logout(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    RawForm(body): RawForm,
) -> Result<Response, AppError> {
    let params =
        super::parse_params(&body).map_err(|_| AppError::bad_request("error.bad_request"))?;
    let req = validate(&state, &params).await?;
    if req.hinted_sid.is_none() && !csrf::verify(&state, &jar, param(&params, csrf::FIELD)) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "error.csrf"));
    }
    finish(&state, lang, jar, req).await
}

async fn finish(
    state: &AppState,
    lang: Lang,
    jar: CookieJar,
    req: LogoutRequest,
) -> Result<Response, AppError> {
    if let Some(sid) = &req.hinted_sid {
        session::end_by_sid(state, sid).await?;
    }
    let jar = session::end(state, jar).await?;
    match req.redirect {
        Some(uri) => {
            let mut url = Url::parse(&uri).map_err(|_| AppError::internal())?;
            if let Some(s) = &req.state {
                url.query_pairs_mut().append_pair("state", s);
            }
            Ok((jar, Redirect::to(url.as_str())).into_response())
        }
        None => {
            let page = LogoutPage {
                lang,
                done: true,
                csrf: String::new(),
                post_logout_redirect_uri: String::new(),
                state: String::new(),
                client_id: String::new(),
            };
            Ok((jar, page).into_response())
        }
    }
}
