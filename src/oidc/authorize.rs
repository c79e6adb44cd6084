//! `/authorize`: validates the request, then answers from the SSO session or sends the
//! browser to `/login`. Until client and redirect URI are known good, errors are pages,
//! never redirects (an open redirector would hand codes and phishing links to anyone).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use url::Url;

use super::codes::CodeGrant;
use super::request::{AuthRequest, ParamError, ResponseMode, param};
use crate::auth::session::{self, SsoSession};
use crate::auth::signed_in::{Standing, standing};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::oidc::{AcrVerdict, OAuthErrorCode, has_scope, judge_acr, session_level};
use crate::error::AppError;
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;
use crate::store::clients::Client;
use crate::web::i18n::Lang;

pub async fn get_authorize(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    RawQuery(q): RawQuery,
) -> Response {
    authorize(&state, lang, &jar, q.unwrap_or_default().as_bytes()).await
}

/// OIDC Core §3.1.2.1: the authorization endpoint also accepts form posts.
pub async fn post_authorize(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    RawForm(body): RawForm,
) -> Response {
    authorize(&state, lang, &jar, &body).await
}

async fn authorize(state: &AppState, lang: Lang, jar: &CookieJar, raw: &[u8]) -> Response {
    match authorize_inner(state, lang, jar, raw).await {
        Ok(r) => r,
        Err(Failure::Page(e)) => e.into_response(),
        Err(Failure::Redirect(r)) => r,
    }
}

enum Failure {
    Page(AppError),
    Redirect(Response),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::Page(e)
    }
}
impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::Page(e.into())
    }
}
impl From<crate::cache::CacheError> for Failure {
    fn from(e: crate::cache::CacheError) -> Self {
        Failure::Page(e.into())
    }
}

