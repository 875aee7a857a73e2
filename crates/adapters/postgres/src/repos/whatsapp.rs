//! WhatsApp conversations and messages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::TenantId;
use comanda_domain::messaging::{DeliveryStatus, status_advances};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_ports::messaging::{
    ChatMessage, Conversation, FollowUp, InboundMessage, OutboundMessage, StoredInbound,
    WhatsAppRepository,
};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::{outbox, whatsapp_conversations, whatsapp_messages, whatsapp_numbers};

use super::parse_uuid;

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

/// Messages holding a media object: `(tenant, message id, object key)`.
fn stored_media(rows: Vec<(Uuid, Uuid, Option<String>)>) -> Vec<(TenantId, String, String)> {
    rows.into_iter()
        .filter_map(|(tenant, id, key)| {
            key.map(|key| (TenantId::from_uuid(tenant), id.to_string(), key))
        })
        .collect()
}

#[async_trait]
impl WhatsAppRepository for PgWhatsAppRepository {
    async fn tenant_for_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> RepoResult<Option<TenantId>> {
        let mut conn = self.db.conn().await?;
        let tenant: Option<Uuid> = whatsapp_numbers::table
            .find(phone_number_id)
            .select(whatsapp_numbers::tenant_id)
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
                    whatsapp_conversations::table.find((tenant.as_uuid(), conversation)),
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
            diesel::update(whatsapp_messages::table.find((tenant.as_uuid(), id)))
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
    ) -> RepoResult<Vec<(TenantId, String, String)>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<(Uuid, Uuid, Option<String>)> = whatsapp_messages::table
            .filter(whatsapp_messages::media_key.is_not_null())
            .filter(whatsapp_messages::created_at.lt(before))
            .order(whatsapp_messages::created_at.asc())
            .limit(limit)
            .select((
                whatsapp_messages::tenant_id,
                whatsapp_messages::id,
                whatsapp_messages::media_key,
            ))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(stored_media(rows))
    }

    async fn media_page(
        &self,
        after_id: Option<&str>,
        limit: i64,
    ) -> RepoResult<Vec<(TenantId, String, String)>> {
        let mut conn = self.db.conn().await?;
        let mut query = whatsapp_messages::table
            .filter(whatsapp_messages::media_key.is_not_null())
            .into_boxed();
        if let Some(after) = after_id {
            query = query.filter(whatsapp_messages::id.gt(parse_uuid(after)?));
        }
        let rows: Vec<(Uuid, Uuid, Option<String>)> = query
            .order(whatsapp_messages::id.asc())
            .limit(limit)
            .select((
                whatsapp_messages::tenant_id,
                whatsapp_messages::id,
                whatsapp_messages::media_key,
            ))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(stored_media(rows))
    }

    async fn clear_media(&self, tenant: TenantId, id: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::update(whatsapp_messages::table.find((tenant.as_uuid(), parse_uuid(id)?)))
            .set(whatsapp_messages::media_key.eq(None::<String>))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(diesel_error)
    }
}
