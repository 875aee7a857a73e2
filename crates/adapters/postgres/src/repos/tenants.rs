use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_domain::tenancy::{Module, SubscriptionStatus, TenantRecord, TenantSlug};
use comanda_ports::{NewTenant, RepoResult, TenantRepository};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{corrupt, diesel_error};
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
}

const SELECT_TENANT: &str = "\
    SELECT t.id, t.slug, t.name, t.users_limit, t.stores_limit, s.status, \
           ARRAY(SELECT m.module FROM tenant_modules m WHERE m.tenant_id = t.id ORDER BY m.module) AS modules \
    FROM tenants t JOIN tenant_subscriptions s ON s.tenant_id = t.id \
    WHERE t.is_active";

impl TryFrom<TenantRow> for TenantRecord {
    type Error = comanda_ports::RepoError;

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

    async fn create(&self, tenant: NewTenant) -> RepoResult<TenantRecord> {
        let id = TenantId::generate();
        let mut conn = self.db.conn().await?;
        let record = TenantRecord {
            id,
            slug: tenant.slug.clone(),
            name: tenant.name.clone(),
            subscription_status: tenant.subscription_status,
            enabled_modules: tenant.modules.clone(),
            users_limit: tenant.users_limit,
            stores_limit: tenant.stores_limit,
        };
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            diesel::insert_into(tenants::table)
                .values((
                    tenants::id.eq(id.as_uuid()),
                    tenants::slug.eq(tenant.slug.as_str()),
                    tenants::name.eq(&tenant.name),
                    tenants::users_limit.eq(tenant.users_limit),
                    tenants::stores_limit.eq(tenant.stores_limit),
                ))
                .execute(conn)
                .await?;
            diesel::insert_into(tenant_subscriptions::table)
                .values((
                    tenant_subscriptions::tenant_id.eq(id.as_uuid()),
                    tenant_subscriptions::status.eq(tenant.subscription_status.as_str()),
                ))
                .execute(conn)
                .await?;
            let modules: Vec<_> = tenant
                .modules
                .iter()
                .map(|module| {
                    (
                        tenant_modules::tenant_id.eq(id.as_uuid()),
                        tenant_modules::module.eq(module.as_str()),
                    )
                })
                .collect();
            diesel::insert_into(tenant_modules::table)
                .values(modules)
                .execute(conn)
                .await?;
            Ok(())
        })
        .await
        .map_err(|error| match diesel_error(error) {
            comanda_ports::RepoError::Conflict(_) => {
                comanda_ports::RepoError::Conflict("tenant_slug".into())
            }
            other => other,
        })?;
        Ok(record)
    }
}
