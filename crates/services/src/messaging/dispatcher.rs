//! The outbox dispatcher: claims due notifications (`FOR UPDATE SKIP LOCKED`, so any number of
//! instances can run it), sends each through its channel, retries temporary failures with
//! exponential backoff and gives up after `max_attempts`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use comanda_domain::messaging::{self, DeliveryStatus};
use comanda_domain::tenancy::Module;
use comanda_domain::{OrderId, TenantId};
use comanda_ports::config::ConfigRepository;
use comanda_ports::media::MediaStorage;
use comanda_ports::messaging::{
    ChatMessage, OutboundMessage, OutboxJob, OutboxRepository, ProviderError, PushClient,
    PushOutcome, PushSubscription, PushSubscriptionRepository, TelegramClient, WhatsAppClient,
    WhatsAppCredentials, WhatsAppRepository,
};
use comanda_ports::orders::{OrderDetail, OrderRepository};
use comanda_ports::{Clock, StoreRepository, TrackingTokens};
use serde_json::Value;

use super::Channels;
use crate::ServiceError;
use crate::payments::{PaymentService, RefundError};

/// Kinds of notification the dispatcher knows.
pub mod kinds {
    pub const ORDER_CONFIRMATION: &str = "whatsapp.order_confirmation";
    pub const ORDER_STATUS: &str = "whatsapp.order_status";
    pub const WHATSAPP_REPLY: &str = "whatsapp.reply";
    pub const WHATSAPP_MEDIA: &str = "whatsapp.download_media";
    pub const TELEGRAM_NEW_ORDER: &str = "telegram.new_order";
    pub const PUSH_NEW_ORDER: &str = "webpush.new_order";
    pub const PUSH_WHATSAPP_MESSAGE: &str = "webpush.whatsapp_message";
    /// Not a message: a cancelled order's PIX to give back through the provider.
    pub const PIX_REFUND: &str = "pix.refund";
}

/// When to try again, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included; then the job is dead.
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles after each one.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed try: `base * 2^(attempts-1)`, capped.
    pub fn delay(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub claimed: usize,
    pub sent: usize,
    pub skipped: usize,
    pub retried: usize,
    pub dead: usize,
    /// Jobs whose outcome could not be recorded (the lease was lost, or the database failed):
    /// they are sent again once their lease ends.
    pub unsettled: usize,
}

/// How a pass runs its jobs (docs/operations.md#fairness-and-saturation): several at once, each under a deadline, so one
/// tenant's hanging endpoints delay the others by at most the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatchLimits {
    pub batch_size: i64,
    pub concurrency: usize,
    pub job_timeout: Duration,
}

impl Default for DispatchLimits {
    fn default() -> Self {
        Self {
            batch_size: 20,
            concurrency: 8,
            job_timeout: Duration::from_secs(15),
        }
    }
}

/// Pushes of one job sent at the same time.
const PUSH_CONCURRENCY: usize = 16;

/// How one job ended.
enum Outcome {
    Sent,
    Skipped,
    Retried,
    Dead,
    Unsettled,
}

enum Delivered {
    Sent,
    /// Nothing to send it with (the channel is not configured for the tenant).
    Skipped(String),
}

enum Failure {
    Temporary(String),
    Permanent(String),
}

impl From<ProviderError> for Failure {
    fn from(error: ProviderError) -> Self {
        match error {
            ProviderError::Temporary(detail) => Self::Temporary(detail),
            ProviderError::Permanent(detail) => Self::Permanent(detail),
        }
    }
}

impl From<ServiceError> for Failure {
    fn from(error: ServiceError) -> Self {
        // Our own storage or database failing is worth another try.
        Self::Temporary(error.to_string())
    }
}

impl From<comanda_ports::RepoError> for Failure {
    fn from(error: comanda_ports::RepoError) -> Self {
        Self::Temporary(error.to_string())
    }
}

