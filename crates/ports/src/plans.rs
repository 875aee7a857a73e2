//! Plans: what a subscription gives a tenant (modules, limits, trial days).

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::PlanId;
use comanda_domain::tenancy::Module;

use crate::{Actor, RepoResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: PlanId,
    pub code: String,
    pub name: String,
    pub price_cents: i64,
    pub modules: BTreeSet<Module>,
    pub users_limit: i32,
    pub stores_limit: i32,
    pub trial_days: i32,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every field of a plan, for create and for full update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInput {
    pub code: String,
    pub name: String,
    pub price_cents: i64,
    pub modules: BTreeSet<Module>,
    pub users_limit: i32,
    pub stores_limit: i32,
    pub trial_days: i32,
    pub is_active: bool,
}

#[async_trait]
pub trait PlanRepository: Send + Sync {
    async fn list(&self, include_inactive: bool) -> RepoResult<Vec<Plan>>;
    async fn find(&self, id: PlanId) -> RepoResult<Option<Plan>>;
    async fn find_by_code(&self, code: &str) -> RepoResult<Option<Plan>>;
    /// `Conflict("plan_code")` for a taken code.
    async fn create(&self, plan: PlanInput, actor: &Actor) -> RepoResult<Plan>;
    async fn update(&self, id: PlanId, plan: PlanInput, actor: &Actor) -> RepoResult<Plan>;
    /// `Conflict("plan_in_use")` while a tenant is on it (deactivate it instead).
    async fn delete(&self, id: PlanId, actor: &Actor) -> RepoResult<()>;
}
