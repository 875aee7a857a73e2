use comanda_ports::RepoError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;

/// A pool that cannot hand out a connection means the database is unavailable (503).
pub(crate) fn pool_error(error: PoolError) -> RepoError {
    RepoError::Unavailable(error.to_string())
}

/// Whether the database aborted the transaction for a conflict with another one: worth one
/// more try. (diesel names serialization failures; a deadlock is only in the message.)
fn conflicting_transactions(error: &DieselError) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _)
    ) || matches!(error, DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected"))
}

/// A connection that died under a query (a failover, a restart, a network cut).
fn connection_lost(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            [
                "connection closed",
                "terminating connection",
                "server closed the connection",
                "broken pipe",
                "connection reset",
                "error communicating with the server",
                "administrator command",
            ]
            .iter()
            .any(|sign| message.contains(sign))
        }
        _ => false,
    }
}

pub(crate) fn diesel_error(error: DieselError) -> RepoError {
    if conflicting_transactions(&error) {
        return RepoError::Busy(error.to_string());
    }
    if connection_lost(&error) {
        return RepoError::Unavailable(error.to_string());
    }
    match error {
        DieselError::NotFound => RepoError::NotFound("record"),
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            RepoError::Conflict(info.constraint_name().unwrap_or("unique").to_owned())
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
            RepoError::InvalidReference(info.constraint_name().unwrap_or("reference").to_owned())
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            RepoError::Unavailable(info.message().to_owned())
        }
        DieselError::DatabaseError(_, info) if info.message().contains("statement timeout") => {
            RepoError::Unavailable(info.message().to_owned())
        }
        DieselError::BrokenTransactionManager => {
            RepoError::Unavailable("broken transaction".into())
        }
        other => RepoError::Internal(other.to_string()),
    }
}

/// Stored data that does not parse into a domain type: a bug or a hand-edited row.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> RepoError {
    RepoError::Internal(format!("stored {what} is invalid: {detail}"))
}

/// The error of a transaction body: a database error, or a decision of ours that rolls back.
#[derive(Debug)]
pub(crate) enum TxError {
    Db(DieselError),
    Repo(RepoError),
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> Self {
        Self::Db(error)
    }
}

impl From<RepoError> for TxError {
    fn from(error: RepoError) -> Self {
        Self::Repo(error)
    }
}

impl From<TxError> for RepoError {
    fn from(error: TxError) -> Self {
        match error {
            TxError::Db(error) => diesel_error(error),
            TxError::Repo(error) => error,
        }
    }
}
