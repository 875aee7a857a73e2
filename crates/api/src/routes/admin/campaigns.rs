//! `/admin/campaigns` (module `campaigns`).

use actix_web::{delete, get, post, put};
use std::collections::BTreeSet;

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use comanda_domain::pricing::{Campaign, CampaignKind};
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{CampaignId, CategoryId, ProductId, StoreId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_ids;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser};
use crate::routes::media::{UploadForm, UploadResponse, read_upload};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    /// `percentage`, `fixed` or `free_shipping`.
    pub kind: String,
    /// Percent (1–100) or cents, by kind.
    pub value: i64,
    pub coupon_code: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub min_subtotal_cents: i64,
    pub store_ids: Vec<String>,
    pub product_ids: Vec<String>,
    pub category_ids: Vec<String>,
    pub usage_limit: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub uses: i32,
    pub is_active: bool,
    pub image_url: Option<String>,
}

pub fn view(campaign: Campaign, image_url: Option<String>) -> CampaignView {
    let (kind, value) = match campaign.kind {
        CampaignKind::Percentage(percent) => ("percentage", i64::from(percent)),
        CampaignKind::Fixed(cents) => ("fixed", cents),
        CampaignKind::FreeShipping => ("free_shipping", 0),
    };
    CampaignView {
        id: campaign.id.to_string(),
        name: campaign.name,
        kind: kind.to_owned(),
        value,
        coupon_code: campaign.coupon_code,
        starts_at: campaign.starts_at,
        ends_at: campaign.ends_at,
        min_subtotal_cents: campaign.min_subtotal_cents,
        store_ids: campaign.store_ids.iter().map(ToString::to_string).collect(),
        product_ids: campaign
            .product_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        category_ids: campaign
            .category_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        usage_limit: campaign.usage_limit,
        per_customer_limit: campaign.per_customer_limit,
        uses: campaign.uses,
        is_active: campaign.is_active,
        image_url,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub items: Vec<CampaignView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CampaignRequest {
    pub name: String,
    /// `percentage`, `fixed` or `free_shipping`.
    pub kind: String,
    #[serde(default)]
    pub value: i64,
    pub coupon_code: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub min_subtotal_cents: i64,
    #[serde(default)]
    pub store_ids: Vec<String>,
    #[serde(default)]
    pub product_ids: Vec<String>,
    #[serde(default)]
    pub category_ids: Vec<String>,
    pub usage_limit: Option<i32>,
    pub per_customer_limit: Option<i32>,
    #[serde(default = "yes")]
    pub is_active: bool,
}

fn yes() -> bool {
    true
}

fn campaign(id: CampaignId, body: CampaignRequest, uses: i32) -> Result<Campaign, ApiError> {
    let kind = match body.kind.as_str() {
        "percentage" => CampaignKind::Percentage(u32::try_from(body.value).unwrap_or(u32::MAX)),
        "fixed" => CampaignKind::Fixed(body.value),
        "free_shipping" => CampaignKind::FreeShipping,
        other => {
            return Err(ApiError::field(
                "kind",
                format!("unknown kind `{other}` (percentage, fixed or free_shipping)"),
            ));
        }
    };
    Ok(Campaign {
        id,
        name: body.name,
        kind,
        coupon_code: body.coupon_code.filter(|code| !code.trim().is_empty()),
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        min_subtotal_cents: body.min_subtotal_cents,
        store_ids: parse_ids::<StoreId>(&body.store_ids, "store_ids")?
            .into_iter()
            .collect::<BTreeSet<_>>(),
        product_ids: parse_ids::<ProductId>(&body.product_ids, "product_ids")?
            .into_iter()
            .collect(),
        category_ids: parse_ids::<CategoryId>(&body.category_ids, "category_ids")?
            .into_iter()
            .collect(),
        usage_limit: body.usage_limit,
        per_customer_limit: body.per_customer_limit,
        uses,
        is_active: body.is_active,
    })
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CampaignList), (status = 403, body = ErrorBody))
)]
#[get("/admin/campaigns")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<CampaignList>, ApiError> {
    let scope = user.allow(Module::Campaigns, Action::View)?;
    let campaigns = state.campaigns.list(scope.tenant).await?;
    Ok(web::Json(CampaignList {
        total: campaigns.len() as u64,
        items: campaigns
            .into_iter()
            .map(|(campaign, image)| view(campaign, image))
            .collect(),
    }))
}

/// Percentage or fixed discount, or free shipping; optional coupon code, validity window,
/// minimum subtotal, store/product/category scope, total and per-customer limits.
#[utoipa::path(
    tag = "admin", request_body = CampaignRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = CampaignView), (status = 409, description = "`coupon_code_taken`", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/admin/campaigns")]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<CampaignRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Campaigns, Action::Create)?;
    let body = body.into_inner()?;
    let created = state
        .campaigns
        .create(
            scope.tenant,
            campaign(CampaignId::generate(), body, 0)?,
            scope.actor,
        )
        .await?;
    Ok(HttpResponse::Created().json(view(created, None)))
}

#[utoipa::path(
    tag = "admin", params(("campaign_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody))
)]
#[get("/admin/campaigns/{campaign_id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CampaignId>,
) -> Result<web::Json<CampaignView>, ApiError> {
    let scope = user.allow(Module::Campaigns, Action::View)?;
    let (campaign, image) = state.campaigns.get(scope.tenant, id.into_inner()).await?;
    Ok(web::Json(view(campaign, image)))
}

#[utoipa::path(
    tag = "admin", params(("campaign_id" = String, Path)),
    request_body = CampaignRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/admin/campaigns/{campaign_id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CampaignId>,
    body: ApiJson<CampaignRequest>,
) -> Result<web::Json<CampaignView>, ApiError> {
    let scope = user.allow(Module::Campaigns, Action::Update)?;
    let body = body.into_inner()?;
    let tenant = scope.tenant;
    let id = id.into_inner();
    let (current, image) = state.campaigns.get(tenant, id).await?;
    let updated = state
        .campaigns
        .update(tenant, campaign(id, body, current.uses)?, scope.actor)
        .await?;
    Ok(web::Json(view(updated, image)))
}

#[utoipa::path(
    tag = "admin", params(("campaign_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/campaigns/{campaign_id}")]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Campaigns, Action::Delete)?;
    state
        .campaigns
        .delete(scope.tenant, id.into_inner(), scope.actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "admin", params(("campaign_id" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, body = UploadResponse),
        (status = 404, body = ErrorBody),
        (status = 413, description = "Over 5 MB", body = ErrorBody),
        (status = 415, description = "Not JPEG, PNG or WebP", body = ErrorBody),
    )
)]
#[post("/admin/campaigns/{campaign_id}/image")]
pub async fn upload_image(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CampaignId>,
    form: Result<Multipart, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Campaigns, Action::Update)?;
    let bytes = read_upload(form, comanda_domain::media::MAX_IMAGE_BYTES).await?;
    let url = state
        .campaigns
        .upload_image(scope.tenant, id.into_inner(), bytes, scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(UploadResponse { url }))
}
