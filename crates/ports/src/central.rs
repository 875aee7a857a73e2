//! What the central admin (docs/api.md#the-central-admin) needs: tenants across the whole SaaS.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::subscriptions::ModuleSource;
use comanda_domain::tenancy::{Module, SubscriptionStatus, TenantSlug};
use comanda_domain::{PlanId, TenantId};

use crate::plans::Plan;
use crate::{Actor, NewOwnerInvite, RepoResult};

/// A tenant as the central admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSummary {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: String,
    pub is_active: bool,
    pub subscription_status: SubscriptionStatus,
    pub plan_id: Option<PlanId>,
    pub plan_code: Option<String>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub modules: BTreeMap<Module, ModuleSource>,
    pub users_limit: i32,
    pub stores_limit: i32,
    pub first_access_test_mode: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantFilter {
    pub status: Option<SubscriptionStatus>,
    pub search: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantChanges {
    pub name: Option<String>,
    pub is_active: Option<bool>,
    pub users_limit: Option<i32>,
    pub stores_limit: Option<i32>,
    pub subscription_status: Option<SubscriptionStatus>,
    pub first_access_test_mode: Option<bool>,
}

/// A tenant's messaging credentials. Tokens are write-only through the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessagingConfig {
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_access_token: Option<String>,
    pub whatsapp_verify_token: Option<String>,
    pub telegram_bot_token: Option<String>,
}

/// Figures across every tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub tenants_total: u64,
    pub tenants_active: u64,
    pub tenants_by_status: BTreeMap<SubscriptionStatus, u64>,
    pub users_total: u64,
    pub stores_total: u64,
    pub orders_total: u64,
    /// Of orders not canceled, across every tenant.
    pub revenue_cents: i64,
}

#[async_trait]
pub trait CentralRepository: Send + Sync {
    async fn list(
        &self,
        filter: &TenantFilter,
        page: PageRequest,
    ) -> RepoResult<Page<TenantSummary>>;
    /// Any tenant, active or not.
    async fn find(&self, id: TenantId) -> RepoResult<Option<TenantSummary>>;
    /// A new tenant, on `plan` when given (its modules and limits), with its owner's invite
    /// when given, in one transaction.
    async fn create(
        &self,
        slug: TenantSlug,
        name: String,
        status: SubscriptionStatus,
        plan: Option<&Plan>,
        owner: Option<&NewOwnerInvite>,
        actor: &Actor,
    ) -> RepoResult<TenantSummary>;
    /// A new owner invite for a tenant without users (earlier unspent ones are withdrawn).
    /// `Conflict("already_bootstrapped")` once the tenant has a user.
    async fn invite_owner(
        &self,
        id: TenantId,
        invite: &NewOwnerInvite,
        actor: &Actor,
    ) -> RepoResult<()>;
    async fn update(
        &self,
        id: TenantId,
        changes: TenantChanges,
        actor: &Actor,
    ) -> RepoResult<TenantSummary>;
    /// Sets exactly these modules (sources decided by `subscriptions::modules_set_by_hand`).
    async fn set_modules(
        &self,
        id: TenantId,
        modules: &BTreeSet<Module>,
        actor: &Actor,
    ) -> RepoResult<TenantSummary>;
    /// Moves the tenant to `plan`: plan modules replaced, hand-granted ones kept, limits from
    /// the plan, subscription active (trialing when the plan has trial days).
    async fn assign_plan(
        &self,
        id: TenantId,
        plan: &Plan,
        actor: &Actor,
    ) -> RepoResult<TenantSummary>;
    async fn messaging(&self, id: TenantId) -> RepoResult<MessagingConfig>;
    async fn set_messaging(
        &self,
        id: TenantId,
        config: MessagingConfig,
        actor: &Actor,
    ) -> RepoResult<MessagingConfig>;
    async fn dashboard(&self) -> RepoResult<Dashboard>;
}
