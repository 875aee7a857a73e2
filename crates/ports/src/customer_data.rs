//! Customers' data rights (LGPD, docs/operations.md#fairness-and-saturation): everything held about a customer, and erasing it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::store::Address;
use comanda_domain::{CampaignId, CustomerId, OrderId, TenantId};

use crate::messaging::{ChatMessage, Conversation};
use crate::orders::OrderDetail;
use crate::{Actor, RepoError, RepoResult};

/// The customer's own row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerProfile {
    pub id: CustomerId,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the customer was erased, if they were.
    pub erased_at: Option<DateTime<Utc>>,
}

/// An address the customer had an order delivered to.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressUse {
    pub address: Address,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The orders delivered there, by number, oldest first.
    pub order_numbers: Vec<i64>,
    pub last_used_at: DateTime<Utc>,
}

/// A discount the customer had on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignUse {
    pub campaign_id: CampaignId,
    pub campaign_name: String,
    pub order_id: OrderId,
    pub order_number: i64,
    pub used_at: DateTime<Utc>,
}

/// A WhatsApp conversation with the customer's phone, with every message, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationExport {
    pub conversation: Conversation,
    pub messages: Vec<ChatMessage>,
}

/// Every personal datum held about a customer, read in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerExport {
    pub profile: CustomerProfile,
    pub addresses: Vec<AddressUse>,
    /// Oldest first.
    pub orders: Vec<OrderDetail>,
    pub campaign_uses: Vec<CampaignUse>,
    pub conversations: Vec<ConversationExport>,
}

/// What an erasure changed. `media_keys` are the stored files the deleted messages pointed at:
/// they are queued for deletion in the transaction, and the caller deletes them after commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub customer_id: CustomerId,
    pub erased_at: DateTime<Utc>,
    /// The customer had been erased before (this one changed what was added since, if anything).
    pub already_erased: bool,
    pub orders_kept: usize,
    pub addresses_cleared: usize,
    pub conversations_deleted: usize,
    pub messages_deleted: usize,
    /// Notifications about the deleted conversation (deleted) or about the customer's orders
    /// and not sent yet (skipped).
    pub notifications_dropped: usize,
    pub media_keys: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    #[error("customer not found")]
    NotFound,
    /// Orders not delivered, picked up or canceled yet, by number.
    #[error("the customer has open orders")]
    OpenOrders(Vec<i64>),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

#[async_trait]
pub trait CustomerDataRepository: Send + Sync {
    /// Everything held about the customer, audited (`customer.export`, with counts only);
    /// `None` when the tenant has no such customer.
    async fn export(
        &self,
        tenant: TenantId,
        id: CustomerId,
        actor: &Actor,
    ) -> RepoResult<Option<CustomerExport>>;
    /// Anonymises the customer in one transaction: name, phone (a placeholder), e-mail, notes,
    /// the street part of their orders' delivery addresses and their items' notes are cleared,
    /// their WhatsApp conversations deleted with their messages (the media keys queued for
    /// deletion), their unsent notifications dropped; orders keep their amounts. Audited
    /// (`customer.erase`, with counts only). `OpenOrders` while an order is not final.
    async fn erase(
        &self,
        tenant: TenantId,
        id: CustomerId,
        actor: &Actor,
    ) -> Result<Erasure, EraseError>;
}
