use async_trait::async_trait;
use comanda_domain::geo::GeoPoint;
use comanda_domain::shipping::DistanceBand;
use comanda_domain::store::Address;
use comanda_domain::{BandId, StoreId, TenantId};

use crate::{Actor, RepoResult};

#[async_trait]
pub trait ShippingRepository: Send + Sync {
    /// The store's bands by `max_km`; `NotFound` unless the store is the tenant's.
    async fn bands(
        &self,
        tenant: TenantId,
        store: StoreId,
    ) -> RepoResult<Vec<DistanceBand<BandId>>>;
    /// Replaces every band of the store in one transaction.
    async fn replace_bands(
        &self,
        tenant: TenantId,
        store: StoreId,
        bands: Vec<DistanceBand<()>>,
        actor: &Actor,
    ) -> RepoResult<Vec<DistanceBand<BandId>>>;
}

#[derive(Debug, thiserror::Error)]
pub enum MapsError {
    /// The provider did not answer usefully (down, quota, bad key): try the fallback.
    #[error("maps provider failed: {0}")]
    Provider(String),
    /// The provider answered that the destination cannot be reached or found.
    #[error("destination not found")]
    NotFound,
}

/// Where a delivery goes: coordinates the client sent, or an address to look up.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    Point(GeoPoint),
    Address(Address),
}

/// Driving distances (Google Maps Distance Matrix).
#[async_trait]
pub trait DrivingDistance: Send + Sync {
    async fn driving_km(
        &self,
        origin: GeoPoint,
        destination: &Destination,
    ) -> Result<f64, MapsError>;
}

/// Addresses to coordinates (Nominatim).
#[async_trait]
pub trait Geocoder: Send + Sync {
    async fn geocode(&self, address: &Address) -> Result<GeoPoint, MapsError>;
}
