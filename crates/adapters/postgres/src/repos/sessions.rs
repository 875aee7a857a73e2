use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::{SessionId, TenantId, UserId};
use comanda_ports::{NewSession, RepoError, RepoResult, Session, SessionRepository, User};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use super::users::{UserRow, group_ids_of};
use crate::database::Database;
use crate::errors::{TxError, diesel_error};
use crate::schema::{user_sessions, users};

#[derive(Clone)]
pub struct PgSessionRepository {
    db: Database,
}

impl PgSessionRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = user_sessions, check_for_backend(diesel::pg::Pg))]
struct SessionRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    revoked_reason: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            id: SessionId::from_uuid(row.id),
            tenant_id: TenantId::from_uuid(row.tenant_id),
            user_id: UserId::from_uuid(row.user_id),
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            revoked_reason: row.revoked_reason,
        }
    }
}

#[async_trait]
impl SessionRepository for PgSessionRepository {
    async fn create(&self, session: NewSession, max_active: u32) -> RepoResult<Session> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            // One login at a time per user, so the cap holds under concurrent logins.
            users::table
                .filter(users::tenant_id.eq(session.tenant_id.as_uuid()))
                .filter(users::id.eq(session.user_id.as_uuid()))
                .select(users::id)
                .for_update()
                .first::<Uuid>(conn)
                .await
                .optional()?
                .ok_or(RepoError::NotFound("session"))?;
            let row: SessionRow = diesel::insert_into(user_sessions::table)
                .values((
                    user_sessions::id.eq(SessionId::generate().as_uuid()),
                    user_sessions::tenant_id.eq(session.tenant_id.as_uuid()),
                    user_sessions::user_id.eq(session.user_id.as_uuid()),
                    user_sessions::expires_at.eq(session.expires_at),
                    user_sessions::ip.eq(&session.ip),
                    user_sessions::user_agent.eq(&session.user_agent),
                ))
                .returning(SessionRow::as_returning())
                .get_result(conn)
                .await?;
            let keep = i64::from(max_active.max(1));
            let beyond_cap: Vec<Uuid> = user_sessions::table
                .filter(user_sessions::user_id.eq(session.user_id.as_uuid()))
                .filter(user_sessions::tenant_id.eq(session.tenant_id.as_uuid()))
                .filter(user_sessions::revoked_at.is_null())
                .filter(user_sessions::expires_at.gt(diesel::dsl::now))
                .order((user_sessions::created_at.desc(), user_sessions::id.desc()))
                .offset(keep)
                .select(user_sessions::id)
                .load(conn)
                .await?;
            if !beyond_cap.is_empty() {
                diesel::update(user_sessions::table.filter(user_sessions::id.eq_any(&beyond_cap)))
                    .set((
                        user_sessions::revoked_at.eq(diesel::dsl::now),
                        user_sessions::revoked_reason.eq("session_limit"),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(Session::from(row))
        })
        .await
        .map_err(RepoError::from)
    }

    async fn find_active(
        &self,
        tenant: TenantId,
        session: SessionId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<Option<(Session, User)>> {
        let mut conn = self.db.conn().await?;
        let found: Option<(SessionRow, UserRow)> = user_sessions::table
            .inner_join(
                users::table.on(users::id
                    .eq(user_sessions::user_id)
                    .and(users::tenant_id.eq(user_sessions::tenant_id))),
            )
            .filter(user_sessions::id.eq(session.as_uuid()))
            .filter(user_sessions::tenant_id.eq(tenant.as_uuid()))
            .filter(user_sessions::user_id.eq(user.as_uuid()))
            .filter(user_sessions::revoked_at.is_null())
            .filter(user_sessions::expires_at.gt(now))
            .filter(users::is_active.eq(true))
            .select((SessionRow::as_select(), UserRow::as_select()))
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        let Some((session_row, user_row)) = found else {
            return Ok(None);
        };
        let groups = group_ids_of(&mut conn, tenant, &[user_row.id])
            .await
            .map_err(diesel_error)?
            .remove(&user_row.id)
            .unwrap_or_default();
        Ok(Some((session_row.into(), user_row.into_user(groups)?)))
    }

    async fn touch(&self, session: SessionId, now: DateTime<Utc>) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::update(
            user_sessions::table
                .filter(user_sessions::id.eq(session.as_uuid()))
                .filter(user_sessions::last_seen_at.lt(now - TimeDelta::seconds(60))),
        )
        .set(user_sessions::last_seen_at.eq(now))
        .execute(&mut conn)
        .await
        .map(|_| ())
        .map_err(diesel_error)
    }

    async fn revoke(&self, tenant: TenantId, session: SessionId, reason: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::update(
            user_sessions::table
                .filter(user_sessions::id.eq(session.as_uuid()))
                .filter(user_sessions::tenant_id.eq(tenant.as_uuid()))
                .filter(user_sessions::revoked_at.is_null()),
        )
        .set((
            user_sessions::revoked_at.eq(diesel::dsl::now),
            user_sessions::revoked_reason.eq(reason),
        ))
        .execute(&mut conn)
        .await
        .map(|_| ())
        .map_err(diesel_error)
    }

    async fn list_for_user(&self, tenant: TenantId, user: UserId) -> RepoResult<Vec<Session>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<SessionRow> = user_sessions::table
            .filter(user_sessions::tenant_id.eq(tenant.as_uuid()))
            .filter(user_sessions::user_id.eq(user.as_uuid()))
            .order(user_sessions::created_at.asc())
            .select(SessionRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows.into_iter().map(Session::from).collect())
    }
}
