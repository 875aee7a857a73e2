//! `/admin/customers/{customer_id}/export` and `/erase` (module `customers`, action `update`):
//! the customer's data rights under the LGPD (docs/operations.md#fairness-and-saturation).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use comanda_domain::CustomerId;
use comanda_domain::tenancy::{Action, Module};
use comanda_ports::customer_data::{AddressUse, CampaignUse, ConversationExport, CustomerExport};
use comanda_services::customer_data::ErasureOutcome;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentUser, TenantScope};
use crate::routes::admin::whatsapp::MessageView;
use crate::routes::orders::OrderView;
use crate::routes::stores::AddressView;
use crate::state::AppState;

/// The name of the export's format; a later shape gets another.
const EXPORT_FORMAT: &str = "comanda.customer-export.v1";

/// Who holds the data: the business (the tenant).
#[derive(Debug, Serialize, ToSchema)]
pub struct ControllerView {
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
}

/// The customer's own record.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerProfileView {
    pub id: String,
    pub name: String,
    /// E.164; a placeholder once erased.
    pub phone: String,
    pub email: Option<String>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set once the customer has been erased.
    pub erased_at: Option<DateTime<Utc>>,
}

/// An address the customer's orders were delivered to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressUseView {
    #[serde(flatten)]
    pub address: AddressView,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The orders delivered there.
    pub order_numbers: Vec<i64>,
    pub last_used_at: DateTime<Utc>,
}

impl From<AddressUse> for AddressUseView {
    fn from(use_: AddressUse) -> Self {
        let address = use_.address;
        Self {
            address: AddressView {
                cep: address.cep,
                street: address.street,
                number: address.number,
                complement: address.complement,
                district: address.district,
                city: address.city,
                state: address.state,
            },
            latitude: use_.latitude,
            longitude: use_.longitude,
            order_numbers: use_.order_numbers,
            last_used_at: use_.last_used_at,
        }
    }
}

/// A campaign (discount) applied to one of the customer's orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignUseView {
    pub campaign_id: String,
    pub campaign_name: String,
    pub order_id: String,
    pub order_number: i64,
    pub used_at: DateTime<Utc>,
}

impl From<CampaignUse> for CampaignUseView {
    fn from(use_: CampaignUse) -> Self {
        Self {
            campaign_id: use_.campaign_id.to_string(),
            campaign_name: use_.campaign_name,
            order_id: use_.order_id.to_string(),
            order_number: use_.order_number,
            used_at: use_.used_at,
        }
    }
}

/// A WhatsApp conversation with the customer's phone and every message in it, oldest first;
/// received files are at each message's `media_url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationExportView {
    pub id: String,
    pub customer_phone: String,
    /// The name the customer's WhatsApp profile gave.
    pub customer_name: String,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    pub messages: Vec<MessageView>,
}

impl From<ConversationExport> for ConversationExportView {
    fn from(export: ConversationExport) -> Self {
        let conversation = export.conversation;
        Self {
            id: conversation.id,
            customer_phone: conversation.customer_phone,
            customer_name: conversation.customer_name,
            last_inbound_at: conversation.last_inbound_at,
            last_message_at: conversation.last_message_at,
            messages: export.messages.into_iter().map(MessageView::from).collect(),
        }
    }
}

/// Every personal datum Comanda holds about one customer of the tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerExportView {
    /// `comanda.customer-export.v1`.
    pub format: String,
    pub generated_at: DateTime<Utc>,
    pub controller: ControllerView,
    pub customer: CustomerProfileView,
    /// Delivery addresses of the customer's orders, each once.
    pub addresses: Vec<AddressUseView>,
    /// Every order, oldest first: items, amounts, payment, delivery and status history.
    pub orders: Vec<OrderView>,
    pub campaign_uses: Vec<CampaignUseView>,
    pub whatsapp_conversations: Vec<ConversationExportView>,
    /// Always empty: Web Push subscriptions belong to staff browsers, none to customers.
    #[schema(value_type = Vec<Object>)]
    pub push_subscriptions: Vec<serde_json::Value>,
    /// Always empty: Comanda records no consents.
    #[schema(value_type = Vec<Object>)]
    pub consents: Vec<serde_json::Value>,
    /// What the document does not hold, and why.
    pub remarks: Vec<String>,
}

