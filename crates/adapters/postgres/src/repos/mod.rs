mod billing;
mod groups;
mod plans;
mod sessions;
mod stores;
mod tenant_admin;
mod tenants;
mod users;

pub use billing::PgBillingRepository;
pub use groups::PgGroupRepository;
pub use plans::PgPlanRepository;
pub use sessions::PgSessionRepository;
pub use stores::PgStoreRepository;
pub use tenant_admin::PgTenantAdminRepository;
pub use tenants::PgTenantRepository;
pub use users::PgUserRepository;
