//! `/admin/stores`: the tenant's stores (module `stores`).

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use actix_web::{delete, get, patch, post, put};
use chrono_tz::Tz;
use comanda_domain::StoreId;
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::store::{
    Address, Closure, DEFAULT_TIME_ZONE, MAX_CLOSURES, MAX_EXTRA_PREPARATION_MINUTES,
    MAX_PAUSE_MINUTES, NewStore, SLOT_LENGTHS, Scheduling,
};
use comanda_domain::tenancy::{Action, Module};
use comanda_ports::StoreChanges;
use comanda_services::media::MediaTarget;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery, TenantScope};
use crate::routes::media::{UploadForm, UploadResponse, upload};
use crate::routes::patch;
use crate::routes::stores::{AddressView, OpeningHoursView, StoreView};
use crate::state::AppState;

/// A store as the portal edits it: the public view and its private settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminStoreView {
    #[serde(flatten)]
    pub store: StoreView,
    pub is_active: bool,
    pub manually_closed: bool,
    pub telegram_chat_id: Option<String>,
    pub hide_unavailable_items: bool,
    pub pause_reason: Option<String>,
    /// Added to every delivery estimate.
    pub extra_preparation_minutes: i32,
    /// Pre-order slots: length (15, 30 or 60), places per slot (`null`: no slots) and lead time.
    pub slot_minutes: u32,
    pub slot_capacity: Option<i32>,
    pub lead_minutes: u32,
}

impl From<comanda_services::stores::PublicStore> for AdminStoreView {
    fn from(public: comanda_services::stores::PublicStore) -> Self {
        let store = &public.store;
        Self {
            is_active: store.is_active,
            manually_closed: store.manually_closed,
            telegram_chat_id: store.telegram_chat_id.clone(),
            hide_unavailable_items: store.hide_unavailable_items,
            pause_reason: public.status.paused_until.and(store.pause_reason.clone()),
            extra_preparation_minutes: store.extra_preparation_minutes,
            slot_minutes: store.scheduling.unwrap_or_default().slot_minutes,
            slot_capacity: store.scheduling.unwrap_or_default().slot_capacity,
            lead_minutes: store.scheduling.unwrap_or_default().lead_minutes,
            store: public.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminStoreList {
    pub items: Vec<AdminStoreView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddressInput {
    #[serde(default)]
    pub cep: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub complement: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
}

impl From<AddressInput> for Address {
    fn from(input: AddressInput) -> Self {
        Address {
            cep: input.cep.trim().to_owned(),
            street: input.street.trim().to_owned(),
            number: input.number.trim().to_owned(),
            complement: input.complement.trim().to_owned(),
            district: input.district.trim().to_owned(),
            city: input.city.trim().to_owned(),
            state: input.state.trim().to_uppercase(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateStoreRequest {
    pub name: String,
    pub phone: Option<String>,
    #[schema(value_type = AddressView)]
    pub address: Option<AddressInput>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// IANA name; default `America/Sao_Paulo`.
    pub time_zone: Option<String>,
    #[schema(value_type = OpeningHoursView)]
    pub opening_hours: Option<OpeningHours>,
    #[serde(default = "yes")]
    pub delivery_enabled: bool,
    #[serde(default = "yes")]
    pub pickup_enabled: bool,
    #[serde(default)]
    pub accepts_preorders: bool,
    pub telegram_chat_id: Option<String>,
    pub free_shipping_above_cents: Option<i64>,
    #[serde(default)]
    pub hide_unavailable_items: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateStoreRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[schema(value_type = Option<AddressView>)]
    pub address: Option<AddressInput>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<f64>)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<f64>)]
    pub longitude: Option<Option<f64>>,
    pub time_zone: Option<String>,
    #[schema(value_type = Option<OpeningHoursView>)]
    pub opening_hours: Option<OpeningHours>,
    pub is_active: Option<bool>,
    /// The "closed now" switch.
    pub manually_closed: Option<bool>,
    pub delivery_enabled: Option<bool>,
    pub pickup_enabled: Option<bool>,
    pub accepts_preorders: Option<bool>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub telegram_chat_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<i64>)]
    pub free_shipping_above_cents: Option<Option<i64>>,
    pub hide_unavailable_items: Option<bool>,
    /// 0 to 240 minutes added to every delivery estimate (a busy kitchen).
    pub extra_preparation_minutes: Option<i32>,
    /// Pre-order slots of 15, 30 or 60 minutes.
    pub slot_minutes: Option<u32>,
    /// Orders per slot; `null` switches slots off.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<i32>)]
    pub slot_capacity: Option<Option<i32>>,
    /// How long before a slot it can still be booked (0 to 1440).
    pub lead_minutes: Option<u32>,
}

fn time_zone(raw: &str) -> Result<Tz, ApiError> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| ApiError::field("time_zone", format!("unknown time zone `{raw}`")))
}

fn coordinate(value: Option<f64>, field: &str, bound: f64) -> Result<Option<f64>, ApiError> {
    match value {
        Some(value) if !value.is_finite() || value.abs() > bound => {
            Err(ApiError::field(field, format!("must be within ±{bound}")))
        }
        other => Ok(other),
    }
}

#[utoipa::path(
    tag = "admin", params(ListQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AdminStoreList), (status = 403, body = ErrorBody))
)]
#[get("/admin/stores")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
) -> Result<web::Json<AdminStoreList>, ApiError> {
    let scope = user.allow(Module::Stores, Action::View)?;
    let stores = state
        .stores
        .list_all(scope.tenant, page.into_inner().page()?)
        .await?;
    Ok(web::Json(AdminStoreList {
        total: stores.total,
        items: stores.items.into_iter().map(AdminStoreView::from).collect(),
    }))
}

