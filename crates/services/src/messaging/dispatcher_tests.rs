//! `OutboxDispatcher::run_once` over in-memory ports: how each job's end is decided (sent,
//! skipped, retried after the backoff, dead) and written, whatever happens to the others.
//! Telegram jobs drive it: they reach the fewest ports.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use comanda_domain::TenantId;
use comanda_domain::store::Store;
use comanda_domain::tenancy::SubscriptionStatus;
use serde_json::json;

use super::dispatcher::{
    DispatchLimits, DispatchReport, DispatcherPorts, OutboxDispatcher, RetryPolicy, kinds,
};
use super::{Channels, GlobalChannels};
use crate::fakes::{
    FakeTelegram, FixedClock, InMemoryMessagingSettings, InMemoryOrders, InMemoryOutbox,
    InMemoryStores, InMemoryTenants, NotReached, Settled, TelegramAnswer, sample_order,
    sample_store,
};

const BOT_TOKEN: &str = "123456:global-bot";

const POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    base_delay: Duration::from_secs(10),
    max_delay: Duration::from_secs(3600),
};

/// One tenant with its stores and orders, and the dispatcher over them.
struct World {
    tenant: TenantId,
    outbox: Arc<InMemoryOutbox>,
    orders: Arc<InMemoryOrders>,
    stores: Arc<InMemoryStores>,
    telegram: Arc<FakeTelegram>,
    dispatcher: OutboxDispatcher,
}

impl World {
    fn new(limits: DispatchLimits) -> Self {
        let tenants = Arc::new(InMemoryTenants::default());
        let tenant = tenants.add("pizzaria", SubscriptionStatus::Active).id;
        let outbox = Arc::new(InMemoryOutbox::default());
        let orders = Arc::new(InMemoryOrders::default());
        let stores = Arc::new(InMemoryStores::default());
        let telegram = Arc::new(FakeTelegram::default());
        let not_reached = Arc::new(NotReached);
        let ports = DispatcherPorts {
            outbox: outbox.clone(),
            orders: orders.clone(),
            stores: stores.clone(),
            configs: not_reached.clone(),
            conversations: not_reached.clone(),
            subscriptions: not_reached.clone(),
            whatsapp: not_reached.clone(),
            telegram: telegram.clone(),
            push: None,
            storage: not_reached.clone(),
            tracking: not_reached.clone(),
            clock: Arc::new(FixedClock(Utc::now())),
            payments: None,
        };
        let channels = Channels::new(
            tenants,
            Arc::new(InMemoryMessagingSettings::default()),
            not_reached,
            GlobalChannels {
                telegram_bot_token: Some(BOT_TOKEN.into()),
                ..GlobalChannels::default()
            },
        );
        Self {
            tenant,
            outbox,
            orders,
            stores,
            telegram,
            dispatcher: OutboxDispatcher::new(ports, channels, POLICY, limits),
        }
    }

    /// A store whose new orders go to the Telegram chat `chat` (none when `None`).
    fn store(&self, chat: Option<&str>) -> Store {
        let mut store = sample_store("Centro");
        store.tenant_id = self.tenant;
        store.telegram_chat_id = chat.map(str::to_owned);
        self.stores.insert(self.tenant, store.clone());
        store
    }

    /// A new order at `store`, its Telegram message queued after `tried` earlier tries.
    fn telegram_job(&self, store: &Store, tried: i32) -> String {
        let order = sample_order(store, 1);
        let payload = json!({"order_id": order.id.to_string()});
        self.orders.insert(order);
        self.outbox
            .queue(self.tenant, kinds::TELEGRAM_NEW_ORDER, payload, tried)
    }

    async fn run(&self) -> DispatchReport {
        self.dispatcher.run_once().await.expect("a pass")
    }

    /// The attempt the dispatcher wrote the job's end under, and that end.
    fn settled(&self, job: &str) -> (i32, Settled) {
        self.outbox
            .settled()
            .into_iter()
            .find(|(settled, _)| settled.id == job)
            .map(|(settled, outcome)| (settled.attempts, outcome))
            .expect("the job's end was written")
    }
}

fn report(claimed: usize, change: impl FnOnce(&mut DispatchReport)) -> DispatchReport {
    let mut report = DispatchReport {
        claimed,
        ..DispatchReport::default()
    };
    change(&mut report);
    report
}

#[tokio::test]
async fn a_delivered_job_is_sent_through_the_stores_chat_with_the_global_bot() {
    let world = World::new(DispatchLimits::default());
    let store = world.store(Some("-100"));
    let job = world.telegram_job(&store, 0);

    assert_eq!(world.run().await, report(1, |r| r.sent = 1));
    assert_eq!(world.settled(&job), (1, Settled::Sent));
    let sent = world.telegram.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].0.as_str(), sent[0].1.as_str()),
        (BOT_TOKEN, "-100")
    );
    assert!(
        sent[0].2.starts_with("Novo pedido #1 — Centro"),
        "{}",
        sent[0].2
    );
}

