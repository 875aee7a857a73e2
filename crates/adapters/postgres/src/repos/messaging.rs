//! The outbox, WhatsApp conversations, push subscriptions and the singleton lock.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::messaging::{DeliveryStatus, status_advances};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{TenantId, UserId};
use comanda_ports::messaging::{
    ChatMessage, Conversation, FollowUp, InboundMessage, LockGuard,
    MAX_PUSH_SUBSCRIPTIONS_PER_USER, OutboundMessage, OutboxDepth, OutboxEntry, OutboxJob,
    OutboxRepository, PushSubscription, PushSubscriptionRepository, SingletonLock, StoredInbound,
    WhatsAppRepository,
};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::schema::{
    group_permissions, outbox, tenant_messaging, user_groups, users, webpush_subscriptions,
    whatsapp_conversations, whatsapp_messages,
};

fn parse_uuid(raw: &str) -> RepoResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| RepoError::NotFound("record"))
}

fn interval(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

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
        diesel::dsl::Find<outbox::table, Uuid>,
        diesel::dsl::Eq<outbox::lease_token, Uuid>,
    >,
    diesel::dsl::Eq<outbox::status, &'static str>,
>;

fn held(job: &OutboxJob) -> RepoResult<HeldJob> {
    Ok(outbox::table
        .find(parse_uuid(&job.id)?)
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
                 SELECT j.id, j.next_attempt_at, \
                        row_number() OVER (PARTITION BY j.tenant_id ORDER BY j.next_attempt_at) AS turn \
                 FROM due_tenants t CROSS JOIN LATERAL ( \
                     SELECT o.id, o.tenant_id, o.next_attempt_at FROM outbox o \
                     WHERE o.tenant_id = t.tenant_id AND o.status = 'pending' \
                       AND o.next_attempt_at <= now() \
                     ORDER BY o.next_attempt_at LIMIT $1) j), \
             picked AS ( \
                 SELECT o.id FROM outbox o \
                 JOIN (SELECT id, turn, next_attempt_at FROM offered \
                       ORDER BY turn, next_attempt_at LIMIT $1) f ON f.id = o.id \
                 WHERE o.status = 'pending' AND o.next_attempt_at <= now() \
                 FOR UPDATE OF o SKIP LOCKED) \
             UPDATE outbox SET attempts = attempts + 1, updated_at = now(), \
                    lease_token = gen_random_uuid(), \
                    next_attempt_at = now() + $2 * interval '1 millisecond' \
             WHERE id IN (SELECT id FROM picked) \
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

#[derive(Clone)]
pub struct PgWhatsAppRepository {
    db: Database,
}

impl PgWhatsAppRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

pub(crate) type ConversationRow = (
    Uuid,
    String,
    String,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    i32,
);

pub(crate) fn conversation_from(row: ConversationRow) -> Conversation {
    let (id, customer_phone, customer_name, last_inbound_at, last_message_at, unread_count) = row;
    Conversation {
        id: id.to_string(),
        customer_phone,
        customer_name,
        last_inbound_at,
        last_message_at,
        unread_count,
    }
}

pub(crate) const CONVERSATION_COLUMNS: (
    whatsapp_conversations::id,
    whatsapp_conversations::customer_phone,
    whatsapp_conversations::customer_name,
    whatsapp_conversations::last_inbound_at,
    whatsapp_conversations::last_message_at,
    whatsapp_conversations::unread_count,
) = (
    whatsapp_conversations::id,
    whatsapp_conversations::customer_phone,
    whatsapp_conversations::customer_name,
    whatsapp_conversations::last_inbound_at,
    whatsapp_conversations::last_message_at,
    whatsapp_conversations::unread_count,
);

#[derive(Queryable, Selectable)]
#[diesel(table_name = whatsapp_messages, check_for_backend(diesel::pg::Pg))]
pub(crate) struct MessageRow {
    id: Uuid,
    conversation_id: Uuid,
    direction: String,
    wa_message_id: Option<String>,
    kind: String,
    body: String,
    template_name: Option<String>,
    media_id: Option<String>,
    media_key: Option<String>,
    media_mime: Option<String>,
    status: String,
    status_at: Option<DateTime<Utc>>,
    error: Option<String>,
    created_at: DateTime<Utc>,
}

pub(crate) fn message_from(row: MessageRow) -> RepoResult<ChatMessage> {
    Ok(ChatMessage {
        id: row.id.to_string(),
        conversation_id: row.conversation_id.to_string(),
        direction: row.direction,
        wa_message_id: row.wa_message_id,
        kind: row.kind,
        body: row.body,
        template_name: row.template_name,
        media_id: row.media_id,
        media_key: row.media_key,
        media_mime: row.media_mime,
        status: DeliveryStatus::parse(&row.status)
            .or(match row.status.as_str() {
                "received" => Some(DeliveryStatus::Delivered),
                _ => None,
            })
            .ok_or_else(|| corrupt("message status", &row.status))?,
        status_at: row.status_at,
        error: row.error,
        created_at: row.created_at,
    })
}

/// The conversation with this customer, created when new.
async fn conversation_for(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    phone: &str,
    name: &str,
) -> QueryResult<Uuid> {
    diesel::insert_into(whatsapp_conversations::table)
        .values((
            whatsapp_conversations::id.eq(Uuid::now_v7()),
            whatsapp_conversations::tenant_id.eq(tenant.as_uuid()),
            whatsapp_conversations::customer_phone.eq(phone),
            whatsapp_conversations::customer_name.eq(name),
        ))
        .on_conflict((
            whatsapp_conversations::tenant_id,
            whatsapp_conversations::customer_phone,
        ))
        .do_update()
        .set(whatsapp_conversations::last_message_at.eq(diesel::dsl::now))
        .returning(whatsapp_conversations::id)
        .get_result(conn)
        .await
}

/// Queues the jobs that follow a stored message, in its transaction.
async fn queue_follow_ups(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    message: Uuid,
    conversation: Uuid,
    follow_ups: Vec<FollowUp>,
) -> QueryResult<()> {
    if follow_ups.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = follow_ups
        .into_iter()
        .map(|follow_up| {
            let mut payload = match follow_up.payload {
                serde_json::Value::Object(fields) => fields,
                _ => serde_json::Map::new(),
            };
            payload.insert("message_id".into(), message.to_string().into());
            payload.insert("conversation_id".into(), conversation.to_string().into());
            (
                outbox::id.eq(Uuid::now_v7()),
                outbox::tenant_id.eq(tenant.as_uuid()),
                outbox::kind.eq(follow_up.kind),
                outbox::payload.eq(serde_json::Value::Object(payload)),
            )
        })
        .collect();
    diesel::insert_into(outbox::table)
        .values(rows)
        .execute(conn)
        .await
        .map(|_| ())
}

#[async_trait]
impl WhatsAppRepository for PgWhatsAppRepository {
    async fn tenant_for_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> RepoResult<Option<TenantId>> {
        let mut conn = self.db.conn().await?;
        let tenant: Option<Uuid> = tenant_messaging::table
            .filter(tenant_messaging::whatsapp_phone_number_id.eq(phone_number_id))
            .select(tenant_messaging::tenant_id)
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        Ok(tenant.map(TenantId::from_uuid))
    }

    async fn record_inbound(
        &self,
        tenant: TenantId,
        message: &InboundMessage,
        follow_ups: &[FollowUp],
    ) -> RepoResult<StoredInbound> {
        let mut conn = self.db.conn().await?;
        let wa_message_id = message.wa_message_id.clone();
        let message = message.clone();
        let follow_ups = follow_ups.to_vec();
        let stored = conn
            .transaction::<_, TxError, _>(async move |conn| {
                let existing: Option<(Uuid, Uuid)> = whatsapp_messages::table
                    .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
                    .filter(whatsapp_messages::wa_message_id.eq(&message.wa_message_id))
                    .select((whatsapp_messages::id, whatsapp_messages::conversation_id))
                    .first(conn)
                    .await
                    .optional()?;
                if let Some((id, conversation)) = existing {
                    return Ok(StoredInbound {
                        message_id: id.to_string(),
                        conversation_id: conversation.to_string(),
                        created: false,
                    });
                }
                let conversation =
                    conversation_for(conn, tenant, &message.from_phone, &message.customer_name)
                        .await?;
                diesel::update(
                    whatsapp_conversations::table
                        .find(conversation)
                        .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid())),
                )
                .set((
                    whatsapp_conversations::customer_name.eq(&message.customer_name),
                    whatsapp_conversations::last_inbound_at.eq(diesel::dsl::sql::<
                        diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                    >(
                        "GREATEST(last_inbound_at, "
                    )
                    .bind::<diesel::sql_types::Timestamptz, _>(message.timestamp)
                    .sql(")")),
                    whatsapp_conversations::unread_count
                        .eq(whatsapp_conversations::unread_count + 1),
                ))
                .execute(conn)
                .await?;
                let id = Uuid::now_v7();
                diesel::insert_into(whatsapp_messages::table)
                    .values((
                        whatsapp_messages::id.eq(id),
                        whatsapp_messages::tenant_id.eq(tenant.as_uuid()),
                        whatsapp_messages::conversation_id.eq(conversation),
                        whatsapp_messages::direction.eq("inbound"),
                        whatsapp_messages::wa_message_id.eq(&message.wa_message_id),
                        whatsapp_messages::kind.eq(&message.kind),
                        whatsapp_messages::body.eq(&message.body),
                        whatsapp_messages::media_id.eq(&message.media_id),
                        whatsapp_messages::media_mime.eq(&message.media_mime),
                        whatsapp_messages::status.eq("delivered"),
                        whatsapp_messages::status_at.eq(message.timestamp),
                        whatsapp_messages::created_at.eq(message.timestamp),
                    ))
                    .execute(conn)
                    .await?;
                queue_follow_ups(conn, tenant, id, conversation, follow_ups).await?;
                Ok(StoredInbound {
                    message_id: id.to_string(),
                    conversation_id: conversation.to_string(),
                    created: true,
                })
            })
            .await
            .map_err(RepoError::from);
        match stored {
            // The same delivery stored by a concurrent request: that one's row, as a duplicate.
            Err(RepoError::Conflict(_)) => {
                let (id, conversation): (Uuid, Uuid) = whatsapp_messages::table
                    .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
                    .filter(whatsapp_messages::wa_message_id.eq(&wa_message_id))
                    .select((whatsapp_messages::id, whatsapp_messages::conversation_id))
                    .first(&mut conn)
                    .await
                    .map_err(diesel_error)?;
                Ok(StoredInbound {
                    message_id: id.to_string(),
                    conversation_id: conversation.to_string(),
                    created: false,
                })
            }
            other => other,
        }
    }

    async fn apply_status(
        &self,
        tenant: TenantId,
        wa_message_id: &str,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> RepoResult<bool> {
        let mut conn = self.db.conn().await?;
        let wa_message_id = wa_message_id.to_owned();
        let error = error.map(str::to_owned);
        conn.transaction::<_, TxError, _>(async move |conn| {
            let current: Option<(Uuid, String, Option<DateTime<Utc>>)> = whatsapp_messages::table
                .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
                .filter(whatsapp_messages::wa_message_id.eq(&wa_message_id))
                .filter(whatsapp_messages::direction.eq("outbound"))
                .select((
                    whatsapp_messages::id,
                    whatsapp_messages::status,
                    whatsapp_messages::status_at,
                ))
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some((id, current, current_at)) = current else {
                return Ok(false);
            };
            let current = DeliveryStatus::parse(&current)
                .ok_or_else(|| corrupt("message status", &current))?;
            if !status_advances(current, current_at, status, at) {
                return Ok(false);
            }
            diesel::update(
                whatsapp_messages::table
                    .find(id)
                    .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid())),
            )
            .set((
                whatsapp_messages::status.eq(status.as_str()),
                whatsapp_messages::status_at.eq(at),
                whatsapp_messages::error.eq(error.as_deref()),
            ))
            .execute(conn)
            .await?;
            Ok(true)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn conversations(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> RepoResult<Page<Conversation>> {
        let mut conn = self.db.conn().await?;
        let total: i64 = whatsapp_conversations::table
            .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid()))
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<ConversationRow> = whatsapp_conversations::table
            .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid()))
            .order((
                whatsapp_conversations::last_message_at.desc(),
                whatsapp_conversations::id.desc(),
            ))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(CONVERSATION_COLUMNS)
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(Page {
            items: rows.into_iter().map(conversation_from).collect(),
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn conversation(&self, tenant: TenantId, id: &str) -> RepoResult<Option<Conversation>> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(None);
        };
        let mut conn = self.db.conn().await?;
        let row: Option<ConversationRow> = whatsapp_conversations::table
            .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid()))
            .filter(whatsapp_conversations::id.eq(id))
            .select(CONVERSATION_COLUMNS)
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        Ok(row.map(conversation_from))
    }

    async fn conversation_by_phone(
        &self,
        tenant: TenantId,
        phone: &str,
    ) -> RepoResult<Option<Conversation>> {
        let mut conn = self.db.conn().await?;
        let row: Option<ConversationRow> = whatsapp_conversations::table
            .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid()))
            .filter(whatsapp_conversations::customer_phone.eq(phone))
            .select(CONVERSATION_COLUMNS)
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        Ok(row.map(conversation_from))
    }

    async fn messages(
        &self,
        tenant: TenantId,
        conversation: &str,
        page: PageRequest,
    ) -> RepoResult<Page<ChatMessage>> {
        let conversation =
            Uuid::parse_str(conversation).map_err(|_| RepoError::NotFound("message"))?;
        let mut conn = self.db.conn().await?;
        let in_conversation = whatsapp_messages::tenant_id
            .eq(tenant.as_uuid())
            .and(whatsapp_messages::conversation_id.eq(conversation));
        let total: i64 = whatsapp_messages::table
            .filter(in_conversation)
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<MessageRow> = whatsapp_messages::table
            .filter(in_conversation)
            .order((
                whatsapp_messages::created_at.asc(),
                whatsapp_messages::id.asc(),
            ))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(MessageRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        diesel::update(
            whatsapp_conversations::table
                .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid()))
                .filter(whatsapp_conversations::id.eq(conversation)),
        )
        .set(whatsapp_conversations::unread_count.eq(0))
        .execute(&mut conn)
        .await
        .map_err(diesel_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(message_from)
                .collect::<RepoResult<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn message(&self, tenant: TenantId, id: &str) -> RepoResult<Option<ChatMessage>> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(None);
        };
        let mut conn = self.db.conn().await?;
        let row: Option<MessageRow> = whatsapp_messages::table
            .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
            .filter(whatsapp_messages::id.eq(id))
            .select(MessageRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        row.map(message_from).transpose()
    }

    async fn record_outbound(
        &self,
        tenant: TenantId,
        message: &OutboundMessage,
        follow_up: Option<FollowUp>,
        actor: Option<&Actor>,
    ) -> RepoResult<ChatMessage> {
        let id = parse_uuid(&message.id)?;
        let mut conn = self.db.conn().await?;
        let message = message.clone();
        let actor = actor.cloned();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let mine = whatsapp_messages::tenant_id
                .eq(tenant.as_uuid())
                .and(whatsapp_messages::id.eq(id));
            let existing: Option<MessageRow> = whatsapp_messages::table
                .filter(mine)
                .select(MessageRow::as_select())
                .first(conn)
                .await
                .optional()?;
            if let Some(row) = existing {
                return Ok(message_from(row)?);
            }
            let conversation = conversation_for(conn, tenant, &message.customer_phone, "").await?;
            let row: MessageRow = diesel::insert_into(whatsapp_messages::table)
                .values((
                    whatsapp_messages::id.eq(id),
                    whatsapp_messages::tenant_id.eq(tenant.as_uuid()),
                    whatsapp_messages::conversation_id.eq(conversation),
                    whatsapp_messages::direction.eq("outbound"),
                    whatsapp_messages::kind.eq(&message.kind),
                    whatsapp_messages::body.eq(&message.body),
                    whatsapp_messages::template_name.eq(&message.template_name),
                    whatsapp_messages::status.eq(DeliveryStatus::Pending.as_str()),
                    whatsapp_messages::sent_by_user_id
                        .eq(message.sent_by.map(|user| user.as_uuid())),
                ))
                .returning(MessageRow::as_returning())
                .get_result(conn)
                .await?;
            queue_follow_ups(
                conn,
                tenant,
                id,
                conversation,
                follow_up.into_iter().collect(),
            )
            .await?;
            if let Some(actor) = &actor {
                audit::record(
                    conn,
                    actor,
                    Change {
                        tenant: Some(tenant),
                        action: "whatsapp.send",
                        entity_type: "whatsapp_message",
                        entity_id: Some(id.to_string()),
                        before: None,
                        after: Some(serde_json::json!({
                            "to": message.customer_phone,
                            "kind": message.kind,
                            "template_name": message.template_name,
                        })),
                    },
                )
                .await?;
            }
            Ok(message_from(row)?)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn mark_outbound(
        &self,
        tenant: TenantId,
        id: &str,
        wa_message_id: Option<&str>,
        status: DeliveryStatus,
        error: Option<&str>,
    ) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::update(
            whatsapp_messages::table
                .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
                .filter(whatsapp_messages::id.eq(parse_uuid(id)?)),
        )
        .set((
            whatsapp_messages::wa_message_id.eq(wa_message_id),
            whatsapp_messages::status.eq(status.as_str()),
            whatsapp_messages::status_at.eq(Utc::now()),
            whatsapp_messages::error.eq(error),
        ))
        .execute(&mut conn)
        .await
        .map(|_| ())
        .map_err(diesel_error)
    }

    async fn set_media(&self, tenant: TenantId, id: &str, key: &str, mime: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::update(
            whatsapp_messages::table
                .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
                .filter(whatsapp_messages::id.eq(parse_uuid(id)?)),
        )
        .set((
            whatsapp_messages::media_key.eq(key),
            whatsapp_messages::media_mime.eq(mime),
        ))
        .execute(&mut conn)
        .await
        .map(|_| ())
        .map_err(diesel_error)
    }

    async fn media_before(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> RepoResult<Vec<(String, String)>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<(Uuid, Option<String>)> = whatsapp_messages::table
            .filter(whatsapp_messages::media_key.is_not_null())
            .filter(whatsapp_messages::created_at.lt(before))
            .order(whatsapp_messages::created_at.asc())
            .limit(limit)
            .select((whatsapp_messages::id, whatsapp_messages::media_key))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, key)| key.map(|key| (id.to_string(), key)))
            .collect())
    }

    async fn media_page(
        &self,
        after_id: Option<&str>,
        limit: i64,
    ) -> RepoResult<Vec<(String, String)>> {
        let mut conn = self.db.conn().await?;
        let mut query = whatsapp_messages::table
            .filter(whatsapp_messages::media_key.is_not_null())
            .into_boxed();
        if let Some(after) = after_id {
            query = query.filter(whatsapp_messages::id.gt(parse_uuid(after)?));
        }
        let rows: Vec<(Uuid, Option<String>)> = query
            .order(whatsapp_messages::id.asc())
            .limit(limit)
            .select((whatsapp_messages::id, whatsapp_messages::media_key))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, key)| key.map(|key| (id.to_string(), key)))
            .collect())
    }

    async fn clear_media(&self, id: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::update(whatsapp_messages::table.find(parse_uuid(id)?))
            .set(whatsapp_messages::media_key.eq(None::<String>))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(diesel_error)
    }
}

