//! `POST /shipping/quote`.

use actix_web::web;
use comanda_domain::StoreId;
use comanda_domain::geo::GeoPoint;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, FieldError};
use crate::extract::{ApiJson, Tenant};
use crate::openapi::TenantHeaderParams;
use crate::routes::admin::stores::AddressInput;
use crate::routes::stores::AddressView;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuoteRequest {
    pub store_id: String,
    #[schema(value_type = AddressView)]
    pub address: AddressInput,
    /// The client's coordinates, when known: no geocoding needed.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteResponse {
    pub distance_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
    pub band_id: String,
    /// `google` (driving distance), `nominatim` (straight line to the geocoded address) or
    /// `coordinates` (straight line to the client's coordinates).
    pub source: String,
}

/// Prices a delivery by distance bands. Beyond the last band: 422 `out_of_delivery_area`;
/// a bad CEP or an address that cannot be found: 422 `invalid_address`.
#[utoipa::path(
    post, path = "/shipping/quote", tag = "storefront", params(TenantHeaderParams),
    request_body = QuoteRequest,
    responses(
        (status = 200, body = QuoteResponse),
        (status = 404, description = "Unknown store", body = ErrorBody),
        (status = 422, description = "`invalid_address`, `out_of_delivery_area`, `delivery_unavailable`", body = ErrorBody),
        (status = 503, description = "Geocoding unavailable", body = ErrorBody),
    )
)]
pub async fn quote(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: ApiJson<QuoteRequest>,
) -> Result<web::Json<QuoteResponse>, ApiError> {
    let body = body.0;
    let store: StoreId = body
        .store_id
        .parse()
        .map_err(|_| ApiError::not_found("store not found"))?;
    let point = match (body.lat, body.lng) {
        (Some(lat), Some(lng)) => Some(GeoPoint::new(lat, lng).map_err(|error| {
            ApiError::validation(vec![FieldError {
                field: "lat".into(),
                message: error.to_string(),
            }])
        })?),
        (None, None) => None,
        _ => {
            return Err(ApiError::validation(vec![FieldError {
                field: "lng".into(),
                message: "send both lat and lng, or neither".into(),
            }]));
        }
    };
    let quote = state
        .shipping
        .quote(tenant.0.id, store, &body.address.into(), point)
        .await?;
    Ok(web::Json(QuoteResponse {
        distance_km: quote.distance_km,
        fee_cents: quote.fee_cents,
        eta_minutes: quote.eta_minutes,
        band_id: quote.band_id.to_string(),
        source: quote.source.as_str().to_owned(),
    }))
}
