//! Bulk imports from the original system's CSV exports (`comanda import`): each file is written
//! in one transaction, idempotent by natural key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::orders::{Fulfillment, OrderStatus, PaymentMethod};
use comanda_domain::phone::Phone;
use comanda_domain::{StoreId, TenantId};

use crate::catalog::PizzaSizeInput;
use crate::{Actor, RepoResult};

/// A customer, keyed by phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    pub line: u64,
    pub name: String,
    pub phone: Phone,
    pub email: Option<String>,
    pub notes: String,
}

/// A product, keyed by its category's and its own name (case does not matter); a category that
/// does not exist is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    pub line: u64,
    pub category: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub is_active: bool,
    pub track_stock: bool,
    /// A pizza (its sizes) or a pizza's flavour (the pizza's name, prices by size name).
    pub pizza: Option<PizzaColumns>,
}

/// What a products file says of a pizza menu (docs/operations.md#importing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PizzaColumns {
    Pizza(Vec<PizzaSizeInput>),
    Flavor {
        pizza: String,
        prices: Vec<(String, i64)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItemRow {
    pub product_name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

/// A past order, keyed by its number; its customer is found or created by phone. Imported
/// orders touch no stock and notify nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub line: u64,
    pub number: i64,
    pub created_at: DateTime<Utc>,
    pub store_id: StoreId,
    pub customer_name: String,
    pub customer_phone: Phone,
    pub status: OrderStatus,
    pub fulfillment: Fulfillment,
    pub payment_method: PaymentMethod,
    pub items: Vec<OrderItemRow>,
    pub shipping_fee_cents: i64,
    pub discount_cents: i64,
}

/// What a write did with the rows it was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Told the number of rows written so far.
pub type Progress<'a> = &'a (dyn Fn(usize) + Send + Sync);

#[async_trait]
pub trait ImportRepository: Send + Sync {
    async fn customers(
        &self,
        tenant: TenantId,
        rows: &[CustomerRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts>;
    async fn products(
        &self,
        tenant: TenantId,
        rows: &[ProductRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts>;
    /// Orders whose number exists are left as they are; the tenant's order counter moves past
    /// the highest number imported.
    async fn orders(
        &self,
        tenant: TenantId,
        rows: &[OrderRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts>;
}
