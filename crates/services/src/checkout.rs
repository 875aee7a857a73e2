//! Checkout (docs/api.md#checkout): price an order from server data only, then place it in one
//! transaction (stock, coupon uses, order, outbox), with idempotent retries.

use crate::ErrorCode;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use comanda_domain::address::Cep;
use comanda_domain::catalog::{Product, ProductKind, StoreProductState, on_schedule};
use comanda_domain::geo::GeoPoint;
use comanda_domain::orders::{Fulfillment, PaymentMethod};
use comanda_domain::phone::Phone;
use comanda_domain::pizza::{MAX_FLAVORS, flavor_prices, flavors_label, pizza_price};
use comanda_domain::pricing::{
    AddonChoice, CampaignContext, OrderPrice, PricedLine, PricingError, ShippingCharge, price_line,
    price_order,
};
use comanda_domain::store::{Address, Store};
use comanda_domain::tenancy::{Module, TenantContext};
use comanda_domain::{AddonId, ComboSlotId, OrderId, PizzaSizeId, ProductId, StoreId};
use comanda_ports::campaigns::CampaignRepository;
use comanda_ports::catalog::CatalogRepository;
use comanda_ports::config::{ConfigRepository, TenantConfig};
use comanda_ports::inventory::InventoryRepository;
use comanda_ports::orders::{
    DeliveryInfo, IdempotencyKey, IdempotencyState, NewOrder, OrderDetail, OrderRepository,
    PlaceOrderError,
};
use comanda_ports::{Clock, TrackingTokens};

use crate::payments::PaymentService;
use crate::shipping::{Quote, ShippingService};
use crate::stores::StoreService;
use crate::{FieldProblem, ServiceError};

mod snapshot;

pub use snapshot::{Snapshots, StoreSnapshot};

/// Most lines in one order.
pub const MAX_LINES: usize = 50;

/// Notifications queued with every new order (sent by the outbox dispatcher).
pub const NEW_ORDER_NOTIFICATIONS: &[&str] = &[
    "whatsapp.order_confirmation",
    "telegram.new_order",
    "webpush.new_order",
];

#[derive(Debug, Clone)]
pub struct ItemInput {
    pub product_id: ProductId,
    pub quantity: u32,
    pub notes: String,
    pub addons: Vec<(AddonId, u32)>,
    /// A pizza's size and flavours (a flavour may repeat).
    pub size: Option<PizzaSizeId>,
    pub flavors: Vec<ProductId>,
    /// A combo's choices, slot by slot.
    pub slots: Vec<(ComboSlotId, Vec<ProductId>)>,
}

/// The checkout body (docs/api.md#checkout), ids already parsed. Client prices are not part of it.
#[derive(Debug, Clone)]
pub struct CheckoutInput {
    pub store_id: StoreId,
    pub fulfillment: Fulfillment,
    pub customer_name: String,
    pub customer_phone: String,
    pub address: Option<Address>,
    pub point: Option<GeoPoint>,
    pub items: Vec<ItemInput>,
    pub coupon_code: Option<String>,
    pub payment_method: PaymentMethod,
    pub change_for_cents: Option<i64>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub expected_shipping_fee_cents: Option<i64>,
    pub expected_total_cents: Option<i64>,
}

/// 409 `price_changed` with the figures the buyer should see now.
fn price_changed(price: &OrderPrice) -> ServiceError {
    ServiceError::ConflictWith {
        code: ErrorCode::PriceChanged,
        message: "The price changed since it was shown; review the new figures".into(),
        details: serde_json::json!({
            "shipping_fee_cents": price.shipping_fee_cents,
            "subtotal_cents": price.subtotal_cents,
            "discount_cents": price.discount_cents,
            "total_cents": price.total_cents,
        }),
    }
}

fn key_reused() -> ServiceError {
    invalid(
        ErrorCode::IdempotencyKeyReused,
        "This Idempotency-Key was used with a different request",
    )
}

/// A priced order, not yet placed.
#[derive(Debug, Clone)]
pub struct PricedCheckout {
    pub store: Store,
    pub phone: Phone,
    pub price: OrderPrice,
    pub quote: Option<Quote>,
    pub address: Option<Address>,
    /// Units to take from stock, for products that track it.
    pub stock: Vec<(ProductId, i32)>,
}