/// Creates a store; the plan's `stores_limit` counts active stores (409 `limit_reached`).
#[utoipa::path(
    tag = "admin", request_body = CreateStoreRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = AdminStoreView), (status = 409, description = "`limit_reached`", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/stores")]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<CreateStoreRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Stores, Action::Create)?;
    let body = body.into_inner()?;
    let store = NewStore {
        name: body.name.trim().to_owned(),
        phone: body.phone,
        address: body.address.map(Address::from).unwrap_or_default(),
        latitude: coordinate(body.latitude, "latitude", 90.0)?,
        longitude: coordinate(body.longitude, "longitude", 180.0)?,
        time_zone: body
            .time_zone
            .as_deref()
            .map(time_zone)
            .transpose()?
            .unwrap_or(DEFAULT_TIME_ZONE),
        opening_hours: body.opening_hours.unwrap_or_default(),
        delivery_enabled: body.delivery_enabled,
        pickup_enabled: body.pickup_enabled,
        accepts_preorders: body.accepts_preorders,
        telegram_chat_id: body.telegram_chat_id,
        free_shipping_above_cents: body.free_shipping_above_cents,
        hide_unavailable_items: body.hide_unavailable_items,
    };
    let tenant = &scope.principal.tenant;
    let created = state
        .stores
        .create(tenant.id, tenant.stores_limit, store, scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(AdminStoreView::from(created)))
}

#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AdminStoreView), (status = 404, body = ErrorBody))
)]
#[get("/admin/stores/{store_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
) -> Result<web::Json<AdminStoreView>, ApiError> {
    let scope = user.allow(Module::Stores, Action::View)?;
    let store = state.stores.get(scope.tenant, id.into_inner()).await?;
    Ok(web::Json(store.into()))
}

