use actix_web::get;
use actix_web::web;
use chrono::{DateTime, Utc};
use comanda_domain::UserId;
use comanda_domain::identity::Role;
use comanda_ports::{AuditEntry, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentUser, ListQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: String,
    pub actor_user_id: Option<String>,
    pub actor_tenant_id: Option<String>,
    #[schema(example = "user.update")]
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: entry.id,
            actor_user_id: entry.actor_user_id.map(|id| id.to_string()),
            actor_tenant_id: entry.actor_tenant_id.map(|id| id.to_string()),
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: entry.entity_id,
            before: entry.before,
            after: entry.after,
            ip: entry.ip,
            request_id: entry.request_id,
            created_at: entry.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEntryView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `user`, `group`, `tenant`, `subscription`…
    pub entity_type: Option<String>,
    pub actor_user_id: Option<String>,
}

/// The tenant's audit log, newest first (owners and admins).
#[utoipa::path(
    tag = "admin", params(ListQuery, AuditQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AuditList), (status = 403, body = ErrorBody))
)]
#[get("/admin/audit")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<AuditList>, ApiError> {
    let scope = user.allow_roles(&[Role::Owner, Role::Admin])?;
    let query = query.into_inner();
    let actor_user_id = query
        .actor_user_id
        .as_deref()
        .map(|raw| {
            raw.parse::<UserId>()
                .map_err(|_| ApiError::field("actor_user_id", "not a valid id"))
        })
        .transpose()?;
    let filter = AuditFilter {
        entity_type: query.entity_type,
        actor_user_id,
    };
    let entries = state
        .audit
        .list(scope.tenant, &filter, page.into_inner().page()?)
        .await?;
    Ok(web::Json(AuditList {
        total: entries.total,
        items: entries
            .items
            .into_iter()
            .map(AuditEntryView::from)
            .collect(),
    }))
}
