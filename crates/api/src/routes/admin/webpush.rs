//! `/admin/webpush`: staff browsers subscribe to pushes about new orders and WhatsApp messages.

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post};
use comanda_ports::messaging::PushSubscription;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeyView {
    /// The VAPID public key, base64url: the browser's `applicationServerKey`.
    pub public_key: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
}

/// A browser's `PushSubscription.toJSON()`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscribeRequest {
    /// The push service URL; https, on public addresses only.
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UnsubscribeRequest {
    pub endpoint: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub endpoint: String,
}

impl From<PushSubscription> for SubscriptionView {
    fn from(subscription: PushSubscription) -> Self {
        Self {
            id: subscription.id,
            endpoint: subscription.endpoint,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionList {
    pub items: Vec<SubscriptionView>,
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PublicKeyView), (status = 422, description = "`webpush_not_configured`", body = ErrorBody))
)]
#[get("/admin/webpush/public-key")]
pub async fn public_key(
    state: web::Data<AppState>,
    _user: CurrentUser,
) -> Result<web::Json<PublicKeyView>, ApiError> {
    Ok(web::Json(PublicKeyView {
        public_key: state.push.public_key()?,
    }))
}

/// This user's subscribed browsers.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SubscriptionList))
)]
#[get("/admin/webpush/subscriptions")]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<SubscriptionList>, ApiError> {
    let subscriptions = state
        .push
        .list(user.own_scope().tenant, user.own_scope().principal.user.id)
        .await?;
    Ok(web::Json(SubscriptionList {
        items: subscriptions
            .into_iter()
            .map(SubscriptionView::from)
            .collect(),
    }))
}

/// Subscribes this browser; subscribing the same endpoint again updates it.
#[utoipa::path(
    tag = "admin", request_body = SubscribeRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, body = SubscriptionView),
        (status = 422, description = "`invalid_endpoint` (not https, or a loopback, private or link-local address), `webpush_not_configured`, or bad keys", body = ErrorBody),
    )
)]
#[post("/admin/webpush/subscriptions")]
pub async fn subscribe(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<SubscribeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let subscription = state
        .push
        .subscribe(
            user.own_scope().tenant,
            user.own_scope().principal.user.id,
            &body.endpoint,
            &body.keys.p256dh,
            &body.keys.auth,
        )
        .await?;
    Ok(HttpResponse::Created().json(SubscriptionView::from(subscription)))
}

/// Unsubscribes one of this user's browsers.
#[utoipa::path(
    tag = "admin", request_body = UnsubscribeRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody))
)]
#[delete("/admin/webpush/subscriptions")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<UnsubscribeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    state
        .push
        .unsubscribe(
            user.own_scope().tenant,
            user.own_scope().principal.user.id,
            &body.endpoint,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
