//! Liveness, readiness and metrics for load balancers, orchestrators and Prometheus.

pub mod audit_sink;
pub mod janitor;
pub mod metrics;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
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
    Router::new().route("/metrics", get(metrics::get_metrics))
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
