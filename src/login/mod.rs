//! `/login`: NIP, password and the code (in the form's `otp` field, or on the `/login/otp`
//! step after it). The machinery it drives (counters, pending login, sign-in completion)
//! is `auth/`; `/` is the launcher's.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::guard::{self, Counter, Gate};
use crate::auth::otp::{self, OtpOutcome};
use crate::auth::signin::{self, Factor};
use crate::auth::{device, disabled, pending, session};
use crate::config::Config;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::nip::{self, NipError};
use crate::domain::password_policy::MAX_LEN;
use crate::error::AppError;
use crate::mail::compose;
use crate::oidc::authorize;
use crate::oidc::carry::{Links, Place};
use crate::state::AppState;
use crate::store::users::User;
use crate::web::extract::{ClientMeta, CsrfForm};
use crate::web::i18n::Lang;
use crate::web::time::{wib, wib_seconds};
use crate::web::{captcha, csrf};

mod locked;
mod not_me;

pub fn router(settings: &Config) -> Router<AppState> {
    let mut r = Router::new()
        .route("/login", get(get_login).post(post_login))
        .route("/login/otp", get(get_otp).post(post_otp))
        .route("/login/locked", get(locked::get_locked))
        .route("/not-me", get(not_me::get_not_me).post(not_me::post_not_me));
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
    /// The request the sign-in continues, and every address on the page that keeps it.
    links: Links,
    nip: String,
    client_name: Option<String>,
    error: Option<&'static str>,
    /// The field the error is about (`nip`, `password`, `otp`, `captcha`; empty: the form).
    error_field: &'static str,
    notice: Option<&'static str>,
    captcha_id: Option<String>,
    nip_max: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    req: String,
    /// `reset`: arrived from a successful password reset.
    done: String,
    /// The NIP to fill in: after a reset, the language switch of a refused attempt, or a
    /// "new image" without script (digits only; never the password).
    nip: String,
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
    /// Set by the "new image" button: no sign-in, the form again with a fresh captcha.
    new_captcha: String,
}

crate::csrf_token_field!(LoginForm, OtpForm);

/// What a (re-)rendered login form should show, for the authorization request `req`.
#[derive(Default)]
struct Shown<'a> {
    req: &'a str,
    nip: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
    status: StatusCode,
}

/// The field an error of the login form is about, for `aria-describedby`/`aria-invalid`.
fn error_field(key: &str) -> &'static str {
    match key {
        "login.nip_format" | "login.nip_invalid" | "login.too_long" => "nip",
        "login.password_required" => "password",
        "login.captcha_wrong" | "login.captcha_needed" => "captcha",
        _ => "",
    }
}

/// Whether this browser completed a full login for the person whose NIP is on the form (or,
/// with no NIP yet, for anyone): such a browser has its own counter and is never asked for
/// a captcha, so it is not shown one either.
async fn known_browser(state: &AppState, jar: &CookieJar, nip: &str) -> Result<bool, AppError> {
    let Some(d) = device::read(state, jar) else {
        return Ok(false);
    };
    let (now, ttl) = (
        state.clock.now(),
        state.settings.lockout.known_browser_ttl_secs,
    );
    if nip.is_empty() {
        return Ok(d.users.iter().any(|(_, at)| at + ttl > now));
    }
    Ok(match state.store.find_user_by_nip(nip).await? {
        Some(u) => d.knows(&u.id, now, ttl),
        None => false,
    })
}

