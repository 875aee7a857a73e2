use actix_web::get;
use actix_web::{HttpResponse, web};
use comanda_services::ErrorCode;

use crate::state::AppState;

/// Prometheus text: requests and latency by route and status, database pool gauges, orders
/// created, notifications pending and dead.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String),
        (status = 401, description = "`not_authenticated`: `METRICS_TOKEN` is set and the bearer token is not it", body = crate::error::ErrorBody),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    request: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, crate::error::ApiError> {
    // The figures are the whole SaaS's (orders of every tenant): with `METRICS_TOKEN` set, only
    // the scraper that holds it reads them.
    if let Some(token) = &state.settings.http.metrics_token {
        let presented = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !constant_time_eq(presented.trim().as_bytes(), token.expose().as_bytes()) {
            return Err(crate::error::ApiError::unauthorized(
                ErrorCode::NotAuthenticated,
                "/metrics needs the METRICS_TOKEN as a bearer token",
            ));
        }
    }
    // A database that does not answer must not break the scrape.
    let outbox = match state.dispatcher.depth().await {
        Ok(depth) => Some(depth),
        Err(error) => {
            tracing::debug!(%error, "outbox depth unavailable for /metrics");
            None
        }
    };
    let body = state.metrics.render(state.database.pool_stats(), outbox);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

/// Compares without stopping at the first difference (no timing hint about the token).
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}
