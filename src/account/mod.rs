//! `/account`: a person's own devices, password, recovery codes, sessions and activity.
//! Every change needs a fresh second factor, is audited and is e-mailed.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::otp::{self, OtpOutcome};
use crate::auth::recovery_view;
use crate::auth::session::{self, SsoSession};
use crate::auth::signed_in::SignedIn;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::password_policy;
use crate::error::AppError;
use crate::mail::compose;
use crate::secrets::sha256_hex;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::mfa::DeviceChange;
use crate::store::users::User;
use crate::web::csrf;
use crate::web::extract::{ClientMeta, CsrfFirst};
use crate::web::i18n::Lang;
use crate::web::lang_switch;
use crate::web::notice::{self, Done};
use crate::web::password_rules::{RuleRow, checklist};
use crate::web::time::{wib, wib_seconds};
use crate::web::words;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(get_account))
        .route("/account/devices/{id}/rename", post(post_rename))
        .route("/account/devices/{id}/remove", post(post_remove))
        .route("/account/password", post(post_password))
        .route("/account/recovery", post(post_recovery))
        .route("/account/recovery/codes", get(get_recovery_codes))
        .route("/account/recovery/download", get(get_recovery_download))
        .route("/account/confirm", get(get_confirm))
        .route("/account/sessions/end", post(post_end_session))
        .route("/account/consents/revoke", post(post_revoke_consent))
        // The forms post to addresses of their own: the answers switch language to the page.
        .route_layer(axum::middleware::map_response(lang_switch::forms_of(
            "/account",
        )))
}

/// What a destructive form must carry: the person ticked the box, or came through the
/// confirmation page. Checked on the server before anything is counted or changed.
fn confirmed(confirm: &str) -> bool {
    confirm == "yes"
}

struct ConsentRow {
    client_id: String,
    client_name: String,
    claims: Vec<&'static str>,
    since: String,
}

struct DeviceRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

struct SessionRow {
    sid: String,
    /// "Chrome on Android", in the page's language.
    browser: String,
    ip: String,
    since: String,
    current: bool,
}

/// One line of recent activity, in words.
struct ActivityRow {
    at: String,
    what: String,
    ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    lang: Lang,
    csrf: String,
    name: String,
    nip: String,
    notice: Option<String>,
    error: Option<String>,
    /// The password rules the new password broke, one line each, beside `error`.
    failed: Vec<&'static str>,
    /// Which form the error is about (`password`, `recovery`, `rename-<id>`, `remove-<id>`,
    /// `sessions`, `consents`): it is shown in that form, focused, and the form's fields
    /// point at it (`aria-describedby`).
    error_for: String,
    /// The new-password checklist (marked live by password.js, and after a refusal).
    checklist: Vec<RuleRow>,
    devices: Vec<DeviceRow>,
    recovery_left: i64,
    sessions: Vec<SessionRow>,
    activity: Vec<ActivityRow>,
    consents: Vec<ConsentRow>,
}

impl AccountPage {
    /// Whether the error is about the form `form` (`""`: about none, shown at the top).
    fn error_in(&self, form: &str) -> bool {
        self.error_for == form && (self.error.is_some() || !self.failed.is_empty())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "recovery_codes.html")]
struct RecoveryPage {
    lang: Lang,
    codes: Vec<String>,
    /// Where "I have saved them" leads.
    continue_url: &'static str,
    /// The codes' text file, behind the same token as this page.
    download_url: String,
}

/// The confirmation step of a destructive action that has no other field to tick a box
/// beside: what will happen, one button that posts it, and a way back.
#[derive(Template, WebTemplate)]
#[template(path = "account_confirm.html")]
struct ConfirmPage {
    lang: Lang,
    csrf: String,
    /// i18n keys: the page's heading, what happens, and the button.
    title: &'static str,
    explain: &'static str,
    button: &'static str,
    /// What it is about, in words ("Chrome on Android · 10.0.0.1", a service's name).
    what: String,
    action: &'static str,
    /// The hidden field the action names its target with, and its value.
    field: &'static str,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AccountQuery {
    done: String,
}

/// What the account page shows beside the person's own lists.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    error: Option<String>,
    error_for: String,
    /// The password rules a new password broke.
    rules: Vec<password_policy::Rule>,
    /// The new password and its confirmation differed.
    mismatch: bool,
    status: StatusCode,
}

