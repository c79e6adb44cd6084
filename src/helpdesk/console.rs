//! The console pages: find a person, step up, act, and the audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::staff::*;
use crate::auth::otp::{self, OtpOutcome};
use crate::auth::session;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::user_status::UserStatus;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::helpdesk::Action;
use crate::store::users::User;
use crate::web::csrf;
use crate::web::extract::{ClientMeta, CsrfFirst};
use crate::web::i18n::Lang;
use crate::web::lang_switch::SwitchFrom;
use crate::web::time::wib;
use crate::web::words;

struct Person {
    nip: String,
    name: String,
    /// The agency's name and code ("BKPSDM Kota Bandung (4011)"), or the code alone when
    /// no name is registered for it.
    agency: String,
    /// The status in words (a helpdesk hold first: it is what keeps the account off).
    status_key: &'static str,
    /// Since when the helpdesk's hold keeps the account off.
    held_since: Option<String>,
    /// What lifting the hold will not lift: SIASN still lists the person as no longer active.
    status_note: Option<&'static str>,
    email: String,
    locked_until: String,
    /// Consecutive failures counting toward a lock; `None` while a lock is in force: the
    /// lock consumed the count that started it (`domain::lockout`), and a 0 beside the lock
    /// would read as "nothing happened".
    failures: Option<i64>,
    /// Known-browser counters (browser, consecutive failures, locked until): locks that stop
    /// this person in that browser only, lifted by Unlock with the account's.
    browser_locks: Vec<(String, i64, String)>,
    devices: Vec<DeviceLine>,
    events: Vec<EventLine>,
    /// The actions that apply to this person now, but the e-mail change (its own form):
    /// (form value, i18n key).
    actions: Vec<(&'static str, &'static str)>,
}

struct DeviceLine {
    name: String,
    added: String,
    last_used: String,
}

struct EventLine {
    at: String,
    /// The kind in words, in the page's language.
    what: String,
    detail: String,
    ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "helpdesk.html")]
struct Page {
    lang: Lang,
    csrf: String,
    /// The session has just been ended: only a way to sign in again is offered.
    signed_out: bool,
    /// That way: the sign-in form, returning to the console.
    sign_in_url: String,
    step_up: bool,
    query: String,
    name_query: String,
    /// (nip, name, agency) of a name search, one page.
    results: Vec<(String, String, String)>,
    /// The next page of a name search, its query encoded.
    next_href: Option<String>,
    person: Option<Person>,
    /// Already in the page's language, naming the action and the person.
    notice: Option<String>,
    /// A name search found nobody (in the officer's reach): says so with the query.
    no_match: bool,
    error: Option<String>,
    /// Which form the error is about (`action`, `set_email`, `step_up`, `find`).
    error_for: &'static str,
    /// An admin: the audit trail is linked.
    admin: bool,
}

fn status_key(u: &User) -> &'static str {
    if u.held() {
        return "helpdesk.status.disabled";
    }
    match u.status {
        // Imported from SIASN but never activated: no password has been set yet.
        UserStatus::Active if u.password_hash.is_none() => "helpdesk.status.never_activated",
        UserStatus::Active => "helpdesk.status.active",
        UserStatus::Disabled => "helpdesk.status.disabled",
        UserStatus::Locked => "helpdesk.status.locked",
        UserStatus::SiasnInactive => "helpdesk.status.siasn_inactive",
    }
}

/// Whether Unlock has anything to lift: a lock in force, the helpdesk's lock, or failures
/// counting toward one.
/// Unlock applies to any lock or counted failure that can stop the person: the account's,
/// or a known browser's (a browser lock alone is what a phone with a wrong clock leaves).
fn unlock_applies(u: &User, browser_locks: bool, now: i64) -> bool {
    u.locked_at(now).is_some()
        || u.status == UserStatus::Locked
        || u.failed_logins > 0
        || browser_locks
}

