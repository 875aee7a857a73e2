//! `/admin/whatsapp` (module `whatsapp`): conversations, messages, sending; and
//! `/admin/notifications` (module `orders`): the outbox as the tenant sees it.

use actix_web::http::header;
use actix_web::mime;
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use comanda_domain::tenancy::{Action, Module};
use comanda_ports::messaging::{ChatMessage, Conversation, OutboxEntry};
use comanda_services::messaging::whatsapp::Outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser, ListQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: String,
    /// E.164.
    pub customer_phone: String,
    pub customer_name: String,
    /// The customer's last message: free text can be sent for 24 hours after it.
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    pub unread_count: i32,
    /// Whether free text can be sent now (else an approved template).
    pub window_open: bool,
}

fn conversation_view(state: &AppState, stored: Conversation) -> ConversationView {
    ConversationView {
        window_open: state.whatsapp.window_open(&stored),
        id: stored.id,
        customer_phone: stored.customer_phone,
        customer_name: stored.customer_name,
        last_inbound_at: stored.last_inbound_at,
        last_message_at: stored.last_message_at,
        unread_count: stored.unread_count,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationList {
    pub items: Vec<ConversationView>,
    pub total: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    pub conversation_id: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `text`, `template`, `image`, `audio`, `video`, `document`, `sticker`, `location`…
    pub kind: String,
    pub body: String,
    pub template_name: Option<String>,
    /// Where the received file can be fetched, once downloaded.
    pub media_url: Option<String>,
    pub media_mime: Option<String>,
    /// `pending`, `sent`, `delivered`, `read` or `failed`.
    pub status: String,
    pub status_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<ChatMessage> for MessageView {
    fn from(message: ChatMessage) -> Self {
        Self {
            media_url: message
                .media_key
                .as_ref()
                .map(|_| format!("/admin/whatsapp/messages/{}/media", message.id)),
            id: message.id,
            conversation_id: message.conversation_id,
            direction: message.direction,
            kind: message.kind,
            body: message.body,
            template_name: message.template_name,
            media_mime: message.media_mime,
            status: message.status.as_str().to_owned(),
            status_at: message.status_at,
            error: message.error,
            created_at: message.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub items: Vec<MessageView>,
    pub total: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateRequest {
    /// The approved template's name.
    #[schema(example = "order_ready")]
    pub name: String,
    #[serde(default = "default_language")]
    #[schema(example = "pt_BR")]
    pub language: String,
    /// The body's `{{1}}`, `{{2}}`… in order.
    #[serde(default)]
    pub parameters: Vec<String>,
}

fn default_language() -> String {
    "pt_BR".into()
}

/// Free `text` (only inside the customer's 24-hour window) or an approved `template`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendRequest {
    /// The customer's phone, however written.
    #[schema(example = "+5511987654321")]
    pub to: String,
    pub text: Option<String>,
    pub template: Option<TemplateRequest>,
}

#[utoipa::path(
    tag = "admin", params(ListQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ConversationList), (status = 403, body = ErrorBody))
)]
#[get("/admin/whatsapp/conversations")]
pub async fn conversations(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
) -> Result<web::Json<ConversationList>, ApiError> {
    let scope = user.allow(Module::Whatsapp, Action::View)?;
    let page = state
        .whatsapp
        .conversations(scope.tenant, page.into_inner().page()?)
        .await?;
    Ok(web::Json(ConversationList {
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|stored| conversation_view(&state, stored))
            .collect(),
    }))
}

#[utoipa::path(
    tag = "admin",
    params(("conversation_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody))
)]
#[get("/admin/whatsapp/conversations/{conversation_id}")]
pub async fn conversation(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<web::Json<ConversationView>, ApiError> {
    let scope = user.allow(Module::Whatsapp, Action::View)?;
    let conversation = state.whatsapp.conversation(scope.tenant, &id).await?;
    Ok(web::Json(conversation_view(&state, conversation)))
}

/// Oldest first; reading them clears the conversation's unread count.
#[utoipa::path(
    tag = "admin",
    params(("conversation_id" = String, Path), ListQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MessageList), (status = 404, body = ErrorBody))
)]
#[get("/admin/whatsapp/conversations/{conversation_id}/messages")]
pub async fn messages(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    page: web::Query<ListQuery>,
) -> Result<web::Json<MessageList>, ApiError> {
    let scope = user.allow(Module::Whatsapp, Action::View)?;
    let page = state
        .whatsapp
        .messages(scope.tenant, &id, page.into_inner().page()?)
        .await?;
    Ok(web::Json(MessageList {
        total: page.total,
        items: page.items.into_iter().map(MessageView::from).collect(),
    }))
}

