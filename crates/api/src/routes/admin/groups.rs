//! `/admin/groups`: groups of `(module, action)` permissions (module `groups`).

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post};
use comanda_domain::GroupId;
use comanda_domain::tenancy::{Action, Module};
use comanda_ports::{Group, GroupChanges};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{PermissionInput, parse_permissions};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub permissions: Vec<PermissionInput>,
    pub member_ids: Vec<String>,
}

impl From<Group> for GroupView {
    fn from(group: Group) -> Self {
        Self {
            id: group.id.to_string(),
            name: group.name,
            description: group.description,
            permissions: group
                .permissions
                .iter()
                .map(|p| PermissionInput {
                    module: p.module.as_str().to_owned(),
                    action: p.action.as_str().to_owned(),
                })
                .collect(),
            member_ids: group.member_ids.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub items: Vec<GroupView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateGroupRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub permissions: Vec<PermissionInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateGroupRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces every permission of the group.
    pub permissions: Option<Vec<PermissionInput>>,
}

#[utoipa::path(
    tag = "admin", params(ListQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = GroupList), (status = 403, body = ErrorBody))
)]
#[get("/admin/groups")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
) -> Result<web::Json<GroupList>, ApiError> {
    let scope = user.allow(Module::Groups, Action::View)?;
    let groups = state
        .groups
        .list(scope.tenant, page.into_inner().page()?)
        .await?;
    Ok(web::Json(GroupList {
        total: groups.total,
        items: groups.items.into_iter().map(GroupView::from).collect(),
    }))
}

/// Creates a group; every permission it carries must be the caller's own (docs/operations.md#fairness-and-saturation).
#[utoipa::path(
    tag = "admin", request_body = CreateGroupRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = GroupView), (status = 403, description = "`forbidden`: a permission the caller does not hold", body = ErrorBody), (status = 409, description = "`group_name_taken`", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/groups")]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<CreateGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Groups, Action::Create)?;
    let body = body.into_inner()?;
    let permissions = parse_permissions(&body.permissions, "permissions")?;
    let group = state
        .groups
        .create(
            scope.tenant,
            scope.principal.grantor(),
            &body.name,
            &body.description,
            permissions,
            scope.actor,
        )
        .await?;
    Ok(HttpResponse::Created().json(GroupView::from(group)))
}

#[utoipa::path(
    tag = "admin", params(("group_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = GroupView), (status = 404, body = ErrorBody))
)]
#[get("/admin/groups/{group_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<GroupId>,
) -> Result<web::Json<GroupView>, ApiError> {
    let scope = user.allow(Module::Groups, Action::View)?;
    let group = state.groups.get(scope.tenant, id.into_inner()).await?;
    Ok(web::Json(group.into()))
}

/// Changes a group; the permissions it adds must be the caller's own (docs/operations.md#fairness-and-saturation).
#[utoipa::path(
    tag = "admin", params(("group_id" = String, Path)),
    request_body = UpdateGroupRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = GroupView), (status = 403, description = "`forbidden`: adds a permission the caller does not hold", body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/admin/groups/{group_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<GroupId>,
    body: ApiJson<UpdateGroupRequest>,
) -> Result<web::Json<GroupView>, ApiError> {
    let scope = user.allow(Module::Groups, Action::Update)?;
    let body = body.into_inner()?;
    let changes = GroupChanges {
        name: body.name,
        description: body.description,
        permissions: body
            .permissions
            .as_deref()
            .map(|permissions| parse_permissions(permissions, "permissions"))
            .transpose()?,
    };
    let group = state
        .groups
        .update(
            scope.tenant,
            scope.principal.grantor(),
            id.into_inner(),
            changes,
            scope.actor,
        )
        .await?;
    Ok(web::Json(group.into()))
}

#[utoipa::path(
    tag = "admin", params(("group_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/groups/{group_id}")]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<GroupId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Groups, Action::Delete)?;
    state
        .groups
        .delete(scope.tenant, id.into_inner(), scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
