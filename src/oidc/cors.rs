//! CORS for browser apps (single-page apps whose token requests come from script): only on
//! discovery, JWKS, `/token`, `/userinfo` and `/revoke`, and only for an `Origin` a client
//! registered exactly (`web_origins`). Pages, the helpdesk API and everything else never
//! answer another origin's script. No credentials mode: these endpoints take tokens and
//! client ids in the request, never cookies, so `Access-Control-Allow-Credentials` is never
//! sent (a page's cookies must not ride along).
//!
//! `/token` and `/revoke` allow only the origins of the client the request names: one app's
//! origin cannot spend another app's tokens from a browser. The preflight before them has no
//! body, so it names no client; it is answered for any registered origin, and the real
//! request is checked against its own client.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// How long a browser may reuse a preflight answer.
const MAX_AGE: &str = "600";
const ALLOW_HEADERS: &str = "Authorization, Content-Type";

/// Discovery and JWKS: read-only, for any registered origin.
pub async fn read_only(state: State<AppState>, req: Request, next: Next) -> Response {
    cors(&state, req, next, "GET", false).await
}

/// `/userinfo`: any registered origin (the bearer token says whose data it is).
pub async fn userinfo(state: State<AppState>, req: Request, next: Next) -> Response {
    cors(&state, req, next, "GET, POST", false).await
}

/// `/token` and `/revoke`: the origins of the client the request is for.
pub async fn client_bound(state: State<AppState>, req: Request, next: Next) -> Response {
    cors(&state, req, next, "POST", true).await
}

async fn cors(
    state: &AppState,
    req: Request,
    next: Next,
    methods: &'static str,
    per_client: bool,
) -> Response {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string)
    else {
        return vary(next.run(req).await);
    };
    if req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        if !registered(state, &origin).await {
            return vary(StatusCode::FORBIDDEN.into_response());
        }
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        allow(h, &origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(methods),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        return vary(res);
    }
    let (req, allowed) = if per_client {
        // The body is small (the body limit is outside) and read once here; the handler
        // gets the same bytes.
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, state.settings.max_body_bytes).await else {
            return vary(StatusCode::PAYLOAD_TOO_LARGE.into_response());
        };
        let params = super::request::parse_params(&bytes).unwrap_or_default();
        let allowed = match super::client_auth::named_client(state, &parts.headers, &params).await {
            Ok(Some(c)) => c.web_origins.contains(&origin),
            _ => false,
        };
        (Request::from_parts(parts, Body::from(bytes)), allowed)
    } else {
        let allowed = registered(state, &origin).await;
        (req, allowed)
    };
    let mut res = next.run(req).await;
    if allowed {
        allow(res.headers_mut(), &origin);
    }
    vary(res)
}

fn allow(h: &mut axum::http::HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
}

/// The answer depends on `Origin` (discovery and JWKS are publicly cacheable): a shared
/// cache must not hand one origin's answer to another.
fn vary(mut res: Response) -> Response {
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
    res
}

/// Whether some enabled client registered `origin`; the list is kept per replica for
/// `client_cache_secs` (at most 5 s), like client records.
async fn registered(state: &AppState, origin: &str) -> bool {
    let now = state.clock.now();
    let ttl = state.settings.client_cache_secs.clamp(0, 5);
    if ttl > 0
        && let Some(list) = state.web_origins.get(&(), now)
    {
        return list.iter().any(|o| o == origin);
    }
    match state.store.web_origins().await {
        Ok(list) => {
            let found = list.iter().any(|o| o == origin);
            state
                .web_origins
                .insert((), std::sync::Arc::new(list), now + ttl, now);
            found
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the registered web origins");
            false
        }
    }
}
