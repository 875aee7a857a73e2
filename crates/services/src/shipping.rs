//! Distance bands and delivery quotes (docs/api.md#checkout).

use crate::ErrorCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::address::Cep;
use comanda_domain::geo::GeoPoint;
use comanda_domain::shipping::{
    DistanceBand, DistanceSource, ShippingBands, round_km, straight_line_km,
};
use comanda_domain::store::{Address, Store};
use comanda_domain::{BandId, StoreId, TenantId};
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
    pub band_id: BandId,
    pub source: DistanceSource,
}

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
        self.quote_within(store, &bands, address, point).await
    }

    /// A quote against bands the caller already holds (the checkout's cached store).
    pub async fn quote_within(
        &self,
        store: &Store,
        bands: &[DistanceBand<BandId>],
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
            band_id: band.id,
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
