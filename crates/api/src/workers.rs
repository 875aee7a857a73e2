//! Background work started with the server: the outbox dispatcher, the WhatsApp media
//! clean-up, the housekeeping purge and the expiry of unpaid PIX orders. Each loop finishes the pass it is in, then stops when the server stops.

use std::time::Duration;

use comanda_config::WorkerSettings;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// How often old outbox jobs and idempotency keys are purged.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(3600);

/// How often unpaid PIX orders past their time are looked for: a charge expires at most this
/// long after `PIX_EXPIRY_MINUTES`.
const PIX_EXPIRY_INTERVAL: Duration = Duration::from_secs(30);

/// How long shutdown waits for a pass in progress.
const STOP_GRACE: Duration = Duration::from_secs(30);

pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Waits `period`, or less when asked to stop; answers whether to go on.
async fn pause(stop: &mut watch::Receiver<bool>, period: Duration) -> bool {
    tokio::select! {
        _ = stop.changed() => false,
        () = tokio::time::sleep(period) => !*stop.borrow(),
    }
}

impl Workers {
    pub fn start(state: &AppState, settings: &WorkerSettings) -> Self {
        let (stop, stopped) = watch::channel(false);
        let dispatcher = state.dispatcher.clone();
        let poll = settings.outbox_poll_interval;
        let batch = usize::try_from(settings.outbox_batch_size).unwrap_or(usize::MAX);
        let mut dispatcher_stop = stopped.clone();
        let outbox = tokio::spawn(async move {
            loop {
                let full_batch = match dispatcher.run_once().await {
                    Ok(report) => report.claimed >= batch,
                    Err(error) => {
                        tracing::warn!(%error, "outbox pass failed");
                        false
                    }
                };
                // A full batch means more may be due: go again without waiting.
                let wait = if full_batch { Duration::ZERO } else { poll };
                if *dispatcher_stop.borrow() || !pause(&mut dispatcher_stop, wait).await {
                    break;
                }
            }
            tracing::info!("outbox dispatcher stopped");
        });
        let cleanup = state.media_cleanup.clone();
        let interval = settings.media_cleanup_interval;
        let mut cleanup_stop = stopped.clone();
        let media = tokio::spawn(async move {
            loop {
                match cleanup.run_once().await {
                    Ok(Some(report)) if report.expired + report.missing > 0 => {
                        tracing::info!(
                            expired = report.expired,
                            missing = report.missing,
                            "WhatsApp media cleaned up"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "WhatsApp media clean-up failed"),
                }
                if !pause(&mut cleanup_stop, interval).await {
                    break;
                }
            }
            tracing::info!("media clean-up stopped");
        });
        let housekeeping = state.housekeeping.clone();
        let mut housekeeping_stop = stopped.clone();
        let purge = tokio::spawn(async move {
            loop {
                match housekeeping.run_once().await {
                    Ok(report)
                        if report.outbox_jobs + report.idempotency_keys + report.order_events
                            > 0 =>
                    {
                        tracing::info!(
                            outbox_jobs = report.outbox_jobs,
                            idempotency_keys = report.idempotency_keys,
                            order_events = report.order_events,
                            "old rows purged"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "housekeeping failed"),
                }
                if !pause(&mut housekeeping_stop, HOUSEKEEPING_INTERVAL).await {
                    break;
                }
            }
            tracing::info!("housekeeping stopped");
        });
        let payments = state.payments.clone();
        let mut expiry_stop = stopped.clone();
        let expiry = tokio::spawn(async move {
            loop {
                match payments.expire_due().await {
                    Ok(0) => {}
                    Ok(expired) => tracing::info!(expired, "unpaid PIX orders cancelled"),
                    Err(error) => tracing::warn!(%error, "PIX expiry failed"),
                }
                if !pause(&mut expiry_stop, PIX_EXPIRY_INTERVAL).await {
                    break;
                }
            }
            tracing::info!("PIX expiry stopped");
        });
        Self {
            stop,
            tasks: vec![outbox, media, purge, expiry],
        }
    }

    /// Asks every loop to stop and waits for the passes in progress.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if tokio::time::timeout(STOP_GRACE, task).await.is_err() {
                tracing::warn!("a background worker did not stop in time");
            }
        }
    }
}