/// `ip`: whose failures decide whether a captcha is asked.
async fn render_login(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    ip: &str,
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let req_id = shown.req;
    let authreq = crate::oidc::request::load_authreq(state, req_id).await?;
    let nip = if shown.nip.is_empty() {
        authreq
            .as_ref()
            .and_then(|r| r.login_hint.clone())
            .unwrap_or_default()
    } else {
        shown.nip
    };
    let wants_captcha = !known_browser(state, &jar, &nip).await?
        && guard::captcha_required(state, ip, (!nip.is_empty()).then_some(nip.as_str())).await?;
    let captcha_id = if wants_captcha {
        Some(captcha::create(state).await?)
    } else {
        None
    };
    let (jar, csrf) = csrf::issue(state, jar);
    // A request that is gone is dropped; one of Gerbang's own places is kept as it is.
    let req = if authreq.is_some() || Place::parse(req_id).is_some() {
        req_id
    } else {
        ""
    };
    // "Forgotten password" keeps the service: the reset pages (and the e-mailed link) read
    // which request this browser signs in for (`oidc::carry`).
    let jar = crate::oidc::carry::remember(state, jar, authreq.is_some().then_some(req));
    let links = Links::new(req);
    let again = crate::web::lang_switch::SwitchFrom::new("/login", &[("req", req), ("nip", &nip)]);
    let page = LoginPage {
        lang,
        csrf,
        links,
        nip,
        client_name: authreq.map(|r| r.client_name),
        error: shown.error.map(|k| lang.t(k)),
        error_field: shown.error.map(error_field).unwrap_or(""),
        notice: shown.notice.map(|k| lang.t(k)),
        captcha_id,
        nip_max: nip::MAX_TYPED,
    };
    Ok((shown.status, jar, again, page).into_response())
}

/// A NIP carried in an address (after a reset, a language switch, "new image" or "start
/// over"): digits only, anything else is dropped.
fn shown_nip(raw: &str) -> String {
    let nip = nip::normalize(raw);
    if nip.len() <= 18 && nip.bytes().all(|b| b.is_ascii_digit()) {
        nip
    } else {
        String::new()
    }
}

pub async fn get_login(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let shown = Shown {
        req: &q.req,
        nip: shown_nip(&q.nip),
        notice: (q.done == "reset").then_some("login.reset_done"),
        ..Default::default()
    };
    render_login(&state, jar, lang, &client.ip, shown).await
}

