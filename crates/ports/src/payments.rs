//! Online payment with PIX (SPEC §18): the tenant's receiver settings, the payment rows of
//! orders, and the standard PIX API of the tenant's bank or payment institution.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::orders::PaymentStatus;
use comanda_domain::{OrderId, TenantId};

use crate::{Actor, RepoResult};

/// How a tenant's PIX charges are confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixProvider {
    /// A BR Code with the key; staff confirm the payment.
    Static,
    /// Charges created through BACEN's standard PIX API; its webhook confirms them.
    ApiPix,
}

impl PixProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::ApiPix => "api_pix",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "static" => Some(Self::Static),
            "api_pix" => Some(Self::ApiPix),
            _ => None,
        }
    }
}

/// Who receives: what the BR Code names (no secrets; the checkout keeps it in its snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixReceiver {
    pub key: String,
    /// `cpf`, `cnpj`, `email`, `phone` or `random`.
    pub key_kind: String,
    pub merchant_name: String,
    pub merchant_city: String,
    pub provider: PixProvider,
}

/// The PIX API's address and client id: shown back to the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPixEndpoint {
    pub base_url: String,
    pub client_id: String,
}

/// What the PIX API is called with: the endpoint and the opened secrets. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiPixCredentials {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The client certificate (chain) and its private key, PEM, for mutual TLS.
    pub certificate_pem: String,
    pub private_key_pem: String,
    /// The provider's CA, PEM, when its server certificate is not from a public CA.
    pub ca_certificate_pem: Option<String>,
}

impl std::fmt::Debug for ApiPixCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiPixCredentials")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A tenant's PIX settings as stored: the provider secrets only sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPixSettings {
    pub receiver: PixReceiver,
    pub api: Option<ApiPixEndpoint>,
    /// `SecretBox::seal` of the provider secrets.
    pub sealed_secrets: Option<Vec<u8>>,
    pub webhook_secret: String,
    pub updated_at: DateTime<Utc>,
}

/// An order's payment as the payment flows need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub order: OrderId,
    pub status: PaymentStatus,
    pub provider: Option<PixProvider>,
    pub txid: Option<String>,
    pub amount_cents: i64,
    pub end_to_end_id: Option<String>,
    pub paid_cents: Option<i64>,
}

/// A PIX that reached the receiver, as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPix {
    pub end_to_end_id: String,
    pub amount_cents: i64,
}

/// What recording a payment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidOutcome {
    /// The order was waiting and is now paid (announced to the store).
    Paid,
    /// It was paid already: nothing changed (a repeated webhook, a second click).
    AlreadyPaid,
    /// It had expired (cancelled): the payment is kept and flagged, a refund asked for when the
    /// provider can make it.
    PaidAfterExpiry,
    /// Refunded, or not a PIX charge: nothing to record.
    NotPayable(PaymentStatus),
}

