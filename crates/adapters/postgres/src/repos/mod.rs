pub(crate) mod audit;
mod billing;
mod campaigns;
mod catalog;
mod central;
mod checkout;
mod config;
mod customer_data;
mod customers;
mod groups;
mod imports;
mod insights;
mod inventory;
mod media;
mod onboarding;
mod orders;
mod outbox;
mod payments;
mod plans;
mod sessions;
mod shipping;
mod singleton_lock;
mod stores;
mod tenants;
mod users;
mod webpush;
mod whatsapp;

pub use audit::PgAuditRepository;
pub use billing::PgBillingRepository;
pub use campaigns::PgCampaignRepository;
pub use catalog::PgCatalogRepository;
pub use central::PgCentralRepository;
pub use config::PgConfigRepository;
pub use customer_data::PgCustomerDataRepository;
pub use customers::PgCustomerRepository;
pub use groups::PgGroupRepository;
pub use imports::PgImportRepository;
pub use insights::PgInsightsRepository;
pub use inventory::PgInventoryRepository;
pub use media::PgMediaRepository;
pub use onboarding::PgOnboardingRepository;
pub use orders::PgOrderRepository;
pub use outbox::PgOutboxRepository;
pub use payments::{PAYMENT_EXPIRED, PgPaymentRepository};
pub use plans::PgPlanRepository;
pub use sessions::PgSessionRepository;
pub use shipping::PgShippingRepository;
pub use singleton_lock::PgSingletonLock;
pub use stores::PgStoreRepository;
pub use tenants::PgTenantRepository;
pub use users::PgUserRepository;
pub use webpush::PgPushSubscriptionRepository;
pub use whatsapp::PgWhatsAppRepository;

/// A `LIKE`/`ILIKE` pattern matching `text` anywhere, its `\`, `%` and `_` taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// An id from the outside that is not a UUID names nothing of ours.
fn parse_uuid(raw: &str) -> comanda_ports::RepoResult<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| comanda_ports::RepoError::NotFound("record"))
}

fn interval(duration: std::time::Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(duration).unwrap_or(chrono::TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_in_the_search_are_literal() {
        assert_eq!(super::contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