/// "New image" without script: the old captcha is spent and the form comes back, by a GET
/// that carries the NIP (never the password), with a fresh one. Nothing is checked or
/// counted: no password is compared.
async fn new_captcha(state: &AppState, form: &LoginForm) -> Result<Response, AppError> {
    captcha::discard(state, &form.captcha_id).await?;
    let token = |v: &str| {
        v.len() <= 128
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let req = if token(&form.req) {
        form.req.as_str()
    } else {
        ""
    };
    let to = Links::new(req).with("/login", &[("nip", &shown_nip(&form.nip))]);
    Ok(Redirect::to(&to).into_response())
}

pub async fn post_login(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    if !form.new_captcha.is_empty() {
        return new_captcha(&state, &form).await;
    }
    let ClientMeta { ip, user_agent: ua } = client;
    // Pasted as printed (`19900101 201503 1 001`): the separators go, the digits stay.
    let nip_input = nip::normalize(&form.nip);
    let again = |nip: String, error: &'static str, status: StatusCode| Shown {
        req: &form.req,
        nip,
        error: Some(error),
        status,
        ..Default::default()
    };
    if form.nip.len() > 32 || nip_input.len() > 32 || form.password.chars().count() > MAX_LEN {
        return render_login(
            &state,
            jar,
            lang,
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
        return render_login(&state, jar, lang, &ip, shown).await;
    }
    if form.password.is_empty() {
        return render_login(
            &state,
            jar,
            lang,
            &ip,
            again(
                nip_input,
                "login.password_required",
                StatusCode::BAD_REQUEST,
            ),
        )
        .await;
    }

    let user = state.store.find_user_by_nip(&nip_input).await?;
    let device = device::read(&state, &jar);
    let known_ttl = state.settings.lockout.known_browser_ttl_secs;
    let counter = guard::counter_for(user.as_ref(), device.as_ref(), &nip_input, now, known_ttl);
    let known = matches!(counter, Counter::KnownBrowser { .. });
    let subject = user.as_ref().map(|u| u.id.as_str());
    let event = |kind: AuditKind, detail: Option<&'static str>| AuditEvent {
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
            .audit(&event(AuditKind::LoginCaptchaFailed, None), now)
            .await?;
        // None was shown (the page was drawn for a browser that knows someone else).
        let key = if form.captcha_id.is_empty() {
            "login.captcha_needed"
        } else {
            "login.captcha_wrong"
        };
        return render_login(
            &state,
            jar,
            lang,
            &ip,
            again(nip_input, key, StatusCode::BAD_REQUEST),
        )
        .await;
    }

    // The guess is counted before it is compared: parallel requests cannot get more
    // comparisons than the lock allows, on any replica.
    let scope = guard::scope_of(&counter);
    if let Gate::Locked(until) = guard::reserve(&state, &counter).await? {
        state
            .store
            .audit(&event(AuditKind::LoginBlocked, Some("locked")), now)
            .await?;
        return locked::page(&state, lang, until, scope, None, &form.req).await;
    }

    // Always one argon2 verification, against a dummy when there is no usable hash, so the
    // answer takes as long for an unknown NIP as for a wrong password. A disabled person's
    // own hash is used too: once password and code are both right, they are told the
    // account is disabled and whom to ask, instead of retrying a password that is right.
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = state.hasher.verify(form.password.clone(), stored).await;
    // A disabled account goes on only with a code typed: its password alone must look
    // like a wrong one (no OTP step that differs, no enrolment).
    let goes_on = |u: &User| u.is_active() || !form.otp.trim().is_empty();
    let Some(user) = user.as_ref().filter(|u| ok && goes_on(u)) else {
        state
            .store
            .audit(&event(AuditKind::LoginFailure, None), now)
            .await?;
        if form.otp.trim().is_empty() {
            // The same second step a right password leads to: the step itself must not
            // tell an attacker the password was wrong. It fails whatever code is typed, and
            // each code costs what it costs after a right password.
            let mut p = pending::Pending::unproven(nip_input, &form.req, true, &ip);
            p.captcha_slot = guard::count_for_captcha(&state, &ip, &p.nip).await?;
            let jar = pending::start(&state, jar, &p).await?;
            return render_otp_step(&state, jar, lang, &p, None, StatusCode::OK).await;
        }
        // The code typed beside a wrong password is answered as it would be beside a
        // right one: nothing here may tell the two apart.
        let outcome = code_without_password(&state, user.as_ref(), &form.otp).await?;
        let mistimed = is_mistimed(outcome);
        let subject_id = user.as_ref().map(|u| u.id.as_str()).unwrap_or("");
        let lock = if mistimed && !guard::mistimed_counts(&state, subject_id).await? {
            // As after a right password: a second mistimed code costs nothing.
            guard::release(&state, &counter).await?;
            None
        } else {
            guard::on_failure(&state, &counter, &ip, &nip_input).await?
        };
        if let Some(until) = lock {
            let detail = if known { Some("known_browser") } else { None };
            state
                .store
                .audit(&event(AuditKind::AccountLocked, detail), now)
                .await?;
            let note = locked::Note::of(outcome).filter(|_| mistimed);
            return locked::page(&state, lang, Some(until), scope, note, &form.req).await;
        }
        if let (Some(message), _) = code_message(lang, outcome, false)
            && outcome != OtpOutcome::Invalid
        {
            let p = pending::Pending::unproven(nip_input, &form.req, false, &ip);
            let jar = pending::start(&state, jar, &p).await?;
            let status = StatusCode::UNAUTHORIZED;
            return render_otp_step(&state, jar, lang, &p, Some(message), status).await;
        }
        return render_login(
            &state,
            jar,
            lang,
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
        give_back: None,
        own_guess: true,
    };
    let pending_for = |charged: bool| pending::Pending::proven(user, &form.req, charged, &ip);
    if !user.is_active() {
        // Disabled, with a code typed (see `goes_on`): the code decides what is said.
        return second_factor(&state, jar, lang, &attempt, &form.otp, Step::Form).await;
    }
    if !state.store.has_second_factor(&user.id).await? {
        // First enrolment (or again after a helpdesk reset): nothing to guess here, so the
        // reserved guess is given back.
        guard::on_success(&state, &counter).await?;
        let jar = pending::start(&state, jar, &pending_for(false)).await?;
        return Ok((jar, Redirect::to("/mfa/enrol")).into_response());
    }
    if form.otp.trim().is_empty() {
        // The guess stays counted until a code settles it, exactly as after a wrong password.
        let captcha_slot = guard::count_for_captcha(&state, &ip, &user.nip).await?;
        let p = pending::Pending {
            captcha_slot,
            ..pending_for(true)
        };
        let jar = pending::start(&state, jar, &p).await?;
        return render_otp_step(&state, jar, lang, &p, None, StatusCode::OK).await;
    }
    second_factor(&state, jar, lang, &attempt, &form.otp, Step::Form).await
}

/// Who is signing in, from where, and for which authorization request.
pub struct Attempt<'a> {
    pub user: &'a User,
    pub counter: &'a Counter<'a>,
    pub ip: &'a str,
    pub ua: Option<&'a str>,
    pub req: &'a str,
    /// The IP whose captcha counter the password step charged, and the pending login whose
    /// one-time refund gives it back on success.
    pub give_back: Option<(&'a str, &'a str)>,
    /// The guess was reserved for this code (not the one the password step counted, which
    /// stays counted whatever the code).
    pub own_guess: bool,
}