/// A placed order and the token its customer follows it with.
#[derive(Debug, Clone)]
pub struct PlacedOrder {
    pub order: OrderDetail,
    pub tracking_token: String,
    /// `true` when this answers a retry of an earlier request (same `Idempotency-Key`).
    pub replayed: bool,
}

/// What the checkout reads and writes through.
pub struct CheckoutPorts {
    pub catalog: Arc<dyn CatalogRepository>,
    pub campaigns: Arc<dyn CampaignRepository>,
    pub orders: Arc<dyn OrderRepository>,
    pub config: Arc<dyn ConfigRepository>,
    pub inventory: Arc<dyn InventoryRepository>,
    pub tracking: Arc<dyn TrackingTokens>,
    pub clock: Arc<dyn Clock>,
    pub payments: PaymentService,
}

#[derive(Clone)]
pub struct CheckoutService {
    snapshots: Snapshots,
    catalog: Arc<dyn CatalogRepository>,
    shipping: ShippingService,
    orders: Arc<dyn OrderRepository>,
    inventory: Arc<dyn InventoryRepository>,
    tracking: Arc<dyn TrackingTokens>,
    clock: Arc<dyn Clock>,
    payments: PaymentService,
}

/// When stock is weighed while pricing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StockCheck {
    /// Read the levels now (a preview): a short product is `out_of_stock` before any write.
    Now,
    /// Leave it to the order transaction, which takes the stock under locks and names what is
    /// short; levels are read here only to complete an `out_of_stock` already found.
    InTransaction,
}

fn invalid(code: ErrorCode, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        code,
        message: message.into(),
    }
}

fn out_of_stock(products: &[ProductId]) -> ServiceError {
    ServiceError::ConflictWith {
        code: ErrorCode::OutOfStock,
        message: "Some items are unavailable or short of stock".into(),
        details: serde_json::json!({ "items": products }),
    }
}

impl CheckoutService {
    pub fn new(stores: StoreService, shipping: ShippingService, ports: CheckoutPorts) -> Self {
        Self {
            snapshots: Snapshots::new(
                stores,
                shipping.clone(),
                ports.catalog.clone(),
                ports.campaigns,
                ports.config,
                ports.payments.repository(),
            ),
            catalog: ports.catalog,
            shipping,
            orders: ports.orders,
            inventory: ports.inventory,
            tracking: ports.tracking,
            clock: ports.clock,
            payments: ports.payments,
        }
    }

    /// Steps 1 to 6 of docs/api.md#checkout: everything but writing (a preview). Stock is read
    /// without locks here; the order transaction takes it again under locks.
    pub async fn price(
        &self,
        tenant: &TenantContext,
        input: &CheckoutInput,
    ) -> Result<PricedCheckout, ServiceError> {
        let snapshot = self.snapshot(tenant, input.store_id).await?;
        self.price_from(tenant, &snapshot, input, StockCheck::Now)
            .await
    }

    /// The store's snapshot, once the tenant is known to take orders.
    async fn snapshot(
        &self,
        tenant: &TenantContext,
        store: StoreId,
    ) -> Result<Arc<StoreSnapshot>, ServiceError> {
        // 1. The tenant takes orders, the store exists and is active.
        if !tenant.takes_orders() {
            return Err(ServiceError::Forbidden {
                code: ErrorCode::SubscriptionInactive,
                message: "This business is not taking orders right now".into(),
            });
        }
        self.snapshots.current(tenant, store).await
    }

