//! The live order desk (SPEC §19, docs/api.md#order-desk): fans each tenant's order events out
//! to the desks (`GET /admin/orders/stream`) this instance serves. Events come from the
//! database's log; PostgreSQL's `NOTIFY` only says "tenant T has event N", so an instance
//! reads each event once, renders it once and hands the same bytes to each of the tenant's
//! desks. Every desk has a bounded buffer: one that does not read is dropped, never waited for.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use comanda_domain::TenantId;
use comanda_ports::orders::OrderEvent;
use comanda_postgres::Notice;
use comanda_services::ServiceError;
use comanda_services::orders::OrderService;
use prometheus::IntGauge;
use tokio::sync::mpsc;

use crate::routes::orders::OrderView;

/// Frames a desk may have waiting before it counts as not reading.
const DESK_BUFFER: usize = 256;

/// Events read from the log at a time.
const EVENT_PAGE: i64 = 200;

/// The most a reconnecting desk is sent back (older ones: it reloads the list).
pub const REPLAY_LIMIT: i64 = 1000;

/// How long a presence row says "a desk is open here"; refreshed every `PRESENCE_REFRESH`.
const PRESENCE_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::seconds(90);
const PRESENCE_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// The channel the database announces events on.
pub const EVENT_CHANNEL: &str = "order_events";

#[derive(Clone)]
pub struct OrderDesk {
    inner: Arc<Inner>,
}

struct Inner {
    tenants: Mutex<HashMap<TenantId, TenantDesks>>,
    orders: OrderService,
    next_client: AtomicU64,
    connected: IntGauge,
    wake: mpsc::UnboundedSender<Wake>,
    woken: Mutex<Option<mpsc::UnboundedReceiver<Wake>>>,
}

/// The desks of one tenant and the last event they were all sent.
struct TenantDesks {
    last_sent: i64,
    clients: HashMap<u64, mpsc::Sender<Bytes>>,
}

#[derive(Debug, Clone, Copy)]
enum Wake {
    Tenant(TenantId),
    Everyone,
}

/// A desk's live feed: frames after `from`, until the desk is dropped (or disconnects).
pub struct Subscription {
    pub from: i64,
    pub frames: mpsc::Receiver<Bytes>,
    _guard: DeskGuard,
}

struct DeskGuard {
    inner: Arc<Inner>,
    tenant: TenantId,
    client: u64,
}

impl Drop for DeskGuard {
    fn drop(&mut self) {
        self.inner.connected.dec();
        let mut tenants = lock(&self.inner.tenants);
        if let Some(desks) = tenants.get_mut(&self.tenant) {
            desks.clients.remove(&self.client);
            if desks.clients.is_empty() {
                tenants.remove(&self.tenant);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `tenant:id`, as the database's trigger writes it.
fn parse_payload(payload: &str) -> Option<TenantId> {
    let (tenant, id) = payload.split_once(':')?;
    id.parse::<i64>().ok()?;
    tenant.parse().ok()
}

/// One Server-Sent Event.
pub fn frame(id: i64, kind: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("id: {id}\nevent: {kind}\ndata: {data}\n\n"))
}

impl OrderDesk {
    pub fn new(orders: OrderService, connected: IntGauge) -> Self {
        let (wake, woken) = mpsc::unbounded_channel();
        Self {
            inner: Arc::new(Inner {
                tenants: Mutex::new(HashMap::new()),
                orders,
                next_client: AtomicU64::new(0),
                connected,
                wake,
                woken: Mutex::new(Some(woken)),
            }),
        }
    }

    /// Starts delivering: `notices` are the listening connection's. Events are delivered one
    /// tenant pass at a time, in id order.
    pub fn start(&self, mut notices: mpsc::Receiver<Notice>) {
        let Some(mut woken) = lock(&self.inner.woken).take() else {
            return;
        };
        let wake = self.inner.wake.clone();
        tokio::spawn(async move {
            while let Some(notice) = notices.recv().await {
                let wakes = match notice {
                    // Whatever was committed while nobody listened is in the log.
                    Notice::Listening => Wake::Everyone,
                    Notice::Payload(payload) => match parse_payload(&payload) {
                        Some(tenant) => Wake::Tenant(tenant),
                        None => continue,
                    },
                };
                if wake.send(wakes).is_err() {
                    return;
                }
            }
        });
        // Keep the presence of watched tenants fresh, and read their logs at the same pace: an
        // order whose transaction began before a desk's presence was visible is not announced,
        // and is delivered here at the latest.
        let refresher = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PRESENCE_REFRESH);
            loop {
                every.tick().await;
                let tenants: Vec<TenantId> =
                    lock(&refresher.inner.tenants).keys().copied().collect();
                if let Err(error) = refresher
                    .inner
                    .orders
                    .desks_present(&tenants, chrono::Utc::now() + PRESENCE_LIFETIME)
                    .await
                {
                    tracing::warn!(%error, "order desk presence not refreshed");
                }
                if refresher.inner.wake.send(Wake::Everyone).is_err() {
                    return;
                }
            }
        });
        let desk = self.clone();
        tokio::spawn(async move {
            while let Some(wake) = woken.recv().await {
                let tenants: Vec<TenantId> = match wake {
                    Wake::Tenant(tenant) => vec![tenant],
                    Wake::Everyone => lock(&desk.inner.tenants).keys().copied().collect(),
                };
                for tenant in tenants {
                    if let Err(error) = desk.deliver(tenant).await {
                        tracing::warn!(%tenant, %error, "order desk delivery failed; the next event tries again");
                    }
                }
            }
        });
    }

