//! Data every installation or demo needs: the demo tenant, the super-admin tenant.

use std::collections::BTreeSet;
use std::sync::Arc;

use comanda_domain::opening_hours::{OpeningHours, TimeRange};
use comanda_domain::pagination::PageRequest;
use comanda_domain::store::{Address, DEFAULT_TIME_ZONE, NewStore};
use comanda_domain::tenancy::{Module, SubscriptionStatus, TenantRecord, TenantSlug};
use comanda_ports::{NewTenant, RepoError, StoreRepository, TenantRepository};

use crate::ServiceError;

pub const DEMO_TENANT_SLUG: &str = "demo";

/// What a seed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    Created(TenantRecord),
    AlreadyPresent(TenantRecord),
}

impl SeedOutcome {
    pub fn tenant(&self) -> &TenantRecord {
        match self {
            Self::Created(tenant) | Self::AlreadyPresent(tenant) => tenant,
        }
    }
}

#[derive(Clone)]
pub struct SeedService {
    tenants: Arc<dyn TenantRepository>,
    stores: Arc<dyn StoreRepository>,
}

impl SeedService {
    pub fn new(tenants: Arc<dyn TenantRepository>, stores: Arc<dyn StoreRepository>) -> Self {
        Self { tenants, stores }
    }

    /// The demo tenant of the README: slug `demo`, active, every module, one store open around the
    /// clock. Running it again changes nothing.
    pub async fn seed_demo(&self) -> Result<SeedOutcome, ServiceError> {
        let slug = TenantSlug::parse(DEMO_TENANT_SLUG)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let (tenant, created) = self
            .ensure_tenant(NewTenant {
                slug,
                name: "Comanda Demo".into(),
                subscription_status: SubscriptionStatus::Active,
                modules: Module::ALL.into_iter().collect(),
                users_limit: 10,
                stores_limit: 3,
            })
            .await?;
        let existing = self
            .stores
            .list_active(tenant.id, PageRequest::default())
            .await?;
        if existing.total == 0 {
            self.stores.create(tenant.id, demo_store()?).await?;
        }
        Ok(if created {
            SeedOutcome::Created(tenant)
        } else {
            SeedOutcome::AlreadyPresent(tenant)
        })
    }

    /// The central admin's tenant (SPEC §8): created active with every module when missing.
    pub async fn ensure_super_admin_tenant(
        &self,
        slug: TenantSlug,
    ) -> Result<SeedOutcome, ServiceError> {
        let (tenant, created) = self
            .ensure_tenant(NewTenant {
                name: format!("Comanda central ({slug})"),
                slug,
                subscription_status: SubscriptionStatus::Active,
                modules: Module::ALL.into_iter().collect::<BTreeSet<_>>(),
                users_limit: 50,
                stores_limit: 0,
            })
            .await?;
        Ok(if created {
            SeedOutcome::Created(tenant)
        } else {
            SeedOutcome::AlreadyPresent(tenant)
        })
    }

    /// Finds the tenant by slug or creates it; a concurrent creator winning the race is fine.
    async fn ensure_tenant(&self, tenant: NewTenant) -> Result<(TenantRecord, bool), ServiceError> {
        if let Some(existing) = self.tenants.find_by_slug(&tenant.slug).await? {
            return Ok((existing, false));
        }
        let slug = tenant.slug.clone();
        match self.tenants.create(tenant).await {
            Ok(created) => Ok((created, true)),
            Err(RepoError::Conflict(_)) => self
                .tenants
                .find_by_slug(&slug)
                .await?
                .map(|existing| (existing, false))
                .ok_or_else(|| {
                    ServiceError::Internal(format!("tenant {slug} vanished while seeding"))
                }),
            Err(other) => Err(other.into()),
        }
    }
}

fn demo_store() -> Result<NewStore, ServiceError> {
    let whole_day =
        TimeRange::new("00:00", "24:00").map_err(|e| ServiceError::Internal(e.to_string()))?;
    let opening_hours = OpeningHours::every_day(vec![whole_day])
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(NewStore {
        name: "Comanda Demo — Paulista".into(),
        phone: Some("+5511999990000".into()),
        address: Address {
            cep: "01310-100".into(),
            street: "Avenida Paulista".into(),
            number: "1000".into(),
            complement: String::new(),
            district: "Bela Vista".into(),
            city: "São Paulo".into(),
            state: "SP".into(),
        },
        latitude: Some(-23.5646),
        longitude: Some(-46.6527),
        time_zone: DEFAULT_TIME_ZONE,
        opening_hours,
        delivery_enabled: true,
        pickup_enabled: true,
        accepts_preorders: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{InMemoryStores, InMemoryTenants};

    #[tokio::test]
    async fn seeding_twice_changes_nothing() {
        let tenants = Arc::new(InMemoryTenants::default());
        let stores = Arc::new(InMemoryStores::default());
        let seed = SeedService::new(tenants.clone(), stores.clone());

        let first = seed.seed_demo().await.expect("first seed");
        assert!(matches!(first, SeedOutcome::Created(_)));
        let second = seed.seed_demo().await.expect("second seed");
        assert!(matches!(second, SeedOutcome::AlreadyPresent(_)));
        assert_eq!(first.tenant().id, second.tenant().id);
        assert_eq!(stores.count_for(first.tenant().id), 1);
    }
}