fn export_view(scope: &TenantScope<'_>, export: CustomerExport) -> CustomerExportView {
    let tenant = &scope.principal.tenant;
    let profile = export.profile;
    CustomerExportView {
        format: EXPORT_FORMAT.into(),
        generated_at: Utc::now(),
        controller: ControllerView {
            tenant_id: tenant.id.to_string(),
            slug: tenant.slug.to_string(),
            name: tenant.name.clone(),
        },
        customer: CustomerProfileView {
            id: profile.id.to_string(),
            name: profile.name,
            phone: profile.phone,
            email: profile.email,
            notes: profile.notes,
            created_at: profile.created_at,
            updated_at: profile.updated_at,
            erased_at: profile.erased_at,
        },
        addresses: export
            .addresses
            .into_iter()
            .map(AddressUseView::from)
            .collect(),
        orders: export
            .orders
            .into_iter()
            .map(|order| OrderView::new(order, None, None))
            .collect(),
        campaign_uses: export
            .campaign_uses
            .into_iter()
            .map(CampaignUseView::from)
            .collect(),
        whatsapp_conversations: export
            .conversations
            .into_iter()
            .map(ConversationExportView::from)
            .collect(),
        push_subscriptions: Vec::new(),
        consents: Vec::new(),
        remarks: vec![
            "push_subscriptions: Comanda keeps Web Push subscriptions only for staff browsers, none for customers".into(),
            "consents: Comanda keeps no consent records".into(),
        ],
    }
}

/// Everything held about the customer as one JSON document (LGPD, art. 18): profile, delivery
/// addresses, orders, campaign uses, WhatsApp conversations and messages with links to their
/// files. Audited as `customer.export` (counts only).
#[utoipa::path(
    tag = "admin",
    params(("customer_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The document, as an attachment", body = CustomerExportView),
        (status = 403, description = "Without `customers:update`", body = ErrorBody),
        (status = 404, description = "No such customer in this tenant", body = ErrorBody),
    )
)]
#[get("/admin/customers/{customer_id}/export")]
pub async fn export_customer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CustomerId>,
) -> Result<HttpResponse, ApiError> {
    let scope = user.allow(Module::Customers, Action::Update)?;
    let id = id.into_inner();
    let export = state
        .customer_data
        .export(scope.tenant, id, scope.actor)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"customer-{id}.json\""),
        ))
        .json(export_view(&scope, export)))
}

/// What an erasure changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureView {
    pub customer_id: String,
    pub erased_at: DateTime<Utc>,
    /// The customer had been erased before.
    pub already_erased: bool,
    /// Orders kept with their amounts (items, totals, payment).
    pub orders_kept: usize,
    /// Delivery addresses reduced to city, state and CEP prefix.
    pub addresses_cleared: usize,
    pub conversations_deleted: usize,
    pub messages_deleted: usize,
    /// Notifications about the deleted conversation, or not yet sent about the orders.
    pub notifications_dropped: usize,
    /// Files of the deleted messages removed from storage.
    pub media_files_deleted: usize,
    /// Files storage did not remove now: the media clean-up retries them.
    pub media_files_pending: usize,
}

impl From<ErasureOutcome> for ErasureView {
    fn from(outcome: ErasureOutcome) -> Self {
        let erasure = outcome.erasure;
        Self {
            customer_id: erasure.customer_id.to_string(),
            erased_at: erasure.erased_at,
            already_erased: erasure.already_erased,
            orders_kept: erasure.orders_kept,
            addresses_cleared: erasure.addresses_cleared,
            conversations_deleted: erasure.conversations_deleted,
            messages_deleted: erasure.messages_deleted,
            notifications_dropped: erasure.notifications_dropped,
            media_files_deleted: outcome.media_deleted,
            media_files_pending: outcome.media_pending,
        }
    }
}

/// Anonymises the customer (LGPD, art. 18): name `Cliente removido`; phone (a placeholder),
/// e-mail and notes cleared; delivery addresses reduced to city, state and CEP prefix; item
/// notes cleared; WhatsApp conversations, messages and their files deleted. Orders stay with
/// their items, totals and payments, so revenue does not change. A later order from the same
/// phone makes a new customer. Erasing again is allowed (200). Audited as `customer.erase`
/// (counts only).
#[utoipa::path(
    tag = "admin",
    params(("customer_id" = String, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Erased (or already erased)", body = ErasureView),
        (status = 403, description = "Without `customers:update`", body = ErrorBody),
        (status = 404, description = "No such customer in this tenant", body = ErrorBody),
        (status = 409, description = "`has_open_orders`: an order is not delivered, picked up or canceled yet; `open_orders` lists their numbers", body = ErrorBody),
    )
)]
#[post("/admin/customers/{customer_id}/erase")]
pub async fn erase_customer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<CustomerId>,
) -> Result<web::Json<ErasureView>, ApiError> {
    let scope = user.allow(Module::Customers, Action::Update)?;
    let outcome = state
        .customer_data
        .erase(scope.tenant, id.into_inner(), scope.actor)
        .await?;
    Ok(web::Json(outcome.into()))
}
