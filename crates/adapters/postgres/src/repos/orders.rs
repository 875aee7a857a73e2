//! Orders: reading, status changes, idempotency keys; the checkout's transaction is in
//! `repos/checkout.rs`.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::orders::{Fulfillment, OrderStatus, PaymentMethod, PaymentStatus};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::phone::Phone;
use comanda_domain::store::Address;
use comanda_domain::{
    AddonId, CampaignId, CustomerId, OrderId, ProductId, StoreId, TenantId, UserId,
};
use comanda_ports::orders::{
    IdempotencyKey, IdempotencyState, NewOrder, OrderCustomer, OrderDelivery, OrderDetail,
    OrderEvent, OrderFilter, OrderItem, OrderItemAddon, OrderPix, OrderRepository, OrderSummary,
    PlaceOrderError, StatusChange, TransitionError,
};
use comanda_ports::payments::PixProvider;
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::repos::checkout::{self, idempotency_state};
use crate::repos::contains_pattern;
use crate::schema::{
    campaign_uses, customers, idempotency_keys, order_desk_presence, order_events,
    order_item_addons, order_items, order_payments, order_status_history, orders, outbox,
    stock_levels, stock_movements, store_slot_bookings, tenant_event_counters,
};

#[derive(Clone)]
pub struct PgOrderRepository {
    db: Database,
}

impl PgOrderRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Debug)]
pub(crate) enum MoveFailure {
    Db(diesel::result::Error),
    NotFound,
    Invalid(OrderStatus, OrderStatus),
    Repo(RepoError),
}

impl From<diesel::result::Error> for MoveFailure {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error)
    }
}

impl From<RepoError> for MoveFailure {
    fn from(error: RepoError) -> Self {
        Self::Repo(error)
    }
}

impl From<MoveFailure> for TransitionError {
    fn from(failure: MoveFailure) -> Self {
        match failure {
            MoveFailure::Db(error) => Self::Repo(diesel_error(error)),
            MoveFailure::NotFound => Self::NotFound,
            MoveFailure::Invalid(from, to) => Self::Invalid { from, to },
            MoveFailure::Repo(error) => Self::Repo(error),
        }
    }
}

