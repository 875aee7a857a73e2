//! The WhatsApp Cloud API webhook (docs/api.md#messaging): `GET` answers Meta's subscription challenge,
//! `POST` carries messages and statuses, signed with `X-Hub-Signature-256` over the raw body.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use comanda_domain::TenantId;
use comanda_services::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::billing_webhooks::raw_body;
use crate::error::{ApiError, ErrorBody};
use crate::middleware::refused_webhook;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChallengeQuery {
    /// Must be `subscribe`.
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    pub mode: Option<String>,
    /// `WHATSAPP_VERIFY_TOKEN`, or the tenant's verify token on the tenant's path.
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    /// Echoed back when the token matches.
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhatsAppWebhookResponse {
    pub messages_stored: usize,
    /// Messages Meta delivered again (already stored).
    pub duplicates: usize,
    pub statuses_applied: usize,
    /// Stale or out-of-order statuses, unknown numbers and shapes we do not read.
    pub ignored: usize,
}

async fn tenant(state: &AppState, slug: Option<&str>) -> Result<Option<TenantId>, ApiError> {
    match slug {
        Some(slug) => Ok(Some(state.whatsapp.tenant_by_slug(slug).await?)),
        None => Ok(None),
    }
}

async fn challenge(
    state: &AppState,
    slug: Option<&str>,
    query: ChallengeQuery,
) -> Result<HttpResponse, ApiError> {
    // An unknown tenant gets the same 403 as a wrong token: nothing to learn from probing.
    let tenant = tenant(state, slug).await.ok().flatten();
    if slug.is_some() && tenant.is_none() {
        return Err(comanda_services::ServiceError::Forbidden {
            code: ErrorCode::InvalidVerifyToken,
            message: "hub.mode must be subscribe and hub.verify_token must match".into(),
        }
        .into());
    }
    let answer = state
        .whatsapp
        .challenge(
            tenant,
            query.mode.as_deref(),
            query.verify_token.as_deref(),
            query.challenge.as_deref(),
        )
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(answer))
}

async fn receive(
    state: &AppState,
    slug: Option<&str>,
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = raw_body(payload).await?;
    let signature = request
        .headers()
        .get("x-hub-signature-256")
        .and_then(|value| value.to_str().ok());
    if let Err(error) = state.whatsapp.verify_signature(&body, signature) {
        return Err(refused_webhook(state, request, error.into()).await);
    }
    let tenant = tenant(state, slug).await?;
    let report = state.whatsapp.receive(tenant, &body).await?;
    Ok(HttpResponse::Ok().json(WhatsAppWebhookResponse {
        messages_stored: report.messages_stored,
        duplicates: report.duplicates,
        statuses_applied: report.statuses_applied,
        ignored: report.ignored,
    }))
}

/// Meta's subscription check: echoes `hub.challenge` as text when `hub.mode=subscribe` and
/// `hub.verify_token` is `WHATSAPP_VERIFY_TOKEN`.
#[utoipa::path(
    tag = "webhooks", params(ChallengeQuery),
    responses(
        (status = 200, description = "The challenge, as text/plain", body = String),
        (status = 403, description = "`invalid_verify_token`", body = ErrorBody),
    )
)]
#[get("/webhooks/whatsapp")]
pub async fn verify(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ChallengeQuery>,
) -> Result<HttpResponse, ApiError> {
    match challenge(&state, None, query.into_inner()).await {
        Err(refusal) => Err(refused_webhook(&state, &request, refusal).await),
        answered => answered,
    }
}

/// The same check on a tenant's path: the global token or the tenant's own.
#[utoipa::path(
    tag = "webhooks",
    params(("tenant_slug" = String, Path), ChallengeQuery),
    responses(
        (status = 200, description = "The challenge, as text/plain", body = String),
        (status = 403, description = "`invalid_verify_token`", body = ErrorBody),
    )
)]
#[get("/webhooks/whatsapp/{tenant_slug}")]
pub async fn verify_for_tenant(
    request: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<ChallengeQuery>,
) -> Result<HttpResponse, ApiError> {
    match challenge(&state, Some(slug.as_str()), query.into_inner()).await {
        Err(refusal) => Err(refused_webhook(&state, &request, refusal).await),
        answered => answered,
    }
}

/// Messages and statuses in Meta's shape (`entry[].changes[].value.messages[]` /
/// `.statuses[]`); the tenant is the owner of `metadata.phone_number_id`. Inbound messages open
/// the customer's 24-hour window; media is fetched in the background; statuses never move a
/// message backwards.
#[utoipa::path(
    tag = "webhooks",
    request_body(content = Object, description = "Meta's webhook event"),
    params(("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the raw body with WHATSAPP_APP_SECRET>`")),
    responses(
        (status = 200, body = WhatsAppWebhookResponse),
        (status = 401, description = "`invalid_signature`", body = ErrorBody),
        (status = 422, description = "`malformed_body`", body = ErrorBody),
    )
)]
#[post("/webhooks/whatsapp")]
pub async fn events(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    receive(&state, None, &request, payload).await
}

/// The same events on a tenant's path: they belong to that tenant.
#[utoipa::path(
    tag = "webhooks",
    params(("tenant_slug" = String, Path), ("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the raw body with WHATSAPP_APP_SECRET>`")),
    request_body(content = Object, description = "Meta's webhook event"),
    responses(
        (status = 200, body = WhatsAppWebhookResponse),
        (status = 401, description = "`invalid_signature`", body = ErrorBody),
        (status = 404, description = "`tenant_not_found`", body = ErrorBody),
        (status = 422, description = "`malformed_body`", body = ErrorBody),
    )
)]
#[post("/webhooks/whatsapp/{tenant_slug}")]
pub async fn events_for_tenant(
    request: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    receive(&state, Some(slug.as_str()), &request, payload).await
}
