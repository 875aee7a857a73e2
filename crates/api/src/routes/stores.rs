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
    /// With `?lat=&lng=` or `?cep=`: what delivering there costs and takes from this store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryTerms>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryTerms {
    pub fee_cents: i64,
    pub eta_minutes: i32,
    /// `area` (a delivery area) or `coordinates` (distance bands, straight line).
    pub source: String,
}

/// `?lat=&lng=` (or `?cep=`, geocoded): only the stores that deliver there.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliversToQuery {
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub cep: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u64>,
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
            delivery: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoreList {
    pub items: Vec<StoreView>,
    pub total: u64,
}

/// The tenant's active stores, with whether each is open now. With `?lat=&lng=` (or `?cep=`,
/// geocoded like a quote) only the stores that deliver there, each with its `delivery` fee and
/// time, quickest first (areas and straight-line bands: no maps API call per store).
#[utoipa::path(
    tag = "storefront",
    params(TenantHeaderParams, DeliversToQuery),
    responses(
        (status = 200, description = "The tenant's active stores", body = StoreList),
        (status = 400, description = "No tenant named and no fallback (`tenant_required`)", body = ErrorBody),
        (status = 404, description = "Unknown tenant (`tenant_not_found`)", body = ErrorBody),
        (status = 422, description = "Bad paging, coordinates or CEP (`validation_error`, `invalid_address`)", body = ErrorBody),
    )
)]
#[get("/stores")]
pub async fn list_stores(
    state: web::Data<AppState>,
    tenant: Tenant,
    query: web::Query<DeliversToQuery>,
) -> Result<web::Json<StoreList>, ApiError> {
    let query = query.into_inner();
    let page = ListQuery {
        limit: query.limit,
        offset: query.offset,
    }
    .page()?;
    let point = match (
        crate::routes::shipping::client_point(query.lat, query.lng)?,
        &query.cep,
    ) {
        (Some(point), _) => Some(point),
        (None, Some(cep)) => Some(state.shipping.point_of_cep(cep).await?),
        (None, None) => None,
    };
    let Some(point) = point else {
        let stores = state.stores.list_public(tenant.0.id, page).await?;
        return Ok(web::Json(StoreList {
            total: stores.total,
            items: stores.items.into_iter().map(StoreView::from).collect(),
        }));
    };
    let stores = state.stores.all_public(tenant.0.id).await?;
    let by_id: std::collections::HashMap<_, _> = stores
        .into_iter()
        .map(|public| (public.store.id, public))
        .collect();
    let delivering = state
        .shipping
        .delivering_to(
            tenant.0.id,
            by_id.values().map(|public| public.store.clone()).collect(),
            point,
        )
        .await?;
    let mut by_id = by_id;
    let items: Vec<StoreView> = delivering
        .into_iter()
        .filter_map(|(store, quote)| {
            let public = by_id.remove(&store.id)?;
            let mut view = StoreView::from(public);
            view.delivery = Some(DeliveryTerms {
                fee_cents: quote.fee_cents,
                eta_minutes: quote.eta_minutes,
                source: quote.source.as_str().to_owned(),
            });
            Some(view)
        })
        .collect();
    let total = items.len() as u64;
    let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
    Ok(web::Json(StoreList {
        total,
        items: items
            .into_iter()
            .skip(offset)
            .take(usize::try_from(page.limit).unwrap_or(usize::MAX))
            .collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsQuery {
    /// The day, `YYYY-MM-DD`, in the store's time zone.
    #[param(value_type = String, example = "2026-12-24")]
    pub date: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Places left.
    pub remaining: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotList {
    pub items: Vec<SlotView>,
}

/// The store's pre-order slots of a day (its time zone, DST-safe): only inside its hours, not on
/// closure days or while paused, past ones and those within `lead_minutes` left out, with the
/// places left. Empty for a store without slots.
#[utoipa::path(
    tag = "storefront",
    params(("store_id" = String, Path), SlotsQuery, TenantHeaderParams),
    responses(
        (status = 200, body = SlotList),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[get("/stores/{store_id}/slots")]
pub async fn slots(
    state: web::Data<AppState>,
    tenant: Tenant,
    store: web::Path<comanda_domain::StoreId>,
    query: web::Query<SlotsQuery>,
) -> Result<web::Json<SlotList>, ApiError> {
    let date: chrono::NaiveDate = query
        .date
        .parse()
        .map_err(|_| ApiError::field("date", "a date, YYYY-MM-DD"))?;
    let slots = state
        .stores
        .slots(tenant.0.id, store.into_inner(), date)
        .await?;
    Ok(web::Json(SlotList {
        items: slots
            .into_iter()
            .map(|(slot, remaining)| SlotView {
                start: slot.start,
                end: slot.end,
                remaining,
            })
            .collect(),
    }))
}
