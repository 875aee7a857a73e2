//! The PostgreSQL adapter. Only this crate knows diesel: its schema and row types never leave
//! it. Every repository method takes the tenant and every query filters by it.

mod connect;
mod database;
mod errors;
mod listen;
mod migrations;
mod repos;
pub mod schema;

pub use connect::{ConnectError, PgTarget, SslMode};
pub use database::{Database, DatabaseConfig, count_tables, ensure_database_exists};
pub use listen::{LISTENER_NAME, Notice, listen};
pub use migrations::{MigrationError, run_migrations};
pub use repos::{
    PAYMENT_EXPIRED, PgAuditRepository, PgBillingRepository, PgCampaignRepository,
    PgCatalogRepository, PgCentralRepository, PgConfigRepository, PgCustomerDataRepository,
    PgCustomerRepository, PgGroupRepository, PgImportRepository, PgInsightsRepository,
    PgInventoryRepository, PgMediaRepository, PgOnboardingRepository, PgOrderRepository,
    PgOutboxRepository, PgPaymentRepository, PgPlanRepository, PgPushSubscriptionRepository,
    PgSessionRepository, PgShippingRepository, PgSingletonLock, PgStoreRepository,
    PgTenantRepository, PgUserRepository, PgWhatsAppRepository,
};
