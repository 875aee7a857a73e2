use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::phone::Phone;
use comanda_domain::{CustomerId, TenantId};

use crate::orders::OrderSummary;
use crate::{Actor, RepoResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub notes: String,
    pub orders_count: i64,
    /// Of orders not canceled.
    pub total_spent_cents: i64,
    pub last_order_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A customer's phone as it is in the database (rows from the original system may not be E.164).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhone {
    pub tenant_id: TenantId,
    pub customer_id: CustomerId,
    pub phone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerChanges {
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<Option<String>>,
    pub notes: Option<String>,
}

#[async_trait]
pub trait CustomerRepository: Send + Sync {
    async fn list(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: PageRequest,
    ) -> RepoResult<Page<Customer>>;
    async fn find(&self, tenant: TenantId, id: CustomerId) -> RepoResult<Option<Customer>>;
    /// The customer's orders, newest first.
    async fn orders(
        &self,
        tenant: TenantId,
        id: CustomerId,
        page: PageRequest,
    ) -> RepoResult<Page<OrderSummary>>;
    /// `Conflict("customer_phone")` when another customer has the phone.
    async fn update(
        &self,
        tenant: TenantId,
        id: CustomerId,
        changes: CustomerChanges,
        actor: &Actor,
    ) -> RepoResult<Customer>;
    /// Every customer's phone as stored, oldest customer first; every tenant's when `None`.
    /// Erased customers are left out: their phone is a placeholder.
    async fn phones(&self, tenant: Option<TenantId>) -> RepoResult<Vec<StoredPhone>>;
    /// Moves `merged`'s orders and campaign uses to `survivor` and deletes `merged`.
    async fn merge(
        &self,
        tenant: TenantId,
        survivor: CustomerId,
        merged: CustomerId,
        actor: &Actor,
    ) -> RepoResult<Customer>;
}
