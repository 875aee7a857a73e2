//! The catalog: the portal's menu editing and the storefront's menu of a store.

use crate::ErrorCode;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::catalog::{
    Addon, AddonGroup, Category, MenuSection, PizzaSize, Product, ProductKind, assemble_menu,
    check_choices, check_name, check_price, menu_valid_until,
};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::pizza::MAX_FLAVORS;
use comanda_domain::store::Store;
use comanda_domain::{
    AddonGroupId, AddonId, CategoryId, PizzaSizeId, ProductId, StoreId, TenantId,
};
use comanda_ports::catalog::{
    AddonGroupInput, AddonInput, CatalogRepository, CategoryChanges, CategoryInput, ComboSlotInput,
    PizzaSizeInput, ProductChanges, ProductFilter, ProductInput,
};
use comanda_ports::{Actor, Clock, RepoError};

use crate::ServiceError;
use crate::error::FieldProblem;
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

fn problem(field: &str, message: &str) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

/// A pizza has 1 to 10 sizes, each named, with 1 to 64 slices and 1 to 4 flavours; a size
/// written with an id must be one of the pizza's own (`existing`); other kinds have none.
fn check_sizes(
    kind: ProductKind,
    sizes: &[PizzaSizeInput],
    existing: &[PizzaSize],
) -> Result<(), ServiceError> {
    if kind != ProductKind::Pizza {
        return if sizes.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::field("sizes", "only a pizza has sizes"))
        };
    }
    if sizes.is_empty() || sizes.len() > 10 {
        return Err(ServiceError::field("sizes", "a pizza has 1 to 10 sizes"));
    }
    let mut problems = Vec::new();
    for (index, size) in sizes.iter().enumerate() {
        if check_name(&size.name).is_err() {
            problems.push(problem(
                &format!("sizes[{index}].name"),
                "must not be empty",
            ));
        }
        if !(1..=64).contains(&size.slices) {
            problems.push(problem(&format!("sizes[{index}].slices"), "1 to 64"));
        }
        if !(1..=i32::from(MAX_FLAVORS)).contains(&size.max_flavors) {
            problems.push(problem(&format!("sizes[{index}].max_flavors"), "1 to 4"));
        }
        if size
            .id
            .is_some_and(|id| !existing.iter().any(|known| known.id == id))
        {
            problems.push(problem(
                &format!("sizes[{index}].id"),
                "not a size of this pizza",
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(problems))
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
        if let Some(pizza) = input.flavors_for {
            self.check_pizza(tenant, pizza).await?;
        }
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
        if let Some(Some(pizza)) = changes.flavors_for {
            self.check_pizza(tenant, pizza).await?;
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
        check_sizes(input.kind, &input.sizes, &[])?;
        self.check_slots(tenant, input.kind, &input.slots).await?;
        if !input.flavor_prices.is_empty() {
            self.check_flavor_prices(tenant, input.category_id, &input.flavor_prices)
                .await?;
        }
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
        if changes.sizes.is_some() || changes.flavor_prices.is_some() || changes.slots.is_some() {
            let before = self.product(tenant, id).await?;
            if let Some(slots) = &changes.slots {
                self.check_slots(tenant, before.kind, slots).await?;
            }
            if let Some(sizes) = &changes.sizes {
                check_sizes(before.kind, sizes, &before.sizes)?;
            }
            if let Some(prices) = changes.flavor_prices.as_ref().filter(|p| !p.is_empty()) {
                let category = changes.category_id.unwrap_or(before.category_id);
                self.check_flavor_prices(tenant, category, prices).await?;
            }
        }
        self.catalog
            .update_product(tenant, id, changes, actor)
            .await
            .map_err(catalog_error)
    }

    /// A combo has 1 to 10 slots, each named, with 1 to 20 options that are the tenant's own
    /// simple products at an extra price not below zero, and `0 <= min <= max <= options`;
    /// other kinds have none.
    async fn check_slots(
        &self,
        tenant: TenantId,
        kind: ProductKind,
        slots: &[ComboSlotInput],
    ) -> Result<(), ServiceError> {
        if kind != ProductKind::Combo {
            return if slots.is_empty() {
                Ok(())
            } else {
                Err(ServiceError::field("slots", "only a combo has slots"))
            };
        }
        if slots.is_empty() || slots.len() > 10 {
            return Err(ServiceError::field("slots", "a combo has 1 to 10 slots"));
        }
        // Every option's kind in one statement.
        let named: Vec<ProductId> = slots
            .iter()
            .flat_map(|slot| slot.options.iter().map(|(product, _)| *product))
            .collect();
        let kinds = self.catalog.kinds(tenant, &named).await?;
        let mut problems = Vec::new();
        for (index, slot) in slots.iter().enumerate() {
            if check_name(&slot.name).is_err() {
                problems.push(problem(
                    &format!("slots[{index}].name"),
                    "must not be empty",
                ));
            }
            if slot.options.is_empty() || slot.options.len() > 20 {
                problems.push(problem(
                    &format!("slots[{index}].options"),
                    "a slot has 1 to 20 options",
                ));
                continue;
            }
            let count = i32::try_from(slot.options.len()).unwrap_or(i32::MAX);
            if slot.min_choices < 0
                || slot.max_choices < 1
                || slot.min_choices > slot.max_choices
                || slot.max_choices > count
            {
                problems.push(problem(
                    &format!("slots[{index}].max"),
                    "choices need 0 <= min <= max <= the number of options",
                ));
            }
            for (position, (option, extra_cents)) in slot.options.iter().enumerate() {
                let field = format!("slots[{index}].options[{position}]");
                if *extra_cents < 0 {
                    problems.push(problem(
                        &format!("{field}.extra_cents"),
                        "must not be negative",
                    ));
                }
                if slot.options[..position]
                    .iter()
                    .any(|(earlier, _)| earlier == option)
                {
                    problems.push(problem(&format!("{field}.product_id"), "listed twice"));
                    continue;
                }
                match kinds.get(option) {
                    Some(ProductKind::Simple) => {}
                    _ => problems.push(problem(
                        &format!("{field}.product_id"),
                        "not a simple product of this menu",
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(problems))
        }
    }

    /// `flavors_for` names one of the tenant's pizzas.
    async fn check_pizza(&self, tenant: TenantId, pizza: ProductId) -> Result<(), ServiceError> {
        match self.catalog.product(tenant, pizza).await? {
            Some(product) if product.kind == ProductKind::Pizza => Ok(()),
            _ => Err(ServiceError::field(
                "flavors_for",
                "not a pizza of this menu",
            )),
        }
    }

    /// A flavour's prices: its category is a pizza's flavours, and it has a price, not below
    /// zero, for each of that pizza's sizes and for nothing else.
    async fn check_flavor_prices(
        &self,
        tenant: TenantId,
        category: CategoryId,
        prices: &BTreeMap<PizzaSizeId, i64>,
    ) -> Result<(), ServiceError> {
        let pizza = self
            .catalog
            .categories(tenant)
            .await?
            .into_iter()
            .find(|found| found.id == category)
            .and_then(|found| found.flavors_for)
            .ok_or_else(|| {
                ServiceError::field(
                    "prices",
                    "only a flavour (a product in a pizza's flavour category) has prices by size",
                )
            })?;
        let pizza = self.product(tenant, pizza).await?;
        let mut problems = Vec::new();
        for (size, price) in prices {
            if !pizza.sizes.iter().any(|known| known.id == *size) {
                problems.push(problem(
                    &format!("prices.{size}"),
                    "not a size of the pizza",
                ));
            } else if *price < 0 {
                problems.push(problem(&format!("prices.{size}"), "must not be negative"));
            }
        }
        for size in pizza
            .sizes
            .iter()
            .filter(|size| !prices.contains_key(&size.id))
        {
            problems.push(problem(
                &format!("prices.{}", size.id),
                &format!("a price for size \"{}\" is needed", size.name),
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(problems))
        }
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
