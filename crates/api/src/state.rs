use std::sync::Arc;

use crate::catalog_cache::CatalogCache;
use comanda_config::Settings;
use comanda_ports::{DatabaseHealth, RateLimitStore};
use comanda_services::address::AddressService;
use comanda_services::audit::AuditService;
use comanda_services::auth::AuthService;
use comanda_services::billing::BillingService;
use comanda_services::campaigns::CampaignService;
use comanda_services::catalog::CatalogService;
use comanda_services::central::CentralService;
use comanda_services::checkout::CheckoutService;
use comanda_services::config::ConfigService;
use comanda_services::customer_data::CustomerDataService;
use comanda_services::customers::CustomerService;
use comanda_services::groups::GroupService;
use comanda_services::health::HealthService;
use comanda_services::housekeeping::Housekeeping;
use comanda_services::insights::InsightsService;
use comanda_services::inventory::InventoryService;
use comanda_services::media::MediaService;
use comanda_services::messaging::cleanup::MediaCleanup;
use comanda_services::messaging::dispatcher::OutboxDispatcher;
use comanda_services::messaging::push::PushService;
use comanda_services::messaging::whatsapp::WhatsAppService;
use comanda_services::onboarding::OnboardingService;
use comanda_services::orders::OrderService;
use comanda_services::payments::PaymentService;
use comanda_services::shipping::ShippingService;
use comanda_services::stores::StoreService;
use comanda_services::tenancy::TenancyService;
use comanda_services::users::UserService;

use crate::metrics::Metrics;

/// Everything handlers and middlewares share, built once in `startup`.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub tenancy: TenancyService,
    pub stores: StoreService,
    pub health: HealthService,
    pub auth: AuthService,
    pub users: UserService,
    pub groups: GroupService,
    pub audit: AuditService,
    pub central: CentralService,
    pub billing: BillingService,
    pub catalog: CatalogService,
    /// Rendered menus of `GET /catalog`, checked against the tenant's version.
    pub catalog_cache: CatalogCache,
    pub media: MediaService,
    pub shipping: ShippingService,
    /// Address autofill from a CEP.
    pub address: AddressService,
    pub checkout: CheckoutService,
    pub orders: OrderService,
    /// Live orders for the desks this instance serves (`GET /admin/orders/stream`).
    pub desk: crate::order_desk::OrderDesk,
    /// PIX settings, charges, webhooks, refunds and expiry (tests call `expire_due`).
    pub payments: PaymentService,
    pub customers: CustomerService,
    /// Customers' data rights (LGPD): export and erasure.
    pub customer_data: CustomerDataService,
    pub campaigns: CampaignService,
    pub inventory: InventoryService,
    pub config: ConfigService,
    pub insights: InsightsService,
    pub whatsapp: WhatsAppService,
    pub onboarding: OnboardingService,
    pub push: PushService,
    /// Run by the background worker; tests call `run_once` directly.
    pub dispatcher: OutboxDispatcher,
    pub media_cleanup: MediaCleanup,
    /// Purges sent notifications and old idempotency keys (tests call `run_once`).
    pub housekeeping: Housekeeping,
    /// Local storage is served at `/media`; S3 serves itself.
    pub serves_media: bool,
    pub database: Arc<dyn DatabaseHealth>,
    /// `None` when rate limiting is switched off.
    pub rate_limits: Option<Arc<dyn RateLimitStore>>,
    pub metrics: Metrics,
}
