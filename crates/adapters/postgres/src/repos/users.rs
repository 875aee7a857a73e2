use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::identity::{Email, Permission, Role};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{GroupId, TenantId, UserId};
use comanda_ports::{
    Actor, NewOwnerInvite, NewUser, OwnerInvite, RepoError, RepoResult, User, UserChanges,
    UserCredentials, UserRepository,
};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::repos::contains_pattern;
use crate::schema::{
    group_permissions, owner_invites, tenants, user_groups, user_sessions, users,
    webpush_subscriptions,
};

#[derive(Clone)]
pub struct PgUserRepository {
    db: Database,
}

impl PgUserRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub(crate) struct UserRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub is_active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserRow {
    pub(crate) fn into_user(self, group_ids: Vec<GroupId>) -> RepoResult<User> {
        Ok(User {
            id: UserId::from_uuid(self.id),
            tenant_id: TenantId::from_uuid(self.tenant_id),
            email: Email::parse(&self.email).map_err(|e| corrupt("user e-mail", e))?,
            name: self.name,
            role: self
                .role
                .parse::<Role>()
                .map_err(|e| corrupt("user role", e))?,
            is_active: self.is_active,
            group_ids,
            last_login_at: self.last_login_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// What the audit log keeps of a user: never the password hash.
pub(crate) fn user_json(user: &User) -> serde_json::Value {
    serde_json::json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": user.is_active,
        "group_ids": user.group_ids,
    })
}

/// The groups of each of these users, in one query.
pub(crate) async fn group_ids_of(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    user_ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, Vec<GroupId>>> {
    let rows: Vec<(Uuid, Uuid)> = user_groups::table
        .filter(user_groups::tenant_id.eq(tenant.as_uuid()))
        .filter(user_groups::user_id.eq_any(user_ids))
        .order((user_groups::user_id, user_groups::group_id))
        .select((user_groups::user_id, user_groups::group_id))
        .load(conn)
        .await?;
    let mut by_user: HashMap<Uuid, Vec<GroupId>> = HashMap::new();
    for (user, group) in rows {
        by_user
            .entry(user)
            .or_default()
            .push(GroupId::from_uuid(group));
    }
    Ok(by_user)
}

async fn load_user(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<User>, TxError> {
    let query = users::table
        .filter(users::tenant_id.eq(tenant.as_uuid()))
        .filter(users::id.eq(id))
        .select(UserRow::as_select());
    let row = if lock {
        query.for_update().first(conn).await.optional()?
    } else {
        query.first(conn).await.optional()?
    };
    let Some(row) = row else {
        return Ok(None);
    };
    let groups = group_ids_of(conn, tenant, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(Some(row.into_user(groups)?))
}

/// Serializes changes to one tenant's users (limits, the last owner) behind its row lock.
pub(crate) async fn lock_tenant(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
) -> Result<(), TxError> {
    tenants::table
        .filter(tenants::id.eq(tenant.as_uuid()))
        .select(tenants::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()?
        .ok_or(TxError::Repo(RepoError::NotFound("tenant")))
        .map(|_| ())
}

/// Withdraws the tenant's unspent owner invites and records a new one (the tenant row is
/// locked by the caller).
pub(crate) async fn replace_owner_invite(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    invite: &NewOwnerInvite,
) -> Result<(), TxError> {
    diesel::delete(
        owner_invites::table
            .filter(owner_invites::tenant_id.eq(tenant.as_uuid()))
            .filter(owner_invites::used_at.is_null()),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(owner_invites::table)
        .values((
            owner_invites::tenant_id.eq(tenant.as_uuid()),
            owner_invites::id.eq(Uuid::now_v7()),
            owner_invites::email.eq(invite.email.as_str()),
            owner_invites::name.eq(invite.name.trim()),
            owner_invites::token_digest.eq(&invite.token_digest),
            owner_invites::expires_at.eq(invite.expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the tenant has any user (the tenant row is locked by the caller).
pub(crate) async fn tenant_has_users(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
) -> Result<bool, TxError> {
    Ok(diesel::select(diesel::dsl::exists(
        users::table.filter(users::tenant_id.eq(tenant.as_uuid())),
    ))
    .get_result(conn)
    .await?)
}

async fn insert_user(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    user: &NewUser,
) -> Result<Uuid, TxError> {
    let id = UserId::generate().as_uuid();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id),
            users::tenant_id.eq(tenant.as_uuid()),
            users::email.eq(user.email.as_str()),
            users::name.eq(&user.name),
            users::password_hash.eq(&user.password_hash),
            users::role.eq(user.role.as_str()),
        ))
        .execute(conn)
        .await?;
    set_groups(conn, tenant, id, &user.group_ids).await?;
    Ok(id)
}

async fn set_groups(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    user: Uuid,
    groups: &[GroupId],
) -> Result<(), TxError> {
    diesel::delete(user_groups::table.filter(user_groups::user_id.eq(user)))
        .execute(conn)
        .await?;
    let unique: BTreeSet<Uuid> = groups.iter().map(GroupId::as_uuid).collect();
    let rows: Vec<_> = unique
        .into_iter()
        .map(|group| {
            (
                user_groups::tenant_id.eq(tenant.as_uuid()),
                user_groups::user_id.eq(user),
                user_groups::group_id.eq(group),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(user_groups::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// `LimitReached` when the tenant already has `users_limit` active users (the tenant row is
/// locked by the caller, so concurrent creations and re-activations count one another).
async fn check_users_limit(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    users_limit: i32,
) -> Result<(), TxError> {
    let active: i64 = users::table
        .filter(users::tenant_id.eq(tenant.as_uuid()))
        .filter(users::is_active.eq(true))
        .count()
        .get_result(conn)
        .await?;
    if active >= i64::from(users_limit) {
        return Err(RepoError::LimitReached("users_limit").into());
    }
    Ok(())
}

/// Active owners of the tenant other than `except`.
async fn other_active_owners(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    except: Uuid,
) -> Result<i64, TxError> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant.as_uuid()))
        .filter(users::role.eq(Role::Owner.as_str()))
        .filter(users::is_active.eq(true))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
        .await?)
}

pub(crate) async fn revoke_user_sessions(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    user: Uuid,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        user_sessions::table
            .filter(user_sessions::tenant_id.eq(tenant.as_uuid()))
            .filter(user_sessions::user_id.eq(user))
            .filter(user_sessions::revoked_at.is_null()),
    )
    .set((
        user_sessions::revoked_at.eq(diesel::dsl::now),
        user_sessions::revoked_reason.eq(reason),
    ))
    .execute(conn)
    .await
}

fn email_conflict(error: RepoError) -> RepoError {
    match error {
        RepoError::Conflict(what) if what.contains("email") => {
            RepoError::Conflict("user_email".into())
        }
        RepoError::InvalidReference(_) => RepoError::InvalidReference("group".into()),
        other => other,
    }
}

#[async_trait]
impl UserRepository for PgUserRepository {
    async fn find_credentials(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> RepoResult<Option<UserCredentials>> {
        let mut conn = self.db.conn().await?;
        let row: Option<UserRow> = users::table
            .filter(users::tenant_id.eq(tenant.as_uuid()))
            .filter(users::email.eq(email.as_str()))
            .select(UserRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let groups = group_ids_of(&mut conn, tenant, &[row.id])
            .await
            .map_err(diesel_error)?
            .remove(&row.id)
            .unwrap_or_default();
        let password_hash = row.password_hash.clone();
        Ok(Some(UserCredentials {
            user: row.into_user(groups)?,
            password_hash,
        }))
    }

    async fn find(&self, tenant: TenantId, id: UserId) -> RepoResult<Option<User>> {
        let mut conn = self.db.conn().await?;
        Ok(load_user(&mut conn, tenant, id.as_uuid(), false).await?)
    }

    async fn list(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: PageRequest,
    ) -> RepoResult<Page<User>> {
        let mut conn = self.db.conn().await?;
        let pattern = search.map(contains_pattern);
        let filtered = || {
            let mut query = users::table
                .filter(users::tenant_id.eq(tenant.as_uuid()))
                .into_boxed();
            if let Some(pattern) = &pattern {
                query = query.filter(
                    users::email
                        .ilike(pattern.clone())
                        .or(users::name.ilike(pattern.clone())),
                );
            }
            query
        };
        let total: i64 = filtered()
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<UserRow> = filtered()
            .order((users::email.asc(), users::id.asc()))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(UserRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut groups = group_ids_of(&mut conn, tenant, &ids)
            .await
            .map_err(diesel_error)?;
        let items = rows
            .into_iter()
            .map(|row| {
                let user_groups = groups.remove(&row.id).unwrap_or_default();
                row.into_user(user_groups)
            })
            .collect::<RepoResult<_>>()?;
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn permissions(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> RepoResult<BTreeSet<Permission>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<(String, String)> = group_permissions::table
            .inner_join(
                user_groups::table.on(user_groups::tenant_id
                    .eq(group_permissions::tenant_id)
                    .and(user_groups::group_id.eq(group_permissions::group_id))),
            )
            .filter(user_groups::tenant_id.eq(tenant.as_uuid()))
            .filter(user_groups::user_id.eq(user.as_uuid()))
            .select((group_permissions::module, group_permissions::action))
            .distinct()
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        rows.into_iter()
            .map(|(module, action)| {
                Ok(Permission {
                    module: module
                        .parse::<Module>()
                        .map_err(|e| corrupt("permission module", e))?,
                    action: action
                        .parse::<Action>()
                        .map_err(|e| corrupt("permission action", e))?,
                })
            })
            .collect()
    }

    async fn has_users(&self, tenant: TenantId) -> RepoResult<bool> {
        let mut conn = self.db.conn().await?;
        diesel::select(diesel::dsl::exists(
            users::table.filter(users::tenant_id.eq(tenant.as_uuid())),
        ))
        .get_result(&mut conn)
        .await
        .map_err(diesel_error)
    }

    async fn find_owner_invite(
        &self,
        tenant: TenantId,
        token_digest: &str,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<OwnerInvite>> {
        let mut conn = self.db.conn().await?;
        let row: Option<(Uuid, String, String)> = owner_invites::table
            .filter(owner_invites::tenant_id.eq(tenant.as_uuid()))
            .filter(owner_invites::token_digest.eq(token_digest))
            .filter(owner_invites::used_at.is_null())
            .filter(owner_invites::expires_at.gt(now))
            .select((owner_invites::id, owner_invites::email, owner_invites::name))
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        row.map(|(id, email, name)| {
            Ok(OwnerInvite {
                id,
                email: Email::parse(&email).map_err(|e| corrupt("invite e-mail", e))?,
                name,
            })
        })
        .transpose()
    }

    async fn bootstrap_owner(
        &self,
        tenant: TenantId,
        user: NewUser,
        invite: Option<Uuid>,
        actor: &Actor,
    ) -> RepoResult<User> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            lock_tenant(conn, tenant).await?;
            if tenant_has_users(conn, tenant).await? {
                return Err(RepoError::Conflict("already_bootstrapped".into()).into());
            }
            if let Some(invite) = invite {
                let spent = diesel::update(
                    owner_invites::table
                        .filter(owner_invites::tenant_id.eq(tenant.as_uuid()))
                        .filter(owner_invites::id.eq(invite))
                        .filter(owner_invites::used_at.is_null()),
                )
                .set(owner_invites::used_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
                if spent == 0 {
                    return Err(RepoError::NotFound("user").into());
                }
            }
            let id = insert_user(conn, tenant, &user).await?;
            let created = load_user(conn, tenant, id, false)
                .await?
                .ok_or(RepoError::NotFound("user"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "user.signup",
                    entity_type: "user",
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: Some(user_json(&created)),
                },
            )
            .await?;
            Ok(created)
        })
        .await
        .map_err(|error| email_conflict(error.into()))
    }

    async fn create(
        &self,
        tenant: TenantId,
        user: NewUser,
        users_limit: i32,
        actor: &Actor,
    ) -> RepoResult<User> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            lock_tenant(conn, tenant).await?;
            check_users_limit(conn, tenant, users_limit).await?;
            let id = insert_user(conn, tenant, &user).await?;
            let created = load_user(conn, tenant, id, false)
                .await?
                .ok_or(RepoError::NotFound("user"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "user.create",
                    entity_type: "user",
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: Some(user_json(&created)),
                },
            )
            .await?;
            Ok(created)
        })
        .await
        .map_err(|error| email_conflict(error.into()))
    }

    async fn update(
        &self,
        tenant: TenantId,
        id: UserId,
        changes: UserChanges,
        users_limit: Option<i32>,
        actor: &Actor,
    ) -> RepoResult<User> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            lock_tenant(conn, tenant).await?;
            let before = load_user(conn, tenant, id.as_uuid(), true)
                .await?
                .ok_or(RepoError::NotFound("user"))?;
            let stays_owner = changes.role.unwrap_or(before.role) == Role::Owner;
            let stays_active = changes.is_active.unwrap_or(before.is_active);
            if !before.is_active
                && stays_active
                && let Some(limit) = users_limit
            {
                check_users_limit(conn, tenant, limit).await?;
            }
            if before.role == Role::Owner
                && before.is_active
                && !(stays_owner && stays_active)
                && other_active_owners(conn, tenant, id.as_uuid()).await? == 0
            {
                return Err(RepoError::Conflict("last_owner".into()).into());
            }
            let target = users::table
                .filter(users::tenant_id.eq(tenant.as_uuid()))
                .filter(users::id.eq(id.as_uuid()));
            diesel::update(target)
                .set((
                    users::name.eq(changes.name.as_deref().unwrap_or(&before.name)),
                    users::role.eq(changes.role.unwrap_or(before.role).as_str()),
                    users::is_active.eq(stays_active),
                    users::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            if let Some(hash) = &changes.password_hash {
                diesel::update(target)
                    .set((
                        users::password_hash.eq(hash),
                        users::password_changed_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
                revoke_user_sessions(conn, tenant, id.as_uuid(), "password_changed").await?;
            }
            if before.is_active && !stays_active {
                revoke_user_sessions(conn, tenant, id.as_uuid(), "deactivated").await?;
                // A former employee's browsers stop receiving customers' names and totals.
                diesel::delete(
                    webpush_subscriptions::table
                        .filter(webpush_subscriptions::tenant_id.eq(tenant.as_uuid()))
                        .filter(webpush_subscriptions::user_id.eq(id.as_uuid())),
                )
                .execute(conn)
                .await?;
            }
            if let Some(groups) = &changes.group_ids {
                set_groups(conn, tenant, id.as_uuid(), groups).await?;
            }
            let after = load_user(conn, tenant, id.as_uuid(), false)
                .await?
                .ok_or(RepoError::NotFound("user"))?;
            let mut after_json = user_json(&after);
            if changes.password_hash.is_some() {
                after_json["password_changed"] = true.into();
            }
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "user.update",
                    entity_type: "user",
                    entity_id: Some(id.to_string()),
                    before: Some(user_json(&before)),
                    after: Some(after_json),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(|error| email_conflict(error.into()))
    }

    async fn delete(&self, tenant: TenantId, id: UserId, actor: &Actor) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            lock_tenant(conn, tenant).await?;
            let before = load_user(conn, tenant, id.as_uuid(), true)
                .await?
                .ok_or(RepoError::NotFound("user"))?;
            if before.role == Role::Owner
                && before.is_active
                && other_active_owners(conn, tenant, id.as_uuid()).await? == 0
            {
                return Err(RepoError::Conflict("last_owner".into()).into());
            }
            diesel::delete(
                users::table
                    .filter(users::tenant_id.eq(tenant.as_uuid()))
                    .filter(users::id.eq(id.as_uuid())),
            )
            .execute(conn)
            .await?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "user.delete",
                    entity_type: "user",
                    entity_id: Some(id.to_string()),
                    before: Some(user_json(&before)),
                    after: None,
                },
            )
            .await?;
            Ok(())
        })
        .await
        .map_err(RepoError::from)
    }

    async fn record_login(
        &self,
        tenant: TenantId,
        id: UserId,
        new_hash: Option<String>,
    ) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        let target = users::table
            .filter(users::tenant_id.eq(tenant.as_uuid()))
            .filter(users::id.eq(id.as_uuid()));
        match new_hash {
            Some(hash) => {
                diesel::update(target)
                    .set((
                        users::last_login_at.eq(diesel::dsl::now),
                        users::password_hash.eq(hash),
                    ))
                    .execute(&mut conn)
                    .await
            }
            None => {
                diesel::update(target)
                    .set(users::last_login_at.eq(diesel::dsl::now))
                    .execute(&mut conn)
                    .await
            }
        }
        .map(|_| ())
        .map_err(diesel_error)
    }
}
