//! Stock per store and product: levels, adjustments, the movement log (docs/api.md#tenant-portal).

use std::sync::Arc;

use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{ProductId, StoreId, TenantId};
use comanda_ports::inventory::{Adjustment, InventoryRepository, StockLevel, StockMovement};
use comanda_ports::{Actor, RepoError};

use crate::{ErrorCode, ServiceError};

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
