//! Uploads (multipart `file` field) and `/media/*` for local storage.

use actix_multipart::{Multipart, MultipartError};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use comanda_domain::media::MediaKind;
use comanda_services::ErrorCode;
use comanda_services::media::{MediaService, MediaTarget};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::TenantScope;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResponse {
    /// Where the file can be fetched.
    pub url: String,
}

/// A multipart upload's form, for the OpenAPI document.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. Its type is decided by its bytes: images JPEG, PNG, WebP (5 MB); videos MP4,
    /// WebM (20 MB).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

fn not_multipart() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        "Send the file as multipart/form-data in a `file` field",
    )
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("The file is larger than {} MB", limit / (1024 * 1024)),
    )
}

/// The bytes of the first file field, stopping as soon as they pass `limit`.
async fn read_file(mut form: Multipart, limit: usize) -> Result<Vec<u8>, ApiError> {
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|error| match error {
            MultipartError::ContentTypeMissing
            | MultipartError::ContentTypeParse
            | MultipartError::ContentTypeIncompatible
            | MultipartError::BoundaryMissing => not_multipart(),
            _ => ApiError::bad_request(ErrorCode::MalformedBody, "The multipart body is malformed"),
        })?;
        let is_file = field.name() == Some("file")
            || field
                .content_disposition()
                .is_some_and(|disposition| disposition.get_filename().is_some());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| {
                ApiError::bad_request(ErrorCode::MalformedBody, "The multipart body is malformed")
            })?;
            if bytes.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            return Ok(bytes);
        }
    }
    Err(ApiError::validation(vec![crate::error::FieldError {
        field: "file".into(),
        message: "a file field is required".into(),
    }]))
}

/// The uploaded file's bytes, at most `limit` of them.
pub async fn read_upload(
    form: Result<Multipart, actix_web::Error>,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    read_file(form.map_err(|_| not_multipart())?, limit).await
}

/// Shared by every upload route: read within the target's limit, then store.
pub async fn upload(
    state: &AppState,
    scope: TenantScope<'_>,
    target: MediaTarget,
    form: Result<Multipart, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let bytes = read_upload(form, MediaService::limit(target)).await?;
    let tenant = &scope.principal.tenant;
    let url = state
        .media
        .upload(tenant.id, tenant.stores_limit, target, bytes, scope.actor)
        .await?;
    Ok(HttpResponse::Created().json(UploadResponse { url }))
}

/// Files of the local storage. Keys are made by the server; anything else is 404.
pub async fn serve(
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found("Not found");
    if !state.serves_media || !comanda_storage::valid_key(&key) {
        return Err(not_found());
    }
    let kind = key
        .rsplit_once('.')
        .and_then(|(_, extension)| MediaKind::from_extension(extension))
        .ok_or_else(not_found)?;
    let bytes = state.media.read(&key).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .content_type(kind.content_type())
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(bytes))
}
