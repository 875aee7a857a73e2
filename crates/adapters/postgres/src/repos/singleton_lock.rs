//! A lock only one instance holds at a time (PostgreSQL advisory lock).

use async_trait::async_trait;
use comanda_ports::RepoResult;
use comanda_ports::messaging::{LockGuard, SingletonLock};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::database::Database;
use crate::errors::diesel_error;

/// Session-level advisory locks, held on a connection taken out of the pool for the purpose.
#[derive(Clone)]
pub struct PgSingletonLock {
    db: Database,
}

impl PgSingletonLock {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn lock_key(name: &str) -> i64 {
    // FNV-1a: stable across processes and versions, unlike the std hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

struct AdvisoryGuard {
    connection: Option<Object<AsyncPgConnection>>,
    key: i64,
}

#[async_trait]
impl LockGuard for AdvisoryGuard {
    async fn release(mut self: Box<Self>) {
        if let Some(mut connection) = self.connection.take() {
            let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<BigInt, _>(self.key)
                .execute(&mut connection)
                .await;
            if unlocked.is_err() {
                // Closing the session releases the lock anyway.
                drop(Object::take(connection));
            }
        }
    }
}

impl Drop for AdvisoryGuard {
    fn drop(&mut self) {
        // Not released properly: close the session rather than return a locked connection
        // to the pool.
        if let Some(connection) = self.connection.take() {
            drop(Object::take(connection));
        }
    }
}

#[async_trait]
impl SingletonLock for PgSingletonLock {
    async fn try_acquire(&self, name: &str) -> RepoResult<Option<Box<dyn LockGuard>>> {
        let mut connection = self.db.conn().await?;
        let key = lock_key(name);
        let locked: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(key)
            .get_result(&mut connection)
            .await
            .map_err(diesel_error)?;
        if locked.locked {
            Ok(Some(Box::new(AdvisoryGuard {
                connection: Some(connection),
                key,
            })))
        } else {
            Ok(None)
        }
    }
}
