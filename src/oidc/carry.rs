//! The authorization request a browser is signing in for, carried across the pages that are
//! not the login form: a first access (or a forgotten password) goes `/login?req=…` →
//! `/reset` → e-mailed code → `/reset/confirm` → `/login?req=…` → enrolment → the service.
//!
//! Only the request's opaque id travels (the pages' `req` field and query, and a cookie for
//! the e-mailed link, which carries none), and it is looked up again at every step: a page
//! never sends anyone anywhere but to Gerbang's own login, which continues only a request
//! `/authorize` validated. An unknown or expired id is dropped without a word; the person
//! then simply lands on the launcher after signing in.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;

use super::request::{AuthRequest, load_authreq};
use crate::cache::CacheError;
use crate::state::AppState;

/// The request the login form in this browser was last shown for. Lives as long as a
/// pending request at most (30 minutes).
pub const COOKIE: &str = "gerbang_req";
const MAX_AGE_SECS: i64 = 30 * 60;

/// The live request `id` names, if any.
pub async fn live(state: &AppState, id: &str) -> Result<Option<AuthRequest>, CacheError> {
    load_authreq(state, id).await
}

/// The request a page continues: the one its `req` names when that is live, else the one
/// this browser's login form was shown for, when that is live.
pub async fn resolve(
    state: &AppState,
    jar: &CookieJar,
    explicit: &str,
) -> Result<Option<(String, AuthRequest)>, CacheError> {
    if let Some(r) = live(state, explicit).await? {
        return Ok(Some((explicit.to_string(), r)));
    }
    let Some(id) = jar.get(COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    Ok(live(state, &id).await?.map(|r| (id, r)))
}

/// Remembers in this browser which request its sign-in is for (`None`: for none).
pub fn remember(state: &AppState, jar: CookieJar, id: Option<&str>) -> CookieJar {
    match id {
        Some(id) => {
            let mut c = crate::web::cookie::cookie(state, COOKIE, id.to_string());
            c.set_max_age(time::Duration::seconds(MAX_AGE_SECS));
            jar.add(c)
        }
        None => forget(jar),
    }
}

/// Forgets it (once the sign-in it was for has moved on).
pub fn forget(jar: CookieJar) -> CookieJar {
    if jar.get(COOKIE).is_none() {
        return jar;
    }
    jar.remove(Cookie::build(COOKIE).path("/"))
}

/// Gerbang's own pages a sign-in may return to instead of a service, named by a fixed word
/// in the `req` field: only these words are understood and each leads to one fixed path, so
/// no address is ever taken from a request (no open redirect). Anything else in `req` that
/// is not a live request leads home, as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The helpdesk console (`/helpdesk`).
    Helpdesk,
}

impl Place {
    /// The place `req` names, if it names one (never a live request: those are random ids).
    pub fn parse(req: &str) -> Option<Place> {
        match req {
            "helpdesk" => Some(Place::Helpdesk),
            _ => None,
        }
    }

    /// The word that names it in `req`.
    pub fn word(self) -> &'static str {
        match self {
            Place::Helpdesk => "helpdesk",
        }
    }

    /// Where a finished sign-in goes.
    pub fn path(self) -> &'static str {
        match self {
            Place::Helpdesk => "/helpdesk",
        }
    }
}

/// Where a finished sign-in with `req` goes when `req` is no live request: a [`Place`] it
/// names, or the launcher.
pub fn home_for(req: &str) -> &'static str {
    Place::parse(req).map_or("/", Place::path)
}

/// The addresses of the sign-in pages for the request a page continues: every internal link
/// and form on a sign-in page is built here (`{{ links.url("/reset") }}`), so none of them
/// drops the service the person is signing in to.
#[derive(Debug, Clone, Default)]
pub struct Links {
    req: String,
}

impl Links {
    /// For request `req` (a live request's id or a [`Place`]'s word; empty: none).
    pub fn new(req: &str) -> Self {
        Links {
            req: req.to_string(),
        }
    }

    /// For a place of Gerbang's own.
    pub fn to_place(place: Place) -> Self {
        Links::new(place.word())
    }

    pub fn req(&self) -> &str {
        &self.req
    }

    /// `path` (one of Gerbang's) with the request, when there is one.
    pub fn url(&self, path: &str) -> String {
        self.with(path, &[])
    }

    /// `path` with `params`, then the request (empty values left out).
    pub fn with(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params
            .iter()
            .copied()
            .chain(std::iter::once(("req", self.req.as_str())))
            .filter(|(_, v)| !v.is_empty())
        {
            q.append_pair(k, v);
        }
        let q = q.finish();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_request_and_only_the_request() {
        let l = Links::new("r-1_x");
        assert_eq!(l.url("/reset"), "/reset?req=r-1_x");
        assert_eq!(
            l.with("/login", &[("nip", "1990"), ("x", "")]),
            "/login?nip=1990&req=r-1_x"
        );
        assert_eq!(Links::default().url("/login"), "/login");
        assert_eq!(
            Links::default().with("/login", &[("nip", "1990")]),
            "/login?nip=1990"
        );
        assert_eq!(Links::new("a&b=c").url("/login"), "/login?req=a%26b%3Dc");
    }

    #[test]
    fn only_fixed_words_name_a_place_and_each_leads_to_one_path() {
        assert_eq!(home_for("helpdesk"), "/helpdesk");
        for forged in [
            "",
            "Helpdesk",
            "/helpdesk",
            "//evil.example/helpdesk",
            "https://evil.example/",
            "helpdesk/../x",
            "helpdesk ",
        ] {
            assert_eq!(home_for(forged), "/", "{forged}");
        }
        assert_eq!(
            Links::to_place(Place::Helpdesk).url("/login"),
            "/login?req=helpdesk"
        );
    }
}
