//! Static assets, compiled into the binary so a deployment is one file plus config. Served
//! with a day of caching. Every script a page runs is one of these files: the CSP allows no
//! inline script.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

const JS: &str = "text/javascript; charset=utf-8";

/// Path, content type, body.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "/static/gerbang.css",
        "text/css; charset=utf-8",
        include_str!("../../static/gerbang.css"),
    ),
    (
        "/static/password.js",
        JS,
        include_str!("../../static/password.js"),
    ),
    (
        "/static/form_post.js",
        JS,
        include_str!("../../static/form_post.js"),
    ),
    (
        "/static/logout.js",
        JS,
        include_str!("../../static/logout.js"),
    ),
    (
        "/static/captcha.js",
        JS,
        include_str!("../../static/captcha.js"),
    ),
    (
        "/static/print.js",
        JS,
        include_str!("../../static/print.js"),
    ),
    (
        "/static/reveal.js",
        JS,
        include_str!("../../static/reveal.js"),
    ),
];

pub fn router() -> Router<AppState> {
    ASSETS
        .iter()
        .fold(Router::new(), |r, &(path, content_type, body)| {
            r.route(path, get(move || async move { asset(content_type, body) }))
        })
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}
