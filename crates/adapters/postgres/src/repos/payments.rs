//! PIX (SPEC §18): the tenant's receiver settings (`tenant_pix_settings`) and the life of an
//! order's charge in `order_payments`: paid, expired (the order cancelled, stock back),
//! refunded.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::orders::{OrderStatus, PaymentStatus};
use comanda_domain::{OrderId, TenantId};
use comanda_ports::payments::{
    ApiPixEndpoint, PaidOutcome, PaymentRecord, PaymentRepository, PixProvider, PixReceiver,
    ReceivedPix, StoredPixSettings,
};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::repos::orders::{MoveFailure, OrderMove, PIX_REFUND_JOB, move_order, queue};
use crate::schema::{order_payments, orders, tenant_pix_settings, tenants};

/// The reason an unpaid PIX order is cancelled with.
pub const PAYMENT_EXPIRED: &str = "payment_expired";

#[derive(Clone)]
pub struct PgPaymentRepository {
    db: Database,
}

impl PgPaymentRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

type SettingsRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    String,
    DateTime<Utc>,
);

fn settings_from(row: SettingsRow) -> RepoResult<StoredPixSettings> {
    let (key, key_kind, name, city, provider, base_url, client_id, secrets, webhook, updated) = row;
    let provider =
        PixProvider::parse(&provider).ok_or_else(|| corrupt("PIX provider", provider))?;
    Ok(StoredPixSettings {
        receiver: PixReceiver {
            key,
            key_kind,
            merchant_name: name,
            merchant_city: city,
            provider,
        },
        api: base_url
            .zip(client_id)
            .map(|(base_url, client_id)| ApiPixEndpoint {
                base_url,
                client_id,
            }),
        sealed_secrets: secrets,
        webhook_secret: webhook,
        updated_at: updated,
    })
}

async fn load_settings(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
) -> RepoResult<Option<StoredPixSettings>> {
    let row: Option<SettingsRow> = tenant_pix_settings::table
        .find(tenant.as_uuid())
        .select((
            tenant_pix_settings::key,
            tenant_pix_settings::key_kind,
            tenant_pix_settings::merchant_name,
            tenant_pix_settings::merchant_city,
            tenant_pix_settings::provider,
            tenant_pix_settings::api_base_url,
            tenant_pix_settings::api_client_id,
            tenant_pix_settings::api_secrets,
            tenant_pix_settings::webhook_secret,
            tenant_pix_settings::updated_at,
        ))
        .first(conn)
        .await
        .optional()
        .map_err(diesel_error)?;
    row.map(settings_from).transpose()
}

/// What the audit log keeps of the settings: never the secrets, only whether there are some.
fn settings_json(settings: &StoredPixSettings) -> serde_json::Value {
    serde_json::json!({
        "key": settings.receiver.key,
        "merchant_name": settings.receiver.merchant_name,
        "merchant_city": settings.receiver.merchant_city,
        "provider": settings.receiver.provider.as_str(),
        "api_pix": settings.api.as_ref().map(|api| serde_json::json!({
            "base_url": api.base_url, "client_id": api.client_id,
            "secrets_set": settings.sealed_secrets.is_some(),
        })),
    })
}

type PaymentRow = (
    Uuid,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
    Option<i64>,
);

fn payment_from(row: PaymentRow) -> RepoResult<PaymentRecord> {
    let (order, status, provider, txid, amount_cents, end_to_end_id, paid_cents) = row;
    Ok(PaymentRecord {
        order: OrderId::from_uuid(order),
        status: status
            .parse::<PaymentStatus>()
            .map_err(|e| corrupt("payment status", e))?,
        provider: provider
            .map(|raw| PixProvider::parse(&raw).ok_or_else(|| corrupt("PIX provider", raw)))
            .transpose()?,
        txid,
        amount_cents,
        end_to_end_id,
        paid_cents,
    })
}

