use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};
use tracing::Instrument;

use super::app_state;
use super::client_ip::{ClientIp, resolve_client_ip};
use crate::error::ApiError;
use crate::extract::TenantTag;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// This request's id: the caller's `X-Request-Id` when it is sane, else a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accepts a caller's id only if it cannot inject anything into logs or headers.
fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let sane = (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    sane.then(|| text.to_owned())
}

/// A W3C `traceparent` (and `tracestate`) from the caller makes this request's span part of
/// the caller's trace (only visible when traces are exported).
fn continue_incoming_trace(span: &tracing::Span, request: &ServiceRequest) {
    struct Headers<'a>(&'a actix_web::http::header::HeaderMap);
    impl opentelemetry::propagation::Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|value| value.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(HeaderName::as_str).collect()
        }
    }
    if !request.headers().contains_key("traceparent") {
        return;
    }
    let propagator = opentelemetry_sdk::propagation::TraceContextPropagator::new();
    let parent = opentelemetry::propagation::TextMapPropagator::extract(
        &propagator,
        &Headers(request.headers()),
    );
    // Fails only when no OpenTelemetry layer is installed: nothing to continue then.
    let _ = tracing_opentelemetry::OpenTelemetrySpanExt::set_parent(span, parent);
}

/// One JSON log line per request (request id, method, path, status, duration, tenant, client
/// IP), the request id echoed in `X-Request-Id`, and the request counted in `/metrics`.
pub async fn request_log(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let state = app_state(&request);
    let request_id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    let trusted_proxies = state
        .as_ref()
        .map(|state| state.settings.http.trusted_proxies.clone())
        .unwrap_or_default();
    let client_ip = resolve_client_ip(&request, &trusted_proxies);
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    request.extensions_mut().insert(ClientIp(client_ip));
    let method = request.method().to_string();
    // The path only: query strings may carry tracking tokens.
    let path = request.path().to_owned();

    // The `otel.*` and `http.*` fields name and describe the span in exported traces (the
    // route is only known once the router has run, so it is an attribute, not in the name).
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        tenant = tracing::field::Empty,
        otel.name = %method,
        otel.kind = "server",
        http.request.method = %method,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    continue_incoming_trace(&span, &request);
    let outcome = next.call(request).instrument(span.clone()).await;
    let mut response = match outcome {
        Ok(response) => response.map_into_boxed_body(),
        Err(error) => {
            // An inner layer failed outright: answer in our shape, keep the cause in the log.
            let cause = error.to_string();
            let _entered = span.enter();
            return Err(actix_web::error::InternalError::from_response(
                cause.clone(),
                ApiError::internal(&cause).error_response(),
            )
            .into());
        }
    };

    let status = response.status().as_u16();
    let tenant = response
        .request()
        .extensions()
        .get::<TenantTag>()
        .map(|tag| tag.0.clone())
        .unwrap_or_default();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    span.record("http.route", route.as_str());
    span.record("http.response.status_code", status);
    let elapsed = started.elapsed();
    if let Some(state) = &state {
        state
            .metrics
            .observe_request(&method, &route, status, elapsed.as_secs_f64());
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let duration_ms = (elapsed.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    tracing::info!(
        target: "comanda::http",
        request_id = %request_id,
        method = %method,
        path = %path,
        status,
        duration_ms,
        tenant = %tenant,
        client_ip = %client_ip,
        "request"
    );
    Ok(response)
}