#[derive(Clone)]
pub struct PgPushSubscriptionRepository {
    db: Database,
}

impl PgPushSubscriptionRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

type PushRow = (Uuid, String, String, String);

fn push_from(row: PushRow) -> PushSubscription {
    let (id, endpoint, p256dh, auth) = row;
    PushSubscription {
        id: id.to_string(),
        endpoint,
        p256dh,
        auth,
    }
}

const PUSH_COLUMNS: (
    webpush_subscriptions::id,
    webpush_subscriptions::endpoint,
    webpush_subscriptions::p256dh,
    webpush_subscriptions::auth,
) = (
    webpush_subscriptions::id,
    webpush_subscriptions::endpoint,
    webpush_subscriptions::p256dh,
    webpush_subscriptions::auth,
);

#[async_trait]
impl PushSubscriptionRepository for PgPushSubscriptionRepository {
    async fn upsert(
        &self,
        tenant: TenantId,
        user: UserId,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> RepoResult<PushSubscription> {
        let mut conn = self.db.conn().await?;
        let (endpoint, p256dh, auth) = (endpoint.to_owned(), p256dh.to_owned(), auth.to_owned());
        let row = conn
            .transaction::<_, diesel::result::Error, _>(async move |conn| {
                // A browser's endpoint is one subscription per tenant: re-subscribing moves it to
                // this user and makes it the newest; another tenant's subscription of the same
                // browser is another row.
                let row: PushRow = diesel::insert_into(webpush_subscriptions::table)
                    .values((
                        webpush_subscriptions::id.eq(Uuid::now_v7()),
                        webpush_subscriptions::tenant_id.eq(tenant.as_uuid()),
                        webpush_subscriptions::user_id.eq(user.as_uuid()),
                        webpush_subscriptions::endpoint.eq(&endpoint),
                        webpush_subscriptions::p256dh.eq(&p256dh),
                        webpush_subscriptions::auth.eq(&auth),
                    ))
                    .on_conflict((
                        webpush_subscriptions::tenant_id,
                        webpush_subscriptions::endpoint,
                    ))
                    .do_update()
                    .set((
                        webpush_subscriptions::user_id.eq(user.as_uuid()),
                        webpush_subscriptions::p256dh.eq(&p256dh),
                        webpush_subscriptions::auth.eq(&auth),
                        webpush_subscriptions::created_at.eq(diesel::dsl::now),
                    ))
                    .returning(PUSH_COLUMNS)
                    .get_result(conn)
                    .await?;
                // The oldest beyond the per-user limit give way.
                diesel::sql_query(
                    "DELETE FROM webpush_subscriptions WHERE tenant_id = $1 AND user_id = $2 \
                     AND id NOT IN (SELECT id FROM webpush_subscriptions \
                                    WHERE tenant_id = $1 AND user_id = $2 \
                                    ORDER BY created_at DESC, id DESC LIMIT $3)",
                )
                .bind::<SqlUuid, _>(tenant.as_uuid())
                .bind::<SqlUuid, _>(user.as_uuid())
                .bind::<BigInt, _>(MAX_PUSH_SUBSCRIPTIONS_PER_USER)
                .execute(conn)
                .await?;
                Ok(row)
            })
            .await
            .map_err(diesel_error)?;
        Ok(push_from(row))
    }

    async fn remove(&self, tenant: TenantId, user: UserId, endpoint: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        let removed = diesel::delete(
            webpush_subscriptions::table
                .filter(webpush_subscriptions::tenant_id.eq(tenant.as_uuid()))
                .filter(webpush_subscriptions::user_id.eq(user.as_uuid()))
                .filter(webpush_subscriptions::endpoint.eq(endpoint)),
        )
        .execute(&mut conn)
        .await
        .map_err(diesel_error)?;
        if removed == 0 {
            Err(RepoError::NotFound("subscription"))
        } else {
            Ok(())
        }
    }

    async fn recipients(
        &self,
        tenant: TenantId,
        module: Module,
    ) -> RepoResult<Vec<PushSubscription>> {
        let mut conn = self.db.conn().await?;
        // The same rule as `Grants::allows(module, view)`, for users: active, and owner, admin
        // (not billing) or in a group granting the module's `view`.
        let roles_with_everything: &[&str] = if module == Module::Billing {
            &["owner"]
        } else {
            &["owner", "admin"]
        };
        let rows: Vec<PushRow> = webpush_subscriptions::table
            .inner_join(
                users::table.on(users::tenant_id
                    .eq(webpush_subscriptions::tenant_id)
                    .and(users::id.eq(webpush_subscriptions::user_id))),
            )
            .filter(webpush_subscriptions::tenant_id.eq(tenant.as_uuid()))
            .filter(users::is_active.eq(true))
            .filter(
                users::role
                    .eq_any(roles_with_everything)
                    .or(diesel::dsl::exists(
                        user_groups::table
                            .inner_join(
                                group_permissions::table
                                    .on(group_permissions::group_id.eq(user_groups::group_id)),
                            )
                            .filter(user_groups::tenant_id.eq(tenant.as_uuid()))
                            .filter(user_groups::user_id.eq(users::id))
                            .filter(group_permissions::module.eq(module.as_str()))
                            .filter(group_permissions::action.eq(Action::View.as_str())),
                    )),
            )
            .select(PUSH_COLUMNS)
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows.into_iter().map(push_from).collect())
    }

