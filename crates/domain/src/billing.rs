//! Billing events (docs/api.md#messaging): applied once, and never backwards in time.

use chrono::{DateTime, Utc};

/// Whether a status event that happened at `event_at` may replace a status set by an event
/// that happened at `current_at`. Equal times keep the current state: a replay changes nothing.
pub fn event_is_newer(current_at: DateTime<Utc>, event_at: DateTime<Utc>) -> bool {
    event_at > current_at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("instant")
    }

    #[test]
    fn only_strictly_newer_events_apply() {
        let current = at("2026-11-01T10:00:00Z");
        assert!(event_is_newer(current, at("2026-11-01T10:00:01Z")));
        assert!(!event_is_newer(current, at("2026-11-01T10:00:00Z")));
        assert!(!event_is_newer(current, at("2026-10-31T10:00:00Z")));
    }
}
