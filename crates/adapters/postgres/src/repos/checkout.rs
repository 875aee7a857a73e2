//! The order of a checkout (docs/decisions/0007-checkout-near-the-limit.md): every row an
//! order writes in one prepared statement, answered from what it wrote.
//!
//! Named steps, each a part of [`PLACE_ORDER`]:
//! 1. `locked_stock`, `locked_campaigns`: stock rows locked in product order, then campaign
//!    rows in id order (no deadlocks between checkouts), and read: is there `enough`?
//! 2. `claim_key`: the `Idempotency-Key`, only when there is enough; a request with the same
//!    key in flight holds its index entry, so this one waits and then sees its outcome.
//! 3. `take_stock`, `count_campaign_uses`, then the customer (never renamed), the order number
//!    (the tenant's counter row, locked by the last write), the order, items, add-ons, payment,
//!    delivery, history, campaign uses, stock movements and outbox jobs: only when the key is
//!    this order's (`go`).
//!
//! A shortfall or a key already used writes nothing, so an order without campaigns is the
//! statement alone, a transaction of its own. An order with campaigns is a transaction: a
//! campaign limited per customer is checked first ([`check_customer_limits`]), after the key is
//! claimed and the stock and campaign rows are locked in the statement's order.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use comanda_domain::orders::{OrderStatus, PaymentStatus};
use comanda_domain::{CampaignId, CustomerId, OrderId, ProductId};
use comanda_ports::RepoError;
use comanda_ports::orders::{
    IdempotencyKey, IdempotencyState, NewOrder, OrderCustomer, OrderDelivery, OrderDetail,
    OrderItem, OrderItemAddon, OrderPix, PlaceOrderError, StatusChange,
};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{
    Array, BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::diesel_error;
use crate::schema::{idempotency_keys, store_slot_bookings};

/// How the order transaction can end without an order.
#[derive(Debug)]
enum PlaceFailure {
    Db(diesel::result::Error),
    OutOfStock(Vec<ProductId>),
    Exhausted(CampaignId),
    AlreadyPlaced(OrderId),
    KeyReused,
    SlotFull,
    Repo(RepoError),
}

impl From<diesel::result::Error> for PlaceFailure {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error)
    }
}

impl From<RepoError> for PlaceFailure {
    fn from(error: RepoError) -> Self {
        Self::Repo(error)
    }
}

impl From<PlaceFailure> for PlaceOrderError {
    fn from(failure: PlaceFailure) -> Self {
        match failure {
            PlaceFailure::Db(error) => Self::Repo(diesel_error(error)),
            PlaceFailure::OutOfStock(products) => Self::OutOfStock(products),
            PlaceFailure::Exhausted(campaign) => Self::CampaignExhausted(campaign),
            PlaceFailure::AlreadyPlaced(order) => Self::AlreadyPlaced(order),
            PlaceFailure::KeyReused => Self::KeyReused,
            PlaceFailure::SlotFull => Self::SlotFull,
            PlaceFailure::Repo(error) => Self::Repo(error),
        }
    }
}

/// What an earlier request left under a key, given its stored hash and order.
pub(crate) fn idempotency_state(
    found: Option<(String, Option<Uuid>)>,
    request_hash: &str,
) -> IdempotencyState {
    match found {
        None | Some((_, None)) => IdempotencyState::Unused,
        Some((hash, _)) if hash != request_hash => IdempotencyState::Mismatch,
        Some((_, Some(order))) => IdempotencyState::Done(OrderId::from_uuid(order)),
    }
}

/// Places an order: one transaction, retried once when the database aborts it for a conflict
/// with another (a deadlock or serialization failure), then answered as busy.
pub(crate) async fn place(db: &Database, order: NewOrder) -> Result<OrderDetail, PlaceOrderError> {
    match place_once(db, &order).await {
        Err(PlaceOrderError::Repo(RepoError::Busy(cause))) => {
            tracing::info!(%cause, "checkout transaction in conflict: retrying once");
            place_once(db, &order).await
        }
        other => other,
    }
}

async fn place_once(db: &Database, order: &NewOrder) -> Result<OrderDetail, PlaceOrderError> {
    let mut conn = db.conn().await?;
    let statement = PlaceOrderStatement::new(order);
    if let Some(start) = statement.slot_start {
        // The slot's row must exist for the statement to lock it: concurrent checkouts then
        // queue on it and read each other's bookings (an empty row books nothing).
        diesel::insert_into(store_slot_bookings::table)
            .values((
                store_slot_bookings::tenant_id.eq(statement.tenant_id),
                store_slot_bookings::store_id.eq(statement.store_id),
                store_slot_bookings::slot_start.eq(start),
            ))
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await
            .map_err(diesel_error)?;
    }
    if statement.campaigns.is_empty() {
        // The statement alone, in its own transaction: no BEGIN and COMMIT round trips, and the
        // order counter's row is released by the commit that ends the statement.
        return place_alone(&mut conn, order, &statement)
            .await
            .map_err(PlaceOrderError::from);
    }
    conn.transaction::<_, PlaceFailure, _>(async move |conn| {
        if !statement.campaigns.is_empty() {
            if let Some(key) = &order.idempotency {
                claim_key(conn, order, key, statement.order_id).await?;
            }
            check_customer_limits(conn, order, &statement).await?;
        }
        let written: Written = (&statement).get_result(conn).await?;
        if !written.0 {
            let key = order.idempotency.as_ref().ok_or_else(|| {
                RepoError::Internal("a checkout without a key was not claimed".into())
            })?;
            return Err(earlier_outcome(conn, order, key).await);
        }
        answer(order, &statement, written)
    })
    .await
    .map_err(PlaceOrderError::from)
}

