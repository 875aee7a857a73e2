use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_domain::tenancy::{
    Module, SubscriptionStatus, TenantRecord, TenantSelector, TenantSlug,
};
use std::collections::BTreeMap;

use chrono::{TimeDelta, Utc};
use comanda_domain::subscriptions::ModuleSource;
use comanda_ports::plans::Plan;
use comanda_ports::{NewTenant, RepoError, RepoResult, TenantRepository};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::schema::{tenant_modules, tenant_subscriptions, tenants};

#[derive(Clone)]
pub struct PgTenantRepository {
    db: Database,
}

impl PgTenantRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// A tenant with its subscription status and modules, read in one statement.
#[derive(QueryableByName)]
struct TenantRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    users_limit: i32,
    #[diesel(sql_type = Integer)]
    stores_limit: i32,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Array<Text>)]
    modules: Vec<String>,
    #[diesel(sql_type = BigInt)]
    cache_version: i64,
}

const SELECT_TENANT: &str = "\
    SELECT t.id, t.slug, t.name, t.users_limit, t.stores_limit, s.status, t.cache_version, \
           ARRAY(SELECT m.module FROM tenant_modules m WHERE m.tenant_id = t.id ORDER BY m.module) AS modules \
    FROM tenants t JOIN tenant_subscriptions s ON s.tenant_id = t.id \
    WHERE t.is_active";

impl TryFrom<TenantRow> for TenantRecord {
    type Error = RepoError;

    fn try_from(row: TenantRow) -> Result<Self, Self::Error> {
        Ok(TenantRecord {
            id: TenantId::from_uuid(row.id),
            slug: TenantSlug::parse(&row.slug).map_err(|e| corrupt("tenant slug", e))?,
            name: row.name,
            subscription_status: row
                .status
                .parse::<SubscriptionStatus>()
                .map_err(|e| corrupt("subscription status", e))?,
            enabled_modules: row
                .modules
                .iter()
                .map(|module| module.parse::<Module>())
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt("tenant module", e))?,
            users_limit: row.users_limit,
            stores_limit: row.stores_limit,
            version: row.cache_version,
        })
    }
}

