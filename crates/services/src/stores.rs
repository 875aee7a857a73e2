use std::sync::Arc;

use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::Slot;
use comanda_domain::store::{NewStore, OpenStatus, Store};
use comanda_domain::{StoreId, TenantId};
use comanda_ports::{Actor, Clock, StoreChanges, StoreRepository};

use crate::ServiceError;

/// A store as the storefront shows it: the store and whether it is open now.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicStore {
    pub store: Store,
    pub status: OpenStatus,
}

#[derive(Clone)]
pub struct StoreService {
    stores: Arc<dyn StoreRepository>,
    clock: Arc<dyn Clock>,
}

fn validate(name: Option<&str>, free_shipping: Option<Option<i64>>) -> Result<(), ServiceError> {
    if name.is_some_and(|name| name.trim().is_empty() || name.chars().count() > 200) {
        return Err(ServiceError::field("name", "1 to 200 characters"));
    }
    if free_shipping.flatten().is_some_and(|cents| cents < 0) {
        return Err(ServiceError::field(
            "free_shipping_above_cents",
            "must not be negative",
        ));
    }
    Ok(())
}

impl StoreService {
    pub fn new(stores: Arc<dyn StoreRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { stores, clock }
    }

    fn public(&self, store: Store) -> PublicStore {
        PublicStore {
            status: store.open_status(self.clock.now()),
            store,
        }
    }

    /// The tenant's active stores with their open status now.
    pub async fn list_public(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<PublicStore>, ServiceError> {
        let stores = self.stores.list_active(tenant, page).await?;
        Ok(stores.map(|store| self.public(store)))
    }

    /// Every active store of the tenant, page after page (who delivers to an address).
    pub async fn all_public(&self, tenant: TenantId) -> Result<Vec<PublicStore>, ServiceError> {
        let mut all = Vec::new();
        loop {
            let page = PageRequest::new(Some(200), Some(all.len() as u64))
                .map_err(|error| ServiceError::Internal(error.to_string()))?;
            let stores = self.stores.list_active(tenant, page).await?;
            let fetched = stores.items.len();
            all.extend(stores.items.into_iter().map(|store| self.public(store)));
            if fetched < 200 {
                return Ok(all);
            }
        }
    }

    /// The slots of a local date with the places left in each (SPEC §20); no slots unless the
    /// store sets a capacity.
    pub async fn slots(
        &self,
        tenant: TenantId,
        id: StoreId,
        date: chrono::NaiveDate,
    ) -> Result<Vec<(Slot, i32)>, ServiceError> {
        let store = self.active(tenant, id).await?;
        let Some((_, capacity)) = store.slot_rules() else {
            return Ok(Vec::new());
        };
        let slots = store.slots_on(date, self.clock.now());
        let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
            return Ok(Vec::new());
        };
        let booked = self
            .stores
            .slot_bookings(tenant, id, first.start, last.end)
            .await?;
        Ok(slots
            .into_iter()
            .map(|slot| {
                let taken = booked
                    .iter()
                    .find(|(start, _)| *start == slot.start)
                    .map_or(0, |(_, taken)| *taken);
                (slot, (capacity - taken).max(0))
            })
            .collect())
    }

    /// Every store of the tenant (the portal).
    pub async fn list_all(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<PublicStore>, ServiceError> {
        let stores = self.stores.list_all(tenant, page).await?;
        Ok(stores.map(|store| self.public(store)))
    }

    pub async fn get(&self, tenant: TenantId, id: StoreId) -> Result<PublicStore, ServiceError> {
        let store = self
            .stores
            .find(tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("store"))?;
        Ok(self.public(store))
    }

    /// An active store of the tenant, for ordering; 404 otherwise.
    pub async fn active(&self, tenant: TenantId, id: StoreId) -> Result<Store, ServiceError> {
        self.stores
            .find(tenant, id)
            .await?
            .filter(|store| store.is_active)
            .ok_or(ServiceError::NotFound("store"))
    }

    pub async fn create(
        &self,
        tenant: TenantId,
        stores_limit: i32,
        store: NewStore,
        actor: &Actor,
    ) -> Result<PublicStore, ServiceError> {
        validate(Some(&store.name), Some(store.free_shipping_above_cents))?;
        let created = self
            .stores
            .create(tenant, store, Some(stores_limit), actor)
            .await
            .map_err(ServiceError::from)?;
        Ok(self.public(created))
    }

    pub async fn update(
        &self,
        tenant: TenantId,
        stores_limit: i32,
        id: StoreId,
        changes: StoreChanges,
        actor: &Actor,
    ) -> Result<PublicStore, ServiceError> {
        validate(changes.name.as_deref(), changes.free_shipping_above_cents)?;
        let updated = self
            .stores
            .update(tenant, id, changes, Some(stores_limit), actor)
            .await
            .map_err(ServiceError::from)?;
        Ok(self.public(updated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{FixedClock, InMemoryStores, sample_store};

    #[tokio::test]
    async fn lists_only_the_tenants_stores_with_their_status() {
        let stores = InMemoryStores::default();
        let mine = TenantId::generate();
        let theirs = TenantId::generate();
        stores.insert(mine, sample_store("Centro"));
        stores.insert(theirs, sample_store("Outra"));
        let clock = FixedClock("2026-12-01T15:00:00Z".parse().expect("instant"));
        let service = StoreService::new(Arc::new(stores), Arc::new(clock));

        let page = service
            .list_public(mine, PageRequest::default())
            .await
            .expect("lists");
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].store.name, "Centro");
        assert!(page.items[0].status.is_open);
    }
}
