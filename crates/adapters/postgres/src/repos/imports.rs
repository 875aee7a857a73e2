//! `comanda import`: one transaction per file, row by row so a key repeated in the file is
//! handled like a second run (updated or unchanged, never a duplicate).

use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_ports::imports::{
    CustomerRow, ImportCounts, ImportRepository, OrderRow, ProductRow, Progress,
};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::TxError;
use crate::repos::audit::{self, Change};
use crate::schema::{
    categories, customers, order_items, order_payments, order_status_history, orders, products,
    tenant_order_counters,
};

#[derive(Clone)]
pub struct PgImportRepository {
    db: Database,
}

impl PgImportRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

async fn record_import(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    actor: &Actor,
    what: &str,
    counts: ImportCounts,
) -> QueryResult<()> {
    audit::record(
        conn,
        actor,
        Change {
            tenant: Some(tenant),
            action: &format!("import.{what}"),
            entity_type: what,
            entity_id: None,
            before: None,
            after: Some(serde_json::json!({
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
            })),
        },
    )
    .await
}

/// The customer with this phone, created when new; answers its id and whether it was created.
async fn customer_by_phone(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    phone: &str,
    name: &str,
) -> QueryResult<(Uuid, bool)> {
    let existing: Option<Uuid> = customers::table
        .filter(customers::tenant_id.eq(tenant.as_uuid()))
        .filter(customers::phone.eq(phone))
        .select(customers::id)
        .first(conn)
        .await
        .optional()?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let id = Uuid::now_v7();
    diesel::insert_into(customers::table)
        .values((
            customers::id.eq(id),
            customers::tenant_id.eq(tenant.as_uuid()),
            customers::name.eq(name),
            customers::phone.eq(phone),
        ))
        .execute(conn)
        .await?;
    Ok((id, true))
}

