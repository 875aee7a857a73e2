use comanda_domain::tenancy::TenancyError;
use comanda_ports::RepoError;

/// Declares every error code once: the enum, its snake_case text and the list of all of them.
macro_rules! error_codes {
    ($($variant:ident => $code:literal,)*) => {
        /// Every `code` an error answer can carry. docs/api.md#errors lists them by status, and
        /// the OpenAPI document gives them as the values of `ErrorBody.code`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    MalformedJson => "malformed_json",
    MalformedBody => "malformed_body",
    TenantRequired => "tenant_required",
    InvalidHost => "invalid_host",
    BadRequest => "bad_request",
    NotAuthenticated => "not_authenticated",
    InvalidToken => "invalid_token",
    InvalidCredentials => "invalid_credentials",
    InvalidSignature => "invalid_signature",
    Forbidden => "forbidden",
    ModuleDisabled => "module_disabled",
    TenantMismatch => "tenant_mismatch",
    SubscriptionInactive => "subscription_inactive",
    CsrfOriginDenied => "csrf_origin_denied",
    OriginNotAllowed => "origin_not_allowed",
    InviteRequired => "invite_required",
    BootstrapViaCli => "bootstrap_via_cli",
    InvalidVerifyToken => "invalid_verify_token",
    NotFound => "not_found",
    TenantNotFound => "tenant_not_found",
    MethodNotAllowed => "method_not_allowed",
    RequestTimeout => "request_timeout",
    AlreadyBootstrapped => "already_bootstrapped",
    LimitReached => "limit_reached",
    EmailTaken => "email_taken",
    LastOwner => "last_owner",
    CannotDeactivateSelf => "cannot_deactivate_self",
    CannotDeleteSelf => "cannot_delete_self",
    SlugTaken => "slug_taken",
    PlanCodeTaken => "plan_code_taken",
    PlanInUse => "plan_in_use",
    GroupNameTaken => "group_name_taken",
    CouponCodeTaken => "coupon_code_taken",
    PhoneTaken => "phone_taken",
    PhoneNumberTaken => "phone_number_taken",
    CategoryNotEmpty => "category_not_empty",
    NegativeStock => "negative_stock",
    InvalidTransition => "invalid_transition",
    PriceChanged => "price_changed",
    OutOfStock => "out_of_stock",
    ItemUnavailable => "item_unavailable",
    HasOpenOrders => "has_open_orders",
    Conflict => "conflict",
    PayloadTooLarge => "payload_too_large",
    UnsupportedMediaType => "unsupported_media_type",
    ValidationError => "validation_error",
    StoreClosed => "store_closed",
    InvalidPhone => "invalid_phone",
    InvalidAddress => "invalid_address",
    OutOfDeliveryArea => "out_of_delivery_area",
    DeliveryUnavailable => "delivery_unavailable",
    PickupUnavailable => "pickup_unavailable",
    StoreLocationMissing => "store_location_missing",
    InvalidCoupon => "invalid_coupon",
    BelowMinimumOrder => "below_minimum_order",
    BelowMinimum => "below_minimum",
    InvalidSlot => "invalid_slot",
    AddressNotFound => "address_not_found",
    CepNotFound => "cep_not_found",
    SlotFull => "slot_full",
    IdempotencyKeyReused => "idempotency_key_reused",
    InvalidReference => "invalid_reference",
    WindowClosed => "window_closed",
    WhatsappNotConfigured => "whatsapp_not_configured",
    WebpushNotConfigured => "webpush_not_configured",
    InvalidEndpoint => "invalid_endpoint",
    RateLimited => "rate_limited",
    InternalError => "internal_error",
    ServiceUnavailable => "service_unavailable",
    DatabaseUnavailable => "database_unavailable",
    SchemaBehind => "schema_behind",
    Busy => "busy",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What a use case can answer besides success. The HTTP adapter maps each variant to a status
/// and a `code`; the CLI prints the message.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 404 with a code of its own (`cep_not_found`).
    #[error("{message}")]
    NotFoundWith { code: ErrorCode, message: String },
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    #[error("{message}")]
    Invalid { code: ErrorCode, message: String },
    /// A conflict the client can act on, with figures (409 with extra fields in the body).
    #[error("{message}")]
    ConflictWith {
        code: ErrorCode,
        message: String,
        details: serde_json::Value,
    },
    /// Fields at fault (422 `validation_error` with `errors[]`).
    #[error("invalid fields")]
    Validation(Vec<FieldProblem>),
    /// Not signed in, or the credentials or token are not good (401).
    #[error("{message}")]
    Unauthenticated { code: ErrorCode, message: String },
    /// Signed in but not allowed (403).
    #[error("{message}")]
    Forbidden { code: ErrorCode, message: String },
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
            RepoError::NotFound(entity) => Self::NotFound(entity),
            // The constraint's name is for the log, never the client.
            RepoError::Conflict(what) => {
                tracing::info!(constraint = %what, "unique conflict");
                Self::Conflict {
                    code: ErrorCode::Conflict,
                    message: "This conflicts with something that already exists".into(),
                }
            }
            RepoError::Internal(cause) => Self::Internal(cause),
            RepoError::LimitReached(what) => Self::Conflict {
                code: ErrorCode::LimitReached,
                message: format!("The plan's {what} has been reached"),
            },
            RepoError::InvalidReference(what) => Self::Invalid {
                code: ErrorCode::InvalidReference,
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
            code: ErrorCode::Forbidden,
            message: message.into(),
        }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
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
                code: ErrorCode::ModuleDisabled,
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
                    code: ErrorCode::Conflict,
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
