use async_trait::async_trait;
use comanda_domain::delivery_area::{AreaKind, AreaShape, DeliveryArea, GeoJsonShape};
use comanda_domain::shipping::DistanceBand;
use comanda_domain::{AreaId, BandId, StoreId, TenantId};
use comanda_ports::shipping::ShippingRepository;
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::repos::stores::ensure_store;
use crate::schema::{delivery_areas, shipping_bands};

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

type AreaRow = (
    Uuid,
    Uuid,
    String,
    String,
    Option<String>,
    Vec<String>,
    Option<serde_json::Value>,
    i64,
    i64,
    Option<i64>,
    i32,
);

macro_rules! area_columns {
    () => {
        (
            delivery_areas::id,
            delivery_areas::store_id,
            delivery_areas::kind,
            delivery_areas::name,
            delivery_areas::city,
            delivery_areas::districts,
            delivery_areas::polygon,
            delivery_areas::fee_cents,
            delivery_areas::min_order_cents,
            delivery_areas::free_above_cents,
            delivery_areas::eta_minutes,
        )
    };
}

fn area_from(row: AreaRow) -> RepoResult<DeliveryArea> {
    let (id, store, kind, name, city, districts, polygon, fee, min, free_above, eta) = row;
    let kind = match (kind.as_str(), polygon) {
        ("polygon", Some(polygon)) => {
            let geojson: GeoJsonShape =
                serde_json::from_value(polygon).map_err(|e| corrupt("area polygon", e))?;
            let shape = AreaShape::parse(&geojson).map_err(|e| corrupt("area polygon", e))?;
            AreaKind::Polygon { geojson, shape }
        }
        ("neighbourhood", _) => AreaKind::Neighbourhood {
            city: city.unwrap_or_default(),
            districts,
        },
        (other, _) => return Err(corrupt("area kind", other)),
    };
    Ok(DeliveryArea {
        id: AreaId::from_uuid(id),
        store_id: StoreId::from_uuid(store),
        name,
        kind,
        fee_cents: fee,
        min_order_cents: min,
        free_above_cents: free_above,
        eta_minutes: eta,
    })
}

fn area_json(area: &DeliveryArea) -> serde_json::Value {
    serde_json::json!({
        "name": area.name, "kind": area.kind_name(), "fee_cents": area.fee_cents,
        "min_order_cents": area.min_order_cents, "free_above_cents": area.free_above_cents,
        "eta_minutes": area.eta_minutes,
    })
}

