use std::sync::Arc;

use comanda_config::Settings;
use comanda_ports::{DatabaseHealth, RateLimitStore};
use comanda_services::health::HealthService;
use comanda_services::stores::StoreService;
use comanda_services::tenancy::TenancyService;

use crate::metrics::Metrics;

/// Everything handlers and middlewares share, built once in `startup`.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub tenancy: TenancyService,
    pub stores: StoreService,
    pub health: HealthService,
    pub database: Arc<dyn DatabaseHealth>,
    /// `None` when rate limiting is switched off.
    pub rate_limits: Option<Arc<dyn RateLimitStore>>,
    pub metrics: Metrics,
}
