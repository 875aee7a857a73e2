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

/// Whether the database answers, for `/health`.
#[async_trait]
pub trait DatabaseHealth: Send + Sync {
    async fn ping(&self) -> RepoResult<()>;
    fn pool_stats(&self) -> PoolStats;
}
