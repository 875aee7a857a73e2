//! The WhatsApp Cloud API webhook (docs/api.md#messaging) and the portal's conversations (`/admin/whatsapp`).

use crate::ErrorCode;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use comanda_domain::TenantId;
use comanda_domain::messaging::{self, DeliveryStatus};
use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::phone::Phone;
use comanda_domain::tenancy::TenantSlug;
use comanda_ports::media::MediaStorage;
use comanda_ports::messaging::{
    ChatMessage, Conversation, FollowUp, InboundMessage, OutboundMessage, OutboxEntry,
    OutboxRepository, WhatsAppRepository,
};
use comanda_ports::{Actor, Clock, SignatureVerifier, TenantRepository};
use serde::Deserialize;

use super::Channels;
use super::dispatcher::kinds;
use crate::{FieldProblem, ServiceError};

/// Longest text WhatsApp accepts in one message.
const MAX_TEXT_CHARS: usize = 4096;

/// What one webhook call changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookReport {
    pub messages_stored: usize,
    pub duplicates: usize,
    pub statuses_applied: usize,
    /// Events for numbers no tenant owns, or in shapes we do not read.
    pub ignored: usize,
}

/// A message staff send from the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Text(String),
    Template {
        name: String,
        language: String,
        parameters: Vec<String>,
    },
}

#[derive(Clone)]
pub struct WhatsAppService {
    conversations: Arc<dyn WhatsAppRepository>,
    outbox: Arc<dyn OutboxRepository>,
    tenants: Arc<dyn TenantRepository>,
    storage: Arc<dyn MediaStorage>,
    /// `WHATSAPP_APP_SECRET`; without one every event is refused.
    signatures: Arc<dyn SignatureVerifier>,
    channels: Channels,
    clock: Arc<dyn Clock>,
}

// Meta's webhook shapes, read leniently: unknown fields are ignored, missing ones default.
#[derive(Deserialize, Default)]
struct Envelope {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize, Default)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize, Default)]
struct Change {
    #[serde(default)]
    value: ChangeValue,
}

#[derive(Deserialize, Default)]
struct ChangeValue {
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<WireMessage>,
    #[serde(default)]
    statuses: Vec<WireStatus>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    phone_number_id: String,
}

#[derive(Deserialize, Default)]
struct Contact {
    #[serde(default)]
    wa_id: String,
    #[serde(default)]
    profile: Profile,
}

#[derive(Deserialize, Default)]
struct Profile {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
struct WireMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    timestamp: String,
    #[serde(default, rename = "type")]
    kind: String,
    text: Option<TextBody>,
    image: Option<Media>,
    video: Option<Media>,
    audio: Option<Media>,
    document: Option<Media>,
    sticker: Option<Media>,
    location: Option<Location>,
    button: Option<Button>,
    interactive: Option<Interactive>,
    reaction: Option<Reaction>,
}

#[derive(Deserialize, Default)]
struct TextBody {
    #[serde(default)]
    body: String,
}

#[derive(Deserialize, Default)]
struct Media {
    #[serde(default)]
    id: String,
    mime_type: Option<String>,
    caption: Option<String>,
    filename: Option<String>,
}

#[derive(Deserialize, Default)]
struct Location {
    latitude: Option<f64>,
    longitude: Option<f64>,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Deserialize, Default)]
struct Button {
    #[serde(default)]
    text: String,
}

#[derive(Deserialize, Default)]
struct Interactive {
    button_reply: Option<Reply>,
    list_reply: Option<Reply>,
}

#[derive(Deserialize, Default)]
struct Reply {
    #[serde(default)]
    title: String,
}

#[derive(Deserialize, Default)]
struct Reaction {
    #[serde(default)]
    emoji: String,
}

#[derive(Deserialize, Default)]
struct WireStatus {
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    timestamp: String,
    #[serde(default)]
    errors: Vec<WireError>,
}

#[derive(Deserialize, Default)]
struct WireError {
    code: Option<i64>,
    title: Option<String>,
    message: Option<String>,
}

/// Meta's timestamps are Unix seconds written as text.
fn timestamp(raw: &str) -> Option<DateTime<Utc>> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
}

/// The customer's number as we key conversations: E.164, Brazilian numbers normalized (Meta
/// often reports mobiles without the ninth digit).
fn customer_phone(wa_id: &str) -> Option<String> {
    let digits = wa_id.trim().trim_start_matches('+');
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        Phone::parse(&format!("+{digits}"))
            .map(|phone| phone.as_str().to_owned())
            .unwrap_or_else(|_| format!("+{digits}")),
    )
}

