use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::error::canonical_error;

/// Gives framework answers that carry no body of ours (405 from a known path with another
/// method, the default 404) the `{"detail","code"}` shape.
pub async fn error_shape(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    let has_body_of_ours = response.headers().contains_key(header::CONTENT_TYPE);
    if status.as_u16() < 400 || has_body_of_ours {
        return Ok(response);
    }
    let (request, original) = response.into_parts();
    let mut replacement = canonical_error(status).error_response();
    // Keep what the framework said about the answer (e.g. `Allow` on a 405).
    for (name, value) in original.headers() {
        if name != header::CONTENT_LENGTH && !replacement.headers().contains_key(name) {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, replacement))
}