/// The actions that apply to `u` now (by form value), the e-mail change included: no
/// Unlock without a lock, no MFA reset without a device, no Disable of an account the
/// helpdesk disabled, no Enable of an active one. The console offers only these and refuses
/// the rest. (A Disable over SIASN's "no longer active" applies: its hold keeps the account
/// off even if the record is corrected, `store::helpdesk`.)
fn applicable(u: &User, devices: usize, browser_locks: bool, now: i64) -> Vec<&'static str> {
    let mut out = Vec::new();
    if unlock_applies(u, browser_locks, now) {
        out.push("unlock");
    }
    if devices > 0 {
        out.push("reset_mfa");
    }
    out.push("set_email");
    match u.status {
        _ if u.held() => out.push("enable"),
        UserStatus::Disabled => out.push("enable"),
        UserStatus::SiasnInactive => out.extend(["enable", "disable"]),
        UserStatus::Active | UserStatus::Locked => out.push("disable"),
    }
    // Sessions, half-done logins and refresh tokens are not all listed anywhere cheaply;
    // ending none is harmless.
    out.push("end_sessions");
    out
}

/// The notice after an action (`done=` names it), with the person's name in it.
fn done_notice(lang: Lang, action: &str, name: &str) -> Option<String> {
    let key = match action {
        "unlock" => "helpdesk.done.unlock",
        "reset_mfa" => "helpdesk.done.reset_mfa",
        "disable" => "helpdesk.done.disable",
        "enable" => "helpdesk.done.enable",
        "set_email" => "helpdesk.done.set_email",
        "end_sessions" => "helpdesk.done.end_sessions",
        _ => return None,
    };
    Some(lang.t(key).replace("{}", name))
}

async fn person_view(
    state: &AppState,
    lang: Lang,
    staff: &Staff,
    u: &User,
) -> Result<Person, AppError> {
    let now = state.clock.now();
    let devices: Vec<DeviceLine> = state
        .store
        .list_totp(&u.id)
        .await?
        .into_iter()
        .map(|d| DeviceLine {
            name: d.device_name,
            added: wib(d.created_at),
            last_used: d
                .last_used_at
                .map(wib)
                .unwrap_or_else(|| lang.t("account.never").to_string()),
        })
        .collect();
    let events = state
        .store
        .recent_audit(&u.id, 15)
        .await?
        .into_iter()
        .map(|(at, kind, ip, detail)| EventLine {
            at: wib(at),
            detail: words::audit_detail(&kind, detail.as_deref().unwrap_or_default(), lang),
            what: words::audit_text(&kind, lang),
            ip: ip.unwrap_or_default(),
        })
        .collect();
    let agency = match &u.instansi_id {
        Some(id) => match state.store.instansi_name(id).await? {
            // The import names an agency it does not know by its code: say the code once.
            Some(name) if name != *id => format!("{name} ({id})"),
            _ => id.clone(),
        },
        None => "-".into(),
    };
    let browser_locks: Vec<(String, i64, String)> = crate::auth::guard::browser_locks(state, &u.id)
        .await?
        .into_iter()
        .map(|b| {
            let until = b.locked_until.map(wib).unwrap_or_else(|| "-".into());
            (b.browser, b.failures, until)
        })
        .collect();
    let actions = applicable(u, devices.len(), !browser_locks.is_empty(), now)
        .into_iter()
        .filter(|a| *a != "set_email")
        // Offered only to whom it is allowed: an Enable over SIASN is for admins.
        .filter(|a| !(*a == "enable" && enable_refused(staff, u, Action::Enable)))
        .filter_map(|a| Some((a, words::helpdesk_action_key(a)?)))
        .collect();
    Ok(Person {
        nip: u.nip.clone(),
        name: u.name.clone(),
        agency,
        actions,
        status_key: status_key(u),
        held_since: u.helpdesk_hold_at.map(wib),
        // What the Enable leaves (`store::helpdesk`): SIASN's disable, or a pre-hold
        // `disabled` going back to what SIASN last said.
        status_note: (u.held()
            && (u.status == UserStatus::SiasnInactive
                || (u.status == UserStatus::Disabled && u.siasn_says_left())))
        .then_some("helpdesk.hold_siasn"),
        email: mask_email(&u.email),
        locked_until: u
            .locked_until
            .filter(|t| *t > state.clock.now())
            .map(wib)
            .unwrap_or_else(|| "-".into()),
        failures: u.locked_at(now).is_none().then_some(u.failed_logins),
        browser_locks,
        devices,
        events,
    })
}

