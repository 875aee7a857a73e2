use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::subscriptions::{ModuleSource, modules_after_plan_change, modules_set_by_hand};
use comanda_domain::tenancy::{Module, SubscriptionStatus, TenantSlug};
use comanda_domain::{PlanId, TenantId};
use comanda_ports::central::{
    CentralRepository, Dashboard, MessagingConfig, TenantChanges, TenantFilter, TenantSummary,
};
use comanda_ports::plans::Plan;
use comanda_ports::{Actor, NewOwnerInvite, RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::tenants::{NewTenantRow, insert_tenant, slug_conflict, write_modules};
use super::users::{lock_tenant, replace_owner_invite, tenant_has_users};
use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::repos::contains_pattern;
use crate::schema::{
    orders, stores, tenant_messaging, tenant_subscriptions, tenants, users, whatsapp_numbers,
};

#[derive(Clone)]
pub struct PgCentralRepository {
    db: Database,
}

impl PgCentralRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_active: bool,
    #[diesel(sql_type = Integer)]
    users_limit: i32,
    #[diesel(sql_type = Integer)]
    stores_limit: i32,
    #[diesel(sql_type = Bool)]
    first_access_test_mode: bool,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    plan_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    plan_code: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    current_period_end: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    trial_ends_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Array<Text>)]
    modules: Vec<String>,
}

const SELECT_SUMMARY: &str = "\
    SELECT t.id, t.slug, t.name, t.is_active, t.users_limit, t.stores_limit, t.first_access_test_mode, \
           t.created_at, s.status, s.plan_id, p.code AS plan_code, s.current_period_end, s.trial_ends_at, \
           ARRAY(SELECT m.module || ':' || m.source FROM tenant_modules m \
                 WHERE m.tenant_id = t.id ORDER BY m.module) AS modules \
    FROM tenants t \
    JOIN tenant_subscriptions s ON s.tenant_id = t.id \
    LEFT JOIN plans p ON p.id = s.plan_id";

/// Status and search filters, shared by the page and its count (`$1` status, `$2` pattern).
const FILTER: &str = "WHERE ($1::text IS NULL OR s.status = $1) \
    AND ($2::text IS NULL OR t.slug ILIKE $2 OR t.name ILIKE $2)";

impl TryFrom<SummaryRow> for TenantSummary {
    type Error = RepoError;

    fn try_from(row: SummaryRow) -> Result<Self, Self::Error> {
        let modules = row
            .modules
            .iter()
            .map(|entry| {
                let (module, source) = entry
                    .split_once(':')
                    .ok_or_else(|| corrupt("tenant module", entry))?;
                Ok((
                    module
                        .parse::<Module>()
                        .map_err(|e| corrupt("tenant module", e))?,
                    ModuleSource::parse(source).ok_or_else(|| corrupt("module source", source))?,
                ))
            })
            .collect::<RepoResult<BTreeMap<_, _>>>()?;
        Ok(TenantSummary {
            id: TenantId::from_uuid(row.id),
            slug: TenantSlug::parse(&row.slug).map_err(|e| corrupt("tenant slug", e))?,
            name: row.name,
            is_active: row.is_active,
            subscription_status: row
                .status
                .parse::<SubscriptionStatus>()
                .map_err(|e| corrupt("subscription status", e))?,
            plan_id: row.plan_id.map(PlanId::from_uuid),
            plan_code: row.plan_code,
            current_period_end: row.current_period_end,
            trial_ends_at: row.trial_ends_at,
            modules,
            users_limit: row.users_limit,
            stores_limit: row.stores_limit,
            first_access_test_mode: row.first_access_test_mode,
            created_at: row.created_at,
        })
    }
}

pub(crate) fn summary_json(summary: &TenantSummary) -> serde_json::Value {
    serde_json::json!({
        "id": summary.id,
        "slug": summary.slug,
        "name": summary.name,
        "is_active": summary.is_active,
        "subscription_status": summary.subscription_status,
        "plan_code": summary.plan_code,
        "modules": summary.modules,
        "users_limit": summary.users_limit,
        "stores_limit": summary.stores_limit,
        "first_access_test_mode": summary.first_access_test_mode,
    })
}

pub(crate) async fn load_summary(
    conn: &mut AsyncPgConnection,
    id: TenantId,
) -> Result<Option<TenantSummary>, TxError> {
    let row: Option<SummaryRow> = diesel::sql_query(format!("{SELECT_SUMMARY} WHERE t.id = $1"))
        .bind::<SqlUuid, _>(id.as_uuid())
        .get_result(conn)
        .await
        .optional()?;
    Ok(row.map(TenantSummary::try_from).transpose()?)
}

