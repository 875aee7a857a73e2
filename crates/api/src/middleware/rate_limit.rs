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
/// look dead.
fn exempt(path: &str) -> bool {
    matches!(path, "/health" | "/livez" | "/readyz" | "/metrics")
}

/// Per client IP for every route, and stricter per IP on `POST /checkout` (SPEC §12).
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
        let outcome = enforce_rate_limit(&state, &policy, &client_ip.to_string()).await;
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
        "rate_limited",
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
