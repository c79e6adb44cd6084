//! The locked page: which lock (the account's, only this browser's, or the helpdesk's),
//! when it ends in WIB, what a password reset does about it (nothing), whom to ask (the
//! deployment's `helpdesk_contact`), and the way back to the service the sign-in was for.
//!
//! It answers a POST (the attempt that met or filled the lock), so its language switch
//! names `/login/locked?s=…`: what the page shows, sealed under the secret-box key, so the
//! address can be neither forged (a "you are locked, call this number" page of someone
//! else's making) nor read. The page is the same for a NIP without an account (which locks
//! alike): it never names the person's agency, which would tell that the NIP exists.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::auth::guard::LockScope;
use crate::auth::otp::{self, OtpOutcome};
use crate::error::AppError;
use crate::oidc::carry::{Links, Place};
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::web::lang_switch::SwitchFrom;
use crate::web::time::wib_clock;

/// The page's own address (for the language switch).
pub const PATH: &str = "/login/locked";
/// What the seal is bound to: a locked page's contents, nothing else sealed by Gerbang.
const CONTEXT: &str = "locked-page:v1";
/// How long a switch link to a helpdesk lock (which has no end time) stays readable.
const NO_END_TTL: i64 = 24 * 3600;

#[derive(Template, WebTemplate)]
#[template(path = "locked.html")]
struct LockedPage {
    lang: Lang,
    /// When the lock ends, in WIB ("pukul 14.30 WIB, 07-12-2026"); none: the helpdesk's lock.
    until: Option<String>,
    /// Only this browser's own counter is locked (the account is not): other devices work.
    this_browser: bool,
    /// What the code that filled the count was wrong about (the phone's clock).
    note: Option<String>,
    /// The sign-in form again, for the request the person came with (the way back).
    back_url: String,
    /// "Forgot password", keeping that request.
    reset_url: String,
    /// The service that request is for.
    client_name: Option<String>,
    contact_text: String,
    contact_url: Option<String>,
    contact_phone: Option<String>,
    /// The number as configured, shown beside its `tel:` link.
    contact_phone_shown: String,
    contact_whatsapp: Option<String>,
    contact_whatsapp_shown: String,
}

/// The mistimed code that filled the count, for the page's note about the phone's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Note {
    Replayed,
    Skewed(i64),
}

impl Note {
    /// The note for a code that filled the count, when it was mistimed (not merely wrong).
    pub fn of(outcome: OtpOutcome) -> Option<Note> {
        match outcome {
            OtpOutcome::Replayed => Some(Note::Replayed),
            OtpOutcome::Skewed(m) => Some(Note::Skewed(m)),
            _ => None,
        }
    }

    fn text(self, lang: Lang) -> String {
        match self {
            Note::Replayed => lang.t("otp.replayed").to_string(),
            Note::Skewed(m) => otp::skew_message(lang, m),
        }
    }
}

/// What a locked page shows, as sealed into its switch's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Shown {
    until: Option<i64>,
    browser: bool,
    note: Option<Note>,
    req: String,
    /// When the page was first shown.
    at: i64,
}

/// The locked page answering an attempt: 403, with a switch that shows it again.
pub async fn page(
    state: &AppState,
    lang: Lang,
    until: Option<i64>,
    scope: LockScope,
    note: Option<Note>,
    req: &str,
) -> Result<Response, AppError> {
    let shown = Shown {
        until,
        browser: scope == LockScope::ThisBrowser,
        note,
        req: req.to_string(),
        at: state.clock.now(),
    };
    let json = serde_json::to_vec(&shown).map_err(|_| AppError::internal())?;
    let sealed = state.keys().seal(&json, CONTEXT);
    let again = SwitchFrom::new(PATH, &[("s", &sealed)]);
    let page = render(state, lang, &shown).await?;
    Ok((StatusCode::FORBIDDEN, again, page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LockedQuery {
    s: String,
}

/// The locked page again (the language switch). A link that is not one of ours, or whose
/// lock has ended, leads to the sign-in form (with the service, when the link named one).
pub async fn get_locked(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<LockedQuery>,
) -> Result<Response, AppError> {
    let shown = state
        .keys()
        .open(&q.s, CONTEXT)
        .and_then(|b| serde_json::from_slice::<Shown>(&b).ok());
    let Some(shown) = shown else {
        return Ok(Redirect::to("/login").into_response());
    };
    let now = state.clock.now();
    let over = match shown.until {
        Some(u) => u <= now,
        None => shown.at + NO_END_TTL <= now,
    };
    if over {
        return Ok(Redirect::to(&Links::new(&shown.req).url("/login")).into_response());
    }
    Ok(render(&state, lang, &shown).await?.into_response())
}

async fn render(state: &AppState, lang: Lang, shown: &Shown) -> Result<LockedPage, AppError> {
    let authreq = if shown.req.is_empty() {
        None
    } else {
        crate::oidc::request::load_authreq(state, &shown.req).await?
    };
    // A request that is gone is not offered as a way back; a place of Gerbang's is.
    let req = if authreq.is_some() || Place::parse(&shown.req).is_some() {
        shown.req.as_str()
    } else {
        ""
    };
    let links = Links::new(req);
    let c = &state.settings.helpdesk_contact;
    Ok(LockedPage {
        lang,
        until: shown.until.map(|u| wib_clock(u, lang)),
        this_browser: shown.browser,
        note: shown.note.map(|n| n.text(lang)),
        back_url: links.url("/login"),
        reset_url: links.url("/reset"),
        client_name: authreq.map(|r| r.client_name),
        contact_text: c.text_for(lang == Lang::En).to_string(),
        contact_url: c.url_href().map(str::to_string),
        contact_phone: c.phone_href(),
        contact_phone_shown: c.phone.trim().to_string(),
        contact_whatsapp: c.whatsapp_href(),
        contact_whatsapp_shown: c.whatsapp.trim().to_string(),
    })
}