#[tokio::test]
async fn a_temporary_failure_is_retried_after_the_backoff_for_its_attempt() {
    let world = World::new(DispatchLimits::default());
    let store = world.store(Some("-100"));
    world.telegram.answer(
        "-100",
        TelegramAnswer::Temporary("503 from Telegram".into()),
    );
    let first_try = world.telegram_job(&store, 0);
    let third_try = world.telegram_job(&store, 2);

    assert_eq!(world.run().await, report(2, |r| r.retried = 2));
    let retried = |attempts: i32, after: u64| {
        (
            attempts,
            Settled::RetryLater {
                after: Duration::from_secs(after),
                error: "503 from Telegram".into(),
            },
        )
    };
    assert_eq!(world.settled(&first_try), retried(1, 10), "the base delay");
    assert_eq!(
        world.settled(&third_try),
        retried(3, 40),
        "doubled after each failure"
    );
    assert_eq!(world.telegram.sent().len(), 2);
}

#[tokio::test]
async fn a_temporary_failure_on_the_last_allowed_attempt_is_dead() {
    let world = World::new(DispatchLimits::default());
    let store = world.store(Some("-100"));
    world
        .telegram
        .answer("-100", TelegramAnswer::Temporary("timed out".into()));
    let next_to_last = world.telegram_job(&store, POLICY.max_attempts - 2);
    let last = world.telegram_job(&store, POLICY.max_attempts - 1);

    assert_eq!(
        world.run().await,
        report(2, |r| {
            r.retried = 1;
            r.dead = 1;
        })
    );
    assert_eq!(
        world.settled(&next_to_last),
        (
            POLICY.max_attempts - 1,
            Settled::RetryLater {
                after: POLICY.delay(POLICY.max_attempts - 1),
                error: "timed out".into(),
            }
        )
    );
    assert_eq!(
        world.settled(&last),
        (POLICY.max_attempts, Settled::Dead("timed out".into()))
    );
}

#[tokio::test]
async fn a_permanent_failure_is_dead_on_the_first_attempt() {
    let world = World::new(DispatchLimits::default());
    let store = world.store(Some("-100"));
    world.telegram.answer(
        "-100",
        TelegramAnswer::Permanent("400 chat not found".into()),
    );
    let job = world.telegram_job(&store, 0);

    assert_eq!(world.run().await, report(1, |r| r.dead = 1));
    assert_eq!(
        world.settled(&job),
        (1, Settled::Dead("400 chat not found".into()))
    );
    assert_eq!(world.telegram.sent().len(), 1, "tried once");
}

#[tokio::test]
async fn a_job_for_a_channel_that_is_not_configured_is_skipped_unsent() {
    let world = World::new(DispatchLimits::default());
    let without_chat = world.store(None);
    let job = world.telegram_job(&without_chat, 0);

    assert_eq!(world.run().await, report(1, |r| r.skipped = 1));
    assert_eq!(
        world.settled(&job),
        (1, Settled::Skipped("the store has no Telegram chat".into()))
    );
    assert!(world.telegram.sent().is_empty());
}

#[tokio::test]
async fn a_job_whose_order_is_gone_is_dead_unsent() {
    let world = World::new(DispatchLimits::default());
    world.store(Some("-100"));
    let job = world.outbox.queue(
        world.tenant,
        kinds::TELEGRAM_NEW_ORDER,
        json!({"order_id": comanda_domain::OrderId::generate().to_string()}),
        0,
    );

    assert_eq!(world.run().await, report(1, |r| r.dead = 1));
    assert_eq!(
        world.settled(&job),
        (1, Settled::Dead("the order no longer exists".into()))
    );
    assert!(world.telegram.sent().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_job_past_its_deadline_is_retried_and_holds_up_no_other() {
    let timeout = Duration::from_millis(500);
    let world = World::new(DispatchLimits {
        job_timeout: timeout,
        ..DispatchLimits::default()
    });
    let hanging = world.store(Some("-hangs"));
    world.telegram.answer("-hangs", TelegramAnswer::Never);
    let answering = world.store(Some("-100"));
    let stuck = world.telegram_job(&hanging, 0);
    let delivered = world.telegram_job(&answering, 0);

    let started = tokio::time::Instant::now();
    assert_eq!(
        world.run().await,
        report(2, |r| {
            r.sent = 1;
            r.retried = 1;
        })
    );
    let took = started.elapsed();
    assert!(
        took >= timeout && took < timeout * 2,
        "the pass ended at the deadline: {took:?}"
    );
    let (attempts, outcome) = world.settled(&stuck);
    assert_eq!(attempts, 1);
    match outcome {
        Settled::RetryLater { after, error } => {
            assert_eq!(after, POLICY.base_delay);
            assert!(error.starts_with("did not finish within"), "{error}");
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    assert_eq!(world.settled(&delivered), (1, Settled::Sent));
}

#[tokio::test]
async fn a_job_whose_end_cannot_be_written_is_unsettled_and_stops_no_other() {
    let world = World::new(DispatchLimits {
        concurrency: 1,
        ..DispatchLimits::default()
    });
    let store = world.store(Some("-100"));
    let broken_write = world.telegram_job(&store, 0);
    let lost_lease = world.telegram_job(&store, 0);
    let fine = world.telegram_job(&store, 0);
    world.outbox.fail_writes_for(&broken_write);
    world.outbox.lose_lease(&lost_lease);

    assert_eq!(
        world.run().await,
        report(3, |r| {
            r.sent = 1;
            r.unsettled = 2;
        })
    );
    assert_eq!(world.telegram.sent().len(), 3, "every job was sent");
    assert_eq!(world.outbox.outcome(&broken_write), None);
    assert_eq!(world.outbox.outcome(&lost_lease), None);
    assert_eq!(world.outbox.outcome(&fine), Some(Settled::Sent));
}