pub(crate) async fn queue(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    order: Uuid,
    number: i64,
    kinds: &[&'static str],
    extra: serde_json::Value,
) -> QueryResult<()> {
    if kinds.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = kinds
        .iter()
        .map(|kind| {
            let mut payload = serde_json::json!({"order_id": order, "number": number});
            if let (Some(payload), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
                payload.extend(extra.clone());
            }
            (
                outbox::id.eq(Uuid::now_v7()),
                outbox::tenant_id.eq(tenant.as_uuid()),
                outbox::kind.eq(*kind),
                outbox::payload.eq(payload),
            )
        })
        .collect();
    diesel::insert_into(outbox::table)
        .values(rows)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Outbox kind of a refund request to the PIX provider.
pub(crate) const PIX_REFUND_JOB: &str = "pix.refund";

/// A cancelled order's charge: one still waiting can no longer be paid (`expired`); one paid
/// through the PIX API goes back to the payer (a `pix.refund` job; staff refund static ones).
pub(crate) async fn settle_cancelled_payment(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: OrderId,
    number: i64,
) -> QueryResult<()> {
    let payment: Option<(String, Option<String>)> = diesel::update(
        order_payments::table
            .filter(order_payments::tenant_id.eq(tenant.as_uuid()))
            .filter(order_payments::order_id.eq(id.as_uuid())),
    )
    .set(order_payments::status.eq(diesel::dsl::sql::<Text>(
        "CASE WHEN status = 'awaiting_payment' THEN 'expired' ELSE status END",
    )))
    .returning((order_payments::status, order_payments::provider))
    .get_result(conn)
    .await
    .optional()?;
    if let Some((status, Some(provider))) = payment
        && status == PaymentStatus::Paid.as_str()
        && provider == PixProvider::ApiPix.as_str()
    {
        queue(
            conn,
            tenant,
            id.as_uuid(),
            number,
            &[PIX_REFUND_JOB],
            serde_json::json!({}),
        )
        .await?;
    }
    Ok(())
}

/// What a move reads of the order: status, fulfillment, store, number, slot.
type MovingOrder = (String, String, Uuid, i64, Option<DateTime<Utc>>);

/// A status change, as `move_order` applies it.
pub(crate) struct OrderMove {
    pub tenant: TenantId,
    pub id: OrderId,
    pub to: OrderStatus,
    pub reason: Option<String>,
}

/// Moves an order inside the caller's transaction: the row locked, the move checked, history,
/// stock back on cancel, the payment settled (an unpaid charge expires; a paid `api_pix` one
/// is refunded through the outbox), notifications and the audit entry.
pub(crate) async fn move_order(
    conn: &mut AsyncPgConnection,
    change: &OrderMove,
    kinds: &[&'static str],
    actor: &Actor,
) -> Result<(), MoveFailure> {
    let OrderMove {
        tenant,
        id,
        to,
        reason,
    } = change;
    let (tenant, id, to) = (*tenant, *id, *to);

    let current: Option<MovingOrder> = orders::table
        .filter(orders::tenant_id.eq(tenant.as_uuid()))
        .filter(orders::id.eq(id.as_uuid()))
        .select((
            orders::status,
            orders::fulfillment,
            orders::store_id,
            orders::number,
            orders::slot_start,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let (status, fulfillment, store, number, slot_start) = current.ok_or(MoveFailure::NotFound)?;
    let from: OrderStatus = parse(&status, "order status")?;
    let fulfillment: Fulfillment = parse(&fulfillment, "fulfillment")?;
    if !from.can_move_to(to, fulfillment) {
        return Err(MoveFailure::Invalid(from, to));
    }
    diesel::update(
        orders::table
            .filter(orders::tenant_id.eq(tenant.as_uuid()))
            .filter(orders::id.eq(id.as_uuid())),
    )
    .set((
        orders::status.eq(to.as_str()),
        orders::cancel_reason.eq(if to == OrderStatus::Canceled {
            reason.clone()
        } else {
            None
        }),
        orders::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    diesel::insert_into(order_status_history::table)
        .values((
            order_status_history::id.eq(Uuid::now_v7()),
            order_status_history::tenant_id.eq(tenant.as_uuid()),
            order_status_history::order_id.eq(id.as_uuid()),
            order_status_history::from_status.eq(Some(from.as_str())),
            order_status_history::to_status.eq(to.as_str()),
            order_status_history::actor_user_id.eq(actor.user_id.map(|u| u.as_uuid())),
            order_status_history::reason.eq(reason),
        ))
        .execute(conn)
        .await?;
    if to == OrderStatus::Canceled {
        // Give back what the sale took, in product order like the checkout.
        let sold: Vec<(Uuid, i32)> = stock_movements::table
            .filter(stock_movements::tenant_id.eq(tenant.as_uuid()))
            .filter(stock_movements::order_id.eq(id.as_uuid()))
            .filter(stock_movements::reason.eq("sale"))
            .order(stock_movements::product_id)
            .select((stock_movements::product_id, stock_movements::delta))
            .load(conn)
            .await?;
        for (product, delta) in sold {
            let after: Option<i32> = diesel::update(
                stock_levels::table
                    .filter(stock_levels::tenant_id.eq(tenant.as_uuid()))
                    .filter(stock_levels::store_id.eq(store))
                    .filter(stock_levels::product_id.eq(product)),
            )
            .set((
                stock_levels::quantity.eq(stock_levels::quantity - delta),
                stock_levels::updated_at.eq(diesel::dsl::now),
            ))
            .returning(stock_levels::quantity)
            .get_result(conn)
            .await
            .optional()?;
            if let Some(after) = after {
                diesel::insert_into(stock_movements::table)
                    .values((
                        stock_movements::id.eq(Uuid::now_v7()),
                        stock_movements::tenant_id.eq(tenant.as_uuid()),
                        stock_movements::store_id.eq(store),
                        stock_movements::product_id.eq(product),
                        stock_movements::delta.eq(-delta),
                        stock_movements::quantity_after.eq(after),
                        stock_movements::reason.eq("cancel"),
                        stock_movements::order_id.eq(Some(id.as_uuid())),
                        stock_movements::actor_user_id.eq(actor.user_id.map(|u| u.as_uuid())),
                    ))
                    .execute(conn)
                    .await?;
            }
        }
    }
    if to == OrderStatus::Canceled {
        settle_cancelled_payment(conn, tenant, id, number).await?;
        if let Some(start) = slot_start {
            // Its place in the slot is free again.
            diesel::update(
                store_slot_bookings::table
                    .filter(store_slot_bookings::tenant_id.eq(tenant.as_uuid()))
                    .filter(store_slot_bookings::store_id.eq(store))
                    .filter(store_slot_bookings::slot_start.eq(start))
                    .filter(store_slot_bookings::booked.gt(0)),
            )
            .set(store_slot_bookings::booked.eq(store_slot_bookings::booked - 1))
            .execute(conn)
            .await?;
        }
    }
    queue(
        conn,
        tenant,
        id.as_uuid(),
        number,
        kinds,
        serde_json::json!({"status": to.as_str()}),
    )
    .await?;
    audit::record(
        conn,
        actor,
        Change {
            tenant: Some(tenant),
            action: "order.status",
            entity_type: "order",
            entity_id: Some(id.to_string()),
            before: Some(serde_json::json!({"status": from.as_str()})),
            after: Some(serde_json::json!({"status": to.as_str(), "reason": reason})),
        },
    )
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct HeaderRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = BigInt)]
    number: i64,
    #[diesel(sql_type = SqlUuid)]
    store_id: Uuid,
    #[diesel(sql_type = Text)]
    store_name: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    fulfillment: String,
    #[diesel(sql_type = SqlUuid)]
    customer_id: Uuid,
    #[diesel(sql_type = Text)]
    customer_name: String,
    #[diesel(sql_type = Text)]
    customer_phone: String,
    #[diesel(sql_type = BigInt)]
    subtotal_cents: i64,
    #[diesel(sql_type = BigInt)]
    discount_cents: i64,
    #[diesel(sql_type = BigInt)]
    shipping_fee_cents: i64,
    #[diesel(sql_type = BigInt)]
    total_cents: i64,
    #[diesel(sql_type = diesel::sql_types::Array<SqlUuid>)]
    campaign_ids: Vec<Uuid>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    scheduled_for: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    cancel_reason: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    payment_method: String,
    #[diesel(sql_type = Text)]
    payment_status: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    change_for_cents: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pix_provider: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    txid: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    copy_paste: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    paid_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    flag: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    cep: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    street: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    street_number: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    complement: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    district: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    city: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    state: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    latitude: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    longitude: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    distance_km: Option<f64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    delivery_fee_cents: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    eta_minutes: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    source: Option<String>,
}

const ORDER_HEADER: &str = "\
    SELECT o.id, o.number, o.store_id, s.name AS store_name, o.status, o.fulfillment, o.customer_id, \
           COALESCE(o.customer_name, c.name) AS customer_name, c.phone AS customer_phone, o.subtotal_cents, o.discount_cents, \
           o.shipping_fee_cents, o.total_cents, o.campaign_ids, o.scheduled_for, o.cancel_reason, \
           o.created_at, o.updated_at, p.method AS payment_method, p.status AS payment_status, \
           p.change_for_cents, p.provider AS pix_provider, p.txid, p.copy_paste, p.expires_at, \
           p.paid_at, p.flag, d.cep, d.street, d.number AS street_number, d.complement, d.district, \
           d.city, d.state, d.latitude, d.longitude, d.distance_km, d.fee_cents AS delivery_fee_cents, \
           d.eta_minutes, d.source \
    FROM orders o \
    JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id \
    JOIN stores s ON s.tenant_id = o.tenant_id AND s.id = o.store_id \
    JOIN order_payments p ON p.tenant_id = o.tenant_id AND p.order_id = o.id \
    LEFT JOIN order_deliveries d ON d.tenant_id = o.tenant_id AND d.order_id = o.id \
    WHERE o.tenant_id = $1 AND o.id = $2";

fn parse<T: std::str::FromStr>(raw: &str, what: &str) -> RepoResult<T>
where
    T::Err: std::fmt::Display,
{
    raw.parse::<T>().map_err(|e| corrupt(what, e))
}

/// The whole order in four queries whatever its size.
pub(crate) async fn load_detail(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> RepoResult<Option<OrderDetail>> {
    let header: Option<HeaderRow> = diesel::sql_query(ORDER_HEADER)
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
        .optional()
        .map_err(diesel_error)?;
    let Some(header) = header else {
        return Ok(None);
    };
    type ItemRow = (Uuid, Option<Uuid>, String, i32, i64, i64, String);
    let items: Vec<ItemRow> = order_items::table
        .filter(order_items::tenant_id.eq(tenant.as_uuid()))
        .filter(order_items::order_id.eq(id))
        .order(order_items::position)
        .select((
            order_items::id,
            order_items::product_id,
            order_items::product_name,
            order_items::quantity,
            order_items::unit_price_cents,
            order_items::line_total_cents,
            order_items::notes,
        ))
        .load(conn)
        .await
        .map_err(diesel_error)?;
    let item_ids: Vec<Uuid> = items.iter().map(|item| item.0).collect();
    type AddonRow = (Uuid, Option<Uuid>, String, String, i32, i64);
    let addons: Vec<AddonRow> = order_item_addons::table
        .filter(order_item_addons::tenant_id.eq(tenant.as_uuid()))
        .filter(order_item_addons::order_item_id.eq_any(&item_ids))
        .order(order_item_addons::id)
        .select((
            order_item_addons::order_item_id,
            order_item_addons::addon_id,
            order_item_addons::addon_name,
            order_item_addons::group_name,
            order_item_addons::quantity,
            order_item_addons::unit_price_cents,
        ))
        .load(conn)
        .await
        .map_err(diesel_error)?;
    type HistoryRow = (
        Option<String>,
        String,
        Option<Uuid>,
        Option<String>,
        DateTime<Utc>,
    );
    let history: Vec<HistoryRow> = order_status_history::table
        .filter(order_status_history::tenant_id.eq(tenant.as_uuid()))
        .filter(order_status_history::order_id.eq(id))
        .order((order_status_history::created_at, order_status_history::id))
        .select((
            order_status_history::from_status,
            order_status_history::to_status,
            order_status_history::actor_user_id,
            order_status_history::reason,
            order_status_history::created_at,
        ))
        .load(conn)
        .await
        .map_err(diesel_error)?;

    let mut addons_by_item: HashMap<Uuid, Vec<OrderItemAddon>> = HashMap::new();
    for (item, addon_id, name, group_name, quantity, unit_price_cents) in addons {
        addons_by_item
            .entry(item)
            .or_default()
            .push(OrderItemAddon {
                addon_id: addon_id.map(AddonId::from_uuid),
                name,
                group_name,
                quantity,
                unit_price_cents,
            });
    }
    let delivery = match (header.cep, header.distance_km) {
        (Some(cep), Some(distance_km)) => Some(OrderDelivery {
            address: Address {
                cep,
                street: header.street.unwrap_or_default(),
                number: header.street_number.unwrap_or_default(),
                complement: header.complement.unwrap_or_default(),
                district: header.district.unwrap_or_default(),
                city: header.city.unwrap_or_default(),
                state: header.state.unwrap_or_default(),
            },
            latitude: header.latitude,
            longitude: header.longitude,
            distance_km,
            fee_cents: header.delivery_fee_cents.unwrap_or(0),
            eta_minutes: header.eta_minutes.unwrap_or(0),
            source: header.source.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Some(OrderDetail {
        id: OrderId::from_uuid(header.id),
        number: header.number,
        tenant_id: tenant,
        store_id: StoreId::from_uuid(header.store_id),
        store_name: header.store_name,
        status: parse(&header.status, "order status")?,
        fulfillment: parse(&header.fulfillment, "fulfillment")?,
        customer: OrderCustomer {
            id: CustomerId::from_uuid(header.customer_id),
            name: header.customer_name,
            phone: header.customer_phone,
        },
        items: items
            .into_iter()
            .map(
                |(
                    item_id,
                    product_id,
                    name,
                    quantity,
                    unit_price_cents,
                    line_total_cents,
                    notes,
                )| OrderItem {
                    product_id: product_id.map(ProductId::from_uuid),
                    name,
                    quantity,
                    unit_price_cents,
                    line_total_cents,
                    notes,
                    addons: addons_by_item.remove(&item_id).unwrap_or_default(),
                },
            )
            .collect(),
        subtotal_cents: header.subtotal_cents,
        discount_cents: header.discount_cents,
        shipping_fee_cents: header.shipping_fee_cents,
        total_cents: header.total_cents,
        payment_method: parse::<PaymentMethod>(&header.payment_method, "payment method")?,
        payment_status: header.payment_status,
        change_for_cents: header.change_for_cents,
        pix: match (
            header.pix_provider,
            header.txid,
            header.copy_paste,
            header.expires_at,
        ) {
            (Some(provider), Some(txid), Some(copy_paste), Some(expires_at)) => Some(OrderPix {
                provider: PixProvider::parse(&provider)
                    .ok_or_else(|| corrupt("payment provider", provider))?,
                txid,
                copy_paste,
                expires_at,
                paid_at: header.paid_at,
                flag: header.flag,
            }),
            _ => None,
        },
        delivery,
        scheduled_for: header.scheduled_for,
        campaign_ids: header
            .campaign_ids
            .into_iter()
            .map(CampaignId::from_uuid)
            .collect(),
        cancel_reason: header.cancel_reason,
        history: history
            .into_iter()
            .map(|(from, to, actor, reason, at)| {
                Ok(StatusChange {
                    from: from
                        .as_deref()
                        .map(|status| parse(status, "order status"))
                        .transpose()?,
                    to: parse(&to, "order status")?,
                    actor_user_id: actor.map(UserId::from_uuid),
                    reason,
                    at,
                })
            })
            .collect::<RepoResult<_>>()?,
        created_at: header.created_at,
        updated_at: header.updated_at,
    }))
}

type SummaryRow = (
    Uuid,
    i64,
    Uuid,
    String,
    String,
    Uuid,
    String,
    String,
    i64,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

pub(crate) fn summary_from(row: SummaryRow) -> RepoResult<OrderSummary> {
    let (
        id,
        number,
        store_id,
        status,
        fulfillment,
        customer_id,
        customer_name,
        customer_phone,
        total_cents,
        scheduled_for,
        created_at,
    ) = row;
    Ok(OrderSummary {
        id: OrderId::from_uuid(id),
        number,
        store_id: StoreId::from_uuid(store_id),
        status: parse(&status, "order status")?,
        fulfillment: parse::<Fulfillment>(&fulfillment, "fulfillment")?,
        customer_id: CustomerId::from_uuid(customer_id),
        customer_name,
        customer_phone,
        total_cents,
        scheduled_for,
        created_at,
    })
}

/// Orders with their customer, filtered; shared by the order list and a customer's history.
pub(crate) async fn list_orders(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    filter: &OrderFilter,
    page: PageRequest,
) -> RepoResult<Page<OrderSummary>> {
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let filtered = || {
        let mut query = orders::table
            .inner_join(
                customers::table.on(customers::tenant_id
                    .eq(orders::tenant_id)
                    .and(customers::id.eq(orders::customer_id))),
            )
            .filter(orders::tenant_id.eq(tenant.as_uuid()))
            .into_boxed();
        if let Some(status) = filter.status {
            query = query.filter(orders::status.eq(status.as_str()));
        }
        if let Some(store) = filter.store {
            query = query.filter(orders::store_id.eq(store.as_uuid()));
        }
        if let Some(customer) = filter.customer {
            query = query.filter(orders::customer_id.eq(customer.as_uuid()));
        }
        if let Some(from) = filter.from {
            query = query.filter(orders::created_at.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(orders::created_at.lt(to));
        }
        if let Some(text) = &search {
            let pattern = contains_pattern(text);
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            let by_text = customers::name
                .ilike(pattern.clone())
                .or(customers::phone.ilike(pattern));
            query = match text.trim_start_matches('#').parse::<i64>() {
                Ok(number) => query.filter(
                    by_text
                        .or(orders::number.eq(number))
                        .or(customers::phone.like(format!("%{digits}%"))),
                ),
                Err(_) => query.filter(by_text),
            };
        }
        query
    };
    let total: i64 = filtered()
        .count()
        .get_result(conn)
        .await
        .map_err(diesel_error)?;
    let rows: Vec<SummaryRow> = filtered()
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(i64::from(page.limit))
        .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .select((
            orders::id,
            orders::number,
            orders::store_id,
            orders::status,
            orders::fulfillment,
            orders::customer_id,
            diesel::dsl::sql::<Text>("COALESCE(orders.customer_name, customers.name)"),
            customers::phone,
            orders::total_cents,
            orders::scheduled_for,
            orders::created_at,
        ))
        .load(conn)
        .await
        .map_err(diesel_error)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(summary_from)
            .collect::<RepoResult<_>>()?,
        total: u64::try_from(total).unwrap_or(0),
    })
}

#[async_trait]
impl OrderRepository for PgOrderRepository {
    async fn place(&self, order: NewOrder) -> Result<OrderDetail, PlaceOrderError> {
        checkout::place(&self.db, order).await
    }

    async fn find(&self, tenant: TenantId, id: OrderId) -> RepoResult<Option<OrderDetail>> {
        let mut conn = self.db.conn().await?;
        load_detail(&mut conn, tenant, id.as_uuid()).await
    }

    async fn list(
        &self,
        tenant: TenantId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> RepoResult<Page<OrderSummary>> {
        let mut conn = self.db.conn().await?;
        list_orders(&mut conn, tenant, filter, page).await
    }

    async fn transition(
        &self,
        tenant: TenantId,
        id: OrderId,
        to: OrderStatus,
        reason: Option<String>,
        notifications: &[&'static str],
        actor: &Actor,
    ) -> Result<OrderDetail, TransitionError> {
        let mut conn = self.db.conn().await?;
        let kinds = notifications.to_vec();
        let actor = actor.clone();
        conn.transaction::<_, MoveFailure, _>(async move |conn| {
            let change = OrderMove {
                tenant,
                id,
                to,
                reason,
            };
            move_order(conn, &change, &kinds, &actor).await
        })
        .await
        .map_err(TransitionError::from)?;
        load_detail(&mut conn, tenant, id.as_uuid())
            .await?
            .ok_or(TransitionError::NotFound)
    }

    async fn campaign_uses(
        &self,
        tenant: TenantId,
        phone: &Phone,
    ) -> RepoResult<HashMap<CampaignId, i32>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<(Uuid, i64)> = campaign_uses::table
            .inner_join(
                customers::table.on(customers::tenant_id
                    .eq(campaign_uses::tenant_id)
                    .and(customers::id.eq(campaign_uses::customer_id))),
            )
            .filter(customers::tenant_id.eq(tenant.as_uuid()))
            .filter(customers::phone.eq(phone.as_str()))
            .group_by(campaign_uses::campaign_id)
            .select((campaign_uses::campaign_id, diesel::dsl::count_star()))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|(campaign, uses)| {
                (
                    CampaignId::from_uuid(campaign),
                    i32::try_from(uses).unwrap_or(i32::MAX),
                )
            })
            .collect())
    }

    async fn idempotency(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
    ) -> RepoResult<IdempotencyState> {
        let mut conn = self.db.conn().await?;
        let found: Option<(String, Option<Uuid>)> = idempotency_keys::table
            .find((tenant.as_uuid(), &key.key))
            .select((idempotency_keys::request_hash, idempotency_keys::order_id))
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        Ok(idempotency_state(found, &key.request_hash))
    }

    async fn purge_idempotency(&self, before: DateTime<Utc>) -> RepoResult<u64> {
        let mut conn = self.db.conn().await?;
        let deleted =
            diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
                .execute(&mut conn)
                .await
                .map_err(diesel_error)?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }

    async fn events_after(
        &self,
        tenant: TenantId,
        after: i64,
        limit: i64,
    ) -> RepoResult<Vec<OrderEvent>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<(i64, String, Uuid)> = order_events::table
            .filter(order_events::tenant_id.eq(tenant.as_uuid()))
            .filter(order_events::id.gt(after))
            .order(order_events::id)
            .limit(limit)
            .select((order_events::id, order_events::kind, order_events::order_id))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, order)| OrderEvent {
                id,
                kind,
                order: OrderId::from_uuid(order),
            })
            .collect())
    }

    async fn last_event_id(&self, tenant: TenantId) -> RepoResult<i64> {
        let mut conn = self.db.conn().await?;
        let last: Option<i64> = tenant_event_counters::table
            .find(tenant.as_uuid())
            .select(tenant_event_counters::last_id)
            .first(&mut conn)
            .await
            .optional()
            .map_err(diesel_error)?;
        Ok(last.unwrap_or(0))
    }

    async fn desks_present(&self, tenants: &[TenantId], until: DateTime<Utc>) -> RepoResult<()> {
        if tenants.is_empty() {
            return Ok(());
        }
        let mut conn = self.db.conn().await?;
        let rows: Vec<_> = tenants
            .iter()
            .map(|tenant| {
                (
                    order_desk_presence::tenant_id.eq(tenant.as_uuid()),
                    order_desk_presence::until.eq(until),
                )
            })
            .collect();
        diesel::insert_into(order_desk_presence::table)
            .values(rows)
            .on_conflict(order_desk_presence::tenant_id)
            .do_update()
            .set(
                order_desk_presence::until.eq(diesel::dsl::sql::<Timestamptz>(
                    "GREATEST(order_desk_presence.until, excluded.until)",
                )),
            )
            .execute(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(())
    }

    async fn purge_events(&self, before: DateTime<Utc>) -> RepoResult<u64> {
        let mut conn = self.db.conn().await?;
        let deleted =
            diesel::delete(order_events::table.filter(order_events::created_at.lt(before)))
                .execute(&mut conn)
                .await
                .map_err(diesel_error)?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }
}
