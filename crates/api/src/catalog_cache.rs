//! Rendered `GET /catalog` bodies, reused while the tenant's `version` stands still.
//!
//! The database moves a tenant's version on any change the menu shows (docs/performance.md#targets: the catalog
//! must answer near `/health`'s speed), and every request already reads that version to resolve
//! its tenant, so a hit costs no query at all and a change shows on the next request, on every
//! instance. Each menu is kept as JSON and gzipped once (a 200-product menu is ~135 kB, ~15 kB
//! gzipped), so clients that accept gzip are not paid for with a compression per request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use comanda_domain::{StoreId, TenantId};
use flate2::Compression;
use flate2::write::GzEncoder;

/// A rendered menu in both encodings, and when it stops being true on its own (a product
/// marked sold out comes back) while the tenant's version stands still.
#[derive(Debug, Clone)]
pub struct RenderedMenu {
    pub json: Bytes,
    pub gzip: Bytes,
    pub valid_until: Option<DateTime<Utc>>,
}

impl RenderedMenu {
    pub fn new(json: Vec<u8>, valid_until: Option<DateTime<Utc>>) -> std::io::Result<Self> {
        let mut encoder =
            GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::default());
        encoder.write_all(&json)?;
        let gzip = encoder.finish()?;
        Ok(Self {
            json: Bytes::from(json),
            gzip: Bytes::from(gzip),
            valid_until,
        })
    }

    fn size(&self) -> usize {
        self.json.len() + self.gzip.len()
    }
}

/// Bytes of cached bodies past which the least recently used menus are dropped.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct CatalogCache {
    inner: Arc<Mutex<Entries>>,
    max_bytes: usize,
}

impl Default for CatalogCache {
    fn default() -> Self {
        Self::with_max_bytes(CACHE_BYTES)
    }
}

struct Entry {
    version: i64,
    menu: RenderedMenu,
    last_used: u64,
}

#[derive(Default)]
struct Entries {
    menus: HashMap<(TenantId, StoreId), Entry>,
    bytes: usize,
    clock: u64,
}

impl Entries {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn remove(&mut self, key: &(TenantId, StoreId)) {
        if let Some(entry) = self.menus.remove(key) {
            self.bytes -= entry.menu.size();
        }
    }
}

impl CatalogCache {
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        Self {
            inner: Arc::default(),
            max_bytes,
        }
    }

    /// The body rendered for this store at this tenant version, if any and still true at `now`.
    pub fn get(
        &self,
        tenant: TenantId,
        store: StoreId,
        version: i64,
        now: DateTime<Utc>,
    ) -> Option<RenderedMenu> {
        let mut entries = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let used = entries.tick();
        let entry = entries.menus.get_mut(&(tenant, store)).filter(|entry| {
            entry.version == version && entry.menu.valid_until.is_none_or(|until| now < until)
        })?;
        entry.last_used = used;
        Some(entry.menu.clone())
    }

    /// Keeps the menu for this version (replacing any older one of the store), dropping the
    /// least recently used menus while the cache would be over its size.
    pub fn put(&self, tenant: TenantId, store: StoreId, version: i64, menu: RenderedMenu) {
        let mut entries = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.remove(&(tenant, store));
        while entries.bytes + menu.size() > self.max_bytes {
            let Some(oldest) = entries
                .menus
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(key, _)| *key)
            else {
                break;
            };
            entries.remove(&oldest);
        }
        let last_used = entries.tick();
        entries.bytes += menu.size();
        entries.menus.insert(
            (tenant, store),
            Entry {
                version,
                menu,
                last_used,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn menu(json: Vec<u8>) -> RenderedMenu {
        RenderedMenu::new(json, None).expect("gzip")
    }

    #[test]
    fn the_gzip_body_is_the_json_body() {
        let json = br#"{"categories":[{"name":"Pizzas"}]}"#.repeat(100);
        let rendered = menu(json.clone());
        assert!(rendered.gzip.len() < json.len() / 10);
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&rendered.gzip[..])
            .read_to_end(&mut unzipped)
            .expect("gunzip");
        assert_eq!(unzipped, json);
    }

    #[test]
    fn a_body_is_served_only_for_the_version_it_was_rendered_at() {
        let cache = CatalogCache::default();
        let (tenant, store) = (TenantId::generate(), StoreId::generate());
        cache.put(tenant, store, 7, menu(b"{\"v\":7}".to_vec()));
        assert_eq!(
            cache
                .get(tenant, store, 7, Utc::now())
                .map(|menu| menu.json),
            Some(Bytes::from_static(b"{\"v\":7}"))
        );
        assert!(cache.get(tenant, store, 8, Utc::now()).is_none());
        assert!(
            cache
                .get(tenant, StoreId::generate(), 7, Utc::now())
                .is_none()
        );
        assert!(
            cache
                .get(TenantId::generate(), store, 7, Utc::now())
                .is_none()
        );
    }

    #[test]
    fn a_body_with_a_sold_out_mark_is_served_only_until_the_mark_ends() {
        let cache = CatalogCache::default();
        let (tenant, store) = (TenantId::generate(), StoreId::generate());
        let ends = Utc::now() + chrono::TimeDelta::hours(2);
        cache.put(
            tenant,
            store,
            3,
            RenderedMenu::new(b"{}".to_vec(), Some(ends)).expect("gzip"),
        );
        let before = ends - chrono::TimeDelta::seconds(1);
        assert!(cache.get(tenant, store, 3, before).is_some());
        assert!(cache.get(tenant, store, 3, ends).is_none());
    }

    #[test]
    fn past_its_size_the_least_recently_used_menus_go() {
        let cache = CatalogCache::with_max_bytes(2_500);
        let tenant = TenantId::generate();
        let big = menu(vec![b' '; 1_000]);
        let (first, second, third) = (
            StoreId::generate(),
            StoreId::generate(),
            StoreId::generate(),
        );
        cache.put(tenant, first, 1, big.clone());
        cache.put(tenant, first, 2, big.clone());
        cache.put(tenant, second, 1, big.clone());
        assert!(
            cache.get(tenant, first, 2, Utc::now()).is_some(),
            "replacing is not growing"
        );
        // `first` was read after `second` was stored: `second` is the one to go.
        cache.put(tenant, third, 1, big);
        assert!(cache.get(tenant, first, 2, Utc::now()).is_some());
        assert!(cache.get(tenant, second, 1, Utc::now()).is_none());
        assert!(cache.get(tenant, third, 1, Utc::now()).is_some());
    }
}
