use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::catalog::{
    Addon, AddonGroup, Category, ComboOption, ComboSlot, PizzaSize, Product, ProductKind,
    StoreProductState,
};
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{AddonGroupId, AddonId, CategoryId, ProductId, StoreId, TenantId};
use comanda_domain::{ComboSlotId, PizzaSizeId};
use comanda_ports::catalog::{
    AddonGroupInput, AddonInput, CatalogRepository, CategoryChanges, CategoryInput, ComboSlotInput,
    MenuData, PizzaSizeInput, ProductChanges, ProductFilter, ProductInput,
};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, diesel_error};
use crate::repos::audit::{self, Change};
use crate::repos::contains_pattern;
use crate::schema::{
    addon_groups, addons, categories, combo_options, combo_slots, flavor_prices, pizza_sizes,
    product_store_availability, products, stock_levels, stores,
};

#[derive(Clone)]
pub struct PgCatalogRepository {
    db: Database,
}

impl PgCatalogRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

type CategoryRow = (
    Uuid,
    String,
    String,
    i32,
    bool,
    Option<serde_json::Value>,
    Option<Uuid>,
);

fn category_from(row: CategoryRow) -> Category {
    let (id, name, description, position, is_active, schedule, flavors_for) = row;
    Category {
        id: CategoryId::from_uuid(id),
        name,
        description,
        position,
        is_active,
        schedule: schedule_from(schedule),
        flavors_for: flavors_for.map(ProductId::from_uuid),
    }
}

/// A stored schedule; one that no longer reads (written around the API) is never open, so
/// nothing is sold at hours nobody chose, and it is logged.
fn schedule_from(stored: Option<serde_json::Value>) -> Option<OpeningHours> {
    let stored = stored?;
    Some(serde_json::from_value(stored).unwrap_or_else(|error| {
        tracing::error!(%error, "stored schedule is invalid: read as never open");
        OpeningHours::default()
    }))
}

fn schedule_json(schedule: Option<&OpeningHours>) -> Option<serde_json::Value> {
    schedule.and_then(|schedule| serde_json::to_value(schedule).ok())
}

const CATEGORY_COLUMNS: (
    categories::id,
    categories::name,
    categories::description,
    categories::position,
    categories::is_active,
    categories::schedule,
    categories::flavors_for,
) = (
    categories::id,
    categories::name,
    categories::description,
    categories::position,
    categories::is_active,
    categories::schedule,
    categories::flavors_for,
);

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = products, check_for_backend(diesel::pg::Pg))]
struct ProductRow {
    id: Uuid,
    category_id: Uuid,
    name: String,
    description: String,
    price_cents: i64,
    image_url: Option<String>,
    video_url: Option<String>,
    position: i32,
    is_active: bool,
    track_stock: bool,
    schedule: Option<serde_json::Value>,
    kind: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = addon_groups, check_for_backend(diesel::pg::Pg))]
struct GroupRow {
    id: Uuid,
    product_id: Uuid,
    name: String,
    min_choices: i32,
    max_choices: i32,
    position: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = addons, check_for_backend(diesel::pg::Pg))]
struct AddonRow {
    id: Uuid,
    group_id: Uuid,
    name: String,
    price_cents: i64,
    is_available: bool,
    position: i32,
}

impl From<AddonRow> for Addon {
    fn from(row: AddonRow) -> Self {
        Addon {
            id: AddonId::from_uuid(row.id),
            group_id: AddonGroupId::from_uuid(row.group_id),
            name: row.name,
            price_cents: row.price_cents,
            is_available: row.is_available,
            position: row.position,
        }
    }
}

fn group_from(row: GroupRow, addons: Vec<Addon>) -> AddonGroup {
    AddonGroup {
        id: AddonGroupId::from_uuid(row.id),
        product_id: ProductId::from_uuid(row.product_id),
        name: row.name,
        min_choices: row.min_choices,
        max_choices: row.max_choices,
        position: row.position,
        addons,
    }
}

