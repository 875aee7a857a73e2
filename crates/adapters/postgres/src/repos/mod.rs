mod billing;
mod campaigns;
mod catalog;
mod customers;
mod groups;
mod imports;
mod insights;
mod inventory;
mod media;
mod messaging;
mod orders;
mod plans;
mod sessions;
mod shipping;
mod stores;
mod tenant_admin;
mod tenants;
mod users;

pub use billing::PgBillingRepository;
pub use campaigns::PgCampaignRepository;
pub use catalog::PgCatalogRepository;
pub use customers::PgCustomerRepository;
pub use groups::PgGroupRepository;
pub use imports::PgImportRepository;
pub use insights::PgInsightsRepository;
pub use inventory::{PgConfigRepository, PgInventoryRepository};
pub use media::PgMediaRepository;
pub use messaging::{
    PgOutboxRepository, PgPushSubscriptionRepository, PgSingletonLock, PgWhatsAppRepository,
};
pub use orders::PgOrderRepository;
pub use plans::PgPlanRepository;
pub use sessions::PgSessionRepository;
pub use shipping::PgShippingRepository;
pub use stores::PgStoreRepository;
pub use tenant_admin::PgTenantAdminRepository;
pub use tenants::PgTenantRepository;
pub use users::PgUserRepository;