/// Everything the dispatcher sends with.
#[derive(Clone)]
pub struct DispatcherPorts {
    pub outbox: Arc<dyn OutboxRepository>,
    pub orders: Arc<dyn OrderRepository>,
    pub stores: Arc<dyn StoreRepository>,
    pub configs: Arc<dyn ConfigRepository>,
    pub conversations: Arc<dyn WhatsAppRepository>,
    pub subscriptions: Arc<dyn PushSubscriptionRepository>,
    pub whatsapp: Arc<dyn WhatsAppClient>,
    pub telegram: Arc<dyn TelegramClient>,
    /// `None` without VAPID keys: pushes are skipped.
    pub push: Option<Arc<dyn PushClient>>,
    pub storage: Arc<dyn MediaStorage>,
    pub tracking: Arc<dyn TrackingTokens>,
    pub clock: Arc<dyn Clock>,
    /// Refunds of PIX orders (`pix.refund`).
    pub payments: Option<PaymentService>,
}

#[derive(Clone)]
pub struct OutboxDispatcher {
    ports: DispatcherPorts,
    channels: Channels,
    retry: RetryPolicy,
    limits: DispatchLimits,
    /// How long a claimed job stays hidden from other dispatchers: well past the job deadline,
    /// so a job is never claimed twice while it runs.
    lease: Duration,
    /// Language of the approved templates (`pt_BR`).
    template_language: String,
}

fn text_field<'a>(payload: &'a Value, name: &str) -> Result<&'a str, Failure> {
    payload
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::Permanent(format!("the job has no `{name}`")))
}

impl OutboxDispatcher {
    /// A refund is done once the provider says so; while it processes, the job is retried.
    async fn pix_refund(&self, job: &OutboxJob) -> Result<Delivered, Failure> {
        let Some(payments) = &self.ports.payments else {
            return Ok(Delivered::Skipped("PIX payments are not wired".into()));
        };
        let order = text_field(&job.payload, "order_id")?
            .parse::<OrderId>()
            .map_err(|_| Failure::Permanent("the job's order_id is not an id".into()))?;
        match payments.refund(job.tenant_id, order).await {
            Ok(true) => Ok(Delivered::Sent),
            Ok(false) => Err(Failure::Temporary(
                "the provider is still processing the refund".into(),
            )),
            Err(RefundError::Temporary(error)) => Err(Failure::Temporary(error.to_string())),
            Err(RefundError::Permanent(error)) => Err(Failure::Permanent(error)),
        }
    }

    pub fn new(
        ports: DispatcherPorts,
        channels: Channels,
        retry: RetryPolicy,
        limits: DispatchLimits,
    ) -> Self {
        let limits = DispatchLimits {
            batch_size: limits.batch_size.max(1),
            concurrency: limits.concurrency.max(1),
            job_timeout: limits.job_timeout,
        };
        Self {
            ports,
            channels,
            retry,
            limits,
            lease: Duration::from_secs(300).max(limits.job_timeout.saturating_mul(4)),
            template_language: "pt_BR".into(),
        }
    }

    pub fn limits(&self) -> DispatchLimits {
        self.limits
    }

    /// Jobs waiting and given up on, across tenants (`/metrics`).
    pub async fn depth(&self) -> Result<comanda_ports::messaging::OutboxDepth, ServiceError> {
        Ok(self.ports.outbox.depth().await?)
    }

    /// Sends every job due now, up to the batch size, `concurrency` at a time, each under the
    /// job deadline; answers what happened. One job failing (even to record its outcome)
    /// never stops the others.
    pub async fn run_once(&self) -> Result<DispatchReport, ServiceError> {
        use futures_util::StreamExt;
        let jobs = self
            .ports
            .outbox
            .claim(self.limits.batch_size, self.lease)
            .await?;
        let mut report = DispatchReport {
            claimed: jobs.len(),
            ..DispatchReport::default()
        };
        let mut waiting = jobs.into_iter();
        let mut running = futures_util::stream::FuturesUnordered::new();
        for job in waiting.by_ref().take(self.limits.concurrency) {
            running.push(self.run_job(job));
        }
        while let Some(outcome) = running.next().await {
            if let Some(job) = waiting.next() {
                running.push(self.run_job(job));
            }
            match outcome {
                Outcome::Sent => report.sent += 1,
                Outcome::Skipped => report.skipped += 1,
                Outcome::Retried => report.retried += 1,
                Outcome::Dead => report.dead += 1,
                Outcome::Unsettled => report.unsettled += 1,
            }
        }
        Ok(report)
    }

