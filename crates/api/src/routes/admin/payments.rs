//! `/admin/payments/pix` (module `payments`, owners and admins) and
//! `POST /admin/orders/{id}/payment`: the tenant's PIX receiver and staff confirming static
//! charges (docs/payments.md).

use actix_web::web;
use actix_web::{get, post, put};
use chrono::{DateTime, Utc};
use comanda_domain::OrderId;
use comanda_domain::identity::Role;
use comanda_domain::orders::PaymentStatus;
use comanda_domain::tenancy::{Action, Module};
use comanda_ports::payments::PixProvider;
use comanda_services::payments::{ApiPixInput, PixSettingsInput, PixSettingsView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, TenantScope};
use crate::routes::orders::OrderView;
use crate::state::AppState;

/// The provider's endpoint and secrets. Secrets are write-only: left out (or empty), the saved
/// ones are kept.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiPixRequest {
    /// The provider's API address, `https://`.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// The client certificate (PEM) the provider issued for mutual TLS.
    pub certificate_pem: Option<String>,
    /// Its private key (PEM).
    pub private_key_pem: Option<String>,
    /// The provider's CA (PEM), only when its server certificate is not from a public CA.
    pub ca_certificate_pem: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PixSettingsRequest {
    /// CPF, CNPJ, e-mail, `+55` phone or random key (UUID).
    pub key: String,
    /// The receiver's name as banks show it (cut to 25 letters without accents in the code).
    pub merchant_name: String,
    pub merchant_city: String,
    /// `static` (staff confirm payments) or `api_pix` (the provider confirms them).
    #[schema(example = "static")]
    pub provider: String,
    pub api_pix: Option<ApiPixRequest>,
}

/// The provider's endpoint, without its secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiPixView {
    pub base_url: String,
    pub client_id: String,
    /// Whether the client secret, certificate and key are saved (they are never answered).
    pub secrets_set: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PixSettingsResponse {
    pub key: String,
    /// `cpf`, `cnpj`, `email`, `phone` or `random`.
    pub key_kind: String,
    pub merchant_name: String,
    pub merchant_city: String,
    pub provider: String,
    pub api_pix: Option<ApiPixView>,
    /// The URL path to register as the webhook at the provider (it appends `/pix`).
    pub webhook_path: String,
    pub updated_at: DateTime<Utc>,
}

impl From<PixSettingsView> for PixSettingsResponse {
    fn from(view: PixSettingsView) -> Self {
        Self {
            key: view.receiver.key,
            key_kind: view.receiver.key_kind,
            merchant_name: view.receiver.merchant_name,
            merchant_city: view.receiver.merchant_city,
            provider: view.receiver.provider.as_str().to_owned(),
            api_pix: view.api.map(|api| ApiPixView {
                base_url: api.base_url,
                client_id: api.client_id,
                secrets_set: view.api_secrets_set,
            }),
            webhook_path: view.webhook_path,
            updated_at: view.updated_at,
        }
    }
}

/// Owners and admins of a tenant with the `payments` module.
fn owner_or_admin(user: &CurrentUser, action: Action) -> Result<TenantScope<'_>, ApiError> {
    user.allow(Module::Payments, action)?;
    user.allow_roles(&[Role::Owner, Role::Admin])
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = PixSettingsResponse),
        (status = 403, body = ErrorBody),
        (status = 404, description = "PIX is not set up", body = ErrorBody),
    )
)]
#[get("/admin/payments/pix")]
pub async fn get_pix(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<PixSettingsResponse>, ApiError> {
    let scope = owner_or_admin(&user, Action::View)?;
    let settings = state.payments.settings(&scope.principal.tenant).await?;
    Ok(web::Json(settings.into()))
}

/// Sets the receiver. The key is checked by its kind (CPF and CNPJ check digits, e-mail, +55
/// phone, UUID); `api_pix` needs `PAYMENT_SECRETS_KEY` on the server and keeps the provider's
/// secrets encrypted (never answered back). Audited without the secrets.
#[utoipa::path(
    tag = "admin", request_body = PixSettingsRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = PixSettingsResponse),
        (status = 403, body = ErrorBody),
        (status = 422, description = "`validation_error`", body = ErrorBody),
    )
)]
#[put("/admin/payments/pix")]
pub async fn put_pix(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<PixSettingsRequest>,
) -> Result<web::Json<PixSettingsResponse>, ApiError> {
    let scope = owner_or_admin(&user, Action::Update)?;
    let body = body.into_inner()?;
    let provider = PixProvider::parse(&body.provider)
        .ok_or_else(|| ApiError::field("provider", "static or api_pix"))?;
    let input = PixSettingsInput {
        key: body.key,
        merchant_name: body.merchant_name,
        merchant_city: body.merchant_city,
        provider,
        api_pix: body.api_pix.map(|api| ApiPixInput {
            base_url: api.base_url,
            client_id: api.client_id,
            client_secret: api.client_secret,
            certificate_pem: api.certificate_pem,
            private_key_pem: api.private_key_pem,
            ca_certificate_pem: api.ca_certificate_pem,
        }),
    };
    let settings = state
        .payments
        .put_settings(&scope.principal.tenant, input, scope.actor)
        .await?;
    Ok(web::Json(settings.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// `paid` (the money is in the account) or `refunded` (given back by hand).
    #[schema(example = "paid")]
    pub status: String,
}

/// Staff record a static PIX charge as paid (the store is then told of the order) or refunded.
/// Charges of the `api_pix` provider are confirmed by its webhook only (409).
#[utoipa::path(
    tag = "admin", params(("order_id" = String, Path)), request_body = PaymentRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = OrderView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`conflict`: not a static PIX charge, or not in a state to become this", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/admin/orders/{order_id}/payment")]
pub async fn set_payment(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<OrderId>,
    body: ApiJson<PaymentRequest>,
) -> Result<web::Json<OrderView>, ApiError> {
    let scope = user.allow(Module::Orders, Action::Update)?;
    let body = body.into_inner()?;
    let status = match body.status.parse::<PaymentStatus>() {
        Ok(status @ (PaymentStatus::Paid | PaymentStatus::Refunded)) => status,
        _ => return Err(ApiError::field("status", "paid or refunded")),
    };
    let id = id.into_inner();
    state
        .payments
        .confirm_by_staff(scope.tenant, id, status, scope.actor)
        .await?;
    let order = state.orders.get(scope.tenant, id).await?;
    let token = state.orders.tracking_token(order.id);
    Ok(web::Json(OrderView::new(order, None, Some(&token))))
}
