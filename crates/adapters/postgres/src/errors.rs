use comanda_ports::RepoError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;

/// A pool that cannot hand out a connection means the database is unavailable (503).
pub(crate) fn pool_error(error: PoolError) -> RepoError {
    RepoError::Unavailable(error.to_string())
}

pub(crate) fn diesel_error(error: DieselError) -> RepoError {
    match error {
        DieselError::NotFound => RepoError::NotFound,
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