async fn lock_subscription(
    conn: &mut AsyncPgConnection,
    id: TenantId,
) -> Result<TenantSummary, TxError> {
    tenant_subscriptions::table
        .find(id.as_uuid())
        .select(tenant_subscriptions::tenant_id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()?
        .ok_or(RepoError::NotFound("tenant"))?;
    Ok(load_summary(conn, id)
        .await?
        .ok_or(RepoError::NotFound("tenant"))?)
}

fn mask(token: &Option<String>) -> serde_json::Value {
    match token {
        Some(_) => "[set]".into(),
        None => serde_json::Value::Null,
    }
}

fn messaging_json(config: &MessagingConfig) -> serde_json::Value {
    serde_json::json!({
        "whatsapp_phone_number_id": config.whatsapp_phone_number_id,
        "whatsapp_access_token": mask(&config.whatsapp_access_token),
        "whatsapp_verify_token": mask(&config.whatsapp_verify_token),
        "telegram_bot_token": mask(&config.telegram_bot_token),
    })
}

type MessagingRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn load_messaging(
    conn: &mut AsyncPgConnection,
    id: TenantId,
) -> QueryResult<MessagingConfig> {
    let row: Option<MessagingRow> = tenant_messaging::table
        .find(id.as_uuid())
        .select((
            tenant_messaging::whatsapp_phone_number_id,
            tenant_messaging::whatsapp_access_token,
            tenant_messaging::whatsapp_verify_token,
            tenant_messaging::telegram_bot_token,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row
        .map(|(phone, access, verify, telegram)| MessagingConfig {
            whatsapp_phone_number_id: phone,
            whatsapp_access_token: access,
            whatsapp_verify_token: verify,
            telegram_bot_token: telegram,
        })
        .unwrap_or_default())
}

/// `None` keeps the stored value, an empty string clears it.
fn merged(change: Option<String>, current: Option<String>) -> Option<String> {
    match change {
        Some(value) if value.trim().is_empty() => None,
        Some(value) => Some(value.trim().to_owned()),
        None => current,
    }
}

#[async_trait]
impl CentralRepository for PgCentralRepository {
    async fn list(
        &self,
        filter: &TenantFilter,
        page: PageRequest,
    ) -> RepoResult<Page<TenantSummary>> {
        let mut conn = self.db.conn().await?;
        let status = filter.status.map(|status| status.as_str().to_owned());
        let pattern = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(contains_pattern);
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            total: i64,
        }
        let count: Count = diesel::sql_query(format!(
            "SELECT count(*) AS total FROM tenants t JOIN tenant_subscriptions s ON s.tenant_id = t.id {FILTER}"
        ))
        .bind::<Nullable<Text>, _>(status.clone())
        .bind::<Nullable<Text>, _>(pattern.clone())
        .get_result(&mut conn)
        .await
        .map_err(diesel_error)?;
        let rows: Vec<SummaryRow> = diesel::sql_query(format!(
            "{SELECT_SUMMARY} {FILTER} ORDER BY t.created_at DESC, t.id LIMIT $3 OFFSET $4"
        ))
        .bind::<Nullable<Text>, _>(status)
        .bind::<Nullable<Text>, _>(pattern)
        .bind::<BigInt, _>(i64::from(page.limit))
        .bind::<BigInt, _>(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .load(&mut conn)
        .await
        .map_err(diesel_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(TenantSummary::try_from)
                .collect::<RepoResult<_>>()?,
            total: u64::try_from(count.total).unwrap_or(0),
        })
    }

    async fn find(&self, id: TenantId) -> RepoResult<Option<TenantSummary>> {
        let mut conn = self.db.conn().await?;
        Ok(load_summary(&mut conn, id).await?)
    }

    async fn create(
        &self,
        slug: TenantSlug,
        name: String,
        status: SubscriptionStatus,
        plan: Option<&Plan>,
        owner: Option<&NewOwnerInvite>,
        actor: &Actor,
    ) -> RepoResult<TenantSummary> {
        let mut conn = self.db.conn().await?;
        let plan = plan.cloned();
        let owner = owner.cloned();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let modules: BTreeMap<Module, ModuleSource> = plan
                .as_ref()
                .map(|plan| {
                    plan.modules
                        .iter()
                        .map(|m| (*m, ModuleSource::Plan))
                        .collect()
                })
                .unwrap_or_default();
            let id = insert_tenant(
                conn,
                NewTenantRow {
                    slug: &slug,
                    name: &name,
                    status,
                    plan: plan.as_ref(),
                    modules: &modules,
                    users_limit: plan.as_ref().map_or(5, |plan| plan.users_limit),
                    stores_limit: plan.as_ref().map_or(1, |plan| plan.stores_limit),
                },
            )
            .await?;
            if let Some(owner) = &owner {
                replace_owner_invite(conn, id, owner).await?;
            }
            let created = load_summary(conn, id)
                .await?
                .ok_or(RepoError::NotFound("tenant"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(id),
                    action: "tenant.create",
                    entity_type: "tenant",
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: Some(summary_json(&created)),
                },
            )
            .await?;
            Ok(created)
        })
        .await
        .map_err(|error| slug_conflict(error.into()))
    }

    async fn invite_owner(
        &self,
        id: TenantId,
        invite: &NewOwnerInvite,
        actor: &Actor,
    ) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        let invite = invite.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            lock_tenant(conn, id).await?;
            if tenant_has_users(conn, id).await? {
                return Err(RepoError::Conflict("already_bootstrapped".into()).into());
            }
            replace_owner_invite(conn, id, &invite).await?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(id),
                    action: "tenant.owner_invite",
                    entity_type: "tenant",
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: Some(serde_json::json!({
                        "owner_email": invite.email.as_str(),
                        "expires_at": invite.expires_at,
                    })),
                },
            )
            .await?;
            Ok(())
        })
        .await
        .map_err(RepoError::from)
    }

    async fn update(
        &self,
        id: TenantId,
        changes: TenantChanges,
        actor: &Actor,
    ) -> RepoResult<TenantSummary> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = lock_subscription(conn, id).await?;
            diesel::update(tenants::table.find(id.as_uuid()))
                .set((
                    tenants::name.eq(changes
                        .name
                        .as_deref()
                        .map(str::trim)
                        .unwrap_or(&before.name)),
                    tenants::is_active.eq(changes.is_active.unwrap_or(before.is_active)),
                    tenants::users_limit.eq(changes.users_limit.unwrap_or(before.users_limit)),
                    tenants::stores_limit.eq(changes.stores_limit.unwrap_or(before.stores_limit)),
                    tenants::first_access_test_mode.eq(changes
                        .first_access_test_mode
                        .unwrap_or(before.first_access_test_mode)),
                    tenants::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            if let Some(status) = changes.subscription_status {
                // A decision of the operator: newer than any billing event so far.
                diesel::update(tenant_subscriptions::table.find(id.as_uuid()))
                    .set((
                        tenant_subscriptions::status.eq(status.as_str()),
                        tenant_subscriptions::status_changed_at.eq(diesel::dsl::now),
                        tenant_subscriptions::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
            }
            let after = load_summary(conn, id)
                .await?
                .ok_or(RepoError::NotFound("tenant"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(id),
                    action: "tenant.update",
                    entity_type: "tenant",
                    entity_id: Some(id.to_string()),
                    before: Some(summary_json(&before)),
                    after: Some(summary_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn set_modules(
        &self,
        id: TenantId,
        modules: &BTreeSet<Module>,
        actor: &Actor,
    ) -> RepoResult<TenantSummary> {
        let mut conn = self.db.conn().await?;
        let modules = modules.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = lock_subscription(conn, id).await?;
            write_modules(conn, id, &modules_set_by_hand(&before.modules, &modules)).await?;
            let after = load_summary(conn, id)
                .await?
                .ok_or(RepoError::NotFound("tenant"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(id),
                    action: "tenant.modules",
                    entity_type: "tenant",
                    entity_id: Some(id.to_string()),
                    before: Some(serde_json::json!({ "modules": before.modules })),
                    after: Some(serde_json::json!({ "modules": after.modules })),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn assign_plan(
        &self,
        id: TenantId,
        plan: &Plan,
        actor: &Actor,
    ) -> RepoResult<TenantSummary> {
        let mut conn = self.db.conn().await?;
        let plan = plan.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = lock_subscription(conn, id).await?;
            write_modules(
                conn,
                id,
                &modules_after_plan_change(&before.modules, &plan.modules),
            )
            .await?;
            diesel::update(tenants::table.find(id.as_uuid()))
                .set((
                    tenants::users_limit.eq(plan.users_limit),
                    tenants::stores_limit.eq(plan.stores_limit),
                    tenants::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let (status, trial_ends_at) = if plan.trial_days > 0
                && before.subscription_status != SubscriptionStatus::Active
            {
                (
                    SubscriptionStatus::Trialing,
                    Some(Utc::now() + TimeDelta::days(i64::from(plan.trial_days))),
                )
            } else {
                (SubscriptionStatus::Active, None)
            };
            diesel::update(tenant_subscriptions::table.find(id.as_uuid()))
                .set((
                    tenant_subscriptions::plan_id.eq(plan.id.as_uuid()),
                    tenant_subscriptions::status.eq(status.as_str()),
                    tenant_subscriptions::trial_ends_at.eq(trial_ends_at),
                    tenant_subscriptions::status_changed_at.eq(diesel::dsl::now),
                    tenant_subscriptions::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let after = load_summary(conn, id)
                .await?
                .ok_or(RepoError::NotFound("tenant"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(id),
                    action: "tenant.plan",
                    entity_type: "tenant",
                    entity_id: Some(id.to_string()),
                    before: Some(summary_json(&before)),
                    after: Some(summary_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn messaging(&self, id: TenantId) -> RepoResult<MessagingConfig> {
        let mut conn = self.db.conn().await?;
        load_messaging(&mut conn, id).await.map_err(diesel_error)
    }

    async fn set_messaging(
        &self,
        id: TenantId,
        config: MessagingConfig,
        actor: &Actor,
    ) -> RepoResult<MessagingConfig> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            lock_subscription(conn, id).await?;
            let before = load_messaging(conn, id).await?;
            let after = MessagingConfig {
                whatsapp_phone_number_id: merged(
                    config.whatsapp_phone_number_id,
                    before.whatsapp_phone_number_id.clone(),
                ),
                whatsapp_access_token: merged(
                    config.whatsapp_access_token,
                    before.whatsapp_access_token.clone(),
                ),
                whatsapp_verify_token: merged(
                    config.whatsapp_verify_token,
                    before.whatsapp_verify_token.clone(),
                ),
                telegram_bot_token: merged(
                    config.telegram_bot_token,
                    before.telegram_bot_token.clone(),
                ),
            };
            let values = (
                tenant_messaging::tenant_id.eq(id.as_uuid()),
                tenant_messaging::whatsapp_phone_number_id
                    .eq(after.whatsapp_phone_number_id.clone()),
                tenant_messaging::whatsapp_access_token.eq(after.whatsapp_access_token.clone()),
                tenant_messaging::whatsapp_verify_token.eq(after.whatsapp_verify_token.clone()),
                tenant_messaging::telegram_bot_token.eq(after.telegram_bot_token.clone()),
                tenant_messaging::updated_at.eq(diesel::dsl::now),
            );
            diesel::insert_into(tenant_messaging::table)
                .values(values.clone())
                .on_conflict(tenant_messaging::tenant_id)
                .do_update()
                .set(values)
                .execute(conn)
                .await?;
            // The webhook finds the tenant by its number here, one number per tenant and one
            // tenant per number (a taken number is a conflict).
            diesel::delete(
                whatsapp_numbers::table.filter(whatsapp_numbers::tenant_id.eq(id.as_uuid())),
            )
            .execute(conn)
            .await?;
            if let Some(phone_number_id) = &after.whatsapp_phone_number_id {
                diesel::insert_into(whatsapp_numbers::table)
                    .values((
                        whatsapp_numbers::phone_number_id.eq(phone_number_id),
                        whatsapp_numbers::tenant_id.eq(id.as_uuid()),
                    ))
                    .execute(conn)
                    .await?;
            }
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(id),
                    action: "tenant.messaging",
                    entity_type: "tenant",
                    entity_id: Some(id.to_string()),
                    before: Some(messaging_json(&before)),
                    after: Some(messaging_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(|error| match RepoError::from(error) {
            RepoError::Conflict(_) => RepoError::Conflict("phone_number_id".into()),
            other => other,
        })
    }

    async fn dashboard(&self) -> RepoResult<Dashboard> {
        let mut conn = self.db.conn().await?;
        let by_status: Vec<(String, i64)> = tenant_subscriptions::table
            .inner_join(tenants::table)
            .filter(tenants::is_active.eq(true))
            .group_by(tenant_subscriptions::status)
            .select((tenant_subscriptions::status, diesel::dsl::count_star()))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        let tenants_total: i64 = tenants::table
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let users_total: i64 = users::table
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let stores_total: i64 = stores::table
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let (orders_total, revenue_cents): (i64, Option<i64>) = orders::table
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                    "sum(total_cents) FILTER (WHERE status <> 'canceled')::bigint",
                ),
            ))
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let mut tenants_by_status = BTreeMap::new();
        let mut tenants_active = 0;
        for (status, count) in by_status {
            let status = status
                .parse::<SubscriptionStatus>()
                .map_err(|e| corrupt("subscription status", e))?;
            let count = u64::try_from(count).unwrap_or(0);
            tenants_active += count;
            tenants_by_status.insert(status, count);
        }
        Ok(Dashboard {
            tenants_total: u64::try_from(tenants_total).unwrap_or(0),
            tenants_active,
            tenants_by_status,
            users_total: u64::try_from(users_total).unwrap_or(0),
            stores_total: u64::try_from(stores_total).unwrap_or(0),
            orders_total: u64::try_from(orders_total).unwrap_or(0),
            revenue_cents: revenue_cents.unwrap_or(0),
        })
    }
}
