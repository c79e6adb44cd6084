//! Activation and password reset: `/reset` (NIP + registered e-mail + captcha → a code by
//! e-mail) and `/reset/confirm` (code + new password). First-time users activate this way.
//!
//! No enumeration: `/reset` answers the same page whether or not NIP and e-mail match. The
//! code is 8 digits, stored only as a hash, one live code per person, five tries, 15 minutes.
//!
//! Started at a service's sign-in, the whole way keeps that service's pending request
//! (`oidc::carry`): the login form after the new password says where it continues, has the
//! NIP filled in, and the sign-in (or the enrolment after it) ends at the service.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::reset_code::{LiveCode, ResetEntry, ResetTries, email_digest};
use crate::auth::session;
use crate::config::Config;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::password_policy::Rule;
use crate::error::AppError;
use crate::mail::compose;
use crate::oidc::carry::{self, Links};
use crate::secrets::{ct_eq, sha256_hex};
use crate::state::AppState;
use crate::store::users::User;
use crate::web::extract::{ClientMeta, CsrfForm};
use crate::web::i18n::Lang;
use crate::web::lang_switch::SwitchFrom;
use crate::web::password_rules::{RuleRow, checklist};
use crate::web::time::wib;
use crate::web::{captcha, csrf};

pub fn router(settings: &Config) -> Router<AppState> {
    let mut r = Router::new()
        .route("/reset", get(get_reset).post(post_reset))
        .route("/reset/sent", get(get_sent))
        .route("/reset/confirm", get(get_confirm).post(post_confirm));
    if let Some(limit) = crate::web::rate_limit::layer(settings) {
        r = r.route_layer(limit);
    }
    r
}

/// A second code is not mailed within this many seconds of the first (mail bombing).
const RESEND_AFTER_SECS: i64 = 60;

#[derive(Template, WebTemplate)]
#[template(path = "reset.html")]
struct ResetPage {
    lang: Lang,
    csrf: String,
    captcha_id: String,
    nip: String,
    email: String,
    error: Option<&'static str>,
    /// The pending authorization request this reset continues (empty: none), and every
    /// address on the page that keeps it.
    links: Links,
    /// The service it is for, named as the login form names it.
    client_name: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "reset_sent.html")]
struct SentPage {
    lang: Lang,
    /// "Enter the code": the confirm form for this NIP and request.
    confirm_url: String,
    /// The ways on when no code came: the reset form again, the sign-in form.
    ways: WaysOut,
    client_name: Option<String>,
}

/// The two ways off a code page, for its NIP and request: ask for a new code (the reset
/// form with the NIP filled in) or sign in; a code page is never a dead end.
struct WaysOut {
    new_code: String,
    sign_in: String,
}

