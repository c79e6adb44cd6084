//! Prometheus metrics: one process-wide recorder (the `metrics` facade), rendered at
//! `/metrics`. Names follow Prometheus conventions; labels are bounded sets (route templates,
//! never raw paths; outcomes and grants from fixed lists).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
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
/// path is known).
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    metrics::histogram!(
        LATENCY,
        "route" => route,
        "method" => method,
        "status" => res.status().as_u16().to_string()
    )
    .record(start.elapsed().as_secs_f64());
    res
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
        | HelpdeskDenied
        | UserDisabled
        | UserEnabled => return,
    };
    metrics::counter!("gerbang_logins_total", "outcome" => outcome).increment(1);
}

pub fn token_issued(grant: &'static str) {
    metrics::counter!("gerbang_tokens_issued_total", "grant" => grant).increment(1);
}