    /// Ends every desk's stream (the server is stopping): each sends what it holds, then
    /// closes, and its browser reconnects elsewhere with its `Last-Event-ID`.
    pub fn close_all(&self) {
        let mut tenants = lock(&self.inner.tenants);
        for desks in tenants.values_mut() {
            desks.clients.clear();
        }
    }

    /// Desks connected to this instance.
    pub fn connected(&self) -> i64 {
        self.inner.connected.get()
    }

    /// Registers a desk of `tenant`; it is sent every event after the answer's `from`.
    pub async fn subscribe(&self, tenant: TenantId) -> Result<Subscription, ServiceError> {
        // Announced from now on: the database notifies only tenants with a desk present.
        self.inner
            .orders
            .desks_present(&[tenant], chrono::Utc::now() + PRESENCE_LIFETIME)
            .await?;
        let last = self.inner.orders.last_event_id(tenant).await?;
        let (sender, frames) = mpsc::channel(DESK_BUFFER);
        let client = self.inner.next_client.fetch_add(1, Ordering::Relaxed);
        let from = {
            let mut tenants = lock(&self.inner.tenants);
            let desks = tenants.entry(tenant).or_insert_with(|| TenantDesks {
                last_sent: last,
                clients: HashMap::new(),
            });
            desks.clients.insert(client, sender);
            desks.last_sent
        };
        self.inner.connected.inc();
        // An event committed between reading `last` and registering would wait for the next
        // one: look now.
        let _ = self.inner.wake.send(Wake::Tenant(tenant));
        Ok(Subscription {
            from,
            frames,
            _guard: DeskGuard {
                inner: self.inner.clone(),
                tenant,
                client,
            },
        })
    }

    /// The events after `after` up to `until`, rendered (a reconnecting desk's replay).
    pub async fn replay(
        &self,
        tenant: TenantId,
        after: i64,
        until: i64,
    ) -> Result<Vec<Bytes>, ServiceError> {
        let mut frames = Vec::new();
        let mut cursor = after.max(until - REPLAY_LIMIT);
        while cursor < until {
            let events = self
                .inner
                .orders
                .events_after(tenant, cursor, EVENT_PAGE)
                .await?;
            let Some(last) = events.last().map(|event| event.id) else {
                break;
            };
            for event in events.iter().filter(|event| event.id <= until) {
                if let Some(frame) = self.render(tenant, event).await? {
                    frames.push(frame);
                }
            }
            cursor = last;
        }
        Ok(frames)
    }

    /// Sends the tenant's desks what the log holds past what they were sent.
    async fn deliver(&self, tenant: TenantId) -> Result<(), ServiceError> {
        loop {
            let Some(after) = lock(&self.inner.tenants).get(&tenant).map(|d| d.last_sent) else {
                return Ok(());
            };
            let events = self
                .inner
                .orders
                .events_after(tenant, after, EVENT_PAGE)
                .await?;
            for event in &events {
                let frame = self.render(tenant, event).await?;
                let mut tenants = lock(&self.inner.tenants);
                let Some(desks) = tenants.get_mut(&tenant) else {
                    return Ok(());
                };
                // The tenant's desks may have gone and come back while this page was read:
                // what their new entry starts after was replayed to them already.
                if event.id <= desks.last_sent {
                    continue;
                }
                if let Some(frame) = frame {
                    desks.clients.retain(|client, sender| match sender.try_send(frame.clone()) {
                        Ok(()) => true,
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            tracing::warn!(%tenant, client, "an order desk stopped reading: dropped");
                            false
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => false,
                    });
                }
                desks.last_sent = desks.last_sent.max(event.id);
            }
            if i64::try_from(events.len()).unwrap_or(0) < EVENT_PAGE {
                return Ok(());
            }
        }
    }

    /// `{"order": <the order as in /admin/orders/{id}>}`; `None` for an order gone since.
    async fn render(
        &self,
        tenant: TenantId,
        event: &OrderEvent,
    ) -> Result<Option<Bytes>, ServiceError> {
        let order = match self.inner.orders.get(tenant, event.order).await {
            Ok(order) => order,
            Err(ServiceError::NotFound(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let token = self.inner.orders.tracking_token(order.id);
        let view = OrderView::new(order, Some(token.clone()), Some(&token));
        let data = serde_json::json!({ "order": view });
        Ok(Some(frame(event.id, &event.kind, &data)))
    }
}
