//! `/not-me`: the "this was not me" link of a new-browser mail (`auth::new_browser`). GET
//! asks (mail scanners open links, so it changes nothing); POST uses the link up, ends
//! exactly the session it names (with that session's refresh tokens) and audits it. No
//! sign-in is needed: the token in the form is the only proof, and it is unguessable.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{new_browser, session};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::extract::ClientMeta;
use crate::web::i18n::Lang;
use crate::web::lang_switch::SwitchFrom;

#[derive(Template, WebTemplate)]
#[template(path = "not_me.html")]
struct NotMePage {
    lang: Lang,
    /// The live token to confirm with; `None`: the link is done or does not work.
    ask: Option<String>,
    ended: bool,
}

#[derive(Deserialize, Default)]
pub struct NotMeQuery {
    #[serde(default)]
    t: String,
    #[serde(default)]
    ended: String,
}

#[derive(Deserialize, Default)]
pub struct NotMeForm {
    #[serde(default)]
    t: String,
}

fn refused(lang: Lang) -> Response {
    let page = NotMePage {
        lang,
        ask: None,
        ended: false,
    };
    (
        StatusCode::BAD_REQUEST,
        SwitchFrom::new("/not-me", &[]),
        page,
    )
        .into_response()
}

pub async fn get_not_me(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<NotMeQuery>,
) -> Result<Response, AppError> {
    if q.t.is_empty() && q.ended == "1" {
        let page = NotMePage {
            lang,
            ask: None,
            ended: true,
        };
        return Ok(page.into_response());
    }
    if new_browser::peek(&state, &q.t).await?.is_none() {
        return Ok(refused(lang));
    }
    let page = NotMePage {
        lang,
        ask: Some(q.t),
        ended: false,
    };
    Ok(page.into_response())
}

pub async fn post_not_me(
    State(state): State<AppState>,
    lang: Lang,
    meta: ClientMeta,
    form: Result<Form<NotMeForm>, FormRejection>,
) -> Result<Response, AppError> {
    let token = form.map(|Form(f)| f.t).unwrap_or_default();
    let Some(named) = new_browser::take(&state, &token).await? else {
        return Ok(refused(lang));
    };
    session::end_by_sid(&state, &named.sid).await?;
    let ev = AuditEvent {
        actor: Some(&named.user_id),
        subject: Some(&named.user_id),
        ip: Some(&meta.ip),
        user_agent: meta.user_agent.as_deref(),
        detail: Some(&named.sid),
        ..AuditEvent::new(AuditKind::SessionReported)
    };
    state.store.audit(&ev, state.clock.now()).await?;
    Ok(Redirect::to("/not-me?ended=1").into_response())
}
