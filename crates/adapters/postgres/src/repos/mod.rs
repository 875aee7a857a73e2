mod billing;
mod campaigns;
mod catalog;
mod customer_data;
mod customers;
mod groups;
mod imports;
mod insights;
mod inventory;
mod media;
mod messaging;
mod onboarding;
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
pub use customer_data::PgCustomerDataRepository;
pub use customers::PgCustomerRepository;
pub use groups::PgGroupRepository;
pub use imports::PgImportRepository;
pub use insights::PgInsightsRepository;
pub use inventory::{PgConfigRepository, PgInventoryRepository};
pub use media::PgMediaRepository;
pub use messaging::{
    PgOutboxRepository, PgPushSubscriptionRepository, PgSingletonLock, PgWhatsAppRepository,
};
pub use onboarding::PgOnboardingRepository;
pub use orders::PgOrderRepository;
pub use plans::PgPlanRepository;
pub use sessions::PgSessionRepository;
pub use shipping::PgShippingRepository;
pub use stores::PgStoreRepository;
pub use tenant_admin::PgTenantAdminRepository;
pub use tenants::PgTenantRepository;
pub use users::PgUserRepository;

/// A `LIKE`/`ILIKE` pattern matching `text` anywhere, its `\`, `%` and `_` taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_in_the_search_are_literal() {
        assert_eq!(super::contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
