//! `/admin/catalog`: categories, products, add-on groups and add-ons, availability, media
//! (module `catalog`).

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post, put};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use comanda_domain::catalog::{
    Addon, AddonGroup, Category, ComboSlot, PizzaSize, Product, ProductKind,
};
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{AddonGroupId, AddonId, CategoryId, PizzaSizeId, ProductId, StoreId};
use comanda_ports::catalog::{
    AddonGroupInput, AddonInput, CategoryChanges, CategoryInput, ComboSlotInput, PizzaSizeInput,
    ProductChanges, ProductFilter, ProductInput,
};
use comanda_services::media::MediaTarget;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::parse_ids;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery};
use crate::routes::catalog::AddonGroupView;
use crate::routes::media::{UploadForm, UploadResponse, upload};
use crate::routes::parse_id;
use crate::routes::patch;
use crate::routes::stores::OpeningHoursView;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub is_active: bool,
    /// When its products are sold, in the store's time zone; absent: always.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<OpeningHoursView>)]
    pub schedule: Option<OpeningHours>,
    /// The pizza whose flavours its products are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flavors_for: Option<String>,
}

impl From<Category> for CategoryView {
    fn from(category: Category) -> Self {
        Self {
            id: category.id.to_string(),
            name: category.name,
            description: category.description,
            position: category.position,
            is_active: category.is_active,
            schedule: category.schedule,
            flavors_for: category.flavors_for.map(|pizza| pizza.to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub position: i32,
    #[serde(default = "yes")]
    pub is_active: bool,
    /// Weekday → time ranges in the store's time zone (a lunch menu); absent: always sold.
    #[schema(value_type = Option<OpeningHoursView>)]
    pub schedule: Option<OpeningHours>,
    /// Makes its products the flavours of this pizza (a product of kind `pizza`).
    pub flavors_for: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub position: Option<i32>,
    pub is_active: Option<bool>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<OpeningHoursView>)]
    pub schedule: Option<Option<OpeningHours>>,
    /// `null`: its products are no longer a pizza's flavours.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub flavors_for: Option<Option<String>>,
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CategoryList), (status = 403, body = ErrorBody))
)]
#[get("/admin/catalog/categories")]
pub async fn list_categories(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<CategoryList>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::View)?;
    let categories = state.catalog.categories(scope.tenant).await?;
    Ok(web::Json(CategoryList {
        total: categories.len() as u64,
        items: categories.into_iter().map(CategoryView::from).collect(),
    }))
}

#[utoipa::path(
    tag = "admin", request_body = CategoryRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = CategoryView), (status = 422, body = ErrorBody))
)]
#[post("/admin/catalog/categories")]
pub async fn create_category(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<CategoryRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Create)?;
    let body = body.into_inner()?;
    let input = CategoryInput {
        name: body.name,
        description: body.description,
        position: body.position,
        is_active: body.is_active,
        schedule: body.schedule,
        flavors_for: body
            .flavors_for
            .as_deref()
            .map(|raw| parse_id(raw, "flavors_for"))
            .transpose()?,
    };
    let created = state
        .catalog
        .create_category(scope.tenant, input, scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(CategoryView::from(created)))
}

#[utoipa::path(
    tag = "admin", params(("category_id" = String, Path)),
    request_body = CategoryPatch,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CategoryView), (status = 404, body = ErrorBody))
)]
#[patch("/admin/catalog/categories/{category_id}")]
pub async fn update_category(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CategoryId>,
    body: ApiJson<CategoryPatch>,
) -> Result<web::Json<CategoryView>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    let body = body.into_inner()?;
    let changes = CategoryChanges {
        name: body.name,
        description: body.description,
        position: body.position,
        is_active: body.is_active,
        schedule: body.schedule,
        flavors_for: body
            .flavors_for
            .map(|pizza| {
                pizza
                    .as_deref()
                    .map(|raw| parse_id(raw, "flavors_for"))
                    .transpose()
            })
            .transpose()?,
    };
    let updated = state
        .catalog
        .update_category(scope.tenant, id.into_inner(), changes, scope.actor)
        .await?;
    Ok(web::Json(updated.into()))
}

