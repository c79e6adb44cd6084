//! `/authorize`: validates the request, then answers from the SSO session or sends the
//! browser to `/login`. Until client and redirect URI are known good, errors are pages,
//! never redirects (an open redirector would hand codes and phishing links to anyone).

use std::collections::HashMap;

use axum::extract::{RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use url::Url;

use super::{AuthRequest, CodeGrant, ParamError, has_scope, param};
use crate::domain::pkce;
use crate::error::AppError;
use crate::login::session::{self, SsoSession};
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

/// What `check` makes of a request's parameters once client and redirect URI are known.
pub struct Checked {
    pub req: AuthRequest,
    pub prompt_none: bool,
    pub prompt_login: bool,
    pub max_age: Option<i64>,
}

/// The checks `/authorize` and `/par` share; errors are (OAuth error code, description).
pub fn check(
    client: &Client,
    redirect_uri: &str,
    params: &HashMap<String, String>,
) -> Result<Checked, (&'static str, &'static str)> {
    let get = |k: &str| param(params, k);
    if get("request").is_some() {
        return Err(("request_not_supported", "request objects are not supported"));
    }
    if get("response_type") != Some("code") {
        return Err((
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if get("response_mode").is_some_and(|m| m != "query") {
        return Err(("invalid_request", "only response_mode=query is supported"));
    }
    if !client.allows_grant("authorization_code") {
        return Err((
            "unauthorized_client",
            "client may not use the authorization code flow",
        ));
    }
    let scope = get("scope").unwrap_or("");
    if !has_scope(scope, "openid") {
        return Err(("invalid_scope", "the openid scope is required"));
    }
    // Unknown scopes are dropped (RFC 6749 §3.3 lets the server narrow the scope).
    let scope: Vec<&str> = super::SCOPES
        .iter()
        .copied()
        .filter(|s| has_scope(scope, s))
        .collect();
    // A staff scope reaches staff APIs: only clients the operator marked for it may ask,
    // consented or first-party alike. Refused rather than dropped, so the service learns why.
    if scope.iter().any(|s| !client.allows_scope(s)) {
        return Err((
            "invalid_scope",
            "this client is not allowed the requested scope",
        ));
    }
    let scope = scope.join(" ");
    // PKCE is required even for confidential clients: a stolen code must be useless without
    // the verifier.
    let Some(challenge) = get("code_challenge") else {
        return Err(("invalid_request", "code_challenge (PKCE) is required"));
    };
    if get("code_challenge_method") != Some("S256") {
        return Err(("invalid_request", "code_challenge_method must be S256"));
    }
    if !pkce::valid_challenge(challenge) {
        return Err(("invalid_request", "code_challenge is malformed"));
    }
    let nonce = get("nonce").map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > 512) {
        return Err(("invalid_request", "nonce is too long"));
    }
    let prompt: Vec<&str> = get("prompt")
        .map(|p| p.split(' ').collect())
        .unwrap_or_default();
    if prompt
        .iter()
        .any(|p| !matches!(*p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(("invalid_request", "unsupported prompt value"));
    }
    let prompt_none = prompt.contains(&"none");
    if prompt_none && prompt.len() > 1 {
        return Err(("invalid_request", "prompt=none cannot be combined"));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(m) => match m.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => return Err(("invalid_request", "max_age must be a non-negative integer")),
        },
    };
    let login_hint = get("login_hint")
        .filter(|h| h.len() <= 18 && h.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string);
    Ok(Checked {
        req: AuthRequest {
            client_id: client.id.clone(),
            client_name: client.name.clone(),
            redirect_uri: redirect_uri.to_string(),
            scope,
            state: get("state").map(str::to_string),
            nonce,
            code_challenge: challenge.to_string(),
            login_hint,
            prompt_consent: prompt.contains(&"consent"),
            consent_sid: None,
        },
        prompt_none,
        prompt_login: prompt.contains(&"login"),
        max_age,
    })
}

async fn authorize_inner(
    state: &AppState,
    lang: Lang,
    jar: &CookieJar,
    raw: &[u8],
) -> Result<Response, Failure> {
    // A repeated parameter is refused, but only once the redirect URI is trusted (below).
    let (mut params, mut repeated) = match super::parse_params(raw) {
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
    let Some(redirect_uri) =
        get("redirect_uri").filter(|r| client.redirect_uris.iter().any(|u| u == r))
    else {
        return Err(Failure::Page(AppError::bad_request(
            "error.bad_redirect_uri",
        )));
    };
    let client_state = get("state").map(str::to_string);
    let fail = |(error, desc): (&str, &str)| {
        Failure::Redirect(error_redirect(
            state,
            redirect_uri,
            error,
            desc,
            client_state.as_deref(),
        ))
    };
    if repeated {
        return Err(fail(("invalid_request", "a parameter was repeated")));
    }
    let checked = check(&client, redirect_uri, &params).map_err(fail)?;

    let now = state.clock.now();
    let session = session::current(state, jar).await?;
    // Only a session that passed the second factor counts: MFA is mandatory, and a session
    // from before a person's enrolment must not slip through.
    let mut usable = session.filter(|s| {
        s.acr == super::ACR_MFA
            && !checked.prompt_login
            && checked.max_age.is_none_or(|m| s.auth_time + m >= now)
    });
    // The session may outlive a disable made elsewhere (the SIASN import): the account
    // decides, not the session. One from before a re-enable does not count at all.
    if let Some(s) = &usable {
        match state.store.find_user(&s.user_id).await? {
            Some(u) if !u.admits_session(s.auth_time) => {
                // From before a re-enable: it ends here, for every page.
                session::end_by_sid(state, &s.sid).await?;
                usable = None;
            }
            Some(u) if u.is_active() => {}
            Some(u) => return Ok(crate::login::disabled::page(state, lang, &u).await?),
            None => return Err(Failure::Page(AppError::bad_request("error.bad_request"))),
        }
    }
    match usable {
        Some(s) => Ok(proceed(state, &client, &checked.req, &s, !checked.prompt_none).await?),
        None if checked.prompt_none => Err(fail(("login_required", "the user is not signed in"))),
        None => {
            let id = super::save_authreq(state, &checked.req).await?;
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
    let deny = |error: &str, desc: &str| {
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
            let ev = crate::store::audit::AuditEvent {
                kind: "access_denied",
                actor: Some(&session.user_id),
                subject: Some(&session.user_id),
                client_id: Some(&client.id),
                ..Default::default()
            };
            state.store.audit(&ev, state.clock.now()).await?;
            return deny("access_denied", "the user may not use this service");
        }
    }
    // A staff scope is granted only to someone who holds a staff role; for anyone else it
    // is dropped from the grant (the token says which scopes it carries).
    let narrowed;
    let req = if super::STAFF_SCOPES.iter().any(|s| has_scope(&req.scope, s))
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
                return deny("consent_required", "the user has not agreed to share this");
            }
            let mut asked = req.clone();
            asked.consent_sid = Some(session.sid.clone());
            let id = super::save_authreq(state, &asked).await?;
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
    Ok(roles
        .iter()
        .any(|r| super::STAFF_ROLES.contains(&r.as_str())))
}

fn without_staff_scopes(scope: &str) -> String {
    scope
        .split(' ')
        .filter(|s| !super::STAFF_SCOPES.contains(s))
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
    let json = serde_json::to_string(&grant).map_err(|_| AppError::internal())?;
    state
        .cache
        .set(&super::code_key(&sha256_hex(&code)), &json, ttl)
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
    error: &str,
    desc: &str,
    client_state: Option<&str>,
) -> Response {
    let mut params = vec![("error", error), ("error_description", desc)];
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
