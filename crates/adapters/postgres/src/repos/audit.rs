//! The audit log: written inside the transaction of each change, read per tenant.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{TenantId, UserId};
use comanda_ports::{Actor, AuditEntry, AuditFilter, AuditRepository, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::diesel_error;
use crate::schema::{audit_log, operator_audit_log};

/// One change to record: what was done to which entity, and the entity before and after.
pub(crate) struct Change<'a> {
    pub tenant: Option<TenantId>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A tenant's change goes to its own log (kept with its rows when distributed, docs/scaling.md);
/// one that concerns no tenant (a plan) to the operator's.
pub(crate) async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    change: Change<'_>,
) -> QueryResult<()> {
    macro_rules! insert_into {
        ($log:ident $(, $tenant:expr)?) => {
            diesel::insert_into($log::table)
                .values((
                    $($log::tenant_id.eq($tenant),)?
                    $log::id.eq(Uuid::now_v7()),
                    $log::actor_user_id.eq(actor.user_id.map(|u| u.as_uuid())),
                    $log::actor_tenant_id.eq(actor.tenant_id.map(|t| t.as_uuid())),
                    $log::action.eq(change.action),
                    $log::entity_type.eq(change.entity_type),
                    $log::entity_id.eq(change.entity_id),
                    $log::before.eq(change.before),
                    $log::after.eq(change.after),
                    $log::ip.eq(&actor.ip),
                    $log::request_id.eq(&actor.request_id),
                ))
                .execute(conn)
                .await
                .map(|_| ())
        };
    }
    match change.tenant {
        Some(tenant) => insert_into!(audit_log, tenant.as_uuid()),
        None => insert_into!(operator_audit_log),
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
struct AuditRow {
    id: Uuid,
    tenant_id: Uuid,
    actor_user_id: Option<Uuid>,
    actor_tenant_id: Option<Uuid>,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    ip: Option<String>,
    request_id: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct PgAuditRepository {
    db: Database,
}

impl PgAuditRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AuditRepository for PgAuditRepository {
    async fn list(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> RepoResult<Page<AuditEntry>> {
        let mut conn = self.db.conn().await?;
        let filtered = || {
            let mut query = audit_log::table
                .filter(audit_log::tenant_id.eq(tenant.as_uuid()))
                .into_boxed();
            if let Some(entity_type) = &filter.entity_type {
                query = query.filter(audit_log::entity_type.eq(entity_type.clone()));
            }
            if let Some(actor) = filter.actor_user_id {
                query = query.filter(audit_log::actor_user_id.eq(actor.as_uuid()));
            }
            query
        };
        let total: i64 = filtered()
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<AuditRow> = filtered()
            .order((audit_log::created_at.desc(), audit_log::id.desc()))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(AuditRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(Page {
            total: u64::try_from(total).unwrap_or(0),
            items: rows
                .into_iter()
                .map(|row| AuditEntry {
                    id: row.id.to_string(),
                    tenant_id: Some(TenantId::from_uuid(row.tenant_id)),
                    actor_user_id: row.actor_user_id.map(UserId::from_uuid),
                    actor_tenant_id: row.actor_tenant_id.map(TenantId::from_uuid),
                    action: row.action,
                    entity_type: row.entity_type,
                    entity_id: row.entity_id,
                    before: row.before,
                    after: row.after,
                    ip: row.ip,
                    request_id: row.request_id,
                    created_at: row.created_at,
                })
                .collect(),
        })
    }
}