/// What a stored inbound message says, by its type.
fn inbound(
    message: WireMessage,
    names: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Option<InboundMessage> {
    let from_phone = customer_phone(&message.from)?;
    if message.id.is_empty() {
        return None;
    }
    let media = [
        message.image,
        message.video,
        message.audio,
        message.document,
        message.sticker,
    ]
    .into_iter()
    .flatten()
    .find(|media| !media.id.is_empty());
    let body = if let Some(text) = message.text {
        text.body
    } else if let Some(media) = &media {
        media
            .caption
            .clone()
            .or_else(|| media.filename.clone())
            .unwrap_or_default()
    } else if let Some(location) = message.location {
        let place = [location.name, location.address]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        match (location.latitude, location.longitude) {
            (Some(latitude), Some(longitude)) => {
                format!("{latitude},{longitude} {place}").trim().to_owned()
            }
            _ => place,
        }
    } else if let Some(button) = message.button {
        button.text
    } else if let Some(interactive) = message.interactive {
        interactive
            .button_reply
            .or(interactive.list_reply)
            .map(|reply| reply.title)
            .unwrap_or_default()
    } else if let Some(reaction) = message.reaction {
        reaction.emoji
    } else {
        String::new()
    };
    let kind = if message.kind.is_empty() {
        "unknown".to_owned()
    } else {
        message.kind.chars().take(32).collect()
    };
    Some(InboundMessage {
        wa_message_id: message.id,
        customer_name: names.get(&message.from).cloned().unwrap_or_default(),
        from_phone,
        // A clock far off in the future must not hold the window open.
        timestamp: timestamp(&message.timestamp).map_or(now, |at| at.min(now)),
        kind,
        body,
        media_id: media.as_ref().map(|media| media.id.clone()),
        media_mime: media.and_then(|media| media.mime_type),
    })
}

fn status_error(errors: &[WireError]) -> Option<String> {
    errors.first().map(|error| {
        let text = error
            .message
            .clone()
            .or_else(|| error.title.clone())
            .unwrap_or_else(|| "failed".into());
        match error.code {
            Some(code) => format!("{code}: {text}"),
            None => text,
        }
    })
}

impl WhatsAppService {
    pub fn new(
        conversations: Arc<dyn WhatsAppRepository>,
        outbox: Arc<dyn OutboxRepository>,
        tenants: Arc<dyn TenantRepository>,
        storage: Arc<dyn MediaStorage>,
        signatures: Arc<dyn SignatureVerifier>,
        channels: Channels,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            conversations,
            outbox,
            tenants,
            storage,
            signatures,
            channels,
            clock,
        }
    }

    /// The tenant a `/webhooks/whatsapp/{tenant_slug}` call is for; 404 when there is none.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<TenantId, ServiceError> {
        let unknown = || ServiceError::Tenancy(comanda_domain::tenancy::TenancyError::NotFound);
        let slug: TenantSlug = slug.parse().map_err(|_| unknown())?;
        self.tenants
            .find_by_slug(&slug)
            .await?
            .map(|tenant| tenant.id)
            .ok_or_else(unknown)
    }

    /// Meta's subscription check: answers `hub.challenge` when the mode is `subscribe` and the
    /// token is the global one or the tenant's.
    pub async fn challenge(
        &self,
        tenant: Option<TenantId>,
        mode: Option<&str>,
        verify_token: Option<&str>,
        challenge: Option<&str>,
    ) -> Result<String, ServiceError> {
        let forbidden = || ServiceError::Forbidden {
            code: ErrorCode::InvalidVerifyToken,
            message: "hub.mode must be subscribe and hub.verify_token must match".into(),
        };
        if mode != Some("subscribe") {
            return Err(forbidden());
        }
        let token = verify_token.unwrap_or_default();
        if !self.channels.verify_token_matches(tenant, token).await? {
            return Err(forbidden());
        }
        Ok(challenge.unwrap_or_default().to_owned())
    }

    /// `X-Hub-Signature-256` over the raw body with the app secret; nothing is read before.
    pub fn verify_signature(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<(), ServiceError> {
        match signature {
            Some(signature) if self.signatures.verify(body, signature) => Ok(()),
            _ => Err(ServiceError::Unauthenticated {
                code: ErrorCode::InvalidSignature,
                message: "Missing or invalid X-Hub-Signature-256".into(),
            }),
        }
    }

    /// Stores inbound messages and applies statuses from a verified event. The tenant is the
    /// one named in the path, else the owner of `metadata.phone_number_id`.
    pub async fn receive(
        &self,
        tenant: Option<TenantId>,
        body: &[u8],
    ) -> Result<WebhookReport, ServiceError> {
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(|_| ServiceError::Invalid {
                code: ErrorCode::MalformedBody,
                message: "The body is not a WhatsApp webhook event".into(),
            })?;
        let mut report = WebhookReport::default();
        let now = self.clock.now();
        for change in envelope.entry.into_iter().flat_map(|entry| entry.changes) {
            let value = change.value;
            let number_owner = if value.metadata.phone_number_id.is_empty() {
                None
            } else {
                self.channels
                    .tenant_for_phone_number_id(&value.metadata.phone_number_id)
                    .await?
            };
            let owner = match (tenant, number_owner) {
                // A tenant's path never takes events of a number another tenant owns.
                (Some(path_tenant), Some(number_tenant)) if path_tenant != number_tenant => {
                    tracing::warn!(
                        tenant = %path_tenant,
                        phone_number_id = %value.metadata.phone_number_id,
                        "WhatsApp event on a tenant's path for another tenant's number: dropped"
                    );
                    None
                }
                (Some(path_tenant), _) => Some(path_tenant),
                (None, number_tenant) => number_tenant,
            };
            let Some(owner) = owner else {
                tracing::warn!(phone_number_id = %value.metadata.phone_number_id, "WhatsApp event for a number no tenant owns");
                report.ignored += value.messages.len() + value.statuses.len();
                continue;
            };
            let names: HashMap<String, String> = value
                .contacts
                .into_iter()
                .map(|contact| (contact.wa_id, contact.profile.name))
                .collect();
            for wire in value.messages {
                let Some(message) = inbound(wire, &names, now) else {
                    report.ignored += 1;
                    continue;
                };
                let mut follow_ups = vec![FollowUp {
                    kind: kinds::PUSH_WHATSAPP_MESSAGE,
                    payload: serde_json::json!({}),
                }];
                if message.media_id.is_some() {
                    follow_ups.push(FollowUp {
                        kind: kinds::WHATSAPP_MEDIA,
                        payload: serde_json::json!({}),
                    });
                }
                let stored = self
                    .conversations
                    .record_inbound(owner, &message, &follow_ups)
                    .await?;
                if stored.created {
                    report.messages_stored += 1;
                } else {
                    report.duplicates += 1;
                }
            }
            for status in value.statuses {
                let (Some(delivery), Some(at)) = (
                    DeliveryStatus::parse(&status.status),
                    timestamp(&status.timestamp),
                ) else {
                    report.ignored += 1;
                    continue;
                };
                let applied = self
                    .conversations
                    .apply_status(
                        owner,
                        &status.id,
                        delivery,
                        at,
                        status_error(&status.errors).as_deref(),
                    )
                    .await?;
                if applied {
                    report.statuses_applied += 1;
                } else {
                    report.ignored += 1;
                }
            }
        }
        Ok(report)
    }

    pub async fn conversations(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<Conversation>, ServiceError> {
        Ok(self.conversations.conversations(tenant, page).await?)
    }

    pub async fn conversation(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<Conversation, ServiceError> {
        self.conversations
            .conversation(tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("conversation"))
    }

    /// Whether free text can be sent in this conversation now.
    pub fn window_open(&self, conversation: &Conversation) -> bool {
        messaging::window_open(conversation.last_inbound_at, self.clock.now())
    }

    /// The conversation's messages, oldest first; reading them marks them read.
    pub async fn messages(
        &self,
        tenant: TenantId,
        conversation: &str,
        page: PageRequest,
    ) -> Result<Page<ChatMessage>, ServiceError> {
        self.conversation(tenant, conversation).await?;
        Ok(self
            .conversations
            .messages(tenant, conversation, page)
            .await?)
    }

    /// A received file's bytes and type.
    pub async fn media(
        &self,
        tenant: TenantId,
        message: &str,
    ) -> Result<(Vec<u8>, String), ServiceError> {
        let not_found = || ServiceError::NotFound("media");
        let message = self
            .conversations
            .message(tenant, message)
            .await?
            .ok_or_else(not_found)?;
        let key = message.media_key.ok_or_else(not_found)?;
        let bytes = self
            .storage
            .get(&key)
            .await
            .map_err(|error| ServiceError::Unavailable(error.to_string()))?
            .ok_or_else(not_found)?;
        Ok((
            bytes,
            message
                .media_mime
                .unwrap_or_else(|| "application/octet-stream".into()),
        ))
    }

    /// Queues a message to a customer: free text only inside their 24-hour window (else 422
    /// `window_closed`), an approved template any time.
    pub async fn send(
        &self,
        tenant: TenantId,
        to: &str,
        outgoing: Outgoing,
        actor: &Actor,
    ) -> Result<ChatMessage, ServiceError> {
        let phone = Phone::parse(to).map_err(|error| {
            ServiceError::Validation(vec![FieldProblem::new("to", error.to_string())])
        })?;
        let mut problems = Vec::new();
        match &outgoing {
            Outgoing::Text(text) if text.trim().is_empty() => {
                problems.push(FieldProblem::new("text", "must not be blank"));
            }
            Outgoing::Text(text) if text.chars().count() > MAX_TEXT_CHARS => {
                problems.push(FieldProblem::new(
                    "text",
                    format!("at most {MAX_TEXT_CHARS} characters"),
                ));
            }
            Outgoing::Template {
                name,
                language,
                parameters,
            } => {
                let name_ok = !name.is_empty()
                    && name.len() <= 512
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !name_ok {
                    problems.push(FieldProblem::new(
                        "template.name",
                        "lower-case letters, digits and underscores",
                    ));
                }
                let language_ok = (2..=8).contains(&language.len())
                    && language
                        .bytes()
                        .all(|b| b.is_ascii_alphabetic() || b == b'_');
                if !language_ok {
                    problems.push(FieldProblem::new(
                        "template.language",
                        "a language code such as pt_BR",
                    ));
                }
                if parameters.len() > 20 || parameters.iter().any(|p| p.chars().count() > 1024) {
                    problems.push(FieldProblem::new(
                        "template.parameters",
                        "at most 20 parameters of 1024 characters",
                    ));
                }
            }
            Outgoing::Text(_) => {}
        }
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems));
        }
        if self.channels.whatsapp(tenant).await?.is_none() {
            return Err(ServiceError::Invalid {
                code: ErrorCode::WhatsappNotConfigured,
                message: "This tenant has no WhatsApp number configured".into(),
            });
        }
        let conversation = self
            .conversations
            .conversation_by_phone(tenant, phone.as_str())
            .await?;
        let (kind, body, template_name, payload) = match outgoing {
            Outgoing::Text(text) => {
                if !messaging::window_open(
                    conversation.and_then(|c| c.last_inbound_at),
                    self.clock.now(),
                ) {
                    return Err(ServiceError::Invalid {
                        code: ErrorCode::WindowClosed,
                        message: "The customer has not written in the last 24 hours: send an approved template".into(),
                    });
                }
                ("text", text, None, serde_json::json!({}))
            }
            Outgoing::Template {
                name,
                language,
                parameters,
            } => {
                let body = format!("[{name}] {}", parameters.join(" | "))
                    .trim()
                    .to_owned();
                (
                    "template",
                    body,
                    Some(name),
                    serde_json::json!({"language": language, "parameters": parameters}),
                )
            }
        };
        let message = OutboundMessage {
            id: uuid::Uuid::now_v7().to_string(),
            customer_phone: phone.as_str().to_owned(),
            kind: kind.into(),
            body,
            template_name,
            sent_by: actor.user_id,
        };
        let follow_up = FollowUp {
            kind: kinds::WHATSAPP_REPLY,
            payload,
        };
        Ok(self
            .conversations
            .record_outbound(tenant, &message, Some(follow_up), Some(actor))
            .await?)
    }

    /// The tenant's notifications, newest first; `status` filters (`dead` shows what failed).
    pub async fn notifications(
        &self,
        tenant: TenantId,
        status: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<OutboxEntry>, ServiceError> {
        if let Some(status) = status
            && !["pending", "sent", "skipped", "dead"].contains(&status)
        {
            return Err(ServiceError::Validation(vec![FieldProblem::new(
                "status",
                "one of pending, sent, skipped, dead",
            )]));
        }
        Ok(self.outbox.list(tenant, status, page).await?)
    }

    /// Sends a dead notification again.
    pub async fn retry_notification(&self, tenant: TenantId, id: &str) -> Result<(), ServiceError> {
        self.outbox
            .requeue(tenant, id)
            .await
            .map_err(ServiceError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_numbers_become_e164_with_the_ninth_digit() {
        assert_eq!(
            customer_phone("551187654321").as_deref(),
            Some("+5511987654321")
        );
        assert_eq!(
            customer_phone("5511987654321").as_deref(),
            Some("+5511987654321")
        );
        assert_eq!(
            customer_phone("14155550100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(customer_phone("55ab"), None);
        assert_eq!(customer_phone(""), None);
    }

    #[test]
    fn timestamps_are_unix_seconds_as_text() {
        assert_eq!(
            timestamp("1700000000").map(|t| t.timestamp()),
            Some(1_700_000_000)
        );
        assert_eq!(timestamp("soon"), None);
    }

    #[test]
    fn a_failed_status_keeps_its_reason() {
        let errors = vec![WireError {
            code: Some(131_047),
            title: Some("Re-engagement message".into()),
            message: None,
        }];
        assert_eq!(
            status_error(&errors).as_deref(),
            Some("131047: Re-engagement message")
        );
        assert_eq!(status_error(&[]), None);
    }
}
