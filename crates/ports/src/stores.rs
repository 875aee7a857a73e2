use async_trait::async_trait;
use chrono_tz::Tz;
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::{Address, NewStore, Store};
use comanda_domain::{StoreId, TenantId};

use crate::{Actor, RepoResult};

/// What an update may change; `None` leaves a field as it is (`Some(None)` clears an
/// optional one).
#[derive(Debug, Clone, Default)]
pub struct StoreChanges {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub address: Option<Address>,
    pub latitude: Option<Option<f64>>,
    pub longitude: Option<Option<f64>>,
    pub time_zone: Option<Tz>,
    pub opening_hours: Option<OpeningHours>,
    pub is_active: Option<bool>,
    pub manually_closed: Option<bool>,
    pub delivery_enabled: Option<bool>,
    pub pickup_enabled: Option<bool>,
    pub accepts_preorders: Option<bool>,
    pub telegram_chat_id: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
    pub free_shipping_above_cents: Option<Option<i64>>,
    pub hide_unavailable_items: Option<bool>,
    pub paused_until: Option<Option<chrono::DateTime<chrono::Utc>>>,
    pub pause_reason: Option<Option<String>>,
    pub extra_preparation_minutes: Option<i32>,
    pub closures: Option<Vec<comanda_domain::store::Closure>>,
    pub scheduling: Option<Option<comanda_domain::store::Scheduling>>,
}

#[async_trait]
pub trait StoreRepository: Send + Sync {
    /// The tenant's active stores, by name.
    async fn list_active(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>>;
    /// Every store of the tenant, active or not (the portal).
    async fn list_all(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>>;
    /// A store of the tenant, active or not.
    async fn find(&self, tenant: TenantId, id: StoreId) -> RepoResult<Option<Store>>;
    /// `LimitReached("stores_limit")` when `limit` is given and the tenant already has that
    /// many active stores.
    async fn create(
        &self,
        tenant: TenantId,
        store: NewStore,
        limit: Option<i32>,
        actor: &Actor,
    ) -> RepoResult<Store>;
    /// Places taken per slot start between `from` and `to` (scheduled orders).
    async fn slot_bookings(
        &self,
        tenant: TenantId,
        store: StoreId,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> RepoResult<Vec<(chrono::DateTime<chrono::Utc>, i32)>>;
    /// Reactivating a store counts against `limit` like creating one.
    async fn update(
        &self,
        tenant: TenantId,
        id: StoreId,
        changes: StoreChanges,
        limit: Option<i32>,
        actor: &Actor,
    ) -> RepoResult<Store>;
}