/// Products with their add-on groups and add-ons: two more queries whatever their number.
async fn with_groups(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    rows: Vec<ProductRow>,
) -> QueryResult<Vec<Product>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let group_rows: Vec<GroupRow> = addon_groups::table
        .filter(addon_groups::tenant_id.eq(tenant.as_uuid()))
        .filter(addon_groups::product_id.eq_any(&ids))
        .order((addon_groups::position, addon_groups::id))
        .select(GroupRow::as_select())
        .load(conn)
        .await?;
    let group_ids: Vec<Uuid> = group_rows.iter().map(|row| row.id).collect();
    let addon_rows: Vec<AddonRow> = addons::table
        .filter(addons::tenant_id.eq(tenant.as_uuid()))
        .filter(addons::group_id.eq_any(&group_ids))
        .order((addons::position, addons::id))
        .select(AddonRow::as_select())
        .load(conn)
        .await?;
    let mut addons_by_group: HashMap<Uuid, Vec<Addon>> = HashMap::new();
    for row in addon_rows {
        addons_by_group
            .entry(row.group_id)
            .or_default()
            .push(row.into());
    }
    // Pizzas' sizes and flavours' prices: two more statements whatever the menu's size.
    let size_rows: Vec<(Uuid, Uuid, String, i32, i32, i32)> = pizza_sizes::table
        .filter(pizza_sizes::tenant_id.eq(tenant.as_uuid()))
        .filter(pizza_sizes::product_id.eq_any(&ids))
        .order((pizza_sizes::position, pizza_sizes::id))
        .select((
            pizza_sizes::product_id,
            pizza_sizes::id,
            pizza_sizes::name,
            pizza_sizes::slices,
            pizza_sizes::max_flavors,
            pizza_sizes::position,
        ))
        .load(conn)
        .await?;
    let mut sizes_by_product: HashMap<Uuid, Vec<PizzaSize>> = HashMap::new();
    for (product, id, name, slices, max_flavors, position) in size_rows {
        sizes_by_product
            .entry(product)
            .or_default()
            .push(PizzaSize {
                id: PizzaSizeId::from_uuid(id),
                name,
                slices,
                max_flavors,
                position,
            });
    }
    let price_rows: Vec<(Uuid, Uuid, i64)> = flavor_prices::table
        .filter(flavor_prices::tenant_id.eq(tenant.as_uuid()))
        .filter(flavor_prices::product_id.eq_any(&ids))
        .select((
            flavor_prices::product_id,
            flavor_prices::size_id,
            flavor_prices::price_cents,
        ))
        .load(conn)
        .await?;
    let mut prices_by_product: HashMap<Uuid, BTreeMap<PizzaSizeId, i64>> = HashMap::new();
    for (product, size, price_cents) in price_rows {
        prices_by_product
            .entry(product)
            .or_default()
            .insert(PizzaSizeId::from_uuid(size), price_cents);
    }
    let slots_by_product = combo_slots_of(conn, tenant, &ids).await?;
    let mut groups_by_product: HashMap<Uuid, Vec<AddonGroup>> = HashMap::new();
    for row in group_rows {
        let addons = addons_by_group.remove(&row.id).unwrap_or_default();
        groups_by_product
            .entry(row.product_id)
            .or_default()
            .push(group_from(row, addons));
    }
    Ok(rows
        .into_iter()
        .map(|row| Product {
            id: ProductId::from_uuid(row.id),
            category_id: CategoryId::from_uuid(row.category_id),
            addon_groups: groups_by_product.remove(&row.id).unwrap_or_default(),
            name: row.name,
            description: row.description,
            price_cents: row.price_cents,
            image_url: row.image_url,
            video_url: row.video_url,
            position: row.position,
            is_active: row.is_active,
            track_stock: row.track_stock,
            schedule: schedule_from(row.schedule),
            kind: ProductKind::parse(&row.kind).unwrap_or_default(),
            sizes: sizes_by_product.remove(&row.id).unwrap_or_default(),
            flavor_prices: prices_by_product.remove(&row.id).unwrap_or_default(),
            slots: slots_by_product.get(&row.id).cloned().unwrap_or_default(),
        })
        .collect())
}

/// Combos' slots with their options: two statements whatever the menu's size.
async fn combo_slots_of(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    products: &[Uuid],
) -> QueryResult<HashMap<Uuid, Vec<ComboSlot>>> {
    let slot_rows: Vec<(Uuid, Uuid, String, i32, i32)> = combo_slots::table
        .filter(combo_slots::tenant_id.eq(tenant.as_uuid()))
        .filter(combo_slots::product_id.eq_any(products))
        .order((combo_slots::position, combo_slots::id))
        .select((
            combo_slots::product_id,
            combo_slots::id,
            combo_slots::name,
            combo_slots::min_choices,
            combo_slots::max_choices,
        ))
        .load(conn)
        .await?;
    let slot_ids: Vec<Uuid> = slot_rows.iter().map(|row| row.1).collect();
    let option_rows: Vec<(Uuid, Uuid, i64)> = combo_options::table
        .filter(combo_options::tenant_id.eq(tenant.as_uuid()))
        .filter(combo_options::slot_id.eq_any(&slot_ids))
        .order((combo_options::position, combo_options::product_id))
        .select((
            combo_options::slot_id,
            combo_options::product_id,
            combo_options::extra_cents,
        ))
        .load(conn)
        .await?;
    let mut options_by_slot: HashMap<Uuid, Vec<ComboOption>> = HashMap::new();
    for (slot, product, extra_cents) in option_rows {
        options_by_slot.entry(slot).or_default().push(ComboOption {
            product_id: ProductId::from_uuid(product),
            extra_cents,
        });
    }
    let mut slots: HashMap<Uuid, Vec<ComboSlot>> = HashMap::new();
    for (product, id, name, min_choices, max_choices) in slot_rows {
        slots.entry(product).or_default().push(ComboSlot {
            id: ComboSlotId::from_uuid(id),
            name,
            min_choices,
            max_choices,
            options: options_by_slot.remove(&id).unwrap_or_default(),
        });
    }
    Ok(slots)
}

