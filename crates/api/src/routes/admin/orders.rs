//! `/admin/orders` and `/admin/customers` (modules `orders` and `customers`).

use actix_web::web;
use actix_web::{get, patch, post};
use chrono::{DateTime, Utc};
use comanda_domain::orders::OrderStatus;
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{CustomerId, OrderId};
use comanda_ports::customers::Customer;
use comanda_services::customers::CustomerEdit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery};
use crate::routes::orders::{OrderList, OrderQuery, OrderSummaryView, OrderView};
use crate::routes::patch;
use crate::state::AppState;

#[utoipa::path(
    tag = "admin", params(ListQuery, OrderQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderList), (status = 403, body = ErrorBody))
)]
#[get("/admin/orders")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<OrderQuery>,
) -> Result<web::Json<OrderList>, ApiError> {
    // The same list as the portal's `/orders`, under the admin prefix.
    crate::routes::orders::list_orders(state, user, page, query).await
}

/// The whole order (items, add-ons, payment, delivery, status history) in a fixed number of
/// queries, with its tracking token.
#[utoipa::path(
    tag = "admin", params(("order_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody))
)]
#[get("/admin/orders/{order_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<OrderId>,
) -> Result<web::Json<OrderView>, ApiError> {
    let scope = user.allow(Module::Orders, Action::View)?;
    let order = state.orders.get(scope.tenant, id.into_inner()).await?;
    let token = state.orders.tracking_token(order.id);
    Ok(web::Json(OrderView::new(order, Some(token))))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    /// The next status: `confirmed`, `preparing`, `ready`, `out_for_delivery`, `delivered`,
    /// `picked_up` or `canceled`.
    pub status: String,
    /// Required to cancel.
    pub reason: Option<String>,
}

/// Moves the order one step along its path (or cancels it); the customer is notified.
#[utoipa::path(
    tag = "admin", params(("order_id" = String, Path)),
    request_body = StatusRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, description = "`invalid_transition`", body = ErrorBody))
)]
#[post("/admin/orders/{order_id}/status")]
pub async fn set_status(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<OrderId>,
    body: ApiJson<StatusRequest>,
) -> Result<web::Json<OrderView>, ApiError> {
    let scope = user.allow(Module::Orders, Action::Update)?;
    let body = body.into_inner()?;
    let status = body
        .status
        .parse::<OrderStatus>()
        .map_err(|e| ApiError::field("status", e.to_string()))?;
    let order = state
        .orders
        .transition(
            scope.tenant,
            id.into_inner(),
            status,
            body.reason,
            scope.actor,
        )
        .await?;
    Ok(web::Json(OrderView::new(order, None)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelRequest {
    pub reason: String,
}

/// Cancels an order that is not final; its stock goes back.
#[utoipa::path(
    tag = "admin", params(("order_id" = String, Path)),
    request_body = CancelRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, description = "`invalid_transition`", body = ErrorBody))
)]
#[post("/admin/orders/{order_id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<OrderId>,
    body: ApiJson<CancelRequest>,
) -> Result<web::Json<OrderView>, ApiError> {
    let scope = user.allow(Module::Orders, Action::Update)?;
    let body = body.into_inner()?;
    let order = state
        .orders
        .transition(
            scope.tenant,
            id.into_inner(),
            OrderStatus::Canceled,
            Some(body.reason),
            scope.actor,
        )
        .await?;
    Ok(web::Json(OrderView::new(order, None)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub notes: String,
    pub orders_count: i64,
    pub total_spent_cents: i64,
    pub last_order_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Customer> for CustomerView {
    fn from(customer: Customer) -> Self {
        Self {
            id: customer.id.to_string(),
            name: customer.name,
            phone: customer.phone,
            email: customer.email,
            notes: customer.notes,
            orders_count: customer.orders_count,
            total_spent_cents: customer.total_spent_cents,
            last_order_at: customer.last_order_at,
            created_at: customer.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    pub items: Vec<CustomerView>,
    pub total: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDetail {
    #[serde(flatten)]
    pub customer: CustomerView,
    pub orders: OrderList,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Part of the name, or a phone however written.
    pub search: Option<String>,
}

#[utoipa::path(
    tag = "admin", params(ListQuery, CustomerQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CustomerList), (status = 403, body = ErrorBody))
)]
#[get("/admin/customers")]
pub async fn list_customers(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<CustomerQuery>,
) -> Result<web::Json<CustomerList>, ApiError> {
    let scope = user.allow(Module::Customers, Action::View)?;
    let customers = state
        .customers
        .list(
            scope.tenant,
            query.search.as_deref(),
            page.into_inner().page()?,
        )
        .await?;
    Ok(web::Json(CustomerList {
        total: customers.total,
        items: customers
            .items
            .into_iter()
            .map(CustomerView::from)
            .collect(),
    }))
}

#[utoipa::path(
    tag = "admin", params(("customer_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CustomerDetail), (status = 404, body = ErrorBody))
)]
#[get("/admin/customers/{customer_id}")]
pub async fn get_customer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CustomerId>,
) -> Result<web::Json<CustomerDetail>, ApiError> {
    let scope = user.allow(Module::Customers, Action::View)?;
    let (customer, orders) = state.customers.get(scope.tenant, id.into_inner()).await?;
    Ok(web::Json(CustomerDetail {
        customer: customer.into(),
        orders: OrderList {
            total: orders.total,
            items: orders
                .items
                .into_iter()
                .map(OrderSummaryView::from)
                .collect(),
        },
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub notes: Option<String>,
}

#[utoipa::path(
    tag = "admin", params(("customer_id" = String, Path)),
    request_body = CustomerPatch,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody), (status = 409, description = "`phone_taken`", body = ErrorBody))
)]
#[patch("/admin/customers/{customer_id}")]
pub async fn update_customer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CustomerId>,
    body: ApiJson<CustomerPatch>,
) -> Result<web::Json<CustomerView>, ApiError> {
    let scope = user.allow(Module::Customers, Action::Update)?;
    let body = body.into_inner()?;
    let edit = CustomerEdit {
        name: body.name,
        phone: body.phone,
        email: body.email,
        notes: body.notes,
    };
    let customer = state
        .customers
        .update(scope.tenant, id.into_inner(), edit, scope.actor)
        .await?;
    Ok(web::Json(customer.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeRequest {
    /// The customer that stays.
    pub survivor_id: String,
    /// The customer whose orders move to the survivor; it is removed.
    pub merged_id: String,
}

#[utoipa::path(
    tag = "admin", request_body = MergeRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/customers/merge")]
pub async fn merge_customers(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<MergeRequest>,
) -> Result<web::Json<CustomerView>, ApiError> {
    let scope = user.allow(Module::Customers, Action::Update)?;
    let body = body.into_inner()?;
    let survivor: CustomerId = body
        .survivor_id
        .parse()
        .map_err(|_| ApiError::not_found("customer not found"))?;
    let merged: CustomerId = body
        .merged_id
        .parse()
        .map_err(|_| ApiError::not_found("customer not found"))?;
    let customer = state
        .customers
        .merge(scope.tenant, survivor, merged, scope.actor)
        .await?;
    Ok(web::Json(customer.into()))
}
