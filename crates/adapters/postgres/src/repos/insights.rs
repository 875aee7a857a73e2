use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::{ProductId, StoreId, TenantId};
use comanda_ports::RepoError;
use comanda_ports::RepoResult;
use comanda_ports::insights::{Insights, InsightsRepository, TopProduct};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::database::Database;
use crate::errors::diesel_error;

#[derive(Clone)]
pub struct PgInsightsRepository {
    db: Database,
}

impl PgInsightsRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The period's orders (`$1` tenant, `$2` from, `$3` to, `$4` store or null).
const PERIOD: &str = "SELECT * FROM orders WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 \
                      AND ($4::uuid IS NULL OR store_id = $4)";

#[derive(QueryableByName)]
struct Totals {
    #[diesel(sql_type = BigInt)]
    revenue_cents: i64,
    #[diesel(sql_type = BigInt)]
    order_count: i64,
    #[diesel(sql_type = BigInt)]
    new_customers: i64,
    #[diesel(sql_type = BigInt)]
    returning_customers: i64,
}

#[derive(QueryableByName)]
struct Bucket {
    #[diesel(sql_type = Text)]
    dimension: String,
    #[diesel(sql_type = Integer)]
    bucket: i32,
    #[diesel(sql_type = BigInt)]
    orders: i64,
}

#[derive(QueryableByName)]
struct Top {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    product_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = BigInt)]
    revenue_cents: i64,
}

#[async_trait]
impl InsightsRepository for PgInsightsRepository {
    async fn insights(
        &self,
        tenant: TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        store: Option<StoreId>,
    ) -> RepoResult<Insights> {
        let mut conn = self.db.conn().await?;
        // An unknown store (or another tenant's) is not found, as on every other route.
        if let Some(store) = store {
            super::stores::ensure_store(&mut conn, tenant, store)
                .await
                .map_err(RepoError::from)?;
        }
        let store = store.map(|s| s.as_uuid());
        macro_rules! bound {
            ($sql:expr) => {
                diesel::sql_query($sql)
                    .bind::<SqlUuid, _>(tenant.as_uuid())
                    .bind::<Timestamptz, _>(from)
                    .bind::<Timestamptz, _>(to)
                    .bind::<Nullable<SqlUuid>, _>(store)
            };
        }
        let totals: Totals = bound!(format!(
            "WITH period AS ({PERIOD}), sold AS (SELECT * FROM period WHERE status <> 'canceled'), \
             buyers AS (SELECT DISTINCT customer_id FROM sold) \
             SELECT coalesce(sum(total_cents), 0)::bigint AS revenue_cents, count(*) AS order_count, \
               (SELECT count(*) FROM buyers b WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = $1 \
                  AND o.customer_id = b.customer_id AND o.created_at < $2 AND o.status <> 'canceled')) AS new_customers, \
               (SELECT count(*) FROM buyers b WHERE EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = $1 \
                  AND o.customer_id = b.customer_id AND o.created_at < $2 AND o.status <> 'canceled')) AS returning_customers \
             FROM sold"
        ))
        .get_result(&mut conn)
        .await
        .map_err(diesel_error)?;
        let buckets: Vec<Bucket> = bound!(format!(
            "WITH period AS ({PERIOD}) \
             SELECT 'hour' AS dimension, extract(hour FROM created_at AT TIME ZONE 'America/Sao_Paulo')::int AS bucket, \
                    count(*) AS orders \
               FROM period WHERE status <> 'canceled' GROUP BY 2 \
             UNION ALL SELECT 'weekday', extract(isodow FROM created_at AT TIME ZONE 'America/Sao_Paulo')::int, count(*) \
               FROM period WHERE status <> 'canceled' GROUP BY 2"
        ))
        .load(&mut conn)
        .await
        .map_err(diesel_error)?;
        #[derive(QueryableByName)]
        struct StatusCount {
            #[diesel(sql_type = Text)]
            status: String,
            #[diesel(sql_type = BigInt)]
            orders: i64,
        }
        let statuses: Vec<StatusCount> = bound!(format!(
            "WITH period AS ({PERIOD}) SELECT status, count(*) AS orders FROM period GROUP BY status"
        ))
        .load(&mut conn)
        .await
        .map_err(diesel_error)?;
        let top: Vec<Top> = bound!(format!(
            "WITH period AS ({PERIOD}) \
             SELECT i.product_id, min(i.product_name) AS name, sum(i.quantity)::bigint AS quantity, \
                    sum(i.line_total_cents)::bigint AS revenue_cents \
             FROM order_items i JOIN period p ON p.tenant_id = i.tenant_id AND p.id = i.order_id \
             WHERE p.status <> 'canceled' GROUP BY i.product_id ORDER BY quantity DESC, revenue_cents DESC LIMIT 10"
        ))
        .load(&mut conn)
        .await
        .map_err(diesel_error)?;

        let mut by_hour = BTreeMap::new();
        let mut by_weekday = BTreeMap::new();
        for bucket in buckets {
            match bucket.dimension.as_str() {
                "hour" => {
                    by_hour.insert(bucket.bucket, bucket.orders);
                }
                "weekday" => {
                    by_weekday.insert(bucket.bucket, bucket.orders);
                }
                _ => {}
            }
        }
        Ok(Insights {
            revenue_cents: totals.revenue_cents,
            order_count: totals.order_count,
            average_ticket_cents: if totals.order_count > 0 {
                totals.revenue_cents / totals.order_count
            } else {
                0
            },
            orders_by_status: statuses.into_iter().map(|s| (s.status, s.orders)).collect(),
            orders_by_hour: by_hour,
            orders_by_weekday: by_weekday,
            top_products: top
                .into_iter()
                .map(|t| TopProduct {
                    product_id: t.product_id.map(ProductId::from_uuid),
                    name: t.name,
                    quantity: t.quantity,
                    revenue_cents: t.revenue_cents,
                })
                .collect(),
            new_customers: totals.new_customers,
            returning_customers: totals.returning_customers,
        })
    }
}
