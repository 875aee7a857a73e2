use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::{Address, NewStore, Store};
use comanda_domain::{StoreId, TenantId};
use comanda_ports::{Actor, RepoError, RepoResult, StoreChanges, StoreRepository};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::{stores, tenants};

#[derive(Clone)]
pub struct PgStoreRepository {
    db: Database,
}

impl PgStoreRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = stores, check_for_backend(diesel::pg::Pg))]
pub(crate) struct StoreRow {
    id: Uuid,
    tenant_id: Uuid,
    name: String,
    phone: Option<String>,
    cep: String,
    street: String,
    number: String,
    complement: String,
    district: String,
    city: String,
    state: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    time_zone: String,
    opening_hours: serde_json::Value,
    is_active: bool,
    manually_closed: bool,
    delivery_enabled: bool,
    pickup_enabled: bool,
    accepts_preorders: bool,
    telegram_chat_id: Option<String>,
    image_url: Option<String>,
    free_shipping_above_cents: Option<i64>,
    hide_unavailable_items: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<StoreRow> for Store {
    type Error = RepoError;

    fn try_from(row: StoreRow) -> Result<Self, Self::Error> {
        Ok(Store {
            id: StoreId::from_uuid(row.id),
            tenant_id: TenantId::from_uuid(row.tenant_id),
            name: row.name,
            phone: row.phone,
            address: Address {
                cep: row.cep,
                street: row.street,
                number: row.number,
                complement: row.complement,
                district: row.district,
                city: row.city,
                state: row.state,
            },
            latitude: row.latitude,
            longitude: row.longitude,
            time_zone: row
                .time_zone
                .parse::<Tz>()
                .map_err(|e| corrupt("store time zone", e))?,
            opening_hours: serde_json::from_value::<OpeningHours>(row.opening_hours)
                .map_err(|e| corrupt("opening hours", e))?,
            is_active: row.is_active,
            manually_closed: row.manually_closed,
            delivery_enabled: row.delivery_enabled,
            pickup_enabled: row.pickup_enabled,
            accepts_preorders: row.accepts_preorders,
            telegram_chat_id: row.telegram_chat_id,
            image_url: row.image_url,
            free_shipping_above_cents: row.free_shipping_above_cents,
            hide_unavailable_items: row.hide_unavailable_items,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// What the audit log keeps of a store.
fn store_json(store: &Store) -> serde_json::Value {
    serde_json::json!({
        "id": store.id,
        "name": store.name,
        "phone": store.phone,
        "address": store.address,
        "latitude": store.latitude,
        "longitude": store.longitude,
        "time_zone": store.time_zone.name(),
        "opening_hours": store.opening_hours,
        "is_active": store.is_active,
        "manually_closed": store.manually_closed,
        "delivery_enabled": store.delivery_enabled,
        "pickup_enabled": store.pickup_enabled,
        "accepts_preorders": store.accepts_preorders,
        "telegram_chat_id": store.telegram_chat_id,
        "image_url": store.image_url,
        "free_shipping_above_cents": store.free_shipping_above_cents,
        "hide_unavailable_items": store.hide_unavailable_items,
    })
}

fn page_bounds(page: PageRequest) -> (i64, i64) {
    (
        i64::from(page.limit),
        i64::try_from(page.offset).unwrap_or(i64::MAX),
    )
}

/// `NotFound` unless the store exists and is the tenant's.
pub(crate) async fn ensure_store(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    store: StoreId,
) -> Result<(), TxError> {
    stores::table
        .filter(stores::tenant_id.eq(tenant.as_uuid()))
        .filter(stores::id.eq(store.as_uuid()))
        .select(stores::id)
        .first::<Uuid>(conn)
        .await
        .optional()?
        .ok_or(RepoError::NotFound("store"))?;
    Ok(())
}

fn hours_json(hours: &OpeningHours) -> Result<serde_json::Value, TxError> {
    serde_json::to_value(hours).map_err(|e| TxError::Repo(RepoError::Internal(e.to_string())))
}

async fn load(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: StoreId,
    lock: bool,
) -> Result<Option<Store>, TxError> {
    let query = stores::table
        .filter(stores::tenant_id.eq(tenant.as_uuid()))
        .filter(stores::id.eq(id.as_uuid()))
        .select(StoreRow::as_select());
    let row = if lock {
        query.for_update().first(conn).await.optional()?
    } else {
        query.first(conn).await.optional()?
    };
    Ok(row.map(Store::try_from).transpose()?)
}

/// Locks the tenant row and refuses one more active store past `limit`.
async fn check_limit(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    limit: Option<i32>,
) -> Result<(), TxError> {
    tenants::table
        .find(tenant.as_uuid())
        .select(tenants::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()?
        .ok_or(RepoError::NotFound("store"))?;
    if let Some(limit) = limit {
        let active: i64 = stores::table
            .filter(stores::tenant_id.eq(tenant.as_uuid()))
            .filter(stores::is_active.eq(true))
            .count()
            .get_result(conn)
            .await?;
        if active >= i64::from(limit) {
            return Err(RepoError::LimitReached("stores_limit").into());
        }
    }
    Ok(())
}

impl PgStoreRepository {
    async fn page(
        &self,
        tenant: TenantId,
        page: PageRequest,
        only_active: bool,
    ) -> RepoResult<Page<Store>> {
        let mut conn = self.db.conn().await?;
        let (limit, offset) = page_bounds(page);
        let filtered = || {
            let mut query = stores::table
                .filter(stores::tenant_id.eq(tenant.as_uuid()))
                .into_boxed();
            if only_active {
                query = query.filter(stores::is_active.eq(true));
            }
            query
        };
        let total: i64 = filtered()
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<StoreRow> = filtered()
            .order((stores::name.asc(), stores::id.asc()))
            .limit(limit)
            .offset(offset)
            .select(StoreRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(Store::try_from)
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

#[async_trait]
impl StoreRepository for PgStoreRepository {
    async fn list_active(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>> {
        self.page(tenant, page, true).await
    }

    async fn list_all(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>> {
        self.page(tenant, page, false).await
    }

    async fn find(&self, tenant: TenantId, id: StoreId) -> RepoResult<Option<Store>> {
        let mut conn = self.db.conn().await?;
        Ok(load(&mut conn, tenant, id, false).await?)
    }

    async fn create(
        &self,
        tenant: TenantId,
        store: NewStore,
        limit: Option<i32>,
        actor: &Actor,
    ) -> RepoResult<Store> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            check_limit(conn, tenant, limit).await?;
            let row: StoreRow = diesel::insert_into(stores::table)
                .values((
                    stores::id.eq(StoreId::generate().as_uuid()),
                    stores::tenant_id.eq(tenant.as_uuid()),
                    stores::name.eq(&store.name),
                    stores::phone.eq(&store.phone),
                    stores::cep.eq(&store.address.cep),
                    stores::street.eq(&store.address.street),
                    stores::number.eq(&store.address.number),
                    stores::complement.eq(&store.address.complement),
                    stores::district.eq(&store.address.district),
                    stores::city.eq(&store.address.city),
                    stores::state.eq(&store.address.state),
                    stores::latitude.eq(store.latitude),
                    stores::longitude.eq(store.longitude),
                    stores::time_zone.eq(store.time_zone.name()),
                    stores::opening_hours.eq(hours_json(&store.opening_hours)?),
                    stores::delivery_enabled.eq(store.delivery_enabled),
                    stores::pickup_enabled.eq(store.pickup_enabled),
                    stores::accepts_preorders.eq(store.accepts_preorders),
                    stores::telegram_chat_id.eq(&store.telegram_chat_id),
                    stores::free_shipping_above_cents.eq(store.free_shipping_above_cents),
                    stores::hide_unavailable_items.eq(store.hide_unavailable_items),
                ))
                .returning(StoreRow::as_returning())
                .get_result(conn)
                .await?;
            let created = Store::try_from(row)?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "store.create",
                    entity_type: "store",
                    entity_id: Some(created.id.to_string()),
                    before: None,
                    after: Some(store_json(&created)),
                },
            )
            .await?;
            Ok(created)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn update(
        &self,
        tenant: TenantId,
        id: StoreId,
        changes: StoreChanges,
        limit: Option<i32>,
        actor: &Actor,
    ) -> RepoResult<Store> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = load(conn, tenant, id, true)
                .await?
                .ok_or(RepoError::NotFound("store"))?;
            if changes.is_active == Some(true) && !before.is_active {
                check_limit(conn, tenant, limit).await?;
            }
            let address = changes
                .address
                .clone()
                .unwrap_or_else(|| before.address.clone());
            let hours = changes
                .opening_hours
                .as_ref()
                .unwrap_or(&before.opening_hours);
            diesel::update(
                stores::table
                    .filter(stores::tenant_id.eq(tenant.as_uuid()))
                    .filter(stores::id.eq(id.as_uuid())),
            )
            .set((
                (
                    stores::name.eq(changes.name.as_deref().unwrap_or(&before.name)),
                    stores::phone.eq(changes.phone.clone().unwrap_or(before.phone.clone())),
                    stores::cep.eq(&address.cep),
                    stores::street.eq(&address.street),
                    stores::number.eq(&address.number),
                    stores::complement.eq(&address.complement),
                    stores::district.eq(&address.district),
                    stores::city.eq(&address.city),
                    stores::state.eq(&address.state),
                    stores::latitude.eq(changes.latitude.unwrap_or(before.latitude)),
                    stores::longitude.eq(changes.longitude.unwrap_or(before.longitude)),
                ),
                (
                    stores::time_zone.eq(changes.time_zone.unwrap_or(before.time_zone).name()),
                    stores::opening_hours.eq(hours_json(hours)?),
                    stores::is_active.eq(changes.is_active.unwrap_or(before.is_active)),
                    stores::manually_closed
                        .eq(changes.manually_closed.unwrap_or(before.manually_closed)),
                    stores::delivery_enabled
                        .eq(changes.delivery_enabled.unwrap_or(before.delivery_enabled)),
                    stores::pickup_enabled
                        .eq(changes.pickup_enabled.unwrap_or(before.pickup_enabled)),
                    stores::accepts_preorders.eq(changes
                        .accepts_preorders
                        .unwrap_or(before.accepts_preorders)),
                    stores::telegram_chat_id.eq(changes
                        .telegram_chat_id
                        .clone()
                        .unwrap_or(before.telegram_chat_id.clone())),
                    stores::image_url.eq(changes
                        .image_url
                        .clone()
                        .unwrap_or(before.image_url.clone())),
                    stores::free_shipping_above_cents.eq(changes
                        .free_shipping_above_cents
                        .unwrap_or(before.free_shipping_above_cents)),
                    stores::hide_unavailable_items.eq(changes
                        .hide_unavailable_items
                        .unwrap_or(before.hide_unavailable_items)),
                    stores::updated_at.eq(diesel::dsl::now),
                ),
            ))
            .execute(conn)
            .await?;
            let after = load(conn, tenant, id, false)
                .await?
                .ok_or(RepoError::NotFound("store"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "store.update",
                    entity_type: "store",
                    entity_id: Some(id.to_string()),
                    before: Some(store_json(&before)),
                    after: Some(store_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }
}
