//! Customers' data rights (LGPD, docs/operations.md#fairness-and-saturation): the export of everything held about a customer,
//! and the erasure that anonymises them while their orders keep their amounts.

use crate::ErrorCode;
use std::sync::Arc;

use comanda_domain::{CustomerId, TenantId};
use comanda_ports::Actor;
use comanda_ports::customer_data::{CustomerDataRepository, CustomerExport, EraseError, Erasure};
use comanda_ports::media::{MediaRepository, MediaStorage};

use crate::ServiceError;

#[derive(Clone)]
pub struct CustomerDataService {
    customers: Arc<dyn CustomerDataRepository>,
    storage: Arc<dyn MediaStorage>,
    media: Arc<dyn MediaRepository>,
}

/// An erasure, and what became of the files it queued for deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureOutcome {
    pub erasure: Erasure,
    pub media_deleted: usize,
    /// Files storage did not delete now: they stay queued and the media clean-up loop retries.
    pub media_pending: usize,
}

impl CustomerDataService {
    pub fn new(
        customers: Arc<dyn CustomerDataRepository>,
        storage: Arc<dyn MediaStorage>,
        media: Arc<dyn MediaRepository>,
    ) -> Self {
        Self {
            customers,
            storage,
            media,
        }
    }

    /// Everything held about the customer, as one document (audited).
    pub async fn export(
        &self,
        tenant: TenantId,
        id: CustomerId,
        actor: &Actor,
    ) -> Result<CustomerExport, ServiceError> {
        self.customers
            .export(tenant, id, actor)
            .await?
            .ok_or(ServiceError::NotFound("customer"))
    }

    /// Anonymises the customer (one transaction), then deletes the files of their WhatsApp
    /// messages. Erasing an erased customer again is allowed and changes nothing more.
    pub async fn erase(
        &self,
        tenant: TenantId,
        id: CustomerId,
        actor: &Actor,
    ) -> Result<ErasureOutcome, ServiceError> {
        let erasure =
            self.customers
                .erase(tenant, id, actor)
                .await
                .map_err(|error| match error {
                    EraseError::NotFound => ServiceError::NotFound("customer"),
                    EraseError::OpenOrders(numbers) => ServiceError::ConflictWith {
                        code: ErrorCode::HasOpenOrders,
                        message: "The customer has orders that are not delivered, picked up or \
                              canceled yet: erase them once those are finished"
                            .into(),
                        details: serde_json::json!({ "open_orders": numbers }),
                    },
                    EraseError::Repo(error) => error.into(),
                })?;
        let (media_deleted, media_pending) = self.delete_files(tenant, &erasure.media_keys).await;
        Ok(ErasureOutcome {
            erasure,
            media_deleted,
            media_pending,
        })
    }