impl Shown {
    fn error(status: StatusCode, message: impl Into<String>) -> Self {
        Shown {
            error: Some(message.into()),
            status,
            ..Default::default()
        }
    }
    /// The error is about the form `form`: its fields point at it.
    fn on(mut self, form: impl Into<String>) -> Self {
        self.error_for = form.into();
        self
    }
}

async fn render(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    me: &SignedIn,
    shown: Shown,
) -> Result<Response, AppError> {
    let SignedIn { sso, user } = me;
    let devices = state
        .store
        .list_totp(&user.id)
        .await?
        .into_iter()
        .map(|d| DeviceRow {
            id: d.id,
            name: d.device_name,
            created: wib(d.created_at),
            last_used: d
                .last_used_at
                .map(wib)
                .unwrap_or_else(|| lang.t("account.never").to_string()),
        })
        .collect();
    let sessions = session::list_for_user(state, &user.id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: s.sid == sso.sid,
            browser: words::browser(s.user_agent.as_deref(), lang),
            ip: s.ip.unwrap_or_default(),
            since: wib(s.auth_time),
            sid: s.sid,
        })
        .collect();
    let activity = state
        .store
        .recent_audit(&user.id, 20)
        .await?
        .into_iter()
        .map(|(at, kind, ip, _)| ActivityRow {
            at: wib_seconds(at),
            what: words::audit_text(&kind, lang),
            ip: ip.unwrap_or_default(),
        })
        .collect();
    let consents = state
        .store
        .list_consents(&user.id)
        .await?
        .into_iter()
        .map(|c| ConsentRow {
            claims: crate::oidc::claims::claim_texts(&c.scope),
            client_id: c.client_id,
            client_name: c.client_name,
            since: wib(c.granted_at),
        })
        .collect();
    let recovery_left = state.store.unused_recovery_codes(&user.id).await?;
    let (jar, csrf) = csrf::issue(state, jar);
    let page = AccountPage {
        lang,
        csrf,
        name: user.name.clone(),
        nip: user.nip.clone(),
        notice: shown.notice,
        error: shown.error,
        failed: shown.rules.iter().map(|r| lang.t(r.key())).collect(),
        error_for: shown.error_for,
        checklist: checklist(lang, &shown.rules, shown.mismatch),
        devices,
        recovery_left,
        sessions,
        activity,
        consents,
    };
    Ok((shown.status, jar, page).into_response())
}

pub async fn get_account(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<AccountQuery>,
    me: SignedIn,
) -> Result<Response, AppError> {
    let shown = Shown {
        notice: notice::sentence(&state, &me.sso.sid, &q.done, lang).await?,
        ..Default::default()
    };
    render(&state, jar, lang, &me, shown).await
}

/// A code on the account page. Wrong ones are bounded by the session's own budget
/// (`prove`), not charged to the account: a charge there would show, through the
/// account's lock, whether the password typed beside the code was right.
async fn otp_ok(
    state: &AppState,
    user: &User,
    code: &str,
    except: Option<&str>,
) -> Result<bool, AppError> {
    Ok(matches!(
        otp::check_except(state, user, code, except).await?,
        OtpOutcome::Totp | OtpOutcome::Recovery
    ))
}

/// Both the password and a code, always both checked and answered as one: which of the two
/// was wrong must not be an oracle for whoever holds only the session.
async fn password_and_code(
    state: &AppState,
    user: &User,
    password: &str,
    code: &str,
) -> Result<bool, AppError> {
    let password_ok = state
        .hasher
        .verify(password.to_string(), user.password_hash.clone())
        .await;
    if !password_ok {
        // The code is looked at (same work) but neither spent nor charged to the account:
        // the person retries with it, and a session thief cannot lock the owner out.
        otp::peek(state, user, code).await?;
        return Ok(false);
    }
    otp_ok(state, user, code, None).await
}

