//! The outbox: notifications queued with the change that caused them, claimed fairly by the
//! dispatchers.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::TenantId;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_ports::messaging::{OutboxDepth, OutboxEntry, OutboxJob, OutboxRepository};
use comanda_ports::{RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::database::Database;
use crate::errors::diesel_error;
use crate::schema::outbox;

use super::{interval, parse_uuid};

#[derive(Clone)]
pub struct PgOutboxRepository {
    db: Database,
}

impl PgOutboxRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Settles a job this dispatcher still holds; `false` when its lease was lost.
    async fn finish(&self, job: &OutboxJob, status: &str, error: Option<&str>) -> RepoResult<bool> {
        let mut conn = self.db.conn().await?;
        let updated = diesel::update(held(job)?)
            .set((
                outbox::status.eq(status),
                outbox::last_error.eq(error),
                outbox::updated_at.eq(diesel::dsl::now),
                outbox::lease_token.eq(None::<Uuid>),
            ))
            .execute(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(updated == 1)
    }
}

/// The job, only while this claim holds it.
type HeldJob = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Find<outbox::table, (Uuid, Uuid)>,
        diesel::dsl::Eq<outbox::lease_token, Uuid>,
    >,
    diesel::dsl::Eq<outbox::status, &'static str>,
>;

fn held(job: &OutboxJob) -> RepoResult<HeldJob> {
    Ok(outbox::table
        .find((job.tenant_id.as_uuid(), parse_uuid(&job.id)?))
        .filter(outbox::lease_token.eq(parse_uuid(&job.lease)?))
        .filter(outbox::status.eq("pending")))
}

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    tenant_id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = SqlUuid)]
    lease_token: Uuid,
}

