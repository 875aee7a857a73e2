use actix_web::get;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use comanda_services::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use comanda_services::health::Readiness;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`
    pub status: &'static str,
    /// `ok`: the database answered.
    pub database: &'static str,
}

/// Readiness: 200 when the database answers, 503 when it does not.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The service and its database answer", body = HealthResponse),
        (status = 503, description = "The database does not answer", body = ErrorBody),
    )
)]
#[get("/health")]
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
                ErrorCode::DatabaseUnavailable,
                "The database is unavailable",
            ))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProbeResponse {
    /// `ok`
    pub status: &'static str,
}

/// Liveness: 200 while the process serves requests. Checks no dependency, so a database outage
/// never gets healthy instances restarted.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process serves", body = ProbeResponse))
)]
#[get("/livez")]
pub async fn livez() -> HttpResponse {
    probe_ok()
}

fn probe_ok() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(ProbeResponse { status: "ok" })
}

/// Readiness: 200 when the database answers and its schema is at this binary's latest
/// migration; 503 otherwise (`database_unavailable`, `schema_behind`).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready for traffic", body = ProbeResponse),
        (status = 503, description = "`database_unavailable` or `schema_behind`", body = ErrorBody),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.health.ready().await {
        Ok(Readiness::Ready) => Ok(probe_ok()),
        Ok(Readiness::SchemaBehind) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::SchemaBehind,
            "The database schema is older than this release: apply the migrations",
        )),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DatabaseUnavailable,
                "The database is unavailable",
            ))
        }
    }
}