#[async_trait]
impl TenantRepository for PgTenantRepository {
    async fn find_by_id(&self, id: TenantId) -> RepoResult<Option<TenantRecord>> {
        let mut conn = self.db.conn().await?;
        diesel::sql_query(format!("{SELECT_TENANT} AND t.id = $1"))
            .bind::<SqlUuid, _>(id.as_uuid())
            .get_result::<TenantRow>(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?
            .map(TenantRecord::try_from)
            .transpose()
    }

    async fn find_by_slug(&self, slug: &TenantSlug) -> RepoResult<Option<TenantRecord>> {
        let mut conn = self.db.conn().await?;
        diesel::sql_query(format!("{SELECT_TENANT} AND t.slug = $1"))
            .bind::<Text, _>(slug.as_str())
            .get_result::<TenantRow>(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?
            .map(TenantRecord::try_from)
            .transpose()
    }

    async fn current_version(
        &self,
        selector: &TenantSelector,
    ) -> RepoResult<Option<(TenantId, i64)>> {
        let mut conn = self.db.conn().await?;
        let query = tenants::table
            .filter(tenants::is_active)
            .select((tenants::id, tenants::cache_version));
        let found = match selector {
            TenantSelector::Id(id) => {
                query
                    .filter(tenants::id.eq(id.as_uuid()))
                    .first::<(Uuid, i64)>(&mut conn)
                    .await
            }
            TenantSelector::Slug(slug) => {
                query
                    .filter(tenants::slug.eq(slug.as_str()))
                    .first::<(Uuid, i64)>(&mut conn)
                    .await
            }
        };
        Ok(found
            .optional()
            .map_err(diesel_error)?
            .map(|(id, version)| (TenantId::from_uuid(id), version)))
    }

    async fn create(&self, tenant: NewTenant) -> RepoResult<TenantRecord> {
        let mut conn = self.db.conn().await?;
        let record = conn
            .transaction::<_, TxError, _>(async move |conn| {
                let modules = tenant
                    .modules
                    .iter()
                    .map(|m| (*m, ModuleSource::Manual))
                    .collect();
                let id = insert_tenant(
                    conn,
                    NewTenantRow {
                        slug: &tenant.slug,
                        name: &tenant.name,
                        status: tenant.subscription_status,
                        plan: None,
                        modules: &modules,
                        users_limit: tenant.users_limit,
                        stores_limit: tenant.stores_limit,
                    },
                )
                .await?;
                // Rows created with the tenant do not move it (see migration 6): this is the
                // version it commits with.
                let version = tenants::table
                    .find(id.as_uuid())
                    .select(tenants::cache_version)
                    .first::<i64>(conn)
                    .await?;
                Ok(TenantRecord {
                    id,
                    slug: tenant.slug,
                    name: tenant.name,
                    subscription_status: tenant.subscription_status,
                    enabled_modules: tenant.modules,
                    users_limit: tenant.users_limit,
                    stores_limit: tenant.stores_limit,
                    version,
                })
            })
            .await
            .map_err(|error| slug_conflict(error.into()))?;
        Ok(record)
    }
}

/// A tenant's rows: the tenant, its subscription (on `plan` when given) and its modules.
pub(crate) struct NewTenantRow<'a> {
    pub slug: &'a TenantSlug,
    pub name: &'a str,
    pub status: SubscriptionStatus,
    pub plan: Option<&'a Plan>,
    pub modules: &'a BTreeMap<Module, ModuleSource>,
    pub users_limit: i32,
    pub stores_limit: i32,
}

pub(crate) async fn insert_tenant(
    conn: &mut AsyncPgConnection,
    tenant: NewTenantRow<'_>,
) -> Result<TenantId, TxError> {
    let id = TenantId::generate();
    diesel::insert_into(tenants::table)
        .values((
            tenants::id.eq(id.as_uuid()),
            tenants::slug.eq(tenant.slug.as_str()),
            tenants::name.eq(tenant.name),
            tenants::users_limit.eq(tenant.users_limit),
            tenants::stores_limit.eq(tenant.stores_limit),
        ))
        .execute(conn)
        .await?;
    let trial_ends_at = tenant
        .plan
        .filter(|plan| plan.trial_days > 0 && tenant.status == SubscriptionStatus::Trialing)
        .map(|plan| Utc::now() + TimeDelta::days(i64::from(plan.trial_days)));
    diesel::insert_into(tenant_subscriptions::table)
        .values((
            tenant_subscriptions::tenant_id.eq(id.as_uuid()),
            tenant_subscriptions::status.eq(tenant.status.as_str()),
            tenant_subscriptions::plan_id.eq(tenant.plan.map(|plan| plan.id.as_uuid())),
            tenant_subscriptions::trial_ends_at.eq(trial_ends_at),
        ))
        .execute(conn)
        .await?;
    write_modules(conn, id, tenant.modules).await?;
    Ok(id)
}

/// Replaces the tenant's modules with exactly these.
pub(crate) async fn write_modules(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    modules: &BTreeMap<Module, ModuleSource>,
) -> QueryResult<()> {
    diesel::delete(tenant_modules::table.filter(tenant_modules::tenant_id.eq(tenant.as_uuid())))
        .execute(conn)
        .await?;
    let rows: Vec<_> = modules
        .iter()
        .map(|(module, source)| {
            (
                tenant_modules::tenant_id.eq(tenant.as_uuid()),
                tenant_modules::module.eq(module.as_str()),
                tenant_modules::source.eq(source.as_str()),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(tenant_modules::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub(crate) fn slug_conflict(error: RepoError) -> RepoError {
    match error {
        RepoError::Conflict(_) => RepoError::Conflict("tenant_slug".into()),
        other => other,
    }
}
