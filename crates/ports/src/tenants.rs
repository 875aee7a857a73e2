use std::collections::BTreeSet;

use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_domain::tenancy::{
    Module, SubscriptionStatus, TenantRecord, TenantSelector, TenantSlug,
};

use crate::RepoResult;

/// A tenant to create, with its subscription state and modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    pub slug: TenantSlug,
    pub name: String,
    pub subscription_status: SubscriptionStatus,
    pub modules: BTreeSet<Module>,
    pub users_limit: i32,
    pub stores_limit: i32,
}

#[async_trait]
pub trait TenantRepository: Send + Sync {
    /// An active tenant by id, with its subscription and modules.
    async fn find_by_id(&self, id: TenantId) -> RepoResult<Option<TenantRecord>>;
    /// An active tenant by slug, with its subscription and modules.
    async fn find_by_slug(&self, slug: &TenantSlug) -> RepoResult<Option<TenantRecord>>;
    /// The id and current `version` of an active tenant: one indexed read, to check a cached
    /// record against.
    async fn current_version(
        &self,
        selector: &TenantSelector,
    ) -> RepoResult<Option<(TenantId, i64)>>;
    /// Creates a tenant, its subscription and modules in one transaction.
    /// A taken slug is `RepoError::Conflict("tenant_slug")`.
    async fn create(&self, tenant: NewTenant) -> RepoResult<TenantRecord>;
}
