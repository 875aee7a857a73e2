//! In-memory fakes of the ports, for unit tests of the services.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::messaging::DeliveryStatus;
use comanda_domain::opening_hours::{OpeningHours, TimeRange};
use comanda_domain::orders::{Fulfillment, OrderStatus, PaymentMethod};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::phone::Phone;
use comanda_domain::store::{Address, DEFAULT_TIME_ZONE, NewStore, Store};
use comanda_domain::tenancy::{
    Module, SubscriptionStatus, TenantRecord, TenantSelector, TenantSlug,
};
use comanda_domain::{CampaignId, CustomerId, OrderId, StoreId, TenantId, UserId};
use comanda_ports::central::{
    CentralRepository, Dashboard, MessagingConfig, TenantChanges, TenantFilter, TenantSummary,
};
use comanda_ports::config::{ConfigRepository, TenantConfig};
use comanda_ports::media::{MediaStorage, StorageError};
use comanda_ports::messaging::{
    ChatMessage, Conversation, FollowUp, InboundMessage, OutboundMessage, OutboxDepth, OutboxEntry,
    OutboxJob, OutboxRepository, ProviderError, PushSubscription, PushSubscriptionRepository,
    StoredInbound, TelegramClient, WhatsAppClient, WhatsAppCredentials, WhatsAppRepository,
};
use comanda_ports::orders::{
    IdempotencyKey, IdempotencyState, NewOrder, OrderCustomer, OrderDetail, OrderFilter, OrderItem,
    OrderRepository, OrderSummary, PlaceOrderError, TransitionError,
};
use comanda_ports::plans::Plan;
use comanda_ports::{
    Actor, Clock, NewOwnerInvite, NewTenant, RepoError, RepoResult, StoreChanges, StoreRepository,
    TenantRepository, TrackingTokens,
};
use serde_json::Value;

#[derive(Default)]
pub struct InMemoryTenants {
    rows: Mutex<Vec<TenantRecord>>,
}

impl InMemoryTenants {
    pub fn add(&self, slug: &str, status: SubscriptionStatus) -> TenantRecord {
        let record = TenantRecord {
            id: TenantId::generate(),
            slug: TenantSlug::parse(slug).expect("slug"),
            name: slug.to_owned(),
            subscription_status: status,
            enabled_modules: comanda_domain::tenancy::Module::ALL.into_iter().collect(),
            users_limit: 5,
            stores_limit: 2,
            version: 0,
        };
        self.rows.lock().expect("lock").push(record.clone());
        record
    }

    /// Changes a tenant as a writer would; `bump` moves its version as the database does.
    pub fn change(&self, slug: &str, bump: bool, change: impl FnOnce(&mut TenantRecord)) {
        let mut rows = self.rows.lock().expect("lock");
        let record = rows
            .iter_mut()
            .find(|t| t.slug.as_str() == slug)
            .expect("tenant");
        change(record);
        if bump {
            record.version += 1;
        }
    }
}

#[async_trait]
impl TenantRepository for InMemoryTenants {
    async fn find_by_id(&self, id: TenantId) -> RepoResult<Option<TenantRecord>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|t| t.id == id)
            .cloned())
    }

    async fn find_by_slug(&self, slug: &TenantSlug) -> RepoResult<Option<TenantRecord>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|t| &t.slug == slug)
            .cloned())
    }

    async fn current_version(
        &self,
        selector: &TenantSelector,
    ) -> RepoResult<Option<(TenantId, i64)>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|t| match selector {
                TenantSelector::Id(id) => t.id == *id,
                TenantSelector::Slug(slug) => &t.slug == slug,
            })
            .map(|t| (t.id, t.version)))
    }

    async fn create(&self, tenant: NewTenant) -> RepoResult<TenantRecord> {
        let mut rows = self.rows.lock().expect("lock");
        if rows.iter().any(|t| t.slug == tenant.slug) {
            return Err(RepoError::Conflict("tenant_slug".into()));
        }
        let record = TenantRecord {
            id: TenantId::generate(),
            slug: tenant.slug,
            name: tenant.name,
            subscription_status: tenant.subscription_status,
            enabled_modules: tenant.modules,
            users_limit: tenant.users_limit,
            stores_limit: tenant.stores_limit,
            version: 0,
        };
        rows.push(record.clone());
        Ok(record)
    }
}

#[derive(Default)]
pub struct InMemoryStores {
    rows: Mutex<Vec<Store>>,
}

