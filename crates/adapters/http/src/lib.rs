//! Outbound HTTP for the adapters (maps, messaging, storage): one recipe for a client (rustls,
//! a timeout, our user agent, no redirects) and the W3C trace context of the current span on
//! every request, so a trace continues into the services we call (docs/deployment.md#production-checklist).

use std::time::Duration;

use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// `comanda/<version>`, unless an adapter needs to say more (Nominatim asks for a contact).
pub const USER_AGENT: &str = concat!("comanda/", env!("CARGO_PKG_VERSION"));

/// A client that never follows redirects: a provider, or an attacker's push endpoint, must not
/// send us elsewhere.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    client_with_agent(timeout, USER_AGENT)
}

pub fn client_with_agent(timeout: Duration, user_agent: &str) -> reqwest::Result<reqwest::Client> {
    // reqwest's TLS needs a process-wide crypto provider; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// The `traceparent` header of the current span (`00-<trace>-<span>-<flags>`), when it belongs
/// to a trace: an incoming request's, or one started here while traces are exported.
pub fn traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    span_context.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags().to_u8()
        )
    })
}

/// Adds the current trace context to an outbound request.
pub trait WithTraceContext {
    #[must_use]
    fn with_trace_context(self) -> Self;
}

impl WithTraceContext for reqwest::RequestBuilder {
    fn with_trace_context(self) -> Self {
        match traceparent() {
            Some(value) => self.header("traceparent", value),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn no_trace_no_header() {
        assert_eq!(traceparent(), None);
    }

    #[test]
    fn a_span_of_a_trace_gives_its_traceparent() {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("outbound");
            let _entered = span.enter();
            let header = traceparent().expect("inside a traced span");
            let parts: Vec<&str> = header.split('-').collect();
            assert_eq!(parts.len(), 4, "{header}");
            assert_eq!(parts[0], "00");
            assert_eq!(parts[1].len(), 32);
            assert_eq!(parts[2].len(), 16);
            let trace_id = span.context().span().span_context().trace_id();
            assert_eq!(parts[1], trace_id.to_string());
        });
    }
}
