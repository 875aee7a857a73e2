//! WhatsApp media clean-up (`run_whatsapp_media_cleanup_loop` in the original): removes media
//! past the retention period and forgets records whose object is gone; and deletes the files an
//! erasure queued that could not be deleted right after it (LGPD). One instance at a time, under
//! a PostgreSQL advisory lock.

use std::sync::Arc;

use chrono::TimeDelta;
use comanda_ports::Clock;
use comanda_ports::media::{MediaRepository, MediaStorage};
use comanda_ports::messaging::{SingletonLock, WhatsAppRepository};

use crate::ServiceError;

pub const LOCK_NAME: &str = "comanda.whatsapp_media_cleanup";
const BATCH: i64 = 200;

/// What one pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Media past the retention period, deleted from storage.
    pub expired: usize,
    /// Records whose object was no longer in storage.
    pub missing: usize,
    /// Files queued for deletion by an erasure (`media_deletions`), deleted.
    pub queued: usize,
}

#[derive(Clone)]
pub struct MediaCleanup {
    conversations: Arc<dyn WhatsAppRepository>,
    storage: Arc<dyn MediaStorage>,
    media: Arc<dyn MediaRepository>,
    lock: Arc<dyn SingletonLock>,
    clock: Arc<dyn Clock>,
    retention: TimeDelta,
}

impl MediaCleanup {
    pub fn new(
        conversations: Arc<dyn WhatsAppRepository>,
        storage: Arc<dyn MediaStorage>,
        media: Arc<dyn MediaRepository>,
        lock: Arc<dyn SingletonLock>,
        clock: Arc<dyn Clock>,
        retention_days: u32,
    ) -> Self {
        Self {
            conversations,
            storage,
            media,
            lock,
            clock,
            retention: TimeDelta::days(i64::from(retention_days)),
        }
    }

    /// One pass; `None` when another instance holds the lock.
    pub async fn run_once(&self) -> Result<Option<CleanupReport>, ServiceError> {
        let Some(guard) = self.lock.try_acquire(LOCK_NAME).await? else {
            return Ok(None);
        };
        let result = self.sweep().await;
        guard.release().await;
        result.map(Some)
    }

    async fn sweep(&self) -> Result<CleanupReport, ServiceError> {
        let unavailable = |error: comanda_ports::media::StorageError| {
            ServiceError::Unavailable(error.to_string())
        };
        let mut report = CleanupReport::default();
        // Files no row points at any more: only the queue remembers them.
        let mut after = None;
        loop {
            let queued = self.media.pending_deletions(after.as_ref(), BATCH).await?;
            let Some(last) = queued.last() else {
                break;
            };
            after = Some(last.clone());
            for (tenant, key) in queued {
                self.storage.delete(&key).await.map_err(unavailable)?;
                self.media.deletion_done(tenant, &key).await?;
                report.queued += 1;
            }
        }
        let cutoff = self.clock.now() - self.retention;
        loop {
            let expired = self.conversations.media_before(cutoff, BATCH).await?;
            if expired.is_empty() {
                break;
            }
            for (tenant, message, key) in expired {
                self.storage.delete(&key).await.map_err(unavailable)?;
                self.conversations.clear_media(tenant, &message).await?;
                report.expired += 1;
            }
        }
        let mut after: Option<String> = None;
        loop {
            let page = self
                .conversations
                .media_page(after.as_deref(), BATCH)
                .await?;
            let Some((_, last, _)) = page.last() else {
                break;
            };
            after = Some(last.clone());
            for (tenant, message, key) in page {
                if !self.storage.exists(&key).await.map_err(unavailable)? {
                    self.conversations.clear_media(tenant, &message).await?;
                    report.missing += 1;
                }
            }
        }
        Ok(report)
    }
}