/// Where a code was typed: the login form's `otp` field, or the second step. A wrong code
/// is answered like a wrong password on the login form, and like any wrong code on the step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Form,
    Otp,
}

/// Checks the OTP (or recovery code) of a person whose password was right, and finishes
/// the login or explains what was wrong with the code. The guess was reserved already.
async fn second_factor(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    a: &Attempt<'_>,
    otp: &str,
    step: Step,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let event = |kind: AuditKind, detail: Option<String>| {
        let ev = AuditEvent {
            subject: Some(&a.user.id),
            ip: Some(a.ip),
            user_agent: a.ua,
            ..AuditEvent::new(kind)
        };
        (ev, detail)
    };
    let outcome = otp::check(state, a.user, otp).await?;
    let (message, detail) = code_message(lang, outcome, step == Step::Otp);
    if let Some(message) = message {
        let (ev, detail) = event(AuditKind::OtpFailure, detail);
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
        let mistimed = is_mistimed(outcome);
        let lock = if mistimed && a.own_guess && !guard::mistimed_counts(state, &a.user.id).await? {
            // A phone with a wrong clock makes one mistimed code after another: the first
            // one counted, the rest are answered about the clock and cost nothing.
            guard::release(state, a.counter).await?;
            None
        } else {
            guard::on_failure(state, a.counter, a.ip, &a.user.nip).await?
        };
        if let Some(until) = lock {
            state
                .store
                .audit(&event(AuditKind::AccountLocked, None).0, now)
                .await?;
            let jar = pending::finish(state, jar).await?;
            let note = locked::Note::of(outcome).filter(|_| mistimed);
            let scope = guard::scope_of(a.counter);
            let page = locked::page(state, lang, Some(until), scope, note, a.req).await?;
            return Ok((jar, page).into_response());
        }
        if step == Step::Form && outcome == OtpOutcome::Invalid {
            // Exactly what a wrong password with a code gets: nothing tells them apart.
            let shown = Shown {
                req: a.req,
                nip: a.user.nip.clone(),
                error: Some("otp.invalid"),
                status: StatusCode::UNAUTHORIZED,
                ..Default::default()
            };
            return render_login(state, jar, lang, a.ip, shown).await;
        }
        // (For the page: the request and the NIP of this login, whichever step it is on.)
        let p = pending::Pending::proven(a.user, a.req, false, "");
        let jar = if step == Step::Form {
            // A code right for another time (only its owner's phone makes one): the second
            // step explains the phone's clock; a new guess is counted there.
            pending::start(state, jar, &p).await?
        } else {
            // The pending login stays as it is: no new lifetime for a wrong code.
            jar
        };
        let status = StatusCode::UNAUTHORIZED;
        return render_otp_step(state, jar, lang, &p, Some(message), status).await;
    }
    let factor = if outcome == OtpOutcome::Recovery {
        let left = state.store.unused_recovery_codes(&a.user.id).await?;
        state
            .store
            .audit(
                &event(AuditKind::RecoveryCodeUsed, Some(format!("{left} left"))).0,
                now,
            )
            .await?;
        let mail = compose::recovery_code_used(lang, &a.user.email, &a.user.name, left, &wib(now));
        state.store.enqueue_mail(&mail, now).await?;
        state.mailer.wake.notify_one();
        Factor::RecoveryCode
    } else {
        Factor::Totp
    };
    guard::on_success(state, a.counter).await?;
    if !a.user.is_active() {
        // Password and code were right: now, and only now, the person learns why.
        let ev = AuditEvent {
            detail: Some("disabled"),
            ..event(AuditKind::LoginBlocked, None).0
        };
        state.store.audit(&ev, now).await?;
        let jar = pending::finish(state, jar).await?;
        return Ok((jar, disabled::page(state, lang, a.user).await?).into_response());
    }
    if let Some((ip, pending_id)) = a.give_back
        && let Some(slot) = pending::take_refund(state, pending_id).await?
    {
        guard::give_back_captcha(state, ip, &a.user.nip, slot).await?;
    }
    let (jar, sso) = signin::complete(state, jar, a.user, factor, a.ip, a.ua).await?;
    authorize::resume(state, jar, &sso, a.req).await
}

