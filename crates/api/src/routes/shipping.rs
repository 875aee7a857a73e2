//! `POST /shipping/quote`.

use actix_web::web;
use actix_web::{get, post};
use comanda_domain::StoreId;
use comanda_domain::geo::GeoPoint;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
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

/// The client's coordinates when the body gives them: both or neither, in range.
pub fn client_point(lat: Option<f64>, lng: Option<f64>) -> Result<Option<GeoPoint>, ApiError> {
    match (lat, lng) {
        (Some(lat), Some(lng)) => GeoPoint::new(lat, lng)
            .map(Some)
            .map_err(|error| ApiError::field("lat", error.to_string())),
        (None, None) => Ok(None),
        _ => Err(ApiError::field("lng", "send both lat and lng, or neither")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteResponse {
    pub distance_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
    /// The distance band that priced it (`null` when an area did).
    pub band_id: Option<String>,
    /// The delivery area that priced it (`null` when the bands did).
    pub area_id: Option<String>,
    /// `area` (a delivery area), `google` (driving distance), `nominatim` (straight line to the
    /// geocoded address) or `coordinates` (straight line to the client's coordinates).
    pub source: String,
}

/// Prices a delivery: a polygon area holding the point, else a neighbourhood area naming the
/// address's district (case and accents ignored), else the distance bands. Beyond the last band: 422 `out_of_delivery_area`;
/// a bad CEP or an address that cannot be found: 422 `invalid_address`.
#[utoipa::path(
    tag = "storefront", params(TenantHeaderParams),
    request_body = QuoteRequest,
    responses(
        (status = 200, body = QuoteResponse),
        (status = 404, description = "Unknown store", body = ErrorBody),
        (status = 422, description = "`invalid_address`, `out_of_delivery_area`, `delivery_unavailable`", body = ErrorBody),
        (status = 503, description = "Geocoding unavailable", body = ErrorBody),
    )
)]
#[post("/shipping/quote")]
pub async fn quote(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: ApiJson<QuoteRequest>,
) -> Result<web::Json<QuoteResponse>, ApiError> {
    let body = body.into_inner()?;
    let store: StoreId = body
        .store_id
        .parse()
        .map_err(|_| ApiError::not_found("store not found"))?;
    let point = client_point(body.lat, body.lng)?;
    let quote = state
        .shipping
        .quote(tenant.0.id, store, &body.address.into(), point)
        .await?;
    Ok(web::Json(QuoteResponse {
        distance_km: quote.distance_km,
        fee_cents: quote.fee_cents,
        eta_minutes: quote.eta_minutes,
        band_id: quote.band_id.map(|band| band.to_string()),
        area_id: quote.area.map(|area| area.id.to_string()),
        source: quote.source.as_str().to_owned(),
    }))
}

/// What a CEP names: the street, district, city and state to fill an address with.
#[derive(Debug, Serialize, ToSchema)]
pub struct CepAddressView {
    #[schema(example = "01310-100")]
    pub cep: String,
    pub street: String,
    pub district: String,
    pub city: String,
    pub state: String,
}

/// Address autofill: what the CEP directory (ViaCEP by default, `CEP_LOOKUP_BASE_URL`) says of
/// a CEP, kept a day. No tenant needed.
#[utoipa::path(
    tag = "storefront", params(("cep" = String, Path, description = "8 digits, with or without the dash")),
    responses(
        (status = 200, body = CepAddressView),
        (status = 404, description = "`cep_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_address`: not a CEP", body = ErrorBody),
        (status = 503, description = "The directory is down", body = ErrorBody),
    )
)]
#[get("/address/{cep}")]
pub async fn address(
    state: web::Data<AppState>,
    cep: web::Path<String>,
) -> Result<web::Json<CepAddressView>, ApiError> {
    let found = state.address.lookup(&cep.into_inner()).await?;
    Ok(web::Json(CepAddressView {
        cep: found.cep,
        street: found.street,
        district: found.district,
        city: found.city,
        state: found.state,
    }))
}
