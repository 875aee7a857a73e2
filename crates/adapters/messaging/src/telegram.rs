use async_trait::async_trait;
use comanda_http::WithTraceContext;
use comanda_ports::messaging::{ProviderError, TelegramClient};
use url::Url;

use crate::{classify, http_client, transport};

/// The Telegram Bot API, at `TELEGRAM_API_BASE_URL`.
pub struct TelegramBotClient {
    client: reqwest::Client,
    base_url: Url,
}

impl TelegramBotClient {
    pub fn new(base_url: Url) -> Result<Self, ProviderError> {
        Ok(Self {
            client: http_client()?,
            base_url,
        })
    }
}

#[async_trait]
impl TelegramClient for TelegramBotClient {
    async fn send_message(
        &self,
        bot_token: &str,
        chat_id: &str,
        text: &str,
    ) -> Result<(), ProviderError> {
        let url = format!(
            "{}/bot{bot_token}/sendMessage",
            self.base_url.as_str().trim_end_matches('/')
        );
        let response = self
            .client
            .post(url)
            .json(&serde_json::json!({"chat_id": chat_id, "text": text, "disable_web_page_preview": true}))
            .with_trace_context()
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        // The token is part of the URL: never let it into an error message.
        Err(classify(status, &body.replace(bot_token, "[token]")))
    }
}