/// Replaces a combo's slots (and their options).
async fn write_slots(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    product: Uuid,
    slots: &[ComboSlotInput],
) -> QueryResult<()> {
    diesel::delete(
        combo_slots::table
            .filter(combo_slots::tenant_id.eq(tenant.as_uuid()))
            .filter(combo_slots::product_id.eq(product)),
    )
    .execute(conn)
    .await?;
    for (position, slot) in slots.iter().enumerate() {
        let id = ComboSlotId::generate().as_uuid();
        diesel::insert_into(combo_slots::table)
            .values((
                combo_slots::tenant_id.eq(tenant.as_uuid()),
                combo_slots::id.eq(id),
                combo_slots::product_id.eq(product),
                combo_slots::name.eq(&slot.name),
                combo_slots::min_choices.eq(slot.min_choices),
                combo_slots::max_choices.eq(slot.max_choices),
                combo_slots::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
            ))
            .execute(conn)
            .await?;
        let options: Vec<_> = slot
            .options
            .iter()
            .enumerate()
            .map(|(option_position, (option, extra_cents))| {
                (
                    combo_options::tenant_id.eq(tenant.as_uuid()),
                    combo_options::slot_id.eq(id),
                    combo_options::product_id.eq(option.as_uuid()),
                    combo_options::extra_cents.eq(*extra_cents),
                    combo_options::position.eq(i32::try_from(option_position).unwrap_or(i32::MAX)),
                )
            })
            .collect();
        if !options.is_empty() {
            diesel::insert_into(combo_options::table)
                .values(options)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Replaces a pizza's sizes: given ids are kept (with their flavour prices), new ones made,
/// the rest deleted. The service checks that a given id is one of this pizza's sizes.
pub(crate) async fn write_sizes(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    product: Uuid,
    sizes: &[PizzaSizeInput],
) -> QueryResult<()> {
    let kept: Vec<Uuid> = sizes
        .iter()
        .filter_map(|size| size.id.map(|id| id.as_uuid()))
        .collect();
    diesel::delete(
        pizza_sizes::table
            .filter(pizza_sizes::tenant_id.eq(tenant.as_uuid()))
            .filter(pizza_sizes::product_id.eq(product))
            .filter(pizza_sizes::id.ne_all(&kept)),
    )
    .execute(conn)
    .await?;
    for (position, size) in sizes.iter().enumerate() {
        let values = (
            pizza_sizes::tenant_id.eq(tenant.as_uuid()),
            pizza_sizes::id.eq(size.id.unwrap_or_else(PizzaSizeId::generate).as_uuid()),
            pizza_sizes::product_id.eq(product),
            pizza_sizes::name.eq(&size.name),
            pizza_sizes::slices.eq(size.slices),
            pizza_sizes::max_flavors.eq(size.max_flavors),
            pizza_sizes::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
        );
        diesel::insert_into(pizza_sizes::table)
            .values(values)
            .on_conflict((pizza_sizes::tenant_id, pizza_sizes::id))
            .do_update()
            .set((
                pizza_sizes::name.eq(&size.name),
                pizza_sizes::slices.eq(size.slices),
                pizza_sizes::max_flavors.eq(size.max_flavors),
                pizza_sizes::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Replaces a flavour's prices per size.
pub(crate) async fn write_prices(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    product: Uuid,
    prices: &BTreeMap<PizzaSizeId, i64>,
) -> QueryResult<()> {
    diesel::delete(
        flavor_prices::table
            .filter(flavor_prices::tenant_id.eq(tenant.as_uuid()))
            .filter(flavor_prices::product_id.eq(product)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = prices
        .iter()
        .map(|(size, price_cents)| {
            (
                flavor_prices::tenant_id.eq(tenant.as_uuid()),
                flavor_prices::product_id.eq(product),
                flavor_prices::size_id.eq(size.as_uuid()),
                flavor_prices::price_cents.eq(*price_cents),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(flavor_prices::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}

async fn load_product(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Product>, TxError> {
    let row: Option<ProductRow> = products::table
        .filter(products::tenant_id.eq(tenant.as_uuid()))
        .filter(products::id.eq(id))
        .select(ProductRow::as_select())
        .first(conn)
        .await
        .optional()?;
    match row {
        Some(row) => Ok(with_groups(conn, tenant, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

async fn load_category(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Category>, TxError> {
    let row: Option<CategoryRow> = categories::table
        .filter(categories::tenant_id.eq(tenant.as_uuid()))
        .filter(categories::id.eq(id))
        .select(CATEGORY_COLUMNS)
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(category_from))
}

async fn load_group(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<AddonGroup>, TxError> {
    let row: Option<GroupRow> = addon_groups::table
        .filter(addon_groups::tenant_id.eq(tenant.as_uuid()))
        .filter(addon_groups::id.eq(id))
        .select(GroupRow::as_select())
        .first(conn)
        .await
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let addon_rows: Vec<AddonRow> = addons::table
        .filter(addons::tenant_id.eq(tenant.as_uuid()))
        .filter(addons::group_id.eq(id))
        .order((addons::position, addons::id))
        .select(AddonRow::as_select())
        .load(conn)
        .await?;
    Ok(Some(group_from(
        row,
        addon_rows.into_iter().map(Addon::from).collect(),
    )))
}

async fn load_addon(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Addon>, TxError> {
    let row: Option<AddonRow> = addons::table
        .filter(addons::tenant_id.eq(tenant.as_uuid()))
        .filter(addons::id.eq(id))
        .select(AddonRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(Addon::from))
}

fn category_json(category: &Category) -> serde_json::Value {
    serde_json::json!({
        "id": category.id, "name": category.name, "description": category.description,
        "position": category.position, "is_active": category.is_active,
        "schedule": category.schedule,
    })
}

fn product_json(product: &Product) -> serde_json::Value {
    serde_json::json!({
        "id": product.id, "category_id": product.category_id, "name": product.name,
        "description": product.description, "price_cents": product.price_cents,
        "image_url": product.image_url, "video_url": product.video_url, "position": product.position,
        "is_active": product.is_active, "track_stock": product.track_stock,
        "schedule": product.schedule,
    })
}

fn group_json(group: &AddonGroup) -> serde_json::Value {
    serde_json::json!({
        "id": group.id, "product_id": group.product_id, "name": group.name,
        "min_choices": group.min_choices, "max_choices": group.max_choices, "position": group.position,
    })
}

fn addon_json(addon: &Addon) -> serde_json::Value {
    serde_json::json!({
        "id": addon.id, "group_id": addon.group_id, "name": addon.name, "price_cents": addon.price_cents,
        "is_available": addon.is_available, "position": addon.position,
    })
}

/// One audited change in one transaction; the closure does the change and answers
/// (entity id, before, after).
macro_rules! audited {
    ($self:ident, $tenant:ident, $actor:ident, $action:literal, $entity:literal, |$conn:ident| $body:block) => {{
        let mut connection = $self.db.conn().await?;
        connection
            .transaction::<_, TxError, _>(async move |$conn| {
                let (id, before, after, value) = $body;
                audit::record(
                    $conn,
                    $actor,
                    Change {
                        tenant: Some($tenant),
                        action: $action,
                        entity_type: $entity,
                        entity_id: Some(id),
                        before,
                        after,
                    },
                )
                .await?;
                Ok(value)
            })
            .await
            .map_err(RepoError::from)
    }};
}

fn category_reference(error: RepoError) -> RepoError {
    match error {
        RepoError::InvalidReference(_) => RepoError::InvalidReference("category".into()),
        other => other,
    }
}

#[async_trait]
impl CatalogRepository for PgCatalogRepository {
    async fn kinds(
        &self,
        tenant: TenantId,
        ids: &[ProductId],
    ) -> RepoResult<HashMap<ProductId, ProductKind>> {
        let mut conn = self.db.conn().await?;
        let ids: Vec<Uuid> = ids.iter().map(ProductId::as_uuid).collect();
        let rows: Vec<(Uuid, String)> = products::table
            .filter(products::tenant_id.eq(tenant.as_uuid()))
            .filter(products::id.eq_any(&ids))
            .select((products::id, products::kind))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|(id, kind)| {
                (
                    ProductId::from_uuid(id),
                    ProductKind::parse(&kind).unwrap_or_default(),
                )
            })
            .collect())
    }

    async fn categories(&self, tenant: TenantId) -> RepoResult<Vec<Category>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<CategoryRow> = categories::table
            .filter(categories::tenant_id.eq(tenant.as_uuid()))
            .order((categories::position, categories::name))
            .select(CATEGORY_COLUMNS)
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows.into_iter().map(category_from).collect())
    }

    async fn create_category(
        &self,
        tenant: TenantId,
        input: CategoryInput,
        actor: &Actor,
    ) -> RepoResult<Category> {
        audited!(self, tenant, actor, "category.create", "category", |conn| {
            let id = CategoryId::generate().as_uuid();
            diesel::insert_into(categories::table)
                .values((
                    categories::id.eq(id),
                    categories::tenant_id.eq(tenant.as_uuid()),
                    categories::name.eq(&input.name),
                    categories::description.eq(&input.description),
                    categories::position.eq(input.position),
                    categories::is_active.eq(input.is_active),
                    categories::schedule.eq(schedule_json(input.schedule.as_ref())),
                    categories::flavors_for.eq(input.flavors_for.map(|p| p.as_uuid())),
                ))
                .execute(conn)
                .await?;
            let created = load_category(conn, tenant, id)
                .await?
                .ok_or(RepoError::NotFound("category"))?;
            (id.to_string(), None, Some(category_json(&created)), created)
        })
    }

    async fn update_category(
        &self,
        tenant: TenantId,
        id: CategoryId,
        changes: CategoryChanges,
        actor: &Actor,
    ) -> RepoResult<Category> {
        audited!(self, tenant, actor, "category.update", "category", |conn| {
            let before = load_category(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("category"))?;
            diesel::update(
                categories::table
                    .filter(categories::tenant_id.eq(tenant.as_uuid()))
                    .filter(categories::id.eq(id.as_uuid())),
            )
            .set((
                categories::name.eq(changes.name.as_deref().unwrap_or(&before.name)),
                categories::description.eq(changes
                    .description
                    .as_deref()
                    .unwrap_or(&before.description)),
                categories::position.eq(changes.position.unwrap_or(before.position)),
                categories::is_active.eq(changes.is_active.unwrap_or(before.is_active)),
                categories::schedule.eq(schedule_json(
                    changes
                        .schedule
                        .as_ref()
                        .map_or(before.schedule.as_ref(), Option::as_ref),
                )),
                categories::flavors_for.eq(changes
                    .flavors_for
                    .unwrap_or(before.flavors_for)
                    .map(|p| p.as_uuid())),
                categories::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
            let after = load_category(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("category"))?;
            (
                id.to_string(),
                Some(category_json(&before)),
                Some(category_json(&after)),
                after,
            )
        })
    }

    async fn delete_category(
        &self,
        tenant: TenantId,
        id: CategoryId,
        actor: &Actor,
    ) -> RepoResult<()> {
        audited!(self, tenant, actor, "category.delete", "category", |conn| {
            let before = load_category(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("category"))?;
            let used: i64 = products::table
                .filter(products::tenant_id.eq(tenant.as_uuid()))
                .filter(products::category_id.eq(id.as_uuid()))
                .count()
                .get_result(conn)
                .await?;
            if used > 0 {
                return Err(RepoError::Conflict("category_not_empty".into()).into());
            }
            diesel::delete(
                categories::table
                    .filter(categories::tenant_id.eq(tenant.as_uuid()))
                    .filter(categories::id.eq(id.as_uuid())),
            )
            .execute(conn)
            .await?;
            (id.to_string(), Some(category_json(&before)), None, ())
        })
    }

    async fn products(
        &self,
        tenant: TenantId,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> RepoResult<Page<Product>> {
        let mut conn = self.db.conn().await?;
        let pattern = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(contains_pattern);
        let filtered = || {
            let mut query = products::table
                .filter(products::tenant_id.eq(tenant.as_uuid()))
                .into_boxed();
            if let Some(category) = filter.category_id {
                query = query.filter(products::category_id.eq(category.as_uuid()));
            }
            if let Some(pattern) = &pattern {
                query = query.filter(products::name.ilike(pattern.clone()));
            }
            query
        };
        let total: i64 = filtered()
            .count()
            .get_result(&mut conn)
            .await
            .map_err(diesel_error)?;
        let rows: Vec<ProductRow> = filtered()
            .order((products::position, products::name, products::id))
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .select(ProductRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(Page {
            items: with_groups(&mut conn, tenant, rows)
                .await
                .map_err(diesel_error)?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn product(&self, tenant: TenantId, id: ProductId) -> RepoResult<Option<Product>> {
        let mut conn = self.db.conn().await?;
        Ok(load_product(&mut conn, tenant, id.as_uuid()).await?)
    }

    async fn create_product(
        &self,
        tenant: TenantId,
        input: ProductInput,
        actor: &Actor,
    ) -> RepoResult<Product> {
        let created: RepoResult<Product> =
            audited!(self, tenant, actor, "product.create", "product", |conn| {
                let id = ProductId::generate().as_uuid();
                diesel::insert_into(products::table)
                    .values((
                        products::id.eq(id),
                        products::tenant_id.eq(tenant.as_uuid()),
                        products::category_id.eq(input.category_id.as_uuid()),
                        products::name.eq(&input.name),
                        products::description.eq(&input.description),
                        products::price_cents.eq(input.price_cents),
                        products::position.eq(input.position),
                        products::is_active.eq(input.is_active),
                        products::track_stock.eq(input.track_stock),
                        products::schedule.eq(schedule_json(input.schedule.as_ref())),
                        products::kind.eq(input.kind.as_str()),
                    ))
                    .execute(conn)
                    .await?;
                write_sizes(conn, tenant, id, &input.sizes).await?;
                write_prices(conn, tenant, id, &input.flavor_prices).await?;
                write_slots(conn, tenant, id, &input.slots).await?;
                let created = load_product(conn, tenant, id)
                    .await?
                    .ok_or(RepoError::NotFound("product"))?;
                (id.to_string(), None, Some(product_json(&created)), created)
            });
        created.map_err(category_reference)
    }

    async fn update_product(
        &self,
        tenant: TenantId,
        id: ProductId,
        changes: ProductChanges,
        actor: &Actor,
    ) -> RepoResult<Product> {
        let updated: RepoResult<Product> =
            audited!(self, tenant, actor, "product.update", "product", |conn| {
                let before = load_product(conn, tenant, id.as_uuid())
                    .await?
                    .ok_or(RepoError::NotFound("product"))?;
                diesel::update(
                    products::table
                        .filter(products::tenant_id.eq(tenant.as_uuid()))
                        .filter(products::id.eq(id.as_uuid())),
                )
                .set((
                    products::category_id
                        .eq(changes.category_id.unwrap_or(before.category_id).as_uuid()),
                    products::name.eq(changes.name.as_deref().unwrap_or(&before.name)),
                    products::description.eq(changes
                        .description
                        .as_deref()
                        .unwrap_or(&before.description)),
                    products::price_cents.eq(changes.price_cents.unwrap_or(before.price_cents)),
                    products::position.eq(changes.position.unwrap_or(before.position)),
                    products::is_active.eq(changes.is_active.unwrap_or(before.is_active)),
                    products::track_stock.eq(changes.track_stock.unwrap_or(before.track_stock)),
                    products::schedule.eq(schedule_json(
                        changes
                            .schedule
                            .as_ref()
                            .map_or(before.schedule.as_ref(), Option::as_ref),
                    )),
                    products::image_url.eq(changes
                        .image_url
                        .clone()
                        .unwrap_or(before.image_url.clone())),
                    products::video_url.eq(changes
                        .video_url
                        .clone()
                        .unwrap_or(before.video_url.clone())),
                    products::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
                if let Some(sizes) = &changes.sizes {
                    write_sizes(conn, tenant, id.as_uuid(), sizes).await?;
                }
                if let Some(prices) = &changes.flavor_prices {
                    write_prices(conn, tenant, id.as_uuid(), prices).await?;
                }
                if let Some(slots) = &changes.slots {
                    write_slots(conn, tenant, id.as_uuid(), slots).await?;
                }
                let after = load_product(conn, tenant, id.as_uuid())
                    .await?
                    .ok_or(RepoError::NotFound("product"))?;
                (
                    id.to_string(),
                    Some(product_json(&before)),
                    Some(product_json(&after)),
                    after,
                )
            });
        updated.map_err(category_reference)
    }

    async fn delete_product(
        &self,
        tenant: TenantId,
        id: ProductId,
        actor: &Actor,
    ) -> RepoResult<()> {
        audited!(self, tenant, actor, "product.delete", "product", |conn| {
            let before = load_product(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("product"))?;
            diesel::delete(
                products::table
                    .filter(products::tenant_id.eq(tenant.as_uuid()))
                    .filter(products::id.eq(id.as_uuid())),
            )
            .execute(conn)
            .await?;
            (id.to_string(), Some(product_json(&before)), None, ())
        })
    }

    async fn set_availability(
        &self,
        tenant: TenantId,
        store: Option<StoreId>,
        product_ids: &[ProductId],
        available: bool,
        actor: &Actor,
    ) -> RepoResult<u64> {
        let ids: Vec<Uuid> = product_ids.iter().map(ProductId::as_uuid).collect();
        audited!(
            self,
            tenant,
            actor,
            "product.availability",
            "product",
            |conn| {
                let mut store_query = stores::table
                    .filter(stores::tenant_id.eq(tenant.as_uuid()))
                    .into_boxed();
                if let Some(store) = store {
                    store_query = store_query.filter(stores::id.eq(store.as_uuid()));
                }
                let store_ids: Vec<Uuid> = store_query.select(stores::id).load(conn).await?;
                if store.is_some() && store_ids.is_empty() {
                    return Err(RepoError::NotFound("store").into());
                }
                let found: i64 = products::table
                    .filter(products::tenant_id.eq(tenant.as_uuid()))
                    .filter(products::id.eq_any(&ids))
                    .count()
                    .get_result(conn)
                    .await?;
                let unique: std::collections::BTreeSet<&Uuid> = ids.iter().collect();
                if usize::try_from(found).unwrap_or(0) != unique.len() {
                    return Err(RepoError::NotFound("product").into());
                }
                let rows: Vec<_> = store_ids
                    .iter()
                    .flat_map(|store| {
                        unique.iter().map(move |product| {
                            (
                                product_store_availability::tenant_id.eq(tenant.as_uuid()),
                                product_store_availability::product_id.eq(**product),
                                product_store_availability::store_id.eq(*store),
                                product_store_availability::available.eq(available),
                            )
                        })
                    })
                    .collect();
                let changed = if rows.is_empty() {
                    0
                } else {
                    diesel::insert_into(product_store_availability::table)
                        .values(rows)
                        .on_conflict((
                            product_store_availability::tenant_id,
                            product_store_availability::store_id,
                            product_store_availability::product_id,
                        ))
                        .do_update()
                        .set((
                            product_store_availability::available.eq(available),
                            product_store_availability::updated_at.eq(diesel::dsl::now),
                        ))
                        .execute(conn)
                        .await?
                };
                let summary = serde_json::json!({
                    "store_id": store, "product_ids": ids, "available": available,
                });
                (
                    store.map_or_else(|| "all-stores".to_owned(), |s| s.to_string()),
                    None,
                    Some(summary),
                    u64::try_from(changed).unwrap_or(0),
                )
            }
        )
    }

    async fn set_sold_out(
        &self,
        tenant: TenantId,
        store: StoreId,
        product: ProductId,
        until: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> RepoResult<()> {
        audited!(self, tenant, actor, "product.sold_out", "product", |conn| {
            let known: i64 = products::table
                .filter(products::tenant_id.eq(tenant.as_uuid()))
                .filter(products::id.eq(product.as_uuid()))
                .count()
                .get_result(conn)
                .await?;
            if known == 0 {
                return Err(RepoError::NotFound("product").into());
            }
            let known: i64 = stores::table
                .filter(stores::tenant_id.eq(tenant.as_uuid()))
                .filter(stores::id.eq(store.as_uuid()))
                .count()
                .get_result(conn)
                .await?;
            if known == 0 {
                return Err(RepoError::NotFound("store").into());
            }
            diesel::insert_into(product_store_availability::table)
                .values((
                    product_store_availability::tenant_id.eq(tenant.as_uuid()),
                    product_store_availability::product_id.eq(product.as_uuid()),
                    product_store_availability::store_id.eq(store.as_uuid()),
                    // A first row for the pair: switched on, as a missing row reads.
                    product_store_availability::available.eq(true),
                    product_store_availability::sold_out_until.eq(until),
                ))
                .on_conflict((
                    product_store_availability::tenant_id,
                    product_store_availability::store_id,
                    product_store_availability::product_id,
                ))
                .do_update()
                .set((
                    product_store_availability::sold_out_until.eq(until),
                    product_store_availability::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            (
                product.to_string(),
                None,
                Some(serde_json::json!({ "store_id": store, "sold_out_until": until })),
                (),
            )
        })
    }

    async fn create_addon_group(
        &self,
        tenant: TenantId,
        product: ProductId,
        input: AddonGroupInput,
        actor: &Actor,
    ) -> RepoResult<AddonGroup> {
        audited!(
            self,
            tenant,
            actor,
            "addon_group.create",
            "addon_group",
            |conn| {
                load_product(conn, tenant, product.as_uuid())
                    .await?
                    .ok_or(RepoError::NotFound("product"))?;
                let id = AddonGroupId::generate().as_uuid();
                diesel::insert_into(addon_groups::table)
                    .values((
                        addon_groups::id.eq(id),
                        addon_groups::tenant_id.eq(tenant.as_uuid()),
                        addon_groups::product_id.eq(product.as_uuid()),
                        addon_groups::name.eq(&input.name),
                        addon_groups::min_choices.eq(input.min_choices),
                        addon_groups::max_choices.eq(input.max_choices),
                        addon_groups::position.eq(input.position),
                    ))
                    .execute(conn)
                    .await?;
                let created = load_group(conn, tenant, id)
                    .await?
                    .ok_or(RepoError::NotFound("add-on group"))?;
                (id.to_string(), None, Some(group_json(&created)), created)
            }
        )
    }

    async fn update_addon_group(
        &self,
        tenant: TenantId,
        id: AddonGroupId,
        input: AddonGroupInput,
        actor: &Actor,
    ) -> RepoResult<AddonGroup> {
        audited!(
            self,
            tenant,
            actor,
            "addon_group.update",
            "addon_group",
            |conn| {
                let before = load_group(conn, tenant, id.as_uuid())
                    .await?
                    .ok_or(RepoError::NotFound("add-on group"))?;
                diesel::update(
                    addon_groups::table
                        .filter(addon_groups::tenant_id.eq(tenant.as_uuid()))
                        .filter(addon_groups::id.eq(id.as_uuid())),
                )
                .set((
                    addon_groups::name.eq(&input.name),
                    addon_groups::min_choices.eq(input.min_choices),
                    addon_groups::max_choices.eq(input.max_choices),
                    addon_groups::position.eq(input.position),
                ))
                .execute(conn)
                .await?;
                let after = load_group(conn, tenant, id.as_uuid())
                    .await?
                    .ok_or(RepoError::NotFound("add-on group"))?;
                (
                    id.to_string(),
                    Some(group_json(&before)),
                    Some(group_json(&after)),
                    after,
                )
            }
        )
    }

    async fn delete_addon_group(
        &self,
        tenant: TenantId,
        id: AddonGroupId,
        actor: &Actor,
    ) -> RepoResult<()> {
        audited!(
            self,
            tenant,
            actor,
            "addon_group.delete",
            "addon_group",
            |conn| {
                let before = load_group(conn, tenant, id.as_uuid())
                    .await?
                    .ok_or(RepoError::NotFound("add-on group"))?;
                diesel::delete(
                    addon_groups::table
                        .filter(addon_groups::tenant_id.eq(tenant.as_uuid()))
                        .filter(addon_groups::id.eq(id.as_uuid())),
                )
                .execute(conn)
                .await?;
                (id.to_string(), Some(group_json(&before)), None, ())
            }
        )
    }

    async fn create_addon(
        &self,
        tenant: TenantId,
        group: AddonGroupId,
        input: AddonInput,
        actor: &Actor,
    ) -> RepoResult<Addon> {
        audited!(self, tenant, actor, "addon.create", "addon", |conn| {
            load_group(conn, tenant, group.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("add-on group"))?;
            let id = AddonId::generate().as_uuid();
            diesel::insert_into(addons::table)
                .values((
                    addons::id.eq(id),
                    addons::tenant_id.eq(tenant.as_uuid()),
                    addons::group_id.eq(group.as_uuid()),
                    addons::name.eq(&input.name),
                    addons::price_cents.eq(input.price_cents),
                    addons::is_available.eq(input.is_available),
                    addons::position.eq(input.position),
                ))
                .execute(conn)
                .await?;
            let created = load_addon(conn, tenant, id)
                .await?
                .ok_or(RepoError::NotFound("add-on"))?;
            (id.to_string(), None, Some(addon_json(&created)), created)
        })
    }

    async fn update_addon(
        &self,
        tenant: TenantId,
        id: AddonId,
        input: AddonInput,
        actor: &Actor,
    ) -> RepoResult<Addon> {
        audited!(self, tenant, actor, "addon.update", "addon", |conn| {
            let before = load_addon(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("add-on"))?;
            diesel::update(
                addons::table
                    .filter(addons::tenant_id.eq(tenant.as_uuid()))
                    .filter(addons::id.eq(id.as_uuid())),
            )
            .set((
                addons::name.eq(&input.name),
                addons::price_cents.eq(input.price_cents),
                addons::is_available.eq(input.is_available),
                addons::position.eq(input.position),
            ))
            .execute(conn)
            .await?;
            let after = load_addon(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("add-on"))?;
            (
                id.to_string(),
                Some(addon_json(&before)),
                Some(addon_json(&after)),
                after,
            )
        })
    }

    async fn delete_addon(&self, tenant: TenantId, id: AddonId, actor: &Actor) -> RepoResult<()> {
        audited!(self, tenant, actor, "addon.delete", "addon", |conn| {
            let before = load_addon(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("add-on"))?;
            diesel::delete(
                addons::table
                    .filter(addons::tenant_id.eq(tenant.as_uuid()))
                    .filter(addons::id.eq(id.as_uuid())),
            )
            .execute(conn)
            .await?;
            (id.to_string(), Some(addon_json(&before)), None, ())
        })
    }

    async fn menu(&self, tenant: TenantId, store: StoreId) -> RepoResult<MenuData> {
        let mut conn = self.db.conn().await?;
        let categories_rows: Vec<CategoryRow> = categories::table
            .filter(categories::tenant_id.eq(tenant.as_uuid()))
            .filter(categories::is_active.eq(true))
            .select(CATEGORY_COLUMNS)
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        let (products, states) = products_with_state(&mut conn, tenant, store, None)
            .await
            .map_err(diesel_error)?;
        Ok(MenuData {
            categories: categories_rows.into_iter().map(category_from).collect(),
            products,
            states,
        })
    }

    async fn products_in_store(
        &self,
        tenant: TenantId,
        store: StoreId,
        ids: &[ProductId],
    ) -> RepoResult<Vec<(Product, StoreProductState)>> {
        let mut conn = self.db.conn().await?;
        let ids: Vec<Uuid> = ids.iter().map(ProductId::as_uuid).collect();
        let (products, mut states) = products_with_state(&mut conn, tenant, store, Some(&ids))
            .await
            .map_err(diesel_error)?;
        Ok(products
            .into_iter()
            .map(|product| {
                let state = states.remove(&product.id).unwrap_or_default();
                (product, state)
            })
            .collect())
    }
}

/// Products (active ones, or the given ones whatever their state) with their availability and
/// stock in the store, and their add-ons: three queries.
async fn products_with_state(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    store: StoreId,
    ids: Option<&[Uuid]>,
) -> QueryResult<(Vec<Product>, HashMap<ProductId, StoreProductState>)> {
    let mut query = products::table
        .left_join(
            product_store_availability::table.on(product_store_availability::tenant_id
                .eq(products::tenant_id)
                .and(product_store_availability::product_id.eq(products::id))
                .and(product_store_availability::store_id.eq(store.as_uuid()))),
        )
        .left_join(
            stock_levels::table.on(stock_levels::tenant_id
                .eq(products::tenant_id)
                .and(stock_levels::product_id.eq(products::id))
                .and(stock_levels::store_id.eq(store.as_uuid()))),
        )
        .filter(products::tenant_id.eq(tenant.as_uuid()))
        .into_boxed();
    query = match ids {
        Some(ids) => query.filter(products::id.eq_any(ids.to_vec())),
        None => query.filter(products::is_active.eq(true)),
    };
    type StateRow = (ProductRow, Option<bool>, Option<DateTime<Utc>>, Option<i32>);
    let rows: Vec<StateRow> = query
        .select((
            ProductRow::as_select(),
            product_store_availability::available.nullable(),
            product_store_availability::sold_out_until.nullable(),
            stock_levels::quantity.nullable(),
        ))
        .load(conn)
        .await?;
    let mut states = HashMap::with_capacity(rows.len());
    let mut product_rows = Vec::with_capacity(rows.len());
    for (row, available, sold_out_until, stock) in rows {
        states.insert(
            ProductId::from_uuid(row.id),
            StoreProductState {
                enabled: available.unwrap_or(true),
                stock,
                sold_out_until,
            },
        );
        product_rows.push(row);
    }
    Ok((with_groups(conn, tenant, product_rows).await?, states))
}
