//! Customers' data rights (LGPD, docs/operations.md#fairness-and-saturation): the export and the erasure, each one transaction.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::orders::OrderStatus;
use comanda_domain::phone::Phone;
use comanda_domain::privacy;
use comanda_domain::store::Address;
use comanda_domain::{CampaignId, CustomerId, OrderId, TenantId};
use comanda_ports::customer_data::{
    AddressUse, CampaignUse, ConversationExport, CustomerDataRepository, CustomerExport,
    CustomerProfile, EraseError, Erasure,
};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{Array, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::orders::load_detail;
use super::whatsapp::{
    CONVERSATION_COLUMNS, ConversationRow, MessageRow, conversation_from, message_from,
};
use crate::database::Database;
use crate::errors::{TxError, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::{
    campaign_uses, campaigns, customers, media_deletions, order_deliveries, order_items, orders,
    whatsapp_conversations, whatsapp_messages,
};

#[derive(Clone)]
pub struct PgCustomerDataRepository {
    db: Database,
}

impl PgCustomerDataRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Why the erasure transaction rolled back.
#[derive(Debug)]
enum EraseFailure {
    Db(diesel::result::Error),
    NotFound,
    OpenOrders(Vec<i64>),
}

impl From<diesel::result::Error> for EraseFailure {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error)
    }
}

impl From<EraseFailure> for EraseError {
    fn from(failure: EraseFailure) -> Self {
        match failure {
            EraseFailure::Db(error) => Self::Repo(diesel_error(error)),
            EraseFailure::NotFound => Self::NotFound,
            EraseFailure::OpenOrders(numbers) => Self::OpenOrders(numbers),
        }
    }
}

