use std::time::Duration;

use async_trait::async_trait;
use comanda_ports::{DatabaseHealth, PoolStats, RepoResult};
use diesel::{ConnectionError, ConnectionResult};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;

use crate::connect::{ConnectError, PgTarget};
use crate::errors::{diesel_error, pool_error};

/// What the pool needs to know.
#[derive(Clone)]
pub struct DatabaseConfig {
    pub url: String,
    pub pool_size: usize,
    /// How long a caller waits for a connection (free slot or new connection) before 503.
    pub wait_timeout: Duration,
    pub statement_timeout: Duration,
}

/// The connection pool. Cheap to clone; every repository holds one.
#[derive(Clone)]
pub struct Database {
    pool: Pool<AsyncPgConnection>,
}

impl Database {
    /// Builds the pool without connecting: the first query opens the first connection, so the
    /// server starts (and `/health` answers 503) while the database is down. A URL whose TLS
    /// settings are wrong is refused here.
    pub fn connect(config: &DatabaseConfig) -> Result<Self, ConnectError> {
        let target = PgTarget::parse(&config.url)?;
        let statement_timeout_ms = config.statement_timeout.as_millis();
        let mut manager_config = ManagerConfig::<AsyncPgConnection>::default();
        // A broken connection is detected on use; checking every checkout costs a round trip.
        manager_config.recycling_method = RecyclingMethod::Fast;
        manager_config.custom_setup = Box::new(move |_url| {
            let target = target.clone();
            async move {
                let mut connection = establish(&target).await?;
                connection
                    .batch_execute(&format!(
                        "SET statement_timeout = {statement_timeout_ms}; SET TIME ZONE 'UTC'"
                    ))
                    .await
                    .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
                Ok(connection)
            }
            .boxed()
        });
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            config.url.clone(),
            manager_config,
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(2))
            .wait_timeout(Some(config.wait_timeout))
            .create_timeout(Some(config.wait_timeout))
            .recycle_timeout(Some(config.wait_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|error| ConnectError::Configuration(error.to_string()))?;
        Ok(Self { pool })
    }

    pub(crate) async fn conn(&self) -> RepoResult<Object<AsyncPgConnection>> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Closes every connection; later calls fail as unavailable.
    pub fn close(&self) {
        self.pool.close();
    }
}

#[async_trait]
impl DatabaseHealth for Database {
    async fn ping(&self) -> RepoResult<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(diesel_error)
    }

    async fn schema_is_current(&self) -> RepoResult<bool> {
        #[derive(diesel::QueryableByName)]
        struct Applied {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            applied: bool,
        }
        let Some(latest) = crate::migrations::latest_version() else {
            return Ok(true);
        };
        let mut conn = self.conn().await?;
        diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM __diesel_schema_migrations WHERE version = $1) AS applied",
        )
        .bind::<diesel::sql_types::Text, _>(latest)
        .get_result::<Applied>(&mut conn)
        .await
        .map(|row| row.applied)
        .map_err(diesel_error)
    }

    fn pool_stats(&self) -> PoolStats {
        let status = self.pool.status();
        PoolStats {
            max_size: status.max_size,
            size: status.size,
            available: status.available,
            waiting: status.waiting,
        }
    }
}

/// One diesel connection to the target, over TLS when its `sslmode` asks for it.
pub(crate) async fn establish(target: &PgTarget) -> ConnectionResult<AsyncPgConnection> {
    let (client, connection) = target.connect().await.map_err(|error| match error {
        ConnectError::Configuration(message) | ConnectError::Unavailable(message) => {
            ConnectionError::BadConnection(message)
        }
    })?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

/// A plain client for maintenance statements; the connection is driven until the client drops.
async fn maintenance_client(target: &PgTarget) -> Result<tokio_postgres::Client, ConnectError> {
    let (client, connection) = target.connect().await?;
    tokio::spawn(async move {
        // Ends when the client is dropped; an error then is of no interest.
        let _ = connection.await;
    });
    Ok(client)
}

/// Creates the database named in `url` when it does not exist, connecting to the server's
/// `postgres` database to do so. Needs the CREATEDB privilege; the server starts without it
/// when the database already exists. Answers whether it created it.
pub async fn ensure_database_exists(url: &str) -> Result<bool, ConnectError> {
    let target = PgTarget::parse(url)?;
    let name = target
        .database()
        .filter(|name| !name.is_empty())
        .ok_or_else(|| ConnectError::Configuration("names no database".into()))?
        .to_owned();
    let client = maintenance_client(&target.with_database("postgres")).await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(|error| ConnectError::Unavailable(error.to_string()))?
        .is_some();
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let created = client
            .batch_execute(&format!("CREATE DATABASE {quoted}"))
            .await;
        // Another instance creating it at the same moment is fine.
        if let Err(error) = created
            && error.code() != Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE)
        {
            return Err(ConnectError::Unavailable(error.to_string()));
        }
    }
    Ok(!exists)
}

/// How many tables the database's own schemas hold (0 for a fresh database), for
/// `comanda restore`'s refusal to restore over data.
pub async fn count_tables(url: &str) -> Result<i64, ConnectError> {
    let client = maintenance_client(&PgTarget::parse(url)?).await?;
    let count: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
            &[],
        )
        .await
        .map_err(|error| ConnectError::Unavailable(error.to_string()))?
        .get(0);
    Ok(count)
}
