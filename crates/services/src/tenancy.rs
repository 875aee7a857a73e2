use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use comanda_domain::TenantId;
use comanda_domain::tenancy::{
    TenancyError, TenantContext, TenantHeaders, TenantSlug, select_tenant,
};
use comanda_ports::TenantRepository;

use crate::ServiceError;

/// Tenants kept in memory per instance; past this the cache starts over.
const CACHED_TENANTS: usize = 10_000;

/// Resolves the tenant a request runs for (docs/api.md#tenancy).
///
/// Every request reads the tenant's `version` (one indexed read) and reuses the context cached
/// for that version, so a suspension or a module change applies on the next request, on every
/// instance.
#[derive(Clone)]
pub struct TenancyService {
    tenants: Arc<dyn TenantRepository>,
    legacy_fallback: Option<TenantSlug>,
    cache: Arc<Mutex<HashMap<TenantId, TenantContext>>>,
}

impl TenancyService {
    pub fn new(tenants: Arc<dyn TenantRepository>, legacy_fallback: Option<TenantSlug>) -> Self {
        Self {
            tenants,
            legacy_fallback,
            cache: Arc::default(),
        }
    }

    /// The tenant named by the request's headers, or the legacy fallback.
    pub async fn resolve(&self, headers: TenantHeaders<'_>) -> Result<TenantContext, ServiceError> {
        let selector = select_tenant(headers, self.legacy_fallback.as_ref())?;
        let (id, version) = self
            .tenants
            .current_version(&selector)
            .await?
            .ok_or(ServiceError::Tenancy(TenancyError::NotFound))?;
        if let Some(cached) = self.cached(id, version) {
            return Ok(cached);
        }
        let context = self
            .tenants
            .find_by_id(id)
            .await?
            .map(TenantContext::from)
            .ok_or(ServiceError::Tenancy(TenancyError::NotFound))?;
        self.remember(context.clone());
        Ok(context)
    }

    fn cached(&self, id: TenantId, version: i64) -> Option<TenantContext> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .get(&id)
            .filter(|context| context.version == version)
            .cloned()
    }

    fn remember(&self, context: TenantContext) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() >= CACHED_TENANTS && !cache.contains_key(&context.id) {
            cache.clear();
        }
        cache.insert(context.id, context);
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
    async fn a_cached_tenant_is_read_again_once_its_version_moves() {
        let tenants = Arc::new(InMemoryTenants::default());
        tenants.add("demo", SubscriptionStatus::Active);
        let service = TenancyService::new(tenants.clone(), None);
        let demo = || TenantHeaders {
            id: None,
            slug: Some("demo"),
        };
        assert!(service.resolve(demo()).await.expect("first").takes_orders());

        // Same version: the cached context answers (the database never does this, but it
        // shows the record is not read again).
        tenants.change("demo", false, |t| {
            t.subscription_status = SubscriptionStatus::Suspended;
        });
        assert!(
            service
                .resolve(demo())
                .await
                .expect("cached")
                .takes_orders()
        );

        tenants.change("demo", true, |_| {});
        let reread = service.resolve(demo()).await.expect("read again");
        assert!(!reread.takes_orders());
        assert!(reread.modules.is_empty());
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
