//! What the first-access checklist (`/admin/onboarding`) is computed from.

use async_trait::async_trait;
use comanda_domain::TenantId;

use crate::RepoResult;

/// Counts of the tenant's data, read in one statement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnboardingFacts {
    pub stores: i64,
    pub products: i64,
    pub shipping_bands: i64,
    pub orders: i64,
    /// The central admin's first-access test mode: the checklist is shown afresh.
    pub test_mode: bool,
}

#[async_trait]
pub trait OnboardingRepository: Send + Sync {
    async fn facts(&self, tenant: TenantId) -> RepoResult<OnboardingFacts>;
}
