use std::sync::Arc;

use comanda_domain::TenantId;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::{OpenStatus, Store};
use comanda_ports::{Clock, StoreRepository};

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

impl StoreService {
    pub fn new(stores: Arc<dyn StoreRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { stores, clock }
    }

    /// The tenant's active stores with their open status now.
    pub async fn list_public(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<PublicStore>, ServiceError> {
        let now = self.clock.now();
        let stores = self.stores.list_active(tenant, page).await?;
        Ok(stores.map(|store| PublicStore {
            status: store.open_status(now),
            store,
        }))
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
