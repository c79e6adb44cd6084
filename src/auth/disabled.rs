//! The answer to a signed-in person whose account is no longer active: the SSO session may
//! outlive the disable (an import runs in another process and cannot reach an in-process
//! cache), so the places that use a session — the launcher and `/authorize` — check the
//! account and show this page instead of going on.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;
use crate::store::users::User;
use crate::web::i18n::Lang;

#[derive(Template, WebTemplate)]
#[template(path = "disabled.html")]
struct DisabledPage {
    lang: Lang,
    reason_key: &'static str,
    agency: Option<String>,
}

/// 403 with why (in words, never the raw SIASN code) and whom to contact.
pub async fn page(state: &AppState, lang: Lang, user: &User) -> Result<Response, AppError> {
    let reason_key = match user.siasn_reason() {
        Some(r) => r.i18n_key(),
        None => "disabled.account",
    };
    let agency = match &user.instansi_id {
        Some(id) => state.store.instansi_name(id).await?,
        None => None,
    };
    let page = DisabledPage {
        lang,
        reason_key,
        agency,
    };
    Ok((StatusCode::FORBIDDEN, page).into_response())
}
