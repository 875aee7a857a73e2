use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{CustomerId, TenantId};
use comanda_ports::customers::{Customer, CustomerChanges, CustomerRepository, StoredPhone};
use comanda_ports::orders::{OrderFilter, OrderSummary};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::orders::list_orders;
use crate::database::Database;
use crate::errors::{TxError, diesel_error};
use crate::repos::audit::{self, Change};
use crate::repos::contains_pattern;
use crate::schema::{campaign_uses, customers, orders};

#[derive(Clone)]
pub struct PgCustomerRepository {
    db: Database,
}

impl PgCustomerRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(QueryableByName)]
struct CustomerRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    phone: String,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
    #[diesel(sql_type = Text)]
    notes: String,
    #[diesel(sql_type = BigInt)]
    orders_count: i64,
    #[diesel(sql_type = BigInt)]
    total_spent_cents: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_order_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

impl From<CustomerRow> for Customer {
    fn from(row: CustomerRow) -> Self {
        Customer {
            id: CustomerId::from_uuid(row.id),
            name: row.name,
            phone: row.phone,
            email: row.email,
            notes: row.notes,
            orders_count: row.orders_count,
            total_spent_cents: row.total_spent_cents,
            last_order_at: row.last_order_at,
            created_at: row.created_at,
        }
    }
}

/// Customers with their order figures in one statement (`$1` tenant, `$2` id or null,
/// `$3` search pattern or null, `$4` limit, `$5` offset).
const SELECT_CUSTOMERS: &str = "\
    SELECT c.id, c.name, c.phone, c.email, c.notes, c.created_at, \
           count(o.id) AS orders_count, \
           coalesce(sum(o.total_cents) FILTER (WHERE o.status <> 'canceled'), 0)::bigint AS total_spent_cents, \
           max(o.created_at) AS last_order_at, count(*) OVER () AS total \
    FROM customers c LEFT JOIN orders o ON o.customer_id = c.id AND o.tenant_id = c.tenant_id \
    WHERE c.tenant_id = $1 AND ($2::uuid IS NULL OR c.id = $2) \
      AND ($3::text IS NULL OR c.name ILIKE $3 OR c.phone LIKE $3) \
    GROUP BY c.tenant_id, c.id ORDER BY lower(c.name), c.id LIMIT $4 OFFSET $5";

