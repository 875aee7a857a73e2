//! `/admin/inventory`: stock per store and product, adjustments, the movement log.

use actix_web::web;
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{ProductId, StoreId};
use comanda_ports::inventory::{Adjustment, StockLevel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery};
use crate::routes::parse_id;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StockLevelView {
    pub store_id: String,
    pub product_id: String,
    pub product_name: String,
    pub track_stock: bool,
    pub quantity: i32,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<StockLevel> for StockLevelView {
    fn from(level: StockLevel) -> Self {
        Self {
            store_id: level.store_id.to_string(),
            product_id: level.product_id.to_string(),
            product_name: level.product_name,
            track_stock: level.track_stock,
            quantity: level.quantity,
            updated_at: level.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockList {
    pub items: Vec<StockLevelView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockLevelsQuery {
    pub store_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InventoryQuery {
    pub store_id: Option<String>,
    pub product_id: Option<String>,
}

/// Stock per product (that tracks it) in a store.
#[utoipa::path(
    tag = "admin", params(ListQuery, StockLevelsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = StockList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[get("/admin/inventory")]
pub async fn levels(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<StockLevelsQuery>,
) -> Result<web::Json<StockList>, ApiError> {
    let scope = user.allow(Module::Inventory, Action::View)?;
    let store = query
        .store_id
        .as_deref()
        .ok_or_else(|| ApiError::field("store_id", "store_id is required"))
        .and_then(|raw| parse_id::<StoreId>(raw, "store_id"))?;
    let levels = state
        .inventory
        .levels(scope.tenant, store, page.into_inner().page()?)
        .await?;
    Ok(web::Json(StockList {
        total: levels.total,
        items: levels.items.into_iter().map(StockLevelView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AdjustmentRequest {
    pub store_id: String,
    pub product_id: String,
    /// Units to add (negative to remove), or
    pub delta: Option<i32>,
    /// the counted level.
    pub quantity: Option<i32>,
    /// Why (a count, breakage, a delivery…).
    pub reason: String,
}

/// Changes a stock level with a reason; recorded in the movement log.
#[utoipa::path(
    tag = "admin", request_body = AdjustmentRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = StockLevelView), (status = 404, body = ErrorBody), (status = 409, description = "`negative_stock`", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/inventory/adjustments")]
pub async fn adjust(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<AdjustmentRequest>,
) -> Result<web::Json<StockLevelView>, ApiError> {
    let scope = user.allow(Module::Inventory, Action::Update)?;
    let body = body.into_inner()?;
    let adjustment = match (body.delta, body.quantity) {
        (Some(delta), None) => Adjustment::Delta(delta),
        (None, Some(quantity)) => Adjustment::Set(quantity),
        _ => return Err(ApiError::field("delta", "send either delta or quantity")),
    };
    // Ids that are not ids name nothing of this tenant.
    let store: StoreId = body
        .store_id
        .parse()
        .map_err(|_| ApiError::not_found("store not found"))?;
    let product: ProductId = body
        .product_id
        .parse()
        .map_err(|_| ApiError::not_found("product not found"))?;
    let level = state
        .inventory
        .adjust(
            scope.tenant,
            store,
            product,
            adjustment,
            &body.reason,
            scope.actor,
        )
        .await?;
    Ok(web::Json(level.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    pub id: String,
    pub store_id: String,
    pub product_id: String,
    pub delta: i32,
    pub quantity_after: i32,
    /// `sale`, `cancel`, `adjustment` or `import`.
    pub reason: String,
    pub note: String,
    pub order_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementList {
    pub items: Vec<MovementView>,
    pub total: u64,
}

#[utoipa::path(
    tag = "admin", params(ListQuery, InventoryQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MovementList), (status = 403, body = ErrorBody))
)]
#[get("/admin/inventory/movements")]
pub async fn movements(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<InventoryQuery>,
) -> Result<web::Json<MovementList>, ApiError> {
    let scope = user.allow(Module::Inventory, Action::View)?;
    let query = query.into_inner();
    let store = query
        .store_id
        .as_deref()
        .map(|raw| parse_id::<StoreId>(raw, "store_id"))
        .transpose()?;
    let product = query
        .product_id
        .as_deref()
        .map(|raw| parse_id::<ProductId>(raw, "product_id"))
        .transpose()?;
    let movements = state
        .inventory
        .movements(scope.tenant, store, product, page.into_inner().page()?)
        .await?;
    Ok(web::Json(MovementList {
        total: movements.total,
        items: movements
            .items
            .into_iter()
            .map(|movement| MovementView {
                id: movement.id,
                store_id: movement.store_id.to_string(),
                product_id: movement.product_id.to_string(),
                delta: movement.delta,
                quantity_after: movement.quantity_after,
                reason: movement.reason,
                note: movement.note,
                order_id: movement.order_id.map(|id| id.to_string()),
                actor_user_id: movement.actor_user_id.map(|id| id.to_string()),
                created_at: movement.created_at,
            })
            .collect(),
    }))
}