    /// One job, start to recorded outcome.
    async fn run_job(&self, job: OutboxJob) -> Outcome {
        let job = &job;
        let delivered = match tokio::time::timeout(self.limits.job_timeout, self.deliver(job)).await
        {
            Ok(delivered) => delivered,
            Err(_) => Err(Failure::Temporary(format!(
                "did not finish within {} s",
                self.limits.job_timeout.as_secs()
            ))),
        };
        let outbox = &self.ports.outbox;
        let (recorded, outcome) = match delivered {
            Ok(Delivered::Sent) => (outbox.mark_sent(job).await, Outcome::Sent),
            Ok(Delivered::Skipped(reason)) => {
                tracing::info!(job = %job.id, kind = %job.kind, %reason, "notification skipped");
                (outbox.mark_skipped(job, &reason).await, Outcome::Skipped)
            }
            Err(Failure::Temporary(error)) if job.attempts < self.retry.max_attempts => {
                let delay = self.retry.delay(job.attempts);
                tracing::warn!(job = %job.id, tenant = %job.tenant_id, kind = %job.kind, attempts = job.attempts, ?delay, %error, "notification failed, will retry");
                (
                    outbox.retry_later(job, delay, &error).await,
                    Outcome::Retried,
                )
            }
            Err(Failure::Temporary(error) | Failure::Permanent(error)) => {
                tracing::error!(job = %job.id, tenant = %job.tenant_id, kind = %job.kind, attempts = job.attempts, %error, "notification dead");
                (outbox.mark_dead(job, &error).await, Outcome::Dead)
            }
        };
        match recorded {
            Ok(true) => outcome,
            Ok(false) => {
                tracing::warn!(job = %job.id, kind = %job.kind, "the job's lease was lost: its outcome is not recorded");
                Outcome::Unsettled
            }
            Err(error) => {
                tracing::warn!(job = %job.id, kind = %job.kind, %error, "could not record the job's outcome");
                Outcome::Unsettled
            }
        }
    }

    async fn deliver(&self, job: &OutboxJob) -> Result<Delivered, Failure> {
        match job.kind.as_str() {
            kinds::ORDER_CONFIRMATION => self.order_message(job, "order_confirmation").await,
            kinds::ORDER_STATUS => {
                let status = text_field(&job.payload, "status")?;
                self.order_message(job, &format!("order_{status}")).await
            }
            kinds::WHATSAPP_REPLY => self.reply(job).await,
            kinds::WHATSAPP_MEDIA => self.download_media(job).await,
            kinds::TELEGRAM_NEW_ORDER => self.telegram_new_order(job).await,
            kinds::PIX_REFUND => self.pix_refund(job).await,
            kinds::PUSH_NEW_ORDER => {
                let order = self.order(job).await?;
                let payload = serde_json::json!({
                    "type": "new_order",
                    "title": format!("Novo pedido #{}", order.number),
                    "body": format!("{} · {} · {}", order.store_name, order.customer.name, messaging::format_brl(order.total_cents)),
                    "order_id": order.id.to_string(),
                    "url": format!("/admin/orders/{}", order.id),
                });
                self.push_to_staff(job.tenant_id, Module::Orders, &payload)
                    .await
            }
            kinds::PUSH_WHATSAPP_MESSAGE => {
                let message = self.message(job).await?;
                let conversation = self
                    .ports
                    .conversations
                    .conversation(job.tenant_id, &message.conversation_id)
                    .await?
                    .ok_or_else(|| {
                        Failure::Permanent("the conversation no longer exists".into())
                    })?;
                let sender = if conversation.customer_name.is_empty() {
                    conversation.customer_phone.clone()
                } else {
                    conversation.customer_name.clone()
                };
                let preview: String = if message.body.is_empty() {
                    format!("[{}]", message.kind)
                } else {
                    message.body.chars().take(120).collect()
                };
                let payload = serde_json::json!({
                    "type": "whatsapp_message",
                    "title": format!("WhatsApp: {sender}"),
                    "body": preview,
                    "conversation_id": conversation.id,
                    "url": format!("/admin/whatsapp/conversations/{}", conversation.id),
                });
                self.push_to_staff(job.tenant_id, Module::Whatsapp, &payload)
                    .await
            }
            other => Err(Failure::Permanent(format!(
                "unknown notification kind `{other}`"
            ))),
        }
    }

