use std::sync::Arc;

use comanda_ports::DatabaseHealth;

use crate::ServiceError;

/// Whether an instance may take traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The database lacks migrations this binary needs (they run at the start of a newer
    /// instance, or with `comanda migrate`).
    SchemaBehind,
}

/// Readiness: the database answers.
#[derive(Clone)]
pub struct HealthService {
    database: Arc<dyn DatabaseHealth>,
}

impl HealthService {
    pub fn new(database: Arc<dyn DatabaseHealth>) -> Self {
        Self { database }
    }

    pub async fn check(&self) -> Result<(), ServiceError> {
        self.database.ping().await.map_err(ServiceError::from)
    }

    /// Ready for traffic: the database answers and its schema is the one this binary expects.
    pub async fn ready(&self) -> Result<Readiness, ServiceError> {
        if self.database.schema_is_current().await? {
            Ok(Readiness::Ready)
        } else {
            Ok(Readiness::SchemaBehind)
        }
    }
}
