//! In-memory fakes of the ports, for unit tests of the services.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::opening_hours::{OpeningHours, TimeRange};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::{Address, DEFAULT_TIME_ZONE, NewStore, Store};
use comanda_domain::tenancy::{SubscriptionStatus, TenantRecord, TenantSelector, TenantSlug};
use comanda_domain::{StoreId, TenantId};
use comanda_ports::{
    Actor, Clock, NewTenant, RepoError, RepoResult, StoreChanges, StoreRepository, TenantRepository,
};

#[derive(Default)]
pub struct InMemoryTenants {
    rows: Mutex<Vec<TenantRecord>>,
}

impl InMemoryTenants {
    pub fn add(&self, slug: &str, status: SubscriptionStatus) -> TenantRecord {
        let record = TenantRecord {
            id: TenantId::generate(),
            slug: TenantSlug::parse(slug).expect("slug"),
            name: slug.to_owned(),
            subscription_status: status,
            enabled_modules: comanda_domain::tenancy::Module::ALL.into_iter().collect(),
            users_limit: 5,
            stores_limit: 2,
            version: 0,
        };
        self.rows.lock().expect("lock").push(record.clone());
        record
    }

    /// Changes a tenant as a writer would; `bump` moves its version as the database does.
    pub fn change(&self, slug: &str, bump: bool, change: impl FnOnce(&mut TenantRecord)) {
        let mut rows = self.rows.lock().expect("lock");
        let record = rows
            .iter_mut()
            .find(|t| t.slug.as_str() == slug)
            .expect("tenant");
        change(record);
        if bump {
            record.version += 1;
        }
    }
}

#[async_trait]
impl TenantRepository for InMemoryTenants {
    async fn find_by_id(&self, id: TenantId) -> RepoResult<Option<TenantRecord>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|t| t.id == id)
            .cloned())
    }

    async fn find_by_slug(&self, slug: &TenantSlug) -> RepoResult<Option<TenantRecord>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|t| &t.slug == slug)
            .cloned())
    }

    async fn current_version(
        &self,
        selector: &TenantSelector,
    ) -> RepoResult<Option<(TenantId, i64)>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|t| match selector {
                TenantSelector::Id(id) => t.id == *id,
                TenantSelector::Slug(slug) => &t.slug == slug,
            })
            .map(|t| (t.id, t.version)))
    }

    async fn create(&self, tenant: NewTenant) -> RepoResult<TenantRecord> {
        let mut rows = self.rows.lock().expect("lock");
        if rows.iter().any(|t| t.slug == tenant.slug) {
            return Err(RepoError::Conflict("tenant_slug".into()));
        }
        let record = TenantRecord {
            id: TenantId::generate(),
            slug: tenant.slug,
            name: tenant.name,
            subscription_status: tenant.subscription_status,
            enabled_modules: tenant.modules,
            users_limit: tenant.users_limit,
            stores_limit: tenant.stores_limit,
            version: 0,
        };
        rows.push(record.clone());
        Ok(record)
    }
}

#[derive(Default)]
pub struct InMemoryStores {
    rows: Mutex<Vec<Store>>,
}

impl InMemoryStores {
    pub fn insert(&self, tenant: TenantId, mut store: Store) {
        store.tenant_id = tenant;
        self.rows.lock().expect("lock").push(store);
    }
}

#[async_trait]
impl StoreRepository for InMemoryStores {
    async fn list_active(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>> {
        let rows = self.rows.lock().expect("lock");
        let matching: Vec<Store> = rows
            .iter()
            .filter(|s| s.tenant_id == tenant && s.is_active)
            .cloned()
            .collect();
        let total = matching.len() as u64;
        let items = matching
            .into_iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .collect();
        Ok(Page { items, total })
    }

    async fn list_all(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>> {
        self.list_active(tenant, page).await
    }

    async fn find(&self, tenant: TenantId, id: StoreId) -> RepoResult<Option<Store>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|s| s.tenant_id == tenant && s.id == id)
            .cloned())
    }

    async fn create(
        &self,
        tenant: TenantId,
        new: NewStore,
        _limit: Option<i32>,
        _actor: &Actor,
    ) -> RepoResult<Store> {
        let mut store = sample_store(&new.name);
        store.tenant_id = tenant;
        store.opening_hours = new.opening_hours;
        self.rows.lock().expect("lock").push(store.clone());
        Ok(store)
    }

    async fn update(
        &self,
        _tenant: TenantId,
        _id: StoreId,
        _changes: StoreChanges,
        _limit: Option<i32>,
        _actor: &Actor,
    ) -> RepoResult<Store> {
        Err(RepoError::Internal("not used by these tests".into()))
    }
}

pub fn sample_store(name: &str) -> Store {
    Store {
        id: StoreId::generate(),
        tenant_id: TenantId::generate(),
        name: name.to_owned(),
        phone: None,
        address: Address::default(),
        latitude: None,
        longitude: None,
        time_zone: DEFAULT_TIME_ZONE,
        opening_hours: OpeningHours::every_day(vec![
            TimeRange::new("10:00", "22:00").expect("range"),
        ])
        .expect("week"),
        is_active: true,
        manually_closed: false,
        delivery_enabled: true,
        pickup_enabled: true,
        accepts_preorders: false,
        telegram_chat_id: None,
        image_url: None,
        free_shipping_above_cents: None,
        hide_unavailable_items: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