async fn place_alone(
    conn: &mut AsyncPgConnection,
    order: &NewOrder,
    statement: &PlaceOrderStatement,
) -> Result<OrderDetail, PlaceFailure> {
    let written: Written = statement.get_result(conn).await?;
    if !written.0 {
        let key = order.idempotency.as_ref().ok_or_else(|| {
            RepoError::Internal("a checkout without a key was not claimed".into())
        })?;
        return Err(earlier_outcome(conn, order, key).await);
    }
    answer(order, statement, written)
}

/// Step 1 on its own, for orders that check campaign limits before the statement (which then
/// finds the key already claimed for its order).
async fn claim_key(
    conn: &mut AsyncPgConnection,
    order: &NewOrder,
    key: &IdempotencyKey,
    order_id: Uuid,
) -> Result<(), PlaceFailure> {
    let claimed = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::tenant_id.eq(order.tenant.as_uuid()),
            idempotency_keys::key.eq(&key.key),
            idempotency_keys::request_hash.eq(&key.request_hash),
            idempotency_keys::order_id.eq(Some(order_id)),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if claimed == 1 {
        Ok(())
    } else {
        Err(earlier_outcome(conn, order, key).await)
    }
}

/// The outcome of the request that used the key first (committed: this one waited for it).
async fn earlier_outcome(
    conn: &mut AsyncPgConnection,
    order: &NewOrder,
    key: &IdempotencyKey,
) -> PlaceFailure {
    let found: QueryResult<Option<(String, Option<Uuid>)>> = idempotency_keys::table
        .find((order.tenant.as_uuid(), &key.key))
        .select((idempotency_keys::request_hash, idempotency_keys::order_id))
        .first(conn)
        .await
        .optional();
    match found.map(|found| idempotency_state(found, &key.request_hash)) {
        Err(error) => PlaceFailure::Db(error),
        Ok(IdempotencyState::Done(order)) => PlaceFailure::AlreadyPlaced(order),
        Ok(IdempotencyState::Mismatch) => PlaceFailure::KeyReused,
        // Keys are only committed with their order: not reachable, but never place twice.
        Ok(IdempotencyState::Unused) => PlaceFailure::Repo(RepoError::Internal(
            "an idempotency key without its order".into(),
        )),
    }
}

#[derive(QueryableByName)]
struct LockedCampaign {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<Integer>)]
    per_customer_limit: Option<i32>,
}

#[derive(QueryableByName)]
struct CustomerUses {
    #[diesel(sql_type = SqlUuid)]
    campaign_id: Uuid,
    #[diesel(sql_type = BigInt)]
    uses: i64,
}

/// Orders with campaigns: stock and campaign rows locked first, in the statement's order, so
/// the customer's past uses are counted after any other order using the campaign committed
/// (the count is a statement of its own: one statement's snapshot predates its lock waits).
async fn check_customer_limits(
    conn: &mut AsyncPgConnection,
    order: &NewOrder,
    statement: &PlaceOrderStatement,
) -> Result<(), PlaceFailure> {
    let locked: Vec<LockedCampaign> = diesel::sql_query(
        "WITH stock AS MATERIALIZED ( \
             SELECT product_id FROM stock_levels \
             WHERE tenant_id = $1 AND store_id = $2 AND product_id = ANY($3) \
             ORDER BY product_id FOR UPDATE) \
         SELECT id, per_customer_limit FROM campaigns \
         WHERE tenant_id = $1 AND id = ANY($4) AND (SELECT count(*) FROM stock) >= 0 \
         ORDER BY id FOR UPDATE",
    )
    .bind::<SqlUuid, _>(order.tenant.as_uuid())
    .bind::<SqlUuid, _>(order.store.as_uuid())
    .bind::<Array<SqlUuid>, _>(&statement.stock_products)
    .bind::<Array<SqlUuid>, _>(&statement.campaigns)
    .load(conn)
    .await?;
    let limits: HashMap<Uuid, i32> = locked
        .iter()
        .filter_map(|campaign| Some((campaign.id, campaign.per_customer_limit?)))
        .collect();
    if limits.is_empty() {
        return Ok(());
    }
    let limited: Vec<Uuid> = limits.keys().copied().collect();
    let used: Vec<CustomerUses> = diesel::sql_query(
        "SELECT u.campaign_id, count(*) AS uses FROM campaign_uses u \
         JOIN customers c ON c.tenant_id = u.tenant_id AND c.id = u.customer_id \
         WHERE c.tenant_id = $1 AND c.phone = $2 AND u.campaign_id = ANY($3) \
         GROUP BY u.campaign_id",
    )
    .bind::<SqlUuid, _>(order.tenant.as_uuid())
    .bind::<Text, _>(order.customer_phone.as_str())
    .bind::<Array<SqlUuid>, _>(&limited)
    .load(conn)
    .await?;
    let mut exhausted: Vec<Uuid> = used
        .iter()
        .filter(|row| {
            limits
                .get(&row.campaign_id)
                .is_some_and(|limit| row.uses >= i64::from(*limit))
        })
        .map(|row| row.campaign_id)
        .collect();
    exhausted.sort();
    match <[Uuid]>::first(&exhausted) {
        Some(campaign) => Err(PlaceFailure::Exhausted(CampaignId::from_uuid(*campaign))),
        None => Ok(()),
    }
}

