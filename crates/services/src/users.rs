//! The tenant's staff accounts (`/admin/users`, and the central admin's users of any tenant).

use crate::ErrorCode;
use std::collections::BTreeSet;
use std::sync::Arc;

use comanda_domain::identity::{
    Email, GrantDenied, Grantor, NewPassword, Permission, Role, UserChange, check_user_change,
};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{GroupId, TenantId, UserId};
use comanda_ports::{
    Actor, GroupRepository, NewUser, PasswordHasher, RepoError, User, UserChanges, UserRepository,
};

use crate::ServiceError;

/// Who is acting: their role decides which roles they may hand out, their role and their
/// groups' permissions which groups they may assign (docs/operations.md#fairness-and-saturation "Grants").
#[derive(Debug, Clone)]
pub struct Acting {
    pub user_id: Option<UserId>,
    pub role: Role,
    /// The permissions of the acting user's own groups.
    pub permissions: BTreeSet<Permission>,
}

impl Acting {
    pub fn grantor(&self) -> Grantor<'_> {
        Grantor {
            role: self.role,
            held: &self.permissions,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    pub group_ids: Vec<GroupId>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    pub password: Option<String>,
    pub group_ids: Option<Vec<GroupId>>,
}

#[derive(Clone)]
pub struct UserService {
    users: Arc<dyn UserRepository>,
    groups: Arc<dyn GroupRepository>,
    hasher: Arc<dyn PasswordHasher>,
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("user")
}

fn repo_error(error: RepoError) -> ServiceError {
    match error {
        RepoError::Conflict(what) if what == "user_email" => ServiceError::conflict(
            ErrorCode::EmailTaken,
            "A user with this e-mail already exists",
        ),
        RepoError::Conflict(what) if what == "last_owner" => ServiceError::conflict(
            ErrorCode::LastOwner,
            "The tenant must keep at least one active owner",
        ),
        RepoError::InvalidReference(_) => ServiceError::field("group_ids", "unknown group"),
        other => other.into(),
    }
}

impl UserService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        groups: Arc<dyn GroupRepository>,
        hasher: Arc<dyn PasswordHasher>,
    ) -> Self {
        Self {
            users,
            groups,
            hasher,
        }
    }

    /// An owner with this e-mail and password for operators (`comanda create-owner`, the demo
    /// seed): created when missing, else made an active owner with the new password (its
    /// sessions revoked). Answers the user and whether it was created. No users limit applies.
    pub async fn ensure_owner(
        &self,
        tenant: TenantId,
        email: &str,
        password: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<(User, bool), ServiceError> {
        let (email, password) = crate::auth::parse_credentials(email, password)?;
        let password_hash = self
            .hasher
            .hash(password.expose())
            .await
            .map_err(ServiceError::from)?;
        if let Some(existing) = self.users.find_credentials(tenant, &email).await? {
            let changes = UserChanges {
                role: Some(Role::Owner),
                is_active: Some(true),
                password_hash: Some(password_hash),
                ..UserChanges::default()
            };
            let user = self
                .users
                .update(tenant, existing.user.id, changes, None, actor)
                .await?;
            return Ok((user, false));
        }
        let new_user = NewUser {
            email,
            name: name.trim().to_owned(),
            password_hash,
            role: Role::Owner,
            group_ids: Vec::new(),
        };
        let user = self.users.create(tenant, new_user, i32::MAX, actor).await?;
        Ok((user, true))
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<User>, ServiceError> {
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        self.users
            .list(tenant, search, page)
            .await
            .map_err(repo_error)
    }

    pub async fn get(&self, tenant: TenantId, id: UserId) -> Result<User, ServiceError> {
        self.users.find(tenant, id).await?.ok_or_else(not_found)
    }

    /// Creates a user. Nobody gives a role above their own, nor groups carrying a permission
    /// they do not hold.
    pub async fn create(
        &self,
        tenant: TenantId,
        users_limit: i32,
        acting: &Acting,
        input: CreateUser,
        actor: &Actor,
    ) -> Result<User, ServiceError> {
        if !acting.role.may_assign(input.role) {
            return Err(ServiceError::forbidden(format!(
                "A {} cannot create a user with the {} role",
                acting.role, input.role
            )));
        }
        self.check_assignable(tenant, acting, &input.group_ids)
            .await?;
        let (email, password) = crate::auth::parse_credentials(&input.email, &input.password)?;
        let password_hash = self.hash(&password).await?;
        self.users
            .create(
                tenant,
                NewUser {
                    email,
                    name: input.name.trim().to_owned(),
                    password_hash,
                    role: input.role,
                    group_ids: input.group_ids,
                },
                users_limit,
                actor,
            )
            .await
            .map_err(repo_error)
    }

    /// Changes a user under docs/operations.md#fairness-and-saturation "Grants" ([`check_user_change`]); the groups added must
    /// carry only permissions the acting user holds, as they stand now. Re-activating a user
    /// counts against `users_limit`.
    pub async fn update(
        &self,
        tenant: TenantId,
        users_limit: i32,
        acting: &Acting,
        id: UserId,
        input: UpdateUser,
        actor: &Actor,
    ) -> Result<User, ServiceError> {
        let target = self.get(tenant, id).await?;
        let current: BTreeSet<GroupId> = target.group_ids.iter().copied().collect();
        let added: Vec<GroupId> = input
            .group_ids
            .iter()
            .flatten()
            .filter(|group| !current.contains(group))
            .copied()
            .collect();
        let changes_groups = input
            .group_ids
            .as_ref()
            .is_some_and(|groups| groups.iter().copied().collect::<BTreeSet<_>>() != current);
        check_user_change(&UserChange {
            actor: acting.role,
            is_self: acting.user_id == Some(id),
            target: target.role,
            new_role: input.role.filter(|role| *role != target.role),
            changes_groups,
            sets_password: input.password.is_some(),
        })?;
        self.check_assignable(tenant, acting, &added).await?;
        if acting.user_id == Some(id) && input.is_active == Some(false) {
            return Err(ServiceError::conflict(
                ErrorCode::CannotDeactivateSelf,
                "You cannot deactivate yourself",
            ));
        }
        let password_hash = match input.password {
            Some(raw) => {
                let password = NewPassword::parse(&raw)
                    .map_err(|error| ServiceError::field("password", error))?;
                Some(self.hash(&password).await?)
            }
            None => None,
        };
        self.users
            .update(
                tenant,
                id,
                UserChanges {
                    name: input.name.map(|name| name.trim().to_owned()),
                    role: input.role,
                    is_active: input.is_active,
                    password_hash,
                    group_ids: input.group_ids,
                },
                Some(users_limit),
                actor,
            )
            .await
            .map_err(repo_error)
    }

    /// Each group must exist and carry only permissions the acting user holds (read now: a
    /// group's permissions may have changed since it was made).
    async fn check_assignable(
        &self,
        tenant: TenantId,
        acting: &Acting,
        groups: &[GroupId],
    ) -> Result<(), ServiceError> {
        let grantor = acting.grantor();
        for id in groups.iter().collect::<BTreeSet<_>>() {
            let group = self
                .groups
                .find(tenant, *id)
                .await?
                .ok_or_else(|| ServiceError::field("group_ids", "unknown group"))?;
            grantor
                .may_grant(&group.permissions)
                .map_err(|denied| match denied {
                    GrantDenied::NotHeld(lacking) => ServiceError::forbidden(format!(
                        "You cannot assign the group “{}”: it grants {lacking}, which you do not hold yourself",
                        group.name
                    )),
                    other => other.into(),
                })?;
        }
        Ok(())
    }

    pub async fn delete(
        &self,
        tenant: TenantId,
        acting: &Acting,
        id: UserId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        let target = self.get(tenant, id).await?;
        if acting.user_id == Some(id) {
            return Err(ServiceError::conflict(
                ErrorCode::CannotDeleteSelf,
                "You cannot delete yourself",
            ));
        }
        if !acting.role.may_assign(target.role) {
            return Err(ServiceError::forbidden(format!(
                "A {} cannot delete a {}",
                acting.role, target.role
            )));
        }
        self.users
            .delete(tenant, id, actor)
            .await
            .map_err(repo_error)
    }

    /// Finds a user by e-mail (CLI, intake).
    pub async fn find_by_email(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> Result<Option<User>, ServiceError> {
        Ok(self
            .users
            .find_credentials(tenant, email)
            .await?
            .map(|c| c.user))
    }

    async fn hash(&self, password: &NewPassword) -> Result<String, ServiceError> {
        self.hasher
            .hash(password.expose())
            .await
            .map_err(ServiceError::from)
    }
}