    async fn price_from(
        &self,
        tenant: &TenantContext,
        snapshot: &StoreSnapshot,
        input: &CheckoutInput,
        stock_check: StockCheck,
    ) -> Result<PricedCheckout, ServiceError> {
        let store = &snapshot.store;
        let config = &snapshot.config;
        // 2. Open now, or a pre-order for a coming opening window.
        check_schedule(store, config, input.scheduled_for, self.clock.now())?;
        if let (Some(_), Some(at)) = (store.slot_rules(), input.scheduled_for)
            && !store.is_slot_start(at, self.clock.now())
        {
            return Err(invalid(
                ErrorCode::InvalidSlot,
                "scheduled_for must be the start of one of the store's slots (GET /stores/{id}/slots)",
            ));
        }
        // 3. A phone we can reach.
        let phone = Phone::parse(&input.customer_phone)
            .map_err(|error| invalid(ErrorCode::InvalidPhone, error.to_string()))?;
        check_lines(input)?;
        // 4 and 5. Where it goes, and what that costs.
        let (quote, address) = match input.fulfillment {
            Fulfillment::Pickup => {
                if !store.pickup_enabled {
                    return Err(invalid(
                        ErrorCode::PickupUnavailable,
                        "This store does not offer pickup",
                    ));
                }
                (None, None)
            }
            Fulfillment::Delivery => {
                let address = input.address.clone().ok_or_else(|| {
                    invalid(ErrorCode::InvalidAddress, "A delivery needs an address")
                })?;
                Cep::parse(&address.cep)
                    .map_err(|error| invalid(ErrorCode::InvalidAddress, error.to_string()))?;
                let quote = self
                    .shipping
                    .quote_within(
                        store,
                        &snapshot.bands,
                        &snapshot.areas,
                        &address,
                        input.point,
                    )
                    .await?;
                (Some(quote), Some(address))
            }
        };
        // 6. Lines from server prices, campaigns, totals.
        let (lines, stock) = self
            .price_lines(tenant, snapshot, input, stock_check)
            .await?;
        // A customer's past uses matter only while some campaign limits them.
        let customer_uses = if snapshot.limits_uses_per_customer() {
            self.orders.campaign_uses(tenant.id, &phone).await?
        } else {
            HashMap::new()
        };
        let context = CampaignContext {
            now: self.clock.now(),
            store: store.id,
            customer_uses: &customer_uses,
        };
        let area = quote.as_ref().and_then(|quote| quote.area);
        let shipping = quote.as_ref().map(|quote| ShippingCharge {
            fee_cents: quote.fee_cents,
            // An area's own threshold, else the store's.
            free_above_cents: area
                .and_then(|area| area.free_above_cents)
                .or(store.free_shipping_above_cents),
        });
        let price = price_order(
            lines,
            shipping,
            &snapshot.campaigns,
            input.coupon_code.as_deref(),
            &context,
        )
        .map_err(|error| invalid(ErrorCode::InvalidCoupon, error.to_string()))?;
        if let Some(area) = area
            && price.subtotal_cents < area.min_order_cents
        {
            return Err(invalid(
                ErrorCode::BelowMinimum,
                format!(
                    "The minimum order for this delivery area is {} cents",
                    area.min_order_cents
                ),
            ));
        }
        if price.subtotal_cents < config.min_order_cents {
            return Err(invalid(
                ErrorCode::BelowMinimumOrder,
                format!("The minimum order is {} cents", config.min_order_cents),
            ));
        }
        let fee_changed = input
            .expected_shipping_fee_cents
            .is_some_and(|expected| expected != price.shipping_fee_cents);
        let total_changed = input
            .expected_total_cents
            .is_some_and(|expected| expected != price.total_cents);
        if fee_changed || total_changed {
            return Err(price_changed(&price));
        }
        if let Some(change) = input.change_for_cents
            && (input.payment_method != PaymentMethod::Cash || change < price.total_cents)
        {
            return Err(ServiceError::field(
                "change_for_cents",
                "change is for cash payments, at least the order's total",
            ));
        }
        Ok(PricedCheckout {
            store: store.clone(),
            phone,
            price,
            quote,
            address,
            stock,
        })
    }

