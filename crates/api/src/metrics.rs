//! Prometheus metrics: request counts and latency by route and status, the database pool, and
//! business figures (orders created, the notification outbox).

use std::sync::Arc;

use comanda_ports::PoolStats;
use comanda_ports::messaging::OutboxDepth;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// One registry per application, so several apps in one process (tests) never collide.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    pool_max_size: IntGauge,
    pool_size: IntGauge,
    pool_available: IntGauge,
    pool_waiting: IntGauge,
    orders_created: IntCounter,
    outbox_pending: IntGauge,
    outbox_dead: IntGauge,
    order_desks: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("comanda".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )?;
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer HTTP requests",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route", "status"],
        )?;
        let pool_max_size =
            IntGauge::new("db_pool_max_size", "Most connections the pool may open")?;
        let pool_size = IntGauge::new("db_pool_connections", "Connections the pool holds open")?;
        let pool_available = IntGauge::new("db_pool_available", "Idle connections ready for use")?;
        let pool_waiting = IntGauge::new("db_pool_waiting", "Callers waiting for a connection")?;
        let orders_created = IntCounter::new(
            "orders_created_total",
            "Orders placed through this instance (idempotent replays not counted)",
        )?;
        let outbox_pending = IntGauge::new(
            "outbox_pending",
            "Notifications waiting to be sent, across instances",
        )?;
        let outbox_dead = IntGauge::new(
            "outbox_dead",
            "Notifications given up on after their last try, across instances",
        )?;
        let order_desks = IntGauge::new(
            "order_desks_connected",
            "Order desks (GET /admin/orders/stream) connected to this instance",
        )?;
        let build_info = IntGaugeVec::new(
            Opts::new("build_info", "The running release: always 1, labelled"),
            &["version", "commit"],
        )?;
        build_info
            .with_label_values(&[crate::build_info::VERSION, crate::build_info::COMMIT])
            .set(1);
        for collector in [
            Box::new(build_info) as Box<dyn prometheus::core::Collector>,
            Box::new(requests.clone()),
            Box::new(durations.clone()),
            Box::new(pool_max_size.clone()),
            Box::new(pool_size.clone()),
            Box::new(pool_available.clone()),
            Box::new(pool_waiting.clone()),
            Box::new(orders_created.clone()),
            Box::new(outbox_pending.clone()),
            Box::new(outbox_dead.clone()),
            Box::new(order_desks.clone()),
        ] {
            registry.register(collector)?;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                durations,
                pool_max_size,
                pool_size,
                pool_available,
                pool_waiting,
                orders_created,
                outbox_pending,
                outbox_dead,
                order_desks,
            }),
        })
    }

    /// `route` is the matched pattern (`/orders/{order_id}`), never the raw path, so the
    /// number of series stays bounded.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.inner.requests.with_label_values(&labels).inc();
        self.inner
            .durations
            .with_label_values(&labels)
            .observe(seconds);
    }

    /// The gauge the order desk keeps.
    pub fn order_desks(&self) -> IntGauge {
        self.inner.order_desks.clone()
    }

    pub fn order_created(&self) {
        self.inner.orders_created.inc();
    }

    /// The text exposition, with the pool figures read now and the outbox's when the
    /// database answered (else its last known figures).
    pub fn render(&self, pool: PoolStats, outbox: Option<OutboxDepth>) -> String {
        if let Some(outbox) = outbox {
            self.inner.outbox_pending.set(outbox.pending);
            self.inner.outbox_dead.set(outbox.dead);
        }
        let as_gauge = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        self.inner.pool_max_size.set(as_gauge(pool.max_size));
        self.inner.pool_size.set(as_gauge(pool.size));
        self.inner.pool_available.set(as_gauge(pool.available));
        self.inner.pool_waiting.set(as_gauge(pool.waiting));
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.inner.registry.gather(), &mut buffer) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}
