//! Static assets, compiled into the binary so a deployment is one file plus config. Served
//! with a day of caching.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

const CSS: &str = include_str!("../../static/gerbang.css");
const PASSWORD_JS: &str = include_str!("../../static/password.js");
const PRINT_JS: &str = include_str!("../../static/print.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/gerbang.css", get(get_css))
        .route("/static/password.js", get(get_password_js))
        .route("/static/print.js", get(get_print_js))
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

async fn get_css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", CSS)
}

async fn get_password_js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", PASSWORD_JS)
}

async fn get_print_js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", PRINT_JS)
}