impl WaysOut {
    fn new(nip: &str, req: &str) -> Self {
        let links = Links::new(req);
        WaysOut {
            new_code: links.with("/reset", &[("nip", nip)]),
            sign_in: links.with("/login", &[("nip", nip)]),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reset_confirm.html")]
struct ConfirmPage {
    lang: Lang,
    csrf: String,
    nip: String,
    code: String,
    error: Option<&'static str>,
    checklist: Vec<RuleRow>,
    rules_failed: bool,
    /// The broken rules in words, for the banner above the form.
    failed: Vec<&'static str>,
    /// The two passwords differed.
    mismatch: bool,
    links: Links,
    ways: WaysOut,
    client_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    csrf_token: String,
    nip: String,
    email: String,
    captcha_id: String,
    captcha: String,
    req: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    csrf_token: String,
    nip: String,
    code: String,
    password: String,
    password_confirm: String,
    req: String,
}

crate::csrf_token_field!(ResetForm, ConfirmForm);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmQuery {
    nip: String,
    code: String,
    req: String,
}

/// `/reset` and `/reset/sent`: the request they continue, and the NIP already typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetQuery {
    nip: String,
    req: String,
}

/// The service a page continues to: the request's id and the name the person reads.
#[derive(Default, Clone)]
struct Continues {
    req: String,
    client_name: Option<String>,
}

impl Continues {
    /// From `explicit` (a page's `req`) or this browser's sign-in; empty when neither is live.
    async fn find(state: &AppState, jar: &CookieJar, explicit: &str) -> Result<Self, AppError> {
        Ok(match carry::resolve(state, jar, explicit).await? {
            Some((req, r)) => Continues {
                req,
                client_name: Some(r.client_name),
            },
            None => Continues::default(),
        })
    }
}

/// What the reset form shows when it is rendered (again).
#[derive(Default)]
struct ResetView {
    nip: String,
    email: String,
    error: Option<&'static str>,
    status: StatusCode,
    to: Continues,
}

async fn render_reset(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    v: ResetView,
) -> Result<Response, AppError> {
    let captcha_id = captcha::create(state).await?;
    let (jar, csrf) = csrf::issue(state, jar);
    // Switching language after a refused submit shows the form again with the NIP; the
    // e-mail address is not put in an address (history, proxy logs): it is typed again.
    let again = SwitchFrom::new("/reset", &[("nip", &v.nip), ("req", &v.to.req)]);
    let page = ResetPage {
        lang,
        csrf,
        captcha_id,
        nip: v.nip,
        email: v.email,
        error: v.error.map(|k| lang.t(k)),
        links: Links::new(&v.to.req),
        client_name: v.to.client_name,
    };
    Ok((v.status, jar, again, page).into_response())
}

pub async fn get_reset(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<ResetQuery>,
) -> Result<Response, AppError> {
    let to = Continues::find(&state, &jar, &q.req).await?;
    // The e-mailed link carries no request: this browser remembers it for that link.
    let jar = if to.req.is_empty() {
        jar
    } else {
        carry::remember(&state, jar, Some(&to.req))
    };
    let view = ResetView {
        nip: clean_nip(&q.nip),
        to,
        ..Default::default()
    };
    render_reset(&state, jar, lang, view).await
}

/// The "code sent" page again (the language switch of the page `POST /reset` answers).
pub async fn get_sent(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<ResetQuery>,
) -> Result<Response, AppError> {
    let to = Continues::find(&state, &jar, &q.req).await?;
    Ok(sent_page(lang, clean_nip(&q.nip), to))
}

fn sent_page(lang: Lang, nip: String, to: Continues) -> Response {
    let again = SwitchFrom::new("/reset/sent", &[("nip", &nip), ("req", &to.req)]);
    let page = SentPage {
        lang,
        confirm_url: Links::new(&to.req).with("/reset/confirm", &[("nip", &nip)]),
        ways: WaysOut::new(&nip, &to.req),
        client_name: to.client_name,
    };
    (again, page).into_response()
}

/// Keeps only what a NIP field may hold, so nothing odd travels back into a page or link.
fn clean_nip(s: &str) -> String {
    s.trim()
        .chars()
        .filter(char::is_ascii_digit)
        .take(18)
        .collect()
}

pub async fn post_reset(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    let nip = clean_nip(&form.nip);
    let email: String = form.email.trim().chars().take(254).collect();
    let to = Continues::find(&state, &jar, &form.req).await?;
    if !captcha::verify(&state, &form.captcha_id, &form.captcha).await? {
        let v = ResetView {
            nip,
            email,
            error: Some("login.captcha_wrong"),
            status: StatusCode::BAD_REQUEST,
            to,
        };
        return render_reset(&state, jar, lang, v).await;
    }
    let ClientMeta { ip, user_agent: ua } = client;
    let now = state.clock.now();
    let user = state.store.find_user_by_nip(&nip).await?;
    // Only an active person whose registered address matches gets a code. Every other case
    // falls through to the very same answer.
    let matched = user.filter(|u| u.is_active() && u.email.eq_ignore_ascii_case(&email));
    if let Some(u) = matched {
        send_code(&state, lang, &u, now).await?;
    }
    state
        .store
        .audit(
            &AuditEvent {
                ip: Some(&ip),
                user_agent: ua.as_deref(),
                detail: Some(&nip),
                ..AuditEvent::new(AuditKind::ResetRequested)
            },
            now,
        )
        .await?;
    Ok(sent_page(lang, nip, to))
}

async fn send_code(state: &AppState, lang: Lang, user: &User, now: i64) -> Result<(), AppError> {
    if let Some(live) = state.cache.get::<ResetEntry>(&user.id).await?
        && live.created_at + RESEND_AFTER_SECS > now
    {
        return Ok(());
    }
    let code = format!("{:08}", rand::random_range(0..100_000_000u32));
    let ttl = state.settings.reset_code_ttl_secs;
    let live = LiveCode {
        hash: sha256_hex(&code),
        created_at: now,
        expires_at: now + ttl,
        email: email_digest(&user.email),
    };
    // Overwrites any older code: at most one live code per person.
    state.cache.put::<ResetEntry>(&user.id, &live, ttl).await?;
    let link = format!(
        "{}/reset/confirm?nip={}&code={code}",
        state.settings.issuer(),
        user.nip
    );
    let mail = compose::reset_code(lang, &user.email, &user.name, &code, &link, ttl / 60);
    state.store.enqueue_mail(&mail, now).await?;
    state.mailer.wake.notify_one();
    Ok(())
}

/// What the confirm form shows when it is rendered (again).
#[derive(Default)]
struct ConfirmView {
    nip: String,
    code: String,
    error: Option<&'static str>,
    rules: Vec<Rule>,
    mismatch: bool,
    status: StatusCode,
    to: Continues,
}

async fn render_confirm(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    v: ConfirmView,
) -> Result<Response, AppError> {
    let (jar, csrf) = csrf::issue(state, jar);
    // The code is in the address already (the e-mailed link); a code the server refused is
    // not kept, so the switch shows the NIP and a right code only. Never the passwords.
    let again = SwitchFrom::new(
        "/reset/confirm",
        &[("nip", &v.nip), ("code", &v.code), ("req", &v.to.req)],
    );
    let checklist = checklist(lang, &v.rules, v.mismatch);
    let page = ConfirmPage {
        lang,
        csrf,
        ways: WaysOut::new(&v.nip, &v.to.req),
        nip: v.nip,
        code: v.code,
        error: v.error.map(|k| lang.t(k)),
        checklist,
        rules_failed: !v.rules.is_empty(),
        failed: v.rules.iter().map(|r| lang.t(r.key())).collect(),
        mismatch: v.mismatch,
        links: Links::new(&v.to.req),
        client_name: v.to.client_name,
    };
    Ok((v.status, jar, again, page).into_response())
}

pub async fn get_confirm(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<ConfirmQuery>,
) -> Result<Response, AppError> {
    let code: String = q
        .code
        .chars()
        .filter(char::is_ascii_digit)
        .take(8)
        .collect();
    let view = ConfirmView {
        nip: clean_nip(&q.nip),
        code,
        to: Continues::find(&state, &jar, &q.req).await?,
        ..Default::default()
    };
    render_confirm(&state, jar, lang, view).await
}

pub async fn post_confirm(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<Response, AppError> {
    let nip = clean_nip(&form.nip);
    let code: String = form.code.trim().chars().take(16).collect();
    let to = Continues::find(&state, &jar, &form.req).await?;
    let bad_code = |jar| {
        let view = ConfirmView {
            nip: nip.clone(),
            error: Some("reset.bad_code"),
            status: StatusCode::BAD_REQUEST,
            to: to.clone(),
            ..Default::default()
        };
        render_confirm(&state, jar, lang, view)
    };
    let now = state.clock.now();
    let Some(user) = state
        .store
        .find_user_by_nip(&nip)
        .await?
        .filter(User::is_active)
    else {
        return bad_code(jar).await;
    };
    let Some(live) = state.cache.get::<ResetEntry>(&user.id).await? else {
        return bad_code(jar).await;
    };
    // The address changed since the code was mailed (the import, the helpdesk): the code
    // proves a mailbox that is no longer this account's, so it is spent for nothing.
    if live.expires_at <= now || !ct_eq(live.email.as_bytes(), email_digest(&user.email).as_bytes())
    {
        state.cache.del::<ResetEntry>(&user.id).await?;
        return bad_code(jar).await;
    }
    // Every try is counted before it is compared, atomically: parallel guesses on several
    // replicas get `reset_code_attempts` comparisons in all, never more.
    let tries_key = (user.id.as_str(), &live.hash[..16]);
    let tries = state
        .cache
        .count::<ResetTries>(tries_key, live.expires_at - now)
        .await?;
    let limit = state.settings.reset_code_attempts;
    if tries > limit || !ct_eq(sha256_hex(&code).as_bytes(), live.hash.as_bytes()) {
        if tries >= limit {
            // Guessed too often: the code is gone; a new one must be requested.
            state.cache.del::<ResetEntry>(&user.id).await?;
        }
        return bad_code(jar).await;
    }
    // Only guesses count: the person holding the right code may retry weak passwords.
    state.cache.del::<ResetTries>(tries_key).await?;

    // The code is right: now the password itself. A rejected password keeps the code.
    let keep = |jar, error: Option<&'static str>, rules: Vec<Rule>, mismatch: bool| {
        let (nip, code, to) = (nip.clone(), code.clone(), to.clone());
        let state = state.clone();
        async move {
            let view = ConfirmView {
                nip,
                code,
                error,
                rules,
                mismatch,
                status: StatusCode::BAD_REQUEST,
                to,
            };
            render_confirm(&state, jar, lang, view).await
        }
    };
    // Everything wrong is told at once: the broken rules (a breached password among them)
    // and a mismatch on the same submit. Checked before anything is hashed or stored.
    let judged = state
        .breach
        .judge(&form.password, &user.nip, &user.name)
        .await;
    let breach_detail = judged.audit_detail();
    let rules = judged.rules;
    let mismatch = form.password != form.password_confirm;
    if !rules.is_empty() || mismatch {
        let error = mismatch.then_some("reset.mismatch");
        return keep(jar, error, rules, mismatch).await;
    }
    if user.password_hash.is_some()
        && state
            .hasher
            .verify(form.password.clone(), user.password_hash.clone())
            .await
    {
        return keep(jar, Some("rule.current"), Vec::new(), false).await;
    }

    let hash = state.hasher.hash(form.password.clone()).await?;
    // The code is spent here, once: of two requests racing with it, one sets the password.
    if state.cache.take::<ResetEntry>(&user.id).await?.is_none() {
        return bad_code(jar).await;
    }
    let ClientMeta { ip, user_agent: ua } = client;
    let kind = if user.password_hash.is_some() {
        AuditKind::PasswordReset
    } else {
        AuditKind::AccountActivated
    };
    let event = AuditEvent {
        actor: Some(&user.id),
        subject: Some(&user.id),
        ip: Some(&ip),
        user_agent: ua.as_deref(),
        // A password the breach corpus could not judge (an outage) says so in the audit.
        detail: breach_detail,
        ..AuditEvent::new(kind)
    };
    let notice = compose::password_changed(lang, &user.email, &user.name, &wib(now));
    state
        .store
        .reset_password(&user.id, &user.email, &hash, &event, &notice, now)
        .await?;
    state.mailer.wake.notify_one();
    // A new password ends every session and every refresh token, everywhere.
    session::end_all_for_user(&state, &user.id).await?;
    // On to the login form with the NIP filled in and, when one is still pending, the
    // service's request: only Gerbang's own path, never an address from the request.
    let mut next = url::form_urlencoded::Serializer::new(String::new());
    next.append_pair("done", "reset")
        .append_pair("nip", &user.nip);
    if !to.req.is_empty() {
        next.append_pair("req", &to.req);
    }
    Ok(Redirect::to(&format!("/login?{}", next.finish())).into_response())
}
