use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::{ProductId, StoreId, TenantId};

use crate::RepoResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopProduct {
    pub product_id: Option<ProductId>,
    pub name: String,
    pub quantity: i64,
    pub revenue_cents: i64,
}

/// Figures for a period (and optionally a store), from orders not canceled unless said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Insights {
    pub revenue_cents: i64,
    pub order_count: i64,
    pub average_ticket_cents: i64,
    /// Every order of the period by status, canceled included.
    pub orders_by_status: BTreeMap<String, i64>,
    /// By hour of day (0–23) in `America/Sao_Paulo`.
    pub orders_by_hour: BTreeMap<i32, i64>,
    /// By ISO weekday (1 = Monday … 7 = Sunday).
    pub orders_by_weekday: BTreeMap<i32, i64>,
    pub top_products: Vec<TopProduct>,
    /// Customers whose first order is in the period.
    pub new_customers: i64,
    /// Customers who ordered in the period and before it.
    pub returning_customers: i64,
}

#[async_trait]
pub trait InsightsRepository: Send + Sync {
    async fn insights(
        &self,
        tenant: TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        store: Option<StoreId>,
    ) -> RepoResult<Insights>;
}