async fn authorize_inner(
    state: &AppState,
    lang: Lang,
    jar: &CookieJar,
    raw: &[u8],
) -> Result<Response, Failure> {
    // A repeated parameter is refused, but only once the redirect URI is trusted (below).
    let (mut params, mut repeated) = match super::request::parse_params(raw) {
        Ok(p) => (p, false),
        Err(ParamError::Repeated) => (first_values(raw), true),
        Err(ParamError::TooLong) => {
            return Err(Failure::Page(AppError::bad_request("error.bad_request")));
        }
    };
    // RFC 9126 §4: a pushed request replaces every parameter but `client_id`, which must
    // name the client that pushed it; each request_uri is good for one use.
    if let Some(uri) = param(&params, "request_uri") {
        let id = uri.strip_prefix(super::par::URN_PREFIX).unwrap_or_default();
        let client_id = param(&params, "client_id").unwrap_or_default();
        let Some(pushed) = super::par::take(state, id, client_id).await? else {
            return Err(Failure::Page(AppError::bad_request("error.par_expired")));
        };
        params = pushed;
        repeated = false;
    }
    let get = |k: &str| param(&params, k);
    // `ui_locales`: the first language Gerbang has sets this request's pages (and, through
    // a short-lived cookie, the pages of its sign-in).
    let lang = get("ui_locales")
        .and_then(super::request::ui_locale)
        .unwrap_or(lang);

    let client = match get("client_id") {
        Some(id) => state.store.find_client(id).await?,
        None => None,
    };
    let Some(client) = client else {
        return Err(Failure::Page(AppError::bad_request("error.unknown_client")));
    };
    let Some(redirect_uri) = get("redirect_uri").filter(|r| client.accepts_redirect(r)) else {
        return Err(Failure::Page(AppError::bad_request(
            "error.bad_redirect_uri",
        )));
    };
    let client_state = get("state").map(str::to_string);
    // Errors from here on travel back in the requested mode; an unknown mode (or a form
    // post to something a browser cannot post to) is answered in the query, the default.
    let mode = match ResponseMode::from_params(&params) {
        Ok(ResponseMode::FormPost) if !web_uri(redirect_uri) => {
            Err("response_mode=form_post needs an https (or loopback http) redirect_uri")
        }
        Ok(m) => Ok(m),
        Err(_) => Err("response_mode must be query, fragment or form_post"),
    };
    let reply = Reply {
        redirect_uri,
        mode: *mode.as_ref().unwrap_or(&ResponseMode::Query),
        state: client_state.as_deref(),
        lang,
    };
    let fail =
        |(error, desc): (OAuthErrorCode, &str)| Failure::Redirect(reply.error(state, error, desc));
    if let Err(desc) = mode {
        return Err(fail((OAuthErrorCode::InvalidRequest, desc)));
    }
    if repeated {
        return Err(fail((
            OAuthErrorCode::InvalidRequest,
            "a parameter was repeated",
        )));
    }
    let mut checked = super::request::check(&client, redirect_uri, &params).map_err(fail)?;
    checked.req.page_lang = lang.code().to_string();
    // An essential class Gerbang cannot assert fails now, before anyone signs in for nothing.
    if judge_acr(&checked.req.acr_values, checked.req.acr_essential, "", 0)
        == AcrVerdict::Unmeetable
    {
        return Err(fail((
            OAuthErrorCode::UnmetAuthenticationRequirements,
            "none of the requested acr values can be met",
        )));
    }

    let now = state.clock.now();
    let session = session::current(state, jar).await?;
    // Only a session that passed the second factor counts: MFA is mandatory, and a session
    // from before a person's enrolment must not slip through.
    let mut usable = session.filter(|s| {
        s.acr == crate::domain::oidc::ACR_MFA
            && !checked.prompt_login
            && checked.max_age.is_none_or(|m| s.auth_time + m >= now)
    });
    // The session may outlive a disable made elsewhere (the SIASN import): the account
    // decides, not the session. One from before a re-enable does not count at all.
    let mut step_up = None;
    if let Some(s) = &usable {
        match standing(state, s).await? {
            Standing::Stale => {
                // From before a re-enable: it ends here, for every page.
                session::end_by_sid(state, &s.sid).await?;
                usable = None;
            }
            Standing::Holds(u) => {
                let level = session_level(&s.acr, s.mfa_at, now);
                let verdict = judge_acr(
                    &checked.req.acr_values,
                    checked.req.acr_essential,
                    &s.acr,
                    level,
                );
                // Only a person with an authenticator is sent to the code step: a session
                // must never add a factor on its own (its pending login never enrols).
                if verdict == AcrVerdict::StepUp {
                    if state.store.has_second_factor(&u.id).await? {
                        step_up = Some((u, s.sid.clone()));
                    } else if checked.req.acr_essential {
                        return Err(fail((
                            OAuthErrorCode::UnmetAuthenticationRequirements,
                            "the account has no authenticator to raise the acr with",
                        )));
                    }
                }
            }
            Standing::Disabled(u) => return Ok(crate::auth::disabled::page(state, lang, &u).await?),
            Standing::Gone => {
                return Err(Failure::Page(AppError::bad_request("error.bad_request")));
            }
        }
    }
    if let Some((user, sid)) = step_up {
        // The session is below the class asked for: the missing factor (an authenticator
        // code now) is asked on the login's own second step, counted like any code there.
        if checked.prompt_none {
            return Err(fail((
                OAuthErrorCode::LoginRequired,
                "the requested acr needs a fresh authenticator code",
            )));
        }
        let id = super::request::save_authreq(state, &checked.req).await?;
        let p = crate::auth::pending::Pending::step_up(&user, &id, &sid);
        let jar = crate::auth::pending::start(state, jar.clone(), &p).await?;
        let to = Redirect::to("/login/otp").into_response();
        return Ok(with_ui_locale(
            state,
            &checked.req,
            (jar, to).into_response(),
        ));
    }
    match usable {
        Some(s) => Ok(proceed(state, &client, &checked.req, &s, !checked.prompt_none).await?),
        None if checked.prompt_none => Err(fail((
            OAuthErrorCode::LoginRequired,
            "the user is not signed in",
        ))),
        None => {
            let id = super::request::save_authreq(state, &checked.req).await?;
            let to = Redirect::to(&format!("/login?req={id}")).into_response();
            Ok(with_ui_locale(state, &checked.req, to))
        }
    }
}