/// Queues a message (sent in the background; its `status` follows Meta's reports). Free text
/// only inside the customer's 24-hour window: outside it, 422 `window_closed` — send an
/// approved template.
#[utoipa::path(
    tag = "admin", request_body = SendRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 202, body = MessageView),
        (status = 422, description = "`window_closed`, `whatsapp_not_configured` or invalid fields", body = ErrorBody),
    )
)]
#[post("/admin/whatsapp/messages")]
pub async fn send(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<SendRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Whatsapp, Action::Create)?;
    let body = body.into_inner()?;
    let SendRequest { to, text, template } = body;
    let outgoing = match (text, template) {
        (Some(text), None) => Outgoing::Text(text),
        (None, Some(template)) => Outgoing::Template {
            name: template.name,
            language: template.language,
            parameters: template.parameters,
        },
        _ => {
            return Err(ApiError::field("text", "give either text or template"));
        }
    };
    let message = state
        .whatsapp
        .send(scope.tenant, &to, outgoing, scope.actor)
        .await?;
    Ok(HttpResponse::Accepted().json(MessageView::from(message)))
}

/// A received image, audio, video or document.
#[utoipa::path(
    tag = "admin",
    params(("message_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The file, with its type"), (status = 404, body = ErrorBody))
)]
#[get("/admin/whatsapp/messages/{message_id}/media")]
pub async fn media(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Whatsapp, Action::View)?;
    let (bytes, mime) = state.whatsapp.media(scope.tenant, &id).await?;
    // Customers send anything: never let a browser render it as a page of ours.
    let content_type = mime
        .parse::<mime::Mime>()
        .ok()
        .filter(|mime| {
            matches!(mime.type_(), mime::IMAGE | mime::AUDIO | mime::VIDEO)
                && mime.subtype() != "svg"
        })
        .map_or_else(
            || "application/octet-stream".to_owned(),
            |mime| mime.essence_str().to_owned(),
        );
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, "attachment"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(bytes))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `pending`, `sent`, `skipped` (channel not configured) or `dead` (gave up).
    pub status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// `whatsapp.order_confirmation`, `whatsapp.order_status`, `whatsapp.reply`,
    /// `whatsapp.download_media`, `telegram.new_order`, `webpush.new_order`,
    /// `webpush.whatsapp_message`.
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<OutboxEntry> for NotificationView {
    fn from(entry: OutboxEntry) -> Self {
        Self {
            id: entry.id,
            kind: entry.kind,
            payload: entry.payload,
            status: entry.status,
            attempts: entry.attempts,
            next_attempt_at: entry.next_attempt_at,
            last_error: entry.last_error,
            created_at: entry.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    pub total: u64,
}

/// Messages to customers, store chats and staff browsers, newest first, with their tries and
/// last error.
#[utoipa::path(
    tag = "admin", params(ListQuery, NotificationQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = NotificationList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[get("/admin/notifications")]
pub async fn notifications(
    state: web::Data<AppState>,
    user: CurrentUser,
    page: web::Query<ListQuery>,
    query: web::Query<NotificationQuery>,
) -> Result<web::Json<NotificationList>, ApiError> {
    let scope = user.allow(Module::Orders, Action::View)?;
    let page = state
        .whatsapp
        .notifications(
            scope.tenant,
            query.status.as_deref(),
            page.into_inner().page()?,
        )
        .await?;
    Ok(web::Json(NotificationList {
        total: page.total,
        items: page.items.into_iter().map(NotificationView::from).collect(),
    }))
}

/// Tries a dead notification again from scratch.
#[utoipa::path(
    tag = "admin",
    params(("notification_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 202, description = "Queued again"), (status = 404, description = "No dead notification with this id", body = ErrorBody))
)]
#[post("/admin/notifications/{notification_id}/retry")]
pub async fn retry_notification(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Orders, Action::Update)?;
    state.whatsapp.retry_notification(scope.tenant, &id).await?;
    Ok(HttpResponse::Accepted().finish())
}
