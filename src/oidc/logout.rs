//! `/logout`: RP-initiated logout (OIDC RP-Initiated Logout 1.0) and the launcher's sign-out.
//!
//! With an `id_token_hint` that is one of our ID tokens (expired or not) issued in this
//! browser's very session (its `sid` and `sub` are this session's), the relying party has
//! shown the request concerns this session, so it ends at once (RP-Initiated Logout 1.0
//! §2). Anything else — no hint, an ID token of the same person from another session (any
//! service they ever signed in to holds one), another person's, an access or logout token
//! — only shows a confirmation form: a stray `<img src=/logout?…>` on another site,
//! carrying a token the attacker holds, must not sign anyone out.
//! Only this browser's session ever ends here: a hint's `sid` never reaches another one.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use url::Url;

use super::request::param;
use super::tokens::TokenError;
use crate::auth::session;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::i18n::Lang;

#[derive(Template, WebTemplate, Default)]
#[template(path = "logout.html")]
struct LogoutPage {
    lang: Lang,
    done: bool,
    csrf: String,
    post_logout_redirect_uri: String,
    state: String,
    client_id: String,
    /// The name of the service asking: the audience of an ID token of this very person
    /// (`LogoutRequest::names_its_service`); empty otherwise.
    service: String,
    /// Where "Cancel" leads, signed in still: back to the service's checked post-logout
    /// URI (with `state`), else the launcher.
    cancel: String,
    /// Front-channel logout URIs (with `iss` and `sid`) loaded in hidden frames.
    frames: Vec<String>,
    /// Where to continue once they loaded (the service's post-logout URI with `state`);
    /// empty: this page is the end.
    next: String,
}

struct LogoutRequest {
    /// Where to go afterwards, already checked against the client's registration.
    redirect: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
    /// `sub` and `sid` of a verified `id_token_hint` that is an ID token.
    hint: Option<Hint>,
}

struct Hint {
    sub: String,
    /// Absent from an ID token that names no session: then it names none of ours.
    sid: Option<String>,
}

impl LogoutRequest {
    /// Whether the hint was issued in this browser's session, same `sid` and same person
    /// (or there is no session, so nothing can be ended by mistake): then no confirmation
    /// is needed. The person alone is not enough: their ID token from another session is
    /// held by every service they signed in to there.
    async fn hint_fits(&self, state: &AppState, jar: &CookieJar) -> Result<bool, AppError> {
        let Some(hint) = &self.hint else {
            return Ok(false);
        };
        Ok(match session::current(state, jar).await? {
            Some(s) => s.user_id == hint.sub && hint.sid.as_deref() == Some(s.sid.as_str()),
            None => true,
        })
    }

    /// Whether a service can be named as the one asking: only a verified ID token of the
    /// person signed in here shows that (a service they signed in to holds it). A bare
    /// `client_id`, or the ID token of someone else (anyone holds their own), is a link
    /// anybody can make: the page then names nobody rather than assert a service asked.
    async fn names_its_service(&self, state: &AppState, jar: &CookieJar) -> Result<bool, AppError> {
        let Some(hint) = &self.hint else {
            return Ok(false);
        };
        Ok(session::current(state, jar)
            .await?
            .is_some_and(|s| s.user_id == hint.sub))
    }
}

async fn validate(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<LogoutRequest, AppError> {
    let bad = AppError::bad_request("error.bad_logout");
    let mut client_id = param(params, "client_id").map(str::to_string);
    let mut hint = None;
    if let Some(raw) = param(params, "id_token_hint") {
        match super::tokens::verify_id_token_hint(state, raw) {
            Ok(claims) => {
                let aud = claims
                    .get("aud")
                    .and_then(|a| a.as_str())
                    .map(str::to_string);
                if client_id.is_some() && client_id != aud {
                    return Err(bad);
                }
                client_id = aud;
                let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_string);
                hint = text("sub").map(|sub| Hint {
                    sub,
                    sid: text("sid"),
                });
            }
            // Ours but not an ID token: no proof of anything, so the person is asked.
            Err(TokenError::NotIdToken) => {}
            Err(_) => return Err(bad),
        }
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
        hint,
    })
}

