//! `/admin/users`: the tenant's staff accounts (module `users`).

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use comanda_domain::identity::Role;
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{GroupId, UserId};
use comanda_services::users::{Acting, CreateUser, UpdateUser};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::parse_ids;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery, TenantScope};
use crate::routes::auth::UserView;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    /// Part of the name or e-mail.
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    pub email: String,
    #[serde(default)]
    pub name: String,
    pub password: String,
    #[schema(example = "operator")]
    pub role: String,
    #[serde(default)]
    pub group_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    pub name: Option<String>,
    pub role: Option<String>,
    pub is_active: Option<bool>,
    /// A new password; every session of the user ends.
    pub password: Option<String>,
    pub group_ids: Option<Vec<String>>,
}

pub(crate) fn parse_role(raw: &str) -> Result<Role, ApiError> {
    raw.parse::<Role>()
        .map_err(|error| ApiError::field("role", error.to_string()))
}

pub(crate) fn acting(scope: &TenantScope<'_>) -> Acting {
    Acting {
        user_id: Some(scope.principal.user.id),
        role: scope.principal.user.role,
        permissions: scope.principal.permissions.clone(),
    }
}

pub(crate) fn create_input(body: CreateUserRequest) -> Result<CreateUser, ApiError> {
    Ok(CreateUser {
        role: parse_role(&body.role)?,
        group_ids: parse_ids::<GroupId>(&body.group_ids, "group_ids")?,
        email: body.email,
        name: body.name,
        password: body.password,
    })
}

pub(crate) fn update_input(body: UpdateUserRequest) -> Result<UpdateUser, ApiError> {
    Ok(UpdateUser {
        role: body.role.as_deref().map(parse_role).transpose()?,
        group_ids: body
            .group_ids
            .as_deref()
            .map(|ids| parse_ids::<GroupId>(ids, "group_ids"))
            .transpose()?,
        name: body.name,
        is_active: body.is_active,
        password: body.password,
    })
}

#[utoipa::path(
    tag = "admin",
    params(ListQuery, UserSearch),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = UserList),
        (status = 403, description = "`module_disabled` or `forbidden`", body = ErrorBody),
    )
)]
#[get("/admin/users")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    search: web::Query<UserSearch>,
) -> Result<web::Json<UserList>, ApiError> {
    let scope = user.allow(Module::Users, Action::View)?;
    let users = state
        .users
        .list(
            scope.tenant,
            search.search.as_deref(),
            page.into_inner().page()?,
        )
        .await?;
    Ok(web::Json(UserList {
        total: users.total,
        items: users.items.into_iter().map(UserView::from).collect(),
    }))
}

/// Creates a staff account. The tenant's `users_limit` counts active users (409
/// `limit_reached`); nobody gives a role above their own, nor a group carrying a permission
/// they do not hold (403 `forbidden`).
#[utoipa::path(
    tag = "admin",
    request_body = CreateUserRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, body = UserView),
        (status = 403, description = "`module_disabled` or `forbidden`", body = ErrorBody),
        (status = 409, description = "`limit_reached` or `email_taken`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/admin/users")]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Users, Action::Create)?;
    let body = body.into_inner()?;
    let tenant = &scope.principal.tenant;
    let created = state
        .users
        .create(
            tenant.id,
            tenant.users_limit,
            &acting(&scope),
            create_input(body)?,
            scope.actor,
        )
        .await?;
    Ok(HttpResponse::Created().json(UserView::from(created)))
}

#[utoipa::path(
    tag = "admin",
    params(("user_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody))
)]
#[get("/admin/users/{user_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<UserId>,
) -> Result<web::Json<UserView>, ApiError> {
    let scope = user.allow(Module::Users, Action::View)?;
    let found = state.users.get(scope.tenant, id.into_inner()).await?;
    Ok(web::Json(found.into()))
}

/// Changes a user. A new password or deactivation ends every session of theirs. Nobody
/// changes their own role or groups, adds a group carrying a permission they do not hold, or
/// (unless an owner) sets the password of someone of their own rank: 403 `forbidden`.
/// Re-activating a user counts against `users_limit` (409 `limit_reached`).
#[utoipa::path(
    tag = "admin",
    params(("user_id" = String, Path)),
    request_body = UpdateUserRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`last_owner`, `cannot_deactivate_self` or `limit_reached`", body = ErrorBody),
    )
)]
#[patch("/admin/users/{user_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<UserId>,
    body: ApiJson<UpdateUserRequest>,
) -> Result<web::Json<UserView>, ApiError> {
    let scope = user.allow(Module::Users, Action::Update)?;
    let body = body.into_inner()?;
    let tenant = &scope.principal.tenant;
    let updated = state
        .users
        .update(
            tenant.id,
            tenant.users_limit,
            &acting(&scope),
            id.into_inner(),
            update_input(body)?,
            scope.actor,
        )
        .await?;
    Ok(web::Json(updated.into()))
}

#[utoipa::path(
    tag = "admin",
    params(("user_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`last_owner` or `cannot_delete_self`", body = ErrorBody),
    )
)]
#[delete("/admin/users/{user_id}")]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Users, Action::Delete)?;
    state
        .users
        .delete(scope.tenant, &acting(&scope), id.into_inner(), scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
