//! The central admin (docs/api.md#the-central-admin): tenants, plans, modules and subscriptions across the SaaS.

use crate::ErrorCode;
use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use comanda_domain::identity::Email;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::tenancy::{Module, SubscriptionStatus, TenantSlug};
use comanda_domain::{PlanId, TenantId};
use comanda_ports::central::{
    CentralRepository, Dashboard, MessagingConfig, TenantChanges, TenantFilter, TenantSummary,
};
use comanda_ports::plans::{Plan, PlanInput, PlanRepository};
use comanda_ports::{Actor, Clock, NewOwnerInvite, OneTimeTokens, RepoError};

use crate::ServiceError;

#[derive(Clone)]
pub struct CentralService {
    tenants: Arc<dyn CentralRepository>,
    plans: Arc<dyn PlanRepository>,
    invites: Arc<dyn OneTimeTokens>,
    clock: Arc<dyn Clock>,
}

/// How long an owner invite can be spent (docs/deployment.md#production-checklist).
pub const OWNER_INVITE_VALIDITY: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// The future owner of a tenant made in the central admin.
#[derive(Debug, Clone)]
pub struct OwnerInput {
    pub email: String,
    pub name: String,
}

/// An invite as the operator receives it: the token is answered this once and never again.
#[derive(Debug, Clone)]
pub struct IssuedInvite {
    pub token: String,
    pub email: Email,
    pub expires_at: DateTime<Utc>,
}

/// What `create_tenant` takes.
#[derive(Debug, Clone, Default)]
pub struct NewTenantInput {
    pub slug: String,
    pub name: String,
    pub plan_code: Option<String>,
    pub status: Option<SubscriptionStatus>,
    pub owner: Option<OwnerInput>,
}

fn tenant_error(error: RepoError) -> ServiceError {
    match error {
        RepoError::Conflict(what) if what.contains("slug") => ServiceError::conflict(
            ErrorCode::SlugTaken,
            "A tenant with this slug already exists",
        ),
        RepoError::Conflict(what) if what.contains("phone_number") => ServiceError::conflict(
            ErrorCode::PhoneNumberTaken,
            "Another tenant already uses this WhatsApp number id",
        ),
        other => other.into(),
    }
}

fn plan_error(error: RepoError) -> ServiceError {
    match error {
        RepoError::Conflict(what) if what == "plan_in_use" => ServiceError::conflict(
            ErrorCode::PlanInUse,
            "Tenants are on this plan: deactivate it instead",
        ),
        RepoError::Conflict(_) => ServiceError::conflict(
            ErrorCode::PlanCodeTaken,
            "A plan with this code already exists",
        ),
        other => other.into(),
    }
}

