//! `/admin/customers`: search, detail with order history, edit, merge.

use actix_web::web;
use actix_web::{get, patch, post};
use chrono::{DateTime, Utc};
use comanda_domain::CustomerId;
use comanda_domain::tenancy::{Action, Module};
use comanda_ports::customers::Customer;
use comanda_services::customers::CustomerEdit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery};
use crate::routes::orders::{OrderList, OrderSummaryView};
use crate::routes::patch;
use crate::state::AppState;

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
