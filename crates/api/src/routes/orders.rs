//! `POST /checkout/preview`, `POST /checkout`, `GET /orders`, `GET /orders/{order_id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use comanda_domain::orders::{Fulfillment, OrderStatus, PaymentMethod};
use comanda_domain::pricing::PricedLine;
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{AddonId, CustomerId, OrderId, ProductId, StoreId, TenantId};
use comanda_ports::orders::IdempotencyKey;
use comanda_ports::orders::{OrderDetail, OrderFilter, OrderSummary};
use comanda_services::checkout::{CheckoutInput, ItemInput, PricedCheckout};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery, Tenant, parse_value};
use crate::openapi::TenantHeaderParams;
use crate::routes::admin::stores::AddressInput;
use crate::routes::parse_id;
use crate::routes::shipping::client_point;
use crate::routes::stores::AddressView;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CustomerInput {
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddonSelection {
    pub addon_id: String,
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemRequest {
    pub product_id: String,
    pub quantity: u32,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub addons: Vec<AddonSelection>,
    /// A pizza's size (one of its `sizes`).
    pub size_id: Option<String>,
    /// A pizza's flavours, 1 to its size's `max_flavors` (a flavour may repeat).
    #[serde(default)]
    pub flavors: Vec<String>,
    /// A combo's choices: for each slot, the products chosen among its options.
    #[serde(default)]
    pub slots: Vec<SlotChoice>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SlotChoice {
    pub slot_id: String,
    #[serde(default)]
    pub product_ids: Vec<String>,
}

/// The checkout body (docs/api.md#checkout). Prices sent by the client are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckoutRequest {
    pub store_id: String,
    #[schema(value_type = String, example = "delivery")]
    pub fulfillment: Fulfillment,
    pub customer: CustomerInput,
    #[schema(value_type = Option<AddressView>)]
    pub address: Option<AddressInput>,
    /// The customer's coordinates, when known.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub items: Vec<ItemRequest>,
    pub coupon_code: Option<String>,
    #[schema(value_type = String, example = "pix")]
    pub payment_method: PaymentMethod,
    pub change_for_cents: Option<i64>,
    /// A pre-order's time, inside a coming opening window.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// What the client showed: a different figure answers 409 `price_changed`.
    pub expected_shipping_fee_cents: Option<i64>,
    pub expected_total_cents: Option<i64>,
}

impl CheckoutRequest {
    fn into_input(self) -> Result<CheckoutInput, ApiError> {
        let point = client_point(self.lat, self.lng)?;
        let items = self
            .items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                Ok(ItemInput {
                    product_id: parse_id::<ProductId>(
                        &item.product_id,
                        &format!("items[{index}].product_id"),
                    )?,
                    quantity: item.quantity,
                    notes: item.notes,
                    addons: item
                        .addons
                        .into_iter()
                        .enumerate()
                        .map(|(addon_index, addon)| {
                            Ok((
                                parse_id::<AddonId>(
                                    &addon.addon_id,
                                    &format!("items[{index}].addons[{addon_index}].addon_id"),
                                )?,
                                addon.quantity,
                            ))
                        })
                        .collect::<Result<_, ApiError>>()?,
                    size: item
                        .size_id
                        .as_deref()
                        .map(|raw| parse_id(raw, &format!("items[{index}].size_id")))
                        .transpose()?,
                    flavors: item
                        .flavors
                        .iter()
                        .enumerate()
                        .map(|(position, raw)| {
                            parse_id::<ProductId>(
                                raw,
                                &format!("items[{index}].flavors[{position}]"),
                            )
                        })
                        .collect::<Result<_, ApiError>>()?,
                    slots: item
                        .slots
                        .iter()
                        .enumerate()
                        .map(|(position, choice)| {
                            let field = format!("items[{index}].slots[{position}]");
                            Ok((
                                parse_id(&choice.slot_id, &format!("{field}.slot_id"))?,
                                choice
                                    .product_ids
                                    .iter()
                                    .enumerate()
                                    .map(|(pick, raw)| {
                                        parse_id::<ProductId>(
                                            raw,
                                            &format!("{field}.product_ids[{pick}]"),
                                        )
                                    })
                                    .collect::<Result<_, ApiError>>()?,
                            ))
                        })
                        .collect::<Result<_, ApiError>>()?,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(CheckoutInput {
            // An unknown store is 404 whatever its id looks like.
            store_id: self
                .store_id
                .trim()
                .parse::<StoreId>()
                .map_err(|_| ApiError::not_found("store not found"))?,
            fulfillment: self.fulfillment,
            customer_name: self.customer.name,
            customer_phone: self.customer.phone,
            address: self.address.map(Into::into),
            point,
            items,
            coupon_code: self.coupon_code,
            payment_method: self.payment_method,
            change_for_cents: self.change_for_cents,
            scheduled_for: self.scheduled_for,
            expected_shipping_fee_cents: self.expected_shipping_fee_cents,
            expected_total_cents: self.expected_total_cents,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddonLineView {
    pub addon_id: Option<String>,
    pub name: String,
    pub group_name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub product_id: Option<String>,
    pub name: String,
    pub quantity: i64,
    /// The product's price plus its add-ons, per unit.
    pub unit_price_cents: i64,
    pub line_total_cents: i64,
    pub notes: String,
    pub addons: Vec<AddonLineView>,
}

impl From<&PricedLine> for LineView {
    fn from(line: &PricedLine) -> Self {
        Self {
            product_id: Some(line.product_id.to_string()),
            name: line.name.clone(),
            quantity: i64::from(line.quantity),
            unit_price_cents: line.unit_price_cents,
            line_total_cents: line.line_total_cents,
            notes: line.notes.clone(),
            addons: line
                .addons
                .iter()
                .map(|addon| AddonLineView {
                    addon_id: Some(addon.id.to_string()),
                    name: addon.name.clone(),
                    group_name: addon.group_name.clone(),
                    quantity: i64::from(addon.quantity),
                    unit_price_cents: addon.unit_price_cents,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryQuoteView {
    pub distance_km: f64,
    pub eta_minutes: i32,
    /// The band's fee before free shipping.
    pub band_fee_cents: i64,
    pub source: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    pub lines: Vec<LineView>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_fee_cents: i64,
    pub total_cents: i64,
    pub applied_campaigns: Vec<String>,
    pub delivery: Option<DeliveryQuoteView>,
}

impl From<PricedCheckout> for PreviewResponse {
    fn from(priced: PricedCheckout) -> Self {
        Self {
            lines: priced.price.lines.iter().map(LineView::from).collect(),
            subtotal_cents: priced.price.subtotal_cents,
            discount_cents: priced.price.discount_cents,
            shipping_fee_cents: priced.price.shipping_fee_cents,
            total_cents: priced.price.total_cents,
            applied_campaigns: priced
                .price
                .applied_campaigns()
                .iter()
                .map(ToString::to_string)
                .collect(),
            delivery: priced.quote.map(|quote| DeliveryQuoteView {
                distance_km: quote.distance_km,
                eta_minutes: quote.eta_minutes,
                band_fee_cents: quote.fee_cents,
                source: quote.source.as_str().to_owned(),
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderCustomerView {
    pub id: String,
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub method: String,
    /// `awaiting_payment`, `paid`, `expired`, `refunded` (PIX charges) or `on_delivery`.
    pub status: String,
    pub change_for_cents: Option<i64>,
    /// The PIX charge's id (PIX orders of a tenant with PIX set up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txid: Option<String>,
    /// The BR Code ("PIX copia e cola") to paste in a bank app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_paste: Option<String>,
    /// The BR Code as an SVG QR code; works in a plain `<img src>` (the URL carries the token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_svg_url: Option<String>,
    /// Unpaid by then, the order is cancelled (`payment_expired`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// `static` (staff confirm) or `api_pix` (the provider confirms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
    /// For staff to look at: `amount_mismatch`, `paid_after_expiry`, `refund_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

/// Where the order's PIX QR code is served: `GET /orders/{id}/payment/qr.svg`.
pub fn qr_svg_url(tenant: TenantId, order: OrderId, token: &str) -> String {
    format!("/orders/{order}/payment/qr.svg?tenant_id={tenant}&token={token}")
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDeliveryView {
    pub address: AddressView,
    pub distance_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
    pub source: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChangeView {
    pub from: Option<String>,
    pub to: String,
    pub actor_user_id: Option<String>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    /// The tenant's sequential order number.
    pub number: i64,
    pub status: String,
    pub fulfillment: String,
    pub store_id: String,
    pub store_name: String,
    pub customer: OrderCustomerView,
    pub items: Vec<LineView>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_fee_cents: i64,
    pub total_cents: i64,
    pub payment: PaymentView,
    pub delivery: Option<OrderDeliveryView>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub campaign_ids: Vec<String>,
    pub cancel_reason: Option<String>,
    pub history: Vec<StatusChangeView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// For the customer's tracking link: `GET /orders/{id}?token=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_token: Option<String>,
}

impl OrderView {
    /// The view; `qr_token` (the order's tracking token) links its PIX QR code.
    pub fn new(order: OrderDetail, tracking_token: Option<String>, qr_token: Option<&str>) -> Self {
        let qr_svg_url = order
            .pix
            .as_ref()
            .zip(qr_token)
            .map(|(_, token)| qr_svg_url(order.tenant_id, order.id, token));
        let pix = order.pix.clone();
        Self {
            id: order.id.to_string(),
            number: order.number,
            status: order.status.as_str().to_owned(),
            fulfillment: order.fulfillment.as_str().to_owned(),
            store_id: order.store_id.to_string(),
            store_name: order.store_name,
            customer: OrderCustomerView {
                id: order.customer.id.to_string(),
                name: order.customer.name,
                phone: order.customer.phone,
            },
            items: order
                .items
                .into_iter()
                .map(|item| LineView {
                    product_id: item.product_id.map(|id| id.to_string()),
                    name: item.name,
                    quantity: i64::from(item.quantity),
                    unit_price_cents: item.unit_price_cents,
                    line_total_cents: item.line_total_cents,
                    notes: item.notes,
                    addons: item
                        .addons
                        .into_iter()
                        .map(|addon| AddonLineView {
                            addon_id: addon.addon_id.map(|id| id.to_string()),
                            name: addon.name,
                            group_name: addon.group_name,
                            quantity: i64::from(addon.quantity),
                            unit_price_cents: addon.unit_price_cents,
                        })
                        .collect(),
                })
                .collect(),
            subtotal_cents: order.subtotal_cents,
            discount_cents: order.discount_cents,
            shipping_fee_cents: order.shipping_fee_cents,
            total_cents: order.total_cents,
            payment: PaymentView {
                method: order.payment_method.as_str().to_owned(),
                status: order.payment_status,
                change_for_cents: order.change_for_cents,
                qr_svg_url,
                txid: pix.as_ref().map(|pix| pix.txid.clone()),
                copy_paste: pix.as_ref().map(|pix| pix.copy_paste.clone()),
                expires_at: pix.as_ref().map(|pix| pix.expires_at),
                provider: pix.as_ref().map(|pix| pix.provider.as_str().to_owned()),
                paid_at: pix.as_ref().and_then(|pix| pix.paid_at),
                flag: pix.and_then(|pix| pix.flag),
            },
            delivery: order.delivery.map(|delivery| OrderDeliveryView {
                address: AddressView {
                    cep: delivery.address.cep,
                    street: delivery.address.street,
                    number: delivery.address.number,
                    complement: delivery.address.complement,
                    district: delivery.address.district,
                    city: delivery.address.city,
                    state: delivery.address.state,
                },
                distance_km: delivery.distance_km,
                fee_cents: delivery.fee_cents,
                eta_minutes: delivery.eta_minutes,
                source: delivery.source,
            }),
            scheduled_for: order.scheduled_for,
            campaign_ids: order.campaign_ids.iter().map(ToString::to_string).collect(),
            cancel_reason: order.cancel_reason,
            history: order
                .history
                .into_iter()
                .map(|change| StatusChangeView {
                    from: change.from.map(|status| status.as_str().to_owned()),
                    to: change.to.as_str().to_owned(),
                    actor_user_id: change.actor_user_id.map(|id| id.to_string()),
                    reason: change.reason,
                    at: change.at,
                })
                .collect(),
            created_at: order.created_at,
            updated_at: order.updated_at,
            tracking_token,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummaryView {
    pub id: String,
    pub number: i64,
    pub store_id: String,
    pub status: String,
    pub fulfillment: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub total_cents: i64,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<OrderSummary> for OrderSummaryView {
    fn from(order: OrderSummary) -> Self {
        Self {
            id: order.id.to_string(),
            number: order.number,
            store_id: order.store_id.to_string(),
            status: order.status.as_str().to_owned(),
            fulfillment: order.fulfillment.as_str().to_owned(),
            customer_id: order.customer_id.to_string(),
            customer_name: order.customer_name,
            customer_phone: order.customer_phone,
            total_cents: order.total_cents,
            scheduled_for: order.scheduled_for,
            created_at: order.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderSummaryView>,
    pub total: u64,
}

#[utoipa::path(
    tag = "storefront", params(TenantHeaderParams),
    request_body = CheckoutRequest,
    responses(
        (status = 200, description = "The priced order; nothing is stored", body = PreviewResponse),
        (status = 403, description = "`subscription_inactive`", body = ErrorBody),
        (status = 404, description = "Unknown store", body = ErrorBody),
        (status = 409, description = "`out_of_stock` (with `items`), `price_changed` (with the new figures)", body = ErrorBody),
        (status = 422, description = "`store_closed`, `invalid_phone`, `invalid_address`, `invalid_coupon`, `out_of_delivery_area`, `validation_error`", body = ErrorBody),
    )
)]
#[post("/checkout/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    tenant: Tenant,
    body: ApiJson<serde_json::Value>,
) -> Result<web::Json<PreviewResponse>, ApiError> {
    let body = body.into_inner()?;
    let input = parse_value::<CheckoutRequest>(body)?.into_input()?;
    let priced = state.checkout.price(&tenant.0, &input).await?;
    Ok(web::Json(priced.into()))
}

/// `Idempotency-Key`: 1 to 255 visible characters.
fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|key| (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| ApiError::field("Idempotency-Key", "1 to 255 visible characters"))?;
    Ok(Some(key.to_owned()))
}

/// Places the order: stock is taken under row locks, coupon uses consumed, and notifications
/// queued, in one transaction. With an `Idempotency-Key`, a retry answers the first order
/// (header `Idempotent-Replayed: true`); the same key with another body is 422
/// `idempotency_key_reused`; a retry sent while the first is still running waits for it and
/// answers its order. A request that fails leaves its key unused. Keys are kept 24 hours.
#[utoipa::path(
    tag = "storefront",
    params(TenantHeaderParams, ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = CheckoutRequest,
    responses(
        (status = 201, description = "The order, with its `tracking_token`", body = OrderView),
        (status = 403, description = "`subscription_inactive`", body = ErrorBody),
        (status = 404, description = "Unknown store", body = ErrorBody),
        (status = 409, description = "`out_of_stock`, `price_changed`", body = ErrorBody),
        (status = 422, description = "`store_closed`, `invalid_phone`, `invalid_address`, `invalid_coupon`, `idempotency_key_reused`, `validation_error`", body = ErrorBody),
        (status = 503, description = "`busy` (conflicting transactions, after one retry) or `service_unavailable`, with `Retry-After`", body = ErrorBody),
    )
)]
#[post("/checkout")]
pub async fn checkout(
    request: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    body: ApiJson<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    // serde_json keeps object keys sorted: the same body always hashes the same. Only a retry
    // with the same key compares hashes, so a body without a key is not hashed.
    let idempotency = idempotency_key(&request)?.map(|key| IdempotencyKey {
        key,
        request_hash: comanda_crypto::sha256_hex(body.to_string().as_bytes()),
    });
    let input = parse_value::<CheckoutRequest>(body)?.into_input()?;
    let placed = state.checkout.place(&tenant.0, &input, idempotency).await?;
    let mut response = HttpResponse::build(StatusCode::CREATED);
    if placed.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    } else {
        state.metrics.order_created();
    }
    let qr_token = placed.tracking_token.clone();
    Ok(response.json(OrderView::new(
        placed.order,
        Some(placed.tracking_token),
        Some(&qr_token),
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// `pending`, `confirmed`, …
    pub status: Option<String>,
    pub store_id: Option<String>,
    pub customer_id: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// The order number, or part of the customer's name or phone.
    pub search: Option<String>,
}

impl OrderQuery {
    pub fn filter(self) -> Result<OrderFilter, ApiError> {
        Ok(OrderFilter {
            status: self
                .status
                .as_deref()
                .map(|raw| {
                    raw.parse::<OrderStatus>()
                        .map_err(|e| ApiError::field("status", e.to_string()))
                })
                .transpose()?,
            store: self
                .store_id
                .as_deref()
                .map(|raw| parse_id::<StoreId>(raw, "store_id"))
                .transpose()?,
            customer: self
                .customer_id
                .as_deref()
                .map(|raw| parse_id::<CustomerId>(raw, "customer_id"))
                .transpose()?,
            from: self.from,
            to: self.to,
            search: self.search,
        })
    }
}

/// Orders for the tenant's staff.
#[utoipa::path(
    tag = "orders", params(ListQuery, OrderQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/orders")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<OrderQuery>,
) -> Result<web::Json<OrderList>, ApiError> {
    list_orders(state, user, page, query).await
}

/// The order list, for `/orders` and `/admin/orders` alike.
pub async fn list_orders(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<OrderQuery>,
) -> Result<web::Json<OrderList>, ApiError> {
    let scope = user.allow(Module::Orders, Action::View)?;
    let orders = state
        .orders
        .list(
            scope.tenant,
            &query.into_inner().filter()?,
            page.into_inner().page()?,
        )
        .await?;
    Ok(web::Json(OrderList {
        total: orders.total,
        items: orders
            .items
            .into_iter()
            .map(OrderSummaryView::from)
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackingQuery {
    /// The order's tracking token (customers); staff sign in instead.
    pub token: Option<String>,
}

/// One order: for the tenant's staff, or for its customer with `?token=`. A wrong token is 404.
#[utoipa::path(
    tag = "orders",
    params(("order_id" = String, Path), TrackingQuery, TenantHeaderParams),
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/orders/{order_id}")]
pub async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<OrderId>,
    query: web::Query<TrackingQuery>,
) -> Result<web::Json<OrderView>, ApiError> {
    use actix_web::FromRequest;
    let id = id.into_inner();
    if let Some(token) = &query.token {
        let tenant = Tenant::extract(&request).await?;
        let order = state.orders.get_tracked(tenant.0.id, id, token).await?;
        return Ok(web::Json(OrderView::new(order, None, Some(token))));
    }
    let user = CurrentUser::extract(&request).await?;
    let scope = user.allow(Module::Orders, Action::View)?;
    let order = state.orders.get(scope.tenant, id).await?;
    let token = state.orders.tracking_token(order.id);
    Ok(web::Json(OrderView::new(order, None, Some(&token))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// The order's tenant (an `<img>` sends no headers).
    pub tenant_id: String,
    /// The order's tracking token.
    pub token: String,
}

/// The order's PIX BR Code as an SVG QR code, for a plain `<img src>`: the URL (the order's
/// `payment.qr_svg_url`) carries the tenant and the tracking token. 404 for a wrong token or
/// an order without a PIX charge.
#[utoipa::path(
    tag = "orders",
    params(("order_id" = String, Path), QrQuery),
    responses(
        (status = 200, description = "The QR code", content_type = "image/svg+xml", body = String),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/orders/{order_id}/payment/qr.svg")]
pub async fn payment_qr(
    state: web::Data<AppState>,
    id: web::Path<OrderId>,
    query: web::Query<QrQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = state
        .tenancy
        .resolve(comanda_domain::tenancy::TenantHeaders {
            id: Some(&query.tenant_id),
            slug: None,
        })
        .await?;
    let order = state
        .orders
        .get_tracked(tenant.id, id.into_inner(), &query.token)
        .await?;
    let pix = order
        .pix
        .ok_or_else(|| ApiError::not_found("This order has no PIX charge"))?;
    let code =
        qrcode::QrCode::with_error_correction_level(pix.copy_paste.as_bytes(), qrcode::EcLevel::M)
            .map_err(|error| ApiError::internal(&format!("QR code of a BR Code: {error}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        // The code of an order never changes; only whoever holds the token may see it.
        .insert_header(("Cache-Control", "private, max-age=3600"))
        .body(svg))
}