    /// Steps 7 to 9: places the priced order in one transaction. With an `Idempotency-Key`, a
    /// key already done answers its order (a replay) and a key used with another body is 422;
    /// a request racing another with the same key waits for it and answers its order.
    pub async fn place(
        &self,
        tenant: &TenantContext,
        input: &CheckoutInput,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<PlacedOrder, ServiceError> {
        let Some(key) = idempotency else {
            return self.price_and_place(tenant, input, None).await;
        };
        match self.orders.idempotency(tenant.id, &key).await? {
            IdempotencyState::Unused => {}
            IdempotencyState::Done(order) => return self.replay(tenant, order).await,
            IdempotencyState::Mismatch => return Err(key_reused()),
        }
        match self.price_and_place(tenant, input, Some(key.clone())).await {
            Ok(placed) => Ok(placed),
            // The first attempt may have committed while this one priced, and what it took (the
            // coupon's last use, the last units) is why this one was refused: answer its order.
            Err(refused) => match self.orders.idempotency(tenant.id, &key).await {
                Ok(IdempotencyState::Done(order)) => self.replay(tenant, order).await,
                Ok(IdempotencyState::Mismatch) => Err(key_reused()),
                Ok(IdempotencyState::Unused) | Err(_) => Err(refused),
            },
        }
    }

    /// The first answer of a key, again.
    async fn replay(
        &self,
        tenant: &TenantContext,
        order: OrderId,
    ) -> Result<PlacedOrder, ServiceError> {
        let order = self
            .orders
            .find(tenant.id, order)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        Ok(PlacedOrder {
            tracking_token: self.tracking.token_for(order.id),
            order,
            replayed: true,
        })
    }

    async fn price_and_place(
        &self,
        tenant: &TenantContext,
        input: &CheckoutInput,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<PlacedOrder, ServiceError> {
        let snapshot = self.snapshot(tenant, input.store_id).await?;
        let priced = self
            .price_from(tenant, &snapshot, input, StockCheck::InTransaction)
            .await?;
        let delivery = match (&priced.quote, &priced.address) {
            (Some(quote), Some(address)) => Some(DeliveryInfo {
                address: address.clone(),
                latitude: input.point.map(|point| point.lat()),
                longitude: input.point.map(|point| point.lng()),
                distance_km: quote.distance_km,
                fee_cents: quote.fee_cents,
                eta_minutes: quote.eta_minutes,
                band_id: quote.band_id,
                area_id: quote.area.map(|area| area.id),
                source: quote.source,
            }),
            _ => None,
        };
        // A PIX order of a tenant that set up its receiver waits for its payment: the store
        // hears of it once paid. Without the settings, PIX is paid on delivery as before.
        let pix = match &snapshot.pix {
            Some(receiver)
                if input.payment_method == PaymentMethod::Pix
                    && tenant.has_module(Module::Payments) =>
            {
                let description = format!("Pedido {}", priced.store.name);
                Some(
                    self.payments
                        .charge(tenant.id, receiver, priced.price.total_cents, &description)
                        .await,
                )
            }
            _ => None,
        };
        let waits_for_payment = pix.is_some();
        let notifications = if waits_for_payment {
            Vec::new()
        } else {
            NEW_ORDER_NOTIFICATIONS.to_vec()
        };
        let order = self
            .orders
            .place(NewOrder {
                tenant: tenant.id,
                store: priced.store.id,
                store_name: priced.store.name.clone(),
                fulfillment: input.fulfillment,
                customer_name: input.customer_name.trim().to_owned(),
                customer_phone: priced.phone,
                price: priced.price,
                payment_method: input.payment_method,
                change_for_cents: input.change_for_cents,
                scheduled_for: input.scheduled_for,
                delivery,
                stock: priced.stock,
                notifications,
                idempotency,
                pix,
                slot: priced
                    .store
                    .slot_rules()
                    .zip(input.scheduled_for)
                    .map(|((_, capacity), at)| (at, capacity)),
            })
            .await;
        let order = match order {
            Ok(order) => order,
            Err(PlaceOrderError::AlreadyPlaced(order)) => return self.replay(tenant, order).await,
            Err(PlaceOrderError::KeyReused) => return Err(key_reused()),
            Err(PlaceOrderError::SlotFull) => {
                return Err(ServiceError::conflict(
                    ErrorCode::SlotFull,
                    "This slot is full; choose another (GET /stores/{id}/slots)",
                ));
            }
            Err(PlaceOrderError::OutOfStock(products)) => return Err(out_of_stock(&products)),
            Err(PlaceOrderError::CampaignExhausted(_)) if input.coupon_code.is_some() => {
                return Err(invalid(
                    ErrorCode::InvalidCoupon,
                    "The coupon ran out of uses before the order was placed",
                ));
            }
            // An automatic discount the buyer never asked for ran out meanwhile: the price
            // without it is the new price, for the buyer to confirm.
            Err(PlaceOrderError::CampaignExhausted(_)) => {
                // Read fresh: this request's version may predate the last use.
                let fresh = self.snapshots.fresh(tenant.id, input.store_id).await?;
                let repriced = self
                    .price_from(tenant, &fresh, input, StockCheck::Now)
                    .await?;
                return Err(price_changed(&repriced.price));
            }
            Err(PlaceOrderError::Repo(error)) => return Err(error.into()),
        };
        // Auto-accept: a PIX order is accepted once paid instead.
        let order = if snapshot.config.auto_accept && !waits_for_payment {
            crate::orders::accept_automatically(self.orders.as_ref(), tenant.id, order.id)
                .await
                .unwrap_or(order)
        } else {
            order
        };
        Ok(PlacedOrder {
            tracking_token: self.tracking.token_for(order.id),
            order,
            replayed: false,
        })
    }

    /// Prices each line from the snapshot's products; unknown products and bad add-ons are
    /// field errors, unavailable or short products one `out_of_stock` naming them all.
    async fn price_lines(
        &self,
        tenant: &TenantContext,
        snapshot: &StoreSnapshot,
        input: &CheckoutInput,
        stock_check: StockCheck,
    ) -> Result<(Vec<PricedLine>, Vec<(ProductId, i32)>), ServiceError> {
        // Inactive products are not in the snapshot: read those (and unknown ids) as stored,
        // which only a request naming one pays for.
        let mut missing: Vec<ProductId> = input
            .items
            .iter()
            .map(|item| item.product_id)
            .filter(|id| !snapshot.products.contains_key(id))
            .collect();
        missing.sort();
        missing.dedup();
        let inactive: HashMap<ProductId, (Product, StoreProductState)> = if missing.is_empty() {
            HashMap::new()
        } else {
            self.catalog
                .products_in_store(tenant.id, snapshot.store.id, &missing)
                .await?
                .into_iter()
                .map(|(product, state)| (product.id, (product, state)))
                .collect()
        };
        let find = |id: &ProductId| snapshot.products.get(id).or_else(|| inactive.get(id));
        let mut problems = Vec::new();
        let mut unavailable = Vec::new();
        let mut off_schedule: Vec<String> = Vec::new();
        // Sold at the time the order is for: now, or a pre-order's time.
        let at = input.scheduled_for.unwrap_or(self.clock.now());
        let time_zone = snapshot.store.time_zone;
        let mut lines = Vec::with_capacity(input.items.len());
        let mut wanted: HashMap<ProductId, i64> = HashMap::new();
        for (index, item) in input.items.iter().enumerate() {
            let Some((product, state)) = find(&item.product_id) else {
                problems.push(FieldProblem {
                    field: format!("items[{index}].product_id"),
                    message: "unknown product".into(),
                });
                continue;
            };
            let ordered;
            let (line_product, flavors) = if product.kind == ProductKind::Pizza {
                match pizza_as_ordered(snapshot, product, item, index) {
                    Ok((pizza, flavors)) => {
                        ordered = pizza;
                        (&ordered, flavors)
                    }
                    Err(problem) => {
                        problems.push(problem);
                        continue;
                    }
                }
            } else if product.kind == ProductKind::Combo {
                match combo_as_ordered(snapshot, product, item, index) {
                    Ok((combo, chosen)) => {
                        ordered = combo;
                        (&ordered, chosen)
                    }
                    Err(problem) => {
                        problems.push(problem);
                        continue;
                    }
                }
            } else if snapshot
                .flavor_categories
                .contains_key(&product.category_id)
            {
                problems.push(FieldProblem {
                    field: format!("items[{index}].product_id"),
                    message: "a flavour is ordered inside its pizza".into(),
                });
                continue;
            } else if item.size.is_some() || !item.flavors.is_empty() {
                problems.push(FieldProblem {
                    field: format!("items[{index}].size_id"),
                    message: "only a pizza has sizes and flavours".into(),
                });
                continue;
            } else if !item.slots.is_empty() {
                problems.push(FieldProblem {
                    field: format!("items[{index}].slots"),
                    message: "only a combo has slots".into(),
                });
                continue;
            } else {
                (product, Vec::new())
            };
            let choices: Vec<AddonChoice> = item.addons.clone();
            match price_line(line_product, item.quantity, &choices, &item.notes) {
                Ok(line) => lines.push(line),
                Err(error) => {
                    let field = match error {
                        PricingError::Quantity => format!("items[{index}].quantity"),
                        _ => format!("items[{index}].addons"),
                    };
                    problems.push(FieldProblem {
                        field,
                        message: error.to_string(),
                    });
                    continue;
                }
            }
            // A pizza's flavours are checked like products; each distinct flavour in it takes
            // a unit of its stock per pizza when it tracks stock.
            let mut parts: Vec<(&Product, &StoreProductState)> = vec![(product, state)];
            for (flavor, flavor_state) in flavors {
                if !parts.iter().any(|(known, _)| known.id == flavor.id) {
                    parts.push((flavor, flavor_state));
                }
            }
            for (part, part_state) in parts {
                *wanted.entry(part.id).or_default() += i64::from(item.quantity);
                // Stock is weighed below, for the whole order's quantity.
                let scheduled = on_schedule(
                    snapshot.category_schedules.get(&part.category_id),
                    at,
                    time_zone,
                ) && on_schedule(part.schedule.as_ref(), at, time_zone);
                if !scheduled && !off_schedule.contains(&part.name) {
                    off_schedule.push(part.name.clone());
                }
                // A pre-order for after a sold-out mark ends may have it.
                let available = part.is_active && part_state.enabled && !part_state.sold_out_at(at);
                if !available && !unavailable.contains(&part.id) {
                    unavailable.push(part.id);
                }
            }
        }
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems));
        }
        if !off_schedule.is_empty() {
            return Err(invalid(
                ErrorCode::ItemUnavailable,
                format!(
                    "Not sold at this time (see its schedule): {}",
                    off_schedule.join(", ")
                ),
            ));
        }
        let mut stock: Vec<(ProductId, i32)> = wanted
            .iter()
            .filter(|(id, _)| find(id).is_some_and(|(product, _)| product.track_stock))
            .map(|(id, quantity)| (*id, i32::try_from(*quantity).unwrap_or(i32::MAX)))
            .collect();
        stock.sort();
        if stock_check == StockCheck::Now || !unavailable.is_empty() {
            let tracked: Vec<ProductId> = stock.iter().map(|(id, _)| *id).collect();
            let on_hand = self
                .inventory
                .on_hand(tenant.id, snapshot.store.id, &tracked)
                .await?;
            for (id, quantity) in &stock {
                let short = on_hand.get(id).copied().unwrap_or(0) < *quantity;
                if short && !unavailable.contains(id) {
                    unavailable.push(*id);
                }
            }
        }
        if !unavailable.is_empty() {
            unavailable.sort();
            return Err(out_of_stock(&unavailable));
        }
        Ok((lines, stock))
    }
}

