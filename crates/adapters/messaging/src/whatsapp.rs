use async_trait::async_trait;
use comanda_http::WithTraceContext;
use comanda_ports::messaging::{ProviderError, WhatsAppClient, WhatsAppCredentials};
use serde::Deserialize;
use url::Url;

use crate::{classify, http_client, transport};

/// The WhatsApp Cloud API (Graph), at `WHATSAPP_API_BASE_URL`.
pub struct GraphWhatsAppClient {
    client: reqwest::Client,
    base_url: Url,
}

#[derive(Deserialize)]
struct Sent {
    messages: Vec<SentId>,
}

#[derive(Deserialize)]
struct SentId {
    id: String,
}

#[derive(Deserialize)]
struct MediaInfo {
    url: String,
    mime_type: String,
}

/// The most a received media file may weigh (WhatsApp's own limit for media is 16 MB; a
/// document can claim more, and a hostile or broken server can send without end).
pub const MAX_MEDIA_BYTES: usize = 16 * 1024 * 1024;

/// Reads a download chunk by chunk, stopping as soon as it passes `MAX_MEDIA_BYTES`.
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
    let too_large =
        || ProviderError::Permanent(format!("the media is larger than {MAX_MEDIA_BYTES} bytes"));
    if response
        .content_length()
        .is_some_and(|length| length > MAX_MEDIA_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if bytes.len() + chunk.len() > MAX_MEDIA_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

impl GraphWhatsAppClient {
    pub fn new(base_url: Url) -> Result<Self, ProviderError> {
        Ok(Self {
            client: http_client()?,
            base_url,
        })
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    async fn send(
        &self,
        credentials: &WhatsAppCredentials,
        body: serde_json::Value,
    ) -> Result<String, ProviderError> {
        let response = self
            .client
            .post(self.url(&format!("{}/messages", credentials.phone_number_id)))
            .bearer_auth(&credentials.access_token)
            .json(&body)
            .with_trace_context()
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let text = response.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(classify(status, &text));
        }
        let sent: Sent = serde_json::from_str(&text)
            .map_err(|error| ProviderError::Permanent(error.to_string()))?;
        sent.messages
            .into_iter()
            .next()
            .map(|message| message.id)
            .ok_or_else(|| ProviderError::Permanent("no message id in the answer".into()))
    }
}

#[async_trait]
impl WhatsAppClient for GraphWhatsAppClient {
    async fn send_text(
        &self,
        credentials: &WhatsAppCredentials,
        to: &str,
        body: &str,
    ) -> Result<String, ProviderError> {
        self.send(
            credentials,
            serde_json::json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"preview_url": false, "body": body},
            }),
        )
        .await
    }

    async fn send_template(
        &self,
        credentials: &WhatsAppCredentials,
        to: &str,
        template: &str,
        language: &str,
        parameters: &[String],
    ) -> Result<String, ProviderError> {
        let parameters: Vec<serde_json::Value> = parameters
            .iter()
            .map(|text| serde_json::json!({"type": "text", "text": text}))
            .collect();
        self.send(
            credentials,
            serde_json::json!({
                "messaging_product": "whatsapp",
                "to": to,
                "type": "template",
                "template": {
                    "name": template,
                    "language": {"code": language},
                    "components": [{"type": "body", "parameters": parameters}],
                },
            }),
        )
        .await
    }

    async fn download_media(
        &self,
        credentials: &WhatsAppCredentials,
        media_id: &str,
    ) -> Result<(Vec<u8>, String), ProviderError> {
        if !media_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ProviderError::Permanent("malformed media id".into()));
        }
        let response = self
            .client
            .get(self.url(media_id))
            .bearer_auth(&credentials.access_token)
            .with_trace_context()
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let text = response.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(classify(status, &text));
        }
        let info: MediaInfo = serde_json::from_str(&text)
            .map_err(|error| ProviderError::Permanent(error.to_string()))?;
        let download = self
            .client
            .get(&info.url)
            .bearer_auth(&credentials.access_token)
            .with_trace_context()
            .send()
            .await
            .map_err(transport)?;
        let status = download.status();
        if !status.is_success() {
            return Err(classify(status, ""));
        }
        Ok((read_capped(download).await?, info.mime_type))
    }
}