async fn load_areas(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    store: Option<StoreId>,
) -> RepoResult<Vec<DeliveryArea>> {
    let mut query = delivery_areas::table
        .filter(delivery_areas::tenant_id.eq(tenant.as_uuid()))
        .into_boxed();
    if let Some(store) = store {
        query = query.filter(delivery_areas::store_id.eq(store.as_uuid()));
    }
    let rows: Vec<AreaRow> = query
        .order((delivery_areas::created_at.asc(), delivery_areas::id.asc()))
        .select(area_columns!())
        .load(conn)
        .await
        .map_err(diesel_error)?;
    rows.into_iter().map(area_from).collect()
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

    async fn areas(&self, tenant: TenantId, store: StoreId) -> RepoResult<Vec<DeliveryArea>> {
        let mut conn = self.db.conn().await?;
        ensure_store(&mut conn, tenant, store).await?;
        load_areas(&mut conn, tenant, Some(store)).await
    }

    async fn tenant_bands(
        &self,
        tenant: TenantId,
    ) -> RepoResult<Vec<(StoreId, DistanceBand<BandId>)>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<(Uuid, Uuid, f64, i64, i32)> = shipping_bands::table
            .filter(shipping_bands::tenant_id.eq(tenant.as_uuid()))
            .order((shipping_bands::store_id.asc(), shipping_bands::max_km.asc()))
            .select((
                shipping_bands::store_id,
                shipping_bands::id,
                shipping_bands::max_km,
                shipping_bands::fee_cents,
                shipping_bands::eta_minutes,
            ))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|(store, id, max_km, fee_cents, eta_minutes)| {
                (
                    StoreId::from_uuid(store),
                    DistanceBand {
                        id: BandId::from_uuid(id),
                        max_km,
                        fee_cents,
                        eta_minutes,
                    },
                )
            })
            .collect())
    }

    async fn tenant_areas(&self, tenant: TenantId) -> RepoResult<Vec<DeliveryArea>> {
        let mut conn = self.db.conn().await?;
        load_areas(&mut conn, tenant, None).await
    }

    async fn save_area(
        &self,
        tenant: TenantId,
        area: &DeliveryArea,
        create: bool,
        actor: &Actor,
    ) -> RepoResult<DeliveryArea> {
        let mut conn = self.db.conn().await?;
        let area = area.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            ensure_store(conn, tenant, area.store_id).await?;
            let (city, districts, polygon) = match &area.kind {
                AreaKind::Neighbourhood { city, districts } => {
                    (Some(city.clone()), districts.clone(), None)
                }
                AreaKind::Polygon { geojson, .. } => (
                    None,
                    Vec::new(),
                    Some(
                        serde_json::to_value(geojson)
                            .map_err(|e| RepoError::Internal(e.to_string()))?,
                    ),
                ),
            };
            let before: Option<AreaRow> = delivery_areas::table
                .filter(delivery_areas::tenant_id.eq(tenant.as_uuid()))
                .filter(delivery_areas::store_id.eq(area.store_id.as_uuid()))
                .filter(delivery_areas::id.eq(area.id.as_uuid()))
                .select(area_columns!())
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let values = (
                delivery_areas::kind.eq(area.kind_name()),
                delivery_areas::name.eq(&area.name),
                delivery_areas::city.eq(&city),
                delivery_areas::districts.eq(&districts),
                delivery_areas::polygon.eq(&polygon),
                delivery_areas::fee_cents.eq(area.fee_cents),
                delivery_areas::min_order_cents.eq(area.min_order_cents),
                delivery_areas::free_above_cents.eq(area.free_above_cents),
                delivery_areas::eta_minutes.eq(area.eta_minutes),
                delivery_areas::updated_at.eq(diesel::dsl::now),
            );
            match (&before, create) {
                (None, true) => {
                    diesel::insert_into(delivery_areas::table)
                        .values((
                            delivery_areas::tenant_id.eq(tenant.as_uuid()),
                            delivery_areas::id.eq(area.id.as_uuid()),
                            delivery_areas::store_id.eq(area.store_id.as_uuid()),
                            values,
                        ))
                        .execute(conn)
                        .await?;
                }
                (Some(_), false) => {
                    diesel::update(
                        delivery_areas::table
                            .filter(delivery_areas::tenant_id.eq(tenant.as_uuid()))
                            .filter(delivery_areas::id.eq(area.id.as_uuid())),
                    )
                    .set(values)
                    .execute(conn)
                    .await?;
                }
                (Some(_), true) => return Err(RepoError::Conflict("delivery area".into()).into()),
                (None, false) => return Err(RepoError::NotFound("delivery area").into()),
            }
            let before = before.map(area_from).transpose()?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: if create {
                        "shipping.area.create"
                    } else {
                        "shipping.area.update"
                    },
                    entity_type: "delivery_area",
                    entity_id: Some(area.id.to_string()),
                    before: before.as_ref().map(area_json),
                    after: Some(area_json(&area)),
                },
            )
            .await?;
            Ok(area)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn delete_area(
        &self,
        tenant: TenantId,
        store: StoreId,
        area: AreaId,
        actor: &Actor,
    ) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let deleted: Option<AreaRow> = diesel::delete(
                delivery_areas::table
                    .filter(delivery_areas::tenant_id.eq(tenant.as_uuid()))
                    .filter(delivery_areas::store_id.eq(store.as_uuid()))
                    .filter(delivery_areas::id.eq(area.as_uuid())),
            )
            .returning(area_columns!())
            .get_result(conn)
            .await
            .optional()?;
            let deleted = deleted.ok_or(RepoError::NotFound("delivery area"))?;
            let deleted = area_from(deleted)?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "shipping.area.delete",
                    entity_type: "delivery_area",
                    entity_id: Some(area.to_string()),
                    before: Some(area_json(&deleted)),
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
