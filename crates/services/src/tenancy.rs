use std::sync::Arc;

use comanda_domain::tenancy::{
    TenancyError, TenantContext, TenantHeaders, TenantSelector, TenantSlug, select_tenant,
};
use comanda_ports::TenantRepository;

use crate::ServiceError;

/// Resolves the tenant a request runs for (SPEC §4).
#[derive(Clone)]
pub struct TenancyService {
    tenants: Arc<dyn TenantRepository>,
    legacy_fallback: Option<TenantSlug>,
}

impl TenancyService {
    pub fn new(tenants: Arc<dyn TenantRepository>, legacy_fallback: Option<TenantSlug>) -> Self {
        Self {
            tenants,
            legacy_fallback,
        }
    }

    /// The tenant named by the request's headers, or the legacy fallback.
    pub async fn resolve(&self, headers: TenantHeaders<'_>) -> Result<TenantContext, ServiceError> {
        let selector = select_tenant(headers, self.legacy_fallback.as_ref())?;
        let record = match &selector {
            TenantSelector::Id(id) => self.tenants.find_by_id(*id).await?,
            TenantSelector::Slug(slug) => self.tenants.find_by_slug(slug).await?,
        };
        record
            .map(TenantContext::from)
            .ok_or(ServiceError::Tenancy(TenancyError::NotFound))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::InMemoryTenants;
    use comanda_domain::tenancy::SubscriptionStatus;

    fn slug(raw: &str) -> TenantSlug {
        TenantSlug::parse(raw).expect("slug")
    }

    #[tokio::test]
    async fn resolves_by_id_by_slug_and_by_fallback() {
        let tenants = InMemoryTenants::default();
        let demo = tenants.add("demo", SubscriptionStatus::Active);
        let service = TenancyService::new(Arc::new(tenants), Some(slug("demo")));

        let id = demo.id.to_string();
        let by_id = service
            .resolve(TenantHeaders {
                id: Some(&id),
                slug: None,
            })
            .await
            .expect("by id");
        assert_eq!(by_id.id, demo.id);
        let by_slug = service
            .resolve(TenantHeaders {
                id: None,
                slug: Some("demo"),
            })
            .await
            .expect("by slug");
        assert_eq!(by_slug.id, demo.id);
        let by_fallback = service
            .resolve(TenantHeaders::default())
            .await
            .expect("fallback");
        assert_eq!(by_fallback.id, demo.id);
    }

    #[tokio::test]
    async fn unknown_tenant_is_not_found() {
        let service = TenancyService::new(Arc::new(InMemoryTenants::default()), None);
        let error = service
            .resolve(TenantHeaders {
                id: None,
                slug: Some("ghost"),
            })
            .await
            .expect_err("unknown");
        assert!(matches!(
            error,
            ServiceError::Tenancy(TenancyError::NotFound)
        ));
    }

    #[tokio::test]
    async fn inactive_subscription_resolves_without_modules() {
        let tenants = InMemoryTenants::default();
        tenants.add("late", SubscriptionStatus::PastDue);
        let service = TenancyService::new(Arc::new(tenants), None);
        let context = service
            .resolve(TenantHeaders {
                id: None,
                slug: Some("late"),
            })
            .await
            .expect("resolves");
        assert!(context.modules.is_empty());
    }
}
