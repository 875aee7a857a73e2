//! The catalog: the portal's menu editing and the storefront's menu of a store.

use crate::ErrorCode;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::catalog::{
    Addon, AddonGroup, Category, MenuSection, Product, assemble_menu, check_choices, check_name,
    check_price, menu_valid_until,
};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::Store;
use comanda_domain::{AddonGroupId, AddonId, CategoryId, ProductId, StoreId, TenantId};
use comanda_ports::catalog::{
    AddonGroupInput, AddonInput, CatalogRepository, CategoryChanges, CategoryInput, ProductChanges,
    ProductFilter, ProductInput,
};
use comanda_ports::{Actor, Clock, RepoError};

use crate::ServiceError;
use crate::stores::StoreService;

#[derive(Clone)]
pub struct CatalogService {
    catalog: Arc<dyn CatalogRepository>,
    stores: StoreService,
    clock: Arc<dyn Clock>,
}

/// A store's menu as the storefront shows it.
#[derive(Debug, Clone)]
pub struct Menu {
    pub store: Store,
    pub sections: Vec<MenuSection>,
    /// When this menu stops being true without any change to the data (a sold-out mark ends).
    pub valid_until: Option<DateTime<Utc>>,
}

/// The furthest a product can be marked sold out ahead.
const SOLD_OUT_AT_MOST: TimeDelta = TimeDelta::days(7);

fn catalog_error(error: RepoError) -> ServiceError {
    match error {
        RepoError::InvalidReference(_) => ServiceError::field("category_id", "unknown category"),
        RepoError::Conflict(code) if code == "category_not_empty" => ServiceError::conflict(
            ErrorCode::CategoryNotEmpty,
            "Move or delete the category's products first",
        ),
        other => other.into(),
    }
}

fn field<T>(
    field: &str,
    result: Result<T, comanda_domain::catalog::CatalogError>,
) -> Result<T, ServiceError> {
    result.map_err(|error| ServiceError::field(field, error))
}

