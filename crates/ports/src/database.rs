use async_trait::async_trait;

use crate::RepoResult;

/// Connection pool figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub max_size: usize,
    pub size: usize,
    pub available: usize,
    pub waiting: usize,
}

/// Whether the database answers, for `/health` and `/readyz`.
#[async_trait]
pub trait DatabaseHealth: Send + Sync {
    async fn ping(&self) -> RepoResult<()>;
    /// Whether the schema is at the latest migration this binary knows (an instance of a newer
    /// release must not serve an older schema).
    async fn schema_is_current(&self) -> RepoResult<bool>;
    fn pool_stats(&self) -> PoolStats;
}
