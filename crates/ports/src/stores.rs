use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::{NewStore, Store};

use crate::RepoResult;

#[async_trait]
pub trait StoreRepository: Send + Sync {
    /// The tenant's active stores, by name.
    async fn list_active(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>>;
    /// How many stores the tenant has, active or not (for `stores_limit`).
    async fn count(&self, tenant: TenantId) -> RepoResult<u64>;
    async fn create(&self, tenant: TenantId, store: NewStore) -> RepoResult<Store>;
}
