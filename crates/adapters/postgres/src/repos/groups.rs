use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use comanda_domain::identity::Permission;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{GroupId, TenantId, UserId};
use comanda_ports::{Actor, Group, GroupChanges, GroupRepository, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::{group_permissions, groups, user_groups};

#[derive(Clone)]
pub struct PgGroupRepository {
    db: Database,
}

impl PgGroupRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn group_json(group: &Group) -> serde_json::Value {
    serde_json::json!({
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "permissions": group.permissions,
    })
}

/// Groups with their permissions and members: three queries whatever the page size.
async fn load_groups(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    rows: Vec<(Uuid, String, String)>,
) -> Result<Vec<Group>, TxError> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.0).collect();
    let permission_rows: Vec<(Uuid, String, String)> = group_permissions::table
        .filter(group_permissions::tenant_id.eq(tenant.as_uuid()))
        .filter(group_permissions::group_id.eq_any(&ids))
        .select((
            group_permissions::group_id,
            group_permissions::module,
            group_permissions::action,
        ))
        .load(conn)
        .await?;
    let member_rows: Vec<(Uuid, Uuid)> = user_groups::table
        .filter(user_groups::tenant_id.eq(tenant.as_uuid()))
        .filter(user_groups::group_id.eq_any(&ids))
        .order(user_groups::user_id)
        .select((user_groups::group_id, user_groups::user_id))
        .load(conn)
        .await?;
    let mut permissions: HashMap<Uuid, BTreeSet<Permission>> = HashMap::new();
    for (group, module, action) in permission_rows {
        permissions.entry(group).or_default().insert(Permission {
            module: module
                .parse::<Module>()
                .map_err(|e| corrupt("permission module", e))?,
            action: action
                .parse::<Action>()
                .map_err(|e| corrupt("permission action", e))?,
        });
    }
    let mut members: HashMap<Uuid, Vec<UserId>> = HashMap::new();
    for (group, user) in member_rows {
        members
            .entry(group)
            .or_default()
            .push(UserId::from_uuid(user));
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, description)| Group {
            id: GroupId::from_uuid(id),
            tenant_id: tenant,
            name,
            description,
            permissions: permissions.remove(&id).unwrap_or_default(),
            member_ids: members.remove(&id).unwrap_or_default(),
        })
        .collect())
}

async fn load_group(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: GroupId,
) -> Result<Option<Group>, TxError> {
    let row: Option<(Uuid, String, String)> = groups::table
        .filter(groups::tenant_id.eq(tenant.as_uuid()))
        .filter(groups::id.eq(id.as_uuid()))
        .select((groups::id, groups::name, groups::description))
        .first(conn)
        .await
        .optional()?;
    match row {
        Some(row) => Ok(load_groups(conn, tenant, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

async fn set_permissions(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    group: Uuid,
    permissions: &BTreeSet<Permission>,
) -> Result<(), TxError> {
    diesel::delete(group_permissions::table.filter(group_permissions::group_id.eq(group)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = permissions
        .iter()
        .map(|permission| {
            (
                group_permissions::tenant_id.eq(tenant.as_uuid()),
                group_permissions::group_id.eq(group),
                group_permissions::module.eq(permission.module.as_str()),
                group_permissions::action.eq(permission.action.as_str()),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(group_permissions::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}

#[async_trait]
impl GroupRepository for PgGroupRepository {
    async fn list(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Group>> {
        let mut conn = self.db.conn().await?;
        let total: i64 = groups::table
            .filter(groups::tenant_id.eq(tenant.as_uuid()))
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<(Uuid, String, String)> = groups::table
            .filter(groups::tenant_id.eq(tenant.as_uuid()))
            .order((groups::name.asc(), groups::id.asc()))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select((groups::id, groups::name, groups::description))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(Page {
            items: load_groups(&mut conn, tenant, rows).await?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn find(&self, tenant: TenantId, id: GroupId) -> RepoResult<Option<Group>> {
        let mut conn = self.db.conn().await?;
        Ok(load_group(&mut conn, tenant, id).await?)
    }

    async fn create(
        &self,
        tenant: TenantId,
        name: String,
        description: String,
        permissions: BTreeSet<Permission>,
        actor: &Actor,
    ) -> RepoResult<Group> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let id = GroupId::generate();
            diesel::insert_into(groups::table)
                .values((
                    groups::id.eq(id.as_uuid()),
                    groups::tenant_id.eq(tenant.as_uuid()),
                    groups::name.eq(&name),
                    groups::description.eq(&description),
                ))
                .execute(conn)
                .await?;
            set_permissions(conn, tenant, id.as_uuid(), &permissions).await?;
            let group = load_group(conn, tenant, id)
                .await?
                .ok_or(RepoError::NotFound("group"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "group.create",
                    entity_type: "group",
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: Some(group_json(&group)),
                },
            )
            .await?;
            Ok(group)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn update(
        &self,
        tenant: TenantId,
        id: GroupId,
        changes: GroupChanges,
        actor: &Actor,
    ) -> RepoResult<Group> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = load_group(conn, tenant, id)
                .await?
                .ok_or(RepoError::NotFound("group"))?;
            diesel::update(
                groups::table
                    .filter(groups::tenant_id.eq(tenant.as_uuid()))
                    .filter(groups::id.eq(id.as_uuid())),
            )
            .set((
                groups::name.eq(changes.name.as_deref().unwrap_or(&before.name)),
                groups::description.eq(changes
                    .description
                    .as_deref()
                    .unwrap_or(&before.description)),
                groups::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
            if let Some(permissions) = &changes.permissions {
                set_permissions(conn, tenant, id.as_uuid(), permissions).await?;
            }
            let after = load_group(conn, tenant, id)
                .await?
                .ok_or(RepoError::NotFound("group"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "group.update",
                    entity_type: "group",
                    entity_id: Some(id.to_string()),
                    before: Some(group_json(&before)),
                    after: Some(group_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn delete(&self, tenant: TenantId, id: GroupId, actor: &Actor) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = load_group(conn, tenant, id)
                .await?
                .ok_or(RepoError::NotFound("group"))?;
            diesel::delete(
                groups::table
                    .filter(groups::tenant_id.eq(tenant.as_uuid()))
                    .filter(groups::id.eq(id.as_uuid())),
            )
            .execute(conn)
            .await?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "group.delete",
                    entity_type: "group",
                    entity_id: Some(id.to_string()),
                    before: Some(group_json(&before)),
                    after: None,
                },
            )
            .await?;
            Ok(())
        })
        .await
        .map_err(RepoError::from)
    }
}