#[derive(Default)]
struct View {
    signed_out: bool,
    step_up: bool,
    query: String,
    name_query: String,
    results: Vec<(String, String, String)>,
    next_page: Option<i64>,
    person: Option<Person>,
    notice: Option<String>,
    no_match: bool,
    error: Option<&'static str>,
    /// A message already in the page's language (with a time in it), shown over `error`.
    message: Option<String>,
    error_for: &'static str,
    admin: bool,
    status: StatusCode,
}

fn render(state: &AppState, jar: CookieJar, lang: Lang, v: View) -> Response {
    let (jar, csrf) = csrf::issue(state, jar);
    // After a form (an action, the step-up), the switch shows the console with the same
    // person; `digits` keeps the address to a NIP's digits.
    let nip = v
        .person
        .as_ref()
        .map_or(v.query.as_str(), |p| p.nip.as_str());
    let again = SwitchFrom::new("/helpdesk", &[("nip", &digits(nip))]);
    let page = Page {
        lang,
        csrf,
        signed_out: v.signed_out,
        sign_in_url: super::staff::sign_in_url(),
        step_up: v.step_up,
        query: v.query,
        name_query: v.name_query.clone(),
        results: v.results,
        // The name is the officer's own text: encoded, so `&`, `#` or `+` in it keep the search.
        next_href: v.next_page.map(|n| {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("name", &v.name_query)
                .append_pair("page", &n.to_string())
                .finish();
            format!("/helpdesk?{q}")
        }),
        person: v.person,
        notice: v.notice,
        no_match: v.no_match,
        error: v.message.or_else(|| v.error.map(|k| lang.t(k).to_string())),
        error_for: v.error_for,
        admin: v.admin,
    };
    (v.status, jar, again, page).into_response()
}

/// What a staff member is about to do with the person they look up.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FindQuery {
    nip: String,
    done: String,
    name: String,
    page: i64,
}

const PAGE_SIZE: i64 = 20;

/// A NIP as typed or carried: its digits, at most 18 (safe in a URL as it is).
fn digits(nip: &str) -> String {
    nip.trim()
        .chars()
        .filter(char::is_ascii_digit)
        .take(18)
        .collect()
}

