//! `/login` (NIP + password; the `otp` field is wired by the MFA work) and `/` (home).

pub mod device;
pub mod guard;
pub mod pending;
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

use crate::config::Config;
use crate::domain::nip::{self, NipError};
use crate::domain::password_policy::MAX_LEN;
use crate::error::AppError;
use crate::mail::compose;
use crate::mfa::{self, otp::OtpOutcome};
use crate::oidc::{self, ACR_MFA};
use crate::state::AppState;
use crate::store::audit::AuditEvent;
use crate::store::users::User;
use crate::web::i18n::Lang;
use crate::web::{captcha, client_ip, csrf, user_agent};
use guard::{Counter, Gate};

pub fn router(settings: &Config) -> Router<AppState> {
    let mut r = Router::new()
        .route("/login", get(get_login).post(post_login))
        .route("/login/otp", get(get_otp).post(post_otp));
    if let Some(limit) = crate::web::rate_limit::layer(settings) {
        r = r.route_layer(limit);
    }
    r
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
    notice: Option<&'static str>,
    captcha_id: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "locked.html")]
struct LockedPage {
    lang: Lang,
    until: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    req: String,
    /// `reset`: arrived from a successful password reset.
    done: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    nip: String,
    password: String,
    otp: String,
    csrf_token: String,
    req: String,
    captcha_id: String,
    captcha: String,
}

/// What a re-rendered login form should show.
struct Shown {
    nip: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
    status: StatusCode,
}

async fn render_login(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    req_id: &str,
    ip: &str,
    shown: Shown,
) -> Result<Response, AppError> {
    let authreq = oidc::load_authreq(state, req_id).await?;
    let nip = if shown.nip.is_empty() {
        authreq
            .as_ref()
            .and_then(|r| r.login_hint.clone())
            .unwrap_or_default()
    } else {
        shown.nip
    };
    let wants_captcha =
        guard::captcha_required(state, ip, (!nip.is_empty()).then_some(nip.as_str())).await?;
    let captcha_id = if wants_captcha {
        Some(captcha::create(state).await?)
    } else {
        None
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
        error: shown.error.map(|k| lang.t(k)),
        notice: shown.notice.map(|k| lang.t(k)),
        captcha_id,
    };
    Ok((shown.status, jar, page).into_response())
}

pub async fn get_login(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let ip = client_ip(&state, peer, &headers);
    let notice = (q.done == "reset").then_some("login.reset_done");
    let shown = Shown {
        nip: String::new(),
        error: None,
        notice,
        status: StatusCode::OK,
    };
    render_login(&state, jar, lang, &q.req, &ip, shown).await
}

