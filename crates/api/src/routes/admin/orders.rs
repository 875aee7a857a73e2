//! `/admin/orders` and `/admin/customers` (modules `orders` and `customers`).

use actix_web::web;
use actix_web::{get, post};
use comanda_domain::OrderId;
use comanda_domain::orders::OrderStatus;
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::ticket::{TicketWidth, render_escpos, render_text};
use comanda_services::orders::kitchen_ticket;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery};
use crate::routes::orders::{OrderList, OrderQuery, OrderView};
use crate::state::AppState;

#[utoipa::path(
    tag = "admin", params(ListQuery, OrderQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderList), (status = 403, body = ErrorBody))
)]
#[get("/admin/orders")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<OrderQuery>,
) -> Result<web::Json<OrderList>, ApiError> {
    // The same list as the portal's `/orders`, under the admin prefix.
    crate::routes::orders::list_orders(state, user, page, query).await
}

/// How often a comment keeps an idle stream (and the proxies on its way) open.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(15);

/// The live order desk: Server-Sent Events `order.created` and `order.updated` (status or
/// payment) with per-tenant increasing ids and `data: {"order": <as /admin/orders/{id}>}`.
/// `Last-Event-ID` replays what was missed (events are kept 24 hours, at most 1000 replayed); a
/// `: keep-alive` comment every 15 s. Orders placed on any instance reach every desk.
#[utoipa::path(
    tag = "admin",
    params(("Last-Event-ID" = Option<String>, Header, description = "The last event id seen: what came after it is sent first")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        (status = 403, body = ErrorBody),
    )
)]
#[get("/admin/orders/stream")]
pub async fn stream(
    request: actix_web::HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<actix_web::HttpResponse, ApiError> {
    let scope = user.allow(Module::Orders, Action::View)?;
    let tenant = scope.tenant;
    let last_seen = request
        .headers()
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<i64>().ok());
    let subscription = state.desk.subscribe(tenant).await?;
    let mut opening = vec![bytes::Bytes::from_static(b"retry: 3000\n: connected\n\n")];
    if let Some(last_seen) = last_seen {
        opening.extend(
            state
                .desk
                .replay(tenant, last_seen, subscription.from)
                .await?,
        );
    }
    let heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    let opening = std::collections::VecDeque::from(opening);
    // The replay first, then live events and heartbeats; the stream ends when the desk is
    // dropped for not reading (or disconnects, which drops the subscription).
    let events = futures_util::stream::unfold(
        (opening, subscription, heartbeat),
        |(mut opening, mut subscription, mut heartbeat)| async move {
            let next = match opening.pop_front() {
                Some(frame) => frame,
                None => tokio::select! {
                    frame = subscription.frames.recv() => frame?,
                    _ = heartbeat.tick() => bytes::Bytes::from_static(b": keep-alive\n\n"),
                },
            };
            Some((
                Ok::<_, actix_web::Error>(next),
                (opening, subscription, heartbeat),
            ))
        },
    );
    Ok(actix_web::HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Proxies such as nginx must not hold events back.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}

/// The whole order (items, add-ons, payment, delivery, status history) in a fixed number of
/// queries, with its tracking token.
#[utoipa::path(
    tag = "admin", params(("order_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody))
)]
#[get("/admin/orders/{order_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<OrderId>,
) -> Result<web::Json<OrderView>, ApiError> {
    let scope = user.allow(Module::Orders, Action::View)?;
    let order = state.orders.get(scope.tenant, id.into_inner()).await?;
    let token = state.orders.tracking_token(order.id);
    let qr_token = token.clone();
    Ok(web::Json(OrderView::new(
        order,
        Some(token),
        Some(&qr_token),
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// `text` (default) or `escpos`.
    pub format: Option<String>,
    /// Columns: `48` (80 mm paper, default) or `32` (58 mm).
    pub width: Option<String>,
}

/// The kitchen ticket: plain text no wider than `width` columns, or the same as ESC/POS bytes
/// for thermal printers (initialize, code page CP860 for Portuguese, bold header, cut).
#[utoipa::path(
    tag = "admin", params(("order_id" = String, Path), TicketQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "`text/plain; charset=utf-8`, or `application/octet-stream` for `escpos`", body = String),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[get("/admin/orders/{order_id}/ticket")]
pub async fn ticket(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<OrderId>,
    query: web::Query<TicketQuery>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let scope = user.allow(Module::Orders, Action::View)?;
    let width = match query.width.as_deref() {
        None => TicketWidth::Wide,
        Some(raw) => TicketWidth::parse(raw).ok_or_else(|| ApiError::field("width", "48 or 32"))?,
    };
    let escpos = match query.format.as_deref() {
        None | Some("text") => false,
        Some("escpos") => true,
        Some(_) => return Err(ApiError::field("format", "text or escpos")),
    };
    let order = state.orders.get(scope.tenant, id.into_inner()).await?;
    // A store deleted since keeps its orders: their times read in São Paulo's zone.
    let time_zone = match state.stores.get(scope.tenant, order.store_id).await {
        Ok(store) => store.store.time_zone,
        Err(_) => comanda_domain::store::DEFAULT_TIME_ZONE,
    };
    let ticket = kitchen_ticket(&order, time_zone);
    Ok(if escpos {
        actix_web::HttpResponse::Ok()
            .content_type("application/octet-stream")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"pedido-{}.bin\"", order.number),
            ))
            .body(render_escpos(&ticket, width))
    } else {
        actix_web::HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(render_text(&ticket, width))
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    /// The next status: `confirmed`, `preparing`, `ready`, `out_for_delivery`, `delivered`,
    /// `picked_up` or `canceled`.
    pub status: String,
    /// Required to cancel.
    pub reason: Option<String>,
}

/// Moves the order one step along its path (or cancels it); the customer is notified.
#[utoipa::path(
    tag = "admin", params(("order_id" = String, Path)),
    request_body = StatusRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, description = "`invalid_transition`", body = ErrorBody))
)]
#[post("/admin/orders/{order_id}/status")]
pub async fn set_status(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<OrderId>,
    body: ApiJson<StatusRequest>,
) -> Result<web::Json<OrderView>, ApiError> {
    let scope = user.allow(Module::Orders, Action::Update)?;
    let body = body.into_inner()?;
    let status = body
        .status
        .parse::<OrderStatus>()
        .map_err(|e| ApiError::field("status", e.to_string()))?;
    let order = state
        .orders
        .transition(
            scope.tenant,
            id.into_inner(),
            status,
            body.reason,
            scope.actor,
        )
        .await?;
    let token = state.orders.tracking_token(order.id);
    Ok(web::Json(OrderView::new(order, None, Some(&token))))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelRequest {
    pub reason: String,
}

/// Cancels an order that is not final; its stock goes back.
#[utoipa::path(
    tag = "admin", params(("order_id" = String, Path)),
    request_body = CancelRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, description = "`invalid_transition`", body = ErrorBody))
)]
#[post("/admin/orders/{order_id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<OrderId>,
    body: ApiJson<CancelRequest>,
) -> Result<web::Json<OrderView>, ApiError> {
    let scope = user.allow(Module::Orders, Action::Update)?;
    let body = body.into_inner()?;
    let order = state
        .orders
        .transition(
            scope.tenant,
            id.into_inner(),
            OrderStatus::Canceled,
            Some(body.reason),
            scope.actor,
        )
        .await?;
    let token = state.orders.tracking_token(order.id);
    Ok(web::Json(OrderView::new(order, None, Some(&token))))
}