    async fn for_user(&self, tenant: TenantId, user: UserId) -> RepoResult<Vec<PushSubscription>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<PushRow> = webpush_subscriptions::table
            .filter(webpush_subscriptions::tenant_id.eq(tenant.as_uuid()))
            .filter(webpush_subscriptions::user_id.eq(user.as_uuid()))
            .select(PUSH_COLUMNS)
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows.into_iter().map(push_from).collect())
    }

    async fn delete(&self, id: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::delete(webpush_subscriptions::table.find(parse_uuid(id)?))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(diesel_error)
    }
}

/// Session-level advisory locks, held on a connection taken out of the pool for the purpose.
#[derive(Clone)]
pub struct PgSingletonLock {
    db: Database,
}

impl PgSingletonLock {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn lock_key(name: &str) -> i64 {
    // FNV-1a: stable across processes and versions, unlike the std hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

struct AdvisoryGuard {
    connection: Option<Object<AsyncPgConnection>>,
    key: i64,
}

#[async_trait]
impl LockGuard for AdvisoryGuard {
    async fn release(mut self: Box<Self>) {
        if let Some(mut connection) = self.connection.take() {
            let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<BigInt, _>(self.key)
                .execute(&mut connection)
                .await;
            if unlocked.is_err() {
                // Closing the session releases the lock anyway.
                drop(Object::take(connection));
            }
        }
    }
}

impl Drop for AdvisoryGuard {
    fn drop(&mut self) {
        // Not released properly: close the session rather than return a locked connection
        // to the pool.
        if let Some(connection) = self.connection.take() {
            drop(Object::take(connection));
        }
    }
}

#[async_trait]
impl SingletonLock for PgSingletonLock {
    async fn try_acquire(&self, name: &str) -> RepoResult<Option<Box<dyn LockGuard>>> {
        let mut connection = self.db.conn().await?;
        let key = lock_key(name);
        let locked: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(key)
            .get_result(&mut connection)
            .await
            .map_err(diesel_error)?;
        if locked.locked {
            Ok(Some(Box::new(AdvisoryGuard {
                connection: Some(connection),
                key,
            })))
        } else {
            Ok(None)
        }
    }
}
