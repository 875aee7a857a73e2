//! The one error type of the HTTP layer and its `{"detail", "code", "errors"?}` body.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use comanda_domain::tenancy::TenancyError;
use comanda_services::{ErrorCode, ServiceError};
use serde::Serialize;
use utoipa::ToSchema;

/// Every error answer: `detail` for people (and FastAPI front ends), `code` for programs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A human-readable message.
    pub detail: String,
    /// A stable snake_case code (by status: docs/api.md#errors).
    #[schema(schema_with = error_code_schema)]
    pub code: ErrorCode,
    /// For validation errors: which field is wrong and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Figures the client can act on (`price_changed`: the new prices; `out_of_stock`: the
    /// items).
    #[serde(flatten)]
    #[schema(ignore)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `code` as the OpenAPI document states it: a string, one of every `ErrorCode`.
fn error_code_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some(
            "A stable snake_case code; by status in docs/api.md#errors",
        ))
        .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
        .build()
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
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                detail: detail.into(),
                code,
                errors: Vec::new(),
                extra: serde_json::Map::new(),
            }),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401 with the `WWW-Authenticate` challenge.
    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    pub fn forbidden(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, detail)
    }

    /// 422 with the fields at fault.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [only] => format!("{}: {}", only.field, only.message),
            _ => "The request has invalid fields".to_owned(),
        };
        let mut error = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationError,
            detail,
        );
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
            ErrorCode::ServiceUnavailable,
            "The service is temporarily unavailable; try again shortly",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
    }

    /// 503 `busy`: too much at once; the same request may simply be sent again.
    pub fn busy(cause: &str) -> Self {
        tracing::warn!(cause, "busy");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Busy,
            "Too many requests are being handled at once; try again in a moment",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    }

    /// 500: the cause goes to the log, never to the client.
    pub fn internal(cause: &str) -> Self {
        tracing::error!(cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "Something went wrong on our side",
        )
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn code(&self) -> &str {
        self.body.code.as_str()
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
            TenancyError::NotFound => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::TenantNotFound,
                error.to_string(),
            ),
            TenancyError::Required => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::TenantRequired,
                error.to_string(),
            ),
            TenancyError::Mismatch => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::TenantMismatch,
                error.to_string(),
            ),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Tenancy(tenancy) => tenancy.into(),
            ServiceError::NotFound(what) => Self::not_found(format!("{what} not found")),
            ServiceError::NotFoundWith { code, message } => {
                Self::new(StatusCode::NOT_FOUND, code, message)
            }
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
            ServiceError::PayloadTooLarge(message) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                message,
            ),
            ServiceError::UnsupportedMediaType(message) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
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
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => (ErrorCode::MethodNotAllowed, "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (ErrorCode::PayloadTooLarge, "The request body is too large")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (ErrorCode::UnsupportedMediaType, "Unsupported media type")
        }
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::RequestTimeout,
            "The request took too long to arrive",
        ),
        status if status.is_server_error() => {
            (ErrorCode::InternalError, "Something went wrong on our side")
        }
        _ => (ErrorCode::BadRequest, "The request could not be understood"),
    };
    ApiError::new(status, code, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_in_the_docs_table() {
        let docs = include_str!("../../../docs/api.md");
        let table = &docs[docs.find("## Errors").unwrap_or(0)..];
        let table = &table[..table.find("\n## ").map_or(table.len(), |end| end + 1)];
        let missing: Vec<&str> = ErrorCode::ALL
            .iter()
            .map(|code| code.as_str())
            .filter(|code| !table.contains(&format!("`{code}`")))
            .collect();
        assert!(missing.is_empty(), "not in docs/api.md#errors: {missing:?}");
    }

    #[test]
    fn the_openapi_document_lists_every_error_code() {
        let document = serde_json::to_value(crate::openapi::document()).unwrap_or_default();
        let listed: Vec<&str> =
            document["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
                .as_array()
                .map(|values| values.iter().filter_map(|value| value.as_str()).collect())
                .unwrap_or_default();
        let all: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(listed, all);
    }
}
