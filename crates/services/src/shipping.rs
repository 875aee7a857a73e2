//! Distance bands and delivery quotes (docs/api.md#checkout).

use crate::ErrorCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::address::Cep;
use comanda_domain::delivery_area::{
    AreaKind, AreaShape, DeliveryArea, GeoJsonShape, area_for, place_key,
};
use comanda_domain::geo::GeoPoint;
use comanda_domain::shipping::{
    DistanceBand, DistanceSource, ShippingBands, round_km, straight_line_km,
};
use comanda_domain::store::{Address, Store};
use comanda_domain::{AreaId, BandId, StoreId, TenantId};
use comanda_ports::shipping::{
    Destination, DrivingDistance, Geocoder, MapsError, ShippingRepository,
};
use comanda_ports::{Actor, Clock};

use crate::ServiceError;
use crate::stores::StoreService;

/// Distances are kept this long per (store, address).
const CACHE_TTL: TimeDelta = TimeDelta::hours(24);
const CACHE_CAPACITY: usize = 20_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub distance_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
    /// The distance band that priced it, unless an area did.
    pub band_id: Option<BandId>,
    /// The delivery area that priced it, with its own minimum and free-shipping threshold.
    pub area: Option<AreaTerms>,
    pub source: DistanceSource,
}

/// What an area adds to a quote's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreaTerms {
    pub id: AreaId,
    pub min_order_cents: i64,
    pub free_above_cents: Option<i64>,
}

/// What an area is made of, as the owner sends it.
#[derive(Debug, Clone)]
pub struct AreaInput {
    pub name: String,
    /// `neighbourhood` with `city` and `districts`, or `polygon` with `polygon`.
    pub kind: String,
    pub city: Option<String>,
    pub districts: Vec<String>,
    pub polygon: Option<GeoJsonShape>,
    pub fee_cents: i64,
    pub min_order_cents: i64,
    pub free_above_cents: Option<i64>,
    pub eta_minutes: i32,
}

/// Most areas per store.
pub const MAX_AREAS: usize = 200;

type CacheKey = (StoreId, String);
/// A measured distance, where it came from, and when it was measured.
type CachedDistance = (f64, DistanceSource, DateTime<Utc>);

#[derive(Clone)]
pub struct ShippingService {
    bands: Arc<dyn ShippingRepository>,
    stores: StoreService,
    google: Option<Arc<dyn DrivingDistance>>,
    geocoder: Arc<dyn Geocoder>,
    clock: Arc<dyn Clock>,
    cache: Arc<Mutex<HashMap<CacheKey, CachedDistance>>>,
}

fn invalid_address(message: &str) -> ServiceError {
    ServiceError::Invalid {
        code: ErrorCode::InvalidAddress,
        message: message.to_owned(),
    }
}

