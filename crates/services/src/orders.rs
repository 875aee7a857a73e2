//! Reading and running orders (`/orders`, `/admin/orders`).

use crate::ErrorCode;
use std::sync::Arc;

use comanda_domain::orders::OrderStatus;
use comanda_domain::pagination::{Page, PageRequest};
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
