use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`
    pub status: &'static str,
    /// `ok`: the database answered.
    pub database: &'static str,
}

/// Readiness: 200 when the database answers, 503 when it does not.
#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    responses(
        (status = 200, description = "The service and its database answer", body = HealthResponse),
        (status = 503, description = "The database does not answer", body = ErrorBody),
    )
)]
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.health.check().await {
        Ok(()) => Ok(HttpResponse::Ok()
            .insert_header(("cache-control", "no-store"))
            .json(HealthResponse {
                status: "ok",
                database: "ok",
            })),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "The database is unavailable",
            ))
        }
    }
}