pub async fn get_helpdesk(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    Query(q): Query<FindQuery>,
    staff: Staff,
) -> Result<Response, AppError> {
    let nip = digits(&q.nip);
    let mut v = View {
        query: nip.clone(),
        status: StatusCode::OK,
        ..View::default()
    };
    if !staff.fresh(state.clock.now()) {
        // The NIP asked for rides through the step-up form and is shown after it.
        v.step_up = true;
        v.error = Some("helpdesk.step_up");
        v.error_for = "step_up";
        return Ok(render(&state, jar, lang, v));
    }
    v.admin = staff.scope.is_none();
    let name_query: String = q.name.trim().chars().take(100).collect();
    if nip.is_empty() && name_query.chars().count() >= 3 {
        // Bounded: offsets past any real result list are nonsense, and page * 20 must not overflow.
        let page = q.page.clamp(0, 100_000);
        let mut found = state
            .store
            .search_users_by_name(
                &staff.user.id,
                staff.scope.is_none(),
                &name_query,
                PAGE_SIZE + 1,
                page * PAGE_SIZE,
            )
            .await?;
        if found.len() as i64 > PAGE_SIZE {
            found.truncate(PAGE_SIZE as usize);
            v.next_page = Some(page + 1);
        }
        v.results = found
            .into_iter()
            .map(|(n, name, i)| (n, name, i.unwrap_or_default()))
            .collect();
        // Nobody in reach: the same words whether the name exists elsewhere or nowhere.
        v.no_match = v.results.is_empty();
        v.name_query = name_query;
    }
    if !nip.is_empty() && nip.len() != 18 {
        // A digit too few is a typo, not a person missing from the agency: say so, the
        // way the login form does (a shape says nothing about who exists).
        v.error = Some("login.nip_format");
        v.error_for = "find";
        v.status = StatusCode::BAD_REQUEST;
    } else if !nip.is_empty() {
        match find_in_scope(&state, &staff, &nip, &client.ip, Purpose::View).await? {
            Lookup::Person(u) => {
                // Only beside a person in reach (the notice names no one else), and only
                // after this staff member's own action on them: `done=` alone, in a link
                // anyone can send an officer, claims nothing was done.
                let done = state
                    .cache
                    .get::<DoneAction>((staff.user.id.as_str(), u.nip.as_str()))
                    .await?
                    .filter(|a| *a == q.done);
                v.notice = done.and_then(|a| done_notice(lang, &a, &u.name));
                v.person = Some(person_view(&state, lang, &staff, &u).await?);
            }
            Lookup::NotFound | Lookup::Own => {
                v.error = Some("helpdesk.not_found");
                v.error_for = "find";
                v.status = StatusCode::NOT_FOUND;
            }
        }
    }
    Ok(render(&state, jar, lang, v))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepUpForm {
    csrf_token: String,
    otp: String,
    /// The NIP the staff member was looking for, to show after the step-up.
    nip: String,
}
crate::csrf_token_field!(StepUpForm, ActionForm);

pub async fn post_step_up(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    CsrfFirst(staff, f): CsrfFirst<Staff, StepUpForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let refused = |why: &'static str| AuditEvent {
        actor: Some(&staff.user.id),
        subject: Some(&staff.user.id),
        ip: Some(&client.ip),
        detail: Some(why),
        ..AuditEvent::new(AuditKind::HelpdeskRefused)
    };
    // Counted before the code is looked at, atomically on every replica: concurrent guesses
    // past the limit are refused unchecked, so at most STEP_UP_TRIES codes are ever compared
    // per window. The right code is refused too while over the limit.
    let tries = state
        .cache
        .count::<StepUpTries>(&staff.user.id, STEP_UP_WINDOW_SECS)
        .await?;
    if tries > STEP_UP_TRIES {
        state
            .store
            .audit(&refused("step-up: too many wrong codes"), now)
            .await?;
        // Whoever is guessing holds this session (a stolen cookie, say): it ends here, and
        // signing in again needs the password and a code, which the login counts.
        let jar = session::end(&state, jar).await?;
        let message = lang
            .t("helpdesk.step_up_locked")
            .replace("{}", &wib(now + STEP_UP_WINDOW_SECS));
        let v = View {
            signed_out: true,
            message: Some(message),
            status: StatusCode::TOO_MANY_REQUESTS,
            ..View::default()
        };
        return Ok(render(&state, jar, lang, v));
    }
    // A recovery code is for a lost phone, not for opening the console.
    if otp::normalize_recovery(&f.otp).is_none()
        && otp::check(&state, &staff.user, &f.otp).await? == OtpOutcome::Totp
    {
        state.cache.del::<StepUpTries>(&staff.user.id).await?;
        session::confirm_now(&state, &jar).await?;
        let nip = digits(&f.nip);
        let to = if nip.is_empty() {
            "/helpdesk".to_string()
        } else {
            format!("/helpdesk?nip={nip}")
        };
        return Ok(Redirect::to(&to).into_response());
    }
    state
        .store
        .audit(&refused("step-up: wrong code"), now)
        .await?;
    let v = View {
        step_up: true,
        query: digits(&f.nip),
        error: Some("account.bad_otp"),
        error_for: "step_up",
        status: StatusCode::UNAUTHORIZED,
        ..View::default()
    };
    Ok(render(&state, jar, lang, v))
}

/// Step-up codes one staff member may try per window (the window restarts with each try).
const STEP_UP_TRIES: i64 = 5;
const STEP_UP_WINDOW_SECS: i64 = 15 * 60;

/// The action a staff member just did on a person (under the staff member's id and the
/// person's NIP), for the notice the page after it shows: a reload or a language switch
/// says the same for a few minutes, a crafted `done=` says nothing.
struct DoneAction;

impl crate::cache::Kind for DoneAction {
    const NS: &'static str = "helpdesk_done";
    type Key<'k> = (&'k str, &'k str);
}
impl crate::cache::Entry for DoneAction {
    type Value = crate::cache::Text;
}

const DONE_TTL_SECS: i64 = 10 * 60;

