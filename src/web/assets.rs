//! Static assets, compiled into the binary so a deployment is one file plus config.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

const CSS: &str = include_str!("../../static/gerbang.css");

pub fn router() -> Router<AppState> {
    Router::new().route("/static/gerbang.css", get(get_css))
}

async fn get_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        CSS,
    )
}
