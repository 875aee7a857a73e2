use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::billing::event_is_newer;
use comanda_domain::subscriptions::ModuleSource;
use comanda_domain::tenancy::{SubscriptionStatus, TenancyError};
use comanda_domain::{PlanId, TenantId, UserId};
use comanda_ports::billing::{
    BillingOverview, BillingRepository, ChangeRequest, EventOutcome, IntakeEvent, IntakeOutcome,
    StatusEvent, TenantRef,
};
use comanda_ports::plans::Plan;
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::plans::load_plan;
use super::tenants::{NewTenantRow, insert_tenant, slug_conflict};
use super::users::user_json;
use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::{
    billing_events, plan_change_requests, plans, tenant_subscriptions, tenants, users,
};

#[derive(Clone)]
pub struct PgBillingRepository {
    db: Database,
}

impl PgBillingRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Records the event id; `false` when it was already recorded (a replay).
async fn record_event(
    conn: &mut AsyncPgConnection,
    event_id: &str,
    kind: &str,
    tenant: Option<TenantId>,
    occurred_at: DateTime<Utc>,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(billing_events::table)
        .values((
            billing_events::event_id.eq(event_id),
            billing_events::kind.eq(kind),
            billing_events::tenant_id.eq(tenant.map(|t| t.as_uuid())),
            billing_events::occurred_at.eq(occurred_at),
            billing_events::outcome.eq("received"),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

async fn set_outcome(
    conn: &mut AsyncPgConnection,
    event_id: &str,
    outcome: EventOutcome,
) -> QueryResult<()> {
    diesel::update(billing_events::table.find(event_id))
        .set(billing_events::outcome.eq(outcome.as_str()))
        .execute(conn)
        .await
        .map(|_| ())
}

async fn resolve_tenant(
    conn: &mut AsyncPgConnection,
    tenant: &TenantRef,
) -> QueryResult<Option<Uuid>> {
    match tenant {
        TenantRef::Id(id) => tenants::table
            .find(id.as_uuid())
            .select(tenants::id)
            .first(conn)
            .await
            .optional(),
        TenantRef::Slug(slug) => tenants::table
            .filter(tenants::slug.eq(slug.as_str()))
            .select(tenants::id)
            .first(conn)
            .await
            .optional(),
    }
}

#[async_trait]
impl BillingRepository for PgBillingRepository {
    async fn apply_status_event(&self, event: &StatusEvent) -> RepoResult<EventOutcome> {
        let mut conn = self.db.conn().await?;
        let event = event.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let tenant = resolve_tenant(conn, &event.tenant)
                .await?
                .ok_or(RepoError::NotFound("tenant"))?;
            let tenant_id = TenantId::from_uuid(tenant);
            if !record_event(
                conn,
                &event.event_id,
                "status",
                Some(tenant_id),
                event.occurred_at,
            )
            .await?
            {
                return Ok(EventOutcome::Duplicate);
            }
            let (status, changed_at): (String, DateTime<Utc>) = tenant_subscriptions::table
                .find(tenant)
                .select((
                    tenant_subscriptions::status,
                    tenant_subscriptions::status_changed_at,
                ))
                .for_update()
                .first(conn)
                .await?;
            let outcome = if event_is_newer(changed_at, event.occurred_at) {
                diesel::update(tenant_subscriptions::table.find(tenant))
                    .set((
                        tenant_subscriptions::status.eq(event.status.as_str()),
                        tenant_subscriptions::status_changed_at.eq(event.occurred_at),
                        tenant_subscriptions::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
                if let Some(period_end) = event.current_period_end {
                    diesel::update(tenant_subscriptions::table.find(tenant))
                        .set(tenant_subscriptions::current_period_end.eq(period_end))
                        .execute(conn)
                        .await?;
                }
                audit::record(
                    conn,
                    &Actor::system(),
                    Change {
                        tenant: Some(tenant_id),
                        action: "subscription.status",
                        entity_type: "subscription",
                        entity_id: Some(event.event_id.clone()),
                        before: Some(serde_json::json!({ "status": status })),
                        after: Some(serde_json::json!({ "status": event.status })),
                    },
                )
                .await?;
                EventOutcome::Applied
            } else {
                EventOutcome::Stale
            };
            set_outcome(conn, &event.event_id, outcome).await?;
            Ok(outcome)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn apply_intake(&self, event: IntakeEvent) -> RepoResult<IntakeOutcome> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            if !record_event(conn, &event.event_id, "intake", None, event.occurred_at).await? {
                return Ok(IntakeOutcome::Duplicate);
            }
            let status = if event.plan.trial_days > 0 {
                SubscriptionStatus::Trialing
            } else {
                SubscriptionStatus::Active
            };
            let modules = event
                .plan
                .modules
                .iter()
                .map(|m| (*m, ModuleSource::Plan))
                .collect();
            let tenant = insert_tenant(
                conn,
                NewTenantRow {
                    slug: &event.slug,
                    name: &event.name,
                    status,
                    plan: Some(&event.plan),
                    modules: &modules,
                    users_limit: event.plan.users_limit,
                    stores_limit: event.plan.stores_limit,
                },
            )
            .await
            .map_err(|error| TxError::Repo(slug_conflict(error.into())))?;
            let owner_id = UserId::generate();
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(owner_id.as_uuid()),
                    users::tenant_id.eq(tenant.as_uuid()),
                    users::email.eq(event.owner.email.as_str()),
                    users::name.eq(&event.owner.name),
                    users::password_hash.eq(&event.owner.password_hash),
                    users::role.eq(event.owner.role.as_str()),
                ))
                .execute(conn)
                .await?;
            diesel::update(billing_events::table.find(&event.event_id))
                .set((
                    billing_events::tenant_id.eq(tenant.as_uuid()),
                    billing_events::outcome.eq(EventOutcome::Applied.as_str()),
                ))
                .execute(conn)
                .await?;
            let owner = comanda_ports::User {
                id: owner_id,
                tenant_id: tenant,
                email: event.owner.email.clone(),
                name: event.owner.name.clone(),
                role: event.owner.role,
                is_active: true,
                group_ids: Vec::new(),
                last_login_at: None,
                created_at: event.occurred_at,
                updated_at: event.occurred_at,
            };
            audit::record(
                conn,
                &Actor::system(),
                Change {
                    tenant: Some(tenant),
                    action: "tenant.intake",
                    entity_type: "tenant",
                    entity_id: Some(tenant.to_string()),
                    before: None,
                    after: Some(serde_json::json!({
                        "slug": event.slug,
                        "name": event.name,
                        "plan_code": event.plan.code,
                        "owner": user_json(&owner),
                    })),
                },
            )
            .await?;
            Ok(IntakeOutcome::Created {
                tenant_id: tenant,
                owner_id,
            })
        })
        .await
        .map_err(|error| match RepoError::from(error) {
            RepoError::Conflict(what) if what.contains("email") => {
                RepoError::Conflict("user_email".into())
            }
            other => other,
        })
    }

    async fn overview(&self, tenant: TenantId) -> RepoResult<BillingOverview> {
        let mut conn = self.db.conn().await?;
        let row: Option<(
            String,
            Option<Uuid>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        )> = tenant_subscriptions::table
            .find(tenant.as_uuid())
            .select((
                tenant_subscriptions::status,
                tenant_subscriptions::plan_id,
                tenant_subscriptions::current_period_end,
                tenant_subscriptions::trial_ends_at,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        let (status, plan_id, current_period_end, trial_ends_at) =
            row.ok_or(RepoError::Internal(TenancyError::NotFound.to_string()))?;
        let plan = match plan_id {
            Some(id) => load_plan(&mut conn, id).await?,
            None => None,
        };
        let requests: Vec<(Uuid, Uuid, String, String, String, DateTime<Utc>)> =
            plan_change_requests::table
                .inner_join(plans::table)
                .filter(plan_change_requests::tenant_id.eq(tenant.as_uuid()))
                .order(plan_change_requests::created_at.desc())
                .limit(20)
                .select((
                    plan_change_requests::id,
                    plan_change_requests::plan_id,
                    plans::code,
                    plan_change_requests::status,
                    plan_change_requests::note,
                    plan_change_requests::created_at,
                ))
                .load(&mut conn)
                .await
                .map_err(diesel_error)?;
        Ok(BillingOverview {
            status: status
                .parse::<SubscriptionStatus>()
                .map_err(|e| corrupt("subscription status", e))?,
            plan,
            current_period_end,
            trial_ends_at,
            change_requests: requests
                .into_iter()
                .map(
                    |(id, plan_id, plan_code, status, note, created_at)| ChangeRequest {
                        id: id.to_string(),
                        plan_id: PlanId::from_uuid(plan_id),
                        plan_code,
                        status,
                        note,
                        created_at,
                    },
                )
                .collect(),
        })
    }

    async fn request_change(
        &self,
        tenant: TenantId,
        plan: &Plan,
        note: String,
        actor: &Actor,
    ) -> RepoResult<ChangeRequest> {
        let mut conn = self.db.conn().await?;
        let plan = plan.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let id = Uuid::now_v7();
            let created_at: DateTime<Utc> = diesel::insert_into(plan_change_requests::table)
                .values((
                    plan_change_requests::id.eq(id),
                    plan_change_requests::tenant_id.eq(tenant.as_uuid()),
                    plan_change_requests::plan_id.eq(plan.id.as_uuid()),
                    plan_change_requests::requested_by.eq(actor.user_id.map(|u| u.as_uuid())),
                    plan_change_requests::note.eq(&note),
                ))
                .returning(plan_change_requests::created_at)
                .get_result(conn)
                .await?;
            let request = ChangeRequest {
                id: id.to_string(),
                plan_id: plan.id,
                plan_code: plan.code.clone(),
                status: "pending".into(),
                note,
                created_at,
            };
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "billing.change_request",
                    entity_type: "plan_change_request",
                    entity_id: Some(request.id.clone()),
                    before: None,
                    after: Some(
                        serde_json::json!({ "plan_code": request.plan_code, "note": request.note }),
                    ),
                },
            )
            .await?;
            Ok(request)
        })
        .await
        .map_err(RepoError::from)
    }
}
