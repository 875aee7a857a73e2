use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use comanda_domain::catalog::{
    Addon, AddonGroup, Category, Product, ProductKind, StoreProductState,
};
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{
    AddonGroupId, AddonId, CategoryId, PizzaSizeId, ProductId, StoreId, TenantId,
};

use crate::{Actor, RepoResult};

#[derive(Debug, Clone)]
pub struct CategoryInput {
    pub name: String,
    pub description: String,
    pub position: i32,
    pub is_active: bool,
    pub schedule: Option<OpeningHours>,
    /// The pizza whose flavours this category's products are.
    pub flavors_for: Option<ProductId>,
}

#[derive(Debug, Clone, Default)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub position: Option<i32>,
    pub is_active: Option<bool>,
    /// `Some(None)` clears it.
    pub schedule: Option<Option<OpeningHours>>,
    /// `Some(None)` clears it.
    pub flavors_for: Option<Option<ProductId>>,
}

#[derive(Debug, Clone)]
pub struct ProductInput {
    pub category_id: CategoryId,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub position: i32,
    pub is_active: bool,
    pub track_stock: bool,
    pub schedule: Option<OpeningHours>,
    pub kind: ProductKind,
    /// A pizza's sizes.
    pub sizes: Vec<PizzaSizeInput>,
    /// A flavour's price for each size of its pizza.
    pub flavor_prices: BTreeMap<PizzaSizeId, i64>,
    /// A combo's slots.
    pub slots: Vec<ComboSlotInput>,
}

/// A combo's slot as written (replaced whole with the combo's slots).
#[derive(Debug, Clone)]
pub struct ComboSlotInput {
    pub name: String,
    pub min_choices: i32,
    pub max_choices: i32,
    /// `(product, extra_cents)`, in order.
    pub options: Vec<(ProductId, i64)>,
}

/// A pizza size as written: an existing one keeps its `id` (and the flavours' prices for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PizzaSizeInput {
    pub id: Option<PizzaSizeId>,
    pub name: String,
    pub slices: i32,
    pub max_flavors: i32,
}

#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    pub category_id: Option<CategoryId>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub position: Option<i32>,
    pub is_active: Option<bool>,
    pub track_stock: Option<bool>,
    pub image_url: Option<Option<String>>,
    pub video_url: Option<Option<String>>,
    /// `Some(None)` clears it.
    pub schedule: Option<Option<OpeningHours>>,
    /// Replaces a pizza's sizes (sizes left out go, with their flavour prices).
    pub sizes: Option<Vec<PizzaSizeInput>>,
    /// Replaces a flavour's prices.
    pub flavor_prices: Option<BTreeMap<PizzaSizeId, i64>>,
    /// Replaces a combo's slots.
    pub slots: Option<Vec<ComboSlotInput>>,
}

#[derive(Debug, Clone)]
pub struct AddonGroupInput {
    pub name: String,
    pub min_choices: i32,
    pub max_choices: i32,
    pub position: i32,
}

#[derive(Debug, Clone)]
pub struct AddonInput {
    pub name: String,
    pub price_cents: i64,
    pub is_available: bool,
    pub position: i32,
}

/// Everything a store's menu is made of, read in a fixed number of queries.
#[derive(Debug, Clone)]
pub struct MenuData {
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
    pub states: HashMap<ProductId, StoreProductState>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub category_id: Option<CategoryId>,
    pub search: Option<String>,
}

#[async_trait]
pub trait CatalogRepository: Send + Sync {
    async fn categories(&self, tenant: TenantId) -> RepoResult<Vec<Category>>;
    async fn create_category(
        &self,
        tenant: TenantId,
        input: CategoryInput,
        actor: &Actor,
    ) -> RepoResult<Category>;
    async fn update_category(
        &self,
        tenant: TenantId,
        id: CategoryId,
        changes: CategoryChanges,
        actor: &Actor,
    ) -> RepoResult<Category>;
    /// `Conflict("category_not_empty")` while it has products.
    async fn delete_category(
        &self,
        tenant: TenantId,
        id: CategoryId,
        actor: &Actor,
    ) -> RepoResult<()>;

    async fn products(
        &self,
        tenant: TenantId,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> RepoResult<Page<Product>>;
    /// With its add-on groups and add-ons.
    async fn product(&self, tenant: TenantId, id: ProductId) -> RepoResult<Option<Product>>;
    /// `InvalidReference("category")` for a category that is not the tenant's.
    async fn create_product(
        &self,
        tenant: TenantId,
        input: ProductInput,
        actor: &Actor,
    ) -> RepoResult<Product>;
    async fn update_product(
        &self,
        tenant: TenantId,
        id: ProductId,
        changes: ProductChanges,
        actor: &Actor,
    ) -> RepoResult<Product>;
    async fn delete_product(
        &self,
        tenant: TenantId,
        id: ProductId,
        actor: &Actor,
    ) -> RepoResult<()>;

    /// Switches products on or off in one store, or in every store of the tenant (`None`).
    /// `NotFound` when a product or the store is not the tenant's (nothing changes).
    async fn set_availability(
        &self,
        tenant: TenantId,
        store: Option<StoreId>,
        products: &[ProductId],
        available: bool,
        actor: &Actor,
    ) -> RepoResult<u64>;

    /// Marks a product sold out in one store until `until`, or back on sale (`None`).
    /// `NotFound` when the product or the store is not the tenant's.
    async fn set_sold_out(
        &self,
        tenant: TenantId,
        store: StoreId,
        product: ProductId,
        until: Option<chrono::DateTime<chrono::Utc>>,
        actor: &Actor,
    ) -> RepoResult<()>;

    async fn create_addon_group(
        &self,
        tenant: TenantId,
        product: ProductId,
        input: AddonGroupInput,
        actor: &Actor,
    ) -> RepoResult<AddonGroup>;
    async fn update_addon_group(
        &self,
        tenant: TenantId,
        id: AddonGroupId,
        input: AddonGroupInput,
        actor: &Actor,
    ) -> RepoResult<AddonGroup>;
    async fn delete_addon_group(
        &self,
        tenant: TenantId,
        id: AddonGroupId,
        actor: &Actor,
    ) -> RepoResult<()>;
    async fn create_addon(
        &self,
        tenant: TenantId,
        group: AddonGroupId,
        input: AddonInput,
        actor: &Actor,
    ) -> RepoResult<Addon>;
    async fn update_addon(
        &self,
        tenant: TenantId,
        id: AddonId,
        input: AddonInput,
        actor: &Actor,
    ) -> RepoResult<Addon>;
    async fn delete_addon(&self, tenant: TenantId, id: AddonId, actor: &Actor) -> RepoResult<()>;

    /// The store's menu data (the caller checks the store).
    async fn menu(&self, tenant: TenantId, store: StoreId) -> RepoResult<MenuData>;
    /// These products of the tenant (active or not) with their state in the store; unknown ids
    /// are left out.
    async fn products_in_store(
        &self,
        tenant: TenantId,
        store: StoreId,
        ids: &[ProductId],
    ) -> RepoResult<Vec<(Product, StoreProductState)>>;

    /// The kind of each of these products of the tenant; unknown ids are left out.
    async fn kinds(
        &self,
        tenant: TenantId,
        ids: &[ProductId],
    ) -> RepoResult<HashMap<ProductId, ProductKind>>;
}
