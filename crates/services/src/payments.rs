//! Online payment with PIX (SPEC §18, docs/payments.md): the tenant's receiver settings, the
//! charge of a checkout, staff confirming a static charge, the provider's webhook (which is
//! never trusted: the charge is read back), refunds and the expiry of unpaid orders.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use comanda_domain::orders::PaymentStatus;
use comanda_domain::pix::{BrCode, DynamicBrCode, PixKey, txid_from};
use comanda_domain::tenancy::TenantContext;
use comanda_domain::{OrderId, TenantId};
use comanda_ports::config::ConfigRepository;
use comanda_ports::orders::OrderRepository;
use comanda_ports::payments::{
    ApiPixCredentials, ApiPixEndpoint, ChargeRequest, PaidOutcome, PaymentRecord,
    PaymentRepository, PixApi, PixApiError, PixCharge, PixProvider, PixReceiver, RefundState,
    SecretBox, StoredPixSettings,
};
use comanda_ports::{Actor, Clock};
use serde::{Deserialize, Serialize};

use crate::checkout::NEW_ORDER_NOTIFICATIONS;
use crate::orders::STATUS_NOTIFICATIONS;
use crate::{ErrorCode, FieldProblem, ServiceError};

/// Unpaid PIX orders are cancelled after this long unless configured (`PIX_EXPIRY_MINUTES`).
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// Orders expired per sweep.
const EXPIRY_BATCH: i64 = 100;

/// The charge's status once paid, in the PIX API.
const CHARGE_CONCLUDED: &str = "CONCLUIDA";

/// What the owner sends (`PUT /admin/payments/pix`).
#[derive(Debug, Clone)]
pub struct PixSettingsInput {
    pub key: String,
    pub merchant_name: String,
    pub merchant_city: String,
    pub provider: PixProvider,
    pub api_pix: Option<ApiPixInput>,
}

/// The provider's endpoint and secrets; secrets left out keep the ones saved before.
#[derive(Debug, Clone, Default)]
pub struct ApiPixInput {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub certificate_pem: Option<String>,
    pub private_key_pem: Option<String>,
    pub ca_certificate_pem: Option<String>,
}

/// The sealed part of the settings.
#[derive(Serialize, Deserialize)]
struct ApiPixSecrets {
    client_secret: String,
    certificate_pem: String,
    private_key_pem: String,
    ca_certificate_pem: Option<String>,
}

/// The settings as answered (no secrets).
#[derive(Debug, Clone)]
pub struct PixSettingsView {
    pub receiver: PixReceiver,
    pub api: Option<ApiPixEndpoint>,
    /// Whether the provider's secrets are saved.
    pub api_secrets_set: bool,
    /// The path to give the provider as the webhook (it appends `/pix`).
    pub webhook_path: String,
    pub updated_at: DateTime<Utc>,
}

/// What the webhook did, for the log and the tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookReport {
    pub paid: usize,
    pub ignored: usize,
}

/// Where a paid order goes next: the tenant's auto-accept setting and the order's moves.
#[derive(Clone)]
pub struct AfterPayment {
    pub orders: Arc<dyn OrderRepository>,
    pub config: Arc<dyn ConfigRepository>,
}

#[derive(Clone)]
pub struct PaymentService {
    repo: Arc<dyn PaymentRepository>,
    after: AfterPayment,
    api: Arc<dyn PixApi>,
    /// `None` without `PAYMENT_SECRETS_KEY`: the `api_pix` provider cannot be set up.
    secrets: Option<Arc<dyn SecretBox>>,
    clock: Arc<dyn Clock>,
    expiry: Duration,
}

