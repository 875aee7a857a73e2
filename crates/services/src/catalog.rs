//! The catalog: the portal's menu editing and the storefront's menu of a store.

use crate::ErrorCode;
use std::sync::Arc;

use comanda_domain::catalog::{
    Addon, AddonGroup, Category, MenuSection, Product, assemble_menu, check_choices, check_name,
    check_price,
};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::store::Store;
use comanda_domain::{AddonGroupId, AddonId, CategoryId, ProductId, StoreId, TenantId};
use comanda_ports::catalog::{
    AddonGroupInput, AddonInput, CatalogRepository, CategoryChanges, CategoryInput, ProductChanges,
    ProductFilter, ProductInput,
};
use comanda_ports::{Actor, RepoError};

use crate::ServiceError;
use crate::stores::StoreService;

#[derive(Clone)]
pub struct CatalogService {
    catalog: Arc<dyn CatalogRepository>,
    stores: StoreService,
}

/// A store's menu as the storefront shows it.
#[derive(Debug, Clone)]
pub struct Menu {
    pub store: Store,
    pub sections: Vec<MenuSection>,
}

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
    pub fn new(catalog: Arc<dyn CatalogRepository>, stores: StoreService) -> Self {
        Self { catalog, stores }
    }

    /// The menu of an active store of the tenant, in a fixed number of queries.
    pub async fn menu(&self, tenant: TenantId, store: StoreId) -> Result<Menu, ServiceError> {
        let store = self.stores.active(tenant, store).await?;
        let data = self
            .catalog
            .menu(tenant, store.id)
            .await
            .map_err(catalog_error)?;
        let sections = assemble_menu(
            data.categories,
            data.products,
            &data.states,
            store.hide_unavailable_items,
        );
        Ok(Menu { store, sections })
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