macro_rules! payment_columns {
    () => {
        (
            order_payments::order_id,
            order_payments::status,
            order_payments::provider,
            order_payments::txid,
            order_payments::amount_cents,
            order_payments::end_to_end_id,
            order_payments::paid_cents,
        )
    };
}

fn payment_audit(status: &str, pix: Option<&ReceivedPix>) -> serde_json::Value {
    serde_json::json!({
        "status": status,
        "end_to_end_id": pix.map(|pix| &pix.end_to_end_id),
        "paid_cents": pix.map(|pix| pix.amount_cents),
    })
}

#[async_trait]
impl PaymentRepository for PgPaymentRepository {
    async fn pix_settings(&self, tenant: TenantId) -> RepoResult<Option<StoredPixSettings>> {
        let mut conn = self.db.conn().await?;
        load_settings(&mut conn, tenant).await
    }

    async fn put_pix_settings(
        &self,
        tenant: TenantId,
        settings: &StoredPixSettings,
        actor: &Actor,
    ) -> RepoResult<StoredPixSettings> {
        let mut conn = self.db.conn().await?;
        let settings = settings.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = load_settings(conn, tenant).await?;
            let values = (
                tenant_pix_settings::tenant_id.eq(tenant.as_uuid()),
                tenant_pix_settings::key.eq(&settings.receiver.key),
                tenant_pix_settings::key_kind.eq(&settings.receiver.key_kind),
                tenant_pix_settings::merchant_name.eq(&settings.receiver.merchant_name),
                tenant_pix_settings::merchant_city.eq(&settings.receiver.merchant_city),
                tenant_pix_settings::provider.eq(settings.receiver.provider.as_str()),
                tenant_pix_settings::api_base_url.eq(settings.api.as_ref().map(|a| &a.base_url)),
                tenant_pix_settings::api_client_id.eq(settings.api.as_ref().map(|a| &a.client_id)),
                tenant_pix_settings::api_secrets.eq(settings.sealed_secrets.as_ref()),
                tenant_pix_settings::webhook_secret.eq(&settings.webhook_secret),
                tenant_pix_settings::updated_at.eq(diesel::dsl::now),
            );
            diesel::insert_into(tenant_pix_settings::table)
                .values(values)
                .on_conflict(tenant_pix_settings::tenant_id)
                .do_update()
                .set(values)
                .execute(conn)
                .await?;
            let after = load_settings(conn, tenant)
                .await?
                .ok_or(RepoError::NotFound("PIX settings"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "payments.pix.update",
                    entity_type: "pix_settings",
                    entity_id: None,
                    before: before.as_ref().map(settings_json),
                    after: Some(settings_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn tenant_for_webhook(&self, slug: &str, secret: &str) -> RepoResult<Option<TenantId>> {
        let mut conn = self.db.conn().await?;
        let row: Option<(Uuid, String)> = tenant_pix_settings::table
            .inner_join(tenants::table.on(tenants::id.eq(tenant_pix_settings::tenant_id)))
            .filter(tenants::slug.eq(slug))
            .select((
                tenant_pix_settings::tenant_id,
                tenant_pix_settings::webhook_secret,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        Ok(row.and_then(|(tenant, stored)| {
            // Compared without an early exit: the time taken says nothing about the secret.
            let same = stored.len() == secret.len()
                && stored
                    .bytes()
                    .zip(secret.bytes())
                    .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                    == 0;
            same.then(|| TenantId::from_uuid(tenant))
        }))
    }

    async fn payment(&self, tenant: TenantId, order: OrderId) -> RepoResult<Option<PaymentRecord>> {
        let mut conn = self.db.conn().await?;
        let row: Option<PaymentRow> = order_payments::table
            .filter(order_payments::tenant_id.eq(tenant.as_uuid()))
            .filter(order_payments::order_id.eq(order.as_uuid()))
            .select(payment_columns!())
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        row.map(payment_from).transpose()
    }

    async fn payment_by_txid(
        &self,
        tenant: TenantId,
        txid: &str,
    ) -> RepoResult<Option<PaymentRecord>> {
        let mut conn = self.db.conn().await?;
        let row: Option<PaymentRow> = order_payments::table
            .filter(order_payments::tenant_id.eq(tenant.as_uuid()))
            .filter(order_payments::txid.eq(txid))
            .select(payment_columns!())
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        row.map(payment_from).transpose()
    }

    async fn record_paid(
        &self,
        tenant: TenantId,
        order: OrderId,
        pix: Option<&ReceivedPix>,
        notifications: &[&'static str],
        actor: &Actor,
    ) -> RepoResult<PaidOutcome> {
        let mut conn = self.db.conn().await?;
        let pix = pix.cloned();
        let kinds = notifications.to_vec();
        let actor = actor.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            // The order first, then its payment: the order a status change locks them in.
            let header: Option<(i64, Uuid)> = orders::table
                .filter(orders::tenant_id.eq(tenant.as_uuid()))
                .filter(orders::id.eq(order.as_uuid()))
                .select((orders::number, orders::store_id))
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let (number, store) = header.ok_or(RepoError::NotFound("order"))?;
            let payment = order_payments::table
                .filter(order_payments::tenant_id.eq(tenant.as_uuid()))
                .filter(order_payments::order_id.eq(order.as_uuid()));
            let current: PaymentRow = payment
                .select(payment_columns!())
                .for_update()
                .first(conn)
                .await?;
            let current = payment_from(current)?;
            let (outcome, flag) = match current.status {
                PaymentStatus::AwaitingPayment => (PaidOutcome::Paid, None),
                PaymentStatus::Expired => (PaidOutcome::PaidAfterExpiry, Some("paid_after_expiry")),
                PaymentStatus::Paid => return Ok(PaidOutcome::AlreadyPaid),
                other => return Ok(PaidOutcome::NotPayable(other)),
            };
            diesel::update(payment)
                .set((
                    order_payments::status.eq(PaymentStatus::Paid.as_str()),
                    order_payments::paid_at.eq(diesel::dsl::now),
                    order_payments::end_to_end_id.eq(pix.as_ref().map(|p| &p.end_to_end_id)),
                    order_payments::paid_cents.eq(pix.as_ref().map(|p| p.amount_cents)),
                    order_payments::flag.eq(flag),
                ))
                .execute(conn)
                .await?;
            match outcome {
                PaidOutcome::Paid => {
                    queue(
                        conn,
                        tenant,
                        order.as_uuid(),
                        number,
                        &kinds,
                        serde_json::json!({"store_id": store}),
                    )
                    .await?;
                }
                _ if current.provider == Some(PixProvider::ApiPix) => {
                    // Paid too late for an order already cancelled: the money goes back.
                    queue(
                        conn,
                        tenant,
                        order.as_uuid(),
                        number,
                        &[PIX_REFUND_JOB],
                        serde_json::json!({}),
                    )
                    .await?;
                }
                _ => {}
            }
            audit::record(
                conn,
                &actor,
                Change {
                    tenant: Some(tenant),
                    action: "order.payment",
                    entity_type: "order",
                    entity_id: Some(order.to_string()),
                    before: Some(payment_audit(current.status.as_str(), None)),
                    after: Some(payment_audit(PaymentStatus::Paid.as_str(), pix.as_ref())),
                },
            )
            .await?;
            Ok(outcome)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn flag(&self, tenant: TenantId, order: OrderId, flag: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::update(
            order_payments::table
                .filter(order_payments::tenant_id.eq(tenant.as_uuid()))
                .filter(order_payments::order_id.eq(order.as_uuid())),
        )
        .set(order_payments::flag.eq(flag))
        .execute(&mut conn)
        .await
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn record_refunded(
        &self,
        tenant: TenantId,
        order: OrderId,
        refund_id: &str,
        actor: &Actor,
    ) -> RepoResult<bool> {
        let mut conn = self.db.conn().await?;
        let refund_id = refund_id.to_owned();
        let actor = actor.clone();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let changed = diesel::update(
                order_payments::table
                    .filter(order_payments::tenant_id.eq(tenant.as_uuid()))
                    .filter(order_payments::order_id.eq(order.as_uuid()))
                    .filter(order_payments::status.eq(PaymentStatus::Paid.as_str())),
            )
            .set((
                order_payments::status.eq(PaymentStatus::Refunded.as_str()),
                order_payments::refund_id.eq(&refund_id),
                order_payments::flag.eq(None::<String>),
            ))
            .execute(conn)
            .await?;
            if changed > 0 {
                audit::record(
                    conn,
                    &actor,
                    Change {
                        tenant: Some(tenant),
                        action: "order.payment",
                        entity_type: "order",
                        entity_id: Some(order.to_string()),
                        before: Some(serde_json::json!({"status": "paid"})),
                        after: Some(
                            serde_json::json!({"status": "refunded", "refund_id": refund_id}),
                        ),
                    },
                )
                .await?;
            }
            Ok(changed > 0)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn expire_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        notifications: &[&'static str],
    ) -> RepoResult<Vec<(TenantId, OrderId)>> {
        let mut conn = self.db.conn().await?;
        let due: Vec<(Uuid, Uuid)> = order_payments::table
            .inner_join(
                orders::table.on(orders::tenant_id
                    .eq(order_payments::tenant_id)
                    .and(orders::id.eq(order_payments::order_id))),
            )
            .filter(order_payments::status.eq(PaymentStatus::AwaitingPayment.as_str()))
            .filter(order_payments::expires_at.le(now))
            .filter(orders::status.eq(OrderStatus::Pending.as_str()))
            .order(order_payments::expires_at)
            .limit(limit)
            .select((order_payments::tenant_id, order_payments::order_id))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        let mut expired = Vec::with_capacity(due.len());
        for (tenant, order) in due {
            let (tenant, order) = (TenantId::from_uuid(tenant), OrderId::from_uuid(order));
            let kinds = notifications.to_vec();
            // One order per transaction, its row skipped when another instance holds it; the
            // checks run again under the lock (it may have been paid meanwhile).
            let done = conn
                .transaction::<_, MoveFailure, _>(async move |conn| {
                    // Payment rows change only under their order's lock (see `record_paid`).
                    let locked: Option<Uuid> = orders::table
                        .filter(orders::tenant_id.eq(tenant.as_uuid()))
                        .filter(orders::id.eq(order.as_uuid()))
                        .filter(orders::status.eq(OrderStatus::Pending.as_str()))
                        .select(orders::id)
                        .for_update()
                        .skip_locked()
                        .first(conn)
                        .await
                        .optional()?;
                    let still_due: Option<Uuid> = match locked {
                        None => None,
                        Some(_) => order_payments::table
                            .filter(order_payments::tenant_id.eq(tenant.as_uuid()))
                            .filter(order_payments::order_id.eq(order.as_uuid()))
                            .filter(
                                order_payments::status.eq(PaymentStatus::AwaitingPayment.as_str()),
                            )
                            .filter(order_payments::expires_at.le(now))
                            .select(order_payments::order_id)
                            .first(conn)
                            .await
                            .optional()?,
                    };
                    if still_due.is_none() {
                        return Ok(false);
                    }
                    let change = OrderMove {
                        tenant,
                        id: order,
                        to: OrderStatus::Canceled,
                        reason: Some(PAYMENT_EXPIRED.to_owned()),
                    };
                    move_order(conn, &change, &kinds, &Actor::system()).await?;
                    Ok(true)
                })
                .await;
            match done {
                Ok(true) => expired.push((tenant, order)),
                Ok(false) => {}
                Err(failure) => {
                    let error = comanda_ports::orders::TransitionError::from(failure);
                    tracing::warn!(%tenant, %order, %error, "an expired PIX order could not be cancelled");
                }
            }
        }
        Ok(expired)
    }
}