/// A PIX charge as the order transaction writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixCharge {
    pub provider: PixProvider,
    pub txid: String,
    pub copy_paste: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait PaymentRepository: Send + Sync {
    async fn pix_settings(&self, tenant: TenantId) -> RepoResult<Option<StoredPixSettings>>;
    /// Saves the settings (audited without secrets).
    async fn put_pix_settings(
        &self,
        tenant: TenantId,
        settings: &StoredPixSettings,
        actor: &Actor,
    ) -> RepoResult<StoredPixSettings>;
    /// The tenant whose webhook path this is (slug and secret both must match).
    async fn tenant_for_webhook(&self, slug: &str, secret: &str) -> RepoResult<Option<TenantId>>;
    async fn payment(&self, tenant: TenantId, order: OrderId) -> RepoResult<Option<PaymentRecord>>;
    async fn payment_by_txid(
        &self,
        tenant: TenantId,
        txid: &str,
    ) -> RepoResult<Option<PaymentRecord>>;
    /// Records the payment in one transaction: the order's notifications are queued when it
    /// was waiting; a late payment of an expired order is kept and flagged (and a refund job
    /// queued for `api_pix`).
    async fn record_paid(
        &self,
        tenant: TenantId,
        order: OrderId,
        pix: Option<&ReceivedPix>,
        notifications: &[&'static str],
        actor: &Actor,
    ) -> RepoResult<PaidOutcome>;
    /// Marks something for staff to look at (`amount_mismatch`, `refund_failed`).
    async fn flag(&self, tenant: TenantId, order: OrderId, flag: &str) -> RepoResult<()>;
    /// A paid order's money went back.
    async fn record_refunded(
        &self,
        tenant: TenantId,
        order: OrderId,
        refund_id: &str,
        actor: &Actor,
    ) -> RepoResult<bool>;
    /// Cancels (`payment_expired`, stock back) up to `limit` orders whose charge expired before
    /// `now`, skipping rows another instance holds; answers them.
    async fn expire_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        notifications: &[&'static str],
    ) -> RepoResult<Vec<(TenantId, OrderId)>>;
}

/// Seals secrets for storage (AES-256-GCM under `PAYMENT_SECRETS_KEY`).
pub trait SecretBox: Send + Sync {
    fn seal(&self, plain: &[u8]) -> Vec<u8>;
    /// `None` when the bytes were not sealed with this key (or were altered).
    fn open(&self, sealed: &[u8]) -> Option<Vec<u8>>;
}

/// A charge to create: `PUT /v2/cob/{txid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    pub txid: String,
    pub amount_cents: i64,
    pub expiry_seconds: i64,
    pub key: String,
    /// Shown to the payer by their bank (`solicitacaoPagador`).
    pub description: String,
}

/// What the provider answered for a created charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedCharge {
    /// `pixCopiaECola`, when the provider builds it.
    pub copy_paste: Option<String>,
    /// `location` (or `loc.location`): the payload URL a dynamic BR Code carries.
    pub location: Option<String>,
}

/// A charge as read back: `GET /v2/cob/{txid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeState {
    /// `ATIVA`, `CONCLUIDA`, `REMOVIDA_PELO_USUARIO_RECEBEDOR`, `REMOVIDA_PELO_PSP`.
    pub status: String,
    pub amount_cents: Option<i64>,
    pub received: Vec<ReceivedPix>,
}

/// Where a refund stands (`status` of a `devolucao`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    Done,
    Processing,
    Refused(String),
    /// The provider knows no refund with this id.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum PixApiError {
    /// Unreachable, timed out, 5xx or 429: worth another try.
    #[error("the PIX provider is unavailable: {0}")]
    Unavailable(String),
    /// Refused our request or credentials (4xx): retrying will not help.
    #[error("the PIX provider refused the request: {0}")]
    Refused(String),
    /// Its answer could not be read.
    #[error("the PIX provider answered something unexpected: {0}")]
    Malformed(String),
}

/// BACEN's standard PIX API, as banks and payment institutions expose it (OAuth2 client
/// credentials over mutual TLS).
#[async_trait]
pub trait PixApi: Send + Sync {
    async fn create_charge(
        &self,
        credentials: &ApiPixCredentials,
        charge: &ChargeRequest,
    ) -> Result<CreatedCharge, PixApiError>;
    async fn charge(
        &self,
        credentials: &ApiPixCredentials,
        txid: &str,
    ) -> Result<ChargeState, PixApiError>;
    /// `PUT /v2/pix/{e2eid}/devolucao/{id}`.
    async fn request_refund(
        &self,
        credentials: &ApiPixCredentials,
        end_to_end_id: &str,
        refund_id: &str,
        amount_cents: i64,
    ) -> Result<RefundState, PixApiError>;
    /// `GET /v2/pix/{e2eid}/devolucao/{id}`.
    async fn refund(
        &self,
        credentials: &ApiPixCredentials,
        end_to_end_id: &str,
        refund_id: &str,
    ) -> Result<RefundState, PixApiError>;
}
