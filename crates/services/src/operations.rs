//! Inventory, the tenant's settings and insights.

use crate::ErrorCode;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{ProductId, StoreId, TenantId};
use comanda_ports::insights::{Insights, InsightsRepository};
use comanda_ports::inventory::{Adjustment, InventoryRepository, StockLevel, StockMovement};
use comanda_ports::orders::{ConfigRepository, TenantConfig};
use comanda_ports::{Actor, Clock, RepoError};

use comanda_domain::messaging;

use crate::{FieldProblem, ServiceError};

#[derive(Clone)]
pub struct InventoryService {
    inventory: Arc<dyn InventoryRepository>,
}

impl InventoryService {
    pub fn new(inventory: Arc<dyn InventoryRepository>) -> Self {
        Self { inventory }
    }

    pub async fn levels(
        &self,
        tenant: TenantId,
        store: StoreId,
        page: PageRequest,
    ) -> Result<Page<StockLevel>, ServiceError> {
        self.inventory
            .levels(tenant, store, page)
            .await
            .map_err(ServiceError::from)
    }

    pub async fn adjust(
        &self,
        tenant: TenantId,
        store: StoreId,
        product: ProductId,
        adjustment: Adjustment,
        note: &str,
        actor: &Actor,
    ) -> Result<StockLevel, ServiceError> {
        let note = note.trim();
        if note.is_empty() {
            return Err(ServiceError::field("reason", "say why the stock changes"));
        }
        if matches!(adjustment, Adjustment::Set(quantity) if quantity < 0) {
            return Err(ServiceError::field("quantity", "must not be negative"));
        }
        self.inventory
            .adjust(tenant, store, product, adjustment, note, actor)
            .await
            .map_err(|error| match error {
                RepoError::Conflict(_) => {
                    ServiceError::conflict(ErrorCode::NegativeStock, "Stock cannot go below zero")
                }
                other => other.into(),
            })
    }

    pub async fn movements(
        &self,
        tenant: TenantId,
        store: Option<StoreId>,
        product: Option<ProductId>,
        page: PageRequest,
    ) -> Result<Page<StockMovement>, ServiceError> {
        Ok(self
            .inventory
            .movements(tenant, store, product, page)
            .await?)
    }
}

#[derive(Clone)]
pub struct ConfigService {
    config: Arc<dyn ConfigRepository>,
}

impl ConfigService {
    pub fn new(config: Arc<dyn ConfigRepository>) -> Self {
        Self { config }
    }

    pub async fn get(&self, tenant: TenantId) -> Result<TenantConfig, ServiceError> {
        Ok(self.config.get(tenant).await?)
    }

    pub async fn put(
        &self,
        tenant: TenantId,
        config: TenantConfig,
        actor: &Actor,
    ) -> Result<TenantConfig, ServiceError> {
        if config.min_order_cents < 0 {
            return Err(ServiceError::field(
                "min_order_cents",
                "must not be negative",
            ));
        }
        if !(0..=600).contains(&config.preparation_minutes) {
            return Err(ServiceError::field(
                "preparation_minutes",
                "0 to 600 minutes",
            ));
        }
        if config.message_templates.len() > 50
            || config
                .message_templates
                .values()
                .any(|text| text.chars().count() > 2000)
        {
            return Err(ServiceError::field(
                "message_templates",
                "at most 50 templates of 2000 characters",
            ));
        }
        // A placeholder the messages do not fill would reach customers as written.
        let problems: Vec<FieldProblem> = config
            .message_templates
            .iter()
            .filter_map(|(name, text)| {
                let unknown = messaging::unknown_placeholders(text, messaging::ORDER_PLACEHOLDERS);
                (!unknown.is_empty()).then(|| {
                    FieldProblem::new(
                        &format!("message_templates.{name}"),
                        format!(
                            "unknown placeholder {}; known: {}",
                            unknown
                                .iter()
                                .map(|name| format!("{{{name}}}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            messaging::ORDER_PLACEHOLDERS
                                .iter()
                                .map(|name| format!("{{{name}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })
            })
            .collect();
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems));
        }
        Ok(self.config.put(tenant, config, actor).await?)
    }
}

#[derive(Clone)]
pub struct InsightsService {
    insights: Arc<dyn InsightsRepository>,
    clock: Arc<dyn Clock>,
}

impl InsightsService {
    pub fn new(insights: Arc<dyn InsightsRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { insights, clock }
    }

    /// The figures of a period (the last 30 days by default, at most a year).
    pub async fn insights(
        &self,
        tenant: TenantId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        store: Option<StoreId>,
    ) -> Result<(Insights, DateTime<Utc>, DateTime<Utc>), ServiceError> {
        let to = to.unwrap_or_else(|| self.clock.now());
        let from = from.unwrap_or(to - TimeDelta::days(30));
        if from >= to {
            return Err(ServiceError::field("from", "must be before to"));
        }
        if to - from > TimeDelta::days(366) {
            return Err(ServiceError::field("from", "a period is at most a year"));
        }
        let insights = self
            .insights
            .insights(tenant, from, to, store)
            .await
            .map_err(ServiceError::from)?;
        Ok((insights, from, to))
    }
}
