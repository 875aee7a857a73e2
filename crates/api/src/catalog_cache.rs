//! Rendered `GET /catalog` bodies, reused while the tenant's `version` stands still.
//!
//! The database moves a tenant's version on any change the menu shows (SPEC §13: the catalog
//! must answer near `/health`'s speed), and every request already reads that version to resolve
//! its tenant, so a hit costs no query at all and a change shows on the next request, on every
//! instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use comanda_domain::{StoreId, TenantId};

/// Past this many bytes of cached bodies the cache starts over.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone, Default)]
pub struct CatalogCache {
    inner: Arc<Mutex<Entries>>,
}

#[derive(Default)]
struct Entries {
    bodies: HashMap<(TenantId, StoreId), (i64, Bytes)>,
    bytes: usize,
}

impl CatalogCache {
    /// The body rendered for this store at this tenant version, if any.
    pub fn get(&self, tenant: TenantId, store: StoreId, version: i64) -> Option<Bytes> {
        let entries = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .bodies
            .get(&(tenant, store))
            .filter(|(cached_version, _)| *cached_version == version)
            .map(|(_, body)| body.clone())
    }

    pub fn put(&self, tenant: TenantId, store: StoreId, version: i64, body: Bytes) {
        let mut entries = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, old)) = entries.bodies.remove(&(tenant, store)) {
            entries.bytes -= old.len();
        }
        if entries.bytes + body.len() > CACHE_BYTES {
            entries.bodies.clear();
            entries.bytes = 0;
        }
        entries.bytes += body.len();
        entries.bodies.insert((tenant, store), (version, body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_served_only_for_the_version_it_was_rendered_at() {
        let cache = CatalogCache::default();
        let (tenant, store) = (TenantId::generate(), StoreId::generate());
        cache.put(tenant, store, 7, Bytes::from_static(b"{\"v\":7}"));
        assert_eq!(
            cache.get(tenant, store, 7).as_deref(),
            Some(&b"{\"v\":7}"[..])
        );
        assert!(cache.get(tenant, store, 8).is_none());
        assert!(cache.get(tenant, StoreId::generate(), 7).is_none());
        assert!(cache.get(TenantId::generate(), store, 7).is_none());
    }

    #[test]
    fn the_cache_starts_over_past_its_size() {
        let cache = CatalogCache::default();
        let tenant = TenantId::generate();
        let big = Bytes::from(vec![b' '; CACHE_BYTES / 2 + 1]);
        let first = StoreId::generate();
        cache.put(tenant, first, 1, big.clone());
        cache.put(tenant, first, 2, big.clone());
        assert!(
            cache.get(tenant, first, 2).is_some(),
            "replacing is not growing"
        );
        let second = StoreId::generate();
        cache.put(tenant, second, 1, big);
        assert!(cache.get(tenant, second, 1).is_some());
        assert!(cache.get(tenant, first, 2).is_none());
    }
}