/// Formats an instant as Western Indonesian Time, the zone of most ASN.
pub fn wib(ts: i64) -> String {
    let offset = time::UtcOffset::from_hms(7, 0, 0).expect("valid offset");
    let fmt = time::macros::format_description!("[day]-[month]-[year] [hour]:[minute] WIB");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .map(|t| t.to_offset(offset).format(&fmt).unwrap_or_default())
        .unwrap_or_default()
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
    let ip = client_ip(&state, peer, &headers);
    let nip_input = form.nip.trim().to_string();
    let again = |nip: String, error: &'static str, status: StatusCode| Shown {
        nip,
        error: Some(error),
        notice: None,
        status,
    };
    if nip_input.len() > 32 || form.password.chars().count() > MAX_LEN {
        return render_login(
            &state,
            jar,
            lang,
            &form.req,
            &ip,
            again(String::new(), "login.too_long", StatusCode::BAD_REQUEST),
        )
        .await;
    }
    let now = state.clock.now();
    let year = time::OffsetDateTime::from_unix_timestamp(now)
        .map(|t| t.year())
        .unwrap_or(2026);
    // A malformed NIP says so: syntax reveals nothing about which accounts exist.
    if let Err(e) = nip::parse(&nip_input, year) {
        let key = if e == NipError::Format {
            "login.nip_format"
        } else {
            "login.nip_invalid"
        };
        let shown = again(nip_input, key, StatusCode::BAD_REQUEST);
        return render_login(&state, jar, lang, &form.req, &ip, shown).await;
    }
    if form.password.is_empty() {
        return render_login(
            &state,
            jar,
            lang,
            &form.req,
            &ip,
            again(
                nip_input,
                "login.password_required",
                StatusCode::BAD_REQUEST,
            ),
        )
        .await;
    }

    let ua = user_agent(&headers);
    let user = state.store.find_user_by_nip(&nip_input).await?;
    let device = device::read(&state, &jar);
    let known_ttl = state.settings.lockout.known_browser_ttl_secs;
    let counter = guard::counter_for(user.as_ref(), device.as_ref(), &nip_input, now, known_ttl);
    let known = matches!(counter, Counter::KnownBrowser { .. });
    let subject = user.as_ref().map(|u| u.id.as_str());
    let event = |kind: &'static str, detail: Option<&'static str>| AuditEvent {
        kind,
        subject,
        actor: None,
        ip: Some(ip.as_str()),
        user_agent: ua.as_deref(),
        detail,
        client_id: None,
    };

    // Captcha after repeated failures: checked before the password, so a bot without the
    // answer learns nothing. A browser that owns the account is not slowed by others.
    if !known
        && guard::captcha_required(&state, &ip, Some(&nip_input)).await?
        && !captcha::verify(&state, &form.captcha_id, &form.captcha).await?
    {
        state
            .store
            .audit(&event("login_captcha_failed", None), now)
            .await?;
        return render_login(
            &state,
            jar,
            lang,
            &form.req,
            &ip,
            again(nip_input, "login.captcha_wrong", StatusCode::BAD_REQUEST),
        )
        .await;
    }

    if let Gate::Locked(until) = guard::gate(&state, &counter).await? {
        state
            .store
            .audit(&event("login_blocked", Some("locked")), now)
            .await?;
        return Ok(locked_page(lang, until));
    }

    // Always one argon2 verification, against a dummy when there is no usable hash, so the
    // answer takes as long for an unknown NIP as for a wrong password.
    let stored = user
        .as_ref()
        .filter(|u| u.is_active())
        .and_then(|u| u.password_hash.clone());
    let ok = state.hasher.verify(form.password.clone(), stored).await;
    let Some(user) = user.as_ref().filter(|_| ok) else {
        state
            .store
            .audit(&event("login_failure", None), now)
            .await?;
        if let Some(until) = guard::on_failure(&state, &counter, &ip, &nip_input).await? {
            let detail = if known { Some("known_browser") } else { None };
            state
                .store
                .audit(&event("account_locked", detail), now)
                .await?;
            return Ok(locked_page(lang, Some(until)));
        }
        if form.otp.trim().is_empty() {
            // The same second step a right password leads to: the step itself must not
            // tell an attacker the password was wrong. It fails whatever code is typed.
            let p = pending::Pending {
                user_id: None,
                nip: nip_input,
                password_ok: false,
                req: form.req.clone(),
            };
            let jar = pending::start(&state, jar, &p).await?;
            return render_otp_step(&state, jar, lang, None, StatusCode::OK).await;
        }
        return render_login(
            &state,
            jar,
            lang,
            &form.req,
            &ip,
            again(nip_input, "otp.invalid", StatusCode::UNAUTHORIZED),
        )
        .await;
    };

    // Password right. Nothing is issued to any service before a second factor.
    let attempt = Attempt {
        user,
        counter: &counter,
        ip: &ip,
        ua: ua.as_deref(),
        req: &form.req,
    };
    if state.store.list_totp(&user.id).await?.is_empty() {
        let p = pending::Pending {
            user_id: Some(user.id.clone()),
            nip: user.nip.clone(),
            password_ok: true,
            req: form.req.clone(),
        };
        let jar = pending::start(&state, jar, &p).await?;
        return Ok((jar, Redirect::to("/mfa/enrol")).into_response());
    }
    if form.otp.trim().is_empty() {
        let p = pending::Pending {
            user_id: Some(user.id.clone()),
            nip: user.nip.clone(),
            password_ok: true,
            req: form.req.clone(),
        };
        let jar = pending::start(&state, jar, &p).await?;
        return render_otp_step(&state, jar, lang, None, StatusCode::OK).await;
    }
    second_factor(&state, jar, lang, &attempt, &form.otp).await
}