#[utoipa::path(
    tag = "admin", params(("category_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody), (status = 409, description = "`category_not_empty`", body = ErrorBody))
)]
#[delete("/admin/catalog/categories/{category_id}")]
pub async fn delete_category(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CategoryId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Delete)?;
    state
        .catalog
        .delete_category(scope.tenant, id.into_inner(), scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminProductView {
    pub id: String,
    pub category_id: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    pub position: i32,
    pub is_active: bool,
    pub track_stock: bool,
    pub addon_groups: Vec<AddonGroupView>,
    /// When it is sold, in the store's time zone; absent: whenever its category is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<OpeningHoursView>)]
    pub schedule: Option<OpeningHours>,
    /// `simple` or `pizza`.
    pub kind: String,
    /// A pizza's sizes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<PizzaSizeView>,
    /// A flavour's price by size id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub prices: BTreeMap<String, i64>,
    /// A combo's slots.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<ComboSlotView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComboSlotView {
    pub id: String,
    pub name: String,
    pub min: i32,
    pub max: i32,
    pub options: Vec<ComboOptionView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ComboOptionView {
    pub product_id: String,
    #[serde(default)]
    pub extra_cents: i64,
}

impl From<ComboSlot> for ComboSlotView {
    fn from(slot: ComboSlot) -> Self {
        Self {
            id: slot.id.to_string(),
            name: slot.name,
            min: slot.min_choices,
            max: slot.max_choices,
            options: slot
                .options
                .into_iter()
                .map(|option| ComboOptionView {
                    product_id: option.product_id.to_string(),
                    extra_cents: option.extra_cents,
                })
                .collect(),
        }
    }
}

/// A combo's slot as sent ("Bebida": choose 1 of these, each at its extra price).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ComboSlotRequest {
    pub name: String,
    #[serde(default = "one")]
    pub min: i32,
    #[serde(default = "one")]
    pub max: i32,
    pub options: Vec<ComboOptionView>,
}

fn slot_inputs(slots: Vec<ComboSlotRequest>) -> Result<Vec<ComboSlotInput>, ApiError> {
    slots
        .into_iter()
        .enumerate()
        .map(|(index, slot)| {
            Ok(ComboSlotInput {
                name: slot.name,
                min_choices: slot.min,
                max_choices: slot.max,
                options: slot
                    .options
                    .into_iter()
                    .enumerate()
                    .map(|(position, option)| {
                        Ok((
                            parse_id(
                                &option.product_id,
                                &format!("slots[{index}].options[{position}].product_id"),
                            )?,
                            option.extra_cents,
                        ))
                    })
                    .collect::<Result<_, ApiError>>()?,
            })
        })
        .collect()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PizzaSizeView {
    pub id: String,
    pub name: String,
    pub slices: i32,
    pub max_flavors: i32,
}

impl From<PizzaSize> for PizzaSizeView {
    fn from(size: PizzaSize) -> Self {
        Self {
            id: size.id.to_string(),
            name: size.name,
            slices: size.slices,
            max_flavors: size.max_flavors,
        }
    }
}

/// A pizza size as sent: `id` keeps an existing size (and its flavours' prices).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PizzaSizeRequest {
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "eight")]
    pub slices: i32,
    #[serde(default = "one")]
    pub max_flavors: i32,
}

fn eight() -> i32 {
    8
}

fn size_inputs(sizes: Vec<PizzaSizeRequest>) -> Result<Vec<PizzaSizeInput>, ApiError> {
    sizes
        .into_iter()
        .enumerate()
        .map(|(index, size)| {
            Ok(PizzaSizeInput {
                id: size
                    .id
                    .as_deref()
                    .map(|raw| parse_id(raw, &format!("sizes[{index}].id")))
                    .transpose()?,
                name: size.name,
                slices: size.slices,
                max_flavors: size.max_flavors,
            })
        })
        .collect()
}

fn price_inputs(prices: BTreeMap<String, i64>) -> Result<BTreeMap<PizzaSizeId, i64>, ApiError> {
    prices
        .into_iter()
        .map(|(size, price)| Ok((parse_id(&size, &format!("prices.{size}"))?, price)))
        .collect()
}

