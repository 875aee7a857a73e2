//! Talking to people outside: the outbox, WhatsApp, Telegram, Web Push.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::TenantId;
use comanda_domain::messaging::DeliveryStatus;
use comanda_domain::pagination::{Page, PageRequest};

use crate::RepoResult;

/// A queued notification, claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxJob {
    pub id: String,
    pub tenant_id: TenantId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Including this one.
    pub attempts: i32,
    /// This claim's token: only its holder may complete the job.
    pub lease: String,
}

/// How many notifications wait to be sent, and how many were given up on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxDepth {
    pub pending: i64,
    pub dead: i64,
}

/// A notification as the portal shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Claims up to `limit` due jobs for `lease` (`FOR UPDATE SKIP LOCKED`): other dispatchers
    /// skip them until the lease ends, so each job is sent by one dispatcher. Fair across
    /// tenants: each tenant's oldest due job comes before any tenant's second.
    async fn claim(&self, limit: i64, lease: Duration) -> RepoResult<Vec<OutboxJob>>;
    /// The completions answer `false` when the job's lease was lost (it ran out and another
    /// dispatcher claimed the job): nothing was written.
    async fn mark_sent(&self, job: &OutboxJob) -> RepoResult<bool>;
    /// Nothing to send it with (the channel is not configured).
    async fn mark_skipped(&self, job: &OutboxJob, reason: &str) -> RepoResult<bool>;
    async fn retry_later(&self, job: &OutboxJob, after: Duration, error: &str) -> RepoResult<bool>;
    async fn mark_dead(&self, job: &OutboxJob, error: &str) -> RepoResult<bool>;
    /// Deletes up to `limit` sent or skipped jobs finished before `before`; answers how many.
    async fn purge_finished(&self, before: DateTime<Utc>, limit: i64) -> RepoResult<u64>;
    /// Sends a dead job again from its first attempt; `NotFound` unless it is the tenant's and dead.
    async fn requeue(&self, tenant: TenantId, id: &str) -> RepoResult<()>;
    async fn list(
        &self,
        tenant: TenantId,
        status: Option<&str>,
        page: PageRequest,
    ) -> RepoResult<Page<OutboxEntry>>;
    /// Jobs waiting and jobs given up on, across tenants, for `/metrics`.
    async fn depth(&self) -> RepoResult<OutboxDepth>;
}

/// A job queued in the same transaction as a message is stored; the repository adds the
/// message's `message_id` and `conversation_id` to its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub kind: &'static str,
    pub payload: serde_json::Value,
}

/// How a message reached us.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub wa_message_id: String,
    pub from_phone: String,
    pub customer_name: String,
    pub timestamp: DateTime<Utc>,
    pub kind: String,
    pub body: String,
    pub media_id: Option<String>,
    pub media_mime: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInbound {
    pub message_id: String,
    pub conversation_id: String,
    /// `false` when Meta delivered the same message again.
    pub created: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: String,
    pub customer_phone: String,
    pub customer_name: String,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    pub unread_count: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub id: String,
    pub conversation_id: String,
    pub direction: String,
    pub wa_message_id: Option<String>,
    pub kind: String,
    pub body: String,
    pub template_name: Option<String>,
    pub media_id: Option<String>,
    pub media_key: Option<String>,
    pub media_mime: Option<String>,
    pub status: DeliveryStatus,
    pub status_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A message we are about to send.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    /// Chosen by the caller so a retried job finds the message it recorded before.
    pub id: String,
    pub customer_phone: String,
    pub kind: String,
    pub body: String,
    pub template_name: Option<String>,
    pub sent_by: Option<comanda_domain::UserId>,
}

