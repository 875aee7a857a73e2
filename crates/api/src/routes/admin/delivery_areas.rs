//! `/admin/stores/{id}/delivery-areas` (module `shipping`): a store's delivery areas by
//! neighbourhood or polygon, each with its fee, minimum order and time (docs/api.md#delivery-areas).

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use comanda_domain::delivery_area::{AreaKind, DeliveryArea, GeoJsonShape};
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{AreaId, StoreId};
use comanda_services::shipping::AreaInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser};
use crate::routes::patch;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaView {
    pub id: String,
    pub store_id: String,
    /// `neighbourhood` or `polygon`.
    pub kind: String,
    pub name: String,
    pub city: Option<String>,
    pub districts: Vec<String>,
    /// The GeoJSON `Polygon` or `MultiPolygon` as sent (`[lng, lat]`).
    #[schema(value_type = Option<Object>)]
    pub polygon: Option<serde_json::Value>,
    pub fee_cents: i64,
    pub min_order_cents: i64,
    pub free_above_cents: Option<i64>,
    pub eta_minutes: i32,
}

impl From<DeliveryArea> for AreaView {
    fn from(area: DeliveryArea) -> Self {
        let kind = area.kind_name().to_owned();
        let (city, districts, polygon) = match area.kind {
            AreaKind::Neighbourhood { city, districts } => (Some(city), districts, None),
            AreaKind::Polygon { geojson, .. } => {
                (None, Vec::new(), serde_json::to_value(geojson).ok())
            }
        };
        Self {
            id: area.id.to_string(),
            store_id: area.store_id.to_string(),
            kind,
            name: area.name,
            city,
            districts,
            polygon,
            fee_cents: area.fee_cents,
            min_order_cents: area.min_order_cents,
            free_above_cents: area.free_above_cents,
            eta_minutes: area.eta_minutes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaList {
    pub items: Vec<AreaView>,
}

/// A new area; a PATCH sends only what changes (`free_above_cents: null` removes it).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaRequest {
    #[schema(example = "neighbourhood")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub city: Option<String>,
    pub districts: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub polygon: Option<serde_json::Value>,
    pub fee_cents: Option<i64>,
    pub min_order_cents: Option<i64>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<i64>)]
    pub free_above_cents: Option<Option<i64>>,
    pub eta_minutes: Option<i32>,
}

fn shape(polygon: serde_json::Value) -> Result<GeoJsonShape, ApiError> {
    serde_json::from_value(polygon).map_err(|error| {
        ApiError::field(
            "polygon",
            format!("a GeoJSON Polygon or MultiPolygon with [lng, lat] positions: {error}"),
        )
    })
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::field(field, "is required"))
}

#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AreaList), (status = 404, body = ErrorBody))
)]
#[get("/admin/stores/{store_id}/delivery-areas")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    store: web::Path<StoreId>,
) -> Result<web::Json<AreaList>, ApiError> {
    let scope = user.allow(Module::Shipping, Action::View)?;
    let areas = state
        .shipping
        .areas(scope.tenant, store.into_inner())
        .await?;
    Ok(web::Json(AreaList {
        items: areas.into_iter().map(AreaView::from).collect(),
    }))
}

/// Adds an area. Polygons are checked (closed rings, no ring crossing itself, at most 2,000
/// positions: 422 on `polygon` with the reason); neighbourhoods need `city` and `districts`.
#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)), request_body = AreaRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = AreaView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/stores/{store_id}/delivery-areas")]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    store: web::Path<StoreId>,
    body: ApiJson<AreaRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Shipping, Action::Create)?;
    let body = body.into_inner()?;
    let input = AreaInput {
        kind: required(body.kind, "kind")?,
        name: required(body.name, "name")?,
        city: body.city,
        districts: body.districts.unwrap_or_default(),
        polygon: body.polygon.map(shape).transpose()?,
        fee_cents: required(body.fee_cents, "fee_cents")?,
        min_order_cents: body.min_order_cents.unwrap_or(0),
        free_above_cents: body.free_above_cents.flatten(),
        eta_minutes: required(body.eta_minutes, "eta_minutes")?,
    };
    let area = state
        .shipping
        .save_area(scope.tenant, store.into_inner(), None, input, scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(AreaView::from(area)))
}

#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path), ("area_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AreaView), (status = 404, body = ErrorBody))
)]
#[get("/admin/stores/{store_id}/delivery-areas/{area_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(StoreId, AreaId)>,
) -> Result<web::Json<AreaView>, ApiError> {
    let scope = user.allow(Module::Shipping, Action::View)?;
    let (store, area) = path.into_inner();
    Ok(web::Json(
        state.shipping.area(scope.tenant, store, area).await?.into(),
    ))
}

#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path), ("area_id" = String, Path)), request_body = AreaRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AreaView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/admin/stores/{store_id}/delivery-areas/{area_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(StoreId, AreaId)>,
    body: ApiJson<AreaRequest>,
) -> Result<web::Json<AreaView>, ApiError> {
    let scope = user.allow(Module::Shipping, Action::Update)?;
    let body = body.into_inner()?;
    let (store, id) = path.into_inner();
    let current = state.shipping.area(scope.tenant, store, id).await?;
    let current = AreaView::from(current);
    let input = AreaInput {
        kind: body.kind.unwrap_or(current.kind),
        name: body.name.unwrap_or(current.name),
        city: body.city.or(current.city),
        districts: body.districts.unwrap_or(current.districts),
        polygon: body.polygon.or(current.polygon).map(shape).transpose()?,
        fee_cents: body.fee_cents.unwrap_or(current.fee_cents),
        min_order_cents: body.min_order_cents.unwrap_or(current.min_order_cents),
        free_above_cents: body.free_above_cents.unwrap_or(current.free_above_cents),
        eta_minutes: body.eta_minutes.unwrap_or(current.eta_minutes),
    };
    let area = state
        .shipping
        .save_area(scope.tenant, store, Some(id), input, scope.actor)
        .await?;
    Ok(web::Json(area.into()))
}

#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path), ("area_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/stores/{store_id}/delivery-areas/{area_id}")]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(StoreId, AreaId)>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Shipping, Action::Delete)?;
    let (store, area) = path.into_inner();
    state
        .shipping
        .delete_area(scope.tenant, store, area, scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
