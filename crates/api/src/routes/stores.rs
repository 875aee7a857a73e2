use actix_web::get;
use actix_web::web;
use chrono::{DateTime, Utc};
use comanda_domain::opening_hours::OpeningHours;
use comanda_services::stores::PublicStore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ListQuery, Tenant};
use crate::openapi::TenantHeaderParams;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressView {
    pub cep: String,
    pub street: String,
    pub number: String,
    pub complement: String,
    pub district: String,
    pub city: String,
    pub state: String,
}

/// One opening range in the store's local time, `HH:MM`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimeRangeView {
    #[schema(example = "18:00")]
    pub open: String,
    /// Not after `open`: the range runs past midnight. `24:00` is the end of the day.
    #[schema(example = "02:00")]
    pub close: String,
}

/// Weekly hours in the store's time zone; a day without ranges is closed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct OpeningHoursView {
    pub monday: Vec<TimeRangeView>,
    pub tuesday: Vec<TimeRangeView>,
    pub wednesday: Vec<TimeRangeView>,
    pub thursday: Vec<TimeRangeView>,
    pub friday: Vec<TimeRangeView>,
    pub saturday: Vec<TimeRangeView>,
    pub sunday: Vec<TimeRangeView>,
}

impl From<&OpeningHours> for OpeningHoursView {
    fn from(hours: &OpeningHours) -> Self {
        let day = |index: usize| {
            hours
                .day(index)
                .iter()
                .map(|range| TimeRangeView {
                    open: range.open().to_string(),
                    close: range.close().to_string(),
                })
                .collect()
        };
        Self {
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
        }
    }
}

/// A store as the storefront shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreView {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub address: AddressView,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// IANA time zone the opening hours are read in.
    pub time_zone: String,
    /// Open now: inside its hours and not closed by hand.
    pub is_open: bool,
    /// When a closed store opens next (absent while open or closed by hand).
    pub next_opening_at: Option<DateTime<Utc>>,
    /// Rush mode: no new orders until then (pre-orders for later still are); `null` unless
    /// paused now.
    pub paused_until: Option<DateTime<Utc>>,
    pub accepts_preorders: bool,
    pub delivery_enabled: bool,
    pub pickup_enabled: bool,
    pub opening_hours: OpeningHoursView,
    pub image_url: Option<String>,
}

impl From<PublicStore> for StoreView {
    fn from(public: PublicStore) -> Self {
        let store = public.store;
        Self {
            id: store.id.to_string(),
            name: store.name,
            phone: store.phone,
            address: AddressView {
                cep: store.address.cep,
                street: store.address.street,
                number: store.address.number,
                complement: store.address.complement,
                district: store.address.district,
                city: store.address.city,
                state: store.address.state,
            },
            latitude: store.latitude,
            longitude: store.longitude,
            time_zone: store.time_zone.name().to_owned(),
            is_open: public.status.is_open,
            next_opening_at: public.status.next_opening_at,
            paused_until: public.status.paused_until,
            accepts_preorders: store.accepts_preorders,
            delivery_enabled: store.delivery_enabled,
            pickup_enabled: store.pickup_enabled,
            opening_hours: OpeningHoursView::from(&store.opening_hours),
            image_url: store.image_url,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoreList {
    pub items: Vec<StoreView>,
    pub total: u64,
}

/// The tenant's active stores, with whether each is open now.
#[utoipa::path(
    tag = "storefront",
    params(TenantHeaderParams, ListQuery),
    responses(
        (status = 200, description = "The tenant's active stores", body = StoreList),
        (status = 400, description = "No tenant named and no fallback (`tenant_required`)", body = ErrorBody),
        (status = 404, description = "Unknown tenant (`tenant_not_found`)", body = ErrorBody),
        (status = 422, description = "Bad paging (`validation_error`)", body = ErrorBody),
    )
)]
#[get("/stores")]
pub async fn list_stores(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<ListQuery>,
) -> Result<web::Json<StoreList>, ApiError> {
    let page = query.into_inner().page()?;
    let stores = state.stores.list_public(tenant.0.id, page).await?;
    Ok(web::Json(StoreList {
        total: stores.total,
        items: stores.items.into_iter().map(StoreView::from).collect(),
    }))
}
