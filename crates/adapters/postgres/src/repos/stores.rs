use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::{Address, Closure, NewStore, Scheduling, Store};
use comanda_domain::{StoreId, TenantId};
use comanda_ports::{Actor, RepoError, RepoResult, StoreChanges, StoreRepository};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::{store_slot_bookings, stores, tenants};

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
    paused_until: Option<DateTime<Utc>>,
    pause_reason: Option<String>,
    extra_preparation_minutes: i32,
    closures: serde_json::Value,
    scheduling: Option<serde_json::Value>,
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
            paused_until: row.paused_until,
            pause_reason: row.pause_reason,
            extra_preparation_minutes: row.extra_preparation_minutes,
            closures: serde_json::from_value::<Vec<Closure>>(row.closures)
                .map_err(|e| corrupt("store closures", e))?,
            scheduling: row
                .scheduling
                .map(serde_json::from_value::<Scheduling>)
                .transpose()
                .map_err(|e| corrupt("store scheduling", e))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A new store's row.
#[derive(Insertable)]
#[diesel(table_name = stores, check_for_backend(diesel::pg::Pg))]
struct StoreInsert<'a> {
    id: Uuid,
    tenant_id: Uuid,
    name: &'a str,
    phone: Option<&'a str>,
    cep: &'a str,
    street: &'a str,
    number: &'a str,
    complement: &'a str,
    district: &'a str,
    city: &'a str,
    state: &'a str,
    latitude: Option<f64>,
    longitude: Option<f64>,
    time_zone: &'a str,
    opening_hours: serde_json::Value,
    delivery_enabled: bool,
    pickup_enabled: bool,
    accepts_preorders: bool,
    telegram_chat_id: Option<&'a str>,
    free_shipping_above_cents: Option<i64>,
    hide_unavailable_items: bool,
}

impl<'a> StoreInsert<'a> {
    fn new(tenant: TenantId, store: &'a NewStore) -> Result<Self, TxError> {
        let address = &store.address;
        Ok(Self {
            id: StoreId::generate().as_uuid(),
            tenant_id: tenant.as_uuid(),
            name: &store.name,
            phone: store.phone.as_deref(),
            cep: &address.cep,
            street: &address.street,
            number: &address.number,
            complement: &address.complement,
            district: &address.district,
            city: &address.city,
            state: &address.state,
            latitude: store.latitude,
            longitude: store.longitude,
            time_zone: store.time_zone.name(),
            opening_hours: hours_json(&store.opening_hours)?,
            delivery_enabled: store.delivery_enabled,
            pickup_enabled: store.pickup_enabled,
            accepts_preorders: store.accepts_preorders,
            telegram_chat_id: store.telegram_chat_id.as_deref(),
            free_shipping_above_cents: store.free_shipping_above_cents,
            hide_unavailable_items: store.hide_unavailable_items,
        })
    }
}

/// The columns a change sets: a `None` field is left as it is (`Some(None)` clears it).
#[derive(AsChangeset)]
#[diesel(table_name = stores, check_for_backend(diesel::pg::Pg))]
struct StoreChangeset<'a> {
    name: Option<&'a str>,
    phone: Option<Option<&'a str>>,
    cep: Option<&'a str>,
    street: Option<&'a str>,
    number: Option<&'a str>,
    complement: Option<&'a str>,
    district: Option<&'a str>,
    city: Option<&'a str>,
    state: Option<&'a str>,
    latitude: Option<Option<f64>>,
    longitude: Option<Option<f64>>,
    time_zone: Option<&'a str>,
    opening_hours: Option<serde_json::Value>,
    is_active: Option<bool>,
    manually_closed: Option<bool>,
    delivery_enabled: Option<bool>,
    pickup_enabled: Option<bool>,
    accepts_preorders: Option<bool>,
    telegram_chat_id: Option<Option<&'a str>>,
    image_url: Option<Option<&'a str>>,
    free_shipping_above_cents: Option<Option<i64>>,
    hide_unavailable_items: Option<bool>,
    paused_until: Option<Option<DateTime<Utc>>>,
    pause_reason: Option<Option<&'a str>>,
    extra_preparation_minutes: Option<i32>,
    closures: Option<serde_json::Value>,
    scheduling: Option<Option<serde_json::Value>>,
}

impl<'a> StoreChangeset<'a> {
    fn new(changes: &'a StoreChanges) -> Result<Self, TxError> {
        let address = changes.address.as_ref();
        Ok(Self {
            name: changes.name.as_deref(),
            phone: changes.phone.as_ref().map(Option::as_deref),
            cep: address.map(|a| a.cep.as_str()),
            street: address.map(|a| a.street.as_str()),
            number: address.map(|a| a.number.as_str()),
            complement: address.map(|a| a.complement.as_str()),
            district: address.map(|a| a.district.as_str()),
            city: address.map(|a| a.city.as_str()),
            state: address.map(|a| a.state.as_str()),
            latitude: changes.latitude,
            longitude: changes.longitude,
            time_zone: changes.time_zone.map(|zone| zone.name()),
            opening_hours: changes.opening_hours.as_ref().map(hours_json).transpose()?,
            is_active: changes.is_active,
            manually_closed: changes.manually_closed,
            delivery_enabled: changes.delivery_enabled,
            pickup_enabled: changes.pickup_enabled,
            accepts_preorders: changes.accepts_preorders,
            telegram_chat_id: changes.telegram_chat_id.as_ref().map(Option::as_deref),
            image_url: changes.image_url.as_ref().map(Option::as_deref),
            free_shipping_above_cents: changes.free_shipping_above_cents,
            hide_unavailable_items: changes.hide_unavailable_items,
            paused_until: changes.paused_until,
            pause_reason: changes.pause_reason.as_ref().map(Option::as_deref),
            extra_preparation_minutes: changes.extra_preparation_minutes,
            closures: changes
                .closures
                .as_ref()
                .map(|closures| {
                    serde_json::to_value(closures)
                        .map_err(|e| TxError::Repo(RepoError::Internal(e.to_string())))
                })
                .transpose()?,
            scheduling: changes
                .scheduling
                .map(|scheduling| {
                    scheduling
                        .map(serde_json::to_value)
                        .transpose()
                        .map_err(|e| TxError::Repo(RepoError::Internal(e.to_string())))
                })
                .transpose()?,
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
        "paused_until": store.paused_until,
        "pause_reason": store.pause_reason,
        "extra_preparation_minutes": store.extra_preparation_minutes,
        "closures": store.closures,
        "scheduling": store.scheduling,
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

    async fn slot_bookings(
        &self,
        tenant: TenantId,
        store: StoreId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> RepoResult<Vec<(DateTime<Utc>, i32)>> {
        let mut conn = self.db.conn().await?;
        store_slot_bookings::table
            .filter(store_slot_bookings::tenant_id.eq(tenant.as_uuid()))
            .filter(store_slot_bookings::store_id.eq(store.as_uuid()))
            .filter(store_slot_bookings::slot_start.ge(from))
            .filter(store_slot_bookings::slot_start.lt(to))
            .select((store_slot_bookings::slot_start, store_slot_bookings::booked))
            .load(&mut conn)
            .await
            .map_err(diesel_error)
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
                .values(StoreInsert::new(tenant, &store)?)
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
            diesel::update(
                stores::table
                    .filter(stores::tenant_id.eq(tenant.as_uuid()))
                    .filter(stores::id.eq(id.as_uuid())),
            )
            .set((
                StoreChangeset::new(&changes)?,
                stores::updated_at.eq(diesel::dsl::now),
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
