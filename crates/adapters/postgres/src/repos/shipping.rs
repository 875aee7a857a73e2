use async_trait::async_trait;
use comanda_domain::shipping::DistanceBand;
use comanda_domain::{BandId, StoreId, TenantId};
use comanda_ports::shipping::ShippingRepository;
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::TxError;
use crate::repos::audit::{self, Change};
use crate::repos::stores::ensure_store;
use crate::schema::shipping_bands;

#[derive(Clone)]
pub struct PgShippingRepository {
    db: Database,
}

impl PgShippingRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

async fn load(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    store: StoreId,
) -> Result<Vec<DistanceBand<BandId>>, TxError> {
    let rows: Vec<(Uuid, f64, i64, i32)> = shipping_bands::table
        .filter(shipping_bands::tenant_id.eq(tenant.as_uuid()))
        .filter(shipping_bands::store_id.eq(store.as_uuid()))
        .order(shipping_bands::max_km.asc())
        .select((
            shipping_bands::id,
            shipping_bands::max_km,
            shipping_bands::fee_cents,
            shipping_bands::eta_minutes,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, max_km, fee_cents, eta_minutes)| DistanceBand {
            id: BandId::from_uuid(id),
            max_km,
            fee_cents,
            eta_minutes,
        })
        .collect())
}

fn bands_json(bands: &[DistanceBand<BandId>]) -> serde_json::Value {
    serde_json::Value::Array(
        bands
            .iter()
            .map(|band| serde_json::json!({"max_km": band.max_km, "fee_cents": band.fee_cents, "eta_minutes": band.eta_minutes}))
            .collect(),
    )
}

#[async_trait]
impl ShippingRepository for PgShippingRepository {
    async fn bands(
        &self,
        tenant: TenantId,
        store: StoreId,
    ) -> RepoResult<Vec<DistanceBand<BandId>>> {
        let mut conn = self.db.conn().await?;
        ensure_store(&mut conn, tenant, store).await?;
        Ok(load(&mut conn, tenant, store).await?)
    }

    async fn replace_bands(
        &self,
        tenant: TenantId,
        store: StoreId,
        bands: Vec<DistanceBand<()>>,
        actor: &Actor,
    ) -> RepoResult<Vec<DistanceBand<BandId>>> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            ensure_store(conn, tenant, store).await?;
            let before = load(conn, tenant, store).await?;
            diesel::delete(
                shipping_bands::table
                    .filter(shipping_bands::tenant_id.eq(tenant.as_uuid()))
                    .filter(shipping_bands::store_id.eq(store.as_uuid())),
            )
            .execute(conn)
            .await?;
            let rows: Vec<_> = bands
                .iter()
                .map(|band| {
                    (
                        shipping_bands::id.eq(BandId::generate().as_uuid()),
                        shipping_bands::tenant_id.eq(tenant.as_uuid()),
                        shipping_bands::store_id.eq(store.as_uuid()),
                        shipping_bands::max_km.eq(band.max_km),
                        shipping_bands::fee_cents.eq(band.fee_cents),
                        shipping_bands::eta_minutes.eq(band.eta_minutes),
                    )
                })
                .collect();
            if !rows.is_empty() {
                diesel::insert_into(shipping_bands::table)
                    .values(rows)
                    .execute(conn)
                    .await?;
            }
            let after = load(conn, tenant, store).await?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "shipping.bands",
                    entity_type: "store",
                    entity_id: Some(store.to_string()),
                    before: Some(bands_json(&before)),
                    after: Some(bands_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }
}
