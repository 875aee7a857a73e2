use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::{Address, NewStore, Store};
use comanda_domain::{StoreId, TenantId};
use comanda_ports::{RepoResult, StoreRepository};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{corrupt, diesel_error};
use crate::schema::stores;

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
struct StoreRow {
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
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<StoreRow> for Store {
    type Error = comanda_ports::RepoError;

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
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn page_bounds(page: PageRequest) -> (i64, i64) {
    (
        i64::from(page.limit),
        i64::try_from(page.offset).unwrap_or(i64::MAX),
    )
}

#[async_trait]
impl StoreRepository for PgStoreRepository {
    async fn list_active(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>> {
        let mut conn = self.db.conn().await?;
        let (limit, offset) = page_bounds(page);
        let active = stores::tenant_id
            .eq(tenant.as_uuid())
            .and(stores::is_active.eq(true));
        let total: i64 = stores::table
            .filter(active)
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<StoreRow> = stores::table
            .filter(active)
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

    async fn count(&self, tenant: TenantId) -> RepoResult<u64> {
        let mut conn = self.db.conn().await?;
        let total: i64 = stores::table
            .filter(stores::tenant_id.eq(tenant.as_uuid()))
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn create(&self, tenant: TenantId, store: NewStore) -> RepoResult<Store> {
        let mut conn = self.db.conn().await?;
        let opening_hours = serde_json::to_value(&store.opening_hours)
            .map_err(|e| comanda_ports::RepoError::Internal(e.to_string()))?;
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
                stores::opening_hours.eq(opening_hours),
                stores::delivery_enabled.eq(store.delivery_enabled),
                stores::pickup_enabled.eq(store.pickup_enabled),
                stores::accepts_preorders.eq(store.accepts_preorders),
            ))
            .returning(StoreRow::as_returning())
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        Store::try_from(row)
    }
}
