use async_trait::async_trait;
use comanda_domain::TenantId;

use crate::RepoResult;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("invalid object key")]
    InvalidKey,
}

/// Where uploaded files live (local disk or an S3-compatible bucket).
#[async_trait]
pub trait MediaStorage: Send + Sync {
    /// Stores the bytes under `key` and answers the public URL to reach them.
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<String, StorageError>;
    /// The bytes under `key`, if any (serving `/media/*` for local storage).
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError>;
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    async fn exists(&self, key: &str) -> Result<bool, StorageError>;
}

/// A record of each stored object.
#[async_trait]
pub trait MediaRepository: Send + Sync {
    async fn record(
        &self,
        tenant: TenantId,
        key: &str,
        content_type: &str,
        size_bytes: i64,
        purpose: &str,
    ) -> RepoResult<()>;
    /// Files queued for deletion after the change that dropped them committed (`media_deletions`),
    /// every tenant's, by tenant and key, after `after`.
    async fn pending_deletions(
        &self,
        after: Option<&(TenantId, String)>,
        limit: i64,
    ) -> RepoResult<Vec<(TenantId, String)>>;
    /// The file is gone from storage: forget its queued deletion.
    async fn deletion_done(&self, tenant: TenantId, key: &str) -> RepoResult<()>;
}
