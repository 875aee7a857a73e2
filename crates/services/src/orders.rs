//! Reading and running orders (`/orders`, `/admin/orders`).

use crate::ErrorCode;
use std::sync::Arc;

use comanda_domain::orders::{Fulfillment, OrderStatus, PaymentMethod, PaymentStatus};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::ticket::{Ticket, TicketLine, format_brl};
use comanda_domain::{OrderId, TenantId};
use comanda_ports::orders::{
    OrderDetail, OrderEvent, OrderFilter, OrderRepository, OrderSummary, TransitionError,
};
use comanda_ports::{Actor, TrackingTokens};

use crate::ServiceError;

/// Queued with every status change: the customer hears about it.
pub const STATUS_NOTIFICATIONS: &[&str] = &["whatsapp.order_status"];

#[derive(Clone)]
pub struct OrderService {
    orders: Arc<dyn OrderRepository>,
    tracking: Arc<dyn TrackingTokens>,
}

impl OrderService {
    pub fn new(orders: Arc<dyn OrderRepository>, tracking: Arc<dyn TrackingTokens>) -> Self {
        Self { orders, tracking }
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<OrderSummary>, ServiceError> {
        Ok(self.orders.list(tenant, filter, page).await?)
    }

    pub async fn get(&self, tenant: TenantId, id: OrderId) -> Result<OrderDetail, ServiceError> {
        self.orders
            .find(tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("order"))
    }

    /// The order for its customer: the token must be this order's (else 404, as if absent).
    pub async fn get_tracked(
        &self,
        tenant: TenantId,
        id: OrderId,
        token: &str,
    ) -> Result<OrderDetail, ServiceError> {
        if !self.tracking.verify(id, token) {
            return Err(ServiceError::NotFound("order"));
        }
        self.get(tenant, id).await
    }

    /// The order desk's events after `after` (docs/api.md#order-desk).
    pub async fn events_after(
        &self,
        tenant: TenantId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<OrderEvent>, ServiceError> {
        Ok(self.orders.events_after(tenant, after, limit).await?)
    }

    pub async fn last_event_id(&self, tenant: TenantId) -> Result<i64, ServiceError> {
        Ok(self.orders.last_event_id(tenant).await?)
    }

    /// Marks these tenants as watched until `until`: their order events are announced.
    pub async fn desks_present(
        &self,
        tenants: &[TenantId],
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ServiceError> {
        Ok(self.orders.desks_present(tenants, until).await?)
    }

    pub fn tracking_token(&self, order: OrderId) -> String {
        self.tracking.token_for(order)
    }

    /// Moves an order along its path; cancelling needs a reason and gives the stock back.
    pub async fn transition(
        &self,
        tenant: TenantId,
        id: OrderId,
        to: OrderStatus,
        reason: Option<String>,
        actor: &Actor,
    ) -> Result<OrderDetail, ServiceError> {
        let reason = reason
            .map(|r| r.trim().chars().take(500).collect::<String>())
            .filter(|r| !r.is_empty());
        if to == OrderStatus::Canceled && reason.is_none() {
            return Err(ServiceError::field(
                "reason",
                "say why the order is canceled",
            ));
        }
        self.orders
            .transition(tenant, id, to, reason, STATUS_NOTIFICATIONS, actor)
            .await
            .map_err(|error| match error {
                TransitionError::NotFound => ServiceError::NotFound("order"),
                TransitionError::Invalid { from, to } => ServiceError::conflict(
                    ErrorCode::InvalidTransition,
                    format!(
                        "An order that is {} cannot become {}",
                        from.as_str(),
                        to.as_str()
                    ),
                ),
                TransitionError::Repo(error) => error.into(),
            })
    }
}

/// Moves a new order to `confirmed` as the system, for a tenant that auto-accepts (after the
/// order's own transaction: a failure leaves it `pending` for staff, as without the setting).
pub async fn accept_automatically(
    orders: &dyn OrderRepository,
    tenant: TenantId,
    order: OrderId,
) -> Option<OrderDetail> {
    match orders
        .transition(
            tenant,
            order,
            OrderStatus::Confirmed,
            None,
            STATUS_NOTIFICATIONS,
            &Actor::system(),
        )
        .await
    {
        Ok(moved) => Some(moved),
        Err(error) => {
            tracing::warn!(%tenant, %order, %error, "the order could not be accepted automatically");
            None
        }
    }
}

/// The kitchen ticket of an order (docs/api.md#order-desk): dates in the store's time zone,
/// labels in Portuguese as the kitchen reads them.
pub fn kitchen_ticket(order: &OrderDetail, time_zone: chrono_tz::Tz) -> Ticket {
    let local = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&time_zone)
            .format("%d/%m/%Y %H:%M")
            .to_string()
    };
    let fulfillment = match order.fulfillment {
        Fulfillment::Delivery => "ENTREGA",
        Fulfillment::Pickup => "RETIRADA",
    };
    let address = order.delivery.as_ref().map(|delivery| {
        let address = &delivery.address;
        let mut parts = vec![format!("{}, {}", address.street, address.number)];
        if !address.complement.trim().is_empty() {
            parts.push(address.complement.clone());
        }
        parts.push(address.district.clone());
        parts.push(format!("{}/{}", address.city, address.state));
        parts.push(format!("CEP {}", address.cep));
        parts.join(" - ")
    });
    let method = match order.payment_method {
        PaymentMethod::Pix => "PIX",
        PaymentMethod::Cash => "Dinheiro",
        PaymentMethod::CardOnDelivery => "Cartão na entrega",
        PaymentMethod::Online => "Online",
    };
    let status = match order.payment_status.parse::<PaymentStatus>() {
        Ok(PaymentStatus::Paid) => " (pago)",
        Ok(PaymentStatus::AwaitingPayment) => " (aguardando pagamento)",
        Ok(PaymentStatus::Expired) => " (expirado)",
        Ok(PaymentStatus::Refunded) => " (estornado)",
        Ok(PaymentStatus::OnDelivery) | Err(_) => "",
    };
    let change = order
        .change_for_cents
        .map(|cents| format!(" - troco para {}", format_brl(cents)))
        .unwrap_or_default();
    Ticket {
        store_name: order.store_name.clone(),
        number: order.number,
        placed_at: local(order.created_at),
        fulfillment: fulfillment.to_owned(),
        scheduled_for: order.scheduled_for.map(local),
        customer_name: order.customer.name.clone(),
        customer_phone: order.customer.phone.clone(),
        address,
        lines: order
            .items
            .iter()
            .map(|item| TicketLine {
                quantity: u32::try_from(item.quantity).unwrap_or(0),
                name: item.name.clone(),
                addons: item
                    .addons
                    .iter()
                    .map(|addon| {
                        (
                            u32::try_from(addon.quantity).unwrap_or(0),
                            addon.name.clone(),
                        )
                    })
                    .collect(),
                notes: item.notes.clone(),
            })
            .collect(),
        subtotal_cents: order.subtotal_cents,
        discount_cents: order.discount_cents,
        shipping_fee_cents: order.shipping_fee_cents,
        total_cents: order.total_cents,
        payment: format!("{method}{status}{change}"),
    }
}
