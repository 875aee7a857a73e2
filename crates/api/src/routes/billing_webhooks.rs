//! `POST /billing/webhook/status` and `/billing/webhook/intake` (docs/api.md#messaging): signed with
//! `X-Signature` over the raw body, idempotent by event id, never backwards in time.

use actix_web::http::StatusCode;
use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use comanda_domain::tenancy::{SubscriptionStatus, TenantSlug};
use comanda_ports::billing::{IntakeOutcome, StatusEvent, TenantRef};
use comanda_services::ErrorCode;
use comanda_services::billing::Intake;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{JSON_BODY_LIMIT, parse_json};
use crate::middleware::refused_webhook;
use crate::state::AppState;

/// The raw body, as signed (at most 1 MiB).
pub(crate) async fn raw_body(mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::bad_request(
                ErrorCode::MalformedBody,
                "The request body could not be read",
            )
        })?;
        if body.len() + chunk.len() > JSON_BODY_LIMIT {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "The body is too large",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn signature(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get("x-signature")
        .and_then(|value| value.to_str().ok())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusWebhook {
    pub event_id: String,
    /// The tenant's id, or
    pub tenant_id: Option<String>,
    /// its slug.
    pub tenant_slug: Option<String>,
    #[schema(example = "past_due")]
    pub status: String,
    /// When the change happened at the billing provider; older events never win.
    pub occurred_at: DateTime<Utc>,
    pub current_period_end: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    /// `applied`, `stale` (older than the current state) or `duplicate`.
    pub outcome: String,
    pub tenant_id: Option<String>,
    pub owner_id: Option<String>,
}

/// A subscription status change.
#[utoipa::path(
    tag = "webhooks",
    request_body = StatusWebhook,
    params(("X-Signature" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the raw body>` or bare hex")),
    responses(
        (status = 200, body = WebhookResponse),
        (status = 401, description = "`invalid_signature`", body = ErrorBody),
        (status = 404, description = "`tenant_not_found`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/billing/webhook/status")]
pub async fn status(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = raw_body(payload).await?;
    if let Err(error) = state.billing.verify_signature(&body, signature(&request)) {
        return Err(refused_webhook(&state, &request, error.into()).await);
    }
    let webhook: StatusWebhook = parse_json(&body)?;
    let tenant = match (&webhook.tenant_id, &webhook.tenant_slug) {
        (Some(id), _) => TenantRef::Id(
            id.parse()
                .map_err(|_| ApiError::field("tenant_id", "not a valid id"))?,
        ),
        (None, Some(slug)) => TenantRef::Slug(
            TenantSlug::parse(slug).map_err(|e| ApiError::field("tenant_slug", e.to_string()))?,
        ),
        (None, None) => {
            return Err(ApiError::field(
                "tenant_id",
                "tenant_id or tenant_slug is required",
            ));
        }
    };
    let event = StatusEvent {
        event_id: webhook.event_id,
        tenant,
        status: webhook
            .status
            .parse::<SubscriptionStatus>()
            .map_err(|e| ApiError::field("status", e.to_string()))?,
        occurred_at: webhook.occurred_at,
        current_period_end: webhook.current_period_end,
    };
    let outcome = state.billing.apply_status(&event).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse {
        outcome: outcome.as_str().to_owned(),
        tenant_id: None,
        owner_id: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IntakeTenant {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IntakeOwner {
    pub email: String,
    #[serde(default)]
    pub name: String,
    /// Without one, the owner sets a password later (CLI or central admin).
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IntakeWebhook {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub tenant: IntakeTenant,
    pub owner: IntakeOwner,
    pub plan_code: String,
}

/// A new customer signed up: creates the tenant on its plan, with its owner.
#[utoipa::path(
    tag = "webhooks",
    request_body = IntakeWebhook,
    params(("X-Signature" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the raw body>` or bare hex")),
    responses(
        (status = 201, description = "Tenant created", body = WebhookResponse),
        (status = 200, description = "Already processed (`duplicate`)", body = WebhookResponse),
        (status = 401, description = "`invalid_signature`", body = ErrorBody),
        (status = 409, description = "`slug_taken`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/billing/webhook/intake")]
pub async fn intake(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = raw_body(payload).await?;
    if let Err(error) = state.billing.verify_signature(&body, signature(&request)) {
        return Err(refused_webhook(&state, &request, error.into()).await);
    }
    let webhook: IntakeWebhook = parse_json(&body)?;
    let outcome = state
        .billing
        .intake(Intake {
            event_id: webhook.event_id,
            occurred_at: webhook.occurred_at,
            slug: webhook.tenant.slug,
            name: webhook.tenant.name,
            plan_code: webhook.plan_code,
            owner_email: webhook.owner.email,
            owner_name: webhook.owner.name,
            owner_password: webhook.owner.password,
        })
        .await?;
    Ok(match outcome {
        IntakeOutcome::Created {
            tenant_id,
            owner_id,
        } => HttpResponse::Created().json(WebhookResponse {
            outcome: "applied".into(),
            tenant_id: Some(tenant_id.to_string()),
            owner_id: Some(owner_id.to_string()),
        }),
        IntakeOutcome::Duplicate => HttpResponse::Ok().json(WebhookResponse {
            outcome: "duplicate".into(),
            tenant_id: None,
            owner_id: None,
        }),
    })
}