/// A combo line as ordered: its price plus the chosen options' extras, named with them
/// ("Combo almoço (Suco, Pudim)"), and the products chosen (for stock and availability).
fn combo_as_ordered<'a>(
    snapshot: &'a StoreSnapshot,
    combo: &Product,
    item: &ItemInput,
    index: usize,
) -> Result<(Product, Vec<SnapshotProduct<'a>>), FieldProblem> {
    let problem = |field: String, message: String| FieldProblem { field, message };
    for (position, (slot, _)) in item.slots.iter().enumerate() {
        if !combo.slots.iter().any(|known| known.id == *slot) {
            return Err(problem(
                format!("items[{index}].slots[{position}].slot_id"),
                "not a slot of this combo".into(),
            ));
        }
        if item.slots[..position]
            .iter()
            .any(|(earlier, _)| earlier == slot)
        {
            return Err(problem(
                format!("items[{index}].slots[{position}].slot_id"),
                "listed twice".into(),
            ));
        }
    }
    let mut extras = 0i64;
    let mut names = Vec::new();
    let mut chosen = Vec::new();
    for slot in &combo.slots {
        let (position, picked) = item
            .slots
            .iter()
            .enumerate()
            .find(|(_, (id, _))| *id == slot.id)
            .map_or((None, &[][..]), |(position, (_, picked))| {
                (Some(position), picked.as_slice())
            });
        let field = position.map_or_else(
            || format!("items[{index}].slots"),
            |position| format!("items[{index}].slots[{position}].product_ids"),
        );
        let count = i64::try_from(picked.len()).unwrap_or(i64::MAX);
        if count < i64::from(slot.min_choices) || count > i64::from(slot.max_choices) {
            return Err(problem(
                field,
                format!(
                    "choose {} to {} in \"{}\"",
                    slot.min_choices, slot.max_choices, slot.name
                ),
            ));
        }
        for (pick, product) in picked.iter().enumerate() {
            let option = slot
                .options
                .iter()
                .find(|option| option.product_id == *product)
                .filter(|_| !picked[..pick].contains(product))
                .ok_or_else(|| {
                    problem(
                        format!("{field}[{pick}]"),
                        "not an option of this slot".into(),
                    )
                })?;
            extras = extras.saturating_add(option.extra_cents);
            // An option off the menu now (inactive) cannot be had: out of stock.
            let Some((found, state)) = snapshot.products.get(product) else {
                return Err(problem(
                    format!("{field}[{pick}]"),
                    "not on the menu now".into(),
                ));
            };
            names.push(found.name.clone());
            chosen.push((found, state));
        }
    }
    let mut ordered = combo.clone();
    ordered.price_cents = combo.price_cents.saturating_add(extras);
    if !names.is_empty() {
        ordered.name = format!("{} ({})", combo.name, names.join(", "));
    }
    Ok((ordered, chosen))
}

