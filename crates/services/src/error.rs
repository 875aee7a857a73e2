use comanda_domain::tenancy::TenancyError;
use comanda_ports::RepoError;

/// What a use case can answer besides success. The HTTP adapter maps each variant to a status
/// and a `code`; the CLI prints the message.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("the database is unavailable")]
    Unavailable(String),
    /// A bug or a broken invariant; the text is for the log, never the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<RepoError> for ServiceError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::Unavailable(cause) => Self::Unavailable(cause),
            RepoError::NotFound => Self::NotFound("resource"),
            RepoError::Conflict(what) => Self::Conflict {
                code: "conflict",
                message: format!("{what} already exists"),
            },
            RepoError::Internal(cause) => Self::Internal(cause),
        }
    }
}
