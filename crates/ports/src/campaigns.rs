use async_trait::async_trait;
use comanda_domain::pricing::Campaign;
use comanda_domain::{CampaignId, TenantId};

use crate::{Actor, RepoResult};

#[async_trait]
pub trait CampaignRepository: Send + Sync {
    async fn list(&self, tenant: TenantId) -> RepoResult<Vec<(Campaign, Option<String>)>>;
    /// Active campaigns, for pricing.
    async fn active(&self, tenant: TenantId) -> RepoResult<Vec<Campaign>>;
    async fn find(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> RepoResult<Option<(Campaign, Option<String>)>>;
    /// `Conflict("coupon_code")` for a code in use.
    async fn create(
        &self,
        tenant: TenantId,
        campaign: Campaign,
        actor: &Actor,
    ) -> RepoResult<Campaign>;
    async fn update(
        &self,
        tenant: TenantId,
        campaign: Campaign,
        actor: &Actor,
    ) -> RepoResult<Campaign>;
    async fn set_image(
        &self,
        tenant: TenantId,
        id: CampaignId,
        url: &str,
        actor: &Actor,
    ) -> RepoResult<()>;
    async fn delete(&self, tenant: TenantId, id: CampaignId, actor: &Actor) -> RepoResult<()>;
}