impl CatalogService {
    pub fn new(
        catalog: Arc<dyn CatalogRepository>,
        stores: StoreService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            catalog,
            stores,
            clock,
        }
    }

    /// The time menus are read at.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The menu of an active store of the tenant, in a fixed number of queries.
    pub async fn menu(&self, tenant: TenantId, store: StoreId) -> Result<Menu, ServiceError> {
        let store = self.stores.active(tenant, store).await?;
        let data = self
            .catalog
            .menu(tenant, store.id)
            .await
            .map_err(catalog_error)?;
        let now = self.clock.now();
        let valid_until = menu_valid_until(
            &data.categories,
            &data.products,
            &data.states,
            now,
            store.time_zone,
        );
        let sections = assemble_menu(
            data.categories,
            data.products,
            &data.states,
            store.hide_unavailable_items,
            now,
            store.time_zone,
        );
        Ok(Menu {
            store,
            sections,
            valid_until,
        })
    }

    pub async fn categories(&self, tenant: TenantId) -> Result<Vec<Category>, ServiceError> {
        Ok(self.catalog.categories(tenant).await?)
    }

    pub async fn create_category(
        &self,
        tenant: TenantId,
        mut input: CategoryInput,
        actor: &Actor,
    ) -> Result<Category, ServiceError> {
        input.name = field("name", check_name(&input.name))?;
        self.catalog
            .create_category(tenant, input, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn update_category(
        &self,
        tenant: TenantId,
        id: CategoryId,
        mut changes: CategoryChanges,
        actor: &Actor,
    ) -> Result<Category, ServiceError> {
        if let Some(name) = &changes.name {
            changes.name = Some(field("name", check_name(name))?);
        }
        self.catalog
            .update_category(tenant, id, changes, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn delete_category(
        &self,
        tenant: TenantId,
        id: CategoryId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        self.catalog
            .delete_category(tenant, id, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn products(
        &self,
        tenant: TenantId,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<Page<Product>, ServiceError> {
        Ok(self.catalog.products(tenant, filter, page).await?)
    }

    pub async fn product(&self, tenant: TenantId, id: ProductId) -> Result<Product, ServiceError> {
        self.catalog
            .product(tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("product"))
    }

    pub async fn create_product(
        &self,
        tenant: TenantId,
        mut input: ProductInput,
        actor: &Actor,
    ) -> Result<Product, ServiceError> {
        input.name = field("name", check_name(&input.name))?;
        input.price_cents = field("price_cents", check_price(input.price_cents))?;
        self.catalog
            .create_product(tenant, input, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn update_product(
        &self,
        tenant: TenantId,
        id: ProductId,
        mut changes: ProductChanges,
        actor: &Actor,
    ) -> Result<Product, ServiceError> {
        if let Some(name) = &changes.name {
            changes.name = Some(field("name", check_name(name))?);
        }
        if let Some(price) = changes.price_cents {
            field("price_cents", check_price(price))?;
        }
        self.catalog
            .update_product(tenant, id, changes, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn delete_product(
        &self,
        tenant: TenantId,
        id: ProductId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        self.catalog
            .delete_product(tenant, id, actor)
            .await
            .map_err(catalog_error)
    }

    /// Switches products on or off in one store, or in all the tenant's stores.
    pub async fn set_availability(
        &self,
        tenant: TenantId,
        store: Option<StoreId>,
        products: &[ProductId],
        available: bool,
        actor: &Actor,
    ) -> Result<u64, ServiceError> {
        if products.is_empty() || products.len() > 500 {
            return Err(ServiceError::field("product_ids", "1 to 500 products"));
        }
        self.catalog
            .set_availability(tenant, store, products, available, actor)
            .await
            .map_err(catalog_error)
    }

    /// Marks a product sold out in a store ("acabou por hoje") until `until`, by default the
    /// store's next opening; answers the time it ends.
    pub async fn mark_sold_out(
        &self,
        tenant: TenantId,
        product: ProductId,
        store: StoreId,
        until: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> Result<DateTime<Utc>, ServiceError> {
        let store = self.stores.active(tenant, store).await?;
        let now = self.clock.now();
        let latest = now + SOLD_OUT_AT_MOST;
        let until = match until {
            Some(until) if until <= now => {
                return Err(ServiceError::field("until", "must be in the future"));
            }
            Some(until) if until > latest => {
                return Err(ServiceError::field("until", "at most 7 days ahead"));
            }
            Some(until) => until,
            // A store that never opens: the same time tomorrow.
            None => store
                .opening_hours
                .next_opening_after(now, store.time_zone)
                .map_or(now + TimeDelta::days(1), |opening| opening.min(latest)),
        };
        self.catalog
            .set_sold_out(tenant, store.id, product, Some(until), actor)
            .await
            .map_err(catalog_error)?;
        Ok(until)
    }

    /// Puts a product marked sold out back on sale in a store.
    pub async fn back_on_sale(
        &self,
        tenant: TenantId,
        product: ProductId,
        store: StoreId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        let store = self.stores.active(tenant, store).await?;
        self.catalog
            .set_sold_out(tenant, store.id, product, None, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn create_addon_group(
        &self,
        tenant: TenantId,
        product: ProductId,
        input: AddonGroupInput,
        actor: &Actor,
    ) -> Result<AddonGroup, ServiceError> {
        let input = checked_group(input)?;
        self.catalog
            .create_addon_group(tenant, product, input, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn update_addon_group(
        &self,
        tenant: TenantId,
        id: AddonGroupId,
        input: AddonGroupInput,
        actor: &Actor,
    ) -> Result<AddonGroup, ServiceError> {
        let input = checked_group(input)?;
        self.catalog
            .update_addon_group(tenant, id, input, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn delete_addon_group(
        &self,
        tenant: TenantId,
        id: AddonGroupId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        self.catalog
            .delete_addon_group(tenant, id, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn create_addon(
        &self,
        tenant: TenantId,
        group: AddonGroupId,
        input: AddonInput,
        actor: &Actor,
    ) -> Result<Addon, ServiceError> {
        let input = checked_addon(input)?;
        self.catalog
            .create_addon(tenant, group, input, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn update_addon(
        &self,
        tenant: TenantId,
        id: AddonId,
        input: AddonInput,
        actor: &Actor,
    ) -> Result<Addon, ServiceError> {
        let input = checked_addon(input)?;
        self.catalog
            .update_addon(tenant, id, input, actor)
            .await
            .map_err(catalog_error)
    }

    pub async fn delete_addon(
        &self,
        tenant: TenantId,
        id: AddonId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        self.catalog
            .delete_addon(tenant, id, actor)
            .await
            .map_err(catalog_error)
    }
}

fn checked_group(mut input: AddonGroupInput) -> Result<AddonGroupInput, ServiceError> {
    input.name = field("name", check_name(&input.name))?;
    field(
        "max_choices",
        check_choices(input.min_choices, input.max_choices),
    )?;
    Ok(input)
}

fn checked_addon(mut input: AddonInput) -> Result<AddonInput, ServiceError> {
    input.name = field("name", check_name(&input.name))?;
    input.price_cents = field("price_cents", check_price(input.price_cents))?;
    Ok(input)
}