/// A code right for the secret at another time, or already used: only the secret's holder
/// (or someone replaying a code they saw) can type one.
fn is_mistimed(outcome: OtpOutcome) -> bool {
    matches!(outcome, OtpOutcome::Replayed | OtpOutcome::Skewed(_))
}

/// What a failed code is told (`None`: the code was right), and the audit detail. On the
/// second step only the code field is shown, so a wrong code is "the code is wrong" there;
/// on the login form it is "NIP, password or code".
fn code_message(
    lang: Lang,
    outcome: OtpOutcome,
    on_step: bool,
) -> (Option<String>, Option<String>) {
    let invalid = if on_step {
        "otp.code_wrong"
    } else {
        "otp.invalid"
    };
    match outcome {
        OtpOutcome::Totp | OtpOutcome::Recovery => (None, None),
        OtpOutcome::Invalid => (Some(lang.t(invalid).to_string()), None),
        OtpOutcome::Replayed => (
            Some(lang.t("otp.replayed").to_string()),
            Some("replayed".into()),
        ),
        OtpOutcome::Skewed(m) => (
            Some(otp::skew_message(lang, m)),
            Some(format!("skew {m} min")),
        ),
    }
}

/// A code typed after a wrong password (or for a half-done login the account has moved
/// past): judged against the account's real devices without being accepted, so a real but
/// mistimed or used code gets the same words as after a right password, in the same time.
async fn code_without_password(
    state: &AppState,
    user: Option<&User>,
    code: &str,
) -> Result<OtpOutcome, AppError> {
    match user {
        Some(u) => otp::peek(state, u, code).await,
        None => otp::check_nobody(state, code).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "otp.html")]
struct OtpPage {
    lang: Lang,
    csrf: String,
    error: Option<String>,
    server_time: String,
    /// The service it continues to.
    client_name: Option<String>,
    /// "Start over": the form again for the same request and NIP (its captcha, when the
    /// NIP needs one, shown at once).
    start_over: String,
}

