use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{OrderId, ProductId, StoreId, TenantId, UserId};
use comanda_ports::inventory::{Adjustment, InventoryRepository, StockLevel, StockMovement};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, diesel_error};
use crate::repos::audit::{self, Change};
use crate::repos::stores::ensure_store;
use crate::schema::{products, stock_levels, stock_movements};

#[derive(Clone)]
pub struct PgInventoryRepository {
    db: Database,
}

impl PgInventoryRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl InventoryRepository for PgInventoryRepository {
    async fn on_hand(
        &self,
        tenant: TenantId,
        store: StoreId,
        products: &[ProductId],
    ) -> RepoResult<HashMap<ProductId, i32>> {
        if products.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = products.iter().map(ProductId::as_uuid).collect();
        let mut conn = self.db.conn().await?;
        let rows: Vec<(Uuid, i32)> = stock_levels::table
            .filter(stock_levels::tenant_id.eq(tenant.as_uuid()))
            .filter(stock_levels::store_id.eq(store.as_uuid()))
            .filter(stock_levels::product_id.eq_any(ids))
            .select((stock_levels::product_id, stock_levels::quantity))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|(product, quantity)| (ProductId::from_uuid(product), quantity))
            .collect())
    }

    async fn levels(
        &self,
        tenant: TenantId,
        store: StoreId,
        page: PageRequest,
    ) -> RepoResult<Page<StockLevel>> {
        let mut conn = self.db.conn().await?;
        ensure_store(&mut conn, tenant, store).await?;
        let tracked = products::table
            .filter(products::tenant_id.eq(tenant.as_uuid()))
            .filter(products::track_stock.eq(true));
        let total: i64 = tracked
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<(Uuid, String, bool, Option<i32>, Option<DateTime<Utc>>)> = tracked
            .left_join(
                stock_levels::table.on(stock_levels::tenant_id
                    .eq(products::tenant_id)
                    .and(stock_levels::product_id.eq(products::id))
                    .and(stock_levels::store_id.eq(store.as_uuid()))),
            )
            .order((products::name, products::id))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select((
                products::id,
                products::name,
                products::track_stock,
                stock_levels::quantity.nullable(),
                stock_levels::updated_at.nullable(),
            ))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(
                    |(product, name, track_stock, quantity, updated_at)| StockLevel {
                        store_id: store,
                        product_id: ProductId::from_uuid(product),
                        product_name: name,
                        track_stock,
                        quantity: quantity.unwrap_or(0),
                        updated_at,
                    },
                )
                .collect(),
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn adjust(
        &self,
        tenant: TenantId,
        store: StoreId,
        product: ProductId,
        adjustment: Adjustment,
        note: &str,
        actor: &Actor,
    ) -> RepoResult<StockLevel> {
        let mut conn = self.db.conn().await?;
        let note = note.to_owned();
        conn.transaction::<_, TxError, _>(async move |conn| {
            ensure_store(conn, tenant, store).await?;
            let (name, track_stock): (String, bool) = products::table
                .filter(products::tenant_id.eq(tenant.as_uuid()))
                .filter(products::id.eq(product.as_uuid()))
                .select((products::name, products::track_stock))
                .first(conn)
                .await
                .optional()?
                .ok_or(RepoError::NotFound("product"))?;
            // Create the row if needed, then lock it like a checkout would.
            diesel::insert_into(stock_levels::table)
                .values((
                    stock_levels::tenant_id.eq(tenant.as_uuid()),
                    stock_levels::store_id.eq(store.as_uuid()),
                    stock_levels::product_id.eq(product.as_uuid()),
                    stock_levels::quantity.eq(0),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            let before: i32 = stock_levels::table
                .find((tenant.as_uuid(), store.as_uuid(), product.as_uuid()))
                .select(stock_levels::quantity)
                .for_update()
                .first(conn)
                .await?;
            let after = match adjustment {
                Adjustment::Delta(delta) => before.checked_add(delta),
                Adjustment::Set(quantity) => Some(quantity),
            }
            .filter(|quantity| *quantity >= 0)
            .ok_or_else(|| RepoError::Conflict("negative_stock".into()))?;
            let updated_at: DateTime<Utc> = diesel::update(stock_levels::table.find((
                tenant.as_uuid(),
                store.as_uuid(),
                product.as_uuid(),
            )))
            .set((
                stock_levels::quantity.eq(after),
                stock_levels::updated_at.eq(diesel::dsl::now),
            ))
            .returning(stock_levels::updated_at)
            .get_result(conn)
            .await?;
            diesel::insert_into(stock_movements::table)
                .values((
                    stock_movements::id.eq(Uuid::now_v7()),
                    stock_movements::tenant_id.eq(tenant.as_uuid()),
                    stock_movements::store_id.eq(store.as_uuid()),
                    stock_movements::product_id.eq(product.as_uuid()),
                    stock_movements::delta.eq(after - before),
                    stock_movements::quantity_after.eq(after),
                    stock_movements::reason.eq("adjustment"),
                    stock_movements::note.eq(&note),
                    stock_movements::actor_user_id.eq(actor.user_id.map(|u| u.as_uuid())),
                ))
                .execute(conn)
                .await?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "inventory.adjust",
                    entity_type: "stock",
                    entity_id: Some(format!("{store}/{product}")),
                    before: Some(serde_json::json!({"quantity": before})),
                    after: Some(serde_json::json!({"quantity": after, "note": note})),
                },
            )
            .await?;
            Ok(StockLevel {
                store_id: store,
                product_id: product,
                product_name: name,
                track_stock,
                quantity: after,
                updated_at: Some(updated_at),
            })
        })
        .await
        .map_err(RepoError::from)
    }

    async fn movements(
        &self,
        tenant: TenantId,
        store: Option<StoreId>,
        product: Option<ProductId>,
        page: PageRequest,
    ) -> RepoResult<Page<StockMovement>> {
        let mut conn = self.db.conn().await?;
        let filtered = || {
            let mut query = stock_movements::table
                .filter(stock_movements::tenant_id.eq(tenant.as_uuid()))
                .into_boxed();
            if let Some(store) = store {
                query = query.filter(stock_movements::store_id.eq(store.as_uuid()));
            }
            if let Some(product) = product {
                query = query.filter(stock_movements::product_id.eq(product.as_uuid()));
            }
            query
        };
        let total: i64 = filtered()
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        type Row = (
            Uuid,
            Uuid,
            Uuid,
            i32,
            i32,
            String,
            String,
            Option<Uuid>,
            Option<Uuid>,
            DateTime<Utc>,
        );
        let rows: Vec<Row> = filtered()
            .order((
                stock_movements::created_at.desc(),
                stock_movements::id.desc(),
            ))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select((
                stock_movements::id,
                stock_movements::store_id,
                stock_movements::product_id,
                stock_movements::delta,
                stock_movements::quantity_after,
                stock_movements::reason,
                stock_movements::note,
                stock_movements::order_id,
                stock_movements::actor_user_id,
                stock_movements::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(
                    |(
                        id,
                        store,
                        product,
                        delta,
                        quantity_after,
                        reason,
                        note,
                        order,
                        actor,
                        created_at,
                    )| StockMovement {
                        id: id.to_string(),
                        store_id: StoreId::from_uuid(store),
                        product_id: ProductId::from_uuid(product),
                        delta,
                        quantity_after,
                        reason,
                        note,
                        order_id: order.map(OrderId::from_uuid),
                        actor_user_id: actor.map(UserId::from_uuid),
                        created_at,
                    },
                )
                .collect(),
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}
