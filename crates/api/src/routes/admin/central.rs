//! `/admin/central/*`: the SaaS operator's console (docs/api.md#the-central-admin), for the owner of the
//! `SUPER_ADMIN_TENANT_SLUG` tenant only.

use actix_web::{delete, get, patch, post, put};
use comanda_services::ErrorCode;
use std::collections::{BTreeMap, BTreeSet};

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use comanda_domain::identity::Role;
use comanda_domain::tenancy::{Module, SubscriptionStatus};
use comanda_domain::{PlanId, TenantId, UserId};
use comanda_ports::central::{MessagingConfig, TenantChanges, TenantFilter, TenantSummary};
use comanda_ports::plans::PlanInput;
use comanda_services::central::{NewTenantInput, OwnerInput};
use comanda_services::users::Acting;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ListQuery, SuperAdmin};
use crate::routes::admin::billing::PlanView;
use crate::routes::admin::users::{
    CreateUserRequest, UpdateUserRequest, UserList, create_input, update_input,
};
use crate::routes::auth::UserView;
use crate::state::AppState;

fn parse_status(raw: &str) -> Result<SubscriptionStatus, ApiError> {
    raw.parse::<SubscriptionStatus>()
        .map_err(|error| ApiError::field("status", error.to_string()))
}

fn parse_modules(raw: &[String]) -> Result<BTreeSet<Module>, ApiError> {
    raw.iter()
        .enumerate()
        .map(|(index, module)| {
            module
                .parse::<Module>()
                .map_err(|error| ApiError::field(&format!("modules[{index}]"), error.to_string()))
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub is_active: bool,
    pub subscription_status: String,
    pub plan_code: Option<String>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// Each module with where it comes from: `plan` or `manual`.
    #[schema(value_type = Object)]
    pub modules: BTreeMap<String, String>,
    pub users_limit: i32,
    pub stores_limit: i32,
    pub first_access_test_mode: bool,
    pub created_at: DateTime<Utc>,
}

impl From<TenantSummary> for TenantView {
    fn from(tenant: TenantSummary) -> Self {
        Self {
            id: tenant.id.to_string(),
            slug: tenant.slug.to_string(),
            name: tenant.name,
            is_active: tenant.is_active,
            subscription_status: tenant.subscription_status.as_str().to_owned(),
            plan_code: tenant.plan_code,
            current_period_end: tenant.current_period_end,
            trial_ends_at: tenant.trial_ends_at,
            modules: tenant
                .modules
                .iter()
                .map(|(module, source)| (module.as_str().to_owned(), source.as_str().to_owned()))
                .collect(),
            users_limit: tenant.users_limit,
            stores_limit: tenant.stores_limit,
            first_access_test_mode: tenant.first_access_test_mode,
            created_at: tenant.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    pub items: Vec<TenantView>,
    pub total: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardView {
    pub tenants_total: u64,
    pub tenants_active: u64,
    #[schema(value_type = Object)]
    pub tenants_by_status: BTreeMap<String, u64>,
    pub users_total: u64,
    pub stores_total: u64,
    pub orders_total: u64,
    /// Of orders not canceled, across every tenant.
    pub revenue_cents: i64,
}

#[utoipa::path(
    tag = "central",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DashboardView), (status = 403, body = ErrorBody))
)]
#[get("/admin/central/dashboard")]
pub async fn dashboard(
    state: web::Data<AppState>,
    _admin: SuperAdmin,
) -> Result<web::Json<DashboardView>, ApiError> {
    let dashboard = state.central.dashboard().await?;
    Ok(web::Json(DashboardView {
        tenants_total: dashboard.tenants_total,
        tenants_active: dashboard.tenants_active,
        tenants_by_status: dashboard
            .tenants_by_status
            .into_iter()
            .map(|(status, count)| (status.as_str().to_owned(), count))
            .collect(),
        users_total: dashboard.users_total,
        stores_total: dashboard.stores_total,
        orders_total: dashboard.orders_total,
        revenue_cents: dashboard.revenue_cents,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantQuery {
    /// Subscription status.
    pub status: Option<String>,
    /// Part of the slug or name.
    pub search: Option<String>,
}

#[utoipa::path(
    tag = "central", params(ListQuery, TenantQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TenantList), (status = 403, body = ErrorBody))
)]
#[get("/admin/central/tenants")]
pub async fn list_tenants(
    state: web::Data<AppState>,
    _admin: SuperAdmin,
    page: web::Query<ListQuery>,
    query: web::Query<TenantQuery>,
) -> Result<web::Json<TenantList>, ApiError> {
    let query = query.into_inner();
    let filter = TenantFilter {
        status: query.status.as_deref().map(parse_status).transpose()?,
        search: query.search,
    };
    let tenants = state
        .central
        .list_tenants(&filter, page.into_inner().page()?)
        .await?;
    Ok(web::Json(TenantList {
        total: tenants.total,
        items: tenants.items.into_iter().map(TenantView::from).collect(),
    }))
}

/// The tenant's future owner: they receive the invite and set their password on
/// `POST /auth/signup`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OwnerRequest {
    pub email: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTenantRequest {
    pub slug: String,
    pub name: String,
    /// Plan whose modules and limits the tenant starts with.
    pub plan_code: Option<String>,
    /// Default: `trialing` when the plan has trial days, else `active`.
    pub status: Option<String>,
    /// The owner to invite. Without one, nobody can sign up until an invite is made
    /// (`POST /admin/central/tenants/{tenant_id}/owner-invite`).
    pub owner: Option<OwnerRequest>,
}

/// A new tenant, and the owner's one-time invite when an owner was named.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenantView {
    #[serde(flatten)]
    pub tenant: TenantView,
    /// Shown this once: hand it to the owner, who spends it on `POST /auth/signup`
    /// (`invite_token`) within 7 days.
    pub owner_invite_token: Option<String>,
    pub owner_invite_expires_at: Option<DateTime<Utc>>,
}

fn owner_input(owner: OwnerRequest) -> OwnerInput {
    OwnerInput {
        email: owner.email,
        name: owner.name,
    }
}

#[utoipa::path(
    tag = "central", request_body = CreateTenantRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = CreatedTenantView), (status = 409, description = "`slug_taken`", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/central/tenants")]
pub async fn create_tenant(
    state: web::Data<AppState>,
    user: SuperAdmin,
    body: ApiJson<CreateTenantRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let status = body.status.as_deref().map(parse_status).transpose()?;
    let (tenant, invite) = state
        .central
        .create_tenant(
            NewTenantInput {
                slug: body.slug,
                name: body.name,
                plan_code: body.plan_code,
                status,
                owner: body.owner.map(owner_input),
            },
            &user.actor,
        )
        .await?;
    let (owner_invite_token, owner_invite_expires_at) = match invite {
        Some(invite) => (Some(invite.token), Some(invite.expires_at)),
        None => (None, None),
    };
    Ok(HttpResponse::Created().json(CreatedTenantView {
        tenant: TenantView::from(tenant),
        owner_invite_token,
        owner_invite_expires_at,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerInviteView {
    /// Shown this once; earlier unspent invites of the tenant no longer work.
    pub owner_invite_token: String,
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// A new owner invite for a tenant that has no user yet (the first was lost or expired).
#[utoipa::path(
    tag = "central",
    params(("tenant_id" = String, Path)), request_body = OwnerRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, body = OwnerInviteView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_bootstrapped`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/admin/central/tenants/{tenant_id}/owner-invite")]
pub async fn invite_owner(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
    body: ApiJson<OwnerRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let invite = state
        .central
        .invite_owner(id.into_inner(), &owner_input(body), &user.actor)
        .await?;
    Ok(HttpResponse::Created().json(OwnerInviteView {
        owner_invite_token: invite.token,
        email: invite.email.to_string(),
        expires_at: invite.expires_at,
    }))
}

#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TenantView), (status = 404, body = ErrorBody))
)]
#[get("/admin/central/tenants/{tenant_id}")]
pub async fn get_tenant(
    state: web::Data<AppState>,
    _admin: SuperAdmin,
    id: web::Path<TenantId>,
) -> Result<web::Json<TenantView>, ApiError> {
    Ok(web::Json(
        state.central.tenant(id.into_inner()).await?.into(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateTenantRequest {
    pub name: Option<String>,
    pub is_active: Option<bool>,
    pub status: Option<String>,
    pub users_limit: Option<i32>,
    pub stores_limit: Option<i32>,
}

#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    request_body = UpdateTenantRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TenantView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/admin/central/tenants/{tenant_id}")]
pub async fn update_tenant(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
    body: ApiJson<UpdateTenantRequest>,
) -> Result<web::Json<TenantView>, ApiError> {
    let body = body.into_inner()?;
    let changes = TenantChanges {
        name: body.name,
        is_active: body.is_active,
        users_limit: body.users_limit,
        stores_limit: body.stores_limit,
        subscription_status: body.status.as_deref().map(parse_status).transpose()?,
        first_access_test_mode: None,
    };
    let tenant = state
        .central
        .update_tenant(id.into_inner(), changes, &user.actor)
        .await?;
    Ok(web::Json(tenant.into()))
}

/// Deactivates the tenant: its data stays, its requests answer 404 `tenant_not_found`.
#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deactivated"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/central/tenants/{tenant_id}")]
pub async fn deactivate_tenant(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if Some(id) == Some(user.principal.tenant.id) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            ErrorCode::CannotDeactivateSelf,
            "The central admin's own tenant cannot be deactivated",
        ));
    }
    let changes = TenantChanges {
        is_active: Some(false),
        ..TenantChanges::default()
    };
    state
        .central
        .update_tenant(id, changes, &user.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LimitsRequest {
    pub users_limit: i32,
    pub stores_limit: i32,
}

#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    request_body = LimitsRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TenantView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/central/tenants/{tenant_id}/limits")]
pub async fn set_limits(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
    body: ApiJson<LimitsRequest>,
) -> Result<web::Json<TenantView>, ApiError> {
    let body = body.into_inner()?;
    let changes = TenantChanges {
        users_limit: Some(body.users_limit),
        stores_limit: Some(body.stores_limit),
        ..TenantChanges::default()
    };
    let tenant = state
        .central
        .update_tenant(id.into_inner(), changes, &user.actor)
        .await?;
    Ok(web::Json(tenant.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ModulesRequest {
    /// Exactly the modules the tenant gets; ones not from its plan are kept across plan changes.
    pub modules: Vec<String>,
}

#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    request_body = ModulesRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TenantView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/central/tenants/{tenant_id}/modules")]
pub async fn set_modules(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
    body: ApiJson<ModulesRequest>,
) -> Result<web::Json<TenantView>, ApiError> {
    let body = body.into_inner()?;
    let modules = parse_modules(&body.modules)?;
    let tenant = state
        .central
        .set_modules(id.into_inner(), &modules, &user.actor)
        .await?;
    Ok(web::Json(tenant.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignPlanRequest {
    pub plan_code: String,
}

/// Moves the tenant to a plan: the plan's modules replace the old plan's, modules granted by
/// hand stay, limits come from the plan.
#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    request_body = AssignPlanRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TenantView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/central/tenants/{tenant_id}/plan")]
pub async fn assign_plan(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
    body: ApiJson<AssignPlanRequest>,
) -> Result<web::Json<TenantView>, ApiError> {
    let body = body.into_inner()?;
    let tenant = state
        .central
        .assign_plan(id.into_inner(), &body.plan_code, &user.actor)
        .await?;
    Ok(web::Json(tenant.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagingView {
    pub whatsapp_phone_number_id: Option<String>,
    /// Tokens are never shown back: only whether one is set.
    pub whatsapp_access_token_set: bool,
    pub whatsapp_verify_token_set: bool,
    pub telegram_bot_token_set: bool,
}

impl From<MessagingConfig> for MessagingView {
    fn from(config: MessagingConfig) -> Self {
        Self {
            whatsapp_phone_number_id: config.whatsapp_phone_number_id,
            whatsapp_access_token_set: config.whatsapp_access_token.is_some(),
            whatsapp_verify_token_set: config.whatsapp_verify_token.is_some(),
            telegram_bot_token_set: config.telegram_bot_token.is_some(),
        }
    }
}

/// Absent fields stay as they are; an empty string clears one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MessagingRequest {
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_access_token: Option<String>,
    pub whatsapp_verify_token: Option<String>,
    pub telegram_bot_token: Option<String>,
}

#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MessagingView), (status = 404, body = ErrorBody))
)]
#[get("/admin/central/tenants/{tenant_id}/messaging")]
pub async fn messaging(
    state: web::Data<AppState>,
    _admin: SuperAdmin,
    id: web::Path<TenantId>,
) -> Result<web::Json<MessagingView>, ApiError> {
    Ok(web::Json(
        state.central.messaging(id.into_inner()).await?.into(),
    ))
}

#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    request_body = MessagingRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MessagingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[put("/admin/central/tenants/{tenant_id}/messaging")]
pub async fn set_messaging(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
    body: ApiJson<MessagingRequest>,
) -> Result<web::Json<MessagingView>, ApiError> {
    let body = body.into_inner()?;
    let config = MessagingConfig {
        whatsapp_phone_number_id: body.whatsapp_phone_number_id,
        whatsapp_access_token: body.whatsapp_access_token,
        whatsapp_verify_token: body.whatsapp_verify_token,
        telegram_bot_token: body.telegram_bot_token,
    };
    let saved = state
        .central
        .set_messaging(id.into_inner(), config, &user.actor)
        .await?;
    Ok(web::Json(saved.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FirstAccessRequest {
    pub enabled: bool,
}

/// With the test mode on, the tenant's onboarding is shown afresh; no data is deleted.
#[utoipa::path(
    tag = "central",
    params(("tenant_id" = String, Path)),
    request_body = FirstAccessRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TenantView), (status = 404, body = ErrorBody))
)]
#[put("/admin/central/tenants/{tenant_id}/first-access-test")]
pub async fn first_access_test(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
    body: ApiJson<FirstAccessRequest>,
) -> Result<web::Json<TenantView>, ApiError> {
    let body = body.into_inner()?;
    let changes = TenantChanges {
        first_access_test_mode: Some(body.enabled),
        ..TenantChanges::default()
    };
    let tenant = state
        .central
        .update_tenant(id.into_inner(), changes, &user.actor)
        .await?;
    Ok(web::Json(tenant.into()))
}

/// The central admin acts with an owner's authority in any tenant: an owner holds every
/// permission, so no group of theirs is needed to grant.
fn central_acting(user: &SuperAdmin) -> Acting {
    Acting {
        user_id: Some(user.principal.user.id),
        role: Role::Owner,
        permissions: BTreeSet::new(),
    }
}

#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path), ListQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = UserList), (status = 404, body = ErrorBody))
)]
#[get("/admin/central/tenants/{tenant_id}/users")]
pub async fn list_tenant_users(
    state: web::Data<AppState>,
    _admin: SuperAdmin,
    id: web::Path<TenantId>,
    page: web::Query<ListQuery>,
) -> Result<web::Json<UserList>, ApiError> {
    let tenant = state.central.tenant(id.into_inner()).await?;
    let users = state
        .users
        .list(tenant.id, None, page.into_inner().page()?)
        .await?;
    Ok(web::Json(UserList {
        total: users.total,
        items: users.items.into_iter().map(UserView::from).collect(),
    }))
}

#[utoipa::path(
    tag = "central", params(("tenant_id" = String, Path)),
    request_body = CreateUserRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = UserView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[post("/admin/central/tenants/{tenant_id}/users")]
pub async fn create_tenant_user(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<TenantId>,
    body: ApiJson<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let tenant = state.central.tenant(id.into_inner()).await?;
    let created = state
        .users
        .create(
            tenant.id,
            tenant.users_limit,
            &central_acting(&user),
            create_input(body)?,
            &user.actor,
        )
        .await?;
    Ok(HttpResponse::Created().json(UserView::from(created)))
}

#[utoipa::path(
    tag = "central",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    request_body = UpdateUserRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "`last_owner` or `limit_reached`", body = ErrorBody))
)]
#[patch("/admin/central/tenants/{tenant_id}/users/{user_id}")]
pub async fn update_tenant_user(
    state: web::Data<AppState>,
    user: SuperAdmin,
    ids: web::Path<(TenantId, UserId)>,
    body: ApiJson<UpdateUserRequest>,
) -> Result<web::Json<UserView>, ApiError> {
    let body = body.into_inner()?;
    let (tenant_id, user_id) = ids.into_inner();
    let tenant = state.central.tenant(tenant_id).await?;
    let updated = state
        .users
        .update(
            tenant.id,
            tenant.users_limit,
            &central_acting(&user),
            user_id,
            update_input(body)?,
            &user.actor,
        )
        .await?;
    Ok(web::Json(updated.into()))
}

#[utoipa::path(
    tag = "central",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/central/tenants/{tenant_id}/users/{user_id}")]
pub async fn delete_tenant_user(
    state: web::Data<AppState>,
    user: SuperAdmin,
    ids: web::Path<(TenantId, UserId)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, user_id) = ids.into_inner();
    let tenant = state.central.tenant(tenant_id).await?;
    state
        .users
        .delete(tenant.id, &central_acting(&user), user_id, &user.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PlanRequest {
    pub code: String,
    pub name: String,
    pub price_cents: i64,
    #[serde(default)]
    pub modules: Vec<String>,
    pub users_limit: i32,
    pub stores_limit: i32,
    #[serde(default)]
    pub trial_days: i32,
    #[serde(default = "enabled")]
    pub is_active: bool,
}

fn enabled() -> bool {
    true
}

fn plan_input(body: PlanRequest) -> Result<PlanInput, ApiError> {
    Ok(PlanInput {
        modules: parse_modules(&body.modules)?,
        code: body.code.trim().to_owned(),
        name: body.name.trim().to_owned(),
        price_cents: body.price_cents,
        users_limit: body.users_limit,
        stores_limit: body.stores_limit,
        trial_days: body.trial_days,
        is_active: body.is_active,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<PlanView>,
    pub total: u64,
}

#[utoipa::path(
    tag = "central",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PlanList), (status = 403, body = ErrorBody))
)]
#[get("/admin/central/plans")]
pub async fn list_plans(
    state: web::Data<AppState>,
    _admin: SuperAdmin,
) -> Result<web::Json<PlanList>, ApiError> {
    let plans = state.central.plans(true).await?;
    Ok(web::Json(PlanList {
        total: plans.len() as u64,
        items: plans.into_iter().map(PlanView::from).collect(),
    }))
}

#[utoipa::path(
    tag = "central", request_body = PlanRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = PlanView), (status = 409, description = "`plan_code_taken`", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/central/plans")]
pub async fn create_plan(
    state: web::Data<AppState>,
    user: SuperAdmin,
    body: ApiJson<PlanRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let plan = state
        .central
        .create_plan(plan_input(body)?, &user.actor)
        .await?;
    Ok(HttpResponse::Created().json(PlanView::from(plan)))
}

#[utoipa::path(
    tag = "central", params(("plan_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PlanView), (status = 404, body = ErrorBody))
)]
#[get("/admin/central/plans/{plan_id}")]
pub async fn get_plan(
    state: web::Data<AppState>,
    _admin: SuperAdmin,
    id: web::Path<PlanId>,
) -> Result<web::Json<PlanView>, ApiError> {
    Ok(web::Json(state.central.plan(id.into_inner()).await?.into()))
}

#[utoipa::path(
    tag = "central", params(("plan_id" = String, Path)),
    request_body = PlanRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PlanView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/central/plans/{plan_id}")]
pub async fn update_plan(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<PlanId>,
    body: ApiJson<PlanRequest>,
) -> Result<web::Json<PlanView>, ApiError> {
    let body = body.into_inner()?;
    let plan = state
        .central
        .update_plan(id.into_inner(), plan_input(body)?, &user.actor)
        .await?;
    Ok(web::Json(plan.into()))
}

#[utoipa::path(
    tag = "central", params(("plan_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody), (status = 409, description = "`plan_in_use`", body = ErrorBody))
)]
#[delete("/admin/central/plans/{plan_id}")]
pub async fn delete_plan(
    state: web::Data<AppState>,
    user: SuperAdmin,
    id: web::Path<PlanId>,
) -> Result<HttpResponse, ApiError> {
    state
        .central
        .delete_plan(id.into_inner(), &user.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