fn required(value: &str, field: &str, longest: usize) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::field(field, "is required"));
    }
    if value.chars().count() > longest {
        return Err(ServiceError::field(
            field,
            format!("at most {longest} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn pem(value: Option<&String>, field: &str, label: &str) -> Result<Option<String>, ServiceError> {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) if text.contains("-----BEGIN") && text.contains(label) => {
            Ok(Some(text.to_owned()))
        }
        Some(_) => Err(ServiceError::field(
            field,
            format!("a PEM block with {label}"),
        )),
    }
}

impl PaymentService {
    pub fn new(
        repo: Arc<dyn PaymentRepository>,
        after: AfterPayment,
        api: Arc<dyn PixApi>,
        secrets: Option<Arc<dyn SecretBox>>,
        clock: Arc<dyn Clock>,
        expiry: Duration,
    ) -> Self {
        Self {
            repo,
            after,
            api,
            secrets,
            clock,
            expiry,
        }
    }

    pub fn repository(&self) -> Arc<dyn PaymentRepository> {
        self.repo.clone()
    }

    fn view(tenant: &TenantContext, stored: StoredPixSettings) -> PixSettingsView {
        PixSettingsView {
            webhook_path: format!("/webhooks/pix/{}/{}", tenant.slug, stored.webhook_secret),
            api_secrets_set: stored.sealed_secrets.is_some(),
            receiver: stored.receiver,
            api: stored.api,
            updated_at: stored.updated_at,
        }
    }

    pub async fn settings(&self, tenant: &TenantContext) -> Result<PixSettingsView, ServiceError> {
        let stored = self
            .repo
            .pix_settings(tenant.id)
            .await?
            .ok_or(ServiceError::NotFound("PIX settings"))?;
        Ok(Self::view(tenant, stored))
    }

    /// Validates and saves the settings; provider secrets are sealed before they are stored.
    pub async fn put_settings(
        &self,
        tenant: &TenantContext,
        input: PixSettingsInput,
        actor: &Actor,
    ) -> Result<PixSettingsView, ServiceError> {
        let key: PixKey = input
            .key
            .parse()
            .map_err(|error| ServiceError::field("key", error))?;
        let merchant_name = required(&input.merchant_name, "merchant_name", 100)?;
        let merchant_city = required(&input.merchant_city, "merchant_city", 60)?;
        let before = self.repo.pix_settings(tenant.id).await?;
        let (api, sealed_secrets) = match input.provider {
            PixProvider::Static => (None, None),
            PixProvider::ApiPix => {
                let secrets = self.secrets.as_ref().ok_or_else(|| {
                    ServiceError::field(
                        "provider",
                        "api_pix needs PAYMENT_SECRETS_KEY set on the server to keep the \
                         provider's secrets (docs/payments.md); use static meanwhile",
                    )
                })?;
                let api = input
                    .api_pix
                    .ok_or_else(|| ServiceError::field("api_pix", "is required for api_pix"))?;
                let (endpoint, sealed) = self.seal_api(secrets.as_ref(), api, before.as_ref())?;
                (Some(endpoint), Some(sealed))
            }
        };
        let settings = StoredPixSettings {
            receiver: PixReceiver {
                key: key.as_str().to_owned(),
                key_kind: key.kind().as_str().to_owned(),
                merchant_name,
                merchant_city,
                provider: input.provider,
            },
            api,
            sealed_secrets,
            webhook_secret: before
                .map(|stored| stored.webhook_secret)
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
            updated_at: self.clock.now(),
        };
        let saved = self
            .repo
            .put_pix_settings(tenant.id, &settings, actor)
            .await?;
        Ok(Self::view(tenant, saved))
    }

    /// The endpoint and the sealed secrets: new ones where given, the saved ones elsewhere.
    fn seal_api(
        &self,
        secrets: &dyn SecretBox,
        api: ApiPixInput,
        before: Option<&StoredPixSettings>,
    ) -> Result<(ApiPixEndpoint, Vec<u8>), ServiceError> {
        let base_url = required(&api.base_url, "api_pix.base_url", 300)?;
        if !base_url.starts_with("https://") || url_has_spaces(&base_url) {
            return Err(ServiceError::field(
                "api_pix.base_url",
                "the provider's https:// address (mutual TLS)",
            ));
        }
        let client_id = required(&api.client_id, "api_pix.client_id", 300)?;
        let saved: Option<ApiPixSecrets> = before
            .and_then(|stored| stored.sealed_secrets.as_ref())
            .and_then(|sealed| secrets.open(sealed))
            .and_then(|plain| serde_json::from_slice(&plain).ok());
        let certificate = pem(
            api.certificate_pem.as_ref(),
            "api_pix.certificate_pem",
            "CERTIFICATE",
        )?;
        let private_key = pem(
            api.private_key_pem.as_ref(),
            "api_pix.private_key_pem",
            "PRIVATE KEY",
        )?;
        let ca = pem(
            api.ca_certificate_pem.as_ref(),
            "api_pix.ca_certificate_pem",
            "CERTIFICATE",
        )?;
        let client_secret = api
            .client_secret
            .filter(|secret| !secret.trim().is_empty())
            .or_else(|| saved.as_ref().map(|s| s.client_secret.clone()));
        let certificate = certificate.or_else(|| saved.as_ref().map(|s| s.certificate_pem.clone()));
        let private_key = private_key.or_else(|| saved.as_ref().map(|s| s.private_key_pem.clone()));
        let ca = ca.or_else(|| saved.as_ref().and_then(|s| s.ca_certificate_pem.clone()));
        let missing = [
            ("api_pix.client_secret", client_secret.is_none()),
            ("api_pix.certificate_pem", certificate.is_none()),
            ("api_pix.private_key_pem", private_key.is_none()),
        ];
        let problems: Vec<FieldProblem> = missing
            .iter()
            .filter(|(_, absent)| *absent)
            .map(|(field, _)| FieldProblem::new(field, "is required for api_pix"))
            .collect();
        let (Some(client_secret), Some(certificate_pem), Some(private_key_pem)) =
            (client_secret, certificate, private_key)
        else {
            return Err(ServiceError::Validation(problems));
        };
        let plain = serde_json::to_vec(&ApiPixSecrets {
            client_secret,
            certificate_pem,
            private_key_pem,
            ca_certificate_pem: ca,
        })
        .map_err(|error| ServiceError::Internal(error.to_string()))?;
        Ok((
            ApiPixEndpoint {
                base_url: base_url.trim_end_matches('/').to_owned(),
                client_id,
            },
            secrets.seal(&plain),
        ))
    }

    /// The tenant's credentials for the PIX API, opened.
    async fn credentials(&self, tenant: TenantId) -> Result<ApiPixCredentials, ServiceError> {
        let stored = self
            .repo
            .pix_settings(tenant)
            .await?
            .ok_or(ServiceError::NotFound("PIX settings"))?;
        let (Some(api), Some(sealed)) = (stored.api, stored.sealed_secrets) else {
            return Err(ServiceError::Internal(
                "api_pix without its endpoint".into(),
            ));
        };
        let plain = self
            .secrets
            .as_ref()
            .and_then(|secrets| secrets.open(&sealed))
            .ok_or_else(|| {
                ServiceError::Internal(
                    "the PIX provider secrets do not open with PAYMENT_SECRETS_KEY".into(),
                )
            })?;
        let secrets: ApiPixSecrets = serde_json::from_slice(&plain)
            .map_err(|error| ServiceError::Internal(error.to_string()))?;
        Ok(ApiPixCredentials {
            base_url: api.base_url,
            client_id: api.client_id,
            client_secret: secrets.client_secret,
            certificate_pem: secrets.certificate_pem,
            private_key_pem: secrets.private_key_pem,
            ca_certificate_pem: secrets.ca_certificate_pem,
        })
    }

    /// The charge a checkout answers: through the PIX API for `api_pix`, else a static BR
    /// Code. When the provider cannot create the charge the order still goes through, with a
    /// static code that staff confirm (docs/payments.md#when-the-provider-is-down).
    pub async fn charge(
        &self,
        tenant: TenantId,
        receiver: &PixReceiver,
        amount_cents: i64,
        description: &str,
    ) -> PixCharge {
        let expires_at = self.clock.now()
            + chrono::Duration::from_std(self.expiry).unwrap_or(chrono::Duration::minutes(15));
        let random = uuid::Uuid::new_v4().as_u128();
        if receiver.provider == PixProvider::ApiPix {
            match self
                .api_charge(tenant, receiver, amount_cents, description, random)
                .await
            {
                Ok((txid, copy_paste)) => {
                    return PixCharge {
                        provider: PixProvider::ApiPix,
                        txid,
                        copy_paste,
                        expires_at,
                    };
                }
                Err(error) => {
                    tracing::warn!(%tenant, %error, "the PIX provider did not create the charge: answering a static BR Code");
                }
            }
        }
        let txid = txid_from(random, false);
        let copy_paste = BrCode {
            key: &receiver.key,
            merchant_name: &receiver.merchant_name,
            merchant_city: &receiver.merchant_city,
            amount_cents: Some(amount_cents),
            txid: Some(&txid),
        }
        .payload();
        PixCharge {
            provider: PixProvider::Static,
            txid,
            copy_paste,
            expires_at,
        }
    }

    async fn api_charge(
        &self,
        tenant: TenantId,
        receiver: &PixReceiver,
        amount_cents: i64,
        description: &str,
        random: u128,
    ) -> Result<(String, String), ServiceError> {
        let credentials = self.credentials(tenant).await?;
        let txid = txid_from(random, true);
        let created = self
            .api
            .create_charge(
                &credentials,
                &ChargeRequest {
                    txid: txid.clone(),
                    amount_cents,
                    expiry_seconds: i64::try_from(self.expiry.as_secs()).unwrap_or(900),
                    key: receiver.key.clone(),
                    description: description.to_owned(),
                },
            )
            .await
            .map_err(provider_error)?;
        let copy_paste = match (created.copy_paste, created.location) {
            (Some(code), _) => code,
            (None, Some(location)) => DynamicBrCode {
                location: &location,
                merchant_name: &receiver.merchant_name,
                merchant_city: &receiver.merchant_city,
                amount_cents,
            }
            .payload(),
            (None, None) => {
                return Err(ServiceError::Unavailable(
                    "the provider answered neither pixCopiaECola nor location".into(),
                ));
            }
        };
        Ok((txid, copy_paste))
    }

    /// Staff confirm (or record the refund of) a static charge: `POST /admin/orders/{id}/payment`.
    pub async fn confirm_by_staff(
        &self,
        tenant: TenantId,
        order: OrderId,
        status: PaymentStatus,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        let payment = self
            .repo
            .payment(tenant, order)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        if payment.provider != Some(PixProvider::Static) {
            return Err(ServiceError::conflict(
                ErrorCode::Conflict,
                match payment.provider {
                    Some(_) => "This charge is confirmed by the PIX provider, not by hand",
                    None => "This order is not paid by a PIX charge",
                },
            ));
        }
        match status {
            PaymentStatus::Paid => match self
                .repo
                .record_paid(tenant, order, None, NEW_ORDER_NOTIFICATIONS, actor)
                .await?
            {
                PaidOutcome::Paid => {
                    self.accept_if_automatic(tenant, order).await?;
                    Ok(())
                }
                PaidOutcome::AlreadyPaid | PaidOutcome::PaidAfterExpiry => Ok(()),
                PaidOutcome::NotPayable(current) => Err(ServiceError::conflict(
                    ErrorCode::Conflict,
                    format!("A payment that is {} cannot become paid", current.as_str()),
                )),
            },
            PaymentStatus::Refunded => {
                let refunded = self
                    .repo
                    .record_refunded(tenant, order, "manual", actor)
                    .await?;
                if refunded || payment.status == PaymentStatus::Refunded {
                    Ok(())
                } else {
                    Err(ServiceError::conflict(
                        ErrorCode::Conflict,
                        format!(
                            "A payment that is {} cannot be refunded",
                            payment.status.as_str()
                        ),
                    ))
                }
            }
            _ => Err(ServiceError::field("status", "paid or refunded")),
        }
    }

    /// The tenant a webhook path belongs to, or 404.
    pub async fn webhook_tenant(&self, slug: &str, secret: &str) -> Result<TenantId, ServiceError> {
        self.repo
            .tenant_for_webhook(slug, secret)
            .await?
            .ok_or(ServiceError::NotFound("webhook"))
    }

    /// The provider says something happened to these charges: each is read back from the
    /// provider and only what it answers counts. Repeated deliveries change nothing.
    pub async fn webhook(
        &self,
        tenant: TenantId,
        txids: &[String],
    ) -> Result<WebhookReport, ServiceError> {
        let mut report = WebhookReport::default();
        let mut seen: Vec<&String> = Vec::new();
        for txid in txids.iter().take(50) {
            if seen.contains(&txid) {
                continue;
            }
            seen.push(txid);
            let Some(payment) = self.repo.payment_by_txid(tenant, txid).await? else {
                report.ignored += 1;
                continue;
            };
            if payment.provider != Some(PixProvider::ApiPix) {
                report.ignored += 1;
                continue;
            }
            if self.confirm_from_provider(tenant, &payment).await? {
                report.paid += 1;
            } else {
                report.ignored += 1;
            }
        }
        Ok(report)
    }

    /// Reads the charge back; paid only when `CONCLUIDA` for the order's total.
    async fn confirm_from_provider(
        &self,
        tenant: TenantId,
        payment: &PaymentRecord,
    ) -> Result<bool, ServiceError> {
        let Some(txid) = &payment.txid else {
            return Ok(false);
        };
        let credentials = self.credentials(tenant).await?;
        let charge = self
            .api
            .charge(&credentials, txid)
            .await
            .map_err(provider_error)?;
        if charge.status != CHARGE_CONCLUDED {
            return Ok(false);
        }
        let received: i64 = charge.received.iter().map(|pix| pix.amount_cents).sum();
        let Some(pix) = charge.received.first() else {
            return Ok(false);
        };
        if received != payment.amount_cents {
            tracing::warn!(%tenant, order = %payment.order, received, expected = payment.amount_cents, "a PIX charge was paid with another amount: flagged, not accepted");
            self.repo
                .flag(tenant, payment.order, "amount_mismatch")
                .await?;
            return Ok(false);
        }
        let paid = comanda_ports::payments::ReceivedPix {
            end_to_end_id: pix.end_to_end_id.clone(),
            amount_cents: received,
        };
        let outcome = self
            .repo
            .record_paid(
                tenant,
                payment.order,
                Some(&paid),
                NEW_ORDER_NOTIFICATIONS,
                &Actor::system(),
            )
            .await?;
        if outcome == PaidOutcome::Paid {
            self.accept_if_automatic(tenant, payment.order).await?;
        }
        Ok(matches!(
            outcome,
            PaidOutcome::Paid | PaidOutcome::PaidAfterExpiry
        ))
    }

    /// A PIX order of a tenant that auto-accepts is accepted once paid.
    async fn accept_if_automatic(
        &self,
        tenant: TenantId,
        order: OrderId,
    ) -> Result<(), ServiceError> {
        if self.after.config.get(tenant).await?.auto_accept {
            crate::orders::accept_automatically(self.after.orders.as_ref(), tenant, order).await;
        }
        Ok(())
    }

    /// Gives a cancelled order's PIX back (the `pix.refund` job). `Ok(true)` once the provider
    /// confirms; `Ok(false)` while it is processing (the job tries again).
    pub async fn refund(&self, tenant: TenantId, order: OrderId) -> Result<bool, RefundError> {
        let payment = self
            .repo
            .payment(tenant, order)
            .await?
            .ok_or(RefundError::Permanent("the order is gone".into()))?;
        if payment.status == PaymentStatus::Refunded {
            return Ok(true);
        }
        let (Some(end_to_end_id), Some(amount)) = (&payment.end_to_end_id, payment.paid_cents)
        else {
            return Err(RefundError::Permanent(
                "the payment has no end-to-end id to refund".into(),
            ));
        };
        let credentials = self.credentials(tenant).await?;
        // One refund id per order: asking again names the same refund.
        let refund_id = order.as_uuid().simple().to_string();
        let state = match self
            .api
            .refund(&credentials, end_to_end_id, &refund_id)
            .await?
        {
            RefundState::Unknown => {
                self.api
                    .request_refund(&credentials, end_to_end_id, &refund_id, amount)
                    .await?
            }
            known => known,
        };
        match state {
            RefundState::Done => {
                self.repo
                    .record_refunded(tenant, order, &refund_id, &Actor::system())
                    .await?;
                Ok(true)
            }
            RefundState::Processing | RefundState::Unknown => Ok(false),
            RefundState::Refused(reason) => {
                self.repo.flag(tenant, order, "refund_failed").await?;
                Err(RefundError::Permanent(format!(
                    "the provider refused the refund: {reason}"
                )))
            }
        }
    }

    /// Cancels the unpaid PIX orders whose time is up (`payment_expired`, stock back); safe
    /// with several instances. Answers how many.
    pub async fn expire_due(&self) -> Result<usize, ServiceError> {
        let mut total = 0;
        loop {
            let expired = self
                .repo
                .expire_due(self.clock.now(), EXPIRY_BATCH, STATUS_NOTIFICATIONS)
                .await?;
            total += expired.len();
            if i64::try_from(expired.len()).unwrap_or(0) < EXPIRY_BATCH {
                return Ok(total);
            }
        }
    }
}

fn url_has_spaces(url: &str) -> bool {
    url.chars().any(char::is_whitespace)
}

fn provider_error(error: PixApiError) -> ServiceError {
    ServiceError::Unavailable(error.to_string())
}

/// Why a refund did not go through.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    /// Try again later.
    #[error(transparent)]
    Temporary(#[from] ServiceError),
    #[error("{0}")]
    Permanent(String),
}

impl From<comanda_ports::RepoError> for RefundError {
    fn from(error: comanda_ports::RepoError) -> Self {
        Self::Temporary(error.into())
    }
}

impl From<PixApiError> for RefundError {
    fn from(error: PixApiError) -> Self {
        match error {
            PixApiError::Refused(detail) => Self::Permanent(detail),
            other => Self::Temporary(provider_error(other)),
        }
    }
}
