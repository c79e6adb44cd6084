//! Mandatory second factor: `/mfa/enrol` (QR code, code, device name), the recovery codes
//! shown once after the first device, and `/mfa/continue` back to the waiting service.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::otp;
use crate::auth::recovery_view;
use crate::auth::signed_in::SignedIn;
use crate::auth::signin::{self, Factor};
use crate::auth::{pending, session};
use crate::cache;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::totp::{self, Verdict};
use crate::error::AppError;
use crate::mail::compose;
use crate::oidc::{authorize, carry};
use crate::secrets::sha256_hex;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::mfa::NewDevice;
use crate::store::users::User;
use crate::web::csrf;
use crate::web::extract::{ClientMeta, CsrfForm};
use crate::web::i18n::Lang;
use crate::web::lang_switch::SwitchFrom;
use crate::web::notice::{self, Done};
use crate::web::time::{wib, wib_seconds};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mfa/enrol", get(get_enrol).post(post_enrol))
        .route("/mfa/recovery", get(get_recovery))
        .route("/mfa/continue", get(get_continue))
}

#[derive(Template, WebTemplate)]
#[template(path = "mfa_enrol.html")]
struct EnrolPage {
    lang: Lang,
    csrf: String,
    qr: String,
    secret: String,
    /// The same, in groups of four: easier to read off a screen and type into a phone.
    secret_grouped: String,
    device_name: String,
    error: Option<String>,
    server_time: String,
    /// What a signed-in person must prove first: "code" (a current code from a device they
    /// have, or a recovery code), "password" (no device left), or "" (first enrolment).
    proof: &'static str,
    /// The `otpauth://` address: on the phone that shows this page, a tap opens the
    /// authenticator app with the account filled in (no QR code to scan off its own screen).
    otpauth: String,
    /// A signed-in person adding another device from `/account` (its own heading, a cancel).
    adding: bool,
    /// Which field the error is about (`otp`, `device_name`, `proof`): it points at it.
    error_for: &'static str,
    /// The service a first sign-in's enrolment continues to, named as the login form
    /// names it (`None`: no live request, or a signed-in person adding a device).
    client_name: Option<String>,
    /// A first sign-in's way out for someone without their phone at hand: back to the
    /// sign-in form, keeping the service (empty when adding a device from `/account`).
    later: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "recovery_codes.html")]
struct RecoveryPage {
    lang: Lang,
    codes: Vec<String>,
    continue_url: &'static str,
    /// The codes' text file, behind this page's own token.
    download_url: String,
}

/// Whose enrolment this is: a login waiting for its first device, or a signed-in person
/// adding another one.
enum Enrollee {
    Login {
        pending_id: String,
        user: User,
        req: String,
    },
    Account {
        sso: session::SsoSession,
        user: User,
    },
}

impl Enrollee {
    fn user(&self) -> &User {
        match self {
            Enrollee::Login { user, .. } | Enrollee::Account { user, .. } => user,
        }
    }
    /// Keys the pending secret: fixed for this enrolment, not regenerated on a wrong code.
    fn secret_key(&self) -> Enrolment<'_> {
        match self {
            Enrollee::Login { pending_id, .. } => Enrolment::Login(pending_id),
            Enrollee::Account { sso, .. } => Enrolment::Account(&sso.sid),
        }
    }
}

/// Names an enrolment's secret: the pending login's id, or `sid:` and the session's sid.
#[derive(Clone, Copy)]
enum Enrolment<'a> {
    Login(&'a str),
    Account(&'a str),
}

impl cache::KeyPart for Enrolment<'_> {
    fn write_to(&self, out: &mut String) {
        match self {
            Enrolment::Login(pending_id) => out.push_str(pending_id),
            Enrolment::Account(sid) => {
                out.push_str("sid:");
                out.push_str(sid);
            }
        }
    }
}

/// The secret (base32) of an enrolment under way, for `ENROL_TTL`.
struct EnrolSecret;

impl cache::Kind for EnrolSecret {
    const NS: &'static str = "enrol";
    type Key<'k> = Enrolment<'k>;
}
impl cache::Entry for EnrolSecret {
    type Value = cache::Text;
}