/// What [`PLACE_ORDER`] answers: whether the key was this order's (always, without one, and
/// when the key was not tried for a shortfall), the products with enough stock, the campaigns
/// with a use left, and when it placed the order, its number, customer, creation time and first
/// history entry's time.
type Written = (
    bool,
    Vec<Uuid>,
    Vec<Uuid>,
    Option<i64>,
    Option<Uuid>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    bool,
);

/// The order as written, from what the statement was given and what it answered.
fn answer(
    order: &NewOrder,
    statement: &PlaceOrderStatement,
    written: Written,
) -> Result<OrderDetail, PlaceFailure> {
    let (_, taken, counted, number, customer, created_at, history_at, slot_room) = written;
    let short: Vec<ProductId> = statement
        .stock_products
        .iter()
        .filter(|product| !taken.contains(product))
        .map(|product| ProductId::from_uuid(*product))
        .collect();
    if !short.is_empty() {
        return Err(PlaceFailure::OutOfStock(short));
    }
    if let Some(campaign) = statement
        .campaigns
        .iter()
        .find(|campaign| !counted.contains(campaign))
    {
        return Err(PlaceFailure::Exhausted(CampaignId::from_uuid(*campaign)));
    }
    if !slot_room {
        return Err(PlaceFailure::SlotFull);
    }
    let (Some(number), Some(customer), Some(created_at), Some(history_at)) =
        (number, customer, created_at, history_at)
    else {
        return Err(PlaceFailure::Repo(RepoError::Internal(
            "the order statement took stock and campaigns but placed no order".into(),
        )));
    };
    let price = &order.price;
    let clamp = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
    Ok(OrderDetail {
        id: OrderId::from_uuid(statement.order_id),
        number,
        tenant_id: order.tenant,
        store_id: order.store,
        store_name: order.store_name.clone(),
        status: OrderStatus::Pending,
        fulfillment: order.fulfillment,
        customer: OrderCustomer {
            id: CustomerId::from_uuid(customer),
            name: order.customer_name.clone(),
            phone: order.customer_phone.as_str().to_owned(),
        },
        items: price
            .lines
            .iter()
            .map(|line| OrderItem {
                product_id: Some(line.product_id),
                name: line.name.clone(),
                quantity: clamp(line.quantity),
                unit_price_cents: line.unit_price_cents,
                line_total_cents: line.line_total_cents,
                notes: line.notes.clone(),
                addons: line
                    .addons
                    .iter()
                    .map(|addon| OrderItemAddon {
                        addon_id: Some(addon.id),
                        name: addon.name.clone(),
                        group_name: addon.group_name.clone(),
                        quantity: clamp(addon.quantity),
                        unit_price_cents: addon.unit_price_cents,
                    })
                    .collect(),
            })
            .collect(),
        subtotal_cents: price.subtotal_cents,
        discount_cents: price.discount_cents,
        shipping_fee_cents: price.shipping_fee_cents,
        total_cents: price.total_cents,
        payment_method: order.payment_method,
        payment_status: payment_status(order).as_str().into(),
        change_for_cents: order.change_for_cents,
        pix: order.pix.as_ref().map(|pix| OrderPix {
            provider: pix.provider,
            txid: pix.txid.clone(),
            copy_paste: pix.copy_paste.clone(),
            expires_at: DateTime::from_timestamp_micros(pix.expires_at.timestamp_micros())
                .unwrap_or(pix.expires_at),
            paid_at: None,
            flag: None,
        }),
        delivery: order.delivery.as_ref().map(|delivery| OrderDelivery {
            address: delivery.address.clone(),
            latitude: delivery.latitude,
            longitude: delivery.longitude,
            distance_km: delivery.distance_km,
            fee_cents: delivery.fee_cents,
            eta_minutes: delivery.eta_minutes,
            source: delivery.source.as_str().to_owned(),
        }),
        scheduled_for: statement.scheduled_for,
        campaign_ids: statement
            .campaigns
            .iter()
            .map(|campaign| CampaignId::from_uuid(*campaign))
            .collect(),
        cancel_reason: None,
        history: vec![StatusChange {
            from: None,
            to: OrderStatus::Pending,
            actor_user_id: None,
            reason: None,
            at: history_at,
        }],
        created_at,
        updated_at: created_at,
    })
}

