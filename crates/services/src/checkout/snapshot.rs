//! What a checkout prices from, per store, kept per instance while the tenant's cache version
//! stands still (docs/decisions/0007-checkout-near-the-limit.md): the store, the tenant's
//! settings, the delivery bands, the active products with their add-ons and the active
//! campaigns. The database moves the version on any change to them (docs/decisions/0004), so
//! a checkout of a tenant whose version is current reads none of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use comanda_domain::catalog::{Product, StoreProductState};
use comanda_domain::delivery_area::DeliveryArea;
use comanda_domain::opening_hours::OpeningHours;
use comanda_domain::pricing::Campaign;
use comanda_domain::shipping::DistanceBand;
use comanda_domain::store::Store;
use comanda_domain::tenancy::TenantContext;
use comanda_domain::{BandId, CategoryId, ProductId, StoreId, TenantId};
use comanda_ports::campaigns::CampaignRepository;
use comanda_ports::catalog::CatalogRepository;
use comanda_ports::config::{ConfigRepository, TenantConfig};
use comanda_ports::payments::{PaymentRepository, PixReceiver};

use crate::ServiceError;
use crate::shipping::ShippingService;
use crate::stores::StoreService;

/// Stores kept per instance; past this the cache starts over.
const CACHED_STORES: usize = 2_000;

/// One store's pricing data as of a tenant version.
#[derive(Debug)]
pub struct StoreSnapshot {
    pub store: Store,
    pub config: TenantConfig,
    pub bands: Vec<DistanceBand<BandId>>,
    /// The store's delivery areas (they come before the bands).
    pub areas: Vec<DeliveryArea>,
    /// The tenant's active products with their state in the store. The stock in the state is
    /// as of the snapshot and only tells which products track it: a sale does not move the
    /// version, so quantities are read live or taken under lock.
    pub products: HashMap<ProductId, (Product, StoreProductState)>,
    /// The schedules of the categories that have one (a lunch menu).
    pub category_schedules: HashMap<CategoryId, OpeningHours>,
    /// Flavour categories: the pizza each one's products are flavours of.
    pub flavor_categories: HashMap<CategoryId, ProductId>,
    pub campaigns: Vec<Campaign>,
    /// Who receives PIX payments, when the tenant set it up.
    pub pix: Option<PixReceiver>,
}

impl StoreSnapshot {
    /// Whether pricing needs the customer's past uses: a live campaign limits them.
    pub fn limits_uses_per_customer(&self) -> bool {
        self.campaigns
            .iter()
            .any(|campaign| campaign.is_active && campaign.per_customer_limit.is_some())
    }
}

/// Snapshots kept, by store, with the tenant version each was read for.
type Kept = HashMap<(TenantId, StoreId), (i64, Arc<StoreSnapshot>)>;

/// Where snapshots are read from and kept.
#[derive(Clone)]
pub struct Snapshots {
    stores: StoreService,
    shipping: ShippingService,
    catalog: Arc<dyn CatalogRepository>,
    campaigns: Arc<dyn CampaignRepository>,
    config: Arc<dyn ConfigRepository>,
    payments: Arc<dyn PaymentRepository>,
    kept: Arc<Mutex<Kept>>,
}

impl Snapshots {
    pub fn new(
        stores: StoreService,
        shipping: ShippingService,
        catalog: Arc<dyn CatalogRepository>,
        campaigns: Arc<dyn CampaignRepository>,
        config: Arc<dyn ConfigRepository>,
        payments: Arc<dyn PaymentRepository>,
    ) -> Self {
        Self {
            stores,
            shipping,
            catalog,
            campaigns,
            config,
            payments,
            kept: Arc::default(),
        }
    }

    /// The store's snapshot for the tenant's version: kept, or read and kept. An inactive or
    /// unknown store is `NotFound`, never kept.
    pub async fn current(
        &self,
        tenant: &TenantContext,
        store: StoreId,
    ) -> Result<Arc<StoreSnapshot>, ServiceError> {
        let key = (tenant.id, store);
        if let Some(snapshot) = self.kept(&key, tenant.version) {
            return Ok(snapshot);
        }
        let snapshot = Arc::new(self.read(tenant.id, store).await?);
        self.keep(key, tenant.version, snapshot.clone());
        Ok(snapshot)
    }

    /// Read now, whatever is kept: for answering after the order transaction found the data
    /// moved (a campaign ran out) before this request's version could show it.
    pub async fn fresh(
        &self,
        tenant: TenantId,
        store: StoreId,
    ) -> Result<Arc<StoreSnapshot>, ServiceError> {
        Ok(Arc::new(self.read(tenant, store).await?))
    }

    async fn read(&self, tenant: TenantId, store: StoreId) -> Result<StoreSnapshot, ServiceError> {
        let store = self.stores.active(tenant, store).await?;
        let config = self.config.get(tenant).await?;
        let bands = self.shipping.bands(tenant, store.id).await?;
        let areas = self.shipping.areas(tenant, store.id).await?;
        let menu = self.catalog.menu(tenant, store.id).await?;
        let flavor_categories = menu
            .categories
            .iter()
            .filter_map(|category| Some((category.id, category.flavors_for?)))
            .collect();
        let category_schedules = menu
            .categories
            .into_iter()
            .filter_map(|category| Some((category.id, category.schedule?)))
            .collect();
        let mut states = menu.states;
        let products = menu
            .products
            .into_iter()
            .map(|product| {
                let state = states.remove(&product.id).unwrap_or_default();
                (product.id, (product, state))
            })
            .collect();
        let campaigns = self.campaigns.active(tenant).await?;
        let pix = self
            .payments
            .pix_settings(tenant)
            .await?
            .map(|settings| settings.receiver);
        Ok(StoreSnapshot {
            store,
            config,
            bands,
            areas,
            products,
            category_schedules,
            flavor_categories,
            campaigns,
            pix,
        })
    }

    fn kept(&self, key: &(TenantId, StoreId), version: i64) -> Option<Arc<StoreSnapshot>> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.get(key)
            .filter(|(kept_version, _)| *kept_version == version)
            .map(|(_, snapshot)| snapshot.clone())
    }

    fn keep(&self, key: (TenantId, StoreId), version: i64, snapshot: Arc<StoreSnapshot>) {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.len() >= CACHED_STORES && !kept.contains_key(&key) {
            kept.clear();
        }
        kept.insert(key, (version, snapshot));
    }
}
