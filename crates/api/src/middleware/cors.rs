use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};
use comanda_services::ErrorCode;

use super::app_state;
use crate::error::ApiError;

const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOWED_HEADERS: &str =
    "Authorization, Content-Type, X-Tenant, X-Tenant-Id, X-Request-Id, Idempotency-Key";
const EXPOSED_HEADERS: &str = "X-Request-Id, Retry-After, RateLimit, RateLimit-Policy";

/// CORS for the origins of `CORS_ALLOWED_ORIGINS`, with credentials (the `admin_token`
/// cookie). A preflight from another origin is refused; a simple request from one goes on
/// without CORS headers, so the browser keeps its answer from the page.
pub async fn cors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim_end_matches('/').to_ascii_lowercase());
    let Some(origin) = origin else {
        let mut response = next.call(request).await?.map_into_boxed_body();
        vary_on_origin(response.headers_mut());
        return Ok(response);
    };
    let allowed = app_state(&request)
        .is_some_and(|state| state.settings.http.cors_allowed_origins.contains(&origin));
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    if preflight {
        if !allowed {
            let response = ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::OriginNotAllowed,
                "This origin may not call the API",
            )
            .error_response();
            let mut response = request.into_response(response);
            vary_on_origin(response.headers_mut());
            return Ok(response);
        }
        let mut response = HttpResponse::NoContent();
        response
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        let mut response = request.into_response(response.finish());
        add_origin_headers(response.headers_mut(), &origin);
        return Ok(response);
    }

    let mut response = next.call(request).await?.map_into_boxed_body();
    if allowed {
        add_origin_headers(response.headers_mut(), &origin);
        response.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    } else {
        vary_on_origin(response.headers_mut());
    }
    Ok(response)
}

/// Every answer may differ by `Origin` (CORS headers for some origins, none for others): a
/// shared cache must not hand one origin's answer to another.
fn vary_on_origin(headers: &mut actix_web::http::header::HeaderMap) {
    let already = headers
        .get_all(header::VARY)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("origin"));
    if !already {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn add_origin_headers(headers: &mut actix_web::http::header::HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    vary_on_origin(headers);
}