#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    request_body = UpdateStoreRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AdminStoreView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/admin/stores/{store_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
    body: ApiJson<UpdateStoreRequest>,
) -> Result<web::Json<AdminStoreView>, ApiError> {
    let scope = user.allow(Module::Stores, Action::Update)?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    let scheduling = if body.slot_minutes.is_some()
        || body.slot_capacity.is_some()
        || body.lead_minutes.is_some()
    {
        let current = state
            .stores
            .get(scope.tenant, id)
            .await?
            .store
            .scheduling
            .unwrap_or_default();
        let slot_minutes = body.slot_minutes.unwrap_or(current.slot_minutes);
        if !SLOT_LENGTHS.contains(&slot_minutes) {
            return Err(ApiError::field("slot_minutes", "15, 30 or 60"));
        }
        let slot_capacity = body.slot_capacity.unwrap_or(current.slot_capacity);
        if slot_capacity.is_some_and(|capacity| !(1..=10_000).contains(&capacity)) {
            return Err(ApiError::field(
                "slot_capacity",
                "1 to 10000, or null for no slots",
            ));
        }
        let lead_minutes = body.lead_minutes.unwrap_or(current.lead_minutes);
        if lead_minutes > 24 * 60 {
            return Err(ApiError::field("lead_minutes", "0 to 1440"));
        }
        Some(Some(Scheduling {
            slot_minutes,
            slot_capacity,
            lead_minutes,
        }))
    } else {
        None
    };
    let changes = StoreChanges {
        scheduling,
        name: body.name.map(|name| name.trim().to_owned()),
        phone: body.phone,
        address: body.address.map(Address::from),
        latitude: body
            .latitude
            .map(|lat| coordinate(lat, "latitude", 90.0))
            .transpose()?,
        longitude: body
            .longitude
            .map(|lng| coordinate(lng, "longitude", 180.0))
            .transpose()?,
        time_zone: body.time_zone.as_deref().map(time_zone).transpose()?,
        opening_hours: body.opening_hours,
        is_active: body.is_active,
        manually_closed: body.manually_closed,
        delivery_enabled: body.delivery_enabled,
        pickup_enabled: body.pickup_enabled,
        accepts_preorders: body.accepts_preorders,
        telegram_chat_id: body.telegram_chat_id,
        image_url: None,
        free_shipping_above_cents: body.free_shipping_above_cents,
        hide_unavailable_items: body.hide_unavailable_items,
        extra_preparation_minutes: body
            .extra_preparation_minutes
            .map(|minutes| {
                if (0..=MAX_EXTRA_PREPARATION_MINUTES).contains(&minutes) {
                    Ok(minutes)
                } else {
                    Err(ApiError::field(
                        "extra_preparation_minutes",
                        format!("0 to {MAX_EXTRA_PREPARATION_MINUTES} minutes"),
                    ))
                }
            })
            .transpose()?,
        ..StoreChanges::default()
    };
    let store = change_store(&state, &scope, id, changes).await?;
    Ok(web::Json(store.into()))
}

/// Deactivates the store: it leaves the storefront; its history stays.
#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deactivated"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/stores/{store_id}")]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Stores, Action::Delete)?;
    let changes = StoreChanges {
        is_active: Some(false),
        ..StoreChanges::default()
    };
    change_store(&state, &scope, id.into_inner(), changes).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, body = UploadResponse),
        (status = 404, body = ErrorBody),
        (status = 413, description = "Over 5 MB", body = ErrorBody),
        (status = 415, description = "Not JPEG, PNG or WebP", body = ErrorBody),
    )
)]
#[post("/admin/stores/{store_id}/image")]
pub async fn upload_image(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
    form: Result<Multipart, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Stores, Action::Update)?;
    upload(
        &state,
        scope,
        MediaTarget::StoreImage(id.into_inner()),
        form,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    /// 1 to 720: no new orders for this long (a rush); pre-orders for later still come in.
    pub minutes: i64,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Rush mode: the store takes no new orders until `minutes` from now (`is_open: false` with
/// `paused_until`; a checkout is 422 `store_closed` unless it is a valid pre-order for later).
#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)), request_body = PauseRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AdminStoreView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/stores/{store_id}/pause")]
pub async fn pause(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
    body: ApiJson<PauseRequest>,
) -> Result<web::Json<AdminStoreView>, ApiError> {
    let scope = user.allow(Module::Stores, Action::Update)?;
    let body = body.into_inner()?;
    if !(1..=MAX_PAUSE_MINUTES).contains(&body.minutes) {
        return Err(ApiError::field(
            "minutes",
            format!("1 to {MAX_PAUSE_MINUTES} (longer breaks are closures)"),
        ));
    }
    let reason = body
        .reason
        .map(|reason| reason.trim().chars().take(200).collect::<String>())
        .filter(|reason| !reason.is_empty());
    let changes = StoreChanges {
        paused_until: Some(Some(
            chrono::Utc::now() + chrono::Duration::minutes(body.minutes),
        )),
        pause_reason: Some(reason),
        ..StoreChanges::default()
    };
    let store = change_store(&state, &scope, id.into_inner(), changes).await?;
    Ok(web::Json(store.into()))
}

/// Ends a pause: the store takes orders again (within its hours).
#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AdminStoreView), (status = 404, body = ErrorBody))
)]
#[delete("/admin/stores/{store_id}/pause")]
pub async fn resume(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
) -> Result<web::Json<AdminStoreView>, ApiError> {
    let scope = user.allow(Module::Stores, Action::Update)?;
    let changes = StoreChanges {
        paused_until: Some(None),
        pause_reason: Some(None),
        ..StoreChanges::default()
    };
    let store = change_store(&state, &scope, id.into_inner(), changes).await?;
    Ok(web::Json(store.into()))
}