/// A PIX charge waits for its payment; everything else is paid on delivery.
fn payment_status(order: &NewOrder) -> PaymentStatus {
    if order.pix.is_some() {
        PaymentStatus::AwaitingPayment
    } else {
        PaymentStatus::OnDelivery
    }
}

/// The order's one statement. Its parameters are named once, in the `p` row, and every step
/// reads them from there. It checks before it writes: stock and campaign rows are locked and
/// read, the key is claimed only when all of both are there (`enough`), and nothing is written
/// unless the key is this order's (`go`). So a shortfall or a key already used writes nothing,
/// and the statement can run as a transaction of its own.
const PLACE_ORDER: &str = "\
locked_stock AS MATERIALIZED (
    SELECT s.product_id, s.quantity FROM stock_levels s, p
    WHERE s.tenant_id = p.tenant_id AND s.store_id = p.store_id
      AND s.product_id = ANY (p.stock_products)
    ORDER BY s.product_id
    FOR UPDATE OF s
), enough_stock AS (
    SELECT w.product_id, w.quantity, w.movement_id
    FROM p, unnest(p.stock_products, p.stock_quantities, p.movement_ids)
         AS w (product_id, quantity, movement_id)
    JOIN locked_stock l ON l.product_id = w.product_id
    WHERE l.quantity >= w.quantity
), locked_campaigns AS MATERIALIZED (
    SELECT c.id, c.uses, c.usage_limit FROM campaigns c, p
    WHERE c.tenant_id = p.tenant_id AND c.id = ANY (p.campaigns)
      AND (SELECT count(*) FROM locked_stock) >= 0
    ORDER BY c.id
    FOR UPDATE OF c
), campaigns_left AS (
    SELECT id FROM locked_campaigns WHERE usage_limit IS NULL OR uses < usage_limit
), locked_slot AS MATERIALIZED (
    SELECT s.booked FROM store_slot_bookings s, p
    WHERE s.tenant_id = p.tenant_id AND s.store_id = p.store_id AND s.slot_start = p.slot_start
      AND (SELECT count(*) FROM locked_campaigns) >= 0
    FOR UPDATE OF s
), slot_room AS (
    SELECT p.slot_start IS NULL
        OR COALESCE((SELECT booked FROM locked_slot), 0) < p.slot_capacity AS room
    FROM p
), enough AS (
    SELECT (SELECT count(*) FROM enough_stock) = cardinality(p.stock_products)
       AND (SELECT count(*) FROM campaigns_left) = cardinality(p.campaigns)
       AND (SELECT room FROM slot_room) AS enough
    FROM p
), claim_key AS (
    INSERT INTO idempotency_keys (tenant_id, key, request_hash, order_id)
    SELECT p.tenant_id, p.key, p.request_hash, p.order_id FROM p, enough
    WHERE p.key IS NOT NULL AND enough.enough
    ON CONFLICT DO NOTHING
    RETURNING 1
), go AS (
    SELECT enough.enough AND ours AS go, ours OR NOT enough.enough AS claimed
    FROM p, enough, LATERAL (
        SELECT p.key IS NULL
            OR EXISTS (SELECT 1 FROM claim_key)
            OR EXISTS (SELECT 1 FROM idempotency_keys k
                       WHERE k.tenant_id = p.tenant_id AND k.key = p.key
                         AND k.order_id = p.order_id) AS ours
    ) key
), take_slot AS (
    UPDATE store_slot_bookings s SET booked = s.booked + 1
    FROM p, go
    WHERE go.go AND s.tenant_id = p.tenant_id AND s.store_id = p.store_id
      AND s.slot_start = p.slot_start
), take_stock AS (
    UPDATE stock_levels s
    SET quantity = s.quantity - e.quantity, updated_at = now()
    FROM p, go, enough_stock e
    WHERE go.go AND s.tenant_id = p.tenant_id AND s.store_id = p.store_id
      AND s.product_id = e.product_id
    RETURNING s.product_id, s.quantity AS quantity_after, e.quantity, e.movement_id
), count_campaign_uses AS (
    UPDATE campaigns c SET uses = c.uses + 1
    FROM p, go
    WHERE go.go AND c.tenant_id = p.tenant_id AND c.id IN (SELECT id FROM campaigns_left)
    RETURNING c.id
), customer AS (
    INSERT INTO customers (id, tenant_id, name, phone)
    SELECT p.customer_id, p.tenant_id, p.customer_name, p.customer_phone FROM p, go WHERE go.go
    ON CONFLICT (tenant_id, phone) DO UPDATE SET updated_at = now()
    RETURNING id
), order_number AS (
    INSERT INTO tenant_order_counters (tenant_id, last_number)
    SELECT p.tenant_id, 1 FROM p, customer
    ON CONFLICT (tenant_id)
    DO UPDATE SET last_number = tenant_order_counters.last_number + 1
    RETURNING last_number
), placed AS (
    INSERT INTO orders (id, tenant_id, number, store_id, customer_id, customer_name, status,
                        fulfillment, subtotal_cents, discount_cents, shipping_fee_cents,
                        total_cents, campaign_ids, scheduled_for, slot_start)
    SELECT p.order_id, p.tenant_id, n.last_number, p.store_id, c.id, p.customer_name, 'pending',
           p.fulfillment, p.subtotal_cents, p.discount_cents, p.shipping_fee_cents,
           p.total_cents, p.campaigns, p.scheduled_for, p.slot_start
    FROM p, order_number n, customer c
    RETURNING id, number, customer_id, created_at
), order_items_written AS (
    INSERT INTO order_items (id, tenant_id, order_id, product_id, product_name, quantity,
                             unit_price_cents, line_total_cents, notes, position)
    SELECT i.id, p.tenant_id, placed.id, i.product_id, i.name, i.quantity, i.unit_price_cents,
           i.line_total_cents, i.notes, i.position
    FROM p, placed,
         unnest(p.item_ids, p.item_products, p.item_names, p.item_quantities,
                p.item_unit_prices, p.item_line_totals, p.item_notes, p.item_positions)
         AS i (id, product_id, name, quantity, unit_price_cents, line_total_cents, notes, position)
    RETURNING id
), addons_written AS (
    INSERT INTO order_item_addons (id, tenant_id, order_item_id, addon_id, addon_name,
                                   group_name, quantity, unit_price_cents)
    SELECT a.id, p.tenant_id, a.item_id, a.addon_id, a.name, a.group_name, a.quantity,
           a.unit_price_cents
    FROM p, unnest(p.addon_ids, p.addon_items, p.addon_addons, p.addon_names, p.addon_groups,
                   p.addon_quantities, p.addon_unit_prices)
         AS a (id, item_id, addon_id, name, group_name, quantity, unit_price_cents)
    WHERE a.item_id IN (SELECT id FROM order_items_written)
), payment_written AS (
    INSERT INTO order_payments (order_id, tenant_id, method, status, amount_cents,
                                change_for_cents, provider, txid, copy_paste, expires_at)
    SELECT placed.id, p.tenant_id, p.payment_method, p.payment_status, p.total_cents,
           p.change_for_cents, p.pix_provider, p.pix_txid, p.pix_copy_paste, p.pix_expires_at
    FROM p, placed
), delivery_written AS (
    INSERT INTO order_deliveries (order_id, tenant_id, cep, street, number, complement, district,
                                  city, state, latitude, longitude, distance_km, fee_cents,
                                  eta_minutes, band_id, area_id, source)
    SELECT placed.id, p.tenant_id, p.cep, p.street, p.street_number, p.complement, p.district,
           p.city, p.state, p.latitude, p.longitude, p.distance_km, p.delivery_fee_cents,
           p.eta_minutes, p.band_id, p.area_id, p.distance_source
    FROM p, placed
    WHERE p.cep IS NOT NULL
), history_written AS (
    INSERT INTO order_status_history (id, tenant_id, order_id, to_status)
    SELECT p.history_id, p.tenant_id, placed.id, 'pending' FROM p, placed
    RETURNING created_at
), uses_written AS (
    INSERT INTO campaign_uses (campaign_id, tenant_id, customer_id, order_id)
    SELECT u.id, p.tenant_id, placed.customer_id, placed.id
    FROM p, placed, count_campaign_uses u
), movements_written AS (
    INSERT INTO stock_movements (id, tenant_id, store_id, product_id, delta, quantity_after,
                                 reason, order_id)
    SELECT t.movement_id, p.tenant_id, p.store_id, t.product_id, -t.quantity, t.quantity_after,
           'sale', placed.id
    FROM p, placed, take_stock t
), jobs_written AS (
    INSERT INTO outbox (id, tenant_id, kind, payload)
    SELECT j.id, p.tenant_id, j.kind,
           jsonb_build_object('order_id', placed.id, 'number', placed.number,
                              'store_id', p.store_id)
    FROM p, placed, unnest(p.job_ids, p.job_kinds) AS j (id, kind)
)
SELECT go.claimed,
       ARRAY(SELECT product_id FROM enough_stock),
       ARRAY(SELECT id FROM campaigns_left),
       placed.number, placed.customer_id, placed.created_at,
       (SELECT created_at FROM history_written),
       (SELECT room FROM slot_room)
