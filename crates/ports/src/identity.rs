use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::identity::{Email, Permission, Role};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{GroupId, SessionId, TenantId, UserId};

use crate::{Actor, RepoResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub is_active: bool,
    pub group_ids: Vec<GroupId>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user with the stored password hash, only for logging in.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub group_ids: Vec<GroupId>,
}

/// An invitation to become a tenant's first owner (docs/deployment.md#production-checklist). Only the token's digest is kept;
/// the token itself is answered once, to the operator who made the invite.
#[derive(Debug, Clone)]
pub struct NewOwnerInvite {
    pub email: Email,
    pub name: String,
    pub token_digest: String,
    pub expires_at: DateTime<Utc>,
}

/// An invite that can still be spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerInvite {
    pub id: uuid::Uuid,
    pub email: Email,
    pub name: String,
}

/// What an update may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    pub password_hash: Option<String>,
    pub group_ids: Option<Vec<GroupId>>,
}

#[async_trait]
pub trait UserRepository: Send + Sync {
    async fn find_credentials(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> RepoResult<Option<UserCredentials>>;
    async fn find(&self, tenant: TenantId, id: UserId) -> RepoResult<Option<User>>;
    /// Users by e-mail, optionally those whose name or e-mail contains `search`.
    async fn list(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: PageRequest,
    ) -> RepoResult<Page<User>>;
    /// The union of the user's groups' permissions.
    async fn permissions(&self, tenant: TenantId, user: UserId)
    -> RepoResult<BTreeSet<Permission>>;
    /// Whether the tenant has any user, active or not.
    async fn has_users(&self, tenant: TenantId) -> RepoResult<bool>;
    /// The unspent, unexpired owner invite of the tenant whose token has this digest.
    async fn find_owner_invite(
        &self,
        tenant: TenantId,
        token_digest: &str,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<OwnerInvite>>;
    /// The tenant's first user. `Conflict("already_bootstrapped")` once it has any user;
    /// with `invite`, spends it in the same transaction (`NotFound` when it was spent
    /// meanwhile).
    async fn bootstrap_owner(
        &self,
        tenant: TenantId,
        user: NewUser,
        invite: Option<uuid::Uuid>,
        actor: &Actor,
    ) -> RepoResult<User>;
    /// `LimitReached("users_limit")` when the tenant already has `users_limit` active users,
    /// `Conflict("user_email")` for a taken e-mail, `InvalidReference("group")` for a group that
    /// is not the tenant's.
    async fn create(
        &self,
        tenant: TenantId,
        user: NewUser,
        users_limit: i32,
        actor: &Actor,
    ) -> RepoResult<User>;
    /// Revokes the user's sessions when the password changes or the user is deactivated.
    /// `Conflict("last_owner")` when no active owner would be left; with a `users_limit`,
    /// `LimitReached("users_limit")` when re-activating the user would pass it (counted with
    /// the tenant row locked, as `create` does).
    async fn update(
        &self,
        tenant: TenantId,
        id: UserId,
        changes: UserChanges,
        users_limit: Option<i32>,
        actor: &Actor,
    ) -> RepoResult<User>;
    /// `Conflict("last_owner")` when no active owner would be left.
    async fn delete(&self, tenant: TenantId, id: UserId, actor: &Actor) -> RepoResult<()>;
    /// A successful login: its time, and a stronger hash when the stored one was legacy.
    async fn record_login(
        &self,
        tenant: TenantId,
        id: UserId,
        new_hash: Option<String>,
    ) -> RepoResult<()>;
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Creates the session and revokes the user's oldest active ones beyond `max_active`
    /// (reason `session_limit`), in one transaction.
    async fn create(&self, session: NewSession, max_active: u32) -> RepoResult<Session>;
    /// The session if it is neither revoked nor expired at `now`, with its user if active.
    async fn find_active(
        &self,
        tenant: TenantId,
        session: SessionId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<(Session, User)>>;
    /// Records activity (at most once a minute per session).
    async fn touch(&self, session: SessionId, now: DateTime<Utc>) -> RepoResult<()>;
    async fn revoke(&self, tenant: TenantId, session: SessionId, reason: &str) -> RepoResult<()>;
    async fn list_for_user(&self, tenant: TenantId, user: UserId) -> RepoResult<Vec<Session>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: String,
    pub permissions: BTreeSet<Permission>,
    pub member_ids: Vec<UserId>,
}

#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub permissions: Option<BTreeSet<Permission>>,
}

#[async_trait]
pub trait GroupRepository: Send + Sync {
    async fn list(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Group>>;
    async fn find(&self, tenant: TenantId, id: GroupId) -> RepoResult<Option<Group>>;
    /// `Conflict("group_name")` for a taken name.
    async fn create(
        &self,
        tenant: TenantId,
        name: String,
        description: String,
        permissions: BTreeSet<Permission>,
        actor: &Actor,
    ) -> RepoResult<Group>;
    async fn update(
        &self,
        tenant: TenantId,
        id: GroupId,
        changes: GroupChanges,
        actor: &Actor,
    ) -> RepoResult<Group>;
    async fn delete(&self, tenant: TenantId, id: GroupId, actor: &Actor) -> RepoResult<()>;
}
