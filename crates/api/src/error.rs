//! The one error type of the HTTP layer and its `{"detail", "code", "errors"?}` body.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use comanda_domain::tenancy::TenancyError;
use comanda_services::ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

/// Every error answer: `detail` for people (and FastAPI front ends), `code` for programs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A human-readable message.
    pub detail: String,
    /// A stable snake_case code.
    pub code: String,
    /// For validation errors: which field is wrong and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Figures the client can act on (`price_changed`: the new prices; `out_of_stock`: the
    /// items).
    #[serde(flatten)]
    #[schema(ignore)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path to the field, like `items[0].quantity`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    /// Boxed: errors travel in every `Result` of the HTTP layer and should stay small.
    body: Box<ErrorBody>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                detail: detail.into(),
                code: code.to_owned(),
                errors: Vec::new(),
                extra: serde_json::Map::new(),
            }),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401 with the `WWW-Authenticate` challenge.
    pub fn unauthorized(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    pub fn forbidden(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 422 with the fields at fault.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [only] => format!("{}: {}", only.field, only.message),
            _ => "The request has invalid fields".to_owned(),
        };
        let mut error = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_error", detail);
        error.body.errors = errors;
        error
    }

    /// 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// 503: the cause goes to the log (with the request id), never to the client.
    pub fn unavailable(cause: &str) -> Self {
        tracing::error!(cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The service is temporarily unavailable; try again shortly",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
    }

    /// 503 `busy`: too much at once; the same request may simply be sent again.
    pub fn busy(cause: &str) -> Self {
        tracing::warn!(cause, "busy");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Too many requests are being handled at once; try again in a moment",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    }

    /// 500: the cause goes to the log, never to the client.
    pub fn internal(cause: &str) -> Self {
        tracing::error!(cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side",
        )
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn code(&self) -> &str {
        &self.body.code
    }

    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.body.code,
            self.body.detail
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            response.insert_header((name.clone(), value.clone()));
        }
        response
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .json(&*self.body)
    }
}

impl From<TenancyError> for ApiError {
    fn from(error: TenancyError) -> Self {
        match error {
            TenancyError::NotFound => {
                Self::new(StatusCode::NOT_FOUND, "tenant_not_found", error.to_string())
            }
            TenancyError::Required => Self::new(
                StatusCode::BAD_REQUEST,
                "tenant_required",
                error.to_string(),
            ),
            TenancyError::Mismatch => {
                Self::new(StatusCode::FORBIDDEN, "tenant_mismatch", error.to_string())
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Tenancy(tenancy) => tenancy.into(),
            ServiceError::NotFound(what) => Self::not_found(format!("{what} not found")),
            ServiceError::Conflict { code, message } => {
                Self::new(StatusCode::CONFLICT, code, message)
            }
            ServiceError::Invalid { code, message } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            ServiceError::ConflictWith {
                code,
                message,
                details,
            } => {
                let mut error = Self::new(StatusCode::CONFLICT, code, message);
                if let serde_json::Value::Object(details) = details {
                    error.body.extra = details;
                }
                error
            }
            ServiceError::Validation(problems) => Self::validation(
                problems
                    .into_iter()
                    .map(|problem| FieldError {
                        field: problem.field,
                        message: problem.message,
                    })
                    .collect(),
            ),
            ServiceError::Unauthenticated { code, message } => Self::unauthorized(code, message),
            ServiceError::Forbidden { code, message } => {
                Self::new(StatusCode::FORBIDDEN, code, message)
            }
            ServiceError::PayloadTooLarge(message) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            }
            ServiceError::UnsupportedMediaType(message) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                message,
            ),
            ServiceError::Unavailable(cause) => Self::unavailable(&cause),
            ServiceError::Busy(cause) => Self::busy(&cause),
            ServiceError::Internal(cause) => Self::internal(&cause),
        }
    }
}

/// The body for a status no handler described (unknown route, wrong method, framework errors).
pub fn canonical_error(status: StatusCode) -> ApiError {
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("not_found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Unsupported media type"),
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "The request took too long to arrive"),
        status if status.is_server_error() => {
            ("internal_error", "Something went wrong on our side")
        }
        _ => ("bad_request", "The request could not be understood"),
    };
    ApiError::new(status, code, detail)
}