/// Carries a `ui_locales` choice to the sign-in pages that follow (see `i18n::UI_COOKIE`).
fn with_ui_locale(state: &AppState, req: &AuthRequest, mut res: Response) -> Response {
    if let Some(code) = &req.ui_locale
        && let Ok(v) = axum::http::HeaderValue::from_str(&crate::web::i18n::ui_cookie(state, code))
    {
        res.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    res
}

/// Whether a browser can post a form to `uri`: https, or http (registration allows it on
/// loopback only). Private-use schemes of native apps cannot receive a form post.
fn web_uri(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
}

/// After sign-in: the service's access policy, then consent, then the code.
pub async fn proceed(
    state: &AppState,
    client: &Client,
    req: &AuthRequest,
    session: &SsoSession,
    interactive: bool,
) -> Result<Response, AppError> {
    let deny = |error: OAuthErrorCode, desc: &str| Ok(error_redirect(state, req, error, desc));
    // After a sign-in or a step-up the session must now meet an essential class: a recovery
    // code, say, never makes a session fresh.
    if req.acr_essential && !matches!(acr_for(state, req, session), AcrVerdict::Met(_)) {
        return deny(
            OAuthErrorCode::UnmetAuthenticationRequirements,
            "the sign-in did not reach the requested acr",
        );
    }
    if !client.allowed_roles.is_empty() {
        let roles = state.store.role_names(&session.user_id).await?;
        if !client.admits(&roles) {
            let ev = AuditEvent {
                actor: Some(&session.user_id),
                subject: Some(&session.user_id),
                client_id: Some(&client.id),
                ..AuditEvent::new(AuditKind::AccessDenied)
            };
            state.store.audit(&ev, state.clock.now()).await?;
            return deny(
                OAuthErrorCode::AccessDenied,
                "the user may not use this service",
            );
        }
    }
    // A staff scope is granted only to someone who holds a staff role; for anyone else it
    // is dropped from the grant (the token says which scopes it carries).
    let narrowed;
    let req = if crate::domain::oidc::STAFF_SCOPES
        .iter()
        .any(|s| has_scope(&req.scope, s))
        && !holds_staff_role(state, &session.user_id).await?
    {
        let mut r = req.clone();
        r.scope = without_staff_scopes(&req.scope);
        narrowed = r;
        &narrowed
    } else {
        req
    };
    if !client.first_party {
        let agreed = state
            .store
            .consent_scope(&session.user_id, &client.id)
            .await?;
        let covered = agreed.is_some_and(|a| req.scope.split(' ').all(|s| has_scope(&a, s)));
        if !covered || req.prompt_consent {
            if !interactive {
                return deny(
                    OAuthErrorCode::ConsentRequired,
                    "the user has not agreed to share this",
                );
            }
            let mut asked = req.clone();
            asked.consent_sid = Some(session.sid.clone());
            let id = super::request::save_authreq(state, &asked).await?;
            return Ok(Redirect::to(&format!("/consent?req={id}")).into_response());
        }
    }
    issue_code(state, client, req, session).await
}

/// Whether the person holds a role a staff scope stands on.
pub async fn holds_staff_role(
    state: &AppState,
    user_id: &str,
) -> Result<bool, crate::store::StoreError> {
    let roles = state.store.role_names(user_id).await?;
    Ok(roles.iter().any(|r| crate::domain::oidc::is_staff_role(r)))
}

fn without_staff_scopes(scope: &str) -> String {
    scope
        .split(' ')
        .filter(|s| !crate::domain::oidc::STAFF_SCOPES.contains(s))
        .collect::<Vec<_>>()
        .join(" ")
}

fn acr_for(state: &AppState, req: &AuthRequest, session: &SsoSession) -> AcrVerdict {
    let level = session_level(&session.acr, session.mfa_at, state.clock.now());
    judge_acr(&req.acr_values, req.acr_essential, &session.acr, level)
}

/// Issues a single-use code for `req` under `session` and sends it back to the client.
pub async fn issue_code(
    state: &AppState,
    client: &Client,
    req: &AuthRequest,
    session: &SsoSession,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    // A service with a front-channel logout URI is framed by the logout page of this
    // session: remembered as it signs in (the code is its sign-in; the back-channel list
    // is the same table, filled at `/token`).
    if client.frontchannel_logout_uri.is_some() {
        state
            .store
            .note_session_client(
                &session.sid,
                &client.id,
                &session.user_id,
                session.expires_at,
            )
            .await?;
    }
    let ttl = state.settings.auth_code_ttl_secs;
    let code = random_token();
    let grant = CodeGrant {
        client_id: req.client_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        user_id: session.user_id.clone(),
        scope: req.scope.clone(),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        // The class asked for that the session meets (OIDC Core §5.5.1.1), else its own.
        acr: match acr_for(state, req, session) {
            AcrVerdict::Met(a) => a,
            _ => session.acr.clone(),
        },
        sid: session.sid.clone(),
        session_expires_at: session.expires_at,
        expires_at: now + ttl,
    };
    state
        .cache
        .put::<super::codes::CodeEntry>(&sha256_hex(&code), &grant, ttl)
        .await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &req.state {
        params.push(("state", s));
    }
    let issuer = state.settings.issuer();
    params.push(("iss", issuer));
    Ok(Reply::to(req).send(&params))
}

/// An error answer to the client of `req`, in the request's response mode.
pub fn error_redirect(
    state: &AppState,
    req: &AuthRequest,
    error: OAuthErrorCode,
    desc: &str,
) -> Response {
    Reply::to(req).error(state, error, desc)
}

/// Where and how an authorization answer travels: the registered redirect URI, in the
/// response mode the request chose.
#[derive(Clone, Copy)]
struct Reply<'a> {
    redirect_uri: &'a str,
    mode: ResponseMode,
    state: Option<&'a str>,
    lang: Lang,
}

