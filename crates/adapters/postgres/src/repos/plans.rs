use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::PlanId;
use comanda_domain::tenancy::Module;
use comanda_ports::plans::{Plan, PlanInput, PlanRepository};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::{plans, tenant_subscriptions};

#[derive(Clone)]
pub struct PgPlanRepository {
    db: Database,
}

impl PgPlanRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = plans, check_for_backend(diesel::pg::Pg))]
pub(crate) struct PlanRow {
    id: Uuid,
    code: String,
    name: String,
    price_cents: i64,
    modules: Vec<String>,
    users_limit: i32,
    stores_limit: i32,
    trial_days: i32,
    is_active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<PlanRow> for Plan {
    type Error = RepoError;

    fn try_from(row: PlanRow) -> Result<Self, Self::Error> {
        Ok(Plan {
            id: PlanId::from_uuid(row.id),
            code: row.code,
            name: row.name,
            price_cents: row.price_cents,
            modules: row
                .modules
                .iter()
                .map(|module| module.parse::<Module>())
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt("plan module", e))?,
            users_limit: row.users_limit,
            stores_limit: row.stores_limit,
            trial_days: row.trial_days,
            is_active: row.is_active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(crate) fn plan_json(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "id": plan.id,
        "code": plan.code,
        "name": plan.name,
        "price_cents": plan.price_cents,
        "modules": plan.modules,
        "users_limit": plan.users_limit,
        "stores_limit": plan.stores_limit,
        "trial_days": plan.trial_days,
        "is_active": plan.is_active,
    })
}

pub(crate) async fn load_plan(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<Plan>, TxError> {
    let row: Option<PlanRow> = plans::table
        .find(id)
        .select(PlanRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(Plan::try_from).transpose()?)
}

fn module_names(plan: &PlanInput) -> Vec<&'static str> {
    plan.modules.iter().map(|module| module.as_str()).collect()
}

fn code_conflict(error: RepoError) -> RepoError {
    match error {
        RepoError::Conflict(_) => RepoError::Conflict("plan_code".into()),
        other => other,
    }
}

#[async_trait]
impl PlanRepository for PgPlanRepository {
    async fn list(&self, include_inactive: bool) -> RepoResult<Vec<Plan>> {
        let mut conn = self.db.conn().await?;
        let mut query = plans::table.into_boxed();
        if !include_inactive {
            query = query.filter(plans::is_active.eq(true));
        }
        let rows: Vec<PlanRow> = query
            .order((plans::price_cents.asc(), plans::code.asc()))
            .select(PlanRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        rows.into_iter().map(Plan::try_from).collect()
    }

    async fn find(&self, id: PlanId) -> RepoResult<Option<Plan>> {
        let mut conn = self.db.conn().await?;
        Ok(load_plan(&mut conn, id.as_uuid()).await?)
    }

    async fn find_by_code(&self, code: &str) -> RepoResult<Option<Plan>> {
        let mut conn = self.db.conn().await?;
        let row: Option<PlanRow> = plans::table
            .filter(plans::code.eq(code))
            .select(PlanRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        row.map(Plan::try_from).transpose()
    }

    async fn create(&self, plan: PlanInput, actor: &Actor) -> RepoResult<Plan> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let id = PlanId::generate().as_uuid();
            diesel::insert_into(plans::table)
                .values((
                    plans::id.eq(id),
                    plans::code.eq(&plan.code),
                    plans::name.eq(&plan.name),
                    plans::price_cents.eq(plan.price_cents),
                    plans::modules.eq(module_names(&plan)),
                    plans::users_limit.eq(plan.users_limit),
                    plans::stores_limit.eq(plan.stores_limit),
                    plans::trial_days.eq(plan.trial_days),
                    plans::is_active.eq(plan.is_active),
                ))
                .execute(conn)
                .await?;
            let created = load_plan(conn, id)
                .await?
                .ok_or(RepoError::NotFound("plan"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: None,
                    action: "plan.create",
                    entity_type: "plan",
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: Some(plan_json(&created)),
                },
            )
            .await?;
            Ok(created)
        })
        .await
        .map_err(|error| code_conflict(error.into()))
    }

    async fn update(&self, id: PlanId, plan: PlanInput, actor: &Actor) -> RepoResult<Plan> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = load_plan(conn, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("plan"))?;
            diesel::update(plans::table.find(id.as_uuid()))
                .set((
                    plans::code.eq(&plan.code),
                    plans::name.eq(&plan.name),
                    plans::price_cents.eq(plan.price_cents),
                    plans::modules.eq(module_names(&plan)),
                    plans::users_limit.eq(plan.users_limit),
                    plans::stores_limit.eq(plan.stores_limit),
                    plans::trial_days.eq(plan.trial_days),
                    plans::is_active.eq(plan.is_active),
                    plans::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let after = load_plan(conn, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("plan"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: None,
                    action: "plan.update",
                    entity_type: "plan",
                    entity_id: Some(id.to_string()),
                    before: Some(plan_json(&before)),
                    after: Some(plan_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(|error| code_conflict(error.into()))
    }

    async fn delete(&self, id: PlanId, actor: &Actor) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = load_plan(conn, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("plan"))?;
            let in_use: i64 = tenant_subscriptions::table
                .filter(tenant_subscriptions::plan_id.eq(id.as_uuid()))
                .count()
                .get_result(conn)
                .await?;
            if in_use > 0 {
                return Err(RepoError::Conflict("plan_in_use".into()).into());
            }
            diesel::delete(plans::table.find(id.as_uuid()))
                .execute(conn)
                .await?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: None,
                    action: "plan.delete",
                    entity_type: "plan",
                    entity_id: Some(id.to_string()),
                    before: Some(plan_json(&before)),
                    after: None,
                },
            )
            .await?;
            Ok(())
        })
        .await
        .map_err(|error| match RepoError::from(error) {
            // Change requests still point at it.
            RepoError::InvalidReference(_) => RepoError::Conflict("plan_in_use".into()),
            other => other,
        })
    }
}
