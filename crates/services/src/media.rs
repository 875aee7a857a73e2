//! Uploads: checked by their bytes, stored under server-made names, linked to their owner.

use std::sync::Arc;

use comanda_domain::media::{MediaSlot, UploadRejection, check_upload};
use comanda_domain::{ProductId, StoreId, TenantId};
use comanda_ports::catalog::ProductChanges;
use comanda_ports::media::{MediaRepository, MediaStorage};
use comanda_ports::{Actor, StoreChanges};

use crate::ServiceError;
use crate::catalog::CatalogService;
use crate::stores::StoreService;

/// What an upload is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaTarget {
    ProductImage(ProductId),
    ProductVideo(ProductId),
    StoreImage(StoreId),
}

impl MediaTarget {
    fn slot(self) -> MediaSlot {
        match self {
            Self::ProductVideo(_) => MediaSlot::Video,
            Self::ProductImage(_) | Self::StoreImage(_) => MediaSlot::Image,
        }
    }

    fn purpose(self) -> &'static str {
        match self {
            Self::ProductImage(_) => "product_image",
            Self::ProductVideo(_) => "product_video",
            Self::StoreImage(_) => "store_image",
        }
    }
}

#[derive(Clone)]
pub struct MediaService {
    storage: Arc<dyn MediaStorage>,
    records: Arc<dyn MediaRepository>,
    catalog: CatalogService,
    stores: StoreService,
}

/// Turns an upload's rejection into the answer the client gets (413 or 415).
pub fn rejection(error: UploadRejection) -> ServiceError {
    match error {
        UploadRejection::TooLarge { .. } => ServiceError::PayloadTooLarge(error.to_string()),
        UploadRejection::UnsupportedType => ServiceError::UnsupportedMediaType(error.to_string()),
    }
}

impl MediaService {
    pub fn new(
        storage: Arc<dyn MediaStorage>,
        records: Arc<dyn MediaRepository>,
        catalog: CatalogService,
        stores: StoreService,
    ) -> Self {
        Self {
            storage,
            records,
            catalog,
            stores,
        }
    }

    /// The most bytes an upload for `target` may have.
    pub fn limit(target: MediaTarget) -> usize {
        target.slot().max_bytes()
    }

    /// Stores the upload and points its owner at it; answers the public URL.
    pub async fn upload(
        &self,
        tenant: TenantId,
        stores_limit: i32,
        target: MediaTarget,
        bytes: Vec<u8>,
        actor: &Actor,
    ) -> Result<String, ServiceError> {
        // The owner must be the tenant's before anything is stored.
        match target {
            MediaTarget::ProductImage(id) | MediaTarget::ProductVideo(id) => {
                self.catalog.product(tenant, id).await?;
            }
            MediaTarget::StoreImage(id) => {
                self.stores.get(tenant, id).await?;
            }
        }
        let kind = check_upload(target.slot(), &bytes).map_err(rejection)?;
        let key = format!(
            "{tenant}/{}/{}.{}",
            target.purpose(),
            uuid::Uuid::now_v7().simple(),
            kind.extension()
        );
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let url = self
            .storage
            .put(&key, bytes, kind.content_type())
            .await
            .map_err(|error| ServiceError::Unavailable(error.to_string()))?;
        self.records
            .record(tenant, &key, kind.content_type(), size, target.purpose())
            .await?;
        match target {
            MediaTarget::ProductImage(id) => {
                let changes = ProductChanges {
                    image_url: Some(Some(url.clone())),
                    ..ProductChanges::default()
                };
                self.catalog
                    .update_product(tenant, id, changes, actor)
                    .await?;
            }
            MediaTarget::ProductVideo(id) => {
                let changes = ProductChanges {
                    video_url: Some(Some(url.clone())),
                    ..ProductChanges::default()
                };
                self.catalog
                    .update_product(tenant, id, changes, actor)
                    .await?;
            }
            MediaTarget::StoreImage(id) => {
                let changes = StoreChanges {
                    image_url: Some(Some(url.clone())),
                    ..StoreChanges::default()
                };
                self.stores
                    .update(tenant, stores_limit, id, changes, actor)
                    .await?;
            }
        }
        Ok(url)
    }

    /// The bytes of a stored object, for serving local storage at `/media`.
    pub async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        self.storage
            .get(key)
            .await
            .map_err(|error| ServiceError::Unavailable(error.to_string()))
    }
}
