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