impl InMemoryStores {
    pub fn insert(&self, tenant: TenantId, mut store: Store) {
        store.tenant_id = tenant;
        self.rows.lock().expect("lock").push(store);
    }
}

#[async_trait]
impl StoreRepository for InMemoryStores {
    async fn slot_bookings(
        &self,
        _tenant: TenantId,
        _store: StoreId,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> RepoResult<Vec<(DateTime<Utc>, i32)>> {
        Ok(Vec::new())
    }

    async fn list_active(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>> {
        let rows = self.rows.lock().expect("lock");
        let matching: Vec<Store> = rows
            .iter()
            .filter(|s| s.tenant_id == tenant && s.is_active)
            .cloned()
            .collect();
        let total = matching.len() as u64;
        let items = matching
            .into_iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .collect();
        Ok(Page { items, total })
    }

    async fn list_all(&self, tenant: TenantId, page: PageRequest) -> RepoResult<Page<Store>> {
        self.list_active(tenant, page).await
    }

    async fn find(&self, tenant: TenantId, id: StoreId) -> RepoResult<Option<Store>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|s| s.tenant_id == tenant && s.id == id)
            .cloned())
    }

    async fn create(
        &self,
        tenant: TenantId,
        new: NewStore,
        _limit: Option<i32>,
        _actor: &Actor,
    ) -> RepoResult<Store> {
        let mut store = sample_store(&new.name);
        store.tenant_id = tenant;
        store.opening_hours = new.opening_hours;
        self.rows.lock().expect("lock").push(store.clone());
        Ok(store)
    }

    async fn update(
        &self,
        _tenant: TenantId,
        _id: StoreId,
        _changes: StoreChanges,
        _limit: Option<i32>,
        _actor: &Actor,
    ) -> RepoResult<Store> {
        Err(RepoError::Internal("not used by these tests".into()))
    }
}

pub fn sample_store(name: &str) -> Store {
    Store {
        id: StoreId::generate(),
        tenant_id: TenantId::generate(),
        name: name.to_owned(),
        phone: None,
        address: Address::default(),
        latitude: None,
        longitude: None,
        time_zone: DEFAULT_TIME_ZONE,
        opening_hours: OpeningHours::every_day(vec![
            TimeRange::new("10:00", "22:00").expect("range"),
        ])
        .expect("week"),
        is_active: true,
        manually_closed: false,
        delivery_enabled: true,
        pickup_enabled: true,
        accepts_preorders: false,
        telegram_chat_id: None,
        image_url: None,
        free_shipping_above_cents: None,
        hide_unavailable_items: false,
        paused_until: None,
        pause_reason: None,
        extra_preparation_minutes: 0,
        closures: Vec::new(),
        scheduling: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

// The outbox dispatcher's ports: an outbox that records how each job ended, orders and
// messaging settings by tenant, a Telegram bot that answers as told, and the ports a Telegram
// job never reaches.

/// How the dispatcher completed a job in an `InMemoryOutbox`.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    Sent,
    Skipped(String),
    RetryLater { after: Duration, error: String },
    Dead(String),
}

/// An outbox in memory: `claim` hands out the queued jobs (each claim one more attempt, under
/// a new lease); a completion is written only by the lease's holder. It keeps no clock, so a
/// job retried later is recorded, not queued again.
#[derive(Default)]
pub struct InMemoryOutbox {
    due: Mutex<Vec<OutboxJob>>,
    /// The lease each claimed job is held under.
    leases: Mutex<HashMap<String, String>>,
    /// Jobs another dispatcher claims as soon as their lease is handed out.
    lost: Mutex<Vec<String>>,
    /// Jobs whose completion the database fails to write.
    failing: Mutex<Vec<String>>,
    settled: Mutex<Vec<(OutboxJob, Settled)>>,
}

impl InMemoryOutbox {
    /// Queues a job already tried `tried` times: its next claim is attempt `tried + 1`.
    pub fn queue(&self, tenant: TenantId, kind: &str, payload: Value, tried: i32) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        self.due.lock().expect("lock").push(OutboxJob {
            id: id.clone(),
            tenant_id: tenant,
            kind: kind.to_owned(),
            payload,
            attempts: tried,
            lease: String::new(),
        });
        id
    }

    /// Once claimed, the job's lease runs out and another dispatcher claims it: this claim's
    /// completion finds the lease gone.
    pub fn lose_lease(&self, job: &str) {
        self.lost.lock().expect("lock").push(job.to_owned());
    }

    /// Writing the job's completion fails (the database is down).
    pub fn fail_writes_for(&self, job: &str) {
        self.failing.lock().expect("lock").push(job.to_owned());
    }

    /// Every completion written, in order, with the job as the dispatcher handed it over.
    pub fn settled(&self) -> Vec<(OutboxJob, Settled)> {
        self.settled.lock().expect("lock").clone()
    }

    /// How the job ended, if that was written.
    pub fn outcome(&self, job: &str) -> Option<Settled> {
        self.settled()
            .into_iter()
            .find(|(settled, _)| settled.id == job)
            .map(|(_, outcome)| outcome)
    }

    fn complete(&self, job: &OutboxJob, outcome: Settled) -> RepoResult<bool> {
        if self.failing.lock().expect("lock").contains(&job.id) {
            return Err(RepoError::Unavailable(
                "the outbox cannot be written".into(),
            ));
        }
        let holds_lease = self
            .leases
            .lock()
            .expect("lock")
            .get(&job.id)
            .is_some_and(|lease| *lease == job.lease);
        if holds_lease {
            self.settled
                .lock()
                .expect("lock")
                .push((job.clone(), outcome));
        }
        Ok(holds_lease)
    }
}

