//! `POST /webhooks/pix/{tenant_slug}/{secret}/pix`: the PIX provider's notice that charges were
//! paid (BACEN's webhook appends `/pix` to the registered URL). The body only names txids;
//! each charge is read back from the provider, so a forged body changes nothing
//! (docs/payments.md).

use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::parse_json;
use crate::middleware::refused_webhook;
use crate::routes::billing_webhooks::raw_body;
use crate::state::AppState;

/// One PIX received, as the provider sends it; only `txid` is read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PixNotice {
    pub txid: Option<String>,
    #[serde(rename = "endToEndId")]
    pub end_to_end_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PixWebhook {
    #[serde(default)]
    pub pix: Vec<PixNotice>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PixWebhookResponse {
    /// Charges found paid (for the order's total) when read back.
    pub paid: usize,
    /// Notices that changed nothing (unknown txid, not paid, already paid, another amount).
    pub ignored: usize,
}

#[utoipa::path(
    tag = "webhooks",
    params(("tenant_slug" = String, Path), ("secret" = String, Path, description = "The tenant's webhook secret (`webhook_path` of `GET /admin/payments/pix`)")),
    request_body = PixWebhook,
    responses(
        (status = 200, body = PixWebhookResponse),
        (status = 404, description = "Unknown tenant or secret", body = ErrorBody),
        (status = 503, description = "The provider could not be read back: it retries", body = ErrorBody),
    )
)]
#[post("/webhooks/pix/{tenant_slug}/{secret}/pix")]
pub async fn pix_paid(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (slug, secret) = path.into_inner();
    let tenant = match state.payments.webhook_tenant(&slug, &secret).await {
        Ok(tenant) => tenant,
        Err(error) => return Err(refused_webhook(&state, &request, error.into()).await),
    };
    let body = raw_body(payload).await?;
    let notice: PixWebhook = parse_json(&body)?;
    let txids: Vec<String> = notice
        .pix
        .into_iter()
        .filter_map(|pix| pix.txid)
        .filter(|txid| !txid.is_empty() && txid.len() <= 35)
        .collect();
    let report = state.payments.webhook(tenant, &txids).await?;
    tracing::info!(%tenant, paid = report.paid, ignored = report.ignored, "PIX webhook");
    Ok(HttpResponse::Ok().json(PixWebhookResponse {
        paid: report.paid,
        ignored: report.ignored,
    }))
}
