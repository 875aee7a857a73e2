//! `/admin/billing`: the tenant's plan and subscription. Open to the owner (or a `billing`
//! grant) even while the subscription is inactive, so the tenant can pay and come back.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use comanda_domain::identity::{Permission, Role};
use comanda_domain::tenancy::{Action, Module};
use comanda_ports::billing::ChangeRequest;
use comanda_ports::plans::Plan;
use comanda_services::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, TenantScope};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub price_cents: i64,
    pub modules: Vec<String>,
    pub users_limit: i32,
    pub stores_limit: i32,
    pub trial_days: i32,
    pub is_active: bool,
}

impl From<Plan> for PlanView {
    fn from(plan: Plan) -> Self {
        Self {
            id: plan.id.to_string(),
            code: plan.code,
            name: plan.name,
            price_cents: plan.price_cents,
            modules: plan.modules.iter().map(|m| m.as_str().to_owned()).collect(),
            users_limit: plan.users_limit,
            stores_limit: plan.stores_limit,
            trial_days: plan.trial_days,
            is_active: plan.is_active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeRequestView {
    pub id: String,
    pub plan_code: String,
    pub status: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl From<ChangeRequest> for ChangeRequestView {
    fn from(request: ChangeRequest) -> Self {
        Self {
            id: request.id,
            plan_code: request.plan_code,
            status: request.status,
            note: request.note,
            created_at: request.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BillingView {
    pub subscription_status: String,
    pub plan: Option<PlanView>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// Plans the tenant may move to.
    pub plans: Vec<PlanView>,
    pub change_requests: Vec<ChangeRequestView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangeRequestInput {
    pub plan_code: String,
    #[serde(default)]
    pub note: String,
}

/// Billing is the owner's, or a manager's or operator's given `billing` by a group.
fn allow_billing(user: &CurrentUser, action: Action) -> Result<TenantScope<'_>, ApiError> {
    let scope = user.own_scope();
    let principal = scope.principal;
    let granted = principal.permissions.contains(&Permission {
        module: Module::Billing,
        action,
    });
    if principal.user.role == Role::Owner || (granted && principal.user.role != Role::Admin) {
        Ok(scope)
    } else {
        Err(ApiError::forbidden(
            ErrorCode::Forbidden,
            "Billing is for the tenant's owner",
        ))
    }
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = BillingView), (status = 403, body = ErrorBody))
)]
#[get("/admin/billing")]
pub async fn overview(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<BillingView>, ApiError> {
    let scope = allow_billing(&user, Action::View)?;
    let overview = state.billing.overview(scope.tenant).await?;
    let plans = state.billing.plans().await?;
    Ok(web::Json(BillingView {
        subscription_status: overview.status.as_str().to_owned(),
        plan: overview.plan.map(PlanView::from),
        current_period_end: overview.current_period_end,
        trial_ends_at: overview.trial_ends_at,
        plans: plans.into_iter().map(PlanView::from).collect(),
        change_requests: overview
            .change_requests
            .into_iter()
            .map(ChangeRequestView::from)
            .collect(),
    }))
}

/// Asks the operator to move the tenant to another plan.
#[utoipa::path(
    tag = "admin",
    request_body = ChangeRequestInput,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = ChangeRequestView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/billing/change-requests")]
pub async fn request_change(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ChangeRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let scope = allow_billing(&user, Action::Update)?;
    let body = body.into_inner()?;
    let request = state
        .billing
        .request_change(scope.tenant, &body.plan_code, &body.note, scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(ChangeRequestView::from(request)))
}