/// Step-up codes a staff member tried, under their user id, for `STEP_UP_WINDOW_SECS`.
struct StepUpTries;

impl crate::cache::Kind for StepUpTries {
    const NS: &'static str = "helpdesk_step_up";
    type Key<'k> = &'k str;
}
impl crate::cache::Counter for StepUpTries {}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    csrf_token: String,
    nip: String,
    action: String,
    reason: String,
    confirm: String,
    new_email: String,
}

pub async fn post_action(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    CsrfFirst(staff, f): CsrfFirst<Staff, ActionForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    if !staff.fresh(now) {
        return Ok(Redirect::to("/helpdesk").into_response());
    }
    let ip = &client.ip;
    let nip: String = f.nip.trim().chars().take(18).collect();
    // Refused: the console again, at the NIP asked for, saying why.
    // The e-mail change has its own form; its errors point at that form's fields.
    let form = if f.action == "set_email" {
        "set_email"
    } else {
        "action"
    };
    let again = |error: &'static str, status: StatusCode| View {
        query: nip.clone(),
        error: Some(error),
        error_for: form,
        status,
        ..View::default()
    };
    let person = match find_in_scope(&state, &staff, &nip, ip, Purpose::Act).await? {
        Lookup::Person(u) => u,
        Lookup::NotFound => {
            let v = again("helpdesk.not_found", StatusCode::NOT_FOUND);
            return Ok(render(&state, jar, lang, v));
        }
        Lookup::Own => {
            let v = again("helpdesk.self", StatusCode::FORBIDDEN);
            return Ok(render(&state, jar, lang, v));
        }
    };
    let reason = f.reason.trim();
    let refused = |why: &'static str| AuditEvent {
        actor: Some(&staff.user.id),
        subject: Some(&person.id),
        ip: Some(ip),
        detail: Some(why),
        ..AuditEvent::new(AuditKind::HelpdeskRefused)
    };
    if !reason_ok(reason) || f.confirm != "yes" {
        state
            .store
            .audit(&refused("no reason or confirmation"), now)
            .await?;
        let v = View {
            person: Some(person_view(&state, lang, &staff, &person).await?),
            ..again("helpdesk.bad_reason", StatusCode::BAD_REQUEST)
        };
        return Ok(render(&state, jar, lang, v));
    }
    let new_email = f.new_email.trim().to_string();
    let action = match parse_action(&f.action, &new_email) {
        Some(a) => a,
        None => {
            state
                .store
                .audit(&refused("bad action or e-mail"), now)
                .await?;
            let v = View {
                person: Some(person_view(&state, lang, &staff, &person).await?),
                ..again("helpdesk.bad_email", StatusCode::BAD_REQUEST)
            };
            return Ok(render(&state, jar, lang, v));
        }
    };
    if enable_refused(&staff, &person, action) {
        state
            .store
            .audit(&refused("enable over a SIASN disable"), now)
            .await?;
        let v = View {
            person: Some(person_view(&state, lang, &staff, &person).await?),
            ..again("helpdesk.siasn_inactive", StatusCode::FORBIDDEN)
        };
        return Ok(render(&state, jar, lang, v));
    }
    // Only what the page offered: no Unlock for an unlocked account, no MFA reset without
    // a device… A stale page (someone else acted meanwhile) is told so, nothing changes.
    let devices = state.store.list_totp(&person.id).await?.len();
    let browser_locked = !crate::auth::guard::browser_locks(&state, &person.id)
        .await?
        .is_empty();
    if !applicable(&person, devices, browser_locked, now).contains(&action.name()) {
        state
            .store
            .audit(&refused("action does not apply"), now)
            .await?;
        let v = View {
            person: Some(person_view(&state, lang, &staff, &person).await?),
            ..again("helpdesk.not_applicable", StatusCode::CONFLICT)
        };
        return Ok(render(&state, jar, lang, v));
    }
    let ua = client.user_agent.as_deref();
    perform(&state, &staff, &person, action, reason, ip, ua).await?;
    let done = action.name().to_string();
    state
        .cache
        .put::<DoneAction>(
            (staff.user.id.as_str(), person.nip.as_str()),
            &done,
            DONE_TTL_SECS,
        )
        .await?;
    let to = format!("/helpdesk?nip={}&done={}", person.nip, action.name());
    Ok(Redirect::to(&to).into_response())
}

