//! Liveness, readiness and metrics for load balancers, orchestrators and Prometheus.

pub mod audit_sink;
pub mod janitor;
pub mod metrics;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// Probes, and `/metrics` unless it has its own address (`metrics_listen`).
pub fn router(settings: &crate::config::Config) -> Router<AppState> {
    let r = Router::new()
        .route("/healthz", get(get_healthz))
        .route("/readyz", get(get_readyz));
    match settings.metrics_listen {
        Some(_) => r,
        None => r.merge(metrics_router()),
    }
}

/// `/metrics` alone: what `metrics_listen` serves.
pub fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(get_metrics))
}

async fn get_healthz() -> &'static str {
    "ok"
}

async fn get_readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "database not ready");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    if let Err(e) = state.cache.ping().await {
        tracing::warn!(error = %e, "cache not ready");
        return (StatusCode::SERVICE_UNAVAILABLE, "redis unavailable");
    }
    (StatusCode::OK, "ready")
}

/// The process's metrics, with the queue depths read when scraped.
pub async fn get_metrics(State(state): State<AppState>) -> Response {
    let Some(h) = metrics::handle() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Queue depth is read when scraped: it lives in the shared database, not in this replica.
    if let Ok(n) = state.store.unsent_mail_count().await {
        ::metrics::gauge!("gerbang_mail_queue_depth").set(n as f64);
    }
    // Back-channel logouts owed to services; a growing number means a service is down.
    if let Ok(n) = state.store.pending_logouts().await {
        ::metrics::gauge!("gerbang_backchannel_queue_depth").set(n as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        h.render(),
    )
        .into_response()
}