/// The authorization request to continue after the recovery codes were shown, under the
/// new session's sid, for `ENROL_TTL`.
struct ContinueEntry;

impl cache::Kind for ContinueEntry {
    const NS: &'static str = "continue";
    type Key<'k> = &'k str;
}
impl cache::Entry for ContinueEntry {
    type Value = cache::Text;
}

/// Who may enrol, checked on every request: a signed-in person (who must still prove a
/// factor they hold, see `post_enrol`), or a login whose password was right for an account
/// that has no second factor at all. A password alone never adds a device next to one, and a
/// step-up's pending login (started by a session, no password typed) never adds any.
async fn enrollee(state: &AppState, jar: &CookieJar) -> Result<Option<Enrollee>, AppError> {
    if let Some(SignedIn { sso, user }) = SignedIn::load(state, jar).await? {
        return Ok(Some(Enrollee::Account { sso, user }));
    }
    if let Some((id, p)) = pending::load(state, jar).await?
        && p.proves_password()
        && let Some(uid) = &p.user_id
        && let Some(user) = state.store.find_user(uid).await?
        && p.valid_for(&user)
        && !state.store.has_second_factor(&user.id).await?
    {
        return Ok(Some(Enrollee::Login {
            pending_id: id,
            user,
            req: p.req,
        }));
    }
    Ok(None)
}

const ENROL_TTL: i64 = 30 * 60;

fn group4(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The enrolment's secret (base32), created on first sight and then kept.
async fn pending_secret(state: &AppState, who: &Enrollee) -> Result<String, AppError> {
    let key = who.secret_key();
    if let Some(s) = state.cache.get::<EnrolSecret>(key).await? {
        return Ok(s);
    }
    let secret = totp_rs::Secret::generate().to_base32();
    state
        .cache
        .put::<EnrolSecret>(key, &secret, ENROL_TTL)
        .await?;
    Ok(secret)
}

/// What `who` must prove before a device is added (see `EnrolPage::proof`).
async fn proof_needed(state: &AppState, who: &Enrollee) -> Result<&'static str, AppError> {
    Ok(match who {
        Enrollee::Login { .. } => "",
        Enrollee::Account { user, .. } => {
            if state.store.has_second_factor(&user.id).await? {
                "code"
            } else {
                "password"
            }
        }
    })
}

/// What the enrolment page shows again after a refused try.
#[derive(Default)]
struct Shown {
    device_name: String,
    error: Option<String>,
    error_for: &'static str,
    status: StatusCode,
}

async fn render(
    state: &AppState,
    jar: CookieJar,
    lang: Lang,
    who: &Enrollee,
    shown: Shown,
) -> Result<Response, AppError> {
    let secret = pending_secret(state, who).await?;
    let bytes = totp_rs::Secret::try_from_base32(&secret).map_err(|_| AppError::internal())?;
    let totp = totp_rs::Builder::new()
        .with_secret(bytes.to_vec())
        .with_issuer(Some(state.settings.totp_issuer.replace(':', " ")))
        .with_account_name(who.user().nip.clone())
        .build()
        .map_err(|e| {
            tracing::error!(error = %e, "cannot build the TOTP enrolment");
            AppError::internal()
        })?;
    let qr = totp.to_qr_base64().map_err(|_| AppError::internal())?;
    let otpauth = totp.to_url().map_err(|_| AppError::internal())?;
    let (client_name, later) = match who {
        Enrollee::Login { req, .. } => (
            carry::live(state, req).await?.map(|r| r.client_name),
            carry::Links::new(req).url("/login"),
        ),
        Enrollee::Account { .. } => (None, String::new()),
    };
    let (jar, csrf) = csrf::issue(state, jar);
    let page = EnrolPage {
        lang,
        csrf,
        qr,
        secret_grouped: group4(&secret),
        secret,
        device_name: shown.device_name,
        error: shown.error,
        server_time: wib_seconds(state.clock.now()),
        proof: proof_needed(state, who).await?,
        otpauth,
        adding: matches!(who, Enrollee::Account { .. }),
        error_for: shown.error_for,
        client_name,
        later,
    };
    Ok((shown.status, jar, page).into_response())
}