/// A day the store is closed whatever its hours say (a holiday).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureView {
    /// `YYYY-MM-DD`, in the store's time zone.
    #[schema(value_type = String, example = "2026-12-25")]
    pub date: chrono::NaiveDate,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closures {
    pub closures: Vec<ClosureView>,
}

fn closures_view(closures: &[Closure]) -> Closures {
    Closures {
        closures: closures
            .iter()
            .map(|closure| ClosureView {
                date: closure.date,
                reason: closure.reason.clone(),
            })
            .collect(),
    }
}

/// The store's closure days: `is_open`, `next_opening_at` and pre-orders skip them.
#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Closures), (status = 404, body = ErrorBody))
)]
#[get("/admin/stores/{store_id}/closures")]
pub async fn list_closures(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
) -> Result<web::Json<Closures>, ApiError> {
    let scope = user.allow(Module::Stores, Action::View)?;
    let store = state.stores.get(scope.tenant, id.into_inner()).await?;
    Ok(web::Json(closures_view(&store.store.closures)))
}

/// Replaces the closure days (at most 100, each date once); past days may stay for the record.
#[utoipa::path(
    tag = "admin", params(("store_id" = String, Path)), request_body = Closures,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Closures), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/stores/{store_id}/closures")]
pub async fn replace_closures(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<StoreId>,
    body: ApiJson<Closures>,
) -> Result<web::Json<Closures>, ApiError> {
    let scope = user.allow(Module::Stores, Action::Update)?;
    let body = body.into_inner()?;
    if body.closures.len() > MAX_CLOSURES {
        return Err(ApiError::field(
            "closures",
            format!("at most {MAX_CLOSURES} days"),
        ));
    }
    let mut closures: Vec<Closure> = Vec::with_capacity(body.closures.len());
    for (index, closure) in body.closures.into_iter().enumerate() {
        if closures.iter().any(|kept| kept.date == closure.date) {
            return Err(ApiError::field(
                &format!("closures[{index}].date"),
                "each date once",
            ));
        }
        closures.push(Closure {
            date: closure.date,
            reason: closure.reason.trim().chars().take(200).collect(),
        });
    }
    closures.sort_by_key(|closure| closure.date);
    let changes = StoreChanges {
        closures: Some(closures),
        ..StoreChanges::default()
    };
    let store = change_store(&state, &scope, id.into_inner(), changes).await?;
    Ok(web::Json(closures_view(&store.store.closures)))
}

/// Applies `changes` to one of the tenant's stores; a reactivation counts against
/// `stores_limit`.
async fn change_store(
    state: &AppState,
    scope: &TenantScope<'_>,
    id: StoreId,
    changes: StoreChanges,
) -> Result<comanda_services::stores::PublicStore, ApiError> {
    let tenant = &scope.principal.tenant;
    Ok(state
        .stores
        .update(tenant.id, tenant.stores_limit, id, changes, scope.actor)
        .await?)
}
