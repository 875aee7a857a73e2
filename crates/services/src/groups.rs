//! Groups of `(module, action)` permissions (`/admin/groups`).

use crate::ErrorCode;
use std::collections::BTreeSet;
use std::sync::Arc;

use comanda_domain::identity::{Grantor, Permission};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{GroupId, TenantId};
use comanda_ports::{Actor, Group, GroupChanges, GroupRepository, RepoError};

use crate::ServiceError;

#[derive(Clone)]
pub struct GroupService {
    groups: Arc<dyn GroupRepository>,
}

fn repo_error(error: RepoError) -> ServiceError {
    match error {
        RepoError::Conflict(_) => ServiceError::conflict(
            ErrorCode::GroupNameTaken,
            "A group with this name already exists",
        ),
        other => other.into(),
    }
}

fn valid_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::field(
            "name",
            "a group name has 1 to 100 characters",
        ));
    }
    Ok(name.to_owned())
}

impl GroupService {
    pub fn new(groups: Arc<dyn GroupRepository>) -> Self {
        Self { groups }
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Group>, ServiceError> {
        self.groups.list(tenant, page).await.map_err(repo_error)
    }

    pub async fn get(&self, tenant: TenantId, id: GroupId) -> Result<Group, ServiceError> {
        self.groups
            .find(tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("group"))
    }

    /// Creates a group; its permissions must all be held by `grantor` (docs/operations.md#fairness-and-saturation "Grants").
    pub async fn create(
        &self,
        tenant: TenantId,
        grantor: Grantor<'_>,
        name: &str,
        description: &str,
        permissions: BTreeSet<Permission>,
        actor: &Actor,
    ) -> Result<Group, ServiceError> {
        let name = valid_name(name)?;
        grantor.may_grant(&permissions)?;
        self.groups
            .create(
                tenant,
                name,
                description.trim().to_owned(),
                permissions,
                actor,
            )
            .await
            .map_err(repo_error)
    }

    /// Changes a group; the permissions it adds must be held by `grantor` (those it keeps or
    /// drops need not be: taking away is not granting).
    pub async fn update(
        &self,
        tenant: TenantId,
        grantor: Grantor<'_>,
        id: GroupId,
        mut changes: GroupChanges,
        actor: &Actor,
    ) -> Result<Group, ServiceError> {
        if let Some(name) = &changes.name {
            changes.name = Some(valid_name(name)?);
        }
        if let Some(permissions) = &changes.permissions {
            let current = self.get(tenant, id).await?.permissions;
            grantor.may_grant(permissions.difference(&current))?;
        }
        self.groups
            .update(tenant, id, changes, actor)
            .await
            .map_err(repo_error)
    }

    pub async fn delete(
        &self,
        tenant: TenantId,
        id: GroupId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        self.groups
            .delete(tenant, id, actor)
            .await
            .map_err(repo_error)
    }
}