    /// After commit, never inside the transaction: a file storage refuses now stays queued in
    /// the database, where the media clean-up loop finds it.
    async fn delete_files(&self, tenant: TenantId, keys: &[String]) -> (usize, usize) {
        let (mut deleted, mut pending) = (0, 0);
        for key in keys {
            match self.storage.delete(key).await {
                Ok(()) => {
                    deleted += 1;
                    if let Err(error) = self.media.deletion_done(tenant, key).await {
                        // The file is gone; the clean-up loop forgets the queued row later.
                        tracing::warn!(%tenant, %key, %error, "erased media deleted but still queued");
                    }
                }
                Err(error) => {
                    pending += 1;
                    tracing::warn!(%tenant, %key, %error, "erased media not deleted yet; the media clean-up retries");
                }
            }
        }
        (deleted, pending)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::Utc;
    use comanda_ports::RepoResult;
    use comanda_ports::media::StorageError;

    use super::*;

    struct OneErasure(Mutex<Option<Result<Erasure, EraseError>>>);

    #[async_trait]
    impl CustomerDataRepository for OneErasure {
        async fn export(
            &self,
            _: TenantId,
            _: CustomerId,
            _: &Actor,
        ) -> RepoResult<Option<CustomerExport>> {
            Ok(None)
        }

        async fn erase(
            &self,
            _: TenantId,
            _: CustomerId,
            _: &Actor,
        ) -> Result<Erasure, EraseError> {
            self.0.lock().expect("lock").take().expect("erased once")
        }
    }

    /// Storage that refuses to delete one key.
    struct Refusing {
        refused: &'static str,
        deleted: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl MediaStorage for Refusing {
        async fn put(&self, _: &str, _: Vec<u8>, _: &str) -> Result<String, StorageError> {
            Err(StorageError::InvalidKey)
        }

        async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, StorageError> {
            Ok(None)
        }

        async fn delete(&self, key: &str) -> Result<(), StorageError> {
            if key == self.refused {
                return Err(StorageError::Unavailable("bucket down".into()));
            }
            self.deleted.lock().expect("lock").push(key.to_owned());
            Ok(())
        }

        async fn exists(&self, _: &str) -> Result<bool, StorageError> {
            Ok(true)
        }
    }

    #[derive(Default)]
    struct Queue {
        done: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl MediaRepository for Queue {
        async fn record(&self, _: TenantId, _: &str, _: &str, _: i64, _: &str) -> RepoResult<()> {
            Ok(())
        }

        async fn pending_deletions(
            &self,
            _: Option<&(TenantId, String)>,
            _: i64,
        ) -> RepoResult<Vec<(TenantId, String)>> {
            Ok(Vec::new())
        }

        async fn deletion_done(&self, _: TenantId, key: &str) -> RepoResult<()> {
            self.done.lock().expect("lock").push(key.to_owned());
            Ok(())
        }
    }

    fn erasure(keys: &[&str]) -> Erasure {
        Erasure {
            customer_id: CustomerId::generate(),
            erased_at: Utc::now(),
            already_erased: false,
            orders_kept: 2,
            addresses_cleared: 1,
            conversations_deleted: 1,
            messages_deleted: 3,
            notifications_dropped: 0,
            media_keys: keys.iter().map(|key| (*key).to_owned()).collect(),
        }
    }

    fn service(
        result: Result<Erasure, EraseError>,
        storage: Arc<Refusing>,
        queue: Arc<Queue>,
    ) -> CustomerDataService {
        CustomerDataService::new(
            Arc::new(OneErasure(Mutex::new(Some(result)))),
            storage,
            queue,
        )
    }

    #[tokio::test]
    async fn files_are_deleted_after_the_erasure_and_a_refused_one_stays_queued() {
        let storage = Arc::new(Refusing {
            refused: "t/whatsapp/b",
            deleted: Mutex::default(),
        });
        let queue = Arc::new(Queue::default());
        let outcome = service(
            Ok(erasure(&["t/whatsapp/a", "t/whatsapp/b"])),
            storage.clone(),
            queue.clone(),
        )
        .erase(
            TenantId::generate(),
            CustomerId::generate(),
            &Actor::system(),
        )
        .await
        .expect("erased");
        assert_eq!((outcome.media_deleted, outcome.media_pending), (1, 1));
        assert_eq!(*storage.deleted.lock().expect("lock"), vec!["t/whatsapp/a"]);
        assert_eq!(
            *queue.done.lock().expect("lock"),
            vec!["t/whatsapp/a"],
            "only the deleted file leaves the queue"
        );
    }

    #[tokio::test]
    async fn open_orders_are_a_conflict_naming_them() {
        let storage = Arc::new(Refusing {
            refused: "",
            deleted: Mutex::default(),
        });
        let error = service(
            Err(EraseError::OpenOrders(vec![3, 5])),
            storage,
            Arc::new(Queue::default()),
        )
        .erase(
            TenantId::generate(),
            CustomerId::generate(),
            &Actor::system(),
        )
        .await
        .expect_err("refused");
        match error {
            ServiceError::ConflictWith { code, details, .. } => {
                assert_eq!(code, ErrorCode::HasOpenOrders);
                assert_eq!(details, serde_json::json!({"open_orders": [3, 5]}));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