impl From<Product> for AdminProductView {
    fn from(product: Product) -> Self {
        Self {
            id: product.id.to_string(),
            category_id: product.category_id.to_string(),
            name: product.name,
            description: product.description,
            price_cents: product.price_cents,
            image_url: product.image_url,
            video_url: product.video_url,
            position: product.position,
            is_active: product.is_active,
            track_stock: product.track_stock,
            schedule: product.schedule,
            kind: product.kind.as_str().to_owned(),
            sizes: product.sizes.into_iter().map(PizzaSizeView::from).collect(),
            prices: product
                .flavor_prices
                .into_iter()
                .map(|(size, price)| (size.to_string(), price))
                .collect(),
            slots: product.slots.into_iter().map(ComboSlotView::from).collect(),
            addon_groups: product
                .addon_groups
                .into_iter()
                .map(AddonGroupView::from)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    pub items: Vec<AdminProductView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    pub category_id: Option<String>,
    /// Part of the name.
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductRequest {
    pub category_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub price_cents: i64,
    #[serde(default)]
    pub position: i32,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub track_stock: bool,
    /// Weekday → time ranges in the store's time zone; absent: whenever its category is sold.
    #[schema(value_type = Option<OpeningHoursView>)]
    pub schedule: Option<OpeningHours>,
    /// `simple` (default) or `pizza` (sold by size and flavours).
    pub kind: Option<String>,
    /// A pizza's sizes (1 to 10).
    #[serde(default)]
    pub sizes: Vec<PizzaSizeRequest>,
    /// A flavour's price for each size of its pizza, by size id.
    #[serde(default)]
    pub prices: BTreeMap<String, i64>,
    /// A combo's slots (1 to 10).
    #[serde(default)]
    pub slots: Vec<ComboSlotRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductPatch {
    pub category_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub position: Option<i32>,
    pub is_active: Option<bool>,
    pub track_stock: Option<bool>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<OpeningHoursView>)]
    pub schedule: Option<Option<OpeningHours>>,
    /// Replaces a pizza's sizes (sizes left out go, with their flavour prices).
    pub sizes: Option<Vec<PizzaSizeRequest>>,
    /// Replaces a flavour's prices.
    pub prices: Option<BTreeMap<String, i64>>,
    /// Replaces a combo's slots.
    pub slots: Option<Vec<ComboSlotRequest>>,
}

#[utoipa::path(
    tag = "admin", params(ListQuery, ProductQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ProductList), (status = 403, body = ErrorBody))
)]
#[get("/admin/catalog/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<ProductQuery>,
) -> Result<web::Json<ProductList>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::View)?;
    let query = query.into_inner();
    let filter = ProductFilter {
        category_id: query
            .category_id
            .as_deref()
            .map(|raw| parse_id(raw, "category_id"))
            .transpose()?,
        search: query.search,
    };
    let products = state
        .catalog
        .products(scope.tenant, &filter, page.into_inner().page()?)
        .await?;
    Ok(web::Json(ProductList {
        total: products.total,
        items: products
            .items
            .into_iter()
            .map(AdminProductView::from)
            .collect(),
    }))
}

#[utoipa::path(
    tag = "admin", request_body = ProductRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = AdminProductView), (status = 422, body = ErrorBody))
)]
#[post("/admin/catalog/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ProductRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Create)?;
    let body = body.into_inner()?;
    let input = ProductInput {
        category_id: parse_id(&body.category_id, "category_id")?,
        name: body.name,
        description: body.description,
        price_cents: body.price_cents,
        position: body.position,
        is_active: body.is_active,
        track_stock: body.track_stock,
        schedule: body.schedule,
        kind: match body.kind.as_deref() {
            None => ProductKind::Simple,
            Some(raw) => {
                ProductKind::parse(raw).ok_or_else(|| ApiError::field("kind", "simple or pizza"))?
            }
        },
        sizes: size_inputs(body.sizes)?,
        flavor_prices: price_inputs(body.prices)?,
        slots: slot_inputs(body.slots)?,
    };
    let created = state
        .catalog
        .create_product(scope.tenant, input, scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(AdminProductView::from(created)))
}

#[utoipa::path(
    tag = "admin", params(("product_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AdminProductView), (status = 404, body = ErrorBody))
)]
#[get("/admin/catalog/products/{product_id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ProductId>,
) -> Result<web::Json<AdminProductView>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::View)?;
    let product = state.catalog.product(scope.tenant, id.into_inner()).await?;
    Ok(web::Json(product.into()))
}

