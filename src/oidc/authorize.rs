//! `/authorize`: validates the request, then answers from the SSO session or sends the
//! browser to `/login`. Until client and redirect URI are known good, errors are pages,
//! never redirects (an open redirector would hand codes and phishing links to anyone).

use std::collections::HashMap;

use axum::extract::{RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use url::Url;

use super::codes::CodeGrant;
use super::request::{AuthRequest, ParamError, param};
use crate::auth::session::{self, SsoSession};
use crate::auth::signed_in::{Standing, standing};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::oidc::{OAuthErrorCode, has_scope};
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
    let fail = |(error, desc): (OAuthErrorCode, &str)| {
        Failure::Redirect(error_redirect(
            state,
            redirect_uri,
            error,
            desc,
            client_state.as_deref(),
        ))
    };
    if repeated {
        return Err(fail((
            OAuthErrorCode::InvalidRequest,
            "a parameter was repeated",
        )));
    }
    let checked = super::request::check(&client, redirect_uri, &params).map_err(fail)?;

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
    if let Some(s) = &usable {
        match standing(state, s).await? {
            Standing::Stale => {
                // From before a re-enable: it ends here, for every page.
                session::end_by_sid(state, &s.sid).await?;
                usable = None;
            }
            Standing::Holds(_) => {}
            Standing::Disabled(u) => return Ok(crate::auth::disabled::page(state, lang, &u).await?),
            Standing::Gone => {
                return Err(Failure::Page(AppError::bad_request("error.bad_request")));
            }
        }
    }
    match usable {
        Some(s) => Ok(proceed(state, &client, &checked.req, &s, !checked.prompt_none).await?),
        None if checked.prompt_none => Err(fail((
            OAuthErrorCode::LoginRequired,
            "the user is not signed in",
        ))),
        None => {
            let id = super::request::save_authreq(state, &checked.req).await?;
            Ok(Redirect::to(&format!("/login?req={id}")).into_response())
        }
    }
}

/// After sign-in: the service's access policy, then consent, then the code.
pub async fn proceed(
    state: &AppState,
    client: &Client,
    req: &AuthRequest,
    session: &SsoSession,
    interactive: bool,
) -> Result<Response, AppError> {
    let deny = |error: OAuthErrorCode, desc: &str| {
        Ok(error_redirect(
            state,
            &req.redirect_uri,
            error,
            desc,
            req.state.as_deref(),
        ))
    };
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
    issue_code(state, req, session).await
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

/// Issues a single-use code for `req` under `session` and redirects back to the client.
pub async fn issue_code(
    state: &AppState,
    req: &AuthRequest,
    session: &SsoSession,
) -> Result<Response, AppError> {
    let now = state.clock.now();
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
        acr: session.acr.clone(),
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
    Ok(redirect_with(&req.redirect_uri, &params))
}

pub fn error_redirect(
    state: &AppState,
    redirect_uri: &str,
    error: OAuthErrorCode,
    desc: &str,
    client_state: Option<&str>,
) -> Response {
    let mut params = vec![("error", error.as_str()), ("error_description", desc)];
    if let Some(s) = client_state {
        params.push(("state", s));
    }
    params.push(("iss", state.settings.issuer()));
    redirect_with(redirect_uri, &params)
}

/// Appends `params` to the registered redirect URI, keeping its own query (RFC 6749 §3.1.2).
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            (
                StatusCode::FOUND,
                [(axum::http::header::LOCATION, url.to_string())],
            )
                .into_response()
        }
        // Registered URIs were validated at registration; a broken one is our fault.
        Err(_) => AppError::internal().into_response(),
    }
}

fn first_values(raw: &[u8]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

/// After a sign-in: back to the service whose request `req_id` names, or home.
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
        None => Ok((jar, Redirect::to("/")).into_response()),
    }
}
