//! The first-access checklist's counts, in one statement.

use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_ports::onboarding::{OnboardingFacts, OnboardingRepository};
use comanda_ports::{RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;

use crate::database::Database;
use crate::errors::diesel_error;

#[derive(Clone)]
pub struct PgOnboardingRepository {
    db: Database,
}

impl PgOnboardingRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = BigInt)]
    stores: i64,
    #[diesel(sql_type = BigInt)]
    products: i64,
    #[diesel(sql_type = BigInt)]
    shipping_bands: i64,
    #[diesel(sql_type = BigInt)]
    orders: i64,
    #[diesel(sql_type = Bool)]
    test_mode: bool,
}

#[async_trait]
impl OnboardingRepository for PgOnboardingRepository {
    async fn facts(&self, tenant: TenantId) -> RepoResult<OnboardingFacts> {
        let mut conn = self.db.conn().await?;
        // `LIMIT 1` sub-selects: the checklist needs "any", not how many.
        let row: Option<FactsRow> = diesel::sql_query(
            "SELECT \
               (SELECT count(*) FROM (SELECT 1 FROM stores WHERE tenant_id = t.id AND is_active LIMIT 1) s) AS stores, \
               (SELECT count(*) FROM (SELECT 1 FROM products WHERE tenant_id = t.id AND is_active LIMIT 1) p) AS products, \
               (SELECT count(*) FROM (SELECT 1 FROM shipping_bands WHERE tenant_id = t.id LIMIT 1) b) AS shipping_bands, \
               (SELECT count(*) FROM (SELECT 1 FROM orders WHERE tenant_id = t.id LIMIT 1) o) AS orders, \
               t.first_access_test_mode AS test_mode \
             FROM tenants t WHERE t.id = $1",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .get_result(&mut conn)
        .await
        .optional()
        .map_err(diesel_error)?;
        let row = row.ok_or(RepoError::NotFound("tenant"))?;
        Ok(OnboardingFacts {
            stores: row.stores,
            products: row.products,
            shipping_bands: row.shipping_bands,
            orders: row.orders,
            test_mode: row.test_mode,
        })
    }
}