#[utoipa::path(
    tag = "admin", params(("product_id" = String, Path)),
    request_body = ProductPatch,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AdminProductView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/admin/catalog/products/{product_id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ProductId>,
    body: ApiJson<ProductPatch>,
) -> Result<web::Json<AdminProductView>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    let body = body.into_inner()?;
    let changes = ProductChanges {
        category_id: body
            .category_id
            .as_deref()
            .map(|raw| parse_id(raw, "category_id"))
            .transpose()?,
        name: body.name,
        description: body.description,
        price_cents: body.price_cents,
        position: body.position,
        is_active: body.is_active,
        track_stock: body.track_stock,
        image_url: None,
        video_url: None,
        schedule: body.schedule,
        sizes: body.sizes.map(size_inputs).transpose()?,
        flavor_prices: body.prices.map(price_inputs).transpose()?,
        slots: body.slots.map(slot_inputs).transpose()?,
    };
    let updated = state
        .catalog
        .update_product(scope.tenant, id.into_inner(), changes, scope.actor)
        .await?;
    Ok(web::Json(updated.into()))
}

#[utoipa::path(
    tag = "admin", params(("product_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/catalog/products/{product_id}")]
pub async fn delete_product(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ProductId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Delete)?;
    state
        .catalog
        .delete_product(scope.tenant, id.into_inner(), scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "admin", params(("product_id" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, body = UploadResponse),
        (status = 404, body = ErrorBody),
        (status = 413, description = "Over 5 MB", body = ErrorBody),
        (status = 415, description = "Not JPEG, PNG or WebP", body = ErrorBody),
    )
)]
#[post("/admin/catalog/products/{product_id}/image")]
pub async fn upload_image(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ProductId>,
    form: Result<Multipart, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    upload(
        &state,
        scope,
        MediaTarget::ProductImage(id.into_inner()),
        form,
    )
    .await
}