/// What a change on the account page must be vouched for with.
enum Proof<'a> {
    /// A current code (or a recovery code) from any device but `except`.
    Code { except: Option<&'a str> },
    /// A current TOTP code, not a recovery code (the codes being replaced cannot vouch).
    Totp,
    /// The password and a code, answered as one.
    PasswordAndCode { password: &'a str },
}

/// Counts the proof against this session's budget before it is compared, checks it, and
/// answers a wrong one. `Ok(Ok(jar))`: it holds. `Ok(Err(page))`: answer that page — the
/// proof was wrong, or there were too many wrong ones and the session has just ended.
async fn prove(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    me: &SignedIn,
    proof: Proof<'_>,
    code: &str,
    form: &str,
) -> Result<Result<CookieJar, Response>, AppError> {
    let SignedIn { sso, user } = me;
    if !session::reserve_guess(state, sso).await? {
        let jar = session::end(state, jar).await?;
        return Ok(Err((jar, Redirect::to("/login")).into_response()));
    }
    let (ok, wrong) = match proof {
        Proof::Code { except } => (otp_ok(state, user, code, except).await?, "account.bad_otp"),
        Proof::Totp => (
            otp::normalize_recovery(code).is_none() && otp_ok(state, user, code, None).await?,
            "account.bad_otp",
        ),
        Proof::PasswordAndCode { password } => (
            password_and_code(state, user, password, code).await?,
            "account.bad_password_or_otp",
        ),
    };
    if !ok {
        let shown = Shown::error(StatusCode::UNAUTHORIZED, lang.t(wrong)).on(form);
        let page = render(state, jar, lang, me, shown).await?;
        return Ok(Err(page));
    }
    session::guess_proven(state, sso).await?;
    Ok(Ok(jar))
}

/// The answer to a change: the account page, saying what changed (with `names`, kept for
/// this session only: see `web::notice`).
async fn done(
    state: &AppState,
    sso: &SsoSession,
    what: Done,
    names: &[&str],
) -> Result<Response, AppError> {
    notice::keep(state, &sso.sid, what, names).await?;
    Ok(Redirect::to(&what.url()).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RenameForm {
    csrf_token: String,
    device_name: String,
    /// A current code from one of the person's devices: a session alone changes no factor.
    otp: String,
}

pub async fn post_rename(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    Path(id): Path<String>,
    CsrfFirst(me, f): CsrfFirst<SignedIn, RenameForm>,
) -> Result<Response, AppError> {
    let name = f.device_name.trim().to_string();
    if !crate::domain::text::is_plain_text(&name, 64) {
        return render(
            &state,
            jar,
            lang,
            &me,
            Shown::error(StatusCode::BAD_REQUEST, lang.t("enrol.bad_name"))
                .on(format!("rename-{id}")),
        )
        .await;
    }
    let user = &me.user;
    // Not one of theirs: the same as a device that does not exist.
    let Some(old) = state
        .store
        .list_totp(&user.id)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .map(|d| d.device_name)
    else {
        return Err(AppError::new(StatusCode::NOT_FOUND, "error.not_found"));
    };
    let proof = Proof::Code { except: None };
    let form = format!("rename-{id}");
    let jar = match prove(&state, jar, lang, &me, proof, &f.otp, &form).await? {
        Ok(jar) => jar,
        Err(page) => return Ok(page),
    };
    let now = state.clock.now();
    let event = AuditEvent {
        actor: Some(&user.id),
        subject: Some(&user.id),
        ip: Some(&client.ip),
        detail: Some(&name),
        ..AuditEvent::new(AuditKind::MfaDeviceRenamed)
    };
    let notice = compose::device_changed(lang, &user.email, &user.name, &name, &wib(now));
    let change = DeviceChange {
        user_id: &user.id,
        credential_id: &id,
        new_name: Some(&name),
        event: &event,
        notice: &notice,
    };
    match state.store.change_device(&change, now).await {
        Ok(true) => {
            state.mailer.wake.notify_one();
            done(&state, &me.sso, Done::DeviceRenamed, &[&old, &name]).await
        }
        // Not one of theirs: the same as a device that does not exist.
        Ok(false) => Err(AppError::new(StatusCode::NOT_FOUND, "error.not_found")),
        Err(StoreError::Duplicate) => {
            render(
                &state,
                jar,
                lang,
                &me,
                Shown::error(StatusCode::BAD_REQUEST, lang.t("enrol.dup_name")).on(form),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoveForm {
    csrf_token: String,
    otp: String,
    password: String,
    /// `yes`: the person ticked "remove this device".
    confirm: String,
}

pub async fn post_remove(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    Path(id): Path<String>,
    CsrfFirst(me, f): CsrfFirst<SignedIn, RemoveForm>,
) -> Result<Response, AppError> {
    let user = &me.user;
    let devices = state.store.list_totp(&user.id).await?;
    let Some(device) = devices.iter().find(|d| d.id == id) else {
        return Err(AppError::new(StatusCode::NOT_FOUND, "error.not_found"));
    };
    let last = devices.len() == 1;
    let form = format!("remove-{id}");
    if !confirmed(&f.confirm) {
        let shown = Shown::error(StatusCode::BAD_REQUEST, lang.t("account.confirm_needed"));
        return render(&state, jar, lang, &me, shown.on(form)).await;
    }
    // With other devices, one of them must vouch; the last one needs password + its own code.
    let proof = if last {
        Proof::PasswordAndCode {
            password: &f.password,
        }
    } else {
        Proof::Code {
            except: Some(&device.id),
        }
    };
    if let Err(page) = prove(&state, jar, lang, &me, proof, &f.otp, &form).await? {
        return Ok(page);
    }
    let now = state.clock.now();
    let event = AuditEvent {
        actor: Some(&user.id),
        subject: Some(&user.id),
        ip: Some(&client.ip),
        detail: Some(&device.device_name),
        ..AuditEvent::new(AuditKind::MfaDeviceRemoved)
    };
    let notice = compose::device_removed(
        lang,
        &user.email,
        &user.name,
        &device.device_name,
        &wib(now),
    );
    let change = DeviceChange {
        user_id: &user.id,
        credential_id: &id,
        new_name: None,
        event: &event,
        notice: &notice,
    };
    state.store.change_device(&change, now).await?;
    state.mailer.wake.notify_one();
    if last {
        // With no device left, a pending login would lead to enrolment: none started
        // before (a step-up from a stolen session among them) may finish.
        crate::auth::pending::end_all_for_user(&state, &user.id).await?;
    }
    let what = if last {
        Done::LastDeviceRemoved
    } else {
        Done::DeviceRemoved
    };
    done(&state, &me.sso, what, &[&device.device_name]).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    csrf_token: String,
    current_password: String,
    otp: String,
    password: String,
    password_confirm: String,
}

pub async fn post_password(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    CsrfFirst(me, f): CsrfFirst<SignedIn, PasswordForm>,
) -> Result<Response, AppError> {
    let proof = Proof::PasswordAndCode {
        password: &f.current_password,
    };
    let jar = match prove(&state, jar, lang, &me, proof, &f.otp, "password").await? {
        Ok(jar) => jar,
        Err(page) => return Ok(page),
    };
    let user = &me.user;
    // Everything wrong is told at once, a line each: the broken rules (a breached password
    // among them) and a mismatch. Checked before anything is hashed or stored.
    let judged = state.breach.judge(&f.password, &user.nip, &user.name).await;
    let breach_detail = judged.audit_detail();
    let rules = judged.rules;
    let mismatch = f.password != f.password_confirm;
    let same = rules.is_empty() && !mismatch && f.password == f.current_password;
    if !rules.is_empty() || mismatch || same {
        let error = if same {
            Some(lang.t("rule.current").to_string())
        } else {
            mismatch.then(|| lang.t("reset.mismatch").to_string())
        };
        let shown = Shown {
            error,
            rules,
            mismatch,
            status: StatusCode::BAD_REQUEST,
            ..Default::default()
        };
        return render(&state, jar, lang, &me, shown.on("password")).await;
    }
    let hash = state.hasher.hash(f.password.clone()).await?;
    let now = state.clock.now();
    let event = AuditEvent {
        actor: Some(&user.id),
        subject: Some(&user.id),
        ip: Some(&client.ip),
        // A password the breach corpus could not judge (an outage) says so in the audit.
        detail: breach_detail,
        ..AuditEvent::new(AuditKind::PasswordChanged)
    };
    let notice = compose::password_changed(lang, &user.email, &user.name, &wib(now));
    state
        .store
        .change_password(&user.id, &hash, &event, &notice, now)
        .await?;
    state.mailer.wake.notify_one();
    // Every refresh token and every other session ends; this browser stays signed in. The
    // durable revocation first, so a cache failure half-way cannot leave the tokens alive.
    state.store.revoke_user_refresh(&user.id, now).await?;
    end_other_sessions(&state, &me.sso).await?;
    done(&state, &me.sso, Done::PasswordChanged, &[]).await
}

/// Ends every other session and every half-done login of the person (a step-up started
/// by a stolen session among them), as a new password does, and every refresh grant that
/// did not come from this session, `offline_access` ones included: this is what a person
/// presses after a suspected takeover, and an offline grant obtained by the intruder (even
/// from a session that has ended since) would otherwise keep their access for weeks.
async fn end_other_sessions(state: &AppState, current: &SsoSession) -> Result<(), AppError> {
    // Revoked before and after the sessions end, for the reasons `session::end_all_for_user`
    // gives (a cache failure half-way; a code exchange storing its grant in between).
    let revoke = || {
        state.store.revoke_user_refresh_except_session(
            &current.user_id,
            &current.sid,
            state.clock.now(),
        )
    };
    revoke().await?;
    for s in session::list_for_user(state, &current.user_id).await? {
        if s.sid != current.sid {
            session::end_by_sid(state, &s.sid).await?;
        }
    }
    crate::auth::pending::end_all_for_user(state, &current.user_id).await?;
    revoke().await?;
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OtpForm {
    csrf_token: String,
    otp: String,
    /// `yes`: the person ticked "the old codes stop working".
    confirm: String,
}

crate::csrf_token_field!(
    RenameForm,
    RemoveForm,
    PasswordForm,
    OtpForm,
    EndForm,
    RevokeConsentForm
);

pub async fn post_recovery(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    CsrfFirst(me, f): CsrfFirst<SignedIn, OtpForm>,
) -> Result<Response, AppError> {
    if !confirmed(&f.confirm) {
        let shown = Shown::error(StatusCode::BAD_REQUEST, lang.t("account.confirm_needed"));
        return render(&state, jar, lang, &me, shown.on("recovery")).await;
    }
    let proof = Proof::Totp;
    if let Err(page) = prove(&state, jar, lang, &me, proof, &f.otp, "recovery").await? {
        return Ok(page);
    }
    let user = &me.user;
    let codes = otp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c)).collect();
    let event = AuditEvent {
        actor: Some(&user.id),
        subject: Some(&user.id),
        ip: Some(&client.ip),
        ..AuditEvent::new(AuditKind::RecoveryCodesRegenerated)
    };
    state
        .store
        .replace_recovery_codes(&user.id, &hashes, &event, state.clock.now())
        .await?;
    // Shown by a GET (a reload must not post again and make new ones), to this session
    // only, through this link only: the session cookie alone reads nothing.
    let token = recovery_view::keep(&state, &me.sso.sid, &codes).await?;
    Ok(Redirect::to(&format!("/account/recovery/codes?t={token}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodesQuery {
    /// The token of the link `post_recovery` (or the enrolment page) gave.
    t: String,
}

/// The codes this session made in the last minutes, through the link it was sent to;
/// anyone else goes back to the account.
pub async fn get_recovery_codes(
    State(state): State<AppState>,
    lang: Lang,
    me: SignedIn,
    Query(q): Query<CodesQuery>,
) -> Result<Response, AppError> {
    let Some(codes) = recovery_view::shown(&state, &me.sso.sid, &q.t).await? else {
        return Ok(Redirect::to("/account").into_response());
    };
    let continue_url = "/account";
    Ok(RecoveryPage {
        lang,
        codes,
        continue_url,
        download_url: recovery_view::download_url(&q.t),
    }
    .into_response())
}

/// The same codes as a text file to keep: as reachable as the page, and no more.
pub async fn get_recovery_download(
    State(state): State<AppState>,
    lang: Lang,
    me: SignedIn,
    Query(q): Query<CodesQuery>,
) -> Result<Response, AppError> {
    let Some(codes) = recovery_view::shown(&state, &me.sso.sid, &q.t).await? else {
        return Err(AppError::new(StatusCode::NOT_FOUND, "recovery.gone"));
    };
    let heading = format!(
        "{} · {} · NIP {}",
        lang.t("app.name"),
        lang.t("recovery.title"),
        me.user.nip
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"gerbang-recovery-codes.txt\"",
            ),
        ],
        recovery_view::as_text(&codes, &heading),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmQuery {
    /// `session` (with `sid`), `sessions` (every other one), or `consent` (with `client_id`).
    what: String,
    sid: String,
    client_id: String,
}

/// The confirmation page of ending a session, every other session, or withdrawing a
/// service's permission. Only the person's own sessions and consents are named.
pub async fn get_confirm(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    Query(q): Query<ConfirmQuery>,
    SignedIn { sso, user }: SignedIn,
) -> Result<Response, AppError> {
    let not_found = || AppError::new(StatusCode::NOT_FOUND, "error.not_found");
    let (title, explain, button, what, action, field, value) = match q.what.as_str() {
        "session" => {
            let s = session::list_for_user(&state, &user.id)
                .await?
                .into_iter()
                .find(|s| s.sid == q.sid)
                .ok_or_else(not_found)?;
            let mut what = words::browser(s.user_agent.as_deref(), lang);
            if let Some(ip) = &s.ip {
                what.push_str(" · ");
                what.push_str(ip);
            }
            let explain = if s.sid == sso.sid {
                "account.confirm_end_this"
            } else {
                "account.confirm_end_one"
            };
            let (action, field) = ("/account/sessions/end", "sid");
            (
                "account.end_session",
                explain,
                "account.end_session",
                what,
                action,
                field,
                s.sid,
            )
        }
        "sessions" => (
            "account.end_all",
            "account.confirm_end_all",
            "account.end_all",
            String::new(),
            "/account/sessions/end",
            "sid",
            "*".to_string(),
        ),
        "consent" => {
            let c = state
                .store
                .list_consents(&user.id)
                .await?
                .into_iter()
                .find(|c| c.client_id == q.client_id)
                .ok_or_else(not_found)?;
            (
                "account.revoke_consent",
                "account.confirm_revoke",
                "account.revoke_consent",
                c.client_name,
                "/account/consents/revoke",
                "client_id",
                c.client_id,
            )
        }
        _ => return Err(not_found()),
    };
    let (jar, csrf) = csrf::issue(&state, jar);
    let page = ConfirmPage {
        lang,
        csrf,
        title,
        explain,
        button,
        what,
        action,
        field,
        value,
    };
    Ok((jar, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EndForm {
    csrf_token: String,
    /// A session id of the person's, or `*` for every session but this one.
    sid: String,
    /// `yes`: sent by the confirmation page.
    confirm: String,
}

pub async fn post_end_session(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    CsrfFirst(me, f): CsrfFirst<SignedIn, EndForm>,
) -> Result<Response, AppError> {
    if !confirmed(&f.confirm) {
        let shown = Shown::error(StatusCode::BAD_REQUEST, lang.t("account.confirm_needed"));
        return render(&state, jar, lang, &me, shown.on("sessions")).await;
    }
    let SignedIn { sso, user } = me;
    if f.sid == "*" {
        end_other_sessions(&state, &sso).await?;
        return done(&state, &sso, Done::SessionsEnded, &[]).await;
    }
    // Only one's own sessions can be ended from here.
    let Some(ended) = session::list_for_user(&state, &user.id)
        .await?
        .into_iter()
        .find(|s| s.sid == f.sid)
    else {
        return Err(AppError::new(StatusCode::NOT_FOUND, "error.not_found"));
    };
    session::end_by_sid(&state, &f.sid).await?;
    if f.sid != sso.sid {
        // Ended by its owner from elsewhere: what it obtained ends too, offline included.
        state
            .store
            .revoke_user_session_refresh(&user.id, &f.sid, state.clock.now())
            .await?;
    }
    if f.sid == sso.sid {
        let jar = session::end(&state, jar).await?;
        return Ok((jar, Redirect::to("/login")).into_response());
    }
    let ua = ended.user_agent.unwrap_or_default();
    let ip = ended.ip.unwrap_or_default();
    done(&state, &sso, Done::SessionEnded, &[&ua, &ip]).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeConsentForm {
    csrf_token: String,
    client_id: String,
    /// `yes`: sent by the confirmation page.
    confirm: String,
}

/// Withdraws a consent: the service asks again next time, and its refresh tokens for this
/// person stop working now.
pub async fn post_revoke_consent(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    CsrfFirst(me, f): CsrfFirst<SignedIn, RevokeConsentForm>,
) -> Result<Response, AppError> {
    if !confirmed(&f.confirm) {
        let shown = Shown::error(StatusCode::BAD_REQUEST, lang.t("account.confirm_needed"));
        return render(&state, jar, lang, &me, shown.on("consents")).await;
    }
    let user = &me.user;
    let now = state.clock.now();
    // Named as the page listed it.
    let service = state
        .store
        .list_consents(&user.id)
        .await?
        .into_iter()
        .find(|c| c.client_id == f.client_id)
        .map(|c| c.client_name)
        .unwrap_or_default();
    if !state
        .store
        .revoke_consent(&user.id, &f.client_id, now)
        .await?
    {
        return Err(AppError::new(StatusCode::NOT_FOUND, "error.not_found"));
    }
    let ev = AuditEvent {
        actor: Some(&user.id),
        subject: Some(&user.id),
        client_id: Some(&f.client_id),
        ..AuditEvent::new(AuditKind::ConsentRevoked)
    };
    state.store.audit(&ev, now).await?;
    done(&state, &me.sso, Done::ConsentRevoked, &[&service]).await
}
