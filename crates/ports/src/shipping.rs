use async_trait::async_trait;
use comanda_domain::delivery_area::DeliveryArea;
use comanda_domain::geo::GeoPoint;
use comanda_domain::shipping::DistanceBand;
use comanda_domain::store::Address;
use comanda_domain::{AreaId, BandId, StoreId, TenantId};

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
    /// The store's delivery areas, oldest first; `NotFound` unless the store is the tenant's.
    async fn areas(&self, tenant: TenantId, store: StoreId) -> RepoResult<Vec<DeliveryArea>>;
    /// Every band of the tenant's stores, by store (who delivers to an address).
    async fn tenant_bands(
        &self,
        tenant: TenantId,
    ) -> RepoResult<Vec<(StoreId, DistanceBand<BandId>)>>;
    /// Every area of the tenant's stores (who delivers to an address).
    async fn tenant_areas(&self, tenant: TenantId) -> RepoResult<Vec<DeliveryArea>>;
    /// Creates or replaces the area (by id), audited; `NotFound` unless the store is the
    /// tenant's (and, for a replacement, the area the store's).
    async fn save_area(
        &self,
        tenant: TenantId,
        area: &DeliveryArea,
        create: bool,
        actor: &Actor,
    ) -> RepoResult<DeliveryArea>;
    async fn delete_area(
        &self,
        tenant: TenantId,
        store: StoreId,
        area: AreaId,
        actor: &Actor,
    ) -> RepoResult<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum MapsError {
    /// The provider did not answer usefully (down, quota, bad key): try the fallback.
    #[error("maps provider failed: {0}")]
    Provider(String),
    /// The provider answered that the destination cannot be reached or found.
    #[error("destination not found")]
    NotFound,
    /// Our own politeness limit (Nominatim's one request a second) would make the caller wait
    /// too long.
    #[error("too many lookups at once")]
    RateLimited,
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

/// What a CEP names, for filling in an address (`GET /address/{cep}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CepAddress {
    /// `01310-100`.
    pub cep: String,
    pub street: String,
    pub district: String,
    pub city: String,
    pub state: String,
}

/// A CEP directory (ViaCEP by default).
#[async_trait]
pub trait CepLookup: Send + Sync {
    /// `None` for a CEP the directory does not know. `cep` is 8 digits.
    async fn lookup(&self, cep: &str) -> Result<Option<CepAddress>, MapsError>;
}

/// Addresses to coordinates (Nominatim).
#[async_trait]
pub trait Geocoder: Send + Sync {
    async fn geocode(&self, address: &Address) -> Result<GeoPoint, MapsError>;
}