/// A reason for a staff action, from the console or the API: 5-500 characters that show
/// what they are (line breaks allowed).
#[derive(Template, WebTemplate)]
#[template(path = "helpdesk_audit.html")]
struct AuditPage {
    lang: Lang,
    actor: String,
    subject: String,
    kind: String,
    from: String,
    to: String,
    rows: Vec<(String, String, String, String, String, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    actor: String,
    subject: String,
    kind: String,
    from: String,
    to: String,
    format: String,
}

/// Midnight WIB of a `YYYY-MM-DD` date, as unix seconds.
fn wib_day(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).ok()?;
    Some(
        d.midnight()
            .assume_offset(time::UtcOffset::from_hms(7, 0, 0).ok()?)
            .unix_timestamp(),
    )
}

/// A cell a spreadsheet will not run: text that starts like a formula (`=`, `+`, `-`, `@`,
/// tab or carriage return; device names and reasons are typed by people) gets a leading `'`
/// (OWASP "CSV injection"), so `=HYPERLINK(…)` is shown as text, never evaluated.
fn csv_cell(v: &str) -> std::borrow::Cow<'_, str> {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

/// Admins only: the audit trail, filtered, as a page or a CSV download.
pub async fn get_audit(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<AuditQuery>,
    staff: Staff,
) -> Result<Response, AppError> {
    if staff.scope.is_some() {
        return Err(AppError::new(StatusCode::FORBIDDEN, "audit.admins_only"));
    }
    if !staff.fresh(state.clock.now()) {
        return Ok(Redirect::to("/helpdesk").into_response());
    }
    let opt = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
    let (actor, subject, kind) = (opt(&q.actor), opt(&q.subject), opt(&q.kind));
    let filter = crate::store::audit::AuditFilter {
        actor_nip: actor.as_deref(),
        subject_nip: subject.as_deref(),
        kind: kind.as_deref(),
        from: wib_day(&q.from).unwrap_or(0),
        // `to` is inclusive: up to the end of that day.
        to: wib_day(&q.to).map(|t| t + 86_400).unwrap_or(i64::MAX / 2),
    };
    let rows = state.store.search_audit(&filter, 5_000).await?;
    // The file keeps the stored words (what filters and SOC rules read); the page says them.
    let csv = q.format == "csv";
    let cells: Vec<(String, String, String, String, String, String)> = rows
        .into_iter()
        .map(|r| {
            (
                wib(r.at),
                if csv {
                    r.kind.to_string()
                } else {
                    words::audit_text(&r.kind, lang)
                },
                r.actor_nip.unwrap_or_default(),
                r.subject_nip.unwrap_or_default(),
                r.ip.unwrap_or_default(),
                if csv {
                    r.detail.unwrap_or_default()
                } else {
                    words::audit_detail(&r.kind, r.detail.as_deref().unwrap_or_default(), lang)
                },
            )
        })
        .collect();
    if csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = ["at", "kind", "actor_nip", "subject_nip", "ip", "detail"];
        let mut ok = w.write_record(header).is_ok();
        for c in &cells {
            let row = [&c.0, &c.1, &c.2, &c.3, &c.4, &c.5].map(|v| csv_cell(v));
            ok &= w.write_record(row.iter().map(|v| v.as_ref())).is_ok();
        }
        let body = w.into_inner().map_err(|_| AppError::internal())?;
        if !ok {
            return Err(AppError::internal());
        }
        return Ok((
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"gerbang-audit.csv\"",
                ),
            ],
            body,
        )
            .into_response());
    }
    let page = AuditPage {
        lang,
        actor: q.actor,
        subject: q.subject,
        kind: q.kind,
        from: q.from,
        to: q.to,
        rows: cells,
    };
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(csv_cell(bad), format!("'{bad}"));
        }
        for good in [
            "helpdesk_action",
            "199001012015011001",
            "reset_mfa: HP hilang",
            "",
        ] {
            assert_eq!(csv_cell(good), good);
        }
    }
}
