use comanda_config::{LogFormat, ServerSettings};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Logs go to stdout: one JSON object per line by default (`LOG_FORMAT=pretty` for people).
/// Span fields (the request id, the tenant) are attached to every event inside a request.
pub fn init(server: &ServerSettings) {
    let filter = EnvFilter::try_new(&server.rust_log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE);
    let _ = match server.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.pretty().try_init(),
    };
}