#[async_trait]
impl ImportRepository for PgImportRepository {
    async fn customers(
        &self,
        tenant: TenantId,
        rows: &[CustomerRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts> {
        let mut conn = self.db.conn().await?;
        let rows = rows.to_vec();
        let actor = actor.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let mut counts = ImportCounts::default();
            for (done, row) in rows.iter().enumerate() {
                let (id, created) =
                    customer_by_phone(conn, tenant, row.phone.as_str(), &row.name).await?;
                if created {
                    diesel::update(customers::table.find((tenant.as_uuid(), id)))
                        .set((
                            customers::email.eq(&row.email),
                            customers::notes.eq(&row.notes),
                        ))
                        .execute(conn)
                        .await?;
                    counts.created += 1;
                } else {
                    // Only what differs is written: a second run changes nothing.
                    let changed = diesel::update(
                        customers::table.find((tenant.as_uuid(), id)).filter(
                            customers::name
                                .ne(&row.name)
                                .or(customers::email.is_distinct_from(&row.email))
                                .or(customers::notes.ne(&row.notes)),
                        ),
                    )
                    .set((
                        customers::name.eq(&row.name),
                        customers::email.eq(&row.email),
                        customers::notes.eq(&row.notes),
                        customers::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
                    if changed > 0 {
                        counts.updated += 1;
                    } else {
                        counts.unchanged += 1;
                    }
                }
                progress(done + 1);
            }
            record_import(conn, tenant, &actor, "customers", counts).await?;
            Ok(counts)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn products(
        &self,
        tenant: TenantId,
        rows: &[ProductRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts> {
        let mut conn = self.db.conn().await?;
        let rows = rows.to_vec();
        let actor = actor.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let mut counts = ImportCounts::default();
            for (done, row) in rows.iter().enumerate() {
                let category: Option<Uuid> = categories::table
                    .filter(categories::tenant_id.eq(tenant.as_uuid()))
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) = lower(")
                            .bind::<diesel::sql_types::Text, _>(&row.category)
                            .sql(")"),
                    )
                    .order(categories::created_at.asc())
                    .select(categories::id)
                    .first(conn)
                    .await
                    .optional()?;
                let category = match category {
                    Some(id) => id,
                    None => {
                        let id = Uuid::now_v7();
                        diesel::insert_into(categories::table)
                            .values((
                                categories::id.eq(id),
                                categories::tenant_id.eq(tenant.as_uuid()),
                                categories::name.eq(&row.category),
                            ))
                            .execute(conn)
                            .await?;
                        id
                    }
                };
                let existing: Option<Uuid> = products::table
                    .filter(products::tenant_id.eq(tenant.as_uuid()))
                    .filter(products::category_id.eq(category))
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>(
                            "lower(products.name) = lower(",
                        )
                        .bind::<diesel::sql_types::Text, _>(&row.name)
                        .sql(")"),
                    )
                    .order(products::created_at.asc())
                    .select(products::id)
                    .first(conn)
                    .await
                    .optional()?;
                match existing {
                    None => {
                        diesel::insert_into(products::table)
                            .values((
                                products::id.eq(Uuid::now_v7()),
                                products::tenant_id.eq(tenant.as_uuid()),
                                products::category_id.eq(category),
                                products::name.eq(&row.name),
                                products::description.eq(&row.description),
                                products::price_cents.eq(row.price_cents),
                                products::is_active.eq(row.is_active),
                                products::track_stock.eq(row.track_stock),
                            ))
                            .execute(conn)
                            .await?;
                        counts.created += 1;
                    }
                    Some(id) => {
                        let changed = diesel::update(
                            products::table.find((tenant.as_uuid(), id)).filter(
                                products::description
                                    .ne(&row.description)
                                    .or(products::price_cents.ne(row.price_cents))
                                    .or(products::is_active.ne(row.is_active))
                                    .or(products::track_stock.ne(row.track_stock)),
                            ),
                        )
                        .set((
                            products::description.eq(&row.description),
                            products::price_cents.eq(row.price_cents),
                            products::is_active.eq(row.is_active),
                            products::track_stock.eq(row.track_stock),
                            products::updated_at.eq(diesel::dsl::now),
                        ))
                        .execute(conn)
                        .await?;
                        if changed > 0 {
                            counts.updated += 1;
                        } else {
                            counts.unchanged += 1;
                        }
                    }
                }
                progress(done + 1);
            }
            record_import(conn, tenant, &actor, "products", counts).await?;
            Ok(counts)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn orders(
        &self,
        tenant: TenantId,
        rows: &[OrderRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts> {
        let mut conn = self.db.conn().await?;
        let rows = rows.to_vec();
        let actor = actor.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let mut counts = ImportCounts::default();
            let mut highest = 0;
            for (done, order) in rows.iter().enumerate() {
                highest = highest.max(order.number);
                let exists: bool = diesel::select(diesel::dsl::exists(
                    orders::table
                        .filter(orders::tenant_id.eq(tenant.as_uuid()))
                        .filter(orders::number.eq(order.number)),
                ))
                .get_result(conn)
                .await?;
                if exists {
                    counts.unchanged += 1;
                    progress(done + 1);
                    continue;
                }
                let (customer, _) = customer_by_phone(
                    conn,
                    tenant,
                    order.customer_phone.as_str(),
                    &order.customer_name,
                )
                .await?;
                let subtotal: i64 = order
                    .items
                    .iter()
                    .map(|item| i64::from(item.quantity).saturating_mul(item.unit_price_cents))
                    .sum();
                let discount = order.discount_cents.min(subtotal);
                let total = subtotal - discount + order.shipping_fee_cents;
                let id = Uuid::now_v7();
                diesel::insert_into(orders::table)
                    .values((
                        orders::id.eq(id),
                        orders::tenant_id.eq(tenant.as_uuid()),
                        orders::number.eq(order.number),
                        orders::store_id.eq(order.store_id.as_uuid()),
                        orders::customer_id.eq(customer),
                        orders::status.eq(order.status.as_str()),
                        orders::fulfillment.eq(order.fulfillment.as_str()),
                        orders::subtotal_cents.eq(subtotal),
                        orders::discount_cents.eq(discount),
                        orders::shipping_fee_cents.eq(order.shipping_fee_cents),
                        orders::total_cents.eq(total),
                        orders::created_at.eq(order.created_at),
                        orders::updated_at.eq(order.created_at),
                    ))
                    .execute(conn)
                    .await?;
                let items: Vec<_> = order
                    .items
                    .iter()
                    .enumerate()
                    .map(|(position, item)| {
                        (
                            order_items::id.eq(Uuid::now_v7()),
                            order_items::tenant_id.eq(tenant.as_uuid()),
                            order_items::order_id.eq(id),
                            order_items::product_name.eq(item.product_name.clone()),
                            order_items::quantity.eq(item.quantity),
                            order_items::unit_price_cents.eq(item.unit_price_cents),
                            order_items::line_total_cents
                                .eq(i64::from(item.quantity).saturating_mul(item.unit_price_cents)),
                            order_items::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                        )
                    })
                    .collect();
                diesel::insert_into(order_items::table)
                    .values(items)
                    .execute(conn)
                    .await?;
                diesel::insert_into(order_payments::table)
                    .values((
                        order_payments::order_id.eq(id),
                        order_payments::tenant_id.eq(tenant.as_uuid()),
                        order_payments::method.eq(order.payment_method.as_str()),
                        order_payments::amount_cents.eq(total),
                    ))
                    .execute(conn)
                    .await?;
                diesel::insert_into(order_status_history::table)
                    .values((
                        order_status_history::id.eq(Uuid::now_v7()),
                        order_status_history::tenant_id.eq(tenant.as_uuid()),
                        order_status_history::order_id.eq(id),
                        order_status_history::to_status.eq(order.status.as_str()),
                        order_status_history::reason.eq(Some("imported")),
                        order_status_history::created_at.eq(order.created_at),
                    ))
                    .execute(conn)
                    .await?;
                counts.created += 1;
                progress(done + 1);
            }
            // New orders get numbers after the imported ones.
            if highest > 0 {
                diesel::insert_into(tenant_order_counters::table)
                    .values((
                        tenant_order_counters::tenant_id.eq(tenant.as_uuid()),
                        tenant_order_counters::last_number.eq(highest),
                    ))
                    .on_conflict(tenant_order_counters::tenant_id)
                    .do_update()
                    .set(tenant_order_counters::last_number.eq(diesel::dsl::sql::<
                        diesel::sql_types::BigInt,
                    >(
                        "GREATEST(tenant_order_counters.last_number, excluded.last_number)",
                    )))
                    .execute(conn)
                    .await?;
            }
            record_import(conn, tenant, &actor, "orders", counts).await?;
            Ok(counts)
        })
        .await
        .map_err(RepoError::from)
    }
}
