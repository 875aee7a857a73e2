use std::time::Duration;

use comanda_ports::{RateLimitDecision, RateLimitPolicy};

/// Microseconds between two requests at the sustained rate (at least one).
pub(crate) fn emission_interval_us(policy: &RateLimitPolicy) -> i64 {
    (window_us(policy) / i64::from(policy.limit.max(1))).max(1)
}

pub(crate) fn window_us(policy: &RateLimitPolicy) -> i64 {
    i64::try_from(policy.window.as_micros()).unwrap_or(i64::MAX / 4)
}

/// One GCRA step in integer microseconds. `tat` is the stored theoretical arrival time, `now`
/// the current time. Answers the decision and, when allowed, the new `tat` to store.
pub(crate) fn step(
    policy: &RateLimitPolicy,
    tat: Option<i64>,
    now: i64,
) -> (RateLimitDecision, Option<i64>) {
    let window = window_us(policy);
    let interval = emission_interval_us(policy);
    let tat = tat.unwrap_or(now).max(now);
    let new_tat = tat + interval;
    let allow_at = new_tat - window;
    if now < allow_at {
        let decision = RateLimitDecision {
            allowed: false,
            remaining: 0,
            reset_after: micros(tat - now),
            retry_after: micros(allow_at - now),
        };
        return (decision, None);
    }
    let remaining = u32::try_from((window - (new_tat - now)) / interval).unwrap_or(0);
    let decision = RateLimitDecision {
        allowed: true,
        remaining,
        reset_after: micros(new_tat - now),
        retry_after: Duration::ZERO,
    };
    (decision, Some(new_tat))
}

pub(crate) fn micros(value: i64) -> Duration {
    Duration::from_micros(u64::try_from(value).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(limit: u32, seconds: u64) -> RateLimitPolicy {
        RateLimitPolicy {
            name: "test",
            limit,
            window: Duration::from_secs(seconds),
        }
    }

    fn run(policy: &RateLimitPolicy, times_ms: &[i64]) -> Vec<bool> {
        let mut tat = None;
        times_ms
            .iter()
            .map(|now_ms| {
                let (decision, new_tat) = step(policy, tat, now_ms * 1000);
                if new_tat.is_some() {
                    tat = new_tat;
                }
                decision.allowed
            })
            .collect()
    }

    #[test]
    fn a_full_burst_is_allowed_then_refused() {
        let allowed = run(&policy(3, 60), &[0, 0, 0, 0]);
        assert_eq!(allowed, vec![true, true, true, false]);
    }

    #[test]
    fn capacity_returns_at_the_sustained_rate() {
        // 3 per 60 s: one more every 20 s.
        let allowed = run(&policy(3, 60), &[0, 0, 0, 19_000, 20_000, 20_001]);
        assert_eq!(allowed, vec![true, true, true, false, true, false]);
    }

    #[test]
    fn no_double_burst_at_a_window_edge() {
        // A fixed window would allow 3 at 59.9 s and 3 more at 60.1 s.
        let allowed = run(&policy(3, 60), &[59_900, 59_900, 59_900, 60_100, 60_100]);
        assert_eq!(allowed, vec![true, true, true, false, false]);
    }

    #[test]
    fn remaining_and_retry_after_are_reported() {
        let limit = policy(2, 10);
        let (first, tat) = step(&limit, None, 0);
        assert_eq!(first.remaining, 1);
        let (second, tat) = step(&limit, tat, 0);
        assert_eq!(second.remaining, 0);
        let (third, _) = step(&limit, tat, 1_000_000);
        assert!(!third.allowed);
        assert_eq!(third.retry_after, Duration::from_secs(4));
        assert_eq!(third.reset_after, Duration::from_secs(9));
    }
}