pub async fn get_enrol(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let Some(who) = enrollee(&state, &jar).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    render(&state, jar, lang, &who, Shown::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EnrolForm {
    csrf_token: String,
    otp: String,
    device_name: String,
    /// From a signed-in person: a current code of a device they have (or a recovery code).
    current_otp: String,
    /// From a signed-in person with no device left: their password.
    current_password: String,
}
crate::csrf_token_field!(EnrolForm);

pub async fn post_enrol(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
    client: ClientMeta,
    CsrfForm(form): CsrfForm<EnrolForm>,
) -> Result<Response, AppError> {
    let Some(who) = enrollee(&state, &jar).await? else {
        return Err(AppError::bad_request("error.login_expired"));
    };
    let name = form.device_name.trim().to_string();
    // Refused: the page again, with the name typed and why.
    let again = |name: &str, error: String, field: &'static str, status: StatusCode| Shown {
        device_name: name.to_string(),
        error: Some(error),
        error_for: field,
        status,
    };
    let fail = |name: &str, key: &'static str, field: &'static str, status: StatusCode| {
        again(name, lang.t(key).to_string(), field, status)
    };
    if !crate::domain::text::is_plain_text(&name, 64) {
        return render(
            &state,
            jar,
            lang,
            &who,
            fail(
                &name,
                "enrol.bad_name",
                "device_name",
                StatusCode::BAD_REQUEST,
            ),
        )
        .await;
    }
    let secret = pending_secret(&state, &who).await?;
    let bytes = totp_rs::Secret::try_from_base32(&secret).map_err(|_| AppError::internal())?;
    let now = state.clock.now();
    let step = match totp::verify(&bytes, &form.otp, now.max(0) as u64, |_| false) {
        Verdict::Valid { step } => step,
        Verdict::Skewed { minutes, .. } => {
            let msg = otp::skew_message(lang, minutes);
            return render(
                &state,
                jar,
                lang,
                &who,
                again(&name, msg, "otp", StatusCode::BAD_REQUEST),
            )
            .await;
        }
        _ => {
            // Adding a device asks for two codes: this one is the new device's.
            let key = match who {
                Enrollee::Account { .. } => "enrol.bad_new_code",
                Enrollee::Login { .. } => "enrol.bad_code",
            };
            return render(
                &state,
                jar,
                lang,
                &who,
                fail(&name, key, "otp", StatusCode::BAD_REQUEST),
            )
            .await;
        }
    };
    if let Enrollee::Account { sso, user } = &who {
        // A session alone never adds a factor: the person proves one they hold, counted
        // per session before it is compared (a stolen cookie gets a few tries, then ends).
        if !session::reserve_guess(&state, sso).await? {
            let jar = session::end(&state, jar).await?;
            return Ok((jar, Redirect::to("/login")).into_response());
        }
        let (proven, key) = match proof_needed(&state, &who).await? {
            "code" => (
                matches!(
                    otp::check(&state, user, &form.current_otp).await?,
                    otp::OtpOutcome::Totp | otp::OtpOutcome::Recovery
                ),
                // The other of the two codes: one from a device the person already has.
                "enrol.bad_current_code",
            ),
            _ => (
                state
                    .hasher
                    .verify(form.current_password.clone(), user.password_hash.clone())
                    .await,
                "account.bad_password",
            ),
        };
        if !proven {
            return render(
                &state,
                jar,
                lang,
                &who,
                fail(&name, key, "proof", StatusCode::UNAUTHORIZED),
            )
            .await;
        }
        session::guess_proven(&state, sso).await?;
    }
    let user = who.user();
    let first = state.store.list_totp(&user.id).await?.is_empty();
    let codes = if first {
        otp::new_recovery_codes()
    } else {
        Vec::new()
    };
    let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c)).collect();
    let ClientMeta { ip, user_agent: ua } = client;
    let event = AuditEvent {
        actor: Some(&user.id),
        subject: Some(&user.id),
        ip: Some(&ip),
        user_agent: ua.as_deref(),
        detail: Some(&name),
        ..AuditEvent::new(AuditKind::MfaDeviceAdded)
    };
    let notice = compose::device_added(lang, &user.email, &user.name, &name, &wib(now));
    let sealed = state.keys().seal(bytes.as_ref(), &user.id);
    let device = NewDevice {
        user_id: &user.id,
        device_name: &name,
        secret_enc: &sealed,
        recovery_hashes: &hashes,
        event: &event,
        notice: Some(&notice),
        first_only: matches!(who, Enrollee::Login { .. }),
    };
    let id = match state.store.add_totp(&device, now).await {
        Ok(id) => id,
        // Another device appeared since this enrolment began: a password alone adds none.
        Err(StoreError::Conflict) => {
            let jar = pending::finish(&state, jar).await?;
            return Ok((jar, Redirect::to("/login")).into_response());
        }
        Err(StoreError::Duplicate) => {
            return render(
                &state,
                jar,
                lang,
                &who,
                fail(
                    &name,
                    "enrol.dup_name",
                    "device_name",
                    StatusCode::BAD_REQUEST,
                ),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    // The confirming code spent its step: it cannot sign anyone in a second time.
    state.store.use_totp_step(&id, step as i64, now).await?;
    state.cache.del::<EnrolSecret>(who.secret_key()).await?;
    state.mailer.wake.notify_one();

    match who {
        Enrollee::Account { sso, .. } => {
            notice::keep(&state, &sso.sid, Done::DeviceAdded, &[&name]).await?;
            Ok((jar, Redirect::to(&Done::DeviceAdded.url())).into_response())
        }
        Enrollee::Login { user, req, .. } => {
            // Enrolment proved the second factor: the original request continues.
            let factor = Factor::Totp;
            let (jar, sso) =
                signin::complete(&state, jar, &user, factor, &ip, ua.as_deref()).await?;
            if codes.is_empty() {
                return authorize::resume(&state, jar, &sso, &req).await;
            }
            state
                .cache
                .put::<ContinueEntry>(&sso.sid, &req, ENROL_TTL)
                .await?;
            // For the download link beside them (this new session only, a few minutes).
            let token = recovery_view::keep(&state, &sso.sid, &codes).await?;
            // The language switch shows these codes again through their own link (the
            // token, never the codes, in its address), still continuing to the service.
            let again = SwitchFrom::new(RECOVERY_PATH, &[("t", &token)]);
            Ok((jar, again, recovery_page(lang, codes, &token)).into_response())
        }
    }
}

/// Where the first device's recovery codes are shown again (the language switch).
const RECOVERY_PATH: &str = "/mfa/recovery";

fn recovery_page(lang: Lang, codes: Vec<String>, token: &str) -> RecoveryPage {
    RecoveryPage {
        lang,
        codes,
        continue_url: "/mfa/continue",
        download_url: recovery_view::download_url(token),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecoveryQuery {
    /// The token of the link the enrolment's answer gave (`recovery_view::keep`).
    t: String,
}

/// The first device's recovery codes again, for the session that made them and through
/// the link it was given only (as `/account/recovery/codes`), with "continue" still
/// leading to the waiting service. Without them (expired, or no link): on to the service.
pub async fn get_recovery(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn { sso, .. }: SignedIn,
    Query(q): Query<RecoveryQuery>,
) -> Result<Response, AppError> {
    let Some(codes) = recovery_view::shown(&state, &sso.sid, &q.t).await? else {
        return Ok(Redirect::to("/mfa/continue").into_response());
    };
    Ok(recovery_page(lang, codes, &q.t).into_response())
}

/// After the recovery codes were shown: on to the service that asked, or home. Only for a
/// session that still holds (`SignedIn`: an account disabled, or sessions ended by a
/// password change or "end everything", since the codes were shown get no code here).
pub async fn get_continue(
    State(state): State<AppState>,
    SignedIn { sso, .. }: SignedIn,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let req = state
        .cache
        .take::<ContinueEntry>(&sso.sid)
        .await?
        .unwrap_or_default();
    authorize::resume(&state, jar, &sso, &req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_keys_keep_their_names() {
        // What a running Redis holds: these strings must not change.
        let k = cache::key::<EnrolSecret>;
        assert_eq!(k(Enrolment::Login("p1")), "enrol:p1");
        assert_eq!(k(Enrolment::Account("s1")), "enrol:sid:s1");
        assert_eq!(cache::key::<ContinueEntry>("s1"), "continue:s1");
    }
}
