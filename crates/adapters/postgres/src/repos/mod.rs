mod stores;
mod tenants;

pub use stores::PgStoreRepository;
pub use tenants::PgTenantRepository;