type ProfileRow = (
    Uuid,
    String,
    String,
    Option<String>,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

async fn profile(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: CustomerId,
) -> QueryResult<Option<CustomerProfile>> {
    let row: Option<ProfileRow> = customers::table
        .filter(customers::tenant_id.eq(tenant.as_uuid()))
        .filter(customers::id.eq(id.as_uuid()))
        .select((
            customers::id,
            customers::name,
            customers::phone,
            customers::email,
            customers::notes,
            customers::created_at,
            customers::updated_at,
            customers::erased_at,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(
        |(id, name, phone, email, notes, created_at, updated_at, erased_at)| CustomerProfile {
            id: CustomerId::from_uuid(id),
            name,
            phone,
            email,
            notes,
            created_at,
            updated_at,
            erased_at,
        },
    ))
}

/// The phones the customer's WhatsApp conversations may be under: as stored, and in E.164
/// when a row from the original system stored it otherwise. None once erased.
fn conversation_phones(stored: &str) -> Vec<String> {
    if privacy::is_erased_phone(stored) {
        return Vec::new();
    }
    let mut phones = vec![stored.to_owned()];
    if let Ok(phone) = Phone::parse(stored)
        && phone.as_str() != stored
    {
        phones.push(phone.as_str().to_owned());
    }
    phones
}

/// The customer's orders' ids, oldest first.
async fn order_ids(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: CustomerId,
) -> QueryResult<Vec<Uuid>> {
    orders::table
        .filter(orders::tenant_id.eq(tenant.as_uuid()))
        .filter(orders::customer_id.eq(id.as_uuid()))
        .order((orders::created_at.asc(), orders::number.asc()))
        .select(orders::id)
        .load(conn)
        .await
}

type DeliveryRow = (
    i64,
    DateTime<Utc>,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<f64>,
    Option<f64>,
);

/// The addresses the customer's orders were delivered to, each once, in order of first use.
async fn addresses(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: CustomerId,
) -> QueryResult<Vec<AddressUse>> {
    let rows: Vec<DeliveryRow> = order_deliveries::table
        .inner_join(
            orders::table.on(orders::tenant_id
                .eq(order_deliveries::tenant_id)
                .and(orders::id.eq(order_deliveries::order_id))),
        )
        .filter(order_deliveries::tenant_id.eq(tenant.as_uuid()))
        .filter(orders::tenant_id.eq(tenant.as_uuid()))
        .filter(orders::customer_id.eq(id.as_uuid()))
        .order((orders::created_at.asc(), orders::number.asc()))
        .select((
            orders::number,
            orders::created_at,
            order_deliveries::cep,
            order_deliveries::street,
            order_deliveries::number,
            order_deliveries::complement,
            order_deliveries::district,
            order_deliveries::city,
            order_deliveries::state,
            order_deliveries::latitude,
            order_deliveries::longitude,
        ))
        .load(conn)
        .await?;
    let mut uses: Vec<AddressUse> = Vec::new();
    for (number, at, cep, street, street_number, complement, district, city, state, lat, lng) in
        rows
    {
        let address = Address {
            cep,
            street,
            number: street_number,
            complement,
            district,
            city,
            state,
        };
        match uses.iter_mut().find(|known| known.address == address) {
            Some(known) => {
                known.order_numbers.push(number);
                known.last_used_at = at;
                known.latitude = lat.or(known.latitude);
                known.longitude = lng.or(known.longitude);
            }
            None => uses.push(AddressUse {
                address,
                latitude: lat,
                longitude: lng,
                order_numbers: vec![number],
                last_used_at: at,
            }),
        }
    }
    Ok(uses)
}

async fn campaign_uses_of(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: CustomerId,
) -> QueryResult<Vec<CampaignUse>> {
    let rows: Vec<(Uuid, String, Uuid, i64, DateTime<Utc>)> = campaign_uses::table
        .inner_join(
            campaigns::table.on(campaigns::tenant_id
                .eq(campaign_uses::tenant_id)
                .and(campaigns::id.eq(campaign_uses::campaign_id))),
        )
        .inner_join(
            orders::table.on(orders::tenant_id
                .eq(campaign_uses::tenant_id)
                .and(orders::id.eq(campaign_uses::order_id))),
        )
        .filter(campaign_uses::tenant_id.eq(tenant.as_uuid()))
        .filter(campaigns::tenant_id.eq(tenant.as_uuid()))
        .filter(orders::tenant_id.eq(tenant.as_uuid()))
        .filter(campaign_uses::customer_id.eq(id.as_uuid()))
        .order((campaign_uses::created_at.asc(), orders::number.asc()))
        .select((
            campaign_uses::campaign_id,
            campaigns::name,
            campaign_uses::order_id,
            orders::number,
            campaign_uses::created_at,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(campaign_id, campaign_name, order_id, order_number, used_at)| CampaignUse {
                campaign_id: CampaignId::from_uuid(campaign_id),
                campaign_name,
                order_id: OrderId::from_uuid(order_id),
                order_number,
                used_at,
            },
        )
        .collect())
}

async fn conversations_of(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    phones: &[String],
) -> RepoResult<Vec<ConversationExport>> {
    if phones.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ConversationRow> = whatsapp_conversations::table
        .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid()))
        .filter(whatsapp_conversations::customer_phone.eq_any(phones))
        .order((
            whatsapp_conversations::created_at.asc(),
            whatsapp_conversations::id.asc(),
        ))
        .select(CONVERSATION_COLUMNS)
        .load(conn)
        .await
        .map_err(diesel_error)?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.0).collect();
    let messages: Vec<MessageRow> = whatsapp_messages::table
        .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
        .filter(whatsapp_messages::conversation_id.eq_any(&ids))
        .order((
            whatsapp_messages::created_at.asc(),
            whatsapp_messages::id.asc(),
        ))
        .select(MessageRow::as_select())
        .load(conn)
        .await
        .map_err(diesel_error)?;
    let mut by_conversation: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for row in messages {
        let message = message_from(row)?;
        by_conversation
            .entry(message.conversation_id.clone())
            .or_default()
            .push(message);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let conversation = conversation_from(row);
            ConversationExport {
                messages: by_conversation.remove(&conversation.id).unwrap_or_default(),
                conversation,
            }
        })
        .collect())
}

/// The statuses after which nothing happens to an order.
fn final_statuses() -> Vec<&'static str> {
    OrderStatus::ALL
        .iter()
        .filter(|status| status.is_final())
        .map(|status| status.as_str())
        .collect()
}

#[async_trait]
impl CustomerDataRepository for PgCustomerDataRepository {
    async fn export(
        &self,
        tenant: TenantId,
        id: CustomerId,
        actor: &Actor,
    ) -> RepoResult<Option<CustomerExport>> {
        let mut conn = self.db.conn().await?;
        let actor = actor.clone();
        // One snapshot: the document never mixes states of a customer changing meanwhile.
        conn.build_transaction()
            .repeatable_read()
            .run(async move |conn| -> Result<Option<CustomerExport>, TxError> {
                let Some(profile) = profile(conn, tenant, id).await? else {
                    return Ok(None);
                };
                let mut orders = Vec::new();
                for order in order_ids(conn, tenant, id).await? {
                    if let Some(detail) = load_detail(conn, tenant, order).await? {
                        orders.push(detail);
                    }
                }
                let addresses = addresses(conn, tenant, id).await?;
                let campaign_uses = campaign_uses_of(conn, tenant, id).await?;
                let conversations =
                    conversations_of(conn, tenant, &conversation_phones(&profile.phone)).await?;
                audit::record(
                    conn,
                    &actor,
                    Change {
                        tenant: Some(tenant),
                        action: "customer.export",
                        entity_type: "customer",
                        entity_id: Some(id.to_string()),
                        before: None,
                        // What was handed over, never the data itself.
                        after: Some(serde_json::json!({
                            "orders": orders.len(),
                            "addresses": addresses.len(),
                            "campaign_uses": campaign_uses.len(),
                            "conversations": conversations.len(),
                            "messages": conversations.iter().map(|c| c.messages.len()).sum::<usize>(),
                        })),
                    },
                )
                .await?;
                Ok(Some(CustomerExport {
                    profile,
                    addresses,
                    orders,
                    campaign_uses,
                    conversations,
                }))
            })
            .await
            .map_err(RepoError::from)
    }