pub async fn get_logout(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let params = super::request::parse_params(q.unwrap_or_default().as_bytes())
        .map_err(|_| AppError::bad_request("error.bad_request"))?;
    let req = validate(&state, &params).await?;
    if req.hint_fits(&state, &jar).await? {
        return finish(&state, lang, jar, req).await;
    }
    let service = match &req.client_id {
        Some(id) if req.names_its_service(&state, &jar).await? => {
            state.store.find_client(id).await?.map(|c| c.name)
        }
        _ => None,
    };
    let cancel = match &req.redirect {
        Some(uri) => with_state(uri, req.state.as_deref())?,
        None => "/".to_string(),
    };
    let (jar, token) = csrf::issue(&state, jar);
    let page = LogoutPage {
        lang,
        done: false,
        csrf: token,
        service: service.unwrap_or_default(),
        cancel,
        post_logout_redirect_uri: req.redirect.unwrap_or_default(),
        state: req.state.unwrap_or_default(),
        client_id: req.client_id.unwrap_or_default(),
        ..Default::default()
    };
    Ok((jar, page).into_response())
}

pub async fn post_logout(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    RawForm(body): RawForm,
) -> Result<Response, AppError> {
    let params = super::request::parse_params(&body)
        .map_err(|_| AppError::bad_request("error.bad_request"))?;
    let req = validate(&state, &params).await?;
    if !req.hint_fits(&state, &jar).await?
        && !csrf::verify(&state, &jar, param(&params, csrf::FIELD))
    {
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
    // Read before the session ends: ending it turns its services into back-channel
    // deliveries and forgets which they were.
    let frames = match session::current(state, &jar).await? {
        Some(s) => frontchannel_frames(state, &s.sid).await?,
        None => Vec::new(),
    };
    let jar = session::end(state, jar).await?;
    let next = match &req.redirect {
        Some(uri) => Some(with_state(uri, req.state.as_deref())?),
        None => None,
    };
    if frames.is_empty()
        && let Some(next) = &next
    {
        return Ok((jar, Redirect::to(next)).into_response());
    }
    // The frames' origins, and only they, may be framed by this page.
    let mut origins: Vec<String> = Vec::new();
    for f in &frames {
        if let Ok(u) = Url::parse(f) {
            let o = u.origin().ascii_serialization();
            if !origins.contains(&o) {
                origins.push(o);
            }
        }
    }
    let page = LogoutPage {
        lang,
        done: true,
        frames,
        next: next.unwrap_or_default(),
        ..Default::default()
    };
    let mut res = (jar, page).into_response();
    if !origins.is_empty() {
        res.extensions_mut().insert(crate::web::headers::CspAllow {
            form_action: Vec::new(),
            frame_src: origins,
        });
    }
    Ok(res)
}

/// A checked post-logout URI with the service's `state` added.
fn with_state(uri: &str, state: Option<&str>) -> Result<String, AppError> {
    let mut url = Url::parse(uri).map_err(|_| AppError::internal())?;
    if let Some(s) = state {
        url.query_pairs_mut().append_pair("state", s);
    }
    Ok(url.to_string())
}

/// OIDC Front-Channel Logout 1.0 §2: each service of the session that registered a
/// front-channel URI, with `iss` and `sid` added when it wants them (the default).
async fn frontchannel_frames(state: &AppState, sid: &str) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for (uri, with_session) in state.store.frontchannel_targets(sid).await? {
        let Ok(mut url) = Url::parse(&uri) else {
            continue;
        };
        if with_session {
            url.query_pairs_mut()
                .append_pair("iss", state.settings.issuer())
                .append_pair("sid", sid);
        }
        out.push(url.to_string());
    }
    Ok(out)
}
