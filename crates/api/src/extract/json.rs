use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest};
use comanda_services::ErrorCode;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// JSON bodies are at most 1 MiB (docs/api.md#headers).
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// A JSON body with Comanda's error contract: not JSON → 415, over 1 MiB → 413, broken JSON
/// → 400 `malformed_json`, wrong fields → 422 with the path of each field at fault. Read
/// first, judged when the handler asks (`into_inner`), after its authorization check: a user
/// without the right learns nothing about what the body should hold.
#[derive(Debug)]
pub struct ApiJson<T>(Result<T, ApiError>);

impl<T> ApiJson<T> {
    /// The body, or the error it earned.
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

fn is_json(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!(
            "The JSON body is larger than {} KiB",
            JSON_BODY_LIMIT / 1024
        ),
    )
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json::<T>(request, payload);
        Box::pin(async move { Ok(ApiJson(body.await)) })
    }
}

/// Reads and parses a JSON body.
fn read_json<T: DeserializeOwned + 'static>(
    request: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    {
        let json = is_json(request);
        let declared_length = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ErrorCode::UnsupportedMediaType,
                    "Send the body as application/json",
                ));
            }
            if declared_length.is_some_and(|length| length > JSON_BODY_LIMIT) {
                return Err(too_large());
            }
            let mut body = Vec::with_capacity(declared_length.unwrap_or(1024).min(JSON_BODY_LIMIT));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| {
                    ApiError::bad_request(
                        ErrorCode::MalformedBody,
                        "The request body could not be read",
                    )
                })?;
                if body.len() + chunk.len() > JSON_BODY_LIMIT {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body)
        })
    }
}

/// Parses a JSON body, telling broken JSON (400) from well-formed JSON of the wrong shape (422).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        json_error(error.into_inner(), Some(path))
    })?;
    // Anything after the value (`{...} trailing`) is broken JSON too.
    deserializer
        .end()
        .map_err(|error| json_error(error, None))?;
    Ok(value)
}

/// Reads an already parsed JSON value into a type, with the same error contract.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|error| {
        let path = error.path().to_string();
        json_error(error.into_inner(), Some(path))
    })
}

fn json_error(error: serde_json::Error, path: Option<String>) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
            ErrorCode::MalformedJson,
            format!(
                "The body is not valid JSON (line {}, column {})",
                error.line(),
                error.column()
            ),
        ),
        Category::Data => ApiError::validation(vec![FieldError {
            field: match path.as_deref() {
                None | Some(".") => "body".to_owned(),
                Some(path) => path.to_owned(),
            },
            message: data_error_message(&error),
        }]),
    }
}

/// serde's message without its " at line X column Y" suffix.
fn data_error_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(position) => message[..position].to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Order {
        store_id: String,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        quantity: u32,
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        let error = parse_json::<Order>(br#"{"store_id": "#).expect_err("broken");
        assert_eq!(error.code(), "malformed_json");
        let error = parse_json::<Order>(br#"{"store_id": "x", "items": []} trailing"#)
            .expect_err("trailing");
        assert_eq!(error.code(), "malformed_json");
    }

    #[test]
    fn wrong_shape_names_the_field() {
        let error = parse_json::<Order>(br#"{"store_id": "x", "items": [{"quantity": -1}]}"#)
            .expect_err("negative quantity");
        assert_eq!(error.code(), "validation_error");
        assert_eq!(error.body().errors[0].field, "items[0].quantity");
        assert!(!error.body().errors[0].message.contains("line"));
    }

    #[test]
    fn missing_field_is_a_validation_error() {
        let error = parse_json::<Order>(br#"{"items": []}"#).expect_err("missing store");
        assert_eq!(error.code(), "validation_error");
        assert!(error.body().errors[0].message.contains("store_id"));
    }

    #[test]
    fn good_json_parses() {
        let order = parse_json::<Order>(br#"{"store_id": "x", "items": [{"quantity": 2}]}"#)
            .expect("valid");
        assert_eq!(order.items[0].quantity, 2);
    }
}