/// The second step of login `p` (only its request and NIP are shown: they are the same
/// whether its password was right or not).
async fn render_otp_step(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    p: &pending::Pending,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (jar, csrf) = csrf::issue(state, jar);
    let authreq = crate::oidc::request::load_authreq(state, &p.req).await?;
    let req = if authreq.is_some() || Place::parse(&p.req).is_some() {
        p.req.as_str()
    } else {
        ""
    };
    let links = Links::new(req);
    let page = OtpPage {
        lang,
        csrf,
        error,
        server_time: wib_seconds(state.clock.now()),
        start_over: links.with("/login", &[("nip", &shown_nip(&p.nip))]),
        client_name: authreq.map(|r| r.client_name),
    };
    // The step answers a POST to /login; its own address shows it again (the pending login
    // holds the request; the address names it too, for when that login has expired).
    let again = crate::web::lang_switch::SwitchFrom::new("/login/otp", &[("req", req)]);
    Ok((status, jar, again, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OtpQuery {
    /// The request the step's page continued (its language switch): where the form starts
    /// again once the pending login is gone. `/login` checks it as every `req`.
    req: String,
}

pub async fn get_otp(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<OtpQuery>,
) -> Result<Response, AppError> {
    let Some((_, p)) = pending::load(&state, &jar).await? else {
        return Ok(Redirect::to(&Links::new(&q.req).url("/login")).into_response());
    };
    render_otp_step(&state, jar, lang, &p, None, StatusCode::OK).await
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
    client: ClientMeta,
    CsrfForm(form): CsrfForm<OtpForm>,
) -> Result<Response, AppError> {
    let ClientMeta { ip, user_agent: ua } = client;
    let Some((id, p)) = pending::load(&state, &jar).await? else {
        return Err(AppError::bad_request("error.login_expired"));
    };
    // A step-up stands on the session that asked for it: it dies with that session, and
    // each code is counted on the session before it is compared (as on the account pages),
    // so a stolen session cookie is no code-guessing oracle here either.
    if let Some(sid) = &p.step_up_sid {
        let counted = match session::by_sid(&state, sid).await? {
            Some(sso) => session::reserve_guess(&state, &sso).await?,
            None => false,
        };
        if !counted {
            let jar = pending::finish(&state, jar).await?;
            let to = Links::new(&p.req).url("/login");
            return Ok((jar, Redirect::to(&to)).into_response());
        }
    }
    let now = state.clock.now();
    // The account as it is now, wherever the password step left it.
    let user = state.store.find_user_by_nip(&p.nip).await?;
    let device = device::read(&state, &jar);
    let known_ttl = state.settings.lockout.known_browser_ttl_secs;
    let counter = guard::counter_for(user.as_ref(), device.as_ref(), &p.nip, now, known_ttl);
    // The first code uses the guess the password step counted (taken atomically: parallel
    // codes for one pending login get it once); every further one is counted before it is
    // compared, whether or not the password was right. A lock in force is honoured either way.
    let took_charge = pending::take_charge(&state, &id).await?;
    let gate = if took_charge {
        guard::gate(&state, &counter).await?
    } else {
        guard::reserve(&state, &counter).await?
    };
    let scope = guard::scope_of(&counter);
    if let Gate::Locked(until) = gate {
        let jar = pending::finish(&state, jar).await?;
        let page = locked::page(&state, lang, until, scope, None, &p.req).await?;
        return Ok((jar, page).into_response());
    }
    let proven = user.as_ref().filter(|u| p.password_ok && p.valid_for(u));
    let Some(user) = proven else {
        // A wrong password, or a login the account has moved past (new password, disabled):
        // fail exactly like a wrong code after a right password, in about the same time.
        let outcome = code_without_password(&state, user.as_ref(), &form.otp).await?;
        let mistimed = is_mistimed(outcome);
        let ev = AuditEvent {
            subject: user.as_ref().map(|u| u.id.as_str()),
            ip: Some(&ip),
            user_agent: ua.as_deref(),
            ..AuditEvent::new(AuditKind::OtpFailure)
        };
        state.store.audit(&ev, now).await?;
        let subject_id = user.as_ref().map(|u| u.id.as_str()).unwrap_or("");
        let lock =
            if mistimed && !took_charge && !guard::mistimed_counts(&state, subject_id).await? {
                guard::release(&state, &counter).await?;
                None
            } else {
                guard::on_failure(&state, &counter, &ip, &p.nip).await?
            };
        let message = code_message(lang, outcome, true)
            .0
            .unwrap_or_else(|| lang.t("otp.code_wrong").to_string());
        if let Some(until) = lock {
            let ev = AuditEvent {
                kind: AuditKind::AccountLocked,
                ..ev
            };
            state.store.audit(&ev, now).await?;
            let jar = pending::finish(&state, jar).await?;
            let note = locked::Note::of(outcome).filter(|_| mistimed);
            let page = locked::page(&state, lang, Some(until), scope, note, &p.req).await?;
            return Ok((jar, page).into_response());
        }
        let status = StatusCode::UNAUTHORIZED;
        return render_otp_step(&state, jar, lang, &p, Some(message), status).await;
    };
    let attempt = Attempt {
        user,
        counter: &counter,
        ip: &ip,
        ua: ua.as_deref(),
        req: &p.req,
        // The password step charged the captcha counters of its own IP: give back there.
        give_back: (p.charged && !p.ip.is_empty()).then_some((p.ip.as_str(), id.as_str())),
        own_guess: !took_charge,
    };
    second_factor(&state, jar, lang, &attempt, &form.otp, Step::Otp).await
}