FROM go LEFT JOIN placed ON TRUE";

/// The statement's parameters, owned, so diesel keeps it prepared per connection (a plain
/// `sql_query` is prepared again on every run).
struct PlaceOrderStatement {
    tenant_id: Uuid,
    key: Option<String>,
    request_hash: Option<String>,
    order_id: Uuid,
    store_id: Uuid,
    stock_products: Vec<Uuid>,
    stock_quantities: Vec<i32>,
    movement_ids: Vec<Uuid>,
    campaigns: Vec<Uuid>,
    customer_id: Uuid,
    customer_name: String,
    customer_phone: String,
    fulfillment: &'static str,
    subtotal_cents: i64,
    discount_cents: i64,
    shipping_fee_cents: i64,
    total_cents: i64,
    scheduled_for: Option<DateTime<Utc>>,
    item_ids: Vec<Uuid>,
    item_products: Vec<Uuid>,
    item_names: Vec<String>,
    item_quantities: Vec<i32>,
    item_unit_prices: Vec<i64>,
    item_line_totals: Vec<i64>,
    item_notes: Vec<String>,
    item_positions: Vec<i32>,
    addon_ids: Vec<Uuid>,
    addon_items: Vec<Uuid>,
    addon_addons: Vec<Uuid>,
    addon_names: Vec<String>,
    addon_groups: Vec<String>,
    addon_quantities: Vec<i32>,
    addon_unit_prices: Vec<i64>,
    payment_method: &'static str,
    change_for_cents: Option<i64>,
    payment_status: &'static str,
    pix_provider: Option<&'static str>,
    pix_txid: Option<String>,
    pix_copy_paste: Option<String>,
    pix_expires_at: Option<DateTime<Utc>>,
    cep: Option<String>,
    street: Option<String>,
    street_number: Option<String>,
    complement: Option<String>,
    district: Option<String>,
    city: Option<String>,
    state: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    distance_km: Option<f64>,
    delivery_fee_cents: Option<i64>,
    eta_minutes: Option<i32>,
    band_id: Option<Uuid>,
    area_id: Option<Uuid>,
    distance_source: Option<&'static str>,
    history_id: Uuid,
    slot_start: Option<DateTime<Utc>>,
    slot_capacity: Option<i32>,
    job_ids: Vec<Uuid>,
    job_kinds: Vec<&'static str>,
}

