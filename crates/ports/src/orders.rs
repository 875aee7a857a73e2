//! Orders and idempotency keys.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::orders::{Fulfillment, OrderStatus, PaymentMethod};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::phone::Phone;
use comanda_domain::pricing::OrderPrice;
use comanda_domain::shipping::DistanceSource;
use comanda_domain::store::Address;
use comanda_domain::{
    AddonId, BandId, CampaignId, CustomerId, OrderId, ProductId, StoreId, TenantId, UserId,
};

use crate::{Actor, RepoError, RepoResult};

/// Where and how an order is delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryInfo {
    pub address: Address,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub distance_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
    pub band_id: Option<BandId>,
    pub area_id: Option<comanda_domain::AreaId>,
    pub source: DistanceSource,
}

/// Everything the order transaction writes. Stock, campaign uses, the order and its parts,
/// the outbox rows and the idempotency key are one transaction.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub tenant: TenantId,
    pub store: StoreId,
    /// The store's name as priced, for the answer (which is built from what was written).
    pub store_name: String,
    pub fulfillment: Fulfillment,
    pub customer_name: String,
    pub customer_phone: Phone,
    pub price: OrderPrice,
    pub payment_method: PaymentMethod,
    pub change_for_cents: Option<i64>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub delivery: Option<DeliveryInfo>,
    /// Units to take from stock, for products that track it.
    pub stock: Vec<(ProductId, i32)>,
    /// Outbox messages to queue, by kind; their payload names the order.
    pub notifications: Vec<&'static str>,
    pub idempotency: Option<IdempotencyKey>,
    /// The PIX charge the customer pays, when the order waits for one.
    pub pix: Option<crate::payments::PixCharge>,
    /// The scheduling slot the order takes a place in, with the slot's capacity.
    pub slot: Option<(DateTime<Utc>, i32)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceOrderError {
    #[error("out of stock")]
    OutOfStock(Vec<ProductId>),
    /// A campaign ran out of uses (or of this customer's uses) before the order was placed.
    #[error("campaign exhausted")]
    CampaignExhausted(CampaignId),
    /// Another request placed an order under the same key meanwhile (same body): its order.
    #[error("already placed under this key")]
    AlreadyPlaced(OrderId),
    /// Another request used the same key meanwhile with another body.
    #[error("the key was used with another body")]
    KeyReused,
    /// The slot had no place left.
    #[error("the slot is full")]
    SlotFull,
    #[error(transparent)]
    Repo(#[from] RepoError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderCustomer {
    pub id: CustomerId,
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItemAddon {
    pub addon_id: Option<AddonId>,
    pub name: String,
    pub group_name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub product_id: Option<ProductId>,
    pub name: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
    pub line_total_cents: i64,
    pub notes: String,
    pub addons: Vec<OrderItemAddon>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderDelivery {
    pub address: Address,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub distance_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub actor_user_id: Option<UserId>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// An order's PIX charge as the customer and staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPix {
    pub provider: crate::payments::PixProvider,
    pub txid: String,
    pub copy_paste: String,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub flag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderDetail {
    pub id: OrderId,
    pub number: i64,
    pub tenant_id: TenantId,
    pub store_id: StoreId,
    pub store_name: String,
    pub status: OrderStatus,
    pub fulfillment: Fulfillment,
    pub customer: OrderCustomer,
    pub items: Vec<OrderItem>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_fee_cents: i64,
    pub total_cents: i64,
    pub payment_method: PaymentMethod,
    pub payment_status: String,
    pub change_for_cents: Option<i64>,
    /// The PIX charge, for orders that wait for (or had) one.
    pub pix: Option<OrderPix>,
    pub delivery: Option<OrderDelivery>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub campaign_ids: Vec<CampaignId>,
    pub cancel_reason: Option<String>,
    pub history: Vec<StatusChange>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSummary {
    pub id: OrderId,
    pub number: i64,
    pub store_id: StoreId,
    pub status: OrderStatus,
    pub fulfillment: Fulfillment,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub customer_phone: String,
    pub total_cents: i64,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub store: Option<StoreId>,
    pub customer: Option<CustomerId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Matches the order number, the customer's name or phone.
    pub search: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("order not found")]
    NotFound,
    #[error("an order {from:?} cannot become {to:?}")]
    Invalid { from: OrderStatus, to: OrderStatus },
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// What an earlier request with the same `Idempotency-Key` left behind. A key is written only
/// by the transaction that places its order, so a failed request leaves nothing, and a request
/// racing another with the same key waits for it and then sees its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// Never used (or its request failed): go on.
    Unused,
    /// The same key was used with another body.
    Mismatch,
    /// Done: this was the order.
    Done(OrderId),
}

/// The key a checkout is placed under, with the hash of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

/// An entry of the order desk's event log (SPEC §19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    /// Increasing per tenant, in commit order.
    pub id: i64,
    /// `order.created` or `order.updated`.
    pub kind: String,
    pub order: OrderId,
}

#[async_trait]
pub trait OrderRepository: Send + Sync {
    async fn place(&self, order: NewOrder) -> Result<OrderDetail, PlaceOrderError>;
    /// The whole order in a fixed number of queries.
    async fn find(&self, tenant: TenantId, id: OrderId) -> RepoResult<Option<OrderDetail>>;
    async fn list(
        &self,
        tenant: TenantId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> RepoResult<Page<OrderSummary>>;
    /// Moves the order along its path (stock back on cancel) with its history row and
    /// notifications, in one transaction.
    async fn transition(
        &self,
        tenant: TenantId,
        id: OrderId,
        to: OrderStatus,
        reason: Option<String>,
        notifications: &[&'static str],
        actor: &Actor,
    ) -> Result<OrderDetail, TransitionError>;
    /// How many times the customer with this phone used each campaign.
    async fn campaign_uses(
        &self,
        tenant: TenantId,
        phone: &Phone,
    ) -> RepoResult<HashMap<CampaignId, i32>>;

    /// What an earlier request left under this key (a read: the key is written by `place`).
    async fn idempotency(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> RepoResult<IdempotencyState>;
    /// Forgets keys older than `before` (kept at least 24 hours); answers how many.
    async fn purge_idempotency(&self, before: DateTime<Utc>) -> RepoResult<u64>;

    /// The tenant's desk events after `after`, oldest first, at most `limit`.
    async fn events_after(
        &self,
        tenant: TenantId,
        after: i64,
        limit: i64,
    ) -> RepoResult<Vec<OrderEvent>>;
    /// The tenant's latest event id (0 before any).
    async fn last_event_id(&self, tenant: TenantId) -> RepoResult<i64>;
    /// These tenants have a desk open here until `until`: their events are announced.
    async fn desks_present(&self, tenants: &[TenantId], until: DateTime<Utc>) -> RepoResult<()>;
    /// Forgets events older than `before`; answers how many.
    async fn purge_events(&self, before: DateTime<Utc>) -> RepoResult<u64>;
}