#[async_trait]
impl OutboxRepository for PgOutboxRepository {
    async fn claim(&self, limit: i64, lease: Duration) -> RepoResult<Vec<OutboxJob>> {
        let mut conn = self.db.conn().await?;
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        // One statement. Fair: every tenant with due jobs offers its oldest `limit`, and they are
        // taken in turns (each tenant's first, then each one's second...), so one tenant's
        // backlog never fills a batch while another waits. Rows another dispatcher holds are
        // skipped; the lease hides the claimed ones until it ends, and the new token makes an
        // earlier holder's completion a no-op.
        let rows: Vec<ClaimedRow> = diesel::sql_query(
            "WITH due_tenants AS ( \
                 SELECT DISTINCT tenant_id FROM outbox \
                 WHERE status = 'pending' AND next_attempt_at <= now()), \
             offered AS ( \
                 SELECT j.tenant_id, j.id, j.next_attempt_at, \
                        row_number() OVER (PARTITION BY j.tenant_id ORDER BY j.next_attempt_at) AS turn \
                 FROM due_tenants t CROSS JOIN LATERAL ( \
                     SELECT o.id, o.tenant_id, o.next_attempt_at FROM outbox o \
                     WHERE o.tenant_id = t.tenant_id AND o.status = 'pending' \
                       AND o.next_attempt_at <= now() \
                     ORDER BY o.next_attempt_at LIMIT $1) j), \
             picked AS ( \
                 SELECT o.tenant_id, o.id FROM outbox o \
                 JOIN (SELECT tenant_id, id, turn, next_attempt_at FROM offered \
                       ORDER BY turn, next_attempt_at LIMIT $1) f \
                   ON f.tenant_id = o.tenant_id AND f.id = o.id \
                 WHERE o.status = 'pending' AND o.next_attempt_at <= now() \
                 FOR UPDATE OF o SKIP LOCKED) \
             UPDATE outbox SET attempts = attempts + 1, updated_at = now(), \
                    lease_token = gen_random_uuid(), \
                    next_attempt_at = now() + $2 * interval '1 millisecond' \
             WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM picked) \
             RETURNING id, tenant_id, kind, payload, attempts, lease_token",
        )
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(lease_ms)
        .load(&mut conn)
        .await
        .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|row| OutboxJob {
                id: row.id.to_string(),
                tenant_id: TenantId::from_uuid(row.tenant_id),
                kind: row.kind,
                payload: row.payload,
                attempts: row.attempts,
                lease: row.lease_token.to_string(),
            })
            .collect())
    }

    async fn mark_sent(&self, job: &OutboxJob) -> RepoResult<bool> {
        self.finish(job, "sent", None).await
    }

    async fn mark_skipped(&self, job: &OutboxJob, reason: &str) -> RepoResult<bool> {
        self.finish(job, "skipped", Some(reason)).await
    }

    async fn retry_later(&self, job: &OutboxJob, after: Duration, error: &str) -> RepoResult<bool> {
        let mut conn = self.db.conn().await?;
        let updated = diesel::update(held(job)?)
            .set((
                outbox::next_attempt_at.eq(Utc::now() + interval(after)),
                outbox::last_error.eq(error),
                outbox::updated_at.eq(diesel::dsl::now),
                outbox::lease_token.eq(None::<Uuid>),
            ))
            .execute(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(updated == 1)
    }

    async fn mark_dead(&self, job: &OutboxJob, error: &str) -> RepoResult<bool> {
        self.finish(job, "dead", Some(error)).await
    }

    async fn purge_finished(&self, before: DateTime<Utc>, limit: i64) -> RepoResult<u64> {
        let mut conn = self.db.conn().await?;
        // In slices, so a large purge never holds many row locks at once.
        let deleted = diesel::sql_query(
            "DELETE FROM outbox WHERE id IN ( \
                 SELECT id FROM outbox WHERE status IN ('sent', 'skipped') AND updated_at < $1 \
                 LIMIT $2)",
        )
        .bind::<diesel::sql_types::Timestamptz, _>(before)
        .bind::<BigInt, _>(limit)
        .execute(&mut conn)
        .await
        .map_err(diesel_error)?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }

    async fn requeue(&self, tenant: TenantId, id: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        let requeued = diesel::update(
            outbox::table
                .filter(outbox::tenant_id.eq(tenant.as_uuid()))
                .filter(outbox::id.eq(parse_uuid(id)?))
                .filter(outbox::status.eq("dead")),
        )
        .set((
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(diesel::dsl::now),
            outbox::updated_at.eq(diesel::dsl::now),
        ))
        .execute(&mut conn)
        .await
        .map_err(diesel_error)?;
        if requeued == 0 {
            Err(RepoError::NotFound("notification"))
        } else {
            Ok(())
        }
    }

    async fn list(
        &self,
        tenant: TenantId,
        status: Option<&str>,
        page: PageRequest,
    ) -> RepoResult<Page<OutboxEntry>> {
        let mut conn = self.db.conn().await?;
        let filtered = || {
            let mut query = outbox::table
                .filter(outbox::tenant_id.eq(tenant.as_uuid()))
                .into_boxed();
            if let Some(status) = status {
                query = query.filter(outbox::status.eq(status.to_owned()));
            }
            query
        };
        let total: i64 = filtered()
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        type Row = (
            Uuid,
            String,
            serde_json::Value,
            String,
            i32,
            DateTime<Utc>,
            Option<String>,
            DateTime<Utc>,
        );
        let rows: Vec<Row> = filtered()
            .order((outbox::created_at.desc(), outbox::id.desc()))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select((
                outbox::id,
                outbox::kind,
                outbox::payload,
                outbox::status,
                outbox::attempts,
                outbox::next_attempt_at,
                outbox::last_error,
                outbox::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(
                    |(
                        id,
                        kind,
                        payload,
                        status,
                        attempts,
                        next_attempt_at,
                        last_error,
                        created_at,
                    )| OutboxEntry {
                        id: id.to_string(),
                        kind,
                        payload,
                        status,
                        attempts,
                        next_attempt_at,
                        last_error,
                        created_at,
                    },
                )
                .collect(),
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn depth(&self) -> RepoResult<OutboxDepth> {
        #[derive(QueryableByName)]
        struct Depth {
            #[diesel(sql_type = BigInt)]
            pending: i64,
            #[diesel(sql_type = BigInt)]
            dead: i64,
        }
        let mut conn = self.db.conn().await?;
        // Each count reads its partial index, not the table of every job ever sent.
        let depth: Depth = diesel::sql_query(
            "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending') AS pending, \
                    (SELECT count(*) FROM outbox WHERE status = 'dead') AS dead",
        )
        .get_result(&mut conn)
        .await
        .map_err(diesel_error)?;
        Ok(OutboxDepth {
            pending: depth.pending,
            dead: depth.dead,
        })
    }
}