/// A product of the snapshot with its state in the store.
type SnapshotProduct<'a> = (&'a Product, &'a StoreProductState);

/// A pizza line as ordered: the pizza priced for its size and flavours by the tenant's
/// `pizza_pricing`, named with them ("Pizza Grande (½ Calabresa + ½ Margherita)"), and the
/// flavours chosen.
fn pizza_as_ordered<'a>(
    snapshot: &'a StoreSnapshot,
    pizza: &Product,
    item: &ItemInput,
    index: usize,
) -> Result<(Product, Vec<SnapshotProduct<'a>>), FieldProblem> {
    let problem = |field: String, message: String| FieldProblem { field, message };
    let size = item
        .size
        .and_then(|id| pizza.sizes.iter().find(|size| size.id == id))
        .ok_or_else(|| {
            problem(
                format!("items[{index}].size_id"),
                "choose one of the pizza's sizes".into(),
            )
        })?;
    let mut flavors = Vec::with_capacity(item.flavors.len());
    for (position, id) in item.flavors.iter().enumerate() {
        let flavor = snapshot
            .products
            .get(id)
            .filter(|(flavor, _)| {
                snapshot.flavor_categories.get(&flavor.category_id) == Some(&pizza.id)
            })
            .ok_or_else(|| {
                problem(
                    format!("items[{index}].flavors[{position}]"),
                    "not a flavour of this pizza".into(),
                )
            })?;
        flavors.push((&flavor.0, &flavor.1));
    }
    let listed: Vec<_> = flavors
        .iter()
        .map(|(flavor, _)| (flavor.id, flavor.name.as_str(), &flavor.flavor_prices))
        .collect();
    let field = format!("items[{index}].flavors");
    let priced =
        flavor_prices(size.id, &listed).map_err(|e| problem(field.clone(), e.to_string()))?;
    let max_flavors = u8::try_from(size.max_flavors).unwrap_or(MAX_FLAVORS);
    let price_cents = pizza_price(snapshot.config.pizza_pricing, max_flavors, &priced)
        .map_err(|e| problem(field, e.to_string()))?;
    let names: Vec<&str> = flavors
        .iter()
        .map(|(flavor, _)| flavor.name.as_str())
        .collect();
    let mut ordered = pizza.clone();
    ordered.price_cents = price_cents;
    ordered.name = format!("{} {} ({})", pizza.name, size.name, flavors_label(&names));
    Ok((ordered, flavors))
}

