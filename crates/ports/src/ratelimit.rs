use std::time::Duration;

use async_trait::async_trait;

/// A limit: `limit` requests per `window`, as a GCRA (no double burst at a window edge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitPolicy {
    /// Name shown in the `RateLimit-Policy` header.
    pub name: &'static str,
    pub limit: u32,
    pub window: Duration,
}

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitDecision {
    pub allowed: bool,
    /// Requests still allowed right now.
    pub remaining: u32,
    /// Until the quota is whole again.
    pub reset_after: Duration,
    /// When refused: until one more request is allowed.
    pub retry_after: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("rate limit store unavailable: {0}")]
    Unavailable(String),
}

/// Where rate-limit state lives (process memory, Redis).
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Counts one request for `key` under `policy` and says whether it may go on.
    async fn check(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
    ) -> Result<RateLimitDecision, RateLimitError>;
}
