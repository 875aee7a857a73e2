use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::tenancy::{SubscriptionStatus, TenantSlug};
use comanda_domain::{PlanId, TenantId, UserId};

use crate::identity::NewUser;
use crate::plans::Plan;
use crate::{Actor, RepoResult};

/// Which tenant a billing event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantRef {
    Id(TenantId),
    Slug(TenantSlug),
}

/// "The subscription of this tenant is now `status`", as of `occurred_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEvent {
    pub event_id: String,
    pub tenant: TenantRef,
    pub status: SubscriptionStatus,
    pub occurred_at: DateTime<Utc>,
    pub current_period_end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    Applied,
    /// Older than the state it would replace: recorded, not applied.
    Stale,
    /// Seen before: nothing done.
    Duplicate,
}

impl EventOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Stale => "stale",
            Self::Duplicate => "duplicate",
        }
    }
}

/// "A new customer signed up": a tenant, its owner and its plan.
#[derive(Debug, Clone)]
pub struct IntakeEvent {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub slug: TenantSlug,
    pub name: String,
    pub plan: Plan,
    pub owner: NewUser,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    Created {
        tenant_id: TenantId,
        owner_id: UserId,
    },
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequest {
    pub id: String,
    pub plan_id: PlanId,
    pub plan_code: String,
    pub status: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// What the tenant's portal shows about its subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingOverview {
    pub status: SubscriptionStatus,
    pub plan: Option<Plan>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub change_requests: Vec<ChangeRequest>,
}

#[async_trait]
pub trait BillingRepository: Send + Sync {
    /// Records the event and applies it when newer than the current state, in one
    /// transaction. `NotFound` for an unknown tenant (nothing recorded).
    async fn apply_status_event(&self, event: &StatusEvent) -> RepoResult<EventOutcome>;
    /// Creates tenant, subscription, modules and owner in one transaction.
    /// `Conflict("tenant_slug")` when the slug is taken (nothing recorded).
    async fn apply_intake(&self, event: IntakeEvent) -> RepoResult<IntakeOutcome>;
    async fn overview(&self, tenant: TenantId) -> RepoResult<BillingOverview>;
    async fn request_change(
        &self,
        tenant: TenantId,
        plan: &Plan,
        note: String,
        actor: &Actor,
    ) -> RepoResult<ChangeRequest>;
}
