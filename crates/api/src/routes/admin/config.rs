//! `/admin/config`: the tenant's operational settings.

use comanda_domain::pizza::PizzaPricing;
use std::collections::BTreeMap;

use actix_web::web;
use actix_web::{get, put};
use comanda_domain::tenancy::{Action, Module};
use comanda_ports::config::TenantConfig;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// The tenant's operational settings, applied by checkout.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfigView {
    pub accepting_orders: bool,
    pub min_order_cents: i64,
    pub preparation_minutes: i32,
    pub preorders_enabled: bool,
    /// Message texts by name, e.g. `order_confirmed`.
    #[serde(default)]
    pub message_templates: BTreeMap<String, String>,
    /// `proportional` (default: the average of the flavours' prices for the size, rounded half
    /// up) or `highest` (the dearest flavour's).
    #[serde(default)]
    #[schema(value_type = String, example = "proportional")]
    pub pizza_pricing: PizzaPricing,
    /// New orders move to `confirmed` by themselves (PIX orders once paid), recorded in the
    /// history as the system.
    #[serde(default)]
    pub auto_accept: bool,
}

impl From<TenantConfig> for ConfigView {
    fn from(config: TenantConfig) -> Self {
        Self {
            accepting_orders: config.accepting_orders,
            min_order_cents: config.min_order_cents,
            preparation_minutes: config.preparation_minutes,
            preorders_enabled: config.preorders_enabled,
            message_templates: config.message_templates,
            pizza_pricing: config.pizza_pricing,
            auto_accept: config.auto_accept,
        }
    }
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ConfigView), (status = 403, body = ErrorBody))
)]
#[get("/admin/config")]
pub async fn get_config(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<ConfigView>, ApiError> {
    let scope = user.allow(Module::Config, Action::View)?;
    Ok(web::Json(state.config.get(scope.tenant).await?.into()))
}

#[utoipa::path(
    tag = "admin", request_body = ConfigView,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ConfigView), (status = 422, body = ErrorBody))
)]
#[put("/admin/config")]
pub async fn put_config(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ConfigView>,
) -> Result<web::Json<ConfigView>, ApiError> {
    let scope = user.allow(Module::Config, Action::Update)?;
    let body = body.into_inner()?;
    let config = TenantConfig {
        accepting_orders: body.accepting_orders,
        min_order_cents: body.min_order_cents,
        preparation_minutes: body.preparation_minutes,
        preorders_enabled: body.preorders_enabled,
        message_templates: body.message_templates,
        pizza_pricing: body.pizza_pricing,
        auto_accept: body.auto_accept,
    };
    Ok(web::Json(
        state
            .config
            .put(scope.tenant, config, scope.actor)
            .await?
            .into(),
    ))
}
