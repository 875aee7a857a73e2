//! `/admin/shipping`: distance bands per store (module `shipping`).

use actix_web::web;
use actix_web::{get, put};
use comanda_domain::shipping::DistanceBand;
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{BandId, StoreId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct BandView {
    pub id: String,
    pub max_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BandList {
    pub items: Vec<BandView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BandInput {
    pub max_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BandsRequest {
    /// Every band of the store, `max_km` strictly increasing.
    pub bands: Vec<BandInput>,
}

fn list_of(stored: Vec<DistanceBand<BandId>>) -> BandList {
    BandList {
        total: stored.len() as u64,
        items: stored
            .into_iter()
            .map(|band| BandView {
                id: band.id.to_string(),
                max_km: band.max_km,
                fee_cents: band.fee_cents,
                eta_minutes: band.eta_minutes,
            })
            .collect(),
    }
}

#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = BandList), (status = 404, body = ErrorBody))
)]
#[get("/admin/shipping/stores/{store_id}/bands")]
pub async fn bands(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
) -> Result<web::Json<BandList>, ApiError> {
    let scope = user.allow(Module::Shipping, Action::View)?;
    let bands = state.shipping.bands(scope.tenant, id.into_inner()).await?;
    Ok(web::Json(list_of(bands)))
}

/// Replaces the store's bands. They must increase in `max_km`; fees are not negative.
#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    request_body = BandsRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = BandList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/shipping/stores/{store_id}/bands")]
pub async fn replace(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
    body: ApiJson<BandsRequest>,
) -> Result<web::Json<BandList>, ApiError> {
    let scope = user.allow(Module::Shipping, Action::Update)?;
    let new_bands = body
        .into_inner()?
        .bands
        .into_iter()
        .map(|band| DistanceBand {
            id: (),
            max_km: band.max_km,
            fee_cents: band.fee_cents,
            eta_minutes: band.eta_minutes,
        })
        .collect();
    let saved = state
        .shipping
        .replace_bands(scope.tenant, id.into_inner(), new_bands, scope.actor)
        .await?;
    Ok(web::Json(list_of(saved)))
}
