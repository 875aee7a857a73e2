//! The figures of a period and store (`/admin/insights`).

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::{StoreId, TenantId};
use comanda_ports::Clock;
use comanda_ports::insights::{Insights, InsightsRepository};

use crate::ServiceError;

#[derive(Clone)]
pub struct InsightsService {
    insights: Arc<dyn InsightsRepository>,
    clock: Arc<dyn Clock>,
}

impl InsightsService {
    pub fn new(insights: Arc<dyn InsightsRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { insights, clock }
    }

    /// The figures of a period (the last 30 days by default, at most a year).
    pub async fn insights(
        &self,
        tenant: TenantId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        store: Option<StoreId>,
    ) -> Result<(Insights, DateTime<Utc>, DateTime<Utc>), ServiceError> {
        let to = to.unwrap_or_else(|| self.clock.now());
        let from = from.unwrap_or(to - TimeDelta::days(30));
        if from >= to {
            return Err(ServiceError::field("from", "must be before to"));
        }
        if to - from > TimeDelta::days(366) {
            return Err(ServiceError::field("from", "a period is at most a year"));
        }
        let insights = self
            .insights
            .insights(tenant, from, to, store)
            .await
            .map_err(ServiceError::from)?;
        Ok((insights, from, to))
    }
}
