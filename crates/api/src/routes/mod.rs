//! Handlers: each translates HTTP into one service call and back.

pub mod docs;
pub mod health;
pub mod metrics;
pub mod stores;

use actix_web::web;

use crate::error::ApiError;

/// Every route of the API. Middlewares are added in `startup`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/health").route(web::get().to(health::health)))
        .service(web::resource("/stores").route(web::get().to(stores::list_stores)))
        .service(web::resource("/metrics").route(web::get().to(metrics::metrics)))
        .service(web::resource("/openapi.json").route(web::get().to(docs::openapi_json)))
        .service(web::resource("/docs").route(web::get().to(docs::docs_page)))
        .service(web::resource("/docs/").route(web::get().to(docs::docs_page)))
        .service(web::resource("/docs/assets/{file}").route(web::get().to(docs::docs_asset)));
}

/// Any path no route matches.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("Not found"))
}