fn check_lines(input: &CheckoutInput) -> Result<(), ServiceError> {
    let mut problems = Vec::new();
    if input.customer_name.trim().is_empty() {
        problems.push(FieldProblem {
            field: "customer.name".into(),
            message: "must not be empty".into(),
        });
    }
    if input.items.is_empty() || input.items.len() > MAX_LINES {
        problems.push(FieldProblem {
            field: "items".into(),
            message: format!("an order has 1 to {MAX_LINES} items"),
        });
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(problems))
    }
}

/// Step 2: an order is for now while the store is open; otherwise (or when it says when) it
/// is a pre-order, which needs the store and the tenant to take them and a time inside a
/// coming opening window.
fn check_schedule(
    store: &Store,
    config: &TenantConfig,
    scheduled_for: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !config.accepting_orders {
        return Err(invalid(
            ErrorCode::StoreClosed,
            "The business is not taking orders right now",
        ));
    }
    let open_now = store.open_status(now).is_open;
    match scheduled_for {
        None if open_now => Ok(()),
        None => Err(invalid(
            ErrorCode::StoreClosed,
            "The store is closed; choose a time for a pre-order",
        )),
        Some(at) => {
            let takes_preorders = store.accepts_preorders && config.preorders_enabled;
            // Inside the hours, not on a closure day, not while paused.
            let in_window = at > now && !store.manually_closed && store.serves_at(at);
            if takes_preorders && in_window {
                Ok(())
            } else if !open_now {
                Err(invalid(
                    ErrorCode::StoreClosed,
                    "The store is closed and the time is not in a coming opening window",
                ))
            } else {
                Err(ServiceError::field(
                    "scheduled_for",
                    "choose a future time when the store is open",
                ))
            }
        }
    }
}