/// Who is signing in, from where, and for which authorization request.
pub struct Attempt<'a> {
    pub user: &'a User,
    pub counter: &'a Counter<'a>,
    pub ip: &'a str,
    pub ua: Option<&'a str>,
    pub req: &'a str,
}

/// Checks the OTP (or recovery code) of a person whose password was right, and finishes
/// the login or explains what was wrong with the code.
async fn second_factor(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    a: &Attempt<'_>,
    otp: &str,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let event = |kind: &'static str, detail: Option<String>| {
        let ev = AuditEvent {
            kind,
            subject: Some(&a.user.id),
            ip: Some(a.ip),
            user_agent: a.ua,
            ..Default::default()
        };
        (ev, detail)
    };
    let outcome = mfa::otp::check(state, a.user, otp).await?;
    let (message, detail): (Option<String>, Option<String>) = match outcome {
        OtpOutcome::Totp | OtpOutcome::Recovery => (None, None),
        OtpOutcome::Invalid => (Some(lang.t("otp.invalid").to_string()), None),
        OtpOutcome::Replayed => (
            Some(lang.t("otp.replayed").to_string()),
            Some("replayed".into()),
        ),
        OtpOutcome::Skewed(m) => (
            Some(mfa::otp::skew_message(lang, m)),
            Some(format!("skew {m} min")),
        ),
    };
    if let Some(message) = message {
        let (ev, detail) = event("otp_failure", detail);
        state
            .store
            .audit(
                &AuditEvent {
                    detail: detail.as_deref(),
                    ..ev
                },
                now,
            )
            .await?;
        if let Some(until) = guard::on_failure(state, a.counter, a.ip, &a.user.nip).await? {
            state
                .store
                .audit(&event("account_locked", None).0, now)
                .await?;
            let jar = pending::finish(state, jar).await?;
            return Ok((jar, locked_page(lang, Some(until))).into_response());
        }
        // The password stays proven for this pending login; only the code is asked again.
        let p = pending::Pending {
            user_id: Some(a.user.id.clone()),
            nip: a.user.nip.clone(),
            password_ok: true,
            req: a.req.to_string(),
        };
        let jar = pending::start(state, jar, &p).await?;
        return render_otp_step(state, jar, lang, Some(message), StatusCode::UNAUTHORIZED).await;
    }
    if outcome == OtpOutcome::Recovery {
        let left = state.store.unused_recovery_codes(&a.user.id).await?;
        state
            .store
            .audit(
                &event("recovery_code_used", Some(format!("{left} left"))).0,
                now,
            )
            .await?;
        let mail = compose::recovery_code_used(lang, &a.user.email, &a.user.name, left, &wib(now));
        state.store.enqueue_mail(&mail, now).await?;
        state.mailer.wake.notify_one();
    }
    guard::on_success(state, a.counter).await?;
    let (jar, sso) = complete(state, jar, a.user, a.ip, a.ua).await?;
    continue_authorization(state, jar, &sso, a.req).await
}

/// Starts the full (MFA) session: fresh cookie, known browser, audit.
pub async fn complete(
    state: &AppState,
    jar: CookieJar,
    user: &User,
    ip: &str,
    ua: Option<&str>,
) -> Result<(CookieJar, session::SsoSession), AppError> {
    let now = state.clock.now();
    let jar = pending::finish(state, jar).await?;
    let ev = AuditEvent {
        kind: "login_success",
        actor: Some(&user.id),
        subject: Some(&user.id),
        ip: Some(ip),
        user_agent: ua,
        ..Default::default()
    };
    state.store.audit(&ev, now).await?;
    let login = session::Login {
        user_id: &user.id,
        amr: vec!["pwd".into(), "otp".into()],
        acr: ACR_MFA,
        mfa_at: Some(now),
        ip: Some(ip.to_string()),
        user_agent: ua.map(str::to_string),
    };
    let (jar, sso) = session::create(state, jar, login).await?;
    Ok((device::remember(state, jar, &user.id, now), sso))
}