#[async_trait]
impl OutboxRepository for InMemoryOutbox {
    async fn claim(&self, limit: i64, _lease: Duration) -> RepoResult<Vec<OutboxJob>> {
        let mut due = self.due.lock().expect("lock");
        let count = usize::try_from(limit).unwrap_or(0).min(due.len());
        let claimed: Vec<OutboxJob> = due
            .drain(..count)
            .map(|mut job| {
                job.attempts += 1;
                job.lease = uuid::Uuid::now_v7().to_string();
                job
            })
            .collect();
        let lost = self.lost.lock().expect("lock");
        let mut leases = self.leases.lock().expect("lock");
        for job in &claimed {
            let holder = if lost.contains(&job.id) {
                "another dispatcher's lease".to_owned()
            } else {
                job.lease.clone()
            };
            leases.insert(job.id.clone(), holder);
        }
        Ok(claimed)
    }

    async fn mark_sent(&self, job: &OutboxJob) -> RepoResult<bool> {
        self.complete(job, Settled::Sent)
    }

    async fn mark_skipped(&self, job: &OutboxJob, reason: &str) -> RepoResult<bool> {
        self.complete(job, Settled::Skipped(reason.to_owned()))
    }

    async fn retry_later(&self, job: &OutboxJob, after: Duration, error: &str) -> RepoResult<bool> {
        self.complete(
            job,
            Settled::RetryLater {
                after,
                error: error.to_owned(),
            },
        )
    }

    async fn mark_dead(&self, job: &OutboxJob, error: &str) -> RepoResult<bool> {
        self.complete(job, Settled::Dead(error.to_owned()))
    }

    async fn purge_finished(&self, _before: DateTime<Utc>, _limit: i64) -> RepoResult<u64> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn requeue(&self, _tenant: TenantId, _id: &str) -> RepoResult<()> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn list(
        &self,
        _tenant: TenantId,
        _status: Option<&str>,
        _page: PageRequest,
    ) -> RepoResult<Page<OutboxEntry>> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn depth(&self) -> RepoResult<OutboxDepth> {
        Err(RepoError::Internal("not used by these tests".into()))
    }
}

/// Placed orders, found by tenant and id.
#[derive(Default)]
pub struct InMemoryOrders {
    rows: Mutex<Vec<OrderDetail>>,
}

impl InMemoryOrders {
    pub fn insert(&self, order: OrderDetail) {
        self.rows.lock().expect("lock").push(order);
    }
}

#[async_trait]
impl OrderRepository for InMemoryOrders {
    async fn place(&self, _order: NewOrder) -> Result<OrderDetail, PlaceOrderError> {
        Err(RepoError::Internal("not used by these tests".into()).into())
    }