    async fn order(&self, job: &OutboxJob) -> Result<OrderDetail, Failure> {
        let id: OrderId = text_field(&job.payload, "order_id")?
            .parse()
            .map_err(|_| Failure::Permanent("the job's order_id is not an id".into()))?;
        self.ports
            .orders
            .find(job.tenant_id, id)
            .await?
            .ok_or_else(|| Failure::Permanent("the order no longer exists".into()))
    }

    async fn message(&self, job: &OutboxJob) -> Result<ChatMessage, Failure> {
        let id = text_field(&job.payload, "message_id")?;
        self.ports
            .conversations
            .message(job.tenant_id, id)
            .await?
            .ok_or_else(|| Failure::Permanent("the message no longer exists".into()))
    }

    async fn whatsapp_credentials(
        &self,
        tenant: TenantId,
    ) -> Result<Option<WhatsAppCredentials>, Failure> {
        Ok(self.channels.whatsapp(tenant).await?)
    }

    async fn window_open(&self, tenant: TenantId, phone: &str) -> Result<bool, Failure> {
        let conversation = self
            .ports
            .conversations
            .conversation_by_phone(tenant, phone)
            .await?;
        Ok(messaging::window_open(
            conversation.and_then(|c| c.last_inbound_at),
            self.ports.clock.now(),
        ))
    }

    /// Marks the recorded message with how its sending went.
    async fn settle(
        &self,
        tenant: TenantId,
        message_id: &str,
        result: Result<String, ProviderError>,
    ) -> Result<Delivered, Failure> {
        let conversations = &self.ports.conversations;
        match result {
            Ok(wa_message_id) => {
                conversations
                    .mark_outbound(
                        tenant,
                        message_id,
                        Some(&wa_message_id),
                        DeliveryStatus::Sent,
                        None,
                    )
                    .await?;
                Ok(Delivered::Sent)
            }
            Err(ProviderError::Permanent(error)) => {
                conversations
                    .mark_outbound(
                        tenant,
                        message_id,
                        None,
                        DeliveryStatus::Failed,
                        Some(&error),
                    )
                    .await?;
                Err(Failure::Permanent(error))
            }
            // Stays pending: the next try sends it.
            Err(error) => Err(error.into()),
        }
    }

    /// Order confirmation and status messages: free text inside the customer's 24-hour
    /// window, the approved template of the same name outside it.
    async fn order_message(&self, job: &OutboxJob, name: &str) -> Result<Delivered, Failure> {
        let tenant = job.tenant_id;
        let Some(credentials) = self.whatsapp_credentials(tenant).await? else {
            return Ok(Delivered::Skipped("WhatsApp is not configured".into()));
        };
        let order = self.order(job).await?;
        if comanda_domain::privacy::is_erased_phone(&order.customer.phone) {
            // Erased while the job waited: there is no phone to write to, and no conversation
            // may be opened under the placeholder.
            return Ok(Delivered::Skipped("the customer's data was erased".into()));
        }
        let config = self.ports.configs.get(tenant).await?;
        let Some(template) = config
            .message_templates
            .get(name)
            .map(String::as_str)
            .or_else(|| messaging::default_template(name))
        else {
            return Ok(Delivered::Skipped(format!("no message for `{name}`")));
        };
        let values = BTreeMap::from([
            ("customer", order.customer.name.clone()),
            ("number", order.number.to_string()),
            ("store", order.store_name.clone()),
            ("total", messaging::format_brl(order.total_cents)),
            ("status", order.status.as_str().to_owned()),
            ("reason", order.cancel_reason.clone().unwrap_or_default()),
            ("order_id", order.id.to_string()),
            ("tracking_token", self.ports.tracking.token_for(order.id)),
        ]);
        let text = messaging::render(template, &values).trim().to_owned();
        let phone = order.customer.phone.clone();
        let in_window = self.window_open(tenant, &phone).await?;
        // The job's id names the message: a retry finds what an earlier try recorded.
        let recorded = self
            .ports
            .conversations
            .record_outbound(
                tenant,
                &OutboundMessage {
                    id: job.id.clone(),
                    customer_phone: phone.clone(),
                    kind: if in_window { "text" } else { "template" }.into(),
                    body: text.clone(),
                    template_name: (!in_window).then(|| name.to_owned()),
                    sent_by: None,
                },
                None,
                None,
            )
            .await?;
        if recorded.status != DeliveryStatus::Pending {
            return Ok(Delivered::Sent);
        }
        let to = phone.trim_start_matches('+');
        let result = if recorded.template_name.is_none() {
            self.ports
                .whatsapp
                .send_text(&credentials, to, &recorded.body)
                .await
        } else {
            let parameters: Vec<String> = template_parameters(name)
                .iter()
                .map(|key| values.get(key).cloned().unwrap_or_default())
                .collect();
            self.ports
                .whatsapp
                .send_template(&credentials, to, name, &self.template_language, &parameters)
                .await
        };
        self.settle(tenant, &recorded.id, result).await
    }