impl PlaceOrderStatement {
    fn new(order: &NewOrder) -> Self {
        let clamp = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
        let price = &order.price;
        // One row per product, in product order (the order their rows are locked in).
        let mut stock: Vec<(Uuid, i32)> = Vec::with_capacity(order.stock.len());
        for (product, quantity) in &order.stock {
            match stock.iter_mut().find(|(id, _)| *id == product.as_uuid()) {
                Some((_, total)) => *total = total.saturating_add(*quantity),
                None => stock.push((product.as_uuid(), *quantity)),
            }
        }
        stock.sort();
        let mut campaigns: Vec<Uuid> = price
            .applied_campaigns()
            .iter()
            .map(CampaignId::as_uuid)
            .collect();
        campaigns.sort();
        let item_ids: Vec<Uuid> = price.lines.iter().map(|_| Uuid::now_v7()).collect();
        let mut statement = Self {
            tenant_id: order.tenant.as_uuid(),
            key: order.idempotency.as_ref().map(|key| key.key.clone()),
            request_hash: order
                .idempotency
                .as_ref()
                .map(|key| key.request_hash.clone()),
            order_id: OrderId::generate().as_uuid(),
            store_id: order.store.as_uuid(),
            movement_ids: stock.iter().map(|_| Uuid::now_v7()).collect(),
            stock_products: stock.iter().map(|(id, _)| *id).collect(),
            stock_quantities: stock.iter().map(|(_, quantity)| *quantity).collect(),
            campaigns,
            customer_id: CustomerId::generate().as_uuid(),
            customer_name: order.customer_name.clone(),
            customer_phone: order.customer_phone.as_str().to_owned(),
            fulfillment: order.fulfillment.as_str(),
            subtotal_cents: price.subtotal_cents,
            discount_cents: price.discount_cents,
            shipping_fee_cents: price.shipping_fee_cents,
            total_cents: price.total_cents,
            // Stored to the microsecond: the answer says what a read would.
            scheduled_for: order
                .scheduled_for
                .and_then(|at| DateTime::from_timestamp_micros(at.timestamp_micros())),
            item_products: price.lines.iter().map(|l| l.product_id.as_uuid()).collect(),
            item_names: price.lines.iter().map(|l| l.name.clone()).collect(),
            item_quantities: price.lines.iter().map(|l| clamp(l.quantity)).collect(),
            item_unit_prices: price.lines.iter().map(|l| l.unit_price_cents).collect(),
            item_line_totals: price.lines.iter().map(|l| l.line_total_cents).collect(),
            item_notes: price.lines.iter().map(|l| l.notes.clone()).collect(),
            item_positions: (0..price.lines.len())
                .map(|position| i32::try_from(position).unwrap_or(i32::MAX))
                .collect(),
            item_ids: item_ids.clone(),
            addon_ids: Vec::new(),
            addon_items: Vec::new(),
            addon_addons: Vec::new(),
            addon_names: Vec::new(),
            addon_groups: Vec::new(),
            addon_quantities: Vec::new(),
            addon_unit_prices: Vec::new(),
            payment_method: order.payment_method.as_str(),
            change_for_cents: order.change_for_cents,
            payment_status: payment_status(order).as_str(),
            pix_provider: order.pix.as_ref().map(|pix| pix.provider.as_str()),
            pix_txid: order.pix.as_ref().map(|pix| pix.txid.clone()),
            pix_copy_paste: order.pix.as_ref().map(|pix| pix.copy_paste.clone()),
            pix_expires_at: order
                .pix
                .as_ref()
                .and_then(|pix| DateTime::from_timestamp_micros(pix.expires_at.timestamp_micros())),
            cep: None,
            street: None,
            street_number: None,
            complement: None,
            district: None,
            city: None,
            state: None,
            latitude: None,
            longitude: None,
            distance_km: None,
            delivery_fee_cents: None,
            eta_minutes: None,
            band_id: None,
            area_id: None,
            distance_source: None,
            history_id: Uuid::now_v7(),
            slot_start: order
                .slot
                .and_then(|(start, _)| DateTime::from_timestamp_micros(start.timestamp_micros())),
            slot_capacity: order.slot.map(|(_, capacity)| capacity),
            job_ids: order.notifications.iter().map(|_| Uuid::now_v7()).collect(),
            job_kinds: order.notifications.clone(),
        };
        for (line, item_id) in price.lines.iter().zip(&item_ids) {
            for addon in &line.addons {
                statement.addon_ids.push(Uuid::now_v7());
                statement.addon_items.push(*item_id);
                statement.addon_addons.push(addon.id.as_uuid());
                statement.addon_names.push(addon.name.clone());
                statement.addon_groups.push(addon.group_name.clone());
                statement.addon_quantities.push(clamp(addon.quantity));
                statement.addon_unit_prices.push(addon.unit_price_cents);
            }
        }
        if let Some(delivery) = &order.delivery {
            let address = &delivery.address;
            statement.cep = Some(address.cep.clone());
            statement.street = Some(address.street.clone());
            statement.street_number = Some(address.number.clone());
            statement.complement = Some(address.complement.clone());
            statement.district = Some(address.district.clone());
            statement.city = Some(address.city.clone());
            statement.state = Some(address.state.clone());
            statement.latitude = delivery.latitude;
            statement.longitude = delivery.longitude;
            statement.distance_km = Some(delivery.distance_km);
            statement.delivery_fee_cents = Some(delivery.fee_cents);
            statement.eta_minutes = Some(delivery.eta_minutes);
            statement.band_id = delivery.band_id.map(|band| band.as_uuid());
            statement.area_id = delivery.area_id.map(|area| area.as_uuid());
            statement.distance_source = Some(delivery.source.as_str());
        }
        statement
    }
}