#[async_trait]
pub trait WhatsAppRepository: Send + Sync {
    /// The tenant whose WhatsApp number this is.
    async fn tenant_for_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> RepoResult<Option<TenantId>>;
    /// Stores an inbound message in its conversation (created when new), opens the window and
    /// queues `follow_ups`; a message Meta delivers again changes nothing.
    async fn record_inbound(
        &self,
        tenant: TenantId,
        message: &InboundMessage,
        follow_ups: &[FollowUp],
    ) -> RepoResult<StoredInbound>;
    /// Applies a status report when it moves the message forward in time.
    async fn apply_status(
        &self,
        tenant: TenantId,
        wa_message_id: &str,
        status: DeliveryStatus,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> RepoResult<bool>;
    async fn conversations(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> RepoResult<Page<Conversation>>;
    async fn conversation(&self, tenant: TenantId, id: &str) -> RepoResult<Option<Conversation>>;
    async fn conversation_by_phone(
        &self,
        tenant: TenantId,
        phone: &str,
    ) -> RepoResult<Option<Conversation>>;
    /// Messages oldest first; reading them clears the unread count.
    async fn messages(
        &self,
        tenant: TenantId,
        conversation: &str,
        page: PageRequest,
    ) -> RepoResult<Page<ChatMessage>>;
    async fn message(&self, tenant: TenantId, id: &str) -> RepoResult<Option<ChatMessage>>;
    /// Records an outbound message as pending (its conversation created when new) with its
    /// follow-up job, audited when a person sends it; when one with this id exists, answers it
    /// unchanged.
    async fn record_outbound(
        &self,
        tenant: TenantId,
        message: &OutboundMessage,
        follow_up: Option<FollowUp>,
        actor: Option<&crate::Actor>,
    ) -> RepoResult<ChatMessage>;
    async fn mark_outbound(
        &self,
        tenant: TenantId,
        id: &str,
        wa_message_id: Option<&str>,
        status: DeliveryStatus,
        error: Option<&str>,
    ) -> RepoResult<()>;
    async fn set_media(&self, tenant: TenantId, id: &str, key: &str, mime: &str) -> RepoResult<()>;
    /// Media stored before `before` (oldest first).
    async fn media_before(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> RepoResult<Vec<(TenantId, String, String)>>;
    /// Every stored media key after `after_id` (for the missing-object sweep), by id.
    async fn media_page(
        &self,
        after_id: Option<&str>,
        limit: i64,
    ) -> RepoResult<Vec<(TenantId, String, String)>>;
    async fn clear_media(&self, tenant: TenantId, id: &str) -> RepoResult<()>;
}

/// A tenant's credentials for the WhatsApp Cloud API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppCredentials {
    pub phone_number_id: String,
    pub access_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Worth trying again later (timeouts, 5xx, 429).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Will not work by retrying (4xx, bad data).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// The Graph API.
#[async_trait]
pub trait WhatsAppClient: Send + Sync {
    async fn send_text(
        &self,
        credentials: &WhatsAppCredentials,
        to: &str,
        body: &str,
    ) -> Result<String, ProviderError>;
    async fn send_template(
        &self,
        credentials: &WhatsAppCredentials,
        to: &str,
        template: &str,
        language: &str,
        parameters: &[String],
    ) -> Result<String, ProviderError>;
    /// The media's bytes and type, through `GET /{media-id}` and the URL it answers.
    async fn download_media(
        &self,
        credentials: &WhatsAppCredentials,
        media_id: &str,
    ) -> Result<(Vec<u8>, String), ProviderError>;
}

#[async_trait]
pub trait TelegramClient: Send + Sync {
    async fn send_message(
        &self,
        bot_token: &str,
        chat_id: &str,
        text: &str,
    ) -> Result<(), ProviderError>;
}

/// A browser's push subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub id: String,
    pub endpoint: String,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's auth secret, base64url.
    pub auth: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Delivered,
    /// The push service says the subscription is gone (404/410): forget it.
    Gone,
}

#[async_trait]
pub trait PushClient: Send + Sync {
    /// Whether pushes may be sent to this subscription: usable keys, an https endpoint on
    /// public addresses only (no SSRF).
    async fn check_subscription(
        &self,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<(), comanda_domain::messaging::EndpointRejection>;
    /// The VAPID public key browsers subscribe with (`applicationServerKey`), base64url.
    fn public_key(&self) -> String;
    async fn send(
        &self,
        subscription: &PushSubscription,
        payload: &[u8],
    ) -> Result<PushOutcome, ProviderError>;
}

#[async_trait]
pub trait PushSubscriptionRepository: Send + Sync {
    /// Subscribes a browser; a user keeps at most `MAX_PUSH_SUBSCRIPTIONS_PER_USER`, the oldest
    /// giving way.
    async fn upsert(
        &self,
        tenant: TenantId,
        user: comanda_domain::UserId,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> RepoResult<PushSubscription>;
    /// `NotFound` unless the subscription is this user's.
    async fn remove(
        &self,
        tenant: TenantId,
        user: comanda_domain::UserId,
        endpoint: &str,
    ) -> RepoResult<()>;
    /// The subscriptions of the tenant's active users who may view `module` (owners; admins
    /// but for billing; others through a group granting `module:view`).
    async fn recipients(
        &self,
        tenant: TenantId,
        module: comanda_domain::tenancy::Module,
    ) -> RepoResult<Vec<PushSubscription>>;
    async fn for_user(
        &self,
        tenant: TenantId,
        user: comanda_domain::UserId,
    ) -> RepoResult<Vec<PushSubscription>>;
    async fn delete(&self, tenant: TenantId, id: &str) -> RepoResult<()>;
}

/// Browsers one staff account may subscribe (docs/operations.md#fairness-and-saturation).
pub const MAX_PUSH_SUBSCRIPTIONS_PER_USER: i64 = 10;

/// A lock only one instance holds at a time (PostgreSQL advisory lock).
#[async_trait]
pub trait SingletonLock: Send + Sync {
    /// Runs nothing: answers a guard when the lock was free, `None` when another holds it.
    async fn try_acquire(&self, name: &str) -> RepoResult<Option<Box<dyn LockGuard>>>;
}

#[async_trait]
pub trait LockGuard: Send {
    async fn release(self: Box<Self>);
}