    async fn find(&self, tenant: TenantId, id: OrderId) -> RepoResult<Option<OrderDetail>> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .iter()
            .find(|order| order.tenant_id == tenant && order.id == id)
            .cloned())
    }

    async fn list(
        &self,
        _tenant: TenantId,
        _filter: &OrderFilter,
        _page: PageRequest,
    ) -> RepoResult<Page<OrderSummary>> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn transition(
        &self,
        _tenant: TenantId,
        _id: OrderId,
        _to: OrderStatus,
        _reason: Option<String>,
        _notifications: &[&'static str],
        _actor: &Actor,
    ) -> Result<OrderDetail, TransitionError> {
        Err(RepoError::Internal("not used by these tests".into()).into())
    }

    async fn campaign_uses(
        &self,
        _tenant: TenantId,
        _phone: &Phone,
    ) -> RepoResult<HashMap<CampaignId, i32>> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn idempotency(
        &self,
        _tenant: TenantId,
        _key: &IdempotencyKey,
    ) -> RepoResult<IdempotencyState> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn purge_idempotency(&self, _before: DateTime<Utc>) -> RepoResult<u64> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn events_after(
        &self,
        _tenant: TenantId,
        _after: i64,
        _limit: i64,
    ) -> RepoResult<Vec<comanda_ports::orders::OrderEvent>> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn last_event_id(&self, _tenant: TenantId) -> RepoResult<i64> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn desks_present(&self, _tenants: &[TenantId], _until: DateTime<Utc>) -> RepoResult<()> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn purge_events(&self, _before: DateTime<Utc>) -> RepoResult<u64> {
        Err(RepoError::Internal("not used by these tests".into()))
    }
}

