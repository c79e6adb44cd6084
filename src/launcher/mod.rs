//! `/`: the launcher — after sign-in, the services this person may open.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;

use crate::auth::session;
use crate::auth::signed_in::{Standing, standing};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::i18n::Lang;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(get_home))
}

pub struct Tile {
    pub name: String,
    pub url: String,
    pub icon: Option<String>,
    /// Shown when there is no icon.
    pub initial: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    lang: Lang,
    name: String,
    nip: String,
    csrf: String,
    services: Vec<Tile>,
    /// Holds a helpdesk or admin role: the console is linked. Nobody else sees the link
    /// (the console refuses them anyway).
    staff: bool,
}

pub async fn get_home(
    State(state): State<AppState>,
    lang: Lang,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let Some(sso) = session::current(&state, &jar).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let user = match standing(&state, &sso).await? {
        Standing::Holds(user) => user,
        Standing::Disabled(user) => return crate::auth::disabled::page(&state, lang, &user).await,
        Standing::Stale | Standing::Gone => {
            let jar = session::end(&state, jar).await?;
            return Ok((jar, Redirect::to("/login")).into_response());
        }
    };
    let roles = state.store.role_names(&user.id).await?;
    let staff = roles.iter().any(|r| Role::parse(r).is_some());
    // Only services this person may enter: a tile that ends in "access denied" helps no one.
    let services = state
        .store
        .list_clients()
        .await?
        .into_iter()
        .filter(|c| c.admits(&roles))
        .filter_map(|c| {
            let url = c.launcher_url?;
            Some(Tile {
                initial: c
                    .name
                    .chars()
                    .next()
                    .unwrap_or('?')
                    .to_uppercase()
                    .collect(),
                name: c.name,
                url,
                icon: c.launcher_icon,
            })
        })
        .collect();
    let (jar, csrf) = csrf::issue(&state, jar);
    let page = HomePage {
        lang,
        name: user.name,
        nip: user.nip,
        csrf,
        services,
        staff,
    };
    Ok((jar, page).into_response())
}
