//! Outside messaging services behind the messaging ports. Base URLs come from configuration so
//! tests point them at local stub servers.

mod push;
mod telegram;
mod whatsapp;

use std::time::Duration;

use comanda_ports::messaging::ProviderError;

pub use push::{EndpointPolicy, VapidKeys, WebPushClient};
pub use telegram::TelegramBotClient;
pub use whatsapp::GraphWhatsAppClient;

const TIMEOUT: Duration = Duration::from_secs(10);

fn http_client() -> Result<reqwest::Client, ProviderError> {
    comanda_http::client(TIMEOUT).map_err(|error| ProviderError::Permanent(error.to_string()))
}

/// Timeouts, 429 and 5xx are worth retrying; other failures are not.
fn classify(status: reqwest::StatusCode, body: &str) -> ProviderError {
    let detail = format!(
        "HTTP {}: {}",
        status.as_u16(),
        body.chars().take(300).collect::<String>()
    );
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        ProviderError::Temporary(detail)
    } else {
        ProviderError::Permanent(detail)
    }
}

fn transport(error: reqwest::Error) -> ProviderError {
    ProviderError::Temporary(error.without_url().to_string())
}