    /// A message staff wrote in the portal.
    async fn reply(&self, job: &OutboxJob) -> Result<Delivered, Failure> {
        let tenant = job.tenant_id;
        let message = self.message(job).await?;
        if message.status != DeliveryStatus::Pending {
            return Ok(Delivered::Sent);
        }
        let Some(credentials) = self.whatsapp_credentials(tenant).await? else {
            let reason = "WhatsApp is not configured";
            self.ports
                .conversations
                .mark_outbound(
                    tenant,
                    &message.id,
                    None,
                    DeliveryStatus::Failed,
                    Some(reason),
                )
                .await?;
            return Ok(Delivered::Skipped(reason.into()));
        };
        let conversation = self
            .ports
            .conversations
            .conversation(tenant, &message.conversation_id)
            .await?
            .ok_or_else(|| Failure::Permanent("the conversation no longer exists".into()))?;
        let to = conversation.customer_phone.trim_start_matches('+');
        let result = match &message.template_name {
            Some(template) => {
                let language = job
                    .payload
                    .get("language")
                    .and_then(Value::as_str)
                    .unwrap_or(&self.template_language);
                let parameters: Vec<String> = job
                    .payload
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|values| {
                        values
                            .iter()
                            .filter_map(|value| value.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                self.ports
                    .whatsapp
                    .send_template(&credentials, to, template, language, &parameters)
                    .await
            }
            None => {
                let open =
                    messaging::window_open(conversation.last_inbound_at, self.ports.clock.now());
                if open {
                    self.ports
                        .whatsapp
                        .send_text(&credentials, to, &message.body)
                        .await
                } else {
                    Err(ProviderError::Permanent(
                        "the customer's 24-hour window closed before the message was sent".into(),
                    ))
                }
            }
        };
        self.settle(tenant, &message.id, result).await
    }

    /// Fetches an inbound message's media through the Graph media URL into storage.
    async fn download_media(&self, job: &OutboxJob) -> Result<Delivered, Failure> {
        let tenant = job.tenant_id;
        let message = self.message(job).await?;
        if message.media_key.is_some() {
            return Ok(Delivered::Sent);
        }
        let Some(media_id) = message.media_id.as_deref() else {
            return Err(Failure::Permanent("the message has no media".into()));
        };
        let Some(credentials) = self.whatsapp_credentials(tenant).await? else {
            return Ok(Delivered::Skipped("WhatsApp is not configured".into()));
        };
        let (bytes, mime) = self
            .ports
            .whatsapp
            .download_media(&credentials, media_id)
            .await?;
        // No extension: `/media` never serves it; staff read it through the portal.
        let key = format!("{tenant}/whatsapp/{}", uuid::Uuid::now_v7().simple());
        self.ports
            .storage
            .put(&key, bytes, &mime)
            .await
            .map_err(|error| Failure::Temporary(error.to_string()))?;
        self.ports
            .conversations
            .set_media(tenant, &message.id, &key, &mime)
            .await?;
        Ok(Delivered::Sent)
    }

    async fn telegram_new_order(&self, job: &OutboxJob) -> Result<Delivered, Failure> {
        let tenant = job.tenant_id;
        let order = self.order(job).await?;
        let store = self.ports.stores.find(tenant, order.store_id).await?;
        let Some(chat_id) = store.and_then(|store| store.telegram_chat_id) else {
            return Ok(Delivered::Skipped("the store has no Telegram chat".into()));
        };
        let Some(token) = self.channels.telegram_token(tenant).await? else {
            return Ok(Delivered::Skipped("Telegram is not configured".into()));
        };
        self.ports
            .telegram
            .send_message(&token, &chat_id, &new_order_text(&order))
            .await?;
        Ok(Delivered::Sent)
    }

    /// Pushes to the browsers of the tenant's active staff who may view `module`, all at
    /// once (under the job's deadline); the ones the push service says are gone are forgotten.
    /// Retried only when no browser could be reached for a temporary reason.
    async fn push_to_staff(
        &self,
        tenant: TenantId,
        module: Module,
        payload: &Value,
    ) -> Result<Delivered, Failure> {
        use futures_util::StreamExt;
        let Some(push) = &self.ports.push else {
            return Ok(Delivered::Skipped("Web Push is not configured".into()));
        };
        if !self.channels.module_enabled(tenant, module).await? {
            return Ok(Delivered::Skipped(format!(
                "the tenant has no `{}` module",
                module.as_str()
            )));
        }
        let subscriptions = self.ports.subscriptions.recipients(tenant, module).await?;
        if subscriptions.is_empty() {
            return Ok(Delivered::Skipped("no browser is subscribed".into()));
        }
        let body = payload.to_string().into_bytes();
        let mut waiting = subscriptions.iter();
        let mut sending = futures_util::stream::FuturesUnordered::new();
        for subscription in waiting.by_ref().take(PUSH_CONCURRENCY) {
            sending.push(send_push(push.as_ref(), subscription, &body));
        }
        let (mut delivered, mut temporary) = (0usize, None);
        while let Some((subscription, result)) = sending.next().await {
            if let Some(next) = waiting.next() {
                sending.push(send_push(push.as_ref(), next, &body));
            }
            match result {
                Ok(PushOutcome::Delivered) => delivered += 1,
                Ok(PushOutcome::Gone) => {
                    tracing::info!(subscription = %subscription.id, "push subscription gone, removed");
                    self.ports
                        .subscriptions
                        .delete(tenant, &subscription.id)
                        .await?;
                }
                Err(ProviderError::Temporary(error)) => temporary = Some(error),
                Err(ProviderError::Permanent(error)) => {
                    tracing::warn!(subscription = %subscription.id, %error, "push refused");
                }
            }
        }
        match temporary {
            Some(error) if delivered == 0 => Err(Failure::Temporary(error)),
            _ => Ok(Delivered::Sent),
        }
    }
}

/// One push, with the subscription it went to.
async fn send_push<'a>(
    push: &dyn PushClient,
    subscription: &'a PushSubscription,
    body: &[u8],
) -> (&'a PushSubscription, Result<PushOutcome, ProviderError>) {
    (subscription, push.send(subscription, body).await)
}

/// The order in which each approved template takes its body parameters.
fn template_parameters(name: &str) -> &'static [&'static str] {
    match name {
        "order_confirmation" => &["customer", "number", "store", "total"],
        "order_canceled" => &["number", "reason"],
        _ => &["number"],
    }
}

/// The store chat's message about a new order.
fn new_order_text(order: &OrderDetail) -> String {
    let mut text = format!(
        "Novo pedido #{} — {}\nCliente: {} ({})\n",
        order.number, order.store_name, order.customer.name, order.customer.phone
    );
    for item in &order.items {
        text.push_str(&format!("• {}x {}\n", item.quantity, item.name));
    }
    text.push_str(&format!(
        "Total: {} ({})",
        messaging::format_brl(order.total_cents),
        order.fulfillment.as_str()
    ));
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::RetryPolicy;

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
        };
        assert_eq!(policy.delay(1), Duration::from_secs(10));
        assert_eq!(policy.delay(2), Duration::from_secs(20));
        assert_eq!(policy.delay(3), Duration::from_secs(40));
        assert_eq!(policy.delay(4), Duration::from_secs(60));
        assert_eq!(policy.delay(400), Duration::from_secs(60));
        assert_eq!(policy.delay(0), Duration::from_secs(10));
    }
}
