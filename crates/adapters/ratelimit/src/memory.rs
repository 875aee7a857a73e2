use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;
use comanda_ports::{RateLimitDecision, RateLimitError, RateLimitPolicy, RateLimitStore};

use crate::gcra;

/// Keys kept before expired ones are swept out.
const SWEEP_THRESHOLD: usize = 10_000;

/// Rate-limit state in this process only: right for one instance, the fallback for several.
pub struct InMemoryRateLimitStore {
    started: Instant,
    /// Theoretical arrival time per key, in µs since `started`.
    arrivals: Mutex<HashMap<String, i64>>,
}

impl Default for InMemoryRateLimitStore {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            arrivals: Mutex::new(HashMap::new()),
        }
    }
}

impl InMemoryRateLimitStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a request synchronously (the lock is never held across an await).
    pub fn check_now(&self, key: &str, policy: &RateLimitPolicy) -> RateLimitDecision {
        let now = i64::try_from(self.started.elapsed().as_micros()).unwrap_or(i64::MAX / 4);
        // A poisoned lock only means another thread panicked mid-update; the map is still usable.
        let mut arrivals = self
            .arrivals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if arrivals.len() >= SWEEP_THRESHOLD {
            arrivals.retain(|_, tat| *tat > now);
        }
        let (decision, new_tat) = gcra::step(policy, arrivals.get(key).copied(), now);
        if let Some(new_tat) = new_tat {
            arrivals.insert(key.to_owned(), new_tat);
        }
        decision
    }
}

#[async_trait]
impl RateLimitStore for InMemoryRateLimitStore {
    async fn check(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
    ) -> Result<RateLimitDecision, RateLimitError> {
        Ok(self.check_now(key, policy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn keys_are_counted_separately() {
        let store = InMemoryRateLimitStore::new();
        let policy = RateLimitPolicy {
            name: "ip",
            limit: 1,
            window: Duration::from_secs(60),
        };
        assert!(store.check_now("a", &policy).allowed);
        assert!(!store.check_now("a", &policy).allowed);
        assert!(store.check_now("b", &policy).allowed);
    }
}