impl QueryId for PlaceOrderStatement {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for PlaceOrderStatement {
    type SqlType = (
        Bool,
        Array<SqlUuid>,
        Array<SqlUuid>,
        Nullable<BigInt>,
        Nullable<SqlUuid>,
        Nullable<Timestamptz>,
        Nullable<Timestamptz>,
        Bool,
    );
}

impl QueryFragment<Pg> for PlaceOrderStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        /// One named parameter of the `p` row.
        // Cast in the text too, so the statement reads the same with its values inlined (the
        // benchmark replays it so).
        macro_rules! param {
            ($first:expr, $sql_type:ty, $value:expr, $name:literal, $cast:literal) => {
                out.push_sql(if $first { "WITH p AS (SELECT " } else { ", " });
                out.push_bind_param::<$sql_type, _>($value)?;
                out.push_sql(concat!("::", $cast, " AS ", $name));
            };
        }
        param!(true, SqlUuid, &self.tenant_id, "tenant_id", "uuid");
        param!(false, Nullable<Text>, &self.key, "key", "text");
        param!(
            false,
            Nullable<Text>,
            &self.request_hash,
            "request_hash",
            "text"
        );
        param!(false, SqlUuid, &self.order_id, "order_id", "uuid");
        param!(false, SqlUuid, &self.store_id, "store_id", "uuid");
        param!(
            false,
            Array<SqlUuid>,
            &self.stock_products,
            "stock_products",
            "uuid[]"
        );
        param!(
            false,
            Array<Integer>,
            &self.stock_quantities,
            "stock_quantities",
            "int4[]"
        );
        param!(
            false,
            Array<SqlUuid>,
            &self.movement_ids,
            "movement_ids",
            "uuid[]"
        );
        param!(
            false,
            Array<SqlUuid>,
            &self.campaigns,
            "campaigns",
            "uuid[]"
        );
        param!(false, SqlUuid, &self.customer_id, "customer_id", "uuid");
        param!(false, Text, &self.customer_name, "customer_name", "text");
        param!(false, Text, &self.customer_phone, "customer_phone", "text");
        param!(false, Text, &self.fulfillment, "fulfillment", "text");
        param!(
            false,
            BigInt,
            &self.subtotal_cents,
            "subtotal_cents",
            "int8"
        );
        param!(
            false,
            BigInt,
            &self.discount_cents,
            "discount_cents",
            "int8"
        );
        param!(
            false,
            BigInt,
            &self.shipping_fee_cents,
            "shipping_fee_cents",
            "int8"
        );
        param!(false, BigInt, &self.total_cents, "total_cents", "int8");
        param!(
            false,
            Nullable<Timestamptz>,
            &self.scheduled_for,
            "scheduled_for",
            "timestamptz"
        );
        param!(false, Array<SqlUuid>, &self.item_ids, "item_ids", "uuid[]");
        param!(
            false,
            Array<SqlUuid>,
            &self.item_products,
            "item_products",
            "uuid[]"
        );
        param!(false, Array<Text>, &self.item_names, "item_names", "text[]");
        param!(
            false,
            Array<Integer>,
            &self.item_quantities,
            "item_quantities",
            "int4[]"
        );
        param!(
            false,
            Array<BigInt>,
            &self.item_unit_prices,
            "item_unit_prices",
            "int8[]"
        );
        param!(
            false,
            Array<BigInt>,
            &self.item_line_totals,
            "item_line_totals",
            "int8[]"
        );
        param!(false, Array<Text>, &self.item_notes, "item_notes", "text[]");
        param!(
            false,
            Array<Integer>,
            &self.item_positions,
            "item_positions",
            "int4[]"
        );
        param!(
            false,
            Array<SqlUuid>,
            &self.addon_ids,
            "addon_ids",
            "uuid[]"
        );
        param!(
            false,
            Array<SqlUuid>,
            &self.addon_items,
            "addon_items",
            "uuid[]"
        );
        param!(
            false,
            Array<SqlUuid>,
            &self.addon_addons,
            "addon_addons",
            "uuid[]"
        );
        param!(
            false,
            Array<Text>,
            &self.addon_names,
            "addon_names",
            "text[]"
        );
        param!(
            false,
            Array<Text>,
            &self.addon_groups,
            "addon_groups",
            "text[]"
        );
        param!(
            false,
            Array<Integer>,
            &self.addon_quantities,
            "addon_quantities",
            "int4[]"
        );
        param!(
            false,
            Array<BigInt>,
            &self.addon_unit_prices,
            "addon_unit_prices",
            "int8[]"
        );
        param!(false, Text, &self.payment_method, "payment_method", "text");
        param!(
            false,
            Nullable<BigInt>,
            &self.change_for_cents,
            "change_for_cents",
            "int8"
        );
        param!(false, Text, &self.payment_status, "payment_status", "text");
        param!(
            false,
            Nullable<Text>,
            &self.pix_provider,
            "pix_provider",
            "text"
        );
        param!(false, Nullable<Text>, &self.pix_txid, "pix_txid", "text");
        param!(
            false,
            Nullable<Text>,
            &self.pix_copy_paste,
            "pix_copy_paste",
            "text"
        );
        param!(
            false,
            Nullable<Timestamptz>,
            &self.pix_expires_at,
            "pix_expires_at",
            "timestamptz"
        );
        param!(false, Nullable<Text>, &self.cep, "cep", "text");
        param!(false, Nullable<Text>, &self.street, "street", "text");
        param!(
            false,
            Nullable<Text>,
            &self.street_number,
            "street_number",
            "text"
        );
        param!(
            false,
            Nullable<Text>,
            &self.complement,
            "complement",
            "text"
        );
        param!(false, Nullable<Text>, &self.district, "district", "text");
        param!(false, Nullable<Text>, &self.city, "city", "text");
        param!(false, Nullable<Text>, &self.state, "state", "text");
        param!(
            false,
            Nullable<Double>,
            &self.latitude,
            "latitude",
            "float8"
        );
        param!(
            false,
            Nullable<Double>,
            &self.longitude,
            "longitude",
            "float8"
        );
        param!(
            false,
            Nullable<Double>,
            &self.distance_km,
            "distance_km",
            "float8"
        );
        param!(
            false,
            Nullable<BigInt>,
            &self.delivery_fee_cents,
            "delivery_fee_cents",
            "int8"
        );
        param!(
            false,
            Nullable<Integer>,
            &self.eta_minutes,
            "eta_minutes",
            "int4"
        );
        param!(false, Nullable<SqlUuid>, &self.band_id, "band_id", "uuid");
        param!(false, Nullable<SqlUuid>, &self.area_id, "area_id", "uuid");
        param!(
            false,
            Nullable<Timestamptz>,
            &self.slot_start,
            "slot_start",
            "timestamptz"
        );
        param!(
            false,
            Nullable<Integer>,
            &self.slot_capacity,
            "slot_capacity",
            "int4"
        );
        param!(
            false,
            Nullable<Text>,
            &self.distance_source,
            "distance_source",
            "text"
        );
        param!(false, SqlUuid, &self.history_id, "history_id", "uuid");
        param!(false, Array<SqlUuid>, &self.job_ids, "job_ids", "uuid[]");
        param!(false, Array<Text>, &self.job_kinds, "job_kinds", "text[]");
        out.push_sql("), ");
        out.push_sql(PLACE_ORDER);
        Ok(())
    }
}
