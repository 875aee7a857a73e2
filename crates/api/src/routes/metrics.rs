use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// Prometheus text: requests and latency by route and status, database pool gauges, orders
/// created, notifications pending and dead.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String))
)]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // A database that does not answer must not break the scrape.
    let outbox = match state.dispatcher.depth().await {
        Ok(depth) => Some(depth),
        Err(error) => {
            tracing::debug!(%error, "outbox depth unavailable for /metrics");
            None
        }
    };
    let body = state.metrics.render(state.database.pool_stats(), outbox);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
