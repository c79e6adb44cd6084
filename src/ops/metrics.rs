//! Prometheus metrics: one process-wide recorder (the `metrics` facade), rendered at
//! `/metrics`. Names follow Prometheus conventions; labels are bounded sets (route templates,
//! never raw paths; outcomes and grants from fixed lists).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::domain::audit::AuditKind;

const LATENCY: &str = "http_request_duration_seconds";

/// The recorder, installed on first use. `None` if another recorder owns the process (an
/// embedding program's); Gerbang then serves without `/metrics` content.
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(LATENCY.into()), &buckets)
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
                .ok()
        })
        .as_ref()
}

/// Request latency by route template, method and status (a route layer, so the matched
/// path is known). Every label comes from a bounded set: a label value is a series kept
/// until restart, so anything a client chooses (a made-up method, a path) would let anyone
/// fill the server's memory and every scrape.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = method_label(req.method());
    let res = next.run(req).await;
    metrics::histogram!(
        LATENCY,
        "route" => route,
        "method" => method,
        "status" => status_label(res.status())
    )
    .record(start.elapsed().as_secs_f64());
    res
}

/// The route label of a request no route matched (route templates are the server's own).
const UNMATCHED: &str = "unmatched";

/// The method label: the standard methods the routes use, anything else one value.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The status label: the code for the ones the server answers with, else its class, so
/// the set stays small whatever a handler or layer produces.
#[allow(clippy::match_overlapping_arm)] // known codes first, then their class
fn status_label(s: StatusCode) -> &'static str {
    match s.as_u16() {
        200 => "200",
        201 => "201",
        204 => "204",
        302 => "302",
        303 => "303",
        304 => "304",
        307 => "307",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        408 => "408",
        409 => "409",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

/// Login outcomes and lockouts, read off the audit events every login path already writes.
/// Exhaustive on purpose: a new kind decides here whether it is a login outcome.
pub fn audit_event(kind: AuditKind) {
    use AuditKind::*;
    let outcome = match kind {
        LoginSuccess => "success",
        LoginFailure => "bad_password",
        OtpFailure => "bad_otp",
        LoginBlocked => "locked",
        LoginCaptchaFailed => "bad_captcha",
        AccountLocked => {
            metrics::counter!("gerbang_lockouts_total").increment(1);
            return;
        }
        RecoveryCodeUsed
        | RecoveryCodesRegenerated
        | MfaDeviceAdded
        | MfaDeviceRenamed
        | MfaDeviceRemoved
        | PasswordChanged
        | ResetRequested
        | PasswordReset
        | AccountActivated
        | ConsentGranted
        | ConsentRevoked
        | AccessDenied
        | HelpdeskAction
        | HelpdeskRefused
        | SessionReported
        | HelpdeskDenied
        | UserDisabled
        | UserEnabled => return,
    };
    metrics::counter!("gerbang_logins_total", "outcome" => outcome).increment(1);
}

pub fn token_issued(grant: &'static str) {
    metrics::counter!("gerbang_tokens_issued_total", "grant" => grant).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        for odd in ["FOO", "get", "X-1234", "TRACE", "CONNECT"] {
            let m = Method::from_bytes(odd.as_bytes()).unwrap();
            assert_eq!(method_label(&m), "OTHER", "{odd}");
        }
    }

    #[test]
    fn every_status_maps_into_a_small_set() {
        let labels: std::collections::HashSet<_> = (100..=999)
            .map(|c| status_label(StatusCode::from_u16(c).unwrap()))
            .collect();
        assert!(labels.len() < 30, "{labels:?}");
        assert_eq!(status_label(StatusCode::OK), "200");
        assert_eq!(status_label(StatusCode::from_u16(299).unwrap()), "2xx");
        assert_eq!(status_label(StatusCode::from_u16(799).unwrap()), "other");
    }
}
