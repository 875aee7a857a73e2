use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{OrderId, ProductId, StoreId, TenantId, UserId};

use crate::{Actor, RepoResult};

/// A product's stock in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub product_name: String,
    pub track_stock: bool,
    pub quantity: i32,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMovement {
    pub id: String,
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub delta: i32,
    pub quantity_after: i32,
    pub reason: String,
    pub note: String,
    pub order_id: Option<OrderId>,
    pub actor_user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// How to change a stock level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// Add (or remove, when negative) units.
    Delta(i32),
    /// Count: the level is now this.
    Set(i32),
}

#[async_trait]
pub trait InventoryRepository: Send + Sync {
    /// Units on hand now of these products in the store; a product never counted there is
    /// left out. One statement, no locks (the order transaction takes the stock under locks).
    async fn on_hand(
        &self,
        tenant: TenantId,
        store: StoreId,
        products: &[ProductId],
    ) -> RepoResult<HashMap<ProductId, i32>>;
    /// The store's products that track stock, with their level (0 when never counted).
    /// `NotFound` unless the store is the tenant's.
    async fn levels(
        &self,
        tenant: TenantId,
        store: StoreId,
        page: PageRequest,
    ) -> RepoResult<Page<StockLevel>>;
    /// `NotFound` for another tenant's store or product; `Invalid("negative_stock")` when the
    /// level would go below zero.
    async fn adjust(
        &self,
        tenant: TenantId,
        store: StoreId,
        product: ProductId,
        adjustment: Adjustment,
        note: &str,
        actor: &Actor,
    ) -> RepoResult<StockLevel>;
    async fn movements(
        &self,
        tenant: TenantId,
        store: Option<StoreId>,
        product: Option<ProductId>,
        page: PageRequest,
    ) -> RepoResult<Page<StockMovement>>;
}
