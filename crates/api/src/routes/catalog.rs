//! `GET /catalog?store_id=`: a store's menu, the hottest read of the storefront.

use actix_web::get;
use actix_web::http::header::{self, ContentType};
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use comanda_domain::StoreId;
use std::collections::BTreeMap;

use comanda_domain::catalog::{AddonGroup, MenuItem};
use comanda_domain::opening_hours::OpeningHours;
use comanda_services::catalog::Menu;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::catalog_cache::RenderedMenu;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Tenant;
use crate::openapi::TenantHeaderParams;
use crate::routes::admin::catalog::PizzaSizeView;
use crate::routes::stores::OpeningHoursView;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AddonView {
    pub id: String,
    pub name: String,
    pub price_cents: i64,
    pub available: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddonGroupView {
    pub id: String,
    pub name: String,
    /// Fewest add-ons to choose.
    pub min: i32,
    /// Most add-ons to choose.
    pub max: i32,
    pub addons: Vec<AddonView>,
}

impl From<AddonGroup> for AddonGroupView {
    fn from(group: AddonGroup) -> Self {
        Self {
            id: group.id.to_string(),
            name: group.name,
            min: group.min_choices,
            max: group.max_choices,
            addons: group
                .addons
                .into_iter()
                .map(|addon| AddonView {
                    id: addon.id.to_string(),
                    name: addon.name,
                    price_cents: addon.price_cents,
                    available: addon.is_available,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MenuProductView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    /// Can be ordered now in this store (enabled, in stock, inside its and its category's
    /// schedule).
    pub available: bool,
    pub out_of_stock: bool,
    pub addon_groups: Vec<AddonGroupView>,
    /// When it is sold, in the store's time zone; absent: whenever its category is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<OpeningHoursView>)]
    pub schedule: Option<OpeningHours>,
    /// `simple`, or `pizza`: ordered by `sizes` and `flavors`.
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<PizzaSizeView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flavors: Vec<FlavorView>,
    /// A combo's slots: choose `min` to `max` of `options`, each at its `extra_cents`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<MenuComboSlotView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MenuComboSlotView {
    pub id: String,
    pub name: String,
    pub min: i32,
    pub max: i32,
    pub options: Vec<MenuComboOptionView>,
}

/// One option of a combo's slot; an option not on the menu now is `available: false`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuComboOptionView {
    pub product_id: String,
    pub name: String,
    pub extra_cents: i64,
    pub available: bool,
}

/// A pizza's flavour: its price for each size (by size id) and whether it can be chosen now.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlavorView {
    pub product_id: String,
    pub name: String,
    pub description: String,
    pub prices: BTreeMap<String, i64>,
    pub available: bool,
}

impl From<MenuItem> for MenuProductView {
    fn from(item: MenuItem) -> Self {
        let flavors = item
            .flavors
            .into_iter()
            .map(|flavor| FlavorView {
                product_id: flavor.product.id.to_string(),
                name: flavor.product.name,
                description: flavor.product.description,
                prices: flavor
                    .product
                    .flavor_prices
                    .into_iter()
                    .map(|(size, price)| (size.to_string(), price))
                    .collect(),
                available: flavor.available,
            })
            .collect();
        let slots = item
            .product
            .slots
            .iter()
            .map(|slot| MenuComboSlotView {
                id: slot.id.to_string(),
                name: slot.name.clone(),
                min: slot.min_choices,
                max: slot.max_choices,
                options: slot
                    .options
                    .iter()
                    .filter_map(|option| {
                        let shown = item
                            .options
                            .iter()
                            .find(|shown| shown.product.id == option.product_id)?;
                        Some(MenuComboOptionView {
                            product_id: option.product_id.to_string(),
                            name: shown.product.name.clone(),
                            extra_cents: option.extra_cents,
                            available: shown.available,
                        })
                    })
                    .collect(),
            })
            .collect();
        let product = item.product;
        Self {
            slots,
            kind: product.kind.as_str().to_owned(),
            sizes: product.sizes.into_iter().map(PizzaSizeView::from).collect(),
            flavors,
            id: product.id.to_string(),
            name: product.name,
            description: product.description,
            price_cents: product.price_cents,
            image_url: product.image_url,
            video_url: product.video_url,
            available: item.available,
            out_of_stock: item.out_of_stock,
            schedule: product.schedule,
            addon_groups: product
                .addon_groups
                .into_iter()
                .map(AddonGroupView::from)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MenuCategoryView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// When its products are sold, in the store's time zone; absent: always.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<OpeningHoursView>)]
    pub schedule: Option<OpeningHours>,
    pub products: Vec<MenuProductView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogResponse {
    pub store_id: String,
    pub store_name: String,
    pub categories: Vec<MenuCategoryView>,
}

impl From<Menu> for CatalogResponse {
    fn from(menu: Menu) -> Self {
        Self {
            store_id: menu.store.id.to_string(),
            store_name: menu.store.name,
            categories: menu
                .sections
                .into_iter()
                .map(|section| MenuCategoryView {
                    id: section.category.id.to_string(),
                    name: section.category.name,
                    description: section.category.description,
                    schedule: section.category.schedule,
                    products: section
                        .items
                        .into_iter()
                        .map(MenuProductView::from)
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    pub store_id: Option<String>,
}

/// The store's menu: categories in order, each with its products and add-on groups.
/// Unavailable or out-of-stock products are marked (or left out when the store hides them).
#[utoipa::path(
    tag = "storefront", params(TenantHeaderParams, CatalogQuery),
    responses(
        (status = 200, body = CatalogResponse, headers(
            ("ETag" = String, description = "Weak tag of this menu version; send it back in `If-None-Match`"),
        )),
        (status = 304, description = "`If-None-Match` named the current version: the menu has not changed"),
        (status = 404, description = "Unknown store or tenant", body = ErrorBody),
        (status = 422, description = "`store_id` missing", body = ErrorBody),
    )
)]
#[get("/catalog")]
pub async fn catalog(
    request: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<CatalogQuery>,
) -> Result<HttpResponse, ApiError> {
    let raw = query
        .into_inner()
        .store_id
        .ok_or_else(|| ApiError::field("store_id", "store_id is required"))?;
    let store: StoreId = raw
        .parse()
        .map_err(|_| ApiError::not_found("store not found"))?;
    let tenant = tenant.0;
    let cached = state
        .catalog_cache
        .get(tenant.id, store, tenant.version, state.catalog.now());
    let menu = match cached {
        Some(menu) => menu,
        None => {
            let menu = state.catalog.menu(tenant.id, store).await?;
            let valid_until = menu.valid_until;
            let menu = serde_json::to_vec(&CatalogResponse::from(menu))
                .map_err(std::io::Error::from)
                .and_then(|json| RenderedMenu::new(json, valid_until))
                .map_err(|error| ApiError::internal(&format!("rendering the menu: {error}")))?;
            state
                .catalog_cache
                .put(tenant.id, store, tenant.version, menu.clone());
            menu
        }
    };
    // The version names every menu the tenant could show: a client holding it revalidates
    // for a 304 (checked only after the store proved to be the tenant's).
    // The build's version is in it too: a release that changes the menu's shape is not a 304,
    // and so is the end of a sold-out mark: the menu changes then with the version unchanged.
    let etag = format!(
        "W/\"{}-{}-{}{}\"",
        env!("CARGO_PKG_VERSION"),
        store,
        tenant.version,
        menu.valid_until
            .map(|until| format!("-{}", until.timestamp()))
            .unwrap_or_default()
    );
    if already_has(&request, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::VARY, "Accept-Encoding"))
            .finish());
    }
    let mut response = HttpResponse::Ok();
    response
        .content_type(ContentType::json())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Encoding"));
    Ok(if accepts_gzip(&request) {
        response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(menu.gzip)
    } else {
        response.body(menu.json)
    })
}

/// Whether `If-None-Match` names this entity tag (weak comparison) or is `*`.
fn already_has(request: &HttpRequest, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let wanted = opaque(etag);
    request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == "*" || opaque(tag) == wanted)
}

/// Whether `Accept-Encoding` takes gzip (RFC 9110 §12.5.3): named (`gzip` or `x-gzip`) with
/// a weight above zero, or not named and covered by `*` with a weight above zero.
fn accepts_gzip(request: &HttpRequest) -> bool {
    let mut named = None;
    let mut any = None;
    for coding in request
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
    {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let weight = parts
            .filter_map(|parameter| parameter.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, q)| q.trim().parse::<f32>().unwrap_or(0.0));
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            named = Some(weight > 0.0);
        } else if name == "*" {
            any = Some(weight > 0.0);
        }
    }
    named.or(any).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn takes_gzip(accept_encoding: Option<&str>) -> bool {
        let mut request = TestRequest::get();
        if let Some(value) = accept_encoding {
            request = request.insert_header((header::ACCEPT_ENCODING, value));
        }
        accepts_gzip(&request.to_http_request())
    }

    #[test]
    fn gzip_is_sent_only_when_the_client_takes_it() {
        assert!(takes_gzip(Some("gzip, deflate, br")));
        assert!(takes_gzip(Some("br;q=1.0, GZIP;q=0.5")));
        assert!(takes_gzip(Some("x-gzip")));
        assert!(takes_gzip(Some("*")));
        assert!(!takes_gzip(None));
        assert!(!takes_gzip(Some("br, identity")));
        assert!(!takes_gzip(Some("gzip;q=0")));
        assert!(!takes_gzip(Some("gzip; Q=0.000")));
        // Named codings win over `*`, whatever the order.
        assert!(!takes_gzip(Some("gzip;q=0, *")));
        assert!(!takes_gzip(Some("*, gzip;q=0")));
        assert!(takes_gzip(Some("*;q=0, gzip")));
        assert!(!takes_gzip(Some("*;q=0")));
    }
}