/// A pending delivery order for one pizza, placed at `store`.
pub fn sample_order(store: &Store, number: i64) -> OrderDetail {
    OrderDetail {
        id: OrderId::generate(),
        number,
        tenant_id: store.tenant_id,
        store_id: store.id,
        store_name: store.name.clone(),
        status: OrderStatus::Pending,
        fulfillment: Fulfillment::Delivery,
        customer: OrderCustomer {
            id: CustomerId::generate(),
            name: "Ana Cliente".into(),
            phone: "+5511987654321".into(),
        },
        items: vec![OrderItem {
            product_id: None,
            name: "Pizza".into(),
            quantity: 1,
            unit_price_cents: 5000,
            line_total_cents: 5000,
            notes: String::new(),
            addons: Vec::new(),
        }],
        subtotal_cents: 5000,
        discount_cents: 0,
        shipping_fee_cents: 500,
        total_cents: 5500,
        payment_method: PaymentMethod::Pix,
        payment_status: "on_delivery".into(),
        pix: None,
        change_for_cents: None,
        delivery: None,
        scheduled_for: None,
        campaign_ids: Vec::new(),
        cancel_reason: None,
        history: Vec::new(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

/// The central admin's store of tenants' messaging settings; nothing else of it.
#[derive(Default)]
pub struct InMemoryMessagingSettings {
    rows: Mutex<HashMap<TenantId, MessagingConfig>>,
}

#[async_trait]
impl CentralRepository for InMemoryMessagingSettings {
    async fn list(
        &self,
        _filter: &TenantFilter,
        _page: PageRequest,
    ) -> RepoResult<Page<TenantSummary>> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn find(&self, _id: TenantId) -> RepoResult<Option<TenantSummary>> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn create(
        &self,
        _slug: TenantSlug,
        _name: String,
        _status: SubscriptionStatus,
        _plan: Option<&Plan>,
        _owner: Option<&NewOwnerInvite>,
        _actor: &Actor,
    ) -> RepoResult<TenantSummary> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn invite_owner(
        &self,
        _id: TenantId,
        _invite: &NewOwnerInvite,
        _actor: &Actor,
    ) -> RepoResult<()> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn update(
        &self,
        _id: TenantId,
        _changes: TenantChanges,
        _actor: &Actor,
    ) -> RepoResult<TenantSummary> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn set_modules(
        &self,
        _id: TenantId,
        _modules: &BTreeSet<Module>,
        _actor: &Actor,
    ) -> RepoResult<TenantSummary> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    async fn assign_plan(
        &self,
        _id: TenantId,
        _plan: &Plan,
        _actor: &Actor,
    ) -> RepoResult<TenantSummary> {
        Err(RepoError::Internal("not used by these tests".into()))
    }

    /// The defaults (nothing of its own) until the tenant's are set.
    async fn messaging(&self, id: TenantId) -> RepoResult<MessagingConfig> {
        Ok(self
            .rows
            .lock()
            .expect("lock")
            .get(&id)
            .cloned()
            .unwrap_or_default())
    }

    async fn set_messaging(
        &self,
        id: TenantId,
        config: MessagingConfig,
        _actor: &Actor,
    ) -> RepoResult<MessagingConfig> {
        self.rows.lock().expect("lock").insert(id, config.clone());
        Ok(config)
    }

    async fn dashboard(&self) -> RepoResult<Dashboard> {
        Err(RepoError::Internal("not used by these tests".into()))
    }
}

/// How `FakeTelegram` answers a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramAnswer {
    Delivered,
    Temporary(String),
    Permanent(String),
    /// Never answers (a hanging connection): only a deadline ends the call.
    Never,
}

/// A Telegram bot that answers each chat as told (delivered unless told otherwise) and
/// remembers every message asked of it.
#[derive(Default)]
pub struct FakeTelegram {
    answers: Mutex<HashMap<String, TelegramAnswer>>,
    sent: Mutex<Vec<(String, String, String)>>,
}

impl FakeTelegram {
    pub fn answer(&self, chat_id: &str, answer: TelegramAnswer) {
        self.answers
            .lock()
            .expect("lock")
            .insert(chat_id.to_owned(), answer);
    }

    /// The bot token, chat and text of each message asked for, answered or not.
    pub fn sent(&self) -> Vec<(String, String, String)> {
        self.sent.lock().expect("lock").clone()
    }
}

#[async_trait]
impl TelegramClient for FakeTelegram {
    async fn send_message(
        &self,
        bot_token: &str,
        chat_id: &str,
        text: &str,
    ) -> Result<(), ProviderError> {
        self.sent.lock().expect("lock").push((
            bot_token.to_owned(),
            chat_id.to_owned(),
            text.to_owned(),
        ));
        let answer = self
            .answers
            .lock()
            .expect("lock")
            .get(chat_id)
            .cloned()
            .unwrap_or(TelegramAnswer::Delivered);
        match answer {
            TelegramAnswer::Delivered => Ok(()),
            TelegramAnswer::Temporary(detail) => Err(ProviderError::Temporary(detail)),
            TelegramAnswer::Permanent(detail) => Err(ProviderError::Permanent(detail)),
            TelegramAnswer::Never => std::future::pending().await,
        }
    }
}

/// The ports a Telegram job never reaches (WhatsApp, Web Push, storage, settings, tracking
/// links): any call is a test failure.
pub struct NotReached;

fn not_reached(port: &str) -> ! {
    panic!("a Telegram job reached {port}")
}

impl TrackingTokens for NotReached {
    fn token_for(&self, _order: OrderId) -> String {
        not_reached("TrackingTokens::token_for")
    }

    fn verify(&self, _order: OrderId, _token: &str) -> bool {
        not_reached("TrackingTokens::verify")
    }
}

#[async_trait]
impl ConfigRepository for NotReached {
    async fn get(&self, _tenant: TenantId) -> RepoResult<TenantConfig> {
        not_reached("ConfigRepository::get")
    }

    async fn put(
        &self,
        _tenant: TenantId,
        _config: TenantConfig,
        _actor: &Actor,
    ) -> RepoResult<TenantConfig> {
        not_reached("ConfigRepository::put")
    }
}

#[async_trait]
impl MediaStorage for NotReached {
    async fn put(
        &self,
        _key: &str,
        _bytes: Vec<u8>,
        _content_type: &str,
    ) -> Result<String, StorageError> {
        not_reached("MediaStorage::put")
    }

    async fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        not_reached("MediaStorage::get")
    }

    async fn delete(&self, _key: &str) -> Result<(), StorageError> {
        not_reached("MediaStorage::delete")
    }

    async fn exists(&self, _key: &str) -> Result<bool, StorageError> {
        not_reached("MediaStorage::exists")
    }
}

#[async_trait]
impl WhatsAppClient for NotReached {
    async fn send_text(
        &self,
        _credentials: &WhatsAppCredentials,
        _to: &str,
        _body: &str,
    ) -> Result<String, ProviderError> {
        not_reached("WhatsAppClient::send_text")
    }

    async fn send_template(
        &self,
        _credentials: &WhatsAppCredentials,
        _to: &str,
        _template: &str,
        _language: &str,
        _parameters: &[String],
    ) -> Result<String, ProviderError> {
        not_reached("WhatsAppClient::send_template")
    }

    async fn download_media(
        &self,
        _credentials: &WhatsAppCredentials,
        _media_id: &str,
    ) -> Result<(Vec<u8>, String), ProviderError> {
        not_reached("WhatsAppClient::download_media")
    }
}

#[async_trait]
impl PushSubscriptionRepository for NotReached {
    async fn upsert(
        &self,
        _tenant: TenantId,
        _user: UserId,
        _endpoint: &str,
        _p256dh: &str,
        _auth: &str,
    ) -> RepoResult<PushSubscription> {
        not_reached("PushSubscriptionRepository::upsert")
    }

    async fn remove(&self, _tenant: TenantId, _user: UserId, _endpoint: &str) -> RepoResult<()> {
        not_reached("PushSubscriptionRepository::remove")
    }

    async fn recipients(
        &self,
        _tenant: TenantId,
        _module: Module,
    ) -> RepoResult<Vec<PushSubscription>> {
        not_reached("PushSubscriptionRepository::recipients")
    }

    async fn for_user(
        &self,
        _tenant: TenantId,
        _user: UserId,
    ) -> RepoResult<Vec<PushSubscription>> {
        not_reached("PushSubscriptionRepository::for_user")
    }

    async fn delete(&self, _tenant: TenantId, _id: &str) -> RepoResult<()> {
        not_reached("PushSubscriptionRepository::delete")
    }
}

#[async_trait]
impl WhatsAppRepository for NotReached {
    async fn tenant_for_phone_number_id(
        &self,
        _phone_number_id: &str,
    ) -> RepoResult<Option<TenantId>> {
        not_reached("WhatsAppRepository::tenant_for_phone_number_id")
    }

    async fn record_inbound(
        &self,
        _tenant: TenantId,
        _message: &InboundMessage,
        _follow_ups: &[FollowUp],
    ) -> RepoResult<StoredInbound> {
        not_reached("WhatsAppRepository::record_inbound")
    }

    async fn apply_status(
        &self,
        _tenant: TenantId,
        _wa_message_id: &str,
        _status: DeliveryStatus,
        _at: DateTime<Utc>,
        _error: Option<&str>,
    ) -> RepoResult<bool> {
        not_reached("WhatsAppRepository::apply_status")
    }

    async fn conversations(
        &self,
        _tenant: TenantId,
        _page: PageRequest,
    ) -> RepoResult<Page<Conversation>> {
        not_reached("WhatsAppRepository::conversations")
    }

    async fn conversation(&self, _tenant: TenantId, _id: &str) -> RepoResult<Option<Conversation>> {
        not_reached("WhatsAppRepository::conversation")
    }

    async fn conversation_by_phone(
        &self,
        _tenant: TenantId,
        _phone: &str,
    ) -> RepoResult<Option<Conversation>> {
        not_reached("WhatsAppRepository::conversation_by_phone")
    }

    async fn messages(
        &self,
        _tenant: TenantId,
        _conversation: &str,
        _page: PageRequest,
    ) -> RepoResult<Page<ChatMessage>> {
        not_reached("WhatsAppRepository::messages")
    }

    async fn message(&self, _tenant: TenantId, _id: &str) -> RepoResult<Option<ChatMessage>> {
        not_reached("WhatsAppRepository::message")
    }

    async fn record_outbound(
        &self,
        _tenant: TenantId,
        _message: &OutboundMessage,
        _follow_up: Option<FollowUp>,
        _actor: Option<&Actor>,
    ) -> RepoResult<ChatMessage> {
        not_reached("WhatsAppRepository::record_outbound")
    }

    async fn mark_outbound(
        &self,
        _tenant: TenantId,
        _id: &str,
        _wa_message_id: Option<&str>,
        _status: DeliveryStatus,
        _error: Option<&str>,
    ) -> RepoResult<()> {
        not_reached("WhatsAppRepository::mark_outbound")
    }

    async fn set_media(
        &self,
        _tenant: TenantId,
        _id: &str,
        _key: &str,
        _mime: &str,
    ) -> RepoResult<()> {
        not_reached("WhatsAppRepository::set_media")
    }

    async fn media_before(
        &self,
        _before: DateTime<Utc>,
        _limit: i64,
    ) -> RepoResult<Vec<(TenantId, String, String)>> {
        not_reached("WhatsAppRepository::media_before")
    }

    async fn media_page(
        &self,
        _after_id: Option<&str>,
        _limit: i64,
    ) -> RepoResult<Vec<(TenantId, String, String)>> {
        not_reached("WhatsAppRepository::media_page")
    }

    async fn clear_media(&self, _tenant: TenantId, _id: &str) -> RepoResult<()> {
        not_reached("WhatsAppRepository::clear_media")
    }
}
