use crate::connect::{ConnectError, PgTarget};
use diesel::RunQueryDsl;
use diesel::migration::MigrationSource;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The SQL migrations of `migrations/`, compiled into the binaries.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../../migrations");

/// The version of the newest migration compiled in (`2026-11-29-000007` → `20261129000007`, as
/// diesel records it).
pub fn latest_version() -> Option<String> {
    MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .ok()?
        .iter()
        .map(|migration| migration.name().version().to_string())
        .max()
}

/// Any number above zero that no other advisory lock of ours uses.
const MIGRATION_LOCK_KEY: i64 = 0x0063_6f6d_616e_6461; // "comanda"

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectError),
    #[error("migration failed: {0}")]
    Failed(String),
}

/// Applies pending migrations and answers their versions. Several instances starting together
/// take turns through an advisory lock.
pub async fn run_migrations(url: &str) -> Result<Vec<String>, MigrationError> {
    let target = PgTarget::parse(url)?;
    let (client, connection) = target.connect().await?;
    let connection = AsyncPgConnection::try_from_client_and_connection(client, connection)
        .await
        .map_err(|error| ConnectError::Unavailable(error.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(connection);
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn)
            .map_err(|error| MigrationError::Failed(error.to_string()))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|error| MigrationError::Failed(error.to_string()));
        // The lock also ends with the connection; unlocking early lets the next instance go.
        let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn);
        applied
    })
    .await
    .map_err(|error| MigrationError::Failed(error.to_string()))?
}