#[utoipa::path(
    tag = "admin", params(("product_id" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, body = UploadResponse),
        (status = 404, body = ErrorBody),
        (status = 413, description = "Over 20 MB", body = ErrorBody),
        (status = 415, description = "Not MP4 or WebM", body = ErrorBody),
    )
)]
#[post("/admin/catalog/products/{product_id}/video")]
pub async fn upload_video(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ProductId>,
    form: Result<Multipart, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    upload(
        &state,
        scope,
        MediaTarget::ProductVideo(id.into_inner()),
        form,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AvailabilityRequest {
    pub product_ids: Vec<String>,
    /// One store; absent switches the products in every store.
    pub store_id: Option<String>,
    pub available: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityResponse {
    /// (store, product) pairs written.
    pub updated: u64,
}

/// Switches many products on or off at once, in one store or all of them.
#[utoipa::path(
    tag = "admin", request_body = AvailabilityRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AvailabilityResponse), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/catalog/availability")]
pub async fn set_availability(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<AvailabilityRequest>,
) -> Result<web::Json<AvailabilityResponse>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    let body = body.into_inner()?;
    let products: Vec<ProductId> = parse_ids(&body.product_ids, "product_ids")?;
    let store: Option<StoreId> = body
        .store_id
        .as_deref()
        .map(|raw| parse_id(raw, "store_id"))
        .transpose()?;
    let updated = state
        .catalog
        .set_availability(scope.tenant, store, &products, body.available, scope.actor)
        .await?;
    Ok(web::Json(AvailabilityResponse { updated }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SoldOutRequest {
    pub store_id: String,
    /// When it is back on sale; absent: the store's next opening. At most 7 days ahead.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SoldOutResponse {
    pub product_id: String,
    pub store_id: String,
    pub sold_out_until: DateTime<Utc>,
}

/// Marks a product sold out in one store ("acabou por hoje") until a time, by default the
/// store's next opening: the menu shows it `available: false, out_of_stock: true` and a
/// checkout naming it is 409 `out_of_stock` (a pre-order for after that time is not).
#[utoipa::path(
    tag = "admin", request_body = SoldOutRequest,
    params(("product_id" = String, Path, description = "The product")),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SoldOutResponse), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/catalog/products/{product_id}/sold-out")]
pub async fn mark_sold_out(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ProductId>,
    body: ApiJson<SoldOutRequest>,
) -> Result<web::Json<SoldOutResponse>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    let body = body.into_inner()?;
    let product = id.into_inner();
    let store: StoreId = parse_id(&body.store_id, "store_id")?;
    let until = state
        .catalog
        .mark_sold_out(scope.tenant, product, store, body.until, scope.actor)
        .await?;
    Ok(web::Json(SoldOutResponse {
        product_id: product.to_string(),
        store_id: store.to_string(),
        sold_out_until: until,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SoldOutStore {
    /// The store it is back on sale in.
    pub store_id: Option<String>,
}

/// Puts a product marked sold out back on sale in one store.
#[utoipa::path(
    tag = "admin",
    params(("product_id" = String, Path, description = "The product"), SoldOutStore),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[delete("/admin/catalog/products/{product_id}/sold-out")]
pub async fn back_on_sale(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ProductId>,
    query: web::Query<SoldOutStore>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    let raw = query
        .into_inner()
        .store_id
        .ok_or_else(|| ApiError::field("store_id", "store_id is required"))?;
    let store: StoreId = parse_id(&raw, "store_id")?;
    state
        .catalog
        .back_on_sale(scope.tenant, id.into_inner(), store, scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddonGroupRequest {
    pub name: String,
    #[serde(default)]
    pub min: i32,
    #[serde(default = "one")]
    pub max: i32,
    #[serde(default)]
    pub position: i32,
}

fn one() -> i32 {
    1
}

impl From<AddonGroupRequest> for AddonGroupInput {
    fn from(body: AddonGroupRequest) -> Self {
        Self {
            name: body.name,
            min_choices: body.min,
            max_choices: body.max,
            position: body.position,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddonRequest {
    pub name: String,
    #[serde(default)]
    pub price_cents: i64,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default)]
    pub position: i32,
}

impl From<AddonRequest> for AddonInput {
    fn from(body: AddonRequest) -> Self {
        Self {
            name: body.name,
            price_cents: body.price_cents,
            is_available: body.available,
            position: body.position,
        }
    }
}

fn addon_view(addon: Addon) -> crate::routes::catalog::AddonView {
    crate::routes::catalog::AddonView {
        id: addon.id.to_string(),
        name: addon.name,
        price_cents: addon.price_cents,
        available: addon.is_available,
    }
}

fn group_view(group: AddonGroup) -> AddonGroupView {
    group.into()
}

#[utoipa::path(
    tag = "admin", params(("product_id" = String, Path)),
    request_body = AddonGroupRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = AddonGroupView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/catalog/products/{product_id}/addon-groups")]
pub async fn create_addon_group(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ProductId>,
    body: ApiJson<AddonGroupRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Create)?;
    let body = body.into_inner()?;
    let group = state
        .catalog
        .create_addon_group(scope.tenant, id.into_inner(), body.into(), scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(group_view(group)))
}

#[utoipa::path(
    tag = "admin", params(("group_id" = String, Path)),
    request_body = AddonGroupRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AddonGroupView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/catalog/addon-groups/{group_id}")]
pub async fn update_addon_group(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AddonGroupId>,
    body: ApiJson<AddonGroupRequest>,
) -> Result<web::Json<AddonGroupView>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    let body = body.into_inner()?;
    let group = state
        .catalog
        .update_addon_group(scope.tenant, id.into_inner(), body.into(), scope.actor)
        .await?;
    Ok(web::Json(group_view(group)))
}

#[utoipa::path(
    tag = "admin", params(("group_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/catalog/addon-groups/{group_id}")]
pub async fn delete_addon_group(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AddonGroupId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Delete)?;
    state
        .catalog
        .delete_addon_group(scope.tenant, id.into_inner(), scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "admin", params(("group_id" = String, Path)),
    request_body = AddonRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = crate::routes::catalog::AddonView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/catalog/addon-groups/{group_id}/addons")]
pub async fn create_addon(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AddonGroupId>,
    body: ApiJson<AddonRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Create)?;
    let body = body.into_inner()?;
    let addon = state
        .catalog
        .create_addon(scope.tenant, id.into_inner(), body.into(), scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(addon_view(addon)))
}

#[utoipa::path(
    tag = "admin", params(("addon_id" = String, Path)),
    request_body = AddonRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = crate::routes::catalog::AddonView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/catalog/addons/{addon_id}")]
pub async fn update_addon(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AddonId>,
    body: ApiJson<AddonRequest>,
) -> Result<web::Json<crate::routes::catalog::AddonView>, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Update)?;
    let body = body.into_inner()?;
    let addon = state
        .catalog
        .update_addon(scope.tenant, id.into_inner(), body.into(), scope.actor)
        .await?;
    Ok(web::Json(addon_view(addon)))
}

#[utoipa::path(
    tag = "admin", params(("addon_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/catalog/addons/{addon_id}")]
pub async fn delete_addon(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AddonId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Catalog, Action::Delete)?;
    state
        .catalog
        .delete_addon(scope.tenant, id.into_inner(), scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
