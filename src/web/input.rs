//! The one gate every request's parameters pass before any handler reads them: path
//! parameters, the query string, and form or JSON bodies, decoded as the handlers decode
//! them, must hold no control character (`domain::input`). A route layer over the whole
//! router (lib.rs), so a handler added later cannot forget it. A refused request changes
//! nothing: it is answered 400 before any extractor, store or cache is reached.

use axum::body::Bytes;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequest, RawPathParams, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::input::{fit, form_fit, json_fit};
use crate::error::{AppError, OAuthError};

/// Whether a path answers JSON (the OAuth endpoints, the staff API) rather than pages.
pub type AnswersJson = fn(&str) -> bool;

enum Body {
    Form,
    Json,
    Other,
}

/// What the handlers may read the body as. Wider than axum's own tests (`Form`/`RawForm`
/// take any type that starts with `application/x-www-form-urlencoded`, `Json` any
/// `application/*+json`), so no spelling of the header gets a body past the gate.
fn body_kind(req: &Request) -> Body {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return Body::Other;
    };
    let ct = String::from_utf8_lossy(ct.as_bytes()).to_ascii_lowercase();
    if ct.contains("urlencoded") {
        Body::Form
    } else if ct.contains("json") {
        Body::Json
    } else {
        Body::Other
    }
}

/// Refuses a request whose parameters hold a control character: RFC 6749 `invalid_request`
/// JSON where the path answers JSON, else the error page in the person's language.
pub async fn refuse_controls(
    State(answers_json): State<AnswersJson>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    req: Request,
    next: Next,
) -> Response {
    let refuse = |path: &str| {
        tracing::info!(
            path,
            "request refused: a parameter holds a control character"
        );
        if answers_json(path) {
            OAuthError::invalid_request("a parameter holds a control character").into_response()
        } else {
            AppError::bad_request("error.control_chars").into_response()
        }
    };
    let path = req.uri().path().to_string();
    match &params {
        Ok(p) if p.iter().all(|(k, v)| fit(k, v)) => {}
        // No parameters in this route's path.
        Err(RawPathParamsRejection::MissingPathParams(_)) => {}
        // Not UTF-8 once decoded, or a control character.
        _ => return refuse(&path),
    }
    if req.uri().query().is_some_and(|q| !form_fit(q.as_bytes())) {
        return refuse(&path);
    }
    let kind = body_kind(&req);
    if matches!(kind, Body::Other) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    // Within `max_body_bytes` (the limit layer is outside this one); too large or too slow
    // is answered as the handler's own extractor would answer it.
    let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(b) => b,
        Err(rejection) => return rejection.into_response(),
    };
    let fit = match kind {
        Body::Form => form_fit(&bytes),
        // A body that is not JSON is left for the handler to refuse in its own words.
        _ => serde_json::from_slice::<serde_json::Value>(&bytes).map_or(true, |v| json_fit(&v)),
    };
    if !fit {
        return refuse(&path);
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}
