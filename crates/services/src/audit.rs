use std::sync::Arc;

use comanda_domain::TenantId;
use comanda_domain::pagination::{Page, PageRequest};
use comanda_ports::{AuditEntry, AuditFilter, AuditRepository};

use crate::ServiceError;

/// Reading the audit log (entries are written by the repositories with each change).
#[derive(Clone)]
pub struct AuditService {
    audit: Arc<dyn AuditRepository>,
}

impl AuditService {
    pub fn new(audit: Arc<dyn AuditRepository>) -> Self {
        Self { audit }
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, ServiceError> {
        Ok(self.audit.list(tenant, filter, page).await?)
    }
}
