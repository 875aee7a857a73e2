//! Forgetting what is no longer needed (docs/operations.md#fairness-and-saturation): sent notifications after
//! `OUTBOX_RETENTION_DAYS`, idempotency keys and order desk events after a day. Safe with several instances: each
//! purge is a plain DELETE of rows past their date.

use std::sync::Arc;

use chrono::TimeDelta;
use comanda_ports::Clock;
use comanda_ports::messaging::OutboxRepository;
use comanda_ports::orders::OrderRepository;

use crate::ServiceError;

/// Idempotency keys are answered for at least this long.
pub const IDEMPOTENCY_KEY_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// The order desk replays events this old (`Last-Event-ID`).
pub const ORDER_EVENT_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// Rows deleted per statement, so a large purge never holds many locks at once.
const PURGE_SLICE: i64 = 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HousekeepingReport {
    pub outbox_jobs: u64,
    pub idempotency_keys: u64,
    pub order_events: u64,
}

#[derive(Clone)]
pub struct Housekeeping {
    outbox: Arc<dyn OutboxRepository>,
    orders: Arc<dyn OrderRepository>,
    clock: Arc<dyn Clock>,
    outbox_retention: TimeDelta,
}

impl Housekeeping {
    pub fn new(
        outbox: Arc<dyn OutboxRepository>,
        orders: Arc<dyn OrderRepository>,
        clock: Arc<dyn Clock>,
        outbox_retention_days: u32,
    ) -> Self {
        Self {
            outbox,
            orders,
            clock,
            outbox_retention: TimeDelta::days(i64::from(outbox_retention_days)),
        }
    }

    /// One pass: sent and skipped jobs past retention (dead ones stay until an operator acts),
    /// and idempotency keys older than a day.
    pub async fn run_once(&self) -> Result<HousekeepingReport, ServiceError> {
        let now = self.clock.now();
        let mut report = HousekeepingReport::default();
        loop {
            let purged = self
                .outbox
                .purge_finished(now - self.outbox_retention, PURGE_SLICE)
                .await?;
            report.outbox_jobs += purged;
            if purged < u64::try_from(PURGE_SLICE).unwrap_or(u64::MAX) {
                break;
            }
        }
        report.idempotency_keys = self
            .orders
            .purge_idempotency(now - IDEMPOTENCY_KEY_LIFETIME)
            .await?;
        report.order_events = self.orders.purge_events(now - ORDER_EVENT_LIFETIME).await?;
        Ok(report)
    }
}
