use actix_web::get;
use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;

#[derive(Debug, Serialize, ToSchema)]
pub struct ModulesResponse {
    /// The modules this user can see; empty while the subscription is not active.
    pub modules: Vec<String>,
    pub subscription_status: String,
}

/// The modules the signed-in user can see. Answers whatever the subscription, so the portal
/// can show why everything else is closed.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ModulesResponse), (status = 401, body = ErrorBody))
)]
#[get("/admin/modules")]
pub async fn list(user: CurrentUser) -> Result<web::Json<ModulesResponse>, ApiError> {
    let principal = user.own_scope().principal;
    let modules = principal
        .grants()
        .visible_modules()
        .iter()
        .map(|module| module.as_str().to_owned())
        .collect();
    Ok(web::Json(ModulesResponse {
        modules,
        subscription_status: principal.tenant.subscription_status.as_str().to_owned(),
    }))
}
