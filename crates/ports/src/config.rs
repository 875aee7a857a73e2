//! The tenant's operational settings (`/admin/config`).

use comanda_domain::pizza::PizzaPricing;
use std::collections::BTreeMap;

use async_trait::async_trait;
use comanda_domain::TenantId;

use crate::{Actor, RepoResult};

/// The tenant's operational settings (`/admin/config`), applied by checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantConfig {
    pub accepting_orders: bool,
    pub min_order_cents: i64,
    pub preparation_minutes: i32,
    pub preorders_enabled: bool,
    /// Message texts by name (`order_confirmed`, `order_ready`…), `{number}` style placeholders.
    pub message_templates: BTreeMap<String, String>,
    /// How a pizza of several flavours is priced.
    pub pizza_pricing: PizzaPricing,
    /// New orders (PIX ones once paid) move to `confirmed` by themselves.
    pub auto_accept: bool,
}

impl Default for TenantConfig {
    fn default() -> Self {
        Self {
            accepting_orders: true,
            min_order_cents: 0,
            preparation_minutes: 30,
            preorders_enabled: true,
            pizza_pricing: PizzaPricing::default(),
            message_templates: BTreeMap::new(),
            auto_accept: false,
        }
    }
}

#[async_trait]
pub trait ConfigRepository: Send + Sync {
    /// The defaults until the tenant saves its own.
    async fn get(&self, tenant: TenantId) -> RepoResult<TenantConfig>;
    async fn put(
        &self,
        tenant: TenantId,
        config: TenantConfig,
        actor: &Actor,
    ) -> RepoResult<TenantConfig>;
}
