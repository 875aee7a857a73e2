use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// API answers are data: nothing in them may load or run.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
/// The docs page loads its own script and styles, and fetches `/openapi.json`.
pub const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Security headers on every answer; HSTS only when the request came over HTTPS.
pub async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_docs = request.path() == "/docs" || request.path().starts_with("/docs/");
    let is_https = request.connection_info().scheme() == "https";
    let mut response = next.call(request).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    let mut set_default = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set_default(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(header::X_FRAME_OPTIONS, "DENY");
    set_default(header::REFERRER_POLICY, "no-referrer");
    set_default(
        header::CONTENT_SECURITY_POLICY,
        if is_docs { DOCS_CSP } else { API_CSP },
    );
    if is_https {
        set_default(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    Ok(response)
}
