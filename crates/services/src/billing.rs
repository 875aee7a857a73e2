//! Billing webhooks (docs/api.md#messaging) and the tenant's billing page (`/admin/billing`).

use crate::ErrorCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use comanda_domain::TenantId;
use comanda_domain::identity::{Email, NewPassword, Role};
use comanda_domain::tenancy::TenantSlug;
use comanda_ports::billing::{
    BillingOverview, BillingRepository, ChangeRequest, EventOutcome, IntakeEvent, IntakeOutcome,
    StatusEvent,
};
use comanda_ports::plans::PlanRepository;
use comanda_ports::{Actor, NewUser, PasswordHasher, RepoError, SignatureVerifier};

use crate::ServiceError;

/// A new customer, as the billing system announces it.
#[derive(Debug, Clone)]
pub struct Intake {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub slug: String,
    pub name: String,
    pub plan_code: String,
    pub owner_email: String,
    pub owner_name: String,
    /// Without one, the owner gets an unusable password and sets one through the CLI or the
    /// central admin.
    pub owner_password: Option<String>,
}

#[derive(Clone)]
pub struct BillingService {
    billing: Arc<dyn BillingRepository>,
    plans: Arc<dyn PlanRepository>,
    hasher: Arc<dyn PasswordHasher>,
    signatures: Arc<dyn SignatureVerifier>,
}

impl BillingService {
    pub fn new(
        billing: Arc<dyn BillingRepository>,
        plans: Arc<dyn PlanRepository>,
        hasher: Arc<dyn PasswordHasher>,
        signatures: Arc<dyn SignatureVerifier>,
    ) -> Self {
        Self {
            billing,
            plans,
            hasher,
            signatures,
        }
    }

    /// The raw body must carry a good `X-Signature`; nothing is read before this passes.
    pub fn verify_signature(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<(), ServiceError> {
        match signature {
            Some(signature) if self.signatures.verify(body, signature) => Ok(()),
            _ => Err(ServiceError::Unauthenticated {
                code: ErrorCode::InvalidSignature,
                message: "Missing or invalid X-Signature".into(),
            }),
        }
    }

    pub async fn apply_status(&self, event: &StatusEvent) -> Result<EventOutcome, ServiceError> {
        validate_event_id(&event.event_id)?;
        self.billing
            .apply_status_event(event)
            .await
            .map_err(|error| match error {
                RepoError::NotFound(_) => {
                    ServiceError::Tenancy(comanda_domain::tenancy::TenancyError::NotFound)
                }
                other => other.into(),
            })
    }

    pub async fn intake(&self, intake: Intake) -> Result<IntakeOutcome, ServiceError> {
        validate_event_id(&intake.event_id)?;
        let slug = TenantSlug::parse(&intake.slug)
            .map_err(|error| ServiceError::field("tenant.slug", error))?;
        let email = Email::parse(&intake.owner_email)
            .map_err(|error| ServiceError::field("owner.email", error))?;
        if intake.name.trim().is_empty() {
            return Err(ServiceError::field("tenant.name", "must not be empty"));
        }
        let plan = self
            .plans
            .find_by_code(intake.plan_code.trim())
            .await?
            .ok_or_else(|| {
                ServiceError::field("plan_code", format!("unknown plan `{}`", intake.plan_code))
            })?;
        let password = match &intake.owner_password {
            Some(raw) => NewPassword::parse(raw)
                .map_err(|error| ServiceError::field("owner.password", error))?
                .expose()
                .to_owned(),
            // Nobody knows this one: the owner cannot log in until a password is set.
            None => uuid::Uuid::new_v4().to_string() + &uuid::Uuid::new_v4().to_string(),
        };
        let password_hash = self
            .hasher
            .hash(&password)
            .await
            .map_err(ServiceError::from)?;
        self.billing
            .apply_intake(IntakeEvent {
                event_id: intake.event_id,
                occurred_at: intake.occurred_at,
                slug,
                name: intake.name.trim().to_owned(),
                plan,
                owner: NewUser {
                    email,
                    name: intake.owner_name.trim().to_owned(),
                    password_hash,
                    role: Role::Owner,
                    group_ids: Vec::new(),
                },
            })
            .await
            .map_err(|error| match error {
                RepoError::Conflict(_) => ServiceError::conflict(
                    ErrorCode::SlugTaken,
                    "A tenant with this slug already exists",
                ),
                other => other.into(),
            })
    }

    pub async fn overview(&self, tenant: TenantId) -> Result<BillingOverview, ServiceError> {
        Ok(self.billing.overview(tenant).await?)
    }

    pub async fn plans(&self) -> Result<Vec<comanda_ports::plans::Plan>, ServiceError> {
        Ok(self.plans.list(false).await?)
    }

    pub async fn request_change(
        &self,
        tenant: TenantId,
        plan_code: &str,
        note: &str,
        actor: &Actor,
    ) -> Result<ChangeRequest, ServiceError> {
        let plan = self
            .plans
            .find_by_code(plan_code.trim())
            .await?
            .filter(|plan| plan.is_active)
            .ok_or_else(|| {
                ServiceError::field("plan_code", format!("unknown plan `{plan_code}`"))
            })?;
        Ok(self
            .billing
            .request_change(
                tenant,
                &plan,
                note.trim().chars().take(1000).collect(),
                actor,
            )
            .await?)
    }
}

fn validate_event_id(event_id: &str) -> Result<(), ServiceError> {
    if event_id.trim().is_empty() || event_id.len() > 200 {
        return Err(ServiceError::field("event_id", "1 to 200 characters"));
    }
    Ok(())
}
