//! Logs to stdout, and traces over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (nothing
//! is built or exported otherwise).

use async_trait::async_trait;
use bytes::Bytes;
use comanda_config::{LogFormat, ServerSettings};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HttpClient, HttpError};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use url::Url;

/// Keeps the trace exporter alive; `shutdown` sends what is still buffered.
#[must_use = "call shutdown before exiting, or buffered spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the exporter (off the async executor: it blocks).
    pub async fn shutdown(self) {
        if let Some(provider) = self.provider {
            let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if !matches!(flushed, Ok(Ok(()))) {
                eprintln!("traces: the exporter did not shut down cleanly");
            }
        }
    }
}

/// The exporter's HTTP client: our reqwest (rustls), run on the application's runtime so the
/// exporter's own thread can wait for it.
#[derive(Debug)]
struct OtlpHttpClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait]
impl HttpClient for OtlpHttpClient {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let request = reqwest::Request::try_from(request)?;
        let (status, headers, body) = self
            .runtime
            .spawn(async move {
                let response = client.execute(request).await?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            })
            .await??;
        let mut response = http::Response::builder().status(status.as_u16());
        for (name, value) in &headers {
            response = response.header(name.as_str(), value.as_bytes());
        }
        Ok(response.body(body)?)
    }
}

/// A tracer provider exporting in batches to `{endpoint}/v1/traces`.
fn otlp_provider(endpoint: &Url) -> Result<SdkTracerProvider, String> {
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| "traces need the Tokio runtime".to_owned())?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|error| error.to_string())?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(OtlpHttpClient { client, runtime })
        .with_endpoint(format!(
            "{}/v1/traces",
            endpoint.as_str().trim_end_matches('/')
        ))
        .build()
        .map_err(|error| error.to_string())?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name("comanda")
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.version",
                    env!("CARGO_PKG_VERSION"),
                ))
                .build(),
        )
        .build())
}

/// Logs go to stdout: one JSON object per line by default (`LOG_FORMAT=pretty` for people).
/// Span fields (the request id, the tenant) are attached to every event inside a request.
/// With an OTLP endpoint, the same spans are exported as traces.
pub fn init(server: &ServerSettings, otlp_endpoint: Option<&Url>) -> Telemetry {
    let filter = EnvFilter::try_new(&server.rust_log).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match server.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_span_events(FmtSpan::NONE)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .pretty()
            .with_span_events(FmtSpan::NONE)
            .boxed(),
    };
    let (provider, problem) = match otlp_endpoint.map(otlp_provider) {
        Some(Ok(provider)) => (Some(provider), None),
        Some(Err(problem)) => (None, Some(problem)),
        None => (None, None),
    };
    let traces = provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("comanda")));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(traces)
        .try_init();
    if let Some(problem) = problem {
        tracing::warn!(%problem, "OTEL_EXPORTER_OTLP_ENDPOINT is set but traces cannot be exported");
    } else if let Some(endpoint) = otlp_endpoint {
        tracing::info!(endpoint = %endpoint, "exporting traces over OTLP/HTTP");
    }
    Telemetry { provider }
}
