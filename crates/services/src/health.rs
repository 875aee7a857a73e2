use std::sync::Arc;

use comanda_ports::DatabaseHealth;

use crate::ServiceError;

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
}
