use comanda_services::ErrorCode;
use std::net::IpAddr;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};
use comanda_ports::{RateLimitDecision, RateLimitPolicy};

use super::app_state;
use super::client_ip::ClientIp;
use crate::error::ApiError;
use crate::state::AppState;

const WINDOW: Duration = Duration::from_secs(60);
const RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Paths probes and scrapers hit: never limited, so a busy client cannot make an instance
/// look dead. Webhooks are limited by their handlers, and only when their signature is wrong:
/// Meta and the billing provider send every tenant's events from a few addresses.
fn exempt(path: &str) -> bool {
    matches!(path, "/health" | "/livez" | "/readyz" | "/metrics")
        || path.starts_with("/webhooks/")
        || path.starts_with("/billing/webhook/")
}

/// Whom a limit counts: an IPv4 address, or an IPv6 client's /64 (one subscriber's network:
/// a client rotating addresses inside it is still one client).
pub fn rate_subject(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(network))
            }
        },
    }
}

/// A webhook call whose signature (or verify token) was refused counts against the caller's
/// per-IP limit: answers the refusal, or 429 once the caller is past the limit.
pub async fn refused_webhook(
    state: &AppState,
    request: &actix_web::HttpRequest,
    refusal: ApiError,
) -> ApiError {
    let client_ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|ip| ip.0)
        .or_else(|| request.peer_addr().map(|address| address.ip()));
    let Some(client_ip) = client_ip else {
        return refusal;
    };
    let policy = RateLimitPolicy {
        name: "webhook_refused",
        limit: state.settings.rate_limit.per_ip_per_minute,
        window: WINDOW,
    };
    match enforce_rate_limit(state, &policy, &rate_subject(client_ip)).await {
        Err(limited) => limited,
        Ok(_) => refusal,
    }
}

/// Per client IP for every route, and stricter per IP on `POST /checkout` (docs/operations.md#rate-limiting).
pub async fn rate_limit(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = app_state(&request) else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    if state.rate_limits.is_none() || exempt(request.path()) {
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let client_ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|ip| ip.0)
        .or_else(|| request.peer_addr().map(|address| address.ip()));
    let Some(client_ip) = client_ip else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };

    let settings = &state.settings.rate_limit;
    let mut policies = vec![RateLimitPolicy {
        name: "ip",
        limit: settings.per_ip_per_minute,
        window: WINDOW,
    }];
    if request.method() == Method::POST && request.path().starts_with("/checkout") {
        policies.push(RateLimitPolicy {
            name: "checkout",
            limit: settings.checkout_per_minute,
            window: WINDOW,
        });
    }

    let mut tightest: Option<(RateLimitPolicy, RateLimitDecision)> = None;
    for policy in policies {
        let outcome = enforce_rate_limit(&state, &policy, &rate_subject(client_ip)).await;
        match outcome {
            Err(refusal) => return Ok(request.into_response(refusal.error_response())),
            Ok(Some(decision)) => {
                if tightest
                    .as_ref()
                    .is_none_or(|(_, kept)| decision.remaining < kept.remaining)
                {
                    tightest = Some((policy, decision));
                }
            }
            Ok(None) => {}
        }
    }

    let mut response = next.call(request).await?.map_into_boxed_body();
    if let Some((policy, decision)) = tightest {
        write_headers(response.headers_mut(), &policy, &decision);
    }
    Ok(response)
}

/// Counts one request under `policy` for `subject` (an IP; later, IP and e-mail for logins).
/// Refused → the 429 to answer; a store failure never blocks the request (`Ok(None)`).
pub async fn enforce_rate_limit(
    state: &AppState,
    policy: &RateLimitPolicy,
    subject: &str,
) -> Result<Option<RateLimitDecision>, ApiError> {
    let Some(store) = &state.rate_limits else {
        return Ok(None);
    };
    let key = format!(
        "{}:{}:{subject}",
        state.settings.rate_limit.key_prefix, policy.name
    );
    let decision = match store.check(&key, policy).await {
        Ok(decision) => decision,
        Err(error) => {
            tracing::warn!(%error, "rate limit store failed; request let through");
            return Ok(None);
        }
    };
    if decision.allowed {
        return Ok(Some(decision));
    }
    let retry_after = decision.retry_after.as_secs_f64().ceil().max(1.0) as u64;
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("Too many requests; try again in {retry_after} s"),
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after));
    let mut headers = HeaderMap::new();
    write_headers(&mut headers, policy, &decision);
    for (name, value) in headers {
        error = error.with_header(name, value);
    }
    Err(error)
}

/// The IETF draft headers: `RateLimit-Policy: "ip";q=300;w=60` and `RateLimit: "ip";r=12;t=5`.
fn write_headers(headers: &mut HeaderMap, policy: &RateLimitPolicy, decision: &RateLimitDecision) {
    let policy_value = format!(
        "\"{}\";q={};w={}",
        policy.name,
        policy.limit,
        policy.window.as_secs()
    );
    let reset = decision.reset_after.as_secs_f64().ceil() as u64;
    let limit_value = format!("\"{}\";r={};t={reset}", policy.name, decision.remaining);
    if let Ok(value) = HeaderValue::from_str(&policy_value) {
        headers.insert(RATE_LIMIT_POLICY, value);
    }
    if let Ok(value) = HeaderValue::from_str(&limit_value) {
        headers.insert(RATE_LIMIT, value);
    }
}

#[cfg(test)]
mod tests {
    use super::rate_subject;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_ipv4_by_address() {
        let one = rate_subject("2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let same_network = rate_subject("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().expect("ip"));
        let other_network = rate_subject("2001:db8:1:3::1".parse().expect("ip"));
        assert_eq!(one, "2001:db8:1:2::/64");
        assert_eq!(one, same_network);
        assert_ne!(one, other_network);
        assert_eq!(
            rate_subject("203.0.113.7".parse().expect("ip")),
            "203.0.113.7"
        );
        assert_eq!(
            rate_subject("::ffff:203.0.113.7".parse().expect("ip")),
            "203.0.113.7",
            "an IPv4 client seen through a dual stack is that IPv4 client"
        );
    }
}
