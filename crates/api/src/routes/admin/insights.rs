//! `/admin/insights`: a period's figures, for a store or the whole tenant.

use std::collections::BTreeMap;

use actix_web::get;
use actix_web::web;
use chrono::{DateTime, Utc};
use comanda_domain::StoreId;
use comanda_domain::tenancy::{Action, Module};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;
use crate::routes::parse_id;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InsightsQuery {
    /// Start (default: 30 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// End, exclusive (default: now).
    pub to: Option<DateTime<Utc>>,
    pub store_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopProductView {
    pub product_id: Option<String>,
    pub name: String,
    pub quantity: i64,
    pub revenue_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InsightsView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Of orders not canceled.
    pub revenue_cents: i64,
    pub order_count: i64,
    pub average_ticket_cents: i64,
    #[schema(value_type = Object)]
    pub orders_by_status: BTreeMap<String, i64>,
    /// Hour of day (0–23, São Paulo time) → orders.
    #[schema(value_type = Object)]
    pub orders_by_hour: BTreeMap<String, i64>,
    /// ISO weekday (1 = Monday) → orders.
    #[schema(value_type = Object)]
    pub orders_by_weekday: BTreeMap<String, i64>,
    pub top_products: Vec<TopProductView>,
    pub new_customers: i64,
    pub returning_customers: i64,
}

#[utoipa::path(
    tag = "admin", params(InsightsQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = InsightsView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[get("/admin/insights")]
pub async fn insights(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<InsightsQuery>,
) -> Result<web::Json<InsightsView>, ApiError> {
    let scope = user.allow(Module::Insights, Action::View)?;
    let query = query.into_inner();
    let store = query
        .store_id
        .as_deref()
        .map(|raw| parse_id::<StoreId>(raw, "store_id"))
        .transpose()?;
    let (figures, from, to) = state
        .insights
        .insights(scope.tenant, query.from, query.to, store)
        .await?;
    Ok(web::Json(InsightsView {
        from,
        to,
        revenue_cents: figures.revenue_cents,
        order_count: figures.order_count,
        average_ticket_cents: figures.average_ticket_cents,
        orders_by_status: figures.orders_by_status,
        orders_by_hour: figures
            .orders_by_hour
            .into_iter()
            .map(|(hour, n)| (hour.to_string(), n))
            .collect(),
        orders_by_weekday: figures
            .orders_by_weekday
            .into_iter()
            .map(|(day, n)| (day.to_string(), n))
            .collect(),
        top_products: figures
            .top_products
            .into_iter()
            .map(|top| TopProductView {
                product_id: top.product_id.map(|id| id.to_string()),
                name: top.name,
                quantity: top.quantity,
                revenue_cents: top.revenue_cents,
            })
            .collect(),
        new_customers: figures.new_customers,
        returning_customers: figures.returning_customers,
    }))
}