impl<'a> Reply<'a> {
    fn to(req: &'a AuthRequest) -> Self {
        Reply {
            redirect_uri: &req.redirect_uri,
            mode: req.response_mode,
            state: req.state.as_deref(),
            lang: Lang::parse(&req.page_lang).unwrap_or_default(),
        }
    }

    fn error(&self, state: &AppState, error: OAuthErrorCode, desc: &str) -> Response {
        let mut params = vec![("error", error.as_str()), ("error_description", desc)];
        if let Some(s) = self.state {
            params.push(("state", s));
        }
        params.push(("iss", state.settings.issuer()));
        self.send(&params)
    }

    /// Sends `params` to the registered redirect URI (which keeps its own query, RFC 6749
    /// §3.1.2). The answer ends the sign-in, so the `ui_locales` cookie goes with it.
    fn send(&self, params: &[(&str, &str)]) -> Response {
        // Registered URIs were validated at registration; a broken one is our fault.
        let Ok(mut url) = Url::parse(self.redirect_uri) else {
            return AppError::internal().into_response();
        };
        let mut res = match self.mode {
            ResponseMode::Query => {
                url.query_pairs_mut().extend_pairs(params);
                found(url.as_str())
            }
            ResponseMode::Fragment => {
                let fragment = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params)
                    .finish();
                url.set_fragment(Some(&fragment));
                found(url.as_str())
            }
            ResponseMode::FormPost => form_post(self.lang, &url, params),
        };
        if let Ok(v) = axum::http::HeaderValue::from_str(&crate::web::i18n::ui_cookie_gone()) {
            res.headers_mut().append(axum::http::header::SET_COOKIE, v);
        }
        res
    }
}

fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(axum::http::header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// OAuth 2.0 Form Post Response Mode: a page whose form the browser posts to the redirect
/// URI. The script that submits it is a static file (the CSP forbids inline script); without
/// script the person presses the button. The page's CSP lets forms go to that origin only.
#[derive(Template, WebTemplate)]
#[template(path = "form_post.html")]
struct FormPostPage {
    lang: Lang,
    action: String,
    fields: Vec<(String, String)>,
}

fn form_post(lang: Lang, url: &Url, params: &[(&str, &str)]) -> Response {
    let page = FormPostPage {
        lang,
        action: url.to_string(),
        fields: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let mut res = page.into_response();
    res.extensions_mut().insert(crate::web::headers::CspAllow {
        form_action: vec![url.origin().ascii_serialization()],
        frame_src: Vec::new(),
    });
    res
}

fn first_values(raw: &[u8]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

/// After a sign-in: back to the service whose request `req_id` names, to the place of
/// Gerbang's it names (`carry::Place`), or home.
pub async fn resume(
    state: &AppState,
    jar: CookieJar,
    sso: &SsoSession,
    req_id: &str,
) -> Result<Response, AppError> {
    match crate::oidc::request::take_authreq(state, req_id).await? {
        Some(req) => {
            let Some(client) = state.store.find_client(&req.client_id).await? else {
                return Err(AppError::bad_request("error.unknown_client"));
            };
            let next = proceed(state, &client, &req, sso, true).await?;
            Ok((jar, next).into_response())
        }
        // No service waits: one of Gerbang's own places when `req` names one, else home.
        None => Ok((jar, Redirect::to(super::carry::home_for(req_id))).into_response()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_post_goes_only_to_web_uris() {
        assert!(super::web_uri("https://portal.example.go.id/cb"));
        assert!(super::web_uri("http://127.0.0.1:9/cb"));
        assert!(!super::web_uri("id.go.bkn.mobile:/oauth2redirect"));
        assert!(!super::web_uri("not a uri"));
    }
}
