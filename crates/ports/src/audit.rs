use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::{TenantId, UserId};

use crate::RepoResult;

/// Who is making a change and from where: written to the audit log with the change, in the
/// same transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub tenant_id: Option<TenantId>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// Changes made by the system itself (webhooks, CLI, start-up).
    pub fn system() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    pub tenant_id: Option<TenantId>,
    pub actor_user_id: Option<UserId>,
    pub actor_tenant_id: Option<TenantId>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub actor_user_id: Option<UserId>,
}

#[async_trait]
pub trait AuditRepository: Send + Sync {
    /// The tenant's entries, newest first.
    async fn list(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> RepoResult<Page<AuditEntry>>;
}