    async fn erase(
        &self,
        tenant: TenantId,
        id: CustomerId,
        actor: &Actor,
    ) -> Result<Erasure, EraseError> {
        let mut conn = self.db.conn().await.map_err(EraseError::Repo)?;
        let actor = actor.clone();
        conn.transaction::<_, EraseFailure, _>(async move |conn| {
            // The customer's row first: a checkout for the same phone waits for this
            // transaction, so no order can be added to the customer while it is erased.
            let locked: Option<(String, Option<DateTime<Utc>>)> = customers::table
                .filter(customers::tenant_id.eq(tenant.as_uuid()))
                .filter(customers::id.eq(id.as_uuid()))
                .select((customers::phone, customers::erased_at))
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some((phone, erased_before)) = locked else {
                return Err(EraseFailure::NotFound);
            };
            let open: Vec<i64> = orders::table
                .filter(orders::tenant_id.eq(tenant.as_uuid()))
                .filter(orders::customer_id.eq(id.as_uuid()))
                .filter(orders::status.ne_all(final_statuses()))
                .order(orders::number.asc())
                .select(orders::number)
                .load(conn)
                .await?;
            if !open.is_empty() {
                return Err(EraseFailure::OpenOrders(open));
            }
            let order_ids = order_ids(conn, tenant, id).await?;

            // WhatsApp: the conversations under the customer's phone go, with their messages;
            // their files are queued for deletion after commit.
            let conversation_ids: Vec<Uuid> = whatsapp_conversations::table
                .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid()))
                .filter(whatsapp_conversations::customer_phone.eq_any(conversation_phones(&phone)))
                .select(whatsapp_conversations::id)
                .for_update()
                .load(conn)
                .await?;
            let media_keys: Vec<String> = whatsapp_messages::table
                .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
                .filter(whatsapp_messages::conversation_id.eq_any(&conversation_ids))
                .filter(whatsapp_messages::media_key.is_not_null())
                .order(whatsapp_messages::id.asc())
                .select(whatsapp_messages::media_key.assume_not_null())
                .load(conn)
                .await?;
            if !media_keys.is_empty() {
                let queued: Vec<_> = media_keys
                    .iter()
                    .map(|key| {
                        (
                            media_deletions::tenant_id.eq(tenant.as_uuid()),
                            media_deletions::object_key.eq(key.as_str()),
                            media_deletions::reason.eq("customer.erase"),
                        )
                    })
                    .collect();
                diesel::insert_into(media_deletions::table)
                    .values(queued)
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
            }
            let conversation_texts: Vec<String> =
                conversation_ids.iter().map(Uuid::to_string).collect();
            let order_texts: Vec<String> = order_ids.iter().map(Uuid::to_string).collect();
            // Jobs about the deleted messages go with them (a template's parameters may name
            // the customer); jobs about the orders that were not sent never will be: there is
            // no phone to send them to.
            let mut notifications_dropped = diesel::sql_query(
                "DELETE FROM outbox WHERE tenant_id = $1 AND payload->>'conversation_id' = ANY($2)",
            )
            .bind::<SqlUuid, _>(tenant.as_uuid())
            .bind::<Array<Text>, _>(&conversation_texts)
            .execute(conn)
            .await?;
            notifications_dropped += diesel::sql_query(
                "UPDATE outbox SET status = 'skipped', last_error = 'the customer''s data was erased', \
                        updated_at = now() \
                 WHERE tenant_id = $1 AND status IN ('pending', 'dead') AND payload->>'order_id' = ANY($2)",
            )
            .bind::<SqlUuid, _>(tenant.as_uuid())
            .bind::<Array<Text>, _>(&order_texts)
            .execute(conn)
            .await?;
            let messages_deleted = diesel::delete(
                whatsapp_messages::table
                    .filter(whatsapp_messages::tenant_id.eq(tenant.as_uuid()))
                    .filter(whatsapp_messages::conversation_id.eq_any(&conversation_ids)),
            )
            .execute(conn)
            .await?;
            let conversations_deleted = diesel::delete(
                whatsapp_conversations::table
                    .filter(whatsapp_conversations::tenant_id.eq(tenant.as_uuid()))
                    .filter(whatsapp_conversations::id.eq_any(&conversation_ids)),
            )
            .execute(conn)
            .await?;

            // Delivery addresses keep the city, the state and the CEP's first five digits.
            type Delivery = (Uuid, String, String, String, String, String, Option<f64>, Option<f64>);
            let deliveries: Vec<Delivery> = order_deliveries::table
                .filter(order_deliveries::tenant_id.eq(tenant.as_uuid()))
                .filter(order_deliveries::order_id.eq_any(&order_ids))
                .select((
                    order_deliveries::order_id,
                    order_deliveries::cep,
                    order_deliveries::street,
                    order_deliveries::number,
                    order_deliveries::complement,
                    order_deliveries::district,
                    order_deliveries::latitude,
                    order_deliveries::longitude,
                ))
                .load(conn)
                .await?;
            let mut by_prefix: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
            for (order, cep, street, number, complement, district, lat, lng) in deliveries {
                let prefix = privacy::cep_prefix(&cep);
                let cleared = prefix == cep
                    && [street, number, complement, district].iter().all(String::is_empty)
                    && lat.is_none()
                    && lng.is_none();
                if !cleared {
                    by_prefix.entry(prefix).or_default().push(order);
                }
            }
            let mut addresses_cleared = 0;
            for (prefix, orders_there) in by_prefix {
                addresses_cleared += diesel::update(
                    order_deliveries::table
                        .filter(order_deliveries::tenant_id.eq(tenant.as_uuid()))
                        .filter(order_deliveries::order_id.eq_any(&orders_there)),
                )
                .set((
                    order_deliveries::cep.eq(prefix),
                    order_deliveries::street.eq(""),
                    order_deliveries::number.eq(""),
                    order_deliveries::complement.eq(""),
                    order_deliveries::district.eq(""),
                    order_deliveries::latitude.eq(None::<f64>),
                    order_deliveries::longitude.eq(None::<f64>),
                ))
                .execute(conn)
                .await?;
            }
            // What the customer wrote on items ("ring 32, ask for Ana") goes; the items stay.
            diesel::update(
                order_items::table
                    .filter(order_items::tenant_id.eq(tenant.as_uuid()))
                    .filter(order_items::order_id.eq_any(&order_ids))
                    .filter(order_items::notes.ne("")),
            )
            .set(order_items::notes.eq(""))
            .execute(conn)
            .await?;

            // The name each order was placed with goes too: orders then show the erased
            // customer's name.
            diesel::update(
                orders::table
                    .filter(orders::tenant_id.eq(tenant.as_uuid()))
                    .filter(orders::id.eq_any(&order_ids))
                    .filter(orders::customer_name.is_not_null()),
            )
            .set(orders::customer_name.eq(None::<String>))
            .execute(conn)
            .await?;

            // The first erasure's time is kept.
            let erased_at: DateTime<Utc> = diesel::update(
                customers::table
                    .filter(customers::tenant_id.eq(tenant.as_uuid()))
                    .filter(customers::id.eq(id.as_uuid())),
            )
            .set((
                customers::name.eq(privacy::ERASED_NAME),
                customers::phone.eq(privacy::erased_phone(id)),
                customers::email.eq(None::<String>),
                customers::notes.eq(""),
                customers::erased_at.eq(diesel::dsl::sql::<Nullable<Timestamptz>>(
                    "coalesce(erased_at, now())",
                )),
                customers::updated_at.eq(diesel::dsl::now),
            ))
            .returning(customers::erased_at.assume_not_null())
            .get_result(conn)
            .await?;

            let erasure = Erasure {
                customer_id: id,
                erased_at,
                already_erased: erased_before.is_some(),
                orders_kept: order_ids.len(),
                addresses_cleared,
                conversations_deleted,
                messages_deleted,
                notifications_dropped,
                media_keys,
            };
            audit::record(
                conn,
                &actor,
                Change {
                    tenant: Some(tenant),
                    action: "customer.erase",
                    entity_type: "customer",
                    entity_id: Some(id.to_string()),
                    before: Some(serde_json::json!({"erased_at": erased_before})),
                    // Counts only: the erased data must not survive in the audit log.
                    after: Some(serde_json::json!({
                        "erased_at": erasure.erased_at,
                        "orders_kept": erasure.orders_kept,
                        "addresses_cleared": erasure.addresses_cleared,
                        "conversations_deleted": erasure.conversations_deleted,
                        "messages_deleted": erasure.messages_deleted,
                        "notifications_dropped": erasure.notifications_dropped,
                        "media_files": erasure.media_keys.len(),
                    })),
                },
            )
            .await?;
            Ok(erasure)
        })
        .await
        .map_err(EraseError::from)
    }
}
