//! `/consent`: a service that is not the government's own asks once per person which
//! claims it may receive; the answer is kept until the person withdraws it on `/account`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::session;
use crate::auth::signed_in::{Standing, standing};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::oidc::{ACR_MFA, OAuthErrorCode};
use crate::error::AppError;
use crate::oidc::authorize;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::extract::CsrfForm;
use crate::web::i18n::Lang;

pub fn router() -> Router<AppState> {
    Router::new().route("/consent", get(get_consent).post(post_consent))
}

#[derive(Template, WebTemplate)]
#[template(path = "consent.html")]
struct ConsentPage {
    lang: Lang,
    csrf: String,
    req: String,
    client_name: String,
    claims: Vec<&'static str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConsentQuery {
    req: String,
}

pub async fn get_consent(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<ConsentQuery>,
) -> Result<Response, AppError> {
    let signed_in = session::current(&state, &jar)
        .await?
        .is_some_and(|s| s.acr == ACR_MFA);
    if !signed_in {
        return Ok(Redirect::to(&format!("/login?req={}", urlencode(&q.req))).into_response());
    }
    let Some(req) = crate::oidc::request::load_authreq(&state, &q.req).await? else {
        return Err(AppError::bad_request("error.login_expired"));
    };
    let (jar, csrf) = csrf::issue(&state, jar);
    let page = ConsentPage {
        lang,
        csrf,
        req: q.req,
        client_name: req.client_name,
        claims: crate::oidc::claims::claim_texts(&req.scope),
    };
    Ok((jar, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConsentForm {
    csrf_token: String,
    req: String,
    decision: String,
}
crate::csrf_token_field!(ConsentForm);

pub async fn post_consent(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<ConsentForm>,
) -> Result<Response, AppError> {
    let Some(sso) = session::current(&state, &jar)
        .await?
        .filter(|s| s.acr == ACR_MFA)
    else {
        return Err(AppError::bad_request("error.login_expired"));
    };
    // The page may have been opened before a disable (the import, the helpdesk): the
    // account decides, as at `/authorize`, and the pending request is left untouched.
    match standing(&state, &sso).await? {
        Standing::Holds(_) => {}
        Standing::Disabled(u) => return crate::auth::disabled::page(&state, lang, &u).await,
        Standing::Stale | Standing::Gone => {
            return Err(AppError::bad_request("error.login_expired"));
        }
    }
    if !matches!(form.decision.as_str(), "allow" | "deny") {
        return Err(AppError::bad_request("error.bad_request"));
    }
    // Taken, not read: one answer per request, so a replayed form cannot mint a second code.
    let Some(req) = crate::oidc::request::take_authreq(&state, &form.req)
        .await?
        .filter(|r| r.consent_sid.as_deref() == Some(sso.sid.as_str()))
    else {
        return Err(AppError::bad_request("error.login_expired"));
    };
    let now = state.clock.now();
    if form.decision == "deny" {
        return Ok(authorize::error_redirect(
            &state,
            &req,
            OAuthErrorCode::AccessDenied,
            "the user declined to share their data",
        ));
    }
    let Some(client) = state.store.find_client(&req.client_id).await? else {
        return Err(AppError::bad_request("error.unknown_client"));
    };
    // Agreeing to more later widens the consent; it never narrows an earlier one.
    let mut scope: Vec<String> = req.scope.split(' ').map(str::to_string).collect();
    if let Some(old) = state.store.consent_scope(&sso.user_id, &client.id).await? {
        for s in old.split(' ') {
            if !scope.iter().any(|x| x == s) {
                scope.push(s.to_string());
            }
        }
    }
    state
        .store
        .save_consent(&sso.user_id, &client.id, &scope.join(" "), now)
        .await?;
    let ev = AuditEvent {
        actor: Some(&sso.user_id),
        subject: Some(&sso.user_id),
        client_id: Some(&client.id),
        detail: Some(&req.scope),
        ..AuditEvent::new(AuditKind::ConsentGranted)
    };
    state.store.audit(&ev, now).await?;
    let mut req = req;
    req.prompt_consent = false;
    Ok(authorize::proceed(&state, &client, &req, &sso, true)
        .await?
        .into_response())
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
