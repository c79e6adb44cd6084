//! The agency's name and logo in every page's header (`agency_name`, `agency_logo`).
//!
//! Pages mark the spot with `<!--agency-->` in `base.html`; this layer fills it in from the
//! settings, so 47 page structs need not each carry the same two fields.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

pub const MARK: &str = "<!--agency-->";
/// Pages are a few kilobytes; anything larger is not a page of ours.
const MAX_PAGE: usize = 1 << 20;

/// The header fragment for the configured agency; empty when none is set.
pub fn fragment(name: &str, logo: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(l) = logo {
        out.push_str(&format!("<img src=\"{}\" alt=\"\">", escape(l)));
    }
    if !name.is_empty() {
        out.push_str(&format!("<span class=\"agency\">{}</span>", escape(name)));
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn brand_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html || state.branding.is_empty() {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let page = String::from_utf8_lossy(&bytes).replacen(MARK, &state.branding, 1);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_escaped() {
        assert_eq!(
            super::fragment("BKPSDM <Kab.> \"X\"", Some("/static/logo.svg")),
            "<img src=\"/static/logo.svg\" alt=\"\"><span class=\"agency\">BKPSDM &lt;Kab.&gt; &quot;X&quot;</span>"
        );
        assert_eq!(super::fragment("", None), "");
    }
}
