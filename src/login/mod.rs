//! `/login` (NIP + password; the `otp` field is wired by the MFA work) and `/` (home).

pub mod session;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::domain::nip::{self, NipError};
use crate::domain::password_policy::MAX_LEN;
use crate::error::AppError;
use crate::oidc::{self, ACR_PASSWORD};
use crate::state::AppState;
use crate::store::audit::AuditEvent;
use crate::web::i18n::Lang;
use crate::web::{client_ip, csrf, user_agent};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(get_home))
        .route("/login", get(get_login).post(post_login))
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    csrf: String,
    req: String,
    nip: String,
    client_name: Option<String>,
    error: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    lang: Lang,
    name: String,
    nip: String,
    csrf: String,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    req: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    nip: String,
    password: String,
    otp: String,
    csrf_token: String,
    req: String,
}

async fn render_login(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    req_id: &str,
    nip: String,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let authreq = oidc::load_authreq(state, req_id).await?;
    let nip = if nip.is_empty() {
        authreq
            .as_ref()
            .and_then(|r| r.login_hint.clone())
            .unwrap_or_default()
    } else {
        nip
    };
    let (jar, csrf) = csrf::issue(state, jar);
    let page = LoginPage {
        lang,
        csrf,
        req: if authreq.is_some() {
            req_id.to_string()
        } else {
            String::new()
        },
        nip,
        client_name: authreq.map(|r| r.client_name),
        error: error.map(|k| lang.t(k)),
    };
    Ok((status, jar, page).into_response())
}

pub async fn get_login(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    render_login(
        &state,
        jar,
        lang,
        &q.req,
        String::new(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn post_login(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    if !csrf::verify(&state, &jar, Some(&form.csrf_token)) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "error.csrf"));
    }
    let _ = &form.otp; // read by the MFA step once devices exist
    let nip_input = form.nip.trim().to_string();
    if nip_input.len() > 32 || form.password.chars().count() > MAX_LEN {
        return render_login(
            &state,
            jar,
            lang,
            &form.req,
            String::new(),
            Some("login.too_long"),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let year = time::OffsetDateTime::from_unix_timestamp(state.clock.now())
        .map(|t| t.year())
        .unwrap_or(2026);
    // A malformed NIP says so: syntax reveals nothing about which accounts exist.
    match nip::parse(&nip_input, year) {
        Ok(_) => {}
        Err(NipError::Format) => {
            return render_login(
                &state,
                jar,
                lang,
                &form.req,
                nip_input,
                Some("login.nip_format"),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        Err(_) => {
            return render_login(
                &state,
                jar,
                lang,
                &form.req,
                nip_input,
                Some("login.nip_invalid"),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    }
    if form.password.is_empty() {
        return render_login(
            &state,
            jar,
            lang,
            &form.req,
            nip_input,
            Some("login.password_required"),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }

    let ip = client_ip(Some(peer));
    let ua = user_agent(&headers);
    let user = state.store.find_user_by_nip(&nip_input).await?;
    // Always one argon2 verification, against a dummy when there is no usable hash, so the
    // answer takes as long for an unknown NIP as for a wrong password.
    let stored = user
        .as_ref()
        .filter(|u| u.is_active())
        .and_then(|u| u.password_hash.clone());
    let ok = state.hasher.verify(form.password.clone(), stored).await;
    let now = state.clock.now();
    let Some(user) = user.filter(|_| ok) else {
        state
            .store
            .audit(
                &AuditEvent {
                    kind: "login_failure",
                    subject: None,
                    actor: None,
                    ip: ip.as_deref(),
                    user_agent: ua.as_deref(),
                    detail: Some(&nip_input),
                    client_id: None,
                },
                now,
            )
            .await?;
        return render_login(
            &state,
            jar,
            lang,
            &form.req,
            nip_input,
            Some("login.failed"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };

    state
        .store
        .audit(
            &AuditEvent {
                kind: "login_success",
                actor: Some(&user.id),
                subject: Some(&user.id),
                ip: ip.as_deref(),
                user_agent: ua.as_deref(),
                ..Default::default()
            },
            now,
        )
        .await?;
    let (jar, sso) = session::create(
        &state,
        jar,
        session::Login {
            user_id: &user.id,
            amr: vec!["pwd".into()],
            acr: ACR_PASSWORD,
            ip,
            user_agent: ua,
        },
    )
    .await?;
    match oidc::load_authreq(&state, &form.req).await? {
        Some(req) => {
            state.cache.del(&oidc::authreq_key(&form.req)).await?;
            let redirect = oidc::authorize::issue_code(&state, &req, &sso).await?;
            Ok((jar, redirect).into_response())
        }
        None => Ok((jar, Redirect::to("/")).into_response()),
    }
}

pub async fn get_home(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let Some(sso) = session::current(&state, &jar).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Some(user) = state.store.find_user(&sso.user_id).await? else {
        let jar = session::end(&state, jar).await?;
        return Ok((jar, Redirect::to("/login")).into_response());
    };
    let (jar, csrf) = csrf::issue(&state, jar);
    Ok((
        jar,
        HomePage {
            lang,
            name: user.name,
            nip: user.nip,
            csrf,
        },
    )
        .into_response())
}