async fn query(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Option<Uuid>,
    pattern: Option<String>,
    page: PageRequest,
) -> QueryResult<Vec<CustomerRow>> {
    diesel::sql_query(SELECT_CUSTOMERS)
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Nullable<SqlUuid>, _>(id)
        .bind::<Nullable<Text>, _>(pattern)
        .bind::<BigInt, _>(i64::from(page.limit))
        .bind::<BigInt, _>(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .load(conn)
        .await
}

async fn load(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> QueryResult<Option<Customer>> {
    Ok(query(conn, tenant, Some(id), None, PageRequest::default())
        .await?
        .pop()
        .map(Customer::from))
}

fn customer_json(customer: &Customer) -> serde_json::Value {
    serde_json::json!({"id": customer.id, "name": customer.name, "phone": customer.phone, "email": customer.email, "notes": customer.notes})
}

#[async_trait]
impl CustomerRepository for PgCustomerRepository {
    async fn list(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: PageRequest,
    ) -> RepoResult<Page<Customer>> {
        let mut conn = self.db.conn().await?;
        let pattern = search.map(contains_pattern);
        let rows = query(&mut conn, tenant, None, pattern.clone(), page)
            .await
            .map_err(diesel_error)?;
        let total = match <[CustomerRow]>::first(&rows) {
            Some(row) => row.total,
            // A page past the end: count on its own, with the same search.
            None => {
                let mut count = customers::table
                    .filter(customers::tenant_id.eq(tenant.as_uuid()))
                    .into_boxed();
                if let Some(pattern) = pattern {
                    count = count.filter(
                        customers::name
                            .ilike(pattern.clone())
                            .or(customers::phone.like(pattern)),
                    );
                }
                count
                    .count()
                    .get_result(&mut conn)
                    .await
                    .map_err(diesel_error)?
            }
        };
        let total = u64::try_from(total).unwrap_or(0);
        Ok(Page {
            items: rows.into_iter().map(Customer::from).collect(),
            total,
        })
    }

    async fn find(&self, tenant: TenantId, id: CustomerId) -> RepoResult<Option<Customer>> {
        let mut conn = self.db.conn().await?;
        load(&mut conn, tenant, id.as_uuid())
            .await
            .map_err(diesel_error)
    }

    async fn orders(
        &self,
        tenant: TenantId,
        id: CustomerId,
        page: PageRequest,
    ) -> RepoResult<Page<OrderSummary>> {
        let mut conn = self.db.conn().await?;
        let filter = OrderFilter {
            customer: Some(id),
            ..OrderFilter::default()
        };
        list_orders(&mut conn, tenant, &filter, page).await
    }

    async fn update(
        &self,
        tenant: TenantId,
        id: CustomerId,
        changes: CustomerChanges,
        actor: &Actor,
    ) -> RepoResult<Customer> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = load(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("customer"))?;
            diesel::update(
                customers::table
                    .filter(customers::tenant_id.eq(tenant.as_uuid()))
                    .filter(customers::id.eq(id.as_uuid())),
            )
            .set((
                customers::name.eq(changes.name.as_deref().unwrap_or(&before.name)),
                customers::phone.eq(changes
                    .phone
                    .as_ref()
                    .map_or(before.phone.as_str(), |p| p.as_str())),
                customers::email.eq(changes.email.clone().unwrap_or(before.email.clone())),
                customers::notes.eq(changes.notes.as_deref().unwrap_or(&before.notes)),
                customers::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
            let after = load(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("customer"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "customer.update",
                    entity_type: "customer",
                    entity_id: Some(id.to_string()),
                    before: Some(customer_json(&before)),
                    after: Some(customer_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(|error| match RepoError::from(error) {
            RepoError::Conflict(_) => RepoError::Conflict("customer_phone".into()),
            other => other,
        })
    }

    async fn phones(&self, tenant: Option<TenantId>) -> RepoResult<Vec<StoredPhone>> {
        let mut conn = self.db.conn().await?;
        // An erased customer's phone is a placeholder, not a phone to normalize or merge by.
        let mut query = customers::table
            .filter(customers::erased_at.is_null())
            .into_boxed();
        if let Some(tenant) = tenant {
            query = query.filter(customers::tenant_id.eq(tenant.as_uuid()));
        }
        let rows: Vec<(Uuid, Uuid, String, DateTime<Utc>)> = query
            .order((customers::created_at.asc(), customers::id.asc()))
            .select((
                customers::tenant_id,
                customers::id,
                customers::phone,
                customers::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|(tenant_id, id, phone, created_at)| StoredPhone {
                tenant_id: TenantId::from_uuid(tenant_id),
                customer_id: CustomerId::from_uuid(id),
                phone,
                created_at,
            })
            .collect())
    }

    async fn merge(
        &self,
        tenant: TenantId,
        survivor: CustomerId,
        merged: CustomerId,
        actor: &Actor,
    ) -> RepoResult<Customer> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let kept = load(conn, tenant, survivor.as_uuid()).await?.ok_or(RepoError::NotFound("customer"))?;
            let gone = load(conn, tenant, merged.as_uuid()).await?.ok_or(RepoError::NotFound("customer"))?;
            let moved = diesel::update(orders::table.filter(orders::tenant_id.eq(tenant.as_uuid())).filter(orders::customer_id.eq(merged.as_uuid())))
                .set(orders::customer_id.eq(survivor.as_uuid()))
                .execute(conn)
                .await?;
            diesel::update(campaign_uses::table.filter(campaign_uses::tenant_id.eq(tenant.as_uuid())).filter(campaign_uses::customer_id.eq(merged.as_uuid())))
                .set(campaign_uses::customer_id.eq(survivor.as_uuid()))
                .execute(conn)
                .await?;
            if kept.notes.is_empty() && !gone.notes.is_empty() {
                diesel::update(
                    customers::table
                        .filter(customers::tenant_id.eq(tenant.as_uuid()))
                        .filter(customers::id.eq(survivor.as_uuid())),
                )
                    .set(customers::notes.eq(&gone.notes))
                    .execute(conn)
                    .await?;
            }
            diesel::delete(customers::table.filter(customers::tenant_id.eq(tenant.as_uuid())).filter(customers::id.eq(merged.as_uuid())))
                .execute(conn)
                .await?;
            let after = load(conn, tenant, survivor.as_uuid()).await?.ok_or(RepoError::NotFound("customer"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "customer.merge",
                    entity_type: "customer",
                    entity_id: Some(survivor.to_string()),
                    before: Some(serde_json::json!({"survivor": customer_json(&kept), "merged": customer_json(&gone)})),
                    after: Some(serde_json::json!({"survivor": customer_json(&after), "orders_moved": moved})),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }
}