/// Back to the service that asked, or home.
pub async fn continue_authorization(
    state: &AppState,
    jar: CookieJar,
    sso: &session::SsoSession,
    req_id: &str,
) -> Result<Response, AppError> {
    match oidc::take_authreq(state, req_id).await? {
        Some(req) => {
            let Some(client) = state.store.find_client(&req.client_id).await? else {
                return Err(AppError::bad_request("error.unknown_client"));
            };
            let next = oidc::authorize::proceed(state, &client, &req, sso, true).await?;
            Ok((jar, next).into_response())
        }
        None => Ok((jar, Redirect::to("/")).into_response()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "otp.html")]
struct OtpPage {
    lang: Lang,
    csrf: String,
    error: Option<String>,
    server_time: String,
}

async fn render_otp_step(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (jar, csrf) = csrf::issue(state, jar);
    let page = OtpPage {
        lang,
        csrf,
        error,
        server_time: wib_seconds(state.clock.now()),
    };
    Ok((status, jar, page).into_response())
}

/// The server's time to the second, so people can compare it with their phone.
pub fn wib_seconds(ts: i64) -> String {
    let offset = time::UtcOffset::from_hms(7, 0, 0).expect("valid offset");
    let fmt =
        time::macros::format_description!("[hour]:[minute]:[second] WIB, [day]-[month]-[year]");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .map(|t| t.to_offset(offset).format(&fmt).unwrap_or_default())
        .unwrap_or_default()
}

pub async fn get_otp(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
) -> Result<Response, AppError> {
    if pending::load(&state, &jar).await?.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    render_otp_step(&state, jar, lang, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OtpForm {
    csrf_token: String,
    otp: String,
}

pub async fn post_otp(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Form(form): Form<OtpForm>,
) -> Result<Response, AppError> {
    if !csrf::verify(&state, &jar, Some(&form.csrf_token)) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "error.csrf"));
    }
    let ip = client_ip(&state, peer, &headers);
    let Some((_, p)) = pending::load(&state, &jar).await? else {
        return Err(AppError::bad_request("error.login_expired"));
    };
    let user = match &p.user_id {
        Some(id) if p.password_ok => state.store.find_user(id).await?,
        _ => None,
    };
    let Some(user) = user else {
        // The password was wrong (and already counted): fail like a wrong code.
        let jar = pending::finish(&state, jar).await?;
        let shown = Shown {
            nip: p.nip,
            error: Some("otp.invalid"),
            notice: None,
            status: StatusCode::UNAUTHORIZED,
        };
        return render_login(&state, jar, lang, &p.req, &ip, shown).await;
    };
    let now = state.clock.now();
    let device = device::read(&state, &jar);
    let known_ttl = state.settings.lockout.known_browser_ttl_secs;
    let counter = guard::counter_for(Some(&user), device.as_ref(), &user.nip, now, known_ttl);
    if let Gate::Locked(until) = guard::gate(&state, &counter).await? {
        let jar = pending::finish(&state, jar).await?;
        return Ok((jar, locked_page(lang, until)).into_response());
    }
    let ua = user_agent(&headers);
    let attempt = Attempt {
        user: &user,
        counter: &counter,
        ip: &ip,
        ua: ua.as_deref(),
        req: &p.req,
    };
    second_factor(&state, jar, lang, &attempt, &form.otp).await
}

fn locked_page(lang: Lang, until: Option<i64>) -> Response {
    (
        StatusCode::FORBIDDEN,
        LockedPage {
            lang,
            until: until.map(wib),
        },
    )
        .into_response()
}