fn validate_plan(plan: &PlanInput) -> Result<(), ServiceError> {
    let mut problems = Vec::new();
    let code_ok = (1..=40).contains(&plan.code.len())
        && plan
            .code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !code_ok {
        problems.push(("code", "1 to 40 lowercase letters, digits, - or _"));
    }
    if plan.name.trim().is_empty() {
        problems.push(("name", "must not be empty"));
    }
    if plan.price_cents < 0 {
        problems.push(("price_cents", "must not be negative"));
    }
    if plan.users_limit < 0 || plan.stores_limit < 0 || plan.trial_days < 0 {
        problems.push(("limits", "limits and trial days must not be negative"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(
            problems
                .into_iter()
                .map(|(field, message)| crate::FieldProblem {
                    field: field.to_owned(),
                    message: message.to_owned(),
                })
                .collect(),
        ))
    }
}

impl CentralService {
    pub fn new(
        tenants: Arc<dyn CentralRepository>,
        plans: Arc<dyn PlanRepository>,
        invites: Arc<dyn OneTimeTokens>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            tenants,
            plans,
            invites,
            clock,
        }
    }

    /// A fresh invite for `owner`: the token to hand over, its digest to store.
    fn issue_invite(
        &self,
        owner: &OwnerInput,
    ) -> Result<(IssuedInvite, NewOwnerInvite), ServiceError> {
        let email = Email::parse(&owner.email)
            .map_err(|error| ServiceError::field("owner.email", error))?;
        let (token, token_digest) = self.invites.generate();
        let expires_at = self.clock.now() + OWNER_INVITE_VALIDITY;
        Ok((
            IssuedInvite {
                token,
                email: email.clone(),
                expires_at,
            },
            NewOwnerInvite {
                email,
                name: owner.name.trim().to_owned(),
                token_digest,
                expires_at,
            },
        ))
    }

    /// A new invite for the owner of a tenant that has no user yet (a lost or expired one is
    /// replaced); 409 `already_bootstrapped` once it has users.
    pub async fn invite_owner(
        &self,
        id: TenantId,
        owner: &OwnerInput,
        actor: &Actor,
    ) -> Result<IssuedInvite, ServiceError> {
        let (issued, invite) = self.issue_invite(owner)?;
        self.tenants
            .invite_owner(id, &invite, actor)
            .await
            .map_err(|error| match error {
                RepoError::Conflict(_) => ServiceError::conflict(
                    ErrorCode::AlreadyBootstrapped,
                    "This tenant already has users: its owner adds the others",
                ),
                other => tenant_error(other),
            })?;
        Ok(issued)
    }

    pub async fn dashboard(&self) -> Result<Dashboard, ServiceError> {
        Ok(self.tenants.dashboard().await?)
    }

    pub async fn list_tenants(
        &self,
        filter: &TenantFilter,
        page: PageRequest,
    ) -> Result<Page<TenantSummary>, ServiceError> {
        self.tenants.list(filter, page).await.map_err(tenant_error)
    }

    pub async fn tenant(&self, id: TenantId) -> Result<TenantSummary, ServiceError> {
        self.tenants
            .find(id)
            .await?
            .ok_or(ServiceError::NotFound("tenant"))
    }

    /// A tenant, on a plan when named, with its owner's invite when an owner is named.
    pub async fn create_tenant(
        &self,
        input: NewTenantInput,
        actor: &Actor,
    ) -> Result<(TenantSummary, Option<IssuedInvite>), ServiceError> {
        let slug =
            TenantSlug::parse(&input.slug).map_err(|error| ServiceError::field("slug", error))?;
        if input.name.trim().is_empty() {
            return Err(ServiceError::field("name", "must not be empty"));
        }
        let invite = input
            .owner
            .as_ref()
            .map(|owner| self.issue_invite(owner))
            .transpose()?;
        let plan = match input.plan_code.as_deref() {
            Some(code) => Some(self.plan_by_code(code).await?),
            None => None,
        };
        let status = input.status.unwrap_or(match &plan {
            Some(plan) if plan.trial_days > 0 => SubscriptionStatus::Trialing,
            _ => SubscriptionStatus::Active,
        });
        let created = self
            .tenants
            .create(
                slug,
                input.name.trim().to_owned(),
                status,
                plan.as_ref(),
                invite.as_ref().map(|(_, stored)| stored),
                actor,
            )
            .await
            .map_err(tenant_error)?;
        Ok((created, invite.map(|(issued, _)| issued)))
    }

    pub async fn update_tenant(
        &self,
        id: TenantId,
        changes: TenantChanges,
        actor: &Actor,
    ) -> Result<TenantSummary, ServiceError> {
        if changes.users_limit.is_some_and(|limit| limit < 0)
            || changes.stores_limit.is_some_and(|limit| limit < 0)
        {
            return Err(ServiceError::field("limits", "limits must not be negative"));
        }
        if changes
            .name
            .as_deref()
            .is_some_and(|name| name.trim().is_empty())
        {
            return Err(ServiceError::field("name", "must not be empty"));
        }
        self.tenants
            .update(id, changes, actor)
            .await
            .map_err(tenant_error)
    }

    pub async fn set_modules(
        &self,
        id: TenantId,
        modules: &BTreeSet<Module>,
        actor: &Actor,
    ) -> Result<TenantSummary, ServiceError> {
        self.tenants
            .set_modules(id, modules, actor)
            .await
            .map_err(tenant_error)
    }

    pub async fn assign_plan(
        &self,
        id: TenantId,
        plan_code: &str,
        actor: &Actor,
    ) -> Result<TenantSummary, ServiceError> {
        let plan = self.plan_by_code(plan_code).await?;
        self.tenants
            .assign_plan(id, &plan, actor)
            .await
            .map_err(tenant_error)
    }

    pub async fn messaging(&self, id: TenantId) -> Result<MessagingConfig, ServiceError> {
        self.tenant(id).await?;
        self.tenants.messaging(id).await.map_err(tenant_error)
    }

    pub async fn set_messaging(
        &self,
        id: TenantId,
        config: MessagingConfig,
        actor: &Actor,
    ) -> Result<MessagingConfig, ServiceError> {
        self.tenants
            .set_messaging(id, config, actor)
            .await
            .map_err(tenant_error)
    }

    pub async fn plans(&self, include_inactive: bool) -> Result<Vec<Plan>, ServiceError> {
        Ok(self.plans.list(include_inactive).await?)
    }

    pub async fn plan(&self, id: PlanId) -> Result<Plan, ServiceError> {
        self.plans
            .find(id)
            .await?
            .ok_or(ServiceError::NotFound("plan"))
    }

    pub async fn plan_by_code(&self, code: &str) -> Result<Plan, ServiceError> {
        self.plans
            .find_by_code(code.trim())
            .await?
            .ok_or_else(|| ServiceError::field("plan_code", format!("unknown plan `{code}`")))
    }

    pub async fn create_plan(&self, plan: PlanInput, actor: &Actor) -> Result<Plan, ServiceError> {
        validate_plan(&plan)?;
        self.plans.create(plan, actor).await.map_err(plan_error)
    }

    pub async fn update_plan(
        &self,
        id: PlanId,
        plan: PlanInput,
        actor: &Actor,
    ) -> Result<Plan, ServiceError> {
        validate_plan(&plan)?;
        self.plans.update(id, plan, actor).await.map_err(plan_error)
    }

    pub async fn delete_plan(&self, id: PlanId, actor: &Actor) -> Result<(), ServiceError> {
        self.plans.delete(id, actor).await.map_err(plan_error)
    }
}