/// The same address however it was typed.
fn address_key(address: &Address, cep: &Cep, point: Option<GeoPoint>) -> String {
    if let Some(point) = point {
        return format!("@{:.5},{:.5}", point.lat(), point.lng());
    }
    let normalize = |text: &str| {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    format!(
        "{}|{}|{}|{}|{}",
        cep.digits(),
        normalize(&address.street),
        normalize(&address.number),
        normalize(&address.city),
        normalize(&address.state)
    )
}

impl ShippingService {
    pub fn new(
        bands: Arc<dyn ShippingRepository>,
        stores: StoreService,
        google: Option<Arc<dyn DrivingDistance>>,
        geocoder: Arc<dyn Geocoder>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            bands,
            stores,
            google,
            geocoder,
            clock,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub async fn bands(
        &self,
        tenant: TenantId,
        store: StoreId,
    ) -> Result<Vec<DistanceBand<BandId>>, ServiceError> {
        self.bands
            .bands(tenant, store)
            .await
            .map_err(ServiceError::from)
    }

    /// Replaces the store's bands; they must increase in `max_km`, with no negative fee.
    pub async fn replace_bands(
        &self,
        tenant: TenantId,
        store: StoreId,
        bands: Vec<DistanceBand<()>>,
        actor: &Actor,
    ) -> Result<Vec<DistanceBand<BandId>>, ServiceError> {
        let checked =
            ShippingBands::new(bands).map_err(|error| ServiceError::field("bands", error))?;
        self.bands
            .replace_bands(tenant, store, checked.bands().to_vec(), actor)
            .await
            .map_err(ServiceError::from)
    }

    /// Prices a delivery from an active store of the tenant to an address (or the client's
    /// coordinates). Free shipping is the checkout's business.
    pub async fn quote(
        &self,
        tenant: TenantId,
        store: StoreId,
        address: &Address,
        point: Option<GeoPoint>,
    ) -> Result<Quote, ServiceError> {
        let store = self.stores.active(tenant, store).await?;
        self.quote_for(&store, address, point).await
    }

    pub async fn quote_for(
        &self,
        store: &Store,
        address: &Address,
        point: Option<GeoPoint>,
    ) -> Result<Quote, ServiceError> {
        let bands = self.bands(store.tenant_id, store.id).await?;
        let areas = self.areas(store.tenant_id, store.id).await?;
        self.quote_within(store, &bands, &areas, address, point)
            .await
    }

    pub async fn areas(
        &self,
        tenant: TenantId,
        store: StoreId,
    ) -> Result<Vec<DeliveryArea>, ServiceError> {
        Ok(self.bands.areas(tenant, store).await?)
    }

    pub async fn tenant_areas(&self, tenant: TenantId) -> Result<Vec<DeliveryArea>, ServiceError> {
        Ok(self.bands.tenant_areas(tenant).await?)
    }

    pub async fn area(
        &self,
        tenant: TenantId,
        store: StoreId,
        id: AreaId,
    ) -> Result<DeliveryArea, ServiceError> {
        self.areas(tenant, store)
            .await?
            .into_iter()
            .find(|area| area.id == id)
            .ok_or(ServiceError::NotFound("delivery area"))
    }

    /// Creates an area (`id` None) or replaces one, after checking it: a neighbourhood needs a
    /// city and 1 to 200 districts, a polygon a valid shape (422 with the reason).
    pub async fn save_area(
        &self,
        tenant: TenantId,
        store: StoreId,
        id: Option<AreaId>,
        input: AreaInput,
        actor: &Actor,
    ) -> Result<DeliveryArea, ServiceError> {
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::field("name", "1 to 100 characters"));
        }
        let kind = match input.kind.as_str() {
            "neighbourhood" => {
                let city = input
                    .city
                    .map(|city| city.trim().to_owned())
                    .filter(|city| !place_key(city).is_empty())
                    .ok_or_else(|| {
                        ServiceError::field("city", "the districts' city is required")
                    })?;
                let mut districts: Vec<String> = Vec::new();
                for district in input.districts {
                    let district = district.trim().to_owned();
                    if place_key(&district).is_empty() {
                        return Err(ServiceError::field("districts", "a district has no name"));
                    }
                    if !districts
                        .iter()
                        .any(|kept| place_key(kept) == place_key(&district))
                    {
                        districts.push(district);
                    }
                }
                if districts.is_empty() || districts.len() > 200 {
                    return Err(ServiceError::field("districts", "1 to 200 districts"));
                }
                AreaKind::Neighbourhood { city, districts }
            }
            "polygon" => {
                let geojson = input.polygon.ok_or_else(|| {
                    ServiceError::field("polygon", "a GeoJSON Polygon or MultiPolygon is required")
                })?;
                let shape = AreaShape::parse(&geojson)
                    .map_err(|error| ServiceError::field("polygon", error))?;
                AreaKind::Polygon { geojson, shape }
            }
            _ => return Err(ServiceError::field("kind", "neighbourhood or polygon")),
        };
        if input.fee_cents < 0 {
            return Err(ServiceError::field("fee_cents", "zero or more"));
        }
        if input.min_order_cents < 0 {
            return Err(ServiceError::field("min_order_cents", "zero or more"));
        }
        if input.free_above_cents.is_some_and(|cents| cents < 0) {
            return Err(ServiceError::field("free_above_cents", "zero or more"));
        }
        if !(1..=600).contains(&input.eta_minutes) {
            return Err(ServiceError::field("eta_minutes", "1 to 600"));
        }
        let create = id.is_none();
        if create && self.areas(tenant, store).await?.len() >= MAX_AREAS {
            return Err(ServiceError::field(
                "kind",
                format!("a store has at most {MAX_AREAS} areas"),
            ));
        }
        let area = DeliveryArea {
            id: id.unwrap_or_else(AreaId::generate),
            store_id: store,
            name,
            kind,
            fee_cents: input.fee_cents,
            min_order_cents: input.min_order_cents,
            free_above_cents: input.free_above_cents,
            eta_minutes: input.eta_minutes,
        };
        Ok(self.bands.save_area(tenant, &area, create, actor).await?)
    }

    pub async fn delete_area(
        &self,
        tenant: TenantId,
        store: StoreId,
        id: AreaId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        Ok(self.bands.delete_area(tenant, store, id, actor).await?)
    }

    /// The stores that deliver to `point`, each with its quote, quickest first: areas and
    /// straight-line distance bands only (no maps API per store), all read in two queries.
    pub async fn delivering_to(
        &self,
        tenant: TenantId,
        stores: Vec<Store>,
        point: GeoPoint,
    ) -> Result<Vec<(Store, Quote)>, ServiceError> {
        let areas = self.bands.tenant_areas(tenant).await?;
        let bands = self.bands.tenant_bands(tenant).await?;
        let mut found: Vec<(Store, Quote)> = Vec::new();
        for store in stores.into_iter().filter(|store| store.delivery_enabled) {
            let store_areas: Vec<DeliveryArea> = areas
                .iter()
                .filter(|area| area.store_id == store.id)
                .cloned()
                .collect();
            let in_area = area_for(&store_areas, Some((point.lng(), point.lat())), "", "");
            let quote = if let Some(area) = in_area {
                Some(Quote {
                    distance_km: store
                        .location()
                        .map_or(0.0, |origin| straight_line_km(&origin, &point)),
                    fee_cents: area.fee_cents,
                    eta_minutes: area
                        .eta_minutes
                        .saturating_add(store.extra_preparation_minutes.max(0)),
                    band_id: None,
                    area: Some(AreaTerms {
                        id: area.id,
                        min_order_cents: area.min_order_cents,
                        free_above_cents: area.free_above_cents,
                    }),
                    source: DistanceSource::Area,
                })
            } else {
                let store_bands: Vec<DistanceBand<BandId>> = bands
                    .iter()
                    .filter(|(owner, _)| *owner == store.id)
                    .map(|(_, band)| band.clone())
                    .collect();
                store.location().and_then(|origin| {
                    let km = straight_line_km(&origin, &point);
                    let bands = ShippingBands::new(store_bands).ok()?;
                    let band = bands.band_for(km)?;
                    Some(Quote {
                        distance_km: km,
                        fee_cents: band.fee_cents,
                        eta_minutes: band
                            .eta_minutes
                            .saturating_add(store.extra_preparation_minutes.max(0)),
                        band_id: Some(band.id),
                        area: None,
                        source: DistanceSource::Coordinates,
                    })
                })
            };
            if let Some(quote) = quote {
                found.push((store, quote));
            }
        }
        found.sort_by(|(a, qa), (b, qb)| {
            qa.eta_minutes
                .cmp(&qb.eta_minutes)
                .then_with(|| qa.fee_cents.cmp(&qb.fee_cents))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(found)
    }

    /// A CEP's point, for `GET /stores?cep=` (geocoded as quotes are).
    pub async fn point_of_cep(&self, cep: &str) -> Result<GeoPoint, ServiceError> {
        let cep = Cep::parse(cep).map_err(|error| invalid_address(&error.to_string()))?;
        let address = Address {
            cep: cep.digits().to_owned(),
            ..Address::default()
        };
        match self.geocoder.geocode(&address).await {
            Ok(point) => Ok(point),
            Err(MapsError::NotFound) => Err(invalid_address("The CEP could not be found")),
            Err(MapsError::RateLimited) => Err(ServiceError::Invalid {
                code: ErrorCode::AddressNotFound,
                message: "The address cannot be looked up right now; send its coordinates \
                          (lat, lng) or try again in a moment"
                    .into(),
            }),
            Err(MapsError::Provider(cause)) => Err(ServiceError::Unavailable(format!(
                "geocoding failed: {cause}"
            ))),
        }
    }

    /// The quote of the area the address falls in, if any: polygons need the point (the
    /// client's, else the geocoded address), neighbourhoods only the address.
    async fn area_quote(
        &self,
        store: &Store,
        areas: &[DeliveryArea],
        address: &Address,
        point: Option<GeoPoint>,
    ) -> Option<Quote> {
        if areas.is_empty() {
            return None;
        }
        let has_polygons = areas
            .iter()
            .any(|area| matches!(area.kind, AreaKind::Polygon { .. }));
        let point = match point {
            Some(point) => Some(point),
            None if has_polygons => match self.geocoder.geocode(address).await {
                Ok(found) => Some(found),
                Err(error) => {
                    tracing::info!(%error, "no point for the polygon areas; neighbourhoods and bands decide");
                    None
                }
            },
            None => None,
        };
        let area = area_for(
            areas,
            point.map(|point| (point.lng(), point.lat())),
            &address.city,
            &address.district,
        )?;
        let distance_km = match (store.location(), point) {
            (Some(origin), Some(point)) => straight_line_km(&origin, &point),
            _ => 0.0,
        };
        Some(Quote {
            distance_km,
            fee_cents: area.fee_cents,
            eta_minutes: area
                .eta_minutes
                .saturating_add(store.extra_preparation_minutes.max(0)),
            band_id: None,
            area: Some(AreaTerms {
                id: area.id,
                min_order_cents: area.min_order_cents,
                free_above_cents: area.free_above_cents,
            }),
            source: DistanceSource::Area,
        })
    }

    /// A quote against bands and areas the caller already holds (the checkout's cached store):
    /// a polygon holding the point, else a neighbourhood naming the district, else the bands.
    pub async fn quote_within(
        &self,
        store: &Store,
        bands: &[DistanceBand<BandId>],
        areas: &[DeliveryArea],
        address: &Address,
        point: Option<GeoPoint>,
    ) -> Result<Quote, ServiceError> {
        if !store.delivery_enabled {
            return Err(ServiceError::Invalid {
                code: ErrorCode::DeliveryUnavailable,
                message: "This store does not deliver".into(),
            });
        }
        let cep = Cep::parse(&address.cep).map_err(|error| invalid_address(&error.to_string()))?;
        if let Some(quote) = self.area_quote(store, areas, address, point).await {
            return Ok(quote);
        }
        let origin = store.location().ok_or_else(|| ServiceError::Invalid {
            code: ErrorCode::StoreLocationMissing,
            message: "This store has no coordinates to measure distances from".into(),
        })?;
        let (distance_km, source) = self
            .distance(store.id, origin, address, &cep, point)
            .await?;
        let bands = ShippingBands::new(bands.to_vec()).map_err(|error| {
            ServiceError::Internal(format!("stored bands are invalid: {error}"))
        })?;
        let band = bands
            .band_for(distance_km)
            .ok_or_else(|| ServiceError::Invalid {
                code: ErrorCode::OutOfDeliveryArea,
                message: format!(
                    "The address is {distance_km:.1} km away, beyond this store's delivery area"
                ),
            })?;
        Ok(Quote {
            distance_km,
            fee_cents: band.fee_cents,
            // A busy kitchen (rush mode) adds to every estimate.
            eta_minutes: band
                .eta_minutes
                .saturating_add(store.extra_preparation_minutes.max(0)),
            band_id: Some(band.id),
            area: None,
            source,
        })
    }

    async fn distance(
        &self,
        store: StoreId,
        origin: GeoPoint,
        address: &Address,
        cep: &Cep,
        point: Option<GeoPoint>,
    ) -> Result<(f64, DistanceSource), ServiceError> {
        // The store's own coordinates are part of the key: a store that moved measures again.
        let key = (
            store,
            format!(
                "{:.5},{:.5}>{}",
                origin.lat(),
                origin.lng(),
                address_key(address, cep, point)
            ),
        );
        let now = self.clock.now();
        if let Some((km, source, at)) = self.cache_get(&key)
            && now - at < CACHE_TTL
        {
            return Ok((km, source));
        }
        let measured = self.measure(origin, address, point).await?;
        self.cache_put(key, measured, now);
        Ok(measured)
    }

    async fn measure(
        &self,
        origin: GeoPoint,
        address: &Address,
        point: Option<GeoPoint>,
    ) -> Result<(f64, DistanceSource), ServiceError> {
        if let Some(google) = &self.google {
            let destination = match point {
                Some(point) => Destination::Point(point),
                None => Destination::Address(address.clone()),
            };
            match google.driving_km(origin, &destination).await {
                Ok(km) => return Ok((round_km(km), DistanceSource::Google)),
                Err(error) => {
                    tracing::warn!(%error, "Google distance failed; using the straight-line fallback")
                }
            }
        }
        if let Some(point) = point {
            return Ok((
                straight_line_km(&origin, &point),
                DistanceSource::Coordinates,
            ));
        }
        match self.geocoder.geocode(address).await {
            Ok(found) => Ok((straight_line_km(&origin, &found), DistanceSource::Nominatim)),
            Err(MapsError::NotFound) => Err(invalid_address("The address could not be found")),
            Err(MapsError::RateLimited) => Err(ServiceError::Invalid {
                code: ErrorCode::AddressNotFound,
                message: "The address cannot be looked up right now; send its coordinates \
                          (lat, lng) or try again in a moment"
                    .into(),
            }),
            Err(MapsError::Provider(cause)) => Err(ServiceError::Unavailable(format!(
                "geocoding failed: {cause}"
            ))),
        }
    }

    fn cache_get(&self, key: &CacheKey) -> Option<CachedDistance> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .copied()
    }

    fn cache_put(&self, key: CacheKey, (km, source): (f64, DistanceSource), at: DateTime<Utc>) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, (_, _, stored)| at - *stored < CACHE_TTL);
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(key, (km, source, at));
    }
}
