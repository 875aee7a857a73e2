use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use comanda_services::ErrorCode;

use super::app_state;
use crate::error::ApiError;

/// Probes and scrapers call these by the pod's address, never by a public host name; they
/// build no links from the host.
const ANY_HOST_PATHS: [&str; 4] = ["/health", "/livez", "/readyz", "/metrics"];

/// With `TRUSTED_HOSTS` set, a request for any other `Host` is refused with 400 (it would let
/// an attacker poison links built from the host).
pub async fn trusted_host(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let allowed = app_state(&request).and_then(|state| state.settings.http.trusted_hosts.clone());
    if let Some(allowed) = allowed
        && !ANY_HOST_PATHS.contains(&request.path())
    {
        let host = request_host(&request);
        if !host
            .as_deref()
            .is_some_and(|host| host_allowed(host, &allowed))
        {
            let response = ApiError::bad_request(ErrorCode::InvalidHost, "Invalid host header")
                .error_response();
            return Ok(request.into_response(response));
        }
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// The `Host` header (or the HTTP/2 authority) without its port, lowercased.
fn request_host(request: &ServiceRequest) -> Option<String> {
    let raw = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().host().map(str::to_owned))?;
    let host = if let Some(rest) = raw.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default().to_owned()
    } else {
        raw.split(':').next().unwrap_or_default().to_owned()
    };
    Some(host.to_ascii_lowercase())
}

/// `*` allows any host; `*.example.com` allows every subdomain of example.com.
fn host_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|pattern| {
        pattern == "*"
            || pattern == host
            || pattern.strip_prefix("*.").is_some_and(|suffix| {
                host.strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.'))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn exact_wildcard_and_any_hosts() {
        let allowed = vec!["api.example.com".to_owned(), "*.lojas.com.br".to_owned()];
        assert!(host_allowed("api.example.com", &allowed));
        assert!(host_allowed("pizza.lojas.com.br", &allowed));
        assert!(!host_allowed("lojas.com.br", &allowed));
        assert!(!host_allowed("evil-lojas.com.br", &allowed));
        assert!(!host_allowed("example.com", &allowed));
        assert!(host_allowed("anything", &["*".to_owned()]));
    }
}
