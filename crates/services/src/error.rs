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
    /// A conflict the client can act on, with figures (409 with extra fields in the body).
    #[error("{message}")]
    ConflictWith {
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    /// Fields at fault (422 `validation_error` with `errors[]`).
    #[error("invalid fields")]
    Validation(Vec<FieldProblem>),
    /// Not signed in, or the credentials or token are not good (401).
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    /// Signed in but not allowed (403).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// An upload over its size limit (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// An upload of a type we do not take (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the database is unavailable")]
    Unavailable(String),
    /// Too much at once (concurrent transactions in conflict, password hashing saturated):
    /// try again in a moment (503 `busy` with `Retry-After`).
    #[error("busy")]
    Busy(String),
    /// A bug or a broken invariant; the text is for the log, never the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<comanda_ports::CryptoError> for ServiceError {
    fn from(error: comanda_ports::CryptoError) -> Self {
        match error {
            comanda_ports::CryptoError::Busy => Self::Busy(error.to_string()),
            comanda_ports::CryptoError::Failed(cause) => Self::Internal(cause),
        }
    }
}

impl From<RepoError> for ServiceError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::Unavailable(cause) => Self::Unavailable(cause),
            RepoError::Busy(cause) => Self::Busy(cause),
            RepoError::NotFound => Self::NotFound("resource"),
            // The constraint's name is for the log, never the client.
            RepoError::Conflict(what) => {
                tracing::info!(constraint = %what, "unique conflict");
                Self::Conflict {
                    code: "conflict",
                    message: "This conflicts with something that already exists".into(),
                }
            }
            RepoError::Internal(cause) => Self::Internal(cause),
            RepoError::LimitReached(what) => Self::Conflict {
                code: "limit_reached",
                message: format!("The plan's {what} has been reached"),
            },
            RepoError::InvalidReference(what) => Self::Invalid {
                code: "invalid_reference",
                message: format!("Unknown {what}"),
            },
        }
    }
}

/// One field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: &str, message: impl ToString) -> Self {
        Self {
            field: field.to_owned(),
            message: message.to_string(),
        }
    }
}

impl ServiceError {
    /// 422 for one field.
    pub fn field(field: &str, message: impl std::fmt::Display) -> Self {
        Self::Validation(vec![FieldProblem {
            field: field.to_owned(),
            message: message.to_string(),
        }])
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
}

impl From<comanda_domain::identity::AccessDenied> for ServiceError {
    fn from(denied: comanda_domain::identity::AccessDenied) -> Self {
        use comanda_domain::identity::AccessDenied;
        match denied {
            AccessDenied::ModuleDisabled(_) => Self::Forbidden {
                code: "module_disabled",
                message: denied.to_string(),
            },
            AccessDenied::Forbidden => Self::forbidden(denied.to_string()),
        }
    }
}

/// docs/operations.md#fairness-and-saturation "Grants": 403 `forbidden`, the message naming what is missing.
impl From<comanda_domain::identity::GrantDenied> for ServiceError {
    fn from(denied: comanda_domain::identity::GrantDenied) -> Self {
        Self::forbidden(denied.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unique_violation_never_shows_the_constraint_name() {
        let error = ServiceError::from(RepoError::Conflict("customers_tenant_id_phone_key".into()));
        assert!(
            matches!(
                &error,
                ServiceError::Conflict {
                    code: "conflict",
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(!error.to_string().contains("customers_tenant_id_phone_key"));
    }

    #[test]
    fn saturated_hashing_and_conflicting_transactions_are_busy() {
        assert!(matches!(
            ServiceError::from(comanda_ports::CryptoError::Busy),
            ServiceError::Busy(_)
        ));
        assert!(matches!(
            ServiceError::from(RepoError::Busy("deadlock detected".into())),
            ServiceError::Busy(_)
        ));
    }
}
